"""``workbench serve``: every client's space from one Tornado process, behind personal access codes.

Architecture (see ``docs/espace-client.md``): the client space is rendered on the server, as plain
HTML, by this process; no Jupyter kernel is started for a client. The dashboard is already static
HTML built by :mod:`workbench.apps.dashboard.render`, and what a client may do (mark an action or a
task done, comment, add an evidence item) is a handful of form posts. So:

* the client's identity lives only in a server-side session, created when a valid code is typed
  and referred to by a random cookie (HttpOnly, SameSite=Strict, Secure behind TLS). No URL,
  query string, form field or header names the client: every handler takes the client id from
  the session and checks that what a request names (an action, a file) belongs to it;
* every request re-checks the session's code: a revoked or expired code ends the session;
* wrong codes are slowed down (the wait doubles with each failure from one address) then refused
  for 15 minutes, each one logged with the address;
* the Host header must be a loopback address, an IP literal or a configured public name (DNS
  rebinding); a form post from another origin is refused, and every form carries Tornado's
  anti-forgery token;
* the pages carry a Content-Security-Policy allowing no script at all, no frame, no remote
  resource; no file is served besides the pages and the client's own uploads; errors are French
  pages without any technical detail.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import ipaddress
import logging
import re
import secrets
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.ioloop
import tornado.web

from workbench.apps.dashboard.data import dashboard_data
from workbench.apps.space.pages import (
    SpaceView,
    TaskRow,
    chart_key,
    message_page,
    render_chart,
    sign_in_page,
    space_page,
)
from workbench.core.errors import NotFoundError, UsageError, WorkbenchError
from workbench.core.files import write_atomically
from workbench.core.settings import Settings
from workbench.domain.client_space import (
    CLIENT_ACTOR,
    MAX_UPLOAD_BYTES,
    AccessRefusal,
    Throttle,
    check_upload,
    clean_text,
)
from workbench.domain.tasks import TaskStatus
from workbench.services.workspace import Workspace
from workbench.store.client_space import (
    AccessGrant,
    add_client_evidence,
    add_comment,
    check_code,
    get_change,
    grant_status,
    list_changes,
    mark_action_done,
    mark_task_done,
    require_sqlite,
)
from workbench.store.tasks import list_tasks

log = logging.getLogger("workbench.space")

SESSION_COOKIE = "wb_espace"
DEFAULT_PORT = 8870
LOOPBACK_NAMES = ("localhost",)
MAX_BODY_BYTES = MAX_UPLOAD_BYTES + 512 * 1024
"""Bigger bodies are cut by the HTTP server itself; between the two, a French message."""

CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # "no-referrer" makes Chromium send « Origin: null » on our own posts
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

ERROR_PAGES = {
    400: ("Requête incorrecte", "La demande envoyée n'a pas pu être comprise."),
    403: ("Accès refusé", "Cette demande n'est pas autorisée. Rechargez la page et réessayez."),
    404: ("Page introuvable", "Cette page n'existe pas ou ne vous est pas accessible."),
    405: ("Requête incorrecte", "Cette opération n'est pas possible ici."),
    413: ("Fichier trop volumineux", f"Le fichier dépasse {MAX_UPLOAD_BYTES // 1_048_576} Mo."),
    429: ("Trop de tentatives", "Trop de codes erronés ont été saisis depuis votre connexion. "
          "Réessayez dans quinze minutes ou contactez votre consultant."),
}
INTERNAL = ("Erreur du service", "Une erreur inattendue s'est produite ; rien n'a été modifié. "
            "Réessayez plus tard ou prévenez votre consultant.")


@dataclass(frozen=True)
class SpaceOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_hosts: tuple[str, ...] = ()
    """Names under which the space is reached (e.g. behind a reverse proxy: espace.cabinet.fr)."""
    behind_proxy: bool = False
    """TLS ends at a reverse proxy on this machine: cookies marked Secure, client address taken from
    X-Real-IP / X-Forwarded-For (only then)."""
    idle_timeout: float = 30 * 60
    max_session: float = 8 * 3600


@dataclass
class Session:
    client_id: str
    grant_id: int
    created: float
    last_seen: float
    flash: str = ""
    flash_error: bool = False


@dataclass
class Sessions:
    """Signed-in clients, by random session id (the only thing the browser holds)."""

    idle_timeout: float
    max_session: float
    clock: Callable[[], float] = time.monotonic
    _by_id: dict[str, Session] = field(default_factory=dict)

    def open(self, grant: AccessGrant) -> str:
        now = self.clock()
        sid = secrets.token_urlsafe(32)
        self._by_id[sid] = Session(grant.client_id, grant.id, now, now)
        return sid

    def get(self, sid: str | None) -> Session | None:
        if not sid:
            return None
        session = self._by_id.get(sid)
        now = self.clock()
        if session is None:
            return None
        if now - session.last_seen > self.idle_timeout or now - session.created > self.max_session:
            self._by_id.pop(sid, None)
            return None
        session.last_seen = now
        return session

    def close(self, sid: str | None) -> None:
        if sid:
            self._by_id.pop(sid, None)

    def purge(self) -> None:
        now = self.clock()
        for sid, s in list(self._by_id.items()):
            if now - s.last_seen > self.idle_timeout or now - s.created > self.max_session:
                del self._by_id[sid]

    def __len__(self) -> int:
        return len(self._by_id)


class ChartCache:
    """Readiness charts by figures: drawn once (matplotlib takes a second or two, far more than the
    rest of the page), in one worker thread so the server keeps answering meanwhile."""

    def __init__(self, size: int = 256) -> None:
        self._charts: dict[tuple, str] = {}
        self._pending: dict[tuple, asyncio.Future] = {}
        self._size = size
        self._pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="graphique")

    async def get(self, key: tuple) -> str:
        if key in self._charts:
            return self._charts[key]
        if key not in self._pending:
            self._pending[key] = asyncio.get_running_loop().run_in_executor(self._pool, render_chart, key)
        try:
            chart = await asyncio.shield(self._pending[key])
        finally:
            self._pending.pop(key, None)
        if len(self._charts) >= self._size:
            self._charts.pop(next(iter(self._charts)))
        self._charts[key] = chart
        return chart

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class SpaceState:
    """What every handler shares: the workspace (store opened as « client »), sessions, throttle."""

    def __init__(self, settings: Settings, options: SpaceOptions, *,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        self.settings = settings
        self.options = options
        self.workspace = Workspace(settings, actor=CLIENT_ACTOR)
        self.store = require_sqlite(self.workspace.store)
        self.sessions = Sessions(options.idle_timeout, options.max_session)
        self.throttle = Throttle()
        self.charts = ChartCache()
        self.today = today
        names = {*LOOPBACK_NAMES, *(h.lower() for h in options.public_hosts)}
        self.allowed_names = frozenset(names)

    def client_folder(self, client_id: str) -> Path:
        return self.settings.workspace / "clients" / client_id

    def close(self) -> None:
        self.charts.close()
        self.workspace.close()

    async def warm_up(self) -> None:
        """Draw the charts of the clients who have a valid code before they sign in."""
        from workbench.store.client_space import list_access

        today = self.today()
        for client in sorted({g.client_id for g in list_access(self.store) if g.refusal(today) is None}):
            with contextlib.suppress(WorkbenchError):
                await self.charts.get(chart_key(dashboard_data(self.workspace, client, None, today=today)))


def host_allowed(host_header: str, allowed_names: frozenset[str]) -> bool:
    """An IP literal, or a name we were told about: a foreign name (DNS rebinding) is refused."""
    match = re.fullmatch(r"\[?([^\]]*?)\]?(:\d+)?", host_header.strip())
    if not match or not match.group(1):
        return False
    host = match.group(1).lower()
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host in allowed_names
    return True


class BaseHandler(tornado.web.RequestHandler):
    state: SpaceState

    def initialize(self, state: SpaceState) -> None:
        self.state = state
        self._session_id: str | None = None

    def set_default_headers(self) -> None:
        self.clear_header("Server")
        for name, value in SECURITY_HEADERS.items():
            self.set_header(name, value)

    def prepare(self) -> None:
        if not host_allowed(self.request.host or "", self.state.allowed_names):
            log.warning("Requête refusée : nom d'hôte inattendu %r depuis %s", self.request.host, self.request.remote_ip)
            raise tornado.web.HTTPError(403)
        if self.request.method == "POST":
            origin = self.request.headers.get("Origin")
            if origin is not None and not self._same_origin(origin):
                log.warning("Envoi refusé : origine étrangère %r depuis %s", origin, self.request.remote_ip)
                raise tornado.web.HTTPError(403)

    def _same_origin(self, origin: str) -> bool:
        match = re.fullmatch(r"https?://([^/]+)", origin.strip())
        return bool(match) and match.group(1).lower() == (self.request.host or "").lower()

    # -- sessions -----------------------------------------------------------------------
    def session(self) -> Session | None:
        """The signed-in client's session, re-checked against its code on every request."""
        sid = self.get_cookie(SESSION_COOKIE)
        session = self.state.sessions.get(sid)
        if session is None:
            return None
        if grant_status(self.state.store, session.grant_id, self.state.today()) is not None:
            self.state.sessions.close(sid)
            return None
        self._session_id = sid
        return session

    def require_session(self) -> Session:
        session = self.session()
        if session is None:
            raise _SignInRequired()
        return session

    def set_session_cookie(self, sid: str) -> None:
        self.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="Strict", path="/",
                        secure=self.state.options.behind_proxy)

    def flash(self, session: Session, message: str, *, error: bool = False) -> None:
        session.flash, session.flash_error = message, error

    def back_home(self) -> None:
        self.redirect("/", status=303)

    # -- errors -------------------------------------------------------------------------
    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, _SignInRequired):
            self.clear_header("Content-Type")
            self.set_status(401)
            self.finish(sign_in_page(self.xsrf_form_html(), notice=exc.notice))
            return
        title, message = ERROR_PAGES.get(status_code, INTERNAL)
        if status_code >= 500:
            log.error("Erreur interne sur %s %s", self.request.method, self.request.path, exc_info=kwargs.get("exc_info"))
        self.set_header("Content-Type", "text/html; charset=UTF-8")
        self.finish(message_page(title, message))

    def log_exception(self, typ, value, tb) -> None:  # noqa: ANN001 - Tornado's signature
        if isinstance(value, _SignInRequired | tornado.web.HTTPError):
            return
        super().log_exception(typ, value, tb)


