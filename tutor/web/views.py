"""The pages for people: the problem list, a problem's page, its answer boxes, worksheet
downloads, and the page's own stylesheet and script."""

from __future__ import annotations

import io
import shutil
import zipfile
from importlib import resources
from urllib.parse import parse_qs, quote

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ..errors import ProblemError
from ..i18n import N_, _
from ..problem import ParamRef
from . import jobs, pages
from .http import ApiError, number, read_body, whole_number
from .jobs import JobFailed
from .library import UPLOAD, Entry
from .service import answers_document, one_param, tutor

MAX_ANSWER = 1000           # characters in one answer box
from ..defaults import DECIMALS  # of worksheet keys
STATIC = {"tutor.css": "text/css; charset=utf-8",
          "tutor.js": "text/javascript; charset=utf-8"}
DOWNLOADS = {"worksheet.pdf": "application/pdf", "solutions.pdf": "application/pdf",
             "worksheet.tex": "text/x-tex; charset=utf-8",
             "solutions.tex": "text/x-tex; charset=utf-8",
             "worksheet.zip": "application/zip"}
_STATIC_FILES = {name: resources.files("tutor.web").joinpath("static", name).read_bytes()
                 for name in STATIC}


async def index(request: Request) -> Response:
    return HTMLResponse(pages.index(tutor(request).library))


async def upload(request: Request) -> Response:
    t = tutor(request)
    text = parse_qs(await read_body(request)).get("yaml", [""])[0]
    try:
        entry = await t.upload(text)
    except (JobFailed, ApiError) as e:
        # Worded as the command line words it: upload:LINE: FIELD: MESSAGE.
        said = str(ProblemError(e.message, file=UPLOAD, field=e.field, line=e.line))
        return HTMLResponse(pages.index(t.library, said, text), status_code=422)
    return RedirectResponse(f"/problems/{quote(entry.id)}", status_code=303)


def _sample(entry: Entry, text: str | None, at: dict | None = None) -> int:
    if at is not None and at.get("variant"):
        return entry.problem.exercise_sample     # a worksheet's sample, always
    return (entry.problem.exercise_sample if not text
            else whole_number(text, "sample", 1, entry.problem.n_samples))


def _too_much(entry: Entry, epochs: int) -> str | None:
    """Why the web tutor does not train this many epochs of this problem, or None: judged by
    the work it implies before it runs (a problem's own epochs may be millions)."""
    p = entry.problem
    work = epochs * p.n_samples * p.network.n_params
    if epochs > pages.MAX_WEB_EPOCHS or work > pages.MAX_WEB_WORK:
        return _("{epochs} epochs of this network on {n} samples are more than the web tutor "
                 "trains (at most {most} epochs and {work} parameter-sample updates); choose "
                 "fewer epochs, or run tutor train").format(
                     epochs=f"{epochs:,}", n=p.n_samples, most=f"{pages.MAX_WEB_EPOCHS:,}",
                     work=f"{pages.MAX_WEB_WORK:,.0f}")
    return None


async def _at(request: Request, entry: Entry, get) -> dict | None:
    """The weights a page shows: a worksheet variant's (``variant`` and ``seed``), those
    after an epoch of training (``epoch``), or None for the problem's own."""
    variant, seed = get("variant"), get("seed")
    if variant or seed:
        from ..answers import MAX_VARIANT
        k = whole_number(variant or "", "variant", 1, MAX_VARIANT)
        s = whole_number(seed or "", "seed", 0, 2**63 - 1)
        return await tutor(request).computed(("variant", entry.id, k, s),
                                             jobs.variant_weights, entry.text, entry.file,
                                             k, s)
    return await _at_epoch(request, entry, get("epoch"))


