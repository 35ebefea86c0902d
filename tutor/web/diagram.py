"""Pictures as SVG: the network, and a training run's loss curve.

The network: layers in columns, one line per weight.

A line's width grows with |w| and its colour gives the sign (blue positive, red negative);
hovering or focusing it names the weight and its value (``<title>``), as does a neuron for its
bias. The weight or bias being derived is drawn highlighted. Styling is by class (the page's
stylesheet), so the picture needs no inline styles.
"""

from __future__ import annotations

import math
from html import escape

from ..conventions import shown
from ..i18n import _, ngettext
from ..printing.names import text_name
from ..problem import ParamRef, Problem

WIDTH = 640
ROW = 64        # vertical distance between neurons
RADIUS = 22
MARGIN = 40


def _node_label(l: int, j: int, layers: int, outputs: int) -> str:
    if l == 0:
        return text_name(f"x{j}")
    if l == layers:
        return text_name("yhat" if outputs == 1 else f"yhat{j}")
    return text_name(f"a{l}[{j}]")


# For an SVG shown on its own (a quiz's image), the page's stylesheet inlined.
STANDALONE_STYLE = (
    "<style>.edge{stroke-linecap:round}.edge.pos{stroke:#2c6fbb}.edge.neg{stroke:#c2410c}"
    ".edge.hl{stroke:#e0a100;stroke-width:7}.node circle{fill:#fff;stroke:#1d2430;"
    "stroke-width:1.5}.node.input circle{fill:#eef2f7}.node.hl circle{stroke:#e0a100;"
    "stroke-width:5}text{font:15px sans-serif;fill:#1d2430}.caption{font-size:13px;fill:#5b6676}"
    "</style>")


def network_svg(problem: Problem, highlight: ParamRef | None = None,
                standalone: bool = False) -> str:
    """The network as SVG; ``standalone``: a file of its own, its styles inside it."""
    sizes = problem.network.sizes
    L = len(sizes) - 1
    tallest = max(sizes)
    height = 2 * MARGIN + (tallest - 1) * ROW + 26
    step = (WIDTH - 2 * MARGIN - 2 * RADIUS) / max(L, 1)

    def pos(l: int, j: int) -> tuple[float, float]:
        x = MARGIN + RADIUS + l * step
        y = MARGIN + ((tallest - sizes[l]) / 2 + (j - 1)) * ROW
        return round(x, 1), round(y, 1)

    params = problem.params
    biggest = max((float(abs(params[f"W{l}"]).max()) for l in range(1, L + 1)), default=1.0)
    edges, nodes = [], []
    for l in range(1, L + 1):
        W = params[f"W{l}"]
        for j in range(1, sizes[l] + 1):
            for i in range(1, sizes[l - 1] + 1):
                w = float(W[j - 1, i - 1])
                (x1, y1), (x2, y2) = pos(l - 1, i), pos(l, j)
                ref = ParamRef("W", l, j, i)
                cls = "edge " + ("pos" if w >= 0 else "neg")
                if ref == highlight:
                    cls += " hl"
                width = 0.75 + 3.5 * abs(w) / biggest if biggest > 0 else 1
                edges.append(
                    f'<line class="{cls}" x1="{x1 + RADIUS}" y1="{y1}" x2="{x2 - RADIUS}" '
                    f'y2="{y2}" stroke-width="{width:.2f}"><title>'
                    f'{escape(text_name(ref.name))} = {w:.6g} ({shown(ref.name)})</title></line>')
    for l in range(L + 1):
        for j in range(1, sizes[l] + 1):
            x, y = pos(l, j)
            label = _node_label(l, j, L, sizes[-1])
            cls = "node input" if l == 0 else "node"
            if l > 0:
                ref = ParamRef("b", l, j)
                b = float(params[f"b{l}"][j - 1])
                title = f"{text_name(ref.name)} = {b:.6g} ({shown(ref.name)})"
                if ref == highlight:
                    cls += " hl"
            else:
                title = _("input {i}").format(i=j)
            nodes.append(
                f'<g class="{cls}"><title>{escape(title)}</title>'
                f'<circle cx="{x}" cy="{y}" r="{RADIUS}"/>'
                f'<text x="{x}" y="{y}" text-anchor="middle" dominant-baseline="central">'
                f'{escape(label)}</text></g>')
    captions = []
    for l in range(L + 1):
        x, _y = pos(l, 1)
        words = _("inputs") if l == 0 else problem.network.layers[l - 1].activation
        captions.append(f'<text class="caption" x="{x}" y="{height - 10}" '
                        f'text-anchor="middle">{escape(words)}</text>')
    desc = (_("The network {sizes}: ").format(sizes="-".join(map(str, sizes)))
            + ", ".join(ngettext("layer {l}: {n} {activation} neuron",
                                 "layer {l}: {n} {activation} neurons", layer.units).format(
                                     l=l, n=layer.units, activation=layer.activation)
                        for l, layer in enumerate(problem.network.layers, start=1)))
    size = f' width="{WIDTH}" height="{height}"' if standalone else ""
    return (f'<svg class="network" viewBox="0 0 {WIDTH} {height}"{size} role="img" '
            f'aria-label="{escape(desc)}" xmlns="http://www.w3.org/2000/svg">'
            + (STANDALONE_STYLE if standalone else "")
            + "".join(edges) + "".join(nodes) + "".join(captions) + "</svg>")


