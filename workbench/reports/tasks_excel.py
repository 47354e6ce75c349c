"""The recurring-task plan in Excel: exported for the client to tick off, then re-imported.

Same rules as the action plan (:mod:`workbench.reports.excel`, whose layout, writing, reading and
conflict helpers are reused): one « Tâches récurrentes » sheet laid out as an Excel table, text kept
as text, hidden ``ID`` and ``Version`` columns, a « Provenance » sheet, an atomic write that never
replaces an existing file without ``overwrite``.

The client fills in only three columns: « Réalisée le » (the date the task was done), « Preuve
conservée » (optional) and « Commentaire ». On import the whole file is checked before anything is
written (another client, unknown or duplicate tasks, an unreadable date or a date in the future,
a missing ``Version`` refuse the file). A formula in an editable cell is never read. A date already
recorded for the task changes nothing. A completion recorded in the application since the export
makes a new date from the file a *conflict* (the same update may have been entered twice): nothing
is recorded for it unless ``force``; a comment changed in the application since the export is a
conflict too. Accepted dates are recorded as completions (source ``excel``) with their evidence,
exactly as ``workbench tasks done`` would.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workbench import __version__
from workbench.core.dates import fr_date
from workbench.domain.tasks import TaskStatus, TaskView
from workbench.reports.excel import (
    CLIENT_PROPERTY,
    PlanImportError,
    SheetLayout,
    build_workbook,
    changed_since_export,
    check_target,
    formula_text,
    read_sheet,
    refuse,
    save_workbook,
)
from workbench.services import lifecycle
from workbench.services.workspace import Workspace
from workbench.store import tasks as task_store

TASK_SHEET = "Tâches récurrentes"
DONE_COLUMN = "Réalisée le"
EVIDENCE_COLUMN = "Preuve conservée"
COMMENT_COLUMN = "Commentaire"
UNCHANGED = "Aucune tâche n'a été modifiée."
EXCEL_ACTOR = "client (fichier Excel)"

LAYOUT = SheetLayout(
    sheet=TASK_SHEET, table="TachesRecurrentes",
    columns=(("ID", 22), ("Version", 34), ("Tâche", 44), ("Ce qu'il faut faire", 60), ("Indicateurs", 12),
             ("Responsable", 22), ("Fréquence (mois)", 11), ("Dernière réalisation", 14),
             ("Prochaine échéance", 14), ("État", 16), ("Preuve à conserver", 40), (DONE_COLUMN, 14),
             (EVIDENCE_COLUMN, 32), (COMMENT_COLUMN, 40)),
    hidden=("ID", "Version"),
    text_columns=("ID", "Version", "Tâche", "Ce qu'il faut faire", "Indicateurs", "Responsable", "État",
                  "Preuve à conserver", EVIDENCE_COLUMN, COMMENT_COLUMN),
    date_columns=("Dernière réalisation", "Prochaine échéance", DONE_COLUMN),
    instructions=(f"Quand une tâche est faite, inscrivez la date dans « {DONE_COLUMN} » (JJ/MM/AAAA), la preuve "
                  f"gardée dans « {EVIDENCE_COLUMN} » si vous le souhaitez, et un « {COMMENT_COLUMN} » au besoin ; "
                  "ne modifiez pas les autres colonnes, ne supprimez pas les colonnes masquées « ID » et "
                  "« Version », puis renvoyez le fichier au consultant."),
)


def _version(view: TaskView) -> str:
    stamp = view.task.updated_at.isoformat() if view.task.updated_at else ""
    return f"{stamp}|{view.last.id if view.last and view.last.id else 0}"


def export_task_plan(path: Path, *, client_id: str, client_name: str, views: Sequence[TaskView], today: dt.date,
                     primary_color: str = "#1f4e79", overwrite: bool = False) -> Path:
    """Write the client's active tasks to a workbook (atomically); returns its path."""
    path = check_target(path, overwrite=overwrite)
    rows = []
    for v in views:
        if v.task.retired:
            continue
        state = v.status.label + (f" ({(today - v.next_due).days} j)" if v.status == TaskStatus.OVERDUE else "")
        rows.append([v.task.id, _version(v), v.task.title, v.task.what, ", ".join(map(str, v.task.indicators)),
                     v.task.owner, v.task.frequency_months, v.last_done, v.next_due, state, v.task.proof,
                     None, "", v.task.comment])
    prov = {"Client": client_name, "Plan": "tâches récurrentes",
            "Situation au": fr_date(today), "Version du logiciel": __version__,
            "Généré le": dt.datetime.now().astimezone().strftime("%d/%m/%Y %H:%M")}
    wb = build_workbook(LAYOUT, rows, prov, title=f"Tâches qualité récurrentes — {client_name}",
                        subject=f"Plan des tâches récurrentes — {client_name}",
                        keywords="tâches récurrentes; Qualiopi", custom={CLIENT_PROPERTY: client_id,
                                                                            "workbench_version": __version__},
                        primary_color=primary_color)
    return save_workbook(path, wb, overwrite=overwrite)


