"""A warm report service for one workspace: ``workbench report`` hands it its work.

A one-off ``workbench report`` starts Python, a Jupyter kernel and Chromium: most of its time goes
there, not to the report. ``workbench report-service start`` keeps one
:class:`~workbench.reports.warm.WarmWorker` (kernel and browser started once) and serves the
reports of ONE workspace, one at a time, over a Unix socket:

- **where**: ``$XDG_RUNTIME_DIR/qualiopi-workbench/`` (else ``/tmp/qualiopi-workbench-<uid>/``),
  created 0700 and refused when it belongs to someone else or is open to others; the socket's name
  is a hash of the resolved workspace path, so a command finds the service of its own workspace;
- **who**: every connection's peer credentials (``SO_PEERCRED``) must carry the service's uid, and
  the client checks the service's the same way (the private folder is the second barrier);
- **what**: small JSON messages, each prefixed by its length (4 bytes, big-endian): ``status``
  (also ``ping``), ``stop`` and ``report``. A request made with other code (package updated since
  the service started) or another environment (store, Chromium…) is refused, and the command
  makes the report itself;
- **each report** opens the workspace afresh (settings and data changes are seen), runs
  :func:`~workbench.reports.pipeline.generate_report` on the warm kernel and browser, closes the
  workspace. A :class:`WorkbenchError` travels back as {type, message, exit code, attributes} and
  is raised again, same class, by the command; anything else becomes a French ``RunError`` naming
  the client, and the service goes on. When the firm's own data files or the Chromium setting
  change, the kernel and browser are replaced before the next report (they cache what they read).

The client half of this module (everything above :class:`ReportService`) imports only the
standard library and two small core modules (errors, processes): ``workbench report`` stays light
until it knows there is no service to ask.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import importlib
import json
import os
import signal
import socket
import stat
import struct
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbench import __version__
from workbench.core.errors import FileAccessError, RunError, UsageError, WorkbenchError
from workbench.core.processes import alive, descendants

PROTOCOL = 1
ENV_SWITCH = "WORKBENCH_REPORT_SERVICE"
"""``0`` makes ``workbench report`` run locally, like ``--no-service``."""
DIR_NAME = "qualiopi-workbench"
DEFAULT_IDLE_MIN = 30
CONNECT_TIMEOUT_S = 5.0
REQUEST_TIMEOUT_S = 30.0
MAX_MESSAGE = 1 << 20
_HEADER = struct.Struct(">I")
_CREDENTIALS = struct.Struct("3i")  # struct ucred: pid, uid, gid
_SOCKET_MAX = 107  # sun_path is 108 bytes, with the final NUL
PACKAGE_DIR = Path(__file__).resolve().parent.parent


# -- where the service listens --------------------------------------------------------------


def runtime_dir() -> Path:
    """The per-user folder of the services' sockets."""
    base = os.environ.get("XDG_RUNTIME_DIR", "")
    if base and os.path.isabs(base) and os.path.isdir(base):
        return Path(base) / DIR_NAME
    return Path("/tmp") / f"{DIR_NAME}-{os.getuid()}"


def check_private_dir(path: Path, *, create: bool) -> bool:
    """Check (and with ``create``, make) the private socket folder; False when it does not exist.

    Raises :class:`FileAccessError` when it is not a real folder, belongs to another user or is
    open to the group or to others: nothing is ever listened on or connected to in it then."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if not create:
            return False
        with contextlib.suppress(FileExistsError):
            os.mkdir(path, 0o700)
        st = os.lstat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise FileAccessError(f"{path} n'est pas un dossier (lien symbolique ou fichier) : le service de rapports "
                              "ne s'en sert pas. Supprimez-le, ou définissez XDG_RUNTIME_DIR vers un dossier à vous.",
                              path=str(path))
    if st.st_uid != os.getuid():
        raise FileAccessError(f"Le dossier {path} appartient à un autre utilisateur (uid {st.st_uid}) : le service de "
                              "rapports ne s'en sert pas. Supprimez-le, ou définissez XDG_RUNTIME_DIR vers un dossier "
                              "à vous.", path=str(path))
    if st.st_mode & 0o077:
        raise FileAccessError(f"Le dossier {path} est ouvert à d'autres utilisateurs (droits "
                              f"{stat.S_IMODE(st.st_mode):o}, 700 attendus) : le service de rapports ne s'en sert pas. "
                              f"Corrigez-le (chmod 700 {path}) ou supprimez-le.", path=str(path))
    return True


def workspace_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """The workspace folder (argument > ``WORKBENCH_WORKSPACE`` > current directory), resolved the
    way :func:`workbench.core.settings.resolve_workspace` does, without importing the settings."""
    raw: str | os.PathLike[str] | None = explicit
    if not raw:
        raw = os.environ.get("WORKBENCH_WORKSPACE") or next(
            (v for k, v in os.environ.items() if k.upper() == "WORKBENCH_WORKSPACE" and v), None)
    return Path(raw or ".").expanduser().resolve()


def socket_path(workspace: Path, directory: Path | None = None) -> Path:
    """The socket of ``workspace``'s service: a hash of its resolved path, in the private folder."""
    name = hashlib.sha256(str(workspace).encode()).hexdigest()[:20]
    return (directory or runtime_dir()) / f"{name}.sock"


