"""Computational graphs: the shipped problems against hand computations (CS231n's notes, the
Deep Learning from Scratch examples), SymPy's diff and PyTorch's autograd; random expression
graphs (hypothesis) with reused values and ties; the conventions at kinks; every format; bad
input as one-line errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import sympy as sp
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from conftest import ROOT, need, need_module
from tutor.cli import main
from tutor.errors import ProblemError
from tutor.graph import GraphProblem, Var, derive_graph, forward_values
from tutor.problem import load_any, parse_any

GRAPHS = sorted((ROOT / "problems" / "graphs").glob("*.yaml"))

# The gradients of each shipped graph, computed by hand (and printed in the sources named in
# the files).
EXPECTED = {
    "add-multiply": {"x": -4, "y": -4, "z": 3},
    "sigmoid-gate": {"w0": -0.19661193324148185, "x0": 0.3932238664829637,
                     "w1": -0.3932238664829637, "x1": -0.5898357997244456,
                     "w2": 0.19661193324148185},
    "apple": {"apple": 2.2, "apple_num": 110, "tax": 200},
    "apple-orange": {"apple": 2.2, "apple_num": 110, "orange": 3.3, "orange_num": 165,
                     "tax": 650},
    "reuse": {"x": -6, "y": 9},                  # f = (xy + x)x: 2xy + 2x, x²
    "max-gate": {"x": -8, "y": 6, "z": 2, "w": 0},
}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_every_shipped_graph_has_its_expected_gradients():
    assert {p.stem for p in GRAPHS} == set(EXPECTED)
    for path in GRAPHS:
        d = derive_graph(load_any(path))
        assert d.ok, path
        for name, want in EXPECTED[path.stem].items():
            assert d.gradients[name] == pytest.approx(want, rel=1e-12, abs=1e-12), (path, name)


def _torch_gradients(p: GraphProblem) -> dict[str, float]:
    """The same graph evaluated by PyTorch's autograd, gate by gate."""
    torch = need_module("torch")
    ops = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "div": lambda a, b: a / b, "neg": lambda a: -a, "exp": torch.exp,
           "log": torch.log, "sqrt": torch.sqrt, "sin": torch.sin, "cos": torch.cos,
           "sigma": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "abs": torch.abs,
           "max": torch.maximum, "min": torch.minimum}
    t: dict = {}
    leaves = {}
    for n in p.nodes:
        if n.kind == "input":
            leaves[n.name] = t[n.name] = torch.tensor(n.value, dtype=torch.float64,
                                                      requires_grad=True)
            continue
        args = [t[a] if isinstance(a, str) else torch.tensor(float(a), dtype=torch.float64)
                for a in n.args]
        t[n.name] = args[0] ** float(n.param) if n.gate == "pow" else ops[n.gate](*args)
    t[p.output].backward()
    return {k: float(v.grad) if v.grad is not None else 0.0 for k, v in leaves.items()}


@pytest.mark.parametrize("path", GRAPHS, ids=lambda p: p.stem)
def test_shipped_graphs_agree_with_sympy_and_pytorch(path):
    p = load_any(path)
    d = derive_graph(p)
    expr = p.full_expr()
    values = {Var(n.name): n.value for n in p.inputs}
    for n in p.inputs:
        want = float(sp.diff(expr, Var(n.name)).subs(values)
                     .replace(lambda e: isinstance(e, sp.Heaviside), lambda e: sp.Heaviside(
                         e.args[0], sp.Rational(1, 2))))
        assert d.gradients[n.name] == pytest.approx(want, rel=1e-12, abs=1e-12)
    torch_grads = _torch_gradients(p)
    for name, g in torch_grads.items():
        assert d.gradients[name] == pytest.approx(g, rel=1e-12, abs=1e-12), name


def test_a_reused_value_adds_the_gradients_of_its_uses():
    d = derive_graph(load_any(ROOT / "problems" / "graphs" / "reuse.yaml"))
    x = next(b for b in d.backward if b.node == "x")
    assert len(x.uses) == 3 and sum(u.value for u in x.uses) == pytest.approx(x.gradient)
    out = run("derive", ROOT / "problems" / "graphs" / "reuse.yaml")
    assert "used 3 times: the gradients of its uses add" in out.output


