"""Serve the client space with the real command (``workbench serve``) and talk to it over HTTP."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.cli_support import REPO
from tests.voila_support import free_port


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