class _SignInRequired(tornado.web.HTTPError):
    def __init__(self, notice: str = "") -> None:
        super().__init__(401)
        self.notice = notice or "Votre session est terminée ou n'a pas été ouverte : saisissez votre code d'accès."


class SignInHandler(BaseHandler):
    def get(self) -> None:
        if self.session() is not None:
            self.back_home()
            return
        self.finish(sign_in_page(self.xsrf_form_html()))

    async def post(self) -> None:
        source = self.request.remote_ip or "?"
        now = time.monotonic()
        throttle = self.state.throttle
        if throttle.locked(source, now):
            log.warning("Connexion refusée : %s est bloquée après trop de codes erronés", source)
            raise tornado.web.HTTPError(429)
        result = check_code(self.state.store, self.get_body_argument("code", ""), self.state.today())
        if isinstance(result, AccessRefusal):
            delay = throttle.fail(source, now)
            count = throttle.failures(source, now)
            log.warning("Code d'accès refusé (%s) depuis %s : %d échec(s) en 15 minutes", result.value, source, count)
            await asyncio.sleep(delay)
            self.set_status(403 if result != AccessRefusal.UNKNOWN else 401)
            self.finish(sign_in_page(self.xsrf_form_html(), message=result.message))
            return
        throttle.succeed(source)
        self.state.sessions.close(self.get_cookie(SESSION_COOKIE))
        self.set_session_cookie(self.state.sessions.open(result))
        log.info("Connexion de l'espace client « %s » depuis %s", result.client_id, source)
        self.back_home()


