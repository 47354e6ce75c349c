"""Helpers shared by every test folder: the real command line, seeded data, Voilà servers.

Fixtures live in ``tests/conftest.py``; this module holds the plain functions they (and the tests) use.
The Voilà command lines come from the package (:mod:`workbench.apps`), so the tests serve notebooks
exactly as ``workbench interview`` and ``workbench dashboard`` do.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from workbench.apps.voila import HOST, PreparedApp, kernel_env, new_token
from workbench.core.processes import alive, descendants  # noqa: F401 - descendants: used by the app tests

#: The checkout (the tests run from it; the installed-wheel test deliberately runs elsewhere).
REPO = Path(__file__).resolve().parent.parent


# -- the real command line, in a subprocess, as a user would run it -----------------------------

@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run_cli(*args: str, workspace: Path | None = None, env: dict | None = None, cwd: Path | None = None,
            timeout: int = 300) -> Result:
    """``python -m workbench ARGS`` with the workspace given by the environment; never in debug mode."""
    full_env = dict(os.environ)
    if workspace is not None:
        full_env["WORKBENCH_WORKSPACE"] = str(workspace)
    full_env.update(env or {})
    full_env.pop("WORKBENCH_DEBUG", None)
    proc = subprocess.run(
        [sys.executable, "-m", "workbench", *args],
        capture_output=True, text=True, env=full_env, cwd=cwd or REPO, timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def ok(result: Result) -> str:
    """The command succeeded without a traceback; its standard output."""
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    return result.out


def fails(result: Result, code: int, *texts: str) -> str:
    """The command failed with ``code`` and a French error naming each of ``texts``; its stderr."""
    assert result.code == code, (result.code, result.out, result.err)
    assert "Traceback" not in result.err and "Traceback" not in result.out
    assert result.err.startswith("Erreur : ") or "erreur" in result.err
    for text in texts:
        assert text in result.err, result.err
    return result.err


# -- Voilà servers -------------------------------------------------------------------------------


def like_a_terminal() -> None:
    """``preexec_fn`` for a child that must react to Ctrl+C as under a terminal: a shell starts its
    background jobs with SIGINT ignored, which the child would otherwise inherit."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class VoilaServer:
    process: subprocess.Popen
    port: int
    log_path: Path
    leftovers: list[int] = field(default_factory=list)
    """Processes still alive after the server stopped (killed by :func:`stop`)."""
    forced: bool = False
    """True when the server ignored SIGTERM and had to be killed (see :func:`stop`)."""
    exit_code: int | None = None
    """The server's exit status once stopped; None while it runs."""

    @property
    def stopped_cleanly(self) -> bool:
        """The server exited on SIGTERM by itself and left no process behind."""
        return self.exit_code is not None and not self.forced and not self.leftovers

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/"

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""


def wait_http(url: str, process: subprocess.Popen, timeout: float, log_path: Path) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"Voilà s'est arrêté (code {process.returncode}) avant d'être prêt :\n"
                + log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
            )
        try:
            # Any HTTP answer means the server listens; a path that is not the notebook does not
            # start a kernel (the page itself would).
            with urllib.request.urlopen(url + "voila/ready-probe", timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, OSError) as exc:
            last = exc
        time.sleep(0.2)
    raise RuntimeError(f"Voilà ne répond pas sur {url} après {timeout:.0f} s ({last}).")


def stop(process: subprocess.Popen, timeout: float = 10) -> tuple[list[int], bool]:
    """Stop the server, then any kernel it left behind (each by its own id).

    Returns the ids of the processes that had to be killed after the server stopped, and whether the
    server itself had to be killed because it ignored SIGTERM.
    """
    if process.poll() is not None:
        return [], False
    kids = descendants(process.pid)
    forced = False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        forced = True
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)
    leftovers = [pid for pid in kids if alive(pid)]
    for pid in leftovers:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return leftovers, forced


def _stop_server(server: VoilaServer) -> None:
    server.leftovers, server.forced = stop(server.process)
    server.exit_code = server.process.returncode


@contextlib.contextmanager
def serve_app(app: PreparedApp, *, env: dict[str, str], log_dir: Path, timeout: float = 60,
              server_class: type[VoilaServer] = VoilaServer, **extra: object) -> Iterator[VoilaServer]:
    """Serve a prepared app (see :mod:`workbench.apps.voila`) on a free loopback port, exactly as the
    commands do; always stopped on exit."""
    port = free_port()
    log_path = log_dir / f"voila-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            app.command(port), env=env, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    server = server_class(process, port, log_path, **extra)
    try:
        wait_http(server.url, process, timeout, log_path)
        yield server
    finally:
        _stop_server(server)


