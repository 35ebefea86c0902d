"""The rules of a worksheet: which variant, which sample, the rounding, and its exercises with
their parts and points. One source for the sheet that is printed, its key, the blank answers
file students fill in, and the grading.

A part is one answer: ``(kind, name)`` as in the answers format (``value z1[2]``,
``formula W1[2,1]``, ``sample_gradient W1[2,1]``, ``update W1[2,1]``).

    1. Forward pass        every z, a, ŷ and ℓ of the sample        1 point each
    2. Chain rule          ∂ℓ/∂p of each chosen parameter:          3 points each
                           its formula (2) and its value (1)
    3. One step            p ← p − η ∂ℓ/∂p of each parameter       1 point each
    4. Delta form          δ of the output and of layer l (2), and  4 points
                           ∂ℓ/∂W⁽ˡ⁾ = δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ (2)
    5. A sum over paths    a parameter with several paths:          4 points
                           its formula (3) and its value (1)
"""

from __future__ import annotations

from dataclasses import dataclass

from .answers import quantities
from .i18n import N_
from .names import Name
from .problem import Problem
from .words import Words

POINTS = {"forward": 1, "gradient": 3, "update": 1, "delta": 4, "paths": 4}


@dataclass(frozen=True)
class Part:
    kind: str        # 'value', 'formula', 'sample_gradient', 'update'
    name: str
    points: float


@dataclass(frozen=True)
class Exercise:
    number: int
    title: str
    parts: tuple[Part, ...]

    @property
    def points(self) -> float:
        return sum(p.points for p in self.parts)


@dataclass(frozen=True)
class Sheet:
    """The rules one variant's answers are graded by. ``variant``/``seed`` name its weights
    (None: the problem's own); ``params``: the parameters of exercises 2, 3 and 5."""

    sample: int
    decimals: int
    params: tuple[str, ...]
    exercises: tuple[Exercise, ...]
    variant: int | None = None
    seed: int | None = None

    @property
    def points(self) -> float:
        return sum(e.points for e in self.exercises)

    def exercises_of(self, kind: str, name: str) -> list[tuple[Exercise, Part]]:
        """The exercises (and parts) an answer belongs to."""
        return [(e, p) for e in self.exercises for p in e.parts
                if p.kind == kind and p.name == name]


def delta_layer(problem: Problem) -> int:
    """The layer of exercise 4: the first hidden layer, or the only layer."""
    return 1


def multi_path_param(problem: Problem, params, path_counts: dict[str, int]) -> str | None:
    """The parameter of exercise 5: the first chosen one with several paths to the loss, for
    a network with several outputs."""
    if problem.network.outputs <= 1:
        return None
    return next((p for p in params if path_counts.get(p, 1) > 1), None)


def make_sheet(problem: Problem, sample: int, decimals: int, params, path_counts: dict[str, int],
               variant: int | None = None, seed: int | None = None) -> Sheet:
    """The exercises of a sheet for ``problem`` at its weights, as the worksheet prints them.
    ``path_counts``: the number of chain-rule paths of each chosen parameter."""
    params = tuple(params)
    net = problem.network
    L = len(net.layers)
    forward = [q for q in quantities(problem) if Name.parse(q).kind != "delta"]
    ex = [Exercise(1, N_("Forward pass"),
                   tuple(Part("value", q, POINTS["forward"]) for q in forward))]
    g = POINTS["gradient"]
    ex.append(Exercise(2, N_("Chain rule"), tuple(
        part for p in params for part in (Part("formula", p, g * 2 / 3),
                                          Part("sample_gradient", p, g / 3)))))
    ex.append(Exercise(3, N_("One gradient-descent step"),
                       tuple(Part("update", p, POINTS["update"]) for p in params)))
    layer = delta_layer(problem)
    deltas = ([f"delta{L}[{j}]" for j in range(1, net.outputs + 1)] if layer < L else []) + \
        [f"delta{layer}[{j}]" for j in range(1, net.sizes[layer] + 1)]
    grads = [f"W{layer}[{j},{i}]" for j in range(1, net.sizes[layer] + 1)
             for i in range(1, net.sizes[layer - 1] + 1)]
    half = POINTS["delta"] / 2
    ex.append(Exercise(4, Words("Delta form of layer {l}", l=layer),
                       tuple(Part("value", d, half / len(deltas)) for d in deltas)
                       + tuple(Part("sample_gradient", w, half / len(grads)) for w in grads)))
    multi = multi_path_param(problem, params, path_counts)
    if multi is not None:
        p = POINTS["paths"]
        ex.append(Exercise(5, N_("A sum over paths"), (Part("formula", multi, p * 3 / 4),
                                                    Part("sample_gradient", multi, p / 4))))
    return Sheet(sample=sample, decimals=decimals, params=params, exercises=tuple(ex),
                 variant=variant, seed=seed)


