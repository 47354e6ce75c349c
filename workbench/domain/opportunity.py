"""« Qualiopi, stratégique pour vous ? » — the opportunity assessment run before any pre-audit.

A questionnaire (shipped data, ``data/opportunity/questionnaire.yaml``) collects a prospect's
answers; :func:`assess` turns them into a verdict, its reasons, the risks, the kind of support to
sell, the revenue at stake, a cost range over the three-year cycle and a dated timeline. Pure:
``today`` and the rates are parameters, nothing is read from the clock or the store.

Decision rules, from the practitioners' sources (lifecycle-facts.md §5):

* strategic **now** when public or mutualised funding already weighs in the revenue, or a funder,
  partner or tender requires the certificate within the next 12 months;
* **anticipate** when that funding is planned, the provider is growing or diversifying, or
  institutions and partners expect the certificate (credibility);
* **not a priority** when revenue comes from direct sales only and the activity stays stable,
  above all when it is deliberately kept small.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from workbench.core.dates import add_months, fr_date
from workbench.core.errors import UsageError
from workbench.core.validation import load_yaml_model
from workbench.core.vocab import AuditType, LabelledEnum
from workbench.data import DATA_DIR
from workbench.domain.audit_cycle import audit_duration
from workbench.domain.profile import ClientProfile, RevenueBand

OPPORTUNITY_DIR = DATA_DIR / "opportunity"

#: Share of revenue from public or mutualised funding above which it "weighs" (percent).
SIGNIFICANT_SHARE = 20.0
#: Below this share, revenue is treated as direct sales only (percent).
MARGINAL_SHARE = 5.0
#: A deadline closer than this (months) makes the certificate strategic now.
URGENT_MONTHS = 12
#: Months of structuring before the initial audit, by maturity (1 informal … 4 measured).
STRUCTURING_MONTHS = {1: 6, 2: 4, 3: 2, 4: 1}
#: Internal days to build the system, by maturity (low, high).
BUILD_DAYS = {1: (20, 30), 2: (12, 20), 3: (6, 10), 4: (3, 5)}
#: Internal days per month to keep the system alive over the cycle (low, high).
UPKEEP_DAYS_PER_MONTH = (0.5, 1.0)
CYCLE_MONTHS = 36
#: Revenue assumed when only the band is known (euros, excl. VAT): an order of magnitude.
BAND_MIDPOINT = {RevenueBand.UNDER_150K: 75_000, RevenueBand.FROM_150K_TO_750K: 450_000,
                 RevenueBand.OVER_750K: 1_000_000}


class Verdict(LabelledEnum):
    STRATEGIC_NOW = "strategic_now", "Stratégique maintenant"
    ANTICIPATE = "anticipate", "À anticiper"
    NOT_PRIORITY = "not_priority", "Pas prioritaire"


class Support(LabelledEnum):
    EXTERNAL_ACCOMPANIMENT = ("external_accompaniment",
                              "Accompagnement externe (structuration, pré-audit, présence à l'audit)")
    SHARED_APPROACH = "shared_approach", "Démarche partagée (responsable qualité externalisé dans la durée)"
    NONE = "none", "Aucun accompagnement à engager pour l'instant"


class Growth(StrEnum):
    STABLE = "stable"
    GROWTH = "growth"
    DIVERSIFICATION = "diversification"


class RiskKind(LabelledEnum):
    TOO_EARLY = "too_early", "Trop tôt"
    TOO_LATE = "too_late", "Trop tard"
    CAPACITY = "capacity", "Capacité"
    MATURITY = "maturity", "Maturité"


# -- the questionnaire (data) ---------------------------------------------------------------


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Question(_M):
    key: str
    kind: str = Field(pattern="^(percent|choice|bool|scale|number|date)$")
    label: str = Field(min_length=1)
    help: str | None = None
    choices: dict[str, str] = Field(default_factory=dict)


class Questionnaire(_M):
    id: str
    title: str
    questions: tuple[Question, ...] = Field(min_length=1)

    def question(self, key: str) -> Question:
        for q in self.questions:
            if q.key == key:
                return q
        raise KeyError(key)


class Alternative(_M):
    key: str
    title: str
    summary: str
    rules: tuple[str, ...]
    uncertain: str | None = None


class _Alternatives(_M):
    alternatives: tuple[Alternative, ...]


@functools.cache
def load_questionnaire(path: Path | None = None) -> Questionnaire:
    return load_yaml_model(Questionnaire, path or OPPORTUNITY_DIR / "questionnaire.yaml", "Questionnaire d'opportunité")


@functools.cache
def load_alternatives(path: Path | None = None) -> tuple[Alternative, ...]:
    data = load_yaml_model(_Alternatives, path or OPPORTUNITY_DIR / "alternatives.yaml", "Alternatives")
    return data.alternatives


# -- answers ---------------------------------------------------------------------------------


class Answers(_M):
    """The prospect's answers; keys are the questionnaire's (and the ``--answers`` file's)."""

    funded_share_now: float = Field(ge=0, le=100)
    funded_share_planned: float = Field(ge=0, le=100)
    growth: Growth = Growth.STABLE
    activity_limited_by_choice: bool = False
    credibility_needs: bool = False
    maturity: int = Field(default=2, ge=1, le=4)
    capacity_days_per_month: float = Field(default=1.0, ge=0, le=31)
    deadline: dt.date | None = None
    works_as_subcontractor: bool = False
    annual_revenue: float | None = Field(default=None, ge=0)

    @field_validator("deadline", mode="before")
    @classmethod
    def _empty_deadline(cls, v: Any) -> Any:
        return None if v in ("", "null") else v


ANSWER_LABELS = {
    "funded_share_now": "part financée aujourd'hui",
    "funded_share_planned": "part financée dans 12 mois",
    "growth": "trajectoire",
    "activity_limited_by_choice": "activité volontairement limitée",
    "credibility_needs": "attentes de crédibilité",
    "maturity": "maturité",
    "capacity_days_per_month": "temps interne disponible",
    "deadline": "échéance",
    "works_as_subcontractor": "intervention en sous-traitance",
    "annual_revenue": "chiffre d'affaires annuel",
}


def funded_share(profile: ClientProfile) -> float | None:
    """Percent of revenue from public or mutualised funding, from the profile's funding mix."""
    mix = profile.funding
    if mix is None:
        return None
    return round(mix.cpf + mix.opco + mix.france_travail + mix.region, 1)


def default_answers(profile: ClientProfile) -> dict[str, Any]:
    """Answers prefilled from the profile (the consultant confirms or corrects them)."""
    share = funded_share(profile) or 0.0
    return {"funded_share_now": share, "funded_share_planned": share}


def parse_answers(raw: Any, profile: ClientProfile, source: str = "réponses") -> Answers:
    """Validate raw answers (a mapping) over the profile defaults; French errors naming the key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise UsageError(f"{source} : un dictionnaire YAML clé → valeur est attendu.")
    known = set(Answers.model_fields)
    unknown = sorted(str(k) for k in raw if k not in known)
    if unknown:
        raise UsageError(f"{source} : clé(s) inconnue(s) : {', '.join(unknown)}. "
                         f"Clés possibles : {', '.join(Answers.model_fields)}.")
    data = default_answers(profile) | dict(raw)
    try:
        return Answers.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        key = str(err["loc"][0]) if err.get("loc") else "?"
        label = ANSWER_LABELS.get(key, key)
        raise UsageError(f"{source} : valeur invalide pour « {key} » ({label}) : {err.get('input')!r} — "
                         f"{_fr_error(err)}.") from None


def _fr_error(err: dict) -> str:
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    return {
        "less_than_equal": f"au plus {ctx.get('le')}",
        "greater_than_equal": f"au moins {ctx.get('ge')}",
        "enum": f"valeurs possibles : {ctx.get('expected', '')}",
        "bool_parsing": "oui/non attendu (true ou false)",
        "float_parsing": "nombre attendu",
        "int_parsing": "nombre entier attendu",
        "date_from_datetime_parsing": "date AAAA-MM-JJ attendue",
        "date_parsing": "date AAAA-MM-JJ attendue",
        "missing": "valeur obligatoire",
    }.get(kind, str(err.get("msg", "valeur invalide")))


# -- result ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Risk:
    kind: RiskKind
    text: str

    def to_dict(self) -> dict:
        return {"kind": self.kind.value, "text": self.text}


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    start: dt.date
    end: dt.date | None = None

    def to_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "start": self.start.isoformat(),
                "end": self.end.isoformat() if self.end else None}

    def describe(self) -> str:
        if self.end and self.end != self.start:
            return f"{self.label} : du {fr_date(self.start)} au {fr_date(self.end)}"
        return f"{self.label} : {fr_date(self.start)}"


@dataclass(frozen=True)
class CostEstimate:
    low: int
    high: int
    audit_days: float
    audit_amount: int
    day_rate: float
    internal_days_low: float
    internal_days_high: float
    internal_day_cost: float
    basis: tuple[str, ...]
    uncertain: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"low": self.low, "high": self.high, "currency": "EUR", "period_months": CYCLE_MONTHS,
                "audits": {"days": self.audit_days, "day_rate": self.day_rate, "amount": self.audit_amount},
                "internal": {"days_low": self.internal_days_low, "days_high": self.internal_days_high,
                             "day_cost": self.internal_day_cost},
                "basis": list(self.basis), "uncertain": list(self.uncertain)}


@dataclass(frozen=True)
class Assessment:
    today: dt.date
    answers: Answers
    verdict: Verdict
    reasons: tuple[str, ...]
    risks: tuple[Risk, ...]
    recommended_support: Support
    revenue_at_stake: int
    revenue_estimated: bool
    cost_estimate: CostEstimate
    target_date: dt.date | None
    timeline: tuple[Step, ...]
    alternatives: tuple[Alternative, ...]
    uncertain: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict:
        return {
            "verdict": self.verdict.value,
            "verdict_label": self.verdict.label,
            "reasons": list(self.reasons),
            "risks": [r.to_dict() for r in self.risks],
            "recommended_support": self.recommended_support.value,
            "recommended_support_label": self.recommended_support.label,
            "revenue_at_stake": self.revenue_at_stake,
            "revenue_at_stake_estimated": self.revenue_estimated,
            "cost_estimate": self.cost_estimate.to_dict(),
            "target_date": self.target_date.isoformat() if self.target_date else None,
            "timeline": [s.to_dict() for s in self.timeline],
            "alternatives": [{"key": a.key, "title": a.title, "summary": a.summary, "rules": list(a.rules),
                              "uncertain": a.uncertain} for a in self.alternatives],
            "answers": self.answers.model_dump(mode="json"),
            "today": self.today.isoformat(),
            "uncertain": list(self.uncertain),
        }


# -- scoring ----------------------------------------------------------------------------------


def _pct(x: float) -> str:
    return f"{x:g} %".replace(".", ",")


def _eur(x: float) -> str:
    return f"{round(x):,} €".replace(",", "\u202f")


def decide(a: Answers, today: dt.date) -> tuple[Verdict, list[str]]:
    """The verdict and the French sentences that justify it, tied to the answers."""
    reasons: list[str] = []
    urgent = a.deadline is not None and a.deadline <= add_months(today, URGENT_MONTHS)
    now_weighs = a.funded_share_now >= SIGNIFICANT_SHARE
    planned_weighs = a.funded_share_planned >= SIGNIFICANT_SHARE
    direct_only = max(a.funded_share_now, a.funded_share_planned) < MARGINAL_SHARE
    changing = a.growth in (Growth.GROWTH, Growth.DIVERSIFICATION)

    if now_weighs:
        reasons.append(f"Les financements publics ou mutualisés représentent déjà {_pct(a.funded_share_now)} "
                       "du chiffre d'affaires : sans certificat, cette part n'est plus finançable.")
    if urgent:
        reasons.append(f"Un financeur, un partenaire ou un appel d'offres exige le certificat pour le "
                       f"{fr_date(a.deadline)}, dans moins de {URGENT_MONTHS} mois.")
    if now_weighs or urgent:
        verdict = Verdict.STRATEGIC_NOW
    elif planned_weighs or changing or a.credibility_needs or a.funded_share_now >= MARGINAL_SHARE:
        verdict = Verdict.ANTICIPATE
    else:
        verdict = Verdict.NOT_PRIORITY

    if verdict != Verdict.STRATEGIC_NOW:
        if planned_weighs:
            reasons.append(f"La part financée doit passer à {_pct(a.funded_share_planned)} dans 12 mois : "
                           "la certification conditionnera bientôt une partie du chiffre d'affaires.")
        elif MARGINAL_SHARE <= a.funded_share_now:
            reasons.append(f"Les financements publics ou mutualisés pèsent encore peu "
                           f"({_pct(a.funded_share_now)}) : l'enjeu existe sans être pressant.")
        if a.deadline is not None and not urgent:
            reasons.append(f"L'échéance du {fr_date(a.deadline)} laisse le temps de préparer la démarche sans "
                           "précipitation.")
    if changing:
        what = "de croissance" if a.growth == Growth.GROWTH else "de diversification"
        reasons.append(f"L'organisme entre dans une phase {what} : formaliser maintenant évite de le faire "
                       "quand l'organisation sera devenue plus complexe.")
    if a.credibility_needs:
        reasons.append("Institutions, partenaires ou appels d'offres attendent la certification : elle compte "
                       "pour la crédibilité de l'organisme.")
    if verdict == Verdict.NOT_PRIORITY:
        if direct_only:
            reasons.append("Le chiffre d'affaires vient de ventes directes : le certificat n'ouvre pas de "
                           "financement utile aujourd'hui, les clients jugent sur les résultats et les références.")
        if a.activity_limited_by_choice:
            reasons.append("L'activité est volontairement gardée petite et stable, avec des pratiques "
                           "maîtrisées : rien ne justifie de porter un système qualité pour l'instant.")
        reasons.append("À réexaminer si la part financée, la taille de l'activité ou les attentes des "
                       "partenaires changent.")
    return verdict, reasons


def lead_months(maturity: int) -> int:
    """Months needed from the start of structuring to the initial audit."""
    return STRUCTURING_MONTHS[maturity] + 2  # pre-audit, corrective actions, certifier's scheduling


def target_for(verdict: Verdict, a: Answers, today: dt.date) -> dt.date | None:
    """The initial-audit date to aim at: the deadline when there is one, else a recommended date."""
    if a.deadline is not None:
        return a.deadline
    if verdict == Verdict.STRATEGIC_NOW:
        return add_months(today, lead_months(a.maturity))
    if verdict == Verdict.ANTICIPATE:
        return add_months(today, max(12, lead_months(a.maturity)))
    return None


def timeline(target: dt.date, maturity: int, today: dt.date) -> tuple[Step, ...]:
    """Dated steps back from the target initial audit, then the surveillance window."""
    structuring_start = max(today, add_months(target, -lead_months(maturity)))
    pre_audit = max(today, add_months(target, -2))
    corrective_end = max(pre_audit, target - dt.timedelta(days=21))
    certifier = max(today, add_months(target, -3))
    certificate = add_months(target, 1)
    return (
        Step("structuring", "Structuration de la démarche (processus, preuves, rôles)", structuring_start,
             max(structuring_start, pre_audit - dt.timedelta(days=1))),
        Step("certifier", "Choix du certificateur et signature du contrat (date d'audit proposée sous 30 jours)",
             certifier),
        Step("pre_audit", "Pré-audit (audit à blanc sur les indicateurs applicables)", pre_audit),
        Step("corrective_actions", "Actions correctives issues du pré-audit", pre_audit, corrective_end),
        Step("initial_audit", "Audit initial (sur site)", target),
        Step("surveillance_window", "Fenêtre de l'audit de surveillance (14e au 22e mois du certificat)",
             add_months(certificate, 14), add_months(certificate, 22)),
    )


def risks_for(verdict: Verdict, a: Answers, today: dt.date, target: dt.date | None) -> list[Risk]:
    out: list[Risk] = []
    if verdict == Verdict.NOT_PRIORITY and (a.deadline is None) and a.maturity <= 2:
        out.append(Risk(RiskKind.TOO_EARLY, "Se certifier trop tôt : des procédures écrites pour l'audit plutôt "
                        "que pour la pratique, un système rigide que l'organisation ne peut pas faire vivre "
                        "(« dette qualité »)."))
    if a.activity_limited_by_choice and verdict != Verdict.NOT_PRIORITY:
        out.append(Risk(RiskKind.TOO_EARLY, "Activité volontairement limitée : dimensionner le système au plus "
                        "juste pour ne pas créer une charge administrative disproportionnée."))
    if target is not None and a.deadline is not None:
        needed = add_months(today, lead_months(a.maturity))
        if needed > a.deadline:
            out.append(Risk(RiskKind.TOO_LATE, f"Échéance trop proche : il faudrait environ "
                            f"{lead_months(a.maturity)} mois de préparation, l'audit serait préparé dans "
                            "l'urgence (décisions précipitées, davantage de non-conformités, opportunités perdues)."))
    elif verdict == Verdict.STRATEGIC_NOW and a.deadline is None and a.funded_share_now >= SIGNIFICANT_SHARE:
        out.append(Risk(RiskKind.TOO_LATE, "Chaque mois sans certificat expose la part financée du chiffre "
                        "d'affaires : ne pas attendre qu'un financeur l'exige."))
    need = 2.0 if a.maturity <= 2 else 1.0
    if verdict != Verdict.NOT_PRIORITY and a.capacity_days_per_month < need:
        out.append(Risk(RiskKind.CAPACITY, f"Temps interne insuffisant : {a.capacity_days_per_month:g} jour(s) "
                        f"par mois pour environ {need:g} nécessaires ; la démarche reposerait sur le consultant "
                        "et risquerait de ne pas tenir au premier audit de surveillance."))
    if a.maturity == 1 and verdict != Verdict.NOT_PRIORITY:
        out.append(Risk(RiskKind.MATURITY, "Organisation encore informelle : la certification révèle la maturité, "
                        "elle ne la crée pas. Clarifier objectifs, rôles et processus avant de viser l'audit."))
    return out


def support_for(verdict: Verdict, a: Answers) -> Support:
    """External accompaniment to structure an immature organisation; a shared approach (outsourced
    quality manager over time) when the basics exist but internal time is short."""
    if verdict == Verdict.NOT_PRIORITY:
        return Support.NONE
    if a.maturity <= 2:
        return Support.EXTERNAL_ACCOMPANIMENT
    return Support.SHARED_APPROACH


def estimate_cost(profile: ClientProfile, a: Answers, *, day_rate: float, internal_day_cost: float) -> CostEstimate:
    """Audit fees (initial + surveillance, from the audit-duration estimate) plus internal time."""
    uncertain: list[str] = []
    basis: list[str] = []
    est_profile = profile
    if profile.revenue_band is None:
        est_profile = profile.model_copy(update={"revenue_band": RevenueBand.UNDER_150K})
        uncertain.append("Tranche de chiffre d'affaires inconnue : durées d'audit calculées pour moins de 150 k€.")
    initial = audit_duration(est_profile, AuditType.INITIAL)
    surveillance = audit_duration(est_profile, AuditType.SURVEILLANCE)
    days = (initial.days or 0) + (surveillance.days or 0)
    uncertain.extend(initial.uncertain)
    uncertain.extend(u for u in surveillance.uncertain if u not in uncertain)
    audit_amount = round(days * day_rate)
    basis.append(f"Audits : initial {initial.days:g} j + surveillance {surveillance.days:g} j, à "
                 f"{_eur(day_rate)} HT par jour d'audit = {_eur(audit_amount)}".replace(".", ","))
    build = BUILD_DAYS[a.maturity]
    low_days = build[0] + UPKEEP_DAYS_PER_MONTH[0] * CYCLE_MONTHS
    high_days = build[1] + UPKEEP_DAYS_PER_MONTH[1] * CYCLE_MONTHS
    basis.append(f"Temps interne : {build[0]} à {build[1]} j de mise en place (maturité {a.maturity}/4), puis "
                 f"{UPKEEP_DAYS_PER_MONTH[0]:g} à {UPKEEP_DAYS_PER_MONTH[1]:g} j par mois pendant "
                 f"{CYCLE_MONTHS} mois, valorisé à {_eur(internal_day_cost)} par jour".replace(".", ","))
    uncertain.append("Tarif journalier des certificateurs et temps interne : ordres de grandeur à ajuster "
                     "avec le devis du certificateur et le dirigeant (réglages « opportunity » de workbench.yaml).")
    low = round(audit_amount + low_days * internal_day_cost)
    high = round(audit_amount + high_days * internal_day_cost)
    return CostEstimate(low, high, days, audit_amount, day_rate, low_days, high_days, internal_day_cost,
                        tuple(basis), tuple(uncertain))


def alternatives_for(verdict: Verdict, a: Answers) -> tuple[Alternative, ...]:
    wanted: list[str] = []
    funded = max(a.funded_share_now, a.funded_share_planned) >= MARGINAL_SHARE
    if a.works_as_subcontractor or (verdict != Verdict.STRATEGIC_NOW and funded):
        wanted.append("subcontracting")
    if verdict != Verdict.STRATEGIC_NOW and funded:
        wanted.append("partnering")
    return tuple(alt for alt in load_alternatives() if alt.key in wanted)


def assess(profile: ClientProfile, answers: Answers, today: dt.date, *, day_rate: float,
           internal_day_cost: float) -> Assessment:
    """The whole assessment, a pure function of the profile, the answers, the rates and ``today``."""
    verdict, reasons = decide(answers, today)
    target = target_for(verdict, answers, today)
    steps = timeline(target, answers.maturity, today) if target else ()
    revenue = answers.annual_revenue
    estimated = revenue is None
    uncertain: list[str] = []
    if revenue is None:
        revenue = BAND_MIDPOINT.get(profile.revenue_band, 0) if profile.revenue_band else 0
        uncertain.append("Chiffre d'affaires non renseigné : montant en jeu calculé sur le milieu de la tranche "
                         "du profil." if revenue else "Chiffre d'affaires inconnu : montant en jeu non chiffré.")
    at_stake = round(revenue * max(answers.funded_share_now, answers.funded_share_planned) / 100)
    if at_stake:
        reasons = [*reasons, f"Montant en jeu : environ {_eur(at_stake)} de chiffre d'affaires par an dépend "
                             "de financements qui exigent la certification."]
    return Assessment(
        today=today, answers=answers, verdict=verdict, reasons=tuple(reasons),
        risks=tuple(risks_for(verdict, answers, today, target)),
        recommended_support=support_for(verdict, answers), revenue_at_stake=at_stake,
        revenue_estimated=estimated,
        cost_estimate=estimate_cost(profile, answers, day_rate=day_rate, internal_day_cost=internal_day_cost),
        target_date=target, timeline=steps, alternatives=alternatives_for(verdict, answers),
        uncertain=tuple(uncertain),
    )
