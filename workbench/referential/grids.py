"""Interview grids as validated data.

A grid lives in ``referentiel/grids/<id>.yaml``: a header (id, title, referential version, kind)
and, keyed by indicator id of that version, the questions to ask (closed set of kinds, whom to
ask) and the proofs to look for. Files are loaded into frozen pydantic models that forbid
unknown fields; every problem is reported in French with the file, the indicator and the field.

A *full* grid covers every indicator of its version; a *surveillance* grid covers at least the
surveillance minimum scope. :func:`surveillance_interview_set` builds what to review before a
surveillance audit: the minimum scope plus the indicators found in NC at the previous mission.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from workbench.core.errors import ReferentialError
from workbench.core.validation import data_error, describe_validation_error, read_yaml
from workbench.core.vocab import Condition, LabelledEnum, QuestionKind, Role, Verdict
from workbench.data import GRIDS, GRIDS_DIR
from workbench.referential.library import Library, Referential, default_library, indicator_id

_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_IND_RE = re.compile(r"^(?P<version>[a-z0-9-]+):ind:(?P<number>\d{2})$")
CHOICE_KINDS = (QuestionKind.SINGLE_CHOICE, QuestionKind.MULTIPLE_CHOICE)

QUESTION_KIND_LABELS = QuestionKind.labels()


class GridKind(LabelledEnum):
    FULL = "full", "Grille complète de pré-audit"
    SURVEILLANCE = "surveillance", "Grille de préparation de l'audit de surveillance"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Question(_Model):
    id: str
    kind: QuestionKind
    text: str = Field(min_length=1)
    roles: tuple[Role, ...] = Field(min_length=1)
    """Whom to ask."""
    choices: tuple[str, ...] = ()
    help: str | None = None
    skip_when: tuple[Condition, ...] = ()
    """Not asked when the provider's scope has any of these conditions (e.g. the drop-out
    question of 2026 indicator 12 for a provider of short courses only)."""

    def asked_for(self, conditions: frozenset[Condition]) -> bool:
        return not any(c in conditions for c in self.skip_when)

    @model_validator(mode="after")
    def _coherent(self) -> Question:
        if not _SLUG_RE.match(self.id):
            raise ValueError(
                f"identifiant de question invalide {self.id!r} (minuscules, chiffres et tirets)"
            )
        if self.kind in CHOICE_KINDS:
            if len(self.choices) < 2:
                raise ValueError(
                    f"question {self.id!r} : au moins deux choix sont requis pour le type {self.kind.value}"
                )
            if len(set(self.choices)) != len(self.choices):
                raise ValueError(f"question {self.id!r} : choix en double")
            if any(not c.strip() for c in self.choices):
                raise ValueError(f"question {self.id!r} : choix vide")
        elif self.choices:
            raise ValueError(
                f"question {self.id!r} : des choix ne sont permis que pour les types "
                "single_choice et multiple_choice"
            )
        if len(set(self.roles)) != len(self.roles):
            raise ValueError(f"question {self.id!r} : rôle en double")
        return self


class GridEntry(_Model):
    questions: tuple[Question, ...] = Field(min_length=1)
    proofs: tuple[str, ...] = Field(min_length=1)
    """Proofs to look for: the checklist, in order."""
    note: str | None = None

    @model_validator(mode="after")
    def _unique(self) -> GridEntry:
        ids = [q.id for q in self.questions]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"identifiant de question en double : {', '.join(dup)}")
        if any(not p.strip() for p in self.proofs):
            raise ValueError("preuve vide dans la liste")
        if len(set(self.proofs)) != len(self.proofs):
            raise ValueError("preuve en double dans la liste")
        return self

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(r for q in self.questions for r in q.roles)


class Grid(_Model):
    id: str
    title: str = Field(min_length=1)
    referential: str
    kind: GridKind
    description: str | None = None
    indicators: dict[str, GridEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _ids(self) -> Grid:
        if not _SLUG_RE.match(self.id):
            raise ValueError(f"identifiant de grille invalide : {self.id!r}")
        return self

    def entry(self, ind_id: str) -> GridEntry | None:
        return self.indicators.get(ind_id)

    @property
    def label(self) -> str:
        return f"{self.title} ({self.kind.label.lower()})"


# -- loading -------------------------------------------------------------------------------


def _fail(path: Path, text: str, indicator: str | None = None, field: str | None = None) -> ReferentialError:
    return data_error("Grille d'entretien", path, text, indicator, field)


def check_grid(grid: Grid, path: Path, library: Library) -> None:
    """Cross-check a grid against the referential version it names."""
    try:
        ref = library.get(grid.referential)
    except ReferentialError as exc:
        raise _fail(path, exc.message.rstrip("."), field="referential") from None
    known = {ind.id for ind in ref.indicators}
    for ind_id in grid.indicators:
        if ind_id not in known:
            m = _IND_RE.match(ind_id)
            hint = (
                f"la grille vise {grid.referential}, pas {m['version']}"
                if m and m["version"] != ref.id
                else f"indicateurs {indicator_id(ref.id, 1)} à {indicator_id(ref.id, len(ref.indicators))}"
            )
            raise _fail(path, f"indicateur inexistant dans le référentiel {ref.id} ({hint})", indicator=ind_id)
    order = [ind.id for ind in ref.indicators if ind.id in grid.indicators]
    if list(grid.indicators) != order:
        raise _fail(path, "les indicateurs doivent suivre l'ordre du référentiel", field="indicators")
    if grid.kind == GridKind.FULL:
        missing = [ind.number for ind in ref.indicators if ind.id not in grid.indicators]
        if missing:
            raise _fail(
                path,
                f"une grille complète doit couvrir tous les indicateurs de {ref.id} ; "
                f"manquant(s) : {', '.join(map(str, missing))}",
                field="indicators",
            )
    else:
        missing = [
            ind.number for ind in ref.indicators if ind.surveillance_minimum and ind.id not in grid.indicators
        ]
        if missing:
            raise _fail(
                path,
                "une grille de surveillance doit couvrir le périmètre minimal de l'audit de surveillance ; "
                f"manquant(s) : {', '.join(map(str, missing))}",
                field="indicators",
            )


def load_grid_file(path: Path, library: Library | None = None) -> Grid:
    raw = read_yaml(path, "Grille d'entretien")
    if not isinstance(raw, dict):
        raise _fail(path, "le fichier doit contenir un dictionnaire YAML")
    try:
        grid = Grid.model_validate(raw)
    except ValidationError as exc:
        raise _fail(path, *describe_validation_error(exc, raw)) from None
    if path.stem != grid.id:
        raise _fail(path, f"{grid.id!r} ne correspond pas au nom du fichier ({path.stem!r})", field="id")
    check_grid(grid, path, library or default_library())
    return grid


class GridLibrary:
    """Every grid of a directory, validated, looked up by id or by (referential, kind)."""

    def __init__(self, grids: list[Grid]) -> None:
        self._grids = {g.id: g for g in grids}
        seen: dict[tuple[str, GridKind], str] = {}
        for g in grids:
            key = (g.referential, g.kind)
            if key in seen:
                raise ReferentialError(
                    f"Deux grilles du même type pour {g.referential} : {seen[key]} et {g.id}."
                )
            seen[key] = g.id

    @property
    def grids(self) -> list[Grid]:
        return list(self._grids.values())

    def get(self, grid_id: str) -> Grid:
        try:
            return self._grids[grid_id]
        except KeyError:
            known = ", ".join(sorted(self._grids)) or "aucune"
            raise ReferentialError(f"Grille d'entretien inconnue : « {grid_id} ». Grilles disponibles : {known}.") from None

    def for_referential(self, referential_id: str, kind: GridKind = GridKind.FULL) -> Grid:
        for g in self._grids.values():
            if g.referential == referential_id and g.kind == kind:
                return g
        raise ReferentialError(
            f"Aucune {kind.label.lower()} pour le référentiel {referential_id} "
            f"(ajoutez un fichier dans {GRIDS_DIR})."
        )


def load_grids(directory: Path | None = None, library: Library | None = None) -> GridLibrary:
    """The grids of ``directory``, or else of the library's folders (the firm's replacing the package's)."""
    library = library or default_library()
    if directory is not None:
        files, where = sorted(directory.glob("*.yaml")), str(directory)
    else:
        files, where = list(library.folders.files(GRIDS).values()), library.folders.describe(GRIDS)
    if not files:
        raise ReferentialError(f"Aucune grille d'entretien dans {where}.", path=where)
    return GridLibrary([load_grid_file(f, library) for f in files])


