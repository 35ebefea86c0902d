"""The web application: pages for students and a JSON API, on Starlette.

Handlers only route: the mathematics is the library's (``derive``, ``grade``, the printers,
``worksheet``), run in worker processes with time limits (``jobs``). Every request body is
limited to 64 KiB (413 beyond); errors are JSON ``{"error", "field", "line"}`` under
``/api/`` and an HTML page elsewhere; responses carry a content security policy that lets a
page load nothing from any other host.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import math
import re
import shutil
import tempfile
import zipfile
from collections import OrderedDict
from importlib import resources
from pathlib import Path
from urllib.parse import parse_qs, quote

import anyio
import yaml
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.schemas import SchemaGenerator

from .. import __version__
from ..errors import ProblemError, TutorError
from ..problem import ParamRef, parse_param_refs
from . import jobs, pages
from .jobs import JobFailed, JobTimeout, Workers, WorkerLost
from .library import UPLOAD, Entry, Library

MAX_BODY = 64 * 1024
MAX_ANSWER = 1000           # characters in one answer box
DECIMALS = 4                # of worksheet keys
_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_STATIC = {"tutor.css": "text/css; charset=utf-8",
           "tutor.js": "text/javascript; charset=utf-8"}
_DOWNLOADS = {"worksheet.pdf": "application/pdf", "solutions.pdf": "application/pdf",
              "worksheet.tex": "text/x-tex; charset=utf-8",
              "solutions.tex": "text/x-tex; charset=utf-8",
              "worksheet.zip": "application/zip"}
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


class ApiError(Exception):
    def __init__(self, status: int, message: str, field: str | None = None,
                 line: int | None = None):
        super().__init__(message)
        self.status, self.message, self.field, self.line = status, message, field, line


class _Cache(OrderedDict):
    """A small least-recently-used cache."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def put(self, key, value):
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value


class Tutor:
    """The application's state: the problems, the workers, caches of finished mathematics."""

    def __init__(self, library: Library, workers: Workers):
        self.library = library
        self.workers = workers
        self.cache = _Cache(512)
        self.downloads = _Cache(8)
        self.download_lock = asyncio.Lock()
        self.static = {name: resources.files("tutor.web").joinpath("static", name).read_bytes()
                       for name in _STATIC}

    def entry(self, id: str) -> Entry:
        e = self.library.get(id)
        if e is None:
            raise ApiError(404, f"no problem {id!r}; GET /api/problems lists them", "id")
        return e

    async def cached(self, key, seconds: float, fn, *args):
        if key not in self.cache:
            self.cache.put(key, await self.workers.run(seconds, fn, *args))
        return self.cache[key]


def _tutor(request: Request) -> Tutor:
    return request.app.state.tutor


