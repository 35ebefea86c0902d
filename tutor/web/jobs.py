"""The server's heavy work, done in worker processes under a time limit.

Derivations and checks run SymPy, and a pathological student formula could keep one busy for
long; in the server's own process that would stall every other request. So each job runs in
a pool of worker processes, with an interval timer in the worker that interrupts it after its
limit (``JobTimeout``). Should a worker not answer even then (stuck in C code), the pool is
killed and started afresh.

The job functions at the bottom are what the workers run: each takes the problem's YAML text,
parses it (cached per worker) and calls the library — ``derive``, ``grade``, the printers —
exactly as the command line does. They return plain data (strings and dicts).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from functools import lru_cache

CHECK_SECONDS = 2.0        # the limit of one check
DERIVE_SECONDS = 20.0      # of a derivation or a page's mathematics, or a training run
WORKSHEET_SECONDS = 60.0   # of a worksheet, pdflatex included
# Beyond its own limit, a job may wait this long in the queue before the pool is presumed
# stuck and restarted.
STUCK_SECONDS = 60.0
CURVE_POINTS = 400         # of a loss curve sent to a page


class JobTimeout(Exception):
    """A job ran past its time limit."""


class WorkerLost(Exception):
    """The worker running a job died; the pool has been started afresh."""


class JobBug(Exception):
    """A job found a bug in tutor (a derivation whose three computations disagree): its
    message; nothing of it is shown."""


class JobFailed(Exception):
    """A job raised a user error (``TutorError``): its message, and the field and line it
    names (an option's field, ``--param``, is named as the query parameter ``param``)."""

    def __init__(self, message: str, field: str | None = None, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field.lstrip("-") if field else None
        self.line = line


class Workers:
    """A pool of worker processes running jobs with deadlines."""

    def __init__(self, processes: int = 2):
        self.processes = processes
        self._pool: ProcessPoolExecutor | None = None

    def start(self) -> None:
        # spawn, not fork: the server has threads, and a forked copy of them is unsafe.
        self._pool = ProcessPoolExecutor(self.processes,
                                         mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_ignore_interrupts)
        for _ in range(self.processes):
            self._pool.submit(_warm_up)

    def stop(self) -> None:
        if self._pool is not None:
            self._kill()
            self._pool = None

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        # Requests in flight on the same broken pool all end up here: restart it once.
        if self._pool is broken:
            self._kill()
            self.start()

    def _kill(self) -> None:
        pool = self._pool
        for p in list(getattr(pool, "_processes", {}).values()):
            p.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def run(self, seconds: float, fn, *args):
        """``fn(*args)`` in a worker, interrupted after ``seconds`` of running: its result; or
        JobTimeout, JobFailed (a user error), JobBug (a bug in tutor), WorkerLost."""
        if self._pool is None:
            self.start()
        pool = self._pool
        try:
            future = pool.submit(_run, seconds, fn, *args)
            status, value = await asyncio.wait_for(asyncio.wrap_future(future),
                                                   seconds + STUCK_SECONDS)
        except asyncio.TimeoutError:
            self._restart(pool)
            raise JobTimeout() from None
        except BrokenProcessPool:
            # A worker died (killed from outside, out of memory): start afresh.
            self._restart(pool)
            raise WorkerLost() from None
        if status == "timeout":
            raise JobTimeout()
        if status == "error":
            raise JobFailed(*value)
        if status == "bug":
            raise JobBug(value)
        return value


def _ignore_interrupts() -> None:
    # Ctrl-C reaches the workers too; the server stops them itself, quietly.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _warm_up() -> None:
    from .. import checking, derivation  # noqa: F401  (imports SymPy and NumPy once)
    from ..printing import htmldoc, jsondoc  # noqa: F401


def _alarm(signum, frame):
    raise JobTimeout()


def _run(seconds: float, fn, *args):
    """In the worker: ``fn(*args)`` under an interval timer of ``seconds``."""
    from ..errors import ProblemError, TutorError, VerificationError
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        return "ok", fn(*args)
    except JobTimeout:
        return "timeout", None
    except ProblemError as e:
        return "error", (e.message, e.field, e.line)
    except TutorError as e:
        return "error", (str(e), None, None)
    except VerificationError as e:
        return "bug", str(e)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


# -- the jobs --


@lru_cache(maxsize=64)
def _problem(text: str, file: str):
    from ..problem import parse_problem
    return parse_problem(text, file)


def parse(text: str, file: str):
    """The problem, validated exactly as the command line validates a file (so that an
    uploaded text is never parsed in the server's own process)."""
    return _problem(text, file)


def overview(text: str, file: str) -> dict:
    """What a problem page shows before any derivation: the forward pass (HTML) and the batch
    loss at the problem's parameters."""
    from .. import engine
    from ..derivation import forward_definitions
    from ..printing.htmldoc import HtmlDocPrinter
    import numpy as np
    p = _problem(text, file)
    printer = HtmlDocPrinter()
    with np.errstate(all="ignore"):   # an overflowing problem says so in its derivation
        loss = engine.batch_loss(p.network, p.loss, p.params, p.inputs, p.targets)
    return {"forward": printer._print_definitions(forward_definitions(p)),
            "loss": float(loss)}


def derivation_html(text: str, file: str, param: str, sample: int = 1) -> str:
    """One parameter's verified derivation as HTML steps, with the numbers of ``sample``."""
    from ..derivation import derive, verified
    from ..printing.htmldoc import html_derivation
    d = verified(derive(_problem(text, file), [param], sample=sample))
    return html_derivation(d.gradients[0])


def derivation_json(text: str, file: str, params: list[str] | None, sample: int) -> str:
    """``tutor derive --format json``, verified."""
    from ..derivation import derive, verified
    from ..printing import json
    return json(verified(derive(_problem(text, file), params, sample=sample)))


def check(text: str, file: str, answers_text: str, answers_file: str,
          rtol: float | None = None, atol: float | None = None) -> dict:
    """``tutor check --format json``, as data."""
    from ..answers import parse_answers
    from ..checking import ATOL, RTOL, grade
    from ..printing.checkreport import as_dict
    p = _problem(text, file)
    return as_dict(grade(p, parse_answers(answers_text, p, answers_file),
                         rtol=RTOL if rtol is None else rtol,
                         atol=ATOL if atol is None else atol))


def training(text: str, file: str, epochs: int | None, lr: float | None,
             seed: int | None) -> dict:
    """``tutor train``: its report (the text after the epoch lines), the loss curve (at most
    CURVE_POINTS points of (epoch, L), the final loss last) and the verdict."""
    import numpy as np

    from ..printing import trainreport
    from ..training import train
    r = train(_problem(text, file), epochs=epochs, lr=lr, seed=seed)
    E = r.epochs
    picks = np.unique(np.linspace(0, E - 1, min(E, CURVE_POINTS)).round().astype(int)) \
        if E else np.array([], dtype=int)
    v = r.verdicts()[0]
    return {"report": trainreport.header(r.problem, r.settings, r.seeds, r.sweep)
            + trainreport.summary(r).lstrip("\n"),
            "curve": [(int(e), float(r.losses[e])) for e in picks]
            + [(E, float(r.final_loss))],
            "baseline": float(v.baseline), "status": v.status}


def worksheet_files(text: str, file: str, variants: int, seed: int, pdf: bool,
                    decimals: int) -> dict[str, bytes]:
    """What `tutor worksheet` writes, as {relative path: bytes}."""
    import tempfile
    from pathlib import Path

    from ..worksheet import build, write
    problem = _problem(text, file)
    built = build(problem, variants, seed)
    with tempfile.TemporaryDirectory(prefix="tutor-web-") as tmp:
        out = Path(tmp)
        written = write(problem, out, built, decimals, pdf)
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in written}
