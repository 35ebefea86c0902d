"""HTML with MathML: the derivation as the web tutor shows it.

The layout is the shared document's (``DocPrinter``); this printer supplies HTML for the words
and MathML (``mathml.MathMLPrinter``) for the mathematics. A derivation for one parameter is
an ordered list of steps, ``<li class="step">``, one per part of the document (forward pass,
chain rule, local derivatives, …), so that a page can reveal them one at a time.

The shared layout writes a little linear mathematics of its own ("= ", " + ", "(" … ")"
between printed pieces) through ``glue``, which here makes it MathML operators and numbers.
"""

from __future__ import annotations

import functools

import html
import math
import re

from .. import conventions, i18n
from ..i18n import _
from ..steps import DeltaForm, Derivation, GradientDerivation, Partial
from .document import DocPrinter
from .exprs import MEMO_LIMIT, negative_term
from .mathml import LAYER, mathml

_STEP = "\x00step\x00"
# A row whose pieces show at most this many characters is one piece of mathematics; longer
# rows are pieces that wrap on a narrow screen.
ONE_LINE = 30
# Rows remembered by a printer (emptied when full, at exprs.MEMO_LIMIT), if their markup is at most ROW_KEPT
# characters: the rows printed again (a local derivative, a forward value, a δ) are short; a
# long one (a parameter's chain rule, hundreds of kilobytes) is its parameter's own.
ROW_KEPT = 1 << 12
# Characters in each piece of a page written as it is made (HtmlDocPrinter.chunks).
CHUNK = 1 << 20
_TAG = re.compile(r"(<[^>]+>)")
_LOOSE = re.compile(r"\d+(?:\.\d+)?|[A-Za-z][A-Za-z ]*[A-Za-z]|\S")


def _loose(text: str) -> str:
    out = []
    for t in _LOOSE.findall(text):
        if t[0].isdigit():
            out.append(f"<mn>{t}</mn>")
        elif t[0].isalpha():
            out.append(f"<mtext>{t}</mtext>")
        elif t in "()":
            # Loose brackets enclose no row of their own: let them not stretch to the height
            # of everything beside them.
            out.append(f'<mo stretchy="false">{t}</mo>')
        else:
            out.append(f"<mo>{'−' if t == '-' else t}</mo>")
    return "".join(out)


_glue = functools.lru_cache(maxsize=256)(_loose)


@functools.lru_cache(maxsize=1 << 14)
def _shown(m: str) -> int:
    # (the same pieces, a name or a partial, come back for every parameter)
    return len(_TAG.sub("", m))


def _visible(m: str, limit: int) -> int:
    """How many characters a piece of MathML shows; beyond ``limit``, some number above it
    (a long piece is read only as far as needed: its token elements counted, each showing a
    character at least, before its characters are)."""
    n = 8 * limit
    while len(m) > n:
        end = m.rfind(">", 0, n) + 1
        tokens = m.count("</mi>", 0, end) + m.count("</mn>", 0, end) + m.count("</mo>", 0, end)
        if tokens > limit:
            return tokens
        n *= 4
    return _shown(m)


def _short(pieces) -> bool:
    """Whether a row's pieces show at most ONE_LINE characters in all."""
    total = 0
    for p in pieces:
        total += _visible(p, ONE_LINE)
        if total > ONE_LINE:
            return False
    return True


_EQUALS = _loose("=")


def _mi(s: str) -> str:
    return f"<mi>{s}</mi>"


def _layered(base: str, layer, sub: str = "", transpose: bool = False) -> str:
    """base with superscript (layer) (and ᵀ), and a subscript."""
    sup = f"<mn>{LAYER.format(layer)}</mn>"
    if transpose:
        sup = f"<mrow>{sup}<mi>T</mi></mrow>"
    if sub:
        return f"<msubsup><mi>{base}</mi><mi>{sub}</mi>{sup}</msubsup>"
    return f"<msup><mi>{base}</mi>{sup}</msup>"


