"""The operations of a computational graph, one entry each: how the gate computes its output,
its local derivatives as the derivation writes them, the rule that says what it does to the
gradient, and the same in plain floats for the numeric reverse pass, which shares nothing with
SymPy (so that the three-way check compares independent computations).

Adding an operation is adding an entry here (and, for a function, its FUNCTIONS entry so that
formulas can name it). At a kink the conventions are PyTorch's: relu′(0) = 0, |x|′ at 0 = 0,
and max/min split the gradient equally between tied inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import sympy as sp

from .activations import relu, sigma
from .i18n import N_


@dataclass(frozen=True)
class Gate:
    """name; ``title`` (multiply gate); ``rule`` in words, what the gate does to the upstream
    gradient; ``arity``; ``symbolic(*inputs)`` its output in SymPy and ``local(*inputs)`` the
    local derivative with respect to each input (as printed); ``value(*floats)`` and
    ``grads(*floats)`` the same in floats; ``side(*floats)``, for a gate whose derivative
    jumps, which side of the jump its inputs are on (−1, 0, 1): finite differences do not
    apply where a step changes it. Gates with a constant parameter (a power's exponent) take
    it as ``param`` keyword."""

    name: str
    title: str
    rule: str
    arity: int
    symbolic: Callable
    local: Callable
    value: Callable
    grads: Callable
    side: Callable | None = None


def _sig(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def _split(a: float, b: float, first: bool) -> tuple[float, float]:
    """max routes the gradient to the larger input (min: the smaller); a tie splits it."""
    if a == b:
        return 0.5, 0.5
    return (1.0, 0.0) if (a > b) == first else (0.0, 1.0)


GATES: dict[str, Gate] = {g.name: g for g in [
    Gate("add", N_("add gate"), N_("passes the upstream gradient on to each input unchanged"), 2,
         lambda a, b: sp.Add(a, b, evaluate=False), lambda a, b: [sp.S.One, sp.S.One],
         lambda a, b: a + b, lambda a, b: [1.0, 1.0]),
    Gate("sub", N_("subtract gate"), N_("passes the gradient on, with the sign flipped for the "
         "subtracted input"), 2,
         lambda a, b: sp.Add(a, sp.Mul(-1, b, evaluate=False), evaluate=False),
         lambda a, b: [sp.S.One, sp.S.NegativeOne], lambda a, b: a - b,
         lambda a, b: [1.0, -1.0]),
    Gate("mul", N_("multiply gate"), N_("swaps its inputs: each input's gradient is the upstream "
         "gradient times the other input"), 2,
         lambda a, b: sp.Mul(a, b, evaluate=False), lambda a, b: [b, a],
         lambda a, b: a * b, lambda a, b: [b, a]),
    Gate("div", N_("divide gate"), N_("∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²"), 2,
         lambda a, b: sp.Mul(a, sp.Pow(b, -1, evaluate=False), evaluate=False),
         lambda a, b: [1 / b, -a / b**2], lambda a, b: a / b,
         lambda a, b: [1 / b, -a / (b * b)]),
    Gate("neg", N_("negation"), N_("flips the sign of the gradient"), 1,
         lambda a: sp.Mul(-1, a, evaluate=False), lambda a: [sp.S.NegativeOne],
         lambda a: -a, lambda a: [-1.0]),
    Gate("pow", N_("power gate"), N_("the power rule: ∂aⁿ/∂a = n·aⁿ⁻¹"), 1,
         lambda a, param: sp.Pow(a, param, evaluate=False),
         lambda a, param: [param * a ** (param - 1)],
         lambda a, param: a ** param, lambda a, param: [param * a ** (param - 1)]),
    Gate("exp", N_("exp gate"), N_("∂eᵃ/∂a = eᵃ, its own output"), 1,
         lambda a: sp.exp(a, evaluate=False), lambda a: [sp.exp(a)],
         math.exp, lambda a: [math.exp(a)]),
    Gate("log", N_("log gate"), N_("∂ln a/∂a = 1/a"), 1,
         lambda a: sp.log(a, evaluate=False), lambda a: [1 / a],
         math.log, lambda a: [1 / a]),
    Gate("sqrt", N_("square-root gate"), N_("∂√a/∂a = 1/(2√a)"), 1,
         lambda a: sp.sqrt(a, evaluate=False), lambda a: [1 / (2 * sp.sqrt(a))],
         math.sqrt, lambda a: [1 / (2 * math.sqrt(a))]),
    Gate("sin", N_("sine gate"), N_("∂sin a/∂a = cos a"), 1,
         lambda a: sp.sin(a, evaluate=False), lambda a: [sp.cos(a)],
         math.sin, lambda a: [math.cos(a)]),
    Gate("cos", N_("cosine gate"), N_("∂cos a/∂a = −sin a"), 1,
         lambda a: sp.cos(a, evaluate=False), lambda a: [-sp.sin(a)],
         math.cos, lambda a: [-math.sin(a)]),
    Gate("sigma", N_("sigmoid gate"), N_("σ′(a) = σ(a)(1 − σ(a)), from its own output"), 1,
         lambda a: sigma(a), lambda a: [sigma(a) * (1 - sigma(a))],
         _sig, lambda a: [_sig(a) * (1 - _sig(a))]),
    Gate("tanh", N_("tanh gate"), N_("tanh′(a) = 1 − tanh²(a)"), 1,
         lambda a: sp.tanh(a, evaluate=False), lambda a: [1 - sp.tanh(a) ** 2],
         math.tanh, lambda a: [1 - math.tanh(a) ** 2]),
    Gate("relu", N_("relu gate"), N_("lets the gradient through where its input is positive, and "
         "blocks it elsewhere (relu′(0) = 0)"), 1,
         lambda a: relu(a), lambda a: [sp.Heaviside(a, 0)],
         lambda a: max(a, 0.0), lambda a: [1.0 if a > 0 else 0.0], side=_sign),
    Gate("abs", N_("absolute-value gate"), N_("passes the gradient with the sign of its input "
         "(0 at 0)"), 1,
         lambda a: sp.Abs(a, evaluate=False), lambda a: [sp.sign(a)],
         abs, lambda a: [float(_sign(a))], side=_sign),
    Gate("max", N_("max gate"), N_("routes the gradient to the larger input (a tie splits it)"), 2,
         lambda a, b: sp.Max(a, b, evaluate=False),
         lambda a, b: [sp.Heaviside(a - b, sp.Rational(1, 2)),
                       sp.Heaviside(b - a, sp.Rational(1, 2))],
         max, lambda a, b: list(_split(a, b, True)), side=lambda a, b: _sign(a - b)),
    Gate("min", N_("min gate"), N_("routes the gradient to the smaller input (a tie splits it)"), 2,
         lambda a, b: sp.Min(a, b, evaluate=False),
         lambda a, b: [sp.Heaviside(b - a, sp.Rational(1, 2)),
                       sp.Heaviside(a - b, sp.Rational(1, 2))],
         min, lambda a, b: list(_split(a, b, False)), side=lambda a, b: _sign(a - b)),
]}

# The formula's functions (FUNCTIONS names) that are gates.
CALLS = {"exp": "exp", "log": "log", "sqrt": "sqrt", "sin": "sin", "cos": "cos",
         "sigma": "sigma", "tanh": "tanh", "relu": "relu", "Abs": "abs", "Max": "max",
         "Min": "min"}
