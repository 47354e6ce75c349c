"""Living with the certificate: recurring-task plans, the calendar and « À traiter », from the store.

Glue between the workspace and the pure functions of :mod:`workbench.domain.tasks`,
:mod:`workbench.domain.calendar` and :mod:`workbench.domain.alerts`.

* A client's plan is instantiated from the catalogue the first time it is used (and completed when
  the client's scope brings new applicable tasks); read-only callers (the client's dashboard) get
  the same plan computed without writing (``write=False``).
* The client's *current mission* is its latest mission that is not a follow-up visit: its audit is
  the one being prepared, its NCs and actions feed the calendar and the alerts, and evidence filed
  when a task is marked done goes to the mission preparing the next audit.

Public entry points for other features: :func:`mark_task_done` (e.g. the session-file review marks
:data:`~workbench.domain.tasks.REVIEW_TASK_ID` done), :func:`alerts_for_client` and
:func:`alerts_for_portfolio` (the portfolio view).
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import ReferentialError, UsageError
from workbench.core.vocab import MissionType, Verdict
from workbench.domain.alerts import Alert, StaleProof, client_alerts, sort_portfolio
from workbench.domain.audit_cycle import cycle_dates
from workbench.domain.calendar import (
    CalendarItem,
    ClientCalendarInput,
    OpenNC,
    PlannedAction,
    PlannedMission,
    client_calendar,
    in_range,
    portfolio_calendar,
)
from workbench.domain.gaps import RiskKind
from workbench.domain.profile import ClientProfile, validate_client_id
from workbench.domain.records import Evidence, Mission
from workbench.domain.tasks import (
    Completion,
    PlanTask,
    TaskView,
    applicable_catalogue,
    load_catalogue,
    missing_from_plan,
    plan_view,
    task_from_catalogue,
    validate_task_id,
)
from workbench.referential.library import Referential
from workbench.services.analysis import load_mission
from workbench.services.workspace import Workspace
from workbench.store import tasks as task_store

TASK_EVIDENCE_LOCATION = "Plan de tâches récurrentes : {title}"


# -- missions ---------------------------------------------------------------------------------


def is_followup(mission: Mission) -> bool:
    return mission.type == MissionType.POINT_SUIVI


def current_mission(ws: Workspace, client_id: str) -> Mission | None:
    """The client's latest mission that is not a follow-up visit (None when it has none)."""
    missions = [m for m in ws.store.list_missions(client_id) if not is_followup(m)]
    return missions[-1] if missions else None


def evidence_mission(ws: Workspace, client_id: str, day: dt.date) -> Mission | None:
    """The mission new evidence is filed under on ``day``: the audit being prepared (the first one
    on or after that day), else the latest one."""
    missions = [m for m in ws.store.list_missions(client_id) if not is_followup(m)]
    ahead = sorted((m for m in missions if m.audit_date >= day), key=lambda m: (m.audit_date, m.created_at))
    if ahead:
        return ahead[0]
    return max(missions, key=lambda m: (m.audit_date, m.created_at)) if missions else None


# -- the plan ---------------------------------------------------------------------------------


def _referential_for(ws: Workspace, today: dt.date) -> Referential:
    try:
        return ws.library.for_date(today)
    except ReferentialError:
        return max(ws.library.versions, key=lambda r: r.effective_from)


def _missing(ws: Workspace, profile: ClientProfile, stored: list[PlanTask], today: dt.date,
             start: dt.date) -> list[PlanTask]:
    catalogue = load_catalogue(ws.folders)
    applicable = applicable_catalogue(catalogue, _referential_for(ws, today), profile.scope())
    known = {t.catalogue_id or t.id for t in stored} | {t.id for t in stored}
    return [task_from_catalogue(item, profile.id, start) for item in missing_from_plan(applicable, known)]


def plan_tasks(ws: Workspace, client_id: str, today: dt.date, *, write: bool = True,
               start: dt.date | None = None) -> list[PlanTask]:
    """The client's plan (retired tasks included); missing catalogue tasks are added (or, with
    ``write=False``, shown as they would be added), first due on ``start`` (default: ``today``)."""
    validate_client_id(client_id)
    profile = ws.store.get_client(client_id)
    stored = task_store.list_tasks(ws.store, client_id)  # type: ignore[arg-type]
    missing = _missing(ws, profile, stored, today, start or today)
    if missing and write:
        task_store.add_tasks(ws.store, missing, skip_existing=True)  # type: ignore[arg-type]
        return task_store.list_tasks(ws.store, client_id)  # type: ignore[arg-type]
    return sorted(stored + missing, key=lambda t: t.id)


def task_views(ws: Workspace, client_id: str, today: dt.date, *, write: bool = True,
               include_retired: bool = False) -> list[TaskView]:
    tasks = plan_tasks(ws, client_id, today, write=write)
    completions = task_store.list_completions(ws.store, client_id)  # type: ignore[arg-type]
    cap = load_catalogue(ws.folders).due_soon_days
    return plan_view(tasks, completions, today, include_retired=include_retired, cap=cap)


