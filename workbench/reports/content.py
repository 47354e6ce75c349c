"""Content of the client report: data gathered for one mission and HTML fragments per section.

The report notebook (``notebooks/rapport_client.ipynb``) only calls :func:`load_report_context`
and :func:`show`; the fragments are Jinja templates of ``report_template/sections`` rendered with
autoescaping, so any text typed by a user (notes, evidence labels, comments) is shown as text.
Formatting helpers (French dates and numbers) are plain functions, also used as Jinja filters.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from workbench import __version__
from workbench.core.dates import add_months, fr_date, fr_date_long
from workbench.core.errors import ReferentialError, RunError, UsageError
from workbench.core.logo import logo_data_uri as checked_logo_uri
from workbench.core.settings import Branding
from workbench.core.vocab import AuditType, Verdict
from workbench.domain.audit_cycle import audit_duration
from workbench.domain.deliverable import ReportTexts, SentVersion, Signature
from workbench.domain.gaps import (
    CONFORMITY_HELP,
    CONFORMITY_LABEL,
    PROJECTION_DISCLAIMER,
    READINESS_HELP,
    READINESS_LABEL,
    Counts,
    GapAnalysis,
    IndicatorStatus,
    RiskKind,
)
from workbench.domain.plan import PRIORITY_LABELS, propose_actions
from workbench.domain.plan import STATE_KEY as PLAN_STATE_KEY
from workbench.domain.profile import ClientProfile
from workbench.domain.records import Action, Answer, Evidence, Mission
from workbench.referential.diff import VersionDiff, diff_for_scope
from workbench.referential.library import Referential
from workbench.reports.lifecycle_context import lifecycle_extra
from workbench.reports.report_views import changes_view, surveillance_view
from workbench.reports.session_report import session_review_context, session_review_hash
from workbench.reports.wording import PROVISIONAL_NOTE, client_text, referential_label
from workbench.services.analysis import MissionData, load_mission
from workbench.services.planning import CLOSED
from workbench.services.workspace import Workspace
from workbench.store.report_texts import get_report_texts, sent_versions

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
SECTIONS_DIR = TEMPLATE_DIR / "sections"
NBSP = "\u00a0"


VERDICT_COLORS = {
    Verdict.CONFORME: "#2e7d32",
    Verdict.NC_MINEURE: "#f2a900",
    Verdict.NC_MAJEURE: "#c62828",
    Verdict.NON_EVALUE: "#9e9e9e",
}
# Line hatches only: the dots once used for « non évalué » drew a 67 KB SVG pattern, slow to print.
VERDICT_HATCH = {Verdict.CONFORME: "", Verdict.NC_MINEURE: "//", Verdict.NC_MAJEURE: "xx", Verdict.NON_EVALUE: "||"}


# -- French formatting ----------------------------------------------------------------------


def fr_number(value: float | int | None, decimals: int = 1) -> str:
    """1 234,5 — thin groups with a non-breaking space, decimal comma, trailing ,0 dropped."""
    if value is None:
        return "—"
    text = f"{value:,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    if decimals and text.endswith("," + "0" * decimals):
        text = text[: -(decimals + 1)]
    return text


def fr_percent(ratio: float | None, decimals: int = 1) -> str:
    """0.855 → 85,5 %."""
    if ratio is None:
        return "—"
    return f"{fr_number(ratio * 100, decimals)}{NBSP}%"


# -- provenance -----------------------------------------------------------------------------


def input_hash(profile: ClientProfile, mission: Mission, answers: dict[str, Answer],
               evidence: tuple[Evidence, ...] | list[Evidence], actions: tuple[Action, ...] | list[Action]) -> str:
    """SHA-256 of the report's inputs (content only: timestamps and authors are left out)."""
    payload = {
        "profile": profile.model_dump(mode="json"),
        "mission": {"id": mission.id, "referential": mission.referential_id,
                    "audit_date": mission.audit_date.isoformat(), "audit_type": mission.audit_type.value,
                    "type": mission.type.value},
        "answers": [a.model_dump(mode="json", include=set(Answer.ANSWER_FIELDS) | {"indicator_id"})
                    for _, a in sorted(answers.items())],
        "evidence": sorted((e.model_dump(mode="json", include={"indicator_id", "label", "location",
                                                                "represents_date", "owner"})
                            for e in evidence), key=lambda d: json.dumps(d, sort_keys=True)),
        "actions": [a.model_dump(mode="json", include=set(Action.EDITABLE) | {"id", "indicator_id"})
                    for a in sorted(actions, key=lambda a: a.id or 0)],
    }
    canonical = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def applicability_scope(profile: ClientProfile) -> str:
    """The client's scope used for applicability, in French, new-entrant status always stated.

    Applicability depends on categories, conditions and new-entrant status: a later profile change
    changes it, so the report records the scope it was computed with.
    """
    text = profile.scope().describe()
    if not profile.is_new_entrant:
        text += " — pas nouvel entrant"
    return text