async def read_body(request: Request) -> str:
    """The request body as text: 413 beyond MAX_BODY bytes, 400 when it is not UTF-8."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY):
        raise ApiError(413, f"the request body is over {MAX_BODY // 1024} KiB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ApiError(413, f"the request body is over {MAX_BODY // 1024} KiB")
        chunks.append(chunk)
    try:
        return b"".join(chunks).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "the request body is not UTF-8 text", "body") from None


def one_param(entry: Entry, text: str, field: str = "param") -> ParamRef:
    try:
        refs = parse_param_refs(text, entry.problem.network)
    except ProblemError as e:
        raise ApiError(422, e.message, field) from None
    if len(refs) != 1:
        raise ApiError(422, "expected one parameter, like W1[2,1] or b1[2]", field)
    return refs[0]


def answers_document(ref: ParamRef, answer: str) -> str:
    """The answers file (``tutor check``'s format) for one answer box: a number is ∂L/∂p of
    the batch; anything else is a formula for ∂ℓ/∂p of sample 1. A number keeps its digits
    as typed, so that its rounding is judged as written."""
    text = answer.strip().replace("−", "-")
    if _NUMBER.fullmatch(text):
        return f'gradients:\n  "{ref.name}": {text}\n'
    return yaml.safe_dump({"formulas": {ref.name: answer.strip()}}, allow_unicode=True)


async def _grade(t: Tutor, entry: Entry, answers: str, file: str,
                 rtol: float | None = None, atol: float | None = None) -> dict:
    try:
        return await t.workers.run(jobs.CHECK_SECONDS, jobs.check, entry.text, entry.file,
                                   answers, file, rtol, atol)
    except JobTimeout:
        raise ApiError(422, f"the check took more than {jobs.CHECK_SECONDS:g} s and was "
                            "stopped: write the answer more simply", "answers") from None


async def _job(t: Tutor, key, fn, *args):
    try:
        return await t.cached(key, jobs.DERIVE_SECONDS, fn, *args)
    except JobTimeout:
        raise ApiError(503, f"this took more than {jobs.DERIVE_SECONDS:g} s and was stopped; "
                            "try a smaller network") from None


# -- pages --


async def index(request: Request) -> Response:
    return HTMLResponse(pages.index(_tutor(request).library))


async def _upload(t: Tutor, text: str) -> Entry:
    """Validate an uploaded problem in a worker (its YAML is untrusted) and keep it."""
    existing = t.library.get(Library.upload_id(text))
    if existing is not None:
        return existing
    try:
        problem = await t.workers.run(jobs.CHECK_SECONDS, jobs.parse, text, UPLOAD)
    except JobTimeout:
        raise ApiError(422, f"reading this problem took more than {jobs.CHECK_SECONDS:g} s "
                            "and was stopped") from None
    return t.library.upload(text, problem)


async def upload_page(request: Request) -> Response:
    t = _tutor(request)
    form = parse_qs(await read_body(request))
    text = form.get("yaml", [""])[0]
    try:
        entry = await _upload(t, text)
    except (JobFailed, ApiError) as e:
        where = f"{UPLOAD}: " + (f"line {e.line}: " if e.line else "") + (
            f"{e.field}: " if e.field else "")
        return HTMLResponse(pages.index(t.library, where + e.message, text), status_code=422)
    return RedirectResponse(f"/problems/{quote(entry.id)}", status_code=303)


async def _problem_page(request: Request, entry: Entry, ref: ParamRef, sample: int,
                        results: dict | None = None, given: dict | None = None) -> Response:
    t = _tutor(request)
    overview = await _job(t, ("overview", entry.id), jobs.overview, entry.text, entry.file)
    derivation = await _job(t, ("html", entry.id, ref.name, sample), jobs.derivation_html,
                            entry.text, entry.file, ref.name, sample)
    html = pages.problem_page(entry, overview, ref, sample, derivation, results, given,
                              has_tex=shutil.which("pdflatex") is not None)
    return HTMLResponse(html)


def _sample(entry: Entry, text: str | None) -> int:
    return 1 if not text else _int(text, "sample", 1, entry.problem.n_samples)


async def problem_page(request: Request) -> Response:
    entry = _tutor(request).entry(request.path_params["id"])
    q = request.query_params
    ref = one_param(entry, q["param"]) if q.get("param") else \
        entry.problem.network.param_refs()[0]
    return await _problem_page(request, entry, ref, _sample(entry, q.get("sample")))


async def check_form(request: Request) -> Response:
    """An answer box: JSON for the page's script, else the page again with the verdict."""
    t = _tutor(request)
    entry = t.entry(request.path_params["id"])
    form = parse_qs(await read_body(request), keep_blank_values=True)
    ref = one_param(entry, form.get("param", [""])[0])
    sample = _sample(entry, form.get("sample", [""])[0])
    answer = form.get("answer", [""])[0]
    if not answer.strip():
        raise ApiError(422, "type a number or a formula first", "answer")
    if len(answer) > MAX_ANSWER:
        raise ApiError(422, f"an answer is at most {MAX_ANSWER} characters", "answer")
    report = await _grade(t, entry, answers_document(ref, answer), "answer")
    result = report["results"][0]
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"result": result, "html": pages.result_html(result)})
    return await _problem_page(request, entry, ref, sample, {ref.name: result},
                               {ref.name: answer})


async def download(request: Request) -> Response:
    """The worksheet, its solutions or everything (LaTeX, keys, PDFs) as one ZIP."""
    t = _tutor(request)
    entry = t.entry(request.path_params["id"])
    q = request.query_params
    name = q.get("file", "worksheet.zip")
    if name not in _DOWNLOADS:
        raise ApiError(404, f"no download {name!r}; expected one of {', '.join(_DOWNLOADS)}",
                       "file")
    variants = _int(q.get("variants", "1"), "variants", 1, pages.MAX_WEB_VARIANTS)
    seed = _int(q.get("seed", "0"), "seed", 0, 2**63 - 1)
    pdf = shutil.which("pdflatex") is not None
    if name.endswith(".pdf") and not pdf:
        raise ApiError(404, "PDFs need TeX Live (pdflatex), which this server does not have; "
                            "download the LaTeX instead", "file")
    key = (entry.id, variants, seed)
    async with t.download_lock:
        if key not in t.downloads:
            try:
                files = await anyio.to_thread.run_sync(_worksheet_files, entry, variants, seed,
                                                       pdf)
            except ProblemError as e:
                raise ApiError(422, e.message, e.field, e.line) from None
            except TutorError as e:   # pdflatex failed: the server's trouble, not the user's
                raise ApiError(500, str(e)) from None
            t.downloads.put(key, files)
    files = t.downloads[key]
    base = f"{entry.id}-seed{seed}-{variants}"
    if name == "worksheet.zip":
        data = _zip(files, base)
    else:
        data = files[name]
    filename = f"{base}-{name}"
    return Response(data, media_type=_DOWNLOADS[name],
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _worksheet_files(entry: Entry, variants: int, seed: int, pdf: bool) -> dict[str, bytes]:
    from ..worksheet import build, write
    built = build(entry.problem, variants, seed)
    with tempfile.TemporaryDirectory(prefix="tutor-web-") as tmp:
        out = Path(tmp)
        written = write(entry.problem, out, built, DECIMALS, pdf)
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in written}


