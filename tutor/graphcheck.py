"""Grading a student's values and gradients of a computational graph, naming the mistake.

The answers file::

    values:      {q: 3, f: -12}     # forward values of nodes
    gradients:   {x: -4, q: -4}     # ∂output/∂node

Each answer is right within the tolerances (or its own rounding, as in ``checking``); or right
given the student's own earlier answers (follow-through: a value computed from their values,
a gradient from their upstream gradients); or one of the usual slips of a backward pass,
generated from the graph (``GRADIENT_RULES``): a reused value's uses not all added, the multiply
gate's inputs not swapped, the upstream gradient dropped or multiplied in twice, max's gradient
routed to the smaller input, the sign.
"""

from __future__ import annotations

from dataclasses import dataclass

from .answers import Answer
from .checking import (FOLLOW_THROUGH, MISTAKE_DIGITS, NO_MATCH, ROUNDED_DIGITS, Result,
                       close)
from .defaults import ATOL, RTOL
from .errors import ProblemError
from .graph import GraphDerivation, GraphProblem, Var, _numeric, derive_graph, forward_values
from .words import Words
from .i18n import _

SECTIONS = {"values": "node_value", "gradients": "node_gradient",
            "formulas": "node_formula"}
POINTS = 24            # random input points a formula is compared at


@dataclass(frozen=True)
class GraphReport:
    problem: GraphProblem
    file: str
    rtol: float
    atol: float
    decimals: int | None
    results: tuple[Result, ...]

    @property
    def right(self) -> int:
        return sum(r.ok for r in self.results)

    @property
    def return_code(self) -> int:
        return 0 if self.right == len(self.results) else 1


def parse_graph_answers(text: str, p: GraphProblem, file: str
                        ) -> tuple[list[Answer], int | None, tuple[int, int] | None]:
    import difflib

    from .problem import _read_yaml, _Validator
    scalars: dict[str, str] = {}
    doc, lines = _read_yaml(text, file, scalars)
    v = _Validator(file, lines)
    v.mapping(doc, "", (), ("values", "gradients", "formulas", "decimals", "problem",
                            "variant", "seed"))
    decimals = v.integer(doc["decimals"], "decimals", 0, 15) if "decimals" in doc else None
    variant = None
    if doc.get("variant") is not None or doc.get("seed") is not None:
        if doc.get("variant") is None or doc.get("seed") is None:
            raise v.error("variant", _("a variant and a seed go together"))
        variant = (v.integer(doc["variant"], "variant", 1, 10**6),
                   v.integer(doc["seed"], "seed", 0, 2**63 - 1))
    names = [n.name for n in p.nodes]
    out = []
    for section, kind in SECTIONS.items():
        entries = doc.get(section) or {}
        if not isinstance(entries, dict):
            raise v.error(section, _("expected a mapping of node names to numbers, e.g. 'q: "
                                     "3'"))
        for key, value in entries.items():
            field = f"{section}.{key}"
            if str(key) not in names:
                near = difflib.get_close_matches(str(key), names, n=1)
                raise v.error(field, (_("no node {key!r} in this graph (did you mean "
                                        "{near!r}?); its nodes are {names}") if near else
                                      _("no node {key!r} in this graph; its nodes are "
                                        "{names}")).format(key=key, near=near[0] if near else "",
                                                           names=", ".join(names)))
            if value is None:
                out.append(Answer(kind, str(key), "", None, lines.get(field)))
                continue
            if kind == "node_formula":
                if isinstance(value, bool) or not isinstance(value, (str, int, float)):
                    raise v.error(field, _("expected a formula in the graph's names, like "
                                           "'y*z'"))
                out.append(Answer(kind, str(key), str(value), None, lines.get(field)))
                continue
            number = v.number(value, field)
            out.append(Answer(kind, str(key), scalars.get(field, str(value)), number,
                              lines.get(field)))
    if not out:
        raise ProblemError(_("no answers: expected values or gradients of the graph's nodes"),
                           file=file)
    return out, decimals, variant


@dataclass(frozen=True)
class Slip:
    id: str
    message: Words
    value: float