def test_at_a_tie_max_splits_the_gradient_as_pytorch_does():
    p = parse_any(yaml.safe_dump({"name": "tie", "graph": {
        "inputs": {"a": 2, "b": 2}, "expression": "max(a, b) * 3"}}))
    d = derive_graph(p)
    assert d.gradients == {"a": 1.5, "b": 1.5}
    assert all(c.kink and c.ok for c in d.checks)       # no finite difference across a kink
    torch_grads = _torch_gradients(p)
    assert torch_grads == {"a": 1.5, "b": 1.5}


def test_relu_at_zero_passes_nothing():
    p = parse_any(yaml.safe_dump({"name": "r", "graph": {
        "inputs": {"a": 0, "b": 1}, "expression": "relu(a) + b"}}))
    assert derive_graph(p).gradients == {"a": 0.0, "b": 1.0}


# -------------------------------------------------------------------------------------------
# Random graphs

UNARY = ["exp", "sigma", "tanh", "relu", "sin", "cos", "abs", "-"]
BINARY = ["+", "-", "*", "max", "min", "/"]


@st.composite
def expressions(draw):
    """A random expression over 1–4 inputs, each used possibly several times."""
    n = draw(st.integers(1, 4))
    names = [f"x{i}" for i in range(n)]
    values = {k: draw(st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3)))
              for k in names}

    def build(depth):
        if depth == 0 or draw(st.booleans()) and depth < 3:
            return draw(st.sampled_from(names + ["2", "0.5"]))
        if draw(st.booleans()):
            op = draw(st.sampled_from(UNARY))
            inner = build(depth - 1)
            return f"-({inner})" if op == "-" else f"{op}({inner})"
        op = draw(st.sampled_from(BINARY))
        a, b = build(depth - 1), build(depth - 1)
        if op in ("max", "min"):
            return f"{op}({a}, {b})"
        if op == "/":
            return f"({a}) / (2 + ({b})^2)"          # never a division by 0
        return f"({a}) {op} ({b})"

    expr = build(4)
    return {"name": "random", "graph": {"inputs": values, "expression": expr}}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(expressions())
def test_random_graphs_check_three_ways_and_match_sympy(doc):
    try:
        p = parse_any(yaml.safe_dump(doc))
    except ProblemError as e:
        # an expression of one input alone, or one whose value overflows: refused, rightly
        assume(not any(w in str(e) for w in ("compute something", "overflows",
                                               "too large")))
        raise
    d = derive_graph(p)
    assert d.ok, [(c.name, c.symbolic, c.numeric, c.finite_difference) for c in d.checks]
    # the reverse pass against PyTorch's autograd, where it is installed
    try:
        import torch  # noqa: F401
    except ImportError:
        return
    for name, g in _torch_gradients(p).items():
        assert d.gradients[name] == pytest.approx(g, rel=1e-9, abs=1e-12), (doc, name)


# -------------------------------------------------------------------------------------------
# The command line


@pytest.mark.parametrize("fmt", ["text", "json", "latex", "markdown", "html"])
def test_every_format(fmt, tmp_path):
    out = tmp_path / f"g.{fmt}"
    r = run("derive", ROOT / "problems" / "graphs" / "sigmoid-gate.yaml", "-f", fmt, "-o", out)
    assert r.exit_code == 0, r.output
    text = out.read_text()
    if fmt == "json":
        doc = json.loads(text)
        assert doc["kind"] == "graph" and doc["ok"]
        assert doc["gradients"]["x0"] == pytest.approx(0.3932238664829637)
    elif fmt == "html":
        assert "<math>" in text and "multiply gate" in text
    else:
        assert "multiply gate" in text


