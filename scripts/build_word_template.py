"""Build the default Word template of the report (``workbench/data/word/rapport.docx``).

The template is a plain Word file holding docxtpl (Jinja) tags; a firm replaces it by its own
copy in ``<workspace>/modeles/rapport.docx`` (same tags, its own styles, logo and wording). Run
``python scripts/build_word_template.py`` after changing this script; the result is committed.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT  # noqa: F401 - kept for firms adapting the script
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

OUT = Path(__file__).resolve().parent.parent / "workbench" / "data" / "word" / "rapport.docx"


def _field(paragraph, instruction: str) -> None:
    """A Word field (page number, table of contents) updated by Word when the file opens."""
    run = paragraph.add_run()
    for kind, text in (("begin", None), (None, instruction), ("separate", None), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)


def _loop_table(doc, headers: list[str], loop: str, cells: list[str], widths: list[int] | None = None):
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
    table.rows[1].cells[0].text = f"{{%tr for r in {loop} %}}"
    for i, c in enumerate(cells):
        table.rows[2].cells[i].text = c
    table.rows[3].cells[0].text = "{%tr endfor %}"
    return table


def build() -> None:
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
    header = section.header.paragraphs[0]
    header.text = "{{ client.name }} — {{ mission_type }} — {{ generated }}"
    footer = section.footer.paragraphs[0]
    footer.text = "{{ firm }} — {{ version_label }} — page "
    _field(footer, "PAGE")
    footer.add_run(" / ")
    _field(footer, "NUMPAGES")

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
    _field(doc.add_paragraph(), 'TOC \\o "1-1" \\h \\z \\u')
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

    doc.add_paragraph("{{ headings.forces }}", style="Heading 1")
    doc.add_paragraph("{%p for s in strengths %}")
    doc.add_paragraph("Indicateur {{ s.number }} — {{ s.title }}{% if s.finding %} : {{ s.finding }}{% endif %}",
                      style="List Bullet")
    doc.add_paragraph("{%p endfor %}")

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

    settings = doc.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)
    doc.core_properties.title = "Rapport Qualiopi"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc.save(OUT)


if __name__ == "__main__":
    build()
    print(OUT)
