"""Drawing a sample of session files as an auditor would: reproducible and stratified.

Pure functions: no store, no clock. The same sessions, size, seed and period always give the same
sample (the order of the input does not matter: sessions are sorted by reference first).

How a sample is drawn (:func:`draw_sample`):

1. keep the sessions of the period, if one is given: a session belongs to the period when it
   overlaps it (it starts on or before the last day and ends on or after the first day);
2. list every *stratum value* present: each action category, site, trainer and funder, and
   certifying / not certifying, subcontracted / not subcontracted (:data:`STRATA`);
3. cover them: repeatedly take the session that covers the most values not yet covered, ties
   broken by a shuffle seeded with ``seed``; so every value present is covered as soon as the size
   allows it (at most one session per value is ever needed);
4. fill the remaining places at random (same seeded generator) among the sessions left.

**Default size: a heuristic of this project, not a rule.** No official text says how many session
files an auditor samples. The default is ``max(5, ⌈√N⌉)`` files for N sessions, raised to the
number of files needed to cover every stratum value, and never more than N. The square root echoes
the multi-site sampling rule (√n sites) and keeps large populations reviewable.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from workbench.core.errors import UsageError
from workbench.domain.sessions import Session

STRATA: tuple[tuple[str, str], ...] = (
    ("category", "Catégorie"),
    ("site", "Site"),
    ("trainer", "Formateur"),
    ("funder", "Financement"),
    ("certifying", "Certifiante"),
    ("subcontracted", "Sous-traitée"),
)
STRATUM_LABELS = dict(STRATA)
MIN_DEFAULT_SIZE = 5
SIZE_RULE = (
    "Taille par défaut (heuristique du projet, aucune règle officielle) : max(5, racine carrée du "
    "nombre de sessions arrondie au-dessus), portée au nombre de dossiers nécessaires pour couvrir "
    "chaque strate, sans dépasser le nombre de sessions."
)


def stratum_values(session: Session) -> set[tuple[str, str]]:
    """The (stratum, value) pairs a session represents; trainers and funders may be several."""
    values = {("category", session.category.value),
              ("certifying", "oui" if session.certifying else "non"),
              ("subcontracted", "oui" if session.subcontracted else "non")}
    if session.site:
        values.add(("site", session.site))
    values |= {("trainer", t) for t in session.trainers}
    values |= {("funder", f.label) for f in session.funding}
    return values


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date

    def contains(self, session: Session) -> bool:
        return session.start <= self.end and session.last_day >= self.start

    def describe(self) -> str:
        return f"du {self.start:%d/%m/%Y} au {self.end:%d/%m/%Y}"

    def as_text(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse_period(raw: str) -> Period:
    """``AAAA-MM-JJ..AAAA-MM-JJ`` (either side may be JJ/MM/AAAA); a French error otherwise."""
    first, sep, last = raw.strip().partition("..")
    if not sep:
        raise UsageError(f"Période invalide : « {raw} » (format attendu : AAAA-MM-JJ..AAAA-MM-JJ).")
    days = []
    for part in (first, last):
        text = part.strip()
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                days.append(dt.datetime.strptime(text, fmt).date())
                break
            except ValueError:
                continue
        else:
            raise UsageError(f"Période invalide : « {text or '(vide)'} » n'est pas une date "
                             "(format attendu : AAAA-MM-JJ..AAAA-MM-JJ).")
    if days[0] > days[1]:
        raise UsageError(f"Période invalide : le début ({days[0]:%d/%m/%Y}) est après la fin "
                         f"({days[1]:%d/%m/%Y}).")
    return Period(days[0], days[1])


@dataclass(frozen=True)
class Sample:
    references: tuple[str, ...]
    """Drawn sessions, in drawing order (the covering ones first)."""
    seed: int
    size: int
    requested_size: int | None
    default_size: int
    population: int
    period: Period | None
    coverage: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    """stratum → value → sampled references representing it."""
    uncovered: dict[str, list[str]] = field(default_factory=dict)
    """stratum → values present in the population but in no sampled file (size too small)."""
    cover_size: int = 0
    """Files needed to cover every stratum value with this seed."""

    def describe(self) -> str:
        """How the sample was drawn, in French (for the report and the CLI)."""
        where = f" {self.period.describe()}" if self.period else ""
        how = (f"{self.size} dossier(s) tiré(s) parmi {self.population} session(s){where}, graine {self.seed}"
               f" (même graine, même échantillon). ")
        if self.requested_size is None:
            how += f"Taille par défaut : {self.default_size}. "
        else:
            how += f"Taille demandée : {self.requested_size}. "
        how += ("Tirage stratifié : chaque catégorie, site, formateur, financement, session certifiante ou "
                "non, sous-traitée ou non est représenté(e) avant le complément au hasard.")
        if self.uncovered:
            missing = sum(len(v) for v in self.uncovered.values())
            how += (f" {missing} valeur(s) de strate non couverte(s) faute de place "
                    f"(il faudrait {self.cover_size} dossiers).")
        return how

    def to_dict(self) -> dict:
        return {
            "references": list(self.references), "seed": self.seed, "size": self.size,
            "requested_size": self.requested_size, "default_size": self.default_size,
            "population": self.population, "period": self.period.as_text() if self.period else None,
            "coverage": self.coverage, "uncovered": self.uncovered, "cover_size": self.cover_size,
            "size_rule": SIZE_RULE,
        }

    @classmethod
    def from_dict(cls, data: dict) -> Sample:
        period = parse_period(data["period"]) if data.get("period") else None
        coverage, uncovered = data.get("coverage", {}), data.get("uncovered", {})
        # stored JSON has sorted keys: put the strata back in their documented order
        coverage = {st: coverage[st] for st, _ in STRATA if st in coverage}
        uncovered = {st: uncovered[st] for st, _ in STRATA if st in uncovered}
        return cls(tuple(data["references"]), int(data["seed"]), int(data["size"]), data.get("requested_size"),
                   int(data["default_size"]), int(data["population"]), period, coverage, uncovered,
                   int(data.get("cover_size", 0)))


def default_size(population: int, cover_size: int) -> int:
    """The project's heuristic (see the module docstring)."""
    base = max(MIN_DEFAULT_SIZE, math.ceil(math.sqrt(population)))
    return min(population, max(base, cover_size))


