"""Build the default Word templates: the report (``workbench/data/word/rapport.docx``) and the
opportunity note (``workbench/data/word/note_opportunite.docx``).

Each template is a plain Word file holding docxtpl (Jinja) tags; a firm replaces it by its own
copy in ``<workspace>/modeles/`` under the same file name (same tags, its own styles, logo and
wording). Run ``python scripts/build_word_template.py`` after changing this script; the results
are committed.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT  # noqa: F401 - kept for firms adapting the script
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

WORD_DIR = Path(__file__).resolve().parent.parent / "workbench" / "data" / "word"
OUT = WORD_DIR / "rapport.docx"
NOTE_OUT = WORD_DIR / "note_opportunite.docx"


def _field(paragraph, instruction: str, placeholder: str = "") -> None:
    """A Word field (page number, table of contents) updated by Word when the file opens; ``placeholder``
    is what shows until then (e.g. in a viewer that does not update fields)."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), ("result", placeholder),
                       ("end", None)):
        if kind == "result":
            if not text:
                continue
            el = OxmlElement("w:t")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        elif kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _loop_table(doc, headers: list[str], loop: str, cells: list[str], widths: list[int] | None = None,
                size: float | None = None, details: dict[int, str | tuple[str, str]] | None = None):
    """A table with one row per item of ``loop`` (``r``); ``details``: column -> a second, smaller line
    under the cell's text (then bold, as the HTML shows it), or (condition, text) for an italic line printed only
    when ``condition``."""
    table = doc.add_table(rows=4, cols=len(headers))
    table.style = "Light Grid Accent 1"
    if widths:  # millimetres; the first column holds the long titles
        table.autofit = False
        for column, width in zip(table.columns, widths, strict=True):
            column.width = Mm(width)
        for row in table.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Mm(width)
    for i, h in enumerate(headers):
        table.rows[0].cells[i].text = h
    header = table.rows[0]._tr.get_or_add_trPr()
    for tag in ("w:cantSplit", "w:tblHeader"):  # the titles row whole, and again on each page of a long table
        flag = OxmlElement(tag)
        flag.set(qn("w:val"), "true")
        header.append(flag)
    table.rows[1].cells[0].text = f"{{%tr for r in {loop} %}}"
    for i, c in enumerate(cells):
        table.rows[2].cells[i].text = c
    table.rows[3].cells[0].text = "{%tr endfor %}"
    for i, detail in (details or {}).items():
        cell = table.rows[2].cells[i]
        condition, text = detail if isinstance(detail, tuple) else (None, detail)
        cell.paragraphs[0].runs[0].bold = not condition
        if condition:
            cell.add_paragraph(f"{{%p if {condition} %}}")
        line = cell.add_paragraph(text)
        line.runs[0].italic, line.runs[0].bold = bool(condition), False  # not the first column's bold
        _small(line, (size or 10.5) - 1)
        if condition:
            cell.add_paragraph("{%p endif %}")
    if size:  # a smaller type for wide tables, so that short column titles stay whole
        for row in (table.rows[0], table.rows[2]):
            for cell in row.cells:
                for run in cell.paragraphs[0].runs:
                    run.font.size = Pt(size)
    return table


def _small(paragraph, size: float = 9):
    for run in paragraph.runs:
        run.font.size = Pt(size)
        run.font.color.rgb = RGBColor(0x59, 0x59, 0x59)
    return paragraph


def _if(doc, condition: str, body) -> None:
    """``body(doc)`` between ``{%p if condition %}`` and ``{%p endif %}`` paragraphs."""
    doc.add_paragraph(f"{{%p if {condition} %}}")
    body(doc)
    doc.add_paragraph("{%p endif %}")


def _bullets(doc, loop: str, text: str, small: bool = False) -> None:
    doc.add_paragraph(f"{{%p for item in {loop} %}}")
    p = doc.add_paragraph(text, style="List Bullet")
    if small:
        _small(p)
    doc.add_paragraph("{%p endfor %}")


def _document(header: str, footer: str):
    """A4 document with the house styles, a header line and a footer ending with « page N / M »."""
    doc = Document()
    styles = doc.styles
    styles["Normal"].font.name = "Calibri"
    styles["Normal"].font.size = Pt(10.5)
    for name in ("Title", "Heading 1", "Heading 2"):
        styles[name].font.color.rgb = RGBColor(0x1F, 0x4E, 0x79)
    section = doc.sections[0]
    section.page_height, section.page_width = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(18))
    section.header.paragraphs[0].text = header
    foot = section.footer.paragraphs[0]
    foot.text = footer
    _field(foot, "PAGE")
    foot.add_run(" / ")
    _field(foot, "NUMPAGES")
    return doc


