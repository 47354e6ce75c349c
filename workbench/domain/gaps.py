"""Gap analysis: counts, readiness, projected certification outcome, risks and progress.

Pure functions of their inputs (applicability, answers, evidence, dates): no I/O, no widgets.

Rules applied, from the facts files (arrêté du 6 juin 2019 as amended on 31 May 2023, guide V9):

* **Counts.** Only indicators the applicability engine finds applicable are counted. Among them the
  consultant's verdict is one of conforme, NC mineure, NC majeure, non évalué (no answer yet) or
  non applicable (the consultant judged the indicator out of scope, with a justification).
  *Evaluated* = conforme + NC mineure + NC majeure.
* **Readiness rate** = conforme / (applicable − non applicable by verdict). An indicator not yet
  evaluated counts as not ready: nothing proves it yet.
* **Projection** (never a certifier's decision; the report says so):

  - an NC mineure on an indicator whose NC can only be major counts as an NC majeure;
  - an NC mineure already found by the previous mission is a minor not lifted by the next audit,
    and becomes major, only when a real certifier audit took place in between. Missions are the
    consultant's preparations of an audit at the mission's audit date, so this needs (a) a current
    audit that is not an initial audit (no certifier audit can precede it), (b) a previous mission
    that prepared an earlier audit and (c) that earlier audit date already past when the analysis
    is made (``today``): two missions preparing the same audit, or a postponed audit not yet
    held, leave the minor a minor;
  - five or more open NC mineures count as one NC majeure;
  - any NC majeure blocks the certificate until lifted within 3 months (initial audit: refusal
    otherwise; surveillance: suspension; renewal: no new certificate);
  - a new entrant at its initial audit is judged on what the initial audit checks for the
    indicators with a new-entrant arrangement: an NC on an indicator that is wholly deferred to
    the surveillance audit is left out of the initial projection and listed apart; on partly
    deferred indicators the NC is kept, with a reminder of what the initial audit checks.
* **Stale evidence.** For indicators whose proof must be recent (result indicators, pass rates,
  the three watches, stakeholder feedback, continuous improvement — the list and the maximum age
  come with the remediation data, 12 months by default), the newest evidence must represent a
  date no older than that age at the audit date. Evidence without a represented date is flagged
  too, since its freshness cannot be shown, and so is an indicator evaluated (conforme or NC)
  with no evidence recorded at all.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from workbench.core.dates import add_months
from workbench.core.vocab import AuditType, LabelledEnum, NCGrading, Verdict
from workbench.domain.records import Answer, Evidence
from workbench.referential.applicability import IndicatorApplicability
from workbench.referential.library import Indicator, OfIndicator

PROJECTION_DISCLAIMER = (
    "Projection indicative établie par le consultant à partir des constats du pré-audit, selon les "
    "règles de traitement des non-conformités : ce n'est pas une décision de l'organisme "
    "certificateur, seul compétent pour délivrer, maintenir, suspendre ou refuser la certification."
)

READINESS_LABEL = "Taux de préparation (conformes / applicables)"
""":attr:`Counts.readiness`, worded the same in the report, the Excel workbook and the dashboard."""
READINESS_HELP = ("indicateurs conformes rapportés aux indicateurs applicables (hors indicateurs jugés non "
                  "applicables) ; un indicateur pas encore évalué compte comme non prêt")
CONFORMITY_LABEL = "Conformité des indicateurs évalués (conformes / évalués)"
""":attr:`Counts.evaluated_conformity`."""
CONFORMITY_HELP = "indicateurs conformes rapportés aux seuls indicateurs déjà évalués"

MINORS_AS_MAJOR = 5
"""From this many open NC mineures, they count as one NC majeure."""
MAJOR_DEADLINE_MONTHS = 3
MINOR_DEADLINE_MONTHS = 6

EVALUATED = (Verdict.CONFORME, Verdict.NC_MINEURE, Verdict.NC_MAJEURE)
_RANK = {Verdict.NC_MAJEURE: 0, Verdict.NC_MINEURE: 1, Verdict.CONFORME: 2}


# -- per-indicator status -------------------------------------------------------------------


@dataclass(frozen=True)
class IndicatorStatus(OfIndicator):
    """One indicator as seen by the mission: applicability, verdict, evidence."""

    indicator: Indicator
    applicable: bool
    reason: str
    verdict: Verdict
    """Consultant's verdict; NON_APPLICABLE when the engine finds the indicator not applicable."""
    finding: str = ""
    """The finding written for the client; the consultant's private notes are never carried here."""
    na_justification: str = ""
    evidence: tuple[Evidence, ...] = ()
    new_entrant_adapted: bool = False
    previous_verdict: Verdict | None = None

    @property
    def declared_na(self) -> bool:
        """Applicable by the rules but judged not applicable by the consultant."""
        return self.applicable and self.verdict == Verdict.NON_APPLICABLE

    @property
    def in_scope(self) -> bool:
        """Counted in the audit: applicable and not judged not applicable."""
        return self.applicable and self.verdict != Verdict.NON_APPLICABLE

    @property
    def is_gap(self) -> bool:
        return self.in_scope and self.verdict in (Verdict.NC_MAJEURE, Verdict.NC_MINEURE, Verdict.NON_EVALUE)


