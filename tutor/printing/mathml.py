"""Presentation MathML in tutor's notation, for the web pages: browsers render it natively.

``MathMLPrinter`` is SymPy's MathML presentation printer taught tutor's notation, making the
same choices as the text and LaTeX printers (``exprs``): the names w⁽¹⁾₂₁ and ŷ, σ(z), ln,
textbook factor order, a(1 − a) written by juxtaposition, tanh²(z). Each ``_print_<Class>``
returns a DOM element, as in SymPy; ``mathml(expr)`` is the markup of one expression, without
the enclosing ``<math>``.
"""

from __future__ import annotations

import functools

import sympy as sp
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE

from .. import conventions, i18n
from ..activations import FUNCTIONS
from ..words import Joined
from .exprs import (MEMO_LIMIT, _cached, _split, dispatch, factor_form, factors, joined,
                    negative_term, precedence_of, short_float)
from .names import parts

_FUNCS = {f.name: f.text for f in FUNCTIONS.values()} | {"f": "f"}
_SHOWN_ARGS = {f.name: f.shown_args for f in FUNCTIONS.values()}
_TALL = ("mfrac", "mtable", "munder", "munderover")
_BASES = {"W": "w", "delta": "δ", "ell": "ℓ", "yhat": "y"}
# A layer's superscript, the (1) of w⁽¹⁾₂₁, is one token, <mn>(1)</mn> (its text LAYER): browsers
# draw it as they draw (1) made of two non-stretching brackets around a number (the same
# glyphs, no space between them; compared in Chromium), in a sixth of the markup. Names are
# most of a derivation's page: written so, a large network's page is a third smaller.
LAYER = "({})"


def _is_tall(e) -> bool:
    """Whether an element holds a fraction, a table or an under-script (a bracket around it
    must stretch)."""
    return e._tall


def _attr(v: str) -> str:
    return (v.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")
            .replace(">", "&gt;"))


class _Element:
    """An element of presentation MathML, made as SymPy's printer makes minidom's (the same
    ``appendChild``/``setAttribute``, the same markup from ``toxml``) but light: a derivation
    makes hundreds of thousands. Elements are not changed once printed, so one printed
    subexpression may appear in many places; its markup is made once."""

    __slots__ = ("tagName", "attrs", "childNodes", "_tall", "_xml")

    def __init__(self, tag: str):
        self.tagName, self.attrs, self.childNodes = tag, {}, []
        self._tall, self._xml = tag in _TALL, None

    def appendChild(self, c):
        self.childNodes.append(c)
        if not isinstance(c, str) and c._tall:
            self._tall = True
        return c

    def setAttribute(self, k: str, v: str) -> None:
        self.attrs[k] = v

    def toxml(self) -> str:
        if self._xml is None:
            attrs = "".join(f' {k}="{_attr(v)}"' for k, v in self.attrs.items())
            if not self.childNodes:
                self._xml = f"<{self.tagName}{attrs}/>"
            else:
                inner = "".join(c if isinstance(c, str) else c.toxml() for c in self.childNodes)
                self._xml = f"<{self.tagName}{attrs}>{inner}</{self.tagName}>"
        return self._xml


class _Document:
    """What SymPy's printer asks of its ``dom``: elements, and text written as it is (SymPy
    writes its text unescaped, entities included)."""

    @staticmethod
    def createElement(tag: str) -> _Element:
        return _Element(tag)

    @staticmethod
    def createTextNode(data: str) -> str:
        return data


