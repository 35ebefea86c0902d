"""SymPy expression printers for tutor's notation: Unicode text, LaTeX and plain ASCII.

Each is a SymPy printer subclass: ``_print_<Class>`` methods for the classes that appear in
derivations, recursing with ``self._print``. Expressions built unevaluated (in textbook order)
print in that order (``order='none'``).
"""

from __future__ import annotations

import sympy as sp
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE, precedence, precedence_traditional
from sympy.printing.printer import Printer
from sympy.printing.str import StrPrinter

from .. import conventions, i18n
from ..activations import FUNCTIONS
from .names import latex_name, text_name

_SUP = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
# Every registered function's printed names (and f, the generic function of the rules).
_FUNCS_TEXT = {f.name: f.text for f in FUNCTIONS.values()} | {"f": "f"}
_FUNCS_LATEX = {f.name: f.latex for f in FUNCTIONS.values()} | {"f": "f"}
_SHOWN_ARGS = {f.name: f.shown_args for f in FUNCTIONS.values()}


_SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _graph_name(name: str) -> tuple[str, str]:
    from ..graph import split_name
    return split_name(name)


def short_float(x: float) -> str:
    """0.01 -> '0.01', 1e-05 -> '1e-05': the shortest form that reads back the same."""
    return repr(float(x)) if float(x) != int(x) else str(int(x))


_METHODS: dict[tuple[type, type], str] = {}


def dispatch(printer, expr):
    """``printer._print(expr)`` as SymPy dispatches it (the object's own print method, else the
    first ``_print_<Class>`` along its class's MRO, undefined functions apart), the method found
    once per class: SymPy walks the MRO with ``getattr`` on every call."""
    key = (type(printer), type(expr))
    name = _METHODS.get(key)
    if name is None:
        t = key[1]
        if printer.printmethod and hasattr(t, printer.printmethod):
            return Printer._print(printer, expr)
        from sympy.core.function import AppliedUndef, UndefinedFunction
        classes = t.__mro__
        if AppliedUndef in classes:
            classes = classes[classes.index(AppliedUndef):]
        if UndefinedFunction in classes:
            classes = classes[classes.index(UndefinedFunction):]
        if sp.Function in classes:
            i = classes.index(sp.Function)
            classes = tuple(c for c in classes[:i] if c.__name__ == classes[0].__name__
                            or c.__name__.endswith("Base")) + classes[i:]
        name = next((f"_print_{c.__name__}" for c in classes
                     if getattr(key[0], f"_print_{c.__name__}", None) is not None),
                    "emptyPrinter")
        _METHODS[key] = name
    printer._print_level += 1
    try:
        return getattr(printer, name)(expr)
    finally:
        printer._print_level -= 1


def negative_term(t) -> bool:
    """``t.could_extract_minus_sign()`` for a term of a sum: a product by its leading number
    (SymPy's own first builds −t to rule out zoo·x, which tutor's expressions never hold)."""
    if t.is_Mul:
        c = t.args[0]
        return bool(c.is_Number and c.is_extended_negative)
    return t.could_extract_minus_sign()


def precedence_of(item) -> int:
    """SymPy's ``precedence``, a product's read from its leading number: SymPy's own
    (``precedence_Mul``) asks ``could_extract_minus_sign``, which first builds −item to rule
    out zoo·x (see ``negative_term``), once for every distinct term of every gradient."""
    if type(item) is not sp.Mul:
        return precedence(item)
    mul = PRECEDENCE["Mul"]
    for arg in item.args:
        if isinstance(arg, sp.Function) and getattr(arg, "precedence", mul) < mul:
            return mul
    c = item.args[0]
    return PRECEDENCE["Add"] if c.is_Number and c.is_extended_negative else mul


# Entries a printer's caches hold before they are emptied.
MEMO_LIMIT = 1 << 15


def _cached(cache: dict, fn, item):
    """fn(item), remembered in ``cache`` (emptied when full, so that a long-lived server
    stays bounded); an item that cannot be hashed is computed each time."""
    try:
        return cache[item]
    except KeyError:
        pass
    except TypeError:
        return fn(item)
    if len(cache) >= MEMO_LIMIT:
        cache.clear()
    out = cache[item] = fn(item)
    return out


# (the keys of a factor's form and of a product's first factors in a printer's memo, beside
# the expressions')
_FACTOR = object()
_PREFIX = object()


