"""Derivations: right values (against published numbers, hand computation, SymPy's own
differentiation and PyTorch's autograd), right structure, and the three-way check."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import PROBLEMS, need_module
from test_engine import _hand_xor_gradient
from tutor import derive, load_problem, parse_problem
from tutor.symfunctions import sigma
from tutor.errors import ProblemError
from tutor.printing.exprs import ascii
from tutor.symbolic import Model


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_every_shipped_problem_derives_and_verifies(path):
    problem = load_problem(path)
    d = derive(problem)
    assert len(d.gradients) == len(problem.network.param_refs())
    assert d.ok
    for g in d.gradients:
        c = g.check
        assert c.symbolic_error <= 1e-9
        assert c.kink or c.fd_error <= 1e-7


def test_textbook_gradients(textbook):
    d = derive(textbook, ["W2[1,1]", "W1[1,1]"])
    assert d["W2[1,1]"].numbers.gradient == pytest.approx(0.082167041, abs=1e-9)
    assert d["W1[1,1]"].numbers.gradient == pytest.approx(0.000438568, abs=1e-9)
    # A hidden weight of a two-output network reaches the loss along two paths.
    assert len(d["W1[1,1]"].paths) == 2
    assert len(d["W2[1,1]"].paths) == 1
    assert d.loss == pytest.approx(0.298371109, abs=1e-9)


def test_xor_hidden_weight_by_hand(xor_explicit):
    d = derive(xor_explicit, ["W1[2,1]"], sample=3)
    g = d["W1[2,1]"]
    assert g.numbers.gradient == pytest.approx(_hand_xor_gradient(xor_explicit), rel=1e-12)
    # sample 3 is x = (1, 0), y = 1: every factor by hand
    sig = lambda t: 1 / (1 + math.exp(-t))
    a = [sig(0.5 + 0.1), sig(0.3 - 0.2), sig(-0.6 + 0.05)]
    yhat = sig(0.7 * a[0] - 0.5 * a[1] + 0.4 * a[2] + 0.1)
    values = {str(s): v for s, v in g.numbers.values}
    assert values["a1[2]"] == pytest.approx(a[1], rel=1e-14)
    assert values["yhat"] == pytest.approx(yhat, rel=1e-14)
    assert values["ell"] == pytest.approx(-math.log(yhat), rel=1e-12)
    assert g.numbers.sample_gradient == pytest.approx((yhat - 1) * -0.5 * a[1] * (1 - a[1]) * 1,
                                                      rel=1e-12)
    assert ascii(g.expression) == "(yhat - y)*W2[1,2]*a1[2]*(1 - a1[2])*x1"


def test_bce_sigmoid_and_ce_softmax_simplify_to_yhat_minus_y(xor):
    g = derive(xor, ["b2[1]"])["b2[1]"]
    assert len(g.fusions) == 1 and g.fusions[0].title == "BCE∘sigmoid"
    assert g.fusions[0].result == sp.Symbol("yhat") - sp.Symbol("y")
    soft = load_problem(PROBLEMS[0].parent / "softmax.yaml")
    g = derive(soft, ["W1[1,1]"])["W1[1,1]"]
    assert [f.result for f in g.fusions] == [sp.Symbol(f"yhat{k}") - sp.Symbol(f"y{k}")
                                             for k in (1, 2, 3)]
    assert len(g.paths) == 9  # 3 pre-activations × 3 softmax outputs
    # the merged expression sums over the 3 output pre-activations only
    assert len(g.expression.args) == 3


def test_squared_error_has_no_simplification(textbook):
    g = derive(textbook, ["W2[1,1]"])["W2[1,1]"]
    assert g.fusions == ()


def _explicit(expr):
    """σ written out as 1/(1 + e^(−z)), so that SymPy differentiates it with its own rules."""
    return expr.replace(sigma, lambda z: 1 / (1 + sp.exp(-z)))


@pytest.mark.parametrize("name", ["xor.yaml", "softmax.yaml", "tanh-regression.yaml",
                                  "textbook-2-2-2.yaml"])
def test_local_derivatives_agree_with_sympy_diff(name):
    problem = load_problem(PROBLEMS[0].parent / name)
    model = Model(problem)
    values = model.evaluate_forward(problem.params, problem.inputs, problem.targets)
    defs = {model.ell: model.loss_def}
    for l in range(1, model.L + 1):
        for j, z in enumerate(model.z[l]):
            defs[z] = model.z_def(l, j)
        for a, e in zip(model.a[l], model.a_defs(l)):
            defs[a] = e
    d = derive(problem)
    seen = {ld for g in d.gradients for ld in g.local}
    for ld in seen:
        out, inp = ld.partial.of, ld.partial.wrt
        truth = sp.diff(_explicit(defs[out]), inp)
        at = {s: (v[-1] if np.ndim(v) else v) for s, v in values.items()}  # the last sample
        expected = float(truth.subs(at))
        got = float(ld.result.subs(at))
        assert got == pytest.approx(expected, rel=1e-10, abs=1e-14), (out, inp)


def test_relu_kink_is_reported_not_failed():
    text = textwrap.dedent("""\
        name: kink
        network: {inputs: 2, layers: [{units: 1, activation: relu},
                                      {units: 1, activation: identity}]}
        loss: half_sse
        data: {inputs: [[1, 1], [2, 0]], targets: [1, 0]}
        init: {W1: [[1, -1]], b1: [0], W2: [[2]], b2: [0.5]}
        """)
    d = derive(parse_problem(text))
    assert d.ok
    kinked = {g.param.name for g in d.gradients if g.check.kink}
    # sample 1 has z⁽¹⁾₁ = 1 − 1 + 0 = 0 exactly: every parameter feeding it straddles the kink
    assert kinked == {"W1[1,1]", "W1[1,2]", "b1[1]"}
    # relu'(0) is taken as 0, as in PyTorch: the symbolic and NumPy values agree on it
    for g in d.gradients:
        assert g.check.symbolic_error <= 1e-12


def test_a_network_of_many_paths_is_derived_grouped():
    text = textwrap.dedent("""\
        name: big
        network: {inputs: 2, layers: [{units: 40, activation: tanh}, {units: 40, activation: tanh},
                                      {units: 40, activation: tanh}, {units: 1, activation: identity}]}
        loss: mse
        data: {inputs: [[1, 2]], targets: [1]}
        """)
    # 40·40 = 1,600 paths: grouped by layer, verified all the same
    d = derive(parse_problem(text, file="big.yaml"), ["W1[1,1]", "W4[1,1]"])
    assert d.ok and d["W1[1,1]"].path_count == 1600 and d["W1[1,1]"].grouped
    assert not d["W4[1,1]"].grouped


def test_sample_out_of_range(xor):
    with pytest.raises(ProblemError) as e:
        derive(xor, ["b2[1]"], sample=5)
    assert e.value.field == "--sample"


# -- property tests: for every network, the three ways agree --

HIDDEN = ["identity", "sigmoid", "tanh", "relu", "leaky_relu"]
OUTPUTS = [("sigmoid", "bce"), ("identity", "mse"), ("tanh", "half_sse"),
           ("sigmoid", "mse"), ("softmax", "cross_entropy"), ("leaky_relu", "half_sse")]


@st.composite
def networks(draw, weights=2.0, inputs=2.0, digits=3):
    """Random small networks of every activation and loss, as problem text; weights and
    biases up to ``weights`` in size, inputs and regression targets up to ``inputs``."""
    n_in = draw(st.integers(1, 3))
    hidden = draw(st.lists(st.tuples(st.integers(1, 3), st.sampled_from(HIDDEN)),
                           min_size=0, max_size=2))
    out_act, loss = draw(st.sampled_from(OUTPUTS))
    n_out = draw(st.integers(2 if out_act == "softmax" else 1, 3))
    n = draw(st.integers(1, 4))
    layers = hidden + [(n_out, out_act)]
    sizes = [n_in] + [u for u, _ in layers]
    w = st.floats(-weights, weights, allow_nan=False).map(lambda v: round(v, digits))
    x = st.floats(-inputs, inputs, allow_nan=False).map(lambda v: round(v, digits))
    params = {}
    for l in range(1, len(sizes)):
        params[f"W{l}"] = draw(st.lists(st.lists(w, min_size=sizes[l - 1], max_size=sizes[l - 1]),
                                        min_size=sizes[l], max_size=sizes[l]))
        params[f"b{l}"] = draw(st.lists(w, min_size=sizes[l], max_size=sizes[l]))
    X = draw(st.lists(st.lists(x, min_size=n_in, max_size=n_in), min_size=n, max_size=n))
    if loss == "cross_entropy":
        Y = [[1.0 if k == draw(st.integers(0, n_out - 1)) else 0.0 for k in range(n_out)]
             for _ in range(n)]
        Y = [row if sum(row) == 1 else [1.0] + [0.0] * (n_out - 1) for row in Y]
    elif loss == "bce":
        Y = draw(st.lists(st.lists(st.sampled_from([0.0, 0.25, 1.0]), min_size=n_out,
                                   max_size=n_out), min_size=n, max_size=n))
    else:
        Y = draw(st.lists(st.lists(x, min_size=n_out, max_size=n_out), min_size=n, max_size=n))
    import yaml
    doc = {"name": "random", "network": {"inputs": n_in, "layers": [
        {"units": u, "activation": a} for u, a in layers]}, "loss": loss,
        "data": {"inputs": X, "targets": Y}, "init": params}
    return yaml.safe_dump(doc)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_three_ways_agree_on_random_networks(text):
    d = derive(parse_problem(text))
    for g in d.gradients:
        assert g.check.symbolic_error <= 1e-9, g.param
        assert g.check.fd_ok, (g.param, g.check)
        k = d.problem.exercise_sample - 1
        assert g.numbers.sample_gradient == pytest.approx(g.numbers.per_sample[k])



# -- an independent reference: PyTorch's autograd, in float64 --

def _torch_gradients(problem):
    torch = need_module("torch")
    tp = {k: torch.tensor(np.array(v), dtype=torch.float64, requires_grad=True)
          for k, v in problem.params.items()}
    X = torch.tensor(np.array(problem.inputs), dtype=torch.float64)
    Y = torch.tensor(np.array(problem.targets), dtype=torch.float64)
    A = X
    for l, layer in enumerate(problem.network.layers, start=1):
        Z = torch.nn.functional.linear(A, tp[f"W{l}"], tp[f"b{l}"])
        if layer.activation == "softmax":
            logits = Z
            A = torch.softmax(Z, dim=-1)
        else:
            A = {"identity": lambda t: t, "sigmoid": torch.sigmoid, "tanh": torch.tanh,
                 "relu": torch.relu,
                 "leaky_relu": lambda t: torch.nn.functional.leaky_relu(t, layer.slope),
                 "softplus": torch.nn.functional.softplus,
                 "elu": lambda t: torch.nn.functional.elu(t, dict(layer.options)["alpha"]
                                                          if layer.options else 1.0),
                 "silu": torch.nn.functional.silu}[
                layer.activation](Z)
    loss = {
        "bce": lambda: torch.nn.functional.binary_cross_entropy(A, Y),
        "mse": lambda: torch.nn.functional.mse_loss(A, Y),
        "half_sse": lambda: 0.5 * ((Y - A) ** 2).sum(dim=1).mean(),
        "cross_entropy": lambda: torch.nn.functional.cross_entropy(logits, Y),
        "huber": lambda: torch.nn.functional.huber_loss(
            A, Y, delta=dict(problem.loss_options).get("delta", 1.0)),
    }[problem.loss]()
    loss.backward()
    return float(loss.detach()), {k: t.grad.numpy() for k, t in tp.items()}


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_gradients_agree_with_pytorch_autograd(path):
    problem = load_problem(path)
    loss, grads = _torch_gradients(problem)
    d = derive(problem)
    assert d.loss == pytest.approx(loss, rel=1e-12)
    for g in d.gradients:
        assert g.numbers.gradient == pytest.approx(grads[g.param.array][g.param.index],
                                                   rel=1e-9, abs=1e-14), g.param.name


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_random_networks_agree_with_pytorch_autograd(text):
    problem = parse_problem(text)
    loss, grads = _torch_gradients(problem)
    d = derive(problem)
    assert d.loss == pytest.approx(loss, rel=1e-10, abs=1e-12)
    for g in d.gradients:
        assert g.numbers.gradient == pytest.approx(grads[g.param.array][g.param.index],
                                                   rel=1e-8, abs=1e-12), g.param.name


def test_overflowing_forward_pass_is_a_problem_error():
    layers = ", ".join(["{units: 64, activation: identity}"] * 15)
    text = f"""\
name: overflow
network: {{inputs: 64, layers: [{layers}, {{units: 1, activation: identity}}]}}
loss: mse
data: {{inputs: [[{", ".join(["1000000"] * 64)}]], targets: [1]}}
init: {{seed: 0}}
"""
    problem = parse_problem(text)
    # beyond what a problem file may hold, as a program using the API could pass
    problem = problem.with_params({k: v * 0 + 1e100 for k, v in problem.params.items()})
    with pytest.raises(ProblemError, match="overflows"):
        derive(problem, ["b16[1]"])


def test_a_2_64_64_1_network_derives_whole():
    """4,417 parameters at once, every one checked three ways (no size refusal below the
    documented limit)."""
    import yaml as _yaml
    from tutor import parse_problem
    layers = [{"units": 64, "activation": "sigmoid"}, {"units": 64, "activation": "sigmoid"},
              {"units": 1, "activation": "sigmoid"}]
    p = parse_problem(_yaml.safe_dump({
        "name": "2-64-64-1", "network": {"inputs": 2, "layers": layers}, "loss": "bce",
        "data": {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [0, 1, 1, 0]},
        "init": {"seed": 0}}))
    d = derive(p)
    assert len(d.gradients) == 4417 and d.ok
