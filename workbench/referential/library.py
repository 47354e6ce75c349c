"""The Qualiopi referential as versioned, validated data.

Each version lives in one YAML file of ``referentiel/`` (the package's, overridden file by file by
the firm's workspace: see :mod:`workbench.data`). Files are loaded into frozen pydantic
models that forbid unknown fields; any problem is reported in French with the file, the
indicator and the field concerned.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workbench.core.errors import ReferentialError
from workbench.core.validation import load_yaml_model
from workbench.core.vocab import (
    Category,
    ChangeKind,
    Condition,
    IndicatorKind,
    NCGrading,
    ReferentialStatus,
    SubcontractorRule,
)
from workbench.data import REFERENTIEL, REFERENTIEL_DIR, DataFolders  # noqa: F401 - REFERENTIEL_DIR re-exported

_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Model):
    label: str = Field(min_length=1)
    url: str | None = None


class Criterion(_Model):
    number: int = Field(ge=1, le=7)
    title: str = Field(min_length=1)
    short_title: str = Field(min_length=1)


class CategoryRule(_Model):
    """When an indicator applies within one action category."""

    requires: tuple[Condition, ...] = ()
    """All these conditions must hold (e.g. certifying courses)."""
    excluded_by: tuple[Condition, ...] = ()
    """Any of these conditions makes the indicator not applicable (e.g. only short courses)."""
    partial_when: dict[Condition, str] = Field(default_factory=dict)
    """Conditions that leave only part of the indicator in force, with the part that still
    applies (French), e.g. 2026 indicator 12 for short courses only."""

    @model_validator(mode="after")
    def _partial_not_excluded(self) -> CategoryRule:
        both = set(self.partial_when) & set(self.excluded_by)
        if both:
            raise ValueError(
                "une même situation ne peut à la fois exclure l'indicateur et en limiter la portée : "
                + ", ".join(sorted(c.value for c in both))
            )
        if any(not text.strip() for text in self.partial_when.values()):
            raise ValueError("« partial_when » doit dire quelle partie de l'indicateur reste applicable")
        return self


class Applicability(_Model):
    categories: dict[Category, CategoryRule]
    """Categories in which the indicator can apply; absent categories: never."""
    note: str | None = None
    uncertain: str | None = None

    @model_validator(mode="after")
    def _non_empty(self) -> Applicability:
        if not self.categories:
            raise ValueError("au moins une catégorie d'action est requise")
        return self


class NCRule(_Model):
    grading: NCGrading
    minor_when: str | None = None
    """What typically makes a minor NC (graded indicators)."""
    note: str | None = None
    uncertain: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> NCRule:
        if self.grading == NCGrading.UNKNOWN and not self.uncertain:
            raise ValueError("une gradation « unknown » doit expliquer l'incertitude (uncertain)")
        return self


class NewEntrantRule(_Model):
    adapted: bool
    at_initial: str | None = None
    """What a new entrant must show at the initial audit."""
    deferred: str | None = None
    """What waits for the surveillance audit."""
    deferred_entirely: bool = False
    """Nothing of the indicator is checked at a new entrant's initial audit."""
    uncertain: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> NewEntrantRule:
        if self.adapted and not (self.at_initial or self.deferred):
            raise ValueError("un aménagement nouvel entrant doit dire ce qui est vérifié ou différé")
        if self.deferred_entirely and not (self.adapted and self.deferred):
            raise ValueError("« deferred_entirely » suppose un aménagement et ce qui est différé (deferred)")
        return self


class SubcontractorTreatment(_Model):
    rule: SubcontractorRule
    note: str | None = None


class Change(_Model):
    kind: ChangeKind
    summary: str | None = None
    uncertain: str | None = None

    @model_validator(mode="after")
    def _summary_when_changed(self) -> Change:
        if self.kind != ChangeKind.NONE and not self.summary:
            raise ValueError("un changement doit être résumé (summary)")
        return self


class Indicator(_Model):
    id: str
    number: int = Field(ge=1)
    criterion: int = Field(ge=1, le=7)
    kind: IndicatorKind
    title: str = Field(min_length=1)
    requirement: str = Field(min_length=1)
    expected_level: str = Field(min_length=1)
    proofs: tuple[str, ...] = Field(min_length=1)
    specific_rules: tuple[str, ...] = ()
    applicability: Applicability
    nc: NCRule
    new_entrant: NewEntrantRule
    as_subcontractor: SubcontractorTreatment
    surveillance_minimum: bool | None
    """In the minimum scope of a surveillance audit; None when the sources leave it open."""
    audit_risk: str | None = None
    """Why certifiers often find this indicator in NC, when practitioners say so."""
    change: Change | None = None
    """What changed since the previous version (absent for the first version)."""
    uncertain: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return f"Indicateur {self.number} — {self.title}"



class OfIndicator:
    """Shortcuts for a record that carries an ``indicator`` (status of a gap analysis, interview entry)."""

    indicator: Indicator

    @property
    def id(self) -> str:
        return self.indicator.id

    @property
    def number(self) -> int:
        return self.indicator.number

    @property
    def criterion(self) -> int:
        return self.indicator.criterion

