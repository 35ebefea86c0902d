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
from .conventions import shown
from .i18n import _
from .files import write_file
from .problem import ParamRef, Problem
from .sheet import Sheet, make_sheet
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
    student: tuple[str, str] | None = None     # (id, name) of a roster's student

    def sheet(self, decimals: int) -> Sheet:
        """The rules this variant's answers are graded by (exercises, parts, points)."""
        counts = {g.param.name: max(g.path_count, len(g.paths))
                  for g in self.derivation.gradients}
        return make_sheet(self.problem, self.sample, decimals,
                          [g.param.name for g in self.derivation.gradients], counts,
                          self.number, self.seed)


def build_variant(problem: Problem, seed: int, number: int, params: list[ParamRef],
                  student: tuple[str, str] | None = None, curve: bool = True) -> Variant:
    """One variant; ``curve``: also train it for the solutions' loss curve."""
    vp = variant_problem(problem, seed, number)
    sample = exercise_sample(vp)
    try:
        d = verified(derive(vp, params, sample=sample))
    except VerificationError as e:
        raise VerificationError(_("variant {n}: {why}").format(n=number, why=e)) from None
    lr = vp.training.lr
    updates = tuple((g.param.name, g.value, g.numbers.sample_gradient,
                     g.value - lr * g.numbers.sample_gradient) for g in d.gradients)
    points: tuple[tuple[int, float], ...] = ()
    if curve:
        points = _curve(train(vp).losses)
    multi = next((g.param.name for g in d.gradients if len(g.paths) > 1), None)
    return Variant(number, seed, vp, sample, d, sample_values(vp, sample - 1), updates,
                   points, multi, student)


