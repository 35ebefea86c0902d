"""The usual mistakes in a chain-rule gradient, generated from the derivation's own structure.

Each mistake is what a student gets by one slip in the steps of ``tutor derive``: a local
derivative dropped or replaced, a weight's indices swapped, a path of a sum left out, z used
where a belongs, a sign lost; at the batch level the 1/N of the mean missing or doubled, one
sample taken for the mean, the weights of after the update used. A wrong answer is compared
with the value or formula of each, in this order, and the first that matches names the slip.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import sympy as sp

from . import conventions
from .names import Name
from .steps import GradientDerivation, LocalDerivative
from .words import Words, chain, eq, route

ELL = sp.Symbol("ell")
# The generic weight, printed in the reader's convention (wⱼᵢ; wᵢⱼ in dlfs).
W_JI = sp.Symbol("w_ji")


@dataclass(frozen=True)
class Mistake:
    """One slip: ``id`` names it for programs (stable: ``missing_activation_derivative``,
    ``swapped_indices``, …), ``message`` for people; ``step`` shows the correct step it gets
    wrong (lines of words); ``expr`` is the per-sample ∂ℓ/∂p it produces (None for mistakes
    about numbers)."""

    id: str
    message: Words
    step: tuple[Words, ...]
    expr: sp.Expr | None = None


def partial(ld: LocalDerivative) -> sp.Derivative:
    """∂of/∂wrt, as a name (unevaluated)."""
    return sp.Derivative(ld.partial.of, ld.partial.wrt)


def local_step(ld: LocalDerivative) -> tuple[Words, ...]:
    return (Words("{step}   ({rule})", step=eq(partial(ld), ld.result),
                  rule=_words(ld.rule.name)),)


def _words(title) -> Words:
    """A registry's title or rule name as words, to be translated where it is shown."""
    return title if isinstance(title, Words) else Words.plain(title)


def gradient_step(g: GradientDerivation) -> tuple[Words, ...]:
    """∂ℓ/∂p = its formula."""
    return (Words("{step}", step=eq(sp.Derivative(ELL, g.symbol), g.expression)),)


def derivation_lines(g: GradientDerivation) -> tuple[Words, ...]:
    """The formula and each path with its factors: the whole derivation in a few lines."""
    return gradient_step(g) + tuple(
        Words("{route}:  {factors}", route=route(p.nodes),
              factors=chain(partial(f) for f in p.factors)) for p in g.paths)


def _kind(ld: LocalDerivative) -> str:
    of, wrt = ld.partial.of.name, ld.partial.wrt.name
    if of == "ell":
        return "loss"
    kind = Name.parse(wrt).kind if Name.parse(wrt) else None
    if kind == "z":
        return "activation"
    if kind in ("W", "b"):
        return "input"
    return "weight"


def _total(paths: list[list[sp.Expr]]) -> sp.Expr:
    return sp.Add(*[sp.Mul(*factors) for factors in paths])


@dataclass
class Slips:
    """What every formula rule works on: one parameter's derivation, the model, the sum over
    its paths with a change of factors (``variant``), its local derivatives, and
    ``others(name)``, another parameter's derivation (or None)."""

    g: GradientDerivation
    model: object
    others: Callable[[str], GradientDerivation | None]

    def __post_init__(self):
        self.paths = [list(p.factors) for p in self.g.paths]
        seen: set[int] = set()
        self.locals = [f for fs in self.paths for f in fs
                       if not (id(f) in seen or seen.add(id(f)))]

    def variant(self, change) -> sp.Expr:
        """The sum over paths with each factor f replaced by change(f) (None drops it)."""
        return _total([[r for r in map(change, factors) if r is not None]
                       for factors in self.paths])

    def of_kind(self, kind: str) -> list[LocalDerivative]:
        return [f for f in self.locals if _kind(f) == kind]


def dropped_derivative(s: Slips):
    """∂a/∂z left out, or a written where ∂a/∂z = f′(z) belongs."""
    for F in s.of_kind("activation"):
        of = F.partial.of
        d = eq(partial(F), F.result)
        yield Mistake("missing_activation_derivative",
                      Words("the activation's derivative {d} is missing", d=d),
                      local_step(F), s.variant(lambda f: None if f is F else f.result))
        if F.result != of:
            yield Mistake("activation_for_derivative",
                          Words("{a}, the activation itself, stands where its derivative {d} "
                                "belongs", a=of, d=d), local_step(F),
                          s.variant(lambda f: of if f is F else f.result))


def cancelled_derivative(s: Slips):
    """f′ of the output multiplied in although the loss cancels it (BCE∘sigmoid: ŷ − y)."""
    g, model = s.g, s.model
    if not (g.fusions and model.act(model.L).elementwise):
        return
    fusion = g.fusions[0]
    for F in s.of_kind("activation"):
        if F.partial.of in model.yhat:
            yield Mistake("cancelled_derivative_multiplied",
                          Words("the output's f′, {f}, is multiplied in although {fusion} "
                                "already cancels it: {d}", f=F.result, fusion=_words(fusion.title),
                                d=eq(sp.Derivative(ELL, F.partial.wrt), fusion.result)),
                          (Words("{d}   ({fusion})", fusion=_words(fusion.title),
                                 d=eq(sp.Derivative(ELL, sp.Symbol("z")),
                                      chain([sp.Derivative(ELL, sp.Symbol("yhat")),
                                             sp.Derivative(sp.Symbol("yhat"),
                                                           sp.Symbol("z"))]),
                                      fusion.result)),),
                          s.variant(lambda f: f.result ** 2 if f is F else f.result))


