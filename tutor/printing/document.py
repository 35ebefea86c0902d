"""The shape of a printed derivation, shared by the text, LaTeX and Markdown printers.

``DocPrinter`` walks the steps (``_print_GradientDerivation`` and friends) and lays them out as
headings, paragraphs and rows of equations ``lhs = rhs   note``. Subclasses supply only the
format: how to print an expression, a number, a heading, a block of rows, plain words.
"""

from __future__ import annotations

import functools
import math

import sympy as sp

from ..names import Name
from ..problem import ParamRef
from ..steps import (Check, DeltaForm, Derivation, Fusion, GradientDerivation, LocalDerivative,
                     Numbers, Partial)
from .. import conventions
from ..i18n import _, ngettext
from . import Printer
from .exprs import _cached, factors

# Derivations list at most this many samples' values in a batch mean before summarising.
MAX_LISTED_SAMPLES = 8
# In a parameter's own forward pass, longer sums are abridged to the terms that matter.
ABRIDGED_TERMS = 6


def _memoized(fn, kind: str):
    """A printer method of one expression, printed once per printer: a derivation prints the
    same forward definitions and names for every parameter of a layer."""
    attr = "_printed_" + kind

    def method(self, e):
        # First by identity (the same Definition's expression, the same symbol: no SymPy
        # hashing or comparing), then by equality.
        seen = self.__dict__.get(attr)
        if seen is None:
            seen = self.__dict__[attr] = ({}, {})
        by_id, cache = seen
        hit = by_id.get(id(e))
        if hit is not None and hit[0] is e:
            out = hit[1]
        else:
            try:
                out = cache[e]
            except TypeError:           # not hashable: printed each time
                return fn(self, e)
            except KeyError:
                out = cache[e] = fn(self, e)
            by_id[id(e)] = (e, out)     # (holding e, whose id is the key)
        return list(out) if isinstance(out, list) else out
    method.__name__, method.__doc__ = fn.__name__, fn.__doc__
    return method


def _memoized_partial(fn):
    """``partial`` printed once per Partial object (a path's factors are the same objects for
    every parameter whose paths cross them), found by identity."""
    def partial(self, p, sample=None, inline=False):
        seen = self.__dict__.get("_printed_partials")
        if seen is None:
            seen = self.__dict__["_printed_partials"] = {}
        key = (id(p), sample, inline)
        hit = seen.get(key)
        if hit is not None and hit[0] is p:
            return hit[1]
        out = fn(self, p, sample, inline)
        seen[key] = (p, out)            # (holding p, whose id is the key)
        return out
    partial.__name__, partial.__doc__ = fn.__name__, fn.__doc__
    return partial