async def _at_epoch(request: Request, entry: Entry, text: str | None) -> dict | None:
    """The weights after the asked-for epoch of training (``jobs.trained``), or None for
    the problem's own."""
    if not text:
        return None
    epoch = whole_number(text, "epoch", 0, pages.MAX_WEB_EPOCHS)
    if epoch == 0:
        return None
    too_much = _too_much(entry, epoch)
    if too_much:
        raise ApiError(422, too_much, "epoch")
    return await tutor(request).computed(("epoch", entry.id, epoch), jobs.trained,
                                         entry.text, entry.file, epoch)


async def _page(request: Request, entry: Entry, ref: ParamRef, sample: int,
                results: dict | None = None, given: dict | None = None,
                at: dict | None = None) -> Response:
    t = tutor(request)
    which = (at["epoch"], at.get("variant"), at.get("seed")) if at else None
    overview = await t.computed(("overview", entry.id, which), jobs.overview, entry.text,
                                entry.file, at)
    derivation = await t.computed(("html", entry.id, ref.name, sample, which),
                                  jobs.derivation_html, entry.text, entry.file, ref.name,
                                  sample, at)
    return HTMLResponse(pages.problem_page(entry, overview, ref, sample, derivation, results,
                                           given, has_tex=shutil.which("pdflatex") is not None,
                                           at=at))


async def _graph_page(request: Request, entry: Entry, results: dict | None = None,
                      given: dict | None = None) -> Response:
    t = tutor(request)
    derivation = await t.computed(("graph-html", entry.id), jobs.graph_html, entry.text,
                                  entry.file)
    return HTMLResponse(pages.graph_page(entry, derivation, results, given))


def _not_for_graphs(entry: Entry, what: str) -> None:
    if entry.is_graph:
        raise ApiError(422, _("a computational graph has no {what}; its page derives it and "
                              "checks your values and gradients").format(what=_(what)), "id")


async def problem(request: Request) -> Response:
    entry = tutor(request).entry(request.path_params["id"])
    if entry.is_graph:
        return await _graph_page(request, entry)
    q = request.query_params
    ref = one_param(entry, q["param"]) if q.get("param") else \
        entry.problem.network.param_refs()[0]
    at = await _at(request, entry, q.get)
    return await _page(request, entry, ref, _sample(entry, q.get("sample"), at), at=at)


async def check(request: Request) -> Response:
    """An answer box: JSON for the page's script, else the page again with the verdict."""
    t = tutor(request)
    entry = t.entry(request.path_params["id"])
    form = parse_qs(await read_body(request), keep_blank_values=True)
    if entry.is_graph:
        return await _check_graph(request, entry, form)
    ref = one_param(entry, form.get("param", [""])[0])
    at = await _at(request, entry, lambda k: form.get(k, [""])[0])
    sample = _sample(entry, form.get("sample", [""])[0], at)
    answer = form.get("answer", [""])[0]
    if not answer.strip():
        raise ApiError(422, _("type a number or a formula first"), "answer")
    if len(answer) > MAX_ANSWER:
        raise ApiError(422, _("an answer is at most {n} characters").format(n=MAX_ANSWER),
                       "answer")
    variant = (at["variant"], at["seed"]) if at and at.get("variant") else None
    report = await t.grade(entry, answers_document(ref, answer, variant), "answer",
                           at=None if variant else at)
    result = report["results"][0]
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"result": result, "html": pages.result_html(result)})
    return await _page(request, entry, ref, sample, {ref.name: result}, {ref.name: answer},
                       at=at)


async def _check_graph(request: Request, entry: Entry, form: dict) -> Response:
    """An answer box of a graph: ``param`` is value:NODE or gradient:NODE."""
    key = form.get("param", [""])[0]
    kind, _sep, node = key.partition(":")
    if kind not in ("value", "gradient") or node not in {n.name for n in entry.problem.nodes}:
        raise ApiError(422, _("expected value:NODE or gradient:NODE, a node of this graph"),
                       "param")
    answer = form.get("answer", [""])[0].strip().replace("−", "-")
    if not answer:
        raise ApiError(422, _("type a number first"), "answer")
    if len(answer) > MAX_ANSWER:
        raise ApiError(422, _("an answer is at most {n} characters").format(n=MAX_ANSWER),
                       "answer")
    try:
        float(answer)
    except ValueError:
        raise ApiError(422, _("expected a number"), "answer") from None
    section = "values" if kind == "value" else "gradients"
    text = f'{section}:\n  "{node}": {answer}\n'
    t = tutor(request)
    try:
        report = await t.workers.run(jobs.CHECK_SECONDS, jobs.graph_check, entry.text,
                                     entry.file, text, "answer")
    except JobFailed as e:
        raise ApiError(422, e.message, "answer") from None
    result = report["results"][0]
    if "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"result": result, "html": pages.result_html(result)})
    return await _graph_page(request, entry, {key: result}, {key: answer})


