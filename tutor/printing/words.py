"""``Words`` in each output form: Unicode text, HTML with MathML, LaTeX, plain ASCII.

The literal text of a template is escaped for the form; each slot holding mathematics goes
through that form's expression printer, each other slot through ``format`` with its spec.
"""

from __future__ import annotations

from html import escape as html_escape

import sympy as sp

from .. import i18n
from ..words import Joined, Words
from . import exprs
from .latexdoc import escape as latex_escape
from .mathml import mathml


def _render(w: Words, math, literal) -> str:
    out = []
    for lit, value, spec in w.parts(i18n.translations(i18n.current()).gettext(w.template)):
        out.append(literal(lit))
        if value is None:
            continue
        if isinstance(value, (sp.Basic, Joined)):
            out.append(math(value))
        elif isinstance(value, Words):
            out.append(_render(value, math, literal))
        else:
            out.append(literal(format(value, spec)))
    return "".join(out)


def text(w: Words) -> str:
    """Unicode text, as the terminal shows it: w⁽¹⁾₂₁, ∂ℓ/∂ŷ."""
    return _render(w, exprs.text, lambda s: s)


def ascii(w: Words) -> str:
    """The mathematics as a student would type it (W1[2,1], sigma(z1[1]))."""
    return _render(w, exprs.ascii, lambda s: s)


def html(w: Words) -> str:
    """HTML: the text escaped, each piece of mathematics as inline MathML."""
    return _render(w, lambda m: f"<math>{mathml(m)}</math>", html_escape)


def latex(w: Words) -> str:
    """LaTeX: the text escaped, each piece of mathematics in ``\\( … \\)``."""
    return _render(w, lambda m: f"\\({exprs.tex(m)}\\)", latex_escape)


def html_tex(w: Words) -> str:
    """HTML whose mathematics is TeX in ``\\( … \\)``, as learning platforms' MathJax and TeX
    filters render it (Moodle, Canvas)."""
    return _render(w, lambda m: f"\\({exprs.tex(m)}\\)", html_escape)
