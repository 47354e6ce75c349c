"""PDF printing of one client report: a new browser context per print vs the one page the workbench keeps.

    python benchmarks/bench_pdf.py [--runs 10] [--html RAPPORT.html]

Without ``--html``, makes one synthetic client (as ``bench_batch.py`` does) in a temporary workspace
and its report's HTML page. Then, in one run and on one Chromium (Debian's, through Playwright),
prints that page ``--runs`` times (after one unmeasured print) in each of three ways:

(1) a new browser context and page per report (how the workbench printed up to 27/11/2026): the
    contents' page numbers read from the first print's outline, written in, printed again;
(2) ``Browser.print_pdf`` as it is now: one context and one page kept, emptied after each print;
    no guess of the page numbers, so two prints as in (1), the first one untagged and without
    outline, its pages read from its named destinations;
(3) the same with the right guess (the previous PDF's numbers): one print.

For each: wall time per report, and CPU time per report of the whole machine (``psutil.cpu_times``,
user + system, all processes: Chromium's renderer processes end with their context, so a sum over
the processes alive at the end misses them). The machine should be otherwise idle; the load is
printed before and after. Figures go to docs/benchmarks.md by hand.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))


def report_html(root: Path) -> Path:
    """One synthetic client's report page (HTML only)."""
    from bench_batch import make_clients

    from workbench.reports.pipeline import generate_report
    from workbench.services.workspace import Workspace

    cid = make_clients(root, 1)[0]
    with Workspace.open(root) as ws:
        return generate_report(ws, cid, formats=("html",)).paths["html"]


def machine_cpu() -> float:
    t = psutil.cpu_times()
    return t.user + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)


def measure(label: str, print_one: Callable[[], object], runs: int) -> dict[str, float]:
    print_one()  # settles the page, fonts and caches: not measured
    walls, cpus = [], []
    for _ in range(runs):
        c, t = machine_cpu(), time.perf_counter()
        print_one()
        walls.append(time.perf_counter() - t)
        cpus.append(machine_cpu() - c)
    row = {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus)}
    print(f"{label:58s} mur {row['wall_s']:.2f} s   processeur {row['cpu_s']:.2f} s (médianes de {runs})",
          flush=True)
    return row


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--html", type=Path, help="a report page to print (default: one synthetic client's)")
    args = ap.parse_args()

    from workbench.reports.browser import (
        _FILL_TOC,
        Browser,
        chromium_path,
        outline_pages,
        previous_pages,
        toc_titles,
    )

    print(f"charge avant : {os.getloadavg()[0]:.1f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="wb-bench-pdf-") as tmp:
        out = Path(tmp)
        if args.html:
            html = args.html
        else:
            (out / "espace").mkdir()
            html = report_html(out / "espace")
        toc = toc_titles(html.read_text(encoding="utf-8"))
        print(f"page : {html.name} ({html.stat().st_size // 1024} Kio, {len(toc)} entrées au sommaire)", flush=True)

        with Browser(chromium=chromium_path()) as browser:
            browser.start()
            options = {"format": "A4", "prefer_css_page_size": True, "print_background": True,
                       "outline": True, "tagged": True}

            def new_context_per_print() -> None:
                context = browser._browser.new_context(java_script_enabled=False)
                context.route("**/*", lambda route: route.continue_()
                              if route.request.url.startswith(("file:", "data:")) else route.abort())
                page = context.new_page()
                page.goto(html.resolve().as_uri(), wait_until="load")
                data = page.pdf(**options)
                page.evaluate(_FILL_TOC, {a: str(n) for a, n in outline_pages(toc, data).items()})
                (out / "1.pdf").write_bytes(page.pdf(**options))
                context.close()

            rows = {"new_context": measure("(1) contexte neuf par rapport, deux impressions",
                                           new_context_per_print, args.runs)}
            rows["kept_page"] = measure("(2) page gardée, vidée après chaque rapport, deux impressions",
                                        lambda: browser.print_pdf(html, out / "2.pdf", toc=toc), args.runs)
            guess = previous_pages(toc, out / "2.pdf")
            before = browser.reprints
            rows["kept_page_guess"] = measure("(3) page gardée, numéros du PDF précédent confirmés",
                                              lambda: browser.print_pdf(html, out / "3.pdf", toc=toc, guess=guess),
                                              args.runs)
            assert browser.reprints == before, "the guess should have been confirmed"
    print(f"charge après : {os.getloadavg()[0]:.1f}")
    saved = rows["new_context"]["cpu_s"] - rows["kept_page"]["cpu_s"]
    print(f"processeur économisé par rapport, (1) → (2) : {saved:.2f} s ; (1) → (3) : "
          f"{rows['new_context']['cpu_s'] - rows['kept_page_guess']['cpu_s']:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
