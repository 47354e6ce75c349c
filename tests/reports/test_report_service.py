"""``workbench report-service``: a real service process, ``workbench report`` going through it.

The service runs as a real subprocess on a fixture workspace (a canary client whose marker must
never leave its own outputs, an ordinary client); the socket folder is a private temporary
``XDG_RUNTIME_DIR``. The tests go through the real command line, except where they need to
change what the command sends (another code fingerprint) or to watch the service from inside.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
from openpyxl import load_workbook

from tests.reports.batch_support import CANARY, MARK, PRIVATE, build_portfolio
from tests.reports.test_batch import _texts
from tests.support import REPO, fails, like_a_terminal, ok, run_cli, seed_workspace
from workbench.cli import _command_of
from workbench.core.errors import FileAccessError, NotFoundError, RunError, WorkbenchError
from workbench.core.settings import resolve_workspace
from workbench.reports import service as svc
from workbench.reports.service import (
    PROTOCOL,
    PeerCredentials,
    ReportService,
    call,
    check_peer,
    check_private_dir,
    environment_digest,
    error_from_payload,
    error_payload,
    package_fingerprint,
    peer_credentials,
    socket_path,
    workspace_path,
)
from workbench.services.workspace import Workspace
from workbench.store.errors import StoreBusyError

SERVED = "Fait par le service de rapports"
PLAIN = "client-01"
PLAIN_NAME = "Organisme numéro 1"


@contextlib.contextmanager
def private_runtime_dir():
    """A short, private XDG_RUNTIME_DIR for this test (socket paths are limited to 107 bytes)."""
    xdg = Path(tempfile.mkdtemp(prefix="wbs-", dir="/tmp"))
    previous = os.environ.get("XDG_RUNTIME_DIR")
    os.environ["XDG_RUNTIME_DIR"] = str(xdg)
    try:
        yield xdg
    finally:
        if previous is None:
            os.environ.pop("XDG_RUNTIME_DIR", None)
        else:
            os.environ["XDG_RUNTIME_DIR"] = previous
        shutil.rmtree(xdg, ignore_errors=True)


def start_service(workspace: Path, *extra: str) -> tuple[subprocess.Popen, Path]:
    log = Path(tempfile.mkstemp(prefix="wbs-log-", dir="/tmp")[1])
    env = {k: v for k, v in os.environ.items() if k != "WORKBENCH_DEBUG"}
    env["WORKBENCH_WORKSPACE"] = str(workspace)
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([sys.executable, "-m", "workbench", "report-service", "start", *extra], cwd=REPO,
                                env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=like_a_terminal)  # noqa: PLW1509
    return proc, log


def wait_ready(workspace: Path, proc: subprocess.Popen, log: Path, timeout: float = 300) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(encoding="utf-8")
        with contextlib.suppress(OSError, ValueError):
            reply = call(workspace, {"op": "status"}, timeout=30)
            if reply and reply.get("ok"):
                return reply["status"]
        time.sleep(0.3)
    raise AssertionError("service not ready: " + log.read_text(encoding="utf-8"))


def status(workspace: Path) -> dict:
    reply = call(workspace, {"op": "status"}, timeout=30)
    assert reply and reply["ok"], reply
    return reply["status"]


def stop_process(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def plant_stale_socket(workspace: Path) -> Path:
    """A socket file left behind by a service killed with SIGKILL: nobody listens on it any more."""
    path = socket_path(workspace_path(workspace))
    check_private_dir(path.parent, create=True)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(str(path))
    s.close()
    assert stat.S_ISSOCK(os.lstat(path).st_mode)
    return path


# -- pieces, without a service ---------------------------------------------------------------


def test_peer_credentials_check():
    me = os.getuid()
    assert check_peer(PeerCredentials(pid=1234, uid=me, gid=0), me) is None
    refusal = check_peer(PeerCredentials(pid=1234, uid=me + 4242, gid=0), me)
    assert refusal and "connexion refusée" in refusal and str(me + 4242) in refusal and "1234" in refusal
    a, b = socket.socketpair(socket.AF_UNIX)
    with a, b:
        real = peer_credentials(a)
    assert (real.pid, real.uid) == (os.getpid(), me) and check_peer(real) is None


@pytest.mark.skipif(os.getuid() != 0, reason="changing user needs root")
def test_service_refuses_another_user(tmp_path, workspace_dir):
    """A connection from another uid (here: nobody, through a socket deliberately left open to all)
    is refused by the service's own connection handler, before any request is read."""
    open_dir = Path(tempfile.mkdtemp(prefix="wbs-open-", dir="/tmp"))
    try:
        os.chmod(open_dir, 0o777)
        path = open_dir / "s.sock"
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(path))
        os.chmod(path, 0o777)
        listener.listen(1)
        lines: list[str] = []
        service = ReportService(workspace_dir, echo=lines.append)
        service._connections = 1

        def serve_one():
            conn, _ = listener.accept()
            service._serve_connection(conn)

        t = threading.Thread(target=serve_one)
        t.start()
        client = ("import socket, struct, json, sys\n"
                  "s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])\n"
                  "n = struct.unpack('>I', s.recv(4))[0]; print(s.recv(n).decode())\n")
        out = subprocess.run(["/usr/bin/python3", "-c", client, str(path)], user=65534, group=65534,
                             capture_output=True, text=True, timeout=60)
        t.join(30)
        listener.close()
    finally:
        shutil.rmtree(open_dir, ignore_errors=True)
    assert out.returncode == 0, out.stderr
    assert '"refused": "peer"' in out.stdout and "connexion refusée" in out.stdout and "65534" in out.stdout
    assert any("65534" in line for line in lines)


