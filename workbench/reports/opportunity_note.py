"""« Note d'opportunité Qualiopi »: the opportunity assessment as a client deliverable.

Same pipeline as the client report: the shipped notebook ``note_opportunite.ipynb`` runs with
papermill (parameters: workspace, client, assessment), nbconvert renders it through the project's
``qualiopi`` template (no code, no script), headless Chromium prints the PDF. The Word note is
rendered with docxtpl from the shipped template ``data/word/note_opportunite.docx`` or the
workspace's own ``modeles/note_opportunite.docx`` (same tags). HTML and Word print the same plain
data (:func:`note_view`). Files appear whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from workbench import __version__
from workbench.core.dates import fr_date
from workbench.core.errors import NotFoundError, RunError, UsageError
from workbench.core.files import write_atomically
from workbench.data import notebook
from workbench.domain.opportunity import RiskKind, Support
from workbench.domain.profile import ClientProfile, validate_client_id
from workbench.reports.browser import html_to_pdf
from workbench.reports.content import TEMPLATE_DIR, logo_data_uri
from workbench.reports.docx import render_word, template_path
from workbench.reports.pipeline import KERNEL, _provenance_from, notebook_html
from workbench.services.workspace import Workspace
from workbench.store.opportunity import StoredAssessment, get_assessment, list_assessments

NOTE_NOTEBOOK = notebook("note_opportunite.ipynb")
NOTE_TEMPLATE_DIR = TEMPLATE_DIR / "opportunity"
NOTE_FORMATS = ("html", "pdf", "docx")
NOTE_WORD_TEMPLATE = "note_opportunite.docx"
"""File name of the Word template, shipped in ``data/word/`` and overridable in ``<workspace>/modeles/``."""

RISK_LABELS = {k.value: k.label for k in RiskKind}
SUPPORT_NOTES = {
    Support.EXTERNAL_ACCOMPANIMENT.value: "Le consultant guide la compréhension du référentiel, la structuration et "
    "la formalisation, conduit un pré-audit et peut être présent le jour de l'audit ; l'objectif est que "
    "l'organisme devienne autonome. Les formules « clés en main » (tableur auto-rempli, manuel qualité recopié) "
    "sont à éviter : elles ne tiennent pas au premier audit de surveillance.",
    Support.SHARED_APPROACH.value: "Une fois les bases posées, un responsable qualité externalisé suit "
    "l'organisme dans la durée : il vérifie que la pratique reste conforme, signale tôt les écarts et prépare "
    "les audits suivants ; l'organisme reste pilote de sa démarche.",
    Support.NONE.value: "Aucune démarche à engager maintenant : la situation sera réexaminée si les financements, "
    "la taille de l'activité ou les attentes des partenaires évoluent.",
}


@dataclass
class NoteContext:
    profile: ClientProfile
    stored: StoredAssessment
    branding: Any
    logo: str | None
    provenance: dict[str, str]


def _pick(ws: Workspace, client_id: str, assessment_id: int | None) -> StoredAssessment:
    if assessment_id is not None:
        stored = get_assessment(ws.store, assessment_id)
        if stored.client_id != client_id:
            raise NotFoundError(f"L'évaluation n° {assessment_id} n'appartient pas au client « {client_id} ».")
        return stored
    history = list_assessments(ws.store, client_id)
    if not history:
        raise NotFoundError(f"Aucune évaluation d'opportunité pour « {client_id} » : lancez d'abord "
                            f"« workbench assess {client_id} --answers FICHIER.yaml ».")
    return history[-1]


def load_note_context(workspace: str | Path | None, client: str, assessment: int | None = None) -> NoteContext:
    ws = Workspace.open(workspace, create=False)
    return note_context(ws, client, _pick(ws, client, assessment))


def note_context(ws: Workspace, client: str, stored: StoredAssessment) -> NoteContext:
    profile = ws.store.get_client(client)
    digest = hashlib.sha256(json.dumps([profile.model_dump(mode="json"), stored.result], sort_keys=True,
                                       ensure_ascii=False).encode()).hexdigest()[:16]
    provenance = {"client": client, "assessment": str(stored.id), "assessed_on": stored.assessed_on.isoformat(),
                  "input_hash": digest, "package_version": __version__,
                  "generated_at": dt.datetime.now().astimezone().isoformat(timespec="seconds")}
    return NoteContext(profile, stored, ws.settings.branding, logo_data_uri(ws), provenance)


def _eur(value: float | int | None) -> str:
    return "—" if value is None else f"{round(value):,} €".replace(",", "\u202f")


def _fr_iso(day: str) -> str:
    return fr_date(dt.date.fromisoformat(day))


def note_view(ctx: NoteContext) -> dict[str, Any]:
    """The note as plain sentences and rows, printed by the HTML template and the Word template alike."""
    r, prov = ctx.stored.result, ctx.provenance
    cost = r["cost_estimate"]
    deadline = r["answers"].get("deadline")
    estimated = " (estimation)" if r.get("revenue_at_stake_estimated") else ""
    return {
        "title": "Note d'opportunité Qualiopi",
        "firm": ctx.branding.firm,
        "consultant": ctx.branding.consultant or "",
        "client": {"name": ctx.profile.name, "siret": ctx.profile.siret or ""},
        "assessed_on": fr_date(ctx.stored.assessed_on),
        "verdict": r["verdict_label"],
        "reasons": list(r["reasons"]),
        "stakes": [
            {"label": "Chiffre d'affaires dépendant de financements publics ou mutualisés",
             "value": f"{_eur(r['revenue_at_stake'])} par an{estimated}"},
            {"label": "Coût estimé sur le cycle de 3 ans (audits et temps interne)",
             "value": f"{_eur(cost['low'])} à {_eur(cost['high'])} HT"},
        ],
        "cost_basis": list(cost["basis"]),
        "risks": [{"label": RISK_LABELS[risk["kind"]], "text": risk["text"]} for risk in r["risks"]],
        "support": {"label": r["recommended_support_label"], "note": SUPPORT_NOTES[r["recommended_support"]]},
        "timeline_title": "Calendrier" + (f" (à rebours de l'échéance du {_fr_iso(deadline)})" if deadline else ""),
        "timeline": [{"dates": _fr_iso(s["start"]) + (f" → {_fr_iso(s['end'])}" if s["end"] and s["end"] != s["start"]
                                                     else ""), "label": s["label"]} for s in r["timeline"]],
        "alternatives": [{"title": a["title"], "summary": a["summary"], "rules": list(a["rules"]),
                          "uncertain": a["uncertain"] or ""} for a in r["alternatives"]],
        "doubts": [*r.get("uncertain", []), *cost.get("uncertain", [])],
        "provenance": f"Qualiopi Workbench {prov['package_version']} — évaluation n° {prov['assessment']} — "
                      f"empreinte {prov['input_hash']} — générée le {prov['generated_at']}",
    }


def render_note(ctx: NoteContext) -> str:
    env = Environment(loader=FileSystemLoader(str(NOTE_TEMPLATE_DIR)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return env.get_template("note.html.j2").render(v=note_view(ctx), logo=ctx.logo)


def render_note_docx(ctx: NoteContext, ws: Workspace, target: Path, template: Path | None = None) -> Path:
    """The Word note (atomically) from the workspace's template or the shipped one."""
    return render_word(template or template_path(ws.path, NOTE_WORD_TEMPLATE), target, lambda _tpl: note_view(ctx),
                       title=f"Note d'opportunité Qualiopi — {ctx.profile.name}", author=ctx.branding.firm,
                       what="de la note")


