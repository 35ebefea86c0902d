"""Computational graphs: any scalar expression as a problem, split into gates, with its forward
values and its gradients node by node, checked three ways.

A problem file of this kind has a ``graph:`` section::

    name: (x + y)·z
    graph:
      inputs: {x: -2, y: 5, z: -4}
      steps:                 # named steps, in order, each "name = formula" ...
        - q = x + y
        - f = q * z
      # expression: (x + y) * z     ... or one expression, which tutor splits into steps
      output: f              # default: the last step

Formulas are read by the students' formula parser (never evaluated as Python). Each step is
split into gates (``gates.GATES``): its outermost operation is the named node, the operations
inside it get the step's name with a number (``f₁``, ``f₂``), constants are not nodes. An
input may be used several times; its gradient is then the sum over its uses.

The derivation: the forward pass node by node; the backward pass from the output to the
inputs, each use of a node as upstream gradient × local gradient (with the gate's rule), a
node's gradient the sum over its uses; and for every input the gradient three independent ways
— SymPy's derivative of the whole expression, the numeric reverse pass over the gates (plain
floats, ``Gate.grads``), and a central difference of the numeric forward pass.
"""

from __future__ import annotations

import ast
import math
import re
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from .errors import ProblemError
from .gates import CALLS, GATES
from .i18n import _

MAX_NODES = 200
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")
RESERVED = {"e", "exp", "log", "ln", "sqrt", "sin", "cos", "sigma", "sigmoid", "tanh",
            "relu", "abs", "max", "min", "if", "else", "L", "ell"}


class Var(sp.Symbol):
    """A value of a graph (a real number), printed with trailing digits (or what follows
    ``_``) as a subscript: w0 → w₀, price_apple → price with the subscript apple."""

    def __new__(cls, name, **assumptions):
        return super().__new__(cls, name, real=True, **assumptions)


def split_name(name: str) -> tuple[str, str]:
    """(base, subscript) of a graph name: w0 → (w, 0), f_2 → (f, 2), apple → (apple, '')."""
    if "_" in name:
        base, sub = name.split("_", 1)
        return base, sub
    m = re.fullmatch(r"(.*?[A-Za-z])(\d+)", name)
    return (m.group(1), m.group(2)) if m else (name, "")


@dataclass(frozen=True)
class Node:
    """A value of the graph. kind: 'input' or 'gate'; for a gate its operation, its inputs
    (node names, or numbers for constants) and a constant parameter (a power's exponent);
    ``step``: the named step it belongs to, ``line`` where that step is in the file."""

    name: str
    kind: str
    value: float
    gate: str | None = None
    args: tuple = ()
    param: float | None = None
    step: str | None = None
    line: int | None = None

    @property
    def symbol(self) -> Var:
        return Var(self.name)

    def arg_exprs(self) -> list:
        return [a if isinstance(a, sp.Basic) else Var(a) for a in self.args]

    def expr(self) -> sp.Expr:
        """Its definition from its inputs: q = x + y."""
        g = GATES[self.gate]
        args = self.arg_exprs()
        return g.symbolic(*args, param=self.param) if self.param is not None \
            else g.symbolic(*args)


@dataclass(frozen=True)
class GraphProblem:
    name: str
    description: str
    nodes: tuple[Node, ...]            # inputs first, then gates in order
    output: str
    file: str = "<problem>"
    steps: tuple[tuple[str, str], ...] = ()     # (name, formula as written)

    @property
    def inputs(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "input"]

    def node(self, name: str) -> Node:
        return next(n for n in self.nodes if n.name == name)

    def consumers(self, name: str) -> list[tuple[Node, int]]:
        """The uses of a node: (gate node, argument slot)."""
        return [(n, k) for n in self.nodes if n.kind == "gate"
                for k, a in enumerate(n.args) if a == name]

    def full_expr(self) -> sp.Expr:
        """The output as one expression in the inputs (the steps substituted)."""
        subs: dict = {}
        for n in self.nodes:
            if n.kind == "gate":
                subs[n.symbol] = n.expr().xreplace(subs)
        return subs.get(Var(self.output), Var(self.output))

    def with_inputs(self, values: dict[str, float]) -> "GraphProblem":
        """The same graph at other input values (every node recomputed)."""
        import dataclasses
        nodes = [dataclasses.replace(n, value=float(values.get(n.name, n.value)))
                 if n.kind == "input" else n for n in self.nodes]
        vals = forward_values(nodes)
        return dataclasses.replace(self, nodes=tuple(
            dataclasses.replace(n, value=vals[n.name]) for n in nodes))