def _gradient_slips(d: GraphDerivation, name: str):
    """The usual slips in ∂out/∂node, from the node's uses."""
    b = next((b for b in d.backward if b.node == name), None)
    if b is None:
        return
    p = d.problem
    out = Var(p.output)
    node = Var(name)
    if len(b.uses) > 1:
        for k, u in enumerate(b.uses):
            yield Slip("missing_use",
                       Words("{x} is used {n} times and the gradients of its uses add; this "
                             "is the use by {c} alone", x=node, n=len(b.uses),
                             c=Var(u.consumer)), u.value)
            rest = sum(w.value for j, w in enumerate(b.uses) if j != k)
            yield Slip("missing_use",
                       Words("the use by {c} is missing from the sum: {x}'s gradient adds "
                             "the gradients of all its {n} uses", c=Var(u.consumer), x=node,
                             n=len(b.uses)), rest)
    for u in b.uses:
        c = p.node(u.consumer)
        if u.gate == "mul":
            own = d.values[name]
            yield Slip("unswapped_inputs",
                       Words("the multiply gate swaps its inputs: ∂{c}/∂{x} is the other "
                             "input, not {x} itself", c=Var(c.name), x=node),
                       sum(w.value for w in b.uses if w is not u) + u.upstream * own)
        if u.gate == "add":
            other = [a for a in c.args if a != name]
            if other and isinstance(other[0], str):
                yield Slip("add_as_multiply",
                           Words("the add gate passes the gradient on unchanged; it does not "
                                 "multiply by the other input"),
                           sum(w.value for w in b.uses if w is not u)
                           + u.upstream * d.values[other[0]])
        if u.gate in ("max", "min"):
            yield Slip("wrong_route",
                       Words("max routes the gradient to the larger input")
                       if u.gate == "max" else
                       Words("min routes the gradient to the smaller input"),
                       sum(w.value for w in b.uses if w is not u)
                       + u.upstream * (1 - u.local_value))
    yield Slip("dropped_upstream",
               Words("the upstream gradient {up} is missing: downstream = upstream × local",
                     up=sp_derivative(out, [Var(u.consumer) for u in b.uses][0])),
               sum(u.local_value for u in b.uses))
    yield Slip("upstream_twice", Words("the upstream gradient is multiplied in twice"),
               sum(u.upstream * u.value for u in b.uses))
    yield Slip("wrong_sign", Words("the sign is wrong"), -b.gradient)


def sp_derivative(of, wrt):
    import sympy as sp
    return sp.Derivative(of, wrt)


def _value_slips(d: GraphDerivation, name: str):
    n = d.problem.node(name)
    if n.kind != "gate":
        return
    values = d.values
    if n.gate in ("sub", "div") and all(isinstance(a, str) for a in n.args):
        a, b = (values[x] for x in n.args)
        swapped = b - a if n.gate == "sub" else (a and b / a)
        yield Slip("swapped_operands", Words("the operands are swapped: {d}", d=n.expr()),
                   swapped)
    yield Slip("wrong_sign", Words("the sign is wrong"), -values[name])


# The rules, by kind of answer, in the order a wrong answer is compared with their slips.
GRADIENT_RULES = [_gradient_slips]
VALUE_RULES = [_value_slips]