def test_the_latex_compiles(tmp_path):
    need("pdflatex")
    from tutor.latex import compile_pdf
    out = tmp_path / "g.tex"
    assert run("derive", ROOT / "problems" / "graphs" / "apple-orange.yaml", "-f", "latex",
               "-o", out).exit_code == 0
    compile_pdf(out.read_text(), tmp_path / "g.pdf")
    assert (tmp_path / "g.pdf").stat().st_size > 1000


@pytest.mark.parametrize("graph, words, field", [
    # a name no step or input defines
    ({"inputs": {"x": 1}, "steps": ["f = x * y"]}, "unknown symbol 'y'", "graph.steps[0]"),
    # a step used before the step that defines it
    ({"inputs": {"x": 1}, "steps": ["f = q * x", "q = x + 1"]}, "uses 'q' before it is defined",
     "graph.steps[0]"),
    # an operation graphs do not have
    ({"inputs": {"x": 1}, "steps": ["f = softplus(x)"]}, "unknown operation", "graph.steps[0]"),
    # where the operation is undefined
    ({"inputs": {"x": -1}, "steps": ["f = log(x)"]}, "the log of -1", "graph.steps[0]"),
    ({"inputs": {"x": 1}, "steps": ["q = x - 1", "f = x / q"]}, "a division by 0",
     "graph.steps[1]"),
    ({"inputs": {"x": -4}, "steps": ["f = sqrt(x)"]}, "square root of -4", "graph.steps[0]"),
    # a name reused
    ({"inputs": {"x": 1}, "steps": ["x = x + 1"]}, "already defined", "graph.steps[0]"),
    # neither steps nor an expression
    ({"inputs": {"x": 1}}, "either steps", "graph"),
    ({"inputs": {"exp": 1}, "expression": "exp + 1"}, "name of a function", "graph.inputs.exp"),
    ({"inputs": {"x": 1}, "steps": ["f = x"]}, "must compute something", "graph.steps[0]"),
])
def test_bad_graphs_are_one_line_errors(tmp_path, graph, words, field):
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump({"name": "bad", "graph": graph}))
    r = run("derive", path)
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and words in line and field in line and str(path) in line, line


@pytest.mark.parametrize("command", [["train"]])
def test_other_commands_say_what_a_graph_is_for(tmp_path, command):
    answers = tmp_path / "a.yaml"
    answers.write_text("gradients:\n  W1[1,1]: 1\n")
    args = [a.replace("ANSWERS", str(answers)).replace("OUT", str(tmp_path / "o"))
            for a in command]
    r = run(args[0], ROOT / "problems" / "graphs" / "apple.yaml", *args[1:])
    assert r.exit_code == 2 and "nothing to train" in r.output


def test_network_options_are_refused_for_graphs():
    r = run("derive", ROOT / "problems" / "graphs" / "apple.yaml", "-p", "W1")
    assert r.exit_code == 2 and "for networks" in r.output


def test_forward_values_are_the_files_numbers():
    p = load_any(ROOT / "problems" / "graphs" / "apple-orange.yaml")
    v = forward_values(p.nodes)
    assert v["price"] == pytest.approx(715.0) and math.isclose(v["all_price"], 650)


# -------------------------------------------------------------------------------------------
# Pictures

GOLDEN = Path(__file__).resolve().parent / "golden" / "graphs"


@pytest.mark.parametrize("path", GRAPHS, ids=lambda p: p.stem)
def test_the_picture_of_each_shipped_graph(path):
    """Well-formed SVG with every wire's value and gradient, equal to its golden file
    (TUTOR_UPDATE_GOLDEN=1 rewrites it); the text picture lists every wire."""
    import os
    from xml.etree import ElementTree as ET
    from tutor.printing import graphpic
    d = derive_graph(load_any(path))
    picture = graphpic.svg(d)
    root = ET.fromstring(picture)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    for a, b, value, grad in graphpic.wires(d):
        assert graphpic._num(value) in texts and graphpic._num(grad) in texts
    golden = GOLDEN / f"{path.stem}.svg"
    if os.environ.get("TUTOR_UPDATE_GOLDEN") == "1" or not golden.exists():
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(picture + "\n")
    assert picture + "\n" == golden.read_text()
    assert len(graphpic.text(d).splitlines()) == len(graphpic.wires(d))
    assert r"\begin{tikzpicture}" in graphpic.tikz(d)


