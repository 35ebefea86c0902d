"""LaTeX: a complete amsmath document that compiles with pdflatex, or a fragment of it.

Every piece of text from a problem file goes through ``escape``: TeX's special characters are
printed literally, so a title such as ``\\input{/etc/passwd}`` is only ever text.
"""

from __future__ import annotations

import re

import sympy as sp

from .. import conventions
from ..steps import DeltaForm, Partial
from . import exprs
from .document import DocPrinter
from .terminal import fill

# Long equations are broken between pieces of their right-hand side so that each line of
# LaTeX source stays within this many characters (about a printed line of mathematics).
SOURCE_WIDTH = 160

_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\_", "^": r"\textasciicircum{}", "~": r"\textasciitilde{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}",
}
# Characters of tutor's own words that pdflatex's default fonts lack, and their replacements.
_UNICODE = {"—": "---", "–": "--", "≤": r"$\leq$", "±": r"$\pm$", "∘": r"$\circ$",
            "✓": r"$\checkmark$", "✗": r"$\times$", "−": "-", "…": r"\dots{}",
            "≥": r"$\geq$", "′": "'", "∂": r"$\partial$", "ℓ": r"$\ell$", "·": r"$\cdot$",
            "×": r"$\times$", "→": r"$\to$", "²": r"$^2$", "³": r"$^3$", "ŷ": r"$\hat{y}$",
            "∑": r"$\sum$", "Σ": r"$\Sigma$", "⊙": r"$\odot$", "∞": r"$\infty$",
            "ₙ": r"$_n$", "ₖ": r"$_k$", "ₘ": r"$_m$", "ᵢ": r"$_i$", "ⱼ": r"$_j$",
            "ˡ": r"$^l$", "⁽": r"$^($", "⁾": r"$^)$", "ᴸ": r"$^L$", "←": r"$\leftarrow$",
            "√": r"$\surd$", "≠": r"$\neq$"}


_LATIN_CAPITALS = {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H",
                   "Iota": "I", "Kappa": "K", "Mu": "M", "Nu": "N", "Rho": "P", "Tau": "T",
                   "Chi": "X"}


def _greek() -> dict[str, str]:
    """Greek letters in text (a problem's description: "with α = 0.5") as math letters; the
    capitals that look Latin (Α, Β, …) as those letters, which is all LaTeX has for them."""
    import unicodedata
    out = {}
    for code in list(range(0x3B1, 0x3CA)) + list(range(0x391, 0x3AA)):
        ch = chr(code)
        try:
            name = unicodedata.name(ch).split()[-1].lower()
        except ValueError:
            continue   # an unassigned code point between the capitals
        if name == "omicron" or code == 0x3C2:   # ο is o; ς is a final σ
            out[ch] = "o" if name == "omicron" else r"$\varsigma$"
            continue
        if code < 0x3B1:
            name = name.capitalize()
            out[ch] = _LATIN_CAPITALS.get(name) or f"$\\{name}$"
        else:
            out[ch] = f"$\\{name}$"
    return out


_UNICODE |= _greek()


_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def with_scripts(tex: str) -> str:
    """A whole document that compiles with pdfLaTeX whatever its script: Hangul (Korean
    messages, a problem's Korean title) brings in kotex, Debian's texlive-lang-korean, with
    its Type 1 fonts, whose text pdftotext reads back."""
    # (a document in ASCII, as every English one is, is known to be so at C speed)
    if not tex.isascii() and _HANGUL.search(tex) and r"\usepackage{kotex}" not in tex:
        tex = tex.replace(r"\usepackage[T1]{fontenc}",
                          r"\usepackage[T1]{fontenc}" + "\n" + r"\usepackage{kotex}", 1)
    return tex


def escape(s: str) -> str:
    """Plain text for LaTeX: specials escaped, characters outside printable ASCII and Hangul
    replaced so that pdflatex never fails on them."""
    out = []
    for ch in s:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ch == "\n":
            out.append(" ")
        elif 32 <= ord(ch) < 127 or _HANGUL.match(ch):
            out.append(ch)      # (Hangul: typeset by kotex, see with_scripts)
        elif ch.isprintable():
            out.append(f"\\symbol{{{ord(ch)}}}" if ord(ch) < 256 else "?")
        # other control characters are dropped
    return "".join(out)


def tex_note(segments) -> str:
    """A note for inside ``\\text{}``: words escaped, mathematics in $…$."""
    out = []
    for kind, s in segments:
        if kind == "words":
            out.append(escape(s))
        elif kind == "math":
            out.append(f"${s}$")
        else:
            out.append("--" if s is None else r"$\checkmark$" if s else r"$\times$ (FAILED)")
    return "".join(out)


def latex_expression(e) -> str:
    return exprs.tex(e)