class _GraphGrader:
    def __init__(self, d: GraphDerivation, answers: list[Answer], rtol: float, atol: float,
                 decimals: int | None):
        self.d, self.rtol, self.atol, self.decimals = d, rtol, atol, decimals
        self.values = {a.name: a.number for a in answers if a.kind == "node_value"
                       and a.number is not None}
        self.grads = {a.name: a.number for a in answers if a.kind == "node_gradient"
                      and a.number is not None}

    def close(self, given, want, raw, digits=ROUNDED_DIGITS) -> bool:
        return close(given, want, raw, self.rtol, self.atol, self.decimals, digits)

    def follow_value(self, name: str) -> float | None:
        """The node's value from the student's own values of its inputs, where given."""
        n = self.d.problem.node(name)
        if n.kind != "gate" or not any(isinstance(a, str) and a in self.values
                                       for a in n.args):
            return None
        vals = dict(self.d.values)
        vals.update({k: v for k, v in self.values.items() if k != name})
        try:
            return float(_numeric(n, "value", vals))
        except (ValueError, OverflowError, ZeroDivisionError):
            return None

    def follow_gradient(self, name: str) -> float | None:
        """The gradient from the student's own upstream gradients, where given."""
        b = next((b for b in self.d.backward if b.node == name), None)
        if b is None or not any(u.consumer in self.grads for u in b.uses):
            return None
        return sum(self.grads.get(u.consumer, u.upstream) * u.local_value for u in b.uses)

    def grade(self, a: Answer) -> Result:
        d = self.d
        if a.blank:
            want = d.values[a.name] if a.kind == "node_value" else self._gradient(a.name)
            return Result(a, False, want, Words("not answered"), mistake="blank")
        if a.kind == "node_formula":
            return self.grade_formula(a)
        if a.kind == "node_value":
            want, follow = d.values[a.name], self.follow_value(a.name)
            slips = [s for rule in VALUE_RULES for s in rule(d, a.name)]
        else:
            want, follow = self._gradient(a.name), self.follow_gradient(a.name)
            slips = [s for rule in GRADIENT_RULES for s in rule(d, a.name)]
        if self.close(a.number, want, a.text):
            return Result(a, True, want)
        if follow is not None and self.close(a.number, follow, a.text, MISTAKE_DIGITS) and \
                not self.close(follow, want, None):
            return Result(a, False, want, FOLLOW_THROUGH, follow_through=True,
                          mistake="follow_through")
        for s in slips:
            if self.close(a.number, s.value, a.text, MISTAKE_DIGITS) and \
                    not self.close(s.value, want, None):
                return Result(a, False, want, s.message, mistake=s.id)
        return Result(a, False, want, NO_MATCH)

    def grade_formula(self, a: Answer) -> Result:
        """∂out/∂node as a formula in the graph's names: compared with the backward pass's
        own formula at POINTS random input values (every node written out in the inputs)."""
        from .formula import FormulaError, Vocabulary, canonical_name, parse
        p = self.d.problem
        want = symbolic_gradients(p).get(a.name, 0)
        names = {n.name: Var(n.name) for n in p.nodes}
        vocab = Vocabulary(names, {canonical_name(k): k for k in names
                                   if canonical_name(k) != k})
        try:
            given = parse(a.text, vocab)
        except FormulaError as e:
            return Result(a, False, want, Words("cannot read the formula: {why}",
                                                why=e.message), mistake="unreadable")
        slips = [("wrong_sign", Words("the sign is wrong"), -want)]
        b = next((b for b in self.d.backward if b.node == a.name), None)
        if b is not None and len(b.uses) > 1:
            for u in b.uses:
                slips.append(("missing_use", Words(
                    "{x} is used {n} times and the gradients of its uses add; this is the use "
                    "by {c} alone", x=Var(a.name), n=len(b.uses), c=Var(u.consumer)),
                    _use_formula(p, a.name, u)))
        values = _random_inputs(p)
        mine, right = _evaluate(p, [given, want], values)
        if _same(mine, right):
            return Result(a, True, want)
        for mistake, words, expr in slips:
            if _same(mine, _evaluate(p, [expr], values)[0]):
                return Result(a, False, want, words, mistake=mistake)
        return Result(a, False, want, NO_MATCH)

    def _gradient(self, name: str) -> float:
        if name == self.d.problem.output:
            return 1.0
        b = next((b for b in self.d.backward if b.node == name), None)
        return b.gradient if b is not None else 0.0


def check_graph(p: GraphProblem, text: str, file: str, rtol: float = RTOL,
                atol: float = ATOL) -> GraphReport:
    from .graph import graph_variant, verified_graph
    answers, decimals, variant = parse_graph_answers(text, p, file)
    if variant is not None:         # a worksheet's variant: its own input values
        p = graph_variant(p, variant[1], variant[0])
    d = verified_graph(derive_graph(p))
    grader = _GraphGrader(d, answers, rtol, atol, decimals)
    return GraphReport(p, file, rtol, atol, decimals, tuple(grader.grade(a) for a in answers))


def _expected_text(x) -> str:
    """A number with 6 significant digits, or a formula as text."""
    import sympy as sp

    from .printing import exprs
    if isinstance(x, sp.Basic) and not x.is_Number:
        return exprs.text(x)
    return f"{float(x):.6g}"


