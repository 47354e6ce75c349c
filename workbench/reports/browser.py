"""PDF printing with headless Chromium (Debian's, driven by Playwright).

Every PDF of the workbench is printed here, by a :class:`Browser`: the batch's workers keep one
open from client to client, a one-shot command (``workbench report``, the portfolio, the opportunity
note, the blank grid) opens one for its own prints and closes it (:func:`html_to_pdf`).

Prints are made in one browser context with JavaScript off, where every request other than the file
itself and inline data is refused (a report is self-contained), on one page that loads each report in
turn and is emptied right after its print (``about:blank``, back-forward cache off): nothing of a
report can stay in the browser for the next one, since no script runs, no storage, cookie or cache
entry can be written, and the PDF is printed from the loaded file alone. A new context per print
cost a renderer process each time: about 1 CPU-second of a 2.3-second print
(``docs/benchmarks.md``). The context is replaced after :data:`PRINTS_PER_CONTEXT` prints and the
whole browser after any error.

A report with a table of contents is printed twice on the same page: the first print, untagged and
without outline (the cheapest), gives the page of each section from its named destinations (the
targets of the contents' links); the numbers are written into the page, which is printed again,
tagged and with the document outline (PDF bookmarks built from the headings: a reader's side panel,
screen readers). Reading the destinations takes milliseconds, where extracting the text of a
twenty-page PDF took more than a second; the outline, then the text, are read only for an entry the
destinations lack. With the numbers of the previous PDF of the same report as a guess, the first
print is the final one when it confirms them.
"""

from __future__ import annotations

import contextlib
import html as html_lib
import io
import re
import threading
import unicodedata
from collections.abc import Collection, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any

from workbench.core.errors import RunError
from workbench.core.files import write_atomically
from workbench.core.settings import Settings, load_settings

PDF_TIMEOUT_S = 120
PRINTS_PER_CONTEXT = 40
"""Prints made in one browser context before it is replaced by a fresh one."""
BROWSER_ARGS = ("--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--disable-default-apps",
                # an emptied page keeps no earlier report in memory for a "back" navigation
                "--disable-features=BackForwardCache")
_FILL_TOC = """(pages) => {
  for (const slot of document.querySelectorAll("span.wb-toc-page[data-toc]")) {
    slot.textContent = pages[slot.dataset.toc] || "";
  }
}"""
_TOC_TITLE = re.compile(r'<li><a href="#(?P<anchor>[a-z]+)">(?P<title>[^<]+)</a>')


def chromium_path(settings: Settings | None = None) -> str:
    """The Chromium of the settings (``chromium_path``, ``CHROMIUM_PATH``), else the usual places."""
    found = (settings or load_settings()).chromium()
    if found is None:
        raise RunError("Chromium introuvable : installez le paquet « chromium » pour produire les PDF.")
    return str(found)


def _norm(text: str) -> str:
    """Titles compared the same way on both sides: ligatures unfolded (NFKC), spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).split())


def toc_titles(html_text: str) -> dict[str, str]:
    """Anchor → title of each entry of the report's table of contents."""
    return {m["anchor"]: _norm(html_lib.unescape(m["title"])) for m in _TOC_TITLE.finditer(html_text)}


def pages_text(pdf: bytes) -> list[str]:
    from pypdf import PdfReader

    return [" ".join((page.extract_text() or "").split()) for page in PdfReader(io.BytesIO(pdf)).pages]


def toc_pages(titles: Mapping[str, str], pages: list[str]) -> dict[str, int]:
    """Page number of each entry found in the pages' text: the first page after the contents showing
    its title (the fallback when the outline lacks a title)."""
    pages = [_norm(text) for text in pages]
    start = next((i for i, text in enumerate(pages) if "Sommaire" in text), 0) + 1
    found: dict[str, int] = {}
    for anchor, title in titles.items():
        for i in range(start, len(pages)):
            if title in pages[i]:
                found[anchor] = i + 1
                start = i
                break
    return found


