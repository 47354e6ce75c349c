"""Client reports: run the report notebook with papermill, export HTML, PDF (A4) and Excel.

One call, :func:`generate_report`, per client mission:

1. the action plan is brought up to date (missing actions added, never duplicated);
2. ``notebooks/rapport_client.ipynb`` runs with papermill on the ``python3`` kernel of the current
   environment; the executed notebook is kept next to the reports (also when a cell fails, and a
   :class:`~workbench.core.errors.RunError` names the client, the notebook and the cell);
3. HTML through the project's nbconvert template (``report_template/qualiopi``, extending lab): no
   code, no script, no remote resource — charts are inline SVG and the logo a data URI;
4. PDF in A4 from that HTML with headless Chromium, offline, its contents numbered
   (:mod:`workbench.reports.browser`);
5. the Excel action plan.

The mission, the client and the referential are read once (with the plan update); the notebook
receives the run's day (``today``: due dates and projection use the same day), its time and the hash
of the data, and refuses data changed in between. Every output records its provenance (referential
version, input hash, package version, time): in the executed notebook's metadata
(``metadata.workbench.provenance``), the visible footer and ``<meta>`` tags of the HTML (hence the
PDF), a « Provenance » sheet and document properties in the workbook.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import shutil
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.errors import RunError, UsageError
from workbench.core.files import PRIVATE_DIR_MODE, StagedOutputs, check_folder, check_target, write_atomically
from workbench.core.jupyter import base_jupyter_dirs
from workbench.core.logo import load_logo
from workbench.core.settings import Settings
from workbench.core.vocab import MissionType
from workbench.data import notebook
from workbench.domain.profile import validate_client_id
from workbench.reports.browser import BrowserThread, chromium_path, html_to_pdf, previous_pages, toc_titles
from workbench.reports.content import TEMPLATE_DIR, ReportContext, provenance_for, report_context
from workbench.reports.excel import export_action_plan
from workbench.reports.kernel import ContainedKernelManager, stop_leftover_kernels
from workbench.services.analysis import MissionData, update_plan
from workbench.services.planning import PlanResult
from workbench.services.workspace import Workspace
from workbench.store.report_texts import next_version, record_sent_version

NOTEBOOK = notebook("rapport_client.ipynb")
FOLLOWUP_NOTEBOOK = notebook("point_de_suivi.ipynb")
"""The deliverable of a follow-up visit (mission type « point de suivi »)."""
TEMPLATE_NAME = "qualiopi"
KERNEL = "python3"
CLIENT_PROVENANCE = ("input_hash", "package_version", "generated_at", "report_version", "applicability_scope")
"""Provenance written into the client's files (meta tags); the ids stay in the executed notebook."""


@dataclass
class ReportResult:
    client_id: str
    mission_id: str
    paths: dict[str, Path]
    notebook: Path
    provenance: dict[str, str]
    plan: PlanResult
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


# -- format registry ------------------------------------------------------------------------

Exporter = Callable[["_Job"], Path]
_FORMATS: dict[str, Exporter] = {}


def register_format(name: str, exporter: Exporter) -> None:
    _FORMATS[name] = exporter


def available_formats() -> list[str]:
    return list(_FORMATS)


def parse_formats(raw: str | Sequence[str]) -> list[str]:
    items = raw.split(",") if isinstance(raw, str) else list(raw)
    out: list[str] = []
    for item in items:
        name = item.strip().lower()
        if not name:
            continue
        if name not in _FORMATS:
            raise UsageError(f"format de rapport inconnu : « {item.strip()} » (formats : {', '.join(_FORMATS)}).")
        if name not in out:
            out.append(name)
    if not out:
        raise UsageError(f"indiquez au moins un format de rapport ({', '.join(_FORMATS)}).")
    return out


NotebookExecutor = Callable[..., None]
"""Runs a notebook like :func:`run_notebook`: (notebook, output, parameters, *, client_id); raises RunError."""
PdfPrinter = Callable[..., Path]
"""Prints an HTML file to PDF: (html, pdf, *, client_id, toc=None) -> pdf; raises RunError
(:meth:`workbench.reports.browser.Browser.print_pdf`)."""