def _curve(losses: np.ndarray) -> tuple[tuple[int, float], ...]:
    epochs = losses.shape[0]
    step = max(1, epochs // CURVE_POINTS)
    return tuple((e, float(losses[e])) for e in range(0, epochs, step)
                 if np.isfinite(losses[e]))


def with_curves(variants: list[Variant]) -> list[Variant]:
    """The variants with their loss curves, all trained at once on the engine's copy axis
    (each curve equal to training its variant alone)."""
    import dataclasses
    if not variants:
        return variants
    base = variants[0].problem
    starts = {k: np.stack([v.problem.params[k] for v in variants]) for k in base.params}
    run = train(base, starts=starts)
    return [dataclasses.replace(v, curve=_curve(run.losses[:, c]))
            for c, v in enumerate(variants)]


def build(problem: Problem, variants: int, seed: int, params: list[str] | None = None
          ) -> list[Variant]:
    if not 1 <= variants <= MAX_VARIANTS:
        raise TutorError(_("--variants: expected 1 to {max_variants}; got {variants}").format(
                             max_variants=MAX_VARIANTS, variants=variants))
    refs = resolve_params(problem, params or default_params(problem))
    return with_curves([build_variant(problem, seed, k, refs, curve=False)
                        for k in range(1, variants + 1)])


def _rules(v: Variant, decimals: int) -> dict:
    return {"variant": v.number, "seed": v.seed, "sample": v.sample, "decimals": decimals,
            "params": [shown(g.param.name) for g in v.derivation.gradients]}


def _answers(v: Variant, sheet: Sheet) -> dict[str, dict[str, object]]:
    """The sheet's parts by section of the answers format, with their right answers."""
    from .printing.exprs import ascii
    r = lambda x: round(float(x), sheet.decimals) + 0.0  # noqa: E731  (+0.0: no "-0.0")
    grads = {g.param.name: g for g in v.derivation.gradients}
    new = {name: after for name, _old, _grad, after in v.updates}
    sections: dict[str, dict[str, object]] = {"values": {}, "formulas": {},
                                               "sample_gradients": {}, "updates": {}}
    for e in sheet.exercises:
        for part in e.parts:
            if part.kind == "value":
                sections["values"][part.name] = r(v.values[part.name])
            elif part.kind == "formula":
                sections["formulas"][part.name] = ascii(grads[part.name].expression)
            elif part.kind == "sample_gradient":
                g = grads.get(part.name)
                value = g.numbers.sample_gradient if g is not None else _sample_gradient(
                    v, part.name)
                sections["sample_gradients"][part.name] = r(value)
            elif part.kind == "update":
                sections["updates"][part.name] = r(new[part.name])
    return sections


def _sample_gradient(v: Variant, name: str) -> float:
    """∂ℓ/∂p of the variant's sample from its δ (exercise 4's matrix): δⱼ·aᵢ."""
    from .names import Name
    n = Name.parse(name)
    l, (j, i) = n.layer, n.indices
    a = (float(v.problem.inputs[v.sample - 1][i - 1]) if l == 1
         else v.values[f"a{l - 1}[{i}]"])
    return v.values[f"delta{l}[{j}]"] * a


def answer_key(v: Variant, decimals: int, problem_file: str) -> str:
    """The key of one variant in `tutor check`'s answers format (YAML): every part of the
    sheet answered right, and the sheet's rules (variant, seed, sample, rounding,
    parameters), so that grading against it needs nothing restated."""
    import yaml
    sheet = v.sheet(decimals)
    doc = {**_rules(v, decimals),
           **{section: {shown(k): x for k, x in entries.items()}
              for section, entries in _answers(v, sheet).items()}}
    head = ("# " + _("Answer key: {problem}, variant {k}, seed {s}{student}.").format(
                problem=_one_line(v.problem.name), k=v.number, s=v.seed,
                student=_student_words(v)) + "\n"
            + "# " + _("Grade a student's answers with:") + "\n"
            + f"#   tutor check {problem_file} ANSWERS.yaml --key THIS-KEY.yaml\n")
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _student_words(v: Variant) -> str:
    return "" if v.student is None else _(", for {name} ({id})").format(
        name=_one_line(v.student[1]), id=v.student[0])


def answer_template(v: Variant, decimals: int, problem_file: str) -> str:
    """The blank answers file of one variant: every part of the sheet present and empty, a
    comment per exercise saying what goes there. `tutor check` grades it partly filled."""
    import json
    sheet = v.sheet(decimals)
    sections = _answers(v, sheet)
    said = {"values": _("the value"),
            "formulas": _("the formula, in tutor's symbols, e.g. (yhat - y)*a1[3]"),
            "sample_gradients": _("the value of ∂ℓ/∂p"),
            "updates": _("the parameter after the step")}
    lines = ["# " + _("Your answers: {problem}, variant {k}, seed {s}{student}.").format(
                 problem=_one_line(v.problem.name), k=v.number, s=v.seed,
                 student=_student_words(v)),
             "# " + _("Fill in what you computed; leave the rest blank. Round every number to "
                      "{d} decimals.").format(d=decimals),
             "# " + _("Check them yourself with:  {command}").format(
                 command=f"tutor check {problem_file} THIS-FILE.yaml"), ""]
    for key, value in _rules(v, decimals).items():
        lines.append(f"{key}: {json.dumps(value)}")
    if v.student is not None:
        lines.append(f"student: {json.dumps({'id': v.student[0], 'name': v.student[1]}, ensure_ascii=False)}")
    where = {}
    for e in sheet.exercises:
        for part in e.parts:
            where.setdefault((part.kind, part.name), e)
    kinds = {"values": "value", "formulas": "formula", "sample_gradients": "sample_gradient",
             "updates": "update"}
    for section, entries in sections.items():
        if not entries:
            continue
        lines += ["", f"{section}:   # {said[section]}"]
        last = None
        for name in entries:
            e = where[(kinds[section], name)]
            if e is not last:
                lines.append("  # " + _("exercise {n}: {title}").format(n=e.number,
                                                                       title=_(e.title)))
                last = e
            lines.append(f"  {json.dumps(shown(name))}:")
    return "\n".join(lines) + "\n"


def safe_stem(student_id: str) -> str:
    """A student id as a file name: letters, digits, '.', '_' and '-' kept, the rest '_'."""
    import re
    stem = re.sub(r"[^A-Za-z0-9._-]", "_", student_id)[:64].lstrip(".")
    return stem or "student"


def _file_stem(v: Variant, width: int) -> str:
    """variant-03, or for a roster's student their id (made safe as a file name)."""
    if v.student is not None:
        return safe_stem(v.student[0])
    return f"variant-{v.number:0{width}d}"


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
        raise TutorError(_("{out}: exists and is not a directory").format(out=out))
    try:
        (out / "keys").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise TutorError(_("{out}: cannot create the directory: {why}").format(
                             out=out, why=e.strerror or e)) from None
    width = max(2, len(str(len(variants))))
    written = []
    sheet, sols = worksheet_tex(variants, decimals), solutions_tex(variants, decimals)
    for name, tex in (("worksheet", sheet), ("solutions", sols)):
        write_file(out / f"{name}.tex", tex)
        written.append(out / f"{name}.tex")
    (out / "answers").mkdir(exist_ok=True)
    for v in variants:
        stem = _file_stem(v, width)
        for folder, text in (("keys", answer_key(v, decimals, problem.file or "PROBLEM")),
                             ("answers", answer_template(v, decimals,
                                                         problem.file or "PROBLEM"))):
            path = out / folder / f"{stem}.yaml"
            write_file(path, text)
            written.append(path)
    if pdf:
        for name, tex in (("worksheet", sheet), ("solutions", sols)):
            compile_pdf(tex, out / f"{name}.pdf")
            written.append(out / f"{name}.pdf")
    return written
