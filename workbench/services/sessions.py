"""Session files of a client: import, sampling, review, results and their summary.

The glue between the workspace (store, referential) and the pure modules
:mod:`workbench.domain.sessions`, :mod:`workbench.domain.sampling`,
:mod:`workbench.domain.checklist` and :mod:`workbench.domain.session_review`. The CLI, the review
app, the report and the portfolio view all go through these functions.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import secrets
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from workbench.core.errors import NotFoundError, UsageError
from workbench.core.validation import read_yaml
from workbench.core.vocab import NCGrading, Verdict
from workbench.domain.checklist import Checklist, ReviewStatus, load_checklist
from workbench.domain.records import Mission
from workbench.domain.sampling import Period, Sample, draw_sample
from workbench.domain.session_review import ItemReview, ReviewResults, review_results
from workbench.domain.sessions import ColumnMapping, ParsedTable, Session, parse_table
from workbench.domain.tasks import REVIEW_TASK_ID, Completion
from workbench.referential.library import Referential
from workbench.services.workspace import Workspace
from workbench.store import tasks as task_store
from workbench.store.sessions import SessionRepository, UpsertOutcome

COMPLETED_STATE = "sessions.review_completed"


def repository(ws: Workspace) -> SessionRepository:
    return SessionRepository(ws.store)  # type: ignore[arg-type]


# -- reading a table ------------------------------------------------------------------------


def _csv_rows(path: Path) -> tuple[list[str], list[tuple[int, list[str]]]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise UsageError(f"Fichier {path} illisible : encodage inconnu (enregistrez-le en UTF-8).")
    sample = text[:4096]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        delimiter = ";"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, list[str]]] = []
    for record in reader:
        line = reader.line_num
        if header is None:
            if any(c.strip() for c in record):
                header = record
            continue
        rows.append((line, record))
    if header is None:
        raise UsageError(f"Le fichier {path} est vide : aucune ligne d'en-tête.")
    return header, rows


def _xlsx_rows(path: Path) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UsageError(f"Le fichier {path} n'est pas un classeur Excel lisible (.xlsx) : {exc}. "
                         "Rien n'a été importé.") from None
    try:
        sheet = wb[SESSIONS_SHEET] if SESSIONS_SHEET in wb.sheetnames else wb.worksheets[0]
        header: list[Any] | None = None
        rows: list[tuple[int, list[Any]]] = []
        for number, record in enumerate(sheet.iter_rows(values_only=True), start=1):
            values = list(record)
            if header is None:
                if any(v not in (None, "") for v in values):
                    header = values
                continue
            rows.append((number, values))
    finally:
        wb.close()
    if header is None:
        raise UsageError(f"La feuille « {sheet.title} » de {path} est vide : aucune ligne d'en-tête.")
    return header, rows


SESSIONS_SHEET = "Sessions"


def read_table(path: Path) -> tuple[list[Any], list[tuple[int, list[Any]]]]:
    """Header and numbered rows of a CSV (``;``, ``,`` or tab) or Excel file."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"Fichier introuvable : {path}. Rien n'a été importé.")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_rows(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _csv_rows(path)
    raise UsageError(f"Format de fichier non pris en charge : {path.name} (attendu : .csv ou .xlsx).")


def load_mapping(path: Path | None, columns: Sequence[tuple[str, str]] = ()) -> ColumnMapping | None:
    """A column mapping from a YAML file (keys ``colonnes`` and ``valeurs``) and/or ``--colonne`` pairs."""
    if path is None and not columns:
        return None
    data: dict[str, Any] = {}
    if path is not None:
        raw = read_yaml(Path(path), "Fichier de correspondance des colonnes")
        if not isinstance(raw, dict):
            raise UsageError(f"Correspondance de colonnes invalide : {path} doit contenir « colonnes: » "
                             "(et, au besoin, « valeurs: »).")
        data = raw
    try:
        mapping = ColumnMapping.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise UsageError(f"Correspondance de colonnes invalide : {path} — « {where} » : {first.get('msg')}.") from None
    for ours, theirs in columns:
        mapping.colonnes[ours] = theirs
    mapping.resolved()  # unknown column names are reported now
    return mapping


@dataclass
class ImportReport:
    path: Path
    parsed: ParsedTable
    outcome: UpsertOutcome

    def lines(self) -> list[str]:
        o = self.outcome
        out = [f"{len(self.parsed.sessions)} ligne(s) valable(s) : {len(o.added)} session(s) ajoutée(s), "
               f"{len(o.updated)} mise(s) à jour, {len(o.unchanged)} inchangée(s)."]
        if self.parsed.errors:
            out.append(f"{len(self.parsed.errors)} ligne(s) refusée(s) (les autres sont enregistrées) :")
            out += [f"  - {e.describe()}" for e in self.parsed.errors]
        if self.parsed.ignored_columns:
            out.append(f"Colonnes ignorées : {', '.join(self.parsed.ignored_columns)}.")
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"file": str(self.path), "added": self.outcome.added, "updated": self.outcome.updated,
                "unchanged": self.outcome.unchanged,
                "errors": [{"line": e.line, "reference": e.reference, "reason": e.reason}
                           for e in self.parsed.errors],
                "ignored_columns": self.parsed.ignored_columns}