@dataclass
class _Job:
    ws: Workspace
    data: MissionData | None
    """The mission's data (None for a follow-up visit, whose notebook gathers its own)."""
    client_id: str
    client_name: str
    mission_id: str
    out_dir: Path
    base: str
    executed: Path
    provenance: dict[str, str]
    title: str = ""
    version: int = 0
    today: dt.date | None = None
    generated: dt.datetime | None = None
    html_text: str = ""
    tmp: Path | None = None
    pdf_printer: PdfPrinter | None = None
    published_dir: Path | None = None
    """Where the outputs land once published (``out_dir`` is the staging folder)."""
    _context: ReportContext | None = None

    def context(self) -> ReportContext:
        """The report's context built from the run's load (no second read of the mission)."""
        if self._context is None:
            from workbench.reports.content import load_report_context

            if self.data is None:  # a follow-up visit: its mission is read here, once
                self._context = load_report_context(self.ws.path, self.client_id, self.mission_id, self.today,
                                                    self.version, generated_at=self.provenance.get("generated_at"))
            else:
                assert self.generated is not None and self.today is not None
                self._context = report_context(self.ws, self.data, self.generated, self.today, self.version,
                                               self.provenance)
        return self._context


# -- steps ----------------------------------------------------------------------------------


def run_notebook(notebook: Path, output: Path, parameters: dict[str, str], *, client_id: str,
                 shown: Path | None = None) -> None:
    """Run a notebook once with papermill on a fresh kernel into ``output``; a failure names ``shown``,
    where the partially executed copy is kept."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    shown = shown or output
    try:
        pm.execute_notebook(
            str(notebook), str(output), parameters=parameters,
            kernel_name=KERNEL, progress_bar=False, log_output=False, cwd=str(output.parent),
            report_mode=False, extra_arguments=["--IPKernelApp.log_level=ERROR"],
            kernel_manager_class=ContainedKernelManager,  # silent, and killed with the report (kernel.py)
        )
    except PapermillExecutionError as exc:
        raise cell_failure(client_id, notebook, exc.cell_index, exc.ename, exc.evalue, shown) from None
    except OSError as exc:  # a full disk or a folder that cannot be written: named as such by the CLI
        if exc.errno in (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT):
            raise
        raise RunError(f"Échec du rapport du client « {client_id} » : le notebook {notebook.name} n'a pas pu "
                       f"être exécuté ({exc}).", client_id=client_id, notebook=notebook.name) from None
    except Exception as exc:  # noqa: BLE001 - kernel start-up, I/O: any failure becomes a RunError
        raise RunError(
            f"Échec du rapport du client « {client_id} » : le notebook {notebook.name} n'a pas pu être exécuté "
            f"({type(exc).__name__} : {exc}).",
            client_id=client_id, notebook=notebook.name, output_path=str(shown) if output.exists() else None,
        ) from None
    finally:
        stop_leftover_kernels()  # Ctrl+C, SIGTERM, any error: no kernel outlives the report


def cell_failure(client_id: str, notebook: Path, cell_index: int, ename: str, evalue: str,
                 output: Path) -> RunError:
    """The error of a notebook stopped by a failing cell; its partially executed copy is kept."""
    return RunError(
        f"Échec du rapport du client « {client_id} » : le notebook {notebook.name} s'est arrêté à la "
        f"cellule {cell_index} ({ename} : {evalue}). Le notebook partiellement exécuté est "
        f"conservé : {output}",
        client_id=client_id, notebook=notebook.name, cell_index=cell_index, output_path=str(output),
    )


def _provenance_from(executed: Path) -> dict[str, str]:
    """Provenance displayed by a notebook as output metadata: still used by the portfolio and the
    opportunity note, which compute theirs in the kernel (the client report and the follow-up
    deliverable get theirs from the run and keep it in the notebook's metadata)."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    recorded = nb.metadata.get("workbench", {}).get("provenance")
    if recorded:
        return {str(k): str(v) for k, v in recorded.items()}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            prov = out.get("metadata", {}).get("workbench_provenance")
            if prov:
                return {str(k): str(v) for k, v in prov.items()}
    return {}


def _record_provenance(executed: Path, provenance: dict[str, str]) -> None:
    """Write the run's provenance into the executed notebook's metadata (``metadata.workbench``)."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    nb.metadata.setdefault("workbench", {})["provenance"] = provenance
    write_atomically(executed, lambda tmp: nbformat.write(nb, tmp), overwrite=True)


@functools.lru_cache(maxsize=1)
def _exporter() -> Any:
    """The report page's exporter, built once per process: compiling its templates took about half
    of each page's rendering. Options are the same for every page; what varies is passed per call."""
    from jinja2 import FileSystemLoader
    from nbconvert import HTMLExporter, TemplateExporter

    class ReportExporter(HTMLExporter):
        """nbconvert's HTML exporter without its last pass, which parses the whole page again with
        BeautifulSoup's pure-Python parser (0.3 s of CPU per report) to add alternative text to images
        that lack it and tab stops to code cells: the report's only image (the logo) has its own
        alternative text and the page holds no code cell."""

        def from_notebook_node(self, nb: Any, resources: Any = None, **kw: Any) -> tuple[str, dict[str, Any]]:
            from nbconvert.filters.highlight import Highlight2HTML
            from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

            info = nb.metadata.get("language_info", {})
            self.register_filter("highlight_code", self.filters.get("highlight_code", Highlight2HTML(
                pygments_lexer=info.get("pygments_lexer", info.get("name")), parent=self)))
            resources = self._init_resources(resources)
            self.register_filter("filter_data_type", WidgetsDataTypeFilter(
                notebook_metadata=self._nb_metadata, parent=self, resources=resources))
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    # nbconvert's own templates (our template extends « lab »), also from a venv
    shared = [str(d / "nbconvert" / "templates") for d in base_jupyter_dirs()]
    exporter = ReportExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATE_DIR), *shared],
                            extra_loaders=[FileSystemLoader(shared)] if shared else [])
    exporter.language_code = "fr"
    # the notebook is checked once after the preprocessors, not after each of the twelve (0.03 s)
    exporter.optimistic_validation = True
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.exclude_markdown = True
    exporter.exclude_raw = True
    return exporter


