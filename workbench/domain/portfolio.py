"""The consultant's portfolio: where each client stands in its certification cycle, and what recurs.

Pure functions of profiles, missions, analyses and ``today``. The certification cycle (see
``shared/docs/lifecycle-facts.md`` §2): the surveillance audit falls between months 14 and 22 after
the certificate date; the renewal audit must come early enough to lift a major NC (3 months) before
the certificate expires at 36 months, hence a renewal deadline three months before expiry.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from workbench.core.dates import add_months
from workbench.core.vocab import ActionStatus, Category, Verdict
from workbench.domain.profile import Certification
from workbench.domain.records import Action

DUE_SOON_DAYS = 90
RENEWAL_MARGIN_MONTHS = 3
RENEWAL_UNCERTAIN = ("échéance de renouvellement estimée : 3 mois avant l'expiration du certificat, "
                     "pour laisser le temps de lever une NC majeure ; la date réelle est fixée avec le certificateur")


@dataclass(frozen=True)
class CycleStep:
    """The next step of a client's certification cycle."""

    kind: str
    """"surveillance", "renouvellement" or "initial" (not certified yet)."""
    label: str
    start: dt.date | None
    deadline: dt.date | None
    days_left: int | None
    uncertain: str = ""


def cycle_step(cert: Certification, today: dt.date) -> CycleStep:
    """Surveillance window while it is still ahead or open, otherwise the renewal deadline."""
    if not cert.certified or not cert.certificate_date:
        return CycleStep("initial", "Audit initial (pas encore certifié)", None, None, None)
    window = cert.surveillance_window()
    if window and window[1] >= today:
        start, end = window
        return CycleStep("surveillance", "Fenêtre de surveillance (mois 14 à 22)", start, end, (end - today).days)
    expiry = cert.expiry()
    assert expiry is not None
    # Past deadlines stay past (negative days left): the records show no renewal yet.
    deadline = add_months(expiry + dt.timedelta(days=1), -RENEWAL_MARGIN_MONTHS)
    return CycleStep("renouvellement", "Renouvellement (avant expiration)", None, deadline,
                     (deadline - today).days, RENEWAL_UNCERTAIN)


def overdue_actions(actions: Iterable[Action], today: dt.date) -> int:
    """Open actions (to do, in progress) past their due date."""
    return sum(a.status in (ActionStatus.A_FAIRE, ActionStatus.EN_COURS) and a.due_date is not None
               and a.due_date < today for a in actions)


@dataclass(frozen=True)
class ClientGap:
    """One indicator a client fails (NC or not yet evaluated), for the portfolio's frequency table."""

    referential_id: str
    indicator_id: str
    number: int
    criterion: int
    title: str
    verdict: Verdict


@dataclass(frozen=True)
class FileReview:
    """A client's latest session-file review, as the portfolio shows it."""

    mission_id: str
    sessions: int
    """Sessions known for the client (all of them, not only the sample)."""
    sampled: int
    reviewed: int
    complete: int
    incomplete: int
    missing_items: int
    """Checklist items found missing, over every sampled file."""
    finished: bool
    last_review: dt.date | None


def file_review(summary: Mapping[str, Any] | None) -> FileReview | None:
    """The review of a client from its plain summary (``services.sessions.session_review_summary``);
    None when no sample was drawn."""
    if not summary or not summary.get("mission_id"):
        return None
    last = summary.get("last_review")
    return FileReview(summary["mission_id"], int(summary.get("sessions", 0)), int(summary.get("sample_size", 0)),
                      int(summary.get("reviewed", 0)), int(summary.get("complete", 0)),
                      int(summary.get("incomplete", 0)), int(summary.get("missing_items", 0)),
                      bool(summary.get("finished")), dt.date.fromisoformat(last) if last else None)


@dataclass(frozen=True)
class PortfolioRow:
    client_id: str
    name: str
    consultant: str
    categories: tuple[Category, ...]
    mission_id: str | None
    referential_id: str | None
    readiness: float | None
    coverage: float | None
    nc_major: int
    nc_minor: int
    overdue: int
    open_actions: int
    next_audit: dt.date | None
    next_audit_type: str
    next_audit_days: int | None
    cycle: CycleStep
    gaps: tuple[ClientGap, ...] = field(default=())
    error: str = ""
    """Why the client's mission could not be analysed (the row then has no scores)."""
    files: FileReview | None = None
    """The latest session-file review (None: no sample drawn)."""
    files_error: str = ""
    """Why the session-file review could not be read (the rest of the row stands)."""


def days_until(day: dt.date | None, today: dt.date) -> int | None:
    return None if day is None else (day - today).days


class _HasConsultant(Protocol):
    @property
    def consultant(self) -> str: ...


_R = TypeVar("_R", bound=_HasConsultant)


def filter_consultant(rows: Sequence[_R], consultant: str | None) -> list[_R]:
    """The rows (clients or prospects) of one consultant, case and spaces ignored."""
    if not consultant:
        return list(rows)
    wanted = consultant.strip().casefold()
    return [r for r in rows if r.consultant.strip().casefold() == wanted]