def _arg_value(a, values):
    return float(a) if isinstance(a, sp.Basic) else values[a]


def _numeric(n: Node, fn: str, values):
    """A gate's ``value`` or ``grads`` at the node's inputs, in floats."""
    g = GATES[n.gate]
    xs = [_arg_value(a, values) for a in n.args]
    f = getattr(g, fn)
    return f(*xs, param=float(n.param)) if n.param is not None else f(*xs)


def forward_values(nodes, inputs: dict[str, float] | None = None) -> dict[str, float]:
    """Every node's value in floats, the inputs' from ``inputs`` or the nodes'."""
    values: dict[str, float] = {}
    for n in nodes:
        if n.kind == "input":
            values[n.name] = float(inputs[n.name]) if inputs and n.name in inputs else n.value
        else:
            values[n.name] = _numeric(n, "value", values)
    return values


# -------------------------------------------------------------------------------------------
# Reading a graph problem


def is_graph(doc: Any) -> bool:
    return isinstance(doc, dict) and "graph" in doc


def parse_graph(doc: dict, v, file: str) -> GraphProblem:
    """The graph problem of a loaded document; ``v`` the problem validator (its errors name
    the file, field and line)."""
    from .formula import FormulaError, Vocabulary, parse_tree
    v.mapping(doc, "", ("name", "graph"), ("description", "training"))
    name = v.text(doc["name"], "name", 200)
    description = v.text(doc.get("description", ""), "description", 2000)
    g = v.mapping(doc["graph"], "graph", ("inputs",), ("steps", "expression", "output"))
    if ("steps" in g) == ("expression" in g):
        raise v.error("graph", _("expected either steps (a list of 'name = formula') or one "
                                 "expression"))
    inputs = g["inputs"]
    if not isinstance(inputs, dict) or not inputs:
        raise v.error("graph.inputs", _("expected a mapping of input names to numbers, e.g. "
                                        "{x: -2, y: 5}"))
    nodes: list[Node] = []
    known: dict[str, Var] = {}
    for key, value in inputs.items():
        field_ = f"graph.inputs.{key}"
        _check_name(v, key, field_)
        nodes.append(Node(str(key), "input", v.number(value, field_)))
        known[str(key)] = Var(str(key))
    if "expression" in g:
        text = g["expression"]
        if not isinstance(text, str):
            raise v.error("graph.expression", _("expected a formula, like (x + y) * z"))
        out = g.get("output", "f")
        _check_name(v, out, "graph.output")
        steps = [(str(out), text, "graph.expression")]
    else:
        raw = g["steps"]
        if not isinstance(raw, list) or not raw:
            raise v.error("graph.steps", _("expected a list of steps like 'q = x + y'"))
        steps = []
        for k, item in enumerate(raw):
            field_ = f"graph.steps[{k}]"
            if isinstance(item, dict) and len(item) == 1:
                (step_name, text), = item.items()
            elif isinstance(item, str) and "=" in item:
                step_name, text = (s.strip() for s in item.split("=", 1))
            else:
                raise v.error(field_, _("expected 'name = formula', like 'q = x + y'"))
            if not isinstance(text, (str, int, float)) or isinstance(text, bool):
                raise v.error(field_, _("expected 'name = formula', like 'q = x + y'"))
            _check_name(v, step_name, field_)
            steps.append((str(step_name), str(text), field_))
    written = []
    for step_name, text, field_ in steps:
        if step_name in known:
            raise v.error(field_, _("{step_name!r} is already defined; each step defines a "
                                    "new name").format(step_name=step_name))
        from .formula import canonical_name
        vocab = Vocabulary(dict(known), {canonical_name(k): k for k in known
                                         if canonical_name(k) != k})
        try:
            tree, names, _rest, where = parse_tree(text, vocab)
        except FormulaError as e:
            raise v.error(field_, _undefined(e, step_name, [s for s, _f, _l in steps])) from None
        builder = _Splitter(step_name, names, v, field_, text, where, v.lines.get(field_))
        top = builder.split(tree)
        if not (isinstance(top, str) and any(n.name == top for n in builder.nodes)):
            # the step only names another value (f = q): a gate multiplying by 1 would be
            # invented; ask for an operation instead
            raise v.error(field_, _("{step_name} = {text}: a step must compute something from "
                                    "the inputs (an operation or a function)").format(
                                        step_name=step_name, text=text))
        nodes += builder.finish(top)
        known[step_name] = Var(step_name)
        written.append((step_name, text))
        if len(nodes) > MAX_NODES:
            raise v.error(field_, _("a graph has at most {max_nodes} nodes").format(
                                      max_nodes=MAX_NODES))
    output = str(g.get("output", steps[-1][0]))
    if output not in known:
        raise v.error("graph.output", _("no step named {output!r}; the steps are {items}").format(
                                          output=output, items=', '.join(s for s, _f, _l in steps)))
    # the values, with a one-line error where an operation is undefined
    values: dict[str, float] = {}
    final = []
    for n in nodes:
        if n.kind == "input":
            values[n.name] = n.value
            final.append(n)
            continue
        xs = [_arg_value(a, values) for a in n.args]
        why = _undefined_at(n, xs)
        if why:
            raise ProblemError(_("{step} = …: {why}").format(
                                   step=n.step, why=why), file=file, field=_field_of(n, steps),
                               line=n.line)
        try:
            value = _numeric(n, "value", values)
        except (OverflowError, ValueError, ZeroDivisionError):
            value = math.nan
        if not math.isfinite(value):
            raise ProblemError(_("{step} = …: the value overflows (more than 1e308)").format(
                                   step=n.step),
                               file=file, field=_field_of(n, steps), line=n.line)
        values[n.name] = value
        import dataclasses
        final.append(dataclasses.replace(n, value=value))
    return GraphProblem(name, description, tuple(final), output, file, tuple(written))


