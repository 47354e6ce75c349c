"""Lifecycle content of the reports: the « faire vivre la certification » section of the client
report and the deliverable of a follow-up visit (« point de suivi »).

The follow-up deliverable goes through the same pipeline as the client report (papermill, nbconvert
template, PDF): ``notebooks/point_de_suivi.ipynb`` calls :func:`load_followup_context` and
:func:`show_followup`. It summarises what was done since the previous visit (recurring tasks
completed, actions closed, proofs filed), what is late, and the next milestones, as of the day it is
generated. Nothing is written to the store: plans not instantiated yet are shown as they would be.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench import __version__
from workbench.core.errors import RunError
from workbench.core.settings import Branding
from workbench.core.vocab import ActionStatus, MissionType
from workbench.domain.alerts import Alert
from workbench.domain.calendar import CalendarItem
from workbench.domain.profile import ClientProfile
from workbench.domain.records import Evidence, Mission
from workbench.domain.tasks import Completion, TaskView, completions_between
from workbench.reports.content import _env, logo_data_uri, parse_day
from workbench.reports.lifecycle_context import HORIZON_MONTHS, lifecycle_extra
from workbench.services import lifecycle
from workbench.services.workspace import Workspace
from workbench.store import tasks as task_store

FOLLOWUP_SECTIONS = ("suivi_cover", "suivi_bilan", "suivi_provenance")


@dataclass(frozen=True)
class ClosedAction:
    title: str
    indicator: int | None
    closed_on: dt.date
    by: str


@dataclass
class FollowupContext:
    ws: Workspace
    profile: ClientProfile
    mission: Mission
    previous: Mission | None
    """The client's mission before this visit (any type): the start of « since the last visit »."""
    today: dt.date
    branding: Branding
    logo: str | None
    generated_at: dt.datetime
    done: list[tuple[Completion, str]] = field(default_factory=list)
    closed: list[ClosedAction] = field(default_factory=list)
    filed: list[Evidence] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    upcoming: list[CalendarItem] = field(default_factory=list)
    tasks: list[TaskView] = field(default_factory=list)
    view: dict[str, Any] = field(default_factory=dict)
    """The three tables as rows (:func:`~workbench.reports.lifecycle_context.lifecycle_view`)."""
    provenance: dict[str, str] = field(default_factory=dict)

    @property
    def since(self) -> dt.date | None:
        return self.previous.audit_date if self.previous else None


def _previous(ws: Workspace, mission: Mission) -> Mission | None:
    earlier = [m for m in ws.store.list_missions(mission.client_id)
               if m.id != mission.id and m.audit_date < mission.audit_date]
    return max(earlier, key=lambda m: (m.audit_date, m.created_at)) if earlier else None


def _closed_actions(ws: Workspace, client_id: str, after: dt.date | None, until: dt.date) -> list[ClosedAction]:
    out = []
    for m in ws.store.list_missions(client_id):
        if m.type == MissionType.POINT_SUIVI:
            continue
        titles = {str(a.id): a for a in ws.store.list_actions(m.id)}
        ref = ws.library.get(m.referential_id)
        numbers = {i.id: i.number for i in ref.indicators}
        for h in ws.store.history(m.id):
            day = h.at.astimezone().date()
            if (h.entity != "action" or h.field != "status" or h.after != ActionStatus.FAIT.value
                    or (after is not None and day <= after) or day > until or h.entity_key not in titles):
                continue
            action = titles[h.entity_key]
            out.append(ClosedAction(action.title, numbers.get(action.indicator_id), day, h.actor))
    return sorted(out, key=lambda c: (c.closed_on, c.title))


def load_followup_context(workspace: str | Path | Workspace | None, client: str, mission: str,
                          today: str | dt.date | None = None, *, generated_at: str | dt.datetime | None = None,
                          expected_hash: str | None = None) -> FollowupContext:
    """Everything the follow-up deliverable shows, as of ``today``. Like the client report, the
    notebook receives the run's day, time and data hash, and refuses data changed in between."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace)
    generated = (dt.datetime.fromisoformat(generated_at) if isinstance(generated_at, str)
                 else generated_at or dt.datetime.now().astimezone())
    today = parse_day(today, "date de référence") or generated.date()
    visit, profile = ws.resolve_mission_and_client(client, mission)
    previous = _previous(ws, visit)
    since = previous.audit_date if previous else None
    plan = {t.id: t.title for t in lifecycle.plan_tasks(ws, client, today, write=False)}
    completions = task_store.list_completions(ws.store, client)  # type: ignore[arg-type]
    done = [(c, plan.get(c.task_id, c.task_id)) for c in completions_between(completions, since, today)]
    filed = [e for m in ws.store.list_missions(client) for e in ws.store.list_evidence(m.id)
             if e.created_at and (since is None or e.created_at.astimezone().date() > since)
             and e.created_at.astimezone().date() <= today]
    extra = lifecycle_extra(ws, client, today)
    payload = {
        "profile": profile.model_dump(mode="json"), "mission": visit.model_dump(mode="json", exclude={"created_at"}),
        "completions": [c.model_dump(mode="json", exclude={"recorded_at", "recorded_by", "id"}) for c in completions],
        "tasks": [v.to_dict() for v in extra["tasks"]], "today": today.isoformat(),
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    ctx = FollowupContext(
        ws=ws, profile=profile, mission=visit, previous=previous, today=today, branding=ws.settings.branding,
        logo=logo_data_uri(ws), generated_at=generated, done=done,
        closed=_closed_actions(ws, client, since, today), filed=filed,
        alerts=extra["alerts"], upcoming=extra["upcoming"], tasks=extra["tasks"], view=extra["view"],
    )
    ctx.provenance = {"client": client, "mission": visit.id, "deliverable": "point de suivi",
                      "situation_date": today.isoformat(), "input_hash": digest, "package_version": __version__,
                      "generated_at": generated.isoformat(timespec="seconds")}
    if expected_hash and digest != expected_hash:
        raise RunError(f"Les données du client {client} ont changé pendant la préparation du document ; "
                       "relancez la commande.", client_id=client)
    return ctx


def render_followup(ctx: FollowupContext, name: str) -> str:
    if name not in FOLLOWUP_SECTIONS:
        raise KeyError(f"section inconnue : {name!r} (sections : {', '.join(FOLLOWUP_SECTIONS)})")
    return _env().get_template(f"{name}.html.j2").render(
        ctx=ctx, profile=ctx.profile, mission=ctx.mission, branding=ctx.branding, today=ctx.today,
        horizon_months=HORIZON_MONTHS, view=ctx.view)


def show_followup(ctx: FollowupContext, name: str) -> None:
    """Display one section in the notebook (the run records the provenance in the notebook's metadata)."""
    from IPython.display import HTML, display

    display(HTML(render_followup(ctx, name)))
