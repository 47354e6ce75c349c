"""Widget-free state of the on-site interview: one object per screen, every change saved at once.

:class:`InterviewModel` binds a mission to its client, referential version, interview grid and
store. It knows which indicators apply (non-applicable ones are kept, with their reason), where
the consultant is, which indicators the filters let through, and how far the interview has
gone. Every save goes straight to the store; rules (justification for "non applicable", no minor
NC on a major-only indicator) are enforced here, with French messages, so that any front end
gets them.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from workbench.core.errors import WorkbenchError
from workbench.core.vocab import AuditType, MissionType, NCGrading, QuestionKind, Role, Verdict
from workbench.domain.profile import ClientProfile
from workbench.domain.records import Answer, Evidence, Mission
from workbench.referential.applicability import IndicatorApplicability, evaluate
from workbench.referential.grids import (
    Grid,
    GridKind,
    GridLibrary,
    InterviewItem,
    ItemSource,
    Question,
    default_grids,
    full_interview_set,
    previous_verdicts_for,
    surveillance_interview_set,
)
from workbench.referential.library import Criterion, Indicator, Referential
from workbench.services.workspace import Workspace

STATE_CURRENT = "interview.current_indicator"


class InterviewError(WorkbenchError):
    """A change refused by the interview rules (the message says why, in French)."""

    exit_code = 2


@dataclass(frozen=True)
class Entry:
    """One indicator of the interview: referential data, applicability and grid content."""

    indicator: Indicator
    applicability: IndicatorApplicability
    item: InterviewItem

    @property
    def id(self) -> str:
        return self.indicator.id

    @property
    def number(self) -> int:
        return self.indicator.number

    @property
    def criterion(self) -> int:
        return self.indicator.criterion

    @property
    def applicable(self) -> bool:
        return self.applicability.applicable

    @property
    def reason(self) -> str:
        return self.applicability.reason

    @property
    def questions(self) -> tuple[Question, ...]:
        return self.item.entry.questions

    @property
    def proofs(self) -> tuple[str, ...]:
        return self.item.entry.proofs

    @property
    def roles(self) -> frozenset[Role]:
        return self.item.entry.roles

    @property
    def major_only(self) -> bool:
        return self.indicator.nc.grading == NCGrading.MAJOR_ONLY

    @property
    def allowed_verdicts(self) -> tuple[Verdict, ...]:
        return tuple(v for v in Verdict if not (v == Verdict.NC_MINEURE and self.major_only))

    @property
    def new_entrant(self) -> bool:
        """The client is a new entrant for a category where this indicator has an adapted audit."""
        return self.applicability.new_entrant_adapted

    def question(self, question_id: str) -> Question:
        for q in self.questions:
            if q.id == question_id:
                return q
        raise InterviewError(f"Question inconnue pour l'indicateur {self.number} : « {question_id} ».")


@dataclass(frozen=True)
class Progress:
    evaluated: int
    applicable: int
    per_criterion: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return self.evaluated / self.applicable if self.applicable else 1.0

    @property
    def label(self) -> str:
        return f"{self.evaluated} / {self.applicable} indicateurs applicables évalués"


class InterviewModel:
    def __init__(self, workspace: Workspace, mission_id: str, *, grids: GridLibrary | None = None) -> None:
        self.workspace = workspace
        self.store = workspace.store
        self._lock = threading.RLock()
        mission, client, referential = workspace.mission_context(mission_id)
        self.mission: Mission = mission
        self.client: ClientProfile = client
        self.referential: Referential = referential
        grids = grids or default_grids()
        self.full_grid: Grid = grids.for_referential(referential.id, GridKind.FULL)
        applicability = {a.indicator.id: a for a in evaluate(referential, client.scope())}
        if self.is_surveillance:
            self.grid: Grid = grids.for_referential(referential.id, GridKind.SURVEILLANCE)
            items = surveillance_interview_set(
                self.grid, self.full_grid, referential, previous_verdicts_for(self.store, mission),
                former_new_entrant=client.is_new_entrant,
            )
        else:
            self.grid = self.full_grid
            items = full_interview_set(self.full_grid, referential)
        self.entries: list[Entry] = [
            Entry(referential.by_id(it.indicator_id), applicability[it.indicator_id], it) for it in items
        ]
        self._by_id = {e.id: i for i, e in enumerate(self.entries)}
        self._answers: dict[str, Answer] = self.store.list_answers(mission.id)
        self._evidence: dict[str, list[Evidence]] = {}
        self.only_unevaluated = False
        self.only_nc = False
        self.role: Role | None = None
        self.last_saved_at: dt.datetime | None = None
        saved = self.store.get_state(mission.id, STATE_CURRENT)
        self._index = self._by_id.get(saved, 0) if isinstance(saved, str) else 0

    # -- context -------------------------------------------------------------------------
    @property
    def is_surveillance(self) -> bool:
        return (self.mission.type == MissionType.PREP_SURVEILLANCE
                or self.mission.audit_type == AuditType.SURVEILLANCE)

    @property
    def is_new_entrant(self) -> bool:
        ne = self.client.new_entrant
        return ne.all_categories or bool(ne.categories)

    def criteria(self) -> list[Criterion]:
        present = {e.criterion for e in self.entries}
        return [c for c in self.referential.criteria if c.number in present]

    def entry(self, indicator_id: str | None = None) -> Entry:
        if indicator_id is None:
            return self.current
        try:
            return self.entries[self._by_id[indicator_id]]
        except KeyError:
            raise InterviewError(
                f"L'indicateur « {indicator_id} » ne fait pas partie de cet entretien."
            ) from None

    def entry_by_number(self, number: int) -> Entry:
        for e in self.entries:
            if e.number == number:
                return e
        numbers = ", ".join(str(e.number) for e in self.entries)
        raise InterviewError(f"L'indicateur {number} ne fait pas partie de cet entretien (indicateurs : {numbers}).")

    def answer(self, indicator_id: str | None = None) -> Answer:
        ind_id = self.entry(indicator_id).id
        return self._answers.get(ind_id) or Answer(mission_id=self.mission.id, indicator_id=ind_id)

    def verdict(self, indicator_id: str | None = None) -> Verdict:
        return self.answer(indicator_id).verdict

    def evidence(self, indicator_id: str | None = None) -> list[Evidence]:
        ind_id = self.entry(indicator_id).id
        if ind_id not in self._evidence:
            self._evidence[ind_id] = self.store.list_evidence(self.mission.id, ind_id)
        return list(self._evidence[ind_id])

    # -- position and navigation ---------------------------------------------------------
    @property
    def current(self) -> Entry:
        return self.entries[self._index]

    @property
    def position(self) -> int:
        return self._index

    def matches(self, entry: Entry) -> bool:
        verdict = self.verdict(entry.id)
        if self.only_unevaluated and (verdict != Verdict.NON_EVALUE or not entry.applicable):
            return False
        if self.only_nc and not verdict.is_nc:
            return False
        return not (self.role is not None and self.role not in entry.roles)

    def visible(self) -> list[Entry]:
        return [e for e in self.entries if self.matches(e)]

    def set_filters(self, *, only_unevaluated: bool | None = None, only_nc: bool | None = None,
                    role: Role | str | None | type[Ellipsis] = ...) -> list[Entry]:
        """Change filters; when the current indicator no longer matches, move to the next one that does
        (or, at the end, to the last one that does)."""
        if only_unevaluated is not None:
            self.only_unevaluated = only_unevaluated
        if only_nc is not None:
            self.only_nc = only_nc
        if role is not ...:
            self.role = Role(role) if role else None
        shown = self.visible()
        if shown and not self.matches(self.current):
            after = [e for e in shown if self._by_id[e.id] > self._index]
            target = after[0] if after else shown[-1]
            self._move_to(self._by_id[target.id])
        return shown

    def _move_to(self, index: int) -> Entry:
        if index != self._index:
            self._index = index
            with self._lock:
                self.store.set_state(self.mission.id, STATE_CURRENT, self.current.id)
        return self.current

    def go_next(self) -> bool:
        """Move to the next indicator the filters let through; False at the end."""
        for i in range(self._index + 1, len(self.entries)):
            if self.matches(self.entries[i]):
                self._move_to(i)
                return True
        return False

    def go_prev(self) -> bool:
        for i in range(self._index - 1, -1, -1):
            if self.matches(self.entries[i]):
                self._move_to(i)
                return True
        return False

    def jump(self, number: int) -> Entry:
        """Go to an indicator by number, whatever the filters (an explicit choice)."""
        return self._move_to(self._by_id[self.entry_by_number(number).id])

    def jump_to(self, indicator_id: str) -> Entry:
        return self._move_to(self._by_id[self.entry(indicator_id).id])

    def jump_criterion(self, criterion: int) -> Entry:
        """First indicator of a criterion that the filters let through (or its first one)."""
        in_crit = [e for e in self.entries if e.criterion == criterion]
        if not in_crit:
            raise InterviewError(f"Aucun indicateur du critère {criterion} dans cet entretien.")
        target = next((e for e in in_crit if self.matches(e)), in_crit[0])
        return self._move_to(self._by_id[target.id])

    def has_next(self) -> bool:
        return any(self.matches(e) for e in self.entries[self._index + 1:])

    def has_prev(self) -> bool:
        return any(self.matches(e) for e in self.entries[: self._index])

    # -- progress ------------------------------------------------------------------------
    def progress(self) -> Progress:
        per: dict[int, list[int]] = {c.number: [0, 0] for c in self.criteria()}
        for e in self.entries:
            if not e.applicable:
                continue
            per[e.criterion][1] += 1
            if self.verdict(e.id) != Verdict.NON_EVALUE:
                per[e.criterion][0] += 1
        evaluated = sum(v[0] for v in per.values())
        applicable = sum(v[1] for v in per.values())
        return Progress(evaluated, applicable, {k: (v[0], v[1]) for k, v in per.items()})

    # -- saves ---------------------------------------------------------------------------
    def _save(self, entry: Entry, **changes: Any) -> Answer:
        with self._lock:
            saved = self.store.save_answer(self.mission.id, entry.id, **changes)
            self._answers[entry.id] = saved
            self.last_saved_at = dt.datetime.now()
        return saved

    def set_verdict(self, verdict: Verdict | str, *, justification: str | None = None,
                    indicator_id: str | None = None) -> Answer:
        entry = self.entry(indicator_id)
        try:
            v = Verdict(verdict)
        except ValueError:
            allowed = ", ".join(x.label for x in Verdict)
            raise InterviewError(f"Verdict inconnu : « {verdict} » (possibles : {allowed}).") from None
        if v == Verdict.NC_MINEURE and entry.major_only:
            raise InterviewError(
                f"L'indicateur {entry.number} ne peut donner lieu qu'à une NC majeure : "
                "tout manquement, même partiel, est majeur. Choisissez « NC majeure » ou « Conforme »."
            )
        changes: dict[str, Any] = {"verdict": v}
        if v == Verdict.NON_APPLICABLE:
            text = (justification if justification is not None else self.answer(entry.id).na_justification)
            text = text.strip()
            if not text and not entry.applicable:
                text = entry.reason
            if not text:
                raise InterviewError(
                    f"Justification obligatoire pour classer l'indicateur {entry.number} non applicable : "
                    "saisissez d'abord la raison (ex. : aucune sous-traitance)."
                )
            changes["na_justification"] = text
        elif justification is not None:
            changes["na_justification"] = justification.strip()
        return self._save(entry, **changes)

    def set_na_justification(self, text: str, *, indicator_id: str | None = None) -> Answer:
        entry = self.entry(indicator_id)
        text = text.strip()
        if not text and self.verdict(entry.id) == Verdict.NON_APPLICABLE:
            raise InterviewError(
                f"L'indicateur {entry.number} est classé non applicable : sa justification ne peut pas être vide."
            )
        return self._save(entry, na_justification=text)

    def set_finding(self, text: str, *, indicator_id: str | None = None) -> Answer:
        """The finding written for the client (« constat »), printed in the report."""
        return self._save(self.entry(indicator_id), finding=text)

    def set_private_notes(self, text: str, *, indicator_id: str | None = None) -> Answer:
        """The consultant's own notes, kept out of every client output."""
        return self._save(self.entry(indicator_id), private_notes=text)

    def set_respondent(self, who: str | None, *, indicator_id: str | None = None) -> Answer:
        who = (who or "").strip() or None
        return self._save(self.entry(indicator_id), respondent=who)

    def set_response(self, question_id: str, value: Any, *, indicator_id: str | None = None) -> Answer:
        entry = self.entry(indicator_id)
        question = entry.question(question_id)
        clean = normalize_response(question, value)  # None clears the answer
        # Merged key by key inside the store's transaction: another open session keeps its answers.
        return self._save(entry, merge={"responses": {question.id: clean}})

    def set_proof(self, proof: str, checked: bool, *, indicator_id: str | None = None) -> Answer:
        entry = self.entry(indicator_id)
        if proof not in entry.proofs:
            raise InterviewError(f"Preuve inconnue pour l'indicateur {entry.number} : « {proof} ».")
        return self._save(entry, merge={"checklist": {proof: bool(checked)}})

    def add_evidence(self, label: str, location: str = "", represents_date: dt.date | str | None = None,
                     *, indicator_id: str | None = None) -> Evidence:
        entry = self.entry(indicator_id)
        label = (label or "").strip()
        if not label:
            raise InterviewError("Indiquez l'intitulé de la preuve avant de l'ajouter.")
        day = _parse_date(represents_date, "date représentée par la preuve")
        with self._lock:
            saved = self.store.add_evidence(Evidence(
                mission_id=self.mission.id, indicator_id=entry.id, label=label,
                location=(location or "").strip(), represents_date=day,
            ))
            self._evidence.setdefault(entry.id, self.store.list_evidence(self.mission.id, entry.id))
            if all(e.id != saved.id for e in self._evidence[entry.id]):
                self._evidence[entry.id].append(saved)
            self.last_saved_at = dt.datetime.now()
        return saved

    def remove_evidence(self, evidence_id: int, *, indicator_id: str | None = None) -> None:
        entry = self.entry(indicator_id)
        if all(e.id != evidence_id for e in self.evidence(entry.id)):
            raise InterviewError(f"Cette preuve n'appartient pas à l'indicateur {entry.number}.")
        with self._lock:
            self.store.remove_evidence(evidence_id)
            self._evidence[entry.id] = [e for e in self._evidence[entry.id] if e.id != evidence_id]
            self.last_saved_at = dt.datetime.now()

    # -- labels --------------------------------------------------------------------------
    def source_label(self, entry: Entry) -> str | None:
        return None if entry.item.source == ItemSource.GRID else entry.item.reason