@functools.cache
def grids_for(library: Library) -> GridLibrary:
    """The grids that go with a library (same folders), loaded once per process."""
    return load_grids(None, library)


def default_grids() -> GridLibrary:
    """The grids shipped with the package, loaded once per process."""
    return grids_for(default_library())


# -- surveillance interview set ------------------------------------------------------------


class ItemSource(LabelledEnum):
    GRID = "grid", "Grille complète"
    MINIMUM = "minimum", "Périmètre minimal de la surveillance"
    PREVIOUS_NC = "previous_nc", "Non-conformité à la mission précédente"
    FORMER_NEW_ENTRANT = "former_new_entrant", "Ancien nouvel entrant : tous les indicateurs sont revus"



@dataclass(frozen=True)
class InterviewItem:
    """One indicator to review in an interview, with the questions and proofs to use."""

    indicator_id: str
    number: int
    entry: GridEntry
    source: ItemSource
    reason: str


def indicator_number(ind_id: str) -> int | None:
    m = _IND_RE.match(ind_id)
    return int(m["number"]) if m else None


def full_interview_set(grid: Grid, referential: Referential) -> list[InterviewItem]:
    items = []
    for ind in referential.indicators:
        entry = grid.entry(ind.id)
        if entry is None:
            raise ReferentialError(f"La grille {grid.id} ne couvre pas l'indicateur {ind.number}.")
        items.append(InterviewItem(ind.id, ind.number, entry, ItemSource.GRID, ItemSource.GRID.label))
    return items