def _field_of(n: Node, steps) -> str:
    return next((f for s, _e, f in steps if s == n.step), "graph")


def _check_name(v, name, field_):
    if not isinstance(name, str) or not NAME.match(name):
        raise v.error(field_, _("expected a name of letters and digits starting with a letter "
                                "(like x, w0, price_apple); got {name!r}").format(name=name))
    if name in RESERVED:
        raise v.error(field_, _("{name!r} is the name of a function or a symbol tutor uses; "
                                "choose another").format(name=name))


def _undefined(e, step: str, later: list[str]) -> str:
    m = re.match(r"unknown symbol '([^']+)'", e.message)
    if m and m.group(1) in later:
        return _("{step} uses {name!r} before it is defined: define the steps in the order "
                 "they are computed").format(step=step, name=m.group(1))
    if m:
        return _("{message}; the names so far are the inputs and the earlier steps").format(
            message=e.message)
    return e.message


def _undefined_at(n: Node, xs: list[float]) -> str | None:
    """Why a gate's operation is undefined at these input values, or None."""
    g = n.gate
    if g == "div" and xs[1] == 0:
        return _("a division by 0")
    if g == "log" and xs[0] <= 0:
        return _("the log of {x:g}, which is not positive").format(x=xs[0])
    if g == "sqrt" and xs[0] < 0:
        return _("the square root of {x:g}, which is negative").format(x=xs[0])
    if g == "pow" and xs[0] == 0 and n.param < 0:
        return _("0 to a negative power (a division by 0)")
    if g == "pow" and xs[0] < 0 and float(n.param) != int(float(n.param)):
        return _("{x:g} to the power {p:g}, which is not a real number").format(
            x=xs[0], p=float(n.param))
    return None


