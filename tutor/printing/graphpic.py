"""Pictures of a computational graph, drawn by tutor itself: the forward value above each wire
and its gradient below, as in CS231n's circuit diagrams. SVG for the web and HTML, TikZ for
LaTeX, and a list of wires for the terminal.

Each wire goes from a value to one of its uses; its gradient is that use's upstream × local,
so the wires leaving a value used several times show the terms its gradient adds up. The
layout: inputs in the first column, every gate one column right of its latest input, gates of
a column in the order the steps define them.
"""

from __future__ import annotations

from html import escape

from ..gates import GATES
from ..graph import GraphDerivation, Var
from . import exprs

SYMBOLS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "neg": "−1×", "pow": "^",
           "exp": "exp", "log": "ln", "sqrt": "√", "sin": "sin", "cos": "cos", "sigma": "σ",
           "tanh": "tanh", "relu": "relu", "abs": "|·|", "max": "max", "min": "min"}
COLUMN, ROW, RADIUS, MARGIN = 170, 84, 22, 60


def _num(x: float) -> str:
    s = f"{x:.4g}"
    return s.replace("-", "−")


def gate_symbol(d: GraphDerivation, name: str) -> str:
    """The gate's sign, with its constant where it has one: +1, ×2, 1/x, ^2."""
    n = d.problem.node(name)
    if n.gate == "pow":
        return f"^{float(n.param):g}"
    consts = [a for a in n.args if not isinstance(a, str)]
    sym = SYMBOLS.get(n.gate, n.gate)
    if len(consts) == 1 and n.gate in ("add", "mul", "sub", "div"):
        c = f"{float(consts[0]):g}".replace("-", "−")
        if n.gate == "div" and not isinstance(n.args[0], str):
            return f"{c}/x"
        if n.gate == "sub" and not isinstance(n.args[0], str):
            return f"{c}−x"
        return f"{sym}{c}"
    return sym


def wires(d: GraphDerivation) -> list[tuple[str, str, float, float]]:
    """(from, to, value, gradient) of every wire; the last goes from the output out ("")."""
    p = d.problem
    out = []
    by = {b.node: b for b in d.backward}
    for n in p.nodes:
        if n.name in by:
            for u in by[n.name].uses:
                out.append((n.name, u.consumer, d.values[n.name], u.value))
    out.append((p.output, "", d.values[p.output], 1.0))
    return out


def layout(d: GraphDerivation, staircase: bool = False) -> dict[str, tuple[int, float]]:
    """(column, row) of every node the output depends on. ``staircase``: every node on a row
    of its own, so that no two wires run along one line (room for a worksheet's blanks)."""
    p = d.problem
    used = {w[0] for w in wires(d)} | {p.output}
    col: dict[str, int] = {}
    for n in p.nodes:
        if n.name not in used:
            continue
        col[n.name] = 0 if n.kind == "input" else 1 + max(
            (col[a] for a in n.args if isinstance(a, str) and a in col), default=0)
    # Inputs one below the other; each gate level with the middle of its inputs, pushed down
    # where its column already has a node there.
    taken: dict[int, list[float]] = {}
    pos: dict[str, tuple[int, float]] = {}
    for n in p.nodes:
        if n.name not in col:
            continue
        c = col[n.name]
        if staircase:
            r = float(len(pos))
        elif n.kind == "input":
            r = float(len(taken.get(c, [])))
        else:
            ins = [pos[a][1] for a in n.args if isinstance(a, str) and a in pos]
            r = sum(ins) / len(ins)
            while any(abs(r - t) < 1 for t in taken.get(c, [])):
                r += 1
        taken.setdefault(c, []).append(r)
        pos[n.name] = (c, r)
    return pos


def text(d: GraphDerivation) -> str:
    """The wires, one a line: x ──[−2 │ ∂ −4]──▶ (+) q."""
    lines = []
    name = lambda s: exprs.text(Var(s))  # noqa: E731
    width = max(len(name(a)) for a, *_ in wires(d))
    for a, b, value, grad in wires(d):
        head = name(a).ljust(width)
        target = f"({gate_symbol(d, b)}) {name(b)}" if b else "the output"
        lines.append(f"  {head} ──[{_num(value)} │ ∂ {_num(grad)}]──▶ {target}")
    return "\n".join(lines)


def _xy(pos, name, height_rows):
    c, r = pos[name]
    return MARGIN + c * COLUMN, MARGIN + r * ROW