# -- import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Done:
    task_id: str
    title: str
    done_on: dt.date
    evidence: str | None
    overrides: bool = False


@dataclass(frozen=True)
class TaskConflict:
    task_id: str
    title: str
    what: str


@dataclass
class TaskImportReport:
    path: Path
    client_id: str
    rows: int = 0
    done: list[Done] = field(default_factory=list)
    comments: list[tuple[str, str, str]] = field(default_factory=list)
    """(task id, before, after)."""
    already: list[str] = field(default_factory=list)
    conflicts: list[TaskConflict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"Import de {self.path.name} dans le plan de « {self.client_id} » : {self.rows} ligne(s) lue(s), "
               f"{len(self.done)} réalisation(s) enregistrée(s), {len(self.comments)} commentaire(s) modifié(s)"
               + (f", {len(self.conflicts)} conflit(s)" if self.conflicts else "") + "."]
        for d in self.done:
            proof = f", preuve « {d.evidence} »" if d.evidence else ""
            force = " (--force : une réalisation avait été enregistrée depuis l'export)" if d.overrides else ""
            out.append(f"- {d.title} : faite le {fr_date(d.done_on)}{proof}{force}")
        for task_id, before, after in self.comments:
            out.append(f"- {task_id} : commentaire « {before} » → « {after} »")
        if self.already:
            out.append(f"Déjà enregistré, rien à faire : {', '.join(self.already)}.")
        if self.conflicts:
            out.append("Conflits (modifié dans l'application depuis l'export ; rien n'a été appliqué pour ces "
                       "lignes) :")
            out += [f"- {c.title} ({c.task_id}) : {c.what}" for c in self.conflicts]
            out.append("Relancez avec --force pour appliquer quand même le fichier.")
        if self.skipped:
            out.append("Cellules ignorées (formule ou erreur Excel ; valeur enregistrée conservée) :")
            out += [f"- {s}" for s in self.skipped]
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


