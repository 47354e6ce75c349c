"""Content of the client report: data gathered for one mission and HTML fragments per section.

The report notebook (``notebooks/rapport_client.ipynb``) only calls :func:`load_report_context`
and :func:`show`; the fragments are Jinja templates of ``report_template/sections`` rendered with
autoescaping, so any text typed by a user (notes, evidence labels, comments) is shown as text.
Formatting helpers (French dates and numbers) are plain functions, also used as Jinja filters.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from workbench import __version__
from workbench.core.dates import add_months, fr_date, fr_date_long
from workbench.core.errors import ReferentialError, RunError, UsageError
from workbench.core.settings import Branding
from workbench.core.vocab import AuditType, Verdict
from workbench.domain.audit_cycle import audit_duration
from workbench.domain.gaps import PROJECTION_DISCLAIMER, Counts
from workbench.domain.plan import PRIORITY_LABELS
from workbench.domain.profile import ClientProfile
from workbench.domain.records import Action, Answer, Evidence, Mission
from workbench.referential.diff import VersionDiff, diff_for_scope
from workbench.referential.library import Referential
from workbench.reports.session_report import session_review_context, session_review_hash
from workbench.services.analysis import MissionData, load_mission
from workbench.services.workspace import Workspace

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
SECTIONS_DIR = TEMPLATE_DIR / "sections"
NBSP = "\u00a0"


VERDICT_COLORS = {
    Verdict.CONFORME: "#2e7d32",
    Verdict.NC_MINEURE: "#f2a900",
    Verdict.NC_MAJEURE: "#c62828",
    Verdict.NON_EVALUE: "#9e9e9e",
}
VERDICT_HATCH = {Verdict.CONFORME: "", Verdict.NC_MINEURE: "//", Verdict.NC_MAJEURE: "xx", Verdict.NON_EVALUE: ".."}


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


def chart_by_criterion(by_criterion: dict[int, Counts], titles: dict[int, str]) -> str:
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
        svg = _svg(fig)
        plt.close(fig)
    return svg


def chart_overall(counts: Counts) -> str:
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
        svg = _svg(fig)
        plt.close(fig)
    return svg


# -- context and rendering -------------------------------------------------------------------


def logo_data_uri(ws: Workspace) -> str | None:
    """The branding logo inlined as a data URI (the report must work offline)."""
    path = ws.settings.logo_path()
    if not path or not path.is_file():
        return None
    mime = mimetypes.guess_type(path.name)[0] or "image/png"
    if mime not in ("image/png", "image/jpeg", "image/svg+xml", "image/gif"):
        return None
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


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

    @property
    def analysis(self):  # noqa: ANN201 - shortcut for templates
        return self.data.analysis


def provenance_for(ws: Workspace, data: MissionData, generated: dt.datetime) -> dict[str, str]:
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
    }


def parse_day(value: str | dt.date | None, what: str) -> dt.date | None:
    if value is None or value == "" or isinstance(value, dt.date):
        return value or None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{what} invalide : « {value} » (format attendu : AAAA-MM-JJ).") from None


def load_report_context(workspace: str | Path | None, client: str, mission: str | None = None,
                        today: str | dt.date | None = None, *, generated_at: str | None = None,
                        expected_hash: str | None = None) -> ReportContext:
    """Everything a report shows, read once. The notebook receives ``today``, ``generated_at`` and
    the ``expected_hash`` of the data from :func:`workbench.reports.pipeline.generate_report`, so its
    due dates, projection and provenance are those of the run; data changed in between is refused."""
    ws = Workspace.open(workspace)
    generated = dt.datetime.fromisoformat(generated_at) if generated_at else dt.datetime.now().astimezone()
    day = parse_day(today, "date de référence") or generated.date()
    data = load_mission(ws, client, mission or None, today=day)
    provenance = provenance_for(ws, data, generated)
    if expected_hash and provenance["input_hash"] != expected_hash:
        raise RunError(
            f"Les données de la mission {data.mission.id} ont changé pendant la préparation du rapport ; "
            "relancez la commande.", client_id=client)
    changes = changes_for(ws, data, day)
    return ReportContext(ws, data, ws.settings.branding, logo_data_uri(ws), changes, generated, provenance, day)


def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(SECTIONS_DIR)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fr_date=fr_date, fr_date_long=fr_date_long, fr_number=fr_number, fr_percent=fr_percent)
    env.globals.update(Verdict=Verdict, AuditType=AuditType, disclaimer=PROJECTION_DISCLAIMER,
                       audit_duration=audit_duration, priority_labels=PRIORITY_LABELS,
                       verdict_colors={v.value: c for v, c in VERDICT_COLORS.items()})
    return env


SECTIONS = ("cover", "synthese", "criteres", "ecarts", "plan", "suivi", "forces", "changements", "surveillance",
            "dossiers", "annexe", "provenance")


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
    if name == "suivi":
        from workbench.reports.lifecycle_context import lifecycle_extra

        extra.update(lifecycle_extra(ctx.ws, data.mission.client_id, ctx.today or ctx.generated_at.date()))
    if name == "dossiers":
        extra.update(session_review_context(ctx.ws, data.mission))
    template = _env().get_template(f"{name}.html.j2")
    return template.render(ctx=ctx, data=data, a=data.analysis, mission=data.mission, profile=data.profile,
                           ref=data.referential, branding=ctx.branding, **extra)


def show(ctx: ReportContext, name: str) -> None:
    """Display one section in the notebook."""
    from IPython.display import HTML, display

    html = render_section(ctx, name)
    if html.strip():
        display(HTML(html))