def factor_form(memo: dict, f, form):
    """``form(f)``: how a factor stands in a product (parenthesised or not, and what its
    neighbours need to know), remembered in a printer's ``memo`` beside its expressions: a
    layer's gradients are sums of products of the same factors."""
    return _cached(memo, lambda key: form(key[1]), (_FACTOR, f))


def joined(memo: dict, fs, first, step):
    """A product's factors ``fs`` joined: ``first(fs[0])``, then ``step(state, f)`` for each
    further factor. The state after all but the last is remembered in ``memo``: the terms of
    a layer's gradients are the same products but for their last factor (∂z/∂w = aᵢ)."""
    def fold(fs):
        state = first(fs[0])
        for f in fs[1:]:
            state = step(state, f)
        return state
    if len(fs) < 3:
        return fold(fs)
    return step(_cached(memo, lambda key: fold(key[1:]), (_PREFIX, *fs[:-1])), fs[-1])


class _Memo:
    """Each subexpression printed once per printer: the gradients of a layer's parameters share
    their forward definitions and most of their chains. The printed form of an expression
    depends on the expression alone (SymPy's equality is structural and strict: 2.0 ≠ 2), so a
    cache keyed on it is exact; it is emptied when full so that a long-lived server stays
    bounded."""

    MEMO_LIMIT = MEMO_LIMIT

    def doprint(self, expr):
        # (a memo per language and convention: the words of a piecewise function are
        # translated, a weight's indices ordered by the convention)
        key = (i18n.current(), conventions.current().name)
        self._memo = self.__dict__.setdefault("_memos", {}).setdefault(key, {})
        return super().doprint(expr)

    def parenthesize(self, item, level, *args, **kwargs):
        # StrPrinter's and LatexPrinter's own, their precedence looked up once per expression
        cache = self.__dict__.setdefault("_precedences", {})
        if isinstance(self, LatexPrinter):
            is_neg = args[0] if args else kwargs.get("is_neg", False)
            strict = args[1] if len(args) > 1 else kwargs.get("strict", False)
            p = _cached(cache, precedence_traditional, item)
            if is_neg and strict:
                return self._add_parens(self._print(item))
            if p < level or (not strict and p <= level):
                return self._add_parens(self._print(item))
            return self._print(item)
        strict = args[0] if args else kwargs.get("strict", False)
        p = _cached(cache, precedence_of, item)
        if p < level or (not strict and p <= level):
            return "(%s)" % self._print(item)
        return self._print(item)

    def _memory(self) -> dict:
        memo = self.__dict__.get("_memo")
        if memo is None:
            memo = self._memo = {}
        return memo

    def _factor(self, f, form):
        return factor_form(self._memory(), f, form)

    def _print(self, expr, **kwargs):
        if kwargs:
            return super()._print(expr, **kwargs)
        memo = self.__dict__.get("_memo")
        if memo is None:
            memo = self._memo = {}
        try:
            return memo[expr]
        except KeyError:
            pass
        except TypeError:           # not hashable
            return super()._print(expr)
        out = dispatch(self, expr)
        if len(memo) >= self.MEMO_LIMIT:
            memo.clear()
        memo[expr] = out
        return out


