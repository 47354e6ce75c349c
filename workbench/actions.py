"""Action plan: remediation suggestions kept as data, and a plan generated from the gap analysis.

Remediation data lives in ``referentiel/remediation/<referential id>.yaml`` (a subfolder, so the
referential loader never mistakes it for a version): for every indicator of the version, one to
three concrete actions with a suggested owner (a :class:`~workbench.vocab.Role`), and, for the
indicators whose proof must be recent, ``evidence_max_age_months``.

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
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from workbench.dates import add_months
from workbench.errors import ReferentialError
from workbench.gaps import GapAnalysis, RiskKind
from workbench.referentiel import REFERENTIEL_DIR, Referential, load_yaml_model
from workbench.store import Action, Store
from workbench.vocab import ActionStatus, Role, Verdict

REMEDIATION_DIR = REFERENTIEL_DIR / "remediation"
STATE_KEY = "actions.generated"
MIN_NOTICE_DAYS = 7


# -- remediation data -----------------------------------------------------------------------


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


def load_remediation(referential: Referential, directory: Path | None = None) -> RemediationSet:
    """The validated remediation suggestions of a referential version (loaded once per process)."""
    path = (directory or REMEDIATION_DIR) / f"{referential.id}.yaml"
    key = (path, referential.id)
    if key not in _CACHE:
        _CACHE[key] = load_remediation_file(path, referential)
    return _CACHE[key]


# -- proposals (pure) -----------------------------------------------------------------------


class GapKind(StrEnum):
    MAJOR = "major"
    MINOR = "minor"
    NOT_EVALUATED = "not_evaluated"
    STALE = "stale"

    @property
    def priority(self) -> int:
        return {GapKind.MAJOR: 1, GapKind.MINOR: 2, GapKind.NOT_EVALUATED: 3, GapKind.STALE: 4}[self]

    @property
    def label(self) -> str:
        return {
            GapKind.MAJOR: "NC majeure",
            GapKind.MINOR: "NC mineure",
            GapKind.NOT_EVALUATED: "Non évalué",
            GapKind.STALE: "Preuve à actualiser",
        }[self]


PRIORITY_LABELS = {k.priority: k.label for k in GapKind}
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


# -- plan in the store ------------------------------------------------------------------------


@dataclass
class PlanResult:
    created: list[Action] = field(default_factory=list)
    updated: list[Action] = field(default_factory=list)
    kept: list[Action] = field(default_factory=list)
    obsolete: list[Action] = field(default_factory=list)
    """Generated actions still open whose gap has gone (left for the consultant to close)."""

    def summary(self) -> str:
        return (f"Plan d'actions : {len(self.created)} action(s) ajoutée(s), {len(self.updated)} mise(s) à jour, "
                f"{len(self.kept)} inchangée(s), {len(self.obsolete)} sans écart correspondant.")


CLOSED = (ActionStatus.FAIT, ActionStatus.ABANDONNE)


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
            result.obsolete.append(action)
    store.set_state(mission_id, STATE_KEY, generated)
    return result


def generate_plan(store: Store, mission_id: str, analysis: GapAnalysis, remediation: RemediationSet,
                  *, today: dt.date | None = None) -> PlanResult:
    """Propose actions for every gap and store the new ones."""
    proposals = propose_actions(analysis, remediation, remediation.referential, today=today or dt.date.today())
    return apply_plan(store, mission_id, proposals)