# -- what a request must match ---------------------------------------------------------------


_FINGERPRINT: str | None = None


def package_fingerprint() -> str:
    """The package version and every file of the installed package (code, notebooks, templates,
    data): name, size and modification time, hashed. An update or an edit changes it, so the service
    never runs other code than the command. The files' metadata, not their contents: this runs at
    every ``workbench report`` (a few milliseconds, where reading every file took 75 ms)."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        h = hashlib.sha256(__version__.encode())
        for folder, dirs, files in os.walk(PACKAGE_DIR):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith((".pyc", ".pyo")):
                    continue
                path = os.path.join(folder, name)
                h.update(os.path.relpath(path, PACKAGE_DIR).encode())
                with contextlib.suppress(OSError):
                    st = os.stat(path)
                    h.update(f"{st.st_size}:{st.st_mtime_ns}".encode())
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


def environment_digest() -> dict[str, str]:
    """The settings' environment variables (``WORKBENCH_…``, ``CHROMIUM_PATH``), values hashed."""
    out = {}
    for name, value in os.environ.items():
        upper = name.upper()
        if upper.startswith("WORKBENCH_") or upper == "CHROMIUM_PATH":
            out[upper] = hashlib.sha256(value.encode()).hexdigest()
    return out


# -- the wire ---------------------------------------------------------------------------------


def send_message(sock: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message, ensure_ascii=False).encode()
    sock.sendall(_HEADER.pack(len(data)) + data)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            raise ConnectionError("connexion fermée")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv_message(sock: socket.socket) -> dict[str, Any]:
    (size,) = _HEADER.unpack(_recv_exact(sock, _HEADER.size))
    if size > MAX_MESSAGE:
        raise ValueError(f"message trop long ({size} octets)")
    message = json.loads(_recv_exact(sock, size))
    if not isinstance(message, dict):
        raise ValueError("message JSON attendu sous forme d'objet")
    return message


@dataclass(frozen=True)
class PeerCredentials:
    pid: int
    uid: int
    gid: int


