"""Excel action plan the client can work in, and re-import of its statuses and comments.

Export: one sheet « Plan d'actions » laid out as an Excel table (filters, banded rows), header
frozen, real dates shown as JJ/MM/AAAA, a drop-down list on the status, sensible column widths and
a hidden ``ID`` column; a « Provenance » sheet and the document properties record the client, the
mission, the referential version, the input hash, the package version and the generation time.

Import: only the status and the comment are read back. The file is checked entirely before
anything is written: not an xlsx, missing sheet or columns, another client or mission, unknown or
duplicate ids, unknown statuses — each refuses the whole file with a French message and nothing
is changed. Accepted changes go through :meth:`Store.update_action`, so the history keeps them.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook, load_workbook
from openpyxl.packaging.custom import StringProperty
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table, TableStyleInfo

from workbench import __version__
from workbench.errors import UsageError
from workbench.referentiel import Referential
from workbench.store import Action, Mission, Store
from workbench.vocab import ActionStatus

PLAN_SHEET = "Plan d'actions"
PROVENANCE_SHEET = "Provenance"
TABLE_NAME = "PlanActions"
DATE_FORMAT = "DD/MM/YYYY"

# (header, width) — order of the columns in the sheet.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("ID", 8),
    ("Priorité", 20),
    ("Indicateur", 11),
    ("Intitulé de l'indicateur", 38),
    ("Action", 50),
    ("Détail", 70),
    ("Responsable", 22),
    ("Échéance", 13),
    ("Statut", 13),
    ("Commentaire", 45),
)
REQUIRED_FOR_IMPORT = ("ID", "Statut", "Commentaire")
PRIORITY_LABELS = {1: "1 — NC majeure", 2: "2 — NC mineure", 3: "3 — Non évalué", 4: "4 — Preuve à actualiser"}
STATUS_BY_LABEL = {s.label.lower(): s for s in ActionStatus} | {s.value: s for s in ActionStatus}


class PlanImportError(UsageError):
    """The file cannot be imported into this mission; nothing was changed."""


def _indicator_ref(referential: Referential, indicator_id: str) -> tuple[int | str, str]:
    for ind in referential.indicators:
        if ind.id == indicator_id:
            return ind.number, ind.title
    return indicator_id, ""


def export_action_plan(
    path: Path,
    *,
    mission: Mission,
    client_name: str,
    actions: Sequence[Action],
    referential: Referential,
    provenance: Mapping[str, str] | None = None,
    primary_color: str = "#1f4e79",
) -> Path:
    """Write the action plan workbook; returns its path."""
    wb = Workbook()
    ws = wb.active
    ws.title = PLAN_SHEET
    ws.append([h for h, _ in COLUMNS])
    for action in actions:
        number, title = _indicator_ref(referential, action.indicator_id)
        ws.append([
            action.id, PRIORITY_LABELS.get(action.priority, str(action.priority)), number, title,
            action.title, action.detail, action.owner, action.due_date, action.status.label, action.comment,
        ])
    last_row = len(actions) + 1
    last_col = get_column_letter(len(COLUMNS))

    header_fill = PatternFill("solid", fgColor=primary_color.lstrip("#").upper())
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for idx, (_, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    ws.column_dimensions["A"].hidden = True
    due_col = [h for h, _ in COLUMNS].index("Échéance") + 1
    for row in ws.iter_rows(min_row=2, max_row=last_row):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        row[due_col - 1].number_format = DATE_FORMAT
    ws.freeze_panes = "B2"

    if actions:
        table = Table(displayName=TABLE_NAME, ref=f"A1:{last_col}{last_row}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(table)
    else:
        ws.auto_filter.ref = f"A1:{last_col}1"

    status_col = get_column_letter([h for h, _ in COLUMNS].index("Statut") + 1)
    labels = ",".join(s.label for s in ActionStatus)
    validation = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=False,
                                showErrorMessage=True, errorTitle="Statut invalide",
                                error=f"Choisissez un statut dans la liste : {labels.replace(',', ', ')}.",
                                promptTitle="Statut", prompt="Choisissez dans la liste.")
    validation.add(f"{status_col}2:{status_col}{max(last_row, 2) + 200}")
    ws.add_data_validation(validation)

    prov = {
        "Client": client_name,
        "Identifiant client": mission.client_id,
        "Mission": mission.id,
        "Date d'audit prévue": mission.audit_date.strftime("%d/%m/%Y"),
        "Référentiel": referential.id,
        "Version du référentiel": referential.version,
        "Version du logiciel": __version__,
        "Généré le": dt.datetime.now().astimezone().strftime("%d/%m/%Y %H:%M"),
    } | dict(provenance or {})
    ps = wb.create_sheet(PROVENANCE_SHEET)
    ps.append(["Élément", "Valeur"])
    for key, value in prov.items():
        ps.append([key, str(value)])
    ps.append([])
    ps.append(["Mode d'emploi", "Modifiez uniquement les colonnes « Statut » et « Commentaire » de la feuille "
               "« Plan d'actions », puis renvoyez le fichier au consultant. Ne supprimez pas la colonne masquée ID."])
    for cell in ps[1]:
        cell.font = Font(bold=True)
    ps.column_dimensions["A"].width = 26
    ps.column_dimensions["B"].width = 90

    wb.properties.title = f"Plan d'actions — {client_name}"
    wb.properties.subject = f"Mission {mission.id} — référentiel {referential.id}"
    wb.properties.creator = f"Qualiopi Workbench {__version__}"
    wb.properties.keywords = f"mission={mission.id}; client={mission.client_id}; referentiel={referential.id}"
    wb.properties.description = "; ".join(f"{k} : {v}" for k, v in prov.items())
    for key, value in (("workbench_mission", mission.id), ("workbench_client", mission.client_id),
                       ("workbench_referential", referential.id), ("workbench_version", __version__),
                       *((f"workbench_{k}", str(v)) for k, v in (provenance or {}).items() if k.isidentifier())):
        wb.custom_doc_props.append(StringProperty(name=key, value=str(value)))

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# -- import ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    action_id: int
    indicator: str
    title: str
    field: str
    before: str
    after: str


@dataclass
class ImportReport:
    path: Path
    mission_id: str
    changes: list[FieldChange] = field(default_factory=list)
    rows: int = 0
    not_in_file: int = 0

    @property
    def changed_actions(self) -> int:
        return len({c.action_id for c in self.changes})

    def lines(self) -> list[str]:
        out = [f"Import de {self.path.name} dans la mission {self.mission_id} : {self.rows} ligne(s) lue(s), "
               f"{self.changed_actions} action(s) modifiée(s)."]
        labels = {"status": "statut", "comment": "commentaire"}
        for c in self.changes:
            out.append(f"- Action {c.action_id} (indicateur {c.indicator}, « {c.title} ») : {labels[c.field]} "
                       f"« {c.before} » → « {c.after} »")
        if not self.changes:
            out.append("Aucun changement : le fichier correspond déjà au plan enregistré.")
        if self.not_in_file:
            out.append(f"{self.not_in_file} action(s) de la mission absente(s) du fichier : laissée(s) inchangée(s).")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


def _refuse(path: Path, reason: str) -> PlanImportError:
    return PlanImportError(f"Fichier refusé : {path.name} — {reason} Aucune action n'a été modifiée.")


def _read_rows(path: Path) -> tuple[list[str], list[tuple[int, list]], dict[str, str]]:
    try:
        wb = load_workbook(path, data_only=True, read_only=False)
    except FileNotFoundError:
        raise _refuse(path, "fichier introuvable.") from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise _refuse(path, "ce n'est pas un classeur Excel (.xlsx) lisible.") from None
    try:
        if PLAN_SHEET not in wb.sheetnames:
            raise _refuse(path, f"la feuille « {PLAN_SHEET} » est absente (feuilles : {', '.join(wb.sheetnames)}).")
        ws = wb[PLAN_SHEET]
        rows = list(ws.iter_rows(values_only=True))
        provenance: dict[str, str] = {}
        if PROVENANCE_SHEET in wb.sheetnames:
            for row in wb[PROVENANCE_SHEET].iter_rows(min_row=2, values_only=True):
                if row and row[0] is not None and len(row) > 1:
                    provenance[str(row[0]).strip()] = "" if row[1] is None else str(row[1]).strip()
    finally:
        wb.close()
    if not rows:
        raise _refuse(path, f"la feuille « {PLAN_SHEET} » est vide.")
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    body = [(i, list(r)) for i, r in enumerate(rows[1:], start=2)
            if any(v not in (None, "") for v in r)]
    return header, body, provenance


def _parse_id(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and raw.strip().isdigit():
        return int(raw.strip())
    return None


def _parse_status(raw: object) -> ActionStatus | None:
    if raw is None:
        return None
    return STATUS_BY_LABEL.get(str(raw).strip().lower())


def read_action_plan(path: Path, mission: Mission, actions: Sequence[Action]) -> ImportReport:
    """Check the file against the mission and list the changes, without writing anything."""
    path = Path(path)
    header, body, provenance = _read_rows(path)
    missing = [c for c in REQUIRED_FOR_IMPORT if c not in header]
    if missing:
        raise _refuse(path, f"colonne(s) manquante(s) dans « {PLAN_SHEET} » : {', '.join(missing)}.")
    file_mission = provenance.get("Mission")
    file_client = provenance.get("Identifiant client")
    if file_client and file_client != mission.client_id:
        raise _refuse(path, f"il concerne le client « {file_client} », pas « {mission.client_id} ».")
    if file_mission and file_mission != mission.id:
        raise _refuse(path, f"il concerne la mission « {file_mission} », pas la mission « {mission.id} ».")
    col = {name: header.index(name) for name in REQUIRED_FOR_IMPORT}
    known = {a.id: a for a in actions}
    problems: list[str] = []
    seen: dict[int, int] = {}
    unknown: list[str] = []
    parsed: list[tuple[Action, ActionStatus, str]] = []
    for line, row in body:
        row = row + [None] * (len(header) - len(row))
        action_id = _parse_id(row[col["ID"]])
        if action_id is None:
            problems.append(f"ligne {line} : identifiant absent ou invalide ({row[col['ID']]!r})")
            continue
        if action_id in seen:
            problems.append(f"ligne {line} : action {action_id} déjà présente ligne {seen[action_id]}")
            continue
        seen[action_id] = line
        if action_id not in known:
            unknown.append(f"{action_id} (ligne {line})")
            continue
        status = _parse_status(row[col["Statut"]])
        if status is None:
            allowed = ", ".join(s.label for s in ActionStatus)
            problems.append(f"ligne {line} : statut inconnu « {row[col['Statut']] or ''} » (possibles : {allowed})")
            continue
        comment = row[col["Commentaire"]]
        comment = "" if comment is None else str(comment).strip()
        parsed.append((known[action_id], status, comment))
    if unknown:
        raise _refuse(path, f"action(s) inconnue(s) dans la mission « {mission.id} » : {', '.join(unknown[:10])}"
                      + (" …" if len(unknown) > 10 else "") + ". Le fichier ne correspond pas à ce plan d'actions.")
    if problems:
        raise _refuse(path, "; ".join(problems[:10]) + (" …" if len(problems) > 10 else "") + ".")
    report = ImportReport(path, mission.id, rows=len(body), not_in_file=len(set(known) - set(seen)))
    for action, status, comment in parsed:
        ind = action.indicator_id.rsplit(":", 1)[-1].lstrip("0") or action.indicator_id
        if status != action.status:
            report.changes.append(FieldChange(action.id, ind, action.title, "status",  # type: ignore[arg-type]
                                              action.status.label, status.label))
        if comment != action.comment.strip():
            report.changes.append(FieldChange(action.id, ind, action.title, "comment",  # type: ignore[arg-type]
                                              action.comment, comment))
    return report


def import_action_plan(store: Store, mission: Mission, path: Path) -> ImportReport:
    """Apply the statuses and comments of the file to the mission's actions (history kept)."""
    report = read_action_plan(path, mission, store.list_actions(mission.id))
    by_action: dict[int, dict[str, object]] = {}
    for c in report.changes:
        value: object = c.after
        if c.field == "status":
            value = STATUS_BY_LABEL[c.after.lower()]
        by_action.setdefault(c.action_id, {})[c.field] = value
    for action_id, changes in by_action.items():
        store.update_action(action_id, **changes)
    return report
