"""Word report from the firm's own template (docxtpl: Jinja tags inside a ``.docx``).

The default template ships in the package (``workbench/data/word/rapport.docx``, built by
``scripts/build_word_template.py``); a firm puts its own copy, same tags, in
``<workspace>/modeles/rapport.docx`` and it is used instead. The context is plain data built from
the same :class:`~workbench.reports.content.ReportContext` as the HTML/PDF report, so what the
client reads is the same: findings but no private notes, no internal ids, client wording.

Sections with tables print the same rows as the HTML ones (:meth:`ReportContext.section_view
<workbench.reports.content.ReportContext.section_view>`; None when the HTML leaves the section out):
``suivi`` (« Faire vivre la certification », :func:`workbench.reports.lifecycle_context.lifecycle_view`),
``changes`` (« Ce qui change pour vous ») and ``surveillance`` (:mod:`workbench.reports.report_views`),
``dossiers`` (« Revue des dossiers », :func:`workbench.reports.session_report.session_review_view`).
``headings`` holds every section's numbered title, the numbers of the HTML/PDF contents.
Other documents (the opportunity note) reuse :func:`render_word` and :func:`template_path` with
their own template name.

**Adding a section** (calendar…): write a builder that takes
the report context and returns a :class:`DocxSection` (or ``None`` to leave it out), and register
it::

    from workbench.reports.docx import DocxSection, register_docx_section

    def calendar_section(ctx):
        return DocxSection("Calendrier", paragraphs=["…"], lines=["…"], data={"events": [...]})

    register_docx_section("calendrier", calendar_section)

The default template prints every registered section (title, paragraphs, bullet lines) after the
strengths, in registration order; a firm's template can also use ``sections.calendrier.data``
for its own layout.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from workbench.core.dates import fr_date, fr_date_long
from workbench.core.errors import RunError
from workbench.core.files import write_atomically
from workbench.core.vocab import Verdict
from workbench.data import DATA_DIR, WORD, DataFolders
from workbench.reports.content import (
    SECTION_TITLES,
    ReportContext,
    chart_by_criterion,
    chart_overall,
    fr_percent,
)
from workbench.reports.wording import client_text

WORD_DIR = DATA_DIR / WORD
"""The shipped default templates (built by ``scripts/build_word_template.py``)."""
DEFAULT_TEMPLATE = WORD_DIR / "rapport.docx"
WORKSPACE_TEMPLATE = Path("modeles") / DEFAULT_TEMPLATE.name
"""Where a firm's own templates go, relative to the workspace (same file names as the shipped ones)."""


@dataclass
class DocxSection:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    """Bullet lines."""
    data: dict[str, Any] = field(default_factory=dict)
    """Anything else, for firms' own templates."""


SectionBuilder = Callable[[ReportContext], DocxSection | None]
_SECTIONS: dict[str, SectionBuilder] = {}


def register_docx_section(name: str, builder: SectionBuilder) -> None:
    """Add (or replace) a section of the Word report; see the module docstring."""
    _SECTIONS[name] = builder


def registered_sections() -> list[str]:
    return list(_SECTIONS)


class WordTemplateError(RunError):
    """The Word template cannot be used (the message names the template and the tag)."""


