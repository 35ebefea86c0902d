"""What users read: golden outputs checked against hand-computed numbers, every problem in
every format, LaTeX that really compiles, and hostile text that stays text."""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from conftest import PROBLEMS, ROOT, need
from tutor import derive, load_problem, parse_problem
from tutor.printing import FORMATS, latex, markdown, render, text

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("TUTOR_UPDATE_GOLDEN") == "1"


def _stable(s: str) -> str:
    """Masks the figures that depend on floating-point rounding in the last digits (the
    finite-difference estimate and the relative errors), which BLAS builds may change."""
    s = re.sub(r"relative error [0-9.e+-]+", "relative error <err>", s)
    return re.sub(r"(finite difference(?:\})?\s*&?=\s*)[-−0-9.e]+", r"\1<fd>", s)


def _golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.write_text(_stable(actual), encoding="utf-8")
    assert _stable(actual) == path.read_text(encoding="utf-8")


def _hand(problem):
    """XOR-explicit by hand: a⁽¹⁾₂, ŷ for sample 2 and ∂L/∂w⁽¹⁾₂₁ of the batch."""
    sig = lambda t: 1 / (1 + math.exp(-t))
    W1 = [[0.5, -0.4], [0.3, 0.8], [-0.6, 0.2]]
    b1 = [0.1, -0.2, 0.05]
    W2, b2 = [0.7, -0.5, 0.4], 0.1
    out = []
    for x, y in zip([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 1, 1, 0]):
        a = [sig(W1[j][0] * x[0] + W1[j][1] * x[1] + b1[j]) for j in range(3)]
        yhat = sig(sum(w * aj for w, aj in zip(W2, a)) + b2)
        out.append((a, yhat, (yhat - y) * W2[1] * a[1] * (1 - a[1]) * x[0]))
    return out


def _value_after(label: str, s: str) -> float:
    m = re.search(re.escape(label) + r"\s*=\s*([−\-0-9.]+)\s*$", s, re.M)
    assert m, label
    return float(m.group(1).replace("−", "-"))


def test_golden_text_of_a_hidden_weight(xor_explicit):
    d = derive(xor_explicit, ["W1[2,1]"], sample=2)
    out = text(d)
    _golden("xor-W1[2,1].txt", out)
    hand = _hand(xor_explicit)
    a, yhat, _ = hand[1]
    assert _value_after("a⁽¹⁾₂", out) == pytest.approx(a[1], abs=5e-7)
    assert _value_after("ŷ", out) == pytest.approx(yhat, abs=5e-7)
    mean = sum(h[2] for h in hand) / 4
    m = re.search(r"∂L/∂w⁽¹⁾₂₁ = \(1/4\)\(.*\) = ([−\-0-9.]+)", out)
    assert float(m.group(1).replace("−", "-")) == pytest.approx(mean, rel=1e-5)
    assert "∂ℓ/∂w⁽¹⁾₂₁ = ∂ℓ/∂ŷ · ∂ŷ/∂z⁽²⁾₁ · ∂z⁽²⁾₁/∂a⁽¹⁾₂ · ∂a⁽¹⁾₂/∂z⁽¹⁾₂ · ∂z⁽¹⁾₂/∂w⁽¹⁾₂₁" in out
    assert "= ŷ − y" in out  # the BCE∘sigmoid simplification
    assert "\x1b[" not in out  # no colour unless asked for


def test_golden_latex_of_a_hidden_weight(xor_explicit):
    d = derive(xor_explicit, ["W1[2,1]"], sample=2)
    out = latex(d)
    _golden("xor-W1[2,1].tex", out)
    assert out.startswith(r"\documentclass")
    assert r"\usepackage{amsmath" in out
    assert r"\frac{\partial \ell}{\partial w^{(1)}_{21}}" in out


def test_colour_only_on_request(xor_explicit):
    d = derive(xor_explicit, ["b2[1]"])
    assert "\x1b[32m✓" in text(d, color=True)


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_every_problem_in_every_format(path):
    d = derive(load_problem(path))
    for fmt in FORMATS:
        out = render(d, fmt)
        assert out.strip()
    doc = json.loads(render(d, "json"))
    assert doc["problem"] == d.problem.name
    assert doc["ok"] is True
    assert doc["loss"] == pytest.approx(d.loss)
    assert len(doc["gradients"]) == len(d.gradients)
    for g, jg in zip(d.gradients, doc["gradients"]):
        assert jg["param"] == g.param.name
        assert jg["gradient"] == g.numbers.gradient
        assert jg["expression"]["ascii"] and jg["expression"]["latex"]
        assert set(jg["check"]) >= {"symbolic", "numpy", "finite_difference", "ok"}
    md = render(d, "markdown")
    assert md.startswith("# ") and "$$\n\\begin{aligned}" in md


