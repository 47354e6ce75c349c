"""Session-file review: import, sampling, results and one saved review at realistic and large sizes.

Measured on a temporary workspace with a real SQLite store (WAL, ``synchronous=FULL``):

1. importing a CSV of N sessions (parse + upsert in one transaction), then re-importing it unchanged;
2. drawing the stratified sample (pure function) for N sessions;
3. computing the review results of the mission (store reads + pure results) once every sampled
   file is reviewed;
4. saving one item review (one transaction with history), as the review screen does per click.

Usage: ``.venv/bin/python benchmarks/bench_sessions.py [--sizes 40,500,5000] [--runs N]``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from workbench.core.vocab import Category, MissionType  # noqa: E402
from workbench.domain.checklist import ReviewStatus  # noqa: E402
from workbench.domain.profile import ClientProfile  # noqa: E402
from workbench.domain.sampling import draw_sample  # noqa: E402
from workbench.domain.sessions import COLUMNS  # noqa: E402
from workbench.services.sessions import (  # noqa: E402
    draw_for_mission,
    import_sessions,
    mission_review,
    repository,
    save_item_reviews,
)
from workbench.services.workspace import Workspace  # noqa: E402

CLIENT = "bench-of"


def write_csv(path: Path, n: int) -> None:
    rng = random.Random(n)
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow([c.header for c in COLUMNS])
        for i in range(n):
            day = dt.date(2025, 1, 1) + dt.timedelta(days=i % 700)
            w.writerow([f"S{i:06d}", f"Formation {i % 90}", rng.choice(list(Category)).value,
                        day.strftime("%d/%m/%Y"), (day + dt.timedelta(days=2)).strftime("%d/%m/%Y"),
                        f"Site {i % 12}", f"Formateur {i % 40}; Formateur {(i + 7) % 40}", rng.randint(1, 14),
                        rng.choice(["OPCO", "CPF", "Entreprise; OPCO", "France Travail", "Région"]),
                        rng.choice(["oui", "non"]), "oui" if i % 9 == 0 else "non",
                        rng.choice(["présentiel", "distance", "mixte"])])


def timed(fn: Callable[[], object]) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def stats(samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[min(len(samples) - 1, int(len(samples) * 0.95))]
    return f"médiane {statistics.median(samples) * 1000:8.1f} ms   p95 {p95 * 1000:8.1f} ms"


def run(n: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.open(Path(tmp) / "ws", actor="bench")
        ws.store.create_client(ClientProfile.model_validate({"id": CLIENT, "name": "Bench", "categories": ["AF"]}))
        mission = ws.new_mission(CLIENT, mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2026, 12, 1))
        path = Path(tmp) / "sessions.csv"
        write_csv(path, n)
        first = timed(lambda: import_sessions(ws, CLIENT, path))
        again = timed(lambda: import_sessions(ws, CLIENT, path))
        sessions = repository(ws).list(CLIENT)
        draws = [timed(lambda s=s: draw_sample(sessions, seed=s)) for s in range(runs)]
        _, sample = draw_for_mission(ws, CLIENT, mission.id, seed=1)
        review = mission_review(ws, CLIENT, mission.id)
        changes = [(f.session.reference, ln.item.id, {"status": ReviewStatus.PRESENT})
                   for f in review.results.files for ln in f.lines]
        save_all = timed(lambda: save_item_reviews(ws, CLIENT, mission.id, changes))
        results = [timed(lambda: mission_review(ws, CLIENT, mission.id)) for _ in range(runs)]
        ref, item = changes[0][0], changes[0][1]
        saves = []
        for i in range(runs):
            status = ReviewStatus.MISSING if i % 2 == 0 else ReviewStatus.PRESENT
            saves.append(timed(lambda st=status: save_item_reviews(ws, CLIENT, mission.id, [(ref, item, {"status": st})])))
        ws.close()
    print(f"N = {n} sessions ; échantillon par défaut : {sample.size} dossiers ({len(changes)} points)")
    print(f"  import CSV (1re fois)          {first * 1000:8.1f} ms")
    print(f"  réimport identique             {again * 1000:8.1f} ms")
    print(f"  tirage de l'échantillon        {stats(draws)}")
    print(f"  revue complète (1 transaction) {save_all * 1000:8.1f} ms")
    print(f"  résultats de la mission        {stats(results)}")
    print(f"  enregistrement d'un point      {stats(saves)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="40,500,5000")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    for n in (int(x) for x in args.sizes.split(",")):
        run(n, args.runs)


if __name__ == "__main__":
    main()
