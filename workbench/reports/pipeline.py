"""Client reports: run the report notebook with papermill, export HTML, PDF (A4) and Excel.

One call, :func:`generate_report`, per client mission:

1. the action plan is brought up to date (missing actions added, never duplicated);
2. ``notebooks/rapport_client.ipynb`` runs with papermill on the ``python3`` kernel of the current
   environment; the executed notebook is kept next to the reports (also when a cell fails, and a
   :class:`~workbench.core.errors.RunError` names the client, the notebook and the cell);
3. HTML through the project's nbconvert template (``report_template/qualiopi``, extending lab): no
   code, no script, no remote resource — charts are inline SVG and the logo a data URI;
4. PDF in A4 from that HTML with headless Chromium, offline;
5. the Excel action plan.

The mission, the client and the referential are read once (with the plan update); the notebook
receives the run's day (``today``: due dates and projection use the same day), its time and the hash
of the data, and refuses data changed in between. Every output records its provenance (referential
version, input hash, package version, time): in the executed notebook's metadata
(``metadata.workbench.provenance``), the visible footer and ``<meta>`` tags of the HTML (hence the
PDF), a « Provenance » sheet and document properties in the workbook.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from workbench.core.errors import RunError, UsageError
from workbench.core.files import write_atomically
from workbench.core.jupyter import base_jupyter_dirs
from workbench.core.settings import Settings, load_settings
from workbench.core.vocab import MissionType
from workbench.data import notebook
from workbench.domain.profile import validate_client_id
from workbench.reports.content import TEMPLATE_DIR, provenance_for
from workbench.reports.excel import export_action_plan
from workbench.services.analysis import MissionData, update_plan
from workbench.services.planning import PlanResult
from workbench.services.workspace import Workspace

NOTEBOOK = notebook("rapport_client.ipynb")
FOLLOWUP_NOTEBOOK = notebook("point_de_suivi.ipynb")
"""The deliverable of a follow-up visit (mission type « point de suivi »)."""
TEMPLATE_NAME = "qualiopi"
KERNEL = "python3"
CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-extensions", "--disable-default-apps", "--no-pdf-header-footer",
)
PDF_TIMEOUT_S = 120


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
"""Prints an HTML file to PDF: (html, pdf, *, client_id) -> pdf; raises RunError."""


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
    html_text: str = ""
    tmp: Path | None = None
    pdf_printer: PdfPrinter | None = None


# -- steps ----------------------------------------------------------------------------------


def run_notebook(notebook: Path, output: Path, parameters: dict[str, str], *, client_id: str) -> None:
    """Run a notebook once with papermill on a fresh kernel; the executed copy is kept at ``output``."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(
            str(notebook), str(output), parameters=parameters,
            kernel_name=KERNEL, progress_bar=False, log_output=False, cwd=str(output.parent),
            report_mode=False, extra_arguments=["--IPKernelApp.log_level=ERROR"],
        )
    except PapermillExecutionError as exc:
        raise cell_failure(client_id, notebook, exc.cell_index, exc.ename, exc.evalue, output) from None
    except Exception as exc:  # noqa: BLE001 - kernel start-up, I/O: any failure becomes a RunError
        raise RunError(
            f"Échec du rapport du client « {client_id} » : le notebook {notebook.name} n'a pas pu être exécuté "
            f"({type(exc).__name__} : {exc}).",
            client_id=client_id, notebook=notebook.name, output_path=str(output) if output.exists() else None,
        ) from None


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


