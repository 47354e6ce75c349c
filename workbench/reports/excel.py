"""Excel action plan the client can work in, and re-import of what the client may change.

Export: the workbook opens on a « Mode d'emploi » sheet (what to fill in, which columns are read
back), then « Plan d'actions » laid out as an Excel table (filters, banded rows), header frozen,
real dates shown as JJ/MM/AAAA, a drop-down list on the status, sensible column widths, A4
landscape printing with the header repeated, and two hidden columns, ``ID`` and ``Version`` (the
action's ``updated_at`` at export time). Every text cell is written as text, never as a formula,
even when it starts with ``=``, ``+``, ``-`` or ``@``, and the text columns are formatted as Text
so that what the client types there stays text. A « Provenance » sheet says in French when and from
what data the file was made; the internal identifiers (client, mission, referential, input hash)
are document properties only, never shown. The file is written atomically (temporary file, then
rename); an existing file is replaced only with ``overwrite``.

Import: the owner, due date, status and comment are read back. The file is checked entirely before
anything is written: not an xlsx, missing sheet or columns, another client or mission, unknown or
duplicate ids, unknown statuses, unreadable dates, a missing or altered ``Version`` column — each
refuses the whole file with a French message and nothing is changed. A cell of a column that is not
read (priority, indicator, action, detail) whose value differs from the export is listed in the
report, never applied silently. An editable cell holding a formula (or an error such as ``#NAME?``)
is never read as an empty value: the stored value is kept and the report lists the cell. A field
changed in the application since the export is a *conflict*: the stored value is kept, the file's
value is not applied and the report lists it, unless ``force`` (CLI ``--force``). Conflicts are
detected per field from the history: a field whose value at export time (the ``before`` of its
first change after the exported ``Version``) differs from the stored one; when the action changed
without any history entry, every field counts as changed. Files exported before the ``Version``
column existed are refused unless ``force``. Accepted changes go through
:meth:`Store.update_action`, so the history keeps them.
"""

from __future__ import annotations

import datetime as dt
import re
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
from workbench.core.dates import parse_fr_date
from workbench.core.errors import UsageError
from workbench.core.files import write_atomically
from workbench.core.text import clean_text
from workbench.core.vocab import ActionStatus
from workbench.domain.plan import PRIORITY_LABELS
from workbench.domain.records import Action, HistoryEntry, Mission
from workbench.referential.library import Referential
from workbench.reports.wording import client_text, referential_label
from workbench.store import Store

PLAN_SHEET = "Plan d'actions"
PROVENANCE_SHEET = "Provenance"
GUIDE_SHEET = "Mode d'emploi"
"""First sheet of every workbook a client edits: what to fill in, and what is not read back."""
TABLE_NAME = "PlanActions"
DATE_FORMAT = "DD/MM/YYYY"