_EXPORTER_LOCK = threading.Lock()


def notebook_html(executed: Path, *, title: str, settings: Settings, provenance: dict[str, str],
                  shown: Collection[str] | None = CLIENT_PROVENANCE) -> str:
    """An executed notebook as a report page: project template, no code, no script. ``shown``: the
    provenance keys written into the page (None: all of them)."""
    import nbformat

    nb = nbformat.read(executed, as_version=4)
    nb.metadata["title"] = title  # the page title, hence the PDF's title metadata
    resources = {
        "metadata": {"name": title},
        "workbench": {"branding": settings.branding.model_dump(),
                      "provenance": {k: v for k, v in provenance.items() if shown is None or k in shown}},
        "workbench_css": (TEMPLATE_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8"),
    }
    with _EXPORTER_LOCK:
        body, _ = _exporter().from_notebook_node(nb, resources=resources)
    # Jinja writes an apostrophe as « &#39; »; the page keeps the character itself, as nbconvert's own
    # pass did: safe, since every attribute of the page is written between double quotes.
    return body.replace("&#39;", "'")


def _html(job: _Job) -> str:
    return notebook_html(job.executed, title=job.title, settings=job.ws.settings, provenance=job.provenance)


def _export_html(job: _Job) -> Path:
    path = job.out_dir / f"{job.base}.html"
    path.write_text(job.html_text, encoding="utf-8")
    return path


def _export_pdf(job: _Job) -> Path:
    """A4 PDF whose table of contents carries the page numbers (see :mod:`workbench.reports.browser`)."""
    assert job.tmp is not None
    printer = job.pdf_printer or functools.partial(html_to_pdf, settings=job.ws.settings)
    page = job.tmp / f"{job.base}.html"
    page.write_text(job.html_text, encoding="utf-8")
    toc = toc_titles(job.html_text)
    # the previous PDF of this very report (same client, same mission) gives a guess of the numbers
    guess = previous_pages(toc, job.published_dir / f"{job.base}.pdf") if toc and job.published_dir else None
    return printer(page, job.out_dir / f"{job.base}.pdf", client_id=job.client_id, toc=toc, guess=guess)


def _fr_stamp(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).strftime("%d/%m/%Y à %H:%M")
    except ValueError:
        return iso


def _export_xlsx(job: _Job) -> Path:
    data, settings = job.data, job.ws.settings
    if data is None:  # a follow-up visit hands over the recurring-task plan
        from workbench.reports.tasks_excel import export_task_plan
        from workbench.services.lifecycle import task_views

        today = dt.date.fromisoformat(job.provenance["situation_date"])
        return export_task_plan(job.out_dir / f"taches-{job.mission_id}.xlsx", client_id=job.client_id,
                                client_name=job.client_name, views=task_views(job.ws, job.client_id, today, write=False),
                                today=today, primary_color=settings.branding.primary_color, overwrite=True)
    prov = {
        "Empreinte des données": job.provenance.get("input_hash", ""),
        "Généré le": _fr_stamp(job.provenance.get("generated_at", "")),
        "input_hash": job.provenance.get("input_hash", ""),
        "generated_at": job.provenance.get("generated_at", ""),
    }
    return export_action_plan(
        job.out_dir / f"plan-actions-{job.mission_id}.xlsx", mission=data.mission, client_name=data.profile.name,
        actions=list(data.actions), referential=data.referential, provenance=prov,
        primary_color=settings.branding.primary_color)


def _export_docx(job: _Job) -> Path:
    from workbench.reports.docx import render_docx

    return render_docx(job.context(), job.out_dir / f"{job.base}.docx")


register_format("html", _export_html)
register_format("pdf", _export_pdf)
register_format("docx", _export_docx)
register_format("xlsx", _export_xlsx)


def _export_formats(job: _Job, wanted: Sequence[str], timings: dict[str, float]) -> dict[str, Path]:
    """Every requested format, in the registry's order. With a browser of its own, the PDF (made
    from ``job.html_text``) prints in Chromium while this process writes the other files (Word,
    Excel); it is always waited for, whatever happens to the others, before the staging folder can
    go, and the first failure is the one reported."""
    from concurrent.futures import ThreadPoolExecutor

    names = [f for f in _FORMATS if f in wanted]

    def export(name: str) -> Path:
        t = time.perf_counter()
        path = _FORMATS[name](job)
        timings[name] = time.perf_counter() - t
        return path

    if "pdf" not in names or len(names) == 1 or job.pdf_printer is None:
        return {name: export(name) for name in names}
    with ThreadPoolExecutor(1, thread_name_prefix="wb-pdf") as pool:
        printing = pool.submit(export, "pdf")
        try:
            produced = {name: export(name) for name in names if name != "pdf"}
        except BaseException:
            with contextlib.suppress(BaseException):
                printing.result()
            raise
        produced["pdf"] = printing.result()
    return {name: produced[name] for name in names}


# -- versions sent ----------------------------------------------------------------------------

SENT_DIR = "envoyes"


def _keep_sent(ws: Workspace, job: _Job, out_dir: Path, paths: dict[str, Path]) -> dict[str, Path]:
    """Copy the files of a final report under ``envoyes/`` with the version in their names, then record it."""
    sent_dir = out_dir / SENT_DIR
    check_folder(sent_dir, ws.path)
    sent_dir.mkdir(mode=PRIVATE_DIR_MODE, exist_ok=True)
    kept: dict[str, Path] = {}
    for name, path in paths.items():
        target = sent_dir / f"{path.stem}-v{job.version}{path.suffix}"
        write_atomically(target, lambda t, src=path: shutil.copyfile(src, t), overwrite=False,
                         hint=" : cette version a déjà été envoyée")
        kept[name] = target
    generated = dt.datetime.fromisoformat(job.provenance.get("generated_at") or dt.datetime.now().isoformat())
    record_sent_version(ws.store, job.mission_id, job.version, job.provenance.get("input_hash", ""),  # type: ignore[arg-type]
                        {k: str(p.relative_to(ws.path)) for k, p in kept.items()}, generated)
    return kept


# -- entry point ----------------------------------------------------------------------------


def generate_report(
    ws: Workspace,
    client_id: str,
    mission_id: str | None = None,
    formats: Sequence[str] = ("html", "pdf", "xlsx"),
    *,
    notebook: Path | None = None,
    today: dt.date | None = None,
    executor: NotebookExecutor | None = None,
    pdf_printer: PdfPrinter | None = None,
    final: bool = False,
) -> ReportResult:
    """Run the report notebook for one client mission and export the requested formats.

    ``today`` (default: the current date) is the day of the whole report: action due dates, the
    projection and the next audit all use it. ``executor`` and ``pdf_printer`` replace the one-shot
    kernel and browser (the batch passes warm ones); by default each call starts its own.

    With ``final`` the report is the next version sent to the client: it carries its number, and
    a copy of every file is kept under ``reports/<client>/envoyes/`` with the number in its name,
    never overwritten by a later run (the working copies beside it are replaced at each run).
    """
    started = time.perf_counter()
    validate_client_id(client_id)
    wanted = parse_formats(formats)
    generated = dt.datetime.now().astimezone()
    today = today or generated.date()
    timings: dict[str, float] = {}
    mission, profile = ws.resolve_mission_and_client(client_id, mission_id)  # read once, passed on
    load_logo(ws.settings)  # a bad logo is refused before anything runs
    version = next_version(ws.store, mission.id) if final else 0  # type: ignore[arg-type]

    followup = mission.type == MissionType.POINT_SUIVI
    t = time.perf_counter()
    if followup:
        from workbench.reports.followup import load_followup_context

        plan, data = PlanResult(), None
        provenance = load_followup_context(ws, client_id, mission.id, today, generated_at=generated).provenance
        provenance["report_version"] = str(version)
    else:
        data, plan = update_plan(ws, client_id, mission.id, today=today, resolved=(mission, profile))
        provenance = provenance_for(ws, data, generated, version)
    timings["plan"] = time.perf_counter() - t

    out_dir = ws.settings.reports_dir / client_id
    base = f"rapport-{mission.id}"
    nb_path = Path(notebook) if notebook else FOLLOWUP_NOTEBOOK if followup else NOTEBOOK

    # A one-shot report launches its browser now, on its own thread, while the kernel starts and the
    # notebook runs; it is closed whatever happens (Ctrl+C included).
    own_browser = None
    if "pdf" in wanted and pdf_printer is None:
        own_browser = BrowserThread(chromium=chromium_path(ws.settings))
        own_browser.prepare()
        pdf_printer = own_browser.print_pdf
    # Every output of the run is written in a staging folder beside its final place, then all are
    # moved into place together (docs/security.md): a failure, a full disk or Ctrl+C leaves the
    # previous set whole, and never a truncated file under a final name.
    with contextlib.ExitStack() as cleanup:
        if own_browser is not None:
            cleanup.callback(own_browser.close)
        staged = cleanup.enter_context(StagedOutputs(out_dir, ws.path))
        for entry in out_dir.iterdir():  # a planted link or device under a name of this run: refused now
            if entry.name.startswith((f"{base}.", f"plan-actions-{mission.id}.")):
                check_target(entry)
        executed = staged.path(f"{base}.ipynb")
        parameters: dict[str, str | int] = {
            "workspace": str(ws.path), "client": client_id, "mission": mission.id, "today": today.isoformat(),
            "generated_at": provenance["generated_at"], "input_hash": provenance["input_hash"],
        }
        if not followup:  # the follow-up deliverable shows no version number (papermill would warn)
            parameters["version"] = version
        t = time.perf_counter()
        try:
            if executor is None:
                run_notebook(nb_path, executed, parameters, client_id=client_id,
                             shown=out_dir / f"{base}.echec.ipynb")
            else:
                executor(nb_path, executed, parameters, client_id=client_id)
        except RunError:
            if executed.exists():  # the partial notebook is kept, under its own name
                staged.publish([executed.name], {executed.name: f"{base}.echec.ipynb"})
            raise
        _record_provenance(executed, provenance)
        timings["notebook"] = time.perf_counter() - t

        title = f"Rapport de {mission.type.label.lower()} Qualiopi — {profile.name}"
        job = _Job(ws, data, client_id, profile.name, mission.id, staged.staging, base, executed, provenance,
                   title, version, today, generated, pdf_printer=pdf_printer, published_dir=out_dir)
        job.tmp = staged.path("impression")
        job.tmp.mkdir()
        if {"html", "pdf"} & set(wanted):
            t = time.perf_counter()
            job.html_text = _html(job)
            timings["render"] = time.perf_counter() - t
        produced = _export_formats(job, wanted, timings)
        finals = staged.publish([executed.name, *(p.name for p in produced.values())])
    paths = {name: finals[p.name] for name, p in produced.items()}
    if final:
        paths = _keep_sent(ws, job, out_dir, paths)
    return ReportResult(client_id, mission.id, paths, finals[executed.name], provenance, plan,
                        time.perf_counter() - started, timings)