def test_private_dir_checks(tmp_path):
    d = tmp_path / "run"
    assert check_private_dir(d, create=False) is False and not d.exists()
    assert check_private_dir(d, create=True) is True
    assert stat.S_IMODE(d.stat().st_mode) == 0o700
    os.chmod(d, 0o755)
    with pytest.raises(FileAccessError) as err:
        check_private_dir(d, create=True)
    assert err.value.exit_code == 9 and "ouvert à d'autres utilisateurs" in err.value.message and "755" in err.value.message
    os.chmod(d, 0o700)
    link = tmp_path / "lien"
    link.symlink_to(d)
    with pytest.raises(FileAccessError, match="n'est pas un dossier"):
        check_private_dir(link, create=True)
    if os.getuid() == 0:
        os.chown(d, 12345, -1)
        with pytest.raises(FileAccessError, match="appartient à un autre utilisateur .uid 12345."):
            check_private_dir(d, create=True)


def test_workspace_path_matches_settings(tmp_path, monkeypatch):
    (tmp_path / "a").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WORKBENCH_WORKSPACE", raising=False)
    assert workspace_path(None) == resolve_workspace(None) == tmp_path.resolve()
    assert workspace_path("a/../a") == resolve_workspace("a/../a") == (tmp_path / "a").resolve()
    monkeypatch.setenv("WORKBENCH_WORKSPACE", "a")
    assert workspace_path(None) == resolve_workspace(None) == (tmp_path / "a").resolve()
    assert socket_path(workspace_path(None)) != socket_path(tmp_path.resolve())


def test_light_commands_are_found():
    assert _command_of(["report", "acme"]) == "report"
    assert _command_of(["--workspace", "/x", "report-service", "start"]) == "report-service"
    assert _command_of(["--workspace=/x", "report", "acme"]) == "report"
    assert _command_of(["--version"]) is None and _command_of([]) is None


def test_errors_cross_the_socket_unchanged():
    for exc in (NotFoundError("Client introuvable : « zz »."),
                RunError("Échec du rapport", client_id="acme", notebook="rapport_client.ipynb", cell_index=3,
                         output_path="/x/rapport.echec.ipynb"),
                StoreBusyError("Base occupée.")):
            again = error_from_payload(error_payload(exc))
            assert type(again) is type(exc) and again.message == exc.message and again.exit_code == exc.exit_code
            assert vars(again) == vars(exc)
    foreign = error_from_payload({"type": "Popen", "module": "subprocess", "message": "m", "exit_code": 5})
    assert type(foreign) is WorkbenchError and foreign.exit_code == 5