def test_jupyter_display(xor):
    d = derive(xor, ["b2[1]"])
    assert "$$" in d._repr_markdown_()
    assert d["b2[1]"]._repr_latex_().startswith("$")


def _pdflatex(tex: str, tmp_path: Path) -> str:
    """Compile ``tex`` as pdflatex would for a user; return the PDF's text."""
    pdflatex = need("pdflatex")
    pdftotext = need("pdftotext")
    src = tmp_path / "doc.tex"
    src.write_text(tex, encoding="utf-8")
    proc = subprocess.run([pdflatex, "-no-shell-escape", "-interaction=nonstopmode",
                           "-halt-on-error", "doc.tex"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "Undefined control sequence" not in log and "undefined references" not in log
    subprocess.run([pdftotext, "doc.pdf", "doc.txt"], cwd=tmp_path, check=True, timeout=60)
    return (tmp_path / "doc.txt").read_text(errors="replace")


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_latex_compiles_with_pdflatex(path, tmp_path):
    d = derive(load_problem(path))
    pdf_text = _pdflatex(latex(d), tmp_path)
    assert d.problem.name.split()[0] in pdf_text


def test_latex_fragment_can_be_input(xor, tmp_path):
    fragment = latex(derive(xor, ["W2[1,1]"]), fragment=True)
    assert r"\documentclass" not in fragment
    doc = ("\\documentclass{article}\n\\usepackage{amsmath,amssymb}\n\\begin{document}\n"
           + fragment + "\\end{document}\n")
    assert "Local derivatives" in _pdflatex(doc, tmp_path)


HOSTILE = r"\input{/etc/passwd} \write18{touch /tmp/pwned} $x$ & % # _ ^ ~ {} <b>|"


def test_hostile_text_is_printed_literally(tmp_path):
    text_ = f"""\
name: '{HOSTILE}'
description: "50% of {{all}} \\\\ end"
network: {{inputs: 1, layers: [{{units: 1, activation: sigmoid}}]}}
loss: bce
data: {{inputs: [[1]], targets: [1]}}
"""
    problem = parse_problem(text_)
    assert problem.name == HOSTILE
    out = latex(derive(problem))
    assert r"\input{" not in out and r"\write18{" not in out
    pdf_text = _pdflatex(out, tmp_path)
    flat = " ".join(pdf_text.split())
    assert "input{/etc/passwd}" in flat.replace("\\", "")
    assert not Path("/tmp/pwned").exists()
    md = markdown(derive(problem))
    assert "\\$x\\$" in md


def test_every_piece_of_a_piecewise_is_printed():
    """A three-piece function (an ELU-like or Huber-like derivative) keeps all its pieces in
    every printer, and the ASCII form reads back as the same function."""
    import sympy as sp

    from tutor import load_problem
    from tutor.formula import Vocabulary, parse
    from tutor.printing.exprs import ascii, tex, text
    from tutor.printing.mathml import mathml
    from tutor.symbolic import Model
    model = Model(load_problem(ROOT / "problems" / "relu.yaml"))
    z = model.z[1][0]
    e = sp.Piecewise((2, z > 1), (z, z > 0), (sp.Rational(1, 10), True))
    assert text(e) == "(2 if z⁽¹⁾₁ > 1 else z⁽¹⁾₁ if z⁽¹⁾₁ > 0 else 1/10)"
    assert ascii(e) == "(2 if z1[1] > 1 else z1[1] if z1[1] > 0 else 1/10)"
    assert tex(e).count(r"\\") == 2 and r"\text{otherwise}" in tex(e)
    assert mathml(e).count("<mtr>") == 3
    back = parse(ascii(e), Vocabulary.of_model(model))
    for v in (-1.0, 0.5, 3.0):
        assert float(back.subs(z, v)) == float(e.subs(z, v))


def _network(hidden, activation="sigmoid"):
    layers = "".join(f"    - {{units: {h}, activation: {activation}}}\n" for h in hidden)
    return parse_problem(
        "name: wide\nnetwork:\n  inputs: 2\n  layers:\n" + layers
        + "    - {units: 1, activation: sigmoid}\nloss: bce\n"
        "data: {inputs: [[0, 0], [0, 1], [1, 0], [1, 1]], targets: [0, 1, 1, 0]}\n"
        "init: {seed: 0}\n")


def test_a_whole_derivation_prints_the_forward_pass_once(xor):
    """Every parameter shares the layers above it: the forward pass is printed once at the
    top, each parameter's section keeps its own neuron's definitions."""
    d = derive(xor)
    out = text(d)
    top, *sections = out.split("━━━ ∂L/∂")
    assert top.count("z⁽²⁾₁ = w⁽²⁾₁₁·a⁽¹⁾₁ + w⁽²⁾₁₂·a⁽¹⁾₂ + w⁽²⁾₁₃·a⁽¹⁾₃ + b⁽²⁾₁") == 1
    for row in ("z⁽¹⁾₁ =", "z⁽¹⁾₃ =", "a⁽¹⁾₂ = σ(z⁽¹⁾₂)", "ŷ     = σ(z⁽²⁾₁)", "ℓ     ="):
        assert row in top
    assert len(sections) == len(d.gradients)
    w12 = next(s for s in sections if s.startswith("w⁽¹⁾₁₂"))
    forward = w12.split("Forward pass")[1].split("Chain rule")[0]
    assert "z⁽¹⁾₁ = w⁽¹⁾₁₁·x₁ + w⁽¹⁾₁₂·x₂ + b⁽¹⁾₁" in forward and "a⁽¹⁾₁ = σ(z⁽¹⁾₁)" in forward
    assert "z⁽²⁾₁" not in forward and "as in the forward pass at the top" in forward
    # One parameter alone: its whole forward pass, as before.
    alone = text(derive(xor, ["W1[1,2]"]))
    assert "z⁽²⁾₁ = w⁽²⁾₁₁·a⁽¹⁾₁" in alone and "at the top" not in alone


def test_a_wide_neuron_is_abridged_to_the_parameters_term():
    d = derive(_network([12]), ["W2[1,7]", "b2[1]", "W1[3,2]"])
    out = text(d)
    sections = out.split("━━━ ∂L/∂")[1:]
    assert "z⁽²⁾₁ = w⁽²⁾₁₁·a⁽¹⁾₁ + … + w⁽²⁾₁₇·a⁽¹⁾₇ + … + b⁽²⁾₁" in sections[0]
    assert "z⁽²⁾₁ = w⁽²⁾₁₁·a⁽¹⁾₁ + … + b⁽²⁾₁" in sections[1]
    assert "z⁽¹⁾₃ = w⁽¹⁾₃₁·x₁ + w⁽¹⁾₃₂·x₂ + b⁽¹⁾₃" in sections[2]     # short: whole
    # The forward pass at the top has every term.
    assert "w⁽²⁾₁,₁₂·a⁽¹⁾₁₂" in out.split("━━━ ∂L/∂")[0]


@pytest.mark.parametrize("path", PROBLEMS + sorted((ROOT / "problems" / "graphs").glob("*.yaml"))
                         + [None], ids=lambda p: p.name if p else "grouped")
def test_mathml_has_no_loose_text(path):
    """The document's glue (=, +, brackets, words) is MathML too: no text directly inside a
    row, which browsers would draw unstyled."""
    from tutor import load_any
    from tutor import derive as derive_any
    # runs of markup (whole token elements, whose text is their content, and other tags),
    # else loose text between elements
    pieces = re.compile(r"(?:<(mi|mn|mo|mtext|ms)\b[^>]*>.*?</\1>|<[^>]+>)+|([^<]+)", re.S)
    p = load_any(path) if path else _network([5, 5, 5, 5])     # 125 paths: grouped
    for lang in ("en", "ko"):
        from tutor import i18n
        with i18n.using(lang):
            page = render(derive_any(p), "html")
        maths = re.findall(r"<math>(.*?)</math>", page, re.S)
        assert maths
        for m in maths:
            assert not any(loose for _tag, loose in pieces.findall(m)), m[:200]


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_every_html_step_is_one_part_of_the_derivation(path):
    """Each step of the HTML derivation begins with its heading and holds no other (the
    steps are revealed one at a time)."""
    page = render(derive(load_problem(path)), "html")
    steps = re.findall(r'<li class="step">(.*?)</li>', page, re.S)
    assert steps
    for s in steps:
        assert s.startswith("<h4>") and s.count("<h4>") == 1, s[:200]
    assert page.count("<h4>") == len(steps)


def _subexpressions(e):
    yield e
    for a in e.args:
        yield from _subexpressions(a)


@pytest.mark.parametrize("path", PROBLEMS, ids=lambda p: p.name)
def test_a_products_precedence_read_from_its_leading_number(path):
    """The printers read a product's precedence from its leading number instead of asking
    SymPy's could_extract_minus_sign (which builds −t): the same as SymPy's, for every
    subexpression tutor prints."""
    import sympy as sp
    from sympy.printing.precedence import precedence
    from tutor.printing.exprs import precedence_of
    d = derive(load_problem(path))
    seen = set()
    for g in d.gradients:
        for e in [g.expression, *(ld.result for ld in g.local),
                  *(x.expr for x in g.delta.deltas)]:
            for s in _subexpressions(e):
                if s not in seen:
                    seen.add(s)
                    assert precedence_of(s) == precedence(s), s
    x, y = sp.symbols("x y")
    for e in (-2 * x * y, sp.Mul(-1, x, evaluate=False), 3 * x, x * sp.sin(y), -x / y):
        assert precedence_of(e) == precedence(e), e
    # and the sums printed with it as SymPy's printers print them
    _sums_as_sympy_prints_them(seen)


def _sums_as_sympy_prints_them(expressions):
    """ASCII's and LaTeX's sums (their terms' signs and precedences read from their leading
    numbers) are SymPy's StrPrinter's and LatexPrinter's."""
    from sympy.printing.latex import LatexPrinter
    from sympy.printing.str import StrPrinter
    from tutor.printing import exprs
    for cls, base in ((exprs.AsciiPrinter, StrPrinter), (exprs.TexPrinter, LatexPrinter)):
        p = cls()
        for s in expressions:
            if s.is_Add:
                p.doprint(s)
                assert p._print_Add(s) == base._print_Add(p, s), (cls, s)


def test_printed_once_or_each_time_the_same():
    """What the printers remember (a subexpression, a factor's form, a product's first
    factors, a path's tail) changes nothing: every gradient's expression printed by a printer
    that has printed all the others is what a fresh printer prints."""
    from tutor.printing import exprs, mathml
    d = derive(_network([4, 4]))
    kinds = {"text": (exprs.TextPrinter, exprs.text), "ascii": (exprs.AsciiPrinter, exprs.ascii),
             "latex": (exprs.TexPrinter, exprs.tex)}
    for name, (cls, shared) in kinds.items():
        for g in d.gradients:
            for e in (g.expression, *(x.expr for x in g.delta.deltas)):
                assert shared(e) == cls().doprint(e), (name, e)
    # SymPy's sums, whose terms' signs and precedences tutor reads from their leading numbers
    _sums_as_sympy_prints_them([e for g in d.gradients
                                for e in (g.expression, *(x.expr for x in g.delta.deltas))])
    lang = ("en", "pytorch")
    for g in d.gradients:
        assert mathml.mathml(g.expression) == \
            mathml.MathMLPrinter().element(g.expression, lang).toxml()
    # and the documents: one parameter alone as in the whole derivation
    whole = text(d)
    for g in d.gradients[::7]:
        alone = text(g)
        assert alone.split("Chain rule")[1] in whole


@given(value=st.recursive(
           st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
           lambda inner: st.lists(inner) | st.lists(inner).map(tuple)
           | st.dictionaries(st.text() | st.integers() | st.floats() | st.booleans()
                             | st.none(), inner),
           max_leaves=40),
       indent=st.sampled_from([0, 1, 2, 4]))
def test_json_written_as_the_standard_library_writes_it(value, indent):
    """The derivation's JSON encoder gives json.dumps's bytes (indented, not ASCII-escaped)."""
    from tutor.printing.jsondoc import dumps
    assert dumps(value, indent) == json.dumps(value, indent=indent, ensure_ascii=False)


def test_latex_of_an_abridged_and_grouped_derivation(tmp_path):
    """A long sum's "+ …" is mathematics (\\dots) and "(509 more paths)" words (\\text) in
    LaTeX and Markdown: nothing typeset as math italics, nothing invalid in math mode."""
    d = derive(_network([8, 8, 8, 8]), ["W1[1,1]", "W2[1,1]"])      # 512 paths: grouped
    tex, md = render(d, "latex"), render(d, "markdown")
    assert "…" not in tex and r"+ \dots" in tex and r"\text{\dots{} (509 more paths)}" in tex
    assert r"+ \dots" in md and r"\text{… (509 more paths)}" in md
    assert "…" not in md.replace(r"\text{… (509 more paths)}", "")
    log_text = _pdflatex(latex(d), tmp_path)
    assert "509 more paths" in log_text.replace("\n", " ")
    log = (tmp_path / "doc.log").read_text(errors="replace")
    assert "invalid in math mode" not in log


@pytest.mark.parametrize("fragment", [False, True])
def test_html_made_in_pieces_is_the_page(fragment):
    """`tutor derive -o` writes the HTML page as it is made (never held whole): its pieces,
    joined, are the page; one parameter comes whole."""
    from tutor.printing import render_chunks
    from tutor.printing.htmldoc import HtmlDocPrinter
    d = derive(_network([5, 5]))
    page = render(d, "html", fragment=fragment)
    pieces = list(HtmlDocPrinter(fragment=fragment).chunks(d, size=4096))
    assert len(pieces) > 10 and "".join(pieces) == page
    assert "".join(render_chunks(d, "html", fragment=fragment)) == page
    for fmt in ("text", "json"):
        assert list(render_chunks(d, fmt)) == [render(d, fmt)]
    g = d.gradients[3]
    assert list(render_chunks(g, "html")) == [render(g, "html")]
