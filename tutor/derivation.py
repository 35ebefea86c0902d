"""problem -> Derivation: the chain rule, step by step, for each parameter asked for. Pure, no I/O.

For a parameter p feeding z⁽ˡ⁾ⱼ, every path p → z⁽ˡ⁾ⱼ → a⁽ˡ⁾ⱼ → z⁽ˡ⁺¹⁾ₘ → … → ŷₖ → ℓ is listed;
its term is the product of the local derivatives along it, and ∂ℓ/∂p is the sum of the terms.
Paths that differ only in the output ŷₖ they pass through are merged at the output
pre-activation, where a matched loss and activation (BCE∘sigmoid, CE∘softmax) cancel to ŷ − y.
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

import numpy as np
import sympy as sp

from . import engine, gradcheck
from .errors import ProblemError, VerificationError
from .exprs import product
from .i18n import N_, _
from .problem import ParamRef, Problem, parse_param_refs
from .steps import (ChainPath, Definition, DeltaForm, Derivation, Fusion,
                    GradientDerivation, LocalDerivative, Numbers, Partial, Rule)
from .symbolic import Model, lambdify

# Up to this many paths the chain rule is written out path by path (and the result is their
# sum); beyond it, the paths are grouped by layer: their count, the first SHOWN_PATHS of them,
# and the result in the delta form, which is the same sum factored (and is verified as such).
MAX_PATHS = 64
SHOWN_PATHS = 3
# Parameters derived at once: the derivation is linear in them (2-64-64-1, 4,417 parameters:
# 3 s and 250 MB; 2-100-100-1, 10,501: 7 s and 265 MB, the finite differences' copies within
# their budget); the limit keeps one command's time and output (about 10 KB a parameter in
# text) reasonable.
MAX_PARAMS = 20_000

_g = sp.Symbol
LINEAR_W = Rule(N_("linear"), sp.Derivative(_g("z_j"), _g("w_ji")), _g("a_i"))
LINEAR_B = Rule(N_("linear"), sp.Derivative(_g("z_j"), _g("b_j")), sp.Integer(1))
LINEAR_A = Rule(N_("linear"), sp.Derivative(_g("z_m"), _g("a_j")), _g("w_mj"))


def path_count(problem: Problem, ref: ParamRef) -> int:
    """How many paths lead from ``ref`` to the loss."""
    sizes = problem.network.sizes
    count = math.prod(sizes[ref.layer + 1:])
    if not problem.network.layers[-1].act.elementwise:
        count *= problem.network.outputs
    return count


def resolve_params(problem: Problem, params: Iterable[ParamRef | str] | None
                   ) -> list[ParamRef]:
    """ParamRefs from names (``'W1[2,1]'``, ``'b2'``, ``'W1[1,1],b1[1]'``) or refs; all when None."""
    if params is None:
        return problem.network.param_refs()
    refs: list[ParamRef] = []
    for p in params:
        refs += [p] if isinstance(p, ParamRef) else parse_param_refs(p, problem.network)
    return list(dict.fromkeys(refs))


def check_size(problem: Problem, refs: Sequence[ParamRef]) -> None:
    """Refuse, with a clear error, a derivation too large to build in reasonable time."""
    if len(refs) > MAX_PARAMS:
        raise ProblemError(_("too large to derive at once: {n} parameters (limit "
                             "{max_params}); choose some with --param").format(
                                 n=len(refs), max_params=MAX_PARAMS), file=problem.file,
                           field="network.layers")


class _Builder:
    """Builds the steps for each parameter, sharing local derivatives between parameters."""

    def __init__(self, model: Model):
        self.m = model
        self.local_cache: dict[tuple[sp.Symbol, sp.Symbol], LocalDerivative] = {}
        self.fusion_cache: dict[int, Fusion | None] = {}
        self.delta_cache: dict[tuple[int, int], Definition] = {}
        self.layer_defs: dict[int, list[Definition]] = {}
        self.path_cache: dict[tuple[int, int], list] = {}
        self.term_cache: dict[tuple[int, int], list] = {}
        self.output_index = {z: m for m, z in enumerate(model.z[model.L])}
        act_L = model.act(model.L)
        loss = model.loss
        self.fused = loss.fused_with == act_L.name
        self.loss_rule = Rule(loss.title, *loss.rule)

    # -- local derivatives, one per edge --

    def local(self, out: sp.Symbol, inp: sp.Symbol, make) -> LocalDerivative:
        key = (out, inp)
        ld = self.local_cache.get(key)
        if ld is None:
            result, rule = make()
            ld = self.local_cache[key] = LocalDerivative(Partial(out, inp), result, rule)
        return ld

    def d_loss(self, k: int) -> LocalDerivative:
        m = self.m
        return self.local(m.ell, m.yhat[k], lambda: (
            m.loss.derivative(m.yhat[k], m.y[k], len(m.yhat)), self.loss_rule))

    def d_act(self, l: int, k: int, j: int) -> LocalDerivative:
        """∂a⁽ˡ⁾ₖ/∂z⁽ˡ⁾ⱼ."""
        m = self.m
        act = m.act(l)
        a, z = m.a[l], m.z[l]

        def make():
            from .activations import jacobian
            return jacobian(act, z[j], a[k], a[j], k == j), Rule(act.title, *act.rule)
        return self.local(a[k], z[j], make)

    def d_linear_a(self, l: int, m_: int, j: int) -> LocalDerivative:
        """∂z⁽ˡ⁾ₘ/∂a⁽ˡ⁻¹⁾ⱼ = w⁽ˡ⁾ₘⱼ."""
        m = self.m
        return self.local(m.z[l][m_], m.a[l - 1][j], lambda: (m.W[l][m_][j], LINEAR_A))

    def d_param(self, ref: ParamRef) -> LocalDerivative:
        m = self.m
        z = m.z[ref.layer][ref.row - 1]
        if ref.kind == "W":
            return self.local(z, m.param(ref),
                              lambda: (m.a[ref.layer - 1][ref.col - 1], LINEAR_W))
        return self.local(z, m.param(ref), lambda: (sp.Integer(1), LINEAR_B))

    # -- paths --

    def paths(self, ref: ParamRef) -> list[ChainPath]:
        """Every path from ``ref`` to ℓ, factors ordered from ℓ back to ``ref``."""
        p = self.m.param(ref)
        z = self.m.z[ref.layer][ref.row - 1]
        edge = self.d_param(ref)
        return [ChainPath((p, z) + nodes, factors + (edge,))
                for nodes, factors in self.neuron_paths(ref.layer, ref.row - 1)]

    def some_paths(self, ref: ParamRef, count: int) -> list[ChainPath]:
        """The first ``count`` paths of ``paths(ref)``, found without listing them all."""
        p = self.m.param(ref)
        z = self.m.z[ref.layer][ref.row - 1]
        edge = self.d_param(ref)
        out = []
        for nodes, factors in self._lazy_paths(ref.layer, ref.row - 1):
            out.append(ChainPath((p, z) + nodes, factors + (edge,)))
            if len(out) == count:
                break
        return out

    def _lazy_paths(self, l: int, j: int):
        """neuron_paths(l, j) in the same order, one at a time."""
        m = self.m
        act = m.act(l)
        for k in (range(len(m.a[l])) if not act.elementwise else [j]):
            d_a = self.d_act(l, k, j)
            if l == m.L:
                yield (m.a[l][k], m.ell), (self.d_loss(k), d_a)
                continue
            for mm in range(len(m.z[l + 1])):
                d_z = self.d_linear_a(l + 1, mm, k)
                for nodes, factors in self._lazy_paths(l + 1, mm):
                    yield (m.a[l][k], m.z[l + 1][mm]) + nodes, factors + (d_z, d_a)

    def neuron_paths(self, l: int, j: int) -> list[tuple[tuple, tuple]]:
        """Every path from z⁽ˡ⁾ⱼ to ℓ as (nodes after z⁽ˡ⁾ⱼ, factors from ℓ back to z⁽ˡ⁾ⱼ),
        shared by all the parameters feeding z⁽ˡ⁾ⱼ."""
        key = (l, j)
        if key in self.path_cache:
            return self.path_cache[key]
        m = self.m
        act = m.act(l)
        out = []
        for k in (range(len(m.a[l])) if not act.elementwise else [j]):
            d_a = self.d_act(l, k, j)
            if l == m.L:
                out.append(((m.a[l][k], m.ell), (self.d_loss(k), d_a)))
                continue
            for mm in range(len(m.z[l + 1])):
                d_z = self.d_linear_a(l + 1, mm, k)
                out += [((m.a[l][k], m.z[l + 1][mm]) + nodes, factors + (d_z, d_a))
                        for nodes, factors in self.neuron_paths(l + 1, mm)]
        self.path_cache[key] = out
        return out

    # -- the output layer: ∂ℓ/∂zₘ, fused where the loss and activation cancel --

    def fusion(self, mm: int) -> Fusion | None:
        if mm in self.fusion_cache:
            return self.fusion_cache[mm]
        m = self.m
        f = None
        if self.fused:
            L = m.L
            ks = [mm] if m.act(L).elementwise else range(len(m.yhat))
            terms = tuple((self.d_loss(k), self.d_act(L, k, mm)) for k in ks)
            before = sp.Add(*[sp.Mul(a.result, b.result, evaluate=False) for a, b in terms],
                            evaluate=False)
            result = m.loss.fused(m.yhat[mm], m.y[mm], len(m.yhat))
            f = Fusion(m.z[L][mm], terms, before, result, m.loss.fused_title)
        self.fusion_cache[mm] = f
        return f

    def output_delta(self, mm: int) -> sp.Expr:
        """δ⁽ᴸ⁾ₘ = ∂ℓ/∂z⁽ᴸ⁾ₘ as an expression."""
        f = self.fusion(mm)
        if f is not None:
            return f.result
        L = self.m.L
        return product(self.d_loss(mm).result, self.d_act(L, mm, mm).result)

    # -- assembling --

    def expression(self, ref: ParamRef) -> sp.Expr:
        """∂ℓ/∂p: Σ over paths of Π factors, with fused output heads, in printing order
        (unevaluated)."""
        edge = self.d_param(ref).result
        # Each term is (the neuron's term) · ∂z/∂p: the neuron's part is one shared object for
        # all parameters feeding the neuron (printers flatten the nesting).
        terms = [product(term, edge) for term in self.neuron_terms(ref.layer, ref.row - 1)]
        return sp.Add._from_args(terms) if len(terms) > 1 else terms[0]

    def neuron_terms(self, l: int, j: int) -> list[sp.Expr]:
        """The terms of ∂ℓ/∂z⁽ˡ⁾ⱼ as products: one per path, except that paths differing
        only in the output ŷₖ they pass through merge into one head ∂ℓ/∂z⁽ᴸ⁾ₘ."""
        key = (l, j)
        if key in self.term_cache:
            return self.term_cache[key]
        terms: dict[tuple, tuple] = {}
        for nodes, factors in self.neuron_paths(l, j):
            # factors: ∂ℓ/∂ŷₖ, ∂ŷₖ/∂z⁽ᴸ⁾ₘ, then the tail from z⁽ᴸ⁾ₘ down to z⁽ˡ⁾ⱼ.
            z_out = factors[1].partial.wrt
            tail = factors[2:]
            key_ = (z_out,) + tail
            if key_ in terms:
                continue  # the same tail through another ŷₖ: merged into the head
            if self.fused:
                head = self.output_delta(self.output_index[z_out])
            else:
                # Unfused: one ŷₖ per z⁽ᴸ⁾ₘ (elementwise output), head = ∂ℓ/∂ŷ · f'(z).
                head = product(factors[0].result, factors[1].result)
            terms[key_] = product(head, *(f.result for f in tail))
        self.term_cache[key] = list(terms.values())
        return self.term_cache[key]

    def definitions(self, ref: ParamRef) -> list[Definition]:
        """z and a of p's neuron, then every z and a of the layers above it, then ℓ."""
        m = self.m
        j = ref.row - 1
        out = [Definition(m.z[ref.layer][j], m.z_def(ref.layer, j))]
        a_defs = m.a_defs(ref.layer)
        if m.act(ref.layer).elementwise:
            out.append(Definition(m.a[ref.layer][j], a_defs[j]))
        else:
            out += [Definition(s, e) for s, e in zip(m.a[ref.layer], a_defs)]
        for l in range(ref.layer + 1, m.L + 1):
            out += self.layer_definitions(l)
        out.append(Definition(m.ell, m.loss_def))
        return out

    def layer_definitions(self, l: int) -> list[Definition]:
        """Every z and a of layer l."""
        if l not in self.layer_defs:
            m = self.m
            self.layer_defs[l] = (
                [Definition(m.z[l][k], m.z_def(l, k)) for k in range(len(m.z[l]))]
                + [Definition(s, e) for s, e in zip(m.a[l], m.a_defs(l))])
        return self.layer_defs[l]

    def delta_form(self, ref: ParamRef) -> DeltaForm:
        m = self.m
        L = m.L
        if ref.layer == L:
            defs = [self.delta_definition(L, ref.row - 1)]
        else:
            defs = [self.delta_definition(L, k) for k in range(len(m.z[L]))]
            for l in range(L - 1, ref.layer - 1, -1):
                js = [ref.row - 1] if l == ref.layer else range(len(m.z[l]))
                defs += [self.delta_definition(l, j) for j in js]
        delta = m.delta[ref.layer][ref.row - 1]
        grad = (sp.Mul(delta, m.a[ref.layer - 1][ref.col - 1], evaluate=False)
                if ref.kind == "W" else delta)
        return DeltaForm(ref.layer, L, ref.kind, tuple(defs), grad)

    def delta_definition(self, l: int, j: int) -> Definition:
        """δ⁽ᴸ⁾ⱼ = ∂ℓ/∂z⁽ᴸ⁾ⱼ; below the output, δ⁽ˡ⁾ⱼ = (Σₖ w⁽ˡ⁺¹⁾ₖⱼ δ⁽ˡ⁺¹⁾ₖ) f'(z⁽ˡ⁾ⱼ)."""
        key = (l, j)
        if key not in self.delta_cache:
            m = self.m
            if l == m.L:
                expr = self.output_delta(j)
            else:
                back = sp.Add(*[sp.Mul(m.W[l + 1][k][j], m.delta[l + 1][k], evaluate=False)
                                for k in range(len(m.z[l + 1]))], evaluate=False)
                expr = product(back, m.act(l).derivative(m.z[l][j], m.a[l][j]))
            self.delta_cache[key] = Definition(m.delta[l][j], expr)
        return self.delta_cache[key]


