"""Quiz questions for learning platforms, whose wrong answers carry tutor's diagnosis.

For each variant of a worksheet and each numerical part of its sheet (every forward value, each
∂ℓ/∂p, each updated parameter, the delta form), one numerical question: the variant's weights
and sample, the right answer as the worksheet's key writes it with a tolerance of half a unit
of the sheet's rounding, and an answer for each usual mistake, worth 0, whose feedback is what
``tutor check`` says for that value (each mistake's value is graded by the same checker, with
the sheet's rules, and its words are taken from that grade).

Variants are kept only when their answers can be told apart: the right value and the value of
every mistake lie more than two tolerances from each other, so that no wrong method is graded
right by luck and no feedback is ambiguous (a slip that gives exactly the right value, as
x₂ for x₁ where both are 1, changes nothing and is not offered). A variant that fails is
redrawn deterministically
(variant k + N, k + 2N, … of the same seed, N the number asked for), and its questions say so.
The printers are in ``printing.lms``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .answers import Answer, Answers
from .checking import ATOL, RTOL, _Grader
from .errors import TutorError
from .problem import Problem
from .sheet import Exercise, Part, Sheet, sheet_for
from .variants import variant_problem
from .words import Words
from .i18n import _

MAX_REDRAWS = 50
NUMERIC = ("value", "sample_gradient", "update")


@dataclass(frozen=True)
class Choice:
    """One answer of a numerical question: the value as typed (rounded), and for a mistake
    its id and the checker's words."""

    value: float
    mistake: str | None = None
    feedback: Words | None = None


@dataclass(frozen=True)
class Question:
    variant: int
    seed: int
    slot: int                 # the variant asked for (1 … N); ``variant`` may be a redraw
    problem: Problem          # at the variant's weights
    sheet: Sheet
    exercise: Exercise
    part: Part
    right: float              # as the key writes it
    tolerance: float
    mistakes: tuple[Choice, ...]

    @property
    def redrawn(self) -> bool:
        return self.variant != self.slot


class Indistinct(Exception):
    """A variant whose right answer and mistakes are too close to tell apart."""


def tolerance(decimals: int) -> float:
    """Half a unit of the last decimal: a correctly rounded answer is within it."""
    return 0.5 * 10.0 ** -decimals


def variant_questions(problem: Problem, seed: int, variant: int, slot: int,
                      params=None, decimals: int = 4) -> list[Question]:
    """The questions of one variant; Indistinct when they cannot all be told apart."""
    vp = variant_problem(problem, seed, variant)
    sheet = sheet_for(vp, params, decimals, variant, seed)
    parts, seen = [], set()
    for e in sheet.exercises:
        for p in e.parts:
            if p.kind in NUMERIC and (p.kind, p.name) not in seen:
                seen.add((p.kind, p.name))
                parts.append((e, p))
    answers = Answers("<export>", sheet.sample, decimals,
                      tuple(Answer(p.kind, p.name, "0", 0.0, None) for _e, p in parts))
    grader = _Grader(vp, answers, RTOL, ATOL, sample=sheet.sample, decimals=decimals)
    tol = tolerance(decimals)
    out = {}
    # The gradients first: their many mistakes are where a variant usually fails.
    for e, p in sorted(parts, key=lambda ep: ep[1].kind != "sample_gradient"):
        exact, candidates, grade = _part(grader, p)
        right = round(exact, decimals) + 0.0
        choices: dict[float, Choice] = {}
        same = lambda u, v: abs(u - v) <= 1e-12 * max(1.0, abs(u))  # noqa: E731
        exacts: list[float] = []
        for v in candidates:
            if same(v, exact):
                continue      # the slip changes nothing here (x₂ = x₁): not a mistake
            if any(same(v, u) for u in exacts):
                continue      # two slips, one value: the checker names the first
            exacts.append(v)
            typed = round(v, decimals) + 0.0
            if typed in choices or typed == right:
                raise Indistinct(f"{p.name}: two answers round to the same value")
            result = grade(Answer(p.kind, p.name, f"{typed:.{decimals}f}", typed, None))
            if result.ok:
                raise Indistinct(f"{p.name}: a mistake is graded right")
            if result.mistake is None or result.follow_through:
                continue          # rounded, it is no longer that mistake: not offered
            choices[typed] = Choice(typed, result.mistake, result.diagnosis)
        values = sorted([right] + list(choices))
        if any(b - a <= 2 * tol * (1 + 1e-9) for a, b in zip(values, values[1:])):
            raise Indistinct(f"{p.name}: two answers closer than the rounding")
        out[(p.kind, p.name)] = Question(variant, seed, slot, vp, sheet, e, p, right, tol,
                                         tuple(choices.values()))
    return [out[(p.kind, p.name)] for _e, p in parts]