def indicator_statuses(
    applicability: Sequence[IndicatorApplicability],
    answers: Mapping[str, Answer],
    evidence: Iterable[Evidence] = (),
    previous_verdicts: Mapping[int, Verdict] | None = None,
) -> list[IndicatorStatus]:
    """Join applicability, answers, evidence and previous verdicts, in referential order."""
    by_ind: dict[str, list[Evidence]] = {}
    for ev in evidence:
        by_ind.setdefault(ev.indicator_id, []).append(ev)
    previous_verdicts = previous_verdicts or {}
    out = []
    for app in applicability:
        ind = app.indicator
        ans = answers.get(ind.id)
        verdict = ans.verdict if (ans and app.applicable) else (
            Verdict.NON_EVALUE if app.applicable else Verdict.NON_APPLICABLE)
        out.append(IndicatorStatus(
            indicator=ind,
            applicable=app.applicable,
            reason=app.reason,
            verdict=verdict,
            finding=ans.finding if ans else "",
            na_justification=ans.na_justification if ans else "",
            evidence=tuple(by_ind.get(ind.id, ())),
            new_entrant_adapted=app.new_entrant_adapted,
            previous_verdict=previous_verdicts.get(ind.number),
        ))
    return out


# -- counts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Counts:
    applicable: int = 0
    conforme: int = 0
    nc_mineure: int = 0
    nc_majeure: int = 0
    non_evalue: int = 0
    non_applicable: int = 0
    """Applicable by the rules, judged not applicable by the consultant."""
    out_of_scope: int = 0
    """Not applicable by the rules (category or condition)."""

    @property
    def evaluated(self) -> int:
        return self.conforme + self.nc_mineure + self.nc_majeure

    @property
    def audited(self) -> int:
        """Indicators the certifier would look at."""
        return self.applicable - self.non_applicable

    @property
    def readiness(self) -> float | None:
        """Share of audited indicators found conforme, in [0, 1]; None when nothing is audited."""
        return self.conforme / self.audited if self.audited else None

    @property
    def evaluated_conformity(self) -> float | None:
        """Share of evaluated indicators found conforme (conformes / évalués), in [0, 1]."""
        return self.conforme / self.evaluated if self.evaluated else None

    @property
    def coverage(self) -> float | None:
        """Share of audited indicators already evaluated."""
        return self.evaluated / self.audited if self.audited else None

    def to_dict(self) -> dict:
        return {
            "applicable": self.applicable, "evaluated": self.evaluated, "conforme": self.conforme,
            "nc_mineure": self.nc_mineure, "nc_majeure": self.nc_majeure, "non_evalue": self.non_evalue,
            "non_applicable": self.non_applicable, "out_of_scope": self.out_of_scope,
            "readiness": self.readiness, "evaluated_conformity": self.evaluated_conformity,
        }


def count(statuses: Iterable[IndicatorStatus]) -> Counts:
    tally = dict.fromkeys(("applicable", "conforme", "nc_mineure", "nc_majeure", "non_evalue",
                           "non_applicable", "out_of_scope"), 0)
    for s in statuses:
        if not s.applicable:
            tally["out_of_scope"] += 1
            continue
        tally["applicable"] += 1
        tally[s.verdict.value] += 1
    return Counts(**tally)


def counts_by_criterion(statuses: Iterable[IndicatorStatus]) -> dict[int, Counts]:
    groups: dict[int, list[IndicatorStatus]] = {n: [] for n in range(1, 8)}
    for s in statuses:
        groups.setdefault(s.criterion, []).append(s)
    return {n: count(items) for n, items in sorted(groups.items())}


# -- projection ------------------------------------------------------------------------------


