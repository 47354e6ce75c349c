"""The portfolio view: every client of the workspace (or of one consultant) on one page.

``notebooks/portefeuille.ipynb`` calls :func:`load_portfolio` and :func:`show_portfolio`; the batch
runs it after the clients, and :func:`generate_portfolio` (``workbench portfolio``) runs it on its
own. Outputs in ``reports/portefeuille/``: HTML and PDF (A4 landscape) through the report template,
and an Excel workbook whose tables filter by consultant. The view is for the consulting firm, never
for a client: it names every client, but shows no private note, answer text or evidence.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from workbench import __version__
from workbench.core.dates import fr_date, fr_date_long
from workbench.core.errors import UsageError, WorkbenchError
from workbench.core.files import write_atomically
from workbench.core.settings import Branding
from workbench.core.vocab import ActionStatus, Category, Verdict
from workbench.data import notebook
from workbench.domain.opportunity import Support
from workbench.domain.portfolio import (
    ClientGap,
    CycleStep,
    FileReviewTotals,
    GapFrequency,
    PortfolioRow,
    ProspectRow,
    audits_by_month,
    audits_due,
    by_consultant,
    cycle_step,
    days_until,
    file_review,
    file_review_totals,
    filter_consultant,
    frequent_gaps,
    overdue_actions,
    prospects_by_verdict,
)
from workbench.reports.browser import html_to_pdf
from workbench.reports.content import TEMPLATE_DIR, _svg, fr_number, fr_percent, logo_data_uri, next_audit
from workbench.reports.pipeline import (
    NotebookExecutor,
    PdfPrinter,
    _provenance_from,
    notebook_html,
    parse_formats,
    run_notebook,
)
from workbench.services.analysis import load_mission
from workbench.services.lifecycle import alerts_for_portfolio
from workbench.services.opportunity import list_prospects
from workbench.services.sessions import session_review_summary
from workbench.services.workspace import Workspace

NOTEBOOK = notebook("portefeuille.ipynb")
SECTIONS_DIR = TEMPLATE_DIR / "portfolio"
SECTIONS = ("entete", "consultants", "clients", "dossiers", "echeances", "alertes", "ecarts", "prospects",
            "provenance")
OUT_DIR = "_portefeuille"
"""Folder under reports/ (a client id cannot start with an underscore: no clash)."""
NO_CONSULTANT = "(non attribué)"


def _consultant(name: str | None) -> str:
    return (name or "").strip() or NO_CONSULTANT


def prospect_rows(ws: Workspace) -> list[ProspectRow]:
    """The workspace's prospects (``services.opportunity.list_prospects``) with their consultant."""
    consultants = {p.id: p.consultant for p in ws.store.list_clients()}
    return [ProspectRow(p.client_id, p.name, _consultant(consultants.get(p.client_id)), p.verdict, p.verdict_label,
                        p.assessed_on, Support(p.recommended_support).label if p.recommended_support else None,
                        p.revenue_at_stake) for p in list_prospects(ws)]


def portfolio_rows(ws: Workspace, today: dt.date, exclude: frozenset[str] = frozenset()) -> list[PortfolioRow]:
    """One row per client (but those in ``exclude``: the prospects), from its current (latest)
    mission; a client without mission has no scores. Each row carries the client's latest
    session-file review."""
    rows = []
    missions: dict[str, Any] = {}
    for m in ws.store.list_missions():
        missions[m.client_id] = m
    for profile in ws.store.list_clients():
        if profile.id in exclude:
            continue
        consultant = _consultant(profile.consultant)
        mission = missions.get(profile.id)
        cycle = cycle_step(profile.certification, today)
        error = files_error = ""
        files = None
        try:
            files = file_review(session_review_summary(ws, profile.id))
        except WorkbenchError as exc:  # the scores are still shown
            files_error = f"revue des dossiers illisible : {exc.message}"
        if mission is not None:
            try:
                data = load_mission(ws, profile.id, mission.id, today=today)
            except WorkbenchError as exc:  # one broken client is shown as such, never hides the others
                error = f"analyse impossible : {exc.message}"
        if mission is None or error:
            rows.append(PortfolioRow(profile.id, profile.name, consultant, tuple(profile.categories),
                                     mission.id if mission else None, None, None, None, 0, 0, 0, 0,
                                     cycle.deadline, cycle.label, days_until(cycle.deadline, today), cycle,
                                     error=error, files=files, files_error=files_error))
            continue
        counts = data.analysis.counts
        day, label = next_audit(data.mission, data.profile, today)
        gaps = tuple(ClientGap(data.referential.id, s.indicator.id, s.number, s.criterion, s.indicator.title,
                               s.verdict) for s in data.analysis.statuses if s.is_gap)
        open_actions = sum(a.status in (ActionStatus.A_FAIRE, ActionStatus.EN_COURS) for a in data.actions)
        rows.append(PortfolioRow(
            profile.id, profile.name, consultant, tuple(profile.categories), mission.id, data.referential.id,
            counts.readiness, counts.coverage, counts.nc_majeure, counts.nc_mineure,
            overdue_actions(data.actions, today), open_actions, day, label, days_until(day, today), cycle, gaps,
            files=files, files_error=files_error))
    return rows


