"""Pure portfolio functions: certification cycle, overdue actions, frequent gaps, audits due."""

from __future__ import annotations

import datetime as dt

import pytest

from workbench.core.vocab import ActionStatus, Category, Verdict
from workbench.domain.portfolio import (
    ClientGap,
    CycleStep,
    PortfolioRow,
    ProspectRow,
    audits_by_month,
    audits_due,
    by_consultant,
    cycle_step,
    file_review,
    file_review_totals,
    filter_consultant,
    frequent_gaps,
    overdue_actions,
    prospects_by_verdict,
)
from workbench.domain.profile import Certification
from workbench.domain.records import Action

TODAY = dt.date(2026, 11, 27)


@pytest.mark.parametrize(("certificate", "kind", "start", "deadline"), [
    (None, "initial", None, None),
    (dt.date(2025, 11, 27), "surveillance", dt.date(2027, 1, 27), dt.date(2027, 9, 27)),
    (dt.date(2025, 1, 27), "surveillance", dt.date(2026, 3, 27), dt.date(2026, 11, 27)),  # last day of window
    (dt.date(2025, 1, 26), "renouvellement", None, dt.date(2027, 10, 26)),  # expiry 25/01/2028 - 3 months
    (dt.date(2023, 1, 10), "renouvellement", None, dt.date(2025, 10, 10)),  # past: negative days left
])
def test_cycle_step(certificate, kind, start, deadline):
    cert = Certification(certified=True, certificate_date=certificate) if certificate else Certification()
    step = cycle_step(cert, TODAY)
    assert (step.kind, step.start, step.deadline) == (kind, start, deadline)
    assert step.days_left == (None if deadline is None else (deadline - TODAY).days)
    assert bool(step.uncertain) == (kind == "renouvellement")


def test_overdue_actions_counts_open_actions_past_due():
    def action(status, due):
        return Action(mission_id="m", indicator_id="i", title="t", status=status, due_date=due)

    actions = [action(ActionStatus.A_FAIRE, TODAY - dt.timedelta(days=1)),
               action(ActionStatus.EN_COURS, TODAY - dt.timedelta(days=30)),
               action(ActionStatus.FAIT, TODAY - dt.timedelta(days=30)),
               action(ActionStatus.ABANDONNE, TODAY - dt.timedelta(days=30)),
               action(ActionStatus.A_FAIRE, TODAY), action(ActionStatus.A_FAIRE, None)]
    assert overdue_actions(actions, TODAY) == 2


def _row(cid, consultant, categories, gaps, next_audit=None, readiness=0.5):
    step = CycleStep("initial", "", None, None, None)
    return PortfolioRow(cid, cid, consultant, tuple(categories), f"{cid}-m1", "rnq-2026", readiness, 1.0,
                        sum(g[1] == Verdict.NC_MAJEURE for g in gaps), sum(g[1] == Verdict.NC_MINEURE for g in gaps),
                        0, 0, next_audit, "Audit initial", None, step,
                        tuple(ClientGap("rnq-2026", f"rnq-2026:ind:{n:02d}", n, 1, f"Ind {n}", v) for n, v in gaps))


def test_frequent_gaps_overall_and_by_category():
    rows = [_row("a", "Alice", [Category.AF], [(4, Verdict.NC_MAJEURE), (8, Verdict.NC_MINEURE)]),
            _row("b", "Alice", [Category.AF, Category.BC], [(4, Verdict.NC_MINEURE)]),
            _row("c", "Bruno", [Category.BC], [(8, Verdict.NON_EVALUE), (12, Verdict.NC_MINEURE)])]
    top = frequent_gaps(rows)
    assert [(g.number, g.clients, g.majors, g.minors, g.unevaluated) for g in top[:2]] == \
        [(4, 2, 1, 1, 0), (8, 2, 0, 1, 1)]
    assert top[0].share == pytest.approx(2 / 3)
    bc = frequent_gaps(rows, Category.BC)
    assert [(g.number, g.clients) for g in bc] == [(4, 1), (8, 1), (12, 1)]
    assert bc[0].share == pytest.approx(1 / 2)


