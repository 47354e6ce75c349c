"""Client report end to end: papermill run, HTML without code, A4 PDF through Chromium, Excel plan."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import unicodedata

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.support import run_cli
from workbench import __version__
from workbench.core.dates import fr_date_long
from workbench.core.errors import RunError
from workbench.core.vocab import AuditType, Category, Condition, MissionType, Verdict
from workbench.domain.profile import Certification, ClientProfile
from workbench.domain.records import Evidence
from workbench.reports.content import fr_percent, input_hash
from workbench.reports.excel import PLAN_SHEET, PROVENANCE_SHEET
from workbench.reports.pipeline import CLIENT_PROVENANCE, NOTEBOOK, generate_report
from workbench.reports.wording import referential_label
from workbench.services.analysis import load_mission
from workbench.services.workspace import Workspace

pytestmark = pytest.mark.notebook

ALPHA = "organisme-alpha"
ALPHA_NAME = "Alpha & Fils <Formation>"
BETA = "cfa-beta"
BETA_NAME = "CFA Bêta des Métiers"
SCRIPT_NOTE = "<script>alert('pirate')</script> Programme sans délai d'accès"
# Verdicts of the current mission of Alpha (AF, certifying); every other applicable indicator: conforme.
ALPHA_VERDICTS = {4: Verdict.NC_MAJEURE, 1: Verdict.NC_MINEURE, 8: Verdict.NC_MINEURE,
                  30: Verdict.NON_EVALUE, 9: Verdict.NON_APPLICABLE}
BETA_VERDICTS = {12: Verdict.NC_MINEURE, 33: Verdict.NON_EVALUE}
EXTERNAL = re.compile(r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//|url\(\s*["']?\s*(?:https?:)?//|@import""",
                      re.I)


def _png(path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(1, 0.5))
    fig.text(0.1, 0.3, "CQ")
    fig.savefig(path, format="png")
    plt.close(fig)


def _answer_all(ws, mission, verdicts, notes=None):
    for app in ws.applicability(mission.id):
        if app.applicable:
            ws.store.save_answer(mission.id, app.indicator.id, verdict=verdicts.get(app.number, Verdict.CONFORME),
                                 finding=(notes or {}).get(app.number, ""),
                                 na_justification="Aucune session de plus de 2 jours" if
                                 verdicts.get(app.number) == Verdict.NON_APPLICABLE else "")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("rapports") / "espace"
    root.mkdir()
    _png(root / "logo.png")
    (root / "workbench.yaml").write_text(yaml.safe_dump({"branding": {
        "firm": "Cabinet Qualité Test", "consultant": "Claire Martin", "logo": "logo.png",
        "primary_color": "#123456", "accent_color": "#aa3300"}}, allow_unicode=True), encoding="utf-8")
    ws = Workspace.open(root, actor="consultant-test")
    store = ws.store

    store.create_client(ClientProfile(id=ALPHA, name=ALPHA_NAME, categories=[Category.AF],
                                      conditions=[Condition.CERTIFYING]))
    previous = ws.new_mission(ALPHA, mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2025, 6, 1))
    _answer_all(ws, previous, {8: Verdict.NC_MINEURE, 4: Verdict.NC_MINEURE})
    alpha = ws.new_mission(ALPHA, mission_type=MissionType.AUDIT_BLANC, audit_date=dt.date(2026, 12, 10),
                           referential_id="rnq-2019-v9")
    _answer_all(ws, alpha, ALPHA_VERDICTS, notes={1: SCRIPT_NOTE})
    ref19 = ws.library.get("rnq-2019-v9")
    store.add_evidence(Evidence(mission_id=alpha.id, indicator_id=ref19.indicator(4).id,
                                label="Grille d'analyse <v1>", location="Drive/qualité"))
    store.add_evidence(Evidence(mission_id=alpha.id, indicator_id=ref19.indicator(2).id,
                                label="Indicateurs de résultats 2024", represents_date=dt.date(2024, 9, 1)))

    store.create_client(ClientProfile(
        id=BETA, name=BETA_NAME, categories=[Category.CFA],
        conditions=[Condition.CERTIFYING, Condition.ALTERNANCE, Condition.WORK_PERIODS],
        certification=Certification(certified=True, certificate_date=dt.date(2025, 10, 1),
                                    categories=[Category.CFA], certifier="Certif Test")))
    # Beta's initial audit (1 September 2025) was prepared by a mission that found 12 minor: held
    # since, so 12 still minor at the surveillance audit is a minor not lifted.
    beta_initial = ws.new_mission(BETA, mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2025, 9, 1),
                                  audit_type=AuditType.INITIAL)
    _answer_all(ws, beta_initial, {12: Verdict.NC_MINEURE})
    beta = ws.new_mission(BETA, mission_type=MissionType.PREP_SURVEILLANCE, audit_date=dt.date(2027, 1, 15))
    _answer_all(ws, beta, BETA_VERDICTS)

    results = {client: generate_report(ws, client) for client in (ALPHA, BETA)}
    data = {c: load_mission(ws, c) for c in (ALPHA, BETA)}
    html = {c: results[c].paths["html"].read_text(encoding="utf-8") for c in (ALPHA, BETA)}
    yield {"ws": ws, "results": results, "html": html, "data": data,
           "missions": {ALPHA: alpha, BETA: beta}, "previous": previous}
    ws.close()