@dataclass
class PortfolioContext:
    rows: list[PortfolioRow]
    consultant: str | None
    today: dt.date
    branding: Branding
    logo: str | None
    generated_at: dt.datetime
    references: dict[str, str]
    provenance: dict[str, str] = field(default_factory=dict)
    alerts: list[Any] = field(default_factory=list)
    """« À traiter » of the lifecycle calendar (services.lifecycle), most urgent first."""
    alerts_error: str = ""
    prospects: list[ProspectRow] = field(default_factory=list)
    """Prospects (opportunity assessment, no certification work yet): never among ``rows``."""

    @property
    def files(self) -> FileReviewTotals:
        return file_review_totals(self.rows)

    @property
    def prospect_verdicts(self) -> list[tuple[str, int]]:
        return prospects_by_verdict(self.prospects)

    @property
    def due(self) -> list[PortfolioRow]:
        return audits_due(self.rows, self.today)

    def gaps(self, category: Category | None = None) -> list[GapFrequency]:
        return frequent_gaps(self.rows, category)

    @property
    def categories(self) -> list[Category]:
        present = {c for r in self.rows for c in r.categories}
        return [c for c in Category if c in present]


def load_portfolio(workspace: str | Path | None, consultant: str | None = None,
                   today: dt.date | None = None) -> PortfolioContext:
    ws = Workspace.open(workspace, create=False)
    try:
        generated = dt.datetime.now().astimezone()
        today = today or generated.date()
        all_prospects = prospect_rows(ws)
        all_rows = portfolio_rows(ws, today, exclude=frozenset(p.client_id for p in all_prospects))
        rows = filter_consultant(all_rows, consultant)
        prospects = filter_consultant(all_prospects, consultant)
        if consultant and not rows and not prospects:
            known = sorted({r.consultant for r in (*all_rows, *all_prospects)})
            raise UsageError(f"Aucun client pour le consultant « {consultant} » "
                             f"(consultants : {', '.join(known) or 'aucun'}).")
        references = {r.id: f"{r.title} {r.version}" for r in ws.library.versions}
        digest = hashlib.sha256(json.dumps(
            [[r.client_id, r.mission_id, r.readiness, r.nc_major, r.nc_minor, r.overdue, str(r.next_audit),
              repr(r.files)] for r in rows]
            + [[p.client_id, p.verdict, str(p.assessed_on), p.consultant] for p in prospects]).encode()).hexdigest()
        provenance = {"view": "portefeuille", "consultant": consultant or "tous", "clients": str(len(rows)),
                      "prospects": str(len(prospects)), "input_hash": digest, "package_version": __version__,
                      "generated_at": generated.isoformat(timespec="seconds")}
        ctx = PortfolioContext(rows, consultant, today, ws.settings.branding, logo_data_uri(ws), generated,
                               references, provenance, prospects=prospects)
        try:
            ctx.alerts = alerts_for_portfolio(ws, today, consultant=consultant)
        except WorkbenchError as exc:  # the view still shows everything else
            ctx.alerts_error = exc.message
        return ctx
    finally:
        ws.close()


# -- charts ----------------------------------------------------------------------------------