# (header, width) — order of the columns in the sheet.
VERSION_COLUMN = "Version"
COLUMNS: tuple[tuple[str, int], ...] = (
    ("ID", 8),
    (VERSION_COLUMN, 28),
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
HIDDEN_COLUMNS = ("ID", VERSION_COLUMN)
TEXT_COLUMNS = (VERSION_COLUMN, "Priorité", "Intitulé de l'indicateur", "Action", "Détail", "Responsable", "Statut",
                "Commentaire")
"""Columns formatted as Text (``@``): Excel keeps what is typed there as text, even ``=…``."""
REQUIRED_FOR_IMPORT = ("ID", "Responsable", "Échéance", "Statut", "Commentaire")
EDITABLE_COLUMNS = {"owner": "Responsable", "due_date": "Échéance", "status": "Statut", "comment": "Commentaire"}
READ_ONLY_COLUMNS = ("Priorité", "Indicateur", "Intitulé de l'indicateur", "Action", "Détail")
"""Visible columns the import does not read: a change there is reported, never applied silently."""
FORMULA_PREFIXES = ("=", "+", "-", "@")
MISSION_PROPERTY = "workbench_mission"
CLIENT_PROPERTY = "workbench_client"
"""Document properties naming the mission and client a workbook was made for (read by the imports)."""
_MACHINE_KEY = re.compile(r"[a-z][a-z0-9_]*")


def split_provenance(provenance: Mapping[str, object]) -> tuple[dict[str, str], dict[str, str]]:
    """(French labels shown on the « Provenance » sheet, machine keys kept as document properties)."""
    shown = {k: str(v) for k, v in provenance.items() if not _MACHINE_KEY.fullmatch(k)}
    machine = {k: str(v) for k, v in provenance.items() if _MACHINE_KEY.fullmatch(k)}
    return shown, machine


def priority_label(priority: int) -> str:
    """« 1 — NC majeure »: the number and the label of :data:`workbench.domain.plan.PRIORITY_LABELS`."""
    return f"{priority} — {PRIORITY_LABELS[priority]}" if priority in PRIORITY_LABELS else str(priority)
STATUS_BY_LABEL = {s.label.lower(): s for s in ActionStatus} | {s.value: s for s in ActionStatus}


class PlanImportError(UsageError):
    """The file cannot be imported into this mission; nothing was changed."""


def _indicator_ref(referential: Referential, indicator_id: str) -> tuple[int | str, str]:
    for ind in referential.indicators:
        if ind.id == indicator_id:
            return ind.number, ind.title
    return indicator_id, ""


def _write_text_as_text(ws) -> None:
    """Make every string cell a plain text cell: never a formula, shown as typed by Excel."""
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if cell.value.startswith(FORMULA_PREFIXES):
                    cell.quotePrefix = True


def guide_sheet(guide, title: str, instructions: str, editable: Sequence[str], sheet: str) -> None:  # noqa: ANN001
    """Fill ``guide`` (an openpyxl worksheet, placed first) with the workbook's « Mode d'emploi »."""
    guide.title = GUIDE_SHEET
    guide.append([title])
    guide["A1"].font = Font(bold=True, size=14)
    guide.append([])
    lines = [instructions]
    if editable:
        cols = ", ".join(f"« {c} »" for c in editable)
        lines.append(f"Colonnes relues quand le fichier est renvoyé : {cols}, sur la feuille « {sheet} ».")
        lines.append("Les autres colonnes ne sont pas relues : une modification faite ailleurs est signalée au "
                     "consultant à l'import, sans être reprise. Demandez-lui le changement.")
    lines.append(f"La feuille « {PROVENANCE_SHEET} » indique quand et à partir de quelles données ce fichier a été "
                 "produit.")
    for line in lines:
        guide.append([line])
        guide.cell(row=guide.max_row, column=1).alignment = Alignment(wrap_text=True, vertical="top")
    guide.column_dimensions["A"].width = 110
    guide.sheet_view.showGridLines = False


@dataclass(frozen=True)
class SheetLayout:
    """How an editable sheet is laid out: the rules shared by every workbook a client edits."""

    sheet: str
    table: str
    columns: tuple[tuple[str, int], ...]
    """(header, width) in order."""
    hidden: tuple[str, ...]
    text_columns: tuple[str, ...]
    date_columns: tuple[str, ...]
    instructions: str
    editable: tuple[str, ...] = ()
    """Columns the re-import reads (listed on the « Mode d'emploi » sheet)."""
    choices: tuple[tuple[str, tuple[str, ...], str], ...] = ()
    """(column, allowed values, error title): a drop-down list on that column."""

    @property
    def headers(self) -> list[str]:
        return [h for h, _ in self.columns]


def build_workbook(layout: SheetLayout, rows: Sequence[Sequence[object]], provenance: Mapping[str, object], *,
                   title: str, subject: str, keywords: str, custom: Mapping[str, str],
                   primary_color: str = "#1f4e79") -> Workbook:
    """A workbook opening on its « Mode d'emploi », then the editable sheet (Excel table, frozen header,
    real dates, text kept as text, hidden technical columns, drop-down lists) and a « Provenance » sheet.

    ``provenance`` is shown in French on the last sheet; internal identifiers go only in ``custom``
    (document properties, read back by the import, never shown to the client)."""
    wb = Workbook()
    guide_sheet(wb.active, title, layout.instructions, layout.editable, layout.sheet)
    ws = wb.create_sheet(layout.sheet)
    headers = layout.headers
    ws.append(headers)
    for row in rows:  # XML forbids control characters: old data holding some must not break the file
        ws.append([clean_text(v) if isinstance(v, str) else v for v in row])
    last_row = len(rows) + 1
    last_col = get_column_letter(len(headers))

    header_fill = PatternFill("solid", fgColor=primary_color.lstrip("#").upper())
    for cell in ws[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    for idx, (_, width) in enumerate(layout.columns, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = width
    for name in layout.hidden:
        ws.column_dimensions[get_column_letter(headers.index(name) + 1)].hidden = True
    date_cols = [headers.index(name) for name in layout.date_columns]
    text_cols = [headers.index(name) for name in layout.text_columns]
    for row in ws.iter_rows(min_row=2, max_row=last_row):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        for idx in date_cols:
            row[idx].number_format = DATE_FORMAT
        for idx in text_cols:
            row[idx].number_format = "@"
    ws.freeze_panes = "B2"

    if rows:
        table = Table(displayName=layout.table, ref=f"A1:{last_col}{last_row}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleMedium2", showRowStripes=True)
        ws.add_table(table)
    else:
        ws.auto_filter.ref = f"A1:{last_col}1"

    for column, allowed, error_title in layout.choices:
        letter = get_column_letter(headers.index(column) + 1)
        labels = ",".join(allowed)
        validation = DataValidation(type="list", formula1=f'"{labels}"', allow_blank=False,
                                    showErrorMessage=True, errorTitle=error_title,
                                    error=f"Choisissez dans la liste : {labels.replace(',', ', ')}.",
                                    promptTitle=column, prompt="Choisissez dans la liste.")
        validation.add(f"{letter}2:{letter}{max(last_row, 2) + 200}")
        ws.add_data_validation(validation)

    ps = wb.create_sheet(PROVENANCE_SHEET)
    ps.append(["Élément", "Valeur"])
    for key, value in provenance.items():
        ps.append([key, clean_text(str(value))])
    for cell in ps[1]:
        cell.font = Font(bold=True)
    ps.column_dimensions["A"].width = 26
    ps.column_dimensions["B"].width = 90

    wb.active = 0  # the workbook opens on its instructions
    wb.properties.title = title
    wb.properties.subject = subject
    wb.properties.creator = f"Qualiopi Workbench {__version__}"
    wb.properties.keywords = keywords
    wb.properties.description = "; ".join(f"{k} : {v}" for k, v in provenance.items())
    for key, value in custom.items():
        wb.custom_doc_props.append(StringProperty(name=key, value=str(value)))

    # print set-up: A4 landscape, one page wide, header row repeated on every page
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = "1:1"
    ws.oddFooter.center.text = "Page &P / &N"
    ws.oddHeader.left.text = title
    _write_text_as_text(ws)
    _write_text_as_text(ps)
    return wb


def check_target(path: Path, *, overwrite: bool) -> Path:
    """Refuse a folder, and an existing file unless ``overwrite`` (maybe the client's edited copy)."""
    path = Path(path)
    if path.is_dir():
        raise UsageError(f"{path} est un dossier : indiquez le nom du fichier Excel à créer ; rien n'a été écrit.")
    if path.exists() and not overwrite:
        raise UsageError(f"Le fichier {path} existe déjà (c'est peut-être la copie modifiée par le client) ; "
                         "rien n'a été écrit. Choisissez un autre nom ou ajoutez --force pour le remplacer.")
    return path


def save_workbook(path: Path, wb: Workbook, *, overwrite: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomically(path, wb.save, overwrite=overwrite, hint=" (--force pour le remplacer)")
    return path


PLAN_LAYOUT = SheetLayout(
    sheet=PLAN_SHEET, table=TABLE_NAME, columns=COLUMNS, hidden=HIDDEN_COLUMNS, text_columns=TEXT_COLUMNS,
    date_columns=("Échéance",),
    instructions="Pour chaque action, indiquez qui s'en charge, son échéance (JJ/MM/AAAA), où elle en est et un "
                 "commentaire si besoin, puis renvoyez le fichier au consultant. Ne supprimez ni les lignes ni les "
                 "colonnes masquées « ID » et « Version ».",
    editable=tuple(EDITABLE_COLUMNS.values()),
    choices=(("Statut", tuple(s.label for s in ActionStatus), "Statut invalide"),),
)


def export_action_plan(
    path: Path,
    *,
    mission: Mission,
    client_name: str,
    actions: Sequence[Action],
    referential: Referential,
    provenance: Mapping[str, str] | None = None,
    primary_color: str = "#1f4e79",
    overwrite: bool = True,
) -> Path:
    """Write the action plan workbook atomically; returns its path.

    With ``overwrite=False`` an existing file (maybe the client's edited copy) is never replaced:
    :class:`UsageError`, nothing written.
    """
    path = check_target(path, overwrite=overwrite)
    rows = []
    for action in actions:
        number, title = _indicator_ref(referential, action.indicator_id)
        rows.append([
            action.id, action.updated_at.isoformat() if action.updated_at else "",
            priority_label(action.priority), number, title,
            action.title, client_text(action.detail), action.owner, action.due_date, action.status.label, action.comment,
        ])
    shown, machine = split_provenance(provenance or {})
    prov = {
        "Client": client_name,
        "Date d'audit prévue": mission.audit_date.strftime("%d/%m/%Y"),
        "Référentiel": referential_label(referential),
        "Version du logiciel": __version__,
        "Généré le": dt.datetime.now().astimezone().strftime("%d/%m/%Y à %H:%M"),
    } | shown
    custom = {MISSION_PROPERTY: mission.id, CLIENT_PROPERTY: mission.client_id,
              "workbench_referential": referential.id, "workbench_version": __version__}
    custom |= {f"workbench_{k}": str(v) for k, v in machine.items()}
    wb = build_workbook(
        PLAN_LAYOUT, rows, prov, title=f"Plan d'actions — {client_name}",
        subject=f"Plan d'actions — {client_name}", keywords="plan d'actions; Qualiopi",
        custom=custom, primary_color=primary_color)
    return save_workbook(path, wb, overwrite=overwrite)


# -- import ---------------------------------------------------------------------------------

FIELD_LABELS = {"owner": "responsable", "due_date": "échéance", "status": "statut", "comment": "commentaire"}


@dataclass(frozen=True)
class FieldChange:
    action_id: int
    indicator: str
    title: str
    field: str
    before: str
    after: str
    overrides: bool = False
    """Applied with ``force`` although the stored value changed since the export."""
    value: object = None
    """The value applied (typed: status, date, text)."""


@dataclass(frozen=True)
class Conflict:
    """A value changed in the application since the export: the stored one is kept."""

    action_id: int
    indicator: str
    title: str
    field: str
    stored: str
    in_file: str


@dataclass(frozen=True)
class SkippedCell:
    """An editable cell holding a formula or an Excel error: not read, the stored value is kept."""

    line: int
    action_id: int
    field: str
    content: str
    stored: str


@dataclass(frozen=True)
class IgnoredCell:
    """A cell of a column the import does not read, whose value differs from the export."""

    line: int
    action_id: int
    column: str
    in_file: str
    stored: str


@dataclass
class ImportReport:
    path: Path
    mission_id: str
    changes: list[FieldChange] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    skipped: list[SkippedCell] = field(default_factory=list)
    ignored: list[IgnoredCell] = field(default_factory=list)
    rows: int = 0
    not_in_file: int = 0
    unversioned: bool = False
    """The file has no « Version » column (older export) and was read with ``force``."""

    @property
    def changed_actions(self) -> int:
        return len({c.action_id for c in self.changes})

    def lines(self) -> list[str]:
        head = (f"Import de {self.path.name} dans la mission {self.mission_id} : {self.rows} ligne(s) lue(s), "
                f"{self.changed_actions} action(s) modifiée(s)")
        if self.conflicts:
            head += f", {len(self.conflicts)} conflit(s)"
        out = [head + "."]
        for c in self.changes:
            line = (f"- Action {c.action_id} (indicateur {c.indicator}, « {c.title} ») : {FIELD_LABELS[c.field]} "
                    f"« {c.before} » → « {c.after} »")
            if c.overrides:
                line += " (--force : remplace une modification faite dans l'application depuis l'export)"
            out.append(line)
        if not self.changes:
            if self.conflicts or self.skipped or self.ignored:
                out.append("Aucun changement appliqué.")
            else:
                out.append("Aucun changement : le fichier correspond déjà au plan enregistré.")
        if self.unversioned:
            out.append(f"Fichier sans colonne « {VERSION_COLUMN} » (export antérieur) importé avec --force : "
                       "les modifications faites dans l'application depuis l'export n'ont pas été vérifiées.")
        if self.conflicts:
            out.append(f"Conflits : {len(self.conflicts)} valeur(s) modifiée(s) dans l'application depuis l'export "
                       "de ce fichier. La valeur enregistrée est conservée, celle du fichier n'est pas appliquée :")
            for k in self.conflicts:
                out.append(f"- Action {k.action_id} (indicateur {k.indicator}, « {k.title} ») : "
                           f"{FIELD_LABELS[k.field]} enregistré « {k.stored} » conservé ; le fichier indique "
                           f"« {k.in_file} ».")
            out.append("Pour appliquer quand même les valeurs du fichier, relancez l'import avec --force "
                       "(l'historique gardera l'ancienne valeur).")
        if self.skipped:
            out.append(f"{len(self.skipped)} cellule(s) ignorée(s) car elles contiennent une formule ou une erreur "
                       "Excel ; la valeur enregistrée est conservée :")
            for sk in self.skipped:
                out.append(f"- Ligne {sk.line}, action {sk.action_id} : {FIELD_LABELS[sk.field]} « {sk.content} » "
                           f"non repris (valeur conservée : « {sk.stored} »).")
            out.append("Dans Excel, pour saisir un texte commençant par =, +, - ou @, faites-le précéder d'une "
                       "apostrophe (') puis renvoyez le fichier.")
        if self.ignored:
            readable = ", ".join(f"« {c} »" for c in EDITABLE_COLUMNS.values())
            out.append(f"{len(self.ignored)} cellule(s) modifiée(s) dans des colonnes que l'import ne relit pas "
                       f"(seules {readable} le sont) ; rien n'en a été repris :")
            for ig in self.ignored:
                out.append(f"- Ligne {ig.line}, action {ig.action_id}, « {ig.column} » : « {ig.in_file} » dans le "
                           f"fichier, « {ig.stored} » dans l'application.")
            out.append("Pour changer ces valeurs, utilisez workbench actions edit (ou l'entretien), puis exportez "
                       "à nouveau le plan.")
        if self.not_in_file:
            out.append(f"{self.not_in_file} action(s) de la mission absente(s) du fichier : laissée(s) inchangée(s).")
        return out

    def text(self) -> str:
        return "\n".join(self.lines())


def refuse(path: Path, reason: str, unchanged: str = "Aucune action n'a été modifiée.") -> PlanImportError:
    return PlanImportError(f"Fichier refusé : {path.name} — {reason} {unchanged}")


Body = list[tuple[int, list[object], set[int]]]
"""(line number, cell values, indexes of the cells holding a formula or an error)."""


def read_sheet(path: Path, sheet: str = PLAN_SHEET,
               unchanged: str = "Aucune action n'a été modifiée.") -> tuple[list[str], Body, dict[str, str]]:
    """The header, the non-empty rows (with their formula cells) and the provenance of an edited file;
    an unreadable file, a missing or empty sheet is refused (:class:`PlanImportError`)."""
    # data_only=False: a formula stays visible as a formula instead of reading as an empty cell.
    try:
        wb = load_workbook(path, data_only=False, read_only=False)
    except FileNotFoundError:
        raise refuse(path, "fichier introuvable.", unchanged) from None
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError, TypeError):
        raise refuse(path, "ce n'est pas un classeur Excel (.xlsx) lisible.", unchanged) from None
    try:
        if sheet not in wb.sheetnames:
            raise refuse(path, f"la feuille « {sheet} » est absente (feuilles : {', '.join(wb.sheetnames)}).",
                          unchanged)
        rows: Body = []
        for line, cells in enumerate(wb[sheet].iter_rows(), start=1):
            values = [c.value for c in cells]
            formulas = {i for i, c in enumerate(cells) if c.data_type in ("f", "e")}
            rows.append((line, values, formulas))
        provenance: dict[str, str] = {}
        for prop in wb.custom_doc_props:  # identifiers travel as document properties, out of the client's sight
            if prop.name and prop.value is not None:
                provenance[prop.name] = str(prop.value).strip()
        if PROVENANCE_SHEET in wb.sheetnames:
            for row in wb[PROVENANCE_SHEET].iter_rows(min_row=2, values_only=True):
                if row and row[0] is not None and len(row) > 1:
                    provenance.setdefault(str(row[0]).strip(), "" if row[1] is None else str(row[1]).strip())
    finally:
        wb.close()
    if not rows:
        raise refuse(path, f"la feuille « {sheet} » est vide.", unchanged)
    header = ["" if h is None else str(h).strip() for h in rows[0][1]]
    body = [r for r in rows[1:] if any(v not in (None, "") for v in r[1])]
    return header, body, provenance


def parse_id(raw: object) -> int | None:
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


def parse_version(raw: object) -> dt.datetime | None:
    if not isinstance(raw, str) or not raw.strip():
        return None
    try:
        stamp = dt.datetime.fromisoformat(raw.strip())
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def formula_text(raw: object) -> str:
    text = getattr(raw, "text", raw)  # ArrayFormula / DataTableFormula carry their text
    return "" if text is None else str(text)


def changed_since_export(updated_at: dt.datetime | None, exported: dt.datetime,
                         changes_after: Sequence[tuple[str, object]], current: Mapping[str, object]) -> set[str]:
    """Editable fields whose stored value differs from the value they had when the file was exported.

    ``changes_after`` lists, oldest first, the (field, value before) of the record's history entries
    dated after ``exported``; ``current`` maps each editable field to its stored value. A record
    changed since the export without any history entry counts as changed in every field.
    """
    if updated_at is None or updated_at == exported:
        return set()
    if not changes_after:  # changed without a trace in the history: assume every field may have changed
        return set(current)
    changed: set[str] = set()
    for name, value in current.items():
        first = next((before for field_name, before in changes_after if field_name == name), _UNSET)
        if first is not _UNSET and first != value:
            changed.add(name)
    return changed


_UNSET = object()


def _changed_since_export(action: Action, exported: dt.datetime, history: Sequence[HistoryEntry]) -> set[str]:
    after = [(h.field, h.before) for h in history
             if h.entity == "action" and h.entity_key == str(action.id) and h.at > exported]
    return changed_since_export(action.updated_at, exported, after,
                                {"owner": action.owner, "due_date": action.due_date.isoformat() if action.due_date
                                 else None, "status": action.status.value, "comment": action.comment})


def read_action_plan(path: Path, mission: Mission, actions: Sequence[Action], *,
                     history: Sequence[HistoryEntry] | None = None, force: bool = False,
                     referential: Referential | None = None) -> ImportReport:
    """Check the file against the mission and list the changes and conflicts, without writing anything.

    ``history`` is the mission's history, used to tell which fields changed since the export; without
    it, any action modified since the export has both its fields in conflict. ``force`` applies the
    file's values even over changes made since the export, and accepts files without « Version ».
    """
    path = Path(path)
    header, body, provenance = read_sheet(path)
    missing = [c for c in REQUIRED_FOR_IMPORT if c not in header]
    if missing:
        raise refuse(path, f"colonne(s) manquante(s) dans « {PLAN_SHEET} » : {', '.join(missing)}.")
    versioned = VERSION_COLUMN in header
    if not versioned and not force:
        raise refuse(path, f"la colonne masquée « {VERSION_COLUMN} » est absente : ce fichier vient d'un export "
                      "antérieur et les modifications faites depuis dans l'application seraient écrasées sans "
                      "contrôle. Exportez à nouveau le plan (workbench actions export) et faites-y reporter les "
                      "changements, ou relancez l'import avec --force pour appliquer le fichier tel quel.")
    file_mission = provenance.get(MISSION_PROPERTY) or provenance.get("Mission")  # (sheet: older exports)
    file_client = provenance.get(CLIENT_PROPERTY) or provenance.get("Identifiant client")
    if file_client and file_client != mission.client_id:
        raise refuse(path, f"il concerne le client « {file_client} », pas « {mission.client_id} ».")
    if file_mission and file_mission != mission.id:
        raise refuse(path, f"il concerne la mission « {file_mission} », pas la mission « {mission.id} ».")
    col = {name: header.index(name) for name in REQUIRED_FOR_IMPORT}
    col_all = {name: i for i, name in enumerate(header) if name}
    ignored: list[IgnoredCell] = []
    version_col = header.index(VERSION_COLUMN) if versioned else None
    known = {a.id: a for a in actions}
    problems: list[str] = []
    seen: dict[int, int] = {}
    unknown: list[str] = []
    skipped: list[SkippedCell] = []
    parsed: list[tuple[Action, dict[str, object], dt.datetime | None]] = []
    for line, row, formulas in body:
        row = row + [None] * (len(header) - len(row))
        action_id = parse_id(row[col["ID"]])
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
        action = known[action_id]
        exported: dt.datetime | None = None
        if version_col is not None:
            exported = parse_version(row[version_col])
            if exported is None and not force:
                problems.append(f"ligne {line} : la colonne masquée « {VERSION_COLUMN} » est vide ou a été "
                                f"modifiée ({row[version_col]!r}) ; exportez à nouveau le plan")
                continue
        values: dict[str, object] = {}
        for name, column in EDITABLE_COLUMNS.items():
            raw = row[col[column]]
            if col[column] in formulas:
                skipped.append(SkippedCell(line, action_id, name, formula_text(raw), _shown(name, action)))
                continue
            if name == "status":
                status = _parse_status(raw)
                if status is None:
                    allowed = ", ".join(s.label for s in ActionStatus)
                    problems.append(f"ligne {line} : statut inconnu « {raw or ''} » (possibles : {allowed})")
                    break
                values[name] = status
            elif name == "due_date":
                try:
                    values[name] = _parse_due(raw)
                except ValueError as exc:
                    problems.append(f"ligne {line} : échéance « {raw} » illisible ({exc})")
                    break
            else:
                values[name] = "" if raw is None else str(raw).strip()
        else:
            parsed.append((action, values, exported))
            for column, expected in _read_only_values(action, referential).items():
                if column in col_all:
                    in_file = row[col_all[column]]
                    if _cell_text(in_file) != _cell_text(expected):
                        ignored.append(IgnoredCell(line, action_id, column, _cell_text(in_file), _cell_text(expected)))
    if unknown:
        raise refuse(path, f"action(s) inconnue(s) dans la mission « {mission.id} » : {', '.join(unknown[:10])}"
                      + (" …" if len(unknown) > 10 else "") + ". Le fichier ne correspond pas à ce plan d'actions.")
    if problems:
        raise refuse(path, "; ".join(problems[:10]) + (" …" if len(problems) > 10 else "") + ".")
    report = ImportReport(path, mission.id, rows=len(body), not_in_file=len(set(known) - set(seen)),
                          skipped=skipped, ignored=ignored, unversioned=not versioned)
    for action, values, exported in parsed:
        ind = action.indicator_id.rsplit(":", 1)[-1].lstrip("0") or action.indicator_id
        changed = _changed_since_export(action, exported, history or ()) if exported is not None else set()
        for name, value in values.items():
            stored = getattr(action, name)
            if name in ("owner", "comment"):
                if value == (stored or "").strip():
                    continue
            elif value == stored:
                continue
            before, after = _shown(name, action), _display(name, value)
            if name in changed and not force:
                report.conflicts.append(Conflict(action.id, ind, action.title, name,  # type: ignore[arg-type]
                                                 before, after))
            else:
                report.changes.append(FieldChange(action.id, ind, action.title, name,  # type: ignore[arg-type]
                                                  before, after, overrides=name in changed, value=value))
    return report


def _display(name: str, value: object) -> str:
    if name == "status" and isinstance(value, ActionStatus):
        return value.label
    if name == "due_date":
        return value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else "(aucune)"
    return "" if value is None else str(value)


def _shown(name: str, action: Action) -> str:
    return _display(name, getattr(action, name))


def _parse_due(raw: object) -> dt.date | None:
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    return parse_fr_date(str(raw).strip())


def _read_only_values(action: Action, referential: Referential | None) -> dict[str, object]:
    """What the export wrote in the columns the import does not read."""
    out: dict[str, object] = {"Priorité": priority_label(action.priority),
                              "Action": action.title, "Détail": client_text(action.detail)}
    if referential is not None:
        out["Indicateur"], out["Intitulé de l'indicateur"] = _indicator_ref(referential, action.indicator_id)
    return out


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else " ".join(str(value).split())


def import_action_plan(store: Store, mission: Mission, path: Path, *, force: bool = False,
                       referential: Referential | None = None) -> ImportReport:
    """Apply the owners, due dates, statuses and comments of the file to the mission's actions (history kept);
    with ``referential``, changes in the columns not read are listed too.

    Values changed in the application since the export are kept and reported as conflicts,
    unless ``force``.
    """
    report = read_action_plan(path, mission, store.list_actions(mission.id), history=store.history(mission.id),
                              force=force, referential=referential)
    by_action: dict[int, dict[str, object]] = {}
    for c in report.changes:
        by_action.setdefault(c.action_id, {})[c.field] = c.value
    for action_id, changes in by_action.items():
        store.update_action(action_id, **changes)
    return report