class _Splitter:
    """Turns one step's syntax tree into gate nodes."""

    def __init__(self, step, names, v, field_, text, where, line):
        self.step, self.names, self.v, self.field = step, names, v, field_
        self.text, self.where, self.line = text, where, line
        self.nodes: list[Node] = []

    def fail(self, message: str, node=None):
        raise self.v.error(self.field, message)

    def new(self, gate: str, args, param=None) -> str:
        name = f"{self.step}_{len(self.nodes) + 1}"
        self.nodes.append(Node(name, "gate", 0.0, gate, tuple(args), param, self.step,
                               self.line))
        return name

    def finish(self, top: str) -> list[Node]:
        """The step's nodes, the outermost renamed to the step's name."""
        import dataclasses
        rename = {top: self.step}
        out = []
        for n in self.nodes:
            args = tuple(rename.get(a, a) if isinstance(a, str) else a for a in n.args)
            out.append(dataclasses.replace(n, name=rename.get(n.name, n.name), args=args))
        # the inner nodes numbered 1, 2, … in order
        inner = [n.name for n in out if n.name != self.step]
        number = {old: f"{self.step}_{k}" for k, old in enumerate(inner, start=1)}
        return [dataclasses.replace(n, name=number.get(n.name, n.name), args=tuple(
            number.get(a, a) if isinstance(a, str) else a for a in n.args)) for n in out]

    def split(self, node) -> str | sp.Number:
        """The node name (or constant) that ``node`` computes."""
        if isinstance(node, ast.Name):
            value = self.names.get(node.id)
            if isinstance(value, Var) or isinstance(value, sp.Symbol):
                return value.name
            if value is sp.E:
                return sp.E
            if isinstance(value, sp.Basic) and not value.free_symbols:
                return value
            self.fail("a function needs an argument in parentheses")
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            a = self.split(node.operand)
            if isinstance(node.op, ast.UAdd):
                return a
            if not isinstance(a, str):
                return -a
            return self.new("neg", [a])
        if isinstance(node, ast.BinOp):
            if isinstance(node.op, ast.Pow):
                base = self.split(node.left)
                exp = self.split(node.right)
                if base is sp.E:
                    if not isinstance(exp, str):
                        return sp.exp(exp)
                    return self.new("exp", [exp])
                from .formula import MAX_EXPONENT
                if isinstance(exp, str) or not exp.is_Number or abs(exp) > MAX_EXPONENT:
                    self.fail(f"{self.text}: exponents must be numbers of at most "
                              f"{MAX_EXPONENT} (write exp(…) for e to a power)")
                if not isinstance(base, str):
                    return base ** exp
                return self.new("pow", [base], param=exp)
            ops = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div"}
            gate = ops.get(type(node.op))
            if gate is None:
                self.fail("only + − × / and ^ are allowed")
            a, b = self.split(node.left), self.split(node.right)
            if not isinstance(a, str) and not isinstance(b, str):   # constants: folded
                if gate == "div" and b == 0:
                    self.fail("a division by 0")
                return {"add": lambda: a + b, "sub": lambda: a - b, "mul": lambda: a * b,
                        "div": lambda: a / b}[gate]()
            return self.new(gate, [a, b])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            f = self.names.get(node.func.id)
            from .activations import FUNCTIONS
            fname = next((k for k, entry in FUNCTIONS.items() if entry.make is f), None)
            gate = CALLS.get(fname)
            if gate is None or len(node.args) != GATES[gate].arity or node.keywords:
                self.fail(f"unknown operation {node.func.id and fname or '?'}; a graph "
                          "may use + − × / ^, exp, log, sqrt, sin, cos, sigma, tanh, relu, "
                          "abs, max(a, b), min(a, b)")
            args = [self.split(a) for a in node.args]
            if not any(isinstance(a, str) for a in args):   # a constant: computed now
                try:
                    return sp.Float(GATES[gate].value(*[float(a) for a in args]))
                except (ValueError, OverflowError, ZeroDivisionError):
                    self.fail(f"{fname}(…) of a constant is undefined or too large")
            return self.new(gate, args)
        self.fail("not allowed in a graph: only + − × / ^ and functions")


# -------------------------------------------------------------------------------------------
# The derivation