# -------------------------------------------------------------------------------------------
# Checking a student's graph


def _check(path, doc):
    from tutor.graphcheck import check_graph
    return check_graph(load_any(path), yaml.safe_dump(doc), "answers.yaml")


REUSE = ROOT / "problems" / "graphs" / "reuse.yaml"
MAXG = ROOT / "problems" / "graphs" / "max-gate.yaml"
ADDMUL = ROOT / "problems" / "graphs" / "add-multiply.yaml"


@pytest.mark.parametrize("path, doc, mistake", [
    # x used three times, one use's gradient given
    (REUSE, {"gradients": {"x": -3}}, "missing_use"),
    # the multiply gate's inputs not swapped: ∂f/∂q taken as q (3) not z (−4)
    (ADDMUL, {"gradients": {"q": 3}}, "unswapped_inputs"),
    # the upstream gradient dropped: ∂f/∂x taken as the add gate's local 1
    (ADDMUL, {"gradients": {"x": 1}}, "dropped_upstream"),
    # max's gradient sent to the smaller input
    (MAXG, {"gradients": {"w": 2}}, "wrong_route"),
    (ADDMUL, {"gradients": {"z": -3}}, "wrong_sign"),
    (ADDMUL, {"values": {"f": 12}}, "wrong_sign"),
])
def test_graph_mistakes_are_named(path, doc, mistake):
    (r,) = _check(path, doc).results
    assert not r.ok and r.mistake == mistake, str(r.diagnosis)


def test_graph_answers_follow_through_and_blanks():
    # q written wrong (4), f computed from it: follow-through; ∂f/∂x from the student's ∂f/∂q
    r = _check(ADDMUL, {"values": {"q": 4, "f": -16}, "gradients": {"q": -5, "x": -5,
                                                                     "y": None}})
    by = {(x.answer.kind, x.answer.name): x for x in r.results}
    assert not by[("node_value", "q")].ok and by[("node_value", "f")].follow_through
    assert by[("node_gradient", "x")].follow_through
    assert by[("node_gradient", "y")].blank


def test_graph_check_on_the_command_line(tmp_path):
    answers = tmp_path / "a.yaml"
    answers.write_text("values:\n  q: 3\ngradients:\n  x: -4\n  q: 3\n")
    r = run("check", ADDMUL, answers)
    assert r.exit_code == 1 and "✓ ∂f/∂x = -4" in r.output and "swaps its inputs" in r.output
    doc = json.loads(run("check", ADDMUL, answers, "-f", "json").stdout)
    assert doc["kind"] == "graph" and doc["score"] == {"right": 2, "total": 3}
    answers.write_text("gradients:\n  qq: 1\n")
    r = run("check", ADDMUL, answers)
    assert r.exit_code == 2 and "no node 'qq'" in r.output and "did you mean 'q'" in r.output


# -------------------------------------------------------------------------------------------
# A network as a graph of operations


@pytest.mark.parametrize("name", ["xor", "textbook-2-2-2", "tanh-regression", "relu"])
def test_a_networks_graph_has_the_networks_sample_gradients(name):
    from tutor import derive, load_problem
    from tutor.graph import network_graph
    problem = load_problem(ROOT / "problems" / f"{name}.yaml")
    k = problem.exercise_sample
    d = derive(problem, sample=k)
    g = derive_graph(network_graph(problem, k))
    assert g.ok
    for grad in d.gradients:
        ref = grad.param
        node = (f"w{ref.layer}_{ref.row}{ref.col}" if ref.kind == "W"
                else f"b{ref.layer}_{ref.row}")
        assert g.gradients[node] == pytest.approx(grad.numbers.sample_gradient, rel=1e-9,
                                                  abs=1e-12), node


@pytest.mark.parametrize("name, words", [("softmax", "no gate for softmax"),
                                         ("softplus", "no gate for softplus"),
                                         ("huber", "no gates for the huber loss")])
