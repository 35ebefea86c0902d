"""Checking gradients: central finite differences of the engine's loss, and the comparison of
the three ways tutor computes every gradient (symbolic, NumPy backward, finite differences).

The finite difference is a witness, not the reference. Its step is chosen from the scale of
the function, and it reports its own error, estimated by comparing two steps, so that it never
accuses a correct derivative of being wrong, while a wrong derivative (a missing factor, a
wrong sign, a dropped path) is far outside that error and is caught.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from . import engine
from .problem import ParamRef, Problem
from .steps import Check

# The step in the pre-activation z that the parameter feeds: a weight w⁽ˡ⁾ⱼᵢ moves z⁽ˡ⁾ⱼ by
# h·a⁽ˡ⁻¹⁾ᵢ, so its step is EPS / max(1, |a⁽ˡ⁻¹⁾ᵢ|) (an input of 20 gets a step 20 times
# smaller), rounded down to a power of two (so that h/2 is exact too).
EPS = 1e-3
# When the estimated error of the difference is too large to check to FD_RTOL, the step is
# divided by SHRINK and the difference taken again, at most ROUNDS times in all.
SHRINK = 8.0
ROUNDS = 4
# Symbolic and NumPy values are both exact up to float rounding: they must agree closely.
SYMBOLIC_RTOL = 1e-9
# The usual gradient-check scale: a relative error of at most 1e-7 is good. The tolerance of
# one check is never below it, and above it only by the difference's own estimated error.
FD_RTOL = 1e-7
# How many times its estimated error the difference may be off (the estimate is the change
# between two steps, itself an upper estimate of the error of the smaller step for a
# fourth-order difference: 16 times too large in the limit).
SAFETY = 4.0
# Magnitudes below FLOOR·max(1, |L|) count as that in the symbolic comparison: a sum of
# chain-rule terms that cancels to a true 0 leaves about eps times its terms (1e-16 against an
# exact 0 is agreement, not a 100 % error).
FLOOR = 1e-5
# The rounding error of one loss value, in units of rounding_scale: a few ulp.
LOSS_ROUNDING = 4 * np.finfo(float).eps
# At most this many floats of perturbed forward passes are held at once; the parameters are
# checked in chunks that fit (the result does not depend on the chunking).
BUDGET = 1 << 23

_WEIGHTS = np.array([1.0, -8.0, 8.0, -1.0]) / 12.0
# The stencils at h and h/2 share p ± h: six perturbed points in units of h, and which four
# of them each stencil takes.
_POINTS = np.array([-2.0, -1.0, -0.5, 0.5, 1.0, 2.0])
_AT_H, _AT_HALF = [0, 1, 4, 5], [1, 2, 3, 4]


def relative_error(a: float, b: float, floor: float) -> float:
    """|a − b| / max(|a|, |b|, floor)."""
    return abs(a - b) / max(abs(a), abs(b), floor)


@dataclass(frozen=True)
class Difference:
    """The finite difference of one parameter: its ``value`` (at the smaller of two steps
    h, h/2), its estimated absolute ``error`` (|D(h) − D(h/2)| plus the rounding of the losses
    divided by h), the step ``h`` used, and whether a kink of an activation lies within
    p ± 2h (then the difference does not check the derivative)."""

    value: float
    error: float
    h: float
    kink: bool
    # how much of ``error`` is rounding (which a smaller step only makes larger)
    rounding: float = 0.0


def make_check(symbolic: float, numpy_value: float, fd: Difference, loss: float) -> Check:
    """The three values of one gradient compared; ``loss`` is the batch loss L.

    The finite difference passes when |fd − numpy| ≤ max(FD_RTOL·|g|, SAFETY·error): its
    tolerance is FD_RTOL, raised only by its own estimated error."""
    floor = FLOOR * max(1.0, abs(loss))
    scale = max(abs(fd.value), abs(numpy_value))
    allowed = max(FD_RTOL * scale, SAFETY * fd.error)
    diff = abs(fd.value - numpy_value)
    if not np.isfinite(allowed) or not np.isfinite(fd.value):
        fd_error, fd_tol = float("inf"), FD_RTOL
    elif diff == 0:
        fd_error, fd_tol = 0.0, FD_RTOL
    elif scale < allowed:
        # Both values lie within the difference's own error of 0: express the comparison
        # against that error, so that 'relative error ≤ tolerance' still reads right.
        fd_error, fd_tol = diff / allowed, 1.0
    else:
        fd_error, fd_tol = diff / scale, allowed / scale
    return Check(symbolic=symbolic, numpy=numpy_value, finite_difference=fd.value,
                 symbolic_error=relative_error(symbolic, numpy_value, floor),
                 fd_error=fd_error, kink=fd.kink, symbolic_tol=SYMBOLIC_RTOL,
                 fd_tol=fd_tol, fd_step=fd.h)


def rounding_scale(problem: Problem) -> float:
    """The size that the rounding error of the batch loss L is a few ulp of, to first order:
    every pre-activation z carries an error of about eps·Σᵢ|wᵢaᵢ| + |b|, which moves ℓ by
    |∂ℓ/∂z| = |δ| times it; every hidden activation a one of eps·|a|, times |∂ℓ/∂a|; and the
    loss's own arithmetic adds its ``rounding``. (A finite difference divides this by h: it
    is where the difference stops resolving the derivative.)"""
    net = problem.network
    fw = engine.forward(net, problem.params, problem.inputs)
    bw = engine.backward(net, problem.loss_fn, problem.params, fw, problem.targets, mean=False)
    loss = problem.loss_fn
    total = loss.rounding(fw.zs[-1], fw.output, problem.targets)
    for l, (wname, bname) in enumerate(net.param_names):
        A = np.abs(fw.activations[l])
        absZ = A @ np.abs(problem.params[wname]).T + np.abs(problem.params[bname])
        total = total + (np.abs(bw.deltas[l]) * absZ).sum(axis=-1)
        if l > 0:
            dA = bw.deltas[l] @ problem.params[wname]
            total = total + (A * np.abs(dA)).sum(axis=-1)
    return float(np.mean(total))


def base_steps(problem: Problem, refs: Sequence[ParamRef], base: engine.Forward
               ) -> np.ndarray:
    """The first step h for each parameter: EPS over the size of what it multiplies, rounded
    down to a power of two. ``base``: the forward pass at the problem's parameters."""
    acts = base.activations
    steps = np.empty(len(refs))
    for k, ref in enumerate(refs):
        size = 1.0
        if ref.kind == "W":
            size = max(1.0, float(np.abs(acts[ref.layer - 1][:, ref.col - 1]).max()))
        steps[k] = 2.0 ** np.floor(np.log2(EPS / size))
    return steps


