"""The HTML pages. Every piece of text from a problem or a student is escaped here; the
mathematics comes already made (MathML from the printers, SVG from ``diagram``).

The pages need no script to work: answers are forms that post to the server, and derivation
steps are all shown. ``/static/tutor.js`` improves on that where scripts run: steps appear one
at a time ("Next step") and answers are graded in place.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

import numpy as np

from .. import conventions, i18n
from ..i18n import N_, _, ngettext, pgettext
from ..printing.checkreport import sentence
from ..printing.names import text_name
from ..problem import ParamRef
from .diagram import network_svg
from .library import Entry, Library

MAX_WEB_VARIANTS = 40
MAX_MENU_SAMPLES = 50
MAX_WEB_EPOCHS = 200_000
MAX_WEB_WORK = 2e9      # epochs × samples × parameters of one training run


def _q(s: str) -> str:
    return quote(s, safe="")


def _switch() -> str:
    """Links to the page in each other language (remembered in a cookie)."""
    here = i18n.current()
    return " ".join(f'<a href="?lang={lang}" lang="{lang}" hreflang="{lang}">'
                    f"{escape(i18n.name(lang))}</a>"
                    for lang in i18n.languages() if lang != here)


def layout(title: str, body: str) -> str:
    checking = escape(_("Checking…"))
    no_answer = escape(_("The server did not answer; try again."))
    motto = escape(_("backpropagation, one chain-rule step at a time"))
    problems = escape(_("Problems"))
    return f"""<!doctype html>
<html lang="{i18n.current()}" class="no-js">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)} · tutor</title>
<link rel="stylesheet" href="/static/tutor.css">
<link rel="icon" href="data:,">
<script src="/static/tutor.js" defer></script>
</head>
<body data-checking="{checking}" data-no-answer="{no_answer}">
<header class="top"><a class="home" href="/">tutor</a>
<span class="motto">{motto}</span>
<nav><a href="/">{problems}</a> <a href="/openapi.json">API</a>
<span class="languages">{_switch()}</span></nav></header>
<main>
{body}
</main>
</body>
</html>
"""


def _shape(entry: Entry) -> str:
    p = entry.problem
    if entry.is_graph:
        return _("computational graph · inputs {inputs} · output {output}").format(
            inputs=", ".join(n.name for n in p.inputs), output=p.output)
    return ngettext("{network} · loss {loss} · {n} sample",
                    "{network} · loss {loss} · {n} samples", p.n_samples).format(
        network=p.network.describe(), loss=p.loss, n=p.n_samples)


def index(library: Library, error: str | None = None, yaml_text: str = "") -> str:
    cards = []
    for e in library.entries():
        p = e.problem
        desc = f"<p>{escape(p.description)}</p>" if p.description else ""
        cards.append(f'<li class="card"><h2><a href="/problems/{_q(e.id)}">{escape(p.name)}</a>'
                     f'</h2><p class="shape">{escape(_shape(e))}</p>{desc}</li>')
    skipped = ""
    if library.skipped:
        items = "".join(f"<li>{escape(s)}</li>" for s in library.skipped)
        summary = ngettext("{n} file in the problems directory could not be used",
                           "{n} files in the problems directory could not be used",
                           len(library.skipped)).format(n=len(library.skipped))
        skipped = (f'<details class="skipped"><summary>{escape(summary)}</summary>'
                   f"<ul>{items}</ul></details>")
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    none = "<li>" + escape(_("No problems yet: add one below.")) + "</li>"
    title = escape(_("Problems"))
    pick = escape(_("Pick a network. Its page derives ∂L/∂w for every weight and bias by the "
                    "chain rule, one step at a time, checks your own answers and names the "
                    "mistake, and makes worksheets."))
    own = escape(_("Your own problem"))
    paste = _("Paste a problem file (YAML, the format of <code>tutor derive</code>). It stays "
              "in this server's memory only.")
    label, open_ = escape(_("problem YAML")), escape(_("Open"))
    return layout(_("Problems"), f"""
