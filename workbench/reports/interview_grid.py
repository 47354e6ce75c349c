"""A printable blank interview grid for one mission: the questions and proof checklists of the
indicators in scope, grouped by interviewee role, for notes on paper or to send ahead of the visit.

Client-facing: no internal identifier, no private note, no answer (the grid is blank).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import jinja2

from workbench.core.dates import fr_date
from workbench.core.files import write_atomically
from workbench.core.vocab import Role
from workbench.referential.grids import grids_for
from workbench.reports.browser import html_to_pdf
from workbench.services.interview_scope import interview_scope
from workbench.services.workspace import Workspace

TEMPLATES = Path(__file__).resolve().parent / "templates" / "grid"
_ENV = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                          undefined=jinja2.StrictUndefined)


@dataclass
class GridResult:
    paths: dict[str, Path]
    roles: int
    indicators: int


def grid_context(ws: Workspace, mission_id: str, *, roles: list[Role] | None = None,
                 today: dt.date | None = None) -> dict:
    mission, client, referential = ws.mission_context(mission_id)
    scope = interview_scope(ws.store, mission, client, referential, grids_for(ws.library))
    sections = []
    for role in roles or list(Role):
        entries = [{
            "number": e.number, "title": e.indicator.title, "expected": e.indicator.expected_level,
            "questions": [{"text": q.text, "kind": q.kind.value, "choices": list(q.choices)}
                          for q in e.questions if role in q.roles],
            "proofs": list(e.proofs) if role in e.roles else [],
        } for e in scope.by_role(role)]
        if entries or roles:
            sections.append({"role": role.label, "entries": entries})
    branding = ws.settings.branding
    return {
        "client_name": client.name,
        "mission_label": mission.label or mission.type.label,
        "audit_date": fr_date(mission.audit_date),
        "referential_label": referential.title,
        "firm": branding.firm,
        "consultant": branding.consultant,
        "color": branding.primary_color,
        "printed_on": fr_date(today or dt.date.today()),
        "sections": sections,
        "not_applicable": [{"number": e.number, "title": e.indicator.title, "reason": e.reason}
                           for e in scope.entries if not e.applicable],
    }


def render_grid(context: dict) -> str:
    return _ENV.get_template("grille.html.j2").render(**context)


def print_grid(ws: Workspace, mission_id: str, *, formats: list[str], roles: list[Role] | None = None,
               overwrite: bool = True, today: dt.date | None = None) -> GridResult:
    """Write ``reports/<client>/grille-entretien-<date>.html`` (and ``.pdf``)."""
    mission, client, _ = ws.mission_context(mission_id)
    context = grid_context(ws, mission_id, roles=roles, today=today)
    out_dir = ws.settings.reports_dir / client.id
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"grille-entretien-{mission.audit_date.isoformat()}"
    html_path = out_dir / f"{base}.html"
    text = render_grid(context)
    write_atomically(html_path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=overwrite)
    paths = {"html": html_path}
    if "pdf" in formats:
        pdf = out_dir / f"{base}.pdf"
        write_atomically(pdf, lambda tmp: html_to_pdf(html_path, tmp, client_id=client.id, settings=ws.settings), overwrite=overwrite)
        paths["pdf"] = pdf
    if "html" not in formats:
        html_path.unlink()
        del paths["html"]
    indicators = len({e["number"] for s in context["sections"] for e in s["entries"]})
    return GridResult(paths, len(context["sections"]), indicators)