def _parse_day(raw: object) -> dt.date | None | str:
    """A date cell: None when empty, a date, or the raw text when unreadable."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    text = str(raw).strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return text


def _parse_version(raw: object) -> tuple[dt.datetime, int] | None:
    if not isinstance(raw, str) or "|" not in raw:
        return None
    stamp, _, last = raw.strip().partition("|")
    try:
        when = dt.datetime.fromisoformat(stamp)
    except ValueError:
        return None
    if not last.isdigit():
        return None
    return (when if when.tzinfo else when.replace(tzinfo=dt.UTC)), int(last)


def import_task_plan(ws: Workspace, client_id: str, path: Path, *, force: bool = False,
                     today: dt.date | None = None) -> TaskImportReport:
    """Check the whole file, then record its completions and comments (rules in the module docstring)."""
    today = today or dt.date.today()
    path = Path(path)
    header, body, provenance = read_sheet(path, TASK_SHEET, UNCHANGED)
    required = ("ID", "Version", DONE_COLUMN, EVIDENCE_COLUMN, COMMENT_COLUMN)
    missing = [c for c in required if c not in header]
    if missing:
        raise refuse(path, f"colonne(s) manquante(s) dans « {TASK_SHEET} » : {', '.join(missing)}.", UNCHANGED)
    file_client = provenance.get(CLIENT_PROPERTY) or provenance.get("Identifiant client")  # (sheet: older files)
    if file_client and file_client != client_id:
        raise refuse(path, f"il concerne le client « {file_client} », pas « {client_id} ».", UNCHANGED)
    col = {name: header.index(name) for name in required}
    views = {v.id: v for v in lifecycle.task_views(ws, client_id, today, include_retired=True)}
    completions = task_store.list_completions(ws.store, client_id)  # type: ignore[arg-type]
    history = task_store.task_history(ws.store, client_id)  # type: ignore[arg-type]
    report = TaskImportReport(path, client_id, rows=len(body))
    problems: list[str] = []
    seen: dict[str, int] = {}
    planned: list[tuple[str, dt.date | None, str | None, str | None, bool, bool]] = []
    for line, row, formulas in body:
        row = row + [None] * (len(header) - len(row))
        task_id = str(row[col["ID"]] or "").strip()
        if task_id not in views:
            problems.append(f"ligne {line} : tâche inconnue dans le plan (« {task_id or 'vide'} »)")
            continue
        if task_id in seen:
            problems.append(f"ligne {line} : tâche {task_id} déjà présente ligne {seen[task_id]}")
            continue
        seen[task_id] = line
        version = _parse_version(row[col["Version"]])
        if version is None:
            problems.append(f"ligne {line} : la colonne masquée « Version » est vide ou a été modifiée ; "
                            "exportez à nouveau le plan")
            continue
        view = views[task_id]
        exported_at, exported_last = version
        values: dict[str, object] = {}
        for name in (DONE_COLUMN, EVIDENCE_COLUMN, COMMENT_COLUMN):
            if col[name] in formulas:
                report.skipped.append(f"ligne {line}, {task_id} : « {name} » = {formula_text(row[col[name]])}")
            else:
                values[name] = row[col[name]]
        day = _parse_day(values.get(DONE_COLUMN))
        if isinstance(day, str):
            problems.append(f"ligne {line} : date de réalisation illisible « {day} » (JJ/MM/AAAA attendu)")
            continue
        if day is not None and day > today:
            problems.append(f"ligne {line} : date de réalisation dans le futur ({fr_date(day)})")
            continue
        evidence = str(values.get(EVIDENCE_COLUMN) or "").strip() or None
        comment = values.get(COMMENT_COLUMN)
        comment = None if comment is None and COMMENT_COLUMN not in values else str(comment or "").strip()
        mine = [c for c in completions if c.task_id == task_id]
        new_done = day is not None and all(c.done_on != day for c in mine)
        if day is not None and not new_done:
            report.already.append(f"{task_id} ({fr_date(day)})")
        recorded_since = any((c.id or 0) > exported_last for c in mine)
        after = [(h["field"], h["before"]) for h in history
                 if h["task_id"] == task_id and dt.datetime.fromisoformat(h["at"]) > exported_at]
        comment_changed = "comment" in changed_since_export(view.task.updated_at, exported_at, after,
                                                            {"comment": view.task.comment})
        done_conflict = new_done and recorded_since
        comment_new = comment is not None and comment != view.task.comment
        if (done_conflict or (comment_new and comment_changed)) and not force:
            what = []
            if done_conflict:
                what.append(f"une réalisation a été enregistrée depuis l'export (dernière : "
                            f"{fr_date(view.last_done)}), le fichier indique le {fr_date(day)}")  # type: ignore[arg-type]
            if comment_new and comment_changed:
                what.append(f"commentaire enregistré « {view.task.comment} » conservé, le fichier indique « {comment} »")
            report.conflicts.append(TaskConflict(task_id, view.task.title, " ; ".join(what)))
            continue
        if (new_done or comment_new) and view.task.retired:
            problems.append(f"ligne {line} : la tâche {task_id} a été retirée du plan depuis l'export")
            continue
        planned.append((task_id, day if new_done else None, evidence, comment if comment_new else None,
                        done_conflict, comment_changed))
    if problems:
        raise refuse(path, "; ".join(problems[:10]) + (" …" if len(problems) > 10 else "") + ".", UNCHANGED)
    for task_id, day, evidence, comment, overrides, _ in planned:
        view = views[task_id]
        if day is not None:
            lifecycle.mark_task_done(ws, client_id, task_id, done_on=day, by=EXCEL_ACTOR, evidence_label=evidence,
                                     source="excel", today=today)
            report.done.append(Done(task_id, view.task.title, day, evidence, overrides))
        if comment is not None:
            task_store.update_task(ws.store, client_id, task_id, comment=comment)  # type: ignore[arg-type]
            report.comments.append((task_id, view.task.comment, comment))
    return report


__all__ = ["PlanImportError", "TaskImportReport", "export_task_plan", "import_task_plan"]
