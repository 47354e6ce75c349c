"""Excel files of the session-file review: the import template and the checklist round trip.

* :func:`write_template` — the session import template: a « Sessions » sheet with our French
  headers (drop-down lists for category, yes/no and modality, date format), a « Mode d'emploi »
  sheet describing every column, and an « Exemple » sheet (never read by the import).
* :func:`export_checklist` — one row per applicable item of every sampled file, for the client's
  self-review: only « Statut », « Note » and « Preuve vue » are read back. Hidden columns carry the
  session reference, the item id and the row's ``Version`` (last change at export).
* :func:`import_checklist` — reads the whole file before writing anything: another client or
  mission, unknown sessions or items, unknown statuses refuse the whole file. A value changed in the
  application since the export, and changed differently in the file, is a *conflict*: the stored
  value is kept unless ``force``. A cell holding a formula is never read. Accepted changes are saved
  in one transaction, with the mission's history.

Files are written atomically and never over an existing file without ``overwrite``.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from workbench import __version__
from workbench.core.errors import UsageError
from workbench.core.files import write_atomically
from workbench.domain.checklist import ReviewStatus, parse_status
from workbench.domain.session_review import ItemReview
from workbench.domain.sessions import COLUMNS
from workbench.reports.excel import CLIENT_PROPERTY, MISSION_PROPERTY, _write_text_as_text, guide_sheet
from workbench.services.sessions import SESSIONS_SHEET, MissionReview, repository, save_item_reviews
from workbench.services.workspace import Workspace

CHECKLIST_SHEET = "Revue des dossiers"
INFO_SHEET = "Provenance"
VERSION = "Version"
CHECK_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Référence", 16), ("Session", 36), ("Phase", 16), ("ID point", 10), ("Point à vérifier", 46),
    ("Indicateurs", 12), ("Statut", 14), ("Note", 40), ("Preuve vue", 40), (VERSION, 10),
)
HIDDEN = ("ID point", VERSION)
EDITABLE = {"status": "Statut", "note": "Note", "evidence": "Preuve vue"}
FIELD_FR = {"status": "statut", "note": "note", "evidence": "preuve vue"}


def _header_style(ws: Any, color: str = "1F4E79") -> None:
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor=color)
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    ws.freeze_panes = "A2"


def _list_validation(ws: Any, column: int, values: list[str], title: str, rows: int = 1000) -> None:
    letter = get_column_letter(column)
    dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True,
                        showErrorMessage=True, errorTitle=title, error=f"Choisissez dans la liste : {', '.join(values)}.")
    dv.add(f"{letter}2:{letter}{rows}")
    ws.add_data_validation(dv)


def _save(wb: Workbook, path: Path, overwrite: bool) -> Path:
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} est un dossier : indiquez le nom du fichier Excel à créer ; rien n'a été écrit.")
    if path.exists() and not overwrite:
        raise UsageError(f"Le fichier {path} existe déjà ; rien n'a été écrit. Choisissez un autre nom ou "
                         "ajoutez --force pour le remplacer.")
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, wb.save, overwrite=overwrite, hint=" (--force pour le remplacer)")
    return path


# -- the import template --------------------------------------------------------------------


def write_template(path: Path, *, overwrite: bool = False) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = SESSIONS_SHEET
    ws.append([c.header for c in COLUMNS])
    _header_style(ws)
    for i, c in enumerate(COLUMNS, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(14, len(c.header) + 4)
        if c.field in ("start", "end"):
            for row in range(2, 1001):
                ws[f"{letter}{row}"].number_format = "DD/MM/YYYY"
        elif c.field not in ("learners",):
            for row in range(2, 1001):
                ws[f"{letter}{row}"].number_format = "@"
        if c.field == "category":
            _list_validation(ws, i, ["AF", "BC", "VAE", "CFA"], "Catégorie")
        elif c.field in ("certifying", "subcontracted"):
            _list_validation(ws, i, ["oui", "non"], c.header)
        elif c.field == "modality":
            _list_validation(ws, i, ["présentiel", "distance", "mixte"], c.header)

    doc = wb.create_sheet("Mode d'emploi")
    doc.append(["Colonne", "Obligatoire", "Contenu attendu", "Exemple"])
    for c in COLUMNS:
        doc.append([c.header, "oui" if c.required else "non", c.help, c.example])
    doc.append([])
    doc.append(["À savoir", "", "Une ligne par session, sur la feuille « Sessions ». Importer de nouveau le fichier met "
                "à jour les sessions par leur référence (jamais de doublon) ; une ligne erronée est signalée avec "
                "son numéro et la raison, les autres sont enregistrées. Commande : workbench sessions import "
                "CLIENT fichier.xlsx", ""])
    _header_style(doc)
    for letter, width in zip("ABCD", (22, 12, 80, 26), strict=True):
        doc.column_dimensions[letter].width = width
    for row in doc.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)

    ex = wb.create_sheet("Exemple")
    ex.append([c.header for c in COLUMNS])
    ex.append([c.example for c in COLUMNS])
    _header_style(ex, "7F7F7F")
    for s in (ws, doc, ex):
        _write_text_as_text(s)
    wb.properties.title = "Modèle d'import des sessions — Qualiopi Workbench"
    wb.properties.creator = f"Qualiopi Workbench {__version__}"
    return _save(wb, path, overwrite)


# -- checklist export -----------------------------------------------------------------------


def export_checklist(path: Path, review: MissionReview, client_name: str, *, overwrite: bool = False) -> Path:
    if review.sample is None or review.results is None:
        raise UsageError(f"Aucun échantillon pour la mission {review.mission.id} : tirez-le d'abord "
                         f"(workbench sessions sample {review.mission.client_id}).")
    wb = Workbook()
    guide_sheet(wb.active, f"Revue des dossiers — {client_name}",
                "Pour chaque point, choisissez le statut (Présent, Manquant, Sans objet) et notez au besoin ce que "
                "vous avez vu, puis renvoyez le fichier au consultant. Ne supprimez ni les lignes ni les colonnes.",
                list(EDITABLE.values()), CHECKLIST_SHEET)
    ws = wb.create_sheet(CHECKLIST_SHEET)
    ws.append([h for h, _ in CHECK_COLUMNS])
    _header_style(ws)
    reviews = {(r.reference, r.item_id): r for r in review.reviews}
    for f in review.results.files:
        for line in f.lines:
            r = reviews.get((f.session.reference, line.item.id))
            ws.append([f.session.reference, f.session.title, review.checklist.phase_label(line.item.phase),
                       line.item.id, line.item.label, ", ".join(str(n) for n in line.item.indicators) or "—",
                       line.status.label, line.note, line.evidence,
                       r.updated_at.isoformat() if r and r.updated_at else ""])
    headers = [h for h, _ in CHECK_COLUMNS]
    for i, (name, width) in enumerate(CHECK_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
        if name in HIDDEN:
            ws.column_dimensions[get_column_letter(i)].hidden = True
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.number_format = "@"
    _list_validation(ws, headers.index("Statut") + 1, [s.label for s in ReviewStatus], "Statut",
                     rows=ws.max_row + 50)
    ws.auto_filter.ref = f"A1:{get_column_letter(len(CHECK_COLUMNS))}{ws.max_row}"

    info = wb.create_sheet(INFO_SHEET)
    info.append(["Élément", "Valeur"])
    for key, value in (("Client", client_name), ("Graine de l'échantillon", str(review.sample.seed)),
                       ("Version du logiciel", __version__),
                       ("Généré le", dt.datetime.now().astimezone().strftime("%d/%m/%Y à %H:%M"))):
        info.append([key, value])
    _header_style(info)
    info.column_dimensions["A"].width = 26
    info.column_dimensions["B"].width = 90
    for s in (ws, info):
        _write_text_as_text(s)
    wb.properties.title = f"Revue des dossiers — {client_name}"
    wb.properties.creator = f"Qualiopi Workbench {__version__}"
    wb.properties.keywords = "revue des dossiers; Qualiopi"
    for name, value in ((CLIENT_PROPERTY, review.mission.client_id), (MISSION_PROPERTY, review.mission.id)):
        wb.custom_doc_props.append(StringProperty(name=name, value=value))  # never shown to the client
    wb.active = 0
    return _save(wb, path, overwrite)


# -- checklist import -----------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    reference: str
    item_id: str
    field: str
    before: str
    after: str
    overrides: bool = False


@dataclass(frozen=True)
class Conflict:
    reference: str
    item_id: str
    field: str
    stored: str
    in_file: str


@dataclass
class ChecklistImport:
    path: Path
    mission_id: str
    rows: int = 0
    changes: list[Change] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    completed: bool = False

    def lines(self) -> list[str]:
        out = [f"Import de {self.path.name} dans la mission {self.mission_id} : {self.rows} ligne(s) lue(s), "
               f"{len(self.changes)} valeur(s) reprise(s)" + (f", {len(self.conflicts)} conflit(s)" if self.conflicts
                                                             else "") + "."]
        for c in self.changes:
            line = f"- {c.reference} / {c.item_id} : {FIELD_FR[c.field]} « {c.before} » → « {c.after} »"
            out.append(line + (" (--force : remplace une modification faite depuis l'export)" if c.overrides else ""))
        if self.conflicts:
            out.append("Conflits (valeur modifiée dans l'application depuis l'export : la valeur enregistrée est "
                       "conservée ; --force pour appliquer le fichier) :")
            out += [f"- {k.reference} / {k.item_id} : {FIELD_FR[k.field]} enregistré « {k.stored} », "
                    f"fichier « {k.in_file} »" for k in self.conflicts]
        if self.skipped:
            out.append("Cellules ignorées (formule ou erreur Excel ; valeur enregistrée conservée) :")
            out += [f"- {s}" for s in self.skipped]
        if self.completed:
            out.append("Revue terminée : chaque point applicable des dossiers échantillonnés a un statut.")
        return out


def _refuse(path: Path, reason: str) -> UsageError:
    return UsageError(f"Fichier refusé : {path.name} — {reason} Rien n'a été modifié.")


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _plain(value: Any) -> str:
    return value.value if isinstance(value, ReviewStatus) else str(value)


def _show(field_name: str, value: Any) -> str:
    return value.label if field_name == "status" else str(value)


def import_checklist(ws: Workspace, client_id: str, mission_id: str | None, path: Path, *,
                     force: bool = False, today: dt.date | None = None) -> ChecklistImport:
    from workbench.services.sessions import mission_review

    path = Path(path)
    review = mission_review(ws, client_id, mission_id)
    mission = review.mission
    if review.sample is None or review.results is None:
        raise _refuse(path, f"la mission {mission.id} n'a pas d'échantillon.")
    try:
        wb = load_workbook(path, data_only=False)
    except FileNotFoundError:
        raise _refuse(path, "fichier introuvable.") from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise _refuse(path, "ce n'est pas un classeur Excel (.xlsx) lisible.") from None
    try:
        if CHECKLIST_SHEET not in wb.sheetnames:
            raise _refuse(path, f"la feuille « {CHECKLIST_SHEET} » est absente.")
        info = {p.name: _text(p.value) for p in wb.custom_doc_props if p.name}
        if INFO_SHEET in wb.sheetnames:
            for r in wb[INFO_SHEET].iter_rows(min_row=2, values_only=True):
                if r and len(r) > 1 and r[0] is not None:
                    info.setdefault(_text(r[0]), _text(r[1]))
        rows = [(n, list(cells)) for n, cells in enumerate(wb[CHECKLIST_SHEET].iter_rows(), start=1)]
    finally:
        wb.close()
    file_client = info.get(CLIENT_PROPERTY) or info.get("Identifiant client")  # (sheet: older files)
    file_mission = info.get(MISSION_PROPERTY) or info.get("Mission")
    if file_client != client_id or file_mission != mission.id:
        raise _refuse(path, f"il a été exporté pour le client « {file_client or '?'} », mission "
                            f"« {file_mission or '?'} », pas pour {client_id} / {mission.id}.")
    header = [_text(c.value) for c in rows[0][1]] if rows else []
    needed = ["Référence", "ID point", VERSION, *EDITABLE.values()]
    missing = [h for h in needed if h not in header]
    if missing:
        raise _refuse(path, f"colonne(s) absente(s) : {', '.join(missing)}.")
    col = {h: header.index(h) for h in needed}
    applicable = {(f.session.reference, ln.item.id) for f in review.results.files for ln in f.lines}
    repo = repository(ws)
    stored = {(r.reference, r.item_id): r for r in repo.list_reviews(mission.id)}
    history = [h for h in ws.store.history(mission.id) if h.entity == "session_review"]
    report = ChecklistImport(path, mission.id)
    pending: list[tuple[str, str, dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    for line, cells in rows[1:]:
        values = [c.value for c in cells]
        if all(v in (None, "") for v in values):
            continue
        report.rows += 1
        key = (_text(values[col["Référence"]]), _text(values[col["ID point"]]))
        if key not in applicable:
            raise _refuse(path, f"ligne {line} : session « {key[0]} » / point « {key[1]} » absent de l'échantillon "
                                "ou non applicable.")
        if key in seen:
            raise _refuse(path, f"ligne {line} : session « {key[0]} » / point « {key[1]} » en double.")
        seen.add(key)
        current = stored.get(key) or ItemReview(mission_id=mission.id, reference=key[0], item_id=key[1])
        version = _text(values[col[VERSION]])
        changed_since = (current.updated_at.isoformat() if current.updated_at else "") != version
        fields: dict[str, Any] = {}
        for fname, header_name in EDITABLE.items():
            cell = cells[col[header_name]]
            if cell.data_type in ("f", "e"):
                report.skipped.append(f"ligne {line}, {header_name} : « {_text(cell.value)} »")
                continue
            raw = _text(cell.value)
            try:
                value: Any = parse_status(raw) if fname == "status" else raw
            except UsageError as exc:
                raise _refuse(path, f"ligne {line} : {exc.message}") from None
            now_value = getattr(current, fname)
            if value == now_value:
                continue
            overrides = False
            if changed_since:
                after = [h for h in history if h.entity_key == f"{key[0]}/{key[1]}" and h.field == fname
                         and (not version or h.at.isoformat() > version)]
                if after:  # changed in the application since the export
                    exported = after[0].before or (ReviewStatus.UNCHECKED.value if fname == "status" else "")
                    if _plain(value) == exported:
                        continue  # untouched in the file: the application's newer value stands
                    if not force:
                        report.conflicts.append(Conflict(key[0], key[1], fname, _show(fname, now_value),
                                                         _show(fname, value)))
                        continue
                    overrides = True
            fields[fname] = value
            report.changes.append(Change(key[0], key[1], fname, _show(fname, now_value), _show(fname, value), overrides))
        if fields:
            pending.append((key[0], key[1], fields))
    if pending:
        _, after_review = save_item_reviews(ws, client_id, mission.id, pending, today=today)
        report.completed = after_review.results is not None and after_review.results.finished
    return report