def _frac(top: str, bottom: str) -> str:
    return f"<mfrac><mrow>{top}</mrow><mrow>{bottom}</mrow></mfrac>"


_SUM_N = "<munder><mo>∑</mo><mi>n</mi></munder>"
_MEAN = _frac("<mn>1</mn>", "<mi>N</mi>") + _SUM_N


class _Pieces(list):
    """A parameter's section as the pieces of its markup, joined once with the whole page
    (or by ``doprint``, printed alone)."""


class HtmlDocPrinter(DocPrinter):
    """Settings: ``fragment`` (a whole derivation as an ``<article>`` only, not a page)."""

    _default_settings = {**DocPrinter._default_settings, "fragment": False}

    def expr(self, e) -> str:
        return mathml(e)

    def terms(self, e) -> list[str]:
        if not e.is_Add:
            return [mathml(e)]
        out = []
        for t in e.args:
            neg = negative_term(t)
            body = mathml(-t) if neg else mathml(t)
            if neg and (-t).is_Add:
                body = self.paren(body)
            sign = "<mo>−</mo>" if neg else ("<mo>+</mo>" if out else "")
            out.append(sign + body)
        return out

    def partial(self, p: Partial, sample: int | None = None, inline: bool = False) -> str:
        of = self.expr(p.of)
        if sample is not None:
            of = f"<msub>{of}<mn>{sample}</mn></msub>"
        if inline:
            return (f'<mrow><mo>∂</mo>{of}<mo lspace="0" rspace="0">/</mo><mo>∂</mo>'
                    f"{self.expr(p.wrt)}</mrow>")
        return _frac(f"<mo>∂</mo>{of}", f"<mo>∂</mo>{self.expr(p.wrt)}")

    def op(self, name: str) -> str:
        return {"to": "<mo>→</mo>", "cdot": "<mo>·</mo>", "L": _mi("L"), "ell": _mi("ℓ"),
                "batch_loss": _MEAN + "<msub><mi>ℓ</mi><mi>n</mi></msub>"}[name]

    def one_over(self, n: int) -> str:
        return _frac("<mn>1</mn>", f"<mn>{n}</mn>")

    def batch_mean(self, p: str) -> str:
        return _MEAN + _frac("<mo>∂</mo><msub><mi>ℓ</mi><mi>n</mi></msub>", f"<mo>∂</mo>{p}")

    def matrix_form(self, d: DeltaForm) -> str:
        l = d.layer
        kind = "W" if d.kind == "W" else "b"
        rows = conventions.current().swapped     # row vectors, x W + b
        grad = _frac("<mo>∂</mo><mi>L</mi>", "<mo>∂</mo>" + _layered(kind, l)) + "<mo>=</mo>" \
            + _MEAN
        if kind == "W" and rows:
            grad += (_layered("a", l - 1, "n", transpose=True) + "<mo>\u2062</mo>"
                     + _layered("δ", l, "n"))
        elif kind == "W":
            grad += (_layered("δ", l, "n") + "<mo>\u2062</mo>"
                     + _layered("a", l - 1, "n", transpose=True))
        else:
            grad += _layered("δ", l, "n")
        if rows:
            # as the book computes it: the batch's rows stacked, the 1/N inside Δ
            grad += "<mo>=</mo>" + (
                _layered("A", l - 1, transpose=True) + "<mo>\u2062</mo>" + _layered("Δ", l)
                if kind == "W" else _SUM_N + _layered("Δ", l, "n"))
            grad += ("<mo>,</mo><mspace width=\"0.5em\"/>" + _layered("Δ", l, "n") + "<mo>=</mo>"
                     + _layered("δ", l, "n") + '<mo lspace="0" rspace="0">/</mo><mi>N</mi>')
        head = _layered("δ", l) + "<mo>=</mo>"
        if l == d.layers:
            head += _frac("<mo>∂</mo><mi>ℓ</mi>", "<mo>∂</mo>" + _layered("z", l))
        else:
            inner = (_layered("δ", l + 1) + _layered("W", l + 1, transpose=True) if rows else
                     _layered("W", l + 1, transpose=True) + _layered("δ", l + 1))
            head += ('<mrow><mo stretchy="false">(</mo>' + inner
                     + '<mo stretchy="false">)</mo></mrow><mo>⊙</mo>'
                     + '<msup><mi>f</mi><mo>′</mo></msup><mrow><mo stretchy="false">(</mo>'
                     + _layered("z", l) + '<mo stretchy="false">)</mo></mrow>')
        return head + "<mo>,</mo><mspace width=\"1em\"/>" + grad

    def heading(self, level: int, content: str) -> str:
        h = f"<h{level + 1}>{content}</h{level + 1}>"
        return _STEP + h if level == 3 else h

    def para(self, content: str) -> str:
        return f"<p>{content}</p>"

    def label(self, words: str) -> str:
        return f'<mtext>{words}</mtext><mspace width="0.4em"/>'

    def rows(self, rows) -> str:
        if not rows:
            return ""
        # A derivation prints the same rows (a local derivative, a forward value, a δ) for
        # every parameter whose paths cross them: each row's markup is made once.
        cache = self.__dict__.setdefault("_printed_rows", {})
        if len(cache) >= MEMO_LIMIT:
            cache.clear()
        out = ['<div class="eqs">']
        for row in rows:
            lhs, rhs, note = row
            key = (lhs, tuple(rhs), note) if isinstance(rhs, list) else row
            line = cache.get(key)
            if line is None:
                line = self._row(lhs, rhs, note)
                if len(line) <= ROW_KEPT:
                    cache[key] = line
            out.append(line)
        out.append("</div>")
        return "".join(out)

    def _row(self, lhs: str, rhs, note) -> str:
        pieces = rhs if isinstance(rhs, list) else [rhs]
        if len(pieces) > 1 and _short(pieces):
            pieces = ["".join(pieces)]   # short: one piece of mathematics, evenly spaced
        # (joined once: a row of a long chain rule holds tens of kilobytes)
        out = ['<div class="eq"><math>', lhs, _EQUALS, pieces[0]] if lhs else \
            ['<div class="eq"><math>', pieces[0]]
        for p in pieces[1:]:
            # a continuation line's leading = + − spaced as between two operands, which it is
            if p.startswith("<mo>"):
                out += ['</math><math><mo form="infix">', p[4:]]
            else:
                out += ["</math><math>", p]
        out.append("</math>")
        if note:
            out += ['<span class="note">', self.note(note), "</span>"]
        out.append("</div>")
        return "".join(out)

    def words(self, s: str) -> str:
        return html.escape(s, quote=False)

    def glue(self, s: str) -> str:
        return _glue(s)

    def math_words(self, s: str) -> str:
        return f"<mtext>{html.escape(s, quote=False)}</mtext>"

    def graph_picture(self, d) -> str:
        from .graphpic import svg
        return f'<figure class="graph">{svg(d)}</figure>'

    def table(self, header, rows, names: int = 1) -> str:
        head = "".join(f'<th scope="col">{c}</th>' for c in header)
        body = "".join("<tr>" + f'<th scope="row">{r[0]}</th>'
                       + "".join(f"<td>{c}</td>" for c in r[1:]) + "</tr>" for r in rows)
        return (f'<table class="summary"><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")

    def inline(self, math_: str) -> str:
        return f"<math>{math_}</math>"

    def mark(self, ok: bool | None) -> str:
        if ok is None:
            kind, title, sign = "na", _("not applicable"), "–"
        elif ok:
            kind, title, sign = "ok", _("verified"), "✓"
        else:
            kind, title, sign = "bad", _("disagrees"), "✗"
        return f'<span class="{kind}" title="{html.escape(title)}">{sign}</span>'

    def num(self, x: float, digits: int | None = None) -> str:
        if x == 0:
            return "<mn>0</mn>"
        if not math.isfinite(x):
            return self.math_words(_("undefined (a sigmoid output rounds to 0 or 1)"))
        return super().num(x, digits)

    def minus(self, s: str) -> str:
        if s.startswith("-"):
            return f"<mrow><mo>−</mo><mn>{s[1:]}</mn></mrow>"
        return f"<mn>{s}</mn>"

    def sci(self, s: str) -> str:
        m, e = s.split("e")
        return (f"<mrow>{self.minus(m)}<mo>·</mo><msup><mn>10</mn>{self.minus(str(int(e)))}"
                "</msup></mrow>")

    def paren(self, s: str) -> str:
        attrs = "" if "<mfrac" in s else ' stretchy="false"'
        return f"<mrow><mo{attrs}>(</mo>{s}<mo{attrs}>)</mo></mrow>"

    def doprint(self, obj) -> str:
        out = super().doprint(obj)
        return "".join(out) if isinstance(out, _Pieces) else out

    def document(self, title: str, body: list[str]) -> str:
        # (one join: a large derivation's page is tens of megabytes; its sections come as
        # their pieces, joined here only)
        return "".join(self._page(title, body))

    def chunks(self, obj, size: int = CHUNK):
        """The document of ``obj`` in consecutive pieces of about ``size`` characters, made as
        they are written: a whole derivation's page (tens of megabytes) is never held whole.
        Joined, they are ``doprint(obj)``."""
        if not isinstance(obj, Derivation):
            yield self.doprint(obj)
            return
        block: list[str] = []
        held = 0
        for piece in self._page(obj.problem.name, self._derivation_parts(obj)):
            block.append(piece)
            held += len(piece)
            if held >= size:
                yield "".join(block)
                block, held = [], 0
        if block:
            yield "".join(block)

    def _page(self, title: str, body):
        """The page's pieces, in order, its sections' own pieces among them."""
        if not self._settings["fragment"]:
            # A page that stands alone: the web tutor's stylesheet inline, nothing loaded.
            from importlib import resources
            css = resources.files("tutor.web").joinpath("static", "tutor.css").read_text("utf-8")
            yield (f'<!doctype html>\n<html lang="{i18n.current()}">\n<head>\n'
                   '<meta charset="utf-8">\n'
                   '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
                   f"<title>{self.words(title)}</title>\n<style>\n{css}</style>\n</head>\n"
                   "<body>\n<main>\n")
        yield f'<article id="derivation"><h1>{self.words(title)}</h1>'
        for part in body:
            if isinstance(part, _Pieces):
                yield from part
            else:
                yield part
        yield "</article>"
        yield "\n" if self._settings["fragment"] else "\n</main>\n</body>\n</html>\n"

    def _section(self, parts: list[str]) -> str | _Pieces:
        """Its heading, then an ordered list of steps, one per part of the derivation: a step
        begins at a part that begins with a level-3 heading (DocPrinter gives each such
        heading a part of its own or puts it first in one). The steps' markup comes as its
        pieces, joined with the page (or by ``doprint``)."""
        head: list[str] = []
        steps: list[list[str]] = []
        for k, part in enumerate(parts):
            if k:       # (the line break closes what came before)
                (steps[-1] if steps else head).append("\n")
            if part.startswith(_STEP):
                steps.append([part[len(_STEP):]])
            else:
                (steps[-1] if steps else head).append(part)
        if not steps:
            return "".join(head)
        out = _Pieces(head)
        out.append('<ol class="steps">')
        for step in steps:
            out += ['<li class="step">', *step, "</li>"]
        out.append("</ol>")
        return out


def html_derivation(obj, **settings) -> str:
    """The HTML of a derivation; of one parameter's, its heading and its list of steps."""
    return HtmlDocPrinter(**settings).doprint(obj)