def template_path(workspace: Path, name: str = DEFAULT_TEMPLATE.name) -> Path:
    """The workspace's own template ``modeles/<name>`` when there is one, else the shipped default."""
    own = Path(name)
    return DataFolders(workspace).find(WORD, own.stem, own.suffix) or WORD_DIR / name


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def docx_context(ctx: ReportContext, tpl: Any) -> dict[str, Any]:
    """Plain data for the template (``tpl`` makes the chart images)."""
    from docx.shared import Mm
    from docxtpl import InlineImage

    data, a = ctx.data, ctx.analysis
    c = a.counts
    mission, profile = data.mission, data.profile
    titles = {cr.number: cr.short_title for cr in data.referential.criteria}
    long_titles = {cr.number: cr.title for cr in data.referential.criteria}
    sig = ctx.signature
    visit = ctx.texts.visit
    extra: dict[str, DocxSection] = {}
    for name, builder in _SECTIONS.items():
        built = builder(ctx)
        if built is not None:
            extra[name] = built
    return {
        "title": ctx.title,
        "firm": ctx.branding.firm,
        "consultant": ctx.branding.consultant or profile.consultant or "",
        "client": {"name": profile.name, "siret": profile.siret or "",
                   "address": profile.address.one_line() if profile.address else ""},
        "mission_type": mission.type.label,
        "audit_type": mission.audit_type.label,
        "audit_date": fr_date_long(mission.audit_date),
        "generated": fr_date(ctx.generated_at),
        "generated_long": fr_date_long(ctx.generated_at),
        "version_label": ctx.version_label,
        "referential": ctx.referential_label,
        "provisional_note": ctx.provisional_note or "",
        "draft_note": (f"Document de travail : l'évaluation est en cours ({c.evaluated} indicateur(s) évalué(s) "
                       f"sur {c.audited}).") if ctx.draft and c.non_evalue else "",
        "headings": {name: ctx.heading(name) for name in SECTION_TITLES},
        "summary": _paragraphs(ctx.texts.summary),
        "coverage_note": (f"Évaluation en cours : {c.evaluated} indicateur(s) évalué(s) sur {c.audited} applicable(s)."
                          if c.non_evalue else ""),
        "readiness_label": "Taux de préparation (conformes / applicables)",
        "conformity_label": "Conformité des indicateurs évalués (conformes / évalués)",
        "figures": {"readiness": fr_percent(c.readiness), "conformity": fr_percent(c.evaluated_conformity),
                    "applicable": c.audited, "evaluated": c.evaluated, "conforme": c.conforme,
                    "nc_mineure": c.nc_mineure, "nc_majeure": c.nc_majeure, "non_evalue": c.non_evalue},
        "chart_overall": InlineImage(tpl, io.BytesIO(chart_overall(c, fmt="png")), width=Mm(70)),
        "chart_criteria": InlineImage(tpl, io.BytesIO(chart_by_criterion(a.by_criterion, titles, fmt="png")),
                                      width=Mm(160)),
        "projection": {"outcome": a.projection.outcome.label, "summary": a.projection.summary,
                       "disclaimer": a.projection.disclaimer},
        "vigilance": [{"number": v.number, "kinds": ", ".join(v.kinds), "details": " ".join(v.details)}
                      for v in ctx.vigilance],
        "visit": None if visit.empty else {
            "dates": ", ".join(fr_date_long(d) for d in visit.dates) or "—",
            "people": " ; ".join(p.label() for p in visit.people) or "—",
            "documents": " ; ".join(visit.documents) or "—"},
        "criteria": [{"name": f"{n}. {long_titles[n]}", "applicable": cc.audited, "conforme": cc.conforme,
                      "nc_mineure": cc.nc_mineure, "nc_majeure": cc.nc_majeure, "non_evalue": cc.non_evalue,
                      "rate": fr_percent(cc.readiness)} for n, cc in a.by_criterion.items() if n in long_titles],
        "gaps_intro": (f"{len(ctx.nc_gaps)} non-conformité(s) relevée(s) sur les {c.evaluated} indicateur(s) évalué(s)."
                       if ctx.nc_gaps else f"Aucune non-conformité relevée sur les {c.evaluated} indicateur(s) évalué(s)."),
        "gaps": [{"number": s.number, "title": s.indicator.title,
                  "level": (a.projection.level_of(s.number) or s.verdict).label, "finding": s.finding,
                  "expected": client_text(s.indicator.expected_level),
                  "evidence": " ; ".join(e.label for e in s.evidence) or "aucune"} for s in ctx.nc_gaps],
        "remaining": [{"number": r.status.number, "title": r.status.indicator.title,
                       "due": fr_date(r.due_date) if r.due_date else "—"} for r in ctx.remaining],
        "plan": [{"priority": _priority(r.action.priority), "number": r.number or "—", "title": r.action.title,
                  "owner": r.action.owner, "due": fr_date(r.action.due_date),
                  "status": r.action.status.label + (" (écart levé)" if r.obsolete else "")} for r in ctx.plan],
        "suivi": ctx.section_view("suivi"),
        "changes": ctx.section_view("changements"),
        "surveillance": ctx.section_view("surveillance"),
        "dossiers": ctx.section_view("dossiers"),
        "strengths": [{"number": s.number, "title": s.indicator.title, "finding": s.finding} for s in a.strengths],
        "annex": [{"number": s.number, "title": s.indicator.title, "applicable": "Oui" if s.applicable else "Non",
                   "reason": s.reason + (f" — jugé non applicable : {s.na_justification}" if s.declared_na else ""),
                   "verdict": s.verdict.label if s.applicable else "—"} for s in a.statuses],
        "conclusion": _paragraphs(ctx.texts.conclusion) or [a.projection.summary],
        "signature": {"name": sig.name or ctx.branding.firm, "role": sig.role, "place": sig.place},
        "extra_sections": list(extra.values()),
        "sections": extra,
        "provenance": (f"{ctx.version_label} — Qualiopi Workbench {ctx.provenance.get('package_version', '')} — "
                       f"empreinte des données : {ctx.provenance.get('input_hash', '')}"),
        "Verdict": Verdict,
    }


