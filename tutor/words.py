"""Messages as data: an English sentence with named slots, the slots filled with mathematics.

The grader does not write "the activation's derivative ∂a⁽¹⁾₂/∂z⁽¹⁾₂ = … is missing" in one
printer's letters; it says ``Words("the activation's derivative {d} is missing", d=eq(...))``
with SymPy objects in the slots, and each printer renders them in its own form: Unicode text
for the terminal, MathML for the web page, LaTeX for documents. The template, with its slots
in place, is the message's identity for programs and for a translation catalog.
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Formatter


@dataclass(frozen=True)
class Joined:
    """Mathematics written as parts with a separator between them: a route z → a → ℓ,
    a chain of factors ∂ℓ/∂ŷ · ∂ŷ/∂z, an equation lhs = rhs. Every expression printer
    prints it (``_print_Joined``)."""

    parts: tuple
    sep: str


def eq(*parts) -> Joined:
    """lhs = rhs (= …)."""
    return Joined(tuple(parts), "=")


def route(nodes) -> Joined:
    """A path through the graph: z⁽¹⁾₂ → a⁽¹⁾₂ → ℓ."""
    return Joined(tuple(nodes), "→")


def chain(factors) -> Joined:
    """Factors written out as a product, unevaluated: ∂ℓ/∂ŷ · ∂ŷ/∂z."""
    return Joined(tuple(factors), "·")


class Words:
    """A sentence: ``template`` (English, ``{name}`` and ``{name:.4g}`` slots, as in
    ``str.format``) and the value of each slot: a SymPy object or ``Joined`` (mathematics,
    rendered by the printer), or a number or text (formatted with the slot's spec)."""

    __slots__ = ("template", "slots", "capital")

    def __init__(self, template: str, *, _capital: bool = False, **slots):
        names = {f for _, f, _, _ in Formatter().parse(template) if f is not None}
        if names != set(slots):
            raise TypeError(f"slots {sorted(slots)} do not fill {template!r}")
        object.__setattr__(self, "template", template)
        object.__setattr__(self, "slots", slots)
        object.__setattr__(self, "capital", _capital)

    def __setattr__(self, name, value):
        raise AttributeError("Words are immutable")

    def __reduce__(self):          # (pickled to and from worker processes)
        return (_words, (self.template, self.slots, self.capital))

    @classmethod
    def plain(cls, s: str) -> Words:
        """Text without slots (its braces are text)."""
        return cls(s.replace("{", "{{").replace("}", "}}"))

    def parts(self, template: str | None = None):
        """(literal text, slot value or None, format spec) in order; of ``template`` (a
        translation of this one, with the same slots) if given. Starting a sentence, the
        first letter is capitalised when the sentence begins with a word, not with
        mathematics (z⁽¹⁾₃ keeps its letters)."""
        t = self.template if template is None else template
        if self.capital:
            first = t.split(" ", 1)[0]
            if first.isascii() and first.isalpha():
                t = t[0].upper() + t[1:]
        for literal, name, spec, _ in Formatter().parse(t):
            yield literal, (self.slots[name] if name is not None else None), spec or ""

    def capitalised(self) -> Words:
        """The same words as the start of a sentence (the message, and its id in a
        translation catalog, unchanged)."""
        return Words(self.template, _capital=True, **self.slots)

    def __eq__(self, other):
        return (isinstance(other, Words) and self.template == other.template
                and self.slots == other.slots and self.capital == other.capital)

    def __hash__(self):
        return hash(self.template)

    def __str__(self) -> str:
        if all(isinstance(v, (int, float, str, Words)) for v in self.slots.values()):
            # (no mathematics: formatted without importing the printers, or SymPy)
            return "".join(lit + ("" if v is None else format(v, spec))
                           for lit, v, spec in self.parts())
        from .printing.words import text
        return text(self)

    def __repr__(self) -> str:
        return f"Words({self.template!r}, {self.slots!r})"


def _words(template: str, slots: dict, capital: bool = False) -> Words:
    return Words(template, _capital=capital, **slots)