def _outline_entries(pdf: bytes) -> Iterator[tuple[str, int]]:
    """(title, page number) of every bookmark of a PDF, in document order."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))

    def walk(items: list[Any]) -> Iterator[tuple[str, int]]:
        for item in items:
            if isinstance(item, list):
                yield from walk(item)
            else:
                with contextlib.suppress(Exception):  # a bookmark without a page is skipped
                    yield _norm(str(item.title)), reader.get_destination_page_number(item) + 1

    yield from walk(reader.outline)


def dest_pages(anchors: Collection[str], pdf: bytes) -> dict[str, int]:
    """Page number of each anchor from the PDF's named destinations: Chromium makes one for every
    element a link of the page points to, tagged PDF or not (9 ms for a twenty-page report)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    found: dict[str, int] = {}
    for name, dest in reader.named_destinations.items():
        anchor = str(name).lstrip("/")
        if anchor in anchors:
            with contextlib.suppress(Exception):  # a destination without a page is skipped
                found[anchor] = reader.get_destination_page_number(dest) + 1
    return found


def section_pages(titles: Mapping[str, str], pdf: bytes, *, read_text: bool = True) -> dict[str, int]:
    """Page number of each contents entry (anchor → title): from the named destinations, else from
    the outline, else (``read_text``) from the text."""
    found = dest_pages(titles, pdf)
    missing = {anchor: title for anchor, title in titles.items() if anchor not in found}
    if missing:
        found.update(outline_pages(missing, pdf) if read_text else outline_pages_only(missing, pdf))
    return found


def outline_pages(titles: Mapping[str, str], pdf: bytes) -> dict[str, int]:
    """Page number of each contents entry from the PDF's outline; the text is read only for titles
    the outline lacks."""
    found = outline_pages_only(titles, pdf)
    missing = {anchor: title for anchor, title in titles.items() if anchor not in found}
    if missing:
        found.update(toc_pages(missing, pages_text(pdf)))
    return found


def _quiet_when_gone(loop: Any, context: dict[str, Any]) -> None:
    """Playwright's loop reports its driver's end, once nobody waits for it any more (Ctrl+C reaches
    the driver too): that end is expected, and was already dealt with, so it is not printed on the
    user's terminal. Anything else is reported as usual."""
    if "Connection closed" in str(context.get("exception", "")):
        return
    loop.default_exception_handler(context)