def _priority(priority: int) -> str:
    from workbench.domain.plan import PRIORITY_LABELS

    return PRIORITY_LABELS.get(priority, str(priority))


_TAG = re.compile(r"\{[{%].*?[}%]\}", re.S)


def _bad_tag(tpl: Any, env: Any) -> str | None:
    """The first tag of the template that does not parse on its own (an expression tag)."""
    try:
        xml = tpl.get_xml()
    except Exception:  # noqa: BLE001 - best effort: the message still names the template
        return None
    for match in _TAG.finditer(re.sub(r"<[^>]+>", "", xml)):
        tag = match.group(0)
        if tag.startswith("{{"):
            try:
                env.parse(tag)
            except Exception:  # noqa: BLE001
                return tag
    return None


def render_word(template: Path, target: Path, build: Callable[[Any], dict[str, Any]], *, title: str,
                author: str, what: str) -> Path:
    """Render a docxtpl ``template`` to ``target`` (atomically) with the context ``build(tpl)`` returns.

    ``what`` names the document in the messages (« du rapport », « de la note »). A template that
    cannot be read or whose tags do not parse or name unknown data raises :class:`WordTemplateError`
    naming the template and the tag; nothing is written then.
    """
    import jinja2
    from docxtpl import DocxTemplate

    try:
        tpl = DocxTemplate(str(template))
        tpl.init_docx()
    except Exception as exc:  # noqa: BLE001 - not a Word file, unreadable…
        raise WordTemplateError(f"Modèle Word illisible : {template} ({type(exc).__name__} : {exc}). "
                                "Vérifiez qu'il s'agit d'un fichier .docx.") from None
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)
    try:
        tpl.render(build(tpl), jinja_env=env, autoescape=True)
    except jinja2.TemplateSyntaxError as exc:
        tag = _bad_tag(tpl, env)
        where = f" ; balise en cause : « {tag} »" if tag else ""
        raise WordTemplateError(f"Modèle Word invalide : {template} — balise mal formée ({exc.message}){where}. "
                                "Corrigez le modèle ; aucun fichier Word n'a été écrit.") from None
    except jinja2.UndefinedError as exc:
        name = re.search(r"'([^']+)' is undefined|has no attribute '([^']+)'", str(exc.message))
        tag = next((g for g in name.groups() if g), None) if name else None
        label = f"« {tag} »" if tag else str(exc.message)
        raise WordTemplateError(f"Modèle Word invalide : {template} — la balise {label} ne correspond à aucune "
                                f"donnée {what}. Corrigez le modèle ; aucun fichier Word n'a été écrit.") from None
    except jinja2.TemplateError as exc:
        raise WordTemplateError(f"Modèle Word invalide : {template} — {exc}. Aucun fichier Word n'a été écrit.") from None
    tpl.docx.core_properties.title = title
    tpl.docx.core_properties.author = author
    tpl.docx.core_properties.comments = ""
    write_atomically(target, lambda t: tpl.save(str(t)), overwrite=True)
    return target


def render_docx(ctx: ReportContext, target: Path, template: Path | None = None) -> Path:
    """Render the Word report to ``target`` (atomically); template errors name the template and tag."""
    return render_word(template or template_path(ctx.ws.path), target, lambda tpl: docx_context(ctx, tpl),
                       title=ctx.title, author=ctx.branding.firm, what="du rapport")