def notebook_html(executed: Path, *, title: str, settings: Settings, provenance: dict[str, str]) -> str:
    """An executed notebook as a report page: project template, no code, no script."""
    import nbformat
    from jinja2 import FileSystemLoader
    from nbconvert import HTMLExporter

    nb = nbformat.read(executed, as_version=4)
    # nbconvert's own templates (our template extends « lab »), also from a venv
    shared = [str(d / "nbconvert" / "templates") for d in base_jupyter_dirs()]
    exporter = HTMLExporter(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATE_DIR), *shared],
                            extra_loaders=[FileSystemLoader(shared)] if shared else [])
    exporter.language_code = "fr"
    exporter.exclude_input = True
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.exclude_markdown = True
    exporter.exclude_raw = True
    resources = {
        "metadata": {"name": title},
        "workbench": {"branding": settings.branding.model_dump(), "provenance": provenance},
        "workbench_css": (TEMPLATE_DIR / TEMPLATE_NAME / "report.css").read_text(encoding="utf-8"),
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body


def _html(job: _Job) -> str:
    return notebook_html(job.executed, title=f"Rapport Qualiopi — {job.client_id} — {job.mission_id}",
                         settings=job.ws.settings, provenance=job.provenance)


def _export_html(job: _Job) -> Path:
    path = job.out_dir / f"{job.base}.html"
    path.write_text(job.html_text, encoding="utf-8")
    return path


def chromium_path(settings: Settings | None = None) -> str:
    """The Chromium of the settings (``chromium_path``, ``CHROMIUM_PATH``), else the usual places."""
    found = (settings or load_settings()).chromium()
    if found is None:
        raise RunError("Chromium introuvable : installez le paquet « chromium » pour produire les PDF.")
    return str(found)


def html_to_pdf(html: Path, pdf: Path, *, client_id: str | None = None, settings: Settings | None = None) -> Path:
    """Print an HTML file to an A4 PDF with headless Chromium (page size from the CSS @page rule)."""
    with tempfile.TemporaryDirectory(prefix="wb-chromium-") as profile:
        cmd = [chromium_path(settings), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
               f"--print-to-pdf={pdf}", html.resolve().as_uri()]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PDF_TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired:
            raise RunError(f"Export PDF interrompu après {PDF_TIMEOUT_S} s (Chromium) pour {html.name}.",
                           client_id=client_id) from None
    if proc.returncode != 0 or not pdf.exists() or pdf.stat().st_size == 0:
        tail = (proc.stderr or "").strip().splitlines()[-3:]
        raise RunError(f"Export PDF impossible pour {html.name} (Chromium, code {proc.returncode}) : "
                       f"{' / '.join(tail)}", client_id=client_id)
    return pdf


def _export_pdf(job: _Job) -> Path:
    pdf = job.out_dir / f"{job.base}.pdf"
    html = job.out_dir / f"{job.base}.html"
    if not html.exists() or html.read_text(encoding="utf-8") != job.html_text:
        assert job.tmp is not None
        html = job.tmp / f"{job.base}.html"
        html.write_text(job.html_text, encoding="utf-8")
    if job.pdf_printer is not None:
        return job.pdf_printer(html, pdf, client_id=job.client_id)
    return html_to_pdf(html, pdf, client_id=job.client_id, settings=job.ws.settings)


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
        "Empreinte des données (input_hash)": job.provenance.get("input_hash", ""),
        "Généré le": job.provenance.get("generated_at", ""),
        "input_hash": job.provenance.get("input_hash", ""),
        "generated_at": job.provenance.get("generated_at", ""),
    }
    return export_action_plan(
        job.out_dir / f"plan-actions-{job.mission_id}.xlsx", mission=data.mission, client_name=data.profile.name,
        actions=list(data.actions), referential=data.referential, provenance=prov,
        primary_color=settings.branding.primary_color)


register_format("html", _export_html)
register_format("pdf", _export_pdf)
register_format("xlsx", _export_xlsx)


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
) -> ReportResult:
    """Run the report notebook for one client mission and export the requested formats.

    ``today`` (default: the current date) is the day of the whole report: action due dates, the
    projection and the next audit all use it. ``executor`` and ``pdf_printer`` replace the one-shot
    kernel and browser (the batch passes warm ones); by default each call starts its own."""
    started = time.perf_counter()
    validate_client_id(client_id)
    wanted = parse_formats(formats)
    generated = dt.datetime.now().astimezone()
    today = today or generated.date()
    timings: dict[str, float] = {}
    mission, profile = ws.resolve_mission_and_client(client_id, mission_id)  # read once, passed on

    followup = mission.type == MissionType.POINT_SUIVI
    t = time.perf_counter()
    if followup:
        from workbench.reports.followup import load_followup_context

        plan, data = PlanResult(), None
        provenance = load_followup_context(ws, client_id, mission.id, today, generated_at=generated).provenance
    else:
        data, plan = update_plan(ws, client_id, mission.id, today=today, resolved=(mission, profile))
        provenance = provenance_for(ws, data, generated)
    timings["plan"] = time.perf_counter() - t

    out_dir = ws.settings.reports_dir / client_id
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"rapport-{mission.id}"
    executed = out_dir / f"{base}.ipynb"
    nb_path = Path(notebook) if notebook else FOLLOWUP_NOTEBOOK if followup else NOTEBOOK

    t = time.perf_counter()
    (executor or run_notebook)(nb_path, executed, {
        "workspace": str(ws.path), "client": client_id, "mission": mission.id, "today": today.isoformat(),
        "generated_at": provenance["generated_at"], "input_hash": provenance["input_hash"],
    }, client_id=client_id)
    _record_provenance(executed, provenance)
    timings["notebook"] = time.perf_counter() - t

    job = _Job(ws, data, client_id, profile.name, mission.id, out_dir, base, executed, provenance,
               pdf_printer=pdf_printer)
    paths: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="wb-report-") as tmp:
        job.tmp = Path(tmp)
        if {"html", "pdf"} & set(wanted):
            t = time.perf_counter()
            job.html_text = _html(job)
            timings["render"] = time.perf_counter() - t
        for name in [f for f in _FORMATS if f in wanted]:  # registry order: the PDF needs the HTML
            t = time.perf_counter()
            paths[name] = _FORMATS[name](job)
            timings[name] = time.perf_counter() - t
    return ReportResult(client_id, mission.id, paths, executed, provenance, plan,
                        time.perf_counter() - started, timings)