def report_text(r: GraphReport) -> str:
    from .printing import exprs
    from .printing import words as render
    p = r.problem
    out_name = exprs.text(Var(p.output))
    lines = [f"Checking {r.file} against {p.name} (a computational graph, output "
             f"{out_name}).", ""]
    for res in r.results:
        a = res.answer
        name = exprs.text(Var(a.name))
        what = name if a.kind == "node_value" else f"∂{out_name}/∂{name}" + (
            " (formula)" if a.kind == "node_formula" else "")
        if a.blank:
            lines.append(f"· {what}: not answered")
            continue
        mark = "✓" if res.ok else "✗"
        lines.append(f"{mark} {what} = {a.text.strip()}")
        if not res.ok:
            lines.append(f"    expected {_expected_text(res.expected)}")
            lines.append(f"    {render.text(res.diagnosis.capitalised())}.")
    lines += ["", f"Score: {r.right} of {sum(not x.blank for x in r.results)} right."]
    return "\n".join(lines) + "\n"


def report_json(r: GraphReport) -> str:
    import json

    from .printing import words as render
    return json.dumps({
        "format": 1, "kind": "graph", "problem": r.problem.name, "answers_file": r.file,
        "tolerance": {"rtol": r.rtol, "atol": r.atol, "decimals": r.decimals},
        "score": {"right": r.right, "total": len(r.results)},
        "results": [{"kind": x.answer.kind, "name": x.answer.name, "given": x.answer.text,
                     "right": x.ok, "expected": _expected_text(x.expected),
                     "diagnosis": render.text(x.diagnosis) if x.diagnosis else None,
                     "diagnosis_html": render.html(x.diagnosis) if x.diagnosis else None,
                     "expected_formula": None, "correct_step_html": None,
                     "mistake": x.mistake, "follow_through": x.follow_through,
                     "blank": x.blank, "line": x.answer.line} for x in r.results]},
        indent=1, ensure_ascii=False) + "\n"


def symbolic_gradients(p: GraphProblem) -> dict:
    """∂out/∂node for every node as a formula in the node names: the backward pass done with
    each gate's symbolic local derivatives."""
    import sympy as sp
    from .gates import GATES
    grads: dict = {p.output: sp.S.One}
    for n in reversed(p.nodes):
        if n.kind != "gate" or n.name not in grads:
            continue
        g = GATES[n.gate]
        args = n.arg_exprs()
        local = g.local(*args, param=n.param) if n.param is not None else g.local(*args)
        for a, d in zip(n.args, local):
            if isinstance(a, str):
                grads[a] = grads.get(a, 0) + grads[n.name] * d
    return grads


def _use_formula(p: GraphProblem, name: str, use):
    from .gates import GATES
    c = p.node(use.consumer)
    g = GATES[c.gate]
    args = c.arg_exprs()
    local = (g.local(*args, param=c.param) if c.param is not None else g.local(*args))[use.slot]
    return symbolic_gradients(p).get(use.consumer, 0) * local


def _random_inputs(p: GraphProblem) -> dict:
    import numpy as np
    rng = np.random.default_rng(20261129)
    return {n.name: rng.uniform(0.5, 2.0, POINTS) * rng.choice([-1, 1], POINTS)
            for n in p.inputs}


def _evaluate(p: GraphProblem, exprs: list, inputs: dict) -> list:
    """The expressions' values at the input points, every node written out in the inputs."""
    import numpy as np

    from .symbolic import lambdify
    subs: dict = {}
    for n in p.nodes:
        if n.kind == "gate":
            subs[n.symbol] = n.expr().xreplace(subs)
    full = [sp_sympify(e).xreplace(subs) for e in exprs]
    syms = [Var(n.name) for n in p.inputs]
    with np.errstate(all="ignore"):
        try:
            out = lambdify([syms], full)([inputs[s.name] for s in syms])
        except Exception:       # noqa: BLE001 (a formula NumPy cannot evaluate is not equal)
            return [np.full(POINTS, np.nan) for _e in exprs]
    return [np.broadcast_to(np.asarray(v, dtype=float), (POINTS,)) for v in out]


def sp_sympify(e):
    import sympy as sp
    return sp.sympify(e)


def _same(u, v) -> bool:
    import numpy as np
    ok = np.isfinite(u) & np.isfinite(v)
    return bool(ok.any() and np.all(np.abs(u[ok] - v[ok]) <= 1e-8 * (np.abs(u[ok])
                                                                     + np.abs(v[ok])) + 1e-12))
