"""Activation functions: one entry each, holding everything tutor knows about it.

An entry gives the symbolic form a = f(z) used in derivations, the local derivative ∂a/∂z as the
derivation writes it (in terms of a where that is the textbook form: σ' = a(1 − a)), the rule
that justifies it, and the NumPy value and derivative used by the engine. Adding an activation is
adding one entry here.
"""

from __future__ import annotations

import functools

from dataclasses import dataclass
from typing import Callable

import numpy as np
from .lazy import sp

from .exprs import product
from .i18n import N_
from .words import Words

# A generic pre-activation, used only to state rules (σ'(z) = σ(z)(1 − σ(z))).


def _fn(name: str):
    """tutor's SymPy function ``name`` (``symfunctions``), imported on first use."""
    def make(*args):
        from . import symfunctions
        return getattr(symfunctions, name)(*args)
    make.__name__ = make.__qualname__ = name
    return make


def _sym(name: str):
    """SymPy's function ``name`` (tanh, exp, …), imported on first use."""
    def make(*args):
        import sympy
        return getattr(sympy, name)(*args)
    make.__name__ = make.__qualname__ = name
    return make


sigma, relu, leaky_relu, softplus, silu, elu = map(
    _fn, ["sigma", "relu", "leaky_relu", "softplus", "silu", "elu"])