def _nice(x: float) -> float:
    """The step of 1, 2 or 5 times a power of ten nearest above ``x``."""
    k = 10 ** math.floor(math.log10(x))
    return next(m * k for m in (1, 2, 5, 10) if m * k >= x)


def loss_curve_svg(curve: list[tuple[int, float]], baseline: float | None = None) -> str:
    """The loss L against the epoch, from (epoch, L) points, with the plateau of the best
    constant prediction (``baseline``) as a dashed line."""
    W, H, left, right, top, bottom = 640, 330, 56, 32, 28, 40
    points = [(e, L) for e, L in curve if math.isfinite(L)]
    if not points:
        return ""
    e_max = max(points[-1][0], 1)
    values = [L for _e, L in points] + ([baseline] if baseline is not None else [])
    l_step = _nice(max(max(values), 1e-12) / 4)
    e_step = max(1, int(_nice(e_max / 4)))
    hi = l_step * math.ceil(max(values) / l_step)
    x = lambda e: left + (W - left - right) * e / e_max   # noqa: E731
    y = lambda L: top + (H - top - bottom) * (1 - L / hi)  # noqa: E731
    line = " ".join(f"{x(e):.1f},{y(L):.1f}" for e, L in points)
    ticks = []
    for k in range(round(hi / l_step) + 1):
        L = k * l_step
        ticks.append(f'<line class="grid" x1="{left}" x2="{W - right}" y1="{y(L):.1f}" '
                     f'y2="{y(L):.1f}"/><text class="tick" x="{left - 6}" y="{y(L):.1f}" '
                     f'text-anchor="end" dominant-baseline="central">{L:.4g}</text>')
    for e in range(0, e_max + 1, e_step):
        ticks.append(f'<text class="tick" x="{x(e):.1f}" y="{H - bottom + 16}" '
                     f'text-anchor="middle">{e}</text>')
    plateau = ""
    if baseline is not None and math.isfinite(baseline):
        best = escape(_("the loss of the best constant prediction: {L}").format(
            L=f"{baseline:.4g}"))
        plateau = (f'<line class="baseline" x1="{left}" x2="{W - right}" y1="{y(baseline):.1f}" '
                   f'y2="{y(baseline):.1f}"><title>{best}</title></line>')
    falls = escape(_("The loss L falls from {first} to {last} over {n} epochs").format(
        first=f"{points[0][1]:.4g}", last=f"{points[-1][1]:.4g}", n=e_max))
    return (f'<svg class="curve" viewBox="0 0 {W} {H}" role="img" '
            f'xmlns="http://www.w3.org/2000/svg" aria-label="{falls}">'
            + "".join(ticks) + plateau + f'<polyline class="loss" points="{line}"/>'
            + f'<text class="axis" x="{(left + W - right) / 2}" y="{H - 4}" '
              'text-anchor="middle">' + escape(_("epoch")) + "</text>"
            + f'<text class="axis" x="{left}" y="{top - 12}" text-anchor="middle">L</text>'
            + "</svg>")
