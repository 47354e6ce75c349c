"""``workbench assess``: JSON contract, storage with history in a real SQLite file, prospects."""

from __future__ import annotations

import datetime as dt
import sqlite3

from tests.support import run_cli
from workbench.core.vocab import MissionType
from workbench.domain.public_list import SAMPLE_FILE
from workbench.domain.templates import load_template, profile_from_template
from workbench.services.opportunity import list_prospects, run_assessment
from workbench.services.workspace import Workspace
from workbench.store.opportunity import list_assessments

KEYS = {"verdict", "reasons", "risks", "recommended_support", "revenue_at_stake", "cost_estimate", "timeline"}


def test_assess_json_contract_and_history(tmp_path):
    ws = tmp_path / "ws"
    assert run_cli("client", "new", "atelier", "--from-public-list", str(SAMPLE_FILE), "--siret",
                   "81234567600017", "--prospect", workspace=ws).code == 0
    answers = tmp_path / "reponses.yaml"
    answers.write_text("funded_share_now: 0\nfunded_share_planned: 40\ngrowth: diversification\n"
                       "maturity: 2\ncapacity_days_per_month: 2\nannual_revenue: 120000\n", encoding="utf-8")
    r = run_cli("assess", "atelier", "--answers", str(answers), "--today", "2026-12-01", "--json", workspace=ws)
    assert r.code == 0, r.err
    d = r.json()
    assert KEYS <= set(d)
    assert d["verdict"] == "anticipate" and d["recommended_support"] == "external_accompaniment"
    assert d["revenue_at_stake"] == 48_000
    assert d["cost_estimate"]["low"] < d["cost_estimate"]["high"]
    assert [s["key"] for s in d["timeline"]][-1] == "surveillance_window"
    assert all(isinstance(x, str) and x for x in d["reasons"])

    answers.write_text("funded_share_now: 30\nfunded_share_planned: 40\nmaturity: 3\n", encoding="utf-8")
    again = run_cli("assess", "atelier", "--answers", str(answers), "--today", "2027-03-01", "--json", workspace=ws)
    assert again.json()["verdict"] == "strategic_now"
    hist = run_cli("assess", "atelier", "--history", "--json", workspace=ws).json()
    assert [h["verdict"] for h in hist] == ["anticipate", "strategic_now"]

    with sqlite3.connect(ws / "workbench.db") as db:
        assert db.execute("SELECT name FROM migrations WHERE name='20261127-opportunity'").fetchone()
        assert db.execute("SELECT COUNT(*) FROM opportunity_assessments").fetchone()[0] == 2


def test_assess_errors_are_french(tmp_path):
    ws = tmp_path / "ws"
    run_cli("client", "new", "p", "--template", "formateur-independant", "--prospect", workspace=ws)
    bad = tmp_path / "r.yaml"
    bad.write_text("maturity: 9\n", encoding="utf-8")
    r = run_cli("assess", "p", "--answers", str(bad), workspace=ws)
    assert r.code == 2 and "maturity" in r.err and "Traceback" not in r.err
    r = run_cli("assess", "p", "--answers", str(tmp_path / "absent.yaml"), workspace=ws)
    assert r.code == 2 and "introuvable" in r.err
    r = run_cli("assess", "inconnu", "--answers", str(bad), workspace=ws)
    assert r.code == 6 and "Client inconnu" in r.err


def test_list_prospects(workspace):
    prospect = profile_from_template(load_template("formateur-independant"), "solo", "Solo", prospect=True)
    client = profile_from_template(load_template("cfa"), "cfa-nord", "CFA Nord")
    workspace.store.create_client(prospect)
    workspace.store.create_client(client)
    workspace.new_mission("cfa-nord", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2026, 12, 15))
    assert [p.client_id for p in list_prospects(workspace)] == ["solo"]
    assert list_prospects(workspace)[0].verdict is None
    run_assessment(workspace, "solo", {"funded_share_now": 0, "funded_share_planned": 0}, today=dt.date(2026, 12, 1))
    # A client with missions is not a prospect, even when assessed; its verdict goes to its history.
    run_assessment(workspace, "cfa-nord", {"funded_share_now": 80, "funded_share_planned": 80},
                   today=dt.date(2026, 12, 1))
    rows = list_prospects(workspace)
    assert [(p.client_id, p.verdict) for p in rows] == [("solo", "not_priority")]
    assert len(list_assessments(workspace.store, "cfa-nord")) == 1
    mission = workspace.store.list_missions("cfa-nord")[0]
    hist = workspace.store.connection.execute(
        "SELECT after FROM history WHERE mission_id=? AND entity='opportunity'", (mission.id,)).fetchall()
    assert [h["after"] for h in hist] == ['"strategic_now"']


def test_reopened_store_keeps_assessments(workspace_dir):
    ws = Workspace.open(workspace_dir, actor="a", create=True)
    ws.store.create_client(profile_from_template(load_template("centre-bilans"), "bilan", "Bilan", prospect=True))
    run_assessment(ws, "bilan", {"funded_share_now": 60, "funded_share_planned": 60}, today=dt.date(2026, 12, 1))
    ws.close()
    ws = Workspace.open(workspace_dir, actor="b")
    try:
        assert list_prospects(ws)[0].verdict == "strategic_now"
    finally:
        ws.close()
