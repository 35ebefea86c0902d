"""Randomized worksheets: per variant the exercises, the full solutions and an answer key.

Everything a worksheet states comes from the same objects as elsewhere: the derivation of
``derive`` (verified three ways before anything is written), the values of the engine, the
loss curve of ``train``; the key is in ``tutor check``'s answers format, so a student's answers
are graded against exactly the numbers of their variant.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .defaults import MAX_VARIANTS  # (the CLI shows it too)
from .answers import quantities
from .checking import sample_values
from .derivation import derive, resolve_params, verified
from .errors import TutorError, VerificationError
from .files import write_file
from .problem import ParamRef, Problem
from .steps import Derivation
from .training import train
from .variants import default_params, exercise_sample, variant_problem

CURVE_POINTS = 100


@dataclass(frozen=True)
class Variant:
    """One student's version. ``derivation``: the chosen parameters' derivations for
    ``sample``; ``values``: every z, a, ŷ, ℓ, δ of that sample by name; ``updates``:
    (name, old, ∂ℓ/∂p, new) of one gradient-descent step on the sample's loss; ``curve``:
    (epoch, loss) of training the variant."""

    number: int
    seed: int
    problem: Problem
    sample: int
    derivation: Derivation
    values: dict[str, float]
    updates: tuple[tuple[str, float, float, float], ...]
    curve: tuple[tuple[int, float], ...]
    multi_path: str | None


def build_variant(problem: Problem, seed: int, number: int, params: list[ParamRef]
                  ) -> Variant:
    vp = variant_problem(problem, seed, number)
    sample = exercise_sample(vp)
    try:
        d = verified(derive(vp, params, sample=sample))
    except VerificationError as e:
        raise VerificationError(f"variant {number}: {e}") from None
    lr = vp.training.lr
    updates = tuple((g.param.name, g.value, g.numbers.sample_gradient,
                     g.value - lr * g.numbers.sample_gradient) for g in d.gradients)
    run = train(vp)
    step = max(1, run.epochs // CURVE_POINTS)
    curve = tuple((e, float(run.losses[e])) for e in range(0, run.epochs, step)
                  if np.isfinite(run.losses[e]))
    multi = next((g.param.name for g in d.gradients if len(g.paths) > 1), None)
    return Variant(number, seed, vp, sample, d, sample_values(vp, sample - 1), updates,
                   curve, multi)


def build(problem: Problem, variants: int, seed: int, params: list[str] | None = None
          ) -> list[Variant]:
    if not 1 <= variants <= MAX_VARIANTS:
        raise TutorError(f"--variants: expected 1 to {MAX_VARIANTS}; got {variants}")
    refs = resolve_params(problem, params or default_params(problem))
    return [build_variant(problem, seed, k, refs) for k in range(1, variants + 1)]


def answer_key(v: Variant, decimals: int, problem_file: str) -> str:
    """The key of one variant in `tutor check`'s answers format (YAML)."""
    import yaml
    r = lambda x: round(float(x), decimals) + 0.0  # noqa: E731  (+0.0: no "-0.0")
    doc = {
        "variant": v.number,
        "seed": v.seed,
        "sample": v.sample,
        "decimals": decimals,
        "sample_gradients": {g.param.name: r(g.numbers.sample_gradient)
                             for g in v.derivation.gradients},
        "values": {k: r(v.values[k]) for k in quantities(v.problem)},
    }
    head = (f"# Answer key: {_one_line(v.problem.name)}, variant {v.number}, seed {v.seed}.\n"
            f"# Grade a student's answers with:\n"
            f"#   tutor check {problem_file} ANSWERS.yaml --variant {v.number} --seed {v.seed}\n")
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _one_line(s: str) -> str:
    return " ".join(s.split())[:80]


def write(problem: Problem, out: Path, variants: list[Variant], decimals: int, pdf: bool
          ) -> list[Path]:
    """worksheet.tex, solutions.tex and keys/variant-NN.yaml in ``out`` (created if need be;
    other files there are left alone), and the PDFs with ``pdf``. Returns what was written."""
    from .latex import compile_pdf, pdflatex
    from .printing.worksheetdoc import solutions_tex, worksheet_tex

    if pdf:
        pdflatex()  # fail before writing anything when TeX is missing
    if out.exists() and not out.is_dir():
        raise TutorError(f"{out}: exists and is not a directory")
    try:
        (out / "keys").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TutorError(f"{out}: cannot create the directory: {e.strerror or e}") from None
    width = max(2, len(str(len(variants))))
    written = []
    sheet, sols = worksheet_tex(variants, decimals), solutions_tex(variants, decimals)
    for name, tex in (("worksheet", sheet), ("solutions", sols)):
        write_file(out / f"{name}.tex", tex)
        written.append(out / f"{name}.tex")
    for v in variants:
        path = out / "keys" / f"variant-{v.number:0{width}d}.yaml"
        write_file(path, answer_key(v, decimals, problem.file or "PROBLEM"))
        written.append(path)
    if pdf:
        for name, tex in (("worksheet", sheet), ("solutions", sols)):
            compile_pdf(tex, out / f"{name}.pdf")
            written.append(out / f"{name}.pdf")
    return written