def meta(html: str) -> dict[str, str]:
    """<meta name=… content=…> of the page, whatever the attribute order (nbconvert re-serialises)."""
    soup = BeautifulSoup(html, "html.parser")
    out = {}
    for tag in soup.find_all("meta"):
        name = tag.get("name", "")
        if name == "generator" or name.startswith("workbench:"):
            out[name.removeprefix("workbench:")] = tag.get("content")
    return out


def figure(html: str, name: str) -> int:
    match = re.search(rf'data-figure="{name}">(\d+)<', html)
    assert match, name
    return int(match.group(1))


# -- the runs ------------------------------------------------------------------------------


def test_reports_are_written_per_client(built):
    for client, result in built["results"].items():
        out = built["ws"].settings.reports_dir / client
        assert set(result.paths) == {"html", "pdf", "xlsx"}
        for path in result.paths.values():
            assert path.parent == out and path.stat().st_size > 0
        assert result.notebook.exists() and result.notebook.parent == out
        assert result.mission_id == built["missions"][client].id


def test_executed_notebook_records_papermill_parameters(built):
    nb = nbformat.read(built["results"][ALPHA].notebook, as_version=4)
    params = nb.metadata["papermill"]["parameters"]
    assert params["client"] == ALPHA and params["mission"] == built["missions"][ALPHA].id
    assert any("parameters" in c.metadata.get("tags", []) for c in nb.cells)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    # One day and one snapshot for the whole report, given by the run; provenance in the metadata.
    result = built["results"][ALPHA]
    assert params["today"] == dt.date.fromisoformat(result.provenance["generated_at"][:10]).isoformat()
    assert params["input_hash"] == result.provenance["input_hash"]
    assert nb.metadata["workbench"]["provenance"] == result.provenance
    assert "workbench_provenance" not in json.dumps([c.get("outputs", []) for c in nb.cells])


def test_report_context_refuses_data_changed_since_the_run_started(built):
    from workbench.reports.content import load_report_context

    ctx = load_report_context(built["ws"].path, ALPHA, today="2026-11-02",
                              expected_hash=built["results"][ALPHA].provenance["input_hash"])
    assert ctx.data.analysis is not None and ctx.generated_at.tzinfo is not None
    with pytest.raises(RunError, match="ont changé pendant la préparation du rapport"):
        load_report_context(built["ws"].path, ALPHA, expected_hash="0" * 64)


# -- HTML -----------------------------------------------------------------------------------