class TextPrinter(_Memo, StrPrinter):
    """Unicode mathematics for a terminal: w⁽¹⁾₂₁, σ(z), ŷ(1 − ŷ), ∂ℓ/∂ŷ."""

    _default_settings = dict(StrPrinter._default_settings, order="none")

    def _print_Symbol(self, expr):
        return text_name(expr.name)

    def _print_Var(self, expr):
        base, sub = _graph_name(expr.name)
        if sub.replace("_", "").isdigit():        # z1_2_1 → z1₂,₁
            return base + ",".join(part.translate(_SUBSCRIPT) for part in sub.split("_"))
        return base + ("_" + sub if sub else "")

    def _print_Float(self, expr):
        return short_float(expr)

    def _print_Integer(self, expr):
        return str(expr.p).replace("-", "−")

    def _print_Rational(self, expr):
        return f"{expr.p}/{expr.q}".replace("-", "−")

    def _print_Half(self, expr):
        return "½"

    def _print_Function(self, expr):
        name = _FUNCS_TEXT.get(expr.func.__name__, expr.func.__name__)
        args = expr.args[:_SHOWN_ARGS.get(expr.func.__name__, len(expr.args))]
        return f"{name}({', '.join(self._print(a) for a in args)})"

    def _print_Heaviside(self, expr):
        return f"H({self._print(expr.args[0])})"

    def _print_log(self, expr):
        return f"ln({self._print(expr.args[0])})"

    def _print_exp(self, expr):
        return f"exp({self._print(expr.args[0])})"

    def _print_KroneckerDelta(self, expr):
        return "δ" + "".join(self._print(a) for a in expr.args).translate(
            str.maketrans("ijkmn", "ᵢⱼₖₘₙ"))

    def _print_Piecewise(self, expr):
        # (v₁ if c₁ else v₂ if c₂ else v₃): every piece, as Python and the formula grammar
        # read a chain of conditionals; the last piece's condition is "otherwise".
        *pieces, (last, _) = expr.args
        chain = "".join(f"{self._print(v)} if {self._print(c)} else " for v, c in pieces)
        return f"({chain}{self._print(last)})"

    def _print_StrictGreaterThan(self, expr):
        return f"{self._print(expr.lhs)} > {self._print(expr.rhs)}"

    def _print_Joined(self, j):
        return f" {j.sep} ".join(self._print(p) for p in j.parts)

    def _print_Max(self, expr):
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Derivative(self, expr):
        inner, (var, _count) = expr.expr, expr.variable_count[0]
        if isinstance(inner, sp.Function):
            name = _FUNCS_TEXT.get(inner.func.__name__, inner.func.__name__)
            return f"{name}′({self._print(var)})"
        return f"∂{self._print(inner)}/∂{self._print(var)}"

    def _print_Add(self, expr, order=None):
        terms = list(expr.args) if self._settings["order"] == "none" else expr.as_ordered_terms()
        out = []
        for t in terms:
            neg = negative_term(t)
            s = self.parenthesize(-t if neg else t, PRECEDENCE["Add"], strict=True)
            if not out:
                out.append(("−" if neg else "") + s)
            else:
                out.append((" − " if neg else " + ") + s)
        return "".join(out)

    def _print_Mul(self, expr):
        args, negative = factors(expr)
        sign = "−" if negative else ""
        num, den = _split(args)
        top = self._join(num) if num else "1"
        if not den:
            return sign + top
        bottom = self._join(den)
        if len(den) > 1:
            bottom = f"({bottom})"
        return f"{sign}{top}/{bottom}"

    def _join(self, factors) -> str:
        """Juxtapose where a textbook would (2(ŷ − y), a(1 − a)), else a centred dot."""
        return joined(self._memory(), factors, self._first_factor,
                      self._next_factor)[0]

    def _first_factor(self, f) -> tuple[str, bool]:
        """(the product so far, whether it ends in a number)."""
        form = self._factor(f, self._text_factor)
        return form[0], form[3]

    def _next_factor(self, state: tuple[str, bool], f) -> tuple[str, bool]:
        s, worded, fenced, is_number = self._factor(f, self._text_factor)
        # 2σ(z) and 2(ŷ − y), but 0.5·sign(r): a number runs into a function's name
        sep = "" if fenced or state[1] and not worded else "·"
        return state[0] + sep + s, is_number

    def _text_factor(self, f) -> tuple[str, bool, bool, bool]:
        """(printed, a function's name first, bracketed, a number)."""
        s = self.parenthesize(f, PRECEDENCE["Mul"], strict=False)
        return (s, isinstance(f, sp.Function) and s[:2].isalpha(), s.startswith("("),
                _is_number(s))

    def _print_Pow(self, expr, rational=False):
        base, e = expr.base, expr.exp
        if e.is_Integer and e > 0:
            b = self.parenthesize(base, PRECEDENCE["Pow"], strict=False)
            if isinstance(base, sp.Function):
                # tanh²(z), the textbook way.
                name = _FUNCS_TEXT.get(base.func.__name__, base.func.__name__)
                return f"{name}{str(e).translate(_SUP)}({self._print(base.args[0])})"
            return b + str(e).translate(_SUP)
        if e == -1:
            b = self._print(base)
            return f"1/({b})" if base.is_Add or base.is_Mul else f"1/{b}"
        return super()._print_Pow(expr, rational)


def _is_number(s: str) -> bool:
    return s.replace(".", "").replace("−", "").isdigit()


def factors(expr) -> tuple[list, bool]:
    """The factors of a product, nested products flattened, in their written order, with the
    signs of numeric factors pulled out: (factors, negative)."""
    out, negative = [], False
    stack = list(reversed(expr.args))
    while stack:
        a = stack.pop()
        if a.is_Mul:
            stack.extend(reversed(a.args))
        elif a.is_Number and a < 0:
            negative = not negative
            if a != -1:
                out.append(-a)
        elif not a.is_Number or a != 1:     # (only a number can be 1: no comparing the rest)
            out.append(a)
    return out or [sp.Integer(1)], negative


