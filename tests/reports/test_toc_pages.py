"""Page numbers of the contents table, read back from the first print's text."""

from __future__ import annotations

from workbench.reports.pipeline import toc_pages

HTML = ('<ol><li><a href="#synthese">1. Synthèse</a> <span class="wb-toc-page" data-toc="synthese"></span></li>'
        '<li><a href="#suivi">2. Faire vivre la certification</a></li>'
        '<li><a href="#annexe">3. Annexe — applicabilité</a></li></ol>')


def test_titles_are_found_after_the_contents_page_even_with_ligatures():
    pages = ["Rapport", "Sommaire 1. Synthèse 2. Faire vivre la certification 3. Annexe — applicabilité",
             "1. Synthèse Taux", "suite", "2. Faire vivre la certiﬁcation Situation",  # « ﬁ » ligature in the PDF
             "3. Annexe — applicabilité"]
    assert toc_pages(HTML, pages) == {"synthese": 3, "suivi": 5, "annexe": 6}


def test_a_title_missing_from_the_pages_gets_no_number():
    pages = ["Sommaire", "1. Synthèse", "3. Annexe — applicabilité"]
    assert toc_pages(HTML, pages) == {"synthese": 2, "annexe": 3}
