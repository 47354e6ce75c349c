"""Client outputs never show what is meant for the team: planted markers searched in every format.

A partial pre-audit (5 of the applicable indicators evaluated) carries a private note, ids and the
referential's internal caveats; the report (HTML, PDF), the Excel plan and the dashboard must show
the client's finding and N/A justification but none of the markers. A final report is kept as a
numbered version that a later final run does not overwrite.
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from openpyxl import load_workbook

from workbench.apps.dashboard.data import dashboard_data
from workbench.apps.dashboard.render import render_dashboard
from workbench.core.vocab import Category, MissionType, Verdict
from workbench.domain.profile import ClientProfile
from workbench.reports.pipeline import generate_report
from workbench.reports.wording import has_jargon
from workbench.services.workspace import Workspace

PRIVATE = "MARQUEUR-PRIVE-7f3a"
FINDING = "Constat-client-visible-19c2"
NA_TEXT = "Aucune prestation sous-traitée-4d1e"


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    root = tmp_path_factory.mktemp("sorties") / "espace"
    ws = Workspace.open(root, actor="consultant")
    ws.store.create_client(ClientProfile(id="preaudit-partiel", name="Pré-audit Partiel SAS",
                                         categories=[Category.AF]))
    mission = ws.new_mission("preaudit-partiel", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2027, 3, 1))
    applicable = [a for a in ws.applicability(mission.id) if a.applicable]
    verdicts = [Verdict.CONFORME, Verdict.NC_MINEURE, Verdict.CONFORME, Verdict.NC_MAJEURE, Verdict.CONFORME]
    for app, verdict in zip(applicable[:5], verdicts, strict=True):
        ws.store.save_answer(mission.id, app.indicator.id, verdict=verdict, finding=f"{FINDING} {app.indicator.number}",
                             private_notes=f"{PRIVATE} {app.indicator.number}")
    ws.store.save_answer(mission.id, applicable[5].indicator.id, verdict=Verdict.NON_APPLICABLE,
                         na_justification=NA_TEXT, private_notes=PRIVATE)
    first = generate_report(ws, "preaudit-partiel", formats=("html", "pdf", "xlsx"), final=True)
    second = generate_report(ws, "preaudit-partiel", formats=("html",), final=True)
    dashboard = render_dashboard(dashboard_data(ws, "preaudit-partiel"), chart=False)
    yield {"ws": ws, "mission": mission, "first": first, "second": second, "dashboard": dashboard,
           "applicable": applicable}
    ws.close()


def _pdf_text(path):
    return " ".join(subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def _xlsx_text(path):
    wb = load_workbook(path)
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    return " ".join(cells + [wb.properties.title or "", wb.properties.description or ""])


def test_no_private_note_id_or_caveat_in_any_client_output(outputs):
    mission = outputs["mission"]
    paths = outputs["first"].paths
    texts = {
        "html": paths["html"].read_text(encoding="utf-8"),
        "pdf": _pdf_text(paths["pdf"]),
        "xlsx": _xlsx_text(paths["xlsx"]),
        "dashboard": outputs["dashboard"],
    }
    for name, text in texts.items():
        assert PRIVATE not in text, name
        assert not has_jargon(text), (name, has_jargon(text))
        assert "rnq-2026" not in text and "rnq-2019" not in text, name
    for name in ("html", "pdf", "dashboard"):
        assert mission.id not in texts[name], name
    assert FINDING in texts["html"] and FINDING in texts["pdf"] and FINDING in texts["dashboard"]
    assert NA_TEXT in texts["html"]  # the N/A justification, in the annex next to the rule
    annex = texts["html"][texts["html"].index('id="annexe"'):]
    assert NA_TEXT in annex
    # the provisional status of the 2026 referential is told once, in plain words
    assert texts["html"].count("Le guide officiel qui en précise la lecture") == 1


def test_partial_pre_audit_keeps_to_what_was_found(outputs):
    html = outputs["first"].paths["html"].read_text(encoding="utf-8")
    gaps = html[html.index('id="ecarts"'):html.index('id="reste"')]
    assert gaps.count('class="wb-gap') == 2  # the two NCs, not the unevaluated indicators
    remaining = html[html.index('id="reste"'):html.index('id="plan"')]
    n_left = len(outputs["applicable"]) - 6
    assert remaining.count("<tr><td>") == n_left
    end = html.index('id="suivi"') if 'id="suivi"' in html else html.index('id="forces"')
    plan = html[html.index('id="plan"'):end]
    assert "Évaluer l'indicateur" not in plan
    assert len(outputs["first"].paths) == 3


def test_final_versions_are_kept_and_numbered(outputs):
    first, second = outputs["first"], outputs["second"]
    assert first.paths["html"].name.endswith("-v1.html") and second.paths["html"].name.endswith("-v2.html")
    assert first.paths["html"].parent.name == "envoyes"
    assert first.paths["html"].exists() and first.paths["pdf"].exists() and first.paths["xlsx"].exists()
    v1 = first.paths["html"].read_text(encoding="utf-8")
    assert "Version 1 du" in v1 and "Version 2 du" in second.paths["html"].read_text(encoding="utf-8")
    assert "versions précédentes envoyées : version 1" in second.paths["html"].read_text(encoding="utf-8")
    from workbench.store.report_texts import sent_versions
    versions = sent_versions(outputs["ws"].store, outputs["mission"].id)
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].files["pdf"].endswith("-v1.pdf")


def test_excel_plan_prints_on_a4_landscape_with_the_same_permissions(outputs):
    paths = outputs["first"].paths
    sheet = load_workbook(paths["xlsx"])["Plan d'actions"]
    assert sheet.page_setup.orientation == "landscape" and int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.print_title_rows.replace("$", "") == "1:1"
    modes = {name: path.stat().st_mode & 0o777 for name, path in paths.items()}
    assert len(set(modes.values())) == 1, modes