class Browser:
    """One headless Chromium printing PDF after PDF on one page; started on first use, replaced after
    an error."""

    def __init__(self, *, timeout_s: int = PDF_TIMEOUT_S, chromium: str | None = None,
                 prints_per_context: int = PRINTS_PER_CONTEXT) -> None:
        self.timeout_ms = timeout_s * 1000
        self.chromium = chromium
        """The Chromium of the workspace's settings (None: found among the usual places)."""
        self.prints_per_context = prints_per_context
        self._pw: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._page: Any = None
        self._loaded = False
        """A report is loaded in the page (emptied by :meth:`clear`)."""
        self._context_prints = 0
        self.pdfs = 0
        self.reprints = 0
        """Prints made again because the page numbers guessed for the contents were not the right ones."""
        self.starts = 0
        self.contexts = 0

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> None:
        if self._browser is not None and self._browser.is_connected():
            return
        self.close()
        from playwright.sync_api import sync_playwright

        manager = sync_playwright()
        self._pw = manager.start()
        loop = getattr(manager, "_loop", None)  # Playwright's own event loop, on this thread
        if loop is not None:
            loop.set_exception_handler(_quiet_when_gone)
        self._browser = self._pw.chromium.launch(executable_path=self.chromium or chromium_path(),
                                                 args=list(BROWSER_ARGS), headless=True)
        self.starts += 1

    def _ready_page(self) -> Any:
        """The printing page: an empty page of the current context, a new context when it served
        :attr:`prints_per_context` prints."""
        self.start()
        self.clear()
        if self._context is not None and self._context_prints >= self.prints_per_context:
            with contextlib.suppress(Exception):
                self._context.close()
            self._context = self._page = None
        if self._context is None:
            context = self._browser.new_context(java_script_enabled=False)
            # A report is self-contained: anything but the file itself and inline data is refused.
            context.route("**/*", lambda route: route.continue_()
                          if route.request.url.startswith(("file:", "data:")) else route.abort())
            self._context, self._page, self._context_prints = context, context.new_page(), 0
            self.contexts += 1
        return self._page

    def prepare(self) -> None:
        """Start the browser and ready the page now, while the caller does other work (the batch and
        the report service call it while the notebook runs)."""
        with contextlib.suppress(Exception):  # a failure shows again, with its cause, at the print
            self._ready_page()

    def clear(self) -> None:
        """Empty the page of the report it printed (called after each print, off the caller's path
        by :class:`BrowserThread`; a page that cannot be emptied is closed with its context)."""
        if not self._loaded or self._page is None:
            return
        try:
            self._page.goto("about:blank", timeout=self.timeout_ms)
        except Exception:  # noqa: BLE001 - never print the next report on a page not emptied
            with contextlib.suppress(Exception):
                self._context.close()
            self._context = self._page = None
        self._loaded = False

    def close(self) -> None:
        browser, pw = self._browser, self._pw
        self._browser = self._pw = self._context = self._page = None
        self._loaded = False
        if browser is not None:
            with contextlib.suppress(Exception):
                browser.close()
        if pw is not None:
            with contextlib.suppress(Exception):
                pw.stop()

    def print_pdf(self, html: Path, pdf: Path, *, client_id: str | None = None,
                  toc: Mapping[str, str] | None = None, guess: Mapping[str, int] | None = None,
                  clear: bool = True) -> Path:
        """Print ``html`` to ``pdf`` (A4 from the CSS ``@page`` rule). With ``toc`` (anchor → title),
        the page numbers of the table of contents are filled in before the final print. ``guess``
        (anchor → page, e.g. from the previous PDF of the same report) is written in first: when the
        print shows the sections on those very pages, it is the final one (as LaTeX reuses the page
        numbers of its previous run); otherwise the page is printed again with the right numbers.
        The page is emptied after the print unless ``clear`` is False (the caller then calls
        :meth:`clear`, or the next print does)."""
        try:
            page = self._ready_page()
            self._context_prints += 1
            self._loaded = True
            page.goto(html.resolve().as_uri(), wait_until="load", timeout=self.timeout_ms)
            options = {"format": "A4", "prefer_css_page_size": True, "print_background": True,
                       "outline": True, "tagged": True}
            guessed = {a: str(n) for a, n in (guess or {}).items()} if toc and guess else None
            if guessed is not None:
                page.evaluate(_FILL_TOC, guessed)  # the script runs with the page's own scripts off
            # Without a guess, the first print only finds the pages: untagged and without outline
            # (0.46 s instead of 0.62 for twenty pages); the numbers come from its named destinations.
            draft = bool(toc) and guessed is None
            data = page.pdf(**(options | {"outline": False, "tagged": False} if draft else options))
            if toc:
                numbers = {anchor: str(n) for anchor, n in section_pages(toc, data).items()}
                if numbers != guessed:  # a guess confirmed by the print itself needs no second print
                    page.evaluate(_FILL_TOC, numbers)
                    data = page.pdf(**options)
                    self.reprints += 1
        except Exception as exc:  # noqa: BLE001 - any browser failure: replace the browser
            self.close()
            raise RunError(f"Export PDF impossible pour {html.name} (Chromium : {type(exc).__name__} : "
                           f"{str(exc).splitlines()[0] if str(exc) else ''}). Le navigateur a été remplacé.",
                           client_id=client_id) from None
        if clear:
            self.clear()
        write_atomically(pdf, lambda tmp: tmp.write_bytes(data), overwrite=True)
        if toc:
            _remember_pages(pdf, numbers)
        self.pdfs += 1
        return pdf