def _plt() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def chart_readiness(rows: Sequence[PortfolioRow]) -> str:
    """Readiness per client, lowest first, with the open major NCs written beside each bar."""
    plt = _plt()
    scored = sorted((r for r in rows if r.readiness is not None), key=lambda r: (r.readiness, r.client_id))
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 8}):
        fig, ax = plt.subplots(figsize=(9.5, max(1.6, 0.28 * len(scored) + 0.8)))
        values = [r.readiness * 100 for r in scored]
        colors = ["#c62828" if r.nc_major else "#f2a900" if r.nc_minor else "#2e7d32" for r in scored]
        bars = ax.barh([r.name for r in scored], values, color=colors, edgecolor="#333333", linewidth=0.4)
        for bar, r in zip(bars, scored, strict=True):
            note = f"{fr_percent(r.readiness, 0)}" + (f" — {r.nc_major} NC maj." if r.nc_major else "")
            ax.text(bar.get_width() + 1, bar.get_y() + bar.get_height() / 2, note, va="center", fontsize=7)
        ax.set_xlim(0, 115)
        ax.set_xlabel("Préparation (% des indicateurs audités jugés conformes)")
        ax.spines[["top", "right"]].set_visible(False)
        svg = _svg(fig)
        plt.close(fig)
    return svg


def chart_audits(months: Sequence[tuple[dt.date, int]]) -> str:
    plt = _plt()
    import matplotlib

    names = ["janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."]
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 8}):
        fig, ax = plt.subplots(figsize=(9.5, 2.2))
        labels = [f"{names[d.month - 1]} {d:%y}" for d, _ in months]
        bars = ax.bar(labels, [n for _, n in months], color="#1f4e79")
        for bar, (_, n) in zip(bars, months, strict=True):
            if n:
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_height(), str(n), ha="center", va="bottom")
        ax.set_ylabel("Audits")
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
        svg = _svg(fig)
        plt.close(fig)
    return svg


def chart_gaps(gaps: Sequence[GapFrequency], references: dict[str, str]) -> str:
    plt = _plt()
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 8, "hatch.linewidth": 0.6}):
        fig, ax = plt.subplots(figsize=(9.5, max(1.6, 0.32 * len(gaps) + 0.8)))
        labels = [f"Ind. {g.number} ({g.referential_id}) — {g.title[:60]}" for g in gaps]
        left = [0] * len(gaps)
        for attr, color, hatch, label in (("majors", "#c62828", "xx", "NC majeure"),
                                          ("minors", "#f2a900", "//", "NC mineure"),
                                          ("unevaluated", "#9e9e9e", "..", "Non évalué")):
            values = [getattr(g, attr) for g in gaps]
            ax.barh(labels, values, left=left, color=color, hatch=hatch, edgecolor="#333333", linewidth=0.4,
                    label=label)
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.invert_yaxis()
        ax.set_xlabel("Nombre de clients")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.25), frameon=False, fontsize=7)
        svg = _svg(fig)
        plt.close(fig)
    return svg


# -- rendering -------------------------------------------------------------------------------


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(SECTIONS_DIR)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fr_date=fr_date, fr_date_long=fr_date_long, fr_number=fr_number, fr_percent=fr_percent)
    env.globals.update(Verdict=Verdict)
    return env


def render_portfolio_section(ctx: PortfolioContext, name: str) -> str:
    if name not in SECTIONS:
        raise KeyError(f"section inconnue : {name!r} (sections : {', '.join(SECTIONS)})")
    extra: dict[str, Any] = {}
    if name == "clients" and any(r.readiness is not None for r in ctx.rows):
        extra["chart"] = chart_readiness(ctx.rows)
    if name == "echeances":
        extra["chart"] = chart_audits(audits_by_month(ctx.rows, ctx.today))
    if name == "ecarts":
        top = ctx.gaps()
        extra["chart"] = chart_gaps(top, ctx.references) if top else ""
        extra["consultants"] = by_consultant(ctx.rows, ctx.today)
    if name == "consultants":
        extra["consultants"] = by_consultant(ctx.rows, ctx.today)
    return _env().get_template(f"{name}.html.j2").render(ctx=ctx, rows=ctx.rows, **extra)


def show_portfolio(ctx: PortfolioContext, name: str) -> None:
    from IPython.display import HTML, display

    metadata = {"workbench_provenance": ctx.provenance} if name == "provenance" else {}
    display(HTML(render_portfolio_section(ctx, name)), metadata=metadata)


# -- Excel -----------------------------------------------------------------------------------


