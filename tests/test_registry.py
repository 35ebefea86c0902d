"""Every entry of the registries works everywhere: each activation and each loss derives with
the three-way check, trains, prints in every format, has its printed formulas read back and
graded by `tutor check`, is in the schema and on the web page. An entry with a piece missing
fails here, not in a user's hands."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import yaml

from conftest import ROOT
from tutor import activations, derive, losses, parse_problem, printing
from tutor.answers import parse_answers
from tutor.checking import grade
from tutor.printing.exprs import ascii
from tutor.training import train

ELEMENTWISE = [n for n, a in activations.ACTIVATIONS.items() if a.elementwise]
# (output activation, loss): every pair the validator accepts, from the loss entries.
PAIRS = [(loss.output, name) for name, loss in losses.LOSSES.items() if loss.output] + [
    (a, name) for name, loss in losses.LOSSES.items() if loss.output is None
    for a in ELEMENTWISE]
CASES = [(h, o, loss) for h in ELEMENTWISE for o, loss in PAIRS
         if o == "identity" or h == "tanh"]


def problem_text(hidden: str, output: str, loss: str) -> str:
    units = 2 if output == "softmax" else 1
    targets = [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]] if output == "softmax" else \
        [[0.0], [1.0], [1.0]] if loss == "bce" else [[0.3], [-0.4], [0.9]]
    rng = np.random.default_rng(7)
    # Round weights; inputs chosen so that no relu-type pre-activation sits on its kink.
    return yaml.safe_dump({
        "name": f"{hidden}-{output}-{loss}",
        "network": {"inputs": 2, "layers": [{"units": 2, "activation": hidden},
                                            {"units": units, "activation": output}]},
        "loss": loss,
        "data": {"inputs": [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]], "targets": targets},
        "init": {"W1": rng.uniform(-1, 1, (2, 2)).round(2).tolist(),
                 "b1": [0.13, -0.07],
                 "W2": rng.uniform(-1, 1, (units, 2)).round(2).tolist(),
                 "b2": [0.05] * units},
        "training": {"lr": 0.05, "epochs": 50}})


@pytest.mark.parametrize("hidden,output,loss", CASES, ids=["-".join(c) for c in CASES])
def test_every_activation_and_loss_everywhere(hidden, output, loss):
    problem = parse_problem(problem_text(hidden, output, loss))
    d = derive(problem)
    assert d.ok, [g.check for g in d.gradients if not g.check.ok]
    # every printer
    for fmt in (printing.text, printing.latex, printing.markdown, printing.json):
        assert fmt(d)
    from tutor.printing.htmldoc import html_derivation
    assert "<math" in html_derivation(d)
    # training runs and is judged
    r = train(problem)
    assert np.isfinite(r.final_loss) and r.verdicts()[0].status
    # check reads back every formula derive prints, and grades it right
    formulas = {g.param.name: ascii(g.expression) for g in d.gradients}
    answers = parse_answers(yaml.safe_dump({"formulas": formulas}), problem, "answers")
    report = grade(problem, answers)
    assert all(x.ok for x in report.results), [(x.answer.name, x.diagnosis)
                                               for x in report.results if not x.ok]


def _varying(name: str) -> bool:
    """Whether the activation's derivative depends on z (identity's is the constant 1)."""
    import sympy as sp
    a, z = activations.ACTIVATIONS[name], sp.Symbol("z")
    return bool(a.derivative(z, a.symbolic(z)).free_symbols)


@pytest.mark.parametrize("name", [n for n in ELEMENTWISE if _varying(n)])
def test_a_dropped_activation_derivative_is_named(name):
    problem = parse_problem(problem_text(name, "identity", "mse"))
    d = derive(problem, ["W1[1,1]"])
    g = d["W1[1,1]"]
    local = [f for f in g.local if f.partial.of.name == "a1[1]"][0]
    wrong = ascii(g.expression.xreplace({local.result: 1}))
    answers = parse_answers(yaml.safe_dump({"formulas": {"W1[1,1]": wrong}}), problem, "a")
    (result,) = grade(problem, answers).results
    assert not result.ok and "derivative" in str(result.diagnosis)


@pytest.mark.parametrize("name", activations.FUNCTIONS)
def test_every_function_is_complete(name):
    """Compiled, typed, printed: every function of the registry."""
    import sympy as sp

    from tutor.formula import _FUNCTIONS
    from tutor.printing.exprs import tex, text
    from tutor.printing.mathml import mathml
    from tutor.symbolic import lambdify
    f = activations.FUNCTIONS[name]
    z = sp.Symbol("z1[1]")
    extra = (sp.Float(0.1),) if not f.typed else ()   # its option (a slope, an alpha)
    extra += (sp.Float(0.2),) * (f.arity - 1)        # its other arguments (max(z, 0.2))
    e = f.make(z, *extra)
    fn = lambdify([z], [e])
    got = float(np.asarray(fn(np.array([0.7]))[0]).ravel()[0])
    want = f.numpy(np.array([0.7]), *map(float, extra))
    assert got == pytest.approx(float(np.asarray(want)[0]))
    assert text(e).startswith(f.text) and f.latex in tex(e)
    m = mathml(e)     # the name, or the notation (e^z, |z|) that stands for it
    assert f.text in m or f"<mi>{f.latex}</mi>" in m or "<mo>|</mo>" in m
    if f.typed:
        assert all(s in _FUNCTIONS for s in f.spellings)


@pytest.mark.parametrize("name", activations.NAMES)
def test_every_activation_entry_is_complete(name):
    a = activations.ACTIVATIONS[name]
    required = ["name", "title", "value", "rule"]
    if a.elementwise:
        required += ["symbolic", "derivative", "grad"]
    for field in required:
        assert getattr(a, field) is not None, field
    if a.function is not None:
        assert a.function in activations.FUNCTIONS
    # derivative and grad agree (the symbolic rule against the NumPy one)
    if a.elementwise:
        import sympy as sp

        from tutor.symbolic import lambdify
        z = sp.Symbol("z")
        Z = np.array([-1.3, -0.2, 0.4, 2.1])
        deriv = lambdify([z], [a.derivative(z, a.symbolic(z))])(Z)[0]
        np.testing.assert_allclose(np.broadcast_to(deriv, Z.shape), a.grad(Z, a.value(Z)),
                                   rtol=1e-12)


@pytest.mark.parametrize("name", losses.NAMES)
def test_every_loss_entry_is_complete(name):
    loss = losses.LOSSES[name]
    for field in dataclasses.fields(loss):
        if field.name not in ("fused_with", "fused", "fused_title", "classes", "aliases",
                              "configure", "output", "output_needs", "class_rule"):
            assert getattr(loss, field.name) is not None, field.name
    assert (loss.fused is None) == (loss.fused_with is None)
    assert (loss.configure is None) == (not loss.options)
    assert (loss.output is None) == (loss.output_needs is None)
    assert (loss.classes is None) == (loss.class_rule is None)


def test_the_schema_lists_every_entry():
    schema = json.loads((ROOT / "tutor" / "schema" / "problem.schema.json").read_text())
    plain, with_options = schema["properties"]["loss"]["oneOf"]
    assert plain["enum"] == with_options["properties"]["name"]["enum"] == list(losses.NAMES)
    options = {o.name for loss in losses.LOSSES.values() for o in loss.options}
    assert set(with_options["properties"]) == {"name"} | options
    layer = schema["$defs"]["layer"]["properties"]
    assert layer["activation"]["enum"] == list(activations.NAMES)
    options = {o.name for a in activations.ACTIVATIONS.values() for o in a.options}
    assert set(layer) == {"units", "activation"} | options


def test_a_new_entry_is_enough(monkeypatch):
    """An activation added as one entry (here a copy of softplus under another name) works
    in derive, train and check without touching any other module."""
    import sympy as sp

    class softsign(sp.Function):
        def fdiff(self, argindex=1):
            return 1 / (1 + sp.Abs(self.args[0])) ** 2
    fn = activations.Function("softsign", softsign, lambda z: z / (1 + np.abs(z)),
                              "softsign", r"\operatorname{softsign}", ("softsign",))
    monkeypatch.setitem(activations.FUNCTIONS, "softsign", fn)
    entry = activations.Activation(
        name="softsign", title="softsign", function="softsign", symbolic=softsign,
        derivative=lambda z, a: (1 - sp.Abs(a)) ** 2,
        rule=(sp.Derivative(softsign(sp.Symbol("z")), sp.Symbol("z")), sp.Symbol("f")),
        value=lambda Z: Z / (1 + np.abs(Z)), grad=lambda Z, A: (1 - np.abs(A)) ** 2)
    monkeypatch.setitem(activations.ACTIVATIONS, "softsign", entry)
    monkeypatch.setattr(activations, "NAMES", tuple(activations.ACTIVATIONS))
    problem = parse_problem(problem_text("softsign", "identity", "mse"))
    assert derive(problem).ok
    assert np.isfinite(train(problem).final_loss)


def test_the_shipped_schema_is_the_generated_one():
    """python -m tutor.schemas writes it; nobody edits the registries' part by hand."""
    from tutor.schemas import problem_schema
    shipped = json.loads((ROOT / "tutor" / "schema" / "problem.schema.json").read_text())
    assert shipped == problem_schema()


@pytest.mark.parametrize("name", losses.NAMES)
def test_a_loss_from_logits_reads_z_alone(name):
    """A loss marked from_logits gives its value from Z without the outputs (training records
    it so); every other loss is given its outputs."""
    loss = losses.LOSSES[name]
    act = activations.ACTIVATIONS[loss.output or "identity"]
    rng = np.random.default_rng(3)
    Z = rng.normal(size=(5, 2 if loss.output == "softmax" else 1))
    Y = loss.random_targets(rng, Z.shape)
    if loss.output == "sigmoid":
        Y = np.round(Y)
    full = loss.value(Z, act.value(Z), Y)
    if loss.from_logits:
        np.testing.assert_array_equal(loss.value(Z, None, Y), full)
    else:
        with pytest.raises(TypeError):
            loss.value(Z, None, Y)
