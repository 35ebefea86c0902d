"""HTTP plumbing shared by the pages and the API: the body limit, query numbers, errors, and
the headers every response carries.

Errors are JSON ``{"error", "field", "line"}`` under ``/api/`` (and for a script that asks
for JSON), an HTML page elsewhere.
"""

from __future__ import annotations

import asyncio
import math
import time
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from . import pages
from .jobs import Busy, JobBug, JobFailed, WorkerLost
from ..i18n import _

MAX_BODY = 64 * 1024
# Nothing is loaded from any other host; nothing is framed.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
# On every response: pages, API answers, error pages, the server's own 400. The referrer
# policy is same-origin (not no-referrer): with no-referrer a browser's own form posts carry
# "Origin: null", indistinguishable from a sandboxed page elsewhere.
SECURITY_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class ApiError(Exception):
    """A request that cannot be served: its status, and what to say (naming the field)."""

    def __init__(self, status: int, message: str, field: str | None = None,
                 line: int | None = None):
        super().__init__(message)
        self.status, self.message, self.field, self.line = status, message, field, line


async def read_body(request: Request) -> str:
    """The request body as text: 413 beyond MAX_BODY bytes, 400 when it is not UTF-8, 408
    when it takes longer than BODY_SECONDS to arrive."""
    try:
        return await asyncio.wait_for(_read_body(request), BODY_SECONDS)
    except asyncio.TimeoutError:
        raise ApiError(408, _("the request body took more than {body_seconds:g} s to arrive").format(
                                body_seconds=BODY_SECONDS)) from None


async def _read_body(request: Request) -> str:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise ApiError(413, _("the request body is over {n} KiB").format(n=MAX_BODY // 1024))
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, _("the request body is over {n} KiB").format(n=MAX_BODY // 1024))
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, _("the request body is not UTF-8 text"), "body") from None


def whole_number(text: str, field: str, lo: int, hi: int) -> int:
    try:
        v = int(text)
    except ValueError:
        raise ApiError(422, _("expected a whole number from {lo} to {hi}; got {text!r}").format(
                                lo=lo, hi=hi, text=text),
                       field) from None
    if not lo <= v <= hi:
        raise ApiError(422, _("expected a whole number from {lo} to {hi}; got {v}").format(
                                lo=lo, hi=hi, v=v), field)
    return v


def number(text: str, field: str, lo: float, hi: float) -> float:
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not lo <= v <= hi:
        raise ApiError(422, _("expected a number from {lo:g} to {hi:g}; got {text!r}").format(
                                lo=lo, hi=hi, text=text), field)
    return v


def wants_json(request: Request) -> bool:
    return (request.url.path.startswith("/api/")
            or "application/json" in request.headers.get("accept", ""))


def error(request: Request, status: int, message: str, field: str | None = None,
          line: int | None = None) -> Response:
    if wants_json(request):
        return JSONResponse({"error": message, "field": field, "line": line},
                            status_code=status)
    return HTMLResponse(pages.error_page(status, message), status_code=status)


async def _on_api_error(request: Request, e: ApiError) -> Response:
    return error(request, e.status, e.message, e.field, e.line)


async def _on_job_failed(request: Request, e: JobFailed) -> Response:
    return error(request, 422, e.message, e.field, e.line)


async def _on_bug(request: Request, e: JobBug) -> Response:
    return error(request, 500, str(e))


async def _on_worker_lost(request: Request, e: WorkerLost) -> Response:
    return error(request, 503, _("the worker process doing this stopped and was replaced; try "
                                 "again"))


async def _on_busy(request: Request, e: Busy) -> Response:
    return error(request, 503, _("the server is busy; try again in a moment"))


async def _on_http(request: Request, e: HTTPException) -> Response:
    messages = {404: _("no such page"), 405: _("this method is not allowed here")}
    response = error(request, e.status_code, messages.get(e.status_code, str(e.detail)))
    response.headers.update(e.headers or {})   # Allow, for a 405
    return response


async def _on_crash(request: Request, e: Exception) -> Response:
    # Sent by Starlette's outermost middleware, past SecurityHeaders (added here) and past
    # Language, whose choice it finds in the request's scope.
    import contextlib
    from .. import i18n
    lang = request.scope.get(LANG_SCOPE)
    with i18n.using(lang) if lang else contextlib.nullcontext():
        response = error(request, 500, _("internal error: this is a bug in tutor; please "
                                         "report it"))
    for name, value in SECURITY_HEADERS:
        response.headers[name.decode()] = value.decode()
    return response


EXCEPTION_HANDLERS = {ApiError: _on_api_error, JobFailed: _on_job_failed, JobBug: _on_bug,
                      WorkerLost: _on_worker_lost, Busy: _on_busy, HTTPException: _on_http,
                      Exception: _on_crash}


class SecurityHeaders:
    """ASGI middleware: the content security policy and its companions on every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] += SECURITY_HEADERS
            await send(message)
        await self.app(scope, receive, send_with_headers)


LANG_COOKIE = "tutor_lang"


# Where Language leaves the language it chose in a request's scope.
LANG_SCOPE = "tutor.lang"


class Language:
    """ASGI middleware: each request in its reader's language. First ``?lang=`` (the pages'
    language switch; remembered in a cookie), then the cookie, then the browser's
    Accept-Language, then the server's own language (``tutor --lang … serve``, TUTOR_LANG,
    the locale). Everything the request computes, here and in the workers, is in it."""

    def __init__(self, app, default: str | None = None):
        self.app = app
        self.default = default

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        from urllib.parse import parse_qs
        from .. import i18n
        asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("lang", [None])
        chosen = i18n.normalise(asked[0])
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope["headers"]}
        cookie = None
        for part in headers.get("cookie", "").split(";"):
            name, _eq, value = part.strip().partition("=")
            if name == LANG_COOKIE:
                cookie = i18n.normalise(value)
        lang = (chosen or cookie or i18n.from_accept_language(headers.get("accept-language"))
                or self.default or i18n.current())

        async def send_with_cookie(message):
            if message["type"] == "http.response.start" and chosen and chosen != cookie:
                message.setdefault("headers", [])
                message["headers"].append(
                    (b"set-cookie", f"{LANG_COOKIE}={chosen}; Path=/; Max-Age=31536000; "
                                    "SameSite=Lax".encode("latin-1")))
            await send(message)
        from .. import conventions
        scope[LANG_SCOPE] = lang        # (for the crash handler, which runs outside)
        with i18n.using(lang), conventions.using(conventions.DEFAULT):
            await self.app(scope, receive, send_with_cookie)


class SameOrigin:
    """ASGI middleware against cross-site request forgery: a POST that a browser says comes
    from another site (its Origin or Referer names another host than the request's Host, or
    Sec-Fetch-Site is cross-site) is refused with 403, so that no web page a student visits
    can grade, upload or derive through a classroom server. Programs (curl, scripts) send
    none of these headers and are served."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope["headers"]}
            if _cross_site(headers):
                request = Request(scope, receive)
                response = error(request, 403, _("a request from another site is refused "
                                                 "(cross-site request forgery protection)"))
                return await response(scope, receive, send)
        return await self.app(scope, receive, send)


