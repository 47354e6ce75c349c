"""Benchmark (not a test): build the interview app for a 33-indicator mission and save one answer.

Method: in process, on a temporary workspace with a real SQLite store (WAL, synchronous=FULL).
The client is a CFA preparing certifications in alternance, with subcontracting, so that all 33
indicators of rnq-2026 apply. We time:

* the first build in the process (cold: referential and grids parsed, modules warm);
* warm builds (what each new card view or re-open costs once the data is loaded);
* one saved answer through the view (a verdict click, then a note), as the consultant does it.

Each warm figure is the median and 95th percentile over N runs after W warm-up runs, measured
with ``time.perf_counter``. Run: ``.venv/bin/python benchmarks/bench_interview.py [--runs N]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_BUILD = 0.5
TARGET_SAVE = 0.020


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))
    return ordered[k]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    t_import = time.perf_counter()
    import ipywidgets  # noqa: F401

    from workbench.apps.interview import InterviewApp, InterviewModel
    from workbench.core.vocab import MissionType
    from workbench.domain.profile import ClientProfile
    from workbench.services.workspace import Workspace
    t_import = time.perf_counter() - t_import

    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.open(Path(tmp) / "espace", actor="bench")
        ws.store.create_client(ClientProfile.model_validate({
            "id": "cfa-bench", "name": "CFA Bench", "categories": ["CFA"],
            "conditions": ["certifying", "alternance", "work_periods", "subcontracting"],
        }))
        # The mission needs the referential: this loads it (timed separately).
        t_ref = time.perf_counter()
        mission = ws.new_mission("cfa-bench", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2026, 12, 15))
        t_ref = time.perf_counter() - t_ref

        t0 = time.perf_counter()
        app = InterviewApp(InterviewModel(ws, mission.id))
        cold = time.perf_counter() - t0
        assert len(app.model.entries) == 33 and app.model.progress().applicable == 33

        builds = []
        for i in range(args.warmup + args.runs):
            t0 = time.perf_counter()
            InterviewApp(InterviewModel(ws, mission.id))
            if i >= args.warmup:
                builds.append(time.perf_counter() - t0)

        verdicts, notes, navs = [], [], []
        db_rows = 0
        for i in range(args.warmup + args.runs):
            target = "nc_majeure" if app.verdict.value == "conforme" else "conforme"
            t0 = time.perf_counter()
            app.verdict.value = target  # always a real change: one write per run
            t1 = time.perf_counter()
            app.finding.value = f"Constat n° {i}"
            t2 = time.perf_counter()
            (app.next_button if i % 2 == 0 else app.prev_button).click()
            t3 = time.perf_counter()
            if i >= args.warmup:
                verdicts.append(t1 - t0)
                notes.append(t2 - t1)
                navs.append(t3 - t2)
        assert "Enregistré" in app.status.value
        db_rows = sum(1 for h in ws.store.history(mission.id) if h.field in ("verdict", "finding"))
        assert db_rows == 2 * (args.warmup + args.runs), db_rows  # every timed change hit SQLite
        ws.close()

    def line(name: str, values: list[float], target: float | None = None) -> str:
        med, p95 = statistics.median(values), pct(values, 0.95)
        verdict = "" if target is None else ("  OK" if p95 <= target else "  AU-DELÀ DE LA CIBLE")
        cible = f" (cible {target * 1000:.0f} ms)" if target else ""
        return f"{name:<38} médiane {med * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms{cible}{verdict}"

    print(f"Machine : {platform.machine()}, {os.cpu_count()} cœurs, Python {sys.version.split()[0]}, "
          f"{platform.system()} {platform.release()}")
    print(f"Méthode : {args.runs} mesures après {args.warmup} tours de chauffe, time.perf_counter, "
          "base SQLite réelle (WAL, synchronous=FULL) dans un dossier temporaire.")
    print(f"Import des modules (ipywidgets, workbench)   {t_import * 1000:7.1f} ms")
    print(f"Chargement du référentiel (1re fois)          {t_ref * 1000:7.1f} ms")
    print(f"Construction de l'application, 1re fois       {cold * 1000:7.1f} ms (cible {TARGET_BUILD * 1000:.0f} ms)"
          f"{'  OK' if cold <= TARGET_BUILD else '  AU-DELÀ DE LA CIBLE'}")
    print(line("Construction de l'application (à chaud)", builds, TARGET_BUILD))
    print(line("Enregistrement d'un verdict (clic)", verdicts, TARGET_SAVE))
    print(line("Enregistrement d'un constat", notes, TARGET_SAVE))
    print(line("Passage à l'indicateur suivant", navs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