# -- next audit and what changes ------------------------------------------------------------


def next_audit(mission: Mission, profile: ClientProfile, today: dt.date) -> tuple[dt.date, str]:
    """The client's next audit: the mission's if still ahead, else the one its certificate calls for."""
    if mission.audit_date >= today:
        return mission.audit_date, mission.audit_type.label
    cert = profile.certification
    if cert.certified and cert.certificate_date:
        window = cert.surveillance_window()
        if window and window[1] >= today:
            return max(window[0], today), AuditType.SURVEILLANCE.label
        expiry = cert.expiry()
        if expiry:
            renewal = add_months(expiry, -3)
            while renewal < today:
                renewal = add_months(renewal, 36)
            return renewal, AuditType.RENOUVELLEMENT.label
    return mission.audit_date, mission.audit_type.label


@dataclass(frozen=True)
class Changes:
    next_date: dt.date
    next_label: str
    target: Referential
    diff: VersionDiff


def changes_for(ws: Workspace, data: MissionData, today: dt.date) -> Changes | None:
    day, label = next_audit(data.mission, data.profile, today)
    try:
        target = ws.library.for_date(day)
    except ReferentialError:
        return None
    if target.id == data.referential.id:
        return None
    old, new = sorted((data.referential, target), key=lambda r: r.effective_from)
    return Changes(day, label, target, diff_for_scope(old, new, data.profile.scope()))


# -- charts ----------------------------------------------------------------------------------


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    return svg


def _png(fig: Any) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight", metadata={"Software": None})
    return buf.getvalue()


def chart_by_criterion(by_criterion: dict[int, Counts], titles: dict[int, str], fmt: str = "svg") -> Any:
    """SVG text (``fmt="svg"``) or PNG bytes (``fmt="png"``, for Word)."""
    """Stacked horizontal bars per criterion; colours plus hatches so it reads in black and white."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 9, "hatch.linewidth": 0.6}):
        fig, ax = plt.subplots(figsize=(7.2, 3.6))
        labels = [f"C{n} — {titles[n]}" for n in by_criterion]
        left = [0] * len(labels)
        for verdict in (Verdict.CONFORME, Verdict.NC_MINEURE, Verdict.NC_MAJEURE, Verdict.NON_EVALUE):
            values = [getattr(c, verdict.value) for c in by_criterion.values()]
            bars = ax.barh(labels, values, left=left, color=VERDICT_COLORS[verdict], hatch=VERDICT_HATCH[verdict],
                           edgecolor="#333333", linewidth=0.5, label=verdict.label)
            for bar, v in zip(bars, values, strict=True):
                if v:
                    ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2, str(v),
                            ha="center", va="center", fontsize=8, color="black",
                            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
            left = [a + b for a, b in zip(left, values, strict=True)]
        ax.invert_yaxis()
        ax.set_xlabel("Nombre d'indicateurs applicables")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False, fontsize=8)
        out = _svg(fig) if fmt == "svg" else _png(fig)
        plt.close(fig)
    return out


def chart_overall(counts: Counts, fmt: str = "svg") -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    parts = [(v, getattr(counts, v.value)) for v in
             (Verdict.CONFORME, Verdict.NC_MINEURE, Verdict.NC_MAJEURE, Verdict.NON_EVALUE)]
    parts = [(v, n) for v, n in parts if n]
    with matplotlib.rc_context({"svg.fonttype": "none", "font.size": 9, "hatch.linewidth": 0.6}):
        fig, ax = plt.subplots(figsize=(3.4, 3.0))
        if parts:
            wedges, _ = ax.pie([n for _, n in parts], colors=[VERDICT_COLORS[v] for v, _ in parts],
                               startangle=90, counterclock=False,
                               wedgeprops={"width": 0.38, "edgecolor": "white", "linewidth": 1})
            for w, (v, _) in zip(wedges, parts, strict=True):
                w.set_hatch(VERDICT_HATCH[v])
            ax.legend(wedges, [f"{v.label} : {n}" for v, n in parts], loc="upper center",
                      bbox_to_anchor=(0.5, 0.02), frameon=False, fontsize=8, ncol=2)
        ax.text(0, 0, fr_percent(counts.readiness, 0), ha="center", va="center", fontsize=15, weight="bold")
        ax.set_aspect("equal")
        out = _svg(fig) if fmt == "svg" else _png(fig)
        plt.close(fig)
    return out


# -- context and rendering -------------------------------------------------------------------


def css_string(text: str) -> Markup:
    """A CSS string literal for the running header: every character that could end the string or
    the ``<style>`` element (quotes, backslash, ``<``, ``>``, ``&``, line breaks) is escaped."""
    escaped = re.sub(r"""["'\\<>&\n\r]""", lambda m: "\\" + format(ord(m.group()), "x") + " ", text)
    return Markup(f'"{escaped}"')


