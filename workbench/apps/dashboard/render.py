"""HTML of the client dashboard: static, read-only, every stored text escaped.

Rendered with Jinja (``templates/``) and autoescaping, like the reports: no widget, nothing to click
that could change data. The page must work offline under the Voilà app's Content-Security-Policy:
the chart is inline SVG, the logo a data URI, the styles inline, no script and no remote resource.
"""

from __future__ import annotations

import functools
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from workbench.apps.dashboard.data import DashboardData
from workbench.apps.dashboard.lifecycle import HORIZON_MONTHS, SEVERITY, TASK_COLORS
from workbench.core.dates import fr_date, fr_date_long
from workbench.core.vocab import ActionStatus, Verdict
from workbench.domain.gaps import CONFORMITY_HELP, CONFORMITY_LABEL, READINESS_HELP, READINESS_LABEL
from workbench.domain.plan import PRIORITY_LABELS
from workbench.domain.tasks import TaskStatus
from workbench.reports.content import VERDICT_COLORS, chart_by_criterion, fr_percent
from workbench.reports.wording import PROVISIONAL_NOTE

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATUS_COLORS = {
    ActionStatus.A_FAIRE: "#6d6d6d",
    ActionStatus.EN_COURS: "#1565c0",
    ActionStatus.FAIT: "#2e7d32",
    ActionStatus.ABANDONNE: "#9e9e9e",
}
DISCLAIMER_TITLE = "Projection, pas une décision du certificateur"


@functools.cache
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(fr_date=fr_date, fr_date_long=fr_date_long, fr_percent=fr_percent)
    env.globals.update(Verdict=Verdict, verdict_colors=VERDICT_COLORS, status_colors=STATUS_COLORS,
                       priority_labels=PRIORITY_LABELS, disclaimer_title=DISCLAIMER_TITLE,
                       severity=SEVERITY, task_colors=TASK_COLORS, overdue=TaskStatus.OVERDUE,
                       horizon_months=HORIZON_MONTHS, provisional_note=PROVISIONAL_NOTE,
                       readiness_label=READINESS_LABEL, readiness_help=READINESS_HELP,
                       conformity_label=CONFORMITY_LABEL, conformity_help=CONFORMITY_HELP)
    return env


def _chart(data: DashboardData) -> str:
    by_criterion = {r.number: r.counts for r in data.criteria}
    return chart_by_criterion(by_criterion, {r.number: r.short_title for r in data.criteria})


def _render(template: str, data: DashboardData, *, chart: bool = False) -> str:
    svg = _chart(data) if chart and data.counts.audited else ""
    return _env().get_template(template).render(data=data, chart_svg=svg)


def render_dashboard(data: DashboardData, *, chart: bool = True) -> str:
    """The whole dashboard as one HTML fragment."""
    return _render("dashboard.html.j2", data, chart=chart)


# Each section on its own, for pages that show some of them (the client space).
def _css(data: DashboardData) -> str:
    return _render("css.html.j2", data)


def header(data: DashboardData) -> str:
    return _render("header.html.j2", data)


def mission_section(data: DashboardData) -> str:
    return _render("mission.html.j2", data)


def readiness_section(data: DashboardData, *, chart: bool = True) -> str:
    return _render("readiness.html.j2", data, chart=chart)


def projection_section(data: DashboardData) -> str:
    return _render("projection.html.j2", data)


def gaps_section(data: DashboardData) -> str:
    return _render("gaps.html.j2", data)


def plan_section(data: DashboardData) -> str:
    return _render("plan.html.j2", data)


def calendar_section(data: DashboardData) -> str:
    return _render("calendar.html.j2", data)


def footer(data: DashboardData) -> str:
    return _render("footer.html.j2", data)


def render_error(message: str) -> str:
    """What the client sees instead of the dashboard when it cannot be shown."""
    return _env().get_template("error.html.j2").render(message=message)