def verified(d: Derivation) -> Derivation:
    """``d``, or VerificationError when the three computations of any of its gradients
    disagree: a bug in tutor, whose results are never shown nor graded against."""
    bad = [g for g in d.gradients if not g.check.ok]
    if bad:
        c = bad[0].check
        raise VerificationError(_(
            "internal error: the three computations of ∂L/∂{param} disagree (symbolic "
            "{symbolic!r}, NumPy {numpy!r}, finite difference {fd!r}); nothing is shown. This "
            "is a bug in tutor: please report it with the problem file.").format(
                param=bad[0].param.name, symbolic=c.symbolic, numpy=c.numpy,
                fd=c.finite_difference))
    return d


def _evaluate_deltas(b: _Builder, values: dict, n: int) -> dict:
    """Every δ⁽ˡ⁾ⱼ of every sample, from its symbolic definition (δ⁽ᴸ⁾ from the loss and the
    output activation, then δ⁽ˡ⁾ = (Σₖ w⁽ˡ⁺¹⁾ₖⱼ δ⁽ˡ⁺¹⁾ₖ) f′(z⁽ˡ⁾ⱼ) layer by layer down), each
    layer's definitions lambdified at once: (n,) arrays by δ symbol."""
    m = b.m
    out = {}
    for l in range(m.L, 0, -1):
        defs = [b.delta_definition(l, j) for j in range(len(m.z[l]))]
        symbols = list(values) + list(out)
        fn = lambdify(symbols, [d.expr for d in defs])
        args = [values[s] if s in values else out[s] for s in symbols]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            for d, v in zip(defs, fn(*args)):
                out[d.symbol] = np.broadcast_to(np.asarray(v, dtype=float), (n,))
    return out