@dataclass(frozen=True)
class Use:
    """One use of a node by a gate: ∂out/∂node through it = upstream × local."""

    consumer: str
    slot: int
    gate: str
    local: sp.Expr          # the local derivative, in the consumer's inputs
    local_value: float
    upstream: float         # ∂out/∂consumer
    value: float            # upstream × local


@dataclass(frozen=True)
class BackwardStep:
    node: str
    uses: tuple[Use, ...]
    gradient: float         # ∂out/∂node, the sum over the uses


@dataclass(frozen=True)
class InputCheck:
    """∂out/∂input three ways, and whether they agree (as gradcheck judges: relative error
    within 1e-9 for the symbolic value; within max(1e-7, 4 × its own error) for the central
    difference; at a kink neither applies, and the gates' convention holds)."""

    name: str
    symbolic: float
    numeric: float
    finite_difference: float
    fd_error: float
    kink: bool

    @property
    def symbolic_ok(self) -> bool:
        # At a kink (a tie of max, relu at 0) the derivative is a convention, and SymPy's
        # (which flattens max(a, max(b, c))) need not be the gates'; the reverse pass there is
        # checked against PyTorch's in the tests.
        return self.kink or abs(self.symbolic - self.numeric) <= 1e-9 * max(
            1.0, abs(self.numeric))

    @property
    def fd_ok(self) -> bool:
        return self.kink or abs(self.finite_difference - self.numeric) <= max(
            1e-7 * max(1.0, abs(self.numeric)), 4 * self.fd_error)

    @property
    def ok(self) -> bool:
        return self.symbolic_ok and self.fd_ok


@dataclass(frozen=True)
class GraphDerivation:
    problem: GraphProblem
    values: dict[str, float]
    backward: tuple[BackwardStep, ...]        # from the output back to the inputs
    checks: tuple[InputCheck, ...]
    gradients: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


def reverse_pass(p: GraphProblem, values: dict[str, float]) -> dict[str, float]:
    """Every node's ∂out/∂node in floats, over the gates' own float derivatives."""
    grad = {n.name: 0.0 for n in p.nodes}
    grad[p.output] = 1.0
    for n in reversed(p.nodes):
        if n.kind != "gate" or grad[n.name] == 0.0 and n.name != p.output:
            continue
        local = _numeric(n, "grads", values)
        for a, d in zip(n.args, local):
            if isinstance(a, str):
                grad[a] += grad[n.name] * d
    return grad


def derive_graph(p: GraphProblem) -> GraphDerivation:
    values = forward_values(p.nodes)
    grad = reverse_pass(p, values)
    reach = _reaching(p)
    steps = []
    for n in reversed(p.nodes):
        if n.name == p.output or n.name not in reach:
            continue
        uses = []
        for c, slot in p.consumers(n.name):
            if c.name not in reach and c.name != p.output:
                continue
            g = GATES[c.gate]
            args = c.arg_exprs()
            local = (g.local(*args, param=c.param) if c.param is not None
                     else g.local(*args))[slot]
            local_value = _numeric(c, "grads", values)[slot]
            uses.append(Use(c.name, slot, c.gate, sp.sympify(local), local_value,
                            grad[c.name], grad[c.name] * local_value))
        steps.append(BackwardStep(n.name, tuple(uses), grad[n.name]))
    checks = tuple(_check(p, values, grad, n.name) for n in p.inputs)
    return GraphDerivation(p, values, tuple(steps), checks,
                           {n.name: grad[n.name] for n in p.inputs})


def _reaching(p: GraphProblem) -> set[str]:
    """The nodes the output depends on."""
    need = {p.output}
    for n in reversed(p.nodes):
        if n.name in need and n.kind == "gate":
            need |= {a for a in n.args if isinstance(a, str)}
    return need