async def train(request: Request) -> Response:
    """A training run of the problem (optional epochs, lr, seed), as `tutor train`."""
    t = tutor(request)
    entry = t.entry(request.path_params["id"])
    _not_for_graphs(entry, N_("training"))
    q = request.query_params
    given = {k: q.get(k, "").strip() for k in ("epochs", "lr", "seed")}
    epochs = (whole_number(given["epochs"], "epochs", 0, pages.MAX_WEB_EPOCHS)
              if given["epochs"] else None)
    lr = number(given["lr"], "lr", 1e-12, 1e6) if given["lr"] else None
    seed = whole_number(given["seed"], "seed", 0, 2**63 - 1) if given["seed"] else None
    run, error = None, None
    error = _too_much(entry, entry.problem.training.epochs if epochs is None else epochs)
    if error:
        return HTMLResponse(pages.training_page(entry, None, error, **given), status_code=422)
    try:
        run = await t.computed(("train", entry.id, epochs, lr, seed), jobs.training,
                              entry.text, entry.file, epochs, lr, seed)
    except JobFailed as e:      # the run diverged, say: a result to show, not a fault
        error = e.message
    return HTMLResponse(pages.training_page(entry, run, error, **given))


async def download(request: Request) -> Response:
    """The worksheet, its solutions or everything (LaTeX, keys, PDFs) as one ZIP."""
    t = tutor(request)
    entry = t.entry(request.path_params["id"])
    _not_for_graphs(entry, N_("worksheets"))
    q = request.query_params
    name = q.get("file", "worksheet.zip")
    if name not in DOWNLOADS:
        raise ApiError(404, _("no download {name!r}; expected one of {items}").format(
                                name=name, items=', '.join(DOWNLOADS)),
                       "file")
    variants = whole_number(q.get("variants", "1"), "variants", 1, pages.MAX_WEB_VARIANTS)
    seed = whole_number(q.get("seed", "0"), "seed", 0, 2**63 - 1)
    pdf = shutil.which("pdflatex") is not None
    if name.endswith(".pdf") and not pdf:
        raise ApiError(404, _("PDFs need TeX Live (pdflatex), which this server does not "
                              "have; download the LaTeX instead"), "file")
    try:
        files = await t.computed(("worksheet", entry.id, variants, seed, pdf),
                                 jobs.worksheet_files, entry.text, entry.file, variants, seed,
                                 pdf, DECIMALS, seconds=jobs.WORKSHEET_SECONDS)
    except JobFailed as e:
        raise ApiError(422, e.message, e.field, e.line) from None
    base = f"{entry.id}-seed{seed}-{variants}"
    data = _zip(files, base) if name == "worksheet.zip" else files[name]
    return Response(data, media_type=DOWNLOADS[name],
                    headers={"Content-Disposition": f'attachment; filename="{base}-{name}"'})


def _zip(files: dict[str, bytes], folder: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in sorted(files.items()):
            z.writestr(f"{folder}/{name}", data)
    return buf.getvalue()


async def static(request: Request) -> Response:
    name = request.path_params["name"]
    if name not in STATIC:
        raise ApiError(404, _("no such file"))
    return Response(_STATIC_FILES[name], media_type=STATIC[name],
                    headers={"Cache-Control": "no-cache"})
