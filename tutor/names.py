"""Names of a network's quantities: one type, one parser, for every module.

A ``Name`` is a kind, a layer and 1-based indices: ``W1[2,1]`` is Name("W", 1, (2, 1)), the
weight into neuron 2 of layer 1 from input 1; ``delta2[1]`` is Name("delta", 2, (1,)); ``x2`` is
Name("x", None, (2,)); ``yhat`` is Name("yhat"). Files, commands and the model's SymPy symbols
carry the ASCII form (``str(name)``); the printers write the same name their own way (w⁽¹⁾₂₁,
w^{(1)}_{21}) from its parts. Needs neither NumPy nor SymPy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Quantities of a layer (with a layer and indices), and of the network's ends.
LAYERED = ("W", "b", "z", "a", "delta")
ENDS = ("x", "y", "yhat")

_LAYERED = re.compile(r"(W|w|b|z|a|delta)(\d+)\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\]")
_ENDS = re.compile(r"(x|y|yhat)(\d*)")


@dataclass(frozen=True, order=True)
class Name:
    """kind: W, b, z, a, delta, x, y, yhat or ell; layer: 1-based, None for x, y, ŷ and ℓ;
    indices: 1-based (W: neuron j, input i; the others: neuron or output k)."""

    kind: str
    layer: int | None = None
    indices: tuple[int, ...] = ()

    @classmethod
    def parse(cls, text: str) -> "Name | None":
        """The Name of an ASCII spelling (``W1[2,1]``, ``w1[2,1]``, ``b1[2]``, ``z1[2]``,
        ``a1[2]``, ``delta1[2]``, ``x1``, ``y``, ``y2``, ``yhat``, ``yhat2``, ``ell``), or None.
        It does not check that the network has it."""
        text = text.strip()
        if text == "ell":
            return cls("ell")
        m = _LAYERED.fullmatch(text)
        if m:
            kind = "W" if m[1] == "w" else m[1]
            idx = (int(m[3]),) + ((int(m[4]),) if m[4] else ())
            if (len(idx) == 2) != (kind == "W"):
                return None
            return cls(kind, int(m[2]), idx)
        m = _ENDS.fullmatch(text)
        if m:
            return cls(m[1], None, (int(m[2]),) if m[2] else ())
        return None

    @property
    def is_param(self) -> bool:
        return self.kind in ("W", "b")

    def __str__(self) -> str:
        """The ASCII form of files and commands: W1[2,1], delta1[2], yhat2, ell."""
        if self.layer is not None:
            return f"{self.kind}{self.layer}[{','.join(map(str, self.indices))}]"
        return self.kind + "".join(map(str, self.indices))
