"""Worksheets on a computational graph: "fill in the graph".

Each variant has its own input values (``graph.graph_variant``); the sheet draws the graph
with a blank above and below every wire, for its value and its gradient, and asks for both;
the solutions fill the picture in and give the whole derivation; the key and the blank answers
file are in `tutor check`'s graph format (``values:`` and ``gradients:``) with the variant and
seed, so that `tutor check GRAPH ANSWERS` grades against exactly that variant.

Points: 1 for each node's value and 1 for each gradient.
"""

from __future__ import annotations

import json
from pathlib import Path

from .errors import TutorError
from .files import write_file
from .graph import GraphDerivation, GraphProblem, Var, derive_graph, graph_variant, verified_graph
from .i18n import _


def build(p: GraphProblem, variants: int, seed: int) -> list[tuple[int, GraphDerivation]]:
    return [(k, verified_graph(derive_graph(graph_variant(p, seed, k))))
            for k in range(1, variants + 1)]


def _gradient_names(d: GraphDerivation) -> list[str]:
    return [b.node for b in reversed(d.backward)] + [d.problem.output]


def key(d: GraphDerivation, k: int, seed: int, decimals: int, problem_file: str) -> str:
    r = lambda x: round(float(x), decimals) + 0.0  # noqa: E731
    p = d.problem
    grads = {b.node: b.gradient for b in d.backward}
    grads[p.output] = 1.0
    doc = {"variant": k, "seed": seed, "decimals": decimals,
           "values": {n.name: r(n.value) for n in p.nodes if n.kind == "gate"},
           "gradients": {name: r(grads[name]) for name in _gradient_names(d)}}
    import yaml
    return (f"# Answer key: {' '.join(p.name.split())[:80]}, variant {k}, seed {seed}.\n"
            f"#   tutor check {problem_file} ANSWERS.yaml\n"
            + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


def template(d: GraphDerivation, k: int, seed: int, decimals: int, problem_file: str) -> str:
    p = d.problem
    lines = [f"# Your answers: {' '.join(p.name.split())[:80]}, variant {k}, seed {seed}.",
             f"# Fill in what you computed; leave the rest blank. Round every number to "
             f"{decimals} decimals.",
             f"# Check them yourself with:  tutor check {problem_file} THIS-FILE.yaml", "",
             f"variant: {k}", f"seed: {seed}", f"decimals: {decimals}", "",
             "values:      # exercise 1: each node's value, going forward"]
    lines += [f"  {json.dumps(n.name)}:" for n in p.nodes if n.kind == "gate"]
    lines += ["", f"gradients:   # exercise 2: ∂{p.output}/∂(each value), going backward"]
    lines += [f"  {json.dumps(name)}:" for name in _gradient_names(d)]
    return "\n".join(lines) + "\n"


def document(items, seed: int, decimals: int, solved: bool) -> str:
    from .printing import latex as derivation_latex
    from .printing.graphpic import tikz, wire_table
    from .printing.latexdoc import escape
    from .printing.latexdoc import with_scripts
    from .printing.worksheetdoc import PREAMBLE
    body = []
    for k, d in items:
        p = d.problem
        inputs = ", ".join(f"${derivation_latex_name(n.name)} = {n.value:g}$"
                           for n in p.inputs)
        n_values = sum(n.kind == "gate" for n in p.nodes)
        n_grads = len(_gradient_names(d))
        body += [rf"\section*{{{escape(p.name)} --- {'solutions' if solved else 'worksheet'}, "
                 rf"variant {k}}}",
                 rf"\textbf{{Variant {k}}} \hfill seed {seed} \hfill "
                 + ("Solutions" if solved else r"Name: \rule{6cm}{0.4pt}") + r"\par",
                 (escape(p.description) + r"\par") if p.description else "",
                 rf"Inputs: {inputs}. \textbf{{Round every result to {decimals} "
                 r"decimals.}\par",
                 rf"\subsection*{{Fill in the graph ({n_values + n_grads} points)}}",
                 rf"1. Going forward, write the value each wire carries ({n_values} points: "
                 r"one for each value the graph computes). 2. Going backward from "
                 rf"$\partial {_tex(p.output)} / \partial {_tex(p.output)} = 1$, write the "
                 r"gradient each wire carries, upstream $\times$ local; the gradient of a "
                 r"value used several times is the sum over its wires "
                 rf"({n_grads} points: one for each value's gradient).",
                 tikz(d, blanks=not solved),
                 wire_table(d, decimals, filled=solved)]
        if solved:
            body.append(derivation_latex(d, fragment=True))
        body.append(r"\clearpage")
    return with_scripts(PREAMBLE + "\n".join(body) + "\n\\end{document}\n")


def _tex(name: str) -> str:
    from .printing.exprs import tex
    return tex(Var(name))


def derivation_latex_name(name: str) -> str:
    return _tex(name)


def write(p: GraphProblem, out: Path, variants: int, seed: int, decimals: int, pdf: bool,
          problem_file: str) -> list[Path]:
    from .latex import compile_pdf, pdflatex
    if pdf:
        pdflatex()
    if out.exists() and not out.is_dir():
        raise TutorError(_("{out}: exists and is not a directory").format(out=out))
    items = build(p, variants, seed)
    try:
        (out / "keys").mkdir(parents=True, exist_ok=True)
        (out / "answers").mkdir(exist_ok=True)
    except OSError as e:
        raise TutorError(_("{out}: cannot create the directory: {why}").format(
                             out=out, why=e.strerror or e)) from None
    written = []
    docs = {"worksheet": document(items, seed, decimals, False),
            "solutions": document(items, seed, decimals, True)}
    for name, tex in docs.items():
        write_file(out / f"{name}.tex", tex)
        written.append(out / f"{name}.tex")
    width = max(2, len(str(variants)))
    for k, d in items:
        for folder, text in (("keys", key(d, k, seed, decimals, problem_file)),
                             ("answers", template(d, k, seed, decimals, problem_file))):
            path = out / folder / f"variant-{k:0{width}d}.yaml"
            write_file(path, text)
            written.append(path)
    if pdf:
        for name, tex in docs.items():
            compile_pdf(tex, out / f"{name}.pdf")
            written.append(out / f"{name}.pdf")
    return written
