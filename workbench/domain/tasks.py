"""Recurring quality tasks: the shipped catalogue, each client's plan and task due dates.

The catalogue (``data/tasks/catalogue.yaml``) lists the updates a certified provider repeats to keep
its quality system alive (programme sheets, result indicators, watches, trainers' files…), each with
the indicators it serves, the role in charge, a default frequency and the proof to keep. A client's
plan is instantiated from it: a catalogue task enters the plan when at least one of its indicators
is applicable to the client's scope. The consultant then edits frequencies and owners, adds tasks
of his own and retires those that do not fit; a retired catalogue task never comes back by itself.

**Due dates** (:func:`next_due`): a task done on D is due again on D + its frequency in calendar
months (the day clamped to the month's end: done on 31 January, monthly, due on 28 or 29 February).
A task never done is due on its start date (the day it entered the plan, unless the consultant sets
another). **Status** (:func:`task_status`): ``overdue`` once the due date is past, ``due_soon`` from
:func:`due_soon_days` before it (a week per month of frequency, at most the catalogue's
``due_soon_days``, 30 by default: peer tools flag items due within 30 days), ``ok`` otherwise.

Everything here is pure: ``today`` is always a parameter; persistence is in
:mod:`workbench.store.tasks`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from workbench.core.dates import add_months
from workbench.core.errors import ReferentialError, UsageError
from workbench.core.validation import describe_validation_error, read_yaml
from workbench.core.vocab import LabelledEnum, Role
from workbench.data import DATA_DIR, DataFolders
from workbench.referential.applicability import Scope, evaluate
from workbench.referential.library import Referential

TASKS = "tasks"
CATALOGUE_PATH = DATA_DIR / TASKS / "catalogue.yaml"
TASK_ID_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
MAX_FREQUENCY_MONTHS = 60
DEFAULT_DUE_SOON_DAYS = 30
REVIEW_TASK_ID = "revue-dossiers"
"""The periodic review of session files (marked done by the session-review feature)."""


# -- catalogue --------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CatalogueTask(_Model):
    id: str
    title: str = Field(min_length=5, max_length=160)
    what: str = Field(min_length=10)
    indicators: tuple[int, ...] = Field(min_length=1)
    role: Role
    frequency_months: int = Field(ge=1, le=MAX_FREQUENCY_MONTHS)
    proof: str = Field(min_length=5)
    uncertain: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not TASK_ID_RE.fullmatch(v) or "--" in v:
            raise ValueError(f"identifiant de tâche invalide « {v} » (minuscules, chiffres et tirets)")
        return v

    @field_validator("indicators")
    @classmethod
    def _numbers(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if any(n < 1 for n in v) or len(set(v)) != len(v):
            raise ValueError("numéros d'indicateurs invalides ou en double")
        return v


class Catalogue(_Model):
    version: int = Field(ge=1)
    due_soon_days: int = Field(default=DEFAULT_DUE_SOON_DAYS, ge=1, le=120)
    tasks: tuple[CatalogueTask, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Catalogue:
        ids = [t.id for t in self.tasks]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"identifiant(s) de tâche en double : {', '.join(dup)}")
        return self

    def get(self, task_id: str) -> CatalogueTask | None:
        return next((t for t in self.tasks if t.id == task_id), None)


def load_catalogue_file(path: Path) -> Catalogue:
    """Read and validate a catalogue; a mistake names the file, the task and the field, in French."""
    what = "Catalogue des tâches récurrentes"
    raw = read_yaml(path, f"Fichier « {what} »")
    if not isinstance(raw, dict):
        raise ReferentialError(f"{what} invalide : {path} — le fichier doit contenir un dictionnaire YAML.",
                               path=str(path))
    try:
        return Catalogue.model_validate(raw)
    except ValidationError as exc:
        text, task, field = describe_validation_error(exc, raw, list_key="tasks")
        where = (f" — tâche {task}" if task else "") + (f" — champ « {field} »" if field else "")
        raise ReferentialError(f"{what} invalide : {path}{where} : {text}.", path=str(path),
                               field=field) from None


@lru_cache(maxsize=4)
def _cached(path: str, mtime: float) -> Catalogue:
    return load_catalogue_file(Path(path))


def load_catalogue(source: Path | DataFolders | None = None) -> Catalogue:
    """The catalogue of a file, or the highest of the folders' ``tasks/catalogue.yaml`` (a firm's
    workspace replacing the package's), validated once per file version."""
    if isinstance(source, Path):
        p = source
    else:
        p = (source or DataFolders()).find(TASKS, "catalogue") or CATALOGUE_PATH
    try:
        mtime = p.stat().st_mtime
    except OSError:
        mtime = 0.0
    return _cached(str(p), mtime)