def _dossiers(doc) -> None:
    """« Revue des dossiers »: the rows of ``session_review_view``, as tables."""
    doc.add_paragraph("{{ headings.dossiers }}", style="Heading 1")
    doc.add_paragraph("{{ dossiers.intro }}")
    _small(doc.add_paragraph("{{ dossiers.sample }}"), 9.5)
    _small(doc.add_paragraph("{{ dossiers.size_rule }}"), 9.5)
    _if(doc, "dossiers.strata", lambda d: _loop_table(
        d, ["Strate", "Valeurs représentées dans l'échantillon"], "dossiers.strata",
        ["{{ r.stratum }}", "{{ r.represented }}"], [50, 124]))
    doc.add_paragraph("Par dossier", style="Heading 2")
    doc.add_paragraph("{{ dossiers.files_summary }}")
    _loop_table(doc, ["Dossier", "Session", "Présents", "Manquants", "Sans objet", "Non vérifiés", "Pièces manquantes"],
                "dossiers.files", ["{{ r.reference }}", "{{ r.session }}", "{{ r.present }}", "{{ r.missing }}",
                                   "{{ r.not_applicable }}", "{{ r.unchecked }}", "{{ r.missing_items }}"],
                [19, 30, 22, 25, 17, 20, 41], size=9)
    _if(doc, "dossiers.missing_references", lambda d: _small(d.add_paragraph("{{ dossiers.missing_references }}")))
    doc.add_paragraph("Par indicateur", style="Heading 2")
    _if(doc, "dossiers.findings", lambda d: _loop_table(
        d, ["Indicateur", "Constat sur les dossiers", "Verdict suggéré", "Verdict du consultant"], "dossiers.findings",
        ["{{ r.indicator }}", "{{ r.finding }}", "{{ r.suggested }}", "{{ r.current }}"], [48, 72, 26, 28],
        size=9))
    doc.add_paragraph("{{ dossiers.findings_note }}").paragraph_format.space_before = Pt(6)


def _table_or(doc, loop: str, otherwise: str, headers: list[str], cells: list[str], widths: list[int],
              **options) -> None:
    """The table of ``loop`` (9 pt) when it has rows, else the sentence ``otherwise``."""
    _if(doc, loop, lambda d: _loop_table(d, headers, loop, cells, widths, size=9, **options))
    _if(doc, f"not {loop}", lambda d: d.add_paragraph(otherwise))


def _suivi(doc) -> None:
    """« Faire vivre la certification »: the rows of ``lifecycle_view`` (what the HTML section shows)."""
    doc.add_paragraph("{{ headings.suivi }}", style="Heading 1")
    doc.add_paragraph("{{ suivi.intro }}")
    doc.add_paragraph("À traiter", style="Heading 2")
    _table_or(doc, "suivi.alerts", "{{ suivi.nothing_to_do }}", ["Urgence", "Point", "Détail", "Date"],
              ["{{ r.urgency }}", "{{ r.title }}", "{{ r.detail }}", "{{ r.date }}"], [24, 58, 66, 26],
              details={1: "{{ r.kind }}"})
    doc.add_paragraph("{{ suivi.upcoming_title }}", style="Heading 2")
    _if(doc, "suivi.upcoming_note", lambda d: _small(d.add_paragraph("{{ suivi.upcoming_note }}"), 9.5))
    _table_or(doc, "suivi.upcoming", "{{ suivi.no_upcoming }}", ["Date", "Jusqu'au", "Échéance", "Précisions"],
              ["{{ r.start }}", "{{ r.end }}", "{{ r.title }}", "{{ r.detail }}"], [26, 26, 58, 64],
              details={2: "{{ r.kind }}"})
    doc.add_paragraph("Tâches qualité récurrentes", style="Heading 2")
    doc.add_paragraph("{{ suivi.tasks_note }}")
    _loop_table(doc, ["Tâche", "Indicateurs", "Fréquence", "Dernière réalisation", "Prochaine échéance", "État",
                      "Responsable"], "suivi.tasks",
                ["{{ r.title }}", "{{ r.indicators }}", "{{ r.frequency }}", "{{ r.last_done }}", "{{ r.next_due }}",
                 "{{ r.status }}", "{{ r.owner }}"], [40, 22, 20, 24, 24, 18, 26], size=8.5,
                details={0: "{{ r.proof }}"})


