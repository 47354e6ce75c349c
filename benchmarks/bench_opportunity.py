"""Opportunity assessment and public-list prefill: how long they take at realistic sizes.

* ``assess`` (pure scoring, cost estimate from the audit-duration estimate, timeline) per call;
* ``find_provider`` on a synthetic public list of 150 000 rows (the real list's order of size),
  written once to a temporary file in the real column layout, the provider looked up by SIRET.

Run: ``python benchmarks/bench_opportunity.py``. Prints medians and 95th percentiles.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from pathlib import Path

from workbench.domain.opportunity import assess, parse_answers
from workbench.domain.profile import profile_from_data
from workbench.domain.public_list import SAMPLE_FILE, find_provider

ROWS = 150_000


def _stats(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[int(0.95 * (len(samples) - 1))]
    return f"médiane {statistics.median(samples) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms ({len(samples)} mesures)"


def bench_assess() -> str:
    profile = profile_from_data({"id": "p", "name": "P", "categories": ["AF", "BC"], "revenue_band": "150k_750k",
                                 "funding": {"cpf": 30, "opco": 20, "direct": 50}})
    answers = parse_answers({"growth": "growth", "deadline": "2027-09-01", "maturity": 2}, profile)
    today = dt.date(2026, 12, 1)
    for _ in range(20):
        assess(profile, answers, today, day_rate=1100, internal_day_cost=350)
    samples = []
    for _ in range(500):
        t = time.perf_counter()
        assess(profile, answers, today, day_rate=1100, internal_day_cost=350)
        samples.append(time.perf_counter() - t)
    return _stats(samples)


def bench_public_list() -> str:
    lines = SAMPLE_FILE.read_text(encoding="utf-8").splitlines()
    header, row = lines[0], lines[1].split(";")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "liste.csv"
        with path.open("w", encoding="utf-8") as fh:
            fh.write(header + "\n")
            for i in range(ROWS - 1):
                row[0] = f"{11000000000 + i}"
                row[4] = f"{10000000000000 + i}"
                fh.write(";".join(row) + "\n")
            fh.write(lines[2] + "\n")  # the provider looked up is the last row
        samples = []
        for _ in range(5):
            t = time.perf_counter()
            entry = find_provider(path, siret="82345678500026")
            samples.append(time.perf_counter() - t)
        assert entry.name == "FORMASUD DIGITAL"
        size = path.stat().st_size / 1e6
    return f"{_stats(samples)} — fichier de {ROWS} lignes, {size:.0f} Mo"


if __name__ == "__main__":
    print("assess :", bench_assess())
    print("find_provider :", bench_public_list())