def test_unexpected_failure_becomes_a_french_run_error(workspace_dir, monkeypatch):
    """Any exception that is not a WorkbenchError: a RunError naming the client, no traceback, and
    the kernel and browser marked for replacement; the service object keeps answering."""
    seed_workspace(workspace_dir)
    lines: list[str] = []
    service = ReportService(workspace_dir, echo=lines.append)
    with Workspace.open(workspace_dir) as ws:
        service._worker_key = service._worker_key_for(ws.settings)
    service.worker = SimpleNamespace(_execute=None, _print_pdf=None, before_report=lambda formats: None,
                                     after_report=lambda: None)

    def broken(*args, **kwargs):
        raise KeyError("colonne_absente")

    monkeypatch.setattr("workbench.reports.pipeline.generate_report", broken)
    request = {"protocol": PROTOCOL, "op": "report", "workspace": str(workspace_dir.resolve()), "client": "acme",
               "formats": "html", "fingerprint": package_fingerprint(), "environment": environment_digest()}
    reply = service.answer(request)
    assert reply["ok"] is False
    err = error_from_payload(reply["error"])
    assert isinstance(err, RunError) and err.exit_code == 8 and err.client_id == "acme"
    assert "« acme »" in err.message and "KeyError" in err.message and "Traceback" not in err.message
    assert service._worker_dirty and service.failed == 1
    assert service.answer({"protocol": PROTOCOL, "op": "ping"})["ok"]
    # Another code or another environment: refused, the command then makes the report itself.
    refused = service.answer({**request, "fingerprint": "0" * 64})
    assert refused["refused"] == "mismatch" and "redémarrez-le" in refused["message"]
    service._relevant_env = frozenset({"WORKBENCH_STORE_URL"})
    refused = service.answer({**request, "environment": {"WORKBENCH_STORE_URL": "autre"}})
    assert "WORKBENCH_STORE_URL" in refused["message"]


def test_unsafe_socket_folder_makes_the_command_warn(tmp_path):
    ws = tmp_path / "espace"
    ws.mkdir()
    with private_runtime_dir() as xdg:  # pytest's own folders make socket paths too long
        plant_stale_socket(ws)
        os.chmod(xdg / svc.DIR_NAME, 0o770)
        made = svc.request_report(ws.resolve(), "acme", None, "html")
    assert made.result is None and made.warning
    assert "ouvert à d'autres utilisateurs" in made.warning and "sans le service" in made.warning


def test_refused_folder_stops_the_service_start(tmp_path):
    ws = tmp_path / "espace"
    seed_workspace(ws)
    with private_runtime_dir() as xdg:
        run = xdg / svc.DIR_NAME
        run.mkdir(mode=0o755)
        os.chmod(run, 0o755)
        r = run_cli("report-service", "start", workspace=ws)
        fails(r, 9, str(run), "ouvert à d'autres utilisateurs", "chmod 700")
        if os.getuid() == 0:
            os.chmod(run, 0o700)
            os.chown(run, 12345, -1)
            fails(run_cli("report-service", "start", workspace=ws), 9, "appartient à un autre utilisateur")
        assert [p for p in run.iterdir() if p.suffix == ".sock"] == []


# -- a real service -------------------------------------------------------------------------------


@pytest.mark.notebook
@pytest.mark.browser
def test_stale_socket_status_and_stop(tmp_path):
    ws = tmp_path / "espace"
    seed_workspace(ws)
    with private_runtime_dir():
        stale = plant_stale_socket(ws)
        # A socket nobody listens on: no service, the report is made here.
        out = ok(run_cli("report", "acme", "--formats", "html", workspace=ws))
        assert SERVED not in out and (ws / "reports" / "acme").is_dir()
        r = run_cli("report-service", "status", workspace=ws)
        assert r.code == 6 and "Aucun service de rapports" in r.out and "Traceback" not in r.err
        proc, log = start_service(ws, "--idle-timeout", "0")
        try:
            st = wait_ready(ws, proc, log)  # the stale socket was replaced
            assert stale.exists() and st["pid"] == proc.pid
            assert "prêt pour l'espace de travail" in log.read_text(encoding="utf-8")
            out = ok(run_cli("report-service", "status", workspace=ws))
            assert f"Processus {proc.pid}" in out and str(ws.resolve()) in out and "Arrêt automatique : jamais" in out
            fails(run_cli("report-service", "start", workspace=ws), 2, "tourne déjà", str(proc.pid))
            out = ok(run_cli("report-service", "stop", workspace=ws))
            assert f"arrêté (processus {proc.pid})" in out
            assert proc.wait(timeout=60) == 0
            assert not stale.exists()
            assert "Service de rapports arrêté" in log.read_text(encoding="utf-8")
            r = run_cli("report-service", "stop", workspace=ws)
            assert r.code == 6 and "Aucun service" in r.out
        finally:
            stop_process(proc)
            log.unlink(missing_ok=True)


