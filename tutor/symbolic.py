"""The SymPy model of a network: a named symbol for every x, z, a, ŷ, y and ℓ, and the forward
definitions between them.

The computation is staged, never expanded: z⁽ˡ⁾ⱼ is defined in terms of the symbols a⁽ˡ⁻¹⁾ᵢ,
not of the inputs, so every definition and every local derivative stays a small expression
whatever the depth of the network.

Symbol names are the ASCII names used in files and commands (``W1[2,1]``, ``b1[2]``, ``z1[2]``,
``a1[2]``, ``x1``, ``y``, ``yhat``, ``delta1[2]``, ``ell``); the printers turn them into w⁽¹⁾₂₁
and friends (see ``printing.names``).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import sympy as sp

from . import activations
from .activations import LAMBDIFY_MODULE
from .problem import ParamRef, Problem

LAMBDIFY_MODULES = [LAMBDIFY_MODULE, "numpy"]


def lambdify(args: list, exprs: list):
    """A NumPy function of ``args`` returning the values of ``exprs``: like ``sympy.lambdify``,
    but linear in the size of the expressions.

    lambdify prints every expression in full, so a subexpression shared by a hundred gradients
    is printed and computed a hundred times, and it renames symbols that are not Python
    identifiers (``W1[2,1]``) one argument at a time. Here every distinct subexpression becomes
    one line of straight-line code, computed once. Expressions outside the small language of
    derivations fall back to SymPy's lambdify. ``args`` is a list of symbols or of lists of
    symbols, as for lambdify.
    """
    try:
        return _compile(args, exprs)
    except _Unsupported:
        pass
    names: dict[sp.Symbol, sp.Symbol] = {}

    def rename(a):
        if isinstance(a, (list, tuple)):
            return [rename(x) for x in a]
        return names.setdefault(a, sp.Symbol(f"_s{len(names)}"))

    safe_args = rename(args)
    safe = [e.xreplace(names) if isinstance(e, sp.Basic) else e for e in exprs]
    return sp.lambdify(safe_args, safe, modules=LAMBDIFY_MODULES, dummify=False)


class _Unsupported(Exception):
    pass




def _compile(args: list, exprs: list):
    lines: list[str] = []
    memo: dict[sp.Basic, str] = {}
    params = []
    for k, a in enumerate(args):
        if isinstance(a, (list, tuple)):
            params.append(f"_a{k}")
            for m, x in enumerate(a):
                memo[x] = f"_a{k}[{m}]"
        else:
            params.append(f"_a{k}")
            memo[a] = f"_a{k}"

    def code(e) -> str:
        hit = memo.get(e)
        if hit is not None:
            return hit
        if e.is_Number:
            if not (e.is_Integer or e.is_Rational or e.is_Float):
                raise _Unsupported(e)
            return repr(float(e))
        if e.is_Symbol:
            raise _Unsupported(e)  # a free symbol that is not an argument
        if e.is_Add:
            out = " + ".join(code(t) for t in e.args)
        elif e.is_Mul:
            out = " * ".join(code(t) for t in e.args)
        elif e.is_Pow:
            if not e.exp.is_Integer:
                raise _Unsupported(e)
            k = int(e.exp)
            base = code(e.base)
            out = f"{base} ** {k}" if k > 0 else f"1.0 / {base} ** {-k}"
        elif isinstance(e, sp.Heaviside) and len(e.args) == 1:
            out = f"_np.heaviside({code(e.args[0])}, 0.5)"   # SymPy's H(0) without h0
        elif isinstance(e, sp.Piecewise) and len(e.args) == 2 and e.args[1].cond == True \
                and isinstance(e.args[0].cond, sp.StrictGreaterThan) and e.args[0].cond.rhs == 0:
            (v1, c1), (v2, _) = e.args
            out = f"_np.where({code(c1.lhs)} > 0, {code(v1)}, {code(v2)})"
        elif type(e).__name__ in activations.FUNCTIONS:
            # Any function of the registry: its NumPy form, called with its arguments.
            out = f"_f_{type(e).__name__}({', '.join(code(a) for a in e.args)})"
        else:
            raise _Unsupported(e)
        name = f"_t{len(lines)}"
        lines.append(f"    {name} = {out}")
        memo[e] = name
        return name

    results = [code(sp.sympify(e)) for e in exprs]
    src = (f"def _f({', '.join(params)}):\n" + "\n".join(lines)
           + f"\n    return [{', '.join(results)}]\n")
    namespace = {"_np": np, **{f"_f_{f.name}": f.numpy for f in activations.FUNCTIONS.values()}}
    exec(compile(src, "<tutor.symbolic.lambdify>", "exec"), namespace)
    return namespace["_f"]


class Model:
    """Symbols and forward definitions for ``problem``'s network.

    x[i], y[k], yhat[k] are 0-based lists; W[l][j][i], b[l][j], z[l][j], a[l][j] are indexed by
    the 1-based layer l and 0-based neuron j, input i; a[0] is x and a[L] is yhat.
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        net = problem.network
        self.L = len(net.layers)
        self.sizes = net.sizes
        K = net.outputs
        one = K == 1
        self.x = [sp.Symbol(f"x{i}") for i in range(1, net.inputs + 1)]
        self.y = [sp.Symbol("y" if one else f"y{k}") for k in range(1, K + 1)]
        self.yhat = [sp.Symbol("yhat" if one else f"yhat{k}") for k in range(1, K + 1)]
        self.ell = sp.Symbol("ell")
        self.W: list = [None]
        self.b: list = [None]
        self.z: list = [None]
        self.a: list = [self.x]
        self.delta: list = [None]
        for l in range(1, self.L + 1):
            units, fan_in = self.sizes[l], self.sizes[l - 1]
            self.W.append([[sp.Symbol(f"W{l}[{j},{i}]") for i in range(1, fan_in + 1)]
                           for j in range(1, units + 1)])
            self.b.append([sp.Symbol(f"b{l}[{j}]") for j in range(1, units + 1)])
            self.z.append([sp.Symbol(f"z{l}[{j}]") for j in range(1, units + 1)])
            self.delta.append([sp.Symbol(f"delta{l}[{j}]") for j in range(1, units + 1)])
            self.a.append(self.yhat if l == self.L else
                          [sp.Symbol(f"a{l}[{j}]") for j in range(1, units + 1)])
        self.loss = problem.loss_fn
        self._z_defs: dict[tuple[int, int], sp.Expr] = {}

    def act(self, l: int) -> activations.Activation:
        return self.problem.network.layers[l - 1].act

    def param(self, ref: ParamRef) -> sp.Symbol:
        if ref.kind == "W":
            return self.W[ref.layer][ref.row - 1][ref.col - 1]
        return self.b[ref.layer][ref.row - 1]

    # -- forward definitions --

    def z_def(self, l: int, j: int) -> sp.Expr:
        """z⁽ˡ⁾ⱼ = Σᵢ w⁽ˡ⁾ⱼᵢ a⁽ˡ⁻¹⁾ᵢ + b⁽ˡ⁾ⱼ, kept in this textbook order."""
        key = (l, j)
        if key not in self._z_defs:
            self._z_defs[key] = self._make_z_def(l, j)
        return self._z_defs[key]

    def _make_z_def(self, l: int, j: int) -> sp.Expr:
        terms = [sp.Mul(w, a, evaluate=False) for w, a in zip(self.W[l][j], self.a[l - 1])]
        return sp.Add(*terms, self.b[l][j], evaluate=False)

    def a_defs(self, l: int) -> list[sp.Expr]:
        """[f(z⁽ˡ⁾₁), …], or the softmax of the layer."""
        return activations.layer_values(self.act(l), self.z[l])

    @cached_property
    def loss_def(self) -> sp.Expr:
        """ℓ in terms of ŷ and y."""
        return self.loss.symbolic(self.yhat, self.y)

    # -- the symbolic way of evaluating the forward pass --

    @cached_property
    def _forward_functions(self):
        fns = []
        for l in range(1, self.L + 1):
            Wf = [w for row in self.W[l] for w in row]
            zf = lambdify([Wf, self.b[l], self.a[l - 1]],
                          [self.z_def(l, j) for j in range(self.sizes[l])])
            af = lambdify([self.z[l]], self.a_defs(l))
            fns.append((Wf, zf, af))
        return fns

    def evaluate_forward(self, params, X: np.ndarray, Y: np.ndarray) -> dict[sp.Symbol, object]:
        """The value of every symbol, from the SymPy definitions (lambdified), independently of
        the NumPy engine: per-sample symbols map to arrays (n_samples,), parameters to floats."""
        n = X.shape[0]
        values: dict[sp.Symbol, object] = {}
        for l in range(1, self.L + 1):
            for j, row in enumerate(self.W[l]):
                for i, w in enumerate(row):
                    values[w] = float(params[f"W{l}"][j, i])
            for j, b in enumerate(self.b[l]):
                values[b] = float(params[f"b{l}"][j])
        for i, x in enumerate(self.x):
            values[x] = X[:, i]
        for k, y in enumerate(self.y):
            values[y] = Y[:, k]
        for l, (Wf, zf, af) in enumerate(self._forward_functions, start=1):
            zs = zf([values[w] for w in Wf], [values[b] for b in self.b[l]],
                    [values[a] for a in self.a[l - 1]])
            zs = [np.broadcast_to(np.asarray(v, dtype=float), (n,)) for v in zs]
            if not self.act(l).elementwise:
                # Softmax is unchanged by a common shift; shifting by the max keeps exp finite.
                top = np.max(zs, axis=0)
                shifted = [v - top for v in zs]
            else:
                shifted = zs
            acts = af(shifted)
            for z, v in zip(self.z[l], zs):
                values[z] = v
            for a, v in zip(self.a[l], acts):
                values[a] = np.broadcast_to(np.asarray(v, dtype=float), (n,))
        return values