def _split(args):
    """The factors of a product split into numerator and denominator."""
    num, den = [], []
    for a in args:
        if a.is_Pow and a.exp.is_Integer and a.exp < 0:
            if a.exp != -1:
                den.append(sp.Pow(a.base, -a.exp))
            elif a.base.is_Mul:
                den += factors(a.base)[0]
            else:
                den.append(a.base)
        elif a.is_Rational and a.q != 1:
            if a.p != 1:
                num.append(sp.Integer(a.p))
            den.append(sp.Integer(a.q))
        else:
            num.append(a)
    return num, den


class AsciiPrinter(_Memo, StrPrinter):
    """Plain ASCII with the names of files and commands: (yhat - y)*W2[1,2]*a1[2]*(1 - a1[2])."""

    def _print_Add(self, expr, order=None):
        # StrPrinter's, each term's precedence read once, from its leading number
        cache = self.__dict__.setdefault("_precedences", {})
        prec = _cached(cache, precedence_of, expr)
        out = []
        for term in self._as_ordered_terms(expr, order=order):
            t = self._print(term)
            if t.startswith("-") and not term.is_Add:
                sign, t = "-", t[1:]
            else:
                sign = "+"
            if _cached(cache, precedence_of, term) < prec or term.is_Add:
                out.extend([sign, f"({t})"])
            else:
                out.extend([sign, t])
        sign = out.pop(0)
        return ("" if sign == "+" else sign) + " ".join(out)

    def _ascii_factor(self, f) -> str:
        return self.parenthesize(f, PRECEDENCE["Mul"], strict=False)

    def _ascii_first(self, f) -> str:
        return self._factor(f, self._ascii_factor)

    def _ascii_next(self, state: str, f) -> str:
        return state + "*" + self._factor(f, self._ascii_factor)

    _ascii_seps = {"→": "->", "·": "*"}

    def _print_Max(self, expr):
        return "max(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Min(self, expr):
        return "min(" + ", ".join(self._print(a) for a in expr.args) + ")"

    def _print_Joined(self, j):
        sep = self._ascii_seps.get(j.sep, j.sep)
        return f" {sep} ".join(self._print(p) for p in j.parts)

    _default_settings = dict(StrPrinter._default_settings, order="none")

    def _print_Float(self, expr):
        return short_float(expr)

    def _print_Symbol(self, expr):
        # (a weight as the convention writes it: W1[1,2] in dlfs for tutor's W1[2,1])
        return conventions.shown(expr.name)

    def _print_Heaviside(self, expr):
        return f"Heaviside({self._print(expr.args[0])})"

    def _print_Mul(self, expr):
        args, negative = factors(expr)
        num, den = _split(args)
        join = lambda fs: joined(self._memory(), fs, self._ascii_first,
                                 self._ascii_next)
        top = join(num) if num else "1"
        if den:
            bottom = join(den)
            top += "/" + (f"({bottom})" if len(den) > 1 or not den[0].is_Atom else bottom)
        return ("-" if negative else "") + top

    def _print_Piecewise(self, expr):
        # (v₁ if c₁ else v₂ if c₂ else v₃): every piece, as Python and the formula grammar
        # read a chain of conditionals; the last piece's condition is "otherwise".
        *pieces, (last, _) = expr.args
        chain = "".join(f"{self._print(v)} if {self._print(c)} else " for v, c in pieces)
        return f"({chain}{self._print(last)})"