def _part(grader: _Grader, p: Part):
    """(right value, the usual mistakes' values, the checker's grade of one answer)."""
    if p.kind == "value":
        return (grader.true_values[p.name],
                [s.value for s in grader.value_hints.get(p.name, [])], grader.grade_value)
    g = grader.grad(p.name)
    if p.kind == "sample_gradient":
        return (g.numbers.sample_gradient,
                [s.value for s in grader.number_mistakes(p.name, False)], grader.grade_number)
    lr = grader.p.training.lr
    return (g.value - lr * g.numbers.sample_gradient,
            [v for _a, _b, v in grader.update_slips(p.name)],
            lambda a: grader.grade_update(a, None))


def slot_questions(problem: Problem, slot: int, variants: int, seed: int, params=None,
                   decimals: int = 4) -> list[Question]:
    """The questions of variant ``slot``: its own draw, or the first redraw (slot + N, slot +
    2N, …) whose answers can be told apart."""
    for r in range(MAX_REDRAWS + 1):
        try:
            return variant_questions(problem, seed, slot + r * variants, slot, params, decimals)
        except Indistinct:
            continue
    raise TutorError(_("variant {slot}: no redraw within {max_redraws} tries gives answers "
                       "that can be told apart; try more --decimals").format(
                           slot=slot, max_redraws=MAX_REDRAWS))


def _slots(args):
    problem, slots, variants, seed, params, decimals = args
    return [slot_questions(problem, k, variants, seed, params, decimals) for k in slots]


def questions(problem: Problem, variants: int, seed: int, params=None, decimals: int = 4,
              progress=None, workers: int | None = None) -> list[Question]:
    """The questions of ``variants`` variants (in order), on ``workers`` processes (default:
    the machine's cores, for more than a few variants)."""
    import os
    workers = workers or (os.cpu_count() or 1)
    slots = list(range(1, variants + 1))
    out: list[Question] = []
    if workers == 1 or variants < 8:
        for k in slots:
            out += slot_questions(problem, k, variants, seed, params, decimals)
            if progress:
                progress(k)
        return out
    from concurrent.futures import ProcessPoolExecutor
    size = max(1, min(10, variants // (4 * workers)))
    chunks = [slots[i:i + size] for i in range(0, variants, size)]
    done = 0
    with ProcessPoolExecutor(workers) as pool:
        for result in pool.map(_slots, [(problem, c, variants, seed, params, decimals)
                                        for c in chunks]):
            for qs in result:
                out += qs
            done += sum(1 for _r in result)
            if progress:
                progress(done)
    return out


def write_keys(problem: Problem, qs: list[Question], folder, params, decimals: int) -> None:
    """keys/variant-NN.yaml for each exported variant (NN its slot), as tutor worksheet
    writes them; a redrawn variant's key names its variant number and says so."""
    from pathlib import Path

    from .derivation import resolve_params
    from .files import write_file
    from .variants import default_params
    from .worksheet import answer_key, build_variant
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    refs = resolve_params(problem, params or default_params(problem))
    seen = {}
    for q in qs:
        seen.setdefault(q.slot, q)
    width = max(2, len(str(max(seen, default=1))))
    for slot, q in sorted(seen.items()):
        v = build_variant(problem, q.seed, q.variant, refs, curve=False)
        text = answer_key(v, decimals, problem.file or "PROBLEM")
        if q.redrawn:
            text = (f"# Variant {q.variant} stands for variant {slot}: the answers of variant "
                    f"{slot}'s first draw could not be told apart in the quiz.\n" + text)
        write_file(folder / f"variant-{slot:0{width}d}.yaml", text)
