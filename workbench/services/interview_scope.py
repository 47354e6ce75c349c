"""What an interview covers: the indicators of a mission with their applicability and the
questions and proofs of the grid (the full grid, or the surveillance scope plus the indicators in
NC at the previous mission). Shared by the interview app and the printable blank grid."""

from __future__ import annotations

from dataclasses import dataclass

from workbench.core.errors import WorkbenchError
from workbench.core.vocab import AuditType, Condition, MissionType, NCGrading, Role, Verdict
from workbench.domain.profile import ClientProfile
from workbench.domain.records import Mission
from workbench.referential.applicability import IndicatorApplicability, evaluate
from workbench.referential.grids import (
    Grid,
    GridKind,
    GridLibrary,
    InterviewItem,
    Question,
    full_interview_set,
    previous_verdicts_for,
    surveillance_interview_set,
)
from workbench.referential.library import Indicator, OfIndicator, Referential
from workbench.store import Store


class InterviewError(WorkbenchError):
    """A change refused by the interview rules (the message says why, in French)."""

    exit_code = 2


@dataclass(frozen=True)
class Entry(OfIndicator):
    """One indicator of the interview: referential data, applicability and grid content."""

    indicator: Indicator
    applicability: IndicatorApplicability
    item: InterviewItem
    conditions: frozenset[Condition] = frozenset()
    """The client's conditions: questions that do not concern them are left out."""

    @property
    def applicable(self) -> bool:
        return self.applicability.applicable

    @property
    def reason(self) -> str:
        return self.applicability.reason

    @property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for q in self.item.entry.questions if q.asked_for(self.conditions))

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
class InterviewScope:
    grid: Grid
    full_grid: Grid
    entries: list[Entry]

    def by_role(self, role: Role, *, applicable_only: bool = True) -> list[Entry]:
        """The entries with at least one question for ``role``, in referential order."""
        return [e for e in self.entries if (e.applicable or not applicable_only)
                and any(role in q.roles for q in e.questions)]


def is_surveillance(mission: Mission) -> bool:
    return mission.type == MissionType.PREP_SURVEILLANCE or mission.audit_type == AuditType.SURVEILLANCE


def interview_scope(store: Store, mission: Mission, client: ClientProfile, referential: Referential,
                    grids: GridLibrary) -> InterviewScope:
    full_grid = grids.for_referential(referential.id, GridKind.FULL)
    client_scope = client.scope()
    applicability = {a.indicator.id: a for a in evaluate(referential, client_scope)}
    if is_surveillance(mission):
        grid = grids.for_referential(referential.id, GridKind.SURVEILLANCE)
        items = surveillance_interview_set(
            grid, full_grid, referential, previous_verdicts_for(store, mission),
            former_new_entrant=client.is_new_entrant,
        )
    else:
        grid = full_grid
        items = full_interview_set(full_grid, referential)
    entries = [Entry(referential.by_id(it.indicator_id), applicability[it.indicator_id], it, client_scope.conditions)
               for it in items]
    return InterviewScope(grid, full_grid, entries)