def sheet_for(problem: Problem, params=None, decimals: int | None = None,
              variant: int | None = None, seed: int | None = None,
              sample: int | None = None) -> Sheet:
    """The sheet ``tutor worksheet`` makes of ``problem`` (already at the variant's weights)
    with these parameters and rounding (defaults: the worksheet's)."""
    from .defaults import DECIMALS
    from .derivation import resolve_params
    from .variants import default_params
    refs = resolve_params(problem, params or default_params(problem))
    names = [r.name for r in refs]
    counts = _path_counts(problem, refs)
    return make_sheet(problem, sample or problem.exercise_sample,
                      DECIMALS if decimals is None else decimals, names, counts, variant, seed)


def _path_counts(problem: Problem, refs) -> dict[str, int]:
    """How many chain-rule paths lead from each parameter to ℓ: the product, over the layers
    above the parameter's, of their widths (each path picks one neuron per layer), and one
    path per output through a softmax."""
    net = problem.network
    L = len(net.layers)
    out = {}
    for r in refs:
        n = 1
        for l in range(r.layer + 1, L + 1):
            n *= net.sizes[l]
        if not net.layers[-1].act.elementwise:   # softmax: every z⁽ᴸ⁾ reaches every ŷ
            n *= net.outputs
        out[r.name] = n
    return out


# -------------------------------------------------------------------------------------------
# Points


@dataclass(frozen=True)
class PartScore:
    part: Part
    earned: float
    result: object | None     # the checking.Result of the answer, None when not given

    @property
    def status(self) -> str:
        """'right', 'follow-through', 'trivial follow-through', 'wrong', 'blank' or
        'missing'."""
        r = self.result
        if r is None:
            return "missing"
        if r.blank:
            return "blank"
        if r.ok:
            return "right"
        if r.follow_through:
            return "trivial follow-through" if r.trivial else "follow-through"
        return "wrong"


@dataclass(frozen=True)
class ExerciseScore:
    exercise: Exercise
    parts: tuple[PartScore, ...]

    @property
    def earned(self) -> float:
        return sum(p.earned for p in self.parts)


@dataclass(frozen=True)
class Score:
    exercises: tuple[ExerciseScore, ...]

    @property
    def earned(self) -> float:
        return sum(e.earned for e in self.exercises)

    @property
    def total(self) -> float:
        return sum(e.exercise.points for e in self.exercises)


def earned(part: Part, result) -> float:
    """The points of one part. The rules:

    - right (within the tolerances or the sheet's rounding): all its points;
    - right given the student's own earlier values (follow-through, error carried forward:
      forward values → loss → δ → gradients → the update), all its points, so that one slip
      costs once; but none when that earlier value makes the task trivial (a δ of 0 makes
      every gradient through it 0);
    - anything else (a named mistake, no match, unreadable, blank, not given): none.

    A right formula with a slip in its number thus keeps the formula's points and loses the
    value's (exercise 2: 2 of 3)."""
    if result is None or result.blank:
        return 0.0
    if result.ok or (result.follow_through and not result.trivial):
        return part.points
    return 0.0


def score(sheet: Sheet, results) -> Score:
    by = {(r.answer.kind, r.answer.name): r for r in results}
    return Score(tuple(
        ExerciseScore(e, tuple(PartScore(p, earned(p, by.get((p.kind, p.name))),
                                         by.get((p.kind, p.name))) for p in e.parts))
        for e in sheet.exercises))
