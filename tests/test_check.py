"""tutor check: right answers in many forms, every kind of mistake named, safe parsing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sympy as sp
import yaml
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from conftest import ROOT
from tutor import derive, load_problem
from tutor.answers import parse_answers
from tutor.checking import check
from tutor.cli import main
from tutor.formula import FormulaError, Vocabulary, parse
from tutor.mistakes import formula_mistakes
from tutor.printing.checkreport import step_text
from tutor.printing.exprs import ascii, text
from tutor.symbolic import Model

XOR = ROOT / "problems" / "xor.yaml"
TEXTBOOK = ROOT / "problems" / "textbook-2-2-2.yaml"
XOR_VOCAB = Vocabulary.of_model(Model(load_problem(XOR)))


def grade(problem, doc: dict):
    """Graded for sample 1 unless the document says otherwise (these tests compute their
    expected values for it)."""
    doc = {"sample": 1, **doc}
    return check(problem, parse_answers(yaml.safe_dump(doc, allow_unicode=True), problem))


def one(problem, doc: dict):
    (r,) = grade(problem, doc).results
    return r


# ------------------------------------------------------------------------------------------
# Right answers, in the forms students write them

XOR_W121_FORMS = [
    "(yhat - y) * W2[1,2] * a1[2] * (1 - a1[2]) * x1",
    "(ŷ − y)·w⁽²⁾₁₂·a⁽¹⁾₂(1 − a⁽¹⁾₂)·x₁",                 # exactly as tutor derive prints it
    "(ŷ - y) w2[1,2] σ(z1[2]) (1 - σ(z1[2])) x1",         # σ(z) for a
    "x1*W2[1,2]*(yhat-y)*sigma'(z1[2])",                  # σ′ by name
    "delta2[1] * W2[1,2] * a1[2]*(1-a1[2]) * x1",         # δ for ŷ − y
    "δ⁽¹⁾₂·x₁",                                            # the delta form
    "-(y - yhat)*W2[1,2]*(a1[2] - a1[2]^2)*x1",           # expanded, ^ for power
    "(yhat-y)*W2[1,2]*exp(-z1[2])/(1+exp(-z1[2]))^2*x1",  # σ′ written out
    "(yhat-y)*W2[1,2]*e^(-z1[2])/(1+e^(-z1[2]))**2*x1",   # with e^
    "(yhat-y)/(yhat*(1-yhat)) * yhat*(1-yhat) * W2[1,2]*a1[2]*(1-a1[2])*x1",  # unsimplified
    "2(yhat - y)W2[1,2]a1[2](1 - a1[2])x1/2",             # implicit products
]


@pytest.mark.parametrize("formula", XOR_W121_FORMS)
def test_equivalent_forms_are_right(xor, formula):
    r = one(xor, {"formulas": {"W1[2,1]": formula}})
    assert r.ok, (formula, r.diagnosis)


def test_simple_forms_are_proved_exactly(xor):
    r = one(xor, {"formulas": {"W2[1,3]": "(ŷ - y)·a1[3]"}})
    assert r.ok and str(r.how) == "exactly"


def test_two_path_hidden_weight_of_the_textbook_network(textbook):
    # Two outputs: ∂ℓ/∂w⁽¹⁾₁₁ sums the paths through ŷ₁ and ŷ₂.
    f = ("((yhat1 - y1)*yhat1*(1-yhat1)*W2[1,1] + (yhat2 - y2)*yhat2*(1-yhat2)*W2[2,1])"
         " * a1[1]*(1-a1[1])*x1")
    assert one(textbook, {"formulas": {"W1[1,1]": f}}).ok
    assert one(textbook, {"formulas": {"W1[1,1]": "delta1[1]*x1"}}).ok


def test_right_numbers_and_rounding(xor):
    d = derive(xor, ["W2[1,1]"], sample=2)
    g = d.gradients[0]
    ok = grade(xor, {"sample": 2, "gradients": {"W2[1,1]": round(g.numbers.gradient, 4)},
                     "sample_gradients": {"W2[1,1]": float(f"{g.numbers.sample_gradient:.3g}")}})
    assert all(r.ok for r in ok.results) and ok.return_code == 0
    # Stated decimals: 2 decimals of 0.0597 is 0.06, accepted only when the file says so.
    assert not one(xor, {"gradients": {"W2[1,1]": 0.06}}).ok
    assert one(xor, {"decimals": 2, "gradients": {"W2[1,1]": 0.06}}).ok


# ------------------------------------------------------------------------------------------
# Every kind of mistake, generated from the derivation and named


def _mistake_cases(problem, name):
    d = derive(problem, [name] + (["W2[2,1]"] if name == "W2[1,2]" else []))
    model = Model(problem)
    g = d[name]
    ms = formula_mistakes(g, model, lambda n: d[n] if n in
                          {x.param.name for x in d.gradients} else None)
    return g, ms


@pytest.mark.parametrize("path, name", [(XOR, "W1[2,1]"), (XOR, "W2[1,3]"), (XOR, "b1[1]"),
                                        (TEXTBOOK, "W1[1,2]"), (TEXTBOOK, "W2[1,2]")])
def test_every_generated_mistake_is_named(path, name):
    problem = load_problem(path)
    g, ms = _mistake_cases(problem, name)
    assert ms
    for m in ms:
        r = one(problem, {"formulas": {name: ascii(m.expr)}})
        if r.ok:  # the slip changes nothing here (e.g. a factor that equals 1)
            continue
        assert str(r.diagnosis) != "this matches none of the usual mistakes", m.message
        assert r.step


@pytest.mark.parametrize("formula, words", [
    ("(yhat - y) * W2[1,2] * x1", "activation's derivative ∂a⁽¹⁾₂/∂z⁽¹⁾₂"),
    ("(yhat - y) * W2[1,2] * a1[2] * x1", "the activation itself"),
    ("(y - yhat) * W2[1,2] * a1[2]*(1-a1[2]) * x1", "sign is wrong"),
    ("(yhat - y)*yhat*(1-yhat) * W2[1,2] * a1[2]*(1-a1[2]) * x1", "BCE∘sigmoid"),
    ("(yhat - y) * W2[1,2] * a1[2]*(1-a1[2]) * x2", "input of another neuron"),
])
def test_named_mistakes_on_xor(xor, formula, words):
    r = one(xor, {"formulas": {"W1[2,1]": formula}})
    assert not r.ok and words in str(r.diagnosis)


def test_z_where_a_belongs(xor):
    r = one(xor, {"formulas": {"W2[1,3]": "(yhat - y)*z1[3]"}})
    assert not r.ok and "z⁽¹⁾₃ is used where a⁽¹⁾₃ belongs" in str(r.diagnosis)


@pytest.mark.parametrize("formula, words", [
    # w⁽¹⁾₁₁ reaches ℓ through ŷ₁ and ŷ₂; leaving one out is a named slip
    ("(yhat1 - y1)*yhat1*(1-yhat1)*W2[1,1]*a1[1]*(1-a1[1])*x1", "is missing: ∂ℓ/∂w⁽¹⁾₁₁ is the sum"),
    # the path through ŷ₂ needs w⁽²⁾₂₁ (into output 2 from hidden 1), not w⁽²⁾₁₂
    ("((yhat1 - y1)*yhat1*(1-yhat1)*W2[1,1] + (yhat2 - y2)*yhat2*(1-yhat2)*W2[1,2])"
     "*a1[1]*(1-a1[1])*x1", "indices are swapped"),
])
def test_named_mistakes_on_the_two_path_network(textbook, formula, words):
    r = one(textbook, {"formulas": {"W1[1,1]": formula}})
    assert not r.ok and words in str(r.diagnosis)


def test_transposed_parameter(textbook):
    d = derive(textbook, ["W2[2,1]"])
    r = one(textbook, {"formulas": {"W2[1,2]": ascii(d.gradients[0].expression)}})
    assert not r.ok and "that is ∂ℓ/∂w⁽²⁾₂₁" in str(r.diagnosis)


@pytest.mark.parametrize("slip, words", [
    (lambda g, n: g.numbers.gradient * n, "1/N of the mean is missing"),
    (lambda g, n: g.numbers.gradient / n, "applied twice"),
    (lambda g, n: g.numbers.per_sample[2], "sample 3's"),
    (lambda g, n: -g.numbers.gradient, "sign is wrong"),
])
def test_named_number_mistakes(xor, slip, words):
    g = derive(xor, ["W2[1,1]"]).gradients[0]
    r = one(xor, {"gradients": {"W2[1,1]": float(slip(g, 4))}})
    assert not r.ok and words in str(r.diagnosis)


def test_updated_weights_mistake(xor):
    import numpy as np
    from tutor import engine
    _, _, bw = engine.loss_and_gradients(xor)
    moved = {k: v - xor.training.lr * bw.grads[k] for k, v in xor.params.items()}
    _, _, bw2 = engine.loss_and_gradients(xor, moved)
    r = one(xor, {"gradients": {"W2[1,1]": float(bw2.grads["W2"][0, 0])}})
    assert not r.ok and "after one update" in str(r.diagnosis)
    assert np.all(np.isfinite(bw2.grads["W2"]))


def test_values_first_wrong_and_follow_through(xor):
    # Sample 3: the student's a⁽¹⁾₂ is wrong (the activation not applied); their δ⁽¹⁾₂ is
    # computed correctly from that wrong a: credit for the method.
    from tutor.checking import sample_values
    true = sample_values(xor, 2)
    a_wrong = true["z1[2]"]
    delta_from_theirs = true["delta2[1]"] * xor.params["W2"][0, 1] * a_wrong * (1 - a_wrong)
    report = grade(xor, {"sample": 3, "values": {
        "delta1[2]": round(float(delta_from_theirs), 5),
        "z1[2]": round(true["z1[2]"], 4),
        "a1[2]": round(a_wrong, 4),
        "yhat": round(true["yhat"], 4)}})
    by = {r.answer.name: r for r in report.results}
    assert [r.answer.name for r in report.results] == ["z1[2]", "a1[2]", "yhat", "delta1[2]"]
    assert by["z1[2]"].ok and by["yhat"].ok
    assert not by["a1[2]"].ok and "activation was not applied" in str(by["a1[2]"].diagnosis)
    assert not by["delta1[2]"].ok and by["delta1[2]"].follow_through


def test_delta_without_the_derivative(xor):
    from tutor.checking import sample_values
    true = sample_values(xor, 0)
    back = true["delta2[1]"] * xor.params["W2"][0, 1]
    r = one(xor, {"values": {"delta1[2]": round(float(back), 5)}})
    assert not r.ok and "did you multiply by f′(z⁽¹⁾₂) = a⁽¹⁾₂(1 − a⁽¹⁾₂)?" in str(r.diagnosis).lower()


def test_unknown_mistake_shows_the_derivation(xor):
    r = one(xor, {"formulas": {"W1[2,1]": "x1 + x2 + 17"}})
    assert not r.ok and "none of the usual mistakes" in str(r.diagnosis)
    assert "∂ℓ/∂w⁽¹⁾₂₁ = (ŷ − y)·w⁽²⁾₁₂·a⁽¹⁾₂(1 − a⁽¹⁾₂)·x₁" in step_text(r)


# ------------------------------------------------------------------------------------------
# Safe parsing


@pytest.fixture(scope="module")
def vocab():
    return XOR_VOCAB


INJECTIONS = [
    "__import__('os').system('touch /tmp/pwned')",
    "().__class__.__base__",
    "().__class__.__base__.__subclasses__()",
    "lambda: 0",
    "9**9**9**9",
    "x1 ** 99999999",
    "exec('import os')",
    "eval('1')",
    "open('/etc/passwd')",
    "[x for x in ()]",
    "x1.real",
    "'text'",
    "x1; import os",
    "1e999999999",
    "9" * 500,
    "a" * 10_000_000,              # 10 MB
    "(" * 10_000 + "x1" + ")" * 10_000,
    "-" * 900 + "x1",
    "sigma(x1, x2)",
    "sigma(x1=1)",
    "x1[0]",
    "W1[9,9]",
    "__builtins__",
    "\x00",
]


@pytest.mark.parametrize("bad", INJECTIONS, ids=lambda s: repr(s[:30]))
def test_injection_corpus_is_rejected_quickly_and_cleanly(vocab, bad):
    pwned = Path("/tmp/pwned")
    existed = pwned.exists()
    with pytest.raises(FormulaError) as e:  # bounded work: the length, depth and sizes
        parse(bad, vocab)
    assert "\n" not in e.value.message
    assert pwned.exists() == existed


def test_an_injection_in_an_answers_file_is_a_wrong_answer(xor):
    r = one(xor, {"formulas": {"W1[2,1]": "__import__('os').system('touch /tmp/pwned')"}})
    assert not r.ok and str(r.diagnosis).startswith("cannot read the formula: ")
    assert r.caret.endswith("^")


def test_errors_point_at_the_position_and_suggest(vocab):
    with pytest.raises(FormulaError) as e:
        parse("(yhatt - y) * x1", vocab)
    assert "unknown symbol 'yhatt'" in e.value.message and "did you mean 'yhat'" in e.value.message
    assert e.value.caret() == "(yhatt - y) * x1\n ^"
    with pytest.raises(FormulaError) as e:
        parse("x1 + * x2", vocab)
    assert e.value.position is not None


@given(st.text(max_size=60))
@settings(max_examples=300, deadline=None)
def test_fuzzed_text_raises_only_formula_errors(text_):
    try:
        e = parse(text_, XOR_VOCAB)
    except FormulaError:
        return
    assert isinstance(e, sp.Basic)


@given(st.lists(st.sampled_from(["x1", "x2", "yhat", "y", "a1[2]", "z1[1]", "W2[1,3]", "σ",
                                 "exp", "log", "(", ")", "+", "-", "*", "/", "^", "2", "0.5",
                                 "e", "·", " ", "tanh", "relu'", "²", "0"]),
                max_size=25))
@settings(max_examples=300, deadline=None)
def test_fuzzed_token_soup_raises_only_formula_errors(tokens):
    try:
        parse("".join(tokens), XOR_VOCAB)
    except FormulaError:
        pass


# ------------------------------------------------------------------------------------------
# The command line


def test_cli_example_answers_file():
    result = CliRunner().invoke(main, ["check", str(XOR),
                                       str(ROOT / "problems" / "answers" / "xor.yaml")])
    assert result.exit_code == 1, result.output
    out = result.output
    assert "✓ ∂L/∂w⁽²⁾₁₁ = 0.0597" in out
    assert "1/N of the mean is missing" in out
    assert "activation's derivative ∂a⁽¹⁾₂/∂z⁽¹⁾₂ = a⁽¹⁾₂(1 − a⁽¹⁾₂) is missing" in out
    assert "Score: 9 of 12 right." in out


def test_cli_all_right_exits_0(tmp_path, xor):
    f = tmp_path / "a.yaml"
    f.write_text("formulas:\n  W2[1,3]: (yhat - y)*a1[3]\n")
    result = CliRunner().invoke(main, ["check", str(XOR), str(f)])
    assert result.exit_code == 0 and "Score: 1 of 1 right." in result.output


def test_cli_json(tmp_path):
    out = tmp_path / "grade.json"
    result = CliRunner().invoke(main, ["check", str(XOR),
                                       str(ROOT / "problems" / "answers" / "xor.yaml"),
                                       "-f", "json", "-o", str(out)])
    assert result.exit_code == 1
    doc = json.loads(out.read_text())
    assert doc["format"] == 1 and doc["score"] == {"right": 9, "total": 12, "answered": 12,
                                                  "follow_through": 0}
    wrong = [r for r in doc["results"] if not r["right"]]
    assert {r["name"] for r in wrong} == {"W1[2,1]", "delta1[2]"}
    assert all(r["diagnosis"] for r in wrong)


@pytest.mark.parametrize("content, words", [
    ("", "empty"),                                             # nothing at all
    ("gradients:\n  W9[1,1]: 0.1\n", "gradients.W9[1,1]"),     # no such parameter
    ("gradients:\n  W1[2,1]: abc\n", "expected a number"),     # not a number
    ("gradeints:\n  W1[2,1]: 0.1\n", "did you mean 'gradients'"),  # misspelt section
    ("values:\n  q1[1]: 0.1\n", "unknown quantity"),
    ("sample: 9\ngradients:\n  W1[2,1]: 0.1\n", "sample"),     # only 4 samples
    ("gradients: [1, 2]\n", "expected a mapping"),
    ("gradients:\n  W1[2,1]: 0.1\n  W1[2,1]: 0.2\n", "appears twice"),
])
def test_cli_bad_answers_files_exit_2_with_one_line(tmp_path, content, words):
    f = tmp_path / "a.yaml"
    f.write_text(content)
    result = CliRunner().invoke(main, ["check", str(XOR), str(f)])
    assert result.exit_code == 2, result.output
    assert words in result.output and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize("path", sorted((ROOT / "problems").glob("*.yaml")),
                         ids=lambda p: p.stem)
def test_the_derivations_own_formulas_are_right_in_both_spellings(path):
    # For every parameter of every shipped problem, what tutor derive prints (in text and in
    # ASCII) is accepted as the formula, and its numbers as the numbers.
    problem = load_problem(path)
    d = derive(problem, sample=1)
    formulas = {g.param.name: text(g.expression) for g in d.gradients}
    numbers = {g.param.name: g.numbers.gradient for g in d.gradients}
    report = grade(problem, {"formulas": formulas, "gradients": numbers})
    assert report.return_code == 0, [(r.answer.name, r.diagnosis) for r in report.results
                                     if not r.ok]
    ascii_formulas = {g.param.name: ascii(g.expression) for g in d.gradients}
    report = grade(problem, {"formulas": ascii_formulas})
    assert report.return_code == 0, [(r.answer.name, r.diagnosis) for r in report.results
                                     if not r.ok]


@given(st.lists(st.sampled_from(["x1", "yhat", "y", "a1[2]", "z1[2]", "W2[1,2]", "σ", "log",
                                 "exp", "(", ")", "+", "-", "*", "/", "^", "0", "1", "2",
                                 "0.5", "e", "²", "relu'", " if ", " else ", ">", "H"]),
                min_size=1, max_size=20))
@settings(max_examples=60, deadline=None)
def test_grading_fuzzed_formulas_never_crashes(tokens):
    # log(0), 1/(x1 - x1), 0^-1, (-1)^0.5: whatever a student writes, the answer is graded.
    problem = load_problem(XOR)
    r = one(problem, {"formulas": {"W1[2,1]": "".join(tokens)}})
    assert isinstance(r.ok, bool)


def test_answers_json_schema():
    """The shipped answers schema is valid, accepts the example and every worksheet key, and
    whatever it rejects the loader rejects too."""
    import json

    import yaml
    jsonschema = pytest.importorskip("jsonschema")
    from conftest import ROOT
    from tutor import load_problem
    from tutor.answers import parse_answers
    from tutor.errors import ProblemError
    from tutor.worksheet import answer_key, build
    schema = json.loads((ROOT / "tutor" / "schema" / "answers.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    p = load_problem(ROOT / "problems" / "xor.yaml")
    example = (ROOT / "problems" / "answers" / "xor.yaml").read_text()
    validator.validate(yaml.safe_load(example))
    (v,) = build(p, 1, 3)
    validator.validate(yaml.safe_load(answer_key(v, 4, "xor.yaml")))
    bad = [
        "{}",                                           # no answers
        "gradients:\n  W1[2,1]: 0.1\ncolour: red",      # an unknown key
        "gradients:\n  hello: 0.1",                     # not a parameter
        "gradients:\n  W1[2,1]: lots",                  # not a number
        "sample: 0\ngradients:\n  W1[2,1]: 0.1",        # samples are 1-based
        "decimals: 99\nvalues:\n  yhat: 0.5",           # too many decimals
        "formulas:\n  W1[2,1]: [1, 2]",                 # not a formula
        "values: {}\nformulas: {}",                     # sections with nothing in them
    ]
    for case in bad:
        doc = yaml.safe_load(case)
        if doc is not None and validator.is_valid(doc):
            continue
        with pytest.raises(ProblemError):
            parse_answers(case, p)
    assert sum(not validator.is_valid(yaml.safe_load(t)) for t in bad) >= 7


def test_too_few_digits_is_told_not_called_a_mistake(xor):
    from tutor import derive
    from tutor.answers import parse_answers
    from tutor.checking import grade
    want = derive(xor, ["W2[1,2]"])["W2[1,2]"].numbers.gradient      # 0.0521554
    for written, right in (("0.052", False), (f"{want:.3g}", True), ("0", False)):
        (r,) = grade(xor, parse_answers(f"gradients:\n  W2[1,2]: {written}\n", xor)).results
        assert r.ok is right, written
        if written == "0.052":
            assert "too few to tell: give at least 3 (0.0522)" in str(r.diagnosis)
        if written == "0":
            assert "significant" not in (str(r.diagnosis or ""))


def test_results_are_data_with_mistake_ids_and_formulas(tmp_path):
    """The check JSON names each mistake by a stable id and gives the expected formula in
    ASCII, text and LaTeX; the words stay for people."""
    import json as _json

    from click.testing import CliRunner

    from tutor.cli import main
    answers = tmp_path / "a.yaml"
    answers.write_text("gradients:\n  W1[2,1]: 0.0081\n"
                       "formulas:\n  W1[2,1]: (yhat - y) * W2[1,2] * x1\n"
                       "  W2[1,1]: (yhat - y)*a1[2]\n  W2[1,3]: -(yhat - y)*a1[3]\n")
    r = CliRunner().invoke(main, ["check", str(ROOT / "problems" / "xor.yaml"), str(answers),
                                  "-f", "json"])
    results = {(x["kind"], x["name"]): x for x in _json.loads(r.output)["results"]}
    assert results[("gradient", "W1[2,1]")]["mistake"] == "missing_mean"
    f = results[("formula", "W1[2,1]")]
    assert f["mistake"] == "missing_activation_derivative"
    forms = f["expected_formula"]
    assert forms["ascii"] == "(yhat - y)*W2[1,2]*a1[2]*(1 - a1[2])*x1"
    assert forms["text"] == "(ŷ − y)·w⁽²⁾₁₂·a⁽¹⁾₂(1 − a⁽¹⁾₂)·x₁"
    assert r"w^{(2)}_{12}" in forms["latex"] and forms["mathml"].startswith("<mrow>")
    assert results[("formula", "W2[1,1]")]["mistake"] == "other_neuron_input"
    assert results[("formula", "W2[1,3]")]["mistake"] == "wrong_sign"


def test_a_diagnosis_that_begins_with_a_formula_keeps_its_letters():
    from tutor.printing.checkreport import sentence
    from tutor.words import Words
    z, a = sp.Symbol("z1[3]"), sp.Symbol("a1[3]")
    said = Words("{z} is used where {a} belongs", z=z, a=a).capitalised()
    assert str(said) == "z⁽¹⁾₃ is used where a⁽¹⁾₃ belongs"
    assert str(Words("the sign is wrong").capitalised()) == "The sign is wrong"
    assert str(Words("z⁽{l}⁾ was used", l="¹").capitalised()) == "z⁽¹⁾ was used"
    assert sentence("a⁽¹⁾₂ itself stands where f′ belongs") == "a⁽¹⁾₂ itself stands where f′ belongs"
    assert sentence("z⁽¹⁾₃ is used where a⁽¹⁾₃ belongs").startswith("z⁽¹⁾₃")
    assert sentence("the sign is wrong") == "The sign is wrong"
    assert sentence("a factor 2 is off") == "A factor 2 is off"


def test_every_formula_rule_names_its_mistake_somewhere():
    """Each rule of mistakes.FORMULA_RULES, on its own, produces a mistake for some parameter
    of the shipped problems (no rule is dead), each with its id."""
    from conftest import PROBLEMS
    from tutor import derive, load_problem
    from tutor.mistakes import FORMULA_RULES, Slips
    from tutor.symbolic import Model
    found = {rule.__name__: set() for rule in FORMULA_RULES}
    for path in PROBLEMS:
        problem = load_problem(path)
        d = derive(problem)
        model = Model(problem)
        for g in d.gradients:
            slips = Slips(g, model, lambda n: d[n] if n in {x.param.name for x in d.gradients}
                          else None)
            for rule in FORMULA_RULES:
                found[rule.__name__] |= {m.id for m in rule(slips)}
    assert all(found.values()), found


def test_words_render_their_mathematics_in_each_form_and_escape_their_text():
    """A result's words are data: the slots print as the form's mathematics, the text is
    escaped for the form (a student's formula in an error cannot inject HTML or TeX)."""
    from tutor.printing import words as render
    from tutor.words import Words, eq
    a, z = sp.Symbol("a1[2]"), sp.Symbol("z1[2]")
    w = Words("the derivative {d} of {who:.3g} & <b>{said}</b> is missing",
              d=eq(sp.Derivative(a, z), a * (1 - a)), who=0.12345, said="x_1 {y}")
    assert render.text(w) == ("the derivative ∂a⁽¹⁾₂/∂z⁽¹⁾₂ = a⁽¹⁾₂(1 − a⁽¹⁾₂) of 0.123 & "
                              "<b>x_1 {y}</b> is missing")
    assert "a1[2]" in render.ascii(w)
    html = render.html(w)
    assert "&amp; &lt;b&gt;x_1 {y}&lt;/b&gt;" in html and html.count("<math>") == 1
    assert "<mfrac>" in html and "<mo>=</mo>" in html
    tex = render.latex(w)
    assert r"\(\frac{\partial a^{(1)}_{2}}{\partial z^{(1)}_{2}} = " in tex
    assert r"\&" in tex and r"x\_1 \{y\}" in tex
    with pytest.raises(TypeError):
        Words("{a} and {b}", a=1)           # a slot left empty is a bug, found at once
    assert str(Words.plain("braces {are} text")) == "braces {are} text"


def test_every_value_and_number_rule_names_its_mistake_somewhere():
    """Each rule of checking.VALUE_RULES and NUMBER_RULES, on its own, yields mistakes with
    ids and words for the shipped problems (no rule is dead)."""
    from conftest import PROBLEMS
    from tutor.checking import (NUMBER_RULES, VALUE_RULES, SampleValues, _Grader,
                                sample_values)
    from tutor.words import Words
    values_found = {rule.__name__: 0 for rule in VALUE_RULES}
    numbers_found = {rule.__name__: 0 for rule in NUMBER_RULES}
    for path in PROBLEMS:
        problem = load_problem(path)
        v = SampleValues(problem, 0, sample_values(problem, 0))
        for rule in VALUE_RULES:
            for slip in rule(v):
                assert slip.id and isinstance(slip.message, Words) and str(slip.message)
                assert slip.name in v.true
                values_found[rule.__name__] += 1
        name = problem.network.param_refs()[0].name
        answers = parse_answers(f"gradients: {{'{name}': 1}}", problem, "a.yaml")
        grader = _Grader(problem, answers, 1e-3, 1e-8)
        for batch in (True, False):
            for rule in NUMBER_RULES:
                for slip in rule(grader, name, batch):
                    assert slip.id and isinstance(slip.message, Words) and str(slip.message)
                    numbers_found[rule.__name__] += 1
    assert all(values_found.values()), values_found
    assert all(numbers_found.values()), numbers_found
