"""Warm report workers: one Jupyter kernel and one Chromium kept alive across many clients.

A fresh ``workbench report`` pays about 2 s to start a kernel and import the package in it, and
1.5 s to start Chromium for the PDF. A :class:`WarmWorker` pays both once and then serves client
after client, under three rules that keep one client's data out of the next one's outputs:

- the kernel's namespace is wiped (``%reset -f``, figures closed) after each notebook, while the
  PDF prints, and checked before the next one (working folder set, no name nor output left; a
  missed wipe is done then): a name left behind stops the run;
- each PDF is printed in its own browser context (no shared cache, storage or cookies), closed after
  (:class:`~workbench.reports.browser.Browser`);
- the kernel is replaced after ``recycle_after`` notebooks and after any error or timeout; the
  browser after any PDF error.

Kernel and browser each live on their own thread: the Jupyter client and Playwright's sync API both
bind an asyncio loop to the thread that uses them, so they must not share one.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import time
import traceback
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from workbench.core.errors import RunError, WorkbenchError
from workbench.reports.browser import BrowserThread
from workbench.reports.pipeline import KERNEL, cell_failure, generate_report
from workbench.services.workspace import Workspace

T = TypeVar("T")

RECYCLE_AFTER = 40
CELL_TIMEOUT_S = 300
# Modules imported once per kernel, before any client: what makes the kernel "warm".
KERNEL_WARMUP = "import workbench.reports.content, matplotlib.pyplot, IPython.display"
# Run after every notebook, while the worker does something else (the PDF, the next request's
# wait): the namespace and the output cache are emptied, figures closed.
# The kernel first leaves the notebook's folder: published, it is gone, and the wipe needs a folder.
KERNEL_WIPE = """\
import os as _wb_os
_wb_os.chdir("/")
del _wb_os
get_ipython().run_line_magic("reset", "-f")
import matplotlib.pyplot as _wb_plt
_wb_plt.close("all")
del _wb_plt
"""
# Run before every notebook, and checked: only IPython's own names may remain. The folder comes
# first: the previous run's staging folder is gone once its outputs are published, and nothing may
# run in a deleted working directory.
KERNEL_CHECK = """\
import os as _wb_os
_wb_os.chdir({cwd!r})
del _wb_os
_wb_left = [k for k in get_ipython().user_ns if not k.startswith("_")
            and k not in ("In", "Out", "get_ipython", "exit", "quit", "open")]
if _wb_left or get_ipython().user_ns.get("Out"):
    raise RuntimeError("kernel state not cleared: " + ", ".join(sorted(_wb_left) or ["Out"]))
del _wb_left
"""



def _run(coro_fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a (possibly) async Jupyter client call on this thread's event loop."""
    from jupyter_core.utils import ensure_async, run_sync

    async def call() -> Any:
        return await ensure_async(coro_fn(*args, **kwargs))

    return run_sync(call)()