class DocPrinter(Printer):
    """Base of the document printers. Subclasses implement the primitives below."""

    _default_settings = {"digits": 6}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        for name in ("expr", "terms"):
            if name in cls.__dict__:
                setattr(cls, name, _memoized(cls.__dict__[name], name))
        if "partial" in cls.__dict__:
            cls.partial = _memoized_partial(cls.__dict__["partial"])

    # -- primitives (format-specific) --

    def expr(self, e) -> str:
        raise NotImplementedError

    def terms(self, e) -> list[str]:
        """A sum's terms, each with its sign (``+ t``, ``− t``) but the first, for breaking."""
        raise NotImplementedError

    def partial(self, p: Partial, sample: int | None = None, inline: bool = False) -> str:
        """∂of/∂wrt; with ``sample``, the loss of that sample (∂ℓ₁/∂w); ``inline`` for running
        text, where a built-up fraction would be too small to read."""
        raise NotImplementedError

    def op(self, name: str) -> str:
        """A symbol of the notation: 'to', 'cdot', 'sum_n', 'L', 'ell', 'check', 'cross'."""
        raise NotImplementedError

    def heading(self, level: int, content: str) -> str:
        raise NotImplementedError

    def para(self, content: str) -> str:
        raise NotImplementedError

    def rows(self, rows: list[tuple[str, str | list[str], tuple]]) -> str:
        """Equations ``lhs = rhs``; rhs may be a list of pieces to break between; the note is
        empty or a tuple of ("words", s), ("math", s), ("mark", ok) segments."""
        raise NotImplementedError

    def words(self, s: str) -> str:
        """Plain text, escaped for the format."""
        raise NotImplementedError

    def inline(self, math_: str) -> str:
        """Mathematics inside running text."""
        raise NotImplementedError

    def label(self, words: str) -> str:
        """Words standing where an equation's left-hand side goes."""
        return words

    def table(self, header: list[str], rows: list[list[str]], names: int = 1) -> str:
        """A table of formatted cells (``inline`` mathematics, ``words``, ``mark``): the first
        ``names`` columns name the row (aligned left), the others are numbers (right)."""
        raise NotImplementedError

    def document(self, title: str, body: list[str]) -> str:
        raise NotImplementedError

    def mark(self, ok: bool | None) -> str:
        """✓, ✗, or (None) the sign for 'not applicable'."""
        raise NotImplementedError

    def glue(self, s: str) -> str:
        """Linear mathematics written between printed pieces (" = ", " + ", "(" …): as it is,
        but in HTML, where it becomes MathML operators."""
        return s

    def math_words(self, s: str) -> str:
        """Words inside a row of mathematics."""
        return self.words(s)

    def infix(self, name: str) -> str:
        """An operator of ``op`` between two operands."""
        return self.glue(" ") + self.op(name) + self.glue(" ")

    def note(self, segments) -> str:
        """A note in running text."""
        return "".join(self.words(s) if kind == "words" else self.inline(s) if kind == "math"
                       else self.mark(s) for kind, s in segments)

    def matrix_form(self, d: DeltaForm) -> str:
        raise NotImplementedError

    def one_over(self, n: int) -> str:
        """(1/4)."""
        raise NotImplementedError

    def batch_mean(self, p: str) -> str:
        """L = (1/N) Σₙ ℓₙ style statement for ∂L/∂p."""
        raise NotImplementedError

    # -- numbers --

    def num(self, x: float, digits: int | None = None) -> str:
        if x == 0:
            return "0"  # never −0
        if not math.isfinite(x):
            return self.words(_("undefined (a sigmoid output rounds to 0 or 1)"))
        d = digits or self._settings["digits"]
        # (the same values come back for every parameter of a neuron)
        return _cached(self.__dict__.setdefault("_printed_numbers", {}), self._number, (x, d))

    def _number(self, key: tuple[float, int]) -> str:
        x, d = key
        s = f"{x:.{d}g}"
        return self.sci(s) if "e" in s else self.minus(s)

    def minus(self, s: str) -> str:
        return s

    def sci(self, s: str) -> str:
        return s

    # -- the walk --

    def _print_Derivation(self, d: Derivation) -> str:
        return self.document(d.problem.name, list(self._derivation_parts(d)))

    def _derivation_parts(self, d: Derivation):
        """The parts of a whole derivation's body, one after the other (a large one is
        written as it is made: see HtmlDocPrinter.chunks)."""
        p = d.problem
        intro = [self.para(self.words(p.description))] if p.description else []
        intro.append(self.para(
            self.words(ngettext("Network {network}, loss {loss}, {n} sample; at {origin} the "
                                "batch loss is ",
                                "Network {network}, loss {loss}, {n} samples; at {origin} the "
                                "batch loss is ", p.n_samples).format(
                network=p.network.describe(), loss=p.loss, n=p.n_samples, origin=_(p.origin)))
            + self.inline(self.op("L") + self.glue(" = ") + self.num(d.loss)) + self.words(".")))
        yield from intro
        # Several parameters share the layers above them: their forward pass is printed once,
        # here, and each parameter's section shows only its own neuron's definitions.
        shared = len(d.gradients) > 1
        if shared:
            yield self._summary(d)
            yield self.heading(2, self.words(_("Forward pass")))
            yield self._print_definitions(_forward_pass(d.gradients))
        self._shared_forward = shared
        try:
            for g in d.gradients:
                yield self._print(g)
        finally:
            self._shared_forward = False

    def _summary(self, d: Derivation) -> str:
        """Every ∂L/∂p at a glance: its value, each sample's contribution (for a few
        samples), and the three-way check."""
        N = d.problem.n_samples
        p, L, ell = sp.Symbol("p"), sp.Symbol("L"), sp.Symbol("ell")
        listed = N <= MAX_LISTED_SAMPLES
        header = [self.words(_("parameter")), self.words(_("in files")),
                  self.inline(self.partial(Partial(L, p), inline=True))]
        if listed:
            header += [self.inline(self.partial(Partial(ell, p), sample=n, inline=True))
                       for n in range(1, N + 1)]
        header.append(self.words(_("check")))
        rows = []
        for g in d.gradients:
            row = [self.inline(self.expr(g.symbol)), self.words(conventions.shown(g.param.name)),
                   self.inline(self.num(g.numbers.gradient))]
            if listed:
                row += [self.inline(self.num(v)) for v in g.numbers.per_sample]
            row.append(self.mark(g.check.ok))
            rows.append(row)
        what = (_("∂ℓₙ/∂p is sample n's contribution; ∂L/∂p is their mean.") if listed else
                _("The contributions of the {n} samples are in each parameter's section.")
                .format(n=N))
        return "\n".join([
            self.heading(2, self.words(_("Summary: the {n} gradients").format(
                n=len(d.gradients)))),
            self.table(header, rows, names=2),
            self.para(self.words(what + " " + _("✓: the symbolic, NumPy and finite-difference "
                                                "values agree."))),
            self.para(self.words(_("The derivation of each parameter follows, in this "
                                   "order.")))])

    # -- computational graphs --

    def _print_GraphDerivation(self, d) -> str:
        """A graph's forward pass node by node, its backward pass from the output (upstream ×
        local = downstream, a value used several times getting the sum over its uses), the
        gradient of every input, and the three-way check."""
        from ..gates import GATES
        from ..graph import Var
        p = d.problem
        out = Var(p.output)
        body = [self.para(self.words(p.description))] if p.description else []
        body.append(self.para(self.words(_("Inputs: ")) + self.inline(self.glue(", ").join(
            self.expr(n.symbol) + self.glue(" = ") + self.num(n.value) for n in p.inputs))
            + self.words(_("; output {output}.").format(output=p.output))))
        body.append(self.heading(2, self.words(_("The graph: each wire's value above, its "
                                                 "gradient below"))))
        body.append(self.graph_picture(d))
        body.append(self.heading(2, self.words(_("Forward pass, node by node"))))
        rows = []
        for n in p.nodes:
            if n.kind != "gate":
                continue
            g = GATES[n.gate]
            rows.append((self.expr(n.symbol), [self.expr(n.expr()), self.glue("= ") + self.num(n.value)],
                         (("words", _(g.title)),)))
        body.append(self.rows(rows))
        body.append(self.heading(2, self.words(_("Backward pass: upstream × local = "
                                                 "downstream"))))
        rows = [(self.partial(Partial(out, out)), self.num(1),
                 (("words", _("the output's gradient with respect to itself")),))]
        cdot = self.infix("cdot")
        for b in d.backward:
            node = Var(b.node)
            named = [f"{self.partial(Partial(out, Var(u.consumer)))}{cdot}"
                     f"{self.partial(Partial(Var(u.consumer), node))}" for u in b.uses]
            local = [f"{self._paren_num(u.upstream)}{cdot}"
                     f"{self._paren_num(float(u.local)) if u.local.is_Number else self.factor(u.local)}"
                     for u in b.uses]
            nums = [f"{self._paren_num(u.upstream)}{cdot}{self._paren_num(u.local_value)}"
                    for u in b.uses]
            plus, eq = self.glue(" + "), self.glue("= ")
            rhs = [plus.join(named), eq + plus.join(local)]
            if any(not u.local.is_Number for u in b.uses):
                rhs.append(eq + plus.join(nums))
            rhs.append(eq + self.num(b.gradient))
            if len(b.uses) > 1:
                note = (("words", _("used {n} times: the gradients of its uses add").format(
                    n=len(b.uses))),)
            else:
                g = GATES[b.uses[0].gate]
                note = (("words", f"{_(g.title)}: {_(g.rule)}"),)
            rows.append((self.partial(Partial(out, node)), rhs, note))
        body.append(self.rows(rows))
        body.append(self.heading(2, self.words(_("Gradients of the inputs"))))
        body.append(self.rows([(self.partial(Partial(out, n.symbol)),
                                self.num(d.gradients[n.name]), "") for n in p.inputs]))
        body.append(self.heading(2, self.words(_("Check"))))
        header = [self.words(_("input")), self.words(_("symbolic")),
                  self.words(_("reverse pass")), self.words(_("finite difference")),
                  self.words(_("check"))]
        kink = self.words(_("at a kink: n/a"))
        table = [[self.inline(self.expr(Var(c.name))),
                  self.inline(self.num(c.symbolic, 12)) if not c.kink else kink,
                  self.inline(self.num(c.numeric, 12)),
                  self.inline(self.num(c.finite_difference, 12)) if not c.kink else kink,
                  self.mark(c.ok)] for c in d.checks]
        body.append(self.table(header, table))
        body.append(self.para(self.words(_(
            "symbolic: SymPy's derivative of the whole expression; reverse pass: the gradients "
            "above, in floats; finite difference: a central difference of the forward pass."))))
        return self.document(p.name, body)

    def graph_picture(self, d) -> str:
        """The graph with its values and gradients; the text form: a list of wires."""
        from .graphpic import text
        return text(d)

    def _paren_num(self, x: float) -> str:
        s = self.num(x)
        return self.paren(s) if x < 0 else s

    def _print_GradientDerivation(self, g: GradientDerivation) -> str:
        ref = g.param
        out = [self.heading(2, self.inline(self.partial(Partial(sp.Symbol("L"), g.symbol),
                                                        inline=True))
                            + self.words(f" — {conventions.shown(ref.name)} = {g.value:.6g}, "
                                         f"{describe(ref)}"))]
        out.append(self.heading(3, self.words(_("Forward pass"))))
        if getattr(self, "_shared_forward", False):
            top = g.delta.layers
            own = [x for x in g.definitions if _layer(x.symbol, top) == ref.layer]
            out.append(self.rows([(self.expr(x.symbol), self._own_terms(x, g), "")
                                  for x in own]))
            rest = (_("Then the layers above and the loss ℓ, as in the forward pass at the top.")
                    if ref.layer < top else
                    _("Then the loss ℓ, as in the forward pass at the top."))
            out.append(self.para(self.words(rest)))
        else:
            out.append(self._print_definitions(g.definitions))
        out.append(self._print_paths(g))
        out.append(self.heading(3, self.words(_("Local derivatives"))))
        out.append(self.rows([self._local_row(ld) for ld in g.local]))
        if g.fusions:
            out.append(self.heading(3, self.words(_("Simplification ({title})").format(
                title=_(g.fusions[0].title)))))
            out.append(self.rows([self._fusion_row(f) for f in g.fusions]))
        out.append(self.heading(3, self.words(_("Result"))))
        lhs = self.partial(Partial(sp.Symbol("ell"), g.symbol))
        out.append(self.rows([(lhs, self.terms(g.expression), "")]))
        out.append(self.heading(3, self.words(_("Delta form"))))
        out.append(self._print(g.delta))
        out.extend(self._numbers_parts(g.numbers, g))
        out.append(self.heading(3, self.words(_("Check"))))
        out.append(self._print(g.check))
        return self._section([s for s in out if s])

    def _section(self, parts: list[str]) -> str:
        """A parameter's section from its parts (headings, rows, paragraphs)."""
        return "\n".join(parts)

    def _own_terms(self, x, g: GradientDerivation) -> list[str]:
        """The terms of a definition in p's own neuron; of a long sum z = Σᵢ wᵢaᵢ + b (printed
        whole in the forward pass at the top), the first, p's and the last."""
        terms = self.terms(x.expr)
        if not (x.expr.is_Add and len(terms) > ABRIDGED_TERMS):
            return terms
        ref = g.param
        k = ref.col - 1 if ref.kind == "W" else len(terms) - 1
        if g.symbol not in x.expr.args[k].free_symbols:      # not a z of p's neuron
            return terms
        more = self.glue("+ …")
        keep = sorted({0, k, len(terms) - 1})
        out = [terms[keep[0]]]
        for before, i in zip(keep, keep[1:]):
            if i > before + 1:
                out.append(more)
            out.append(terms[i])
        return out

    def _print_definitions(self, defs) -> str:
        rows = [(self.expr(d.symbol), self.terms(d.expr), "") for d in defs]
        rows.append((self.op("L"), self.op("batch_loss"),
                     (("words", _("the mean over samples")),)))
        return self.rows(rows)

    def _print_paths(self, g: GradientDerivation) -> str:
        n = max(g.path_count, len(g.paths))
        before, after = _split_slot(ngettext("Chain rule: {n} path from {p} to {loss}",
                                             "Chain rule: {n} paths from {p} to {loss}", n)
                                    .replace("{n}", str(n)), "{p}")
        middle, after = _split_slot(after, "{loss}")
        head = self.heading(3, self.words(before) + self.inline(self.expr(g.symbol))
                            + self.words(middle) + self.inline(self.op("ell"))
                            + self.words(after))
        arrow = self.infix("to")
        cdot = self.infix("cdot")
        # The paths of a neuron's parameters differ only in their first node and last factor
        # (∂z/∂p): the rest of each is printed once.
        tails = self.__dict__.setdefault("_printed_tails", {})
        heads = self.__dict__.setdefault("_printed_heads", {})
        labels = self.__dict__.setdefault("_path_labels", {})
        rows, terms = [], []
        for k, path in enumerate(g.paths, start=1):
            label = _cached(labels, lambda k: self.label(self.words(
                _("path {k}: ").format(k=k))), k) if n > 1 else ""
            nodes, factors = path.nodes, path.factors
            after = _cached(tails, lambda rest: "".join(arrow + self.expr(s) for s in rest),
                            nodes[1:])
            rows.append(("", label + self.expr(nodes[0]) + after, ""))
            before = _cached(heads, lambda most: "".join(self.partial(f.partial) + cdot
                                                         for f in most), factors[:-1])
            terms.append(before + self.partial(factors[-1].partial))
        plus = self.glue("+ ")
        signed = [terms[0]] + [plus + t for t in terms[1:]]
        out = [head]
        if g.grouped:
            more = ngettext("… ({n} more path)", "… ({n} more paths)", n - len(g.paths))
            signed.append(plus + self.math_words(more.format(n=n - len(g.paths))))
            out.append(self.para(self.words(_(
                "Too many to write out one by one. Grouped by layer, their sum is the delta "
                "form below: the same sum, factored (every δ collects the paths from its "
                "neuron to the loss). The first {n} paths:").format(n=len(g.paths)))))
        chain = [(self.partial(Partial(sp.Symbol("ell"), g.symbol)), signed, "")]
        return "\n".join(out + [self.rows(rows), self.rows(chain)])

    def _local_row(self, ld: LocalDerivative):
        rule = ld.rule
        note = (("words", _(rule.name) + ": "), ("math", self.expr(rule.lhs) + self.glue(" = ")
                                                   + self.expr(rule.rhs)))
        return (self.partial(ld.partial), self.terms(ld.result), note)

    def _fusion_row(self, f: Fusion):
        cdot = self.infix("cdot")
        ell = sp.Symbol("ell")
        plus, eq = self.glue(" + "), self.glue("= ")
        named = plus.join(cdot.join(self.partial(x.partial) for x in pair) for pair in f.terms)
        values = plus.join(cdot.join(self.factor(x.result) for x in pair) for pair in f.terms)
        return (self.partial(Partial(ell, f.z)),
                [named, eq + values, eq + self.expr(f.result)], "")

    def factor(self, e) -> str:
        """An expression standing as one factor of a product: parenthesised if a sum."""
        s = self.expr(e)
        negative = isinstance(e, sp.Mul) and factors(e)[1]
        return self.paren(s) if isinstance(e, sp.Add) or negative else s

    def paren(self, s: str) -> str:
        return f"({s})"

    def _print_DeltaForm(self, d: DeltaForm) -> str:
        rows = [(self.expr(x.symbol), self.terms(x.expr), "") for x in d.deltas]
        before, after = _split_slot(_("so {gradient} per sample; for the whole layer, in "
                                      "matrices: {matrices}"), "{gradient}")
        middle, after = _split_slot(after, "{matrices}")
        return "\n".join([self.rows(rows), self.para(
            self.words(before) + self.inline(self.expr(d.gradient)) + self.words(middle)
            + self.inline(self.matrix_form(d)) + self.words(after))])

    def _numbers_parts(self, n: Numbers, g: GradientDerivation) -> list[str]:
        """The numbers' headings and rows, each heading a part of its own (a section's steps
        begin at its parts' headings)."""
        given = {"x", "y"}   # the sample's inputs and targets: in the heading, not the rows
        eq = self.glue(" = ")
        sample_inputs = self.glue(", ").join(self.expr(s) + eq + self.num(v) for s, v in n.values
                                  if _kind(s) in given)
        before, after = _split_slot(_("Numbers for sample {k} of {n} ({values})").format(
            k=n.sample, n=len(n.per_sample), values="{values}"), "{values}")
        out = [self.heading(3, self.words(before) + self.inline(sample_inputs)
                            + self.words(after))]
        rows = [(self.expr(s), self.num(v), "") for s, v in n.values if _kind(s) not in given]
        rows += [(self.partial(ld.partial), self.num(v), "") for ld, v in n.factors]
        rows += [(self.partial(Partial(sp.Symbol("ell"), f.z)), self.num(v),
                  (("words", _(f.title)),)) for f, v in n.fusions]
        rows += [(self.expr(s), self.num(v), "") for s, v in n.deltas]
        rows.append((self.partial(Partial(sp.Symbol("ell"), g.symbol), sample=n.sample),
                     self.num(n.sample_gradient), ""))
        out.append(self.rows(rows))
        out.append(self.heading(3, self.words(_("Batch mean over all samples"))))
        N = len(n.per_sample)
        if N <= MAX_LISTED_SAMPLES:
            left, right = self.glue("("), self.glue(")")
            listed = self.glue(" + ").join(self.num(v) if v >= 0 else left + self.num(v) + right
                                           for v in n.per_sample)
            rhs = [self.one_over(N) + left + listed + right,
                   self.glue("= ") + self.num(n.gradient)]
        else:
            rhs = [self.batch_mean(self.expr(g.symbol)), self.glue("= ") + self.num(n.gradient)]
        out.append(self.rows([(self.partial(Partial(sp.Symbol("L"), g.symbol)), rhs, "")]))
        return out

    def _print_Check(self, c: Check) -> str:
        digits = 12
        rows = [
            (self.label(self.words(_("symbolic"))), self.num(c.symbolic, digits),
             (("words", _("relative error {e} ").format(e=f"{c.symbolic_error:.1e}")),
              ("mark", c.symbolic_ok))),
            (self.label(self.words(_("NumPy backward"))), self.num(c.numpy, digits),
             (("words", _("the reference")),)),
        ]
        if c.kink:
            fd_note = (("words", _("an activation's kink lies within p ± 2h: finite "
                                   "differences do not apply here ")), ("mark", None))
        else:
            fd_note = (("words", _("relative error {e} ").format(e=f"{c.fd_error:.1e}")),
                       ("mark", c.fd_ok))
        rows.append((self.label(self.words(_("finite difference"))),
                     self.num(c.finite_difference, digits),
                     fd_note))
        return self.rows(rows)


