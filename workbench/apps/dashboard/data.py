"""What a client's dashboard shows, read from the workspace without ever writing to it.

The store is opened read-only: a SQLite file through a ``mode=ro`` URI (the database engine itself
refuses any write) and a store whose write transactions are refused before reaching the database.
Everything else is gathered from the package's pure functions (analysis, projection, certification
cycle, audit duration), so the dashboard says exactly what the reports say.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from workbench.apps.dashboard.lifecycle import LifecycleData, lifecycle_data
from workbench.core.errors import NotFoundError, StoreError
from workbench.core.logo import load_logo
from workbench.core.settings import Branding, Settings, load_settings
from workbench.core.vocab import ActionStatus, ReferentialStatus, Verdict
from workbench.domain.audit_cycle import AuditDuration, CycleDates, audit_duration, cycle_dates
from workbench.domain.gaps import PROJECTION_DISCLAIMER, Counts, Outcome
from workbench.domain.profile import validate_client_id
from workbench.domain.records import Action, Mission
from workbench.reports.content import logo_data_uri, next_audit
from workbench.reports.wording import client_text, referential_label, referential_period
from workbench.services.analysis import MissionData, load_mission
from workbench.services.workspace import Workspace
from workbench.store import SCHEMA_VERSION, SQLiteStore, Store, open_store


class ReadOnlySQLiteStore(SQLiteStore):
    """A SQLite store that can only read: opened with ``mode=ro``, every write transaction refused.

    Unlike :class:`SQLiteStore` it never creates the file nor its schema: a missing or foreign
    database is an error, and the file's content is left exactly as it was.
    """

    def __init__(self, path: str | Path, *, actor: str | None = None) -> None:
        self.path = Path(path)
        self.actor = actor or "lecture-seule"
        if not self.path.is_file():
            raise StoreError(f"Aucune base de données dans l'espace de travail : {self.path} introuvable.")
        uri = f"file:{urllib.parse.quote(str(self.path.resolve()))}?mode=ro"
        try:
            self._conn = sqlite3.connect(uri, uri=True, timeout=30, isolation_level=None, check_same_thread=False)
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._conn.execute("PRAGMA query_only=ON")
            row = self._conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(Exception):
                self._conn.close()
            raise StoreError(f"Base de données illisible : {self.path} ({exc}). Rien n'a été modifié.") from None
        if row is None or int(row["value"]) > SCHEMA_VERSION:
            self._conn.close()
            raise StoreError(f"La base {self.path} n'est pas lisible par cette version du logiciel.")

    @contextlib.contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        raise StoreError("Tableau de bord en lecture seule : aucune modification n'est possible.")
        yield self._conn  # pragma: no cover - unreachable, keeps this a generator


class ReadOnlyWorkspace(Workspace):
    """A workspace whose store is opened read-only (see :class:`ReadOnlySQLiteStore`).

    A store that is not a SQLite file (a server registered with :func:`register_backend`) is
    opened normally; the dashboard then relies on calling read methods only.
    """

    @cached_property
    def store(self) -> Store:  # type: ignore[override]
        path = self.settings.store_path
        if path is None:
            return open_store(self.settings.effective_store_url, actor=self._actor, create=False)
        return ReadOnlySQLiteStore(path, actor=self._actor)


def open_readonly(workspace: str | os.PathLike[str] | Settings | None) -> ReadOnlyWorkspace:
    """Open an existing workspace for reading; a missing folder is an error, never created."""
    settings = workspace if isinstance(workspace, Settings) else load_settings(workspace or None)
    if not settings.workspace.is_dir():
        raise NotFoundError(f"Espace de travail introuvable : {settings.workspace} n'existe pas.")
    load_logo(settings)  # a logo that is not an image of the workspace: refused before anything is served
    return ReadOnlyWorkspace(settings)


# -- what the dashboard shows ----------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRow:
    number: int
    title: str
    short_title: str
    counts: Counts


@dataclass(frozen=True)
class GapRow:
    number: int
    title: str
    criterion: int
    verdict: Verdict
    """The consultant's verdict: NC majeure, NC mineure or non évalué."""
    projected: Verdict | None
    """Projected level at the audit (may differ from the verdict), None when not projected."""
    reason: str
    expected_level: str
    finding: str

    @property
    def level(self) -> Verdict:
        """The level shown: the projection when there is one, else the verdict."""
        return self.projected or self.verdict

    @property
    def label(self) -> str:
        return self.level.label

    @property
    def requalified(self) -> bool:
        return self.projected is not None and self.projected != self.verdict


@dataclass(frozen=True)
class ActionRow:
    indicator: int | None
    title: str
    detail: str
    priority: int
    owner: str
    status: ActionStatus
    due_date: dt.date | None
    overdue: bool
    id: int | None = None
    """The stored action's id (what the client space's buttons refer to)."""


@dataclass(frozen=True)
class PlanProgress:
    done: int
    total: int
    """Actions counted in the plan: every action except the abandoned ones."""
    in_progress: int
    overdue: int

    @property
    def ratio(self) -> float | None:
        return self.done / self.total if self.total else None


