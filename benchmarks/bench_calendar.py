"""Benchmark (not a test): the portfolio's calendar, « À traiter » and calendar file.

Method: the demo workspace (7 clients) is built in a temporary folder, then grown to N clients by
copying each demo client's profile, missions, answers and task completions under new ids (a real
SQLite store). We time, with ``time.perf_counter``, the median and 95th percentile over R runs after
one warm-up run: ``alerts_for_portfolio`` (every client's analysis, tasks and calendar), the
portfolio calendar over 12 months, and writing it as an ICS file. Nothing is written by the timed
calls (plans are read as they are). Run: ``.venv/bin/python benchmarks/bench_calendar.py [--clients N] [--runs R]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.core.dates import add_months  # noqa: E402
from workbench.services import lifecycle  # noqa: E402
from workbench.services.demo import build_demo  # noqa: E402
from workbench.services.demo_tasks import DEMO_TODAY  # noqa: E402
from workbench.store import tasks as task_store  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q * (len(ordered) - 1))))]


def grow(ws, n_clients: int) -> None:
    """Copy the demo clients under new ids until the workspace holds ``n_clients`` clients."""
    demo = ws.store.list_clients()
    k = 0
    while len(ws.store.list_clients()) < n_clients:
        src = demo[k % len(demo)]
        k += 1
        new_id = f"{src.id[:50]}-{k}"
        ws.store.create_client(src.model_copy(update={"id": new_id}))
        for m in ws.store.list_missions(src.id):
            copy = ws.store.create_mission(new_id, type=m.type, audit_type=m.audit_type, audit_date=m.audit_date,
                                           referential_id=m.referential_id, referential_auto=m.referential_auto,
                                           label=m.label)
            for ind, a in ws.store.list_answers(m.id).items():
                ws.store.save_answer(copy.id, ind, verdict=a.verdict, notes=a.notes,
                                     na_justification=a.na_justification)
        lifecycle.plan_tasks(ws, new_id, DEMO_TODAY, start=dt.date(2026, 1, 5))
        for c in task_store.list_completions(ws.store, src.id):
            lifecycle.mark_task_done(ws, new_id, c.task_id, done_on=c.done_on, today=DEMO_TODAY)


def timed(fn, runs: int) -> tuple[float, float]:
    fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples), pct(samples, 0.95)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, nargs="+", default=[7, 50])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    from workbench.reports.ics import write_ics

    print(f"Python {platform.python_version()} on {platform.machine()}, {args.runs} runs, today {DEMO_TODAY}")
    with tempfile.TemporaryDirectory() as tmp:
        ws = build_demo(Path(tmp) / "espace")
        try:
            end = add_months(DEMO_TODAY, 12)
            for n in sorted(args.clients):
                grow(ws, n)
                alerts = lifecycle.alerts_for_portfolio(ws, DEMO_TODAY)
                items = lifecycle.portfolio_calendar_items(ws, DEMO_TODAY, start=DEMO_TODAY, end=end, write=False)
                a = timed(lambda: lifecycle.alerts_for_portfolio(ws, DEMO_TODAY), args.runs)
                c = timed(lambda: lifecycle.portfolio_calendar_items(ws, DEMO_TODAY, start=DEMO_TODAY, end=end,
                                                                     write=False), args.runs)
                ics = Path(tmp) / "portefeuille.ics"
                i = timed(lambda ics=ics, items=items: write_ics(ics, items, "bench"), args.runs)
                print(f"{n} clients: {len(alerts)} alerts, {len(items)} calendar items, ICS {ics.stat().st_size} bytes")
                for label, (med, p95) in (("alerts_for_portfolio", a), ("portfolio calendar, 12 months", c),
                                          ("write ICS", i)):
                    print(f"  {label:32} median {med * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms")
        finally:
            ws.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
