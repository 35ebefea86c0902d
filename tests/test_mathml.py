"""The web tutor's mathematics: the MathML printer in tutor's notation and the HTML derivation.

Every derivation of every shipped problem must be well-formed MathML in which every character
stands in a token element (an identifier, number, operator or text), and must show the same
verified numbers as the text printer; one is kept as a golden file."""

from __future__ import annotations

import re
import xml.dom.minidom

import pytest
import sympy as sp

from conftest import PROBLEMS
from test_printing import _golden, _hand
from tutor import derive, load_problem
from tutor.printing.htmldoc import html_derivation
from tutor.printing.mathml import mathml

TOKENS = {"mi", "mn", "mo", "mtext"}
_MATH = re.compile(r"<math>(.*?)</math>", re.S)


def _loose_text(node) -> list[str]:
    """Text standing outside token elements (which a browser would not lay out as maths)."""
    out = []
    for child in node.childNodes:
        if child.nodeType == child.TEXT_NODE:
            if child.data.strip() and node.tagName not in TOKENS:
                out.append(child.data)
        elif child.nodeType == child.ELEMENT_NODE:
            out += _loose_text(child)
    return out


def _check_math(html: str) -> int:
    blocks = _MATH.findall(html)
    for m in blocks:
        doc = xml.dom.minidom.parseString(f"<math>{m}</math>")
        assert _loose_text(doc.documentElement) == [], m
    return len(blocks)


def _text_of(m: str) -> str:
    return re.sub(r"<[^>]+>", "", m)


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.stem)
def test_every_derivation_is_well_formed_mathml(path):
    d = derive(load_problem(path))
    for g in d.gradients:
        html = html_derivation(g)
        assert _check_math(html) > 10
        assert html.count('<li class="step">') >= 8
        # The batch gradient shown is the verified one.
        assert f"{g.numbers.gradient:.6g}".lstrip("-") in _text_of(html)


def test_golden_html_of_a_hidden_weight(xor_explicit):
    d = derive(xor_explicit, ["W1[2,1]"], sample=2)
    out = html_derivation(d.gradients[0])
    masked = re.sub(r"(finite difference</mtext><mspace width=\"0.4em\"/><mo>=</mo>)"
                    r"(<mrow><mo>−</mo>)?<mn>[^<]+</mn>", r"\1<fd>", out)
    _golden("xor-W1[2,1].html", masked.replace("</li>", "</li>\n"))
    mean = sum(h[2] for h in _hand(xor_explicit)) / 4
    m = re.search(r"Batch mean.*?<mo form=\"infix\">=</mo>(<mrow><mo>−</mo>)?<mn>([0-9.]+)"
                  r"</mn>", out, re.S)
    assert m and float(m.group(2)) * (-1 if m.group(1) else 1) == pytest.approx(mean, rel=1e-5)


@pytest.mark.parametrize("name, text", [
    ("W1[2,1]", "w21(1)"),      # w⁽¹⁾₂₁: subscript, then the layer as a superscript
    ("b2[1]", "b1(2)"),
    ("yhat", "y^"),
    ("yhat2", "y^2"),
    ("x1", "x1"),
    ("delta1[3]", "δ3(1)"),
    ("ell", "ℓ"),
    ("W1[10,2]", "w10,2(1)"),   # indices of 10 and more are separated
])
def test_names(name, text):
    m = mathml(sp.Symbol(name))
    assert _text_of(m) == text
    xml.dom.minidom.parseString(f"<math>{m}</math>")


def test_structures():
    a = sp.Symbol("a1[2]")
    z = sp.Symbol("z1[2]")
    sigma = sp.Function("sigma")
    # a(1 − a) by juxtaposition, as the text printer writes it.
    m = mathml(sp.Mul(a, 1 - a, evaluate=False))
    assert "·" not in m and "\u2062" in m and _text_of(m) == "a2(1)\u2062(1−a2(1))"
    # The square of a layered name is fenced: (a⁽¹⁾₂)².
    assert _text_of(mathml(a**2)) == "(a2(1))2"
    # σ′(z) and tanh²(z).
    assert _text_of(mathml(sp.Derivative(sigma(z), z))) == "σ′(z2(1))"
    assert _text_of(mathml(sp.tanh(z) ** 2)) == "tanh2(z2(1))"
    # Numbers: short floats, powers of ten, signs.
    assert _text_of(mathml(sp.Float(0.25))) == "0.25"
    assert _text_of(mathml(sp.Float(1.5e-7))) == "1.5·10−7"
    assert "<mfrac>" in mathml(sp.Rational(-1, 4))
    # A negated sum keeps its brackets.
    assert _text_of(mathml(sp.Mul(-1, a + z, evaluate=False))) == "−(a2(1)+z2(1))"
    # Brackets stretch only around something tall.
    x = sp.Symbol("x1")
    assert mathml(sigma(x)).count('<mo stretchy="false">') == 2
    assert "<mo>(</mo><mrow><mn>1</mn><mo>+</mo><mfrac>" in mathml(
        sp.Mul(2, sp.Add(a / z, 1), evaluate=False))


def test_tutor_derive_html_stands_alone(tmp_path):
    from click.testing import CliRunner

    from conftest import ROOT
    from tutor.cli import main
    out = tmp_path / "xor.html"
    r = CliRunner().invoke(main, ["derive", str(ROOT / "problems" / "xor.yaml"), "-p", "b2",
                                  "-f", "html", "-o", str(out)])
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<style>" in page
    assert not re.search(r'(src|href)="', page)     # nothing to load
    assert _check_math(page) > 10
    r = CliRunner().invoke(main, ["derive", str(ROOT / "problems" / "xor.yaml"), "-p", "b2",
                                  "-f", "html", "--fragment"])
    assert r.output.startswith('<article id="derivation"><h1>XOR</h1>')