def forward_definitions(problem: Problem) -> list[Definition]:
    """The forward pass as equations: every z and a of every layer in order, then ℓ."""
    b = _Builder(Model(problem))
    m = b.m
    return ([d for l in range(1, m.L + 1) for d in b.layer_definitions(l)]
            + [Definition(m.ell, m.loss_def)])


def derive(problem: Problem, params: Iterable[ParamRef | str] | None = None,
           sample: int | None = None) -> Derivation:
    """The step-by-step derivation of ∂L/∂p for each parameter p in ``params`` (names or
    ParamRefs; default all), with numbers for sample ``sample`` (1-based; default the first
    with the most non-zero inputs) and the batch, every value checked three ways."""
    if sample is None:
        sample = problem.exercise_sample
    refs = resolve_params(problem, params)
    check_size(problem, refs)
    if not 1 <= sample <= problem.n_samples:
        raise ProblemError(_("expected a sample from 1 to {n_samples}; got {sample}").format(
                               n_samples=problem.n_samples, sample=sample),
                           field="--sample")
    loss, fw, bw = _engine_pass(problem)                  # 1. the NumPy way (the reference)
    b = _Builder(Model(problem))
    built = [_build(b, problem, ref) for ref in refs]     # 2. the steps, for each parameter
    symbolic = _Symbolic(b, problem, built)               # 3. the symbolic way, evaluated
    fds = gradcheck.finite_differences(problem, refs)     # 4. the finite differences
    sample_numbers = _SampleNumbers(b.m, problem, fw, bw, sample)
    gradients = [_gradient(b, problem, item, symbolic, fd, bw, float(loss), sample_numbers)
                 for item, fd in zip(built, fds)]         # 5. numbers and checks, together
    return Derivation(problem=problem, loss=float(loss), sample=sample,
                      gradients=tuple(gradients))


