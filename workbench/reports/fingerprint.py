"""What a client's deliverables are made from, hashed, and the record of it beside the outputs.

Incremental runs rest on one fingerprint per client (:func:`client_fingerprint`): a SHA-256 of the
profile, the current mission, its answers, evidence and actions, the client's sessions with the
mission's sample and item reviews (the « Revue des dossiers » section), the previous mission's
verdicts (the report compares with it), the settings and logo, the referential data and the session
checklist (the firm's own files in its workspace included), the notebook, the report templates, the package version and the date the analysis is
made for (proof age, overdue actions and the next audit depend on it, so a report is remade at
most once a day). It is stored
beside the client's outputs in ``reports/<client>/.lot.json`` once they are made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from workbench import __version__
from workbench.core.files import write_atomically
from workbench.core.settings import Settings
from workbench.data import (
    DATA_DIR,
    NOTEBOOKS_DIR,
    REFERENTIEL,
    REFERENTIEL_DIR,
    SESSION_CHECKLIST,
    WORD,
    DataFolders,
)
from workbench.domain.checklist import CHECKLIST_DIR
from workbench.domain.records import Mission
from workbench.domain.tasks import TASKS
from workbench.reports.content import TEMPLATE_DIR
from workbench.reports.warm import ClientOutcome, ClientTask
from workbench.services.workspace import Workspace

STATE_FILE = ".lot.json"
PORTFOLIO = "_portefeuille"
"""Task id and folder of the portfolio view (a client id never starts with an underscore)."""


def _digest_files(paths: Iterable[Path], h: Any) -> None:
    for path in sorted(paths):
        if path.is_file():
            h.update(path.as_posix().encode())
            h.update(path.read_bytes())


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """The package version, report notebooks, templates, referential data and session checklist
    (once per process)."""
    h = hashlib.sha256(__version__.encode())
    _digest_files(NOTEBOOKS_DIR.glob("*.ipynb"), h)
    _digest_files(TEMPLATE_DIR.rglob("*"), h)
    _digest_files(REFERENTIEL_DIR.rglob("*"), h)
    _digest_files(CHECKLIST_DIR.rglob("*"), h)
    return h.hexdigest()


OWN_DATA = (REFERENTIEL, TASKS, SESSION_CHECKLIST, WORD)
"""Kinds of the firm's own data that change what a report shows (the referential with its grids and
remediation, the task catalogue, the file checklist, the Word template)."""


def settings_fingerprint(settings: Settings) -> str:
    """The firm's identity and logo, and its own data files that override the package's."""
    h = hashlib.sha256(settings.branding.model_dump_json().encode())
    logo = settings.logo_path()
    if logo and logo.is_file():
        h.update(logo.read_bytes())
    folders = DataFolders.of(settings)
    for kind in OWN_DATA:
        for folder in folders.folders(kind):
            if not folder.resolve().is_relative_to(DATA_DIR.resolve()):  # the package's: in code_fingerprint
                _digest_files(folder.rglob("*"), h)
    return h.hexdigest()


_SQL_CLIENT = (
    ("SELECT profile FROM clients WHERE id=?", "client"),
    ("SELECT * FROM missions WHERE id=?", "mission"),
    ("SELECT * FROM answers WHERE mission_id=? ORDER BY indicator_id", "mission"),
    ("SELECT * FROM evidence WHERE mission_id=? AND removed=0 ORDER BY id", "mission"),
    ("SELECT * FROM actions WHERE mission_id=? ORDER BY id", "mission"),
    ("SELECT * FROM sessions WHERE client_id=? ORDER BY reference", "client"),
    ("SELECT * FROM session_samples WHERE mission_id=?", "mission"),
    ("SELECT * FROM session_reviews WHERE mission_id=? ORDER BY reference, item_id", "mission"),
)
"""One query per table; the session tables come from a migration, absent from a database only ever
opened read-only since (then there is nothing of them to hash)."""
_SQL_PORTFOLIO = (
    "SELECT id, profile FROM clients ORDER BY id",
    "SELECT * FROM opportunity_assessments ORDER BY id",
    "SELECT * FROM session_samples ORDER BY mission_id",
    "SELECT mission_id, reference, item_id, status, updated_at FROM session_reviews "
    "ORDER BY mission_id, reference, item_id",
)
"""What the portfolio shows beyond each client's current mission: every profile (prospects and
clients without mission included), the opportunity verdicts, and the latest review of each client,
which may belong to an earlier mission."""

_SQL_PREVIOUS = ("SELECT m.id FROM missions m, missions cur WHERE cur.id=? AND m.client_id=cur.client_id "
                 "AND m.id<>cur.id AND (m.audit_date, m.created_at) < (cur.audit_date, cur.created_at) "
                 "ORDER BY m.audit_date DESC, m.created_at DESC LIMIT 1")


def _rows_digest(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> bytes:
    try:
        return repr([tuple(r) for r in conn.execute(sql, params)]).encode()
    except sqlite3.OperationalError as exc:  # a table of a migration not applied (read-only database)
        if "no such table" not in str(exc):
            raise
        return b"-"


def client_fingerprint(ws: Workspace, mission: Mission, *, today: dt.date, base: str | None = None) -> str:
    """What a client's deliverables are made from, hashed (see the module docstring).

    On SQLite the rows are hashed as stored (every column, so a column added later counts too),
    which keeps the check around a millisecond per client; other stores go through the models."""
    store = ws.store
    h = hashlib.sha256((base or code_fingerprint() + settings_fingerprint(ws.settings)).encode())
    h.update(today.isoformat().encode())
    conn = getattr(store, "connection", None)
    if conn is not None:
        keys = {"client": mission.client_id, "mission": mission.id}
        for sql, key in _SQL_CLIENT:
            h.update(_rows_digest(conn, sql, (keys[key],)))
        row = conn.execute(_SQL_PREVIOUS, (mission.id,)).fetchone()
        if row is not None:
            h.update(repr([tuple(r) for r in conn.execute(
                "SELECT indicator_id, verdict FROM answers WHERE mission_id=? ORDER BY indicator_id",
                (row[0],))]).encode())
        return h.hexdigest()
    h.update(store.get_client(mission.client_id).model_dump_json().encode())
    h.update(mission.model_dump_json().encode())
    for _, answer in sorted(store.list_answers(mission.id).items()):
        h.update(answer.model_dump_json().encode())
    for item in (*store.list_evidence(mission.id), *store.list_actions(mission.id)):
        h.update(item.model_dump_json().encode())
    previous = store.previous_mission(mission)
    if previous is not None:
        for ind, answer in sorted(store.list_answers(previous.id).items()):
            h.update(f"{ind}={answer.verdict.value};".encode())
    return h.hexdigest()


def _state_path(settings: Settings, task_id: str) -> Path:
    return settings.reports_dir / task_id / STATE_FILE


def read_state(settings: Settings, task_id: str) -> dict[str, Any]:
    try:
        return json.loads(_state_path(settings, task_id).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def is_unchanged(settings: Settings, task_id: str, fingerprint: str, formats: Sequence[str]) -> dict[str, str] | None:
    """The previous outputs when they were made from the same inputs and are all still there."""
    state = read_state(settings, task_id)
    outputs = state.get("outputs", {})
    if state.get("fingerprint") != fingerprint or not all(f in outputs for f in formats):
        return None
    if not all(Path(outputs[f]).is_file() for f in formats):
        return None
    return {f: outputs[f] for f in formats}


def _write_state(settings: Settings, task_id: str, fingerprint: str, mission: str, outputs: dict[str, str]) -> None:
    path = _state_path(settings, task_id)
    previous = read_state(settings, task_id)
    if previous.get("fingerprint") == fingerprint:  # same inputs: formats made earlier are still valid
        outputs = {**{k: v for k, v in previous.get("outputs", {}).items() if Path(v).is_file()}, **outputs}
    data = {"fingerprint": fingerprint, "mission": mission, "outputs": outputs,
            "made_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"), "version": __version__}
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, lambda tmp: tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1),
                                                      encoding="utf-8"), overwrite=True)


def portfolio_fingerprint(ws: Workspace, missions: Sequence[Mission], consultant: str | None,
                          today: dt.date) -> str:
    base = code_fingerprint() + settings_fingerprint(ws.settings)
    h = hashlib.sha256(f"{consultant or ''}|{today.isoformat()}".encode())
    for mission in missions:
        h.update(client_fingerprint(ws, mission, today=today, base=base).encode())
    conn = getattr(ws.store, "connection", None)
    if conn is not None:
        for sql in _SQL_PORTFOLIO:
            h.update(_rows_digest(conn, sql))
    else:  # clients without a mission and prospects still appear in the view
        for profile in ws.store.list_clients():
            h.update(profile.model_dump_json().encode())
    return h.hexdigest()


def record_success(ws: Workspace, task: ClientTask, outcome: ClientOutcome) -> None:
    """Called by the worker once a task's outputs are made: remember what they were made from.

    The fingerprint is taken again after the run, since the report brings the action plan up to date."""
    today = dt.date.fromisoformat(task.today)
    if task.kind == "portfolio":
        missions = current_missions(ws, task.client_ids)
        fingerprint = portfolio_fingerprint(ws, missions, task.consultant, today)
    else:
        fingerprint = client_fingerprint(ws, ws.store.get_mission(task.mission_id), today=today)
    outcome.fingerprint = fingerprint
    _write_state(ws.settings, task.client_id, fingerprint, task.mission_id, outcome.outputs)


def current_missions(ws: Workspace, client_ids: Sequence[str]) -> list[Mission]:
    """The current (latest) mission of each client that has one, in the given order."""
    by_client: dict[str, Mission] = {}
    for m in ws.store.list_missions():  # ordered by client, then sequence: the last one is current
        by_client[m.client_id] = m
    return [by_client[c] for c in client_ids if c in by_client]
