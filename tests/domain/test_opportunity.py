"""Opportunity assessment: every situation the sources name, table-driven on the pure scoring.

lifecycle-facts.md §5: strategic when public or mutualised funding weighs in the revenue, in a
growth phase, or when credibility with institutions is at stake; not strategic (yet) with direct
sales only or a deliberately small, stable activity; backfires too early (immature, no capacity)
or too late (deadline too close).
"""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.core.errors import UsageError
from workbench.domain.opportunity import (
    Answers,
    RiskKind,
    Support,
    Verdict,
    assess,
    decide,
    default_answers,
    load_questionnaire,
    parse_answers,
)
from workbench.domain.profile import profile_from_data

TODAY = dt.date(2026, 12, 1)
PROFILE = profile_from_data({"id": "p", "name": "P", "categories": ["AF"], "revenue_band": "lt_150k",
                             "funding": {"cpf": 10, "opco": 25, "direct": 65}})


def answers(**kw) -> Answers:
    base = {"funded_share_now": 0, "funded_share_planned": 0}
    return Answers.model_validate(base | kw)


SITUATIONS = [
    # (situation, answers, verdict, support, risk kinds, alternatives)
    ("funding already weighs (CPF/OPCO)", dict(funded_share_now=45, funded_share_planned=45, maturity=3,
                                              capacity_days_per_month=2),
     Verdict.STRATEGIC_NOW, Support.SHARED_APPROACH, {RiskKind.TOO_LATE}, set()),
    ("funder requires it within 12 months", dict(deadline="2027-09-01", maturity=3, capacity_days_per_month=2),
     Verdict.STRATEGIC_NOW, Support.SHARED_APPROACH, set(), set()),
    ("deadline too close for an immature provider: too late", dict(deadline="2027-02-01", maturity=1,
                                                                   capacity_days_per_month=3),
     Verdict.STRATEGIC_NOW, Support.EXTERNAL_ACCOMPANIMENT, {RiskKind.TOO_LATE, RiskKind.MATURITY}, set()),
    ("funding planned in 12 months", dict(funded_share_planned=30, maturity=2, capacity_days_per_month=2),
     Verdict.ANTICIPATE, Support.EXTERNAL_ACCOMPANIMENT, set(), {"subcontracting", "partnering"}),
    ("growth phase, direct sales", dict(growth="growth", maturity=3, capacity_days_per_month=1),
     Verdict.ANTICIPATE, Support.SHARED_APPROACH, set(), set()),
    ("diversification", dict(growth="diversification", maturity=2, capacity_days_per_month=0.5),
     Verdict.ANTICIPATE, Support.EXTERNAL_ACCOMPANIMENT, {RiskKind.CAPACITY}, set()),
    ("credibility with institutions and tenders", dict(credibility_needs=True, maturity=4, capacity_days_per_month=2),
     Verdict.ANTICIPATE, Support.SHARED_APPROACH, set(), set()),
    ("small funded share", dict(funded_share_now=10, funded_share_planned=10, maturity=3, capacity_days_per_month=2),
     Verdict.ANTICIPATE, Support.SHARED_APPROACH, set(), {"subcontracting", "partnering"}),
    ("direct sales only, stable", dict(maturity=2),
     Verdict.NOT_PRIORITY, Support.NONE, {RiskKind.TOO_EARLY}, set()),
    ("deliberately small and stable", dict(activity_limited_by_choice=True, maturity=3),
     Verdict.NOT_PRIORITY, Support.NONE, set(), set()),
    ("already a subcontractor, direct sales", dict(works_as_subcontractor=True, maturity=3),
     Verdict.NOT_PRIORITY, Support.NONE, set(), {"subcontracting"}),
    ("limited by choice but funded: too early a heavy system", dict(activity_limited_by_choice=True,
                                                                     funded_share_now=50, funded_share_planned=50,
                                                                     maturity=3, capacity_days_per_month=2),
     Verdict.STRATEGIC_NOW, Support.SHARED_APPROACH, {RiskKind.TOO_EARLY, RiskKind.TOO_LATE}, set()),
]