def _engine_pass(problem: Problem):
    """The engine's loss, forward and backward pass; a forward pass that overflows is the
    problem's (ProblemError), not a bug."""
    with np.errstate(over="ignore", invalid="ignore"):
        loss, fw, bw = engine.loss_and_gradients(problem)
    if not (np.isfinite(loss) and all(np.isfinite(z).all() for z in fw.zs)):
        raise ProblemError(_("the forward pass overflows at these weights and inputs; use "
                             "smaller values"), file=problem.file, field="init")
    return loss, fw, bw


def _build(b: _Builder, problem: Problem, ref: ParamRef) -> tuple:
    """(ref, paths, expression, delta form, path count) of one parameter. Beyond MAX_PATHS
    paths the expression is the delta form, δ⁽ˡ⁾ⱼ·∂z⁽ˡ⁾ⱼ/∂p, and a few paths are listed."""
    count = path_count(problem, ref)
    delta = b.delta_form(ref)
    if count <= MAX_PATHS:
        return ref, b.paths(ref), b.expression(ref), delta, count
    return ref, b.some_paths(ref, SHOWN_PATHS), delta.gradient, delta, count


class _Symbolic:
    """The symbolic way: every built expression, local derivative and fusion lambdified in
    one function and evaluated at the values of the SymPy forward definitions (and of the δ
    definitions, for grouped paths): (n,) arrays by object."""

    def __init__(self, b: _Builder, problem: Problem, built: list[tuple]):
        n = problem.n_samples
        self.values = b.m.evaluate_forward(problem.params, problem.inputs, problem.targets)
        if any(count > len(paths) for _r, paths, _e, _d, count in built):
            self.values.update(_evaluate_deltas(b, self.values, n))
        locals_ = list(b.local_cache.values())
        fusions = [f for f in b.fusion_cache.values() if f is not None]
        exprs = ([e for _r, _p, e, _d, _c in built] + [ld.result for ld in locals_]
                 + [f.before for f in fusions])
        symbols = list(self.values)
        fn = lambdify(symbols, exprs)
        # A saturated output makes a local derivative like (ŷ − y)/(ŷ(1 − ŷ)) infinite
        # (shown as such); the gradient itself is fused and finite.
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            out = [np.broadcast_to(np.asarray(v, dtype=float), (n,))
                   for v in fn(*[self.values[s] for s in symbols])]
        m = len(built)
        self.gradients = dict(zip((item[0] for item in built), out[:m]))
        self.locals = dict(zip(locals_, out[m:m + len(locals_)]))
        self.fusions = dict(zip(fusions, out[m + len(locals_):]))