def mark_task_done(ws: Workspace, client_id: str, task_id: str, *, done_on: dt.date,
                   by: str | None = None, evidence_label: str | None = None,
                   represents_date: dt.date | None = None, note: str = "", source: str = "cli",
                   today: dt.date | None = None) -> Completion:
    """Record that a task was done on ``done_on``, by ``by`` (default: the store's actor).

    With ``evidence_label``, an evidence item dated ``represents_date`` (default: ``done_on``) is
    filed under each of the task's indicators applicable in the mission preparing the next audit,
    so the gap analysis's freshness rule sees it (the audit being prepared on ``today``). Without any mission the completion keeps the label
    only. A date in the future is refused.
    """
    today = today or dt.date.today()
    validate_task_id(task_id)
    if done_on > today:
        raise UsageError(f"date de réalisation dans le futur : {done_on:%d/%m/%Y} (aujourd'hui : {today:%d/%m/%Y}).")
    plan_tasks(ws, client_id, today)
    task = task_store.get_task(ws.store, client_id, task_id)  # type: ignore[arg-type]
    if task.retired:
        raise UsageError(f"La tâche « {task_id} » est retirée du plan : réactivez-la d'abord "
                         f"(workbench tasks retire {client_id} {task_id} --undo).")
    label = (evidence_label or "").strip() or None
    who = (by or "").strip() or ws.store.actor
    evidence: list[Evidence] = []
    mission = None
    if label:
        mission = evidence_mission(ws, client_id, today)
        if mission is not None:
            applicable = {a.indicator.number: a.indicator.id for a in ws.applicability(mission.id) if a.applicable}
            evidence = [Evidence(mission_id=mission.id, indicator_id=applicable[n], label=label,
                                 location=TASK_EVIDENCE_LOCATION.format(title=task.title),
                                 represents_date=represents_date or done_on, owner=who)
                        for n in task.indicators if n in applicable]
    completion = Completion(client_id=client_id, task_id=task_id, done_on=done_on, done_by=who,
                            evidence_label=label, represents_date=(represents_date or done_on) if label else None,
                            mission_id=mission.id if evidence else None, note=note, source=source)
    return task_store.record_completion(ws.store, completion, evidence)  # type: ignore[arg-type]


# -- calendar and alerts ----------------------------------------------------------------------


@dataclass(frozen=True)
class ClientSituation:
    """One client's calendar input, with what the alerts add (stale proofs of the audit prepared)."""

    input: ClientCalendarInput
    stale: tuple[StaleProof, ...]
    audit_date: dt.date | None


def client_situation(ws: Workspace, client_id: str, today: dt.date, *, write: bool = True) -> ClientSituation:
    profile = ws.store.get_client(client_id)
    missions = ws.store.list_missions(client_id)
    planned = tuple(PlannedMission(m.id, m.type, m.audit_type, m.audit_date, m.label) for m in missions)
    current = current_mission(ws, client_id)
    ncs: list[OpenNC] = []
    actions: list[PlannedAction] = []
    stale: list[StaleProof] = []
    if current is not None:
        data = load_mission(ws, client_id, current.id, today=today)
        proj = data.analysis.projection
        for level, items in ((Verdict.NC_MAJEURE, proj.majors), (Verdict.NC_MINEURE, proj.minors)):
            if items:
                ncs.append(OpenNC(current.id, current.audit_date, level, tuple(p.status.number for p in items)))
        numbers = {i.id: i.number for i in data.referential.indicators}
        actions = [PlannedAction(a.id or 0, a.title, a.due_date, a.status, numbers.get(a.indicator_id))
                   for a in data.actions]
        stale = [StaleProof(f.status.number, f.status.indicator.title, f.message)
                 for f in data.analysis.risks if f.kind == RiskKind.STALE_EVIDENCE]
    inp = ClientCalendarInput(
        client_id=profile.id, client_name=profile.name, consultant=profile.consultant,
        cycle=cycle_dates(profile), missions=planned, ncs=tuple(ncs), actions=tuple(actions),
        tasks=tuple(task_views(ws, client_id, today, write=write)))
    return ClientSituation(inp, tuple(stale), current.audit_date if current else None)


def client_calendar_items(ws: Workspace, client_id: str, today: dt.date, *, start: dt.date | None = None,
                          end: dt.date | None = None, write: bool = True) -> list[CalendarItem]:
    situation = client_situation(ws, client_id, today, write=write)
    return in_range(client_calendar(situation.input, today), start, end)


def _clients(ws: Workspace, consultant: str | None) -> list[ClientProfile]:
    wanted = consultant.strip().casefold() if consultant else None
    return [c for c in ws.store.list_clients()
            if wanted is None or (c.consultant or "").strip().casefold() == wanted]


def portfolio_calendar_items(ws: Workspace, today: dt.date, *, start: dt.date | None = None,
                             end: dt.date | None = None, consultant: str | None = None,
                             write: bool = True) -> list[CalendarItem]:
    inputs = [client_situation(ws, c.id, today, write=write).input for c in _clients(ws, consultant)]
    return portfolio_calendar(inputs, today, start=start, end=end, consultant=consultant)


def alerts_for_client(ws: Workspace, client_id: str, today: dt.date, *, write: bool = True) -> list[Alert]:
    """« À traiter » for one client."""
    s = client_situation(ws, client_id, today, write=write)
    return client_alerts(s.input, today, stale=s.stale, audit_date=s.audit_date)


def alerts_for_portfolio(workspace: Workspace | str | os.PathLike[str] | None, today: dt.date, *,
                         consultant: str | None = None, write: bool = False) -> list[Alert]:
    """« À traiter » for every client of the workspace (of one consultant if given), most urgent first.

    ``workspace`` is an open :class:`Workspace` or a workspace folder (opened and closed here).
    By default nothing is written: plans not instantiated yet are computed as they would be.
    """
    if isinstance(workspace, Workspace):
        ws, close = workspace, False
    else:
        ws, close = Workspace.open(Path(workspace) if workspace else None, create=False), True
    try:
        alerts: list[Alert] = []
        for client in _clients(ws, consultant):
            alerts += alerts_for_client(ws, client.id, today, write=write)
        return sort_portfolio(alerts)
    finally:
        if close:
            ws.close()
