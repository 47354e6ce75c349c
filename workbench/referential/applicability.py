"""Applicability engine: which indicators of a referential version apply to a provider's scope.

Pure functions of (referential, scope); no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, model_validator

from workbench.core.vocab import Category, Condition, NCGrading
from workbench.referential.library import Indicator, Referential

REQUIRES_REASON = {
    Condition.CERTIFYING: "Uniquement pour les prestations certifiantes (RNCP / RS)",
    Condition.ALTERNANCE: "Uniquement pour les formations en alternance",
    Condition.WORK_PERIODS: "Uniquement pour les formations comportant des périodes en situation "
    "de travail (stage, AFEST, alternance)",
    Condition.SUBCONTRACTING: "Sans objet : pas de sous-traitance ni de portage salarial",
    Condition.SHORT_COURSES_ONLY: "Uniquement pour les formations de 2 jours ou moins",
}

EXCLUDED_REASON = {
    Condition.SHORT_COURSES_ONLY: "Sans objet : uniquement des formations de 2 jours ou moins "
    "(l'indicateur vise les formations de plus de 2 jours)",
    Condition.CERTIFYING: "Sans objet pour les prestations certifiantes",
    Condition.ALTERNANCE: "Sans objet pour les formations en alternance",
    Condition.WORK_PERIODS: "Sans objet en cas de périodes en situation de travail",
    Condition.SUBCONTRACTING: "Sans objet en cas de sous-traitance",
}


IMPLIED_CONDITIONS: dict[Condition, frozenset[Condition]] = {
    # Alternance always includes periods in a company (V9 guide, note under indicator 28 and
    # glossary under 13), so a scope with alternance has work periods even when the separate
    # flag was not ticked.
    Condition.ALTERNANCE: frozenset({Condition.WORK_PERIODS}),
}
"""Conditions that another condition implies; applied when a scope is built."""

INCOMPATIBLE_CONDITIONS: tuple[tuple[Condition, Condition, str], ...] = (
    (
        Condition.SHORT_COURSES_ONLY,
        Condition.ALTERNANCE,
        "une formation en alternance dure bien plus de 2 jours",
    ),
)
"""Pairs of conditions that cannot both describe one provider, with the French reason."""


def with_implied(conditions: Iterable[Condition]) -> frozenset[Condition]:
    """The conditions plus every condition they imply (transitively)."""
    result = set(conditions)
    pending = list(result)
    while pending:
        for implied in IMPLIED_CONDITIONS.get(pending.pop(), frozenset()):
            if implied not in result:
                result.add(implied)
                pending.append(implied)
    return frozenset(result)


class Scope(BaseModel):
    """What a provider does: action categories, conditions and new-entrant status.

    Conditions implied by others (see :data:`IMPLIED_CONDITIONS`) are added on construction;
    contradictory ones (see :data:`INCOMPATIBLE_CONDITIONS`) are refused.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    categories: frozenset[Category]
    conditions: frozenset[Condition] = frozenset()
    new_entrant: bool = False
    """New entrant for every category (first year of activity)."""
    new_entrant_categories: frozenset[Category] = frozenset()
    """Categories the provider is starting (new entrant for those only)."""

    @model_validator(mode="after")
    def _implied_and_coherent(self) -> Scope:
        full = with_implied(self.conditions)
        for a, b, why in INCOMPATIBLE_CONDITIONS:
            if a in full and b in full:
                raise ValueError(f"situations incompatibles : « {a.label} » et « {b.label} » ({why})")
        if full != self.conditions:
            object.__setattr__(self, "conditions", full)
        return self

    def is_new_entrant_for(self, categories: Iterable[Category]) -> bool:
        """New entrant for every one of these categories.

        The arrangement applies to the indicators of the categories being started only: an
        indicator that also applies through an established category is audited in full.
        """
        cats = list(categories)
        return self.new_entrant or (bool(cats) and all(c in self.new_entrant_categories for c in cats))

    def describe(self) -> str:
        cats = ", ".join(c.value for c in sorted(self.categories, key=list(Category).index))
        parts = [f"Catégories : {cats or 'aucune'}"]
        if self.conditions:
            conds = "; ".join(c.label for c in sorted(self.conditions, key=list(Condition).index))
            parts.append(f"situations : {conds}")
        if self.new_entrant:
            parts.append("nouvel entrant")
        elif self.new_entrant_categories:
            nc = ", ".join(c.value for c in sorted(self.new_entrant_categories, key=list(Category).index))
            parts.append(f"nouvel entrant pour {nc}")
        return " — ".join(parts)


