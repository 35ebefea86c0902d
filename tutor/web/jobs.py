"""The server's heavy work, done in worker processes under a time limit.

Derivations and checks run SymPy, and a pathological student formula could keep one busy for
long; in the server's own process that would stall every other request. So each job runs in
a worker process of its own pool, with an interval timer in the worker that interrupts it
after its limit (``JobTimeout``).

Each worker has its own pipe and takes one job at a time from the pool's queue; nothing is
shared between workers. So a worker that dies (killed, out of memory) or stops answering
(stopped, stuck in C code) affects only the job it holds: that job is told to try again
(``WorkerLost``), the worker is killed and replaced, and the other workers go on serving. A
job that waits in the queue longer than QUEUE_SECONDS is answered "busy" (``Busy``) instead
of being run late.

The job functions at the bottom are what the workers run: each takes the problem's YAML text,
parses it (cached per worker) and calls the library — ``derive``, ``grade``, the printers —
exactly as the command line does. They return plain data (strings and dicts).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from ..i18n import _

CHECK_SECONDS = 2.0        # the limit of one check
DERIVE_SECONDS = 20.0      # of a derivation or a page's mathematics, or a training run
WORKSHEET_SECONDS = 60.0   # of a worksheet, pdflatex included
# A worker that has not answered this long after its job's limit is presumed stuck (stopped,
# or in C code that no signal interrupts): it is killed and replaced.
GRACE_SECONDS = 5.0
# A job not started within this long is answered "busy" rather than run late.
QUEUE_SECONDS = 30.0
CURVE_POINTS = 400         # of a loss curve sent to a page


class JobTimeout(Exception):
    """A job ran past its time limit."""


class WorkerLost(Exception):
    """The worker running a job died or stopped answering; it has been replaced."""


class Busy(WorkerLost):
    """Every worker stayed busy while the job waited: it was not run."""


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


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self):
        ctx = multiprocessing.get_context("spawn")  # not fork: the server has threads
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,), daemon=True)
        self.process.start()
        child.close()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()    # SIGKILL: also ends a stopped process
        self.process.join(5)
        self.conn.close()


class Workers:
    """A pool of ``processes`` worker processes running jobs with deadlines."""

    def __init__(self, processes: int = 2):
        self.processes = processes
        self._workers: list[_Worker] = []
        self._queue: asyncio.Queue | None = None
        self._slots: list[asyncio.Task] = []
        self._threads: ThreadPoolExecutor | None = None

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids (for tests that kill one)."""
        return [w.process.pid for w in self._workers]

    def start(self) -> None:
        """Start the processes (they load SymPy meanwhile); the slots that feed them start
        with the first job, inside the running event loop."""
        if not self._workers:
            self._workers = [_Worker() for _k in range(self.processes)]
            # Waiting for a pipe blocks: one thread per worker does it.
            self._threads = ThreadPoolExecutor(self.processes, thread_name_prefix="tutor-job")

    def _ensure_slots(self) -> None:
        if self._queue is None:
            self._queue = asyncio.Queue()
            self._slots = [asyncio.ensure_future(self._slot(k)) for k in range(self.processes)]

    def stop(self) -> None:
        for task in self._slots:
            task.cancel()
        for w in self._workers:
            w.kill()
        if self._threads is not None:
            self._threads.shutdown(wait=False, cancel_futures=True)
        self._workers, self._slots, self._queue, self._threads = [], [], None, None

    async def run(self, seconds: float, fn, *args):
        """``fn(*args)`` in a worker, interrupted after ``seconds`` of running: its result; or
        JobTimeout, JobFailed (a user error), JobBug (a bug in tutor), WorkerLost, Busy."""
        from .. import i18n
        self.start()
        self._ensure_slots()
        future = asyncio.get_running_loop().create_future()
        # (in the language of the request: the worker writes its words in it)
        await self._queue.put((time.monotonic(), seconds, fn, args, i18n.current(), future))
        status, value = await future
        if status == "ok":
            return value
        if status == "timeout":
            raise JobTimeout()
        if status == "error":
            raise JobFailed(*value)
        if status == "bug":
            raise JobBug(value)
        if status == "busy":
            raise Busy()
        raise WorkerLost()

    async def _slot(self, k: int) -> None:
        """Feed worker k: one job at a time from the queue, with its deadline."""
        loop = asyncio.get_running_loop()
        while True:
            queued, seconds, fn, args, lang, future = await self._queue.get()
            if future.done():
                continue
            if time.monotonic() - queued > QUEUE_SECONDS:
                future.set_result(("busy", None))
                continue
            w = self._workers[k]
            try:
                w.conn.send((seconds, lang, fn, args))
                reply = await asyncio.wait_for(loop.run_in_executor(self._threads, w.conn.recv),
                                               seconds + GRACE_SECONDS)
            except (asyncio.TimeoutError, EOFError, OSError):
                # Dead, stopped or stuck: this job is lost, the worker replaced.
                w.kill()
                self._workers[k] = _Worker()
                reply = ("lost", None)
            except asyncio.CancelledError:
                if not future.done():
                    future.set_result(("lost", None))
                raise
            if not future.done():
                future.set_result(reply)