class Referential(_Model):
    id: str
    title: str
    version: str
    decree: str
    guide: str | None = None
    effective_from: dt.date
    effective_until: dt.date | None = None
    status: ReferentialStatus
    status_note: str | None = None
    previous: str | None = None
    sources: tuple[Source, ...] = Field(min_length=1)
    criteria: tuple[Criterion, ...]
    indicators: tuple[Indicator, ...]

    @model_validator(mode="after")
    def _coherent(self) -> Referential:
        if not _ID_RE.match(self.id):
            raise ValueError(f"identifiant de version invalide : {self.id!r}")
        if self.effective_until and self.effective_until < self.effective_from:
            raise ValueError("effective_until précède effective_from")
        numbers = [c.number for c in self.criteria]
        if numbers != list(range(1, 8)):
            raise ValueError("les critères doivent être numérotés de 1 à 7, dans l'ordre")
        expected = list(range(1, len(self.indicators) + 1))
        if [i.number for i in self.indicators] != expected:
            raise ValueError("les indicateurs doivent être numérotés 1, 2, 3… sans trou, dans l'ordre")
        last_criterion = 0
        for ind in self.indicators:
            if ind.id != indicator_id(self.id, ind.number):
                raise ValueError(
                    f"indicateur {ind.number} : identifiant {ind.id!r}, "
                    f"attendu {indicator_id(self.id, ind.number)!r}"
                )
            if ind.criterion < last_criterion:
                raise ValueError(f"indicateur {ind.number} : critère {ind.criterion} hors ordre")
            last_criterion = ind.criterion
            if self.previous and ind.change is None:
                raise ValueError(
                    f"indicateur {ind.number} : « change » est obligatoire "
                    f"(la version précède : {self.previous})"
                )
        return self

    # -- lookups -------------------------------------------------------------------------
    def indicator(self, number: int) -> Indicator:
        if 1 <= number <= len(self.indicators):
            return self.indicators[number - 1]
        raise ReferentialError(
            f"Indicateur {number} inexistant dans le référentiel {self.id} "
            f"(indicateurs 1 à {len(self.indicators)})."
        )

    def by_id(self, ind_id: str) -> Indicator:
        for ind in self.indicators:
            if ind.id == ind_id:
                return ind
        raise ReferentialError(f"Indicateur {ind_id!r} inexistant dans le référentiel {self.id}.")

    def criterion(self, number: int) -> Criterion:
        return self.criteria[number - 1]

    def in_force_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (
            self.effective_until is None or day <= self.effective_until
        )

    @property
    def label(self) -> str:
        return f"{self.title} ({self.version})"


def indicator_id(version_id: str, number: int) -> str:
    return f"{version_id}:ind:{number:02d}"


# -- loading -------------------------------------------------------------------------------

def load_referential_file(path: Path) -> Referential:
    ref = load_yaml_model(Referential, path, "Référentiel")
    if path.stem != ref.id:
        raise ReferentialError(
            f"Référentiel invalide : {path} — champ « id » : {ref.id!r} ne correspond pas au nom "
            f"du fichier ({path.stem!r}).",
            path=str(path),
            field="id",
        )
    return ref


class Library:
    """All referential versions of a directory, loaded and cross-checked."""

    def __init__(self, versions: list[Referential], folders: DataFolders | None = None) -> None:
        self.folders = folders or DataFolders()
        """Where this library's data came from; grids and remediation are read from the same places."""
        self._versions = sorted(versions, key=lambda r: r.effective_from)
        ids = [r.id for r in self._versions]
        if len(set(ids)) != len(ids):
            raise ReferentialError(f"Versions de référentiel en double : {', '.join(ids)}")
        for a, b in zip(self._versions, self._versions[1:], strict=False):
            if a.effective_until is None or a.effective_until >= b.effective_from:
                raise ReferentialError(
                    f"Périodes de validité qui se chevauchent : {a.id} et {b.id}."
                )
        for r in self._versions:
            if r.previous and r.previous not in ids:
                raise ReferentialError(
                    f"Le référentiel {r.id} dit succéder à {r.previous}, introuvable."
                )

    @property
    def versions(self) -> list[Referential]:
        return list(self._versions)

    def get(self, version_id: str) -> Referential:
        for r in self._versions:
            if r.id == version_id:
                return r
        known = ", ".join(r.id for r in self._versions)
        raise ReferentialError(
            f"Version de référentiel inconnue : « {version_id} ». Versions disponibles : {known}."
        )

    def for_date(self, day: dt.date) -> Referential:
        for r in self._versions:
            if r.in_force_on(day):
                return r
        raise ReferentialError(
            f"Aucun référentiel en vigueur le {day.strftime('%d/%m/%Y')} dans cette bibliothèque "
            f"(versions : {', '.join(f'{r.id} du {r.effective_from:%d/%m/%Y}' for r in self._versions)})."
        )

    def resolve(self, version_id: str | None = None, audit_date: dt.date | None = None) -> Referential:
        """Pick a version explicitly by id, or the one in force on the audit date."""
        if version_id:
            return self.get(version_id)
        if audit_date:
            return self.for_date(audit_date)
        raise ReferentialError("Indiquez une version (--version) ou une date d'audit (--audit-date).")


def load_library(source: Path | DataFolders | None = None) -> Library:
    """Every referential version of a folder, or of the folders of ``source`` in override order."""
    if isinstance(source, Path):
        files, where, folders = sorted(source.glob("*.yaml")), source, DataFolders(referentiel_dir=source)
    else:
        folders = source or DataFolders()
        files, where = list(folders.files(REFERENTIEL).values()), folders.describe(REFERENTIEL)
    if not files:
        raise ReferentialError(f"Aucun fichier de référentiel dans {where}.", path=str(where))
    return Library([load_referential_file(f) for f in files], folders)


@functools.cache
def library_for(folders: DataFolders) -> Library:
    """The library of these folders, loaded once per process."""
    return load_library(folders)


def default_library() -> Library:
    """The library shipped with the package, loaded once per process."""
    return library_for(DataFolders())
