"""Page numbers of the contents table: from the PDF's outline, else from its text."""

from __future__ import annotations

import io

from pypdf import PdfWriter

from workbench.reports.browser import dest_pages, outline_pages, section_pages, toc_pages, toc_titles

HTML = ('<ol><li><a href="#synthese">1. Synthèse</a> <span class="wb-toc-page" data-toc="synthese"></span></li>'
        '<li><a href="#suivi">2. Faire vivre la certification</a></li>'
        '<li><a href="#annexe">3. Annexe — applicabilit&eacute;</a></li></ol>')
TITLES = toc_titles(HTML)


def test_contents_titles_are_read_from_the_html_unescaped():
    assert TITLES == {"synthese": "1. Synthèse", "suivi": "2. Faire vivre la certification",
                      "annexe": "3. Annexe — applicabilité"}


def test_titles_are_found_after_the_contents_page_even_with_ligatures():
    pages = ["Rapport", "Sommaire 1. Synthèse 2. Faire vivre la certification 3. Annexe — applicabilité",
             "1. Synthèse Taux", "suite", "2. Faire vivre la certiﬁcation Situation",  # « ﬁ » ligature in the PDF
             "3. Annexe — applicabilité"]
    assert toc_pages(TITLES, pages) == {"synthese": 3, "suivi": 5, "annexe": 6}


def test_a_title_missing_from_the_pages_gets_no_number():
    pages = ["Sommaire", "1. Synthèse", "3. Annexe — applicabilité"]
    assert toc_pages(TITLES, pages) == {"synthese": 2, "annexe": 3}


def _pdf_with_outline(pages: int, bookmarks: list[tuple[str, int, int | None]]) -> bytes:
    """A blank PDF whose outline holds ``(title, page index, parent index)`` bookmarks."""
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(595, 842)
    made = []
    for title, page, parent in bookmarks:
        made.append(writer.add_outline_item(title=title, page_number=page, parent=made[parent] if parent is not None else None))
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


def test_pages_come_from_nested_bookmarks_with_ligatures_unfolded():
    pdf = _pdf_with_outline(6, [("Client", 0, None), ("Sommaire", 1, 0), ("1. Synthèse", 2, 0),
                                ("Détail", 3, 2), ("2. Faire vivre la certiﬁcation", 4, 0),
                                ("3. Annexe — applicabilité", 5, 0)])
    assert outline_pages(TITLES, pdf) == {"synthese": 3, "suivi": 5, "annexe": 6}


def test_a_title_the_outline_lacks_is_looked_for_in_the_text():
    pdf = _pdf_with_outline(3, [("Sommaire", 0, None), ("1. Synthèse", 1, None)])
    # blank pages: the text fallback finds nothing, and the entry simply gets no number
    assert outline_pages(TITLES, pdf) == {"synthese": 2}


def test_pages_come_first_from_the_named_destinations_then_the_outline():
    """The links' targets give the pages (untagged first print); an anchor without destination is
    looked for in the outline by its title."""
    writer = PdfWriter()
    for _ in range(6):
        writer.add_blank_page(595, 842)
    writer.add_named_destination("synthese", 2)
    writer.add_named_destination("annexe", 5)
    writer.add_named_destination("ailleurs", 1)  # a target the contents does not list
    writer.add_outline_item(title="2. Faire vivre la certification", page_number=4)
    writer.add_outline_item(title="1. Synthèse", page_number=0)  # the destination wins
    buf = io.BytesIO()
    writer.write(buf)
    pdf = buf.getvalue()
    assert dest_pages(TITLES, pdf) == {"synthese": 3, "annexe": 6}
    assert section_pages(TITLES, pdf) == {"synthese": 3, "suivi": 5, "annexe": 6}