def import_sessions(ws: Workspace, client_id: str, path: Path, mapping: ColumnMapping | None = None) -> ImportReport:
    """Read a file and store its good rows (updated by reference); bad rows are only reported."""
    ws.store.get_client(client_id)
    header, rows = read_table(path)
    parsed = parse_table(client_id, header, rows, mapping)
    outcome = repository(ws).upsert(client_id, [s for _, s in parsed.sessions])
    return ImportReport(Path(path), parsed, outcome)


# -- sampling -------------------------------------------------------------------------------


def new_seed() -> int:
    return secrets.randbelow(1_000_000)


def draw_for_mission(ws: Workspace, client_id: str, mission_id: str | None = None, *, size: int | None = None,
                     seed: int | None = None, period: Period | None = None) -> tuple[Mission, Sample]:
    """Draw the sample and record it in the mission (a previous draw stays in the history)."""
    mission = ws.resolve_mission(client_id, mission_id)
    sessions = repository(ws).list(client_id)
    sample = draw_sample(sessions, seed=new_seed() if seed is None else seed, size=size, period=period)
    repository(ws).save_sample(mission.id, sample.to_dict())
    return mission, sample


# -- review ---------------------------------------------------------------------------------


@dataclass
class MissionReview:
    mission: Mission
    referential: Referential
    checklist: Checklist
    sample: Sample | None
    drawn_at: dt.datetime | None
    drawn_by: str | None
    sessions: list[Session] = field(default_factory=list)
    """The sampled sessions, in sample order."""
    results: ReviewResults | None = None
    completed_on: dt.date | None = None
    reviews: list[ItemReview] = field(default_factory=list)
    """The stored item reviews of the mission."""

    def session(self, reference: str) -> Session:
        for s in self.sessions:
            if s.reference == reference:
                return s
        refs = ", ".join(s.reference for s in self.sessions) or "aucune"
        raise UsageError(f"La session « {reference} » ne fait pas partie de l'échantillon de la mission "
                         f"{self.mission.id} (échantillon : {refs}).")


def _verdicts(ws: Workspace, mission: Mission, ref: Referential) -> dict[int, Verdict]:
    numbers = {i.id: i.number for i in ref.indicators}
    return {numbers[k]: a.verdict for k, a in ws.store.list_answers(mission.id).items() if k in numbers}


def mission_review(ws: Workspace, client_id: str, mission_id: str | None = None,
                   *, checklist: Checklist | None = None) -> MissionReview:
    mission = ws.resolve_mission(client_id, mission_id)
    ref = ws.library.get(mission.referential_id)
    checklist = checklist or load_checklist(folders=ws.folders)
    repo = repository(ws)
    stored = repo.get_sample(mission.id)
    completed = ws.store.get_state(mission.id, COMPLETED_STATE)
    review = MissionReview(mission, ref, checklist, None, None, None,
                           completed_on=dt.date.fromisoformat(completed) if completed else None)
    if stored is None:
        return review
    data, review.drawn_at, review.drawn_by = stored
    review.sample = Sample.from_dict(data)
    known = repo.get_many(client_id, review.sample.references)
    review.sessions = [known[r] for r in review.sample.references if r in known]
    missing = [r for r in review.sample.references if r not in known]
    review.reviews = repo.list_reviews(mission.id)
    review.results = review_results(
        review.sessions, checklist, review.reviews,
        indicator_titles={i.number: i.title for i in ref.indicators},
        major_only=[i.number for i in ref.indicators if i.nc.grading == NCGrading.MAJOR_ONLY],
        verdicts=_verdicts(ws, mission, ref), missing_references=missing)
    return review


def _require_sample(review: MissionReview) -> None:
    if review.sample is None:
        raise UsageError(f"Aucun échantillon pour la mission {review.mission.id} : tirez-le d'abord "
                         f"(workbench sessions sample {review.mission.client_id}).")


def check_change(review: MissionReview, reference: str, item_id: str) -> None:
    """Refuse a review of a session outside the sample or of an item that does not apply to it."""
    _require_sample(review)
    session = review.session(reference)
    item = review.checklist.item(item_id)
    why = item.applies_to.why_not(session)
    if why:
        raise UsageError(f"Le point « {item.label} » ne s'applique pas à la session « {reference} » : {why}.")