class WarmKernel:
    """One ipykernel reused notebook after notebook (use from a single thread)."""

    def __init__(self, *, recycle_after: int = RECYCLE_AFTER, timeout: int = CELL_TIMEOUT_S) -> None:
        self.recycle_after = recycle_after
        self.timeout = timeout
        self.km: Any = None
        self.kc: Any = None
        self.client: Any = None
        self.dirty = False
        """A notebook ran since the last wipe."""
        self.runs = 0
        """Notebooks run by the current kernel."""
        self.starts = 0
        """Kernels started so far (1 + recycles)."""
        self.pid: int | None = None

    def start(self, cwd: Path | None = None) -> None:
        if self.km is not None:
            return
        import nbformat
        from nbclient import NotebookClient

        boot = NotebookClient(nbformat.v4.new_notebook(), kernel_name=KERNEL, startup_timeout=120,
                              # no output cache (Out, _1…) nor history database: nothing of a client
                              # kept there, and the wipe's %reset skips the full garbage collection
                              # that emptying the cache costs
                              extra_arguments=["--IPKernelApp.log_level=ERROR", "--InteractiveShell.cache_size=0",
                                               "--HistoryManager.enabled=False"])
        boot.km = boot.create_kernel_manager()
        boot.start_new_kernel(cwd=str(cwd or Path.cwd()))
        # Waiting for the kernel happens here, outside nbclient's execute: a Ctrl+C during that
        # wait would otherwise leave nbclient's exit hook behind (a traceback at exit). This first
        # client is then only closed with the kernel.
        boot.start_new_kernel_client()
        self.km, self.kc = boot.km, boot.kc
        # One client runs every notebook of this kernel: it opens its channels once (a new client
        # per notebook waited 0.2 s for the kernel to be ready, and left its sockets open). Given the
        # manager, it does not own the kernel and leaves it running after each notebook.
        self.client = NotebookClient(nbformat.v4.new_notebook(), km=self.km, kernel_name=KERNEL,
                                     timeout=self.timeout, allow_errors=False)
        self.runs = 0
        self.dirty = False
        self.starts += 1
        with contextlib.suppress(Exception):
            self.pid = self.km.provisioner.process.pid
        self._execute(KERNEL_WARMUP)
        self.dirty = True  # the warm-up's own names go now, before any client
        self.wipe()

    def _run_notebook(self, nb: Any, path: Path | None = None) -> None:
        self.client.nb = nb
        self.client.resources = {"metadata": {"path": str(path)}} if path is not None else {}
        self.client.execute()

    def _execute(self, code: str) -> None:
        """Run housekeeping code on the kernel, as a one-cell notebook through the same client."""
        import nbformat

        self._run_notebook(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)]))

    def wipe(self) -> None:
        """Empty the namespace after a notebook (:data:`KERNEL_WIPE`); a failure is left to
        :meth:`_clear`, which checks the kernel before the next notebook."""
        if self.client is not None and self.dirty:
            with contextlib.suppress(Exception):
                self._execute(KERNEL_WIPE)
                self.dirty = False

    def _clear(self, cwd: Path) -> None:
        """Make sure no name of the previous notebook is left: wipe now if that was not done, then check."""
        self.wipe()
        self._execute(KERNEL_CHECK.format(cwd=str(cwd)))

    def close(self) -> None:
        km, kcs = self.km, [c for c in (self.kc, getattr(self.client, "kc", None)) if c is not None]
        self.km = self.kc = self.client = None
        self.pid = None
        for kc in kcs:
            with contextlib.suppress(Exception):
                kc.stop_channels()
        if km is not None:
            with contextlib.suppress(Exception):
                _run(km.shutdown_kernel, now=True)

    def recycle(self) -> None:
        self.close()

    def execute(self, notebook: Path, output: Path, parameters: dict[str, str], *, client_id: str) -> None:
        """Same contract as :func:`~workbench.reports.pipeline.run_notebook`, on this warm kernel."""
        import nbformat
        from nbclient.exceptions import CellExecutionError
        from papermill.iorw import load_notebook_node
        from papermill.parameterize import parameterize_notebook

        nb = load_notebook_node(str(notebook))
        nb = parameterize_notebook(nb, parameters, kernel_name=KERNEL)
        try:
            if self.runs >= self.recycle_after:
                self.recycle()
            self.start(output.parent)
            try:
                self._clear(output.parent)
            except Exception as exc:  # noqa: BLE001 - never run a client on a kernel not cleared
                raise RuntimeError(f"réinitialisation du noyau impossible ({exc})") from None
            self.runs += 1
            self.dirty = True
            self._run_notebook(nb, output.parent)
        except CellExecutionError as exc:
            self.recycle()
            nbformat.write(nb, output)
            index = next((i for i, c in enumerate(nb.cells)
                          if any(o.get("output_type") == "error" for o in c.get("outputs", []))), -1)
            raise cell_failure(client_id, notebook, index, exc.ename, exc.evalue, output) from None
        except Exception as exc:  # noqa: BLE001 - timeout, dead kernel, start-up failure: recycle
            self.recycle()
            with contextlib.suppress(Exception):
                nbformat.write(nb, output)
            what = "délai dépassé" if isinstance(exc, TimeoutError) else f"{type(exc).__name__} : {exc}"
            raise RunError(
                f"Échec du rapport du client « {client_id} » : le notebook {notebook.name} n'a pas pu être "
                f"exécuté ({what}). Le noyau a été remplacé.",
                client_id=client_id, notebook=notebook.name,
                output_path=str(output) if output.exists() else None) from None
        nbformat.write(nb, output)


@dataclass
class ClientTask:
    """One client's deliverables, as sent to a worker (plain data: it crosses process boundaries)."""

    workspace: str
    client_id: str
    mission_id: str
    formats: tuple[str, ...]
    fingerprint: str
    today: str = field(default_factory=lambda: dt.date.today().isoformat())
    kind: str = "report"
    """"report" (one client) or "portfolio" (the view across ``client_ids``)."""
    consultant: str | None = None
    client_ids: tuple[str, ...] = ()


