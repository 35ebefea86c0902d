"""Unicode text for a terminal: w⁽¹⁾₂₁, σ, ∂, ŷ, aligned equations; ANSI colour on request."""

from __future__ import annotations

import re

import sympy as sp

from .. import conventions
from ..steps import DeltaForm, Partial
from . import exprs
from .columns import width
from .document import DocPrinter

_BOLD, _DIM, _GREEN, _RED, _YELLOW, _RESET = ("\x1b[1m", "\x1b[2m", "\x1b[32m", "\x1b[31m",
                                              "\x1b[33m", "\x1b[0m")
_SUB = str.maketrans("0123456789n", "₀₁₂₃₄₅₆₇₈₉ₙ")
_SUP = str.maketrans("0123456789()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾")
# Long equations are broken between the pieces of their right-hand side to fit this width.
LINE_WIDTH = 100
# The widest equation whose note is lined up with the others.
NOTE_COLUMN = 40


_columns = width     # (under another name where a local variable is called width)


def _pad(s: str, n: int) -> str:
    """``s`` padded with spaces to ``n`` columns (ljust by terminal columns)."""
    return s + " " * (n - width(s))


def _visible(s: str) -> int:
    """The width of ``s`` on a terminal, without its colour escapes."""
    return width(_ESCAPE.sub("", s))


_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


def fill(pieces: list[str], width: int) -> list[str]:
    """Pieces joined by spaces into lines of at most ``width`` characters (a longer piece
    stands on a line of its own)."""
    lines: list[str] = []
    used = 0        # (the last line's columns: a line's width is the sum of its pieces')
    for piece in pieces:
        columns = _columns(piece)
        if lines and used + 1 + columns <= width:
            lines[-1] += " " + piece
            used += 1 + columns
        else:
            lines.append(piece)
            used = columns
    return lines or [""]


class TextDocPrinter(DocPrinter):
    """Settings: ``color`` (ANSI escapes), ``digits`` (significant digits of numbers)."""

    _default_settings = {**DocPrinter._default_settings, "color": False}

    def style(self, s: str, code: str) -> str:
        return f"{code}{s}{_RESET}" if self._settings["color"] and s else s

    def expr(self, e) -> str:
        return exprs.text(e)

    def terms(self, e) -> list[str]:
        if not isinstance(e, sp.Add):
            return [self.expr(e)]
        out = []
        for k, t in enumerate(e.args):
            s = self.expr(t)
            if k == 0:
                out.append(s)
            elif s.startswith("−"):
                out.append("− " + s[1:])
            else:
                out.append("+ " + s)
        return out

    def partial(self, p: Partial, sample: int | None = None, inline: bool = False) -> str:
        of = self.expr(p.of)
        if sample is not None:
            of += str(sample).translate(_SUB)
        return f"∂{of}/∂{self.expr(p.wrt)}"

    def op(self, name: str) -> str:
        return {"to": "→", "cdot": "·", "L": "L", "ell": "ℓ",
                "batch_loss": "(1/N) Σₙ ℓₙ"}[name]

    def one_over(self, n: int) -> str:
        return f"(1/{n})"

    def batch_mean(self, p: str) -> str:
        return f"(1/N) Σₙ ∂ℓₙ/∂{p}"

    def matrix_form(self, d: DeltaForm) -> str:
        l = d.layer
        sup = lambda k: f"({k})".translate(_SUP)
        rows = conventions.current().swapped     # row vectors, x W + b
        grad = ((f"∂L/∂W{sup(l)} = (1/N) Σₙ a{sup(l - 1)}ₙᵀ δ{sup(l)}ₙ" if rows else
                 f"∂L/∂W{sup(l)} = (1/N) Σₙ δ{sup(l)}ₙ a{sup(l - 1)}ₙᵀ") if d.kind == "W"
                else f"∂L/∂b{sup(l)} = (1/N) Σₙ δ{sup(l)}ₙ")
        if rows:
            # as the book computes it: the batch's rows stacked, the 1/N inside Δ (its
            # SoftmaxWithLoss divides by the batch size once, at the output)
            grad += (f" = A{sup(l - 1)}ᵀ Δ{sup(l)}" if d.kind == "W" else
                     f" = Σₙ Δ{sup(l)}ₙ") + f", Δ{sup(l)}ₙ = δ{sup(l)}ₙ/N"
        if l == d.layers:
            return f"δ{sup(l)} = ∂ℓ/∂z{sup(l)}, {grad}"
        if rows:
            return f"δ{sup(l)} = (δ{sup(l + 1)} W{sup(l + 1)}ᵀ) ⊙ f′(z{sup(l)}), {grad}"
        return f"δ{sup(l)} = (W{sup(l + 1)}ᵀ δ{sup(l + 1)}) ⊙ f′(z{sup(l)}), {grad}"

    def heading(self, level: int, content: str) -> str:
        if level <= 2:
            bar = "━" * 3
            return "\n" + self.style(f"{bar} {content} {bar}", _BOLD)
        return self.style(content, _BOLD)

    def para(self, content: str) -> str:
        return "  " + content

    def rows(self, rows) -> str:
        if not rows:
            return ""
        width = max(_columns(lhs) for lhs, _, _ in rows)
        split = []
        for lhs, rhs, note in rows:
            parts = rhs if isinstance(rhs, list) else [rhs]
            split.append((lhs, fill(parts, LINE_WIDTH - width), note))
        # Notes line up in a column, unless an equation is too long for that to help.
        noted = [_columns(chunks[0]) for _, chunks, note in split if note]
        column = min(max(noted, default=0), NOTE_COLUMN)
        lines = []
        for lhs, chunks, note in split:
            eq = "=" if lhs else " "
            first = f"  {_pad(lhs, width)} {eq} " if width else "  "
            first += _pad(chunks[0], column) if note else chunks[0]
            lines.append(first + (f"   {self.note(note)}" if note else ""))
            indent = " " * (width + 5) if width else "    "
            lines += [indent + c for c in chunks[1:]]
        return "\n".join(lines)

    def words(self, s: str) -> str:
        return s

    def inline(self, math_: str) -> str:
        return math_

    def minus(self, s: str) -> str:
        return s.replace("-", "−")

    def sci(self, s: str) -> str:
        m, e = s.split("e")
        return f"{m}·10{str(int(e)).translate(str.maketrans('-0123456789', '⁻⁰¹²³⁴⁵⁶⁷⁸⁹'))}".replace(
            "-", "−")

    def note(self, segments) -> str:
        return "".join(self.style(s, _DIM) if kind != "mark" else self.mark(s)
                       for kind, s in segments)

    def table(self, header, rows, names: int = 1) -> str:
        cells = [header] + rows
        widths = [max(_visible(r[c]) for r in cells) for c in range(len(header))]

        def line(r):
            pad = [" " * (w - _visible(c)) for c, w in zip(r, widths)]
            return "  " + "  ".join(c + p if k < names else p + c
                                    for k, (c, p) in enumerate(zip(r, pad)))
        rule = "  " + "  ".join("─" * w for w in widths)
        return "\n".join([line(header), rule] + [line(r) for r in rows])

    def mark(self, ok: bool | None) -> str:
        if ok is None:
            return self.style("–", _YELLOW)
        return self.style("✓", _GREEN) if ok else self.style("✗", _RED)

    def document(self, title: str, body: list[str]) -> str:
        return self.style(title, _BOLD) + "\n" + "\n".join(body) + "\n"
