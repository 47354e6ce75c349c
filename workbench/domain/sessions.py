"""Training sessions of a client, and reading them from a table (CSV or Excel rows).

A session is one delivery of an action: a reference (the client's own, stable from one export to
the next), a title, an action category, dates, site, trainers, learners, funders, and whether it is
certifying, subcontracted or (partly) at a distance. These are the attributes an auditor samples on
and the checklist depends on.

The column layout of our import file is :data:`COLUMNS` (French headers, documented in the README
and in the Excel template). Exports of training-management tools use other headers and values: a
:class:`ColumnMapping` renames their columns to ours and translates their values. Parsing is pure:
:func:`parse_table` takes the header and the rows, and returns the good sessions and, for every
bad row, its line number and the reason, so that good rows are kept and bad ones reported.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workbench.core.errors import UsageError
from workbench.core.vocab import Category, LabelledEnum


class Funding(LabelledEnum):
    """Who pays for a session (several funders may share one session)."""

    CPF = "cpf", "CPF"
    OPCO = "opco", "OPCO"
    FRANCE_TRAVAIL = "france_travail", "France Travail"
    REGION = "region", "Région"
    ENTREPRISE = "entreprise", "Entreprise"
    PARTICULIER = "particulier", "Particulier"
    AUTRE = "autre", "Autre"


class Modality(LabelledEnum):
    PRESENTIEL = "presentiel", "Présentiel"
    DISTANCE = "distance", "À distance"
    MIXTE = "mixte", "Mixte (présentiel et distance)"


class Session(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    client_id: str
    reference: str = Field(min_length=1, max_length=80)
    title: str = Field(min_length=1)
    category: Category
    start: dt.date
    end: dt.date | None = None
    site: str = ""
    trainers: tuple[str, ...] = ()
    learners: int | None = Field(default=None, ge=0)
    funding: tuple[Funding, ...] = ()
    certifying: bool = False
    subcontracted: bool = False
    modality: Modality = Modality.PRESENTIEL

    @model_validator(mode="after")
    def _dates(self) -> Session:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"la date de fin ({self.end:%d/%m/%Y}) précède la date de début "
                             f"({self.start:%d/%m/%Y})")
        return self

    @property
    def distance(self) -> bool:
        """Wholly or partly delivered at a distance."""
        return self.modality in (Modality.DISTANCE, Modality.MIXTE)

    @property
    def on_site(self) -> bool:
        """Wholly or partly delivered on site."""
        return self.modality in (Modality.PRESENTIEL, Modality.MIXTE)

    @property
    def last_day(self) -> dt.date:
        return self.end or self.start

    def label(self) -> str:
        return f"{self.reference} — {self.title}"

    def content(self) -> dict[str, Any]:
        """The imported fields (what a re-import compares), as JSON-ready values."""
        return self.model_dump(mode="json", exclude={"client_id"})


# -- the column layout ----------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool
    help: str
    example: str


COLUMNS: tuple[Column, ...] = (
    Column("reference", "Référence", True,
           "Identifiant de la session chez l'organisme, stable d'un export à l'autre (sert à la mise à jour).",
           "SES-2026-014"),
    Column("title", "Intitulé", True, "Intitulé de l'action.", "Management d'équipe — niveau 1"),
    Column("category", "Catégorie", True, "AF, BC, VAE ou CFA.", "AF"),
    Column("start", "Date de début", True, "JJ/MM/AAAA (ou AAAA-MM-JJ, ou une date Excel).", "12/03/2026"),
    Column("end", "Date de fin", False, "JJ/MM/AAAA ; vide pour une session d'un jour.", "14/03/2026"),
    Column("site", "Site", False, "Lieu ou site de réalisation (« Distanciel » possible).", "Marseille"),
    Column("trainers", "Formateurs", False, "Noms séparés par des points-virgules.", "A. Durand; B. Morel"),
    Column("learners", "Nombre d'apprenants", False, "Nombre entier.", "8"),
    Column("funding", "Financements", False,
           "Séparés par des points-virgules : CPF, OPCO, France Travail, Région, Entreprise, Particulier, Autre.",
           "OPCO; Entreprise"),
    Column("certifying", "Certifiante", False, "oui / non (prépare une certification RNCP ou RS).", "non"),
    Column("subcontracted", "Sous-traitée", False,
           "oui / non (réalisée en tout ou partie par un sous-traitant ou en portage).", "non"),
    Column("modality", "Modalité", False, "présentiel, distance ou mixte.", "présentiel"),
)
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}


def norm(text: object) -> str:
    """Lower case, no accents, single spaces: how headers and values are compared."""
    raw = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[\s_'’.-]+", " ", raw.lower()).strip()


_HEADER_ALIASES = {norm(c.header): c.field for c in COLUMNS} | {
    "reference session": "reference", "ref": "reference", "titre": "title", "intitule de la session": "title",
    "categorie d action": "category", "debut": "start", "date debut": "start", "fin": "end",
    "date fin": "end", "lieu": "site", "formateur": "trainers", "intervenants": "trainers",
    "apprenants": "learners", "nombre de stagiaires": "learners", "stagiaires": "learners",
    "financement": "funding", "financeurs": "funding", "certifiant": "certifying",
    "sous traitance": "subcontracted", "sous traite": "subcontracted", "modalite de formation": "modality",
}

_FUNDING_ALIASES = {norm(f.label): f for f in Funding} | {norm(f.value): f for f in Funding} | {
    "compte personnel de formation": Funding.CPF, "mon compte formation": Funding.CPF,
    "pole emploi": Funding.FRANCE_TRAVAIL, "ft": Funding.FRANCE_TRAVAIL, "conseil regional": Funding.REGION,
    "employeur": Funding.ENTREPRISE, "plan de developpement des competences": Funding.ENTREPRISE,
    "plan de developpement": Funding.ENTREPRISE, "plan de formation": Funding.ENTREPRISE,
    "fonds propres": Funding.PARTICULIER, "autofinancement": Funding.PARTICULIER,
    "financement personnel": Funding.PARTICULIER,
}
_MODALITY_ALIASES = {
    "presentiel": Modality.PRESENTIEL, "sur site": Modality.PRESENTIEL, "inter": Modality.PRESENTIEL,
    "intra": Modality.PRESENTIEL, "distance": Modality.DISTANCE, "a distance": Modality.DISTANCE,
    "distanciel": Modality.DISTANCE, "foad": Modality.DISTANCE, "e learning": Modality.DISTANCE,
    "mixte": Modality.MIXTE, "hybride": Modality.MIXTE, "blended": Modality.MIXTE,
}
_YES = {"oui", "o", "yes", "y", "vrai", "true", "1", "x"}
_NO = {"non", "n", "no", "faux", "false", "0", ""}


# -- mapping for exports of other tools -----------------------------------------------------


class ColumnMapping(BaseModel):
    """How another tool's export maps to our layout.

    ``colonnes``: our header (or field name) → their header. ``valeurs``: for one of our columns,
    their value → ours (e.g. ``Catégorie: {"Formation continue": "AF"}``).
    """

    model_config = ConfigDict(extra="forbid")

    colonnes: dict[str, str] = Field(default_factory=dict)
    valeurs: dict[str, dict[str, str]] = Field(default_factory=dict)

    def field_for(self, ours: str) -> str:
        key = norm(ours)
        for c in COLUMNS:
            if key in (norm(c.header), norm(c.field)):
                return c.field
        known = ", ".join(c.header for c in COLUMNS)
        raise UsageError(f"Correspondance de colonnes : colonne « {ours} » inconnue (colonnes possibles : {known}).")

    def resolved(self) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
        """(their normalised header → our field, our field → {their normalised value → ours})."""
        headers = {norm(theirs): self.field_for(ours) for ours, theirs in self.colonnes.items()}
        values = {self.field_for(ours): {norm(k): v for k, v in table.items()}
                  for ours, table in self.valeurs.items()}
        return headers, values


def parse_column_option(raw: str) -> tuple[str, str]:
    """``"Référence=ID session"`` → ("Référence", "ID session")."""
    ours, sep, theirs = raw.partition("=")
    if not sep or not ours.strip() or not theirs.strip():
        raise UsageError(f"--colonne attend NOTRE_COLONNE=LEUR_COLONNE (ex. : « Référence=ID session ») : « {raw} ».")
    return ours.strip(), theirs.strip()


# -- parsing rows ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    line: int
    reference: str
    reason: str

    def describe(self) -> str:
        ref = f" (« {self.reference} »)" if self.reference else ""
        return f"ligne {self.line}{ref} : {self.reason}"


@dataclass
class ParsedTable:
    sessions: list[tuple[int, Session]] = field(default_factory=list)
    """Good rows with their line number."""
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    blank_rows: int = 0


class _BadCell(ValueError):
    pass


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any, header: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for fmt in ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise _BadCell(f"{header} invalide : « {text} » (format attendu : JJ/MM/AAAA)")


def _bool(value: Any, header: str) -> bool:
    if isinstance(value, bool):
        return value
    key = norm(_text(value))
    if key in _YES:
        return True
    if key in _NO:
        return False
    raise _BadCell(f"{header} : « {_text(value)} » n'est ni oui ni non")


def _split(value: Any) -> list[str]:
    return [p.strip() for p in re.split(r"[;,/|\n]+", _text(value)) if p.strip()]


def _translate(value: Any, table: Mapping[str, str] | None) -> Any:
    if table and value is not None:
        hit = table.get(norm(_text(value)))
        if hit is not None:
            return hit
    return value


def _cell_value(fld: str, value: Any, tables: Mapping[str, Mapping[str, str]]) -> Any:
    """One cell turned into a Session field value (raises _BadCell with a French reason)."""
    header = COLUMN_BY_FIELD[fld].header
    table = tables.get(fld)
    if fld in ("trainers", "funding"):
        parts = [_translate(p, table) for p in _split(value)]
        if fld == "trainers":
            return tuple(dict.fromkeys(parts))
        out = []
        for p in parts:
            f = _FUNDING_ALIASES.get(norm(p))
            if f is None:
                allowed = ", ".join(x.label for x in Funding)
                raise _BadCell(f"financement inconnu : « {p} » (possibles : {allowed})")
            out.append(f)
        return tuple(dict.fromkeys(out))
    value = _translate(value, table)
    if fld in ("start", "end"):
        return _date(value, header)
    if fld in ("certifying", "subcontracted"):
        return _bool(value, header)
    text = _text(value)
    if fld == "category":
        try:
            return Category(text.upper())
        except ValueError:
            raise _BadCell(f"catégorie inconnue : « {text} » (possibles : AF, BC, VAE, CFA)") from None
    if fld == "modality":
        if not text:
            return Modality.PRESENTIEL
        m = _MODALITY_ALIASES.get(norm(text))
        if m is None:
            raise _BadCell(f"modalité inconnue : « {text} » (possibles : présentiel, distance, mixte)")
        return m
    if fld == "learners":
        if not text:
            return None
        try:
            n = int(float(text.replace(",", ".")))
        except ValueError:
            raise _BadCell(f"nombre d'apprenants invalide : « {text} »") from None
        if n < 0:
            raise _BadCell(f"nombre d'apprenants négatif : {n}")
        return n
    return text


def map_headers(header: Sequence[Any], mapping: ColumnMapping | None = None) -> tuple[dict[int, str], list[str]]:
    """Column index → our field; and the headers left unused. Missing required columns are an error
    for the whole file (nothing could be read)."""
    their, _ = mapping.resolved() if mapping else ({}, {})
    index: dict[int, str] = {}
    ignored: list[str] = []
    for i, raw in enumerate(header):
        name = _text(raw)
        if not name:
            continue
        fld = their.get(norm(name)) or (None if norm(name) in their else _HEADER_ALIASES.get(norm(name)))
        if fld is None or fld in index.values():
            ignored.append(name)
            continue
        index[i] = fld
    missing = [c.header for c in COLUMNS if c.required and c.field not in index.values()]
    if missing:
        found = ", ".join(f"« {_text(h)} »" for h in header if _text(h)) or "aucune"
        raise UsageError(
            f"Colonne(s) obligatoire(s) absente(s) : {', '.join(missing)}. Colonnes trouvées : {found}. "
            "Rien n'a été importé. Utilisez le modèle (workbench sessions template) ou une correspondance "
            "de colonnes (--mapping fichier.yaml ou --colonne « Référence=Leur colonne »)."
        )
    return index, ignored


def parse_table(client_id: str, header: Sequence[Any], rows: Iterable[tuple[int, Sequence[Any]]],
                mapping: ColumnMapping | None = None) -> ParsedTable:
    """Read sessions from a header and numbered rows; bad rows are reported, never guessed."""
    index, ignored = map_headers(header, mapping)
    _, tables = mapping.resolved() if mapping else ({}, {})
    out = ParsedTable(ignored_columns=ignored)
    seen: dict[str, int] = {}
    for line, row in rows:
        cells = {fld: (row[i] if i < len(row) else None) for i, fld in index.items()}
        if all(_text(v) == "" for v in cells.values()):
            out.blank_rows += 1
            continue
        reference = _text(_translate(cells.get("reference"), tables.get("reference")))
        values: dict[str, Any] = {"client_id": client_id}
        reasons: list[str] = []
        for fld, value in cells.items():
            col = COLUMN_BY_FIELD[fld]
            try:
                parsed = _cell_value(fld, value, tables)
            except _BadCell as exc:
                reasons.append(str(exc))
                continue
            if parsed in (None, "", ()) and col.required:
                reasons.append(f"{col.header} manquant(e)")
                continue
            if parsed is not None:
                values[fld] = parsed
        if reference and reference in seen:
            reasons.append(f"référence en double (déjà à la ligne {seen[reference]})")
        if not reasons:
            try:
                session = Session.model_validate(values)
            except ValueError as exc:
                errors = getattr(exc, "errors", lambda: [])()
                reasons.append(_pydantic_reason(errors) if errors else str(exc))
            else:
                seen[reference] = line
                out.sessions.append((line, session))
                continue
        out.errors.append(RowError(line, reference, " ; ".join(reasons)))
    return out


def _pydantic_reason(errors: list[dict]) -> str:
    first = errors[0]
    fld = str(first["loc"][0]) if first.get("loc") else ""
    header = COLUMN_BY_FIELD[fld].header if fld in COLUMN_BY_FIELD else "ligne"
    msg = str(first.get("msg", "valeur invalide")).removeprefix("Value error, ")
    if first.get("type") == "string_too_long":
        msg = "texte trop long (80 caractères au plus)"
    return msg if not fld else f"{header} : {msg}"