class MathMLPrinter(MathMLPresentationPrinter):
    _default_settings = dict(MathMLPresentationPrinter._default_settings, order="none")

    MEMO_LIMIT = MEMO_LIMIT

    def __init__(self, settings=None):
        super().__init__(settings)
        self.dom = _Document()
        self._memos: dict[tuple, dict] = {}
        self._memo = {}
        self._fenced: dict[int, tuple] = {}
        self._mo: dict[str, _Element] = {}
        self._precedence: dict = {}

    def element(self, expr, lang):
        """The element of ``expr`` in ``lang``, (language, convention): the words of a
        piecewise function, the order of a weight's indices."""
        self._memo = self._memos.setdefault(lang, {})
        return self._print(expr if isinstance(expr, Joined) else sp.sympify(expr))

    def _print(self, expr, **kwargs):
        # Each subexpression printed once (see exprs._Memo): elements are never changed after
        # they are printed, so sharing them is safe.
        if kwargs:
            return super()._print(expr, **kwargs)
        try:
            return self._memo[expr]
        except KeyError:
            pass
        except TypeError:
            return super()._print(expr)
        out = dispatch(self, expr)
        if len(self._memo) >= self.MEMO_LIMIT:
            self._memo.clear()
        self._memo[expr] = out
        return out


    # -- building blocks --

    def el(self, tag: str, *children, **attrs):
        """An element; children are elements or strings (text)."""
        e = _Element(tag)
        if attrs:
            e.attrs.update(attrs)
        if children:
            e.childNodes.extend(children)
            if not e._tall:
                e._tall = any(not isinstance(c, str) and c._tall for c in children)
        return e

    def row(self, *children):
        return self.el("mrow", *children)

    def mo(self, s: str):
        # (an operator element is never changed: one of each is made)
        e = self._mo.get(s)
        if e is None:
            e = self._mo[s] = self.el("mo", s)
        return e

    def fenced(self, inner):
        """(inner). Brackets stretch only around something tall (a fraction, cases): a
        stretchy bracket is drawn wider, which spaces out a plain (1) or σ(z). Made once per
        element (elements are never changed: one may stand in many places)."""
        hit = self._fenced.get(id(inner))
        if hit is not None and hit[0] is inner:
            return hit[1]
        tall = _is_tall(inner)
        attrs = {} if tall else {"stretchy": "false"}
        out = self.row(self.el("mo", "(", **attrs), inner, self.el("mo", ")", **attrs))
        if len(self._fenced) >= self.MEMO_LIMIT:
            self._fenced.clear()
        self._fenced[id(inner)] = (inner, out)    # (holding inner, whose id is the key)
        return out

    def precedence(self, item) -> int:
        return _cached(self._precedence, precedence_of, item)

    def parenthesize(self, item, level, strict=False):
        p = self.precedence(item)
        if p < level or (not strict and p <= level):
            return self.fenced(self._print(item))
        return self._print(item)

    # -- atoms --

    def _print_Var(self, sym, style="plain"):
        from ..graph import split_name
        base, sub = split_name(sym.name)
        if not sub:
            return self.el("mi", base)
        digits = sub.replace("_", "").isdigit()
        return self.el("msub", self.el("mi", base),
                       self.el("mn" if digits else "mi", sub.replace("_", ",") if digits
                               else sub))

    def _print_Symbol(self, sym, style="plain"):
        p = parts(sym.name)
        if p is None:
            return self.el("mi", _BASES.get(sym.name, sym.name))
        if p.base == "yhat":
            base = self.el("mover", self.el("mi", "y"), self.mo("^"), accent="true")
        else:
            base = self.el("mi", _BASES.get(p.base, p.base))
        sup = self.el("mn", LAYER.format(p.layer)) if p.layer else None
        sub = None
        if p.indices:
            if not p.indices[0].isdigit():
                # Letter indices (w_mj in a rule) are separate italic identifiers.
                sub = self.row(*[self.el("mi", i) for i in p.indices])
            elif all(len(i) == 1 for i in p.indices):
                sub = self.el("mn", "".join(p.indices))
            else:
                items = []
                for i in p.indices:
                    items += [self.mo(","), self.el("mn", i)] if items else [self.el("mn", i)]
                sub = self.row(*items)
        if sup is not None and sub is not None:
            return self.el("msubsup", base, sub, sup)
        if sup is not None:
            return self.el("msup", base, sup)
        if sub is not None:
            return self.el("msub", base, sub)
        return base

    def _print_Float(self, expr):
        s = short_float(expr)
        if "e" in s:
            m, e = s.split("e")
            return self.row(self.el("mn", m), self.mo("·"),
                            self.el("msup", self.el("mn", "10"), self._print(sp.Integer(int(e)))))
        return self.el("mn", s)

    def _print_Integer(self, expr):
        if expr < 0:
            return self.row(self.mo("−"), self.el("mn", str(-expr.p)))
        return self.el("mn", str(expr.p))

    def _print_Rational(self, expr):
        frac = self.el("mfrac", self.el("mn", str(abs(expr.p))), self.el("mn", str(expr.q)))
        return self.row(self.mo("−"), frac) if expr < 0 else frac

    def _print_Function(self, expr, exp=None):
        name = expr.func.__name__
        args = expr.args[:_SHOWN_ARGS.get(name, len(expr.args))]
        head = self.el("mi", _FUNCS.get(name, name))
        if exp is not None:
            head = self.el("msup", head, exp)
        inner = []
        for a in args:
            inner += [self.mo(","), self._print(a)] if inner else [self._print(a)]
        return self.row(head, self.fenced(self.row(*inner)))

    _print_Heaviside = _print_Function
    _print_log = _print_Function

    def _print_exp(self, expr, exp=None):
        return self.el("msup", self.el("mi", "e"), self._print(expr.args[0]))

    def _print_Derivative(self, expr):
        inner, (var, _count) = expr.expr, expr.variable_count[0]
        if isinstance(inner, sp.Function):
            name = _FUNCS.get(inner.func.__name__, inner.func.__name__)
            return self.row(self.el("msup", self.el("mi", name), self.mo("′")),
                            self.fenced(self._print(var)))
        return self.el("mfrac", self.row(self.mo("∂"), self._print(inner)),
                       self.row(self.mo("∂"), self._print(var)))

    def _print_Joined(self, j):
        items = []
        for k, part in enumerate(j.parts):
            if k:
                items.append(self.mo(j.sep))
            items.append(self._print(part))
        return self.row(*items)

    def _print_KroneckerDelta(self, expr):
        return self.el("msub", self.el("mi", "δ"),
                       self.row(*[self._print(a) for a in expr.args]))

    def _print_Piecewise(self, expr):
        *pieces, (last, _) = expr.args
        rows = [self.el("mtr", self.el("mtd", self._print(v)),
                        self.el("mtd", self.row(self.el("mtext", i18n._("if") + "\u00a0"),
                                                self._print(c))))
                for v, c in pieces]
        rows.append(self.el("mtr", self.el("mtd", self._print(last)),
                            self.el("mtd", self.el("mtext", i18n._("otherwise")))))
        return self.row(self.mo("{"), self.el("mtable", *rows, columnalign="left"))

    def _print_StrictGreaterThan(self, expr):
        return self.row(self._print(expr.lhs), self.mo(">"), self._print(expr.rhs))

    # -- operators, as the text printer writes them --

    def _print_Add(self, expr, order=None):
        items = []
        for t in expr.args:
            neg = negative_term(t)
            term = self.parenthesize(-t if neg else t, PRECEDENCE["Add"], strict=True)
            if items or neg:
                items.append(self.mo("−" if neg else "+"))
            items.append(term)
        return self.row(*items)

    def _print_Mul(self, expr):
        args, negative = factors(expr)
        num, den = _split(args)
        if negative and not den and len(num) == 1:
            top = self.parenthesize(num[0], PRECEDENCE["Mul"], strict=False)
        else:
            top = self._join(num) if num else self.el("mn", "1")
        if den:
            top = self.el("mfrac", top, self._join(den))
        return self.row(self.mo("−"), top) if negative else top

    def _join(self, fs):
        """Juxtapose where a textbook would (2(ŷ − y), a(1 − a)), else a centred dot."""
        if len(fs) == 1:
            return self._print(fs[0])
        return self.row(*joined(self._memo, fs, self._first_factor, self._next_factor)[0])

    def _form(self, f) -> tuple[bool, bool, _Element]:
        return factor_form(self._memo, f, self._factor_form)

    def _first_factor(self, f) -> tuple[tuple, bool]:
        """(the product's elements so far, whether the last is a number)."""
        _fenced, is_number, element = self._form(f)
        return (element,), is_number

    def _next_factor(self, state: tuple[tuple, bool], f) -> tuple[tuple, bool]:
        fenced, is_number, element = self._form(f)
        sep = self.mo("\u2062" if fenced or state[1] else "·")
        return state[0] + (sep, element), is_number

    def _factor_form(self, f) -> tuple[bool, bool, _Element]:
        """(bracketed, a number, its element) of a factor of a product."""
        return (self.precedence(f) <= PRECEDENCE["Mul"] and not f.is_Number, bool(f.is_Number),
                self.parenthesize(f, PRECEDENCE["Mul"], strict=False))

    def _print_Pow(self, expr):
        base, e = expr.base, expr.exp
        if e.is_Integer and e > 0:
            if isinstance(base, sp.Function):
                # tanh²(z), the textbook way.
                return self._print_Function(base, exp=self.el("mn", str(e)))
            b = self.parenthesize(base, PRECEDENCE["Pow"], strict=False)
            if base.is_Symbol and getattr(parts(base.name), "layer", None):
                b = self.fenced(b)   # (a⁽¹⁾₁)², as in LaTeX: not a⁽¹⁾₁ with a raised 2
            return self.el("msup", b, self.el("mn", str(e)))
        if e == -1:
            return self.el("mfrac", self.el("mn", "1"), self._print(base))
        return super()._print_Pow(expr)


_printer = MathMLPrinter()


def mathml(expr) -> str:
    """The MathML of one expression (an ``<mrow>`` or token element), in tutor's notation."""
    lang = (i18n.current(), conventions.current().name)
    try:
        return _mathml(expr, lang)
    except TypeError:           # not hashable
        return _printer.element(expr, lang).toxml()


@functools.lru_cache(maxsize=1 << 14)
def _mathml(expr, lang: tuple[str, str]) -> str:
    # (derivations print the same terms for every parameter of a layer: made once)
    return _printer.element(expr, lang).toxml()