@contextlib.contextmanager
def serve_interview(workspace: Path, client: str, mission: str | None, *, log_dir: Path) -> Iterator[VoilaServer]:
    """The interview of a mission served as ``workbench interview`` does."""
    from workbench.apps.interview.launch import interview_app

    env = kernel_env(base={k: v for k, v in os.environ.items() if k != "WORKBENCH_DEBUG"})
    with interview_app(workspace, client, mission) as app, serve_app(app, env=env, log_dir=log_dir) as server:
        yield server


# -- fixture data shared by the interview tests ------------------------------------------------

def make_profile(client_id: str = "cfa-horizon", **overrides):
    """A CFA that prepares certifications in alternance, with subcontracting: all 33 indicators apply."""
    from workbench.domain.profile import ClientProfile

    data = {
        "id": client_id,
        "name": "CFA Horizon",
        "categories": ["CFA"],
        "conditions": ["certifying", "alternance", "work_periods", "subcontracting"],
    }
    data.update(overrides)
    return ClientProfile.model_validate(data)


def seed_mission(workspace, profile=None, *, audit_date=None, mission_type=None):
    """Create the client (if needed) and a mission through the real store; return the mission."""
    import datetime as dt

    from workbench.core.vocab import MissionType

    profile = profile or make_profile()
    if not workspace.store.client_exists(profile.id):
        workspace.store.create_client(profile)
    return workspace.new_mission(
        profile.id,
        mission_type=mission_type or MissionType.PRE_AUDIT,
        audit_date=audit_date or dt.date(2026, 12, 15),
    )


# -- client dashboard (one Voilà process per client, behind a token) ----------------------------

@dataclass
class DashboardServer(VoilaServer):
    token: str = ""

    @property
    def token_url(self) -> str:
        return f"{self.url}?token={self.token}"


@contextlib.contextmanager
def serve_dashboard(workspace: Path, client: str, mission: str | None = None, *, log_dir: Path,
                    timeout: float = 60, prepare=None) -> Iterator[DashboardServer]:
    """Serve a client's dashboard exactly as ``workbench dashboard`` does (private configuration with
    the token, parameters injected, client-facing environment); always stopped on exit.
    ``prepare(workspace, client, mission, token)`` serves another app the same way (e.g. the session
    review, :func:`workbench.apps.sessions.launch.review_app`)."""
    from workbench.apps.dashboard.launch import dashboard_app, dashboard_env

    token = new_token()
    with (prepare or dashboard_app)(workspace, client, mission, token) as app, serve_app(
            app, env=dashboard_env(), log_dir=log_dir, timeout=timeout, server_class=DashboardServer,
            token=token) as server:
        yield server


# -- client space (workbench serve) ------------------------------------------------------------


@dataclass
class SpaceServer:
    process: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


@contextlib.contextmanager
def serve_space(workspace: Path, log_dir: Path, *extra: str, timeout: float = 60) -> Iterator[SpaceServer]:
    """``workbench serve`` on a free port; stopped with SIGTERM (then killed, by its own id) on exit."""
    port = free_port()
    log_path = log_dir / f"space-{port}.log"
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(workspace)}
    env.pop("WORKBENCH_DEBUG", None)
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, "-m", "workbench", "serve", "--port", str(port), *extra],
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=REPO)
    server = SpaceServer(proc, port, log_path)
    try:
        deadline = time.monotonic() + timeout
        while "Espace client :" not in server.log():
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"workbench serve n'a pas démarré :\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")