def swapped_indices(s: Slips):
    """wᵢⱼ where wⱼᵢ belongs, in a weight that a path goes through."""
    for F in s.of_kind("weight"):
        w = F.result
        swapped = _swapped(w, s.model)
        if swapped is not None:
            yield Mistake("swapped_indices",
                          Words("the weight's indices are swapped: {swapped} where {w} "
                                "belongs ({wji} is the weight into neuron j from input i)",
                                swapped=swapped, w=w, wji=W_JI),
                          local_step(F), s.variant(lambda f: swapped if f is F else f.result))


def wrong_input(s: Slips):
    """∂z/∂w is the weight's own input a: another neuron's a, or z, in its place."""
    for F in s.of_kind("input"):
        a = F.result
        if not isinstance(a, sp.Symbol):
            continue
        for other in _layer_of(a, s.model):
            if other != a:
                yield Mistake("other_neuron_input",
                              Words("the input of another neuron: {other} where {a} belongs "
                                    "({d} is the input i of the weight)",
                                    other=other, a=a,
                                    d=sp.Derivative(sp.Symbol("z_j"), W_JI)), local_step(F),
                              s.variant(lambda f, o=other: o if f is F else f.result))
        z = _z_of(a, s.model)
        if z is not None:
            yield Mistake("z_for_a",
                          Words("{z} is used where {a} belongs: the weight multiplies the "
                                "activation a = f(z), not z", z=z, a=a), local_step(F),
                          s.variant(lambda f: z if f is F else f.result))


def z_in_derivative(s: Slips):
    """f′ written with z where it is a function of a (σ′ = a(1 − a), not z(1 − z))."""
    for F in s.of_kind("activation"):
        a, z = F.partial.of, F.partial.wrt
        if a in F.result.free_symbols:
            yield Mistake("z_for_a_in_derivative",
                          Words("{z} is used where {a} belongs in {f}", z=z, a=a, f=F.result),
                          local_step(F), s.variant(lambda f: f.result.xreplace({a: z})
                                                   if f is F else f.result))


def missing_path(s: Slips):
    """One path of a multi-path sum left out."""
    if len(s.paths) <= 1:
        return
    # The sum less one term, written as such: every mistake shares the one sum, so that
    # P paths cost P terms to build and (compiled with shared subexpressions) to evaluate,
    # not P².
    total = _total([[f.result for f in fs] for fs in s.paths])
    lines = derivation_lines(s.g)
    for k, p in enumerate(s.g.paths):
        term = sp.Mul(*[f.result for f in s.paths[k]])
        rest = sp.Add(total, sp.Mul(-1, term, evaluate=False), evaluate=False)
        yield Mistake("missing_path",
                      Words("the path {route} is missing: {d} is the sum over all {n} paths "
                            "from the parameter to the loss", route=route(p.nodes),
                            d=sp.Derivative(ELL, s.g.symbol), n=len(s.paths)),
                      lines, rest)


def wrong_sign(s: Slips):
    """The whole gradient with the wrong sign."""
    yield Mistake("wrong_sign", Words("the sign is wrong"), gradient_step(s.g),
                  -s.g.expression)


def other_parameter(s: Slips):
    """The gradient of another parameter: the transposed weight, the answer of a reader who
    writes weights the other way round (tutor.conventions): right in that layout, and said
    so."""
    here = conventions.current()
    there = next(c for c in conventions.CONVENTIONS.values() if c.swapped != here.swapped)
    for other_name in _other_params(s.g):
        d = s.others(other_name)
        if d is not None:
            yield Mistake("other_parameter",
                          Words("that is {d}: right in the {there} layout, but this problem "
                                "writes weights as {here} does ({wji} is the weight into "
                                "neuron j from input i)", d=sp.Derivative(ELL, d.symbol),
                                there=there.name, here=here.name, wji=W_JI),
                          gradient_step(s.g), d.expression)


# The formula rules, in the order a wrong answer is compared with their mistakes.
FORMULA_RULES = [dropped_derivative, cancelled_derivative, swapped_indices, wrong_input,
                 z_in_derivative, missing_path, wrong_sign, other_parameter]


def formula_mistakes(g: GradientDerivation, model,
                     others: Callable[[str], GradientDerivation | None]) -> list[Mistake]:
    """The wrong ∂ℓ/∂p formulas for one parameter, from every rule of FORMULA_RULES;
    ``others(name)`` gives the derivation of another parameter (or None)."""
    if g.grouped:
        # Only a few of the paths are listed: variants of their sum are not slips of the
        # answer (the delta form); the answer is graded right or wrong without a named slip.
        return []
    slips = Slips(g, model, others)
    return [m for rule in FORMULA_RULES for m in rule(slips)]


def _swapped(w: sp.Symbol, model) -> sp.Symbol | None:
    n = Name.parse(w.name)
    if n is None or n.kind != "W":
        return None
    l, (j, i) = n.layer, n.indices
    if i == j:
        return None
    W = model.W[l]
    if i <= len(W) and j <= len(W[0]):
        return W[i - 1][j - 1]
    return None


def _layer_of(a: sp.Symbol, model) -> list[sp.Symbol]:
    for layer in model.a:
        if a in layer:
            return list(layer)
    return [a]


def _z_of(a: sp.Symbol, model) -> sp.Symbol | None:
    for l in range(1, model.L):
        if a in model.a[l]:
            return model.z[l][model.a[l].index(a)]
    return None


def _other_params(g: GradientDerivation) -> list[str]:
    """The parameters a swapped index would have answered instead."""
    ref = g.param
    return [f"W{ref.layer}[{ref.col},{ref.row}]"] if ref.kind == "W" and ref.row != ref.col \
        else []
