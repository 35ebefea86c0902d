"""Problem files: every shipped problem loads; every kind of mistake is named precisely."""

from __future__ import annotations

import json
import textwrap

import numpy as np
import pytest

from conftest import PROBLEMS, ROOT
from tutor.errors import ProblemError
from tutor.problem import ParamRef, load_problem, parse_param_refs, parse_problem

XOR = (ROOT / "problems" / "xor.yaml").read_text()


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_shipped_problems_load(path):
    p = load_problem(path)
    assert p.inputs.shape == (p.n_samples, p.network.inputs)
    assert p.targets.shape == (p.n_samples, p.network.outputs)
    for name, shape in p.network.shapes().items():
        assert p.params[name].shape == shape
        assert not p.params[name].flags.writeable


def test_xor_shapes_follow_nn_linear(xor):
    assert xor.network.sizes == (2, 3, 1)
    assert xor.params["W1"].shape == (3, 2)  # (units, fan_in), like nn.Linear(2, 3).weight
    assert xor.params["b1"].shape == (3,)
    assert xor.params["W2"].shape == (1, 3)
    # default initialisation: uniform in (−1/√fan_in, 1/√fan_in)
    assert np.all(np.abs(xor.params["W1"]) < 1 / np.sqrt(2))
    assert np.all(np.abs(xor.params["W2"]) < 1 / np.sqrt(3))


def test_seeded_init_is_reproducible(xor):
    again = load_problem(ROOT / "problems" / "xor.yaml")
    for name in xor.params:
        assert np.array_equal(xor.params[name], again.params[name])


def test_explicit_values_override_seeded_ones():
    text = XOR.replace("init: {seed: 0}", "init: {seed: 0, b2: [0.25]}")
    p = parse_problem(text)
    assert p.params["b2"][0] == 0.25


def test_param_refs_are_1_based_and_named_like_files(xor):
    refs = xor.network.param_refs()
    assert [r.name for r in refs[:3]] == ["W1[1,1]", "W1[1,2]", "W1[2,1]"]
    assert len(refs) == 3 * 2 + 3 + 1 * 3 + 1
    r = parse_param_refs("W1[2,1]", xor.network)[0]
    assert r == ParamRef("W", 1, 2, 1) and r.index == (1, 0)
    assert xor.value(r) == xor.params["W1"][1, 0]
    assert [x.name for x in parse_param_refs("b1", xor.network)] == ["b1[1]", "b1[2]", "b1[3]"]
    assert [x.name for x in parse_param_refs("W2[1,3], b2[1]", xor.network)] == ["W2[1,3]",
                                                                                 "b2[1]"]


@pytest.mark.parametrize("text", ["W3[1,1]", "W1[4,1]", "W1[0,1]", "W1[1]", "b1[1,1]", "x",
                                  "W1[1,1]]", ""])
def test_bad_param_refs(xor, text):
    if text == "":
        assert parse_param_refs(text, xor.network) == []
        return
    with pytest.raises(ProblemError) as e:
        parse_param_refs(text, xor.network)
    assert e.value.field == "--param"


def _edit(old: str, new: str) -> str:
    assert old in XOR, old
    return XOR.replace(old, new)


BAD = [
    # (description, text, expected field, expected line, words in the message)
    ("malformed YAML", "name: [XOR\n", None, 2, "not valid YAML"),
    ("not a mapping", "- 1\n- 2\n", None, 1, "expected a mapping"),
    ("empty file", "", None, None, "empty"),
    ("unknown top-level key", XOR + "trainig: 3\n", "trainig", 19, "did you mean 'training'"),
    ("missing loss", _edit("loss: bce", ""), None, 6, "missing 'loss'"),
    ("unknown activation", _edit("{units: 3, activation: sigmoid}",
                                 "{units: 3, activation: sigmod}"),
     "network.layers[0].activation", 11, "did you mean 'sigmoid'"),
    ("unknown loss", _edit("loss: bce ", "loss: cross_entropyy "), "loss", 13, "unknown loss"),
    ("zero units", _edit("{units: 3,", "{units: 0,"), "network.layers[0].units", 11,
     "from 1 to"),
    ("boolean units", _edit("{units: 3,", "{units: true,"), "network.layers[0].units", 11,
     "boolean"),
    ("wrong input width", _edit("[[0, 0], [0, 1]", "[[0, 0, 1], [0, 1]"),
     "data.inputs[0]", 15, "3 entries, expected 2"),
    ("targets count", _edit("targets: [[0], [1], [1], [0]]", "targets: [[0], [1], [1]]"),
     "data.targets", 16, "one target per sample"),
    ("non-finite input", _edit("[[0, 0], [0, 1]", "[[.nan, 0], [0, 1]"), "data.inputs[0][0]",
     15, "finite"),
    ("infinite lr", _edit("lr: 0.1", "lr: .inf"), "training.lr", 18, "finite"),
    ("negative lr", _edit("lr: 0.1", "lr: -1"), "training.lr", 18, "> 0"),
    ("text as a number", _edit("lr: 0.1", "lr: fast"), "training.lr", 18, "expected a number"),
    ("bce target outside [0, 1]", _edit("[[0], [1], [1], [0]]", "[[0], [2], [1], [0]]"),
     "data.targets[1][0]", 16, "[0, 1]"),
    ("softmax without cross-entropy", _edit("{units: 1, activation: sigmoid}",
                                            "{units: 2, activation: softmax}"),
     "network.layers[1].activation", 12, "cross_entropy"),
    ("softmax in a hidden layer", _edit("{units: 3, activation: sigmoid}",
                                        "{units: 3, activation: softmax}"),
     "network.layers[0].activation", 11, "output layer"),
    ("bce without sigmoid output", _edit("{units: 1, activation: sigmoid}",
                                         "{units: 1, activation: identity}"),
     "loss", 13, "sigmoid output"),
    ("slope without leaky_relu", _edit("{units: 3, activation: sigmoid}",
                                       "{units: 3, activation: sigmoid, slope: 0.1}"),
     "network.layers[0].slope", 11, "leaky_relu"),
    ("explicit weights of the wrong shape", _edit("init: {seed: 0}",
                                                  "init: {W1: [[1, 2], [3, 4]], b1: [0, 0, 0],"
                                                  " W2: [[1, 2, 3]], b2: [0]}"),
     "init.W1", 17, "shape (3, 2)"),
    ("explicit weights missing", _edit("init: {seed: 0}", "init: {W1: [[1, 2], [3, 4], [5, 6]]}"),
     "init", 17, "no value for b1"),
    ("unknown init key", _edit("init: {seed: 0}", "init: {seed: 0, W3: [[1]]}"), "init.W3", 17,
     "unknown key"),
    ("duplicate key", _edit("loss: bce", "loss: bce\nloss: mse"), "loss", 14, "twice"),
    ("batch larger than the data", _edit("epochs: 5000}", "epochs: 5000, batch_size: 9}"),
     "training.batch_size", 18, "from 1 to 4"),
]