def _serve(conn) -> None:
    """A worker's life: jobs from the pipe, one at a time, until the pipe closes."""
    _ignore_interrupts()
    _warm_up()
    while True:
        try:
            seconds, lang, fn, args = conn.recv()
        except (EOFError, OSError):
            return
        from .. import conventions, i18n
        with i18n.using(lang), conventions.using(conventions.DEFAULT):
            reply = _run(seconds, fn, *args)
        try:
            conn.send(reply)
        except Exception as e:        # a result that does not pickle: a bug in tutor
            conn.send(("bug", f"internal error: a job's result could not be sent: {e}"))


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
def _parsed(text: str, file: str):
    from ..problem import parse_problem
    return parse_problem(text, file)


def _problem(text: str, file: str, at: dict | None = None):
    """The problem of ``text``; with ``at`` (what ``trained`` returned), at those weights."""
    p = _parsed(text, file)
    from .. import conventions
    conventions.set_current(p.convention)    # (this job's names: the problem's)
    if at is not None:
        import numpy as np
        p = p.with_params({k: np.array(v) for k, v in at["params"].items()}, at["origin"])
    return p


def variant_weights(text: str, file: str, variant: int, seed: int) -> dict:
    """The weights of worksheet variant ``variant`` of ``seed``, as ``trained`` gives them."""
    from ..variants import variant_problem
    p = variant_problem(_problem(text, file), seed, variant)
    return {"params": {k: v.tolist() for k, v in p.params.items()}, "origin": p.origin,
            "epoch": 0, "variant": variant, "seed": seed}


def trained(text: str, file: str, epoch: int) -> dict:
    """The weights after ``epoch`` epochs of the problem's own training, as `tutor derive
    --epoch` takes them: {params: {W1: nested lists}, origin, epoch}."""
    from ..training import at_epoch
    p = at_epoch(_problem(text, file), epoch)
    return {"params": {k: v.tolist() for k, v in p.params.items()}, "origin": p.origin,
            "epoch": epoch}


MAX_UPLOAD_PARAMS = 100_000   # the web tutor's networks; larger ones on the command line


def parse(text: str, file: str):
    """The problem, validated exactly as the command line validates a file (so that an
    uploaded text is never parsed in the server's own process), and small enough for the web
    tutor: at most MAX_UPLOAD_PARAMS parameters (a page shows a box for each)."""
    from ..errors import ProblemError
    from ..problem import Problem, parse_any
    problem = parse_any(text, file)
    if not isinstance(problem, Problem):     # a computational graph (at most MAX_NODES)
        return problem
    count = problem.network.n_params
    if count > MAX_UPLOAD_PARAMS:
        raise ProblemError(_("{count:,} parameters; the web tutor takes networks of at most "
                             "{max_upload_params:,} (tutor derive and tutor train on the "
                             "command line take larger ones)").format(
                                 count=count, max_upload_params=MAX_UPLOAD_PARAMS), file=file,
                                 field="network.layers")
    return problem


def overview(text: str, file: str, at: dict | None = None) -> dict:
    """What a problem page shows before any derivation: the forward pass (HTML) and the batch
    loss at the problem's parameters (or at ``at``'s)."""
    from .. import engine
    from ..derivation import forward_definitions
    from ..printing.htmldoc import HtmlDocPrinter
    import numpy as np
    p = _problem(text, file, at)
    printer = HtmlDocPrinter()
    with np.errstate(all="ignore"):   # an overflowing problem says so in its derivation
        loss = engine.batch_loss(p.network, p.loss_fn, p.params, p.inputs, p.targets)
    return {"forward": printer._print_definitions(forward_definitions(p)),
            "loss": float(loss)}


def derivation_html(text: str, file: str, param: str, sample: int | None = None,
                    at: dict | None = None) -> str:
    """One parameter's verified derivation as HTML steps, with the numbers of ``sample``, at
    the problem's weights or ``at``'s."""
    from ..derivation import derive, verified
    from ..printing.htmldoc import html_derivation
    d = verified(derive(_problem(text, file, at), [param], sample=sample))
    return html_derivation(d.gradients[0])


def graph_html(text: str, file: str) -> str:
    """A computational graph's verified derivation as an HTML article, its picture first."""
    from ..graph import derive_graph, verified_graph
    from ..printing import render
    from ..problem import parse_any
    return render(verified_graph(derive_graph(parse_any(text, file))), "html", fragment=True)


def graph_json(text: str, file: str) -> str:
    from ..graph import derive_graph, verified_graph
    from ..printing import json
    from ..problem import parse_any
    return json(verified_graph(derive_graph(parse_any(text, file))))


def graph_check(text: str, file: str, answers_text: str, answers_file: str,
                rtol: float | None = None, atol: float | None = None) -> dict:
    """``tutor check`` of a graph's answers, as data."""
    import json as _json

    from ..defaults import ATOL, RTOL
    from ..graphcheck import check_graph, report_json
    from ..problem import parse_any
    report = check_graph(parse_any(text, file), answers_text, answers_file,
                         rtol=RTOL if rtol is None else rtol,
                         atol=ATOL if atol is None else atol)
    return _json.loads(report_json(report))


def derivation_json(text: str, file: str, params: list[str] | None, sample: int) -> str:
    """``tutor derive --format json``, verified."""
    from ..derivation import derive, verified
    from ..printing import json
    return json(verified(derive(_problem(text, file), params, sample=sample)))


def check(text: str, file: str, answers_text: str, answers_file: str,
          rtol: float | None = None, atol: float | None = None, at: dict | None = None
          ) -> dict:
    """``tutor check --format json``, as data (at ``at``'s weights when given)."""
    from ..answers import parse_answers
    from ..checking import ATOL, RTOL, grade
    from ..printing.checkreport import as_dict
    p = _problem(text, file, at)
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