def _zip(files: dict[str, bytes], folder: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(files.items()):
            z.writestr(f"{folder}/{name}", data)
    return buf.getvalue()


def _int(text: str, field: str, lo: int, hi: int) -> int:
    try:
        v = int(text)
    except ValueError:
        raise ApiError(422, f"expected a whole number from {lo} to {hi}; got {text!r}",
                       field) from None
    if not lo <= v <= hi:
        raise ApiError(422, f"expected a whole number from {lo} to {hi}; got {v}", field)
    return v


def _float(text: str, field: str, lo: float, hi: float) -> float:
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if not lo <= v <= hi:
        raise ApiError(422, f"expected a number from {lo:g} to {hi:g}; got {text!r}", field)
    return v


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in _STATIC:
        raise ApiError(404, "no such file")
    return Response(_tutor(request).static[name], media_type=_STATIC[name],
                    headers={"Cache-Control": "no-cache"})


# -- the JSON API (the docstrings after --- are its OpenAPI document) --


async def api_problems(request: Request) -> Response:
    """
    ---
    summary: The problems this server offers
    responses:
      200:
        description: "{problems: [{id, name, description, network: {sizes, activations},
          loss_function, samples, params, uploaded, url}]}"
    """
    return JSONResponse({"problems": [e.summary() for e in _tutor(request).library.entries()]})


async def api_problem(request: Request) -> Response:
    """
    ---
    summary: One problem, with its YAML text
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    responses:
      200: {description: "The summary of GET /api/problems and {yaml}"}
      404: {description: "{error, field}: no such problem"}
    """
    e = _tutor(request).entry(request.path_params["id"])
    return JSONResponse({**e.summary(), "yaml": e.text})


async def api_upload(request: Request) -> Response:
    """
    ---
    summary: Add a problem (its YAML, or JSON), validated exactly as the command line does
    description: Kept in this server's memory only; the same text gives the same id.
    requestBody:
      required: true
      content:
        application/yaml: {schema: {type: string}}
        application/json: {schema: {type: object}}
    responses:
      201: {description: "The problem's summary, as in GET /api/problems"}
      413: {description: "The body is over 64 KiB"}
      422: {description: "{error, field, line}: the problem is not usable"}
    """
    t = _tutor(request)
    entry = await _upload(t, await read_body(request))
    return JSONResponse(entry.summary(), status_code=201,
                        headers={"Location": f"/api/problems/{entry.id}"})


async def api_derivation(request: Request) -> Response:
    """
    ---
    summary: Derivations of dL/dp, as `tutor derive --format json` prints them
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
      - name: param
        in: query
        description: "A parameter (W1[2,1], b1[2]) or an array (W1); repeat for more.
          Default: all."
        schema: {type: array, items: {type: string}}
        style: form
        explode: true
      - {name: sample, in: query, description: "The sample of the numbers (1-based)",
         schema: {type: integer, minimum: 1, default: 1}}
    responses:
      200: {description: "The derivation (format 1, in the README)"}
      404: {description: "{error, field}: no such problem"}
      422: {description: "{error, field}: a parameter or sample that does not exist"}
    """
    t = _tutor(request)
    entry = t.entry(request.path_params["id"])
    params = request.query_params.getlist("param") or None
    sample = _int(request.query_params.get("sample", "1"), "sample", 1, 10**9)
    key = ("json", entry.id, tuple(params or ()), sample)
    text = await _job(t, key, jobs.derivation_json, entry.text, entry.file, params, sample)
    return Response(text, media_type="application/json")


async def api_check(request: Request) -> Response:
    """
    ---
    summary: Grade answers, as `tutor check --format json` does
    description: "The body is an answers file (YAML, or the same as JSON):
      {sample, decimals, gradients: {W2[1,1]: 0.1234}, sample_gradients: {...},
      formulas: {W1[2,1]: '(yhat - y)*W2[1,2]*a1[2]*(1 - a1[2])*x1'}, values: {yhat: 0.6}}.
      Each check is stopped after 2 s."
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
      - {name: rtol, in: query, description: "Relative tolerance of numbers (as --rtol)",
         schema: {type: number, minimum: 0, maximum: 1, default: 0.001}}
      - {name: atol, in: query, description: "Absolute tolerance of numbers (as --atol)",
         schema: {type: number, minimum: 0, maximum: 1000, default: 1.0e-8}}
    requestBody:
      required: true
      content:
        application/json: {schema: {type: object}}
        application/yaml: {schema: {type: string}}
    responses:
      200: {description: "The report (format 1, in the README): score and results, each
        with right, expected and the named mistake (diagnosis)"}
      404: {description: "{error, field}: no such problem"}
      413: {description: "The body is over 64 KiB"}
      422: {description: "{error, field, line}: answers that cannot be read, or a check
        that took more than 2 s"}
    """
    t = _tutor(request)
    entry = t.entry(request.path_params["id"])
    q = request.query_params
    rtol = _float(q["rtol"], "rtol", 0, 1) if "rtol" in q else None
    atol = _float(q["atol"], "atol", 0, 1e3) if "atol" in q else None
    return JSONResponse(await _grade(t, entry, await read_body(request), "request body",
                                     rtol, atol))


async def openapi(request: Request) -> Response:
    return JSONResponse(request.app.state.schemas.get_schema(request.app.routes))


# -- errors --


def _wants_json(request: Request) -> bool:
    return (request.url.path.startswith("/api/")
            or "application/json" in request.headers.get("accept", ""))


def _error(request: Request, status: int, message: str, field: str | None = None,
           line: int | None = None) -> Response:
    if _wants_json(request):
        return JSONResponse({"error": message, "field": field, "line": line},
                            status_code=status)
    return HTMLResponse(pages.error_page(status, message), status_code=status)


async def _on_api_error(request: Request, e: ApiError) -> Response:
    return _error(request, e.status, e.message, e.field, e.line)


async def _on_job_failed(request: Request, e: JobFailed) -> Response:
    return _error(request, 422, e.message, e.field, e.line)


async def _on_worker_lost(request: Request, e: WorkerLost) -> Response:
    return _error(request, 503, "a worker process stopped and was replaced; try again")


async def _on_http(request: Request, e: HTTPException) -> Response:
    messages = {404: "no such page", 405: "this method is not allowed here"}
    return _error(request, e.status_code, messages.get(e.status_code, str(e.detail)))


class SecurityHeaders:
    """Headers on every response: nothing is loaded from other hosts, nothing is framed."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                ]
            await send(message)
        await self.app(scope, receive, send_with_headers)


def create_app(library: Library, workers: int = 2) -> Starlette:
    """The application serving ``library``, with ``workers`` worker processes for the
    mathematics."""
    tutor = Tutor(library, Workers(workers))

    @contextlib.asynccontextmanager
    async def lifespan(app):
        tutor.workers.start()
        try:
            yield
        finally:
            tutor.workers.stop()

    routes = [
        # The pages, for people: not part of the API document.
        Route("/", index, include_in_schema=False),
        Route("/problems", upload_page, methods=["POST"], include_in_schema=False),
        Route("/problems/{id}", problem_page, include_in_schema=False),
        Route("/problems/{id}/check", check_form, methods=["POST"], include_in_schema=False),
        Route("/problems/{id}/download", download, include_in_schema=False),
        Route("/static/{name}", static, include_in_schema=False),
        Route("/api/problems", api_problems, methods=["GET"]),
        Route("/api/problems", api_upload, methods=["POST"]),
        Route("/api/problems/{id}", api_problem),
        Route("/api/problems/{id}/derivation", api_derivation),
        Route("/api/problems/{id}/check", api_check, methods=["POST"]),
        Route("/openapi.json", openapi, include_in_schema=False),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeaders), Middleware(GZipMiddleware, minimum_size=1024)],
        exception_handlers={ApiError: _on_api_error, JobFailed: _on_job_failed,
                            WorkerLost: _on_worker_lost, HTTPException: _on_http},
        lifespan=lifespan)
    app.state.tutor = tutor
    app.state.schemas = SchemaGenerator({
        "openapi": "3.0.3",
        "info": {"title": "tutor", "version": __version__,
                 "description": "Chain-rule derivations of neural-network gradients, verified "
                                "three ways, and a checker of students' answers."}})
    return app