@dataclass(frozen=True)
class DashboardData:
    """One client's dashboard: identity, mission, readiness, projection, gaps, plan, calendar."""

    client_id: str
    client_name: str
    siret: str | None
    branding: Branding
    logo: str | None
    mission: Mission
    referential_id: str
    referential_title: str
    referential_version: str
    referential_provisional: bool
    counts: Counts
    criteria: tuple[CriterionRow, ...]
    outcome: Outcome
    projection_summary: str
    gaps: tuple[GapRow, ...]
    actions: tuple[ActionRow, ...]
    progress: PlanProgress
    cycle: CycleDates | None
    duration: AuditDuration
    next_audit: tuple[dt.date, str]
    today: dt.date
    disclaimer: str = PROJECTION_DISCLAIMER
    lifecycle: LifecycleData | None = None
    """« À traiter », next milestones and recurring tasks (see :mod:`workbench.apps.dashboard.lifecycle`)."""

    @property
    def readiness(self) -> float | None:
        return self.counts.readiness


def gap_rows(data: MissionData) -> tuple[GapRow, ...]:
    """The mission's gaps, most serious first, each with the level the referential expects."""
    analysis = data.analysis
    rows = []
    for s in analysis.gaps:
        projected = analysis.projection.level_of(s.number)
        reason = ""
        for p in (*analysis.projection.majors, *analysis.projection.minors, *analysis.projection.deferred):
            if p.status.number == s.number:
                reason = p.reason
        rows.append(GapRow(s.number, s.indicator.title, s.criterion, s.verdict, projected, reason,
                           client_text(s.indicator.expected_level), s.finding))
    return tuple(rows)


def action_rows(actions: tuple[Action, ...] | list[Action], numbers: dict[str, int],
                today: dt.date) -> tuple[ActionRow, ...]:
    """Actions by priority, then due date; open actions past their due date are flagged."""
    open_statuses = (ActionStatus.A_FAIRE, ActionStatus.EN_COURS)
    rows = [ActionRow(numbers.get(a.indicator_id), a.title, a.detail, a.priority, a.owner, a.status, a.due_date,
                      a.status in open_statuses and a.due_date is not None and a.due_date < today, a.id)
            for a in actions]
    rows.sort(key=lambda r: (r.priority, r.due_date or dt.date.max, r.indicator or 0, r.title))
    return tuple(rows)


def plan_progress(rows: tuple[ActionRow, ...] | list[ActionRow]) -> PlanProgress:
    counted = [r for r in rows if r.status != ActionStatus.ABANDONNE]
    return PlanProgress(
        done=sum(r.status == ActionStatus.FAIT for r in counted),
        total=len(counted),
        in_progress=sum(r.status == ActionStatus.EN_COURS for r in counted),
        overdue=sum(r.overdue for r in counted),
    )


def dashboard_data(ws: Workspace, client: str, mission: str | None = None,
                   *, today: dt.date | None = None) -> DashboardData:
    """Gather one client's dashboard (its latest mission unless ``mission`` names one of its own).

    An unknown client is reported without naming the clients that do exist.
    """
    validate_client_id(client)
    if not ws.store.client_exists(client):
        raise NotFoundError(f"Client inconnu : « {client} ».")
    today = today or dt.date.today()
    data = load_mission(ws, client, mission or None, today=today)
    ref, profile = data.referential, data.profile
    numbers = {i.id: i.number for i in ref.indicators}
    actions = action_rows(data.actions, numbers, today)
    return DashboardData(
        client_id=profile.id,
        client_name=profile.name,
        siret=profile.siret,
        branding=ws.settings.branding,
        logo=logo_data_uri(ws),
        mission=data.mission,
        referential_id=ref.id,
        referential_title=referential_label(ref),
        referential_version=referential_period(ref),
        referential_provisional=ref.status == ReferentialStatus.PROVISIONAL,
        counts=data.analysis.counts,
        criteria=tuple(CriterionRow(c.number, c.title, c.short_title, data.analysis.by_criterion.get(c.number, Counts()))
                       for c in ref.criteria),
        outcome=data.analysis.projection.outcome,
        projection_summary=data.analysis.projection.summary,
        gaps=gap_rows(data),
        actions=actions,
        progress=plan_progress(actions),
        cycle=cycle_dates(profile),
        duration=audit_duration(profile, data.mission.audit_type),
        next_audit=next_audit(data.mission, profile, today),
        today=today,
        lifecycle=lifecycle_data(ws, client, today),
    )


def load_dashboard(workspace: str | os.PathLike[str] | Settings | None, client: str,
                   mission: str | None = None, *, today: dt.date | None = None) -> DashboardData:
    """Open the workspace read-only, gather the dashboard, close the store."""
    validate_client_id(client)
    ws = open_readonly(workspace)
    try:
        return dashboard_data(ws, client, mission, today=today)
    finally:
        ws.close()