def peer_credentials(sock: socket.socket) -> PeerCredentials:
    """Who is at the other end of a Unix socket, as the kernel saw it connect."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _CREDENTIALS.size)
    return PeerCredentials(*_CREDENTIALS.unpack(raw))


def check_peer(peer: PeerCredentials, uid: int | None = None) -> str | None:
    """Why the peer is refused (French), None when it is the same user as this process."""
    own = os.getuid() if uid is None else uid
    if peer.uid != own:
        return (f"connexion refusée : le service de rapports ne sert que son propre utilisateur (uid {own}), "
                f"pas l'uid {peer.uid} (processus {peer.pid}).")
    return None


# -- errors across the socket --------------------------------------------------------------------


def _plain(value: Any) -> Any:
    return value if isinstance(value, (str, int, float, bool)) or value is None else str(value)


def error_payload(exc: WorkbenchError) -> dict[str, Any]:
    """A :class:`WorkbenchError` as plain data: class, French message, exit code, attributes."""
    attributes = {k: _plain(v) for k, v in vars(exc).items() if k != "message" and not k.startswith("_")}
    return {"type": type(exc).__name__, "module": type(exc).__module__, "message": exc.message,
            "exit_code": exc.exit_code, "attributes": attributes}


def error_from_payload(payload: dict[str, Any]) -> WorkbenchError:
    """The error of :func:`error_payload` again: same class (when it is one of the package's
    ``WorkbenchError`` classes), message, exit code and attributes."""
    cls: type[WorkbenchError] = WorkbenchError
    module, name = str(payload.get("module", "")), str(payload.get("type", ""))
    if module == "workbench" or module.startswith("workbench."):
        with contextlib.suppress(ImportError):
            found = getattr(importlib.import_module(module), name, None)
            if isinstance(found, type) and issubclass(found, WorkbenchError):
                cls = found
    exc = cls.__new__(cls)
    WorkbenchError.__init__(exc, str(payload.get("message", "")))
    for key, value in dict(payload.get("attributes") or {}).items():
        if key.isidentifier() and key not in ("message", "exit_code"):
            setattr(exc, key, value)
    code = payload.get("exit_code")
    if isinstance(code, int) and code != cls.exit_code:
        exc.exit_code = code
    return exc


# -- the client side ----------------------------------------------------------------------------


def connect(workspace: Path, *, timeout: float = CONNECT_TIMEOUT_S) -> socket.socket | None:
    """A connection to the service of ``workspace``, None when none runs (no socket, or a socket
    left by a service that was killed). Raises :class:`FileAccessError` when the folder or the
    socket is not safe, or when the other end is not this user."""
    directory = runtime_dir()
    path = socket_path(workspace, directory)
    if not os.path.lexists(path):
        return None
    if not check_private_dir(directory, create=False):
        return None
    st = os.lstat(path)
    if not stat.S_ISSOCK(st.st_mode) or st.st_uid != os.getuid():
        raise FileAccessError(f"{path} n'est pas un socket de service de cet utilisateur : ignoré.", path=str(path))
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(str(path))
        refusal = check_peer(peer_credentials(sock))
        if refusal:
            raise FileAccessError(f"Service de rapports ignoré, {refusal}", path=str(path))
        sock.settimeout(None)
    except (ConnectionRefusedError, FileNotFoundError, TimeoutError):
        sock.close()
        return None
    except BaseException:
        sock.close()
        raise
    return sock


def call(workspace: Path, message: dict[str, Any], *, timeout: float | None = None) -> dict[str, Any] | None:
    """Send one request to the service of ``workspace`` and return its answer (None: no service)."""
    sock = connect(workspace)
    if sock is None:
        return None
    with sock:
        sock.settimeout(timeout)
        send_message(sock, {"protocol": PROTOCOL, **message})
        return recv_message(sock)


@dataclass
class ServiceReport:
    """What ``workbench report`` gets from the service: its report, or why it must run locally."""

    result: dict[str, Any] | None = None
    warning: str | None = None
    """Printed before the local run (None: no service, nothing to say)."""


def request_report(workspace: Path, client: str, mission: str | None, formats: str, *,
                   final: bool = False) -> ServiceReport:
    """Ask the workspace's service for a report; raises the service's error for a failed report."""
    local = " Rapport fait sans le service."
    try:
        sock = connect(workspace)
    except FileAccessError as exc:
        return ServiceReport(warning=f"Attention : {exc.message}{local}")
    if sock is None:
        return ServiceReport()
    request = {"protocol": PROTOCOL, "op": "report", "workspace": str(workspace), "client": client,
               "mission": mission, "formats": formats, "final": final,
               "fingerprint": package_fingerprint(), "environment": environment_digest()}
    with sock:
        try:
            send_message(sock, request)
            reply = recv_message(sock)
        except (OSError, ValueError):
            return ServiceReport(warning="Attention : le service de rapports s'est arrêté pendant la demande."
                                 + local)
    if reply.get("ok"):
        return ServiceReport(result=reply["result"])
    if "error" in reply:
        raise error_from_payload(reply["error"])
    return ServiceReport(warning=f"Attention : {reply.get('message', 'demande refusée par le service de rapports.')}"
                         + local)


def wait_stopped(workspace: Path, pid: int, timeout: float) -> bool:
    """Wait until the service process is gone and its socket removed."""
    deadline = time.monotonic() + timeout
    path = socket_path(workspace)
    while time.monotonic() < deadline:
        if not alive(pid) and not os.path.lexists(path):
            return True
        time.sleep(0.1)
    return False


# -- processes ------------------------------------------------------------------------------------


def stop_descendants(grace: float) -> None:
    """End every process this one started, and theirs: SIGTERM, then SIGKILL after ``grace`` s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        left = descendants(os.getpid())
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while left and time.monotonic() < deadline:
            time.sleep(0.1)
            left = [p for p in left if alive(p)]
        if not left:
            return


