"""Fixtures shared by every test folder: workspaces, the shipped library, the demo, Chromium.

Plain helpers (the CLI runner, seeded data, Voilà servers) are in :mod:`tests.support`.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from workbench.referential.library import default_library
from workbench.services.workspace import Workspace

#: The day the shared demo's action plan is computed for.
DEMO_TODAY = dt.date(2026, 11, 21)
#: A title that tries to inject a script, given to one of the demo's actions.
EVIL_TITLE = "<script>alert('pirate')</script> Refaire l'affichage"
DEMO_CLIENT = "forma-sud-conseil"


@pytest.fixture(scope="session")
def library():
    return default_library()


@pytest.fixture(scope="session")
def ref2019(library):
    return library.get("rnq-2019-v9")


@pytest.fixture(scope="session")
def ref2026(library):
    return library.get("rnq-2026")


@pytest.fixture
def workspace_dir(tmp_path: Path, monkeypatch) -> Path:
    ws = tmp_path / "espace"
    ws.mkdir()
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(ws))
    return ws


@pytest.fixture
def workspace(workspace_dir: Path):
    ws = Workspace.open(workspace_dir, actor="consultant-test")
    yield ws
    ws.close()


@pytest.fixture
def seeded_mission(workspace_dir: Path):
    """A temporary workspace holding one CFA client and one mission: (workspace folder, mission)."""
    from tests.support import seed_mission

    ws = Workspace.open(workspace_dir, actor="consultant-test")
    try:
        mission = seed_mission(ws)
    finally:
        ws.close()
    return workspace_dir, mission


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium, found as the PDF export finds it. Browser tests never skip: a missing
    browser is a failure."""
    from workbench.core.settings import load_settings

    found = load_settings().chromium()
    if found is None:
        pytest.fail("Chromium introuvable : installez le paquet Debian « chromium » (make test le fait : "
                    "scripts/system-deps.sh).", pytrace=False)
    return str(found)


CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser(chromium_path):
    """A Playwright browser driving Debian's Chromium (never a downloaded build).

    Module-scoped: Playwright's sync API keeps an asyncio loop marked as running while it is
    open, which must not leak into unrelated tests of the same worker."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def demo_source(tmp_path_factory) -> Path:
    """The demo workspace, built once per test process. Client A (:data:`DEMO_CLIENT`) has an action
    plan for :data:`DEMO_TODAY`: one action done, one abandoned, one in progress and late, one whose
    title tries to inject a script. Tests get a copy (:func:`demo`), never this folder."""
    from workbench.core.vocab import ActionStatus
    from workbench.services.analysis import update_plan
    from workbench.services.demo import build_demo

    path = tmp_path_factory.mktemp("demo") / "espace"
    ws = build_demo(path)
    try:
        data, _ = update_plan(ws, DEMO_CLIENT, today=DEMO_TODAY)
        actions = sorted(data.actions, key=lambda a: a.id or 0)
        ws.store.update_action(actions[0].id, status=ActionStatus.FAIT)
        ws.store.update_action(actions[1].id, status=ActionStatus.ABANDONNE)
        ws.store.update_action(actions[2].id, status=ActionStatus.EN_COURS, due_date=dt.date(2026, 10, 1))
        ws.store.update_action(actions[3].id, title=EVIL_TITLE)
    finally:
        ws.close()  # checkpoints the WAL: the database is one stable file
    return path


@pytest.fixture
def demo(demo_source: Path, tmp_path: Path, monkeypatch) -> Path:
    """A private copy of the demo workspace, also named by ``WORKBENCH_WORKSPACE``."""
    path = tmp_path / "espace-demo"
    shutil.copytree(demo_source, path)
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(path))
    return path
