"""Reading a student's formula safely into a SymPy expression over the problem's symbols.

The text is never given to ``eval``, ``sympify``, ``parse_expr`` or ``lambdify``. It is
tokenized here against a small grammar (numbers, names of the problem's symbols, + − × / ^,
parentheses, calls of a few functions); the tokens are joined into a normalised expression in
which every name is replaced by a placeholder; Python's ``ast`` parses that, and only a
whitelist of node types is turned into SymPy objects, built directly. Everything is bounded:
the length of the text, the nesting depth, the size of numbers and of exponents.

Accepted spellings, so that what ``tutor derive`` prints can be typed back:
    W1[2,1], w1[2,1], w⁽¹⁾₂₁    b1[2], b⁽¹⁾₂    z1[2], z⁽¹⁾₂    a1[2], a⁽¹⁾₂    delta1[2], δ⁽¹⁾₂
    x1, x₁    y, y1    yhat, ŷ, yhat2, ŷ₂    ell, ℓ    e (Euler's number)
    sigma(z), σ(z), sigmoid(z), exp, log, ln, tanh, relu, step(z) (relu's derivative),
    σ'(z), tanh'(z), relu'(z), H(z) = step(z), (1 if z > 0 else 0.1)
    ^ or ** for powers, · × * for products, − or - for minus, and implicit products: 2a,
    a(1 − a), (ŷ − y)x₁, 2 a.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass

import sympy as sp

from . import conventions
from .i18n import _


MAX_LENGTH = 1000      # characters
MAX_DEPTH = 40         # nested parentheses
MAX_TOKENS = 400
MAX_EXPONENT = 16      # |n| in x^n
MAX_DIGITS = 30        # in one number
# Powers of powers multiply their exponents ((x^16)^16 = x^256) and numbers grow with them
# ((9^16)^16)^16 has 3,900 digits): the combined exponent and the digits of any number that a
# power computes are bounded too, before SymPy computes them.
MAX_TOTAL_EXPONENT = 256
MAX_RESULT_DIGITS = 1000


class FormulaError(ValueError):
    """A formula that cannot be read; ``position`` is the 0-based offset in the text."""

    def __init__(self, message: str, text: str = "", position: int | None = None):
        super().__init__(message)
        self.message = message
        self.text = text
        self.position = position

    def caret(self) -> str:
        """The formula and a caret under the offending position (two lines), or ''."""
        if self.position is None or not self.text or len(self.text) > 200:
            return ""
        shown = self.text.replace("\n", " ").replace("\t", " ")
        return f"{shown}\n{' ' * self.position}^"


_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUB = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>(?:[A-Za-z_]|[σŷδℓ])(?:[A-Za-z0-9_]|ŷ)*
        (?:⁽[⁰¹²³⁴⁵⁶⁷⁸⁹]+⁾)?
        (?:[₀₁₂₃₄₅₆₇₈₉]+(?:,[₀₁₂₃₄₅₆₇₈₉]+)*)?
        (?:\[\s*\d+\s*(?:,\s*\d+\s*)?\])?
        [′']?)
  | (?P<power>\*\*|\^)
  | (?P<super>[²³])
  | (?P<compare>>=|<=|>|<)
  | (?P<op>[-+*/()·×⋅−∙,])
""", re.VERBOSE)

_OPS = {"·": "*", "×": "*", "⋅": "*", "∙": "*", "−": "-"}

def _functions() -> dict:
    """Every spelling a student may type for a function → the SymPy callable, from the
    registries: each FUNCTIONS entry's spellings (σ, sigmoid, relu, step, …), and for every
    activation of one argument its derivative, as name′(z) (σ′(z) = σ(z)(1 − σ(z)))."""
    from .activations import ACTIVATIONS, FUNCTIONS
    out: dict = {}
    for f in FUNCTIONS.values():
        if f.typed:
            for spelling in f.spellings:
                out[spelling] = f.make
    for act in ACTIVATIONS.values():
        if act.function is None or not FUNCTIONS[act.function].typed:
            continue
        derivative = (lambda a: lambda z: a.derivative(z, a.symbolic(z)))(act)
        for spelling in FUNCTIONS[act.function].spellings:
            out[spelling + "'"] = derivative
    return out


_FUNCTIONS = _functions()


def _arities() -> dict:
    from .activations import FUNCTIONS
    return {spelling: f.arity for f in FUNCTIONS.values() if f.typed for spelling in f.spellings}


_ARITY = _arities()


