"""Every active client's deliverables in one run: parallel, fault-tolerant, incremental.

``run_batch`` picks the clients (all those with a mission, or ``--clients``, or one consultant's),
skips those whose inputs have not changed since their last outputs, sends the others to warm
workers (:mod:`workbench.reports.warm`), then makes the portfolio view. Workers are either local
processes (``workers=N``) or the workers of a Dask distributed cluster (``scheduler="tcp://…"``),
each keeping its kernel and browser from one client to the next.

A client's failure is an outcome like any other: the run goes on, the manifest says why and where
the partial output is, and the caller exits non-zero. The manifest (JSON) is written under
``reports/lots/``.

Incremental runs: see :mod:`workbench.reports.fingerprint`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import multiprocessing as mp
import os
import queue
import secrets
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from workbench import __version__
from workbench.core.errors import NotFoundError, UsageError
from workbench.core.files import write_atomically
from workbench.core.settings import Settings
from workbench.domain.records import Mission
from workbench.reports.browser import PDF_TIMEOUT_S
from workbench.reports.fingerprint import (
    PORTFOLIO,
    client_fingerprint,
    code_fingerprint,
    current_missions,
    is_unchanged,
    portfolio_fingerprint,
    record_success,
    settings_fingerprint,
)
from workbench.reports.pipeline import parse_formats
from workbench.reports.warm import (
    CELL_TIMEOUT_S,
    RECYCLE_AFTER,
    ClientOutcome,
    ClientTask,
    OnResult,
    WarmWorker,
)
from workbench.services.workspace import Workspace

MANIFEST_DIR = "lots"
STATUS_LABELS = {"made": "fait", "unchanged": "inchangé", "failed": "échec", "interrupted": "interrompu"}

# -- selection -------------------------------------------------------------------------------


@dataclass
class Selection:
    missions: list[Mission]
    without_mission: list[str]
    prospects: list[str] = field(default_factory=list)
    """Organisations assessed for the opportunity of certification: in the portfolio view, no report."""


def select_clients(ws: Workspace, clients: Sequence[str] | None = None, consultant: str | None = None) -> Selection:
    """Active clients (those with a mission), optionally limited to some ids or one consultant."""
    profiles = {p.id: p for p in ws.store.list_clients()}
    if clients:
        unknown = [c for c in clients if c not in profiles]
        if unknown:
            known = ", ".join(sorted(profiles)) or "aucun"
            raise NotFoundError(f"Client(s) inconnu(s) : {', '.join(unknown)}. Clients connus : {known}.")
        ids = list(dict.fromkeys(clients))
    else:
        ids = sorted(profiles)
    if consultant:
        wanted = consultant.strip().casefold()
        ids = [c for c in ids if (profiles[c].consultant or "").strip().casefold() == wanted]
    missions = current_missions(ws, ids)
    with_mission = {m.client_id for m in missions}
    left = [c for c in ids if c not in with_mission]
    return Selection(missions, [c for c in left if not profiles[c].prospect], [c for c in left if profiles[c].prospect])


# -- workers ---------------------------------------------------------------------------------

def _kill_tree(pids: Iterable[int], grace: float = 3.0) -> None:
    """Terminate processes and all their descendants (collected first, so none escapes to init)."""
    import psutil

    procs: dict[int, psutil.Process] = {}
    for pid in pids:
        try:
            p = psutil.Process(pid)
            procs[p.pid] = p
            for child in p.children(recursive=True):
                procs[child.pid] = child
        except psutil.NoSuchProcess:
            continue
    for p in procs.values():
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, alive = psutil.wait_procs(list(procs.values()), timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(alive, timeout=grace)


def _worker_main(name: str, tasks: Any, results: Any, recycle_after: int, timeout: int, pdf: bool,
                 parent: int, chromium: str | None = None) -> None:
    """A local worker process: warm kernel and browser, tasks from a queue until told to stop.

    It also stops when its parent is gone (killed without a chance to clean up)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the parent's to handle

    def _stop(*_: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _stop)
    worker = WarmWorker(name, recycle_after=recycle_after, timeout=timeout, on_done=record_success,
                        chromium=chromium)
    try:
        worker.warm_up(pdf=pdf)
        while os.getppid() == parent:
            try:
                task = tasks.get(timeout=1.0)
            except queue.Empty:
                continue
            if task is None:
                break
            results.put(("start", name, task.client_id))
            results.put(("done", name, worker.run(task)))
    finally:
        worker.close()