<h1>{title}</h1>
<p>{pick}</p>
<ul class="cards">{''.join(cards) or none}</ul>
{skipped}
<section id="upload">
<h2>{own}</h2>
<p>{paste}</p>
{err}
<form method="post" action="/problems">
<textarea name="yaml" rows="12" spellcheck="false" aria-label="{label}"
placeholder="name: My network&#10;network:&#10;  inputs: 2&#10;  layers:&#10;    - {{units: 2, activation: sigmoid}}&#10;    - {{units: 1, activation: sigmoid}}&#10;loss: bce&#10;data:&#10;  inputs: [[0, 1]]&#10;  targets: [[1]]&#10;init: {{seed: 1}}">{escape(yaml_text)}</textarea>
<button type="submit">{open_}</button>
</form>
</section>
""")


def result_html(result: dict) -> str:
    """One graded answer: ✓, or ✗ with the named mistake and, on request, the right answer."""
    given = escape(result["given"].strip())
    formula = result.get("expected_formula")
    # the expected formula as mathematics (MathML made by tutor's printer), else as text
    expected = (f'<math>{formula["mathml"]}</math>' if formula
                else escape(result["expected"]))
    if result["right"]:
        extra = (" " + _("It equals {formula}.").format(formula=expected)
                 if result["kind"] == "formula" else "")
        return (f'<p class="verdict right"><span class="ok">✓</span> '
                + _("Right: {answer}.").format(answer=given) + f"{extra}</p>")
    # diagnosis_html is tutor's own HTML: its text escaped, its mathematics MathML
    diagnosis = (result.get("diagnosis_html")
                 or escape(_("this is not the value of the derivative")))
    out = (f'<p class="verdict wrong"><span class="bad">✗</span> '
           f'<span class="mistake">{sentence(diagnosis)}.</span></p>')
    answer = "<p>" + _("The answer: {answer}").format(answer=expected) + "</p>"
    if result.get("correct_step_html"):
        answer += f'<p class="step-text">{result["correct_step_html"]}</p>'
    show = escape(_("Show the answer"))
    return out + f'<details class="answer"><summary>{show}</summary>{answer}</details>'


def _param_row(entry: Entry, p, ref: ParamRef, selected: bool, sample: int,
               result: dict | None, given: str, at: dict | None) -> str:
    name = conventions.shown(ref.name)     # (as the problem writes it: the page's links)
    symbol = text_name(ref.name)
    link = escape(f"/problems/{_q(entry.id)}?param={_q(name)}&sample={sample}{_at_q(at)}"
                  "#derivation")
    cls = "param selected" if selected else "param"
    shown = result_html(result) if result else ""
    show = escape(_("show the derivation"))
    yours = escape(_("your ∂L/∂{p}").format(p=symbol))
    placeholder = escape(_("a number or a formula"))
    check = escape(pgettext("button", "Check"))
    return f"""<li class="{cls}" data-param="{escape(name)}">
<div class="param-head"><a href="{link}" title="{show}">∂L/∂{escape(symbol)}</a>
<span class="value">{escape(symbol)} = {p.value(ref):.6g}</span></div>
<form class="answer" method="post" action="/problems/{_q(entry.id)}/check#p-{_q(name)}"
 id="p-{escape(name)}">
<input type="hidden" name="param" value="{escape(name)}">
<input type="hidden" name="sample" value="{sample}">
{_at_hidden(at)}
<input type="text" name="answer" value="{escape(given)}" autocomplete="off" spellcheck="false"
 aria-label="{yours}" placeholder="{placeholder}">
