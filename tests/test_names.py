"""One type for the names of quantities: one parser, the ASCII form back, and the spellings
formulas accept (w2[1,2]) accepted everywhere else too."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from conftest import ROOT
from tutor.cli import main
from tutor.names import Name
from tutor.printing.names import latex_name, text_name

XOR = str(ROOT / "problems" / "xor.yaml")


@pytest.mark.parametrize("text,name", [
    ("W1[2,1]", Name("W", 1, (2, 1))), ("w1[2,1]", Name("W", 1, (2, 1))),
    ("b2[1]", Name("b", 2, (1,))), ("z1[3]", Name("z", 1, (3,))), ("a1[2]", Name("a", 1, (2,))),
    ("delta2[1]", Name("delta", 2, (1,))), ("x1", Name("x", None, (1,))), ("y", Name("y")),
    ("y2", Name("y", None, (2,))), ("yhat", Name("yhat")), ("yhat3", Name("yhat", None, (3,))),
    ("ell", Name("ell")), ("W1[ 2 , 1 ]", Name("W", 1, (2, 1))),
])
def test_parse(text, name):
    assert Name.parse(text) == name


@pytest.mark.parametrize("text", ["W1[2]", "b1[1,2]", "q1[1]", "W[1,1]", "", "yhat_2", "ell2"])
def test_not_names(text):
    assert Name.parse(text) is None


@given(kind=st.sampled_from(["W", "b", "z", "a", "delta"]), layer=st.integers(1, 40),
       i=st.integers(1, 600), j=st.integers(1, 600))
def test_the_ascii_form_reads_back(kind, layer, i, j):
    name = Name(kind, layer, (i, j) if kind == "W" else (i,))
    assert Name.parse(str(name)) == name
    # and every printer writes it with its parts
    assert str(layer) in latex_name(str(name))
    assert text_name(str(name))


def test_lowercase_weights_everywhere(tmp_path):
    r = CliRunner().invoke(main, ["derive", XOR, "-p", "w1[2,1]", "-f", "json"])
    assert r.exit_code == 0 and '"param": "W1[2,1]"' in r.output
    answers = tmp_path / "a.yaml"
    answers.write_text("sample: 1\ngradients:\n  w2[1,1]: 0.0597\nvalues:\n  a2[1]: 0.645321\n")
    r = CliRunner().invoke(main, ["check", XOR, str(answers)])
    assert r.exit_code == 0, r.output
