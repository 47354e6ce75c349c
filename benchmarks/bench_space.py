"""Client space benchmark (not a test): time to first render and memory per open view, for 1, 5
and 10 clients signed in at once, against one ``workbench serve`` process.

Method:

* the demo workspace (7 clients) plus 3 copies of demo clients under other ids, so that 10 distinct
  clients exist, each with an action plan and a personal access code;
* ``workbench serve`` started as a user would, in its own process; its resident memory (VmRSS, and
  VmHWM for the peak) read from ``/proc`` — the server is the only process of the space: no kernel;
* for N = 1, 5, 10: N headless Chromium contexts (Debian's Chromium) sign in AT THE SAME TIME
  (asyncio + Playwright), each with its own client's code; time to first render = from the
  submission of the code to the client's name being displayed; then each view is reloaded once
  (second render, session already open);
* memory per open view = (server RSS with the N views open - RSS before any sign-in) / N.

For comparison, the per-client Voilà preview (``workbench dashboard``) is measured once: time to
the rendered dashboard and RSS of Voilà plus its kernel.

Run: ``.venv/bin/python benchmarks/bench_space.py [--skip-voila]``. Prints a JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from workbench.services.analysis import update_plan  # noqa: E402
from workbench.services.demo import build_demo  # noqa: E402
from workbench.store.client_space import create_access  # noqa: E402

EXTRA = ("copie-1", "copie-2", "copie-3")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_mem_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, in MB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) / 1024
    return fields["VmRSS"], fields["VmHWM"]


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its descendants (Voilà and its kernels), in MB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += proc_mem_mb(p)[0]
        except (OSError, KeyError):
            pass
        todo.extend(children.get(p, []))
    return total


def prepare(ws_dir: Path) -> dict[str, str]:
    ws = build_demo(ws_dir)
    try:
        clients = [c.id for c in ws.store.list_clients()]
        source = ws.store.get_client("forma-sud-conseil")
        for i, new_id in enumerate(EXTRA):
            ws.store.create_client(source.model_copy(update={"id": new_id, "name": f"Organisme copie {i + 1}",
                                                             "siret": None}))
            m = ws.store.list_missions("forma-sud-conseil")[-1]
            ws.new_mission(new_id, mission_type=m.type, audit_date=m.audit_date)
            clients.append(new_id)
        codes = {}
        for c in clients:
            update_plan(ws, c)
            codes[c] = create_access(ws.store, c)[0]
        return codes
    finally:
        ws.close()


async def sign_in_all(browser, url: str, codes: dict[str, str], names: dict[str, str]) -> dict:
    async def one(client: str):
        ctx = await browser.new_context()
        page = await ctx.new_page()
        await page.goto(url + "connexion")
        await page.fill("#code", codes[client])
        start = time.perf_counter()
        await page.click("button[type=submit]")
        await page.wait_for_selector("h1.wb-dash-client", timeout=120_000)
        first = time.perf_counter() - start
        assert names[client] in await page.inner_text("h1.wb-dash-client")
        return ctx, page, first

    results = await asyncio.gather(*(one(c) for c in codes))
    return {"contexts": [r[0] for r in results], "pages": [r[1] for r in results],
            "first": [r[2] for r in results]}


async def reload_all(pages) -> list[float]:
    async def one(page):
        start = time.perf_counter()
        await page.reload()
        await page.wait_for_selector("h1.wb-dash-client")
        return time.perf_counter() - start
    return list(await asyncio.gather(*(one(p) for p in pages)))


def http_rounds(port: int, codes: dict[str, str]) -> dict:
    """Server-side figures without a browser: N clients each signed in, then N GET / at once."""
    import concurrent.futures

    from tests.support import Browser

    clients = list(codes)
    browsers = {c: Browser(port) for c in clients}
    for c in clients:
        assert browsers[c].sign_in(codes[c]).status == 303

    def get(c: str) -> float:
        start = time.perf_counter()
        r = browsers[c].get("/")
        assert r.status == 200
        return time.perf_counter() - start

    out = {}
    for n in (1, 5, 10):
        with concurrent.futures.ThreadPoolExecutor(n) as pool:
            times = list(pool.map(get, clients[:n]))
        out[f"n{n}"] = {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}
    return out


async def bench_space(ws_dir: Path, codes: dict[str, str], names: dict[str, str]) -> dict:
    from playwright.async_api import async_playwright

    port = free_port()
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(ws_dir)}
    proc = subprocess.Popen([sys.executable, "-m", "workbench", "serve", "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, cwd=REPO, text=True)
    out: dict = {}
    try:
        assert "Espace client" in proc.stdout.readline()
        url = f"http://127.0.0.1:{port}/"
        await asyncio.sleep(8)  # the charts of clients with a code are drawn at start
        out["server_rss_idle_mb"] = round(proc_mem_mb(proc.pid)[0], 1)
        out["http_only"] = await asyncio.to_thread(http_rounds, port, codes)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path="/usr/bin/chromium",
                                               args=["--headless=new", "--no-sandbox", "--disable-gpu",
                                                     "--disable-dev-shm-usage"])
            for n in (1, 5, 10):
                before = proc_mem_mb(proc.pid)[0]
                chosen = dict(list(codes.items())[:n])
                run = await sign_in_all(browser, url, chosen, names)
                again = await reload_all(run["pages"])
                rss, hwm = proc_mem_mb(proc.pid)
                out[f"n{n}"] = {
                    "first_render_s": {"median": round(statistics.median(run["first"]), 3),
                                       "max": round(max(run["first"]), 3)},
                    "reload_s": {"median": round(statistics.median(again), 3), "max": round(max(again), 3)},
                    "server_rss_mb": round(rss, 1), "server_peak_rss_mb": round(hwm, 1),
                    "rss_per_open_view_mb": round((rss - out["server_rss_idle_mb"]) / n, 2),
                    "rss_growth_this_round_mb": round(rss - before, 1),
                }
                for ctx in run["contexts"]:
                    await ctx.close()
            await browser.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    return out


async def bench_voila(ws_dir: Path, name: str) -> dict:
    """One per-client Voilà preview (``workbench dashboard``), for comparison."""
    from playwright.async_api import async_playwright

    from tests.support import serve_dashboard

    with tempfile.TemporaryDirectory() as logs, serve_dashboard(ws_dir, "forma-sud-conseil",
                                                                log_dir=Path(logs)) as server:
        idle = tree_rss_mb(server.process.pid)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path="/usr/bin/chromium",
                                               args=["--headless=new", "--no-sandbox", "--disable-gpu"])
            page = await browser.new_page()
            start = time.perf_counter()
            await page.goto(server.token_url, timeout=180_000)
            await page.wait_for_selector("h1.wb-dash-client", timeout=180_000)
            first = time.perf_counter() - start
            assert name in await page.inner_text("h1.wb-dash-client")
            await asyncio.sleep(2)
            rss = tree_rss_mb(server.process.pid)
            await browser.close()
    return {"first_render_s": round(first, 2), "rss_idle_mb": round(idle, 1), "rss_one_view_mb": round(rss, 1),
            "rss_per_open_view_mb": round(rss - idle, 1)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-voila", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ws_dir = Path(tmp) / "espace"
        codes = prepare(ws_dir)
        from workbench.services.workspace import Workspace

        with Workspace.open(ws_dir) as ws:
            names = {p.id: p.name for p in ws.store.list_clients()}
        result = {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2),
                  "space": asyncio.run(bench_space(ws_dir, codes, names))}
        if not args.skip_voila:
            result["voila_dashboard"] = asyncio.run(bench_voila(ws_dir, names["forma-sud-conseil"]))
        result["load_1min_after"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
