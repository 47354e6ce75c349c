"""Gap analysis: table-driven tests on the real referential versions."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.core.vocab import AuditType, Category, Condition, Verdict
from workbench.domain.gaps import (
    PROJECTION_DISCLAIMER,
    Outcome,
    PreviousMission,
    RiskKind,
    Trend,
    add_months,
    analyze,
    count,
    held_audit_between,
    indicator_statuses,
    project,
    surveillance_scope,
    trend,
    wholly_deferred,
)
from workbench.domain.records import Answer, Evidence
from workbench.referential.applicability import Scope, evaluate

C, MIN, MAJ, NE, NA = (Verdict.CONFORME, Verdict.NC_MINEURE, Verdict.NC_MAJEURE, Verdict.NON_EVALUE,
                       Verdict.NON_APPLICABLE)
AUDIT = dt.date(2026, 6, 15)
TODAY = dt.date(2026, 3, 1)
"""Analysis date: the consultant prepares the audit of AUDIT some months ahead."""
AF = Scope(categories=frozenset({Category.AF}))
AF_NEW = Scope(categories=frozenset({Category.AF}), new_entrant=True)
CFA = Scope(categories=frozenset({Category.CFA}))
# Plain AF (no certifying, alternance, work periods or subcontracting): the 22-indicator list of the facts.
AF_PLAIN = (1, 2, 4, 5, 6, 8, 9, 10, 11, 12, 17, 18, 19, 21, 22, 23, 24, 25, 26, 30, 31, 32)


def answers_for(ref, verdicts: dict[int, Verdict], mission: str = "m") -> dict[str, Answer]:
    return {ref.indicator(n).id: Answer(mission_id=mission, indicator_id=ref.indicator(n).id, verdict=v)
            for n, v in verdicts.items()}


def run(ref, scope, verdicts, *, audit_type=AuditType.INITIAL, previous=None, evidence=(), max_age=None,
        audit_date=AUDIT, today=TODAY):
    return analyze(evaluate(ref, scope), answers_for(ref, verdicts), evidence, audit_date=audit_date,
                   audit_type=audit_type, previous=previous, evidence_max_age=max_age,
                   former_new_entrant=scope.new_entrant, today=today)


def all_conforme(except_: dict[int, Verdict] | None = None) -> dict[int, Verdict]:
    return {n: C for n in AF_PLAIN} | (except_ or {})


# -- counts -----------------------------------------------------------------------------------


def test_plain_af_scope_is_the_22_indicator_list(ref2019):
    statuses = indicator_statuses(evaluate(ref2019, AF), {})
    assert tuple(s.number for s in statuses if s.applicable) == AF_PLAIN


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ({}, dict(applicable=22, conforme=0, nc_mineure=0, nc_majeure=0, non_evalue=22, non_applicable=0,
                  evaluated=0, readiness=0.0)),
        (all_conforme(), dict(applicable=22, conforme=22, nc_mineure=0, nc_majeure=0, non_evalue=0,
                              non_applicable=0, evaluated=22, readiness=1.0)),
        ({1: C, 2: C, 4: MAJ, 8: MIN, 9: NA}, dict(applicable=22, conforme=2, nc_mineure=1, nc_majeure=1,
                                                   non_evalue=17, non_applicable=1, evaluated=4,
                                                   readiness=2 / 21)),
        # A verdict on an indicator the rules exclude (14 is CFA only) is not counted.
        ({14: C, 20: MAJ, 1: C}, dict(applicable=22, conforme=1, nc_mineure=0, nc_majeure=0, non_evalue=21,
                                       non_applicable=0, evaluated=1, readiness=1 / 22)),
    ],
    ids=["nothing-evaluated", "all-conforme", "mixed", "out-of-scope-verdict-ignored"],
)
def test_counts_and_readiness(ref2019, verdicts, expected):
    a = run(ref2019, AF, verdicts)
    got = a.counts
    for key, value in expected.items():
        assert getattr(got, key) == pytest.approx(value), key
    assert got.out_of_scope == len(ref2019.indicators) - 22


def test_counts_by_criterion_add_up(ref2019):
    verdicts = {1: MIN, 2: C, 4: MAJ, 5: C, 6: C, 8: C, 30: MIN, 31: C}
    a = run(ref2019, AF, verdicts)
    assert sum(c.applicable for c in a.by_criterion.values()) == a.counts.applicable
    crit2 = a.by_criterion[2]
    assert (crit2.applicable, crit2.conforme, crit2.nc_majeure, crit2.non_evalue) == (4, 3, 1, 0)
    assert crit2.readiness == pytest.approx(0.75)
    crit7 = a.by_criterion[7]
    assert (crit7.applicable, crit7.conforme, crit7.nc_mineure, crit7.non_evalue) == (3, 1, 1, 1)


def test_readiness_is_none_when_nothing_is_audited(ref2019):
    statuses = indicator_statuses(evaluate(ref2019, AF), {})
    assert count([s for s in statuses if not s.applicable]).readiness is None


# -- projection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "audit_type", "verdicts", "previous", "outcome", "majors", "minors", "deferred"),
    [
        (AF, AuditType.INITIAL, all_conforme(), None, Outcome.FAVORABLE, [], [], []),
        (AF, AuditType.INITIAL, all_conforme({4: MAJ}), None, Outcome.BLOCKED_BY_MAJOR, [4], [], []),
        (AF, AuditType.INITIAL, all_conforme({1: MIN, 2: MIN, 8: MIN, 9: MIN}), None,
         Outcome.FAVORABLE_WITH_MINORS, [], [1, 2, 8, 9], []),
        (AF, AuditType.INITIAL, all_conforme({1: MIN, 2: MIN, 8: MIN, 9: MIN, 12: MIN}), None,
         Outcome.BLOCKED_BY_MINORS, [], [1, 2, 8, 9, 12], []),
        # A minor on a major-only indicator counts as major.
        (AF, AuditType.INITIAL, all_conforme({5: MIN}), None, Outcome.BLOCKED_BY_MAJOR, [5], [], []),
        # A minor already found by the previous mission (earlier audit) and still open becomes major.
        (AF, AuditType.SURVEILLANCE, all_conforme({1: MIN, 8: MIN}), {1: MIN, 8: C},
         Outcome.BLOCKED_BY_MAJOR, [1], [8], []),
        # A previous major now minor is not "a minor not lifted": it stays minor.
        (AF, AuditType.SURVEILLANCE, all_conforme({1: MIN}), {1: MAJ}, Outcome.FAVORABLE_WITH_MINORS, [], [1], []),
        # New entrant, initial audit: 22 and 32 are adapted, not skipped: their formalisation
        # is checked (V9 preamble), so a major NC there still blocks.
        (AF_NEW, AuditType.INITIAL, all_conforme({22: MAJ, 32: MAJ}), None, Outcome.BLOCKED_BY_MAJOR,
         [22, 32], [], []),
        # New entrant, initial audit: 11 (formalised process checked) still counts.
        (AF_NEW, AuditType.INITIAL, all_conforme({11: MAJ, 24: MIN}), None, Outcome.BLOCKED_BY_MAJOR, [11], [24], []),
        # The same NCs at the surveillance audit count in full.
        (AF_NEW, AuditType.SURVEILLANCE, all_conforme({22: MAJ}), None, Outcome.BLOCKED_BY_MAJOR, [22], [], []),
        # Not a new entrant: nothing is deferred.
        (AF, AuditType.INITIAL, all_conforme({22: MAJ}), None, Outcome.BLOCKED_BY_MAJOR, [22], [], []),
    ],
    ids=["no-nc", "one-major", "four-minors", "five-minors", "minor-on-major-only", "repeated-minor",
         "previous-major-now-minor", "new-entrant-deferred", "new-entrant-partly-deferred",
         "new-entrant-at-surveillance", "not-new-entrant"],
)
def test_projection(ref2019, scope, audit_type, verdicts, previous, outcome, majors, minors, deferred):
    prev = None
    if previous is not None:
        prev = PreviousMission("m0", dt.date(2025, 1, 10), ref2019.id, all_conforme(previous))
    p = run(ref2019, scope, verdicts, audit_type=audit_type, previous=prev).projection
    assert p.outcome == outcome
    assert [n.status.number for n in p.majors] == majors
    assert [n.status.number for n in p.minors] == minors
    assert [n.status.number for n in p.deferred] == deferred
    assert p.complete
    assert p.disclaimer == PROJECTION_DISCLAIMER
    assert "pas une décision de l'organisme certificateur" in p.disclaimer


def test_repeated_minor_is_never_requalified_at_an_initial_audit(ref2019):
    """No certifier audit can precede an initial audit: a minor found again stays a minor."""
    statuses = indicator_statuses(evaluate(ref2019, AF), answers_for(ref2019, all_conforme({1: MIN})), (), {1: MIN})
    assert project(statuses, AuditType.INITIAL).outcome == Outcome.FAVORABLE_WITH_MINORS
    # Even when told an audit was held, an initial audit does not requalify.
    forced = project(statuses, AuditType.INITIAL, held_audit=dt.date(2025, 1, 10))
    assert forced.outcome == Outcome.FAVORABLE_WITH_MINORS and [m.status.number for m in forced.minors] == [1]
    later = project(statuses, AuditType.SURVEILLANCE, held_audit=dt.date(2025, 1, 10))
    assert later.outcome == Outcome.BLOCKED_BY_MAJOR
    assert "requalifiée" in later.majors[0].reason and "10/01/2025" in later.majors[0].reason
    assert project(statuses, AuditType.SURVEILLANCE).outcome == Outcome.FAVORABLE_WITH_MINORS


@pytest.mark.parametrize(
    ("audit_type", "previous_date", "audit_date", "today", "requalified"),
    [
        # Initial audit: no certifier audit before it, whatever the dates.
        (AuditType.INITIAL, dt.date(2025, 1, 10), AUDIT, TODAY, False),
        (AuditType.INITIAL, dt.date(2025, 1, 10), AUDIT, dt.date(2027, 1, 1), False),
        # Two missions preparing the same audit (same date): no audit in between.
        (AuditType.SURVEILLANCE, AUDIT, AUDIT, TODAY, False),
        # The previous mission prepared an audit that was postponed and is not held yet.
        (AuditType.SURVEILLANCE, dt.date(2026, 4, 1), AUDIT, TODAY, False),
        # The earlier audit takes place on the analysis day: not past yet.
        (AuditType.SURVEILLANCE, TODAY, AUDIT, TODAY, False),
        # The previous mission prepared a later audit than this one: not "the next audit".
        (AuditType.SURVEILLANCE, dt.date(2026, 9, 1), AUDIT, dt.date(2026, 10, 1), False),
        # Surveillance after an audit already held: the minor was not lifted, it becomes major.
        (AuditType.SURVEILLANCE, dt.date(2025, 1, 10), AUDIT, TODAY, True),
        (AuditType.RENOUVELLEMENT, dt.date(2025, 1, 10), AUDIT, TODAY, True),
        # Analysis made after the current audit: the earlier one is past too.
        (AuditType.SURVEILLANCE, dt.date(2025, 1, 10), AUDIT, dt.date(2026, 7, 1), True),
    ],
    ids=["initial", "initial-even-later", "same-audit", "postponed-not-held", "held-today",
         "previous-prepared-later-audit", "surveillance-after-held-audit", "renewal-after-held-audit",
         "analysed-after-both"],
)
def test_repeated_minor_requalified_only_after_a_held_audit(ref2019, audit_type, previous_date, audit_date,
                                                            today, requalified):
    prev = PreviousMission("m0", previous_date, ref2019.id, all_conforme({1: MIN}))
    held = held_audit_between(prev, audit_date, audit_type, today)
    assert (held is not None) == requalified
    if requalified:
        assert held == previous_date
    p = run(ref2019, AF, all_conforme({1: MIN}), audit_type=audit_type, previous=prev, audit_date=audit_date,
            today=today).projection
    assert p.level_of(1) == (MAJ if requalified else MIN)
    assert p.outcome == (Outcome.BLOCKED_BY_MAJOR if requalified else Outcome.FAVORABLE_WITH_MINORS)


def test_no_previous_mission_means_no_held_audit():
    assert held_audit_between(None, AUDIT, AuditType.SURVEILLANCE, TODAY) is None


def test_projection_summary_is_french_and_mentions_deadlines(ref2019):
    p = run(ref2019, AF, {4: MAJ, 1: C}).projection
    assert "3 mois" in p.summary and "refusée" in p.summary
    assert "Projection partielle" in p.summary and p.unevaluated == 20
    s = run(ref2019, AF, all_conforme({4: MAJ}), audit_type=AuditType.SURVEILLANCE).projection.summary
    assert "suspendu" in s
    five = run(ref2019, AF, all_conforme({1: MIN, 2: MIN, 8: MIN, 9: MIN, 12: MIN})).projection.summary
    assert "valent une NC majeure" in five and "6 mois" in five


def test_wholly_deferred_follows_the_referential_data(ref2019, ref2026):
    for ref in (ref2019, ref2026):
        # V9 preamble: every adapted indicator has its formalisation checked at the initial
        # audit, so none is wholly deferred (22 and 32 were, wrongly, before issue 10).
        assert [i.number for i in ref.indicators if wholly_deferred(i)] == []


# -- risks ------------------------------------------------------------------------------------


def ev(ref, number, day, label="preuve"):
    return Evidence(mission_id="m", indicator_id=ref.indicator(number).id, label=label, represents_date=day)


@pytest.mark.parametrize(
    ("evidence_dates", "stale"),
    [
        ([add_months(AUDIT, -11)], False),
        ([add_months(AUDIT, -13)], True),
        ([add_months(AUDIT, -13), add_months(AUDIT, -2)], False),
        ([None], True),
        # Conforme with no evidence at all: nothing shows recent proof.
        ([], True),
    ],
    ids=["recent", "older-than-12-months", "newest-counts", "undated", "no-evidence"],
)
def test_stale_evidence(ref2019, evidence_dates, stale):
    evidence = [ev(ref2019, 30, d) for d in evidence_dates]
    a = run(ref2019, AF, all_conforme(), evidence=evidence, max_age={30: 12})
    flags = [f for f in a.risks if f.kind == RiskKind.STALE_EVIDENCE]
    assert bool(flags) == stale
    if stale:
        assert flags[0].status.number == 30


@pytest.mark.parametrize(
    ("verdict", "flagged"),
    [(C, True), (MIN, True), (MAJ, True), (NE, False), (NA, False)],
    ids=["conforme", "nc-mineure", "nc-majeure", "non-evalue", "declared-na"],
)
def test_missing_evidence_on_evaluated_recent_proof_indicator(ref2019, verdict, flagged):
    """A result/watch indicator evaluated with no evidence at all is a stale-evidence risk."""
    a = run(ref2019, AF, all_conforme({30: verdict, 2: C}), evidence=[ev(ref2019, 2, add_months(AUDIT, -1))],
            max_age={2: 12, 30: 12})
    flags = {f.status.number: f for f in a.risks if f.kind == RiskKind.STALE_EVIDENCE}
    assert 2 not in flags  # recent evidence recorded
    assert (30 in flags) == flagged
    if flagged:
        assert flags[30].message.startswith("Aucune preuve datée relevée")
        assert "12 mois" in flags[30].message


def test_missing_evidence_not_flagged_when_not_applicable(ref2019):
    """Indicator 3 (certifying only) is out of a plain AF scope: no stale-evidence risk on it."""
    a = run(ref2019, AF, all_conforme({3: C}), max_age={3: 12})
    assert not [f for f in a.risks if f.kind == RiskKind.STALE_EVIDENCE]


def test_stale_only_for_listed_indicators(ref2019):
    evidence = [ev(ref2019, 5, add_months(AUDIT, -30)), ev(ref2019, 30, add_months(AUDIT, -2))]
    a = run(ref2019, AF, all_conforme(), evidence=evidence, max_age={30: 12})
    assert not [f for f in a.risks if f.kind == RiskKind.STALE_EVIDENCE]
    # Unlisted indicators are not flagged even with no evidence at all.
    a = run(ref2019, AF, all_conforme(), max_age={30: 12})
    assert [f.status.number for f in a.risks if f.kind == RiskKind.STALE_EVIDENCE] == [30]


def test_risk_flags_frequent_unevaluated_recurring(ref2019):
    prev = PreviousMission("m0", dt.date(2025, 1, 10), ref2019.id, all_conforme({8: MIN}))
    a = run(ref2019, AF, {1: C, 8: MIN}, previous=prev)
    kinds = {(f.kind, f.status.number) for f in a.risks}
    frequent = {i.number for i in ref2019.indicators if i.audit_risk and i.number in AF_PLAIN}
    assert {n for k, n in kinds if k == RiskKind.FREQUENT_NC} == frequent
    assert 30 in frequent
    assert {n for k, n in kinds if k == RiskKind.NOT_EVALUATED} == set(AF_PLAIN) - {1, 8}
    assert {n for k, n in kinds if k == RiskKind.RECURRING_NC} == {8}


# -- progress ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [(MIN, C, Trend.IMPROVED), (MAJ, MIN, Trend.IMPROVED), (C, MAJ, Trend.DEGRADED), (MIN, MIN, Trend.STABLE),
     (None, C, Trend.NOT_COMPARABLE), (NE, C, Trend.NOT_COMPARABLE)],
)
def test_trend(before, after, expected):
    assert trend(before, after) == expected


def test_progress_against_previous_mission(ref2019):
    prev = PreviousMission("m0", dt.date(2025, 1, 10), ref2019.id,
                           all_conforme({1: MIN, 4: MAJ, 5: C, 30: NE}))
    a = run(ref2019, AF, all_conforme({4: MAJ, 5: MIN}), previous=prev)
    pr = a.progress
    assert pr is not None
    assert [i.status.number for i in pr.lifted] == [1]
    assert [i.status.number for i in pr.still_nc] == [4]
    assert [i.status.number for i in pr.new_nc] == [5]
    assert pr.before.readiness == pytest.approx(19 / 22)
    assert pr.after.readiness == pytest.approx(20 / 22)
    assert pr.readiness_delta == pytest.approx(1 / 22)
    assert run(ref2019, AF, {}).progress is None


# -- surveillance -----------------------------------------------------------------------------


def test_surveillance_minimum_scope_and_previous_ncs(ref2019):
    statuses = indicator_statuses(evaluate(ref2019, AF), answers_for(ref2019, all_conforme()), (), {8: MIN})
    items = {i.status.number: i for i in surveillance_scope(statuses)}
    minimum = {i.number for i in ref2019.indicators if i.surveillance_minimum and i.number in AF_PLAIN}
    assert set(items) == minimum | {8}
    assert any("NC lors de la mission précédente" in r for r in items[8].reasons)
    assert 9 not in items  # graded, not in the minimum scope, no previous NC
    assert {1, 4, 5, 6, 10, 11, 17, 19, 21, 22, 26, 31, 32} <= set(items)
    everything = surveillance_scope(statuses, former_new_entrant=True)
    assert {i.status.number for i in everything} == set(AF_PLAIN)


def test_surveillance_scope_flags_uncertain_rule(ref2026):
    statuses = indicator_statuses(evaluate(ref2026, CFA), answers_for(ref2026, {}))
    item = {i.status.number: i for i in surveillance_scope(statuses)}[33]
    assert not item.certain and "incertaine" in item.reasons[0]


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [(dt.date(2026, 3, 31), -1, dt.date(2026, 2, 28)), (dt.date(2026, 1, 15), -12, dt.date(2025, 1, 15)),
     (dt.date(2026, 11, 30), 3, dt.date(2027, 2, 28)), (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28))],
)
def test_add_months(day, months, expected):
    assert add_months(day, months) == expected


def test_conditions_change_applicability_in_counts(ref2019):
    certifying = Scope(categories=frozenset({Category.AF}), conditions=frozenset({Condition.CERTIFYING}))
    assert run(ref2019, certifying, {}).counts.applicable == 22 + 3  # 3, 7 and 16