def _parse_date(value: dt.date | str | None, what: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise InterviewError(f"{what.capitalize()} invalide : « {value} » (format attendu : AAAA-MM-JJ).") from None


def normalize_response(question: Question, value: Any) -> Any:
    """Check a response against its question kind; None means "no answer"."""
    kind = question.kind
    if value is None or (isinstance(value, str) and not value.strip() and kind != QuestionKind.TEXT):
        return None
    if kind == QuestionKind.YES_NO:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("oui", "non"):
            return value.strip().lower() == "oui"
        raise InterviewError(f"Réponse oui / non attendue à la question « {question.text} ».")
    if kind == QuestionKind.SINGLE_CHOICE:
        if value not in question.choices:
            raise InterviewError(f"Choix non prévu pour « {question.text} » : « {value} ».")
        return value
    if kind == QuestionKind.MULTIPLE_CHOICE:
        if isinstance(value, str) or not isinstance(value, Iterable):
            raise InterviewError(f"Liste de choix attendue pour « {question.text} ».")
        chosen = set(value)
        unknown = [v for v in chosen if v not in question.choices]
        if unknown:
            raise InterviewError(f"Choix non prévu pour « {question.text} » : « {unknown[0]} ».")
        ordered = [c for c in question.choices if c in chosen]
        return ordered or None
    if kind == QuestionKind.TEXT:
        if not isinstance(value, str):
            raise InterviewError(f"Texte attendu pour « {question.text} ».")
        return value if value.strip() else None
    if kind == QuestionKind.DATE:
        day = _parse_date(value, f"date pour « {question.text} »")
        return day.isoformat() if day else None
    if kind == QuestionKind.NUMBER:
        if isinstance(value, str):
            try:
                value = float(value.strip().replace("\u202f", "").replace(" ", "").replace(",", "."))
            except ValueError:
                raise InterviewError(f"Nombre attendu pour « {question.text} » : « {value} ».") from None
        if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value) or math.isinf(value):
            raise InterviewError(f"Nombre attendu pour « {question.text} ».")
        return int(value) if float(value).is_integer() else float(value)
    raise InterviewError(f"Type de question non géré : {kind}.")  # pragma: no cover