@dataclass(frozen=True)
class IndicatorApplicability:
    indicator: Indicator
    applicable: bool
    reason: str
    categories: tuple[Category, ...]
    """Scope categories in which the indicator applies."""
    new_entrant_adapted: bool
    partial: str | None = None
    """When only part of the indicator applies to this scope: which part (French)."""

    @property
    def number(self) -> int:
        return self.indicator.number

    @property
    def nc_grading(self) -> NCGrading:
        return self.indicator.nc.grading

    @property
    def uncertain(self) -> str | None:
        """What the sources leave open about this indicator's applicability, if anything."""
        return self.indicator.applicability.uncertain

    def to_dict(self) -> dict:
        ind = self.indicator
        return {
            "id": ind.id,
            "number": ind.number,
            "criterion": ind.criterion,
            "title": ind.title,
            "applicable": self.applicable,
            "reason": self.reason,
            "applicability_uncertain": self.uncertain,
            "partial": self.partial,
            "categories": [c.value for c in self.categories],
            "nc_grading": None if ind.nc.grading == NCGrading.UNKNOWN else ind.nc.grading.value,
            "new_entrant_adapted": self.new_entrant_adapted,
            "new_entrant_at_initial": ind.new_entrant.at_initial if self.new_entrant_adapted else None,
            "new_entrant_deferred": ind.new_entrant.deferred if self.new_entrant_adapted else None,
            "surveillance_minimum": ind.surveillance_minimum,
        }


def _category_order(cats: Iterable[Category]) -> tuple[Category, ...]:
    order = list(Category)
    return tuple(sorted(set(cats), key=order.index))


def evaluate_indicator(indicator: Indicator, scope: Scope) -> IndicatorApplicability:
    rules = indicator.applicability.categories
    in_scope = [c for c in _category_order(scope.categories) if c in rules]
    if not in_scope:
        allowed = _category_order(rules)
        if allowed == (Category.CFA,):
            reason = "Spécifique CFA (apprentissage)"
        else:
            mine = ", ".join(c.value for c in _category_order(scope.categories)) or "aucune"
            reason = (
                f"Non applicable aux catégories du périmètre ({mine}) : "
                f"réservé à {', '.join(c.value for c in allowed)}"
            )
        return IndicatorApplicability(indicator, False, reason, (), False)

    applying: list[Category] = []
    blockers: list[str] = []
    qualifiers: dict[Category, list[str]] = {}
    partial: dict[Category, str] = {}
    for cat in in_scope:
        rule = rules[cat]
        missing = [c for c in rule.requires if c not in scope.conditions]
        excluded = [c for c in rule.excluded_by if c in scope.conditions]
        if missing:
            blockers.append(REQUIRES_REASON[missing[0]])
        elif excluded:
            blockers.append(EXCLUDED_REASON[excluded[0]])
        else:
            applying.append(cat)
            qualifiers[cat] = [c.label for c in rule.requires]
            limits = [text for cond, text in rule.partial_when.items() if cond in scope.conditions]
            if limits:
                partial[cat] = " ; ".join(limits)

    if not applying:
        # Keep the first distinct reason; several categories usually share it.
        reason = blockers[0]
        return IndicatorApplicability(indicator, False, reason, (), False)

    all_plain = all(not qualifiers[c] for c in applying)
    if all_plain and len(rules) == len(Category) and not any(r.requires for r in rules.values()):
        reason = "Indicateur commun : applicable"
    else:
        parts = []
        for cat in applying:
            q = qualifiers[cat]
            parts.append(f"{cat.value} ({', '.join(q)})" if q else cat.value)
        reason = "Applicable pour " + ", ".join(parts)
    # Only part of the indicator applies when every applying category is limited.
    part = None
    if applying and all(c in partial for c in applying):
        part = partial[applying[0]]
        reason += f" — en partie seulement : {part}"
    ne = indicator.new_entrant.adapted and scope.is_new_entrant_for(applying)
    return IndicatorApplicability(indicator, True, reason, tuple(applying), ne, part)


def evaluate(referential: Referential, scope: Scope) -> list[IndicatorApplicability]:
    """Applicability of every indicator of the version, in referential order."""
    return [evaluate_indicator(ind, scope) for ind in referential.indicators]


def applicable_indicators(referential: Referential, scope: Scope) -> list[Indicator]:
    return [a.indicator for a in evaluate(referential, scope) if a.applicable]