def _greedy_cover(pool: Sequence[Session], rng: random.Random) -> list[Session]:
    order = list(pool)
    rng.shuffle(order)
    values = {s.reference: stratum_values(s) for s in order}
    uncovered = set().union(*values.values()) if values else set()
    chosen: list[Session] = []
    while uncovered:
        best = max(order, key=lambda s: len(values[s.reference] & uncovered))  # first best: seeded order
        gain = values[best.reference] & uncovered
        if not gain:
            break
        chosen.append(best)
        order = [s for s in order if s.reference != best.reference]
        uncovered -= gain
    return chosen


def draw_sample(sessions: Iterable[Session], *, seed: int, size: int | None = None,
                period: Period | None = None) -> Sample:
    """A reproducible stratified sample (see the module docstring)."""
    pool = sorted((s for s in sessions if period is None or period.contains(s)), key=lambda s: s.reference)
    if not pool:
        where = f" {period.describe()}" if period else ""
        raise UsageError(f"Aucune session{where} : rien à échantillonner. Importez d'abord les sessions "
                         "(workbench sessions import) ou élargissez la période.")
    if size is not None and size < 1:
        raise UsageError(f"Taille d'échantillon invalide : {size} (au moins 1).")
    rng = random.Random(seed)
    cover = _greedy_cover(pool, rng)
    dflt = default_size(len(pool), len(cover))
    n = min(size if size is not None else dflt, len(pool))
    chosen = cover[:n]
    taken = {s.reference for s in chosen}
    rest = [s for s in pool if s.reference not in taken]
    rng.shuffle(rest)
    chosen += rest[: n - len(chosen)]
    present: dict[str, set[str]] = {}
    for s in pool:
        for stratum, value in stratum_values(s):
            present.setdefault(stratum, set()).add(value)
    coverage: dict[str, dict[str, list[str]]] = {}
    for s in chosen:
        for stratum, value in sorted(stratum_values(s)):
            coverage.setdefault(stratum, {}).setdefault(value, []).append(s.reference)
    uncovered = {st: sorted(vals - set(coverage.get(st, {}))) for st, vals in present.items()}
    uncovered = {st: uncovered[st] for st, _ in STRATA if uncovered.get(st)}
    ordered_cov = {st: dict(sorted(coverage[st].items())) for st, _ in STRATA if st in coverage}
    return Sample(tuple(s.reference for s in chosen), seed, len(chosen), size, dflt, len(pool), period,
                  ordered_cov, uncovered, len(cover))
