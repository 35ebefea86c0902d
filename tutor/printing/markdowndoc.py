"""Markdown with ``$$`` display mathematics, as GitHub and Jupyter render it.

The mathematics is the LaTeX printer's; only the layout differs: headings are ``#``, blocks of
equations are ``$$\\begin{aligned} … \\end{aligned}$$``, text is escaped for Markdown.
"""

from __future__ import annotations

import re

from .latexdoc import SOURCE_WIDTH, LatexDocPrinter, tex_note
from .terminal import fill

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|$~-])")
_TEXT_BREAKERS = str.maketrans("", "", "{}\\$")


class MarkdownDocPrinter(LatexDocPrinter):
    _default_settings = {**LatexDocPrinter._default_settings}

    def heading(self, level: int, content: str) -> str:
        return "\n" + "#" * min(level + 1, 6) + " " + content + "\n"

    def para(self, content: str) -> str:
        return content + "\n"

    def label(self, words: str) -> str:
        return rf"\text{{{words}}}"

    def rows(self, rows) -> str:
        if not rows:
            return ""
        lines = []
        for lhs, rhs, note in rows:
            parts = rhs if isinstance(rhs, list) else [rhs]
            chunks = fill(parts, SOURCE_WIDTH)
            line = f"{lhs} &= {chunks[0]}" if lhs else f"& {chunks[0]}"
            for c in chunks[1:]:
                line += f" \\\\\n&\\quad {c}"
            if note:
                line += rf" && \text{{{tex_note(note)}}}"
            lines.append(line)
        return "$$\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n$$\n"

    def words(self, s: str) -> str:
        return _MD_SPECIAL.sub(r"\\\1", s.replace("\n", " "))

    def math_words(self, s: str) -> str:
        # (MathJax and KaTeX show \text{}'s characters as they are, Unicode included, but
        # know no text-mode commands: nothing to escape but what would end the group)
        return r"\text{" + s.translate(_TEXT_BREAKERS) + "}"

    def table(self, header, rows, names: int = 1) -> str:
        line = lambda r: "| " + " | ".join(c.replace("|", "\\|") for c in r) + " |"
        rule = "|" + "|".join([" --- "] * names + [" ---: "] * (len(header) - names)) + "|"
        return "\n".join([line(header), rule] + [line(r) for r in rows]) + "\n"

    def graph_picture(self, d) -> str:
        from .graphpic import text
        return "```\n" + text(d) + "\n```\n"

    def inline(self, math_: str) -> str:
        return f"${math_}$"

    def document(self, title: str, body: list[str]) -> str:
        return f"# {self.words(title)}\n\n" + "\n".join(body) + "\n"