@pytest.mark.parametrize("what,text,field,line,words", BAD, ids=[b[0] for b in BAD])
def test_bad_problems_name_field_and_line(what, text, field, line, words):
    with pytest.raises(ProblemError) as e:
        parse_problem(text, file="p.yaml")
    err = e.value
    assert err.field == field
    assert err.line == line
    assert words in str(err)
    assert str(err).startswith("p.yaml")
    assert "\n" not in str(err)


def test_missing_file_is_a_problem_error(tmp_path):
    with pytest.raises(ProblemError, match="cannot read"):
        load_problem(tmp_path / "nope.yaml")


def test_cross_entropy_needs_probability_targets():
    text = textwrap.dedent("""\
        name: s
        network: {inputs: 1, layers: [{units: 2, activation: softmax}]}
        loss: cross_entropy
        data: {inputs: [[1], [2]], targets: [[1, 0], [0.5, 0.6]]}
        """)
    with pytest.raises(ProblemError) as e:
        parse_problem(text)
    assert e.value.field == "data.targets[1]"


def test_json_schema_accepts_every_shipped_problem():
    jsonschema = pytest.importorskip("jsonschema")
    import yaml
    schema = json.loads((ROOT / "tutor" / "schema" / "problem.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    for path in PROBLEMS:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)


def test_json_schema_and_loader_agree_on_bad_input():
    """Whatever the schema rejects, the loader rejects too (the loader also checks the rules
    that relate fields, which the schema cannot express)."""
    jsonschema = pytest.importorskip("jsonschema")
    import yaml
    schema = json.loads((ROOT / "tutor" / "schema" / "problem.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for what, text, *_ in BAD:
        try:
            doc = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if doc is None or not validator.is_valid(doc):
            with pytest.raises(ProblemError):
                parse_problem(text)


def test_aliases_cannot_blow_a_small_file_up():
    # A "billion laughs": 9 levels of 10 aliases each is 10⁹ values from 500 bytes.
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{k}: &a{k} [" + ", ".join([f"*a{k - 1}"] * 10) + "]" for k in range(1, 9)]
    with pytest.raises(ProblemError, match="more than 1,000,000 values"):
        parse_problem("\n".join(lines), "bomb.yaml")


def test_yaml_numbers_as_in_json():
    # YAML 1.1 reads 1e-3 as text; tutor reads it as JSON and YAML 1.2 do.
    text = (ROOT / "problems" / "xor.yaml").read_text().replace(
        "training: {lr: 0.1", "training: {lr: 1e-1")
    assert parse_problem(text).training.lr == 0.1


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_problems_pickle(path):
    # The web tutor's worker processes send problems back and forth.
    import pickle

    from tutor import derive
    p = load_problem(path)
    before = derive(p, [p.network.param_refs()[0]])   # caches each layer's activation
    q = pickle.loads(pickle.dumps(p))
    after = derive(q, [q.network.param_refs()[0]])
    assert after.gradients[0].numbers.gradient == before.gradients[0].numbers.gradient


def test_escaped_surrogates():
    # JSON writes 😀 as a pair of escapes, which is joined; half of a pair is no character.
    from tutor.answers import parse_answers
    p = load_problem(ROOT / "problems" / "xor.yaml")
    a = parse_answers('{"formulas": {"W1[2,1]": "\\ud83d\\ude00"}}', p)
    assert a.answers[0].text == "😀"
    for text in ('{"formulas": {"W1[2,1]": "\\ud800"}}', '{"\\udc00": 1}'):
        with pytest.raises(ProblemError, match="no character"):
            parse_answers(text, p)