@pytest.mark.notebook
@pytest.mark.browser
def test_idle_service_stops_by_itself(tmp_path):
    ws = tmp_path / "espace"
    seed_workspace(ws)
    with private_runtime_dir():
        proc, log = start_service(ws, "--idle-timeout", "0.05")  # 3 s
        try:
            wait_ready(ws, proc, log)
            children = psutil.Process(proc.pid).children(recursive=True)
            assert proc.wait(timeout=300) == 0
            text = log.read_text(encoding="utf-8")
            assert "arrêt automatique après 0,05 min" in text and "aucune demande depuis 0,05 min" in text
            assert not socket_path(workspace_path(ws)).exists()
            time.sleep(1)
            assert [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE] == []
        finally:
            stop_process(proc)
            log.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One service for the tests below, on a portfolio with a canary client: (workspace, process, log)."""
    root = Path(tmp_path_factory.mktemp("service")) / "espace"
    root.mkdir()
    build_portfolio(root, n_plain=1).close()
    with private_runtime_dir():
        proc, log = start_service(root, "--idle-timeout", "0")
        try:
            wait_ready(root, proc, log)
            yield root, proc, log
        finally:
            stop_process(proc)
            log.unlink(missing_ok=True)


@pytest.mark.notebook
@pytest.mark.browser
def test_unknown_client_through_service(served):
    ws, proc, _ = served
    err = fails(run_cli("report", "inconnu", "--formats", "html", workspace=ws), 6, "inconnu")
    assert SERVED not in err
    assert proc.poll() is None and status(ws)["reports_failed"] == 1


@pytest.mark.notebook
@pytest.mark.browser
def test_reports_through_service_keep_clients_apart(served):
    ws, proc, log = served
    before = status(ws)
    outputs = {}
    for client in (CANARY, PLAIN):  # the canary first: the same kernel and browser then serve the other
        out = ok(run_cli("report", client, "--formats", "html,pdf,xlsx", workspace=ws))
        assert SERVED in out and f"processus {proc.pid}" in out
        paths = {line.split()[0]: Path(line.split()[1]) for line in out.splitlines()
                 if line.strip().split(" ")[0] in ("HTML", "PDF", "XLSX")}
        assert set(paths) == {"HTML", "PDF", "XLSX"} and all(p.is_file() for p in paths.values())
        assert paths["PDF"].read_bytes().startswith(b"%PDF")
        load_workbook(paths["XLSX"])
        outputs[client] = paths
    assert PLAIN_NAME in outputs[PLAIN]["HTML"].read_text(encoding="utf-8")
    assert MARK in outputs[CANARY]["HTML"].read_text(encoding="utf-8")
    for kind, path in outputs[PLAIN].items():
        assert MARK not in _texts(path), kind
    for paths in outputs.values():
        for kind, path in paths.items():
            assert PRIVATE not in _texts(path), kind
    after = status(ws)
    assert after["reports_served"] == before["reports_served"] + 2 and after["pid"] == proc.pid
    assert f"{CANARY} : rapport fait" in log.read_text(encoding="utf-8")


@pytest.mark.notebook
@pytest.mark.browser
def test_two_commands_at_once_wait_their_turn(served):
    ws, proc, _ = served
    before = status(ws)["reports_served"]
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(ws)}
    env.pop("WORKBENCH_DEBUG", None)
    commands = [subprocess.Popen([sys.executable, "-m", "workbench", "report", client, "--formats", "html,xlsx"],
                                 cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for client in (CANARY, PLAIN)]
    results = [c.communicate(timeout=600) for c in commands]
    for command, (out, err) in zip(commands, results, strict=True):
        assert command.returncode == 0 and SERVED in out and "Traceback" not in err, err
        assert err.count("identité du cabinet par défaut") == 1  # the service's warning, printed by the command
    assert status(ws)["reports_served"] == before + 2
    html = next((ws / "reports" / PLAIN).glob("rapport-*.html")).read_text(encoding="utf-8")
    assert MARK not in html and PLAIN_NAME in html


@pytest.mark.notebook
def test_a_served_report_imports_neither_the_store_nor_the_pipeline(served):
    """The command's side of a served report stays light: what it imports is what it waits for."""
    ws, _, _ = served
    probe = (f"import sys\nfrom workbench.cli import main\ncode = main(['report', {PLAIN!r}, '--formats', 'html'])\n"
             "heavy = [m for m in ('workbench.services.workspace', 'workbench.reports.pipeline', "
             "'workbench.cli.settings_cmd', 'pydantic_settings', 'nbformat') if m in sys.modules]\n"
             "print('LOURD', heavy, code)")
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(ws)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=env, capture_output=True, text=True,
                         timeout=600)
    assert SERVED in out.stdout and "LOURD [] 0" in out.stdout, out.stdout + out.stderr


