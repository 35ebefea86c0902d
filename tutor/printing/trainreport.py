"""The report of `tutor train`: text in pieces (so the CLI can stream the epoch lines as they
are computed) and JSON.

Text: a header naming the network and the settings; ``Epoch 0, Loss: 0.7390`` lines; the final
loss; for a single run a table of the final predictions and a verdict, for a sweep the share of
seeds that solve the task and the distribution of final losses.
"""

from __future__ import annotations

import json
import math
import textwrap

import numpy as np

from ..i18n import _, ngettext
from ..training import (CANCELLED, SATURATED, TrainResult, Verdict, is_classification,
                        predicted_classes)

WIDTH = 88
# Seeds listed by name in a sweep's summary, at most.
LIST_SEEDS = 20


def default_every(epochs: int) -> int:
    """Print a loss line every tenth of the run (500 for 5000 epochs)."""
    return max(1, epochs // 10)


def _num(v: float) -> str:
    return f"{v:g}"


def init_words(seed: int | None) -> str:
    return _("the problem's explicit initial values") if seed is None else \
        _("initial values from seed {s}").format(s=seed)


def header(result_or_problem, settings, seeds: tuple, sweep: bool) -> str:
    p = result_or_problem
    if settings.batch_size is None or settings.batch_size >= p.inputs.shape[0]:
        how = _("full-batch gradient descent")
    else:
        how = _("mini-batch gradient descent (batches of {b}, shuffled)").format(
            b=settings.batch_size)
    if settings.momentum:
        how += _(" with momentum {m}").format(m=_num(settings.momentum))
    if sweep:
        who = _("{n} seeds ({first}–{last}) trained at once").format(
            n=len(seeds), first=seeds[0], last=seeds[-1])
    else:
        who = init_words(seeds[0])
    return (_("{problem}: {network} network, {loss}").format(
                problem=p.name, network=p.network.describe(), loss=_(p.loss_fn.title)) + "\n"
            + ngettext("Training: {n} epoch of {how}, lr {lr}, {who}",
                       "Training: {n} epochs of {how}, lr {lr}, {who}", settings.epochs).format(
                n=settings.epochs, how=how, lr=_num(settings.lr), who=who) + "\n\n")


def epoch_line(epoch: int, losses: np.ndarray) -> str:
    """``Epoch 500, Loss: 0.6931``; for a sweep, the median and quartiles over the seeds."""
    if losses.ndim == 0:
        return _("Epoch {e}, Loss: {L}").format(e=epoch, L=_loss(float(losses))) + "\n"
    q1, med, q3 = np.nanpercentile(losses, [25, 50, 75]) if np.any(np.isfinite(losses)) \
        else (math.nan,) * 3
    return _("Epoch {e}, Loss: median {L} (quartiles {q1}–{q3})").format(
        e=epoch, L=_loss(med), q1=_loss(q1), q3=_loss(q3)) + "\n"


def epoch_lines(losses: np.ndarray, start: int, every: int) -> str:
    """The lines due among epochs start, start+1, … of ``losses`` (the chunk's losses)."""
    first = -(-start // every) * every
    return "".join(epoch_line(e, losses[e - start])
                   for e in range(first, start + losses.shape[0], every))


def _cell(values) -> str:
    return " ".join(f"{v:.4f}" for v in values)


def _plain(values) -> str:
    return " ".join(_num(v) for v in values)


def predictions_table(result: TrainResult) -> str:
    """Input, target, output (and class, for classification) of every sample."""
    p = result.problem
    out = result.outputs
    classify = is_classification(p)
    cols = ["x", "y", "ŷ"] + ([_("class")] if classify else ["ŷ − y"])
    rows = []
    got = want = None
    if classify:
        got, want = predicted_classes(p, out), predicted_classes(p, p.targets)
    for n in range(p.inputs.shape[0]):
        row = [_plain(p.inputs[n]), _plain(p.targets[n]), _cell(out[n])]
        if classify:
            g, w = got[n], want[n]
            ok = bool(np.all(g == w))
            row.append(f"{_plain(np.atleast_1d(g))} {'✓' if ok else '✗'}")
        else:
            row.append(" ".join(f"{v:+.4f}" for v in out[n] - p.targets[n]))
        rows.append(row)
    from .columns import width as columns
    widths = [max(columns(c), *(columns(r[i]) for r in rows)) for i, c in enumerate(cols)]
    line = lambda cells: "  ".join(c + " " * (w - columns(c))
                                   for c, w in zip(cells, widths)).rstrip()
    return "\n".join([line(cols), line("─" * w for w in widths)] + [line(r) for r in rows]) \
        + "\n"


def _loss(x) -> str:
    """A loss for people: 4 decimals (0.6931), or 3 significant digits when that would show
    0.0000 (2.41e-06); never −0.0000."""
    x = float(x)
    if x == 0 or not math.isfinite(x):
        return f"{abs(x) if x == 0 else x:.4f}"
    if abs(x) < 5e-5:
        return f"{x:.3g}"
    return f"{x:.4f}".replace("-0.0000", "0.0000")


def plateau_words(v: Verdict, problem) -> str:
    # ln 2 is the loss of predicting ½ for each of two balanced classes (XOR with bce)
    if abs(v.baseline - math.log(2)) < 1e-12:
        return _("the ln 2 ≈ 0.6931 plateau (the loss of predicting ŷ = 0.5 for every sample)")
    return _("the plateau at {L} (the loss of predicting the mean target for every "
             "sample)").format(L=_loss(v.baseline))


def verdict_text(v: Verdict, result: TrainResult) -> str:
    p, s = result.problem, result.settings
    seed = result.seeds[0]
    other = 1 if seed is None else seed + 1
    if v.status == "solved":
        if v.wrong is None:
            what = (_("Solved: the loss {L} is under {share} of the {ref} of predicting the "
                      "mean target.") if v.reference == v.baseline else
                    _("Solved: the loss {L} is under {share} of the {ref} at the start."))
            return what.format(L=f"{v.final_loss:.4g}", ref=f"{v.reference:.4g}",
                               share="1 %") + "\n"
        return _("Solved: every sample is classified correctly ({rule}).").format(
            rule=_(p.loss_fn.class_rule)) + "\n"
    wrong = "" if v.wrong is None else \
        _("{k} of {n} samples misclassified; ").format(k=v.wrong, n=v.samples)
    if v.status == "initial":
        return _("Not trained (0 epochs): {wrong}the loss {L} at the initial weights; a "
                 "constant prediction of the mean target would give {base}.").format(
            wrong=wrong, L=_loss(v.final_loss), base=_loss(v.baseline)) + "\n"
    if v.status == "diverged":
        return _("Diverged: the loss became non-finite; try a smaller learning rate.") + "\n"
    if v.status == "unstable":
        why = (_("the steps overshoot. Try a smaller learning rate (--lr {lr})").format(
                   lr=_num(s.lr / 10))
               if "overshoot" in v.causes else
               _("it is confidently wrong. See what was measured below"))
        return _("Not solved: {wrong}the loss {L} is worse than the {base} of predicting the "
                 "mean target for every sample: {why}.").format(
            wrong=wrong, L=f"{v.final_loss:.4g}", base=_loss(v.baseline), why=why) + "\n"
    if v.status == "plateau":
        return _("Not solved: {wrong}the loss {L} is on {plateau}: the network predicts nearly "
                 "the same for every sample. What usually helps: a larger learning rate (--lr "
                 "{lr}), more epochs (--epochs {epochs}), or another seed (--seed {seed}); "
                 "--seeds 100 shows how often this happens.").format(
            wrong=wrong, L=_loss(v.final_loss), plateau=plateau_words(v, p),
            lr=_num(s.lr * 10), epochs=s.epochs * 4, seed=other) + "\n"
    if v.status == "learning":
        return _("Not solved yet: {wrong}the loss {L} is still falling ({drop} over the last "
                 "tenth of the run). Train longer (--epochs {epochs}) or with a larger "
                 "learning rate (--lr {lr}).").format(
            wrong=wrong, L=_loss(v.final_loss), drop=f"{100 * v.recent_drop:.1f} %",
            epochs=s.epochs * 4, lr=_num(s.lr * 10)) + "\n"
    return _("Not solved: {wrong}the loss {L} has stopped falling: a local minimum. Try "
             "another seed (--seed {seed}) or a larger learning rate (--lr {lr}).").format(
        wrong=wrong, L=_loss(v.final_loss), seed=other, lr=_num(s.lr * 10)) + "\n"


def _pct(x: float) -> str:
    """A share as a percentage with two significant digits (0.0064 %, 9.0 %, 37 %)."""
    v = 100 * x
    return (f"{v:.2g} %" if abs(v) < 10 else f"{v:.0f} %").replace("-", "−")


# The reasons a run is not solved, each in one line with its evidence (Verdict.causes).
CAUSES = {
    "cancelling": lambda v, m: _(
        "the samples' gradients cancel: each ‖∂ℓₙ/∂θ‖ is {each} on average, their mean "
        "‖∂L/∂θ‖ only {mean} ({pct} of it), so the updates are small although every sample's "
        "own gradient is not").format(each=f"{m.sample_norm:.2g}", mean=f"{m.grad_norm:.2g}",
                                      pct=_pct(m.cancellation)),
    "symmetric": lambda v, m: _(
        "two hidden units compute nearly the same (their weights differ by {pct} of the "
        "largest unit's): they get alike updates and stay alike; another seed starts them "
        "apart").format(pct=_pct(m.spread)),
    "saturated": lambda v, m: _(
        "{pct} of the hidden units' values are saturated (f′(z) below {limit} of its largest "
        "value): the gradient through them nearly vanishes; smaller initial weights or a "
        "smaller learning rate keep z small").format(pct=_pct(m.saturated),
                                                     limit=_pct(SATURATED)),
    "slow": lambda v, m: _(
        "the loss is still falling ({pct} over the last tenth of the run): more epochs or a "
        "larger learning rate").format(pct=_pct(v.recent_drop)),
    "overshoot": lambda v, m: _(
        "the loss went up from one epoch to the next: the steps overshoot; a smaller "
        "learning rate"),
    "minimum": lambda v, m: _(
        "the loss has stopped at {L}, below the {base} of a constant prediction, with a "
        "vanishing mean gradient ({g}): a local minimum; another seed starts elsewhere").format(
        L=_loss(v.final_loss), base=_loss(v.baseline), g=f"{m.grad_norm:.2g}"),
}


def measured_text(v: Verdict) -> str:
    """What was measured at the end of a run, and the causes it supports, one line each."""
    m = v.measured
    if m is None or v.status in ("solved", "diverged"):
        return ""
    gap = (v.final_loss - v.baseline) / v.baseline if v.baseline > 0 else None
    rows = [(_("gradient ‖∂L/∂θ‖"), f"{m.grad_norm:.3g}"),
            (_("each sample's ‖∂ℓₙ/∂θ‖, on average"),
             f"{m.sample_norm:.3g}  " + _("(the mean gradient is {pct} of it)").format(
                 pct=_pct(m.cancellation))),
            (_("saturated hidden units"), _("{pct} of {units} units × {n} samples").format(
                pct=_pct(m.saturated), units=m.units, n=v.samples) if m.units
             else _("no hidden units")),
            (_("loss against a constant prediction"),
             _("{pct} ({L} vs {base})").format(pct=_pct(gap), L=_loss(v.final_loss),
                                               base=_loss(v.baseline)) if gap is not None
             else "–"),
            (_("change over the last tenth"), f"−{_pct(v.recent_drop)}" if v.recent_drop > 0
             else f"+{_pct(-v.recent_drop)}")]
    if m.spread is not None:
        rows.insert(3, (_("closest two hidden units"),
                        _("{pct} apart").format(pct=_pct(m.spread))))
    from .columns import width as columns
    width = max(columns(k) for k, _v in rows)
    out = [_("Measured at the final weights:")]
    out += [f"  {k}{' ' * (width - columns(k))}  {val}" for k, val in rows]
    causes = v.causes
    if causes:
        out.append(_("What the numbers show:"))
        out += [textwrap.fill(CAUSES[c](v, m), WIDTH, initial_indent="  • ",
                              subsequent_indent="    ") for c in causes]
    return "\n".join(out) + "\n"


def trace_text(result: TrainResult) -> str:
    """The traced updates, one parameter a line: p ← p − η·∂L/∂p = p′ (with momentum, the
    velocity's update first)."""
    if not result.trace:
        return ""
    from .names import text_name
    s = result.settings
    eta, mu = _num(s.lr), _num(s.momentum)
    n = result.problem.n_samples
    rule = ("p ← p − η·v, v ← μ·v + ∂L/∂p (η = " + eta + ", μ = " + mu + ")"
            if s.momentum else f"p ← p − η·∂L/∂p (η = {eta})")
    out = ["\n" + ngettext("The first {n} update, one parameter a line: {rule}",
                           "The first {n} updates, one parameter a line: {rule}",
                           len(result.trace)).format(n=len(result.trace), rule=rule) + "\n"]
    g = lambda x: f"{x:.6g}".replace("-", "−")
    paren = lambda x: f"({g(x)})" if x < 0 else g(x)
    for u in result.trace:
        batch = (_("all samples") if len(u.batch) == n else
                 ngettext("sample {list}", "samples {list}", len(u.batch)).format(
                     list=", ".join(map(str, u.batch))))
        out.append(_("Update {k} (epoch {e}, {batch}), batch loss {L}:").format(
            k=u.number, e=u.epoch, batch=batch, L=_loss(u.loss)) + "\n")
        width = max(len(text_name(st.name)) for st in u.steps)
        for st in u.steps:
            p = text_name(st.name).ljust(width)
            dp = f"∂L/∂{text_name(st.name)}"
            if st.velocity is None:
                out.append(f"  {p} ← {g(st.before)} − {eta} · {paren(st.gradient)} = "
                           f"{g(st.after)}\n")
            else:
                v0 = "" if st.velocity_before is None else f"{mu} · {paren(st.velocity_before)} + "
                out.append(f"  {p} ← {g(st.before)} − {eta} · {paren(st.velocity)} = "
                           f"{g(st.after)}    (v ← {v0}{paren(st.gradient)} = "
                           f"{g(st.velocity)}, {dp} = {g(st.gradient)})\n")
    return "".join(out)


def _seed_list(seeds) -> str:
    shown = ", ".join(map(str, seeds[:LIST_SEEDS]))
    return shown + (_(", … ({n} more)").format(n=len(seeds) - LIST_SEEDS)
                    if len(seeds) > LIST_SEEDS else "")


def summary(result: TrainResult) -> str:
    """Everything after the epoch lines."""
    out = ["\n" + ngettext("Final loss after {n} epoch: ", "Final loss after {n} epochs: ",
                           result.epochs).format(n=result.epochs)]
    if not result.sweep:
        out.append(f"{_loss(float(result.final_loss))}\n\n")
        out.append(predictions_table(result))
        v = result.verdicts()[0]
        out.append("\n" + textwrap.fill(verdict_text(v, result), WIDTH) + "\n")
        measured = measured_text(v)
        if measured:
            out.append("\n" + measured)
        return "".join(out)
    verdicts = result.verdicts()
    finals = result.final_loss
    ok = np.isfinite(finals)
    if ok.any():
        q1, med, q3 = np.percentile(finals[ok], [25, 50, 75])
        best, worst = int(np.argmin(np.where(ok, finals, np.inf))), \
            int(np.argmax(np.where(ok, finals, -np.inf)))
        out.append(_("median {L}, quartiles {q1}–{q3}, best {best} (seed {sb}), worst {worst} "
                     "(seed {sw})").format(L=_loss(med), q1=_loss(q1), q3=_loss(q3),
                                           best=_loss(finals[best]), sb=result.seeds[best],
                                           worst=_loss(finals[worst]),
                                           sw=result.seeds[worst]) + "\n\n")
    else:
        out.append(_("non-finite for every seed") + "\n\n")
    N = len(verdicts)
    count = {k: sum(v.status == k for v in verdicts)
             for k in ("solved", "plateau", "learning", "stuck", "unstable", "diverged",
                       "initial")}
    out.append(_("Solved: {k} of {n} seeds ({pct} %).").format(
        k=count["solved"], n=N, pct=f"{100 * count['solved'] / N:.0f}") + "\n")
    v0 = verdicts[0]
    width = len(str(N))
    rows = [(count["plateau"], _("on {plateau}").format(
                plateau=plateau_words(v0, result.problem))),
            (count["learning"], _("still falling at the end: more epochs would help")),
            (count["stuck"], _("stopped in a local minimum")),
            (count["unstable"], _("worse than a constant prediction")),
            (count["diverged"], _("diverged (the loss became non-finite)")),
            (count["initial"], _("not trained (0 epochs)"))]
    if N - count["solved"]:
        out.append(_("Not solved: {n}").format(n=N - count["solved"]) + "\n")
        out += [f"  {k:>{width}} {words}\n" for k, words in rows if k]
    shown = {"overshoot": _("the loss went up between epochs: the steps overshoot"),
             "cancelling": _("the samples' gradients cancel in the mean (under {pct} of each "
                             "one's size)").format(pct=_pct(CANCELLED)),
             "symmetric": _("two hidden units nearly identical"),
             "saturated": _("most hidden units saturated"),
             "slow": _("the loss still falling at the end"),
             "minimum": _("stopped below the plateau with a vanishing gradient")}
    seen = {c: sum(c in v.causes for v in verdicts) for c in shown}
    if any(seen.values()):
        out.append(_("Measured in the unsolved runs:") + "\n")
        out += [f"  {k:>{width}} {shown[c]}\n" for c, k in seen.items() if k]
    solved = [s for s, v in zip(result.seeds, verdicts) if v.solved]
    if solved:
        out.append(_("Seeds that solve it: {seeds}").format(seeds=_seed_list(solved)) + "\n")
    return "".join(out)


def text(result: TrainResult, every: int | None = None) -> str:
    every = every or default_every(result.epochs)
    return (header(result.problem, result.settings, result.seeds, result.sweep)
            + epoch_lines(result.losses, 0, every) + summary(result) + trace_text(result))


def _finite(x):
    """JSON has no inf or NaN: non-finite numbers become null."""
    if isinstance(x, list):
        return [_finite(v) for v in x]
    return x if math.isfinite(x) else None


def as_json(result: TrainResult) -> str:
    """Format 1, documented in the README."""
    p, s = result.problem, result.settings
    doc = {
        "format": 1,
        "problem": p.name,
        "network": p.network.describe(),
        "loss": p.loss,
        "convention": p.convention,
        "settings": {"lr": s.lr, "epochs": s.epochs, "batch_size": s.batch_size,
                     "momentum": s.momentum},
        "epochs": result.epochs,
    }

    from ..conventions import CONVENTIONS
    swapped = CONVENTIONS[p.convention].swapped

    def laid(name, a):
        # (weights as the problem's file writes them: (fan_in, units) in dlfs)
        return a.T if swapped and name[0] == "W" else a

    def run(c, v: Verdict):
        idx = (c,) if result.sweep else ()
        got = predicted_classes(p, result.outputs[idx]) if is_classification(p) else None
        preds = []
        for n in range(p.inputs.shape[0]):
            row = {"input": p.inputs[n].tolist(), "target": p.targets[n].tolist(),
                   "output": _finite(result.outputs[idx][n].tolist())}
            if got is not None:
                row["class"] = np.atleast_1d(got[n]).tolist()
            preds.append(row)
        return {
            "seed": result.seeds[c],
            "losses": _finite(result.losses[(slice(None),) + idx].tolist()),
            "final_loss": _finite(float(result.final_loss[idx])),
            "params": {k: _finite(laid(k, a[idx]).tolist()) for k, a in result.params.items()},
            "snapshots": [{"epoch": e, "params": {k: _finite(laid(k, a[idx]).tolist())
                                                  for k, a in kept.items()}}
                          for e, kept in sorted(result.snapshots.items())],
            "predictions": preds,
            "verdict": {"status": v.status, "solved": v.solved, "misclassified": v.wrong,
                        "plateau_loss": v.baseline, "recent_drop": _finite(v.recent_drop),
                        "measured": None if v.measured is None else {
                            "grad_norm": v.measured.grad_norm,
                            "sample_grad_norm": v.measured.sample_norm,
                            "cancellation": v.measured.cancellation,
                            "saturated": v.measured.saturated,
                            "hidden_units": v.measured.units,
                            "closest_units": v.measured.spread},
                        "causes": list(v.causes)},
        }

    verdicts = result.verdicts()
    if not result.sweep:
        doc.update(run(0, verdicts[0]))
        if result.trace:
            doc["trace"] = [{
                "update": u.number, "epoch": u.epoch, "batch": list(u.batch),
                "loss": _finite(u.loss),
                "params": {st.name: {"before": st.before, "gradient": st.gradient,
                                     "velocity": st.velocity, "after": st.after}
                           for st in u.steps}} for u in result.trace]
    else:
        finals = result.final_loss[np.isfinite(result.final_loss)]
        q = np.percentile(finals, [25, 50, 75]).tolist() if finals.size else [None] * 3
        doc["summary"] = {"seeds": len(verdicts), "solved": sum(v.solved for v in verdicts),
                          "plateau": sum(v.status == "plateau" for v in verdicts),
                          "final_loss_quartiles": q}
        doc["runs"] = [run(c, v) for c, v in enumerate(verdicts)]
    return json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