class Outcome(LabelledEnum):
    FAVORABLE = "favorable", "Favorable : aucune non-conformité relevée"
    FAVORABLE_WITH_MINORS = "favorable_with_minors", "Favorable sous réserve du plan d'actions des NC mineures"
    BLOCKED_BY_MINORS = "blocked_by_minors", "Bloquant : 5 NC mineures ou plus valent une NC majeure"
    BLOCKED_BY_MAJOR = "blocked_by_major", "Bloquant : NC majeure à lever sous 3 mois"


    @property
    def blocking(self) -> bool:
        return self in (Outcome.BLOCKED_BY_MAJOR, Outcome.BLOCKED_BY_MINORS)


@dataclass(frozen=True)
class ProjectedNC:
    status: IndicatorStatus
    level: Verdict
    """Projected level: NC_MINEURE or NC_MAJEURE."""
    reason: str = ""
    """Why the projected level differs from the verdict, or what the audit checks."""

    @property
    def requalified(self) -> bool:
        return self.level != self.status.verdict


@dataclass(frozen=True)
class Projection:
    audit_type: AuditType
    outcome: Outcome
    majors: tuple[ProjectedNC, ...]
    minors: tuple[ProjectedNC, ...]
    deferred: tuple[ProjectedNC, ...]
    """New entrant at the initial audit: NCs on indicators wholly deferred to surveillance."""
    unevaluated: int
    summary: str
    disclaimer: str = PROJECTION_DISCLAIMER

    @property
    def complete(self) -> bool:
        return self.unevaluated == 0

    def level_of(self, number: int) -> Verdict | None:
        for p in (*self.majors, *self.minors):
            if p.status.number == number:
                return p.level
        return None


def wholly_deferred(indicator: Indicator) -> bool:
    """True when a new entrant's initial audit checks nothing of this indicator (referential data)."""
    return indicator.new_entrant.adapted and indicator.new_entrant.deferred_entirely