<button type="submit">{check}</button>
<output aria-live="polite">{shown}</output>
</form>
</li>"""


def _epoch_q(epoch: int) -> str:
    return f"&epoch={epoch}" if epoch else ""


def _at_q(at: dict | None) -> str:
    """The query that names the shown weights: a variant's, an epoch's, or none."""
    if at and at.get("variant"):
        return f"&variant={at['variant']}&seed={at['seed']}"
    return _epoch_q(at["epoch"] if at else 0)


def _at_hidden(at: dict | None) -> str:
    if at and at.get("variant"):
        return (f'<input type="hidden" name="variant" value="{at["variant"]}">'
                f'<input type="hidden" name="seed" value="{at["seed"]}">')
    if at and at["epoch"]:
        return f'<input type="hidden" name="epoch" value="{at["epoch"]}">'
    return ""


def _variant_bar(entry: Entry, at: dict) -> str:
    words = _("Variant {k} of the worksheet with seed {s}: the weights of your sheet. Type "
              "∂ℓ/∂p of sample {n} (the sheet's) as a number, rounded as the sheet says, or as "
              "a formula.").format(k=at["variant"], s=at["seed"],
                                   n=entry.problem.exercise_sample)
    own = escape(_("The problem's own weights"))
    return (f'<p class="hint">{escape(words)} <a href="/problems/{_q(entry.id)}">{own}</a>'
            "</p>")


def _epoch_bar(entry: Entry, ref: ParamRef, sample: int, at: dict | None) -> str:
    """Which weights the page shows: the problem's own, or those after N epochs of its own
    training; "Step" is one more update. A form and links, so that it works without a
    script."""
    epoch = at["epoch"] if at else 0
    t = entry.problem.training
    where = escape(at["origin"] if at else _("the problem's own initial weights"))
    base = escape(f"/problems/{_q(entry.id)}?param={_q(conventions.shown(ref.name))}"
                  f"&sample={sample}")
    back_words = escape(_("← one epoch back") if t.batch_size else _("← one update back"))
    forward_words = escape(_("Step: one epoch →") if t.batch_size else _("Step: one update →"))
    back = (f'<a class="button" href="{base}{escape(_epoch_q(epoch - 1))}#network">'
            f"{back_words}</a>" if epoch else "")
    before, _sep, after = _("Weights after {epochs} epochs of training").partition("{epochs}")
    showing = _("Showing {where}.").format(where=where)
    show = escape(_("Show"))
    how = (_("Training is the problem's own: η = {lr}, every epoch one update on the mean "
             "loss, in mini-batches.") if t.batch_size else
           _("Training is the problem's own: η = {lr}, every epoch one update on the mean "
             "loss.")).format(lr=f"{t.lr:g}")

    return f"""<form method="get" action="/problems/{_q(entry.id)}#network" class="epoch">