@pytest.mark.notebook
@pytest.mark.browser
def test_no_service_runs_locally(served):
    ws, _, _ = served
    before = status(ws)["reports_served"]
    out = ok(run_cli("report", PLAIN, "--formats", "html", "--no-service", workspace=ws))
    assert SERVED not in out and "HTML" in out
    out = ok(run_cli("report", PLAIN, "--formats", "html", workspace=ws, env={"WORKBENCH_REPORT_SERVICE": "0"}))
    assert SERVED not in out
    assert status(ws)["reports_served"] == before


@pytest.mark.notebook
@pytest.mark.browser
def test_other_code_falls_back_with_a_warning(served, monkeypatch, capsys):
    """The command's code differs from the service's (package updated since it started)."""
    from workbench.cli import main

    ws, _, _ = served
    before = status(ws)["reports_served"]
    monkeypatch.setattr(svc, "_FINGERPRINT", "f" * 64)
    monkeypatch.setenv("WORKBENCH_WORKSPACE", str(ws))
    assert main(["report", PLAIN, "--formats", "html"]) == 0
    captured = capsys.readouterr()
    assert "autre version du logiciel" in captured.err and "redémarrez-le" in captured.err
    assert "sans le service" in captured.err and SERVED not in captured.out and "HTML" in captured.out
    assert status(ws)["reports_served"] == before


@pytest.mark.notebook
@pytest.mark.browser
def test_interrupted_client_leaves_the_service_working(served):
    ws, proc, _ = served
    before = status(ws)["reports_served"]
    env = {**os.environ, "WORKBENCH_WORKSPACE": str(ws)}
    env.pop("WORKBENCH_DEBUG", None)
    client = subprocess.Popen([sys.executable, "-m", "workbench", "report", PLAIN, "--formats", "html,pdf"],
                              cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              preexec_fn=like_a_terminal)  # noqa: PLW1509
    try:
        deadline = time.monotonic() + 120
        while not status(ws)["busy"] and time.monotonic() < deadline and client.poll() is None:
            time.sleep(0.05)
        assert status(ws)["busy"], client.communicate()
        client.send_signal(signal.SIGINT)
        out, err = client.communicate(timeout=60)
    finally:
        if client.poll() is None:
            client.kill()
    assert client.returncode == 130 and "Interrompu." in err and "Traceback" not in err
    deadline = time.monotonic() + 300
    while status(ws)["busy"] and time.monotonic() < deadline:
        time.sleep(0.2)
    st = status(ws)
    assert st["reports_served"] == before + 1 and proc.poll() is None  # finished, published, still up
    folder = ws / "reports" / PLAIN
    assert not [p for p in folder.iterdir() if p.name.startswith(".wb-")]
    pdf = next(folder.glob("rapport-*.pdf"))
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().rstrip().endswith(b"%%EOF")


@pytest.mark.notebook
@pytest.mark.browser
def test_sigterm_stops_everything(served):
    ws, proc, log = served
    sock = socket_path(workspace_path(ws))
    assert sock.exists()
    children, commands = [], []
    for child in psutil.Process(proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):  # a helper that just ended (zombie) is not one to watch
            commands.append(" ".join(child.cmdline()))
            children.append(child)
    assert any("ipykernel" in c for c in commands), commands
    assert any("chrom" in c for c in commands), commands
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == 143
    text = log.read_text(encoding="utf-8")
    assert "Interrompu." in text and "noyau et navigateur fermés" in text and "Traceback" not in text
    assert not sock.exists()
    deadline = time.monotonic() + 20
    alive = children
    while alive and time.monotonic() < deadline:
        alive = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
        time.sleep(0.2)
    assert alive == [], [c.pid for c in alive]