def _changes(doc) -> None:
    """« Ce qui change pour vous »: the rows of ``report_views.changes_view``."""
    doc.add_paragraph("{{ headings.changements }}", style="Heading 1")
    doc.add_paragraph("{{ changes.intro }}")
    _if(doc, "changes.provisional_note", lambda d: _small(d.add_paragraph("{{ changes.provisional_note }}"), 9.5))
    _table_or(doc, "changes.rows", "{{ changes.empty }}",
              ["Indicateur", "Nature", "Ce qui change", "Votre situation actuelle"],
              ["{{ r.indicator }}", "{{ r.nature }}", "{{ r.change }}", "{{ r.situation }}"], [44, 27, 73, 30],
              details={2: ("r.uncertain", "{{ r.uncertain }}")})


def _surveillance(doc) -> None:
    """« Préparation de l'audit de surveillance »: the rows of ``report_views.surveillance_view``."""
    doc.add_paragraph("{{ headings.surveillance }}", style="Heading 1")
    doc.add_paragraph("{{ surveillance.intro }}")
    _loop_table(doc, ["Indicateur", "Pourquoi", "Verdict actuel"], "surveillance.rows",
                ["{{ r.indicator }}", "{{ r.reasons }}", "{{ r.verdict }}"], [72, 72, 30])
    _small(doc.add_paragraph("{{ surveillance.note }}"), 9.5).paragraph_format.space_before = Pt(6)