class LocalPool:
    """N worker processes on this machine, replaced if one dies; all of their processes ended at close."""

    def __init__(self, workers: int, *, recycle_after: int = RECYCLE_AFTER, timeout: int = CELL_TIMEOUT_S,
                 pdf: bool = True, chromium: str | None = None) -> None:
        self.n = workers
        self.args = (recycle_after, timeout, pdf)
        self.chromium = chromium
        # A task may legitimately take a full cell timeout plus a PDF timeout; past that the worker is stuck.
        self.hard_limit = 2 * timeout + PDF_TIMEOUT_S
        self._ctx = mp.get_context("spawn")
        self._tasks: Any = self._ctx.Queue()
        self._results: Any = self._ctx.Queue()
        self._procs: dict[str, Any] = {}
        self._seq = 0

    def _spawn(self) -> None:
        self._seq += 1
        name = f"local-{self._seq}"
        proc = self._ctx.Process(target=_worker_main, name=f"workbench-{name}", daemon=True,
                                 args=(name, self._tasks, self._results, *self.args, os.getpid()),
                                 kwargs={"chromium": self.chromium})
        proc.start()
        self._procs[name] = proc

    def __enter__(self) -> LocalPool:
        for _ in range(self.n):
            self._spawn()
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(graceful=exc_type is None)

    def run(self, tasks: Sequence[ClientTask], on_result: OnResult) -> None:
        running: dict[str, tuple[ClientTask, float]] = {}
        by_id = {t.client_id: t for t in tasks}
        left = len(tasks)
        for task in tasks:
            self._tasks.put(task)
        while left:
            try:
                kind, name, payload = self._results.get(timeout=0.5)
            except queue.Empty:
                left -= self._check_workers(running, on_result)
                continue
            if kind == "start":
                running[name] = (by_id[payload], time.monotonic())
            else:
                running.pop(name, None)
                left -= 1
                on_result(payload)

    def _check_workers(self, running: dict[str, tuple[ClientTask, float]], on_result: OnResult) -> int:
        lost = 0
        for name, proc in list(self._procs.items()):
            current = running.get(name)
            stuck = current is not None and time.monotonic() - current[1] > self.hard_limit
            if proc.is_alive() and not stuck:
                continue
            if stuck:
                _kill_tree([proc.pid])
                reason = f"délai de {self.hard_limit} s dépassé, processus de travail arrêté"
            else:
                reason = f"processus de travail arrêté inopinément (code {proc.exitcode})"
            del self._procs[name]
            if current is not None:
                task = running.pop(name)[0]
                on_result(ClientOutcome(task.client_id, task.mission_id, "echec", worker=name,
                                        message=f"Échec pour « {task.client_id} » : {reason}."))
                lost += 1
            self._spawn()
        return lost

    def close(self, *, graceful: bool = True) -> None:
        """Stop the workers: after their current task when ``graceful``, at once otherwise (Ctrl+C);
        then end whatever is left of their process trees (kernels, browsers)."""
        procs = list(self._procs.values())
        self._procs.clear()
        pids = [p.pid for p in procs if p.pid]
        import psutil

        tree = set(pids)  # every descendant now, before a parent's exit hands them to init
        for pid in pids:
            with contextlib.suppress(psutil.Error):
                tree.update(c.pid for c in psutil.Process(pid).children(recursive=True))
        if graceful:
            for _ in procs:
                with contextlib.suppress(Exception):
                    self._tasks.put(None)
        else:  # a worker stops on SIGTERM, closing its kernel and browser on the way out
            for p in procs:
                with contextlib.suppress(Exception):
                    p.terminate()
        deadline = time.monotonic() + (20 if graceful else 5)
        for p in procs:
            p.join(timeout=max(0.1, deadline - time.monotonic()))
        _kill_tree(tree, grace=2.0)
        for q in (self._tasks, self._results):
            q.cancel_join_thread()
            q.close()


# -- the run ---------------------------------------------------------------------------------