def _listed() -> tuple[str, str]:
    """For messages: the functions, and the derivatives, as a student may type them."""
    from .activations import ACTIVATIONS, FUNCTIONS
    calls = ", ".join(f.spellings[0] for f in FUNCTIONS.values() if f.typed)
    derivatives = ", ".join(f"{FUNCTIONS[a.function].spellings[0]}'(z)"
                            for a in ACTIVATIONS.values()
                            if a.function and FUNCTIONS[a.function].typed)
    return calls, derivatives


_CALLABLE, _DERIVATIVES = _listed()


@dataclass(frozen=True)
class Vocabulary:
    """The names a formula may use: canonical name → SymPy symbol. ``aliases`` maps other
    canonical names to canonical ones (a2[1] → yhat when layer 2 is the output)."""

    symbols: dict[str, sp.Symbol]
    aliases: dict[str, str]

    @classmethod
    def of_model(cls, model) -> "Vocabulary":
        symbols: dict[str, sp.Symbol] = {}
        aliases: dict[str, str] = {}
        for s in model.x + model.y + model.yhat + [model.ell]:
            symbols[s.name] = s
        for l in range(1, model.L + 1):
            for row in model.W[l]:
                for w in row:
                    symbols[w.name] = w
            for group in (model.b[l], model.z[l], model.delta[l]):
                for s in group:
                    symbols[s.name] = s
            for j, a in enumerate(model.a[l], start=1):
                symbols[a.name] = a
                if l == model.L:
                    aliases[f"a{l}[{j}]"] = a.name
        for i, x in enumerate(model.x, start=1):
            aliases[f"a0[{i}]"] = x.name
        if len(model.yhat) == 1:
            aliases["yhat1"] = "yhat"
            aliases["y1"] = "y"
        return cls(symbols, aliases)

    def known(self) -> list[str]:
        return list(self.symbols) + list(self.aliases) + [n for n in _FUNCTIONS
                                                          if "'" not in n]

    def resolve(self, canonical: str) -> sp.Symbol | None:
        canonical = self.aliases.get(canonical, canonical)
        return self.symbols.get(canonical)


def canonical_name(raw: str) -> str:
    """The ASCII name of a spelling: w⁽¹⁾₂₁ → W1[2,1], ŷ₂ → yhat2, δ⁽²⁾₁ → delta2[1]."""
    s = raw.replace("′", "'")
    m = re.fullmatch(r"(?P<base>[A-Za-zσŷδℓ_][A-Za-z0-9_ŷ]*?)⁽(?P<l>[⁰¹²³⁴⁵⁶⁷⁸⁹]+)⁾"
                     r"(?P<sub>[₀₁₂₃₄₅₆₇₈₉,]*)", s)
    if m:
        base, layer = m["base"], m["l"].translate(_SUP)
        sub = m["sub"].translate(_SUB)
        if "," in sub:
            idx = [p for p in sub.split(",") if p]
        elif base.lower() == "w" and len(sub) == 2:
            idx = [sub[0], sub[1]]
        else:
            idx = [sub] if sub else []
        s = f"{base}{layer}[{','.join(idx)}]"
    else:
        s = s.translate(_SUB)
    s = re.sub(r"\s+", "", s)
    head = re.match(r"[A-Za-zσŷδℓ_]+", s)
    if head:
        base = head.group(0)
        rest = s[len(base):]
        base = {"ŷ": "yhat", "y_hat": "yhat", "δ": "delta", "ℓ": "ell", "w": "W"}.get(base, base)
        s = base + rest
    return s


def _closest(name: str, vocab: Vocabulary) -> str:
    near = difflib.get_close_matches(name, vocab.known(), n=1, cutoff=0.5)
    return _(" (did you mean {name!r}?)").format(name=near[0]) if near else ""


def tokenize(text: str) -> list[tuple[str, str, int]]:
    """(kind, text, position) for each token; kinds: number, name, power, super, op."""
    if len(text) > MAX_LENGTH:
        raise FormulaError(_("the formula is too long ({n} characters; at most {most})")
                           .format(n=len(text), most=MAX_LENGTH), "", None)
    tokens = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise FormulaError(_("unexpected character {c!r}").format(c=text[pos]), text, pos)
        kind = m.lastgroup
        if kind != "space":
            tokens.append((kind, m.group(0), pos))
            if len(tokens) > MAX_TOKENS:
                raise FormulaError(_("the formula is too long (more than {n} symbols)").format(
                    n=MAX_TOKENS), text, pos)
        pos = m.end()
    if not tokens:
        raise FormulaError(_("the formula is empty"), text, 0)
    return tokens


