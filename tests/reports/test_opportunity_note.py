"""« Note d'opportunité Qualiopi » through the report pipeline: HTML, PDF and Word, whole files."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import docx
import pytest

from tests.support import docx_table, docx_text, run_cli
from workbench.core.errors import NotFoundError, RunError, UsageError
from workbench.core.vocab import MissionType, Verdict
from workbench.domain.templates import load_template, profile_from_template
from workbench.reports.docx import WORD_DIR, WORKSPACE_TEMPLATE
from workbench.reports.opportunity_note import NOTE_WORD_TEMPLATE, generate_note
from workbench.services.opportunity import run_assessment

PRIVATE = "NOTE-PRIVEE-opportunite-3c9e"


def _prospect(ws, client_id="solo"):
    ws.store.create_client(profile_from_template(load_template("formateur-independant"), client_id, "Solo Formation",
                                                 prospect=True))
    return client_id


def _eur(n: int) -> str:
    return f"{n:,} €".replace(",", "\u202f")


def _fr(iso: str) -> str:
    return dt.date.fromisoformat(iso).strftime("%d/%m/%Y")


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_note_html_pdf_and_word(workspace):
    cid = _prospect(workspace)
    # a private note planted where the consultant keeps them: it must reach none of the note's files
    mission = workspace.new_mission(cid, mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2027, 6, 1))
    indicator = next(a.indicator for a in workspace.applicability(mission.id) if a.applicable)
    workspace.store.save_answer(mission.id, indicator.id, verdict=Verdict.CONFORME, private_notes=PRIVATE)
    result, stored = run_assessment(workspace, cid, {"funded_share_now": 0, "funded_share_planned": 30,
                                                     "growth": "growth", "deadline": "2027-09-01"},
                                    today=dt.date(2026, 12, 1))
    r = result.to_dict()
    paths = generate_note(workspace, cid)
    assert list(paths) == ["html", "pdf", "docx"]
    html = paths["html"].read_text(encoding="utf-8")
    assert "Note d'opportunité Qualiopi" in html and r["verdict_label"] in html and "Solo Formation" in html
    assert "<script" not in html and "workbench:assessment" in html
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-" and paths["pdf"].stat().st_size > 5000

    d, text = docx_text(paths["docx"])
    assert paths["docx"].name == f"note-opportunite-{cid}-{stored.id}.docx"
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == f"Verdict : {r['verdict_label']}"
    assert "Ce qui est en jeu" in headings and "Accompagnement recommandé" in headings
    assert f"Calendrier (à rebours de l'échéance du {_fr('2027-09-01')})" in headings
    bullets = [p.text for p in d.paragraphs if p.style.name == "List Bullet"]
    assert all(reason in bullets for reason in r["reasons"]) and r["reasons"]
    assert all(b in bullets for b in r["cost_estimate"]["basis"])
    stakes = [row for t in d.tables for row in ([c.text for c in rw.cells] for rw in t.rows)
              if row[0].startswith(("Chiffre d'affaires", "Coût estimé"))]
    assert stakes[0][1].startswith(f"{_eur(r['revenue_at_stake'])} par an")
    assert stakes[1][1] == f"{_eur(r['cost_estimate']['low'])} à {_eur(r['cost_estimate']['high'])} HT"
    steps = docx_table(d, "Dates", "Étape")
    assert [s[1] for s in steps] == [s["label"] for s in r["timeline"]] and steps
    assert all(row[0].startswith(_fr(s["start"])) for row, s in zip(steps, r["timeline"], strict=True))
    assert r["recommended_support_label"] in text
    assert all(f"{risk['text']}" in text for risk in r["risks"])
    assert f"évaluation n° {stored.id}" in text and "Solo Formation" in text
    assert d.core_properties.title == "Note d'opportunité Qualiopi — Solo Formation"
    assert "{{" not in text and "{%" not in text
    # the same note in every format, and the private note in none
    for fmt_text in (html, _pdf_text(paths["pdf"]), text):
        assert PRIVATE not in fmt_text and mission.id not in fmt_text


def test_word_note_uses_the_workspace_template_and_names_a_bad_tag(workspace, tmp_path):
    cid = _prospect(workspace)
    run_assessment(workspace, cid, {"funded_share_now": 60, "funded_share_planned": 70, "growth": "stable"},
                   today=dt.date(2026, 12, 1))
    own = workspace.path / WORKSPACE_TEMPLATE.parent / NOTE_WORD_TEMPLATE
    own.parent.mkdir(exist_ok=True)
    d = docx.Document(str(WORD_DIR / NOTE_WORD_TEMPLATE))
    d.paragraphs[0].text = "MODELE DU CABINET — {{ firm }} — {{ verdict }}"
    d.save(str(own))
    paths = generate_note(workspace, cid, formats=["docx"])
    assert list(paths) == ["docx"]  # no notebook run, no HTML
    _, text = docx_text(paths["docx"])
    verdict = run_assessment(workspace, cid, {"funded_share_now": 60, "funded_share_planned": 70, "growth": "stable"},
                             today=dt.date(2026, 12, 1), save=False)[0].verdict.label
    assert f"MODELE DU CABINET — {workspace.settings.branding.firm} — {verdict}" in text

    d.add_paragraph("{{ montant_inconnu }}")
    d.save(str(own))
    before = paths["docx"].read_bytes()
    with pytest.raises(RunError) as err:
        generate_note(workspace, cid, formats=["docx"])
    assert str(own) in err.value.message and "« montant_inconnu »" in err.value.message
    assert "aucune donnée de la note" in err.value.message
    assert paths["docx"].read_bytes() == before  # the previous note is left as it was
    r = run_cli("assess", cid, "--note", "docx", workspace=workspace.path)
    assert r.code == 8 and "Traceback" not in r.err and "note_opportunite.docx" in r.err, r.err
    shutil.copyfile(WORD_DIR / NOTE_WORD_TEMPLATE, own)
    r = run_cli("assess", cid, "--note", "docx", workspace=workspace.path)
    assert r.code == 0 and "DOCX" in r.out, r.err


def test_note_needs_an_assessment_and_a_known_format(workspace):
    cid = _prospect(workspace)
    with pytest.raises(NotFoundError, match="Aucune évaluation d'opportunité"):
        generate_note(workspace, cid)
    with pytest.raises(UsageError, match="html, pdf, docx"):
        generate_note(workspace, cid, formats=["odt"])
    assert not (workspace.settings.reports_dir / cid).exists() or not any(
        (workspace.settings.reports_dir / cid).glob("note-*"))