def logo_data_uri(ws: Workspace) -> str | None:
    """The branding logo inlined as a data URI (the report must work offline); a bad logo is refused."""
    return checked_logo_uri(ws.settings)


@dataclass(frozen=True)
class PlanRow:
    """One action of the report's plan; ``obsolete`` when its gap has gone since it was planned."""

    action: Action
    number: int | None
    obsolete: bool


@dataclass(frozen=True)
class RemainingRow:
    status: IndicatorStatus
    due_date: dt.date | None
    """When the plan asks for it to be assessed."""


@dataclass(frozen=True)
class VigilanceRow:
    """All the vigilance points of one indicator, in one row."""

    number: int
    title: str
    kinds: tuple[str, ...]
    details: tuple[str, ...]


SECTION_TITLES = {
    "synthese": "Synthèse",
    "visite": "Déroulement de la visite",
    "criteres": "Résultats par critère",
    "ecarts": "Écarts relevés",
    "reste": "Reste à évaluer",
    "plan": "Plan d'actions",
    "suivi": "Faire vivre la certification",
    "forces": "Points forts",
    "changements": "Ce qui change pour vous",
    "surveillance": "Préparation de l'audit de surveillance",
    "dossiers": "Revue des dossiers",
    "annexe": "Annexe — applicabilité des indicateurs",
    "conclusion": "Conclusion",
}
"""Numbered sections of the report, in order (the table of contents lists those present)."""


def plan_rows(data: MissionData, generated: dict[str, int], today: dt.date) -> tuple[list[PlanRow], dict[str, dt.date]]:
    """The report's plan and the due dates of the « evaluate » actions (shown under « Reste à évaluer »).

    Actions that only ask to assess an indicator are not repeated in the plan; an open generated
    action whose gap is no longer proposed (indicator since found conforme…) is flagged obsolete.
    """
    proposals = propose_actions(data.analysis, data.remediation, data.referential.id, today=today)
    proposed = {p.key for p in proposals}
    key_of = {int(v): k for k, v in generated.items()}
    numbers = {i.id: i.number for i in data.referential.indicators}
    rows: list[PlanRow] = []
    evaluate_due: dict[str, dt.date] = {}
    for act in data.actions:
        key = key_of.get(act.id or -1, "")
        if ":evaluate:" in key:
            if act.due_date and act.status not in CLOSED:
                evaluate_due[act.indicator_id] = act.due_date
            continue
        obsolete = bool(key) and key not in proposed and act.status not in CLOSED
        rows.append(PlanRow(act, numbers.get(act.indicator_id), obsolete))
    return rows, evaluate_due


def vigilance_rows(analysis: GapAnalysis) -> list[VigilanceRow]:
    """One row per indicator; « not evaluated » is left to the « Reste à évaluer » section."""
    grouped: dict[int, tuple[IndicatorStatus, list[str], list[str]]] = {}
    for flag in analysis.risks:
        if flag.kind == RiskKind.NOT_EVALUATED:
            continue
        s, kinds, details = grouped.setdefault(flag.status.number, (flag.status, [], []))
        if flag.kind.label not in kinds:
            kinds.append(flag.kind.label)
        text = client_text(flag.message)
        if text not in details:
            details.append(text)
    return [VigilanceRow(n, s.indicator.title, tuple(k), tuple(d)) for n, (s, k, d) in sorted(grouped.items())]


