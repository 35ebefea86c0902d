"""What the pages and the API both do, written once: find a problem, derive (cached), grade,
take an upload. The mathematics runs in the workers (``jobs``); this only asks for it and
turns its time limits into answers to the user.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict

import yaml
from starlette.requests import Request

from ..errors import ProblemError
from ..problem import ParamRef, parse_param_ref
from . import jobs
from .http import ApiError
from .jobs import JobTimeout, Workers
from .library import UPLOAD, Entry, Library

_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


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
    """The application's state: the problems, the workers, caches of finished mathematics
    (a problem's text never changes under its id, so neither does what is made from it)."""

    def __init__(self, library: Library, workers: Workers):
        self.library = library
        self.workers = workers
        self.cache = _Cache(512)
        self.downloads = _Cache(8)
        self.download_lock = asyncio.Lock()

    def entry(self, id: str) -> Entry:
        e = self.library.get(id)
        if e is None:
            raise ApiError(404, f"no problem {id!r}; GET /api/problems lists them", "id")
        return e

    async def computed(self, key, fn, *args):
        """``fn(*args)`` from the workers (a derivation, a page's mathematics, a training
        run), cached."""
        if key not in self.cache:
            try:
                value = await self.workers.run(jobs.DERIVE_SECONDS, fn, *args)
            except JobTimeout:
                raise ApiError(503, f"this took more than {jobs.DERIVE_SECONDS:g} s and was "
                                    "stopped; try a smaller network") from None
            self.cache.put(key, value)
        return self.cache[key]

    async def grade(self, entry: Entry, answers: str, file: str, rtol: float | None = None,
                    atol: float | None = None) -> dict:
        """``tutor check --format json`` of an answers text, as data."""
        try:
            return await self.workers.run(jobs.CHECK_SECONDS, jobs.check, entry.text,
                                          entry.file, answers, file, rtol, atol)
        except JobTimeout:
            raise ApiError(422, f"the check took more than {jobs.CHECK_SECONDS:g} s and was "
                                "stopped: write the answer more simply", "answers") from None

    async def upload(self, text: str) -> Entry:
        """Validate an uploaded problem in a worker (its YAML is untrusted) and keep it."""
        existing = self.library.get(Library.upload_id(text))
        if existing is not None:
            return existing
        try:
            problem = await self.workers.run(jobs.CHECK_SECONDS, jobs.parse, text, UPLOAD)
        except JobTimeout:
            raise ApiError(422, f"reading this problem took more than "
                                f"{jobs.CHECK_SECONDS:g} s and was stopped") from None
        return self.library.upload(text, problem)


def tutor(request: Request) -> Tutor:
    return request.app.state.tutor


def one_param(entry: Entry, text: str, field: str = "param") -> ParamRef:
    try:
        return parse_param_ref(text, entry.problem.network)
    except ProblemError as e:
        raise ApiError(422, e.message, field) from None


def answers_document(ref: ParamRef, answer: str) -> str:
    """The answers file (``tutor check``'s format) for one answer box: a number is ∂L/∂p of
    the batch; anything else is a formula for ∂ℓ/∂p of one sample. A number keeps its digits
    as typed, so that its rounding is judged as written."""
    text = answer.strip().replace("−", "-")
    if _NUMBER.fullmatch(text):
        return f'gradients:\n  "{ref.name}": {text}\n'
    return yaml.safe_dump({"formulas": {ref.name: answer.strip()}}, allow_unicode=True)
