"""Shared fixtures: temporary workspaces, the shipped referential library, Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from workbench.referential.library import default_library
from workbench.services.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")


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
    from tests.voila_support import seed_mission

    ws = Workspace.open(workspace_dir, actor="consultant-test")
    try:
        mission = seed_mission(ws)
    finally:
        ws.close()
    return workspace_dir, mission


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium. Browser tests never skip: a missing browser is a failure."""
    for candidate in (os.environ.get("CHROMIUM_PATH"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail(
        "Chromium introuvable : installez le paquet Debian « chromium » (make test le fait : "
        "scripts/system-deps.sh).",
        pytrace=False,
    )


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
