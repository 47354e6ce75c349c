"""A firm's own data in its workspace: added to the package's, or replacing a shipped file of the
same name, in the documented order (``referentiel_dir`` > workspace > package)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from tests.support import fails, ok, run_cli, seed_mission
from workbench.core.errors import ReferentialError
from workbench.core.settings import load_settings
from workbench.core.vocab import Verdict
from workbench.data import (
    CLIENT_TEMPLATES_DIR,
    DATA_DIR,
    GRIDS_DIR,
    REFERENTIEL_DIR,
    REMEDIATION_DIR,
    DataFolders,
)
from workbench.services.analysis import update_plan
from workbench.services.workspace import Workspace

FIRM_ACTION = "Action propre au cabinet : revoir le catalogue avec la direction"


def test_order_is_referentiel_dir_then_workspace_then_package(tmp_path):
    extra, ws = tmp_path / "extra", tmp_path / "espace"
    for folder in (extra / "grids", ws / "referentiel" / "grids"):
        folder.mkdir(parents=True)
    folders = DataFolders(ws, extra)
    assert folders.folders("referentiel/grids") == [extra / "grids", ws / "referentiel" / "grids", GRIDS_DIR]
    assert folders.folders("client_templates") == [CLIENT_TEMPLATES_DIR]  # no firm folder: the package's
    (ws / "referentiel" / "grids" / "preaudit-rnq-2026.yaml").write_text("id: x\n", encoding="utf-8")
    (extra / "grids" / "preaudit-rnq-2026.yaml").write_text("id: y\n", encoding="utf-8")
    (ws / "referentiel" / "grids" / "grille-du-cabinet.yaml").write_text("id: z\n", encoding="utf-8")
    files = folders.files("referentiel/grids")
    assert files["preaudit-rnq-2026"] == extra / "grids" / "preaudit-rnq-2026.yaml"
    assert files["grille-du-cabinet"] == ws / "referentiel" / "grids" / "grille-du-cabinet.yaml"
    assert files["preaudit-rnq-2019-v9"] == GRIDS_DIR / "preaudit-rnq-2019-v9.yaml"
    # The settings name the folders: arguments and environment first, as for every setting.
    assert DataFolders.of(load_settings(ws, referentiel_dir=extra)) == folders


def test_checkout_links_to_the_package_data_count_once(tmp_path):
    ws = tmp_path / "espace"
    ws.mkdir()
    (ws / "referentiel").symlink_to(REFERENTIEL_DIR)
    assert DataFolders(ws).folders("referentiel") == [ws / "referentiel"]
    linked = DataFolders(ws).files("referentiel/remediation")
    assert {k: v.resolve() for k, v in linked.items()} == DataFolders().files("referentiel/remediation")
    assert DATA_DIR in REFERENTIEL_DIR.parents


def test_firm_remediation_replaces_the_shipped_file_in_the_action_plan(workspace):
    mission = seed_mission(workspace)
    firm = workspace.path / "referentiel" / "remediation"
    firm.mkdir(parents=True)
    text = (REMEDIATION_DIR / "rnq-2026.yaml").read_text(encoding="utf-8")
    first = "  - title: Compléter chaque programme avec tous les items d'information obligatoires\n"
    assert first in text
    (firm / "rnq-2026.yaml").write_text(text.replace(first, f"  - title: \"{FIRM_ACTION}\"\n"), encoding="utf-8")
    ws = Workspace.open(workspace.path, actor="consultant-test")  # a fresh handle reads the firm's folders
    try:
        # indicator 1 found non-conforming: its remediation (not an « evaluate » action) enters the plan
        first_indicator = ws.library.get(mission.referential_id).indicators[0]
        assert first_indicator.number == 1
        ws.store.save_answer(mission.id, first_indicator.id, verdict=Verdict.NC_MINEURE, finding="Programmes incomplets")
        data, _ = update_plan(ws, mission.client_id, mission.id, today=dt.date(2026, 11, 2))
        titles = [a.title for a in data.actions]
        assert FIRM_ACTION in titles
        assert "Compléter chaque programme avec tous les items d'information obligatoires" not in titles
    finally:
        ws.close()


def test_firm_referential_version_and_broken_grid_are_reported_with_their_path(tmp_path):
    ws = tmp_path / "espace"
    (ws / "referentiel").mkdir(parents=True)
    text = (REFERENTIEL_DIR / "rnq-2026.yaml").read_text(encoding="utf-8")
    title = 'title: "Référentiel national qualité (décret 2026-728), 33 indicateurs"'
    assert title in text
    (ws / "referentiel" / "rnq-2026.yaml").write_text(
        text.replace(title, 'title: "RNQ 2026, relu par le cabinet"'), encoding="utf-8")
    shown = run_cli("referentiel", "list", "--json", workspace=ws).json()
    assert "RNQ 2026, relu par le cabinet" in str(shown)
    (ws / "referentiel" / "grids").mkdir()
    shutil.copy(GRIDS_DIR / "preaudit-rnq-2026.yaml", ws / "referentiel" / "grids" / "preaudit-rnq-2026.yaml")
    broken = ws / "referentiel" / "grids" / "preaudit-rnq-2026.yaml"
    broken.write_text(broken.read_text(encoding="utf-8").replace("referential: rnq-2026", "referential: rnq-2099", 1),
                      encoding="utf-8")
    from workbench.referential.grids import grids_for

    with pytest.raises(ReferentialError) as info:
        grids_for(Workspace.open(ws).library)
    assert str(broken) in info.value.message and "rnq-2099" in info.value.message


def test_firm_client_template_is_listed_and_used(tmp_path):
    ws = tmp_path / "espace"
    (ws / "client_templates").mkdir(parents=True)
    text = (CLIENT_TEMPLATES_DIR / "cfa.yaml").read_text(encoding="utf-8")
    (ws / "client_templates" / "cfa-du-cabinet.yaml").write_text(
        text.replace("title: Centre de formation d'apprentis (CFA)", "title: CFA suivi par le cabinet"),
        encoding="utf-8")
    listed = ok(run_cli("client", "templates", workspace=ws))
    assert "cfa-du-cabinet — CFA suivi par le cabinet" in listed and "cfa — " in listed
    ok(run_cli("client", "new", "cfa-test", "--template", "cfa-du-cabinet", "--name", "CFA Test", workspace=ws))
    assert run_cli("client", "show", "cfa-test", "--json", workspace=ws).json()["profile"]["template"] == "cfa-du-cabinet"
    fails(run_cli("client", "new", "autre", "--template", "inconnu", workspace=ws), 2, "cfa-du-cabinet")