<input type="hidden" name="param" value="{escape(conventions.shown(ref.name))}">
<input type="hidden" name="sample" value="{sample}">
<label>{escape(before)}<input type="number" name="epoch" value="{epoch}" min="0"
 max="{MAX_WEB_EPOCHS}">{escape(after)}</label> <button type="submit">{show}</button>
{back}
<a class="button" href="{base}&amp;epoch={epoch + 1}#network">{forward_words}</a>
</form>
<p class="hint">{showing} {escape(how)}</p>"""


def _sample_picker(entry: Entry, ref: ParamRef, sample: int, at: dict | None = None) -> str:
    """Which sample's numbers the derivation shows: a form, so that it works without a
    script; a menu for a few samples, a number for many."""
    n = entry.problem.n_samples
    if n == 1:
        return ""
    X = entry.problem.inputs
    if n <= MAX_MENU_SAMPLES:
        options = "".join(
            f'<option value="{k}"{" selected" if k == sample else ""}>{k}: x = '
            f'{escape(", ".join(f"{v:g}" for v in X[k - 1]))}</option>'
            for k in range(1, n + 1))
        choice = f'<select name="sample">{options}</select>'
    else:
        choice = f'<input type="number" name="sample" value="{sample}" min="1" max="{n}">'
    return (f'<form method="get" action="/problems/{_q(entry.id)}#derivation" class="samples">'
            f'<input type="hidden" name="param" value="{escape(conventions.shown(ref.name))}">'
            + _at_hidden(at)
            + "<label>" + escape(_("Numbers for sample")) + f" {choice}</label> "
            + '<button type="submit">' + escape(_("Show")) + "</button>"
            f"</form>")


def problem_page(entry: Entry, overview: dict, ref: ParamRef, sample: int, derivation: str,
                 results: dict[str, dict] | None = None, given: dict[str, str] | None = None,
                 has_tex: bool = False, at: dict | None = None) -> str:
    p = entry.problem
    if at:   # the same problem at a variant's weights, or after some epochs of training
        p = p.with_params({k: np.array(v) for k, v in at["params"].items()}, at["origin"])
    results, given = results or {}, given or {}
    desc = f"<p>{escape(p.description)}</p>" if p.description else ""
    if entry.uploaded:
        desc += ('<p class="hint">' + escape(_(
            "Your own problem: it is listed nowhere, and this page's address is the way back "
            "to it while the server runs.")) + "</p>")
    rows = "".join(_param_row(entry, p, r, r == ref, sample, results.get(r.name),
                              given.get(r.name, ""), at) for r in p.network.param_refs())
    pdf_buttons = (
        '<button name="file" value="worksheet.pdf">' + escape(_("Worksheet (PDF)"))
        + '</button><button name="file" value="solutions.pdf">' + escape(_("Solutions (PDF)"))
        + "</button>" if has_tex else
        '<span class="hint">' + escape(_("PDFs need TeX Live (pdflatex) on the server."))
        + "</span>")
    T = {k: escape(_(v)) for k, v in {
        "network": N_("The network"), "forward": N_("Forward pass"),
        "yours": N_("Your gradients"), "next": N_("Next step ({k} of {n})"),
        "all": N_("Show all steps"), "training": N_("Training"), "worksheets": N_("Worksheets"),
        "variants": N_("Variants"), "seed": N_("Seed"), "tex": N_("Worksheet (LaTeX)"),
        "zip": N_("Everything (ZIP)"), "loss": N_("batch loss")}.items()}
    lines = escape(_("Line width: |w|; blue positive, red negative. Hover a line or a neuron "
                     "for its weight or bias."))
    how = _("For each weight and bias type <b>∂L/∂p as a number</b> (the mean over all "
            "samples) or <b>∂ℓ/∂p as a formula</b> for one sample, in tutor's symbols: "
            "<code>(yhat - y)*a1[3]</code>, <code>W2[1,2]</code>, <code>sigma(z1[2])</code>. "
            "Pick a parameter to see its derivation.")
    gd = _("Gradient descent with these gradients, epoch after epoch, as <code>tutor "
           "train</code> does:")
    sheets = _("Randomized variants of this problem, one per student, with their solutions and "
               "answer keys (the keys grade with <code>tutor check … --variant K --seed "
               "S</code>).")
    return layout(p.name, f"""
<h1>{escape(p.name)}</h1>
{desc}
<p class="shape">{escape(_shape(entry))} · {T["loss"]} L = {overview['loss']:.6g}</p>
<div class="columns">
<section id="network">
<h2>{T["network"]}</h2>
{_variant_bar(entry, at) if at and at.get("variant") else _epoch_bar(entry, ref, sample, at)}
{network_svg(p, ref)}
<p class="hint">{lines}</p>
</section>
<section id="forward">
<h2>{T["forward"]}</h2>
{overview['forward']}
</section>
</div>
<section id="params">
<h2>{T["yours"]}</h2>
<p>{how}</p>
<ul class="params">{rows}</ul>
</section>
<section id="derivation" aria-live="polite">
{"" if at and at.get("variant") else _sample_picker(entry, ref, sample, at)}
{derivation}
<div class="step-controls">
<button type="button" id="next-step" data-label="{T["next"]}" hidden>{T["next"]}</button>
<button type="button" id="all-steps" hidden>{T["all"]}</button>
</div>
</section>
<section id="training">
<h2>{T["training"]}</h2>
<p>{gd}</p>
{_train_form(entry)}
</section>
<section id="worksheet">
<h2>{T["worksheets"]}</h2>
<p>{sheets}</p>
<form method="get" action="/problems/{_q(entry.id)}/download" class="download">
<label>{T["variants"]} <input type="number" name="variants" value="1" min="1"
 max="{MAX_WEB_VARIANTS}"></label>