@pytest.mark.parametrize("name, kw, verdict, support, risks, alternatives", SITUATIONS, ids=[s[0] for s in SITUATIONS])
def test_situations(name, kw, verdict, support, risks, alternatives):
    result = assess(PROFILE, answers(**kw), TODAY, day_rate=1000, internal_day_cost=300)
    assert result.verdict == verdict
    assert result.recommended_support == support
    assert {r.kind for r in result.risks} == risks
    assert {a.key for a in result.alternatives} == alternatives
    assert result.reasons and all(r.endswith(".") for r in result.reasons)


def test_reasons_are_tied_to_the_answers():
    _, reasons = decide(answers(funded_share_now=45, funded_share_planned=45), TODAY)
    assert any("45 %" in r for r in reasons)
    _, reasons = decide(answers(deadline="2027-05-01"), TODAY)
    assert any("01/05/2027" in r for r in reasons)
    _, reasons = decide(answers(activity_limited_by_choice=True), TODAY)
    assert any("volontairement" in r for r in reasons)


def test_revenue_at_stake_and_cost_range():
    r = assess(PROFILE, answers(funded_share_now=40, funded_share_planned=60, annual_revenue=200_000, maturity=2),
               TODAY, day_rate=1000, internal_day_cost=300)
    assert r.revenue_at_stake == 120_000 and not r.revenue_estimated
    cost = r.cost_estimate
    # Audit days come from the audit-duration estimate: < 150 k€, one category: 1 + 0.5 days.
    assert cost.audit_days == 1.5 and cost.audit_amount == 1500
    # Internal time: 12-20 days to build at maturity 2, then 0.5-1 day a month for 36 months.
    assert (cost.internal_days_low, cost.internal_days_high) == (30, 56)
    assert (cost.low, cost.high) == (1500 + 30 * 300, 1500 + 56 * 300)
    # Without a revenue figure, the band's midpoint is used and flagged.
    est = assess(PROFILE, answers(funded_share_now=40, funded_share_planned=40), TODAY, day_rate=1000,
                 internal_day_cost=300)
    assert est.revenue_estimated and est.revenue_at_stake == 30_000 and est.uncertain


def test_timeline_runs_back_from_the_deadline():
    r = assess(PROFILE, answers(deadline="2027-10-01", maturity=2), TODAY, day_rate=1000, internal_day_cost=300)
    steps = {s.key: s for s in r.timeline}
    assert r.target_date == dt.date(2027, 10, 1) and steps["initial_audit"].start == dt.date(2027, 10, 1)
    assert steps["structuring"].start == dt.date(2027, 4, 1)  # 4 months of structuring + 2
    assert steps["pre_audit"].start == dt.date(2027, 8, 1)
    # Certificate about a month after the audit; surveillance from month 14 to month 22.
    assert steps["surveillance_window"].start == dt.date(2029, 1, 1)
    assert [s.start for s in r.timeline] == sorted(s.start for s in r.timeline)
    assert steps["surveillance_window"].end == dt.date(2029, 9, 1)
    # No deadline: a recommended target date; not a priority: no timeline.
    assert assess(PROFILE, answers(growth="growth"), TODAY, day_rate=1, internal_day_cost=1).target_date == \
        dt.date(2027, 12, 1)
    assert assess(PROFILE, answers(), TODAY, day_rate=1, internal_day_cost=1).timeline == ()


def test_answers_default_from_the_profile_and_errors_are_french():
    assert default_answers(PROFILE) == {"funded_share_now": 35.0, "funded_share_planned": 35.0}
    parsed = parse_answers({"growth": "growth"}, PROFILE)
    assert parsed.funded_share_now == 35.0
    with pytest.raises(UsageError, match="clé\\(s\\) inconnue\\(s\\) : croissance"):
        parse_answers({"croissance": "forte"}, PROFILE)
    with pytest.raises(UsageError, match="« maturity » \\(maturité\\).*au plus 4"):
        parse_answers({"maturity": 7}, PROFILE)
    with pytest.raises(UsageError, match="« growth »"):
        parse_answers({"growth": "explosive"}, PROFILE)


def test_questionnaire_covers_every_answer_key():
    q = load_questionnaire()
    assert [x.key for x in q.questions] == list(Answers.model_fields)
    assert all(x.label for x in q.questions)