def _plural(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def project(
    statuses: Sequence[IndicatorStatus],
    audit_type: AuditType,
    *,
    held_audit: dt.date | None = None,
) -> Projection:
    """Projected outcome of the audit under the NC rules (see the module docstring).

    ``held_audit`` is the date of the certifier audit held since the previous mission's findings
    (see :func:`held_audit_between`); without one, a minor found again stays a minor. An initial
    audit never requalifies, whatever ``held_audit`` says.
    """
    requalify_repeated = held_audit is not None and audit_type != AuditType.INITIAL
    majors: list[ProjectedNC] = []
    minors: list[ProjectedNC] = []
    deferred: list[ProjectedNC] = []
    unevaluated = 0
    for s in statuses:
        if not s.in_scope:
            continue
        if s.verdict == Verdict.NON_EVALUE:
            unevaluated += 1
            continue
        if not s.verdict.is_nc:
            continue
        ind = s.indicator
        level, reason = s.verdict, ""
        if s.new_entrant_adapted and audit_type == AuditType.INITIAL:
            if wholly_deferred(ind):
                deferred.append(ProjectedNC(s, level, "Nouvel entrant : indicateur vérifié seulement à "
                                            f"l'audit de surveillance ({ind.new_entrant.deferred or 'en entier'})."))
                continue
            reason = f"Nouvel entrant : l'audit initial vérifie seulement ceci — {ind.new_entrant.at_initial}"
        if level == Verdict.NC_MINEURE and ind.nc.grading == NCGrading.MAJOR_ONLY:
            level = Verdict.NC_MAJEURE
            reason = ("Indicateur à NC majeure uniquement : tout manquement, même partiel, "
                      "y est une NC majeure.")
        elif (level == Verdict.NC_MINEURE and requalify_repeated
              and s.previous_verdict == Verdict.NC_MINEURE):
            level = Verdict.NC_MAJEURE
            reason = (f"NC mineure déjà relevée lors de la mission précédente et non levée depuis "
                      f"l'audit du {held_audit:%d/%m/%Y} : requalifiée en NC majeure à l'audit suivant.")
        (majors if level == Verdict.NC_MAJEURE else minors).append(ProjectedNC(s, level, reason))

    if majors:
        outcome = Outcome.BLOCKED_BY_MAJOR
    elif len(minors) >= MINORS_AS_MAJOR:
        outcome = Outcome.BLOCKED_BY_MINORS
    elif minors:
        outcome = Outcome.FAVORABLE_WITH_MINORS
    else:
        outcome = Outcome.FAVORABLE
    summary = _summary(outcome, audit_type, len(majors), len(minors), len(deferred), unevaluated)
    return Projection(audit_type, outcome, tuple(majors), tuple(minors), tuple(deferred), unevaluated, summary)


def _summary(outcome: Outcome, audit_type: AuditType, n_major: int, n_minor: int,
             n_deferred: int, unevaluated: int) -> str:
    otherwise = {
        AuditType.INITIAL: "à défaut, la certification serait refusée (nouvelle demande possible "
                           "3 mois après le refus)",
        AuditType.SURVEILLANCE: "à défaut, le certificat serait suspendu",
        AuditType.RENOUVELLEMENT: "à défaut, le certificat ne serait pas renouvelé",
    }[audit_type]
    if outcome == Outcome.BLOCKED_BY_MAJOR:
        text = (f"{_plural(n_major, 'NC majeure projetée', 'NC majeures projetées')} : aucun certificat ne "
                f"peut être délivré ou maintenu tant qu'elles ne sont pas levées ; les actions correctives "
                f"doivent être effectives dans les {MAJOR_DEADLINE_MONTHS} mois suivant la notification, "
                f"{otherwise}.")
        if n_minor:
            text += f" S'y ajoutent {_plural(n_minor, 'NC mineure', 'NC mineures')}."
    elif outcome == Outcome.BLOCKED_BY_MINORS:
        text = (f"{n_minor} NC mineures ouvertes : à partir de {MINORS_AS_MAJOR}, elles valent une NC majeure. "
                f"Il faudrait en ramener le nombre sous {MINORS_AS_MAJOR} dans les {MAJOR_DEADLINE_MONTHS} mois, "
                f"{otherwise} ; les autres suivent le délai de {MINOR_DEADLINE_MONTHS} mois.")
    elif outcome == Outcome.FAVORABLE_WITH_MINORS:
        text = (f"{_plural(n_minor, 'NC mineure projetée', 'NC mineures projetées')} : la certification "
                f"resterait possible si le plan d'actions est transmis au certificateur et mis en œuvre dans "
                f"les {MINOR_DEADLINE_MONTHS} mois ; une NC mineure non levée à l'audit suivant deviendrait "
                f"majeure.")
    else:
        text = "Aucune non-conformité projetée sur les indicateurs évalués."
    if n_deferred:
        text += (f" Nouvel entrant : {_plural(n_deferred, 'écart porte', 'écarts portent')} sur des points "
                 "vérifiés seulement à l'audit de surveillance.")
    if unevaluated:
        text += (f" Projection partielle : {_plural(unevaluated, 'indicateur applicable reste', 'indicateurs applicables restent')} "
                 "à évaluer.")
    return text


# -- risks -----------------------------------------------------------------------------------


class RiskKind(LabelledEnum):
    FREQUENT_NC = "frequent_nc", "Souvent relevé en NC"
    STALE_EVIDENCE = "stale_evidence", "Preuve à actualiser"
    NOT_EVALUATED = "not_evaluated", "Non évalué"
    RECURRING_NC = "recurring_nc", "NC récurrente"
    SESSION_FILES = "session_files", "Revue des dossiers"



@dataclass(frozen=True)
class RiskFlag:
    kind: RiskKind
    status: IndicatorStatus
    message: str


def newest_evidence_date(evidence: Iterable[Evidence]) -> dt.date | None:
    dates = [e.represents_date for e in evidence if e.represents_date]
    return max(dates) if dates else None


def stale_evidence(status: IndicatorStatus, audit_date: dt.date, max_age_months: int) -> str | None:
    """A French message when the indicator's evidence is too old, undated or missing at the audit date.

    Missing evidence is flagged only on an applicable indicator already evaluated (conforme or NC):
    a verdict was given, yet nothing shows proof recent enough. An indicator not evaluated yet is
    flagged as such elsewhere.
    """
    if not status.evidence:
        if status.in_scope and status.verdict in EVALUATED:
            return (f"Aucune preuve datée relevée : l'indicateur exige une preuve de moins de "
                    f"{max_age_months} mois à la date de l'audit ({audit_date:%d/%m/%Y}) ; à enregistrer.")
        return None
    newest = newest_evidence_date(status.evidence)
    limit = add_months(audit_date, -max_age_months)
    if newest is None:
        return (f"Aucune des preuves enregistrées n'est datée : impossible de montrer qu'elles ont moins "
                f"de {max_age_months} mois à la date de l'audit.")
    if newest < limit:
        return (f"Preuve la plus récente datée du {newest:%d/%m/%Y} : plus de {max_age_months} mois à la date "
                f"de l'audit ({audit_date:%d/%m/%Y}) ; à actualiser.")
    return None


def risk_flags(
    statuses: Sequence[IndicatorStatus],
    audit_date: dt.date,
    evidence_max_age: Mapping[int, int] | None = None,
    file_findings: Mapping[int, str] | None = None,
) -> list[RiskFlag]:
    """Risks on audited indicators, by indicator order then kind.

    ``file_findings``: per indicator number, what the session-file review found missing
    (:mod:`workbench.domain.session_review`); it becomes a « Revue des dossiers » flag.
    """
    evidence_max_age = evidence_max_age or {}
    file_findings = file_findings or {}
    flags: list[RiskFlag] = []
    for s in statuses:
        if not s.in_scope:
            continue
        ind = s.indicator
        if s.verdict == Verdict.NON_EVALUE:
            flags.append(RiskFlag(RiskKind.NOT_EVALUATED, s,
                                  "Indicateur applicable non évalué : aucune preuve examinée à ce jour."))
        if s.verdict.is_nc and s.previous_verdict is not None and s.previous_verdict.is_nc:
            flags.append(RiskFlag(RiskKind.RECURRING_NC, s,
                                  f"Déjà « {s.previous_verdict.label} » lors de la mission précédente."))
        if ind.audit_risk:
            flags.append(RiskFlag(RiskKind.FREQUENT_NC, s, ind.audit_risk))
        months = evidence_max_age.get(ind.number)
        if months:
            message = stale_evidence(s, audit_date, months)
            if message:
                flags.append(RiskFlag(RiskKind.STALE_EVIDENCE, s, message))
        if ind.number in file_findings:
            flags.append(RiskFlag(RiskKind.SESSION_FILES, s, file_findings[ind.number]))
    return flags


# -- progress against the previous mission ---------------------------------------------------


class Trend(LabelledEnum):
    IMPROVED = "improved", "En progrès"
    DEGRADED = "degraded", "En recul"
    STABLE = "stable", "Stable"
    NOT_COMPARABLE = "not_comparable", "Non comparable"



@dataclass(frozen=True)
class PreviousMission:
    """What the analysis needs from the client's previous mission (indicators matched by number)."""

    mission_id: str
    audit_date: dt.date
    referential_id: str
    verdicts: Mapping[int, Verdict]
    """Verdicts of the indicators applicable in the previous mission."""
    label: str | None = None

    def counts(self) -> Counts:
        tally = dict.fromkeys(("conforme", "nc_mineure", "nc_majeure", "non_evalue", "non_applicable"), 0)
        for v in self.verdicts.values():
            tally[v.value] += 1
        return Counts(applicable=len(self.verdicts), **tally)


@dataclass(frozen=True)
class ProgressItem:
    status: IndicatorStatus
    before: Verdict | None
    after: Verdict
    trend: Trend


@dataclass(frozen=True)
class Progress:
    previous: PreviousMission
    before: Counts
    after: Counts
    items: tuple[ProgressItem, ...]

    def _with(self, pred) -> list[ProgressItem]:
        return [i for i in self.items if pred(i)]

    @property
    def lifted(self) -> list[ProgressItem]:
        """NCs of the previous mission now found conforme."""
        return self._with(lambda i: i.before is not None and i.before.is_nc and i.after == Verdict.CONFORME)

    @property
    def still_nc(self) -> list[ProgressItem]:
        return self._with(lambda i: i.before is not None and i.before.is_nc and i.after.is_nc)

    @property
    def new_nc(self) -> list[ProgressItem]:
        return self._with(lambda i: (i.before is None or not i.before.is_nc) and i.after.is_nc)

    @property
    def readiness_delta(self) -> float | None:
        if self.before.readiness is None or self.after.readiness is None:
            return None
        return self.after.readiness - self.before.readiness


def held_audit_between(
    previous: PreviousMission | None,
    audit_date: dt.date,
    audit_type: AuditType,
    today: dt.date,
) -> dt.date | None:
    """Date of the certifier audit held between the previous mission and this one, if any.

    A mission prepares the audit at its audit date. A real audit lies between the two missions only
    when the current audit is not an initial one, the previous mission prepared an earlier audit,
    and that audit date is already past on ``today`` (a postponed audit not yet held does not count).
    """
    if previous is None or audit_type == AuditType.INITIAL:
        return None
    if previous.audit_date < audit_date and previous.audit_date < today:
        return previous.audit_date
    return None


def trend(before: Verdict | None, after: Verdict) -> Trend:
    if before not in _RANK or after not in _RANK:
        return Trend.NOT_COMPARABLE
    delta = _RANK[after] - _RANK[before]  # type: ignore[index]
    return Trend.IMPROVED if delta > 0 else Trend.DEGRADED if delta < 0 else Trend.STABLE


def progress(statuses: Sequence[IndicatorStatus], previous: PreviousMission) -> Progress:
    items = tuple(
        ProgressItem(s, previous.verdicts.get(s.number), s.verdict, trend(previous.verdicts.get(s.number), s.verdict))
        for s in statuses if s.in_scope
    )
    return Progress(previous, previous.counts(), count(statuses), items)


# -- surveillance preparation ----------------------------------------------------------------


@dataclass(frozen=True)
class ScopeItem:
    status: IndicatorStatus
    reasons: tuple[str, ...]
    certain: bool = True


def surveillance_scope(
    statuses: Sequence[IndicatorStatus],
    *,
    former_new_entrant: bool = False,
) -> list[ScopeItem]:
    """Indicators a surveillance audit checks at the least, with why (arrêté 2023)."""
    out = []
    for s in statuses:
        if not s.in_scope:
            continue
        reasons = []
        certain = True
        if s.previous_verdict is not None and s.previous_verdict.is_nc:
            reasons.append(f"NC lors de la mission précédente ({s.previous_verdict.label})")
        if s.indicator.surveillance_minimum:
            reasons.append("Périmètre minimal de l'audit de surveillance")
        elif s.indicator.surveillance_minimum is None and not reasons:
            reasons.append("Périmètre minimal à confirmer (règle incertaine pour cette version)")
            certain = False
        if former_new_entrant and not reasons:
            reasons.append("Ancien nouvel entrant : tous les indicateurs applicables sont revus")
        if reasons:
            out.append(ScopeItem(s, tuple(reasons), certain))
    return out


# -- everything at once ----------------------------------------------------------------------


@dataclass(frozen=True)
class GapAnalysis:
    audit_date: dt.date
    audit_type: AuditType
    statuses: tuple[IndicatorStatus, ...]
    counts: Counts
    by_criterion: dict[int, Counts]
    projection: Projection
    risks: tuple[RiskFlag, ...]
    progress: Progress | None = None
    surveillance: tuple[ScopeItem, ...] = field(default=())

    @property
    def gaps(self) -> list[IndicatorStatus]:
        """Gaps by severity: NC majeure (projected), NC mineure, then non évalué; referential order within."""
        def key(s: IndicatorStatus) -> tuple[int, int]:
            level = self.projection.level_of(s.number)
            rank = {Verdict.NC_MAJEURE: 0, Verdict.NC_MINEURE: 1}.get(level, 2)  # type: ignore[arg-type]
            if level is None and s.verdict.is_nc:
                rank = 1  # deferred new-entrant NC: after the projected ones
            return rank, s.number
        return sorted((s for s in self.statuses if s.is_gap), key=key)

    @property
    def strengths(self) -> list[IndicatorStatus]:
        return [s for s in self.statuses if s.in_scope and s.verdict == Verdict.CONFORME]


def analyze(
    applicability: Sequence[IndicatorApplicability],
    answers: Mapping[str, Answer],
    evidence: Iterable[Evidence],
    *,
    audit_date: dt.date,
    audit_type: AuditType,
    previous: PreviousMission | None = None,
    evidence_max_age: Mapping[int, int] | None = None,
    former_new_entrant: bool = False,
    today: dt.date,
    file_findings: Mapping[int, str] | None = None,
) -> GapAnalysis:
    """The whole analysis of a mission; ``today`` is the analysis date (was the earlier audit held?).
    ``file_findings``: the session-file review's findings by indicator number (risk flags)."""
    statuses = tuple(indicator_statuses(applicability, answers, evidence,
                                        previous.verdicts if previous else None))
    held = held_audit_between(previous, audit_date, audit_type, today)
    return GapAnalysis(
        audit_date=audit_date,
        audit_type=audit_type,
        statuses=statuses,
        counts=count(statuses),
        by_criterion=counts_by_criterion(statuses),
        projection=project(statuses, audit_type, held_audit=held),
        risks=tuple(risk_flags(statuses, audit_date, evidence_max_age, file_findings)),
        progress=progress(statuses, previous) if previous else None,
        surveillance=tuple(surveillance_scope(statuses, former_new_entrant=former_new_entrant)),
    )