def svg(d: GraphDerivation) -> str:
    pos = layout(d)
    cols = max(c for c, _ in pos.values()) + 1
    rows = max(r for _, r in pos.values()) + 1
    width, height = MARGIN * 2 + cols * COLUMN, MARGIN * 2 + (rows - 1) * ROW + 20
    height = int(height)
    p = d.problem
    parts = []
    for a, b, value, grad in wires(d):
        x1, y1 = _xy(pos, a, rows)
        if b:
            x2, y2 = _xy(pos, b, rows)
            x2 -= RADIUS
        else:
            x2, y2 = x1 + COLUMN - 40, y1
        x1 += RADIUS if p.node(a).kind == "gate" else 28
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        parts.append(f'<line class="wire" x1="{x1:.0f}" y1="{y1:.0f}" x2="{x2:.0f}" '
                     f'y2="{y2:.0f}" marker-end="url(#arrow)"/>'
                     f'<text class="value" x="{mx:.0f}" y="{my - 7:.0f}" '
                     f'text-anchor="middle">{escape(_num(value))}</text>'
                     f'<text class="grad" x="{mx:.0f}" y="{my + 17:.0f}" '
                     f'text-anchor="middle">{escape(_num(grad))}</text>')
    for name, (c, r) in pos.items():
        x, y = _xy(pos, name, rows)
        label = escape(exprs.text(Var(name)))
        if p.node(name).kind == "input":
            parts.append(f'<text class="input" x="{x + 22:.0f}" y="{y + 5:.0f}" '
                         f'text-anchor="end">{label}</text>')
        else:
            parts.append(f'<g class="gate"><title>{label} = {escape(_num(d.values[name]))}'
                         f'</title><circle cx="{x}" cy="{y}" r="{RADIUS}"/>'
                         f'<text x="{x}" y="{y + 5}" text-anchor="middle">'
                         f'{escape(gate_symbol(d, name))}</text>'
                         f'<text class="name" x="{x}" y="{y + RADIUS + 15}" '
                         f'text-anchor="middle">{label}</text></g>')
    # Styled by class, from the page's stylesheet (tutor.css): the web tutor's content
    # security policy allows no inline style.
    marker = ('<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
              'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
              '<path d="M0 0L10 5L0 10z" fill="#1d2430"/></marker></defs>')
    desc = escape(f"The computational graph of {p.name}: values (green) above each wire, "
                  "gradients (red) below")
    return (f'<svg class="graph" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{desc}" '
            f'xmlns="http://www.w3.org/2000/svg">{marker}' + "".join(parts) + "</svg>")


def tikz(d: GraphDerivation, blanks: bool = False) -> str:
    """TikZ; ``blanks``: the wires without their numbers (a worksheet fills them in)."""
    pos = layout(d)
    scale = 1 / 60
    p = d.problem
    out = [r"\begin{center}\begin{tikzpicture}[gate/.style={circle, draw, thick, "
           r"minimum size=8mm, inner sep=0pt}, val/.style={font=\scriptsize, "
           r"text=green!40!black}, grad/.style={font=\scriptsize, text=red!70!black}]"]
    for name, (c, r) in pos.items():
        x, y = c * COLUMN * scale, -r * ROW * scale
        label = exprs.tex(Var(name))
        if p.node(name).kind == "input":
            out.append(rf"\node (n-{_id(name)}) at ({x:.2f},{y:.2f}) {{${label}$}};")
        else:
            sym = "$" + gate_symbol(d, name).replace("−", "-").replace("×", r"\times ") \
                .replace("÷", r"\div ") + "$" if p.node(name).gate in (
                    "add", "mul", "sub", "div", "pow", "neg") else _tex_symbol(d, name)
            out.append(rf"\node[gate] (n-{_id(name)}) at ({x:.2f},{y:.2f}) {{{sym}}};")
            out.append(rf"\node[font=\scriptsize] at ({x:.2f},{y - 0.6:.2f}) {{${label}$}};")
    for k, (a, b, value, grad) in enumerate(wires(d), start=1):
        if b:
            target = f"(n-{_id(b)})"
        else:
            c, r = pos[a]
            target = f"({c * COLUMN * scale + 2.2:.2f},{-r * ROW * scale:.2f})"
        # a worksheet's picture numbers each wire; its table has the blanks
        v, g = (rf"\textcircled{{\tiny {k}}}", "") if blanks else \
            (f"${_tnum(value)}$", f"${_tnum(grad)}$")
        out.append(rf"\draw[->] (n-{_id(a)}) -- node[val, above] {{{v}}} "
                   rf"node[grad, below] {{{g}}} {target};")
    out.append(r"\end{tikzpicture}\end{center}")
    cols = max(c for c, _ in pos.values()) + 1
    if cols * COLUMN * scale + 2.5 > 16:       # wider than the page: scaled to fit
        out[0] = out[0].replace(r"\begin{center}", r"\begin{center}\resizebox{\linewidth}{!}{")
        out[-1] = r"\end{tikzpicture}}\end{center}"
    return "\n".join(out)


def _id(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name)


def _tnum(x: float) -> str:
    return f"{x:.4g}".replace("e", r"\mathrm{e}")


def _tex_symbol(d: GraphDerivation, name: str) -> str:
    n = d.problem.node(name)
    if n.gate == "pow":
        return f"$\\hat{{}}{float(n.param):g}$"
    return {"add": "$+$", "sub": "$-$", "mul": r"$\times$", "div": r"$\div$",
            "neg": r"$-1\times$", "exp": r"$\exp$",
            "log": r"$\ln$", "sqrt": r"$\sqrt{\cdot}$", "sin": r"$\sin$", "cos": r"$\cos$",
            "sigma": r"$\sigma$", "tanh": r"$\tanh$", "relu": "relu", "abs": r"$|\cdot|$",
            "max": r"$\max$", "min": r"$\min$"}.get(n.gate, n.gate)


def wire_table(d: GraphDerivation, decimals: int, filled: bool) -> str:
    """LaTeX: a row per wire (from, to), its value and its gradient, blank or filled."""
    rows = []
    for k, (a, b, value, grad) in enumerate(wires(d), start=1):
        to = f"${exprs.tex(Var(b))}$" if b else "output"
        cells = ((f"{value:.{decimals}f}", f"{grad:.{decimals}f}") if filled else
                 (r"\rule{2.5cm}{0.4pt}", r"\rule{2.5cm}{0.4pt}"))
        rows.append(f"{k} & ${exprs.tex(Var(a))}$ & {to} & {cells[0]} & {cells[1]} \\\\")
    return (r"\begin{center}\begin{tabular}{cccp{3cm}p{3cm}}wire & from & to & value & "
            r"gradient \\ \hline" + "\n" + "\n".join(rows) + "\n"
            + r"\end{tabular}\end{center}")
