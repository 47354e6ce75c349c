"""The PDF's contents table in real Chromium: page numbers read from the print's outline, written into
the page, and a guess (the previous PDF's numbers) kept only when the print confirms it."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from workbench.reports.browser import Browser, previous_pages, toc_titles

SECTIONS = {"un": "1. Premier", "deux": "2. Deuxième", "trois": "3. Troisième"}
LENGTHS = {"un": 1, "deux": 3, "trois": 1}  # pages per section: starts on pages 3, 4 and 7


def report_html() -> str:
    toc = "".join(f'<li><a href="#{a}">{t}</a> <span class="wb-toc-page" data-toc="{a}"></span></li>'
                  for a, t in SECTIONS.items())
    body = "".join(f'<section id="{a}" style="break-before: page"><h2>{t}</h2>'
                   + "".join(f'<p style="break-before: {"page" if i else "auto"}">Texte {a} {i}</p>'
                             for i in range(LENGTHS[a])) + "</section>"
                   for a, t in SECTIONS.items())
    return (f"<!DOCTYPE html><html lang='fr'><head><meta charset='utf-8'><title>Essai</title></head><body>"
            f"<h1>Client</h1><section style='break-before: page'><h2>Sommaire</h2><ul style='list-style: none'>{toc}</ul></section>"
            f"{body}</body></html>")


@pytest.fixture(scope="module")
def printer(chromium_path):
    with Browser(chromium=chromium_path) as browser:
        yield browser


def contents_line(pdf) -> str:
    return " ".join((PdfReader(pdf).pages[1].extract_text() or "").split())


def test_numbers_come_from_the_print_and_a_confirmed_guess_saves_the_second_print(printer, tmp_path):
    html = tmp_path / "rapport.html"
    html.write_text(report_html(), encoding="utf-8")
    toc = toc_titles(html.read_text(encoding="utf-8"))
    expected = "1. Premier 3 2. Deuxième 4 3. Troisième 7"

    before = printer.reprints
    first = printer.print_pdf(html, tmp_path / "v1.pdf", toc=toc)
    assert expected in contents_line(first)
    assert printer.reprints == before + 1  # no guess: printed twice

    guess = previous_pages(toc, first)
    assert guess == {"un": 3, "deux": 4, "trois": 7}
    second = printer.print_pdf(html, tmp_path / "v2.pdf", toc=toc, guess=guess)
    assert expected in contents_line(second)
    assert printer.reprints == before + 1  # the guess was right: one print

    wrong = printer.print_pdf(html, tmp_path / "v3.pdf", toc=toc, guess={"un": 3, "deux": 5, "trois": 9})
    assert expected in contents_line(wrong)  # a wrong guess never reaches the PDF
    assert printer.reprints == before + 2


def test_no_guess_from_a_missing_damaged_or_different_pdf(tmp_path):
    toc = toc_titles(report_html())
    assert previous_pages(toc, tmp_path / "absent.pdf") is None
    damaged = tmp_path / "abime.pdf"
    damaged.write_bytes(b"%PDF-1.7\nce n'est pas un PDF")
    assert previous_pages(toc, damaged) is None
    assert previous_pages({**toc, "quatre": "4. Quatrième"}, damaged) is None


def test_the_printing_page_is_emptied_after_each_print_and_its_context_renewed(printer, tmp_path, monkeypatch):
    """One page prints report after report: it holds no report between two prints, a print shows only
    its own file, and the context is replaced after its quota of prints."""
    pages = []
    for name in ("alpha", "beta", "gamma"):
        html = tmp_path / f"{name}.html"
        html.write_text(f"<!DOCTYPE html><html lang='fr'><body><p>Client {name.upper()}-7f3a</p></body></html>",
                        encoding="utf-8")
        pages.append(html)
    browser = printer  # one Playwright per thread: the module's browser, with a quota of 2 prints
    monkeypatch.setattr(browser, "prints_per_context", 2)
    browser._context_prints = 2  # whatever printed before: the next print opens a new context
    contexts, pdfs, starts = browser.contexts, browser.pdfs, browser.starts
    for html in pages:
        pdf = browser.print_pdf(html, tmp_path / f"{html.stem}.pdf")
        assert browser._page.url == "about:blank"  # nothing of this client left in the browser
        text = " ".join(p.extract_text() for p in PdfReader(pdf).pages)
        others = [h.stem.upper() for h in pages if h != html]
        assert f"{html.stem.upper()}-7f3a" in text and not any(o in text for o in others)
    # 2 prints per context: a new one for the first and the third
    assert (browser.contexts, browser.pdfs, browser.starts) == (contexts + 2, pdfs + 3, starts)

    # a print left on the page (the caller empties it later) is emptied before the next one
    browser.print_pdf(pages[0], tmp_path / "gauche.pdf", clear=False)
    assert browser._page.url.endswith("alpha.html")
    browser.print_pdf(pages[1], tmp_path / "suivant.pdf")
    text = PdfReader(tmp_path / "suivant.pdf").pages[0].extract_text()
    assert "BETA-7f3a" in text and "ALPHA" not in text