def _check(p: GraphProblem, values: dict[str, float], grad: dict[str, float], name: str
           ) -> InputCheck:
    x = Var(name)
    expr = p.full_expr()
    d = sp.diff(expr, x)
    subs = {Var(n.name): n.value for n in p.inputs}
    # Heaviside(0) is ½ (a tie of max); relu's derivative at 0 is 0, as in the reverse pass
    d = d.replace(lambda e: isinstance(e, sp.Heaviside) and len(e.args) == 1,
                  lambda e: sp.Heaviside(e.args[0], sp.Rational(1, 2)))
    from .symbolic import lambdify
    import numpy as np
    syms = list(subs)
    try:
        with np.errstate(all="ignore"):
            symbolic = float(np.asarray(lambdify([syms], [d])([np.array(float(subs[k]))
                                                              for k in syms])[0]))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        symbolic = math.nan
    fd, err, kink = _difference(p, name)
    return InputCheck(name, symbolic, grad[name], fd, err, kink)


def _difference(p: GraphProblem, name: str) -> tuple[float, float, bool]:
    """The fourth-order central difference [f(x−2h) − 8f(x−h) + 8f(x+h) − f(x+2h)] / 12h of
    the float forward pass in one input: (value, its own error estimate |D(h) − D(h/2)| plus
    rounding, whether a kink lies within x ± 2h)."""
    x0 = p.node(name).value
    h = 2.0 ** math.floor(math.log2(1e-3 * max(1.0, abs(x0))))
    base = forward_values(p.nodes)
    branch = _branches(p, base)
    seen = []

    def f(x):
        vals = forward_values(p.nodes, {name: x})
        seen.append(vals)
        return vals[p.output]

    def D(step):
        return (f(x0 - 2 * step) - 8 * f(x0 - step) + 8 * f(x0 + step)
                - f(x0 + 2 * step)) / (12 * step)

    try:
        d1, d2 = D(h), D(h / 2)
    except (ValueError, OverflowError, ZeroDivisionError):
        return math.nan, math.inf, True
    kink = any(_branches(p, vals) != branch for vals in seen)
    scale = max(abs(v) for v in base.values())
    rounding = 18 * 2.2e-16 * scale / (12 * h / 2)
    return d2, abs(d1 - d2) + rounding, kink


def _branches(p: GraphProblem, values) -> tuple:
    """Which side of its kink each kinked gate is on (relu, abs: the sign; max/min: which
    input is larger)."""
    out = []
    for n in p.nodes:
        if n.kind == "gate" and GATES[n.gate].side is not None:
            out.append(GATES[n.gate].side(*[_arg_value(a, values) for a in n.args]))
    return tuple(out)


def verified_graph(d: GraphDerivation) -> GraphDerivation:
    """``d``, or VerificationError when the three computations disagree (a bug in tutor)."""
    from .errors import VerificationError
    bad = [c for c in d.checks if not c.ok]
    if bad:
        c = bad[0]
        raise VerificationError(_(
            "{name}: ∂{output}/∂{input} disagrees: symbolic {symbolic!r}, reverse pass "
            "{numeric!r}, finite difference {fd!r}; this is a bug in tutor").format(
                name=d.problem.name, output=d.problem.output, input=c.name,
                symbolic=c.symbolic, numeric=c.numeric, fd=c.finite_difference))
    return d


# -------------------------------------------------------------------------------------------
# A network as a graph of operations


MAX_NETWORK_NODES = MAX_NODES


