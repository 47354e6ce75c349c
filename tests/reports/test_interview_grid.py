"""The printable blank interview grid: by role, only what is in scope, nothing internal, real PDF."""

from __future__ import annotations

import subprocess

from tests.support import make_profile, run_cli, seed_mission
from workbench.core.vocab import Role
from workbench.reports.interview_grid import grid_context, render_grid


def test_grid_groups_questions_by_role_and_leaves_out_of_scope(workspace):
    m = seed_mission(workspace, make_profile("of-af", name="OF AF", categories=["AF"], conditions=[]))
    ctx = grid_context(workspace, m.id)
    roles = [s["role"] for s in ctx["sections"]]
    assert Role.DIRECTION.label in roles and Role.FORMATEUR.label in roles
    in_grid = {e["number"] for s in ctx["sections"] for e in s["entries"]}
    out = {n["number"] for n in ctx["not_applicable"]}
    assert out and not in_grid & out  # e.g. the CFA-only indicators are listed apart, not asked
    for section in ctx["sections"]:
        for e in section["entries"]:
            assert e["questions"]  # every indicator shown to a role has a question for it
    html = render_grid(ctx)
    assert "OF AF" in html and m.id not in html and "rnq-2026:" not in html
    assert 'lang="fr"' in html


def test_grid_for_one_role(workspace):
    m = seed_mission(workspace)
    ctx = grid_context(workspace, m.id, roles=[Role.REFERENT_HANDICAP])
    assert [s["role"] for s in ctx["sections"]] == [Role.REFERENT_HANDICAP.label]
    assert {e["number"] for e in ctx["sections"][0]["entries"]} >= {26}


def test_grid_command_writes_html_and_pdf(workspace):
    m = seed_mission(workspace)
    r = run_cli("grid", m.client_id, "--role", "direction", workspace=workspace.path)
    assert r.code == 0, r.err
    assert "Grille d'entretien vierge" in r.out
    pdf = workspace.path / "reports" / m.client_id / f"grille-entretien-{m.audit_date.isoformat()}.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "Grille d'entretien" in text and "Direction" in text and "Preuves à présenter" in text


def test_grid_command_refuses_an_unknown_role(workspace):
    m = seed_mission(workspace)
    r = run_cli("grid", m.client_id, "--role", "stagiaire", workspace=workspace.path)
    assert r.code == 2 and "interlocuteur inconnu" in r.err and "Traceback" not in r.err