class TexPrinter(_Memo, LatexPrinter):
    """LaTeX (amsmath) in tutor's notation: w^{(1)}_{21}, \\sigma(z), \\hat{y}."""

    def _needs_add_brackets(self, expr) -> bool:
        # LatexPrinter's own, whose expr.has(Mod) walks each term's whole tree: here each
        # subexpression is looked at once
        return bool(expr.is_Relational or self._has_mod(expr) or expr.is_Add)

    def _has_mod(self, expr) -> bool:
        return _cached(self.__dict__.setdefault("_mods", {}), lambda e: isinstance(e, sp.Mod)
                       or any(self._has_mod(a) for a in e.args if isinstance(a, sp.Basic)),
                       expr)

    _tex_seps = {"→": r"\to", "·": r"\cdot"}

    def _print_Add(self, expr, order=None):
        # LatexPrinter's, a term's sign read from its leading number (negative_term)
        out = []
        for i, term in enumerate(self._as_ordered_terms(expr, order=order)):
            if i:
                if negative_term(term):
                    out.append(" - ")
                    term = -term
                else:
                    out.append(" + ")
            term_tex = self._print(term)
            if self._needs_add_brackets(term):
                term_tex = r"\left(%s\right)" % term_tex
            out.append(term_tex)
        return "".join(out)

    def _print_Joined(self, j):
        sep = self._tex_seps.get(j.sep, j.sep)
        return f" {sep} ".join(self._print(p) for p in j.parts)

    _default_settings = dict(LatexPrinter._default_settings, order="none", mul_symbol=None)

    def _print_Symbol(self, expr, style="plain"):
        return latex_name(expr.name)

    def _print_Var(self, expr, style="plain"):
        base, sub = _graph_name(expr.name)
        base = base if len(base) == 1 else rf"\mathrm{{{base}}}"
        if not sub:
            return base
        if sub.replace("_", "").isdigit():
            return f"{base}_{{{sub.replace('_', ',')}}}"
        return rf"{base}_{{\mathrm{{{sub}}}}}"

    def _print_Float(self, expr):
        s = short_float(expr)
        if "e" in s:
            m, e = s.split("e")
            return rf"{m} \cdot 10^{{{int(e)}}}"
        return s

    def _print_Function(self, expr, exp=None):
        name = expr.func.__name__
        if name in _FUNCS_LATEX:
            args = expr.args[:_SHOWN_ARGS.get(name, len(expr.args))]
            head = _FUNCS_LATEX[name] + (f"^{{{exp}}}" if exp else "")
            return head + r"\left(" + ", ".join(self._print(a) for a in args) + r"\right)"
        return super()._print_Function(expr, exp)

    def _print_Heaviside(self, expr, exp=None):
        head = "H" + (f"^{{{exp}}}" if exp else "")
        return head + r"\left(" + self._print(expr.args[0]) + r"\right)"

    def _print_log(self, expr, exp=None):
        head = r"\ln" + (f"^{{{exp}}}" if exp else "")
        return head + r"\left(" + self._print(expr.args[0]) + r"\right)"

    def _print_Derivative(self, expr):
        inner, (var, _count) = expr.expr, expr.variable_count[0]
        if isinstance(inner, sp.Function):
            name = _FUNCS_LATEX.get(inner.func.__name__, inner.func.__name__)
            return name + r"'\left(" + self._print(var) + r"\right)"
        return r"\frac{\partial " + self._print(inner) + r"}{\partial " + self._print(var) + "}"

    def _print_Mul(self, expr):
        args, negative = factors(expr)
        num, den = _split(args)
        sign = "- " if negative else ""
        if not den:
            return sign + self._join(num)
        top = self._print(num[0]) if len(num) == 1 else self._join(num) if num else "1"
        bottom = self._print(den[0]) if len(den) == 1 else self._join(den)
        return sign + r"\frac{" + top + "}{" + bottom + "}"

    def _join(self, factors) -> str:
        return joined(self._memory(), factors, self._tex_first, self._tex_next)[0]

    def _tex_first(self, f) -> tuple[str, str]:
        """(the product so far, its last factor)."""
        s = self._factor(f, self._tex_factor)[0]
        return s, s

    def _tex_next(self, state: tuple[str, str], f) -> tuple[str, str]:
        s, is_number = self._factor(f, self._tex_factor)
        sep = r" \cdot " if is_number and state[1][-1:].isdigit() else " "
        return state[0] + sep + s, s

    def _tex_factor(self, f) -> tuple[str, bool]:
        return self.parenthesize(f, PRECEDENCE["Mul"], strict=False), bool(f.is_Number)

    def _print_Piecewise(self, expr):
        *pieces, (last, _) = expr.args
        rows = [self._print(v) + r" & " + self._print(c) for v, c in pieces]
        rows.append(self._print(last) + r" & \text{" + i18n._("otherwise") + "}")
        return r"\begin{cases} " + r" \\ ".join(rows) + r" \end{cases}"


_text = TextPrinter()
_ascii = AsciiPrinter()
_tex = TexPrinter()


def text(expr) -> str:
    return _text.doprint(expr)


def ascii(expr) -> str:
    return _ascii.doprint(expr)


def tex(expr) -> str:
    return _tex.doprint(expr)
