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

from .names import Name
from .printing.exprs import text
from .printing.names import text_name
from .steps import GradientDerivation, LocalDerivative


@dataclass(frozen=True)
class Mistake:
    """One slip: ``id`` names it for programs (stable: ``missing_activation_derivative``,
    ``swapped_indices``, …), ``message`` for people; ``step`` shows the correct step it gets
    wrong; ``expr`` is the per-sample ∂ℓ/∂p it produces (None for mistakes about numbers)."""

    id: str
    message: str
    step: str
    expr: sp.Expr | None = None


def partial_text(ld: LocalDerivative) -> str:
    return f"∂{text(ld.partial.of)}/∂{text(ld.partial.wrt)}"


def local_step(ld: LocalDerivative) -> str:
    return f"{partial_text(ld)} = {text(ld.result)}   ({ld.rule.name})"


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


def formula_mistakes(g: GradientDerivation, model,
                     others: Callable[[str], GradientDerivation | None]) -> list[Mistake]:
    """The wrong ∂ℓ/∂p formulas for one parameter; ``others(name)`` gives the derivation of
    another parameter (or None), for the mistakes that answer a different one."""
    if g.grouped:
        # Only a few of the paths are listed: variants of their sum are not slips of the
        # answer (the delta form); the answer is graded right or wrong without a named slip.
        return []
    paths = [list(p.factors) for p in g.paths]
    name = text_name(g.param.name)
    out: list[Mistake] = []

    def variant(change) -> sp.Expr:
        """The sum over paths with each factor f replaced by change(f) (None drops it)."""
        result = []
        for factors in paths:
            new = []
            for f in factors:
                r = change(f)
                if r is not None:
                    new.append(r)
            result.append(new)
        return _total(result)

    seen: set[int] = set()
    locals_ = [f for fs in paths for f in fs if not (id(f) in seen or seen.add(id(f)))]
    # an elementwise output whose derivative the loss cancels (BCE∘sigmoid)
    fused = bool(g.fusions) and model.act(model.L).elementwise

    for F in (f for f in locals_ if _kind(f) == "activation"):
        of = F.partial.of
        out.append(Mistake("missing_activation_derivative",
            f"the activation's derivative {partial_text(F)} = {text(F.result)} is missing",
            local_step(F), variant(lambda f: None if f is F else f.result)))
        if F.result != of:
            out.append(Mistake("activation_for_derivative",
                f"{text(of)}, the activation itself, stands where its derivative "
                f"{partial_text(F)} = {text(F.result)} belongs",
                local_step(F), variant(lambda f: of if f is F else f.result)))
        if fused and of in model.yhat:
            out.append(Mistake("cancelled_derivative_multiplied",
                f"the output's f′, {text(F.result)}, is multiplied in although "
                f"{g.fusions[0].title} already cancels it: ∂ℓ/∂{text(F.partial.wrt)} = "
                f"{text(g.fusions[0].result)}",
                f"∂ℓ/∂z = ∂ℓ/∂ŷ · ∂ŷ/∂z = {text(g.fusions[0].result)}   ({g.fusions[0].title})",
                variant(lambda f: f.result ** 2 if f is F else f.result)))

    for F in (f for f in locals_ if _kind(f) == "weight"):
        w = F.result
        swapped = _swapped(w, model)
        if swapped is not None:
            out.append(Mistake("swapped_indices",
                f"the weight's indices are swapped: {text(swapped)} where {text(w)} belongs "
                f"(w⁽ˡ⁾ⱼᵢ is the weight into neuron j from input i)",
                local_step(F), variant(lambda f: swapped if f is F else f.result)))

    for F in (f for f in locals_ if _kind(f) == "input"):
        a = F.result
        if not isinstance(a, sp.Symbol):
            continue
        layer = _layer_of(a, model)
        for other in layer:
            if other != a:
                out.append(Mistake("other_neuron_input",
                    f"the input of another neuron: {text(other)} where {text(a)} belongs "
                    f"(∂z⁽ˡ⁾ⱼ/∂w⁽ˡ⁾ⱼᵢ is the input i of the weight)",
                    local_step(F), variant(lambda f, o=other: o if f is F else f.result)))
        z = _z_of(a, model)
        if z is not None:
            out.append(Mistake("z_for_a",
                f"{text(z)} is used where {text(a)} belongs: the weight multiplies the "
                f"activation a = f(z), not z", local_step(F),
                variant(lambda f: z if f is F else f.result)))

    for F in (f for f in locals_ if _kind(f) == "activation"):
        a = F.partial.of
        z = F.partial.wrt
        if a in F.result.free_symbols:
            out.append(Mistake("z_for_a_in_derivative",
                f"{text(z)} is used where {text(a)} belongs in {text(F.result)}",
                local_step(F), variant(lambda f: f.result.xreplace({a: z}) if f is F
                                       else f.result)))

    if len(paths) > 1:
        for k, p in enumerate(g.paths):
            route = " → ".join(text(n) for n in p.nodes)
            rest = [[f.result for f in fs] for m, fs in enumerate(paths) if m != k]
            out.append(Mistake("missing_path",
                f"the path {route} is missing: ∂ℓ/∂{name} is the sum over all {len(paths)} "
                "paths from the parameter to the loss",
                f"{len(paths)} paths, one term each", _total(rest)))

    out.append(Mistake("wrong_sign", "the sign is wrong",
                       f"∂ℓ/∂{name} = {text(g.expression)}",
                       -g.expression))

    for other_name, why in _other_params(g):
        d = others(other_name)
        if d is not None:
            out.append(Mistake("other_parameter",
                               f"that is ∂ℓ/∂{text_name(other_name)}: {why}",
                               f"∂ℓ/∂{name} = {text(g.expression)}", d.expression))
    return out


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


def _other_params(g: GradientDerivation) -> list[tuple[str, str]]:
    """(name, why) of the parameters a wrong index would have answered instead."""
    ref = g.param
    out = []
    if ref.kind == "W" and ref.row != ref.col:
        out.append((f"W{ref.layer}[{ref.col},{ref.row}]",
                    "the indices are swapped (w⁽ˡ⁾ⱼᵢ is the weight into neuron j from "
                    "input i)"))
    return out