class _SampleNumbers:
    """The engine's ℓ and δs of the chosen sample, shared by every parameter's numbers."""

    def __init__(self, model: Model, problem: Problem, fw, bw, sample: int):
        k = sample - 1
        self.sample = sample
        self.ell = float(engine.sample_losses(problem.network, problem.loss_fn, fw,
                                              problem.targets)[k])
        self.deltas = {model.delta[l][j]: float(bw.deltas[l - 1][k, j])
                       for l in range(1, model.L + 1) for j in range(len(model.delta[l]))}


def _gradient(b: _Builder, problem: Problem, item: tuple, sym: _Symbolic, fd, bw,
              loss: float, own: _SampleNumbers) -> GradientDerivation:
    """One parameter's derivation: its steps, the numbers of the sample and the check."""
    ref, paths, expr, delta, count = item
    sample = own.sample
    model, k = b.m, sample - 1
    per_sample = sym.gradients[ref]
    symbolic = float(per_sample.mean())
    check = gradcheck.make_check(symbolic, float(bw.grads[ref.array][ref.index]), fd, loss)
    unique = list(dict.fromkeys(f for p in paths for f in p.factors))
    fusions = [f for f in dict.fromkeys(
        b.fusion(b.output_index[p.factors[1].partial.wrt]) for p in paths) if f is not None]
    definitions = b.definitions(ref)
    values = sym.values
    shown = ([(x, values[x][k]) for x in model.x]
             + [(d.symbol, values[d.symbol][k]) for d in definitions[:-1]]
             + [(y, values[y][k]) for y in model.y] + [(model.ell, own.ell)])
    numbers = Numbers(
        sample=sample,
        values=tuple((s, float(v)) for s, v in shown),
        factors=tuple((f, float(sym.locals[f][k])) for f in unique),
        fusions=tuple((f, float(sym.fusions[f][k])) for f in fusions),
        deltas=tuple((d.symbol, own.deltas[d.symbol]) for d in delta.deltas),
        per_sample=tuple(float(v) for v in per_sample),
        gradient=symbolic,
    )
    return GradientDerivation(
        param=ref, symbol=model.param(ref), value=problem.value(ref),
        definitions=tuple(definitions), paths=tuple(paths), local=tuple(unique),
        fusions=tuple(fusions), expression=expr, delta=delta, numbers=numbers, check=check,
        path_count=count)
