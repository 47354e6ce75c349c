"""Demo prospects: one per verdict of the opportunity assessment, two prefilled from the shipped
extract of the public list of training providers. Fixed answers and date: always the same result."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from workbench.domain.profile import Contact, profile_from_data
from workbench.domain.public_list import SAMPLE_FILE, find_provider
from workbench.domain.templates import load_template, profile_from_template
from workbench.services.opportunity import run_assessment
from workbench.services.workspace import Workspace

DEMO_TODAY = dt.date(2026, 11, 27)


@dataclass(frozen=True)
class DemoProspect:
    id: str
    answers: dict[str, Any]
    expected: str
    siret: str | None = None
    template: str | None = None
    name: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


PROSPECTS = (
    DemoProspect(
        "atelier-savoirs-pratiques", siret="81234567600017", expected="not_priority",
        extra={"revenue_band": "lt_150k", "funding": {"direct": 100}},
        answers={"growth": "stable", "activity_limited_by_choice": True, "maturity": 2,
                 "capacity_days_per_month": 0.5, "annual_revenue": 60_000}),
    DemoProspect(
        "bretagne-cuisine-service", siret="84567890300012", expected="strategic_now",
        extra={"revenue_band": "lt_150k", "funding": {"region": 20, "opco": 15, "direct": 65}},
        answers={"funded_share_planned": 60, "growth": "growth", "credibility_needs": True, "maturity": 2,
                 "capacity_days_per_month": 1.5, "deadline": "2027-04-01", "annual_revenue": 110_000}),
    DemoProspect(
        "dialogue-formation", template="formateur-independant", name="Dialogue Formation", expected="anticipate",
        extra={"revenue_band": "lt_150k", "funding": {"opco": 5, "direct": 95}, "siret": "85678901100017"},
        answers={"funded_share_planned": 30, "growth": "diversification", "maturity": 3,
                 "capacity_days_per_month": 2, "works_as_subcontractor": True, "annual_revenue": 85_000}),
)
PROSPECT_IDS = frozenset(p.id for p in PROSPECTS)


def build_prospects(ws: Workspace) -> None:
    for p in PROSPECTS:
        contact = Contact(name="Direction", role="Dirigeant(e)", email=f"contact@{p.id}.example")
        if p.siret:
            entry = find_provider(SAMPLE_FILE, siret=p.siret)
            data = entry.profile_data() | {"id": p.id, "categories": ["AF"], "prospect": True,
                                           "consultant": "Sophie Durand", "contact": contact.model_dump()}
            profile = profile_from_data(data | p.extra, f"Prospect de démonstration {p.id}")
        else:
            profile = profile_from_template(load_template(p.template or "", ws.folders), p.id, p.name or p.id, prospect=True,
                                            consultant="Sophie Durand", contact=contact, **p.extra)
        ws.store.create_client(profile)
        result, _ = run_assessment(ws, p.id, p.answers, today=DEMO_TODAY, source=f"démonstration {p.id}")
        if result.verdict.value != p.expected:  # the demo promises one prospect per verdict
            raise AssertionError(f"prospect de démonstration {p.id} : {result.verdict.value} au lieu de {p.expected}")
