"""Checking gradients: central finite differences of the engine's loss, and the comparison of
the three ways tutor computes every gradient (symbolic, NumPy backward, finite differences)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import engine
from .problem import ParamRef, Problem
from .steps import Check

# Step of the fourth-order central difference. Its truncation error is O(h⁴) ≈ 1e-12 · f⁽⁵⁾,
# its rounding error about 1.5 · eps · |L| / h ≈ 1e-13: both far below what is checked.
EPS = 1e-3
# Symbolic and NumPy values are both exact up to float rounding: they must agree closely.
SYMBOLIC_RTOL = 1e-9
# The usual gradient-check scale: a relative error of at most 1e-7 is good.
FD_RTOL = 1e-7
# Magnitudes below FLOOR·max(1, |L|) count as that in relative errors. Below it rounding
# decides: a difference quotient of float64 losses carries an error of about
# 1.5·eps·|L|/h ≈ 3e-13·|L|, and a sum of chain-rule terms that cancels to a true 0 leaves
# about eps times its terms (1e-16 against an exact 0 is agreement, not a 100 % error).
FLOOR = 1e-5

_STENCIL = np.array([-2.0, -1.0, 1.0, 2.0])
_WEIGHTS = np.array([1.0, -8.0, 8.0, -1.0]) / 12.0


def relative_error(a: float, b: float, floor: float) -> float:
    """|a − b| / max(|a|, |b|, floor)."""
    return abs(a - b) / max(abs(a), abs(b), floor)


def make_check(symbolic: float, numpy_value: float, fd: float, kink: bool, loss: float
               ) -> Check:
    """The three values of one gradient compared; ``loss`` is the batch loss L."""
    floor = FLOOR * max(1.0, abs(loss))
    return Check(symbolic=symbolic, numpy=numpy_value, finite_difference=fd,
                 symbolic_error=relative_error(symbolic, numpy_value, floor),
                 fd_error=relative_error(fd, numpy_value, floor),
                 kink=kink, symbolic_tol=SYMBOLIC_RTOL, fd_tol=FD_RTOL)


def finite_differences(problem: Problem, refs: Sequence[ParamRef], eps: float = EPS
                       ) -> tuple[np.ndarray, np.ndarray]:
    """∂L/∂p ≈ [L(p−2h) − 8L(p−h) + 8L(p+h) − L(p+2h)] / 12h for every p in ``refs``.

    All 4·P perturbed networks run as copies in one vectorised forward pass. Returns the
    estimates (P,) and, for each, whether a relu-type neuron changes side of 0 in any of its
    four perturbed copies (a kink between the points, where the difference means nothing).
    """
    P = len(refs)
    net = problem.network
    if P == 0:
        return np.zeros(0), np.zeros(0, dtype=bool)
    copies = {name: np.repeat(value[None], 4 * P, axis=0)
              for name, value in problem.params.items()}
    for k, ref in enumerate(refs):
        arr = copies[ref.array]
        for s, step in enumerate(_STENCIL):
            arr[(4 * k + s,) + ref.index] += step * eps
    fw = engine.forward(net, copies, problem.inputs)
    L = engine.sample_losses(net, problem.loss, fw, problem.targets).mean(axis=-1)
    estimates = (L.reshape(P, 4) @ _WEIGHTS) / eps

    kinks = np.zeros(P, dtype=bool)
    base = None
    for l, layer in enumerate(net.layers):
        if layer.activation not in ("relu", "leaky_relu"):
            continue
        if base is None:
            base = engine.forward(net, problem.params, problem.inputs)
        flips = np.sign(fw.zs[l]) != np.sign(base.zs[l])[None]
        kinks |= flips.reshape(P, -1).any(axis=1)
    return estimates, kinks
