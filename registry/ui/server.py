"""The HTTP side of ``creg ui``: the stdlib's threading server, read-only, GET and HEAD only.

Each request is answered by ``routes.App``; this module only speaks HTTP: other methods get
405, a request target that is not a path gets 400, and a bug in a page gets a plain 500 that
names nothing of the machine (the traceback goes to the server's own stderr).
"""

from __future__ import annotations

import socket
import sys
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from registry.ui.routes import SECURITY_HEADERS, App, Response

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Handler(BaseHTTPRequestHandler):
    app: App  # set on the subclass make_server creates
    server_version = "creg-ui"
    sys_version = ""
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self._answer(self._response(), body=True)

    def do_HEAD(self) -> None:
        self._answer(self._response(), body=False)

    def _refuse(self) -> None:
        text = b"creg ui is read-only: only GET and HEAD are served\n"
        self._answer(Response(405, "text/plain; charset=utf-8", text, {"Allow": "GET, HEAD"}), body=True)

    do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = do_CONNECT = _refuse

    def _response(self) -> Response:
        if not self.path.startswith("/"):
            return Response(400, "text/plain; charset=utf-8", b"bad request target\n")
        if not self._host_allowed():
            return Response(403, "text/plain; charset=utf-8", b"unknown Host: creg ui answers to its own address\n")
        try:
            return self.app.handle(self.path)
        except Exception:  # a bug in a page: answer it, keep serving, show the traceback here
            traceback.print_exc(file=sys.stderr)
            return Response(500, "text/plain; charset=utf-8", b"internal error in creg ui (see its output)\n")

    def _host_allowed(self) -> bool:
        """On loopback, only requests naming a loopback host: a web page whose name was
        re-pointed at 127.0.0.1 (DNS rebinding) must not read the UI from the user's browser."""
        allowed = self.server.allowed_hosts if isinstance(self.server, UiServer) else None
        if allowed is None:
            return True
        host = (self.headers.get("Host") or "").lower()
        return host in allowed

    def _answer(self, response: Response, body: bool) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in {**SECURITY_HEADERS, **response.headers}.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(response.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's name
        """Quiet by default: a page polled every second would flood the terminal."""


class UiServer(ThreadingHTTPServer):
    daemon_threads = True
    allowed_hosts: set[str] | None = None  # Host headers answered; None: any (a host the user chose)


def make_server(app: App, host: str = "127.0.0.1", port: int = 8080) -> UiServer:
    """A bound server (port 0 picks a free one: read ``server.server_address``)."""
    handler = type("BoundHandler", (Handler,), {"app": app})
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    server = type("UiServer", (UiServer,), {"address_family": family})((host, port), handler)
    if host in LOOPBACK:
        server.allowed_hosts = loopback_hosts(server.server_address[1])
    return server


def loopback_hosts(port: int) -> set[str]:
    names = ("127.0.0.1", "localhost", "[::1]")
    return {f"{name}:{port}" for name in names} | (set(names) if port == 80 else set())


def url_of(server: UiServer) -> str:
    host, port = server.server_address[:2]
    text = host.decode() if isinstance(host, bytes) else str(host)
    shown = f"[{text}]" if ":" in text else text
    return f"http://{shown}:{port}/"