@dataclass
class ClientOutcome:
    client_id: str
    mission_id: str
    status: str
    """"fait" or "echec"."""
    outputs: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    message: str = ""
    partial_output: str | None = None
    fingerprint: str = ""
    worker: str = ""
    kernel_pid: int | None = None
    kernel_run: int = 0
    timings: dict[str, float] = field(default_factory=dict)


OnResult = Callable[[ClientOutcome], None]


def _on_thread(executor: ThreadPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return executor.submit(fn, *args, **kwargs).result()


class WarmWorker:
    """A kernel and a browser, each on its own thread, serving :class:`ClientTask` after task."""

    def __init__(self, name: str = "", *, recycle_after: int = RECYCLE_AFTER, timeout: int = CELL_TIMEOUT_S,
                 on_done: Callable[[Workspace, ClientTask, ClientOutcome], None] | None = None,
                 chromium: str | None = None) -> None:
        self.name = name or f"pid-{os.getpid()}"
        self.kernel = WarmKernel(recycle_after=recycle_after, timeout=timeout)
        self.browser = BrowserThread(chromium=chromium)
        self._kthread = ThreadPoolExecutor(1, thread_name_prefix="wb-kernel")
        self.on_done = on_done

    def warm_up(self, *, pdf: bool = True) -> None:
        """Start the kernel and (for PDFs) the browser side by side."""
        futures = [self._kthread.submit(self.kernel.start)]
        if pdf:
            futures.append(self.browser.start())
        for f in futures:
            with contextlib.suppress(Exception):  # a start failure shows again, per client, with its cause
                f.result()

    def _execute(self, *args: Any, **kwargs: Any) -> None:
        _on_thread(self._kthread, self.kernel.execute, *args, **kwargs)

    def _print_pdf(self, html: Path, pdf: Path, **options: Any) -> Path:
        """The :data:`~workbench.reports.pipeline.PdfPrinter` of this worker's browser."""
        return self.browser.print_pdf(html, pdf, **options)

    def before_report(self, formats: Collection[str]) -> None:
        """Call before a report made with this worker's executor and printer: the next print's
        browser context is made while the notebook runs."""
        if "pdf" in formats:
            self.browser.prepare()

    def after_report(self) -> None:
        """Call once a report is made: the kernel is wiped while the caller moves on (checked before
        the next notebook, which waits for the wipe)."""
        self._kthread.submit(self.kernel.wipe)

    def run(self, task: ClientTask) -> ClientOutcome:
        """Make one client's deliverables; never raises: a failure is an outcome."""
        started = time.perf_counter()
        out = ClientOutcome(task.client_id, task.mission_id, "echec", worker=self.name)
        ws = None
        try:
            self.before_report(task.formats)
            ws = Workspace.open(task.workspace, create=False)
            today = dt.date.fromisoformat(task.today)
            if task.kind == "portfolio":
                from workbench.reports.portfolio import generate_portfolio

                result = generate_portfolio(ws, task.formats, consultant=task.consultant, today=today,
                                            executor=self._execute, pdf_printer=self._print_pdf)
            else:
                result = generate_report(ws, task.client_id, task.mission_id, task.formats, today=today,
                                         executor=self._execute, pdf_printer=self._print_pdf)
            out.status = "fait"
            out.outputs = {k: str(v) for k, v in result.paths.items()}
            out.timings = {k: round(v, 4) for k, v in result.timings.items()}
            if self.on_done is not None:
                self.on_done(ws, task, out)
        except WorkbenchError as exc:
            out.message = exc.message
            out.partial_output = getattr(exc, "output_path", None)
        except Exception as exc:  # noqa: BLE001 - one client's bug never stops the others
            where = traceback.extract_tb(exc.__traceback__)[-1]
            out.message = (f"Erreur interne pour le client « {task.client_id} » ({type(exc).__name__} : {exc}, "
                           f"{Path(where.filename).name}:{where.lineno}).")
        finally:
            if ws is not None:
                ws.close()
        self.after_report()
        out.kernel_pid = self.kernel.pid
        out.kernel_run = self.kernel.runs
        out.seconds = round(time.perf_counter() - started, 3)
        return out

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._kthread.submit(self.kernel.close).result(timeout=30)
        self._kthread.shutdown(wait=False, cancel_futures=True)
        self.browser.close()