@functools.lru_cache(maxsize=1 << 14)
def _name(text: str) -> Name | None:
    return Name.parse(text)


def _layer(symbol: sp.Symbol, top: int) -> int | None:
    """The layer a forward symbol belongs to (ŷ to the top layer, whose a it is)."""
    name = _name(symbol.name)
    if name is None:
        return None
    return top if name.kind == "yhat" else name.layer


def _forward_pass(gradients) -> list:
    """The definitions of all the gradients' forward passes, each once, in the order of the
    forward pass: layer by layer, a layer's z before its a, ℓ last."""
    seen = {}
    for g in gradients:
        for x in g.definitions:
            seen.setdefault(x.symbol, x)

    def order(x):
        name = _name(x.symbol.name)
        if name is None or name.layer is None:
            return (1 << 30, 0, ())        # ℓ (and ŷ, named apart) after the layers
        return (name.layer, name.kind != "z", name.indices)
    return sorted(seen.values(), key=order)


def _kind(symbol: sp.Symbol) -> str | None:
    name = _name(symbol.name)
    return name.kind if name else None


def _split_slot(message: str, slot: str) -> tuple[str, str]:
    """A translated message around one slot that holds formatted mathematics: the words
    before it and after it (a translation may put the slot anywhere)."""
    before, _sep, after = message.partition(slot)
    return before, after


def describe(ref: ParamRef) -> str:
    """'the weight into neuron 2 of layer 1 from input 1'."""
    if ref.kind == "b":
        return _("the bias of neuron {j} of layer {l}").format(j=ref.row, l=ref.layer)
    if ref.layer == 1:
        return _("the weight into neuron {j} of layer {l} from input {i}").format(
            j=ref.row, l=ref.layer, i=ref.col)
    return _("the weight into neuron {j} of layer {l} from neuron {i} of layer {k}").format(
        j=ref.row, l=ref.layer, i=ref.col, k=ref.layer - 1)