def test_html_cover_and_branding(built):
    html = built["html"][ALPHA]
    assert "Alpha &amp; Fils &lt;Formation&gt;" in html
    assert ALPHA_NAME not in html  # never raw
    assert "Cabinet Qualité Test" in html and "Claire Martin" in html
    assert 'src="data:image/png;base64,' in html
    assert "--wb-primary: #123456" in html
    assert fr_date_long(dt.date(2026, 12, 10)) == "10 décembre 2026"
    assert "10 décembre 2026" in html
    # No revenue band on the fixture profile: the duration is not guessed.
    assert "Durée estimée de l&#39;audit" in html or "Durée estimée de l'audit" in html
    assert "tranche de chiffre d&#39;affaires à renseigner" in html or "tranche de chiffre d'affaires à renseigner" in html


def test_html_synthese_figures_match_the_answers(built):
    html = built["html"][ALPHA]
    counts = built["data"][ALPHA].analysis.counts
    applicable = len([a for a in built["ws"].applicability(built["missions"][ALPHA].id) if a.applicable])
    assert applicable == 25  # plain AF (22) + certifying 3, 7, 16
    # « applicables » = what the audit will look at: the indicator judged not applicable is apart
    assert figure(html, "applicable") == applicable - 1 == counts.audited
    assert figure(html, "nc_majeure") == 1
    assert figure(html, "nc_mineure") == 2
    assert figure(html, "non_evalue") == 1
    assert figure(html, "non_applicable") == 1
    assert figure(html, "conforme") == applicable - len(ALPHA_VERDICTS) == counts.conforme
    readiness = (applicable - 5) / (applicable - 1)
    expected = f"{readiness * 100:.1f}".replace(".", ",") + "\u00a0%"
    assert fr_percent(readiness) == expected == "83,3\u00a0%"
    assert f'data-figure="readiness">{expected}<' in html
    conformity = fr_percent(counts.conforme / counts.evaluated)
    assert f'data-figure="evaluated_conformity">{conformity}<' in html
    assert "conformes / applicables" in html and "conformes / évalués" in html


def test_html_projection_is_a_projection(built):
    html = built["html"][ALPHA]
    assert "Bloquant : NC majeure à lever sous 3 mois" in html
    assert "ce n'est pas une décision de l'organisme certificateur" in html
    # Alpha prepares its initial audit: 8, a minor in the previous mission too, stays a minor
    # because no certifier audit took place in between.
    assert "requalifiée en NC majeure" not in html
    projection = built["data"][ALPHA].analysis.projection
    assert projection.level_of(8) == Verdict.NC_MINEURE and projection.level_of(4) == Verdict.NC_MAJEURE
    assert "Progrès depuis la mission précédente" in html
    assert built["previous"].id not in html  # no internal id in a client output
    assert "Mission précédente (audit du 01/06/2025)" in html


def test_html_minor_not_lifted_since_a_held_audit_is_requalified(built):
    """Beta's surveillance: 12 was minor before the initial audit held on 1 September 2025."""
    html = built["html"][BETA]
    projection = built["data"][BETA].analysis.projection
    assert projection.level_of(12) == Verdict.NC_MAJEURE
    assert "requalifiée en NC majeure" in html and "01/09/2025" in html
    assert "Bloquant : NC majeure à lever sous 3 mois" in html


def test_html_flags_recent_proof_indicators_without_evidence(built):
    """23-25 are conforme with no evidence recorded: the risk table says so."""
    html = built["html"][ALPHA]
    flagged = {f.status.number for f in built["data"][ALPHA].analysis.risks
               if f.kind.value == "stale_evidence" and f.message.startswith("Aucune preuve datée relevée")}
    assert {23, 24, 25} <= flagged
    assert 30 not in flagged  # not evaluated: flagged as such, not as missing proof
    assert "Aucune preuve datée relevée" in html