class SignOutHandler(BaseHandler):
    def post(self) -> None:
        self.state.sessions.close(self.get_cookie(SESSION_COOKIE))
        self.clear_cookie(SESSION_COOKIE, path="/")
        self.set_status(200)
        self.finish(sign_in_page(self.xsrf_form_html(), notice="Vous êtes déconnecté."))


class HomeHandler(BaseHandler):
    async def get(self) -> None:
        session = self.session()
        if session is None:
            if self.get_cookie(SESSION_COOKIE):
                raise _SignInRequired("Votre session a expiré : saisissez à nouveau votre code d'accès.")
            self.redirect("/connexion", status=303)
            return
        state = self.state
        today = state.today()
        try:
            data = dashboard_data(state.workspace, session.client_id, None, today=today)
        except WorkbenchError as exc:
            self.finish(message_page("Espace indisponible", f"Votre espace ne peut pas être affiché : {exc.message}"))
            return
        indicators = [(a.indicator.id, f"{a.number}. {a.indicator.title}")
                      for a in state.workspace.applicability(data.mission.id) if a.applicable]
        tasks = task_rows(state.store, data)
        view = SpaceView(data, indicators, list_changes(state.store, session.client_id), tasks,
                         session.flash, session.flash_error)
        session.flash, session.flash_error = "", False
        chart = await state.charts.get(chart_key(data))
        self.finish(space_page(view, self.xsrf_form_html(), chart))