class _Thunk:
    """A field computed on first access (a rule stated in SymPy): ``Activation`` and
    ``Loss`` resolve it, so that defining the registries imports no SymPy."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


def lazy(fn) -> _Thunk:
    return _Thunk(fn)


class Resolving:
    """A frozen dataclass whose ``_Thunk`` fields are computed when first read.

    A thunk is set aside when the entry is made, so that reading the field finds nothing and
    ``__getattr__`` computes it once; every other attribute is read at full speed (the
    training loop reads ``value`` and ``grad`` thousands of times a second). A lazy field
    must have no default (a default would be found on the class instead)."""

    def __post_init__(self):
        d = self.__dict__
        for name in [k for k, v in d.items() if type(v) is _Thunk]:
            d["_lazy_" + name] = d.pop(name)

    def __getattr__(self, name):
        d = self.__dict__
        thunk = d.get("_lazy_" + name)
        if thunk is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        value = thunk.fn()
        object.__setattr__(self, name, value)
        return value


def stable_sigmoid(z):
    """σ(z) = exp(−log(1 + e^(−z))) without overflow for any finite z: ``logaddexp`` never
    overflows, and three ufunc calls keep the training loop fast."""
    return np.exp(-np.logaddexp(0.0, np.negative(z)))


def _one_minus(t):
    """1 − t, written over t (a temporary): the training loop's derivatives make one array,
    not two."""
    return np.subtract(1.0, t, out=t) if isinstance(t, np.ndarray) else 1.0 - t


def _times_one_minus(a, b):
    """a(1 − b), one array made: the same numbers as ``a * (1 - b)``."""
    t = np.subtract(1.0, b)
    if not isinstance(t, np.ndarray):
        return a * t
    t *= a
    return t


def _softplus(z):
    return np.logaddexp(0.0, z)


def _silu(z):
    return z * stable_sigmoid(z)


def _elu_numpy(z, alpha):
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


@dataclass(frozen=True)
class Option:
    """A number an activation (or a loss) takes from the problem file, as ``slope`` for
    leaky_relu: its name, its default, and its range, lo to hi, each end included or not
    (the validator and the JSON Schema both read it from here)."""

    name: str
    default: float
    lo: float
    hi: float
    lo_open: bool = False
    hi_open: bool = False

    def allowed(self, v: float) -> bool:
        above = v > self.lo if self.lo_open else v >= self.lo
        below = v < self.hi if self.hi_open else v <= self.hi
        return above and below

    @property
    def expected(self) -> str:
        """'slope in [0, 1)', in the current language."""
        from .i18n import _
        return _("{name} in {interval}").format(
            name=self.name, interval=f"{'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}"
                                     f"{')' if self.hi_open else ']'}")

    def schema(self, owners: list[str]) -> dict:
        """Its JSON Schema."""
        return {"type": "number",
                "exclusiveMinimum" if self.lo_open else "minimum": self.lo,
                "exclusiveMaximum" if self.hi_open else "maximum": self.hi,
                "description": f"{' or '.join(owners)} only (default {self.default:g})."}


@dataclass(frozen=True)
class Function:
    """A function that derivations write and students type (σ, tanh, relu, H, softplus, …),
    in every form tutor uses; the single place the compiler, the formula grammar and the
    printers learn about it.

    name        the SymPy function's class name (``expr.func.__name__``)
    make        (z, *extra) -> the SymPy expression
    numpy       (z, *extra) -> NumPy values, elementwise (compiled derivations call it)
    text        its name in Unicode mathematics (σ), ``latex`` in LaTeX (\\sigma)
    spellings   how a student may type it; the first is how the ASCII printer writes it
    shown_args  how many arguments are printed (leaky_relu's slope is not)
    typed       whether a student can type it with z alone (leaky_relu needs its slope:
                students write its derivative as a conditional instead)
    arity       how many arguments a student gives it (max(a, b): 2)
    """

    name: str
    make: Callable
    numpy: Callable
    text: str
    latex: str
    spellings: tuple[str, ...]
    shown_args: int = 1
    typed: bool = True
    arity: int = 1


FUNCTIONS: dict[str, Function] = {f.name: f for f in [
    Function("sigma", sigma, stable_sigmoid, "σ", r"\sigma", ("sigma", "σ", "sigmoid")),
    Function("tanh", _sym("tanh"), np.tanh, "tanh", r"\tanh", ("tanh",)),
    Function("relu", relu, lambda z: np.maximum(z, 0.0), "relu", r"\operatorname{relu}",
             ("relu",)),
    Function("leaky_relu", leaky_relu, lambda z, s: np.where(z > 0, z, s * z), "lrelu",
             r"\operatorname{lrelu}", ("leaky_relu", "lrelu"), typed=False),
    Function("elu", elu, _elu_numpy, "elu", r"\operatorname{elu}", ("elu",), typed=False),
    Function("Heaviside", lambda z, h0=0: sp.Heaviside(z, h0),
             lambda z, h0=0.0: np.heaviside(z, h0), "H", "H",
             ("Heaviside", "H", "step", "heaviside")),
    Function("softplus", softplus, _softplus, "softplus", r"\operatorname{softplus}",
             ("softplus",)),
    Function("silu", silu, _silu, "silu", r"\operatorname{silu}", ("silu", "swish")),
    Function("exp", _sym("exp"), np.exp, "exp", "e", ("exp",)),
    Function("Abs", _sym("Abs"), np.abs, "abs", r"\left|", ("Abs", "abs")),
    Function("sign", _sym("sign"), np.sign, "sign", r"\operatorname{sign}", ("sign", "sgn")),
    Function("log", _sym("log"), np.log, "ln", r"\ln", ("log", "ln")),
    Function("sqrt", _sym("sqrt"), np.sqrt, "sqrt", r"\sqrt", ("sqrt",)),
    Function("sin", _sym("sin"), np.sin, "sin", r"\sin", ("sin",)),
    Function("cos", _sym("cos"), np.cos, "cos", r"\cos", ("cos",)),
    # (SymPy flattens max(a, max(b, c)) into one Max of three)
    Function("Max", _sym("Max"), lambda *xs: functools.reduce(np.maximum, xs), "max", r"\max",
             ("max", "Max"), shown_args=2, arity=2),
    Function("Min", _sym("Min"), lambda *xs: functools.reduce(np.minimum, xs), "min", r"\min",
             ("min", "Min"), shown_args=2, arity=2),
]}


@dataclass(frozen=True)
class Activation(Resolving):
    """One activation function, in every form tutor uses.

    symbolic(z) -> a            the forward definition, as SymPy
    derivative(z, a) -> ∂a/∂z   the local derivative as the derivation prints it
    rule                        the rule's statement: (lhs, rhs) in the generic z
    value(Z) -> A               NumPy, elementwise, any shape
    grad(Z, A) -> ∂A/∂Z         NumPy, elementwise
    elementwise                 False only for softmax, whose Jacobian mixes neurons
    aliases                     other frameworks' names (nn.ReLU, 'linear'), answered with
                                "did you mean" this one
    options                     the numbers the problem file may give it (Option), and
    configure(**values)         the entry with those values (leaky_relu's slope)
    forward_slips               the usual slips in computing a = f(z) by hand, as (id,
                                what went wrong, (z, a) -> the value it gives)
    function                    the FUNCTIONS entry that ``symbolic`` applies (None for
                                identity and softmax): its derivative is typed as name′(z)
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
    function: str | None = None
    forward_slips: tuple = ()
    options: tuple[Option, ...] = ()
    configure: Callable | None = None


def _leaky(slope: float) -> Activation:
    def s():
        return sp.Float(slope, 15)
    return Activation(
        name="leaky_relu",
        aliases=("LeakyReLU", "lrelu"),
        function="leaky_relu",
        title=Words("leaky relu (slope {slope:g})", slope=slope),
        symbolic=lambda z: leaky_relu(z, s()),
        derivative=lambda z, a: sp.Piecewise((1, z > 0), (s(), True)),
        rule=lazy(lambda: (lambda _z: (sp.Derivative(leaky_relu(_z, s()), _z),
                                       sp.Piecewise((1, _z > 0), (s(), True))))(sp.Symbol("z"))),
        value=lambda Z: np.where(Z > 0, Z, slope * Z),
        grad=lambda Z, A: np.where(Z > 0, 1.0, slope),
        slope=slope,
        kinks=(0.0,),
        options=(Option("slope", 0.01, 0, 1, hi_open=True),),
        configure=_leaky,
    )


def _elu(alpha: float) -> Activation:
    def a():
        return sp.Float(alpha, 15)
    return Activation(
        name="elu",
        aliases=("ELU",),
        function="elu",
        title=Words("elu (α = {alpha:g})", alpha=alpha),
        symbolic=lambda z: elu(z, a()),
        # elu′(z) = 1 for z > 0, α·e^z = elu(z) + α otherwise
        derivative=lambda z, act: sp.Piecewise((1, z > 0), (sp.Add(act, a(), evaluate=False),
                                                              True)),
        rule=lazy(lambda: (lambda _z: (sp.Derivative(elu(_z, a()), _z), sp.Piecewise(
            (1, _z > 0), (sp.Add(elu(_z, a()), a(), evaluate=False), True))))(sp.Symbol("z"))),
        value=lambda Z: _elu_numpy(Z, alpha),
        grad=lambda Z, A: np.where(Z > 0, 1.0, A + alpha),
        kinks=(0.0,) if alpha != 1 else (),
        options=(Option("alpha", 1.0, 0, 100, lo_open=True),),
        configure=_elu,
    )


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation(
        name="identity",
        aliases=("linear", "none", "Identity"),
        title=N_("identity"),
        symbolic=lambda z: z,
        derivative=lambda z, a: sp.Integer(1),
        rule=lazy(lambda: (lambda _z: (sp.Derivative(sp.Function("f")(_z), _z), sp.Integer(1)))(sp.Symbol("z"))),
        value=lambda Z: Z,
        grad=lambda Z, A: np.ones_like(Z),
    ),
    "sigmoid": Activation(
        name="sigmoid",
        aliases=("logistic", "Sigmoid", "sigma"),
        function="sigma",
        forward_slips=(("exponent_sign", N_("the sign in the exponent is wrong: "
                                            "σ(z) = 1/(1 + e^(−z))"), lambda z, a: 1 - a),),
        title=N_("sigmoid"),
        symbolic=sigma,
        derivative=lambda z, a: product(a, 1 - a),
        rule=lazy(lambda: (lambda _z: (sp.Derivative(sigma(_z), _z), product(sigma(_z), 1 - sigma(_z))))(sp.Symbol("z"))),
        value=stable_sigmoid,
        grad=lambda Z, A: _times_one_minus(A, A),
    ),
    "tanh": Activation(
        name="tanh",
        aliases=("Tanh",),
        function="tanh",
        title=N_("tanh"),
        symbolic=_sym("tanh"),
        derivative=lambda z, a: 1 - a**2,
        rule=lazy(lambda: (lambda _z: (sp.Derivative(sp.tanh(_z), _z), 1 - sp.tanh(_z) ** 2))(sp.Symbol("z"))),
        value=np.tanh,
        grad=lambda Z, A: _one_minus(A * A),
    ),
    "relu": Activation(
        name="relu",
        aliases=("ReLU",),
        function="relu",
        title=N_("relu (H(z) = 1 for z > 0, 0 otherwise)"),
        symbolic=relu,
        # relu'(0) = 0, as in PyTorch and most frameworks.
        derivative=lambda z, a: sp.Heaviside(z, 0),
        rule=lazy(lambda: (lambda _z: (sp.Derivative(relu(_z), _z), sp.Heaviside(_z, 0)))(sp.Symbol("z"))),
        value=lambda Z: np.maximum(Z, 0.0),
        grad=lambda Z, A: (Z > 0).astype(float),
        kinks=(0.0,),
    ),
    "leaky_relu": _leaky(0.01),
    "elu": _elu(1.0),
    "softplus": Activation(
        name="softplus",
        aliases=("Softplus", "smooth_relu"),
        function="softplus",
        title=N_("softplus"),
        symbolic=softplus,
        derivative=lambda z, a: sigma(z),
        rule=lazy(lambda: (lambda _z: (sp.Derivative(softplus(_z), _z), sigma(_z)))(sp.Symbol("z"))),
        value=_softplus,
        grad=lambda Z, A: stable_sigmoid(Z),
    ),
    "silu": Activation(
        name="silu",
        aliases=("SiLU", "swish"),
        function="silu",
        title=N_("silu (swish)"),
        symbolic=silu,
        derivative=lambda z, a: product(sigma(z), 1 + product(z, 1 - sigma(z))),
        rule=lazy(lambda: (lambda _z: (sp.Derivative(silu(_z), _z), product(sigma(_z), 1 + product(_z, 1 - sigma(_z)))))(sp.Symbol("z"))),
        value=_silu,
        grad=lambda Z, A: (lambda S: S * (1 + Z * (1 - S)))(stable_sigmoid(Z)),
    ),
    "softmax": Activation(
        name="softmax",
        aliases=("Softmax",),
        title=N_("softmax"),
        # Softmax mixes the neurons of its layer: see layer_values and jacobian below.
        symbolic=None,
        derivative=None,
        rule=lazy(lambda: (lambda _z: (sp.Derivative(sp.Symbol("yhat_k"), sp.Symbol("z_m")),
              product(sp.Symbol("yhat_k"),
                      sp.Add(sp.KroneckerDelta(sp.Symbol("k"), sp.Symbol("m")),
                             -sp.Symbol("yhat_m"), evaluate=False))))(sp.Symbol("z"))),
        value=lambda Z: softmax(Z),
        grad=None,
        elementwise=False,
    ),
}

NAMES = tuple(ACTIVATIONS)

# The NumPy implementations lambdify uses for our SymPy functions.
LAMBDIFY_MODULE = {f.name: f.numpy for f in FUNCTIONS.values()}


def option_owners(registry: dict) -> dict[str, list[str]]:
    """For a registry (ACTIVATIONS, LOSSES): each option's name → the entries that take it."""
    owners: dict[str, list[str]] = {}
    for name, entry in registry.items():
        for option in entry.options:
            owners.setdefault(option.name, []).append(name)
    return owners


def get(name: str, options: dict[str, float] | None = None) -> Activation:
    """The activation called ``name``, configured with ``options`` (leaky_relu's slope,
    elu's alpha) where given."""
    entry = ACTIVATIONS[name]
    if options:
        return entry.configure(**options)
    return entry


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