# -- the service ----------------------------------------------------------------------------------


def _stamp(moment: dt.datetime) -> str:
    return moment.strftime("%d/%m/%Y à %H:%M:%S")


def _seconds(s: float) -> str:
    return f"{s:.1f}".replace(".", ",")


Echo = Callable[[str], None]


class ReportService:
    """One workspace's report service (see the module docstring); use :func:`run_service`."""

    def __init__(self, workspace: str | os.PathLike[str] | None, *, idle_timeout_s: float = DEFAULT_IDLE_MIN * 60,
                 echo: Echo = print) -> None:
        self.fingerprint = package_fingerprint()  # first: the code on disk when this process started
        self.environment = environment_digest()
        self.workspace = workspace_path(workspace)
        self.idle_timeout_s = idle_timeout_s
        self.echo = echo
        self.pid = os.getpid()
        self.uid = os.getuid()
        self.started_at = dt.datetime.now().astimezone()
        self.directory = runtime_dir()
        self.socket_file = socket_path(self.workspace, self.directory)
        self.served = 0
        self.failed = 0
        self.worker: Any = None
        self._worker_key: str | None = None
        self._worker_dirty = False
        self._listener: socket.socket | None = None
        self._lock_fd: int | None = None
        self._report_lock = threading.Lock()
        self._state = threading.Lock()
        self._connections = 0
        self._busy: str | None = None
        self._last = time.monotonic()
        self._stopping = False
        self._stop_requested = False
        self._relevant_env: frozenset[str] = frozenset()

    # -- life cycle

    def start(self) -> None:
        """Take the workspace's service lock, warm the kernel and browser, then listen."""
        from workbench.core.settings import ENV_PREFIX, ENV_WORKSPACE, Settings
        from workbench.reports.fingerprint import code_fingerprint
        from workbench.services.workspace import Workspace

        if len(str(self.socket_file).encode()) > _SOCKET_MAX:
            raise UsageError(f"Chemin du socket trop long ({self.socket_file}) : définissez XDG_RUNTIME_DIR vers un "
                             "dossier plus court.")
        names = {f"{ENV_PREFIX}{n.upper()}" for n in Settings.model_fields} | {"CHROMIUM_PATH"}
        self._relevant_env = frozenset(names - {ENV_WORKSPACE})
        with Workspace.open(self.workspace, create=False) as ws:  # a missing workspace is refused now
            settings = ws.settings
        check_private_dir(self.directory, create=True)
        self._take_lock()
        code_fingerprint()  # as the code is now (kept for the process: shown by ``status``)
        self._new_worker(settings)
        self._listen()

    def _take_lock(self) -> None:
        lock = self.socket_file.with_suffix(".lock")
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            pid = ""
            with contextlib.suppress(Exception):
                reply = call(self.workspace, {"op": "status"}, timeout=5)
                pid = f" (processus {reply['status']['pid']})" if reply else ""
            raise UsageError(f"Un service de rapports tourne déjà pour l'espace de travail {self.workspace}{pid} : "
                             "un seul par espace. Pour le remplacer : workbench report-service stop") from None
        self._lock_fd = fd

    def _listen(self) -> None:
        # The lock is ours: a socket file still there was left by a service killed without cleaning up.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.socket_file)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(self.socket_file))
        os.chmod(self.socket_file, 0o600)
        listener.listen(16)
        listener.settimeout(0.5)
        self._listener = listener
        self._last = time.monotonic()  # idle from now on, not from before the warm-up

    def _worker_key_for(self, settings: Any) -> str:
        from workbench.reports.fingerprint import settings_fingerprint

        return f"{settings_fingerprint(settings)}|{settings.chromium_path or ''}"

    def _new_worker(self, settings: Any) -> None:
        from workbench.reports.warm import WarmWorker

        if self.worker is not None:
            self.worker.close()
            self.worker = None
        key = self._worker_key_for(settings)
        chromium = str(settings.chromium_path) if settings.chromium_path else None
        self.worker = WarmWorker(f"service-{self.pid}", chromium=chromium)
        self.worker.warm_up()
        self._worker_key, self._worker_dirty = key, False

    def _refresh_worker(self, settings: Any) -> None:
        """A new kernel and browser when the firm's data, logo or Chromium changed (the kernel and
        this process keep the referential they read), or after an unexpected error."""
        if self._worker_dirty or self._worker_key_for(settings) != self._worker_key:
            from workbench.referential.grids import grids_for
            from workbench.referential.library import library_for

            library_for.cache_clear()
            grids_for.cache_clear()
            self.echo(f"{time.strftime('%H:%M:%S')} données du cabinet ou réglages modifiés : noyau et navigateur "
                      "remplacés.")
            self._new_worker(settings)

    def serve(self) -> str:
        """Accept connections until asked to stop (``"stop"``) or idle too long (``"idle"``)."""
        assert self._listener is not None
        while True:
            if self._stop_requested:
                return "stop"
            with self._state:
                idle = self._connections == 0 and time.monotonic() - self._last
            if self.idle_timeout_s and idle and idle > self.idle_timeout_s:
                return "idle"
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            with self._state:
                self._connections += 1
            threading.Thread(target=self._serve_connection, args=(conn,), name="wb-service-conn",
                             daemon=True).start()

    def shutdown(self, *, interrupted: bool = False) -> None:
        """Stop listening, remove the socket, close the kernel and browser, leave no process behind."""
        main = threading.current_thread() is threading.main_thread()
        previous = {}
        if main:  # a second Ctrl+C must not cut the cleaning short
            for sig in (signal.SIGINT, signal.SIGTERM):
                previous[sig] = signal.signal(sig, signal.SIG_IGN)
        try:
            self._stopping = True
            if self._listener is not None:
                with contextlib.suppress(OSError):
                    self._listener.close()
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.socket_file)
                self._listener = None
            if interrupted and self._busy:  # the running report is abandoned: its outputs are not published
                stop_descendants(grace=2)
            if self.worker is not None:
                with contextlib.suppress(Exception):
                    self.worker.close()
                self.worker = None
            stop_descendants(grace=3)
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None
                if interrupted:
                    self.echo("Service de rapports arrêté : noyau et navigateur fermés.")
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def wait_idle(self) -> None:
        """Let the running report finish (requests still waiting are refused: the service stops)."""
        self._stopping = True
        with self._report_lock:
            pass

    # -- one connection

    def _serve_connection(self, conn: socket.socket) -> None:
        try:
            with conn:
                refusal = check_peer(peer_credentials(conn), self.uid)
                if refusal:
                    self.echo(f"{time.strftime('%H:%M:%S')} {refusal}")
                    send_message(conn, {"ok": False, "refused": "peer", "message": refusal})
                    return
                conn.settimeout(REQUEST_TIMEOUT_S)
                request = recv_message(conn)
                conn.settimeout(None)
                reply = self.answer(request, conn)
                if reply is not None:
                    send_message(conn, reply)
        except (OSError, ValueError):
            pass  # the client went away, or sent something that is not a request
        finally:
            with self._state:
                self._connections -= 1
                self._last = time.monotonic()

    def answer(self, request: dict[str, Any], conn: socket.socket | None = None) -> dict[str, Any] | None:
        op = request.get("op")
        if request.get("protocol") != PROTOCOL:
            return {"ok": False, "refused": "protocol",
                    "message": "le service de rapports parle une autre version du protocole ; redémarrez-le "
                               "(workbench report-service stop, puis start)."}
        if op in ("ping", "status"):
            return {"ok": True, "status": self.status()}
        if op == "stop":
            self._stop_requested = True
            return {"ok": True, "status": self.status()}
        if op == "report":
            return self._report_request(request, conn)
        return {"ok": False, "refused": "op", "message": f"opération inconnue du service de rapports : {op!r}."}

    def status(self) -> dict[str, Any]:
        from workbench.reports.fingerprint import code_fingerprint

        return {"workspace": str(self.workspace), "pid": self.pid, "started_at": self.started_at.isoformat(),
                "reports_served": self.served, "reports_failed": self.failed, "busy": self._busy is not None,
                "version": __version__, "code_fingerprint": code_fingerprint(), "package_fingerprint": self.fingerprint,
                "idle_timeout_s": self.idle_timeout_s, "socket": str(self.socket_file),
                "stopping": self._stopping or self._stop_requested}

    def _refusal(self, request: dict[str, Any]) -> str | None:
        if request.get("workspace") != str(self.workspace):
            return "ce service de rapports sert un autre espace de travail."
        if request.get("fingerprint") != self.fingerprint:
            return ("le service de rapports de cet espace a démarré avec une autre version du logiciel (mise à jour "
                    "depuis) : redémarrez-le (workbench report-service stop, puis workbench report-service start).")
        theirs = dict(request.get("environment") or {})
        differs = sorted(n for n in self._relevant_env if theirs.get(n) != self.environment.get(n))
        if differs:
            return (f"le service de rapports a été démarré avec d'autres variables d'environnement "
                    f"({', '.join(differs)}) que cette commande.")
        return None

    def _report_request(self, request: dict[str, Any], conn: socket.socket | None) -> dict[str, Any] | None:
        refusal = self._refusal(request)
        if refusal:
            return {"ok": False, "refused": "mismatch", "message": refusal}
        client = str(request.get("client", ""))
        with self._report_lock:
            if self._stopping or self._stop_requested:
                return {"ok": False, "refused": "stopping", "message": "le service de rapports s'arrête."}
            if conn is not None and _peer_gone(conn):
                return None  # interrupted while waiting its turn: nothing to make
            self._busy = client
            try:
                return self._run_report(client, request)
            finally:
                self._busy = None

    def _run_report(self, client: str, request: dict[str, Any]) -> dict[str, Any]:
        from workbench.core.settings import default_identity_warning
        from workbench.reports.pipeline import generate_report
        from workbench.services.workspace import Workspace

        started = time.perf_counter()
        try:
            with Workspace.open(self.workspace, create=False) as ws:
                self._refresh_worker(ws.settings)
                formats = str(request.get("formats", ""))
                self.worker.before_report(formats.split(","))
                try:
                    result = generate_report(ws, client, request.get("mission") or None, formats,
                                             final=bool(request.get("final")), executor=self.worker._execute,
                                             pdf_printer=self.worker._print_pdf)
                finally:
                    self.worker.after_report()
                # the warning's text comes with the answer: the command would pay for importing the
                # settings (0.6 s) to write it
                warning = default_identity_warning(ws.settings.branding)
        except WorkbenchError as exc:
            self.failed += 1
            self.echo(f"{time.strftime('%H:%M:%S')} {client} : échec — {exc.message}")
            return {"ok": False, "error": error_payload(exc)}
        except Exception as exc:  # noqa: BLE001 - one report's bug never stops the service
            self.failed += 1
            self._worker_dirty = True  # replaced before the next report
            where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            place = f", {Path(where.filename).name}:{where.lineno}" if where else ""
            error = RunError(f"Échec du rapport du client « {client} » dans le service de rapports : erreur interne "
                             f"({type(exc).__name__} : {exc}{place}). Le service continue ; le noyau et le navigateur "
                             "seront remplacés. Pour comparer : workbench report --no-service", client_id=client)
            self.echo(f"{time.strftime('%H:%M:%S')} {client} : échec — {error.message}")
            return {"ok": False, "error": error_payload(error)}
        self.served += 1
        steps = ", ".join(f"{k} {_seconds(v)}" for k, v in result.timings.items())
        self.echo(f"{time.strftime('%H:%M:%S')} {client} : rapport fait en {_seconds(time.perf_counter() - started)} s "
                  f"({steps}).")
        return {"ok": True, "result": {
            "client": result.client_id, "mission": result.mission_id, "seconds": result.seconds,
            "summary": result.plan.summary(), "paths": {k: str(v) for k, v in result.paths.items()},
            "notebook": str(result.notebook), "timings": {k: round(v, 4) for k, v in result.timings.items()},
            "branding_warning": warning, "service_pid": self.pid}}


def _peer_gone(conn: socket.socket) -> bool:
    """True when the client closed its end (Ctrl+C while its request waited)."""
    try:
        return conn.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def run_service(workspace: str | os.PathLike[str] | None, *, idle_timeout_s: float, echo: Echo = print,
                on_ready: Callable[[ReportService], None] | None = None) -> str:
    """Start the workspace's service and serve until stopped; returns why it stopped (``"stop"`` or
    ``"idle"``). Ctrl+C and SIGTERM (as ``KeyboardInterrupt``) close everything, then propagate."""
    service = ReportService(workspace, idle_timeout_s=idle_timeout_s, echo=echo)
    interrupted = True
    try:
        service.start()
        if on_ready is not None:
            on_ready(service)
        reason = service.serve()
        service.wait_idle()
        interrupted = False
        return reason
    finally:
        service.shutdown(interrupted=interrupted)