class _WriteHandler(BaseHandler):
    """A form post from a signed-in client: French message on a user error, 404 on anything not theirs."""

    def current_mission(self, session: Session) -> str:
        return self.state.workspace.resolve_mission(session.client_id).id

    def run(self, session: Session, done: str, write: Callable[[], object]) -> None:
        try:
            write()
        except NotFoundError:
            raise tornado.web.HTTPError(404) from None
        except WorkbenchError as exc:
            self.flash(session, f"Rien n'a été enregistré : {exc.message}", error=True)
        else:
            self.flash(session, done)
        self.back_home()


class ActionDoneHandler(_WriteHandler):
    def post(self, action_id: str) -> None:
        session = self.require_session()
        self.run(session, "L'action est marquée comme faite ; votre consultant en est informé.",
                 lambda: mark_action_done(self.state.store, session.client_id, int(action_id)))


def task_rows(store, data) -> list[TaskRow] | None:  # noqa: ANN001 - SQLiteStore, DashboardData
    """The client's recurring tasks; only those of the stored plan can be marked done."""
    if data.lifecycle is None:
        return None
    stored = {t.id for t in list_tasks(store, data.client_id)}
    return [TaskRow(v.id, v.task.title, v.next_due, v.status == TaskStatus.OVERDUE, v.id in stored)
            for v in data.lifecycle.tasks if not v.task.retired]


class TaskDoneHandler(_WriteHandler):
    def post(self, task_id: str) -> None:
        session = self.require_session()
        self.run(session, "La tâche est marquée comme faite ; votre consultant en est informé.",
                 lambda: mark_task_done(self.state.store, session.client_id, self.current_mission(session),
                                        task_id, self.state.today()))


class CommentHandler(_WriteHandler):
    def post(self) -> None:
        session = self.require_session()

        def write() -> None:
            text = clean_text(self.get_body_argument("texte", ""), "le commentaire")
            target, indicator = self.get_body_argument("cible", ""), None
            mission = self.current_mission(session)
            if target:
                match = re.fullmatch(r"action:(\d+)", target)
                if not match:
                    raise NotFoundError("cible inconnue")
                action = next((a for a in self.state.store.list_actions(mission) if a.id == int(match.group(1))), None)
                if action is None:
                    raise NotFoundError("action inconnue")
                indicator = action.indicator_id
            add_comment(self.state.store, session.client_id, mission, text, target=target, indicator_id=indicator)

        self.run(session, "Votre commentaire est transmis à votre consultant.", write)