<label>{T["seed"]} <input type="number" name="seed" value="0" min="0"></label>
{pdf_buttons}
<button name="file" value="worksheet.tex">{T["tex"]}</button>
<button name="file" value="worksheet.zip">{T["zip"]}</button>
</form>
</section>
""")


def graph_page(entry: Entry, derivation: str, results: dict[str, dict] | None = None,
               given: dict[str, str] | None = None) -> str:
    """A computational graph: its picture and derivation, and a box for the value and the
    gradient of each node, graded by `tutor check`."""
    from ..graph import Var
    from ..printing.exprs import text as math_text
    p = entry.problem
    results, given = results or {}, given or {}
    out_name = math_text(Var(p.output))
    rows = []
    for n in p.nodes:
        label = math_text(Var(n.name))
        check = escape(pgettext("button", "Check"))
        number = escape(_("a number"))
        for kind, what in (("value", label), ("gradient", f"∂{out_name}/∂{label}")):
            if kind == "value" and n.kind == "input":
                continue
            key = f"{kind}:{n.name}"
            shown = result_html(results[key]) if key in results else ""
            rows.append(f"""<li class="param" data-param="{escape(key)}">
<form class="answer" method="post" action="/problems/{_q(entry.id)}/check#a-{_q(key)}"
 id="a-{escape(key)}">
<input type="hidden" name="param" value="{escape(key)}">
<label>{escape(what)} = <input type="text" name="answer" value="{escape(given.get(key, ''))}"
 autocomplete="off" spellcheck="false" placeholder="{number}"></label>
<button type="submit">{check}</button>
<output aria-live="polite">{shown}</output>
</form>
</li>""")
    desc = f"<p>{escape(p.description)}</p>" if p.description else ""
    yours = escape(_("Your values and gradients"))
    how = escape(_("Compute each node's value going forward, then each gradient going "
                   "backward: upstream × local = downstream; a value used several times adds "
                   "the gradients of its uses."))
    return layout(p.name, f"""
<h1>{escape(p.name)}</h1>
{desc}
<p class="shape">{escape(_shape(entry))}</p>
<section id="params">
<h2>{yours}</h2>
<p>{how}</p>
<ul class="params">{''.join(rows)}</ul>
</section>
<section id="derivation">
{derivation}
</section>
""")


def _train_form(entry: Entry, epochs: str = "", lr: str = "", seed: str = "") -> str:
    t = entry.problem.training
    init = entry.problem.seed
    T = {k: escape(_(v)) for k, v in {"epochs": N_("Epochs"), "lr": N_("Learning rate"),
                                      "seed": N_("Seed"), "train": N_("Train")}.items()}
    return f"""<form method="get" action="/problems/{_q(entry.id)}/train" class="download">
<label>{T["epochs"]} <input type="number" name="epochs" value="{escape(epochs)}" min="0"
 max="{MAX_WEB_EPOCHS}" placeholder="{t.epochs}"></label>
<label>{T["lr"]} <input type="text" name="lr" value="{escape(lr)}" inputmode="decimal"
 placeholder="{t.lr:g}"></label>
<label>{T["seed"]} <input type="number" name="seed" value="{escape(seed)}" min="0"
 placeholder="{'' if init is None else init}"></label>
<button type="submit">{T["train"]}</button>
</form>"""


def training_page(entry: Entry, run: dict | None, error: str | None, epochs: str, lr: str,
                  seed: str) -> str:
    """A training run: the loss curve, and `tutor train`'s own report."""
    from .diagram import loss_curve_svg
    p = entry.problem
    if run is None:
        body = f'<p class="error" role="alert">{escape(error or "")}</p>'
    else:
        body = (loss_curve_svg(run["curve"], run["baseline"])
                + '<p class="hint">' + escape(_(
                    "The dashed line is the loss of the best constant prediction: a run that "
                    "stops there has learnt nothing of the inputs.")) + "</p>"
                + f'<pre class="report">{escape(run["report"])}</pre>')
    title = _("Training {problem}").format(problem=p.name)
    return layout(title, f"""
<p><a href="/problems/{_q(entry.id)}">← {escape(p.name)}</a></p>
<h1>{escape(title)}</h1>
<p class="shape">{escape(_shape(entry))}</p>
{_train_form(entry, epochs, lr, seed)}
<section id="run">
{body}
</section>
""")


def error_page(status: int, message: str) -> str:
    back = escape(_("Back to the problems"))
    return layout(_("Error {status}").format(status=status), f"""
<h1>{status}</h1>
<p class="error" role="alert">{escape(message)}</p>
<p><a href="/">{back}</a></p>
""")