def save_item_reviews(ws: Workspace, client_id: str, mission_id: str,
                      changes: Sequence[tuple[str, str, dict[str, Any]]], *,
                      today: dt.date | None = None) -> tuple[list[ItemReview], MissionReview]:
    """Check and save item reviews in one transaction; when the review becomes complete, record the
    date (and close the periodic review task of the client's plan when that feature is present)."""
    review = mission_review(ws, client_id, mission_id)
    for reference, item_id, fields in changes:
        check_change(review, reference, item_id)
        if "status" in fields and not isinstance(fields["status"], ReviewStatus):
            fields["status"] = ReviewStatus(fields["status"])
    saved = repository(ws).save_reviews(review.mission.id, changes)
    after = mission_review(ws, client_id, review.mission.id)
    if after.results is not None and after.results.finished and after.completed_on is None:
        day = today or dt.date.today()
        ws.store.set_state(review.mission.id, COMPLETED_STATE, day.isoformat())
        after.completed_on = day
        mark_task_done(ws, client_id, review.mission.id, day)
    return saved, after


def mark_task_done(ws: Workspace, client_id: str, mission_id: str, day: dt.date) -> bool:
    """Record a completion of the recurring « revue des dossiers » task of the client's plan (lifecycle
    feature), dated ``day``. Returns False when the client's plan has no such task (no plan yet, or
    the task was retired): the review itself is saved either way."""
    store = ws.store
    if not task_store.has_tables(store):  # type: ignore[arg-type]
        return False
    try:
        task = task_store.get_task(store, client_id, REVIEW_TASK_ID)  # type: ignore[arg-type]
    except NotFoundError:
        return False
    if task.retired:
        return False
    task_store.record_completion(store, Completion(  # type: ignore[arg-type]
        client_id=client_id, task_id=REVIEW_TASK_ID, done_on=day, done_by=store.actor, mission_id=mission_id,
        note=f"Revue des dossiers de la mission {mission_id} terminée : chaque point applicable des dossiers "
             "échantillonnés a un statut.", source="revue-dossiers"))
    return True


# -- results for other features -------------------------------------------------------------


def file_findings(ws: Workspace, mission: Mission) -> dict[int, str]:
    """Per indicator number, the review's finding (for the gap analysis risk flags)."""
    review = mission_review(ws, mission.client_id, mission.id)
    if review.results is None:
        return {}
    return {f.number: f.message for f in review.results.findings}


def session_review_summary(workspace: Workspace | str | Path | None, client_id: str) -> dict[str, Any]:
    """The client's latest session-file review, for the portfolio view (plain JSON-ready data).

    Keys: ``client_id``, ``sessions`` (known sessions), ``mission_id`` (the latest mission with a
    sample, or None), ``drawn_at``, ``sample_size``, ``reviewed`` / ``complete`` / ``incomplete``
    files, ``finished``, ``last_review`` (ISO date the review was completed, or of its latest
    change), ``top_missing`` (items most often missing, with « n dossiers sur m » messages) and
    ``findings`` (indicator number, message, suggested verdict, current verdict).
    """
    ws = workspace if isinstance(workspace, Workspace) else Workspace.open(workspace, create=False)
    try:
        ws.store.get_client(client_id)
        repo = repository(ws)
        missions = ws.store.list_missions(client_id)
        with_sample = [m for m in missions if repo.get_sample(m.id) is not None]
        out: dict[str, Any] = {"client_id": client_id, "sessions": repo.count(client_id), "mission_id": None,
                               "drawn_at": None, "sample_size": 0, "reviewed": 0, "complete": 0, "incomplete": 0,
                               "missing_items": 0,
                               "finished": False, "last_review": None, "top_missing": [], "findings": []}
        if not with_sample:
            return out
        latest = max(with_sample, key=lambda m: (m.audit_date, m.created_at))
        review = mission_review(ws, client_id, latest.id)
        res = review.results
        assert res is not None and review.sample is not None
        last_change = repo.last_review_change([latest.id])
        out.update({
            "mission_id": latest.id, "drawn_at": review.drawn_at.isoformat() if review.drawn_at else None,
            "sample_size": review.sample.size, "reviewed": res.reviewed, "complete": res.complete,
            "incomplete": sum(1 for f in res.files if f.missing), "finished": res.finished,
            "missing_items": sum(f.missing for f in res.files),
            "last_review": (review.completed_on.isoformat() if review.completed_on
                            else last_change.date().isoformat() if last_change else None),
            "top_missing": [{"item": t.item.id, "label": t.item.label, "lacking": len(t.lacking),
                             "checked": t.checked, "message": t.message}
                            for t in sorted(res.items, key=lambda t: (-len(t.lacking), t.item.id)) if t.lacking][:5],
            "findings": [{"indicator": f.number, "message": f.message, "suggested": f.suggested.value,
                          "current": f.current.value if f.current else None} for f in res.findings],
        })
        return out
    finally:
        if not isinstance(workspace, Workspace):
            ws.close()
