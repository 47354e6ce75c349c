"""Prefill a client profile from the public list of training providers (data.gouv.fr open data).

The list (« Liste publique des organismes de formation », semicolon CSV) gives per declared
provider its NDA, SIREN/SIRET, name, address and, per action category, whether it holds the
Qualiopi certification — but no certificate date nor certifier. Nothing is downloaded: the
consultant points to a file already on disk.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench.core.errors import NotFoundError, UsageError
from workbench.core.vocab import Category
from workbench.data import DATA_DIR

SAMPLE_FILE = DATA_DIR / "public_list" / "extrait-liste-publique-of.csv"

COL_NDA = "numeroDeclarationActivite"
COL_NAME = "denomination"
COL_SIREN = "siren"
COL_SIRET = "siretEtablissementDeclarant"
COL_STREET = "adressePhysiqueOrganismeFormation.voie"
COL_POSTCODE = "adressePhysiqueOrganismeFormation.codePostal"
COL_CITY = "adressePhysiqueOrganismeFormation.ville"
COL_TRAINERS = "informationsDeclarees.effectifFormateurs"
CERTIFICATION_COLUMNS = {
    "certifications.actionsDeFormation": Category.AF,
    "certifications.bilansDeCompetences": Category.BC,
    "certifications.VAE": Category.VAE,
    "certifications.actionsDeFormationParApprentissage": Category.CFA,
}
REQUIRED = (COL_NDA, COL_NAME, COL_SIRET, *CERTIFICATION_COLUMNS)


@dataclass(frozen=True)
class PublicListEntry:
    nda: str
    name: str
    siret: str
    street: str
    postal_code: str
    city: str
    certified_categories: tuple[Category, ...]
    trainers: int | None

    def profile_data(self) -> dict[str, Any]:
        """Profile fields the list can fill (certificate date and certifier stay manual)."""
        data: dict[str, Any] = {"name": _title(self.name), "siret": self.siret, "nda": self.nda}
        if self.street and self.city:
            data["address"] = {"street": _title(self.street), "postal_code": self.postal_code,
                               "city": self.city.title()}
        if self.trainers is not None:
            data["trainers"] = self.trainers
        return data


def _title(text: str) -> str:
    """Upper-case list values to a readable form (keeps short words lower-case)."""
    small = {"de", "du", "des", "la", "le", "les", "et", "en", "a", "au", "aux", "d", "l"}
    words = re.split(r"(\s+|-|')", text.strip().lower())
    return "".join(w if w in small and i else w.capitalize() for i, w in enumerate(words))


def _lines(path: Path) -> list[str]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"Liste publique introuvable : {path}.") from None
    except OSError as exc:
        raise UsageError(f"Liste publique illisible : {path} ({exc.strerror}).") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"Liste publique mal formée : {path} n'est pas un fichier texte UTF-8 "
                         "(attendu : le CSV de data.gouv.fr, séparé par des points-virgules).") from None
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise UsageError(f"Liste publique mal formée : {path} est vide.")
    if ";" not in lines[0]:
        raise UsageError(f"Liste publique mal formée : {path} — la première ligne ne contient aucun point-virgule "
                         "(attendu : le CSV de data.gouv.fr, colonnes séparées par « ; »).")
    return lines


def _scan(path: Path, key_column: str | None = None, key: str | None = None) -> tuple[list[str], list[list[str]], int]:
    """Header, the rows whose ``key_column`` equals ``key`` (every row without a key), rows read.

    Every row is checked for its number of columns; only matching rows are kept, so a full-size
    list (about 150 000 rows) is scanned without building a dictionary per row.
    """
    lines = _lines(path)
    header = next(csv.reader(lines[:1], delimiter=";"))
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise UsageError(f"Liste publique mal formée : {path} — colonne(s) absente(s) : {', '.join(missing)}.")
    n = len(header)
    idx = header.index(key_column) if key_column else None
    kept: list[list[str]] = []
    count = 0
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        count += 1
        quoted = '"' in line
        # Fast path: without quotes, a row is its fields split on « ; » (checked for their count);
        # only rows that may hold the key, or that use quotes, go through the csv parser.
        if not quoted and line.count(";") + 1 != n:
            raise UsageError(f"Liste publique mal formée : {path}, ligne {number} — nombre de colonnes "
                             f"différent de l'en-tête ({n} attendues, {line.count(';') + 1} lues).")
        if quoted or idx is None or (key and key in line.replace(" ", "")):
            row = next(csv.reader([line], delimiter=";"))
            if len(row) != n:
                raise UsageError(f"Liste publique mal formée : {path}, ligne {number} — nombre de colonnes "
                                 f"différent de l'en-tête ({n} attendues, {len(row)} lues).")
            if idx is None or row[idx].replace(" ", "") == key:
                kept.append(row)
    return header, kept, count


def read_public_list(path: Path) -> list[dict[str, str]]:
    """Rows of a downloaded extract, checked for the columns the prefill needs."""
    header, rows, _ = _scan(path)
    return [{k: v.strip() for k, v in zip(header, row, strict=True)} for row in rows]


def _digits(value: str, n: int, what: str) -> str:
    v = re.sub(r"\s", "", value)
    if not re.fullmatch(rf"\d{{{n}}}", v):
        raise UsageError(f"{what} invalide « {value} » : {n} chiffres attendus.")
    return v


def _flag(value: str, column: str, line: str) -> bool:
    v = value.lower()
    if v in ("true", "1", "oui"):
        return True
    if v in ("false", "0", "non", ""):
        return False
    raise UsageError(f"Liste publique mal formée : valeur « {value} » dans la colonne {column} pour {line} "
                     "(true ou false attendu).")


def find_provider(path: Path, *, siret: str | None = None, nda: str | None = None) -> PublicListEntry:
    """The provider of the extract with this SIRET (or NDA); French errors when absent."""
    if bool(siret) == bool(nda):
        raise UsageError("Indiquez --siret ou --nda (l'un des deux) pour chercher l'organisme dans la liste publique.")
    key, col, what = ((_digits(siret, 14, "SIRET"), COL_SIRET, "SIRET") if siret
                      else (_digits(nda or "", 11, "NDA"), COL_NDA, "NDA"))
    header, matches, count = _scan(path, col, key)
    found = [{k: v.strip() for k, v in zip(header, row, strict=True)} for row in matches]
    if not found:
        raise NotFoundError(f"{what} {key} absent de la liste publique {path.name} ({count} organisme(s) lus). "
                            "Vérifiez le numéro, ou téléchargez un extrait plus récent sur data.gouv.fr.")
    if len(found) > 1 and col == COL_NDA:
        raise UsageError(f"NDA {key} présent {len(found)} fois dans {path.name} : précisez --siret.")
    row = found[0]
    line = f"l'organisme {row[COL_NAME] or key}"
    cats = tuple(cat for column, cat in CERTIFICATION_COLUMNS.items() if _flag(row[column], column, line))
    trainers_raw = row.get(COL_TRAINERS, "")
    trainers = int(trainers_raw) if trainers_raw.isdigit() else None
    return PublicListEntry(
        nda=re.sub(r"\s", "", row[COL_NDA]), name=row[COL_NAME], siret=re.sub(r"\s", "", row[COL_SIRET]),
        street=row.get(COL_STREET, ""), postal_code=row.get(COL_POSTCODE, ""), city=row.get(COL_CITY, ""),
        certified_categories=cats, trainers=trainers)
