"""Activation functions: one entry each, holding everything tutor knows about it.

An entry gives the symbolic form a = f(z) used in derivations, the local derivative ∂a/∂z as the
derivation writes it (in terms of a where that is the textbook form: σ' = a(1 − a)), the rule
that justifies it, and the NumPy value and derivative used by the engine. Adding an activation is
adding one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import sympy as sp

from .exprs import product

# A generic pre-activation, used only to state rules (σ'(z) = σ(z)(1 − σ(z))).
_z = sp.Symbol("z")


class sigma(sp.Function):
    """The logistic sigmoid σ(z) = 1/(1 + e^(−z))."""

    def fdiff(self, argindex=1):
        return sigma(self.args[0]) * (1 - sigma(self.args[0]))


class relu(sp.Function):
    """relu(z) = max(0, z)."""

    def fdiff(self, argindex=1):
        return sp.Heaviside(self.args[0], 0)


class leaky_relu(sp.Function):
    """leaky_relu(z, s) = z for z > 0, s·z otherwise."""

    nargs = 2

    def fdiff(self, argindex=1):
        z, s = self.args
        return sp.Piecewise((1, z > 0), (s, True))


def stable_sigmoid(z):
    """σ(z) = exp(−log(1 + e^(−z))) without overflow for any finite z: ``logaddexp`` never
    overflows, and three ufunc calls keep the training loop fast."""
    return np.exp(-np.logaddexp(0.0, np.negative(z)))


def _heaviside(z):
    return np.heaviside(z, 0.0)


@dataclass(frozen=True)
class Activation:
    """One activation function, in every form tutor uses.

    symbolic(z) -> a            the forward definition, as SymPy
    derivative(z, a) -> ∂a/∂z   the local derivative as the derivation prints it
    rule                        the rule's statement: (lhs, rhs) in the generic z
    value(Z) -> A               NumPy, elementwise, any shape
    grad(Z, A) -> ∂A/∂Z         NumPy, elementwise
    elementwise                 False only for softmax, whose Jacobian mixes neurons
    aliases                     other frameworks' names (nn.ReLU, 'linear'), answered with
                                "did you mean" this one
    kinks                       the z where the derivative jumps (relu's 0): a finite
                                difference across one does not check the derivative
    """

    name: str
    title: str
    symbolic: Callable
    derivative: Callable
    rule: tuple
    value: Callable
    grad: Callable
    elementwise: bool = True
    slope: float | None = None
    kinks: tuple[float, ...] = ()
    aliases: tuple[str, ...] = ()


def _leaky(slope: float) -> Activation:
    s = sp.Float(slope, 15)
    return Activation(
        name="leaky_relu",
        aliases=("LeakyReLU", "lrelu"),
        title=f"leaky relu (slope {slope:g})",
        symbolic=lambda z: leaky_relu(z, s),
        derivative=lambda z, a: sp.Piecewise((1, z > 0), (s, True)),
        rule=(sp.Derivative(leaky_relu(_z, s), _z), sp.Piecewise((1, _z > 0), (s, True))),
        value=lambda Z: np.where(Z > 0, Z, slope * Z),
        grad=lambda Z, A: np.where(Z > 0, 1.0, slope),
        slope=slope,
        kinks=(0.0,),
    )


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation(
        name="identity",
        aliases=("linear", "none", "Identity"),
        title="identity",
        symbolic=lambda z: z,
        derivative=lambda z, a: sp.Integer(1),
        rule=(sp.Derivative(sp.Function("f")(_z), _z), sp.Integer(1)),
        value=lambda Z: Z,
        grad=lambda Z, A: np.ones_like(Z),
    ),
    "sigmoid": Activation(
        name="sigmoid",
        aliases=("logistic", "Sigmoid", "sigma"),
        title="sigmoid",
        symbolic=sigma,
        derivative=lambda z, a: product(a, 1 - a),
        rule=(sp.Derivative(sigma(_z), _z), product(sigma(_z), 1 - sigma(_z))),
        value=stable_sigmoid,
        grad=lambda Z, A: A * (1 - A),
    ),
    "tanh": Activation(
        name="tanh",
        aliases=("Tanh",),
        title="tanh",
        symbolic=sp.tanh,
        derivative=lambda z, a: 1 - a**2,
        rule=(sp.Derivative(sp.tanh(_z), _z), 1 - sp.tanh(_z) ** 2),
        value=np.tanh,
        grad=lambda Z, A: 1 - A * A,
    ),
    "relu": Activation(
        name="relu",
        aliases=("ReLU",),
        title="relu (H(z) = 1 for z > 0, 0 otherwise)",
        symbolic=relu,
        # relu'(0) = 0, as in PyTorch and most frameworks.
        derivative=lambda z, a: sp.Heaviside(z, 0),
        rule=(sp.Derivative(relu(_z), _z), sp.Heaviside(_z, 0)),
        value=lambda Z: np.maximum(Z, 0.0),
        grad=lambda Z, A: (Z > 0).astype(float),
        kinks=(0.0,),
    ),
    "leaky_relu": _leaky(0.01),
    "softmax": Activation(
        name="softmax",
        aliases=("Softmax",),
        title="softmax",
        # Softmax mixes the neurons of its layer: see layer_values and jacobian below.
        symbolic=None,
        derivative=None,
        rule=(sp.Derivative(sp.Symbol("yhat_k"), sp.Symbol("z_m")),
              product(sp.Symbol("yhat_k"),
                      sp.Add(sp.KroneckerDelta(sp.Symbol("k"), sp.Symbol("m")),
                             -sp.Symbol("yhat_m"), evaluate=False))),
        value=lambda Z: softmax(Z),
        grad=None,
        elementwise=False,
    ),
}

NAMES = tuple(ACTIVATIONS)

# The NumPy implementations lambdify uses for our SymPy functions.
LAMBDIFY_MODULE = {
    "sigma": stable_sigmoid,
    "relu": lambda z: np.maximum(z, 0.0),
    "leaky_relu": lambda z, s: np.where(z > 0, z, s * z),
    "Heaviside": lambda z, h0=0.0: np.heaviside(z, h0),
}


def get(name: str, slope: float | None = None) -> Activation:
    """The activation called ``name``; ``slope`` only for leaky_relu."""
    if name == "leaky_relu" and slope is not None:
        return _leaky(slope)
    return ACTIVATIONS[name]


def softmax(Z, axis=-1):
    """Softmax along ``axis``, shifted by the maximum so exp never overflows."""
    e = np.exp(Z - Z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)



def layer_values(act: Activation, zs):
    """The symbolic activations [a₁, …] of a layer whose pre-activations are ``zs``."""
    if act.elementwise:
        return [act.symbolic(z) for z in zs]
    exps = [sp.exp(z) for z in zs]
    total = sp.Add(*exps, evaluate=False)
    return [e / total for e in exps]


def jacobian(act: Activation, z_m, a_k, a_m, same: bool):
    """∂aₖ/∂zₘ: f'(zₘ) on the diagonal for elementwise activations, ŷₖ(δₖₘ − ŷₘ) for softmax."""
    if act.elementwise:
        return act.derivative(z_m, a_m) if same else sp.Integer(0)
    return product(a_k, 1 - a_k) if same else product(-1, a_k, a_m)