def applicable_catalogue(catalogue: Catalogue, referential: Referential, scope: Scope) -> list[CatalogueTask]:
    """Catalogue tasks serving at least one indicator applicable to this scope."""
    applicable = {a.indicator.number for a in evaluate(referential, scope) if a.applicable}
    return [t for t in catalogue.tasks if applicable.intersection(t.indicators)]


# -- a client's plan --------------------------------------------------------------------------


class PlanTask(BaseModel):
    """A task of one client's plan (from the catalogue, or added by the consultant)."""

    model_config = ConfigDict(extra="forbid")

    client_id: str
    id: str
    catalogue_id: str | None = None
    title: str = Field(min_length=1)
    what: str = ""
    indicators: tuple[int, ...] = ()
    owner: str = ""
    frequency_months: int = Field(ge=1, le=MAX_FREQUENCY_MONTHS)
    proof: str = ""
    start_date: dt.date
    """First due date while the task has never been done."""
    retired: bool = False
    comment: str = ""
    updated_at: dt.datetime | None = None
    updated_by: str | None = None

    EDITABLE: ClassVar[tuple[str, ...]] = ("title", "what", "indicators", "owner", "frequency_months", "proof", "start_date", "comment")


class Completion(BaseModel):
    """One time a task was done: when, by whom, and the proof kept (optional)."""

    model_config = ConfigDict(extra="forbid")

    id: int | None = None
    client_id: str
    task_id: str
    done_on: dt.date
    done_by: str = Field(min_length=1)
    evidence_label: str | None = None
    represents_date: dt.date | None = None
    """The date the proof represents (the gap analysis ages evidence by it)."""
    mission_id: str | None = None
    """The mission the evidence was filed under, when there was one."""
    evidence_ids: tuple[int, ...] = ()
    note: str = ""
    source: str = "cli"
    recorded_at: dt.datetime | None = None
    recorded_by: str | None = None


def task_from_catalogue(item: CatalogueTask, client_id: str, start: dt.date) -> PlanTask:
    return PlanTask(client_id=client_id, id=item.id, catalogue_id=item.id, title=item.title, what=item.what,
                    indicators=item.indicators, owner=item.role.label, frequency_months=item.frequency_months,
                    proof=item.proof, start_date=start)


def missing_from_plan(applicable: Iterable[CatalogueTask], known_ids: Iterable[str]) -> list[CatalogueTask]:
    """Applicable catalogue tasks the plan never held (a retired one stays known, so never re-added)."""
    known = set(known_ids)
    return [t for t in applicable if t.id not in known]


