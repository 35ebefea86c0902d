"""Parameter values from elsewhere: a run saved by ``tutor train -f json``, or a file of arrays.

    tutor train problems/xor.yaml --epochs 5000 --snapshot 1000 -f json -o run.json
    tutor derive problems/xor.yaml --params run.json               # after the 5000 epochs
    tutor derive problems/xor.yaml --params run.json --epoch 1000  # the kept snapshot

A file of arrays is YAML or JSON with one entry per parameter array, shaped as in a problem's
``init:`` section (``W1: [[…], …]``, ``b1: […]``, …). Every array is validated against the
problem's network, and errors name the file and the field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import ProblemError, TutorError
from .i18n import _, ngettext
from .problem import Problem, _read_yaml, _Validator

# A saved sweep of many seeds with its loss curves is large: read at most this much.
MAX_RUN_BYTES = 64 * 2**20


def load_params(path: str | Path, problem: Problem, *, epoch: int | None = None,
                seed: int | None = None) -> Problem:
    """``problem`` at the parameters stored in ``path``: a file of arrays, or a run of
    ``tutor train -f json`` (its final parameters, or with ``epoch`` its snapshot of that
    epoch; of a sweep, the run of ``seed``)."""
    from .files import FileTooLarge, read_bytes
    file = str(path)
    try:
        data = read_bytes(path, MAX_RUN_BYTES)
    except FileTooLarge:
        raise ProblemError(_("a parameters file is at most {n} MiB; this one is larger").format(
                               n=MAX_RUN_BYTES // 2**20), file=file) from None
    except TutorError as e:
        raise ProblemError(str(e), file=file) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise ProblemError(_("not UTF-8 text (byte {start})").format(
                               start=e.start), file=file) from None
    return parse_params(text, problem, file, epoch=epoch, seed=seed)


def parse_params(text: str, problem: Problem, file: str = "<params>", *,
                 epoch: int | None = None, seed: int | None = None) -> Problem:
    if text.lstrip().startswith("{"):
        try:
            doc = json.loads(text, parse_constant=_no_constant)
        except (ValueError, RecursionError) as e:
            line = getattr(e, "lineno", None)
            why = getattr(e, "msg", None) or str(e)
            raise ProblemError(_("not valid JSON: {why}").format(
                                   why=why), file=file, line=line) from None
        lines: dict[str, int] = {}
    else:
        doc, lines = _read_yaml(text, file)
    v = _Validator(file, lines)
    if isinstance(doc, dict) and "format" in doc:
        return _from_run(doc, problem, v, epoch, seed)
    if epoch is not None:
        raise v.error("", _("--epoch picks a snapshot of a run saved by `tutor train -f "
                            "json`; this is a file of arrays (derive at it without --epoch)"))
    return problem.with_params(_arrays(doc, problem, v, ""),
                               _("the parameters of {file}").format(file=file))


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number here")


def _arrays(doc: Any, problem: Problem, v: _Validator, field: str) -> dict:
    """The arrays of a file, weights in the problem's convention ((fan_in, units) in dlfs, as
    its file and `tutor train -f json` write them)."""
    shapes = problem.network.shapes()
    doc = v.mapping(doc, field, tuple(shapes), ())
    from . import conventions
    swapped = conventions.CONVENTIONS[problem.convention].swapped
    out = {}
    for name, shape in shapes.items():
        f = f"{field}.{name}" if field else name
        if name[0] == "W" and swapped:
            out[name] = v.array(doc[name], f, shape[::-1], "weights").T.copy()
        else:
            out[name] = v.array(doc[name], f, shape, "weights" if name[0] == "W" else "biases")
    return out


def _from_run(doc: dict, problem: Problem, v: _Validator, epoch: int | None,
              seed: int | None) -> Problem:
    if doc.get("format") != 1 or "params" not in doc and "runs" not in doc:
        raise v.error("format", _("expected the JSON of `tutor train -f json` (format 1)"))
    network = problem.network.describe()
    if doc.get("network") != network:
        raise v.error("network", _("this run trained a {trained} network; the problem's is "
                                   "{network}").format(trained=doc.get('network'), network=network))
    field = ""
    run = doc
    if "runs" in doc:
        runs = doc["runs"] if isinstance(doc["runs"], list) else []
        seeds = [r.get("seed") for r in runs if isinstance(r, dict)]
        if seed is None:
            raise v.error("runs", _("this sweep holds {n} runs (seeds {first}–{last}); give "
                                    "--seed S to pick one").format(
                                        n=len(runs), first=seeds[0], last=seeds[-1])
                          if seeds else _("this sweep holds no runs"))
        if seed not in seeds:
            raise v.error("runs", _("no run with seed {seed} in this sweep (seeds "
                                    "{first}–{last})").format(seed=seed, first=seeds[0],
                                                              last=seeds[-1]))
        k = seeds.index(seed)
        run, field = runs[k], f"runs[{k}]"
    elif seed is not None and run.get("seed") != seed:
        raise v.error("seed", _("this run has seed {had}, not {seed}").format(
            had=run.get("seed"), seed=seed))
    epochs = run.get("epochs", doc.get("epochs"))
    if epoch is None or epoch == epochs:
        params = _arrays(run.get("params"), problem, v, f"{field}.params".lstrip("."))
        at = epochs
    else:
        snaps = run.get("snapshots") or []
        found = [k for k, s in enumerate(snaps) if isinstance(s, dict) and s.get("epoch") == epoch]
        if not found:
            kept = [s.get("epoch") for s in snaps if isinstance(s, dict)]
            raise v.error(f"{field}.snapshots".lstrip("."),
                          (_("no snapshot of epoch {epoch}; this run kept {kept} and its last, "
                             "{last} (train with --snapshot N to keep others)") if kept else
                           _("no snapshot of epoch {epoch}; this run kept only its last epoch, "
                             "{last} (train with --snapshot N to keep others)")).format(
                              epoch=epoch, kept=", ".join(map(str, kept)), last=epochs))
        k = found[0]
        params = _arrays(snaps[k].get("params"), problem, v,
                         f"{field}.snapshots[{k}].params".lstrip("."))
        at = epoch
    s = doc.get("settings") or {}
    how = f"η = {s.get('lr')}" + (_(", seed {s}").format(s=run.get("seed"))
                                  if run.get("seed") is not None else "")
    return problem.with_params(params, ngettext(
        "the parameters after {n} epoch of training ({how}, read from {file})",
        "the parameters after {n} epochs of training ({how}, read from {file})", at).format(
            n=at, how=how, file=v.file))
