"""Batch throughput: baseline ``workbench report`` per client vs ``workbench batch`` vs a plain-Python floor.

    python benchmarks/bench_batch.py [--clients 100] [--baseline-sample N] [--formats html,pdf,xlsx]

Generates N synthetic clients (seeded random answers over every applicable indicator, a few proofs
and actions each) in a temporary workspace, then measures, HTML + PDF + XLSX per client:

(a) baseline: ``workbench report CLIENT --no-service`` in a subprocess per client, two at a time
    (what a user scripted before the batch: each call on its own); with ``--baseline-sample`` only that many clients, throughput extrapolated;
(b) ``run_batch`` with 2 local workers (warm kernel and browser each), ``--force``; peak RSS of each
    worker's process tree (worker + kernel + browser) sampled every 0.2 s;
(c) floor: the same sections rendered in plain Python in this process (no kernel, no nbconvert),
    PDFs through one persistent browser, Excel as usual — what the content itself costs;
(d) the incremental rerun with nothing changed (fingerprint check per client);
(e) one on-demand ``workbench report`` as a user runs it (a new process each time), wall time: on its
    own (``--no-service``, 3 clients), and handed to the workspace's report service (5 clients, after
    one that warms the service's kernel), then the same 5 made again (the contents' page numbers of
    the previous PDF confirmed: one print); (a') the baseline through that service.

Figures go to docs/benchmarks.md by hand, with the machine's load at the time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil

from workbench.core.vocab import ActionStatus, Category, Condition, MissionType, Verdict
from workbench.domain.profile import ClientProfile
from workbench.domain.records import Action, Evidence
from workbench.services.workspace import Workspace

VERDICTS = [Verdict.CONFORME] * 14 + [Verdict.NC_MINEURE] * 3 + [Verdict.NC_MAJEURE, Verdict.NON_EVALUE]


def make_clients(root: Path, n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    ws = Workspace.open(root, actor="bench")
    today = dt.date.today()
    ids = []
    try:
        for i in range(n):
            cid = f"bench-{i:04d}"
            cats = rng.choice([[Category.AF], [Category.AF, Category.BC], [Category.CFA], [Category.VAE]])
            ws.store.create_client(ClientProfile(
                id=cid, name=f"Organisme de formation {i}", categories=cats,
                conditions=[Condition.CERTIFYING] if rng.random() < 0.5 else [],
                consultant=rng.choice(["Alice Roux", "Bruno Vidal", "Chloé Martin"])))
            mission = ws.new_mission(cid, mission_type=MissionType.PRE_AUDIT,
                                     audit_date=today + dt.timedelta(days=rng.randint(10, 300)))
            for app in ws.applicability(mission.id):
                if app.applicable:
                    v = rng.choice(VERDICTS)
                    ws.store.save_answer(mission.id, app.indicator.id, verdict=v,
                                         finding=f"Constat {app.number} pour {cid}" if v.is_nc else "",
                                         private_notes=f"Note interne {app.number}")
                    if v == Verdict.CONFORME and rng.random() < 0.2:
                        ws.store.add_evidence(Evidence(mission_id=mission.id, indicator_id=app.indicator.id,
                                                       label=f"Procédure {app.number}", location="Drive"))
                    if v.is_nc and rng.random() < 0.5:
                        ws.store.add_action(Action(mission_id=mission.id, indicator_id=app.indicator.id,
                                                   title=f"Corriger l'indicateur {app.number}",
                                                   status=ActionStatus.EN_COURS,
                                                   due_date=today + dt.timedelta(days=rng.randint(-20, 60))))
            ids.append(cid)
    finally:
        ws.close()
    return ids


def fmt_runs(times: list[float]) -> str:
    ordered = sorted(times)
    return f"médiane {ordered[len(ordered) // 2]:.2f} s ({', '.join(f'{t:.2f}' for t in times)})"


def report_cmd(cid: str, formats: str, *, service: bool) -> list[str]:
    return [sys.executable, "-m", "workbench", "report", cid, "--formats", formats,
            *([] if service else ["--no-service"])]


def baseline(root: Path, ids: list[str], formats: str, *, service: bool = False) -> float:
    """``workbench report`` per client, two at a time: each call on its own (``--no-service``), or
    handed to the workspace's report service (which makes one report at a time)."""
    env = dict(os.environ, WORKBENCH_WORKSPACE=str(root))

    def one(cid: str) -> None:
        subprocess.run(report_cmd(cid, formats, service=service), env=env, check=True, capture_output=True)

    t = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(one, ids))
    return time.perf_counter() - t