def network_graph(problem, sample: int) -> GraphProblem:
    """The operation-level graph of ``problem``'s network for one sample (1-based): each
    product wⱼᵢ·aᵢ, each sum, each activation and the loss as nodes, with the weights and
    biases as inputs, so that its gradients are the sample's ∂ℓ/∂p. ProblemError (field
    --graph) when an activation or the loss has no gate, or the graph would be too large to
    read."""
    from .losses import get as get_loss
    from .printing.exprs import ascii as ascii_text
    net = problem.network
    k = sample - 1
    if not 1 <= sample <= problem.n_samples:
        raise ProblemError(_("expected a sample from 1 to {n_samples}; got {sample}").format(
                               n_samples=problem.n_samples, sample=sample),
                           field="--sample")
    inputs: dict[str, float] = {}
    for i, x in enumerate(problem.inputs[k], start=1):
        inputs[f"x{i}"] = float(x)
    steps: list[str] = []
    prev = [f"x{i}" for i in range(1, net.inputs + 1)]
    L = len(net.layers)
    for l, layer in enumerate(net.layers, start=1):
        act = layer.act
        gate = CALLS.get(act.function) if act.function else None
        if act.function is not None and gate is None or not act.elementwise:
            raise ProblemError(_("the operation-level graph has no gate for {activation} (it "
                                 "draws sigmoid, tanh, relu and linear layers)").format(
                                     activation=layer.activation),
                               field="--graph")
        W, b = problem.params[f"W{l}"], problem.params[f"b{l}"]
        current = []
        for j in range(1, layer.units + 1):
            terms = []
            for i, a in enumerate(prev, start=1):
                inputs[f"w{l}_{j}{i}"] = float(W[j - 1, i - 1])
                terms.append(f"w{l}_{j}{i}*{a}")
            inputs[f"b{l}_{j}"] = float(b[j - 1])
            out = ("yhat" if net.outputs == 1 else f"yhat{j}") if l == L else f"a{l}_{j}"
            z = out if act.function is None and l == L else f"z{l}_{j}"   # a linear output
            steps.append(f"{z} = " + " + ".join(terms) + f" + b{l}_{j}")
            if act.function is None:
                current.append(z)
            else:
                steps.append(f"{out} = {act.function}(z{l}_{j})")
                current.append(out)
        prev = current
    loss = get_loss(problem.loss, dict(problem.loss_options))
    ys = [sp.nsimplify(float(y)) for y in problem.targets[k]]
    expr = loss.symbolic([Var(n) for n in prev], ys)

    def evaluated(e):
        return e if e.is_Atom else e.func(*[evaluated(a) for a in e.args])

    try:
        text = ascii_text(evaluated(expr))
    except Exception:     # noqa: BLE001 (a loss tutor cannot write as a formula)
        text = ""
    if not text or " if " in text:
        raise ProblemError(_("the operation-level graph has no gates for the {loss} loss").format(
                               loss=problem.loss), field="--graph")
    steps.append(f"loss = {text}")
    if sum(len(s.split("+")) + len(s.split("*")) for s in steps) > 2 * MAX_NETWORK_NODES:
        raise ProblemError(_("a {network} network is too large to draw as one graph of "
                             "operations (at most about {max_network_nodes} nodes); draw a "
                             "smaller network").format(
                                 network=net.describe(), max_network_nodes=MAX_NETWORK_NODES),
                                 field="--graph")
    doc = {"name": f"{problem.name}: the graph of sample {sample}",
           "description": f"Every product, sum, activation and the loss of "
                          f"{net.describe()} for sample {sample}; the inputs are the sample's "
                          "x and the weights and biases.",
           "graph": {"inputs": inputs, "steps": steps, "output": "loss"}}
    from .problem import _Validator
    return parse_graph(doc, _Validator(problem.file, {}), problem.file)


# -------------------------------------------------------------------------------------------
# Variants, for worksheets


MAX_DRAWS = 50


def graph_variant(p: GraphProblem, seed: int, variant: int) -> GraphProblem:
    """``p`` with the inputs of worksheet variant ``variant`` of ``seed``: drawn from
    ``default_rng([seed, variant])`` on the grid −2.0, −1.9, …, 2.0 without 0 (a value one can
    compute with by hand), redrawn (deterministically) while an operation is undefined there."""
    import dataclasses

    import numpy as np
    grid = np.round(np.concatenate([np.arange(-20, 0), np.arange(1, 21)]) / 10, 1)
    rng = np.random.default_rng([seed, variant])
    for _draw in range(MAX_DRAWS):
        values = {n.name: float(rng.choice(grid)) for n in p.inputs}
        try:
            q = p.with_inputs(values)
        except (ValueError, OverflowError, ZeroDivisionError):
            continue
        if all(math.isfinite(n.value) for n in q.nodes) and not any(
                n.kind == "gate" and _undefined_at(n, [_arg_value(a, {m.name: m.value
                                                                    for m in q.nodes})
                                                        for a in n.args])
                for n in q.nodes):
            return dataclasses.replace(q, name=p.name)
    raise ProblemError(_("no variant of this graph within {max_draws} draws is defined "
                         "everywhere").format(max_draws=MAX_DRAWS), file=p.file)
