"""Glue between the workspace and the pure gap analysis: load a mission's data, analyse it.

Everything that reads the store lives here, so :mod:`workbench.gaps` stays pure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from workbench.core.vocab import Verdict
from workbench.domain.gaps import GapAnalysis, PreviousMission, analyze
from workbench.domain.profile import ClientProfile
from workbench.domain.records import Action, Answer, Evidence, Mission
from workbench.referential.applicability import IndicatorApplicability, evaluate
from workbench.referential.library import Referential
from workbench.referential.remediation import RemediationSet, load_remediation
from workbench.services.planning import PlanResult, generate_plan
from workbench.services.sessions import file_findings
from workbench.services.workspace import Workspace


def previous_for(ws: Workspace, mission: Mission, profile: ClientProfile) -> PreviousMission | None:
    prev = ws.store.previous_mission(mission)
    if prev is None:
        return None
    ref = ws.library.get(prev.referential_id)
    answers = ws.store.list_answers(prev.id)
    verdicts: dict[int, Verdict] = {}
    for app in evaluate(ref, profile.scope()):
        if app.applicable:
            ans = answers.get(app.indicator.id)
            verdicts[app.indicator.number] = ans.verdict if ans else Verdict.NON_EVALUE
    return PreviousMission(prev.id, prev.audit_date, prev.referential_id, verdicts, prev.label)


@dataclass(frozen=True)
class MissionData:
    """Everything read from the store for one mission, and its analysis."""

    mission: Mission
    profile: ClientProfile
    referential: Referential
    remediation: RemediationSet
    applicability: tuple[IndicatorApplicability, ...]
    answers: dict[str, Answer]
    evidence: tuple[Evidence, ...]
    actions: tuple[Action, ...]
    previous: PreviousMission | None
    analysis: GapAnalysis


def load_mission(ws: Workspace, client_id: str, mission_id: str | None = None,
                 *, today: dt.date | None = None,
                 resolved: tuple[Mission, ClientProfile] | None = None) -> MissionData:
    """Read a mission and analyse it as of ``today`` (default: the current date).

    The mission, the client and the referential are each read once; a caller that already holds
    the mission and the client passes them as ``resolved``."""
    mission, profile = resolved or ws.resolve_mission_and_client(client_id, mission_id)
    ref = ws.library.get(mission.referential_id)
    remediation = load_remediation(ref, ws.library.folders)
    scope = profile.scope()
    applicability = tuple(evaluate(ref, scope))
    answers = ws.store.list_answers(mission.id)
    evidence = tuple(ws.store.list_evidence(mission.id))
    previous = previous_for(ws, mission, profile)
    analysis = analyze(
        applicability, answers, evidence,
        audit_date=mission.audit_date, audit_type=mission.audit_type, previous=previous,
        evidence_max_age=remediation.evidence_max_age,
        former_new_entrant=profile.is_new_entrant,
        today=today or dt.date.today(),
        file_findings=file_findings(ws, mission),
    )
    return MissionData(mission, profile, ref, remediation, applicability, answers, evidence,
                       tuple(ws.store.list_actions(mission.id)), previous, analysis)


def update_plan(ws: Workspace, client_id: str, mission_id: str | None = None,
                *, today: dt.date | None = None,
                resolved: tuple[Mission, ClientProfile] | None = None) -> tuple[MissionData, PlanResult]:
    """Generate the missing actions of a mission's plan; returns the refreshed data and what changed."""
    data = load_mission(ws, client_id, mission_id, today=today, resolved=resolved)
    result = generate_plan(ws.store, data.mission.id, data.analysis, data.remediation, today=today)
    # Only the actions changed: the analysis does not depend on them.
    return replace(data, actions=tuple(ws.store.list_actions(data.mission.id))), result
