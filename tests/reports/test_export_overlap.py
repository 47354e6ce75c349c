"""The PDF prints while the other files of a report are written, and is always waited for."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from workbench.core.errors import RunError
from workbench.reports import pipeline
from workbench.reports.browser import _remember_pages, previous_pages


class Recorder:
    def __init__(self, tmp_path: Path, *, xlsx_fails: bool = False, pdf_fails: bool = False) -> None:
        self.tmp, self.xlsx_fails, self.pdf_fails = tmp_path, xlsx_fails, pdf_fails
        self.spans: dict[str, tuple[float, float, str]] = {}
        self.pdf_done = threading.Event()

    def _span(self, name: str, seconds: float) -> Path:
        start = time.perf_counter()
        time.sleep(seconds)
        self.spans[name] = (start, time.perf_counter(), threading.current_thread().name)
        return self.tmp / f"r.{name}"

    def html(self, job: object) -> Path:
        return self._span("html", 0.01)

    def pdf(self, job: object) -> Path:
        path = self._span("pdf", 0.4)
        self.pdf_done.set()
        if self.pdf_fails:
            raise RunError("Export PDF impossible (essai).")
        return path

    def xlsx(self, job: object) -> Path:
        path = self._span("xlsx", 0.2)
        if self.xlsx_fails:
            raise RunError("Export Excel impossible (essai).")
        return path


@pytest.fixture
def recorder(tmp_path, monkeypatch):
    def make(**kwargs: bool) -> Recorder:
        rec = Recorder(tmp_path, **kwargs)
        monkeypatch.setattr(pipeline, "_FORMATS", {"html": rec.html, "pdf": rec.pdf, "xlsx": rec.xlsx})
        return rec
    return make


JOB = SimpleNamespace(pdf_printer=print)  # any printer: the PDF then has its own thread


def test_the_pdf_prints_while_the_workbook_is_written(recorder):
    rec = recorder()
    timings: dict[str, float] = {}
    produced = pipeline._export_formats(JOB, ["xlsx", "pdf", "html"], timings)
    assert list(produced) == ["html", "pdf", "xlsx"]  # the registry's order, whatever the request's
    pdf, xlsx = rec.spans["pdf"], rec.spans["xlsx"]
    assert pdf[2] != xlsx[2]  # two threads…
    assert pdf[0] < xlsx[1] and xlsx[0] < pdf[1]  # …at the same time
    assert set(timings) == {"html", "pdf", "xlsx"} and timings["pdf"] >= 0.4


def test_a_failing_workbook_still_waits_for_the_pdf_and_wins(recorder):
    rec = recorder(xlsx_fails=True, pdf_fails=True)
    with pytest.raises(RunError, match="Excel"):
        pipeline._export_formats(JOB, ["html", "pdf", "xlsx"], {})
    assert rec.pdf_done.is_set()  # nothing left printing into a staging folder about to be removed


def test_a_failing_pdf_is_reported(recorder):
    recorder(pdf_fails=True)
    with pytest.raises(RunError, match="PDF"):
        pipeline._export_formats(JOB, ["html", "pdf", "xlsx"], {})


def test_without_a_browser_of_its_own_the_formats_run_in_turn(recorder):
    rec = recorder()
    pipeline._export_formats(SimpleNamespace(pdf_printer=None), ["html", "pdf", "xlsx"], {})
    assert rec.spans["pdf"][1] <= rec.spans["xlsx"][0]


def test_page_numbers_of_a_pdf_printed_here_are_remembered_across_its_move(tmp_path, monkeypatch):
    toc = {"un": "1. Premier", "deux": "2. Deuxième"}
    staged = tmp_path / "staging.pdf"
    staged.write_bytes(b"%PDF-1.7 pas lu")
    _remember_pages(staged, {"un": "3", "deux": "5"})
    final = tmp_path / "rapport.pdf"
    staged.replace(final)  # published: same file, other name
    monkeypatch.setattr("workbench.reports.browser.outline_pages_only",
                        lambda *a: pytest.fail("the remembered numbers should be used"))
    assert previous_pages(toc, final) == {"un": 3, "deux": 5}

    final.write_bytes(b"%PDF-1.7 autre contenu")  # another file now: no longer remembered, parsed (and damaged)
    monkeypatch.undo()
    assert previous_pages(toc, final) is None