@dataclass
class ReportContext:
    ws: Workspace
    data: MissionData
    branding: Branding
    logo: str | None
    changes: Changes | None
    generated_at: dt.datetime
    provenance: dict[str, str] = field(default_factory=dict)
    today: dt.date | None = None
    """The report's day (due dates, projection, next audit); the generation day when not given."""
    texts: ReportTexts = field(default_factory=ReportTexts)
    version: int = 0
    """Number of the version sent (``workbench report --final``); 0 for a working document."""
    previous_versions: tuple[SentVersion, ...] = ()
    plan: tuple[PlanRow, ...] = ()
    remaining: tuple[RemainingRow, ...] = ()
    vigilance: tuple[VigilanceRow, ...] = ()
    default_identity: bool = False
    session_review: dict[str, Any] = field(default_factory=dict)
    """Context of the « Revue des dossiers » section (``review`` is None when no sample was drawn)."""

    @property
    def analysis(self):  # noqa: ANN201 - shortcut for templates
        return self.data.analysis

    @property
    def draft(self) -> bool:
        return self.version == 0

    @property
    def title(self) -> str:
        return f"Rapport de {self.data.mission.type.label.lower()} Qualiopi — {self.data.profile.name}"

    @property
    def version_label(self) -> str:
        day = fr_date(self.generated_at)
        if self.draft:
            return f"Document de travail du {day} (non envoyé)"
        return f"Version {self.version} du {day}"

    @property
    def referential_label(self) -> str:
        return referential_label(self.data.referential)

    @property
    def provisional_note(self) -> str | None:
        return PROVISIONAL_NOTE if self.data.referential.status.value == "provisional" else None

    @property
    def nc_gaps(self) -> list[IndicatorStatus]:
        return [s for s in self.analysis.gaps if s.verdict != Verdict.NON_EVALUE]

    @property
    def signature(self) -> Signature:
        sig = self.texts.signature
        if sig.empty:
            return Signature(name=self.branding.consultant or self.data.profile.consultant or "", role=sig.role,
                             place=sig.place)
        return sig

    def present(self, name: str) -> bool:
        """Whether a numbered section has something to show for this mission."""
        if name == "visite":
            return not self.texts.visit.empty
        if name == "reste":
            return bool(self.remaining)
        if name == "changements":
            return self.changes is not None
        if name == "surveillance":
            return self.data.mission.audit_type == AuditType.SURVEILLANCE
        if name == "dossiers":
            review = self.session_review.get("review")
            return review is not None and bool(review.results)
        return True

    @property
    def toc(self) -> list[tuple[str, str]]:
        """(anchor, numbered title) of the sections present, in order."""
        names = [n for n in SECTION_TITLES if self.present(n)]
        return [(n, f"{i}. {SECTION_TITLES[n]}") for i, n in enumerate(names, start=1)]

    def heading(self, name: str) -> str:
        return dict(self.toc).get(name, SECTION_TITLES[name])

    def section_view(self, name: str) -> dict[str, Any] | None:
        """Rows and sentences of a section that the HTML and the Word report both print; None when
        the section is absent (:meth:`present`), so that both leave it out."""
        if not self.present(name):
            return None
        if name == "suivi":
            return lifecycle_extra(self.ws, self.data.mission.client_id, self.today or self.generated_at.date(),
                                   milestones_only=True)["view"]
        if name == "changements":
            return changes_view(self.changes, self.data.referential, self.analysis)
        if name == "surveillance":
            return surveillance_view(self.analysis)
        if name == "dossiers":
            return self.session_review.get("view")
        raise KeyError(f"section sans vue partagée : {name!r}")


def provenance_for(ws: Workspace, data: MissionData, generated: dt.datetime, version: int = 0) -> dict[str, str]:
    """What a report records about its inputs (in the executed notebook's metadata, the HTML and the
    workbook)."""
    ref = data.referential
    return {
        "client": data.mission.client_id,
        "mission": data.mission.id,
        "referential": ref.id,
        "referential_version": ref.version,
        "referential_status": ref.status.value,
        "applicability_scope": applicability_scope(data.profile),
        "input_hash": input_hash(data.profile, data.mission, data.answers, data.evidence, data.actions),
        "session_review_hash": session_review_hash(ws, data.mission),
        "package_version": __version__,
        "generated_at": generated.isoformat(timespec="seconds"),
        "report_version": str(version),
    }


def parse_day(value: str | dt.date | None, what: str) -> dt.date | None:
    if value is None or value == "" or isinstance(value, dt.date):
        return value or None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{what} invalide : « {value} » (format attendu : AAAA-MM-JJ).") from None