def parse(text: str, vocab: Vocabulary) -> sp.Expr:
    """The SymPy expression of ``text``; FormulaError (with a position) for anything else."""
    tree, names, arity, where = parse_tree(text, vocab)
    try:
        expr = _Builder(names, text, where, arity).build(tree)
    except RecursionError:
        raise FormulaError(_("the formula is too deeply nested"), text, None) from None
    if not isinstance(expr, sp.Basic) or expr.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise FormulaError(_("the formula is undefined (a division by 0 or the log of 0?)"),
                           text, None)
    return expr


def parse_tree(text: str, vocab: Vocabulary):
    """The formula's syntax tree before anything is computed: (the ``ast`` expression, the
    placeholders' values — SymPy symbols and numbers, and the functions called —, each
    function placeholder's number of arguments, and ``where(col)``, the position in ``text``
    of a column of the tree). FormulaError for anything the grammar does not accept."""
    if not isinstance(text, str):
        raise FormulaError(_("a formula must be text"))
    tokens = tokenize(text)
    pieces: list[str] = []      # the normalised Python source
    origin: list[int] = []      # for each character of it, the position in ``text``
    names: dict[str, object] = {}
    arity: dict[str, int] = {}
    depth = 0
    prev_kind = None            # 'operand', 'function', 'open', 'operator'

    def emit(s: str, at: int):
        pieces.append(s)
        origin.extend([at] * len(s))

    for kind, tok, pos in tokens:
        if kind == "name" and tok in ("if", "else"):
            # (1 if z > 0 else 0.1), as tutor prints a piecewise derivative
            emit(f" {tok} ", pos)
            prev_kind = "operator"
        elif kind == "name":
            raw = tok.replace("′", "'")
            lowered = raw if raw in _FUNCTIONS else raw.lower() if raw.lower() in _FUNCTIONS \
                else None
            is_function = lowered is not None
            if prev_kind in ("operand",):
                emit("*", pos)  # implicit product: 2a, (ŷ − y)x₁, a b
            if is_function:
                key = f"_f{len(names)}"
                names[key] = _FUNCTIONS[lowered]
                arity[key] = _ARITY.get(lowered, 1)
                emit(key, pos)
                prev_kind = "function"
                continue
            if raw == "e":
                key = f"_s{len(names)}"
                names[key] = sp.E
                emit(key, pos)
                prev_kind = "operand"
                continue
            if raw.endswith("'"):
                raise FormulaError(_("unknown function {name!r}; derivatives can be written "
                                     "{forms}").format(name=raw[:-1], forms=_DERIVATIVES),
                                   text, pos)
            # (a weight's indices as the problem's convention writes them)
            canonical = conventions.read(canonical_name(raw))
            symbol = vocab.resolve(canonical)
            if symbol is None:
                raise FormulaError(_("unknown symbol {s!r}{more}").format(
                    s=tok, more=_closest(canonical, vocab)), text, pos)
            key = f"_s{len(names)}"
            names[key] = symbol
            emit(key, pos)
            prev_kind = "operand"
        elif kind == "number":
            mantissa = re.split(r"[eE]", tok)
            if len(mantissa[0]) > MAX_DIGITS or (len(mantissa) > 1 and
                                                 abs(int(mantissa[1])) > MAX_DIGITS):
                raise FormulaError(_("the number {n!r} is too large").format(n=tok[:20]),
                                   text, pos)
            if prev_kind == "operand":
                emit("*", pos)
            key = f"_s{len(names)}"
            names[key] = sp.Rational(tok) if ("e" not in tok.lower()) else \
                sp.Rational(mantissa[0]) * sp.Integer(10) ** int(mantissa[1])
            emit(key, pos)
            prev_kind = "operand"
        elif kind == "power":
            emit("**", pos)
            prev_kind = "operator"
        elif kind == "super":
            key = f"_s{len(names)}"
            names[key] = sp.Integer(int(tok.translate(_SUP)))
            emit("**" + key, pos)
            prev_kind = "operand"
        elif kind == "compare":
            emit(tok, pos)
            prev_kind = "operator"
        else:
            op = _OPS.get(tok, tok)
            if op == "(":
                if prev_kind == "operand":
                    emit("*", pos)  # a(1 − a)
                depth += 1
                if depth > MAX_DEPTH:
                    raise FormulaError(_("too deeply nested (more than {n} levels of "
                                         "parentheses)").format(n=MAX_DEPTH), text, pos)
                emit("(", pos)
                prev_kind = "open"
            elif op == ")":
                depth -= 1
                if depth < 0:
                    raise FormulaError(_("unmatched ')'"), text, pos)
                emit(")", pos)
                prev_kind = "operand"
            else:
                emit(op, pos)
                prev_kind = "operator"
    if depth > 0:
        raise FormulaError(_("unmatched '('"), text, len(text))
    source = "".join(pieces)

    def where(col: int | None) -> int | None:
        if col is None or not origin:
            return None
        return origin[min(max(col, 0), len(origin) - 1)]

    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError as e:
        col = (e.offset or 1) - 1
        raise FormulaError(_("this is not a formula: check the operators and parentheses "
                             "here"), text, where(col)) from None
    except (RecursionError, MemoryError, ValueError):
        raise FormulaError(_("the formula is too deeply nested"), text, None) from None
    return tree.body, names, arity, where


