"""Memory benchmark (not a test): peak memory of the main jobs, and store growth on disk.

Method: every scenario runs in a fresh Python subprocess, so that its peak resident set size
(``ru_maxrss`` of ``getrusage``) is its own; Python allocations are traced with ``tracemalloc``
around the measured step; child processes (kernel, Chromium) are read with ``RUSAGE_CHILDREN``.
Scenarios:

* ``baseline``: Python with the package and ipywidgets imported (what every kernel pays);
* ``interview``: the same plus the interview app built for a 33-indicator mission;
* ``report``: one client report in HTML, PDF and XLSX (papermill kernel and Chromium are children);
* ``store``: 2,000 saved answer changes with their history; database size per change.

Run: ``.venv/bin/python benchmarks/bench_memory.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

PRELUDE = """
import datetime as dt, json, resource, sys, tempfile, tracemalloc
from pathlib import Path
sys.path.insert(0, REPO)
def rss_mb(who=resource.RUSAGE_SELF):
    return resource.getrusage(who).ru_maxrss / 1024  # kB on Linux
"""

SCENARIOS = {
    "baseline": """
import ipywidgets
from workbench.apps.interview import InterviewApp, InterviewModel
from workbench.referential.library import default_library
default_library()
print(json.dumps({"peak_rss_mb": rss_mb()}))
""",
    "interview": """
import ipywidgets
from workbench.apps.interview import InterviewApp, InterviewModel
from workbench.domain.profile import ClientProfile
from workbench.core.vocab import MissionType
from workbench.services.workspace import Workspace
tmp = tempfile.mkdtemp()
ws = Workspace.open(Path(tmp) / "espace", actor="bench")
ws.store.create_client(ClientProfile.model_validate({"id": "cfa-bench", "name": "CFA Bench",
    "categories": ["CFA"], "conditions": ["certifying", "alternance", "work_periods", "subcontracting"]}))
mission = ws.new_mission("cfa-bench", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2026, 12, 15))
tracemalloc.start()
app = InterviewApp(InterviewModel(ws, mission.id))
current, peak = tracemalloc.get_traced_memory()
assert len(app.model.entries) == 33
print(json.dumps({"peak_rss_mb": rss_mb(), "traced_peak_mb": peak / 2**20, "retained_mb": current / 2**20}))
""",
    "report": """
from workbench.services.demo import build_demo
from workbench.reports.pipeline import generate_report
tmp = tempfile.mkdtemp()
ws = build_demo(Path(tmp) / "espace")
tracemalloc.start()
result = generate_report(ws, "cfa-batiment-avenir", formats=("html", "pdf", "xlsx"))
current, peak = tracemalloc.get_traced_memory()
assert set(result.paths) == {"html", "pdf", "xlsx"}
print(json.dumps({"peak_rss_mb": rss_mb(), "traced_peak_mb": peak / 2**20,
                  "children_peak_rss_mb": rss_mb(resource.RUSAGE_CHILDREN), "seconds": result.seconds}))
""",
    "store": """
from workbench.domain.profile import ClientProfile
from workbench.store import SQLiteStore
from workbench.core.vocab import AuditType, MissionType, Verdict
tmp = Path(tempfile.mkdtemp())
store = SQLiteStore(tmp / "bench.db", actor="bench")
store.create_client(ClientProfile(id="bench", name="Bench", categories=["CFA"]))
m = store.create_mission("bench", type=MissionType.PRE_AUDIT, audit_type=AuditType.INITIAL,
                         audit_date=dt.date(2027, 1, 1), referential_id="rnq-2026", referential_auto=True)
store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
before = (tmp / "bench.db").stat().st_size
n = 2000
for i in range(n):
    store.save_answer(m.id, f"rnq-2026:ind:{i % 33 + 1:02d}", verdict=[Verdict.CONFORME, Verdict.NC_MINEURE][i % 2],
                      notes=f"Constat d'entretien numéro {i}, avec une phrase de longueur ordinaire.")
store._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
after = (tmp / "bench.db").stat().st_size
rows = len(store.history(m.id))
store.close()
print(json.dumps({"peak_rss_mb": rss_mb(), "changes": n, "history_rows": rows,
                  "db_growth_kb": (after - before) / 1024, "bytes_per_change": (after - before) / n}))
""",
}


def run(name: str) -> dict:
    code = f"REPO = {str(REPO)!r}\n" + PRELUDE + SCENARIOS[name]
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"Scénario {name} en échec :\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    results = {name: run(name) for name in SCENARIOS}
    base = results["baseline"]["peak_rss_mb"]
    inter = results["interview"]
    rep = results["report"]
    st = results["store"]
    print("Méthode : un sous-processus Python neuf par scénario ; ru_maxrss (pic de mémoire résidente), "
          "tracemalloc autour de l'étape mesurée.")
    print(f"Processus de base (paquet + ipywidgets + référentiel)   pic RSS {base:7.1f} Mo")
    print(f"Grille d'entretien, mission de 33 indicateurs           pic RSS {inter['peak_rss_mb']:7.1f} Mo "
          f"(+{inter['peak_rss_mb'] - base:.1f} Mo) ; allocations Python : pic {inter['traced_peak_mb']:.1f} Mo, "
          f"retenu {inter['retained_mb']:.1f} Mo")
    print(f"Rapport HTML + PDF + XLSX d'un client                   pic RSS {rep['peak_rss_mb']:7.1f} Mo ; "
          f"allocations Python : pic {rep['traced_peak_mb']:.1f} Mo ; "
          f"processus enfants (noyau, Chromium) : pic {rep['children_peak_rss_mb']:.1f} Mo ; "
          f"durée {rep['seconds']:.1f} s (cible : moins de 90 s)")
    print(f"Base de données : {st['changes']} modifications ({st['history_rows']} lignes d'historique) "
          f"→ +{st['db_growth_kb']:.0f} Ko, soit {st['bytes_per_change']:.0f} octets par modification")


if __name__ == "__main__":
    main()
