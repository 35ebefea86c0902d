"""Jupyter shows a derivation as rendered mathematics: the reprs of the step classes, given
to them here so that the steps (below printing) never import a printer."""

from __future__ import annotations

from ..steps import Derivation, GradientDerivation
from . import markdown
from .latexdoc import latex_expression


def _markdown(self) -> str:
    return markdown(self)


def _latex(self) -> str:
    return "$" + latex_expression(self.expression) + "$"


Derivation._repr_markdown_ = _markdown
GradientDerivation._repr_markdown_ = _markdown
GradientDerivation._repr_latex_ = _latex