def finite_differences(problem: Problem, refs: Sequence[ParamRef]) -> list[Difference]:
    """∂L/∂p ≈ D(h) = [L(p−2h) − 8L(p−h) + 8L(p+h) − L(p+2h)] / 12h for every p in ``refs``,
    with its estimated error.

    Each round takes the difference at h and h/2 for the parameters not yet settled (six
    perturbed networks each, the two stencils sharing p ± h, as copies in vectorised forward passes, in chunks of at most
    BUDGET floats); a parameter is settled when its estimated error allows a check to FD_RTOL,
    or after ROUNDS rounds, keeping the round with the smallest relative error."""
    P = len(refs)
    base = engine.forward(problem.network, problem.params, problem.inputs)
    scale = rounding_scale(problem)
    steps = base_steps(problem, refs, base)
    best: list[Difference | None] = [None] * P
    todo = list(range(P))
    for _ in range(ROUNDS):
        if not todo:
            break
        results = _differences(problem, [refs[k] for k in todo], steps[todo], base, scale)
        still = []
        for k, d in zip(todo, results):
            if best[k] is None or _badness(d) < _badness(best[k]):
                best[k] = d
            # Try a smaller step only where it can help: across a kink, or where the
            # truncation (not the losses' rounding) keeps the error above the tolerance.
            truncation = best[k].error - best[k].rounding
            if best[k].kink or (_badness(best[k]) > FD_RTOL / SAFETY
                                and truncation > best[k].rounding):
                still.append(k)
        todo = still
        steps /= SHRINK
    return best  # type: ignore[return-value]


def _badness(d: Difference) -> float:
    """The relative error of a difference: a kink is the worst, then the largest error."""
    if d.kink or not np.isfinite(d.error):
        return float("inf")
    if d.error == 0:
        return 0.0
    with np.errstate(over="ignore", divide="ignore"):
        return float(np.float64(d.error) / abs(d.value))


def _differences(problem: Problem, refs: Sequence[ParamRef], steps: np.ndarray,
                 base: engine.Forward, scale: float) -> list[Difference]:
    """One round: the differences at steps h and h/2 of ``refs``; ``base`` is the forward
    pass at the problem's parameters, ``scale`` its rounding_scale."""
    net = problem.network
    n = problem.n_samples
    # a perturbed copy holds its forward pass and its own parameters
    per_copy = n * (net.sizes[0] + 2 * sum(net.sizes[1:])) + net.n_params
    m = len(_POINTS)
    chunk = max(1, BUDGET // (m * per_copy))
    out: list[Difference] = []
    kinked_layers = [l for l, layer in enumerate(net.layers) if layer.act.kinks]
    for start in range(0, len(refs), chunk):
        part = refs[start:start + chunk]
        h = steps[start:start + chunk]
        P = len(part)
        # Copy m·k + s is parameter k moved by _POINTS[s]·h.
        copies = {name: np.repeat(value[None], m * P, axis=0)
                  for name, value in problem.params.items()}
        for k, ref in enumerate(part):
            arr = copies[ref.array]
            for s, point in enumerate(_POINTS):
                arr[(m * k + s,) + ref.index] += point * h[k]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            fw = engine.forward(net, copies, problem.inputs)
            L = engine.sample_losses(net, problem.loss_fn, fw, problem.targets).mean(axis=-1)
        L = L.reshape(P, m)
        # (P, 2 steps, 4 points), contiguous as a reshape would be: the dot products then sum
        # in the same order, and equal losses (a dead relu) give an exact 0
        L = np.ascontiguousarray(np.stack([L[:, _AT_H], L[:, _AT_HALF]], axis=1))
        hs = np.stack([h, h / 2], axis=1)
        with np.errstate(over="ignore", invalid="ignore"):
            D = (L @ _WEIGHTS) / hs
            rounding = (1.5 * LOSS_ROUNDING * (scale + np.abs(L).max(axis=2))) / hs
            value = D[:, 1]
            error = np.abs(D[:, 0] - D[:, 1]) + rounding[:, 1]
        kinks = np.zeros(P, dtype=bool)
        for l in kinked_layers:
            for point in net.layers[l].act.kinks:
                side = np.sign(fw.zs[l] - point)
                flips = side != np.sign(base.zs[l] - point)[None]
                kinks |= flips.reshape(P, -1).any(axis=1)
        out += [Difference(float(v), float(e), float(hk / 2), bool(kk), float(r))
                for v, e, hk, kk, r in zip(value, error, h, kinks, rounding[:, 1])]
    return out