@dataclass
class Browser:
    """A minimal HTTP client keeping cookies, as a browser would (no redirect followed)."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, *, body: bytes | None = None, headers: dict[str, str] | None = None,
                content_type: str | None = None) -> Response:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        hdrs = {"Host": f"127.0.0.1:{self.port}"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if content_type:
            hdrs["Content-Type"] = content_type
        hdrs.update(headers or {})
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                val = rest.split(";", 1)[0]
                if val in ("", '""') or "expires=Thu, 01 Jan 1970" in value or "Max-Age=0" in value:
                    self.cookies.pop(key, None)
                else:
                    self.cookies[key] = val
        conn.close()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)

    def get(self, path: str, **kw) -> Response:
        return self.request("GET", path, **kw)

    def xsrf(self) -> str:
        if "_xsrf" not in self.cookies:
            self.get("/connexion")
        page = self.get("/connexion" if "wb_espace" not in self.cookies else "/").text
        match = re.search(r'name="_xsrf" value="([^"]+)"', page)
        assert match, page[:500]
        return match.group(1)

    def post(self, path: str, fields: dict[str, str], *, xsrf: bool = True, headers: dict[str, str] | None = None
             ) -> Response:
        data = dict(fields)
        if xsrf:
            data["_xsrf"] = self.xsrf()
        return self.request("POST", path, body=urllib.parse.urlencode(data).encode(), headers=headers,
                            content_type="application/x-www-form-urlencoded")

    def post_file(self, path: str, fields: dict[str, str], file_name: str, content: bytes) -> Response:
        boundary = "----wbtest7d1f"
        parts = []
        for k, v in {**fields, "_xsrf": self.xsrf()}.items():
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode())
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="fichier"; filename="{file_name}"\r\n'
                     "Content-Type: application/octet-stream\r\n\r\n".encode() + content + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request("POST", path, body=b"".join(parts), content_type=f"multipart/form-data; boundary={boundary}")

    def sign_in(self, code: str) -> Response:
        return self.post("/connexion", {"code": code})


# -- session-file review ------------------------------------------------------------------------
def sessions_for(client_id: str, n: int = 12):
    """``n`` varied sessions (AF and CFA, two sites, three trainers, certifying, subcontracted, distance)."""
    import datetime as dt

    from workbench.core.vocab import Category
    from workbench.domain.sessions import Funding, Modality, Session

    out = []
    cats = [Category.AF, Category.CFA, Category.AF, Category.AF]
    for i in range(1, n + 1):
        start = dt.date(2026, 1, 5) + dt.timedelta(days=9 * i)
        out.append(Session(
            client_id=client_id, reference=f"SES-{i:02d}", title=f"Formation {i}", category=cats[i % len(cats)],
            start=start, end=start + dt.timedelta(days=2), site=["Lyon", "Vienne"][i % 2],
            trainers=(["Ada", "Blaise", "Chloé"][i % 3],), learners=6 + i % 4,
            funding=((Funding.OPCO,), (Funding.CPF,), (Funding.ENTREPRISE,))[i % 3],
            certifying=i % 4 == 1, subcontracted=i % 5 == 2,
            modality=Modality.DISTANCE if i % 6 == 3 else Modality.PRESENTIEL))
    return out


def seed_sample(ws, client_id: str, mission_id: str, *, n: int = 12, size: int | None = 4, seed: int = 7):
    """Store :func:`sessions_for` and draw the mission's sample; returns it."""
    from workbench.services.sessions import draw_for_mission, repository

    repository(ws).upsert(client_id, sessions_for(client_id, n))
    _, sample = draw_for_mission(ws, client_id, mission_id, size=size, seed=seed)
    return sample


# -- hardening tests: a small workspace, and a private mount namespace (root) -------------------

def seed_workspace(ws_dir: Path) -> str:
    """A workspace folder holding client « acme » (ACME Formation, AF) and one answered mission; its id."""
    import datetime as dt

    from workbench.core.vocab import MissionType, Verdict
    from workbench.domain.profile import ClientProfile
    from workbench.services.workspace import Workspace

    ws_dir.mkdir(parents=True, exist_ok=True)
    ws = Workspace.open(ws_dir, actor="consultant-test")
    try:
        ws.store.create_client(ClientProfile(id="acme", name="ACME Formation", categories=["AF"]))
        m = ws.new_mission("acme", mission_type=MissionType.PRE_AUDIT, audit_date=dt.date(2026, 12, 15))
        ws.store.save_answer(m.id, "rnq-2026:ind:01", verdict=Verdict.CONFORME, private_notes="Site web complet")
    finally:
        ws.close()
    return m.id


#: The command line, to use inside the scripts given to :func:`run_in_mount_namespace`.
WB = f"{sys.executable} -m workbench"


def run_in_mount_namespace(script: str, *, env: dict[str, str] | None = None,
                           timeout: int = 900) -> subprocess.CompletedProcess:
    """Run ``script`` with bash (``-eu``) in a private mount namespace (``unshare -m``), as root.

    Tests use it to put a workspace on a small tmpfs (a full disk) or behind a read-only bind
    mount: the mounts exist only inside the namespace and vanish with it; the host is untouched.
    """
    import shutil

    import pytest

    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.fail("Ce test demande root et unshare (util-linux) pour monter un tmpfs privé ; "
                    "la CI tourne en root.", pytrace=False)
    full_env = dict(os.environ)
    full_env.pop("WORKBENCH_DEBUG", None)
    full_env.update(env or {})
    proc = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-eu", "-c", script],
                          capture_output=True, text=True, env=full_env, cwd=REPO, timeout=timeout)
    assert proc.returncode == 0, f"script failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    return proc


# -- Word outputs ---------------------------------------------------------------------------------

def docx_text(path: Path):
    """(document, its text): every paragraph, every table cell, headers and footers, one per line."""
    import docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    parts += [c.text for t in d.tables for row in t.rows for c in row.cells]
    parts += [p.text for s in d.sections for p in (*s.header.paragraphs, *s.footer.paragraphs)]
    return d, "\n".join(parts)


def docx_table(document, *headers: str) -> list[list[str]]:
    """The body rows of the table whose first row is ``headers`` (fails when there is none)."""
    for table in document.tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        if rows and rows[0] == list(headers):
            return rows[1:]
    raise AssertionError(f"aucun tableau d'en-têtes {headers}")
