"""Gradient-descent training with the engine, for one network or a sweep over seeds at once.

One epoch is one pass over the data: by default one full-batch update on the mean loss, as in
the classic XOR loop; with ``batch_size``, mini-batches in a fresh random order each epoch.
Updates are PyTorch's SGD: v ← μ·v + g (v = g at the first step), p ← p − η·v.

A sweep trains N copies as one computation: every parameter array carries a leading copy
dimension, and the engine runs all copies in each NumPy call. Copy k starts from seed S + k
and shuffles with its own generator, so it reproduces the single run with ``seed=S + k`` bit
for bit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Iterable, Mapping

import numpy as np

from . import engine
from .errors import TutorError
from .i18n import _, ngettext
from .problem import Problem, Training

# Epochs per chunk: losses are computed, checked for finiteness and reported once per chunk.
CHUNK = 250
# The outputs recorded for a chunk's losses take at most this much memory: a sweep of many
# seeds over many samples records fewer epochs at a time (the same losses, bit for bit).
RECORD_BYTES = 64 * 2**20
# A run whose final loss is within this fraction of the best constant predictor's is on the
# plateau: it predicts (almost) the same output for every sample.
PLATEAU_RTOL = 0.01
# Regression counts as solved when the loss is below this fraction of the constant predictor's
# (the network explains 99 % of the targets' variance).
REGRESSION_SOLVED = 0.01
# A hidden unit is saturated for a sample when its f′(z) is below this fraction of the largest
# value f′ takes (σ: |z| > 4.4; tanh: |z| > 2.2; relu: z ≤ 0, a dead unit).
SATURATED = 0.05
# The samples' gradients cancel when the mean's norm is below this fraction of the mean norm.
CANCELLED = 0.2
# Hidden units are (nearly) symmetric when every pair's incoming weights differ by less than
# this fraction of the largest unit's.
SYMMETRIC = 0.05


class TrainingDiverged(TutorError):
    """The loss became non-finite: a run, not a bug. The CLI exits 1 for it."""

    exit_code = 1


@dataclass(frozen=True)
class TrainResult:
    """A finished run, or N runs of a sweep.

    losses: (epochs, *copies): the full-data loss L at the start of each epoch, before that
    epoch's updates. final_loss: (*copies) after the last epoch. params: the final parameters,
    each (*copies, …). outputs: (*copies, n_samples, n_outputs), the final predictions ŷ.
    seeds: the initialisation seed of each copy (None for the problem's explicit values).
    """

    problem: Problem
    settings: Training
    seeds: tuple[int | None, ...]
    sweep: bool
    losses: np.ndarray
    final_loss: np.ndarray
    params: dict[str, np.ndarray]
    outputs: np.ndarray
    # epoch → the parameters after that many epochs (0: the initial ones), as asked for
    snapshots: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)
    # the first updates, one by one, as asked for (``trace``)
    trace: tuple["Update", ...] = ()

    @property
    def epochs(self) -> int:
        return self.losses.shape[0]

    def verdicts(self) -> list["Verdict"]:
        """One verdict per copy (one for a single run), with what was measured at the end."""
        losses = self.losses.reshape(self.epochs, self.final_loss.size)
        finals = self.final_loss.reshape(-1)
        outputs = self.outputs.reshape((-1,) + self.outputs.shape[-2:])
        measured = measure(self.problem, self.params)
        return [judge(self.problem, outputs[c], finals[c], losses[:, c], measured[c])
                for c in range(finals.shape[0])]


@dataclass(frozen=True)
class Step:
    """One parameter in one update: p ← p − η·v, with v = ∂L/∂p of the batch (plain gradient
    descent) or v ← μ·v + ∂L/∂p (momentum; ``velocity_before`` is the v it starts from, None
    at the first update)."""

    name: str
    before: float
    gradient: float
    velocity_before: float | None
    velocity: float | None
    after: float


@dataclass(frozen=True)
class Update:
    """One update of training: in ``epoch`` (0-based), on the samples ``batch`` (1-based),
    whose mean loss before it was ``loss``."""

    number: int
    epoch: int
    batch: tuple[int, ...]
    loss: float
    steps: tuple[Step, ...]


def resolve_settings(problem: Problem, epochs: int | None = None, lr: float | None = None
                     ) -> Training:
    """The problem's ``training:`` section with the given overrides."""
    t = problem.training
    return Training(lr=t.lr if lr is None else lr, epochs=t.epochs if epochs is None else epochs,
                    batch_size=t.batch_size, momentum=t.momentum)


def run_seeds(problem: Problem, seed: int | None = None, seeds: int | None = None
              ) -> tuple[int | None, ...]:
    """The initialisation seed of each copy: S … S+N−1 for a sweep of ``seeds`` (S: ``seed``,
    else the problem's init.seed, else 0); for one run ``seed``, else the problem's seed, else
    None (the problem's explicit values)."""
    if seeds is not None:
        start = seed if seed is not None else (problem.seed or 0)
        return tuple(range(start, start + seeds))
    return (seed if seed is not None else problem.seed,)


def initial_params(problem: Problem, seeds: tuple[int | None, ...], sweep: bool
                   ) -> dict[str, np.ndarray]:
    """Fresh copies of the starting values: the problem's own for seed None, else the default
    initialisation drawn from ``default_rng(seed)``; stacked along a copy axis for a sweep."""
    def one(seed):
        if seed is None:
            return {k: np.array(v) for k, v in problem.params.items()}
        return engine.init_params(problem.network, np.random.default_rng(seed))

    runs = [one(s) for s in seeds]
    if not sweep:
        return runs[0]
    return {k: np.stack([r[k] for r in runs]) for k in runs[0]}


def train(problem: Problem, *, epochs: int | None = None, lr: float | None = None,
          seed: int | None = None, seeds: int | None = None,
          progress: Callable[[int, np.ndarray], None] | None = None,
          snapshots: Iterable[int] = (), trace: int = 0,
          trace_params: Iterable[str] | None = None,
          starts: Mapping[str, np.ndarray] | None = None) -> TrainResult:
    """Train ``problem``'s network by gradient descent.

    seed: initialise with ``default_rng(seed)`` instead of the problem's ``init``.
    seeds: train that many copies at once, from seeds S, S+1, …, S+N−1, where S is ``seed``,
    else the problem's ``init.seed``, else 0.
    progress(epochs_done, losses_of_those_epochs) is called after every chunk of epochs.
    snapshots: epochs after which to keep a copy of the parameters (0: the initial ones; each
    at most ``epochs``), in ``TrainResult.snapshots``.
    trace: record the first ``trace`` updates of ``trace_params`` (names; default all), each
    value as ``derive`` gives it at that point, in ``TrainResult.trace`` (single runs only).
    starts: explicit starting values of several copies, each array with a leading copy axis
    (a worksheet's variants): trained at once as a sweep, copy k equal to the single run
    from its own values.
    Raises TrainingDiverged (naming the epoch) when a single run's loss becomes non-finite;
    in a sweep the diverged copies are reported by their verdicts instead.
    """
    settings = resolve_settings(problem, epochs, lr)
    if starts is not None:
        copies_n = next(iter(starts.values())).shape[0]
        seed_list, sweep = (None,) * copies_n, True
        params = {k: np.array(v, dtype=float) for k, v in starts.items()}
    else:
        seed_list = run_seeds(problem, seed, seeds)
        sweep = seeds is not None
        params = initial_params(problem, seed_list, sweep)
    wanted = set(snapshots)
    if any(not 0 <= e <= settings.epochs for e in wanted):
        raise TutorError(_("a snapshot epoch is from 0 to the {epochs} epochs trained").format(
                             epochs=settings.epochs))
    kept: dict[int, dict[str, np.ndarray]] = {}

    def keep(epoch: int) -> None:
        if epoch in wanted:
            kept[epoch] = {k: v.copy() for k, v in params.items()}

    keep(0)
    if trace and sweep:
        raise TutorError(_("a trace follows one run; give --seed S instead of --seeds N"))
    traced = _trace_refs(problem, trace_params) if trace else []
    updates: list[Update] = []
    where = {"epoch": 0, "batch": None}
    # The shuffling stream of a copy depends on its seed alone (0 for explicit values).
    shufflers = [np.random.default_rng([1, s or 0]) for s in seed_list]

    net, X, Y = problem.network, problem.inputs, problem.targets
    copies = (len(seed_list),) if sweep else ()
    n = X.shape[0]
    loss = problem.loss_fn
    out_act = net.layers[-1].act
    lr_, mu, B = settings.lr, settings.momentum, settings.batch_size
    full_batch = B is None or B >= n
    velocity = {k: None for k in params} if mu else None
    per_epoch = int(np.prod(copies + Y.shape, dtype=np.int64)) * 8
    chunk = max(1, min(CHUNK, RECORD_BYTES // max(per_epoch, 1)))
    recorded = np.empty((min(chunk, max(settings.epochs, 1)),) + copies + Y.shape)
    history = np.empty((settings.epochs,) + copies)

    def update(fw, Yb, size: int) -> None:
        # The gradients of the batch mean, 1/size folded into the output's δ. Without
        # momentum, p ← p − η·g. With it, the velocity is kept in units of the batch mean, as
        # in torch.optim.SGD (v ← μv + g, p ← p − ηv), so that a smaller last batch adds a
        # mean gradient like every other batch.
        grads = engine.backward(net, problem.loss_fn, params, fw, Yb, False, 1 / size).grads
        recording = len(updates) < trace
        if recording:
            # (as derive computes them: the mean taken at the end)
            exact = engine.backward(net, problem.loss_fn, params, fw, Yb).grads
            before = {r.name: (float(params[r.array][r.index]),
                               None if velocity is None or velocity[r.array] is None
                               else float(velocity[r.array][r.index])) for r in traced}
            gradient = {r.name: float(exact[r.array][r.index]) for r in traced}
        for name, g in grads.items():
            if velocity is None:
                g *= lr_
                params[name] -= g
                continue
            v = velocity[name]
            if v is None:
                velocity[name] = v = g
            else:
                v *= mu
                v += g
            params[name] -= lr_ * v
        if recording:
            updates.append(_update(len(updates) + 1, where, traced, before, gradient, params,
                                   velocity))

    done = 0
    # Overflow on the way to a diverging loss is detected below, by the loss itself.
    with np.errstate(over="ignore", invalid="ignore"):
        while done < settings.epochs:
            c = min(chunk, settings.epochs - done)
            if not full_batch:
                # (c, *copies, n): a permutation of the samples per epoch and copy.
                order = np.stack([g.random((c, n)) for g in shufflers], axis=1).argsort(-1)
                if not sweep:
                    order = order[:, 0]
            for i in range(c):
                where["epoch"] = done + i
                if full_batch:
                    fw = engine.forward(net, params, X)
                    recorded[i] = fw.zs[-1]
                    if len(updates) < trace:
                        where["batch"], where["loss"] = range(n), _batch_loss(problem, fw, Y)
                    update(fw, Y, n)
                else:
                    # (the loss is recorded from Z: the outputs are not needed)
                    recorded[i] = engine.forward(net, params, X, outputs=False).zs[-1]
                    # The epoch's samples gathered in its order once: each mini-batch is then
                    # a slice (a view), not a gather of its own.
                    Xe, Ye = X[order[i]], Y[order[i]]
                    for s in range(0, n, B):
                        # (a slice of the samples' axis, the copies' axis first in a sweep)
                        rows = (slice(None), slice(s, s + B)) if sweep else slice(s, s + B)
                        xb, yb = Xe[rows], Ye[rows]
                        fw = engine.forward(net, params, xb)
                        if len(updates) < trace:
                            where["batch"] = order[i, ..., s:s + B].tolist()
                            where["loss"] = _batch_loss(problem, fw, yb)
                        update(fw, yb, yb.shape[-2])
                if wanted:
                    keep(done + i + 1)
            Z = recorded[:c]
            chunk_losses = loss.value(Z, None if loss.from_logits else out_act.value(Z),
                                      Y).mean(axis=-1)
            history[done:done + c] = chunk_losses
            if not sweep and not np.all(np.isfinite(chunk_losses)):
                epoch = done + int(np.argmin(np.isfinite(chunk_losses)))
                raise TrainingDiverged(
                    f"the loss became non-finite at epoch {epoch} (lr {lr_:g}): the updates "
                    f"overshoot; try a smaller learning rate, e.g. --lr {lr_ / 10:g}")
            done += c
            if progress is not None:
                progress(done, chunk_losses)

        fw = engine.forward(net, params, X)
        final = engine.sample_losses(net, problem.loss_fn, fw, Y).mean(axis=-1)
    if not sweep and not np.isfinite(final):
        raise TrainingDiverged(
            f"the loss became non-finite at epoch {settings.epochs} (lr {lr_:g}): the updates "
            f"overshoot; try a smaller learning rate, e.g. --lr {lr_ / 10:g}")
    return TrainResult(problem=problem, settings=settings, seeds=seed_list, sweep=sweep,
                       losses=history, final_loss=np.asarray(final), params=params,
                       outputs=fw.output, snapshots=kept, trace=tuple(updates))


def _trace_refs(problem: Problem, names: Iterable[str] | None):
    from .problem import parse_param_refs
    if not names:
        return problem.network.param_refs()
    refs = []
    for n in names:
        refs += [r for r in parse_param_refs(n, problem.network) if r not in refs]
    return refs


def _batch_loss(problem: Problem, fw, Y) -> float:
    return float(engine.sample_losses(problem.network, problem.loss_fn, fw, Y).mean())


def _update(number, where, refs, before, gradient, params, velocity) -> Update:
    steps = []
    for r in refs:
        p0, v0 = before[r.name]
        v = None if velocity is None else float(velocity[r.array][r.index])
        steps.append(Step(r.name, p0, gradient[r.name], v0, v, float(params[r.array][r.index])))
    return Update(number, where["epoch"], tuple(k + 1 for k in where["batch"]), where["loss"],
                  tuple(steps))


def at_epoch(problem: Problem, epoch: int, *, lr: float | None = None,
             seed: int | None = None) -> Problem:
    """``problem`` at the parameters it has after ``epoch`` epochs of training with its own
    settings (or ``lr``, ``seed``): the weights ``tutor train --epochs N`` reports, bit for
    bit, ready to derive. Raises TrainingDiverged if the loss becomes non-finite first."""
    result = train(problem, epochs=epoch, lr=lr, seed=seed)
    return problem.with_params(result.params, origin=trained_origin(result, epoch))


def trained_origin(result: TrainResult, epoch: int) -> str:
    """'the parameters after 5000 epochs of training (η = 0.1, seed 0)', for headers."""
    s = result.settings
    start = result.seeds[0]
    how = f"η = {s.lr:g}"
    if s.momentum:
        how += _(", momentum {m}").format(m=f"{s.momentum:g}")
    if s.batch_size:
        how += _(", batches of {b}").format(b=s.batch_size)
    how += (_(", from the problem's initial values") if start is None
            else _(", seed {s}").format(s=start))
    return ngettext("the parameters after {n} epoch of training ({how})",
                    "the parameters after {n} epochs of training ({how})", epoch).format(
        n=epoch, how=how)


# ---------------------------------------------------------------------------------------------
# Measurements at the end of a run


@dataclass(frozen=True)
class Measures:
    """What the end of a run looks like, measured at its final weights θ.

    grad_norm: ‖∂L/∂θ‖, over every parameter. sample_norm: the mean over the samples of
    ‖∂ℓₙ/∂θ‖. cancellation: grad_norm / sample_norm, 1 when every sample pulls the same way,
    near 0 when their pulls cancel in the mean. saturated, units: of the (sample, hidden unit)
    pairs, the share whose f′(z) is below SATURATED × f′'s largest value, and how many hidden
    units there are. spread: the smallest distance between two units of the first hidden
    layer (incoming weights and bias) relative to the largest unit's norm: near 0 when two of
    them compute the same thing (None without two hidden units)."""

    grad_norm: float
    sample_norm: float
    cancellation: float
    saturated: float
    units: int
    spread: float | None


_PEAK: dict[str, float] = {}


def _peak_slope(act) -> float:
    """The largest value of f′ (σ: ¼, tanh: 1), measured on a grid, once per activation."""
    key = f"{act.name}{act.options}"
    if key not in _PEAK:
        z = np.linspace(-20.0, 20.0, 4001)
        _PEAK[key] = float(np.max(act.grad(z, act.value(z)))) if act.elementwise else 1.0
    return _PEAK[key]


def measure(problem: Problem, params: Mapping[str, np.ndarray]) -> list[Measures | None]:
    """The measures of each copy of ``params`` (arrays with leading copy dimensions, or
    none); None for a copy where they cannot be computed (a non-finite pass)."""
    net = problem.network
    with np.errstate(all="ignore"):
        fw = engine.forward(net, params, problem.inputs)
        bw = engine.backward(net, problem.loss_fn, params, fw, problem.targets)
        # ‖∂ℓₙ/∂θ‖² = Σₗ ‖δ⁽ˡ⁾ₙ‖² (‖a⁽ˡ⁻¹⁾ₙ‖² + 1): each layer's gradient is an outer product
        per_sample = sum((bw.deltas[l] ** 2).sum(-1) * ((fw.activations[l] ** 2).sum(-1) + 1)
                         for l in range(len(net.layers)))          # (*copies, n)
        sample_norm = np.sqrt(per_sample).mean(-1)
        grad_norm = np.sqrt(sum((g ** 2).reshape(g.shape[:g.ndim - _param_ndim(k)] + (-1,))
                                .sum(-1) for k, g in bw.grads.items()))
        sat, units = [], 0
        for l, layer in enumerate(net.layers[:-1]):
            act = layer.act
            if not act.elementwise:
                continue
            slope = act.grad(fw.zs[l], fw.activations[l + 1])
            sat.append((slope < SATURATED * _peak_slope(act)).reshape(slope.shape[:-2] + (-1,)))
            units += layer.units
        saturated = (np.concatenate(sat, axis=-1).mean(-1) if sat
                     else np.zeros(np.shape(grad_norm)))
        spread = _spread(params["W1"], params["b1"]) if len(net.layers) > 1 else None
    copies = np.shape(grad_norm)
    flat = lambda a: np.broadcast_to(np.asarray(a, dtype=float), copies).reshape(-1)
    gn, sn, sa = flat(grad_norm), flat(sample_norm), flat(saturated)
    sp_ = flat(spread) if spread is not None else [None] * gn.size
    out: list[Measures | None] = []
    for c in range(gn.size):
        if not (math.isfinite(gn[c]) and math.isfinite(sn[c])):
            out.append(None)          # a diverged copy: nothing to measure
            continue
        out.append(Measures(grad_norm=float(gn[c]), sample_norm=float(sn[c]),
                            cancellation=float(gn[c] / sn[c]) if sn[c] > 0 else 1.0,
                            saturated=float(sa[c]), units=units,
                            spread=None if sp_[c] is None else float(sp_[c])))
    return out


def _param_ndim(name: str) -> int:
    return 2 if name.startswith("W") else 1


def _spread(W: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """The smallest pairwise distance of the units' (weights, bias) rows over the largest
    row norm: (*copies,)."""
    units = np.concatenate([W, b[..., None]], axis=-1)            # (*copies, m, fan_in + 1)
    m = units.shape[-2]
    if m < 2:
        return None
    diff = units[..., :, None, :] - units[..., None, :, :]
    dist = np.sqrt((diff ** 2).sum(-1))
    dist = np.where(np.eye(m, dtype=bool), np.inf, dist)           # a unit is not its own pair
    top = np.sqrt((units ** 2).sum(-1)).max(-1)
    return dist.min(axis=(-2, -1)) / np.where(top > 0, top, 1.0)


# ---------------------------------------------------------------------------------------------
# Verdicts


@dataclass(frozen=True)
class Verdict:
    """How one run ended.

    status: 'solved', 'plateau' (no better than predicting one constant), 'learning' (not
    solved, loss still falling), 'stuck' (not solved, loss no longer falling), 'unstable'
    (worse than a constant prediction: the steps overshoot), 'diverged' (non-finite) or
    'initial' (0 epochs and not solved: nothing to judge but the starting point).
    wrong: samples misclassified (classification) or None (regression).
    baseline: the loss of the best constant prediction, the height of the plateau.
    reference: what regression is judged against: the baseline, or the starting loss where
    the baseline is 0.
    """

    status: str
    wrong: int | None
    samples: int
    final_loss: float
    baseline: float
    reference: float
    recent_drop: float
    measured: Measures | None = None
    rose: bool = False    # the loss went up from one epoch to the next (by > 0.1 %)

    @property
    def causes(self) -> tuple[str, ...]:
        """What the measurements support as the reason a run is not solved, each only when
        its numbers show it: 'cancelling' (the samples' gradients cancel in the mean),
        'symmetric' (two hidden units compute nearly the same), 'saturated' (most hidden
        units' f′ nearly 0), 'slow' (the loss still falls: too few epochs or too small a
        learning rate), 'minimum' (stopped below the plateau with a vanishing gradient),
        'overshoot' (the loss went up between epochs: the steps are too large)."""
        m = self.measured
        if self.status in ("solved", "diverged", "initial") or m is None:
            return ()
        out = ["overshoot"] if self.rose else []
        if m.cancellation < CANCELLED:
            out.append("cancelling")
        if m.spread is not None and m.spread < SYMMETRIC:
            out.append("symmetric")
        if m.saturated >= 0.5:
            out.append("saturated")
        if self.recent_drop > 0.01:
            out.append("slow")
        elif self.status == "stuck" and m.cancellation < CANCELLED:
            out.append("minimum")
        return tuple(out)

    @property
    def solved(self) -> bool:
        return self.status == "solved"


def is_classification(problem: Problem) -> bool:
    return problem.loss_fn.classes is not None


def predicted_classes(problem: Problem, outputs: np.ndarray) -> np.ndarray:
    """The class of each output, as the loss defines it: ŷ ≥ ½ for bce (per output), the
    argmax for cross-entropy. outputs (..., n, K) → (..., n, K) or (..., n)."""
    return problem.loss_fn.classes(outputs)


def baseline_loss(problem: Problem) -> float:
    """The loss of the best constant prediction ȳ (the mean target): the plateau a network
    sits on before its hidden units break symmetry. ln 2 for XOR with bce."""
    return problem.loss_fn.baseline(problem.targets)


def judge(problem: Problem, outputs: np.ndarray, final_loss: float, history: np.ndarray,
          measured: Measures | None = None) -> Verdict:
    """The verdict on one run from its final outputs (n, K) and loss history (epochs,), and
    what was measured at its final weights."""
    base = baseline_loss(problem)
    final = float(final_loss)
    # With one sample (or constant targets) a constant fits exactly: judge regression against
    # the starting loss instead.
    reference = base if base > 0 or history.shape[0] == 0 else float(history[0])
    n = outputs.shape[0]
    drop = 0.0
    if history.shape[0] >= 10:
        earlier = float(history[-max(1, history.shape[0] // 10)])
        if math.isfinite(earlier) and earlier > 0:
            drop = (earlier - final) / earlier
    wrong = None
    if is_classification(problem):
        got = predicted_classes(problem, outputs)
        want = predicted_classes(problem, problem.targets)
        ok = got == want if got.ndim == 1 else np.all(got == want, axis=-1)
        wrong = int(n - np.count_nonzero(ok))
    if not math.isfinite(final):
        status = "diverged"
    elif history.shape[0] == 0 and not ((wrong == 0) if wrong is not None else
                                        final <= REGRESSION_SOLVED * reference):
        status = "initial"
    elif base > 0 and final > (1 + PLATEAU_RTOL) * base:
        status = "unstable"
    elif base > 0 and final >= (1 - PLATEAU_RTOL) * base:
        status = "plateau"
    elif (wrong == 0) if wrong is not None else final <= REGRESSION_SOLVED * reference:
        status = "solved"
    elif drop > 0.01:
        status = "learning"
    else:
        status = "stuck"
    with np.errstate(invalid="ignore"):   # a diverged history holds inf − inf
        steps = np.diff(history) if history.shape[0] >= 2 else np.zeros(0)
        rose = bool(np.any(steps > 1e-3 * np.abs(history[:-1]))) if steps.size else False
    return Verdict(status=status, wrong=wrong, samples=n, final_loss=final, baseline=base,
                   reference=reference, recent_drop=drop, measured=measured, rose=rose)