@dataclass
class BatchOptions:
    clients: list[str] | None = None
    consultant: str | None = None
    formats: tuple[str, ...] = ("html", "pdf", "xlsx")
    workers: int = 2
    force: bool = False
    scheduler: str | None = None
    portfolio: bool = True
    recycle_after: int = RECYCLE_AFTER
    timeout: int = CELL_TIMEOUT_S
    progress: bool = True
    today: dt.date | None = None


@dataclass
class Manifest:
    run_id: str
    workspace: str
    started: str
    options: dict[str, Any]
    clients: list[dict[str, Any]] = field(default_factory=list)
    without_mission: list[str] = field(default_factory=list)
    prospects: list[str] = field(default_factory=list)
    portfolio: dict[str, Any] | None = None
    finished: str = ""
    seconds: float = 0.0
    check_ms_per_client: float = 0.0
    interrupted: bool = False
    path: str = ""

    def count(self, status: str) -> int:
        return sum(c["status"] == status for c in self.clients)

    @property
    def failed(self) -> bool:
        return self.interrupted or self.count("failed") > 0 or bool(self.portfolio and
                                                                   self.portfolio["status"] == "failed")

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["totals"] = {s: self.count(s) for s in STATUS_LABELS} | {"without_mission": len(self.without_mission),
                                                                      "prospects": len(self.prospects)}
        data["version"] = __version__
        return data


def _entry(outcome: ClientOutcome, status: str | None = None) -> dict[str, Any]:
    data = dataclasses.asdict(outcome)
    data["status"] = status or ("made" if outcome.status == "fait" else "failed")
    return data


def run_batch(ws: Workspace, options: BatchOptions) -> Manifest:
    """Make the deliverables of the selected clients and the portfolio view; write the manifest."""
    formats = tuple(parse_formats(list(options.formats)))
    if options.workers < 1:
        raise UsageError(f"--workers doit être au moins 1 (reçu : {options.workers}).")
    today = options.today or dt.date.today()
    started = time.perf_counter()
    now = dt.datetime.now().astimezone()
    manifest = Manifest(
        run_id=f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}", workspace=str(ws.path),
        started=now.isoformat(timespec="seconds"),
        options={"clients": options.clients, "consultant": options.consultant, "formats": list(formats),
                 "workers": options.workers, "force": options.force, "scheduler": options.scheduler,
                 "today": today.isoformat()})
    selection = select_clients(ws, options.clients, options.consultant)
    manifest.without_mission = selection.without_mission
    manifest.prospects = selection.prospects

    # Incremental check, before any worker starts.
    t = time.perf_counter()
    base = code_fingerprint() + settings_fingerprint(ws.settings)
    tasks: list[ClientTask] = []
    for mission in selection.missions:
        fingerprint = client_fingerprint(ws, mission, today=today, base=base)
        previous = None if options.force else is_unchanged(ws.settings, mission.client_id, fingerprint, formats)
        if previous is not None:
            manifest.clients.append({"client_id": mission.client_id, "mission_id": mission.id,
                                     "status": "unchanged", "outputs": previous, "fingerprint": fingerprint})
        else:
            tasks.append(ClientTask(str(ws.path), mission.client_id, mission.id, formats, fingerprint,
                                    today=today.isoformat()))
    if selection.missions:
        manifest.check_ms_per_client = round((time.perf_counter() - t) * 1000 / len(selection.missions), 3)

    portfolio_task = None
    if options.portfolio and (selection.missions or selection.without_mission or selection.prospects):
        ids = [m.client_id for m in selection.missions]
        portfolio_task = ClientTask(str(ws.path), PORTFOLIO, "", formats, "", today=today.isoformat(),
                                    kind="portfolio", consultant=options.consultant, client_ids=tuple(ids))
        # The portfolio only changes when one of its clients does.
        if not tasks and not options.force:
            fp = portfolio_fingerprint(ws, selection.missions, options.consultant, today)
            previous = is_unchanged(ws.settings, PORTFOLIO, fp, formats)
            if previous is not None:
                manifest.portfolio = {"status": "unchanged", "outputs": previous, "fingerprint": fp}
                portfolio_task = None

    bar = _progress(len(manifest.clients) + len(tasks), manifest.count("unchanged"), options.progress)

    def on_result(outcome: ClientOutcome) -> None:
        if outcome.client_id == PORTFOLIO:
            manifest.portfolio = _entry(outcome)
            return
        manifest.clients.append(_entry(outcome))
        if bar is not None:
            bar.set_postfix_str(f"{outcome.client_id} : {STATUS_LABELS[manifest.clients[-1]['status']]}"
                                f", échecs : {manifest.count('failed')}", refresh=False)
            bar.update(1)

    restore = _terminate_as_interrupt()
    try:
        if tasks or portfolio_task:
            pdf = "pdf" in formats
            pool: Any
            if options.scheduler:
                from workbench.reports.batch_dask import DaskPool

                pool = DaskPool(options.scheduler, recycle_after=options.recycle_after, timeout=options.timeout,
                                pdf=pdf)
            else:
                found = ws.settings.chromium()  # the workspace's Chromium, for the workers it starts
                pool = LocalPool(max(1, min(options.workers, len(tasks) or 1)), recycle_after=options.recycle_after,
                                 timeout=options.timeout, pdf=pdf, chromium=str(found) if found else None)
            with pool:
                pool.run(tasks, on_result)
                if portfolio_task is not None:
                    if bar is not None:
                        bar.set_postfix_str("vue portefeuille", refresh=True)
                    pool.run([portfolio_task], on_result)
    except KeyboardInterrupt:
        manifest.interrupted = True
        done = {c["client_id"] for c in manifest.clients}
        manifest.clients += [{"client_id": t.client_id, "mission_id": t.mission_id, "status": "interrupted"}
                             for t in tasks if t.client_id not in done]
        raise
    finally:
        restore()
        if bar is not None:
            bar.close()
        order = {m.client_id: i for i, m in enumerate(selection.missions)}
        manifest.clients.sort(key=lambda c: order.get(c["client_id"], len(order)))
        manifest.finished = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        manifest.seconds = round(time.perf_counter() - started, 3)
        _write_manifest(ws.settings, manifest)
    return manifest


