"""Remediation suggestions, kept as data beside each referential version.

``referentiel/remediation/<referential id>.yaml`` (a subfolder, so the referential loader never
mistakes it for a version): for every indicator of the version, one to three concrete actions with
a suggested owner (a :class:`~workbench.core.vocab.Role`), and, for the indicators whose proof must
be recent, ``evidence_max_age_months``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workbench.core.errors import ReferentialError
from workbench.core.validation import load_yaml_model
from workbench.core.vocab import Role
from workbench.data import REMEDIATION, REMEDIATION_DIR, DataFolders
from workbench.referential.library import Referential


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RemediationAction(_Model):
    title: str = Field(min_length=5, max_length=200)
    detail: str = Field(min_length=10)
    owner: Role


class IndicatorRemediation(_Model):
    number: int = Field(ge=1)
    evidence_max_age_months: int | None = Field(default=None, ge=1, le=60)
    actions: tuple[RemediationAction, ...] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def _distinct(self) -> IndicatorRemediation:
        titles = [a.title for a in self.actions]
        if len(set(titles)) != len(titles):
            raise ValueError("deux actions portent le même intitulé")
        return self


class RemediationSet(_Model):
    referential: str
    indicators: tuple[IndicatorRemediation, ...]

    def for_number(self, number: int) -> IndicatorRemediation:
        for item in self.indicators:
            if item.number == number:
                return item
        raise ReferentialError(f"Aucune suggestion de remédiation pour l'indicateur {number} ({self.referential}).")

    @property
    def evidence_max_age(self) -> dict[int, int]:
        return {i.number: i.evidence_max_age_months for i in self.indicators if i.evidence_max_age_months}


def load_remediation_file(path: Path, referential: Referential) -> RemediationSet:
    data = load_yaml_model(RemediationSet, path, "Remédiation")
    if data.referential != referential.id:
        raise ReferentialError(
            f"Remédiation invalide : {path} — champ « referential » : {data.referential!r}, "
            f"attendu {referential.id!r}.", path=str(path), field="referential")
    numbers = [i.number for i in data.indicators]
    expected = [i.number for i in referential.indicators]
    dupes = sorted({n for n in numbers if numbers.count(n) > 1})
    missing = sorted(set(expected) - set(numbers))
    unknown = sorted(set(numbers) - set(expected))
    for problem, values in (("en double", dupes), ("sans suggestion", missing), ("inconnu(s) du référentiel", unknown)):
        if values:
            raise ReferentialError(
                f"Remédiation invalide : {path} — indicateur(s) {problem} : {', '.join(map(str, values))}.",
                path=str(path), field="indicators")
    return data


_CACHE: dict[tuple[Path, str], RemediationSet] = {}


def load_remediation(referential: Referential, directory: Path | DataFolders | None = None) -> RemediationSet:
    """The validated remediation suggestions of a referential version (loaded once per process), from
    ``directory`` or from the highest of the folders that has the version's file."""
    if isinstance(directory, Path):
        path = directory / f"{referential.id}.yaml"
    else:
        folders = directory or DataFolders()
        path = folders.find(REMEDIATION, referential.id) or REMEDIATION_DIR / f"{referential.id}.yaml"
    key = (path, referential.id)
    if key not in _CACHE:
        _CACHE[key] = load_remediation_file(path, referential)
    return _CACHE[key]