def build() -> None:
    doc = _document("{{ client.name }} — {{ mission_type }} — {{ generated }}",
                    "{{ firm }} — {{ version_label }} — page ")

    p = doc.add_paragraph("{{ firm }}")
    p.runs[0].bold = True
    doc.add_paragraph("{%p if consultant %}")
    doc.add_paragraph("Consultant : {{ consultant }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("Rapport de {{ mission_type | lower }} — préparation de l'{{ audit_type | lower }} Qualiopi")
    doc.add_paragraph("{{ client.name }}", style="Title")
    doc.add_paragraph("{{ version_label }}")
    facts = doc.add_table(rows=0, cols=2)
    facts.style = "Light List Accent 1"
    for label, value in (("SIRET", "{{ client.siret or '—' }}"), ("Audit visé", "{{ audit_type }} prévu le {{ audit_date }}"),
                         ("Référentiel", "{{ referential }}"), ("Indicateurs évalués", "{{ figures.evaluated }} sur {{ figures.applicable }} applicables"),
                         ("Rapport établi le", "{{ generated_long }}")):
        row = facts.add_row().cells
        row[0].text, row[1].text = label, value
    doc.add_paragraph("{%p if draft_note %}")
    doc.add_paragraph("{{ draft_note }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p if provisional_note %}")
    doc.add_paragraph("{{ provisional_note }}")
    doc.add_paragraph("{%p endif %}")

    doc.add_page_break()
    doc.add_paragraph("Sommaire", style="Heading 1")
    _field(doc.add_paragraph(), 'TOC \\o "1-1" \\h \\z \\u',
           "Le sommaire se remplit à l'ouverture dans Word (accepter la mise à jour des champs, ou touche F9).")
    doc.add_page_break()

    doc.add_paragraph("{{ headings.synthese }}", style="Heading 1")
    doc.add_paragraph("{%p for para in summary %}")
    doc.add_paragraph("{{ para }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p if coverage_note %}")
    doc.add_paragraph("{{ coverage_note }}")
    doc.add_paragraph("{%p endif %}")
    figures = doc.add_table(rows=0, cols=2)
    figures.style = "Light List Accent 1"
    for label, value in (("{{ readiness_label }}", "{{ figures.readiness }}"),
                         ("{{ conformity_label }}", "{{ figures.conformity }}"),
                         ("Indicateurs applicables", "{{ figures.applicable }}"), ("Évalués", "{{ figures.evaluated }}"),
                         ("Conformes", "{{ figures.conforme }}"), ("NC mineures", "{{ figures.nc_mineure }}"),
                         ("NC majeures", "{{ figures.nc_majeure }}"), ("Restant à évaluer", "{{ figures.non_evalue }}")):
        row = figures.add_row().cells
        row[0].text, row[1].text = label, value
    doc.add_paragraph("{{ chart_overall }}")
    doc.add_paragraph("Issue projetée de l'audit : {{ projection.outcome }}", style="Heading 2")
    doc.add_paragraph("{{ projection.summary }}")
    doc.add_paragraph("{{ projection.disclaimer }}")
    doc.add_paragraph("{%p if vigilance %}")
    doc.add_paragraph("Points de vigilance", style="Heading 2")
    _loop_table(doc, ["Ind.", "Vigilance", "Détail"], "vigilance", ["{{ r.number }}", "{{ r.kinds }}", "{{ r.details }}"])
    doc.add_paragraph("{%p endif %}")

    doc.add_paragraph("{%p if visit %}")
    doc.add_paragraph("{{ headings.visite }}", style="Heading 1")
    doc.add_paragraph("Date(s) : {{ visit.dates }}")
    doc.add_paragraph("Personnes rencontrées : {{ visit.people }}")
    doc.add_paragraph("Documents consultés : {{ visit.documents }}")
    doc.add_paragraph("{%p endif %}")

    doc.add_paragraph("{{ headings.criteres }}", style="Heading 1")
    doc.add_paragraph("{{ chart_criteria }}")
    _loop_table(doc, ["Critère", "Applicables", "Conformes", "NC mineures", "NC majeures", "Non évalués", "Préparation"],
                "criteria", ["{{ r.name }}", "{{ r.applicable }}", "{{ r.conforme }}", "{{ r.nc_mineure }}",
                             "{{ r.nc_majeure }}", "{{ r.non_evalue }}", "{{ r.rate }}"],
                [70, 18, 18, 18, 18, 18, 20])

    doc.add_paragraph("{{ headings.ecarts }}", style="Heading 1")
    doc.add_paragraph("{{ gaps_intro }}")
    doc.add_paragraph("{%p for g in gaps %}")
    doc.add_paragraph("Indicateur {{ g.number }} — {{ g.title }} ({{ g.level }})", style="Heading 2")
    doc.add_paragraph("{%p if g.finding %}")
    doc.add_paragraph("Constat : {{ g.finding }}")
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("Niveau attendu : {{ g.expected }}")
    doc.add_paragraph("Preuves vues : {{ g.evidence }}")
    doc.add_paragraph("{%p endfor %}")

    doc.add_paragraph("{%p if remaining %}")
    doc.add_paragraph("{{ headings.reste }}", style="Heading 1")
    doc.add_paragraph("Ces indicateurs applicables n'ont pas encore été évalués : ils ne sont pas des écarts.")
    _loop_table(doc, ["Ind.", "Indicateur", "À évaluer avant le"], "remaining",
                ["{{ r.number }}", "{{ r.title }}", "{{ r.due }}"])
    doc.add_paragraph("{%p endif %}")

    doc.add_paragraph("{{ headings.plan }}", style="Heading 1")
    _loop_table(doc, ["Priorité", "Ind.", "Action", "Responsable", "Échéance", "Statut"], "plan",
                ["{{ r.priority }}", "{{ r.number }}", "{{ r.title }}", "{{ r.owner }}", "{{ r.due }}", "{{ r.status }}"],
                [26, 12, 70, 30, 24, 22])

    _if(doc, "suivi", _suivi)

    doc.add_paragraph("{{ headings.forces }}", style="Heading 1")
    doc.add_paragraph("{%p for s in strengths %}")
    doc.add_paragraph("Indicateur {{ s.number }} — {{ s.title }}{% if s.finding %} : {{ s.finding }}{% endif %}",
                      style="List Bullet")
    doc.add_paragraph("{%p endfor %}")

    _if(doc, "changes", _changes)
    _if(doc, "surveillance", _surveillance)
    _if(doc, "dossiers", _dossiers)

    doc.add_paragraph("{%p for sec in extra_sections %}")
    doc.add_paragraph("{{ sec.title }}", style="Heading 1")
    doc.add_paragraph("{%p for para in sec.paragraphs %}")
    doc.add_paragraph("{{ para }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p for line in sec.lines %}")
    doc.add_paragraph("{{ line }}", style="List Bullet")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p endfor %}")

    doc.add_paragraph("{{ headings.annexe }}", style="Heading 1")
    _loop_table(doc, ["N°", "Indicateur", "Applicable", "Motif", "Verdict"], "annex",
                ["{{ r.number }}", "{{ r.title }}", "{{ r.applicable }}", "{{ r.reason }}", "{{ r.verdict }}"],
                [12, 62, 22, 52, 26])

    doc.add_paragraph("{{ headings.conclusion }}", style="Heading 1")
    doc.add_paragraph("{%p for para in conclusion %}")
    doc.add_paragraph("{{ para }}")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("Fait{% if signature.place %} à {{ signature.place }}{% endif %}, le {{ generated_long }}.")
    sig = doc.add_paragraph("{{ signature.name }}")
    sig.runs[0].bold = True
    doc.add_paragraph("{{ signature.role }}")
    doc.add_paragraph("{{ firm }}")
    doc.add_paragraph("Signature :")
    doc.add_paragraph("{{ provenance }}").runs[0].font.size = Pt(7.5)

    _save(doc, OUT, "Rapport Qualiopi")