class PeakRSS:
    """Peak resident memory of each direct child process of this one, with its descendants.

    RSS summed over processes counts pages they share (Chromium's processes share a lot): an upper bound."""

    def __init__(self) -> None:
        self.peaks: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = psutil.Process()
        while not self._stop.is_set():
            for child in me.children():
                try:
                    if "multiprocessing.resource_tracker" in " ".join(child.cmdline()):
                        continue
                    procs = [child, *child.children(recursive=True)]
                    rss = sum(p.memory_info().rss for p in procs)
                except psutil.Error:
                    continue
                self.peaks[child.pid] = max(self.peaks.get(child.pid, 0), rss)
            self._stop.wait(0.2)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def machine_cpu() -> float:
    """CPU seconds spent by the whole machine so far (user + system, every process: Chromium's
    renderer processes that end meanwhile included)."""
    t = psutil.cpu_times()
    return t.user + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)


def batch(root: Path, formats: tuple[str, ...], force: bool) -> tuple[float, dict, dict[int, int]]:
    from workbench.reports.batch import BatchOptions, run_batch

    with Workspace.open(root) as ws, PeakRSS() as mem:
        t, cpu = time.perf_counter(), machine_cpu()
        manifest = run_batch(ws, BatchOptions(workers=2, formats=formats, force=force, progress=False,
                                              portfolio=False))
        seconds, cpu = time.perf_counter() - t, machine_cpu() - cpu
    failed = [c for c in manifest.clients if c["status"] == "failed"]
    assert not failed, failed[:2]
    data = manifest.to_dict()
    data["machine_cpu_s"] = cpu
    return seconds, data, mem.peaks


def floor(root: Path, ids: list[str], formats: tuple[str, ...]) -> float:
    """Plain Python: content sections rendered directly, one persistent browser, Excel as usual."""
    from workbench.reports.browser import Browser, toc_titles
    from workbench.reports.content import SECTIONS, TEMPLATE_DIR, load_report_context, render_section
    from workbench.reports.excel import export_action_plan

    css = (TEMPLATE_DIR / "qualiopi" / "report.css").read_text(encoding="utf-8")
    out = root / "floor"
    out.mkdir(exist_ok=True)
    browser = Browser()
    browser.start()
    try:
        t = time.perf_counter()
        for cid in ids:
            ctx = load_report_context(root, cid)
            body = "\n".join(render_section(ctx, s) for s in SECTIONS)
            html = out / f"{cid}.html"
            page = (f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><style>{css}</style>"
                    f"</head><body class='wb-report'><main>{body}</main></body></html>")
            html.write_text(page, encoding="utf-8")
            if "pdf" in formats:  # contents numbered like the report's: two prints
                browser.print_pdf(html, out / f"{cid}.pdf", toc=toc_titles(page))
            if "xlsx" in formats:
                d = ctx.data
                export_action_plan(out / f"{cid}.xlsx", mission=d.mission, client_name=d.profile.name,
                                   actions=list(d.actions), referential=d.referential, overwrite=True)
            ctx.ws.close()
        return time.perf_counter() - t
    finally:
        browser.close()


class ReportService:
    """``workbench report-service start`` on the bench workspace, stopped (SIGTERM) on exit."""

    def __init__(self, root: Path) -> None:
        self.env = dict(os.environ, WORKBENCH_WORKSPACE=str(root))
        self.log = root.parent / "service.log"

    def __enter__(self) -> ReportService:
        with self.log.open("w") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "workbench", "report-service", "start",
                                          "--idle-timeout", "0"], env=self.env, stdout=out, stderr=subprocess.STDOUT)
        while "prêt" not in self.log.read_text(encoding="utf-8"):
            if self.proc.poll() is not None:
                raise SystemExit("report service did not start:\n" + self.log.read_text(encoding="utf-8"))
            time.sleep(0.2)
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=120)


