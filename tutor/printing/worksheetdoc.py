"""LaTeX of worksheets and their solutions: one document each, every variant on new pages.

Every piece of text from the problem file goes through ``escape``; the mathematics is tutor's
own. The solutions use the derivation's LaTeX printer for the step-by-step part.
"""

from __future__ import annotations

from .. import conventions
from ..answers import quantities
from ..i18n import _, ngettext
from ..names import Name
from .latexdoc import escape, with_scripts
from .names import latex_name

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[T1]{fontenc}
\usepackage{amsmath,amssymb}
\usepackage[margin=2cm]{geometry}
\usepackage{tikz}
\usepackage{pgfplots}
\pgfplotsset{compat=1.16}
\usepackage{array}
\allowdisplaybreaks
\setlength{\parindent}{0pt}
\setlength{\parskip}{4pt}
\renewcommand{\arraystretch}{1.35}
\begin{document}
"""


def _n(x: float, d: int) -> str:
    s = f"{x:.{d}f}"
    if float(s) == 0:
        s = s.lstrip("-")
    return s.replace("-", "-")


def _sym(name: str) -> str:
    """The LaTeX of a quantity or parameter name (``a1[2]`` → a^{(1)}_{2}, yhat → \\hat{y})."""
    return latex_name(name)


def _matrix(a, d: int) -> str:
    rows = a if a.ndim == 2 else a[:, None]
    body = r" \\ ".join(" & ".join(_n(x, 1) for x in row) for row in rows)
    return r"\begin{pmatrix}" + body + r"\end{pmatrix}"


def _header(v, kind: str, decimals: int) -> list[str]:
    p = v.problem
    title = escape(p.name)
    if v.student is not None:
        who = _("Name: {name} ({id})").format(name=escape(v.student[1]),
                                             id=escape(v.student[0]))
    else:
        who = _("Name: {line}").format(line=r"\rule{6cm}{0.4pt}")
    heading = (_("{title} --- worksheet, variant {k}") if kind == "worksheet" else
               _("{title} --- solutions, variant {k}")).format(title=title, k=v.number)
    solutions = (_("Solutions for {name}").format(name=escape(v.student[1])) if v.student
                 else _("Solutions"))
    out = [r"\section*{" + heading + "}",
           r"\textbf{" + _("Variant {k}").format(k=v.number) + r"} \hfill "
           + _("seed {s}").format(s=v.seed) + r" \hfill "
           + (who if kind == "worksheet" else solutions) + r"\par"]
    if p.description:
        out.append(escape(p.description) + r"\par")
    layers = ", ".join(f"{layer.units} {escape(layer.activation.replace('_', ' '))}"
                       for layer in p.network.layers)
    out.append(_("Network: {n} inputs, then layers of {layers} neurons.").format(
                   n=p.network.inputs, layers=layers) + " "
               + _(r"Loss: {loss} $\ell$ of one sample.").format(
                   loss=escape(_(p.loss_fn.title))) + " "
               + _(r"Learning rate $\eta = {lr}$.").format(lr=f"{p.training.lr:g}") + " "
               + r"\textbf{" + _("Round every result to {d} decimals.").format(d=decimals)
               + r"}\par")
    if kind == "worksheet":
        from pathlib import Path
        page = escape(f"/problems/{Path(p.file).stem}?variant={v.number}&seed={v.seed}")
        out.append(r"{\small " + _(r"Check your numbers as you go: \texttt{{tutor check}} "
                                   r"with your answers file, or in the web tutor "
                                   r"(\texttt{{tutor serve}}) at \texttt{{{page}}}.").format(
                                       page=page) + r"}\par")
    return out


def _values_block(v) -> str:
    p = v.problem
    parts = []
    swapped = conventions.CONVENTIONS[p.convention].swapped
    for l in range(1, len(p.network.layers) + 1):
        W = p.params[f"W{l}"].T if swapped else p.params[f"W{l}"]   # (as the problem writes it)
        parts.append(rf"W^{{({l})}} = {_matrix(W, 1)},\quad "
                     rf"b^{{({l})}} = {_matrix(p.params[f'b{l}'], 1)}")
    k = v.sample - 1
    xs = ", ".join(f"{x:g}" for x in p.inputs[k])
    ys = ", ".join(f"{y:g}" for y in p.targets[k])
    return (r"\[" + r",\qquad ".join(parts) + r"\]" + "\n"
            + _("Sample {k}: $x = ({xs})$, $y = ({ys})$.").format(k=v.sample, xs=xs, ys=ys)
            + r"\par")


def network_diagram(v) -> str:
    """TikZ: inputs, neurons and outputs, each edge labelled with its weight, each neuron
    with its bias."""
    p = v.problem
    sizes = p.network.sizes
    L = len(sizes) - 1
    dx, dy = 3.6, 1.5
    out = [r"\begin{center}\begin{tikzpicture}[neuron/.style={circle, draw, thick, "
           r"minimum size=9mm, inner sep=0pt}, w/.style={fill=white, inner sep=1pt, "
           r"font=\scriptsize}]"]
    for l, n in enumerate(sizes):
        for j in range(n):
            y = (n - 1) / 2 * dy - j * dy
            if l == 0:
                label = rf"$x_{{{j + 1}}}$"
            elif l == L:
                label = r"$\hat{y}$" if n == 1 else rf"$\hat{{y}}_{{{j + 1}}}$"
            else:
                label = rf"$a^{{({l})}}_{{{j + 1}}}$"
            out.append(rf"\node[neuron] (n{l}-{j}) at ({l * dx:.2f},{y:.2f}) {{{label}}};")
            if l > 0:
                b = p.params[f"b{l}"][j]
                out.append(rf"\node[font=\scriptsize] at ({l * dx:.2f},{y - 0.62:.2f}) "
                           rf"{{$b={b:g}$}};")
    for l in range(1, L + 1):
        W = p.params[f"W{l}"]
        for j in range(sizes[l]):
            for i in range(sizes[l - 1]):
                # Labels of one source's edges sit at one distance, where its edges fan
                # out; the next source's further along, away from the crossings.
                fan_in = sizes[l - 1]
                pos = 0.25 + 0.45 * i / (fan_in - 1) if fan_in > 1 else 0.45
                out.append(rf"\draw[->] (n{l - 1}-{i}) -- node[w, pos={pos:.2f}] "
                           rf"{{${W[j, i]:g}$}} (n{l}-{j});")
    out.append(r"\end{tikzpicture}\end{center}")
    return "\n".join(out)


def _forward_rows(v) -> list[str]:
    return [q for q in quantities(v.problem) if Name.parse(q).kind != "delta"]


def _table(v, names: list[str], decimals: int, filled: bool) -> str:
    rows = []
    for q in names:
        cell = _n(v.values[q], decimals) if filled else r"\rule{3cm}{0.4pt}"
        rows.append(rf"${_sym(q)}$ & {cell} \\")
    return (r"\begin{center}\begin{tabular}{>{\centering\arraybackslash}p{2.2cm}"
            r">{\centering\arraybackslash}p{4cm}}" + "\n"
            + _("quantity") + " & " + _("value") + r" \\ \hline" + "\n" + "\n".join(rows)
            + "\n" + r"\end{tabular}\end{center}")


def _points(x: float) -> str:
    return ngettext("{x} point", "{x} points", 1 if x == 1 else 2).format(x=f"{x:g}")


def _exercises(v, decimals: int, solved: bool) -> list[str]:
    from . import latex as derivation_latex
    sheet = {e.number: e for e in v.sheet(decimals).exercises}
    p = v.problem
    L = len(p.network.layers)
    gs = v.derivation.gradients
    out = []
    fw = _forward_rows(v)
    def heading(n: int) -> str:
        return rf"\subsection*{{{n}. {escape(_(sheet[n].title))} ({_points(sheet[n].points)})}}"

    out.append(heading(1))
    out.append(_(r"Compute every pre-activation, activation, the output and the loss $\ell$ "
                 r"for sample {k}.").format(k=v.sample))
    out.append(_table(v, fw, decimals, solved))

    out.append(heading(2))
    names = ", ".join(rf"$\partial \ell / \partial {_sym(g.param.name)}$" for g in gs)
    out.append(_("Write {names} as products of local derivatives along every path from the "
                 "parameter to the loss, then compute their values for sample {k}.").format(
                     names=names, k=v.sample))
    if solved:
        out.append(derivation_latex(v.derivation, fragment=True))
        out.append(r"\textbf{" + _("Values for sample {k}:").format(k=v.sample) + "} "
                   + ", ".join(rf"$\partial \ell / \partial {_sym(g.param.name)} = "
                               rf"{_n(g.numbers.sample_gradient, decimals)}$" for g in gs)
                   + r".\par")
    else:
        out += [rf"${_sym_partial(g)} = $\par\vspace{{2.2cm}}" for g in gs]

    out.append(heading(3))
    out.append(_(r"Update these parameters once with the gradient of sample {k}'s loss: "
                 r"$p \leftarrow p - \eta\, \partial \ell / \partial p$, $\eta = {lr}$.")
               .format(k=v.sample, lr=f"{p.training.lr:g}"))
    rows = []
    dots = r"\dots"
    for name, old, grad, new in v.updates:
        cell = _n(new, decimals) if solved else r"\rule{3cm}{0.4pt}"
        g = _n(grad, decimals) if solved else dots
        rows.append(rf"${_sym(name)}$ & ${old:g} - {p.training.lr:g} \cdot ({g})$ & {cell} \\")
    out.append(r"\begin{center}\begin{tabular}{ccc}" + _("parameter") + " & " + _("update")
               + " & " + _("new value") + r" \\ \hline"
               + "\n" + "\n".join(rows) + "\n" + r"\end{tabular}\end{center}")

    layer = 1 if L > 1 else L
    deltas = [f"delta{layer}[{j}]" for j in range(1, p.network.sizes[layer] + 1)]
    out.append(heading(4))
    vector = rf"$\delta^{{({layer})}} = \partial \ell / \partial z^{{({layer})}}$"
    grad = (rf"$\partial \ell / \partial W^{{({layer})}} = "
            rf"\delta^{{({layer})}} a^{{({layer - 1})\top}}$")
    if layer < L:
        rule = (rf"$\delta^{{({layer})}} = (W^{{({layer + 1})\top}} \delta^{{({layer + 1})}}) "
                rf"\odot f'(z^{{({layer})}})$")
        out.append(_("Compute the vector {delta} from {upper} by {rule}, and the gradient "
                     "{grad} for sample {k}.").format(
                         delta=vector, upper=rf"$\delta^{{({layer + 1})}}$", rule=rule,
                         grad=grad, k=v.sample))
    else:
        out.append(_("Compute the vector {delta}, and the gradient {grad} for sample "
                     "{k}.").format(delta=vector, grad=grad, k=v.sample))
    if layer < L:
        out.append(_table(v, [f"delta{L}[{j}]" for j in range(1, p.network.outputs + 1)],
                          decimals, solved))
    out.append(_table(v, deltas, decimals, solved))
    if solved:
        import numpy as np
        d = np.array([v.values[q] for q in deltas])
        a_prev = p.inputs[v.sample - 1] if layer == 1 else np.array(
            [v.values[f"a{layer - 1}[{i}]"] for i in range(1, p.network.sizes[layer - 1] + 1)])
        grad = np.outer(d, a_prev)
        body = r" \\ ".join(" & ".join(_n(x, decimals) for x in row) for row in grad)
        out.append(rf"\[\frac{{\partial \ell}}{{\partial W^{{({layer})}}}} = "
                   rf"\begin{{pmatrix}}{body}\end{{pmatrix}}\]")
    if 5 in sheet:
        g = next(g for g in gs if g.param.name == sheet[5].parts[0].name)
        out.append(heading(5))
        out.append(_("{p} reaches the loss along {n} paths. List them, write the chain-rule "
                     "term of each, and add the terms.").format(p=f"${_sym(g.param.name)}$",
                                                                n=len(g.paths)))
        if solved:
            terms = " + ".join(rf"\left({' '.join(_factor(f) for f in path.factors)}\right)"
                               for path in g.paths)
            out.append(rf"\[{_sym_partial(g)} = {terms} = "
                       rf"{_n(g.numbers.sample_gradient, decimals)}\]")
        else:
            out.append(r"\vspace{3cm}")
    return out


def _factor(f) -> str:
    return (rf"\frac{{\partial {_sym(f.partial.of.name)}}}"
            rf"{{\partial {_sym(f.partial.wrt.name)}}}")


def _sym_partial(g) -> str:
    return rf"\frac{{\partial \ell}}{{\partial {_sym(g.param.name)}}}"


def _curve(v) -> str:
    if not v.curve:
        return ""
    coords = " ".join(f"({e},{loss:.6g})" for e, loss in v.curve)
    log = "ymode=log," if min(loss for _e, loss in v.curve) > 0 else ""
    return (r"\subsection*{" + _("Training this variant") + "}\n"
            + _(r"Full-batch gradient descent from these weights, $\eta = {lr}$:").format(
                lr=f"{v.problem.training.lr:g}") + "\n"
            + r"\begin{center}\begin{tikzpicture}\begin{axis}[" + log
            + r"width=14cm, height=5.5cm, xlabel={" + _("epoch") + "}, ylabel={"
            + _("loss $L$") + "}, grid=major]"
            + "\n" + rf"\addplot[blue, thick] coordinates {{{coords}}};" + "\n"
            + r"\end{axis}\end{tikzpicture}\end{center}")


def _document(variants, decimals: int, solved: bool) -> str:
    body = []
    for v in variants:
        body += _header(v, "solutions" if solved else "worksheet", decimals)
        body.append(network_diagram(v))
        body.append(_values_block(v))
        body += _exercises(v, decimals, solved=solved)
        if solved:
            body.append(_curve(v))
        body.append(r"\clearpage")
    return with_scripts(PREAMBLE + "\n".join(body) + "\n\\end{document}\n")


def worksheet_tex(variants, decimals: int) -> str:
    return _document(variants, decimals, solved=False)


def solutions_tex(variants, decimals: int) -> str:
    return _document(variants, decimals, solved=True)