def test_html_gaps_with_level_and_evidence_seen(built):
    html = built["html"][ALPHA]
    section = html[html.index('id="ecarts"'):html.index('id="plan"')]
    ref = built["ws"].library.get("rnq-2019-v9")
    for n in (4, 1, 8):
        assert f"Indicateur {n} — {ref.indicator(n).title}" in section
    # 4 major, then the minors 1 and 8 in referential order (initial audit: 8 is not requalified).
    assert section.index("Indicateur 4 —") < section.index("Indicateur 1 —") < section.index("Indicateur 8 —")
    # 30 is not evaluated yet: not a gap, listed under « Reste à évaluer » with its deadline
    assert "Indicateur 30 —" not in section
    remaining = html[html.index('id="reste"'):html.index('id="plan"')]
    assert f"<td>30</td><td>{ref.indicator(30).title}</td>" in remaining
    assert "Grille d'analyse &lt;v1&gt; (Drive/qualité)" in section
    assert "badge-nc_majeure" in section
    assert "Preuves vues :</strong> aucune" in section


def test_user_text_is_escaped(built):
    html = built["html"][ALPHA]
    assert "&lt;script&gt;alert('pirate')&lt;/script&gt; Programme sans délai d'accès" in html
    assert "<script" not in html.lower()
    assert BeautifulSoup(html, "html.parser").find("script") is None


def test_html_action_plan_matches_the_store(built):
    html = built["html"][ALPHA]
    section = html[html.index('id="plan"'):html.index('id="suivi"')]
    actions = built["ws"].store.list_actions(built["missions"][ALPHA].id)
    assert actions
    evaluate = [a for a in actions if a.title.startswith("Évaluer l'indicateur")]
    assert [a.indicator_id for a in evaluate] == ["rnq-2019-v9:ind:30"]
    for action in actions:
        assert (action.title in section) == (action not in evaluate)  # the evaluation is under « Reste à évaluer »
    assert f"{len(actions) - 1} action(s)" in section
    assert section.index("NC majeure") < section.index("NC mineure")
    remaining = html[html.index('id="reste"'):html.index('id="plan"')]
    assert evaluate[0].due_date.strftime("%d/%m/%Y") in remaining


def test_html_strengths_and_annex(built):
    html = built["html"][ALPHA]
    strengths = html[html.index('id="forces"'):]
    assert "Indicateur 5 —" in strengths
    annex = html[html.index('id="annexe"'):]
    ref = built["ws"].library.get("rnq-2019-v9")
    for ind in ref.indicators:
        assert f"<td>{ind.number}</td>" in annex
    assert "Spécifique CFA (apprentissage)" in annex
    assert "Sans objet : pas de sous-traitance ni de portage salarial" in annex
    assert "Aucune session de plus de 2 jours" in annex


def test_ce_qui_change_only_when_the_next_audit_changes_version(built):
    alpha = built["html"][ALPHA]
    assert "Ce qui change pour vous" in alpha
    section = alpha[alpha.index('id="changements"'):alpha.index('id="annexe"')]
    assert "décret n° 2026-728" in section and "V10" not in section
    assert "12 — " in section  # violence and harassment duty applies to this AF provider
    assert "33 — " not in section  # apprenticeship only: not in Alpha's scope
    beta = built["html"][BETA]
    assert "Ce qui change pour vous" not in beta
    assert "Préparation de l'audit de surveillance" in beta
    assert "Préparation de l'audit de surveillance" not in alpha


def test_html_has_no_code_no_script_no_remote_resource(built):
    for html in built["html"].values():
        assert "load_report_context" not in html and "show(ctx" not in html
        assert "jp-InputArea" not in html and "highlight-ipynb" not in html
        assert not EXTERNAL.search(html), EXTERNAL.search(html)
        assert "require.js" not in html and "MathJax" not in html