def _terminate_as_interrupt() -> Callable[[], None]:
    """While workers run, SIGTERM and SIGHUP stop the run like Ctrl+C: workers and their kernels and
    browsers are ended before exiting (only possible from the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGHUP)}
    return lambda: [signal.signal(sig, handler) for sig, handler in previous.items()] and None


def _progress(total: int, skipped: int, enabled: bool) -> Any:
    if not enabled or not total:
        return None
    from tqdm import tqdm

    return tqdm(total=total, initial=skipped, unit="client", desc="Livrables", file=sys.stderr,
                dynamic_ncols=True, mininterval=0.3)


def _write_manifest(settings: Settings, manifest: Manifest) -> None:
    folder = settings.reports_dir / MANIFEST_DIR
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"lot-{manifest.run_id}.json"
    manifest.path = str(path)
    text = json.dumps(manifest.to_dict(), ensure_ascii=False, indent=1)
    write_atomically(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), overwrite=False)


def summary_text(manifest: Manifest) -> str:
    """The French end-of-run summary."""
    lines = []
    made, same, failed = manifest.count("made"), manifest.count("unchanged"), manifest.count("failed")
    secs = f"{manifest.seconds:.1f}".replace(".", ",")
    lines.append(f"Lot {manifest.run_id} : {made} client(s) traité(s), {same} inchangé(s) (ignoré(s)), "
                 f"{failed} en échec — {secs} s.")
    for c in manifest.clients:
        if c["status"] == "failed":
            lines.append(f"  ÉCHEC {c['client_id']} : {c.get('message') or 'raison inconnue'}")
            if c.get("partial_output"):
                lines.append(f"        sortie partielle : {c['partial_output']}")
        elif c["status"] == "interrupted":
            lines.append(f"  INTERROMPU {c['client_id']}")
    if manifest.without_mission:
        lines.append(f"  Sans mission (non traités) : {', '.join(manifest.without_mission)}")
    if manifest.prospects:
        lines.append(f"  Prospects (dans la vue portefeuille, sans rapport) : {', '.join(manifest.prospects)}")
    p = manifest.portfolio
    if p is not None:
        if p["status"] == "failed":
            lines.append(f"  ÉCHEC de la vue portefeuille : {p.get('message')}")
        else:
            label = "inchangée" if p["status"] == "unchanged" else "à jour"
            lines.append(f"  Vue portefeuille {label} : {', '.join(sorted(p.get('outputs', {}).values()))}")
    lines.append(f"  Manifeste : {manifest.path}")
    return "\n".join(lines)