def show_note(ctx: NoteContext) -> None:
    """Display the note in the notebook; the output carries the provenance as metadata."""
    from IPython.display import HTML, display

    display(HTML(render_note(ctx)), metadata={"workbench_provenance": ctx.provenance})


def _execute(ws: Workspace, client_id: str, stored: StoredAssessment, output: Path) -> dict[str, str]:
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    try:
        pm.execute_notebook(str(NOTE_NOTEBOOK), str(output),
                            parameters={"workspace": str(ws.path), "client": client_id, "assessment": stored.id},
                            kernel_name=KERNEL, progress_bar=False, log_output=False, cwd=str(output.parent),
                            extra_arguments=["--IPKernelApp.log_level=ERROR"])
    except PapermillExecutionError as exc:
        raise RunError(f"Échec de la note d'opportunité de « {client_id} » : cellule {exc.cell_index} "
                       f"({exc.ename} : {exc.evalue}). Notebook conservé : {output}", client_id=client_id,
                       notebook=NOTE_NOTEBOOK.name, cell_index=exc.cell_index, output_path=str(output)) from None
    provenance = _provenance_from(output)
    if provenance:
        return provenance
    raise RunError(f"La note d'opportunité de « {client_id} » n'a pas produit sa provenance.", client_id=client_id)


def _html(ws: Workspace, executed: Path, title: str, provenance: dict[str, str]) -> str:
    return notebook_html(executed, title=title, settings=ws.settings, provenance=provenance, shown=None)


def generate_note(ws: Workspace, client_id: str, assessment_id: int | None = None,
                  formats: tuple[str, ...] | list[str] = NOTE_FORMATS) -> dict[str, Path]:
    """Render the note of an assessment (the latest by default) into ``reports/<client>/``."""
    validate_client_id(client_id)
    wanted = [f.strip().lower() for f in formats if f.strip()]
    unknown = [f for f in wanted if f not in NOTE_FORMATS]
    if unknown or not wanted:
        raise UsageError(f"format de note inconnu : {', '.join(unknown) or 'aucun'} (formats : "
                         f"{', '.join(NOTE_FORMATS)}).")
    ws.store.get_client(client_id)
    stored = _pick(ws, client_id, assessment_id)
    out_dir = ws.settings.reports_dir / client_id
    out_dir.mkdir(parents=True, exist_ok=True)
    base = f"note-opportunite-{client_id}-{stored.id}"
    paths: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="wb-note-") as tmp:
        provenance = html_text = None
        if "html" in wanted or "pdf" in wanted:
            executed = out_dir / f"{base}.ipynb"  # kept beside the note, as the client report does
            provenance = _execute(ws, client_id, stored, executed)
            html_text = _html(ws, executed, f"Note d'opportunité Qualiopi — {client_id}", provenance)
        if "docx" in wanted:  # first: a template error leaves no new file of this note
            ctx = note_context(ws, client_id, stored)
            if provenance:
                ctx.provenance = provenance  # the same footprint and time as the HTML/PDF of this run
            paths["docx"] = render_note_docx(ctx, ws, out_dir / f"{base}.docx")
        if html_text is not None:
            html_tmp = Path(tmp) / f"{base}.html"
            html_tmp.write_text(html_text, encoding="utf-8")
            if "html" in wanted:
                target = out_dir / f"{base}.html"
                write_atomically(target, lambda p: p.write_text(html_text, encoding="utf-8"), overwrite=True)
                paths["html"] = target
            if "pdf" in wanted:
                target = out_dir / f"{base}.pdf"
                write_atomically(target, lambda p: html_to_pdf(html_tmp, p, client_id=client_id, settings=ws.settings),
                                 overwrite=True)
                paths["pdf"] = target
    return {fmt: paths[fmt] for fmt in NOTE_FORMATS if fmt in paths}