def test_html_provenance_footer_and_meta(built):
    ws = built["ws"]
    for client, result in built["results"].items():
        html = built["html"][client]
        data = built["data"][client]
        expected = input_hash(data.profile, data.mission, data.answers, data.evidence, data.actions)
        assert result.provenance["input_hash"] == expected
        # the client's file carries no internal id: those stay in the executed notebook
        assert meta(html) == {**{k.replace("_", "-"): result.provenance[k] for k in CLIENT_PROVENANCE},
                              "generator": f"Qualiopi Workbench {__version__}"}
        assert result.provenance["referential"] == data.referential.id
        assert meta(html)["input-hash"] == expected
        assert meta(html)["package-version"] == __version__
        footer = html[html.index('id="provenance"'):]
        assert expected in footer and f"Qualiopi Workbench {__version__}" in footer
        assert data.referential.id not in html and data.mission.id not in html
        assert referential_label(data.referential) in footer
        generated = dt.datetime.fromisoformat(result.provenance["generated_at"])
        assert generated.strftime("%d/%m/%Y") in footer
        scope = result.provenance["applicability_scope"]
        assert scope.startswith(data.profile.scope().describe())
        assert meta(html)["applicability-scope"] == scope
        assert "Périmètre d'applicabilité retenu" in footer and scope in footer
    alpha_scope = built["results"][ALPHA].provenance["applicability_scope"]
    assert "Catégories : AF" in alpha_scope and "pas nouvel entrant" in alpha_scope
    assert "Catégories : CFA" in built["results"][BETA].provenance["applicability_scope"]
    assert built["data"][BETA].referential.id == "rnq-2026"
    assert ws.store.list_actions(built["missions"][BETA].id)


# -- PDF ------------------------------------------------------------------------------------


def outline_marks(reader: PdfReader) -> dict[str, int]:
    """Title → page number of a PDF's bookmarks (the first one of each title)."""
    marks: dict[str, int] = {}

    def walk(items: list) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                marks.setdefault(" ".join(unicodedata.normalize("NFKC", item.title).split()),
                                 reader.get_destination_page_number(item) + 1)

    walk(reader.outline)
    return marks


def test_pdf_is_a4_with_the_report_text(built):
    for client, name in ((ALPHA, ALPHA_NAME), (BETA, BETA_NAME)):
        pdf = built["results"][client].paths["pdf"]
        reader = PdfReader(pdf)
        assert len(reader.pages) >= 4
        for page in reader.pages:
            assert abs(float(page.mediabox.width) - 595.3) < 2 and abs(float(page.mediabox.height) - 841.9) < 2
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        flat = " ".join(text.split())
        assert name in flat
        assert "Synthèse" in flat and "Plan d'actions" in flat and "Annexe" in flat
        assert built["results"][client].provenance["input_hash"][:16] in flat.replace(" ", "")
        # page numbers, running header with the client, a contents table with real page numbers
        pages = [" ".join((p.extract_text() or "").split()) for p in reader.pages]
        total = len(pages)
        for i, page_text in enumerate(pages, start=1):
            assert f"Page {i} / {total}" in page_text
            if i > 1:
                assert name in page_text
        assert "Sommaire" in pages[1]
        toc = dict(re.findall(r"(\d+\. [A-ZÉ][^0-9]+?) (\d+)(?= \d+\. | Page|$)", pages[1]))
        assert "1. Synthèse" in toc and len(toc) >= 6
        for title, number in toc.items():
            assert title in pages[int(number) - 1], (title, number)
        # bookmarks for the reader's side panel: every numbered section, on the page the contents gives
        marks = outline_marks(reader)
        flat = {unicodedata.normalize("NFKC", title): int(n) for title, n in toc.items()}  # « ﬁ » in the text
        assert {title: marks.get(title) for title in flat} == flat
        assert reader.metadata.title == f"Rapport de {built['missions'][client].type.label.lower()} Qualiopi — {name}"
        # no near-empty page: every page but the last carries a real amount of text
        assert all(len(t) > 300 for t in pages[:-1]), [len(t) for t in pages]


# -- Excel ----------------------------------------------------------------------------------


