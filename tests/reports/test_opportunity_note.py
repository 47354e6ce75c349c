"""« Note d'opportunité Qualiopi » through the report pipeline: HTML and PDF, whole files."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.core.errors import NotFoundError, UsageError
from workbench.domain.templates import load_template, profile_from_template
from workbench.reports.opportunity_note import generate_note
from workbench.services.opportunity import run_assessment


def _prospect(ws, client_id="solo"):
    ws.store.create_client(profile_from_template(load_template("formateur-independant"), client_id, "Solo Formation",
                                                 prospect=True))
    return client_id


def test_note_html_and_pdf(workspace):
    cid = _prospect(workspace)
    run_assessment(workspace, cid, {"funded_share_now": 0, "funded_share_planned": 30, "growth": "growth"},
                   today=dt.date(2026, 12, 1))
    paths = generate_note(workspace, cid)
    html = paths["html"].read_text(encoding="utf-8")
    assert "Note d'opportunité Qualiopi" in html and "À anticiper" in html and "Solo Formation" in html
    assert "<script" not in html and "workbench:assessment" in html
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-" and paths["pdf"].stat().st_size > 5000


def test_note_needs_an_assessment_and_a_known_format(workspace):
    cid = _prospect(workspace)
    with pytest.raises(NotFoundError, match="Aucune évaluation d'opportunité"):
        generate_note(workspace, cid)
    with pytest.raises(UsageError, match="Word en attente"):
        generate_note(workspace, cid, formats=["docx"])
    assert not (workspace.settings.reports_dir / cid).exists() or not any(
        (workspace.settings.reports_dir / cid).glob("note-*"))