def previous_nc_numbers(previous_verdicts: Mapping[str, Verdict | str]) -> dict[int, Verdict]:
    """Indicator numbers found in NC, from answers keyed by indicator id of any version."""
    found: dict[int, Verdict] = {}
    for ind_id, verdict in previous_verdicts.items():
        v = Verdict(verdict)
        number = indicator_number(ind_id)
        if v.is_nc and number is not None:
            found[number] = v
    return found


def surveillance_interview_set(
    surveillance_grid: Grid,
    full_grid: Grid,
    referential: Referential,
    previous_verdicts: Mapping[str, Verdict | str] | None = None,
    *,
    former_new_entrant: bool = False,
) -> list[InterviewItem]:
    """Minimum scope (the surveillance grid) + indicators in NC at the previous mission.

    ``previous_verdicts`` maps indicator ids (possibly of an earlier referential version:
    indicators are matched by number) to verdicts. Questions for the extra indicators come from
    the full grid. A former new entrant reviews every indicator.
    """
    if surveillance_grid.referential != referential.id or full_grid.referential != referential.id:
        raise ReferentialError(
            f"Grilles et référentiel discordants : {surveillance_grid.id} / {full_grid.id} "
            f"pour {referential.id}."
        )
    ncs = previous_nc_numbers(previous_verdicts or {})
    items: list[InterviewItem] = []
    for ind in referential.indicators:
        surv_entry = surveillance_grid.entry(ind.id)
        full_entry = full_grid.entry(ind.id)
        if ind.number in ncs and full_entry is not None:
            items.append(
                InterviewItem(
                    ind.id, ind.number, full_entry, ItemSource.PREVIOUS_NC,
                    f"{ncs[ind.number].label} relevée à la mission précédente : vérifier la levée",
                )
            )
        elif surv_entry is not None:
            items.append(InterviewItem(ind.id, ind.number, surv_entry, ItemSource.MINIMUM,
                                       ItemSource.MINIMUM.label))
        elif former_new_entrant and full_entry is not None:
            items.append(InterviewItem(ind.id, ind.number, full_entry, ItemSource.FORMER_NEW_ENTRANT,
                                       ItemSource.FORMER_NEW_ENTRANT.label))
    return items


def previous_verdicts_for(store: Any, mission: Any) -> dict[str, Verdict]:
    """Verdicts of the client's previous mission (empty when there is none)."""
    previous = store.previous_mission(mission)
    if previous is None:
        return {}
    return {ind_id: a.verdict for ind_id, a in store.list_answers(previous.id).items()}
