"""What the pages and the API both do, written once: find a problem, derive (cached), grade,
take an upload. The mathematics runs in the workers (``jobs``); this only asks for it and
turns its time limits into answers to the user.
"""

from __future__ import annotations

import re
from collections import OrderedDict

import yaml
from starlette.requests import Request

from .. import conventions, i18n
from ..errors import ProblemError
from ..problem import ParamRef, parse_param_ref
from . import jobs
from .http import ApiError
from .jobs import JobFailed, JobTimeout, Workers
from .library import UPLOAD, Entry, Library
from ..i18n import _

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


CACHE_BYTES = 256 * 1024 * 1024   # what finished results may hold in the server's memory


def _size(value) -> int:
    """Roughly how many bytes ``value`` holds (its text and bytes, which is most of it)."""
    if isinstance(value, (str, bytes)):
        return len(value) + 64
    if isinstance(value, dict):
        return 64 + sum(_size(k) + _size(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return 64 + sum(_size(v) for v in value)
    return 64


class _Cache(OrderedDict):
    """A least-recently-used cache of at most ``size`` bytes, as ``_size`` counts them."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size
        self.used = 0
        self.sizes: dict = {}

    def put(self, key, value):
        if key in self:
            self.used -= self.sizes.pop(key)
            del self[key]
        n = _size(value)
        if n > self.size:
            return value      # too large to keep: computed again when asked again
        self[key], self.sizes[key] = value, n
        self.used += n
        while self.used > self.size:
            old, _entry = self.popitem(last=False)
            self.used -= self.sizes.pop(old)
        return value

    def __getitem__(self, key):
        self.move_to_end(key)
        return super().__getitem__(key)


class Tutor:
    """The application's state: the problems, the workers, caches of finished mathematics
    (a problem's text never changes under its id, so neither does what is made from it).

    Two pools of workers keep the kinds of work apart: ``workers`` grades answers and reads
    uploads (jobs of at most CHECK_SECONDS), ``heavy`` derives, trains and builds worksheets
    (at most DERIVE_SECONDS, WORKSHEET_SECONDS). However long the heavy jobs, a check waits
    only behind other checks."""

    def __init__(self, library: Library, workers: Workers, heavy: Workers | None = None):
        self.library = library
        self.workers = workers
        self.heavy = heavy or Workers(workers.processes)
        self.cache = _Cache(CACHE_BYTES)

    def start(self) -> None:
        self.workers.start()
        self.heavy.start()

    def stop(self) -> None:
        self.workers.stop()
        self.heavy.stop()

    def entry(self, id: str) -> Entry:
        e = self.library.get(id)
        if e is None:
            raise ApiError(404, _("no problem {id!r}; GET /api/problems lists them").format(
                                    id=id), "id")
        # (the request's names are written as the problem writes them)
        conventions.set_current(getattr(e.problem, "convention", conventions.DEFAULT))
        return e

    async def computed(self, key, fn, *args, seconds: float = jobs.DERIVE_SECONDS):
        """``fn(*args)`` from the heavy workers (a derivation, a page's mathematics, a training
        run, a worksheet), cached; so is a failure (a time-out, a user error), so that a
        reload does not run the same job again. Kept per language: what the workers write is
        in the request's."""
        key = (i18n.current(), key)
        if key not in self.cache:
            try:
                value = await self.heavy.run(seconds, fn, *args)
            except JobTimeout:
                value = ApiError(503, _("this took more than {seconds:g} s and was stopped; "
                                        "try a smaller network or fewer epochs").format(
                                            seconds=seconds))
            except JobFailed as e:
                value = e
            self.cache.put(key, value)
        else:
            value = self.cache[key]
        if isinstance(value, Exception):
            raise value
        return value

    async def grade(self, entry: Entry, answers: str, file: str, rtol: float | None = None,
                    atol: float | None = None, at: dict | None = None) -> dict:
        """``tutor check --format json`` of an answers text, as data (at the weights of
        ``at``, a ``jobs.trained`` result, when given)."""
        try:
            return await self.workers.run(jobs.CHECK_SECONDS, jobs.check, entry.text,
                                          entry.file, answers, file, rtol, atol, at)
        except JobTimeout:
            raise ApiError(422, _("the check took more than {check_seconds:g} s and was "
                                  "stopped: write the answer more simply").format(
                                      check_seconds=jobs.CHECK_SECONDS), "answers") from None

    async def upload(self, text: str) -> Entry:
        """Validate an uploaded problem in a worker (its YAML is untrusted) and keep it."""
        existing = self.library.get(Library.upload_id(text))
        if existing is not None:
            return existing
        try:
            problem = await self.workers.run(jobs.CHECK_SECONDS, jobs.parse, text, UPLOAD)
        except JobTimeout:
            raise ApiError(422, _("reading this problem took more than {check_seconds:g} s "
                                  "and was stopped").format(
                                      check_seconds=jobs.CHECK_SECONDS)) from None
        return self.library.upload(text, problem)


def tutor(request: Request) -> Tutor:
    return request.app.state.tutor


def one_param(entry: Entry, text: str, field: str = "param") -> ParamRef:
    try:
        return parse_param_ref(conventions.read(text), entry.problem.network)
    except ProblemError as e:
        raise ApiError(422, e.message, field) from None


def answers_document(ref: ParamRef, answer: str, variant: tuple[int, int] | None = None
                     ) -> str:
    """The answers file (``tutor check``'s format) for one answer box: a number is ∂L/∂p of
    the batch; anything else is a formula for ∂ℓ/∂p of one sample. A number keeps its digits
    as typed, so that its rounding is judged as written. For a worksheet ``variant`` (number,
    seed), a number is ∂ℓ/∂p of the sheet's sample, graded by the sheet's rules."""
    text = answer.strip().replace("−", "-")
    head = "" if variant is None else f"variant: {variant[0]}\nseed: {variant[1]}\n"
    if _NUMBER.fullmatch(text):
        section = "gradients" if variant is None else "sample_gradients"
        return f'{head}{section}:\n  "{conventions.shown(ref.name)}": {text}\n'
    return head + yaml.safe_dump({"formulas": {conventions.shown(ref.name): answer.strip()}},
                                 allow_unicode=True)
