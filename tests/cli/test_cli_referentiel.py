"""``workbench referentiel ...`` through the real command line."""

from __future__ import annotations

import pytest

from tests.support import run_cli


def test_list_json(tmp_path):
    r = run_cli("referentiel", "list", "--json", workspace=tmp_path)
    assert r.code == 0, r.err
    rows = r.json()
    assert [row["id"] for row in rows] == ["rnq-2019-v9", "rnq-2026"]
    assert rows[0]["effective_until"] == "2026-10-31"
    assert rows[1]["status"] == "provisional" and rows[1]["indicators"] == 33


def test_list_table_is_french(tmp_path):
    r = run_cli("referentiel", "list", workspace=tmp_path)
    assert r.code == 0
    assert "Indicateurs" in r.out and "provisoire" in r.out and "définitif" in r.out


def test_show_indicator(tmp_path):
    r = run_cli("referentiel", "show", "33", "--version", "rnq-2026", workspace=tmp_path)
    assert r.code == 0, r.err
    assert "Indicateur 33" in r.out
    assert "Incertain" in r.out
    j = run_cli("referentiel", "show", "4", "--version", "rnq-2019-v9", "--json").json()
    assert j["nc"]["grading"] == "major_only" and j["referential"] == "rnq-2019-v9"


def test_applicable_json_contract(tmp_path):
    r = run_cli("referentiel", "applicable", "--audit-date", "2026-11-01", "--categories", "AF,CFA",
                "--certifying", "--alternance", "--json", workspace=tmp_path)
    assert r.code == 0, r.err
    rows = r.json()
    assert len(rows) == 33
    for row in rows:
        assert isinstance(row["number"], int) and isinstance(row["criterion"], int)
        assert isinstance(row["applicable"], bool) and isinstance(row["reason"], str)
        assert row["nc_grading"] in ("major_only", "minor_or_major", None)
        assert isinstance(row["new_entrant_adapted"], bool)
    assert sum(row["applicable"] for row in rows) == 32  # everything but 27
    assert rows[26]["reason"].startswith("Sans objet")


def test_applicable_by_date_picks_2019_before_november(tmp_path):
    rows = run_cli("referentiel", "applicable", "--audit-date", "2026-10-31", "--categories", "af",
                   "--new-entrant", "--json").json()
    assert len(rows) == 32
    assert sum(r["new_entrant_adapted"] for r in rows) == 8


def test_applicable_table(tmp_path):
    r = run_cli("referentiel", "applicable", "--version", "rnq-2026", "--categories", "BC")
    assert r.code == 0
    assert "21 indicateur(s) applicable(s) sur 33" in r.out


def test_diff_json_and_text(tmp_path):
    j = run_cli("referentiel", "diff", "rnq-2019-v9", "rnq-2026", "--json").json()
    assert [a["number"] for a in j["added"]] == [33]
    assert len(j["changed"]) == 13
    t = run_cli("referentiel", "diff", "rnq-2019-v9", "rnq-2026")
    assert "Indicateurs ajoutés : 1" in t.out


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["referentiel", "applicable", "--version", "rnq-2026", "--categories", "AF,XYZ"], "catégorie d'action inconnue"),
        (["referentiel", "applicable", "--categories", "AF"], "l'un des arguments"),
        (["referentiel", "applicable", "--version", "rnq-2026", "--audit-date", "2026-11-02", "--categories", "AF"],
         "incompatible"),
        (["referentiel", "applicable", "--audit-date", "2026-13-01", "--categories", "AF"], "date d'audit invalide"),
        (["referentiel", "applicable", "--audit-date", "2019-01-01", "--categories", "AF"], "Aucun référentiel en vigueur"),
        (["referentiel", "applicable", "--version", "v10", "--categories", "AF"], "Version de référentiel inconnue"),
        (["referentiel", "show", "34", "--version", "rnq-2026"], "Indicateur 34 inexistant"),
        (["referentiel", "show", "douze"], "numéro d'indicateur invalide"),
        (["referentiel", "diff", "rnq-2019-v9"], "arguments obligatoires manquants"),
        (["referentiel", "frobnicate"], "choix invalide"),
        (["referentiel", "list", "--bogus"], "arguments non reconnus"),
    ],
)
def test_bad_arguments_exit_2_in_french(tmp_path, args, fragment):
    r = run_cli(*args, workspace=tmp_path)
    assert r.code == 2, (r.code, r.err)
    assert fragment in r.err
    assert "Traceback" not in r.err and r.out == ""


def test_broken_pack_reported_without_traceback(tmp_path):
    import shutil

    from workbench.referential.library import REFERENTIEL_DIR

    for f in REFERENTIEL_DIR.glob("*.yaml"):
        shutil.copy(f, tmp_path / f.name)
    target = tmp_path / "rnq-2026.yaml"
    target.write_text(target.read_text(encoding="utf-8").replace('grading: "major_only"', 'grading: "grave"', 1),
                      encoding="utf-8")
    r = run_cli("referentiel", "list", env={"WORKBENCH_REFERENTIEL_DIR": str(tmp_path)})
    assert r.code == 3
    assert "rnq-2026.yaml" in r.err and "indicateur 4" in r.err and "nc.grading" in r.err
    assert "Traceback" not in r.err
