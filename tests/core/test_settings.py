"""Workspace settings file (workbench.yaml) and file-system errors: French messages, no traceback."""

from __future__ import annotations

import pytest

from tests.support import run_cli
from workbench.core.errors import WorkbenchError
from workbench.core.settings import load_settings


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("branding:\n  firm: X\n  colour: bleu\n", "« branding.colour » : champ inconnu"),
        ("branding:\n  primary_color: bleu\n", "« branding.primary_color »"),
        ("workspace: /ailleurs\n", "« workspace » non permis"),
        ("branding: [\n", "erreur de syntaxe YAML"),
        ("- a\n- b\n", "dictionnaire YAML attendu"),
    ],
)
def test_bad_settings_file_named_in_french(tmp_path, content, fragment):
    (tmp_path / "workbench.yaml").write_text(content, encoding="utf-8")
    with pytest.raises(WorkbenchError) as info:
        load_settings(tmp_path)
    assert fragment in info.value.message and "workbench.yaml" in info.value.message
    r = run_cli("client", "list", workspace=tmp_path)
    assert r.code != 0 and fragment in r.err and "Traceback" not in r.err


def test_settings_not_utf8(tmp_path):
    (tmp_path / "workbench.yaml").write_bytes("branding:\n  firm: Cabinet Étoile\n".encode("latin-1"))
    with pytest.raises(WorkbenchError, match="illisible"):
        load_settings(tmp_path)


def test_relative_store_url_is_relative_to_the_workspace(tmp_path, monkeypatch):
    ws = tmp_path / "espace"
    ws.mkdir()
    (ws / "workbench.yaml").write_text("store_url: sqlite:///bases/cabinet.db\n", encoding="utf-8")
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    settings = load_settings(ws)
    assert settings.store_path == ws / "bases" / "cabinet.db"
    # Reading commands never create the configured database.
    r = run_cli("client", "list", workspace=ws)
    assert r.code == 6 and "Base de données introuvable" in r.err
    assert not (ws / "bases").exists() and not list(elsewhere.iterdir())
    r = run_cli("client", "new", "acme", "--template", "cfa", "--name", "ACME", workspace=ws)
    assert r.code == 0, r.err
    assert (ws / "bases" / "cabinet.db").exists()


def test_file_system_errors_are_reported_in_french(tmp_path):
    r = run_cli("client", "new", "acme", "--template", "cfa", "--name", "ACME", "--workspace", "/proc/nope")
    assert r.code == 9 and "accès impossible à /proc/nope" in r.err and "introuvable" in r.err
    assert "Traceback" not in r.err


def test_each_setting_from_arguments_then_environment_then_file(tmp_path, monkeypatch):
    monkeypatch.delenv("WORKBENCH_BUSY_TIMEOUT_S", raising=False)
    (tmp_path / "workbench.yaml").write_text("busy_timeout_s: 5\nbundle_signing_key: " + "k" * 40 + "\n",
                                            encoding="utf-8")
    settings = load_settings(tmp_path)
    assert settings.busy_timeout_s == 5 and settings.bundle_signing_key == "k" * 40
    monkeypatch.setenv("WORKBENCH_BUSY_TIMEOUT_S", "2")
    assert load_settings(tmp_path).busy_timeout_s == 2  # the environment before the file
    assert load_settings(tmp_path, busy_timeout_s=1).busy_timeout_s == 1  # an argument before both
    assert load_settings(tmp_path).environment()["WORKBENCH_BUSY_TIMEOUT_S"] == "2.0"  # handed to kernels
    assert "WORKBENCH_BUNDLE_SIGNING_KEY" not in load_settings(tmp_path).environment()  # the secret is not


def test_a_bad_value_names_its_source(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_BUSY_TIMEOUT_S", "-3")
    with pytest.raises(WorkbenchError) as info:
        load_settings(tmp_path)
    assert info.value.exit_code == 2 and "Variable d'environnement WORKBENCH_BUSY_TIMEOUT_S invalide" in info.value.message
    r = run_cli("client", "list", workspace=tmp_path, env={"WORKBENCH_BUSY_TIMEOUT_S": "-3"})
    assert r.code == 2 and "WORKBENCH_BUSY_TIMEOUT_S" in r.err and "Traceback" not in r.err
    monkeypatch.delenv("WORKBENCH_BUSY_TIMEOUT_S")
    (tmp_path / "workbench.yaml").write_text("bundle_signing_key: court\n", encoding="utf-8")
    with pytest.raises(WorkbenchError) as info:
        load_settings(tmp_path)
    assert "workbench.yaml" in info.value.message and "« bundle_signing_key »" in info.value.message
    assert "clé de signature trop courte" in info.value.message