def test_networks_without_gates_are_refused_clearly(name, words):
    r = run("derive", ROOT / "problems" / f"{name}.yaml", "--graph")
    assert r.exit_code == 2 and words in r.output


def test_derive_graph_of_a_network_on_the_command_line():
    r = run("derive", ROOT / "problems" / "xor.yaml", "--graph", "-s", 2)
    assert r.exit_code == 0 and "the graph of sample 2" in r.output and "(σ) a1₁" in r.output


# -------------------------------------------------------------------------------------------
# Worksheets


def test_fill_in_the_graph_worksheets(tmp_path):
    from tutor.graph import graph_variant
    out = tmp_path / "sheets"
    r = run("worksheet", REUSE, "-o", out, "-n", 3, "--seed", 5)
    assert r.exit_code == 0, r.output
    p = load_any(REUSE)
    for k in (1, 2, 3):
        key = out / "keys" / f"variant-{k:02d}.yaml"
        doc = yaml.safe_load(key.read_text())
        v = graph_variant(p, 5, k)
        d = derive_graph(v)
        assert doc["gradients"]["x"] == round(d.gradients["x"], 4)
        graded = run("check", REUSE, key)          # the key grades right, by its variant
        assert graded.exit_code == 0, graded.output
        blank = run("check", REUSE, out / "answers" / f"variant-{k:02d}.yaml")
        assert "not answered" in blank.output
    assert graph_variant(p, 5, 1) == graph_variant(p, 5, 1)       # deterministic
    tex = (out / "worksheet.tex").read_text()
    assert r"\begin{tikzpicture}" in tex and r"\textcircled" in tex and "wire & from" in tex


def test_graph_worksheet_pdf(tmp_path):
    need("pdflatex")
    out = tmp_path / "sheets"
    r = run("worksheet", ROOT / "problems" / "graphs" / "sigmoid-gate.yaml", "-o", out,
            "-n", 2, "--pdf")
    assert r.exit_code == 0, r.output
    assert (out / "worksheet.pdf").stat().st_size > 1000
    assert (out / "solutions.pdf").stat().st_size > 1000


def test_a_variant_avoids_undefined_operations():
    from tutor.graph import graph_variant
    p = parse_any(yaml.safe_dump({"name": "log", "graph": {
        "inputs": {"x": 2}, "expression": "log(x) + sqrt(x)"}}))
    for k in range(1, 20):
        assert graph_variant(p, 0, k).node("x").value > 0


def test_graph_formulas_are_graded_by_their_values():
    """∂f/∂node as a formula in the graph's names: right in any equivalent form (in the
    inputs or in intermediate values), or a named slip."""
    r = _check(REUSE, {"formulas": {"x": "2*x*y + 2*x", "y": "x^2", "a": "x",
                                    "b": "a + x"}})
    assert {x.answer.name: x.ok for x in r.results} == {"x": True, "y": True, "a": True,
                                                       "b": False}
    (w,) = _check(REUSE, {"formulas": {"x": "b"}}).results
    assert w.mistake == "missing_use"
    (s,) = _check(ADDMUL, {"formulas": {"z": "-q"}}).results
    assert s.mistake == "wrong_sign"
    (u,) = _check(ADDMUL, {"formulas": {"z": "q +"}}).results
    assert u.mistake == "unreadable"


@pytest.mark.parametrize("step, words", [
    ("f = x ^ 0.5", "not a real number"),       # a negative number to a fractional power
    ("f = x ^ 100", "exponents must be numbers of at most 16"),
])
def test_powers_are_bounded_and_real(tmp_path, step, words):
    path = tmp_path / "g.yaml"
    path.write_text(yaml.safe_dump({"name": "p", "graph": {"inputs": {"x": -8},
                                                           "steps": [step]}}))
    r = run("derive", path)
    assert r.exit_code == 2 and words in r.output, r.output


def test_the_shipped_graphs_follow_their_json_schema():
    jsonschema = need_module("jsonschema")
    schema = json.loads((ROOT / "tutor" / "schema" / "graph.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in GRAPHS:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