def slugify(title: str) -> str:
    """A task id from a title: « Veille RSE (clients) » → ``veille-rse-clients``."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    return text[:64].rstrip("-") or "tache"


def validate_task_id(raw: str) -> str:
    if not isinstance(raw, str) or not TASK_ID_RE.fullmatch(raw) or "--" in raw:
        raise UsageError(f"identifiant de tâche invalide : « {raw} » (minuscules non accentuées, chiffres et "
                         "tirets, ex. : veille-legale).")
    return raw


# -- due dates and status ---------------------------------------------------------------------


class TaskStatus(LabelledEnum):
    OK = "ok", "À jour"
    DUE_SOON = "due_soon", "À faire bientôt"
    OVERDUE = "overdue", "En retard"


def next_due(frequency_months: int, last_done: dt.date | None, start_date: dt.date) -> dt.date:
    """When the task is due next (rule in the module docstring)."""
    if last_done is None:
        return start_date
    return add_months(last_done, frequency_months)


def due_soon_days(frequency_months: int, cap: int = DEFAULT_DUE_SOON_DAYS) -> int:
    """How many days before its due date a task shows as « à faire bientôt »."""
    return min(cap, 7 * frequency_months)


def task_status(due: dt.date, today: dt.date, frequency_months: int, cap: int = DEFAULT_DUE_SOON_DAYS) -> TaskStatus:
    if due < today:
        return TaskStatus.OVERDUE
    if (due - today).days <= due_soon_days(frequency_months, cap):
        return TaskStatus.DUE_SOON
    return TaskStatus.OK


@dataclass(frozen=True)
class TaskView:
    """A plan task as of ``today``: last completion, next due date and status."""

    task: PlanTask
    last: Completion | None
    next_due: dt.date
    status: TaskStatus
    done_count: int

    @property
    def id(self) -> str:
        return self.task.id

    @property
    def last_done(self) -> dt.date | None:
        return self.last.done_on if self.last else None

    @property
    def days_late(self) -> int:
        return 0 if self.status != TaskStatus.OVERDUE else (self._today - self.next_due).days

    _today: dt.date = dt.date.min

    def to_dict(self) -> dict:
        t = self.task
        return {
            "id": t.id, "title": t.title, "indicators": list(t.indicators),
            "frequency_months": t.frequency_months,
            "last_done": self.last_done.isoformat() if self.last_done else None,
            "next_due": self.next_due.isoformat(), "status": self.status.value,
            "status_label": self.status.label, "owner": t.owner, "what": t.what, "proof": t.proof,
            "source": "catalogue" if t.catalogue_id else "ajout", "retired": t.retired, "comment": t.comment,
            "last_done_by": self.last.done_by if self.last else None,
            "last_evidence": self.last.evidence_label if self.last else None,
            "done_count": self.done_count,
        }


def latest_completion(completions: Iterable[Completion]) -> Completion | None:
    """The completion with the latest ``done_on`` (the latest recorded among equal dates)."""
    best = None
    for c in completions:
        if best is None or (c.done_on, c.id or 0) >= (best.done_on, best.id or 0):
            best = c
    return best


def task_view(task: PlanTask, completions: Sequence[Completion], today: dt.date,
              cap: int = DEFAULT_DUE_SOON_DAYS) -> TaskView:
    last = latest_completion(completions)
    due = next_due(task.frequency_months, last.done_on if last else None, task.start_date)
    return TaskView(task, last, due, task_status(due, today, task.frequency_months, cap), len(completions), today)


def plan_view(tasks: Iterable[PlanTask], completions: Iterable[Completion], today: dt.date, *,
              include_retired: bool = False, cap: int = DEFAULT_DUE_SOON_DAYS) -> list[TaskView]:
    """Every active task (and retired ones if asked) by next due date, then title."""
    by_task: dict[str, list[Completion]] = {}
    for c in completions:
        by_task.setdefault(c.task_id, []).append(c)
    views = [task_view(t, by_task.get(t.id, []), today, cap) for t in tasks if include_retired or not t.retired]
    views.sort(key=lambda v: (v.task.retired, v.next_due, v.task.title))
    return views


def completions_between(completions: Iterable[Completion], after: dt.date | None, until: dt.date) -> list[Completion]:
    """Completions done after ``after`` (exclusive; None: from the start) and up to ``until`` (inclusive)."""
    return sorted((c for c in completions if (after is None or c.done_on > after) and c.done_on <= until),
                  key=lambda c: (c.done_on, c.id or 0))


def count_by_status(views: Iterable[TaskView]) -> Mapping[TaskStatus, int]:
    out = dict.fromkeys(TaskStatus, 0)
    for v in views:
        if not v.task.retired:
            out[v.status] += 1
    return out
