"""The network as an SVG picture: layers in columns, one line per weight.

A line's width grows with |w| and its colour gives the sign (blue positive, red negative);
hovering or focusing it names the weight and its value (``<title>``), as does a neuron for its
bias. The weight or bias being derived is drawn highlighted. Styling is by class (the page's
stylesheet), so the picture needs no inline styles.
"""

from __future__ import annotations

from html import escape

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


def network_svg(problem: Problem, highlight: ParamRef | None = None) -> str:
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
                    f'{escape(text_name(ref.name))} = {w:.6g} ({ref.name})</title></line>')
    for l in range(L + 1):
        for j in range(1, sizes[l] + 1):
            x, y = pos(l, j)
            label = _node_label(l, j, L, sizes[-1])
            cls = "node input" if l == 0 else "node"
            if l > 0:
                ref = ParamRef("b", l, j)
                b = float(params[f"b{l}"][j - 1])
                title = f"{text_name(ref.name)} = {b:.6g} ({ref.name})"
                if ref == highlight:
                    cls += " hl"
            else:
                title = f"input {j}"
            nodes.append(
                f'<g class="{cls}"><title>{escape(title)}</title>'
                f'<circle cx="{x}" cy="{y}" r="{RADIUS}"/>'
                f'<text x="{x}" y="{y}" text-anchor="middle" dominant-baseline="central">'
                f'{escape(label)}</text></g>')
    captions = []
    for l in range(L + 1):
        x, _ = pos(l, 1)
        words = "inputs" if l == 0 else problem.network.layers[l - 1].activation
        captions.append(f'<text class="caption" x="{x}" y="{height - 10}" '
                        f'text-anchor="middle">{escape(words)}</text>')
    desc = (f"The network {'-'.join(map(str, sizes))}: "
            + ", ".join(f"layer {l} {layer.units} {layer.activation} neuron"
                        + ("s" if layer.units != 1 else "")
                        for l, layer in enumerate(problem.network.layers, start=1)))
    return (f'<svg class="network" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-label="{escape(desc)}" xmlns="http://www.w3.org/2000/svg">'
            + "".join(edges) + "".join(nodes) + "".join(captions) + "</svg>")