PER_CLIENT_REQUESTS = 256    # requests of one client address in progress at once
PER_CLIENT_UPLOADS = 30      # uploads of one client address a minute


class PerClient:
    """ASGI middleware: limits per client address, so that one client cannot fill the
    queues: at most PER_CLIENT_REQUESTS requests in progress at once and PER_CLIENT_UPLOADS
    uploads a minute; beyond, 429 with Retry-After."""

    def __init__(self, app):
        self.app = app
        self.active: dict[str, int] = {}
        self.uploads: dict[str, list[float]] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            return await self.app(scope, receive, send)
        client = (scope.get("client") or ("?", 0))[0]
        refusal = None
        if self.active.get(client, 0) >= PER_CLIENT_REQUESTS:
            refusal = _("more than {n} requests at once from your address; wait for the "
                        "answers").format(n=PER_CLIENT_REQUESTS)
        elif scope["method"] == "POST" and scope["path"] in ("/problems", "/api/problems"):
            now = time.monotonic()
            recent = [t for t in self.uploads.get(client, []) if now - t < 60]
            if len(recent) >= PER_CLIENT_UPLOADS:
                refusal = _("more than {n} uploads a minute from your address").format(
                    n=PER_CLIENT_UPLOADS)
            else:
                self.uploads[client] = recent + [now]
        if refusal:
            response = error(Request(scope, receive), 429, refusal)
            response.headers["Retry-After"] = "1" if "at once" in refusal else "60"
            return await response(scope, receive, send)
        self.active[client] = self.active.get(client, 0) + 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active[client] -= 1
            if not self.active[client]:
                del self.active[client]


class AllowedHosts:
    """ASGI middleware: requests whose Host is not one of ``hosts`` (the port aside) get 400,
    so that a web page on another name cannot reach the server through DNS rebinding."""

    def __init__(self, app, hosts: list[str]):
        self.app = app
        self.hosts = {h.lower() for h in hosts}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1").lower()
            name = host.rsplit(":", 1)[0] if host.count(":") == 1 or "]:" in host else host
            if name not in self.hosts:
                response = error(Request(scope, receive), 400,
                                 _("this server does not answer to the host {name!r}").format(
                                     name=name))
                return await response(scope, receive, send)
        return await self.app(scope, receive, send)


def _cross_site(headers: dict[str, str]) -> bool:
    if headers.get("sec-fetch-site") == "cross-site":
        return True
    host = headers.get("host", "").lower()
    for name in ("origin", "referer"):
        value = headers.get(name)
        if value:
            if value == "null":
                return True
            return urlsplit(value).netloc.lower() != host
    return False


HEADER_SECONDS = 10.0   # for a client to send its request line and headers
BODY_SECONDS = 20.0     # and its body


def protocol():
    """uvicorn's HTTP protocol (h11), whose own answer to a request it cannot parse (400)
    carries the security headers too, and which closes a connection that has not sent its
    request's headers within HEADER_SECONDS (a slow client holds nothing for long)."""
    from uvicorn.protocols.http.h11_impl import H11Protocol

    class Protocol(H11Protocol):
        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            self._slow_timer = self.loop.call_later(HEADER_SECONDS, self._too_slow)

        def _too_slow(self) -> None:
            if self.cycle is None and not self.transport.is_closing():
                self.transport.close()

        def connection_lost(self, exc) -> None:
            self._slow_timer.cancel()
            super().connection_lost(exc)

        def send_400_response(self, msg: str) -> None:
            import h11
            headers = [(b"content-type", b"text/plain; charset=utf-8"),
                       (b"connection", b"close")] + SECURITY_HEADERS
            event = h11.Response(status_code=400, headers=headers, reason=b"Bad Request")
            self.transport.write(self.conn.send(event))
            self.transport.write(self.conn.send(h11.Data(data=msg.encode("ascii"))))
            self.transport.write(self.conn.send(h11.EndOfMessage()))
            self.transport.close()
    return Protocol
