"""Symbol names in every notation.

The model's symbols carry the ASCII names used in files and commands; this module reads such a
name into its parts (base letter, layer, indices) so each printer can write it its own way:
``W1[2,1]`` is w⁽¹⁾₂₁ in text and ``w^{(1)}_{21}`` in LaTeX. Indices of 10 or more are
separated by commas (w⁽¹⁾₁₀,₂) so that they stay unambiguous.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from .. import conventions
from ..names import Name

_SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
_SUB = str.maketrans("0123456789ijkmn", "₀₁₂₃₄₅₆₇₈₉ᵢⱼₖₘₙ")

# The generic names of rules (w_ji, a_i, z_m): a letter and letter indices.
_GENERIC = re.compile(r"^(?P<gen>[a-zA-Z]+)_(?P<sub>[a-z]+)$")

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
    """A quantity's name (tutor.names.Name) or a rule's generic name, as strings to print:
    a weight's indices in the order of the current convention (tutor.conventions: w⁽¹⁾₂₁ is
    w⁽¹⁾₁₂ in dlfs, the rule's w_ji is w_ij)."""
    return _parts(name, conventions.current().swapped)


@functools.lru_cache(maxsize=1 << 16)
def _parts(name: str, swapped: bool) -> NameParts | None:
    n = Name.parse(name)
    if n is not None and n.kind != "ell":
        indices = tuple(map(str, n.indices))
        if swapped and n.kind == "W":
            indices = indices[::-1]
        return NameParts(n.kind, None if n.layer is None else str(n.layer), indices)
    m = _GENERIC.match(name)
    if not m:
        return None
    indices = tuple(m.group("sub"))
    if swapped and m.group("gen") == "w" and len(indices) == 2:
        indices = indices[::-1]
    return NameParts(m.group("gen"), None, indices)


def _joined(indices: tuple[str, ...]) -> tuple[str, ...]:
    return indices if all(len(i) == 1 for i in indices) else indices


def text_name(name: str) -> str:
    """'W1[2,1]' -> 'w⁽¹⁾₂₁' (w⁽¹⁾₁₂ in dlfs); names it does not know are returned as they
    are."""
    return _text_name(name, conventions.current().swapped)


@functools.lru_cache(maxsize=1 << 16)
def _text_name(name: str, swapped: bool) -> str:
    p = _parts(name, swapped)
    if p is None:
        return _BASES.get(name, (name,))[0]
    base = _BASES.get(p.base, (p.base,))[0]
    sup = f"({p.layer})".translate(_SUP) if p.layer else ""
    sep = "" if all(len(i) == 1 for i in p.indices) else ","
    sub = sep.join(p.indices).translate(_SUB)
    return base + sup + sub


def latex_name(name: str) -> str:
    """'W1[2,1]' -> 'w^{(1)}_{21}' (w^{(1)}_{12} in dlfs)."""
    return _latex_name(name, conventions.current().swapped)


@functools.lru_cache(maxsize=1 << 16)
def _latex_name(name: str, swapped: bool) -> str:
    p = _parts(name, swapped)
    if p is None:
        return _BASES.get(name, (None, name))[1]
    base = _BASES.get(p.base, (p.base, p.base))[1]
    sup = f"^{{({p.layer})}}" if p.layer else ""
    sep = "" if all(len(i) == 1 for i in p.indices) else ","
    sub = f"_{{{sep.join(p.indices)}}}" if p.indices else ""
    return base + sup + sub