def test_audits_due_filters_and_months():
    rows = [_row("a", "Alice", [Category.AF], [], TODAY + dt.timedelta(days=90)),
            _row("b", "Bruno", [Category.AF], [], TODAY + dt.timedelta(days=91)),
            _row("c", "alice ", [Category.AF], [], TODAY + dt.timedelta(days=5)),
            _row("d", "Alice", [Category.AF], [], TODAY - dt.timedelta(days=1))]
    assert [r.client_id for r in audits_due(rows, TODAY)] == ["c", "a"]
    assert [r.client_id for r in filter_consultant(rows, "ALICE")] == ["a", "c", "d"]
    months = audits_by_month(rows, TODAY, months=4)
    assert months[0] == (dt.date(2026, 11, 1), 0) and months[1] == (dt.date(2026, 12, 1), 1)
    assert sum(n for _, n in months) == 3
    summary = {s.consultant: s for s in by_consultant(rows, TODAY)}
    assert summary["Alice"].clients == 2 and summary["Alice"].due_soon == 1


def _summary(mission_id, sample, reviewed, complete, missing_per_file, last=None, finished=False):
    """A ``session_review_summary``-shaped dict (plain data, as the service gives it)."""
    return {"client_id": "x", "sessions": 20, "mission_id": mission_id, "sample_size": sample,
            "reviewed": reviewed, "complete": complete, "incomplete": sum(1 for n in missing_per_file if n),
            "missing_items": sum(missing_per_file), "finished": finished, "last_review": last}


@pytest.mark.parametrize(("summary", "expected"), [
    (None, None),
    ({"client_id": "x", "sessions": 12, "mission_id": None, "sample_size": 0}, None),  # sessions, no sample
    (_summary("x-m1", 4, 2, 1, [0, 3]), ("x-m1", 20, 4, 2, 1, 1, 3, False, None)),
    (_summary("x-m2", 5, 5, 3, [1, 1, 0, 0, 0], "2026-11-20", True),
     ("x-m2", 20, 5, 5, 3, 2, 2, True, dt.date(2026, 11, 20))),
])
def test_file_review_from_the_plain_summary(summary, expected):
    review = file_review(summary)
    assert (None if review is None else (review.mission_id, review.sessions, review.sampled, review.reviewed,
                                         review.complete, review.incomplete, review.missing_items, review.finished,
                                         review.last_review)) == expected


def test_file_review_totals_count_clients_without_sample():
    from dataclasses import replace

    rows = [replace(_row("a", "Alice", [Category.AF], []), files=file_review(_summary("a-m1", 4, 4, 2, [1, 2, 0, 0],
                                                                                      "2026-11-01", True))),
            replace(_row("b", "Bruno", [Category.AF], []), files=file_review(_summary("b-m1", 6, 1, 0, [2]))),
            _row("c", "Bruno", [Category.AF], [])]
    totals = file_review_totals(rows)
    assert (totals.clients, totals.without_sample, totals.sampled, totals.reviewed, totals.complete,
            totals.incomplete, totals.missing_items, totals.finished) == (2, 1, 10, 5, 2, 3, 5, 1)
    assert file_review_totals([]).clients == 0


def test_prospects_by_verdict_and_consultant_filter():
    def prospect(cid, consultant, label):
        return ProspectRow(cid, cid, consultant, label and "v", label, None, None, None)

    prospects = [prospect("a", "Alice", "À anticiper"), prospect("b", "bruno", None),
                 prospect("c", "Bruno ", "Pas prioritaire"), prospect("d", "Alice", "À anticiper")]
    assert prospects_by_verdict(prospects) == [("À anticiper", 2), ("Pas prioritaire", 1), ("non évalué", 1)]
    assert [p.client_id for p in filter_consultant(prospects, "BRUNO")] == ["b", "c"]
