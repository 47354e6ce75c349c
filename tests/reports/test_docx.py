"""Word report: rendered from the shipped template or the workspace's own, opened with python-docx."""

from __future__ import annotations

import datetime as dt
import shutil

import docx
import pytest

from tests.support import docx_text, run_cli
from workbench.core.errors import RunError
from workbench.core.vocab import Category, MissionType, Verdict
from workbench.domain.deliverable import PersonMet, Signature, Visit
from workbench.domain.profile import ClientProfile
from workbench.reports.content import load_report_context
from workbench.reports.docx import (
    _SECTIONS,
    DEFAULT_TEMPLATE,
    WORKSPACE_TEMPLATE,
    DocxSection,
    register_docx_section,
    render_docx,
)
from workbench.services.analysis import update_plan
from workbench.services.workspace import Workspace
from workbench.store.report_texts import save_report_texts

PRIVATE = "NOTE-PRIVEE-docx-55"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("word") / "espace"
    w = Workspace.open(root, actor="consultant")
    w.store.create_client(ClientProfile(id="word-client", name="Word Client SARL", categories=[Category.AF]))
    m = w.new_mission("word-client", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2027, 3, 1))
    apps = [a for a in w.applicability(m.id) if a.applicable]
    for app, verdict in zip(apps[:4], (Verdict.CONFORME, Verdict.NC_MAJEURE, Verdict.NC_MINEURE, Verdict.CONFORME),
                            strict=True):
        w.store.save_answer(m.id, app.indicator.id, verdict=verdict, finding="Constat pour le client",
                            private_notes=PRIVATE)
    save_report_texts(w.store, m.id, summary="Synthèse rédigée.", conclusion="Conclusion rédigée.",
                      visit=Visit(dates=[dt.date(2026, 11, 20)], people=[PersonMet(name="Mme Roux", role="directrice")],
                                  documents=["Livret d'accueil"]),
                      signature=Signature(name="Sophie Durand", role="Consultante", place="Lyon"))
    update_plan(w, "word-client")
    yield w
    w.close()


def test_word_report_holds_the_sections_and_the_plan(ws, tmp_path):
    ctx = load_report_context(ws.path, "word-client")
    path = render_docx(ctx, tmp_path / "rapport.docx")
    d, text = docx_text(path)
    headings = [p.text for p in d.paragraphs if p.style.name == "Heading 1"]
    for title in ("Synthèse", "Déroulement de la visite", "Écarts relevés", "Reste à évaluer", "Plan d'actions",
                  "Points forts", "Conclusion"):
        assert any(title in h for h in headings), (title, headings)
    plan_titles = [r.action.title for r in ctx.plan]
    assert plan_titles and all(t in text for t in plan_titles)
    assert "Synthèse rédigée." in text and "Conclusion rédigée." in text and "Mme Roux (directrice)" in text
    assert "Sophie Durand" in text and "Fait à Lyon" in text
    assert len(d.inline_shapes) == 2  # the two charts, as images
    assert PRIVATE not in text and "word-client-m1" not in text and "rnq-2026" not in text
    assert d.core_properties.title == "Rapport de pré-audit Qualiopi — Word Client SARL"
    assert "{{" not in text and "{%" not in text
    assert "Revue des dossiers" not in text and "Par dossier" not in text  # no sample drawn, no section


def test_workspace_template_is_used_and_extra_sections_appear(ws, tmp_path):
    own = ws.path / WORKSPACE_TEMPLATE
    own.parent.mkdir(exist_ok=True)
    d = docx.Document(str(DEFAULT_TEMPLATE))
    d.paragraphs[0].text = "MODELE DU CABINET — {{ firm }}"
    d.save(str(own))
    register_docx_section("essai", lambda ctx: DocxSection("Calendrier d'essai", paragraphs=["Paragraphe ajouté."],
                                                           lines=["Ligne 1"]))
    try:
        path = render_docx(load_report_context(ws.path, "word-client"), tmp_path / "cabinet.docx")
        _, text = docx_text(path)
        assert "MODELE DU CABINET — Cabinet de conseil qualité" in text
        assert "Calendrier d'essai" in text and "Paragraphe ajouté." in text and "Ligne 1" in text
    finally:
        _SECTIONS.pop("essai", None)
        own.unlink()


@pytest.mark.parametrize(("tag", "expected"), [
    ("{{ client.nom_inconnu }}", "nom_inconnu"),
    ("{{ firm | }}", "{{ firm | }}"),
])
def test_template_errors_name_the_template_and_the_tag(ws, tmp_path, tag, expected):
    bad = tmp_path / "mauvais.docx"
    d = docx.Document(str(DEFAULT_TEMPLATE))
    d.add_paragraph(tag)
    d.save(str(bad))
    target = tmp_path / "sortie.docx"
    with pytest.raises(RunError) as err:
        render_docx(load_report_context(ws.path, "word-client"), target, template=bad)
    assert str(bad) in err.value.message and expected in err.value.message
    assert "Modèle Word invalide" in err.value.message
    assert not target.exists()


def test_cli_report_docx_and_template_error_exit_code(ws, tmp_path):
    r = run_cli("report", "word-client", "--formats", "docx", workspace=ws.path)
    assert r.code == 0, r.err
    assert (ws.path / "reports" / "word-client" / "rapport-word-client-m1.docx").is_file()
    own = ws.path / WORKSPACE_TEMPLATE
    own.parent.mkdir(exist_ok=True)
    shutil.copyfile(tmp_path / "x.docx" if (tmp_path / "x.docx").exists() else DEFAULT_TEMPLATE, own)
    d = docx.Document(str(own))
    d.add_paragraph("{{ inconnue }}")
    d.save(str(own))
    try:
        r = run_cli("report", "word-client", "--formats", "docx", workspace=ws.path)
        assert r.code == 8 and "Traceback" not in r.err
        assert "rapport.docx" in r.err and "« inconnue »" in r.err
    finally:
        own.unlink()


@pytest.mark.notebook
def test_word_export_reuses_the_report_run_load(ws, monkeypatch):
    """One read of the mission per report: the Word file is built from the run's data and provenance."""
    import workbench.reports.content as content
    import workbench.services.analysis as analysis
    from workbench.reports.pipeline import generate_report

    reads = []
    real = analysis.load_mission
    monkeypatch.setattr(analysis, "load_mission", lambda *a, **k: reads.append(a[1]) or real(*a, **k))
    monkeypatch.setattr(content, "load_mission", lambda *a, **k: pytest.fail("the mission was read again"))
    result = generate_report(ws, "word-client", formats=("docx", "xlsx"), today=dt.date(2026, 12, 1))
    assert reads == ["word-client"]
    _, text = docx_text(result.paths["docx"])
    assert result.provenance["input_hash"] in text