def audits_due(rows: Sequence[PortfolioRow], today: dt.date, days: int = DUE_SOON_DAYS) -> list[PortfolioRow]:
    """Clients whose next audit falls within ``days`` from today, soonest first."""
    horizon = today + dt.timedelta(days=days)
    due = [r for r in rows if r.next_audit is not None and today <= r.next_audit <= horizon]
    return sorted(due, key=lambda r: (r.next_audit, r.client_id))


@dataclass(frozen=True)
class GapFrequency:
    referential_id: str
    number: int
    criterion: int
    title: str
    clients: int
    majors: int
    minors: int
    unevaluated: int
    share: float
    """Share of the clients on that referential that fail this indicator."""


def frequent_gaps(rows: Sequence[PortfolioRow], category: Category | None = None,
                  limit: int = 10) -> list[GapFrequency]:
    """Indicators failed by the most clients (optionally among clients of one action category)."""
    chosen = [r for r in rows if category is None or category in r.categories]
    per_ref = Counter(r.referential_id for r in chosen if r.referential_id)
    seen: dict[tuple[str, str], ClientGap] = {}
    counts: dict[tuple[str, str], Counter[Verdict]] = {}
    for row in chosen:
        for gap in row.gaps:
            key = (gap.referential_id, gap.indicator_id)
            seen.setdefault(key, gap)
            counts.setdefault(key, Counter())[gap.verdict] += 1
    out = [GapFrequency(g.referential_id, g.number, g.criterion, g.title, sum(counts[k].values()),
                        counts[k][Verdict.NC_MAJEURE], counts[k][Verdict.NC_MINEURE], counts[k][Verdict.NON_EVALUE],
                        sum(counts[k].values()) / per_ref[g.referential_id]) for k, g in seen.items()]
    out.sort(key=lambda f: (-f.clients, -f.majors, f.referential_id, f.number))
    return out[:limit]


@dataclass(frozen=True)
class ConsultantSummary:
    consultant: str
    clients: int
    readiness: float | None
    nc_major: int
    nc_minor: int
    overdue: int
    due_soon: int


def by_consultant(rows: Sequence[PortfolioRow], today: dt.date) -> list[ConsultantSummary]:
    groups: dict[str, list[PortfolioRow]] = {}
    for r in rows:
        groups.setdefault(r.consultant, []).append(r)
    soon = {r.client_id for r in audits_due(rows, today)}
    out = []
    for name, group in sorted(groups.items()):
        scored = [r.readiness for r in group if r.readiness is not None]
        out.append(ConsultantSummary(name, len(group), sum(scored) / len(scored) if scored else None,
                                     sum(r.nc_major for r in group), sum(r.nc_minor for r in group),
                                     sum(r.overdue for r in group), sum(r.client_id in soon for r in group)))
    return out


def audits_by_month(rows: Sequence[PortfolioRow], today: dt.date, months: int = 12) -> list[tuple[dt.date, int]]:
    """Number of next audits in each of the coming months (first day of the month, count)."""
    first = today.replace(day=1)
    buckets = [add_months(first, i) for i in range(months)]
    counts = Counter(r.next_audit.replace(day=1) for r in rows if r.next_audit is not None and r.next_audit >= today)
    return [(b, counts.get(b, 0)) for b in buckets]


@dataclass(frozen=True)
class FileReviewTotals:
    """The « Revue des dossiers » line of the portfolio: every client's latest review added up."""

    clients: int
    """Clients with a sample drawn."""
    without_sample: int
    sampled: int
    reviewed: int
    complete: int
    incomplete: int
    missing_items: int
    finished: int
    """Clients whose review is finished (every applicable item of every sampled file has a status)."""


def file_review_totals(rows: Sequence[PortfolioRow]) -> FileReviewTotals:
    reviews = [r.files for r in rows if r.files is not None]
    return FileReviewTotals(len(reviews), len(rows) - len(reviews), sum(f.sampled for f in reviews),
                            sum(f.reviewed for f in reviews), sum(f.complete for f in reviews),
                            sum(f.incomplete for f in reviews), sum(f.missing_items for f in reviews),
                            sum(f.finished for f in reviews))


@dataclass(frozen=True)
class ProspectRow:
    """A prospect (not a certified client): shown apart, with its latest opportunity verdict."""

    client_id: str
    name: str
    consultant: str
    verdict: str | None
    """``strategic_now``, ``anticipate``, ``not_priority``, or None when not assessed yet."""
    verdict_label: str | None
    assessed_on: dt.date | None
    support_label: str | None
    revenue_at_stake: int | None


def prospects_by_verdict(prospects: Sequence[ProspectRow]) -> list[tuple[str, int]]:
    """How many prospects per verdict label (« non évalué » last), most frequent first."""
    counts = Counter(p.verdict_label or "non évalué" for p in prospects)
    return sorted(counts.items(), key=lambda kv: (kv[0] == "non évalué", -kv[1], kv[0]))
