"""Per-student variants of a problem: the same network and data, other initial weights.

Variant k of seed S draws its weights and biases from ``default_rng([S, k])`` on the grid
−1.0, −0.9, …, 1.0 without 0, so that every number of the exercise has one decimal and hand
calculation stays pleasant; the same (S, k) always gives the same variant.
"""

from __future__ import annotations

import numpy as np

from .i18n import _
from .problem import Problem

GRID = np.round(np.concatenate([np.arange(-10, 0), np.arange(1, 11)]) / 10, 1)


def variant_params(problem: Problem, seed: int, variant: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([seed, variant])
    return {name: rng.choice(GRID, size=shape)
            for name, shape in problem.network.shapes().items()}


def variant_problem(problem: Problem, seed: int, variant: int) -> Problem:
    """``problem`` with the initial values of variant ``variant`` (1-based) of ``seed``."""
    return problem.with_params(variant_params(problem, seed, variant),
                               _("the parameters of variant {k} (seed {s})").format(
                                   k=variant, s=seed))


def exercise_sample(problem: Problem) -> int:
    """The sample (1-based) of the hand calculation: the first with the most non-zero inputs,
    so that no input weight's gradient is trivially 0."""
    return problem.exercise_sample


def default_params(problem: Problem) -> list[str]:
    """One weight of the output layer, one of the first hidden layer, one hidden bias (for a
    single layer: one weight and the bias)."""
    L = len(problem.network.layers)
    k = exercise_sample(problem) - 1
    i = int(np.argmax(problem.inputs[k] != 0)) + 1  # an input that is not 0 in the sample
    if L == 1:
        return [f"W1[1,{i}]", "b1[1]"]
    return [f"W{L}[1,1]", f"W1[1,{i}]", "b1[1]"]