class BrowserThread:
    """A :class:`Browser` on a thread of its own, usable from any other: Playwright's sync API binds
    to the thread that started it, and a browser started ahead (:meth:`prepare`) launches while the
    caller runs the notebook. A one-shot report and each warm worker hold one."""

    def __init__(self, *, chromium: str | None = None) -> None:
        self.browser = Browser(chromium=chromium)
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="wb-browser")

    def __enter__(self) -> BrowserThread:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def start(self) -> Future[None]:
        return self._pool.submit(self.browser.start)

    def prepare(self) -> None:
        """Launch the browser (if needed) and make the next print's context, without waiting."""
        self._pool.submit(self.browser.prepare)

    def print_pdf(self, html: Path, pdf: Path, *, client_id: str | None = None,
                  toc: Mapping[str, str] | None = None, guess: Mapping[str, int] | None = None) -> Path:
        """Print on the browser's thread; the page is emptied after the caller has its PDF (the
        emptying runs before anything else on that thread, so before the next print)."""
        done = self._pool.submit(self.browser.print_pdf, html, pdf, client_id=client_id, toc=toc, guess=guess,
                                 clear=False)
        self._pool.submit(self.browser.clear)
        return done.result()

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._pool.submit(self.browser.close).result(timeout=30)
        self._pool.shutdown(wait=False, cancel_futures=True)


_PRINTED: dict[tuple[int, int, int, int], dict[str, int]] = {}
"""Contents page numbers of the PDFs this process printed, by file identity (device, inode,
modification time, size: a PDF moved into place keeps all four). A warm worker or the report
service then reads its own previous PDF's numbers without parsing it again (0.05 to 0.1 s)."""
_PRINTED_MAX = 1024
_PRINTED_LOCK = threading.Lock()


def _identity(path: Path) -> tuple[int, int, int, int]:
    st = path.stat()
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size


def _remember_pages(pdf: Path, numbers: Mapping[str, str]) -> None:
    with contextlib.suppress(OSError, ValueError), _PRINTED_LOCK:
        if len(_PRINTED) >= _PRINTED_MAX:
            _PRINTED.pop(next(iter(_PRINTED)))
        _PRINTED[_identity(pdf)] = {anchor: int(n) for anchor, n in numbers.items()}


def previous_pages(toc: Mapping[str, str], pdf: Path) -> dict[str, int] | None:
    """The contents' page numbers in an earlier PDF of the same report (remembered if this process
    printed that very file, else read from its destinations and outline), None when there is none
    or it cannot be read: only a guess, checked by the next print."""
    try:
        if not pdf.is_file() or pdf.is_symlink():
            return None
        with _PRINTED_LOCK:
            found = _PRINTED.get(_identity(pdf))
        if found is None:
            found = section_pages(toc, pdf.read_bytes(), read_text=False)
    except Exception:  # noqa: BLE001 - a damaged or foreign file is simply no guess
        return None
    return dict(found) if found and set(found) == set(toc) else None


def outline_pages_only(titles: Mapping[str, str], pdf: bytes) -> dict[str, int]:
    """Like :func:`outline_pages`, from the outline alone (no text extraction)."""
    first: dict[str, int] = {}
    for title, page in _outline_entries(pdf):
        first.setdefault(title, page)
    return {anchor: first[title] for anchor, title in titles.items() if title in first}


def html_to_pdf(html: Path, pdf: Path, *, client_id: str | None = None, settings: Settings | None = None,
                toc: Mapping[str, str] | None = None, guess: Mapping[str, int] | None = None) -> Path:
    """Print one HTML file to PDF with a browser opened for it and closed after, whatever happens."""
    with Browser(chromium=chromium_path(settings)) as browser:
        return browser.print_pdf(html, pdf, client_id=client_id, toc=toc, guess=guess)