def on_demand(root: Path, ids: list[str], formats: str, *, service: bool) -> list[float]:
    """Wall time of one ``workbench report`` per client, one after the other, as a user runs it."""
    env = dict(os.environ, WORKBENCH_WORKSPACE=str(root))
    times = []
    for cid in ids:
        t = time.perf_counter()
        subprocess.run(report_cmd(cid, formats, service=service), env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return times


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=100)
    ap.add_argument("--baseline-sample", type=int, default=None,
                    help="clients run by the baseline (default: all); throughput is extrapolated")
    ap.add_argument("--formats", default="html,pdf,xlsx")
    ap.add_argument("--json", metavar="FILE", help="also write the figures to this JSON file")
    args = ap.parse_args()
    formats = tuple(args.formats.split(","))
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="wb-bench-batch-") as tmp:
        root = Path(tmp) / "espace"
        root.mkdir()
        t = time.perf_counter()
        ids = make_clients(root, args.clients)
        print(f"{len(ids)} clients générés en {time.perf_counter() - t:.1f} s", flush=True)

        sample = ids[: args.baseline_sample or len(ids)]
        singles = on_demand(root, ids[:3], args.formats, service=False)
        print(f"(e) un rapport à la demande, seul (--no-service) : {fmt_runs(singles)}", flush=True)
        with ReportService(root):
            on_demand(root, ids[3:4], args.formats, service=True)  # the fresh kernel's first notebook
            served = on_demand(root, ids[4:9], args.formats, service=True)
            print(f"(e') un rapport à la demande, par le service de rapports : {fmt_runs(served)}", flush=True)
            again = on_demand(root, ids[4:9], args.formats, service=True)
            print(f"(e'') le même rapport refait (pages du sommaire confirmées, une impression) : {fmt_runs(again)}",
                  flush=True)
            t_served = baseline(root, sample, args.formats, service=True)
        print(f"(a') baseline par le service : {len(sample)} clients en {t_served:.1f} s — "
              f"{len(sample) / t_served * 60:.1f} clients/min", flush=True)

        t_base = baseline(root, sample, args.formats)
        base_rate = len(sample) / t_base
        print(f"(a) baseline : {len(sample)} clients en {t_base:.1f} s — {base_rate * 60:.1f} clients/min", flush=True)

        t_batch, manifest, peaks = batch(root, formats, force=True)
        batch_rate = len(ids) / t_batch
        served_rate = len(sample) / t_served
        print(f"(b) batch 2 workers : {len(ids)} clients en {t_batch:.1f} s — {batch_rate * 60:.1f} clients/min "
              f"(x{batch_rate / base_rate:.1f} la baseline, x{batch_rate / served_rate:.1f} la baseline par le "
              "service)", flush=True)
        cpu_per_client = manifest["machine_cpu_s"] / len(ids)
        print(f"    processeur de toute la machine : {cpu_per_client:.2f} s par client", flush=True)
        worker_peaks = sorted(peaks.values(), reverse=True)[:2]
        print("    pic mémoire par worker (worker + noyau + navigateur) : "
              + ", ".join(f"{p / 2**20:.0f} Mio" for p in worker_peaks), flush=True)

        t_floor = floor(root, ids, formats)
        print(f"(c) plancher Python + 1 navigateur : {len(ids)} clients en {t_floor:.1f} s — "
              f"{len(ids) / t_floor * 60:.1f} clients/min", flush=True)

        t_rerun, rerun, _ = batch(root, formats, force=False)
        print(f"(d) relance sans changement : {t_rerun:.2f} s, {rerun['check_ms_per_client']:.2f} ms/client "
              f"(contrôle d'empreinte), {rerun['totals']['unchanged']} inchangés", flush=True)
    figures = {"clients": len(ids), "baseline_sample": len(sample), "formats": list(formats),
               "single_report_s": [round(x, 2) for x in singles], "served_report_s": [round(x, 2) for x in served],
               "served_again_s": [round(x, 2) for x in again],
               "served_baseline_s": round(t_served, 1), "ratio_to_served": round(batch_rate / served_rate, 2),
               "baseline_s": round(t_base, 1),
               "baseline_clients_per_min": round(base_rate * 60, 1), "batch_s": round(t_batch, 1),
               "batch_clients_per_min": round(batch_rate * 60, 1), "ratio": round(batch_rate / base_rate, 2),
               "batch_machine_cpu_s_per_client": round(cpu_per_client, 2),
               "floor_s": round(t_floor, 1), "rerun_s": round(t_rerun, 2),
               "check_ms_per_client": rerun["check_ms_per_client"],
               "worker_peak_rss_mib": [round(p / 2**20) for p in worker_peaks],
               "loadavg_before": [round(x, 1) for x in load_before],
               "loadavg_after": [round(x, 1) for x in os.getloadavg()], "cpus": os.cpu_count()}
    print(json.dumps(figures, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