def _digits(x: sp.Number) -> float:
    """How many decimal digits |x| and 1/|x| need, at most (its size on a log scale)."""
    if x.is_Rational:
        return max(len(str(abs(x.p))), len(str(x.q)))
    return abs(float(sp.log(abs(x), 10))) + 1


class _Builder:
    """Turns the whitelisted ``ast`` nodes into SymPy, refusing everything else."""

    def __init__(self, names, text, where, arity=None):
        self.names, self.text, self.where = names, text, where
        self.arity = arity or {}

    def fail(self, message, node):
        raise FormulaError(message, self.text, self.where(getattr(node, "col_offset", None)))

    def build(self, node) -> sp.Expr:
        if isinstance(node, ast.Name):
            value = self.names.get(node.id)
            if value is None or callable(value) and not isinstance(value, sp.Basic):
                self.fail("a function needs an argument in parentheses", node)
            return value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            v = self.build(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp):
            left, right = self.build(node.left), self.build(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            if isinstance(node.op, ast.Sub):
                return left - right
            if isinstance(node.op, ast.Mult):
                return left * right
            if isinstance(node.op, ast.Div):
                if right == 0:
                    self.fail(_("division by zero"), node)
                return left / right
            if isinstance(node.op, ast.Pow):
                if left == sp.E:
                    return sp.exp(right)
                if not right.is_Number or abs(right) > MAX_EXPONENT:
                    self.fail(f"exponents must be numbers of at most {MAX_EXPONENT} "
                              "(write exp(…) for e to a power)", node)
                if left == 0 and right < 0:
                    self.fail(_("division by zero"), node)
                if left.is_Number and left != 0 and \
                        abs(float(right)) * _digits(left) > MAX_RESULT_DIGITS:
                    self.fail(f"the number is too large (more than {MAX_RESULT_DIGITS} "
                              "digits)", node)
                result = left ** right
                if any(abs(q.exp) > MAX_TOTAL_EXPONENT for q in result.atoms(sp.Pow)
                       if q.exp.is_Number):
                    self.fail(f"a power of a power: the exponents multiply to more than "
                              f"{MAX_TOTAL_EXPONENT}", node)
                return result
            self.fail(_("only + − × / and ^ are allowed"), node)
        if isinstance(node, ast.IfExp):
            test = node.test
            if not (isinstance(test, ast.Compare) and len(test.ops) == 1 and
                    isinstance(test.ops[0], (ast.Gt, ast.Lt, ast.GtE, ast.LtE))):
                self.fail("a condition compares two expressions with > < >= <=", node)
            lhs, rhs = self.build(test.left), self.build(test.comparators[0])
            rel = {ast.Gt: sp.StrictGreaterThan, ast.Lt: sp.StrictLessThan,
                   ast.GtE: sp.GreaterThan, ast.LtE: sp.LessThan}[type(test.ops[0])]
            cond = rel(lhs, rhs)
            if cond in (sp.true, sp.false):
                return self.build(node.body if cond == sp.true else node.orelse)
            return sp.Piecewise((self.build(node.body), cond), (self.build(node.orelse), True))
        if isinstance(node, ast.Call):
            f = self.names.get(node.func.id) if isinstance(node.func, ast.Name) else None
            n = self.arity.get(node.func.id, 1) if isinstance(node.func, ast.Name) else 1
            if f is None or isinstance(f, sp.Basic) or node.keywords or len(node.args) != n:
                self.fail(f"only the functions {_CALLABLE} can be called, each with its "
                          "arguments (max and min of two)", node)
            return f(*[self.build(a) for a in node.args])
        self.fail("not allowed in a formula", node)