def _cycle_text(c: CycleStep) -> str:
    if c.kind == "surveillance" and c.start and c.deadline:
        return f"Surveillance du {fr_date(c.start)} au {fr_date(c.deadline)}"
    if c.kind == "renouvellement" and c.deadline:
        return f"Renouvellement au plus tard le {fr_date(c.deadline)} (estimation)"
    return c.label


def export_portfolio_xlsx(path: Path, ctx: PortfolioContext) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.table import Table, TableStyleInfo

    wb = Workbook()
    color = ctx.branding.primary_color.lstrip("#").upper()

    def sheet(ws: Any, title: str, headers: list[str], rows: list[list[Any]], widths: list[int]) -> None:
        ws.title = title
        ws.append(headers)
        for row in rows:
            ws.append([("'" + v if isinstance(v, str) and v.startswith(("=", "+", "-", "@")) else v) for v in row])
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        for cell in ws[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor=color)
        ws.freeze_panes = "A2"
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, dt.date):
                    cell.number_format = "DD/MM/YYYY"
                elif isinstance(cell.value, float):
                    cell.number_format = "0%"
        if rows:
            ref = f"A1:{get_column_letter(len(headers))}{len(rows) + 1}"
            table = Table(displayName="".join(ch for ch in title if ch.isalnum()), ref=ref)
            table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
            ws.add_table(table)

    sheet(wb.active, "Portefeuille",
          ["Client", "Raison sociale", "Consultant", "Mission", "Préparation", "NC majeures", "NC mineures",
           "Actions en retard", "Actions ouvertes", "Prochain audit", "Type", "Jours restants",
           "Cycle de certification", "Échéance du cycle", "Jours avant l'échéance"],
          [[r.client_id, r.name, r.consultant, r.mission_id or "", r.readiness, r.nc_major, r.nc_minor, r.overdue,
            r.open_actions, r.next_audit, r.next_audit_type, r.next_audit_days, _cycle_text(r.cycle),
            r.cycle.deadline, r.cycle.days_left] for r in ctx.rows],
          [24, 32, 20, 26, 12, 12, 12, 14, 14, 14, 22, 14, 44, 16, 16])
    sheet(wb.create_sheet(), "Revue des dossiers",
          ["Client", "Raison sociale", "Consultant", "Mission revue", "Sessions", "Échantillon", "Revus",
           "Complets", "Incomplets", "Pièces manquantes", "Revue", "Date de la revue"],
          [[r.client_id, r.name, r.consultant, r.files.mission_id, r.files.sessions, r.files.sampled,
            r.files.reviewed, r.files.complete, r.files.incomplete, r.files.missing_items,
            "terminée" if r.files.finished else "en cours", r.files.last_review] if r.files else
           [r.client_id, r.name, r.consultant, None, None, None, None, None, None, None,
            r.files_error or "aucun échantillon", None] for r in ctx.rows],
          [24, 32, 20, 26, 10, 12, 10, 10, 11, 18, 22, 16])
    sheet(wb.create_sheet(), "Audits à 90 jours",
          ["Date", "Client", "Raison sociale", "Consultant", "Type", "Jours restants", "Préparation", "NC majeures"],
          [[r.next_audit, r.client_id, r.name, r.consultant, r.next_audit_type, r.next_audit_days, r.readiness,
            r.nc_major] for r in ctx.due],
          [14, 24, 32, 20, 22, 14, 12, 12])
    gap_rows = []
    for cat in (None, *ctx.categories):
        for g in ctx.gaps(cat):
            gap_rows.append([cat.label if cat else "Tous les clients", ctx.references.get(g.referential_id,
                             g.referential_id), g.number, g.criterion, g.title, g.clients, g.majors, g.minors,
                             g.unevaluated, g.share])
    sheet(wb.create_sheet(), "Écarts fréquents",
          ["Périmètre", "Référentiel", "Indicateur", "Critère", "Intitulé", "Clients", "NC majeures",
           "NC mineures", "Non évalués", "Part des clients"], gap_rows, [26, 26, 11, 9, 60, 9, 12, 12, 12, 14])
    sheet(wb.create_sheet(), "À traiter", ["Urgence", "Client", "Consultant", "Type", "Objet", "Détail", "Date"],
          [[{1: "à traiter", 2: "bientôt", 3: "à planifier"}.get(a.severity, str(a.severity)), a.client_name,
            a.consultant or "", a.kind.label, a.title, a.detail, a.date] for a in ctx.alerts],
          [12, 30, 20, 22, 44, 60, 12])
    sheet(wb.create_sheet(), "Prospects",
          ["Prospect", "Raison sociale", "Consultant", "Dernier verdict", "Évalué le",
           "Chiffre d'affaires en jeu (€/an)", "Accompagnement recommandé"],
          [[p.client_id, p.name, p.consultant, p.verdict_label or "non évalué", p.assessed_on, p.revenue_at_stake,
            p.support_label or ""] for p in ctx.prospects],
          [26, 34, 20, 22, 12, 16, 60])
    sheet(wb.create_sheet(), "Provenance", ["Clé", "Valeur"], [[k, v] for k, v in ctx.provenance.items()], [20, 70])
    wb.properties.creator = f"Qualiopi Workbench {__version__}"
    wb.properties.title = "Portefeuille Qualiopi"
    write_atomically(path, lambda tmp: wb.save(tmp), overwrite=True)
    return path