class EvidenceHandler(_WriteHandler):
    def post(self) -> None:
        session = self.require_session()

        def write() -> None:
            label = clean_text(self.get_body_argument("libelle", ""), "la description de la preuve")
            indicator = self.get_body_argument("indicateur", "")
            mission = self.current_mission(session)
            if indicator not in {a.indicator.id for a in self.state.workspace.applicability(mission) if a.applicable}:
                raise UsageError("choisissez un indicateur de la liste.")
            uploads = self.request.files.get("fichier") or []
            upload = next((u for u in uploads if u.filename or u.body), None)
            name = path = None
            if upload is not None:
                name = check_upload(upload.filename or "", upload.body)
                path = self.store_file(session.client_id, name, upload.body)
            add_client_evidence(self.state.store, session.client_id, mission, indicator, label,
                                file_name=name, file_path=path)

        self.run(session, "Votre preuve est ajoutée ; votre consultant la verra à sa prochaine visite.", write)

    def store_file(self, client_id: str, name: str, content: bytes) -> str:
        """Write the upload under the client's own folder; its path relative to the workspace."""
        folder = self.state.client_folder(client_id) / "preuves"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        for n in range(1, 100):
            target = folder / (f"{stamp}-{name}" if n == 1 else f"{stamp}-{n}-{name}")
            try:
                write_atomically(target, lambda tmp: tmp.write_bytes(content), overwrite=False)
            except UsageError:  # the name is taken: try the next one
                continue
            return target.relative_to(self.state.settings.workspace).as_posix()
        raise UsageError("impossible d'enregistrer le fichier, réessayez dans une minute.")


class FileHandler(BaseHandler):
    """A file the signed-in client uploaded: only theirs, only inside their folder, never a link."""

    def get(self, change_id: str) -> None:
        session = self.require_session()
        try:
            change = get_change(self.state.store, session.client_id, int(change_id))
        except NotFoundError:
            raise tornado.web.HTTPError(404) from None
        if not change.file_path:
            raise tornado.web.HTTPError(404)
        root = self.state.client_folder(session.client_id).resolve()
        path = self.state.settings.workspace / change.file_path
        if path.is_symlink() or not path.resolve().is_relative_to(root) or not path.is_file():
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", "application/octet-stream")
        self.set_header("Content-Disposition", f'attachment; filename="{change.file_name or "fichier"}"')
        self.finish(path.read_bytes())


class NotFoundHandler(BaseHandler):
    def prepare(self) -> None:
        super().prepare()
        raise tornado.web.HTTPError(404)


def make_app(state: SpaceState) -> tornado.web.Application:
    args = {"state": state}
    return tornado.web.Application(
        [
            (r"/", HomeHandler, args),
            (r"/connexion", SignInHandler, args),
            (r"/deconnexion", SignOutHandler, args),
            (r"/actions/([0-9]{1,12})/fait", ActionDoneHandler, args),
            (r"/taches/([A-Za-z0-9_.:-]{1,120})/fait", TaskDoneHandler, args),
            (r"/commentaires", CommentHandler, args),
            (r"/preuves", EvidenceHandler, args),
            (r"/fichiers/([0-9]{1,12})", FileHandler, args),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args=args,
        xsrf_cookies=True,
        xsrf_cookie_kwargs={"httponly": True, "samesite": "Strict", "secure": state.options.behind_proxy},
        serve_traceback=False,
        debug=False,
        compress_response=False,
    )


def serve(state: SpaceState, *, on_ready: Callable[[], None] | None = None) -> None:
    """Listen and serve until SIGINT/SIGTERM."""
    app = make_app(state)
    server = tornado.httpserver.HTTPServer(app, xheaders=state.options.behind_proxy, max_body_size=MAX_BODY_BYTES)

    async def main() -> None:
        server.listen(state.options.port, address=state.options.host)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        purge = tornado.ioloop.PeriodicCallback(state.sessions.purge, 60_000)
        purge.start()
        if on_ready is not None:
            on_ready()
        warm = asyncio.ensure_future(state.warm_up())
        await stop.wait()
        warm.cancel()
        purge.stop()
        server.stop()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.close_all_connections(), 5)

    try:
        asyncio.run(main())
    finally:
        state.close()


def configure_logging(debug: bool = False) -> None:
    """Log to the terminal; every request too with the ``debug`` setting."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False
    if not debug:
        logging.getLogger("tornado.access").setLevel(logging.WARNING)
