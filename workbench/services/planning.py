"""The action plan kept in the store: proposals saved once, never duplicated (see
:mod:`workbench.domain.plan` for the rules)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from workbench.core.vocab import ActionStatus
from workbench.domain.gaps import GapAnalysis
from workbench.domain.plan import STATE_KEY, ProposedAction, propose_actions
from workbench.domain.records import Action
from workbench.referential.remediation import RemediationSet
from workbench.store import Store


@dataclass
class PlanResult:
    created: list[Action] = field(default_factory=list)
    updated: list[Action] = field(default_factory=list)
    kept: list[Action] = field(default_factory=list)
    obsolete: list[Action] = field(default_factory=list)
    """Generated actions still open whose gap has gone (left for the consultant to close)."""
    closed: list[Action] = field(default_factory=list)
    """« Evaluate the indicator » actions closed because the indicator has been evaluated since."""

    def summary(self) -> str:
        closed = f", {len(self.closed)} close(s) car l'indicateur a été évalué" if self.closed else ""
        return (f"Plan d'actions : {len(self.created)} action(s) ajoutée(s), {len(self.updated)} mise(s) à jour, "
                f"{len(self.kept)} inchangée(s), {len(self.obsolete)} sans écart correspondant{closed}.")


CLOSED = (ActionStatus.FAIT, ActionStatus.ABANDONNE)
EVALUATED_COMMENT = "Close automatiquement : l'indicateur a été évalué."


def apply_plan(store: Store, mission_id: str, proposals: Sequence[ProposedAction]) -> PlanResult:
    """Store the proposals that are not there yet; never duplicate (see the module docstring)."""
    result = PlanResult()
    existing = {a.id: a for a in store.list_actions(mission_id)}
    generated: dict[str, int] = {k: int(v) for k, v in (store.get_state(mission_id, STATE_KEY, {}) or {}).items()}
    by_title = {(a.indicator_id, a.title.strip().lower()): a for a in existing.values()}
    proposed_keys = set()
    for p in proposals:
        proposed_keys.add(p.key)
        current = existing.get(generated.get(p.key, -1))
        if current is None:
            current = by_title.get((p.indicator_id, p.title.strip().lower()))
            if current is not None:
                generated[p.key] = current.id  # type: ignore[assignment]
        if current is None:
            saved = store.add_action(Action(
                mission_id=mission_id, indicator_id=p.indicator_id, title=p.title, detail=p.detail,
                priority=p.priority, owner=p.owner, status=ActionStatus.A_FAIRE, due_date=p.due_date))
            generated[p.key] = saved.id  # type: ignore[assignment]
            existing[saved.id] = saved  # type: ignore[index]
            by_title[(p.indicator_id, p.title.strip().lower())] = saved
            result.created.append(saved)
        elif current.priority != p.priority and current.status not in CLOSED:
            result.updated.append(store.update_action(current.id, priority=p.priority,  # type: ignore[arg-type]
                                                      due_date=p.due_date))
        else:
            result.kept.append(current)
    for key, action_id in generated.items():
        action = existing.get(action_id)
        if key not in proposed_keys and action is not None and action.status not in CLOSED:
            if ":evaluate:" in key:  # its only aim was the evaluation, which is done
                result.closed.append(store.update_action(action.id, status=ActionStatus.FAIT,  # type: ignore[arg-type]
                                                         comment=EVALUATED_COMMENT))
            else:
                result.obsolete.append(action)
    store.set_state(mission_id, STATE_KEY, generated)
    return result


def generate_plan(store: Store, mission_id: str, analysis: GapAnalysis, remediation: RemediationSet,
                  *, today: dt.date | None = None) -> PlanResult:
    """Propose actions for every gap and store the new ones."""
    proposals = propose_actions(analysis, remediation, remediation.referential, today=today or dt.date.today())
    return apply_plan(store, mission_id, proposals)