def test_xlsx_rows_are_the_mission_actions(built):
    for client, result in built["results"].items():
        wb = load_workbook(result.paths["xlsx"])
        sheet = wb[PLAN_SHEET]
        actions = built["ws"].store.list_actions(built["missions"][client].id)
        header = [c.value for c in sheet[1]]
        col = {name: header.index(name) for name in ("ID", "Action", "Échéance")}  # layout-independent
        rows = list(sheet.iter_rows(min_row=2, values_only=True))
        assert [r[col["ID"]] for r in rows] == [a.id for a in actions]
        assert [r[col["Action"]] for r in rows] == [a.title for a in actions]
        assert all(isinstance(r[col["Échéance"]], dt.datetime) for r in rows)
        prov = {r[0]: r[1] for r in wb[PROVENANCE_SHEET].iter_rows(min_row=2, values_only=True) if r and r[0]}
        assert prov["Empreinte des données"] == result.provenance["input_hash"]
        props = {p.name: p.value for p in wb.custom_doc_props.props}
        assert props["workbench_input_hash"] == result.provenance["input_hash"]
        assert props["workbench_referential"] == built["data"][client].referential.id
        assert built["data"][client].referential.id not in " ".join(map(str, prov.values()))
        assert prov["Version du logiciel"] == __version__


def test_regenerating_the_report_does_not_duplicate_actions(built):
    ws = built["ws"]
    mission = built["missions"][BETA]
    before = [a.id for a in ws.store.list_actions(mission.id)]
    result = generate_report(ws, BETA, formats=("xlsx",))
    assert result.plan.created == [] and set(result.paths) == {"xlsx"}
    assert [a.id for a in ws.store.list_actions(mission.id)] == before


# -- failures and CLI -----------------------------------------------------------------------


def test_failed_run_keeps_partial_notebook_and_raises_run_error(workspace, tmp_path):
    workspace.store.create_client(ClientProfile(id="organisme-panne", name="Panne", categories=[Category.BC]))
    workspace.new_mission("organisme-panne", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2027, 2, 1))
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nb.cells.insert(5, nbformat.v4.new_code_cell('raise ValueError("panne simulée")'))
    broken = tmp_path / "rapport_casse.ipynb"
    nbformat.write(nb, broken)
    with pytest.raises(RunError) as exc:
        generate_report(workspace, "organisme-panne", notebook=broken)
    err = exc.value
    assert err.client_id == "organisme-panne" and err.notebook == "rapport_casse.ipynb"
    assert err.cell_index is not None and err.cell_index >= 5
    assert "organisme-panne" in err.message and "rapport_casse.ipynb" in err.message
    assert f"cellule {err.cell_index}" in err.message and "panne simulée" in err.message
    partial = nbformat.read(err.output_path, as_version=4)
    outputs = json.dumps([c.get("outputs", []) for c in partial.cells], ensure_ascii=False)
    assert "wb-cover" in outputs  # cells before the failure ran and are kept
    assert not list((workspace.settings.reports_dir / "organisme-panne").glob("*.html"))


def test_cli_report_and_client_id_validation(workspace, workspace_dir):
    workspace.store.create_client(ClientProfile(id="organisme-cli", name="Organisme CLI", categories=[Category.VAE]))
    workspace.new_mission("organisme-cli", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2027, 2, 1))
    res = run_cli("report", "organisme-cli", "--formats", "html,xlsx", workspace=workspace_dir)
    assert res.code == 0, res.err
    out = workspace_dir / "reports" / "organisme-cli"
    assert str(out / "rapport-organisme-cli-m1.html") in res.out
    assert str(out / "plan-actions-organisme-cli-m1.xlsx") in res.out
    assert not list(out.glob("*.pdf"))
    res = run_cli("report", "organisme-cli", "--formats", "odt", workspace=workspace_dir)
    assert res.code == 2 and "format de rapport inconnu" in res.err
    for bad in ("../organisme-cli", "..", "/etc/passwd", "Organisme CLI"):
        res = run_cli("report", bad, workspace=workspace_dir)
        assert res.code == 2 and "identifiant client invalide" in res.err, bad
    assert sorted(p.name for p in (workspace_dir / "reports").iterdir()) == ["organisme-cli"]
