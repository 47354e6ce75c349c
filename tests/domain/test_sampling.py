"""The stratified sampler: reproducible, covers every stratum value when the size allows, refuses
bad periods and sizes, and documents its default size as a heuristic."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from workbench.core.errors import UsageError
from workbench.core.vocab import Category
from workbench.domain.sampling import (
    SIZE_RULE,
    Period,
    Sample,
    default_size,
    draw_sample,
    parse_period,
    stratum_values,
)
from workbench.domain.sessions import Funding, Modality, Session

SITES = ["Lyon", "Grenoble", "Annecy", "Valence"]
TRAINERS = ["Ada", "Blaise", "Chloé", "Driss", "Emma", "Farid"]


def population(n: int, seed: int = 0) -> list[Session]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        start = dt.date(2026, 1, 1) + dt.timedelta(days=7 * i)
        out.append(Session(
            client_id="c", reference=f"S{i:03d}", title=f"Session {i}",
            category=rng.choice(list(Category)), start=start, end=start + dt.timedelta(days=rng.randint(0, 3)),
            site=rng.choice(SITES), trainers=tuple(rng.sample(TRAINERS, k=rng.randint(1, 2))),
            funding=tuple(rng.sample(list(Funding), k=rng.randint(1, 2))), certifying=rng.random() < 0.3,
            subcontracted=rng.random() < 0.15, modality=rng.choice(list(Modality))))
    return out


def all_values(sessions: list[Session]) -> set[tuple[str, str]]:
    return set().union(*(stratum_values(s) for s in sessions))


def covered(sample: Sample, sessions: list[Session]) -> set[tuple[str, str]]:
    chosen = [s for s in sessions if s.reference in sample.references]
    return all_values(chosen)


@pytest.mark.parametrize(("n", "pop_seed", "seed"), [(8, 1, 0), (30, 2, 7), (60, 3, 42), (200, 4, 2026)])
def test_same_seed_same_sample_whatever_the_input_order(n, pop_seed, seed):
    sessions = population(n, pop_seed)
    first = draw_sample(sessions, seed=seed)
    shuffled = list(reversed(sessions))
    random.Random(99).shuffle(shuffled)
    assert draw_sample(shuffled, seed=seed) == first
    assert draw_sample(sessions, seed=seed, size=5).references == draw_sample(shuffled, seed=seed, size=5).references


def test_another_seed_gives_another_sample():
    sessions = population(80, 5)
    drawn = {draw_sample(sessions, seed=s, size=10).references for s in range(8)}
    assert len(drawn) > 1


@pytest.mark.parametrize(("n", "pop_seed", "seed"), [(10, 11, 1), (25, 12, 2), (40, 13, 3), (120, 14, 4), (300, 15, 5)])
def test_covers_every_stratum_value_present_when_the_size_allows(n, pop_seed, seed):
    sessions = population(n, pop_seed)
    present = all_values(sessions)
    # one file per value is always enough, and the default size is raised to the cover
    for size in (None, min(n, len(present))):
        sample = draw_sample(sessions, seed=seed, size=size)
        assert covered(sample, sessions) == present
        assert sample.uncovered == {}
        assert {(st, v) for st, vals in sample.coverage.items() for v in vals} == present
        assert sample.size >= sample.cover_size or sample.size == n


def test_too_small_a_sample_says_what_is_not_covered():
    sessions = population(60, 21)
    sample = draw_sample(sessions, seed=3, size=2)
    assert sample.size == 2
    missing = {(st, v) for st, vals in sample.uncovered.items() for v in vals}
    assert missing == all_values(sessions) - covered(sample, sessions)
    assert missing
    assert "non couverte" in sample.describe()


@pytest.mark.parametrize(("population_size", "cover", "expected"), [
    (1, 1, 1), (3, 2, 3), (5, 3, 5), (9, 4, 5), (26, 4, 6), (36, 6, 6), (100, 7, 10), (100, 14, 14),
    (400, 9, 20), (12, 20, 12),
])
def test_default_size_heuristic(population_size, cover, expected):
    assert default_size(population_size, cover) == expected


def test_default_size_is_documented_as_a_heuristic():
    assert "heuristique" in SIZE_RULE and "aucune règle officielle" in SIZE_RULE


def test_size_larger_than_the_population_takes_everything():
    sessions = population(7, 31)
    sample = draw_sample(sessions, seed=1, size=50)
    assert sorted(sample.references) == sorted(s.reference for s in sessions)


@pytest.mark.parametrize("size", [0, -3])
def test_refuses_a_bad_size(size):
    with pytest.raises(UsageError, match="Taille d'échantillon invalide"):
        draw_sample(population(5), seed=1, size=size)


@pytest.mark.parametrize(("raw", "message"), [
    ("2026-06-30..2026-01-01", "le début .* est après la fin"),
    ("2026-01-01", "format attendu"),
    ("2026-13-01..2026-12-31", "n'est pas une date"),
    ("hier..demain", "n'est pas une date"),
    ("..2026-12-31", "n'est pas une date"),
    ("", "format attendu"),
])
def test_refuses_a_bad_period(raw, message):
    with pytest.raises(UsageError, match=message):
        parse_period(raw)


@pytest.mark.parametrize(("raw", "start", "end"), [
    ("2026-01-01..2026-03-31", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    ("01/01/2026..31/03/2026", dt.date(2026, 1, 1), dt.date(2026, 3, 31)),
    (" 2026-05-01 .. 2026-05-01 ", dt.date(2026, 5, 1), dt.date(2026, 5, 1)),
])
def test_parses_a_period(raw, start, end):
    assert parse_period(raw) == Period(start, end)


def test_period_keeps_overlapping_sessions_only():
    sessions = population(20, 41)
    period = parse_period("2026-02-01..2026-03-15")
    sample = draw_sample(sessions, seed=5, size=100, period=period)
    inside = {s.reference for s in sessions if s.start <= period.end and s.last_day >= period.start}
    assert set(sample.references) == inside
    assert sample.population == len(inside)
    assert "du 01/02/2026 au 15/03/2026" in sample.describe()


def test_empty_period_is_refused():
    with pytest.raises(UsageError, match="Aucune session du 01/01/2020 au 31/12/2020"):
        draw_sample(population(10), seed=1, period=parse_period("2020-01-01..2020-12-31"))


def test_sample_survives_its_stored_form():
    sample = draw_sample(population(30, 51), seed=8, period=parse_period("2026-01-01..2026-12-31"))
    assert Sample.from_dict(sample.to_dict()) == sample