class LatexDocPrinter(DocPrinter):
    """Settings: ``fragment`` (no preamble), ``digits``."""

    _default_settings = {**DocPrinter._default_settings, "fragment": False}

    def expr(self, e) -> str:
        return exprs.tex(e)

    def terms(self, e) -> list[str]:
        if not isinstance(e, sp.Add):
            return [self.expr(e)]
        out = []
        for k, t in enumerate(e.args):
            s = self.expr(t)
            out.append(s if k == 0 else (s if s.startswith("-") else "+ " + s))
        return out

    def partial(self, p: Partial, sample: int | None = None, inline: bool = False) -> str:
        of = self.expr(p.of) + (f"_{{{sample}}}" if sample is not None else "")
        if inline:
            return rf"\partial {of} / \partial {self.expr(p.wrt)}"
        return rf"\frac{{\partial {of}}}{{\partial {self.expr(p.wrt)}}}"

    def op(self, name: str) -> str:
        return {"to": r"\to", "cdot": r"\cdot", "L": "L", "ell": r"\ell",
                "batch_loss": r"\frac{1}{N} \sum_{n} \ell_{n}"}[name]

    def one_over(self, n: int) -> str:
        return rf"\tfrac{{1}}{{{n}}}"

    def batch_mean(self, p: str) -> str:
        return rf"\frac{{1}}{{N}} \sum_{{n}} \frac{{\partial \ell_{{n}}}}{{\partial {p}}}"

    def matrix_form(self, d: DeltaForm) -> str:
        l = d.layer
        rows = conventions.current().swapped     # row vectors, x W + b
        outer = (rf"a^{{({l - 1})\top}}_{{n}} \delta^{{({l})}}_{{n}}" if rows else
                 rf"\delta^{{({l})}}_{{n}} a^{{({l - 1})\top}}_{{n}}")
        grad = (rf"\frac{{\partial L}}{{\partial W^{{({l})}}}} = \frac{{1}}{{N}} \sum_{{n}} "
                + outer if d.kind == "W" else
                rf"\frac{{\partial L}}{{\partial b^{{({l})}}}} = \frac{{1}}{{N}} \sum_{{n}} "
                rf"\delta^{{({l})}}_{{n}}")
        if rows:
            # as the book computes it: the batch's rows stacked, the 1/N inside Δ
            grad += ((rf" = A^{{({l - 1})\top}} \Delta^{{({l})}}" if d.kind == "W" else
                      rf" = \sum_{{n}} \Delta^{{({l})}}_{{n}}")
                     + rf",\ \Delta^{{({l})}}_{{n}} = \delta^{{({l})}}_{{n}} / N")
        if l == d.layers:
            head = rf"\delta^{{({l})}} = \frac{{\partial \ell}}{{\partial z^{{({l})}}}}"
        elif rows:
            head = (rf"\delta^{{({l})}} = \left(\delta^{{({l + 1})}} W^{{({l + 1})\top}}\right)"
                    rf" \odot f'\left(z^{{({l})}}\right)")
        else:
            head = (rf"\delta^{{({l})}} = \left(W^{{({l + 1})\top}} \delta^{{({l + 1})}}\right)"
                    rf" \odot f'\left(z^{{({l})}}\right)")
        return head + ",\\quad " + grad

    def heading(self, level: int, content: str) -> str:
        cmd = {1: "section*", 2: "subsection*"}.get(level, "paragraph")
        return f"\\{cmd}{{{content}}}"

    def para(self, content: str) -> str:
        return content + "\n"

    def rows(self, rows) -> str:
        if not rows:
            return ""
        lines = []
        for lhs, rhs, note in rows:
            parts = rhs if isinstance(rhs, list) else [rhs]
            chunks = fill(parts, SOURCE_WIDTH)
            eq = "&=" if lhs else "&"
            line = f"{lhs} {eq} {chunks[0]}"
            for c in chunks[1:]:
                line += f" \\\\\n  &\\quad {c}"
            if note:
                line += f" && \\text{{{tex_note(note)}}}"
            lines.append("  " + line)
        return "\\begin{align*}\n" + " \\\\\n".join(lines) + "\n\\end{align*}"

    def words(self, s: str) -> str:
        return escape(s)

    def glue(self, s: str) -> str:
        return s.replace("…", r"\dots")        # (an abridged sum's + …)

    def math_words(self, s: str) -> str:
        return rf"\text{{{tex_note((('words', s),))}}}"

    def mark(self, ok: bool | None) -> str:
        return tex_note((("mark", ok),))

    def graph_picture(self, d) -> str:
        from .graphpic import tikz
        return tikz(d)

    def table(self, header, rows, names: int = 1) -> str:
        spec = "l" * names + "r" * (len(header) - names)
        lines = [" & ".join(header) + r" \\ \hline"] + [" & ".join(r) + r" \\" for r in rows]
        return ("\\begin{center}\n\\begin{tabular}{" + spec + "}\n" + "\n".join(lines)
                + "\n\\end{tabular}\n\\end{center}")

    def inline(self, math_: str) -> str:
        return f"${math_}$"

    def paren(self, s: str) -> str:
        return rf"\left({s}\right)"

    def label(self, words: str) -> str:
        return rf"\text{{{words}}}"

    def sci(self, s: str) -> str:
        m, e = s.split("e")
        return rf"{m} \cdot 10^{{{int(e)}}}"

    def document(self, title: str, body: list[str]) -> str:
        content = "\n".join(body)
        if self._settings["fragment"]:
            return content + "\n"
        return with_scripts("\n".join([
            r"\documentclass[11pt]{article}",
            r"\usepackage[T1]{fontenc}",
            r"\usepackage{amsmath,amssymb}",
            *([r"\usepackage{tikz}"] if r"\begin{tikzpicture}" in content else []),
            r"\usepackage[margin=2cm]{geometry}",
            r"\allowdisplaybreaks",
            r"\setlength{\parindent}{0pt}",
            rf"\title{{{escape(title)}}}",
            r"\date{}",
            r"\begin{document}",
            r"\maketitle",
            content,
            r"\end{document}",
            "",
        ]))
