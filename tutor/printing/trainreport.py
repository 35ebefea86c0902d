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
    return "the problem's explicit initial values" if seed is None else \
        f"initial values from seed {seed}"


def header(result_or_problem, settings, seeds: tuple, sweep: bool) -> str:
    p = result_or_problem
    if settings.batch_size is None or settings.batch_size >= p.inputs.shape[0]:
        how = "full-batch gradient descent"
    else:
        how = f"mini-batch gradient descent (batches of {settings.batch_size}, shuffled)"
    if settings.momentum:
        how += f" with momentum {_num(settings.momentum)}"
    epochs = f"{settings.epochs} epoch{'s' if settings.epochs != 1 else ''}"
    if sweep:
        who = f"{len(seeds)} seeds ({seeds[0]}–{seeds[-1]}) trained at once"
    else:
        who = init_words(seeds[0])
    return (f"{p.name}: {p.network.describe()} network, {p.loss_fn.title}\n"
            f"Training: {epochs} of {how}, lr {_num(settings.lr)}, {who}\n\n")


def epoch_line(epoch: int, losses: np.ndarray) -> str:
    """``Epoch 500, Loss: 0.6931``; for a sweep, the median and quartiles over the seeds."""
    if losses.ndim == 0:
        return f"Epoch {epoch}, Loss: {_loss(float(losses))}\n"
    q1, med, q3 = np.nanpercentile(losses, [25, 50, 75]) if np.any(np.isfinite(losses)) \
        else (math.nan,) * 3
    return f"Epoch {epoch}, Loss: median {_loss(med)} (quartiles {_loss(q1)}–{_loss(q3)})\n"


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
    cols = ["x", "y", "ŷ"] + (["class"] if classify else ["ŷ − y"])
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
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(cols)]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
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
        return "the ln 2 ≈ 0.6931 plateau (the loss of predicting ŷ = 0.5 for every sample)"
    return (f"the plateau at {_loss(v.baseline)} (the loss of predicting the mean target for "
            "every sample)")


def verdict_text(v: Verdict, result: TrainResult) -> str:
    p, s = result.problem, result.settings
    seed = result.seeds[0]
    other = 1 if seed is None else seed + 1
    if v.status == "solved":
        if v.wrong is None:
            what = "of predicting the mean target" if v.reference == v.baseline else \
                "at the start"
            return (f"Solved: the loss {v.final_loss:.4g} is under 1 % of the "
                    f"{v.reference:.4g} {what}.\n")
        return f"Solved: every sample is classified correctly ({p.loss_fn.class_rule}).\n"
    wrong = "" if v.wrong is None else \
        f"{v.wrong} of {v.samples} samples misclassified; "
    if v.status == "initial":
        return (f"Not trained (0 epochs): {wrong}the loss {_loss(v.final_loss)} at the "
                f"initial weights; a constant prediction of the mean target would give "
                f"{_loss(v.baseline)}.\n")
    if v.status == "diverged":
        return "Diverged: the loss became non-finite; try a smaller learning rate.\n"
    if v.status == "unstable":
        why = (f"the steps overshoot. Try a smaller learning rate (--lr {_num(s.lr / 10)})"
               if "overshoot" in v.causes else
               "it is confidently wrong. See what was measured below")
        return (f"Not solved: {wrong}the loss {v.final_loss:.4g} is worse than the "
                f"{_loss(v.baseline)} of predicting the mean target for every sample: "
                f"{why}.\n")
    if v.status == "plateau":
        return (f"Not solved: {wrong}the loss {_loss(v.final_loss)} is on "
                f"{plateau_words(v, p)}: the network predicts nearly the same for every "
                f"sample. What usually helps: a larger learning rate "
                f"(--lr {_num(s.lr * 10)}), more epochs (--epochs {s.epochs * 4}), or another "
                f"seed (--seed {other}); --seeds 100 shows how often this happens.\n")
    if v.status == "learning":
        return (f"Not solved yet: {wrong}the loss {_loss(v.final_loss)} is still falling "
                f"({100 * v.recent_drop:.1f} % over the last tenth of the run). Train longer "
                f"(--epochs {s.epochs * 4}) or with a larger learning rate "
                f"(--lr {_num(s.lr * 10)}).\n")
    return (f"Not solved: {wrong}the loss {_loss(v.final_loss)} has stopped falling: a local "
            f"minimum. Try another seed (--seed {other}) or a larger learning rate "
            f"(--lr {_num(s.lr * 10)}).\n")


def _pct(x: float) -> str:
    """A share as a percentage with two significant digits (0.0064 %, 9.0 %, 37 %)."""
    v = 100 * x
    return (f"{v:.2g} %" if abs(v) < 10 else f"{v:.0f} %").replace("-", "−")


# The reasons a run is not solved, each in one line with its evidence (Verdict.causes).
CAUSES = {
    "cancelling": lambda v, m: (
        f"the samples' gradients cancel: each ‖∂ℓₙ/∂θ‖ is {m.sample_norm:.2g} on average, "
        f"their mean ‖∂L/∂θ‖ only {m.grad_norm:.2g} ({_pct(m.cancellation)} of it), so the "
        "updates are small although every sample's own gradient is not"),
    "symmetric": lambda v, m: (
        f"two hidden units compute nearly the same (their weights differ by "
        f"{_pct(m.spread)} of the largest unit's): they get alike updates and stay alike; "
        "another seed starts them apart"),
    "saturated": lambda v, m: (
        f"{_pct(m.saturated)} of the hidden units' values are saturated (f′(z) below "
        f"{_pct(SATURATED)} of its largest value): the gradient through them nearly vanishes; "
        "smaller initial weights or a smaller learning rate keep z small"),
    "slow": lambda v, m: (
        f"the loss is still falling ({_pct(v.recent_drop)} over the last tenth of the run): "
        "more epochs or a larger learning rate"),
    "overshoot": lambda v, m: (
        "the loss went up from one epoch to the next: the steps overshoot; a smaller "
        "learning rate"),
    "minimum": lambda v, m: (
        f"the loss has stopped at {_loss(v.final_loss)}, below the {_loss(v.baseline)} of a "
        f"constant prediction, with a vanishing mean gradient ({m.grad_norm:.2g}): a local "
        "minimum; another seed starts elsewhere"),
}