# -- generation ------------------------------------------------------------------------------


@dataclass
class PortfolioResult:
    paths: dict[str, Path]
    notebook: Path
    provenance: dict[str, str]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def output_base(consultant: str | None) -> str:
    if not consultant:
        return "portefeuille"
    slug = "".join(ch if ch.isalnum() else "-" for ch in consultant.strip().lower()).strip("-")
    return f"portefeuille-{slug or 'consultant'}-{hashlib.sha256(consultant.encode()).hexdigest()[:6]}"


def generate_portfolio(ws: Workspace, formats: Sequence[str] = ("html", "pdf", "xlsx"), *,
                       consultant: str | None = None, today: dt.date | None = None,
                       executor: NotebookExecutor | None = None,
                       pdf_printer: PdfPrinter | None = None) -> PortfolioResult:
    """Run ``portefeuille.ipynb`` and export it (HTML, PDF, Excel) to ``reports/portefeuille/``."""
    started = time.perf_counter()
    wanted = parse_formats(formats)
    if consultant:
        known = sorted({_consultant(p.consultant) for p in ws.store.list_clients()})
        if consultant.strip().casefold() not in {k.casefold() for k in known}:
            raise UsageError(f"aucun client pour le consultant « {consultant} » (consultants : "
                             f"{', '.join(known) or 'aucun'}).")
    out_dir = ws.settings.reports_dir / OUT_DIR
    out_dir.mkdir(parents=True, exist_ok=True)
    base = output_base(consultant)
    executed = out_dir / f"{base}.ipynb"
    timings: dict[str, float] = {}
    t = time.perf_counter()
    (executor or run_notebook)(NOTEBOOK, executed, {"workspace": str(ws.path), "consultant": consultant or "",
                                                    "today": (today or dt.date.today()).isoformat()},
                               client_id=OUT_DIR)
    timings["notebook"] = time.perf_counter() - t
    provenance = _provenance_from(executed)
    paths: dict[str, Path] = {}
    html_text = ""
    if {"html", "pdf"} & set(wanted):
        title = "Portefeuille Qualiopi" + (f" — {consultant}" if consultant else "")
        html_text = notebook_html(executed, title=title, settings=ws.settings, provenance=provenance)
    html = out_dir / f"{base}.html"
    if "html" in wanted:
        write_atomically(html, lambda tmp: tmp.write_text(html_text, encoding="utf-8"), overwrite=True)
        paths["html"] = html
    if "pdf" in wanted:
        t = time.perf_counter()
        source = html
        if "html" not in wanted:
            source = out_dir / f".{base}.tmp.html"
            source.write_text(html_text, encoding="utf-8")
        try:
            printer = pdf_printer or functools.partial(html_to_pdf, settings=ws.settings)
            paths["pdf"] = printer(source, out_dir / f"{base}.pdf", client_id=OUT_DIR)
        finally:
            if source != html:
                source.unlink(missing_ok=True)
        timings["pdf"] = time.perf_counter() - t
    if "xlsx" in wanted:
        ctx = load_portfolio(ws.path, consultant, today)
        ctx.provenance = provenance or ctx.provenance
        paths["xlsx"] = export_portfolio_xlsx(out_dir / f"{base}.xlsx", ctx)
    return PortfolioResult(paths, executed, provenance, time.perf_counter() - started, timings)