def load_report_context(workspace: Workspace | str | Path | None, client: str, mission: str | None = None,
                        today: str | dt.date | None = None, version: int = 0, *, generated_at: str | None = None,
                        expected_hash: str | None = None) -> ReportContext:
    """Everything a report shows, read once. The notebook receives ``today``, ``version``,
    ``generated_at`` and the ``expected_hash`` of the data from
    :func:`workbench.reports.pipeline.generate_report`, so its due dates, projection and provenance
    are those of the run; data changed in between is refused. An open :class:`Workspace` is used as
    is (no second connection)."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    generated = dt.datetime.fromisoformat(generated_at) if generated_at else dt.datetime.now().astimezone()
    day = parse_day(today, "date de référence") or generated.date()
    data = load_mission(ws, client, mission or None, today=day)
    provenance = provenance_for(ws, data, generated, version)
    if expected_hash and provenance["input_hash"] != expected_hash:
        raise RunError(
            f"Les données de la mission {data.mission.id} ont changé pendant la préparation du rapport ; "
            "relancez la commande.", client_id=client)
    return report_context(ws, data, generated, day, version, provenance)


def report_context(ws: Workspace, data: MissionData, generated: dt.datetime, day: dt.date, version: int = 0,
                   provenance: dict[str, str] | None = None) -> ReportContext:
    """The report's context from a mission already loaded (the notebook, and the Word export of
    :func:`workbench.reports.pipeline.generate_report`, which reuses the run's load)."""
    changes = changes_for(ws, data, day)
    generated_keys = ws.store.get_state(data.mission.id, PLAN_STATE_KEY, {}) or {}
    plan, evaluate_due = plan_rows(data, generated_keys, day)
    remaining = tuple(RemainingRow(s, evaluate_due.get(s.indicator.id)) for s in data.analysis.gaps
                      if s.verdict == Verdict.NON_EVALUE)
    return ReportContext(
        ws, data, ws.settings.branding, logo_data_uri(ws), changes, generated,
        provenance if provenance is not None else provenance_for(ws, data, generated, version), day,
        texts=get_report_texts(ws.store, data.mission.id), version=version,
        previous_versions=tuple(v for v in sent_versions(ws.store, data.mission.id) if v.version != version),
        plan=tuple(plan), remaining=remaining, vigilance=tuple(vigilance_rows(data.analysis)),
        default_identity=ws.settings.branding == Branding(),
        session_review=session_review_context(ws, data.mission),
    )


@functools.lru_cache(maxsize=1)
def _env() -> Environment:
    """The sections' environment, made once per process: it keeps its compiled templates (building
    one per section recompiled every template, about 0.2 s per report)."""
    env = Environment(loader=FileSystemLoader(str(SECTIONS_DIR)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fr_date=fr_date, fr_date_long=fr_date_long, fr_number=fr_number, fr_percent=fr_percent,
                       client_text=client_text, css_string=css_string)
    env.globals.update(Verdict=Verdict, AuditType=AuditType, disclaimer=PROJECTION_DISCLAIMER,
                       readiness_label=READINESS_LABEL, readiness_help=READINESS_HELP,
                       conformity_label=CONFORMITY_LABEL, conformity_help=CONFORMITY_HELP,
                       priority_labels=PRIORITY_LABELS, provisional_note=PROVISIONAL_NOTE,
                       audit_duration=audit_duration,
                       verdict_colors={v.value: c for v, c in VERDICT_COLORS.items()})
    return env


SECTIONS = ("cover", "sommaire", "synthese", "visite", "criteres", "ecarts", "reste", "plan", "suivi", "forces",
            "changements", "surveillance", "dossiers", "annexe", "conclusion", "provenance")


def render_section(ctx: ReportContext, name: str) -> str:
    if name not in SECTIONS:
        raise KeyError(f"section de rapport inconnue : {name!r} (sections : {', '.join(SECTIONS)})")
    data = ctx.data
    extra: dict[str, Any] = {}
    if name == "criteres":
        titles = {c.number: c.short_title for c in data.referential.criteria}
        extra["chart"] = chart_by_criterion(data.analysis.by_criterion, titles)
        extra["titles"] = {c.number: c.title for c in data.referential.criteria}
    if name == "synthese":
        extra["chart"] = chart_overall(data.analysis.counts)
    if name == "plan":
        numbers = {i.id: i.number for i in data.referential.indicators}
        extra["numbers"] = numbers
    if name in ("suivi", "changements", "surveillance"):
        extra["view"] = ctx.section_view(name)
    if name == "dossiers":
        extra.update(ctx.session_review)
    template = _env().get_template(f"{name}.html.j2")
    return template.render(ctx=ctx, data=data, a=data.analysis, mission=data.mission, profile=data.profile,
                           ref=data.referential, branding=ctx.branding, **extra)


def show(ctx: ReportContext, name: str) -> None:
    """Display one section in the notebook."""
    from IPython.display import HTML, display

    html = render_section(ctx, name)
    if html.strip():
        display(HTML(html))