def build_note() -> None:
    """The « Note d'opportunité Qualiopi »: the data of ``opportunity_note.note_view``."""
    doc = _document("{{ client.name }} — {{ title }} — évaluation du {{ assessed_on }}", "{{ firm }} — page ")
    p = doc.add_paragraph("{{ firm }}{% if consultant %} — {{ consultant }}{% endif %}")
    p.runs[0].bold = True
    doc.add_paragraph("{{ title }}", style="Title")
    p = doc.add_paragraph("{{ client.name }}{% if client.siret %} — SIRET {{ client.siret }}{% endif %}")
    p.runs[0].bold = True
    doc.add_paragraph("Évaluation du {{ assessed_on }}")

    doc.add_paragraph("Verdict : {{ verdict }}", style="Heading 1")
    _bullets(doc, "reasons", "{{ item }}")

    doc.add_paragraph("Ce qui est en jeu", style="Heading 1")
    stakes = doc.add_table(rows=3, cols=2)
    stakes.style = "Light List Accent 1"
    look = stakes._tbl.tblPr.find(qn("w:tblLook"))  # label and value rows: no header row styling
    if look is not None:
        look.set(qn("w:firstRow"), "0")
        look.set(qn("w:val"), "0000")
    stakes.rows[0].cells[0].text = "{%tr for r in stakes %}"
    stakes.rows[1].cells[0].text, stakes.rows[1].cells[1].text = "{{ r.label }}", "{{ r.value }}"
    stakes.rows[2].cells[0].text = "{%tr endfor %}"
    _bullets(doc, "cost_basis", "{{ item }}", small=True)

    def risks(d) -> None:
        d.add_paragraph("Risques à maîtriser", style="Heading 1")
        d.add_paragraph("{%p for r in risks %}")
        line = d.add_paragraph(style="List Bullet")
        line.add_run("{{ r.label }}").bold = True
        line.add_run(" — {{ r.text }}")
        d.add_paragraph("{%p endfor %}")

    _if(doc, "risks", risks)

    doc.add_paragraph("Accompagnement recommandé", style="Heading 1")
    doc.add_paragraph("{{ support.label }}").runs[0].bold = True
    doc.add_paragraph("{{ support.note }}")

    def timeline(d) -> None:
        d.add_paragraph("{{ timeline_title }}", style="Heading 1")
        _loop_table(d, ["Dates", "Étape"], "timeline", ["{{ r.dates }}", "{{ r.label }}"], [50, 124])

    _if(doc, "timeline", timeline)

    def alternatives(d) -> None:
        d.add_paragraph("Alternatives à étudier", style="Heading 1")
        d.add_paragraph("{%p for alt in alternatives %}")
        d.add_paragraph("{{ alt.title }}", style="Heading 2")
        d.add_paragraph("{{ alt.summary }}")
        _bullets(d, "alt.rules", "{{ item }}")
        _if(d, "alt.uncertain", lambda dd: _small(dd.add_paragraph("Point incertain : {{ alt.uncertain }}")))
        d.add_paragraph("{%p endfor %}")

    _if(doc, "alternatives", alternatives)

    def doubts(d) -> None:
        d.add_paragraph("Hypothèses et limites", style="Heading 1")
        _bullets(d, "doubts", "{{ item }}", small=True)

    _if(doc, "doubts", doubts)
    _small(doc.add_paragraph("{{ provenance }}"), 7.5)
    _save(doc, NOTE_OUT, "Note d'opportunité Qualiopi")


def _save(doc, path: Path, title: str) -> None:
    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)
    doc.core_properties.title = title
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)


if __name__ == "__main__":
    build()
    build_note()
    print(OUT)
    print(NOTE_OUT)
