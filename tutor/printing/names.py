"""Symbol names in every notation.

The model's symbols carry the ASCII names used in files and commands; this module reads such a
name into its parts (base letter, layer, indices) so each printer can write it its own way:
``W1[2,1]`` is w⁽¹⁾₂₁ in text and ``w^{(1)}_{21}`` in LaTeX. Indices of 10 or more are
separated by commas (w⁽¹⁾₁₀,₂) so that they stay unambiguous.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
_SUB = str.maketrans("0123456789ijkmn", "₀₁₂₃₄₅₆₇₈₉ᵢⱼₖₘₙ")

_NAME = re.compile(
    r"^(?P<base>W|b|z|a|delta)(?P<layer>\d+)\[(?P<i>\d+)(?:,(?P<j>\d+))?\]$"
    r"|^(?P<vec>x|y|yhat)(?P<k>\d*)$"
    r"|^(?P<gen>[a-zA-Z]+)_(?P<sub>[a-z]+)$"
)

# base -> (text, LaTeX)
_BASES = {
    "W": ("w", "w"), "b": ("b", "b"), "z": ("z", "z"), "a": ("a", "a"),
    "delta": ("δ", r"\delta"), "x": ("x", "x"), "y": ("y", "y"),
    "yhat": ("ŷ", r"\hat{y}"), "ell": ("ℓ", r"\ell"), "L": ("L", "L"),
    "w": ("w", "w"), "K": ("K", "K"),
}


@dataclass(frozen=True)
class NameParts:
    base: str
    layer: str | None
    indices: tuple[str, ...]


def parts(name: str) -> NameParts | None:
    m = _NAME.match(name)
    if not m:
        return None
    if m.group("base"):
        idx = (m.group("i"),) + ((m.group("j"),) if m.group("j") else ())
        return NameParts(m.group("base"), m.group("layer"), idx)
    if m.group("vec"):
        return NameParts(m.group("vec"), None, (m.group("k"),) if m.group("k") else ())
    return NameParts(m.group("gen"), None, tuple(m.group("sub")))


def _joined(indices: tuple[str, ...]) -> tuple[str, ...]:
    return indices if all(len(i) == 1 for i in indices) else indices


def text_name(name: str) -> str:
    """'W1[2,1]' -> 'w⁽¹⁾₂₁'; names it does not know are returned as they are."""
    p = parts(name)
    if p is None:
        return _BASES.get(name, (name,))[0]
    base = _BASES.get(p.base, (p.base,))[0]
    sup = f"({p.layer})".translate(_SUP) if p.layer else ""
    sep = "" if all(len(i) == 1 for i in p.indices) else ","
    sub = sep.join(p.indices).translate(_SUB)
    return base + sup + sub


def latex_name(name: str) -> str:
    """'W1[2,1]' -> 'w^{(1)}_{21}'."""
    p = parts(name)
    if p is None:
        return _BASES.get(name, (None, name))[1]
    base = _BASES.get(p.base, (p.base, p.base))[1]
    sup = f"^{{({p.layer})}}" if p.layer else ""
    sep = "" if all(len(i) == 1 for i in p.indices) else ","
    sub = f"_{{{sep.join(p.indices)}}}" if p.indices else ""
    return base + sup + sub