def measured_text(v: Verdict) -> str:
    """What was measured at the end of a run, and the causes it supports, one line each."""
    m = v.measured
    if m is None or v.status in ("solved", "diverged"):
        return ""
    gap = (v.final_loss - v.baseline) / v.baseline if v.baseline > 0 else None
    rows = [("gradient ‖∂L/∂θ‖", f"{m.grad_norm:.3g}"),
            ("each sample's ‖∂ℓₙ/∂θ‖, on average",
             f"{m.sample_norm:.3g}  (the mean gradient is {_pct(m.cancellation)} of it)"),
            ("saturated hidden units", f"{_pct(m.saturated)} of {m.units} units × "
                                       f"{v.samples} samples" if m.units else "no hidden units"),
            ("loss against a constant prediction",
             f"{_pct(gap)} ({_loss(v.final_loss)} vs {_loss(v.baseline)})" if gap is not None
             else "–"),
            ("change over the last tenth", f"−{_pct(v.recent_drop)}" if v.recent_drop > 0
             else f"+{_pct(-v.recent_drop)}")]
    if m.spread is not None:
        rows.insert(3, ("closest two hidden units", f"{_pct(m.spread)} apart"))
    width = max(len(k) for k, _ in rows)
    out = ["Measured at the final weights:"]
    out += [f"  {k.ljust(width)}  {val}" for k, val in rows]
    causes = v.causes
    if causes:
        out.append("What the numbers show:")
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
    out = [f"\nThe first {len(result.trace)} update{'s' if len(result.trace) != 1 else ''}, "
           "one parameter a line: "
           + ("p ← p − η·v with v ← μ·v + ∂L/∂p (η = " + eta + ", μ = " + mu + ")"
              if s.momentum else f"p ← p − η·∂L/∂p (η = {eta})") + "\n"]
    g = lambda x: f"{x:.6g}".replace("-", "−")
    paren = lambda x: f"({g(x)})" if x < 0 else g(x)
    for u in result.trace:
        batch = ("all samples" if len(u.batch) == n else
                 f"sample{'s' if len(u.batch) != 1 else ''} {', '.join(map(str, u.batch))}")
        out.append(f"Update {u.number} (epoch {u.epoch}, {batch}), batch loss "
                   f"{_loss(u.loss)}:\n")
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
    return shown + (f", … ({len(seeds) - LIST_SEEDS} more)" if len(seeds) > LIST_SEEDS else "")


def summary(result: TrainResult) -> str:
    """Everything after the epoch lines."""
    out = [f"\nFinal loss after {result.epochs} epochs: "]
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
        out.append(f"median {_loss(med)}, quartiles {_loss(q1)}–{_loss(q3)}, "
                   f"best {_loss(finals[best])} (seed {result.seeds[best]}), worst {_loss(finals[worst])} "
                   f"(seed {result.seeds[worst]})\n\n")
    else:
        out.append("non-finite for every seed\n\n")
    N = len(verdicts)
    count = {k: sum(v.status == k for v in verdicts)
             for k in ("solved", "plateau", "learning", "stuck", "unstable", "diverged",
                       "initial")}
    out.append(f"Solved: {count['solved']} of {N} seeds ({100 * count['solved'] / N:.0f} %).\n")
    v0 = verdicts[0]
    width = len(str(N))
    rows = [(count["plateau"], f"on {plateau_words(v0, result.problem)}"),
            (count["learning"], "still falling at the end: more epochs would help"),
            (count["stuck"], "stopped in a local minimum"),
            (count["unstable"], "worse than a constant prediction"),
            (count["diverged"], "diverged (the loss became non-finite)"),
            (count["initial"], "not trained (0 epochs)")]
    if N - count["solved"]:
        out.append(f"Not solved: {N - count['solved']}\n")
        out += [f"  {k:>{width}} {words}\n" for k, words in rows if k]
    shown = {"overshoot": "the loss went up between epochs: the steps overshoot",
             "cancelling": "the samples' gradients cancel in the mean (under "
                           f"{_pct(CANCELLED)} of each one's size)",
             "symmetric": "two hidden units nearly identical",
             "saturated": "most hidden units saturated",
             "slow": "the loss still falling at the end",
             "minimum": "stopped below the plateau with a vanishing gradient"}
    seen = {c: sum(c in v.causes for v in verdicts) for c in shown}
    if any(seen.values()):
        out.append("Measured in the unsolved runs:\n")
        out += [f"  {k:>{width}} {shown[c]}\n" for c, k in seen.items() if k]
    solved = [s for s, v in zip(result.seeds, verdicts) if v.solved]
    if solved:
        out.append(f"Seeds that solve it: {_seed_list(solved)}\n")
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
        "settings": {"lr": s.lr, "epochs": s.epochs, "batch_size": s.batch_size,
                     "momentum": s.momentum},
        "epochs": result.epochs,
    }

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
            "params": {k: _finite(a[idx].tolist()) for k, a in result.params.items()},
            "snapshots": [{"epoch": e, "params": {k: _finite(a[idx].tolist())
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
