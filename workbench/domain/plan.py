"""Action plan: actions proposed from the gap analysis (pure functions).

Remediation suggestions come from :mod:`workbench.referential.remediation`; the plan is saved in the
store by :mod:`workbench.services.planning`.

**Order and priority.** 1 = NC majeure (as projected: major-only indicators and minors not lifted
since the previous audit count as major), 2 = NC mineure (and a new entrant's NC on a point checked
only at surveillance), 3 = indicator not evaluated, 4 = proof to refresh (stale evidence).

**Due dates** (:func:`due_date`), from the planned audit date A and the generation day T:

* before the audit, with a lead that leaves time to show the fix works: NC majeure A − 30 days,
  NC mineure A − 15 days, non évalué A − 60 days (it must be assessed first, so that any gap it
  reveals can still be fixed), preuve à actualiser A − 15 days;
* when that date falls less than 7 days after T (the audit is too close, or past), the NC deadlines
  counted from the audit apply instead: NC majeure A + 3 months (time allowed to lift a major),
  NC mineure A + 6 months (time allowed to implement a minor's action plan); non évalué and preuve
  à actualiser are due on the audit day A;
* never earlier than T + 7 days.

**Regeneration never duplicates.** Each generated action has a stable key (version, indicator,
kind, rank) remembered in the mission's state with the action id; an action already generated, or
any action of the mission with the same indicator and title, is kept as it is. Only a change of
severity (e.g. a minor now major) updates the priority and due date of a generated action still
open, through :meth:`Store.update_action`, so the history keeps the change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from workbench.core.dates import add_months
from workbench.core.vocab import LabelledEnum, Role, Verdict
from workbench.domain.gaps import GapAnalysis, RiskKind
from workbench.referential.remediation import RemediationSet

STATE_KEY = "actions.generated"
MIN_NOTICE_DAYS = 7



# -- proposals (pure) -----------------------------------------------------------------------


class GapKind(LabelledEnum):
    MAJOR = "major", "NC majeure"
    MINOR = "minor", "NC mineure"
    NOT_EVALUATED = "not_evaluated", "Non évalué"
    STALE = "stale", "Preuve à actualiser"

    @property
    def priority(self) -> int:
        """1 (most serious) to 4, in declaration order."""
        return list(GapKind).index(self) + 1


PRIORITY_LABELS = {k.priority: k.label for k in GapKind}
"""Action priority -> French label (« NC majeure »…): the one table every output uses."""
LEAD_DAYS = {GapKind.MAJOR: 30, GapKind.MINOR: 15, GapKind.NOT_EVALUATED: 60, GapKind.STALE: 15}


def due_date(kind: GapKind, audit_date: dt.date, today: dt.date) -> dt.date:
    """Due date of an action for a gap of this kind (rule in the module docstring)."""
    earliest = today + dt.timedelta(days=MIN_NOTICE_DAYS)
    before = audit_date - dt.timedelta(days=LEAD_DAYS[kind])
    if before >= earliest:
        return before
    if kind == GapKind.MAJOR:
        fallback = add_months(audit_date, 3)
    elif kind == GapKind.MINOR:
        fallback = add_months(audit_date, 6)
    else:
        fallback = audit_date
    return max(fallback, earliest)


@dataclass(frozen=True)
class ProposedAction:
    key: str
    indicator_id: str
    number: int
    kind: GapKind
    title: str
    detail: str
    owner: str
    due_date: dt.date

    @property
    def priority(self) -> int:
        return self.kind.priority


def propose_actions(analysis: GapAnalysis, remediation: RemediationSet, referential_id: str,
                    *, today: dt.date) -> list[ProposedAction]:
    """Actions for every gap of the analysis: majors first, then minors, unevaluated, stale proofs."""
    out: list[ProposedAction] = []
    for s in analysis.gaps:
        level = analysis.projection.level_of(s.number)
        if s.verdict == Verdict.NON_EVALUE:
            kind = GapKind.NOT_EVALUATED
        else:
            kind = GapKind.MAJOR if level == Verdict.NC_MAJEURE else GapKind.MINOR
        ind = s.indicator
        if kind == GapKind.NOT_EVALUATED:
            proofs = " ; ".join(ind.proofs[:3])
            out.append(ProposedAction(
                f"{referential_id}:{s.number:02d}:evaluate:1", ind.id, s.number, kind,
                f"Évaluer l'indicateur {s.number} — {ind.title}",
                f"Rassembler et examiner les preuves avec le consultant (par exemple : {proofs}).",
                Role.DIRECTION.label, due_date(kind, analysis.audit_date, today)))
            continue
        for rank, suggestion in enumerate(remediation.for_number(s.number).actions, start=1):
            out.append(ProposedAction(
                f"{referential_id}:{s.number:02d}:remediation:{rank}", ind.id, s.number, kind,
                suggestion.title, suggestion.detail, suggestion.owner.label,
                due_date(kind, analysis.audit_date, today)))
    for flag in analysis.risks:
        if flag.kind != RiskKind.STALE_EVIDENCE:
            continue
        s = flag.status
        owner = remediation.for_number(s.number).actions[0].owner.label
        out.append(ProposedAction(
            f"{referential_id}:{s.number:02d}:refresh:1", s.indicator.id, s.number, GapKind.STALE,
            f"Actualiser les preuves de l'indicateur {s.number} — {s.indicator.title}",
            flag.message, owner, due_date(GapKind.STALE, analysis.audit_date, today)))
    out.sort(key=lambda p: (p.priority, p.number))
    return out
