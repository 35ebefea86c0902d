"""Notations of the weights: which index of ``W<l>[·,·]`` is the neuron and which the input.

Inside tutor a weight matrix always has PyTorch's shape, (units, fan_in), and the model's
symbols are named that way (``W1[2,1]``: into neuron 2 from input 1). A problem's
``convention`` says how its file, its reader and its students write them:

- ``pytorch`` (the default; PyTorch's ``nn.Linear.weight``, most English texts): W of shape
  (units, fan_in), column vectors, z = W a + b; ``W1[2,1]`` is w⁽¹⁾₂₁, into neuron 2 from input 1;
  ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ a⁽ˡ⁻¹⁾ᵀ.
- ``dlfs`` (*Deep Learning from Scratch*, 밑바닥부터 시작하는 딥러닝, and NumPy code written
  ``x @ W + b``): W of shape (inputs, units), row vectors, z = x W + b; ``W1[1,2]`` is w⁽¹⁾₁₂,
  from input 1 into neuron 2; ∂L/∂W⁽ˡ⁾ = a⁽ˡ⁻¹⁾ᵀ δ⁽ˡ⁾.

The convention applies at the edges: explicit weights read from a file, names typed by people
(``-p``, answers files, formulas) and every name and matrix form printed. Like the language, it
is held in a context variable that a command sets from its problem (``using``).
"""

from __future__ import annotations

import contextlib
import contextvars
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Convention:
    """name; title (who writes this way); ``swapped``: whether W's first index is the input
    (the transpose of tutor's own order); ``shape`` of W⁽ˡ⁾ in words, for messages."""

    name: str
    title: str
    swapped: bool
    shape: str


CONVENTIONS: dict[str, Convention] = {c.name: c for c in [
    Convention("pytorch", "PyTorch's nn.Linear (W of shape (units, fan_in), z = W a + b)",
               False, "(units, fan_in)"),
    Convention("dlfs", "Deep Learning from Scratch (W of shape (inputs, units), z = x W + b)",
               True, "(fan_in, units)"),
]}
DEFAULT = "pytorch"

_current: contextvars.ContextVar[str] = contextvars.ContextVar("tutor_convention",
                                                               default=DEFAULT)


def current() -> Convention:
    return CONVENTIONS[_current.get()]


def set_current(name: str) -> None:
    """The convention for the rest of this context (a command sets its problem's)."""
    _current.set(name)


@contextlib.contextmanager
def using(name: str):
    token = _current.set(name)
    try:
        yield
    finally:
        _current.reset(token)


_W = re.compile(r"\b([Ww])(\d+)\[\s*(\d+)\s*,\s*(\d+)\s*\]")


def swap_weights(text: str) -> str:
    """Every ``W<l>[a,b]`` in ``text`` written ``W<l>[b,a]``: between tutor's order and the
    transposed one (the swap is its own inverse)."""
    return _W.sub(lambda m: f"{m[1]}{m[2]}[{m[4]},{m[3]}]", text)


def shown(name: str, convention: Convention | None = None) -> str:
    """A name of tutor's (``W1[2,1]``) as the convention writes it (``W1[1,2]`` in dlfs)."""
    c = convention or current()
    return swap_weights(name) if c.swapped else name


def read(name: str, convention: Convention | None = None) -> str:
    """A name as a reader typed it, in tutor's own order (the swap is its own inverse)."""
    return shown(name, convention)
