"""Side-by-side measurements of two design choices, in one run on the same machine.

1. Loading the referential packs with libyaml (``CSafeLoader``) vs the pure-Python loader.
2. Saving an answer with SQLite ``synchronous=FULL`` (what the store uses) vs ``NORMAL``.

Usage: ``.venv/bin/python benchmarks/bench_choices.py [--runs N]``. Prints medians and p95.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.core import validation  # noqa: E402
from workbench.core.vocab import AuditType, MissionType, Verdict  # noqa: E402
from workbench.data import REFERENTIEL_DIR  # noqa: E402
from workbench.domain.profile import ClientProfile  # noqa: E402
from workbench.referential.library import load_library  # noqa: E402
from workbench.store import SQLiteStore


def measure(fn: Callable[[], object], runs: int, warmup: int = 3) -> tuple[float, float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(len(samples) * 0.95))]


def bench_yaml(runs: int) -> list[tuple[str, float, float]]:
    rows = []
    for name, loader in (("libyaml (CSafeLoader)", yaml.CSafeLoader), ("Python pur (SafeLoader)", yaml.SafeLoader)):
        validation._SAFE_LOADER = loader  # the one YAML reader looks it up at call time
        med, p95 = measure(lambda: load_library(REFERENTIEL_DIR), runs)
        rows.append((f"Chargement des 2 référentiels — {name}", med, p95))
    validation._SAFE_LOADER = yaml.CSafeLoader
    return rows


def _bench_save(mode: str, runs: int) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        store = SQLiteStore(Path(tmp) / "bench.db", actor="bench")
        store._conn.execute(f"PRAGMA synchronous={mode}")
        store.create_client(ClientProfile(id="bench", name="Bench", categories=["CFA"]))
        m = store.create_mission("bench", type=MissionType.PRE_AUDIT, audit_type=AuditType.INITIAL,
                                 audit_date=dt.date(2027, 1, 1), referential_id="rnq-2026",
                                 referential_auto=True)
        verdicts = [Verdict.CONFORME, Verdict.NC_MAJEURE]
        count = [0]

        def save() -> None:  # each call really changes the answer, so each is a write
            count[0] += 1
            store.save_answer(m.id, "rnq-2026:ind:04", verdict=verdicts[count[0] % 2], notes=f"note {count[0]}")

        try:
            return measure(save, runs)
        finally:
            store.close()


def bench_sync(runs: int) -> list[tuple[str, float, float]]:
    return [(f"Enregistrement d'une réponse — synchronous={mode}", *_bench_save(mode, runs))
            for mode in ("FULL", "NORMAL")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    rows = bench_yaml(max(5, args.runs // 3)) + bench_sync(args.runs * 5)
    print(f"{'Mesure':<64} {'médiane':>10} {'p95':>10}")
    for label, med, p95 in rows:
        print(f"{label:<64} {med * 1000:>8.1f} ms {p95 * 1000:>7.1f} ms")


if __name__ == "__main__":
    main()
