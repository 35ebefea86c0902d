"""Loss functions: one entry each, holding everything tutor knows about it.

Every loss is a per-sample loss ℓ(ŷ, y) over the K outputs of one sample; the batch loss is
L = (1/N) Σₙ ℓₙ, the mean over samples (as in PyTorch's default ``reduction='mean'``, which for
``bce`` and ``mse`` is also the mean over outputs).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from .lazy import sp

from .activations import Option, Resolving, lazy
from .exprs import product, quotient
from .i18n import N_, _
from .words import Words



def _rule_symbols():
    """ŷₖ, yₖ and K, the generic symbols the loss rules are stated in."""
    return sp.Symbol("yhat_k"), sp.Symbol("y_k"), sp.Symbol("K", positive=True, integer=True)


@dataclass(frozen=True)
class Loss(Resolving):
    """One loss, in every form tutor uses.

    symbolic(yhats, ys) -> ℓ          the per-sample loss, as SymPy
    derivative(yhat_k, y_k, K)        ∂ℓ/∂ŷₖ, as the derivation prints it
    rule                              (lhs, rhs) of that derivative in generic ŷₖ, yₖ, K
    fused_with                        the output activation whose derivative cancels against
                                      this loss's (BCE∘sigmoid, CE∘softmax), or None
    fused(yhat_m, y_m, K)             ∂ℓ/∂zₘ after that cancellation
    value(Z, A, Y) -> (..., n)        NumPy per-sample loss, from the pre-activations Z where
                                      that is the stable way (logits), else from A = ŷ
    output_delta(Z, A, Y, act)        NumPy ∂ℓ/∂Z of the output layer, (..., n, K)
    baseline(Y) -> float              the loss of the best constant prediction (the mean
                                      target ȳ for every sample): the training verdict's
                                      plateau (ln 2 for XOR with bce)
    classes(outputs) -> classes|None  the class of each prediction (…, n, K), for losses of
                                      classification (ŷ ≥ ½ per output, or the argmax);
                                      None for regression; ``class_rule`` says it in words
    from_outputs(A, Y) -> (..., n)    ℓ from the outputs ŷ alone (a student's ŷ, which no z
                                      produced); ``value`` where it needs no z
    output, output_needs              the output activation it needs (None: any elementwise
                                      one), and how an error says so
    bad_targets(Y) -> (where, what)   the first target it cannot take (where: "[r][c]" or
                                      "[r]"), or None
    options, configure(**values)      numbers the problem file may give it (huber's delta), and
                                      the entry with those values
    random_targets(rng, shape)        targets of the kind the loss takes, for the grader's
                                      random points (probability vectors for cross-entropy)
    aliases                           other frameworks' names for it (PyTorch's, Keras's),
                                      answered with "did you mean" this one
    scale_slips                       the usual slips by a constant factor in ℓ or δ⁽ᴸ⁾ by hand:
                                      (where 'ell' or 'delta', id, words, factor(K) or None
                                      where it does not apply), e.g. mse's forgotten 1/K
    rounding(Z, A, Y) -> (..., n)     the size of the numbers ``value`` adds and subtracts
                                      (its rounding error is a few ulp of this, not of ℓ:
                                      CE's log-sum-exp − zₖ cancels to a tiny ℓ)
    from_logits                       ``value`` reads Z alone (A may be None): training
                                      records the loss without computing the outputs
    """

    name: str
    title: str
    symbolic: Callable
    derivative: Callable
    rule: tuple
    value: Callable
    output_delta: Callable
    rounding: Callable
    baseline: Callable
    from_outputs: Callable
    classes: Callable | None = None
    class_rule: str | None = None
    random_targets: Callable = lambda rng, shape: rng.uniform(0.05, 0.95, shape)
    aliases: tuple[str, ...] = ()
    options: tuple[Option, ...] = ()
    configure: Callable | None = None
    output: str | None = None
    output_needs: str | None = None
    bad_targets: Callable = lambda Y: None
    fused_with: str | None = None
    fused: Callable | None = None
    fused_title: str | None = None
    scale_slips: tuple = ()
    from_logits: bool = False


def _sum(*terms) -> sp.Expr:
    """t₁ + t₂ + … in this order (unevaluated); accepts the terms or one iterable of them."""
    if len(terms) == 1 and not isinstance(terms[0], sp.Basic):
        terms = tuple(terms[0])
    return terms[0] if len(terms) == 1 else sp.Add(*terms, evaluate=False)


def _bce_value(Z, A, Y):
    # −[y log σ(z) + (1−y) log(1−σ(z))] = max(z, 0) − y·z + log(1 + e^(−|z|)), never overflowing.
    return (np.maximum(Z, 0) - Y * Z + np.log1p(np.exp(-np.abs(Z)))).mean(axis=-1)


def _ce_value(Z, A, Y):
    # −Σ yₖ log softmax(z)ₖ = Σ yₖ (logsumexp(z) − zₖ), with logsumexp shifted by the maximum.
    m = Z.max(axis=-1, keepdims=True)
    lse = m + np.log(np.exp(Z - m).sum(axis=-1, keepdims=True))
    return (Y * (lse - Z)).sum(axis=-1)


def _xlogx(p):
    """p·ln p, with 0·ln 0 = 0."""
    return np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)


def _bce_outputs(A, Y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return (-(Y * np.log(A) + (1 - Y) * np.log(1 - A))).mean(axis=-1)


def _ce_outputs(A, Y):
    with np.errstate(divide="ignore", invalid="ignore"):
        return -(Y * np.log(A)).sum(axis=-1)


def _unit_interval(Y):
    bad = np.argwhere((Y < 0) | (Y > 1))
    if len(bad):
        r, c = bad[0]
        return f"[{r}][{c}]", _("bce needs targets in [0, 1]; got {y:g}").format(y=Y[r, c])
    return None


def _probability_vectors(Y):
    for r, row in enumerate(Y):
        if (row < 0).any() or abs(row.sum() - 1) > 1e-9:
            return (f"[{r}]", _("cross_entropy needs each target to be a probability "
                                "vector (non-negative, summing to 1), such as one-hot "
                                "[0, 1, 0]"))
    return None


def _scaled(D, c):
    """c·D, in place; skipped when c is 1 (the common single output)."""
    if c != 1:
        D *= c
    return D


def _huber(delta: float) -> Loss:
    """Huber's loss: ½r² for |r| ≤ δ, δ(|r| − δ/2) beyond, r = ŷ − y, the mean over outputs
    (PyTorch's HuberLoss): quadratic near the target, linear far from it."""
    def d():
        return sp.Float(delta, 15)

    def piece(r):
        return sp.Piecewise((product(sp.Rational(1, 2), r ** 2), sp.Abs(r) <= d()),
                            (product(d(), sp.Abs(r) - d() / 2), True))

    def value(Z, A, Y):
        r = np.abs(A - Y)
        return np.where(r <= delta, 0.5 * r * r, delta * (r - 0.5 * delta)).mean(axis=-1)

    def slope(A, Y):
        return np.clip(A - Y, -delta, delta)

    return Loss(
        name="huber",
        aliases=("HuberLoss", "smooth_l1", "SmoothL1Loss"),
        title=Words("Huber loss (δ = {delta:g})", delta=delta),
        symbolic=lambda yh, y: product(sp.Rational(1, len(yh)),
                                       _sum(piece(yhk - yk) for yhk, yk in zip(yh, y))),
        derivative=lambda yhk, yk, K: quotient(sp.Piecewise(
            (yhk - yk, sp.Abs(yhk - yk) <= d()), (product(d(), sp.sign(yhk - yk)), True)), K),
        rule=lazy(lambda: (lambda _yh, _y, _K: (sp.Derivative(sp.Symbol("ell"), _yh), quotient(sp.Piecewise(
            (_yh - _y, sp.Abs(_yh - _y) <= d()), (product(d(), sp.sign(_yh - _y)), True)), _K)))(*_rule_symbols())),
        value=value,
        output_delta=lambda Z, A, Y, act: slope(A, Y) / Y.shape[-1] * act.grad(Z, A),
        rounding=lambda Z, A, Y: (np.abs(A - Y) * (np.abs(A) + delta)).mean(axis=-1),
        baseline=lambda Y: float(value(None, np.broadcast_to(Y.mean(axis=0), Y.shape), Y).mean()),
        from_outputs=lambda A, Y: value(None, A, Y),
        options=(Option("delta", 1.0, 0, 1e6, lo_open=True),),
        configure=_huber,
    )


LOSSES: dict[str, Loss] = {
    "bce": Loss(
        name="bce",
        aliases=("binary_cross_entropy", "binary_crossentropy", "BCELoss", "BCEWithLogitsLoss", "log_loss"),
        title=N_("binary cross-entropy"),
        symbolic=lambda yh, y: product(sp.Rational(-1, len(yh)), _sum(
            _sum(product(yk, sp.log(yhk)), product(1 - yk, sp.log(1 - yhk)))
            for yhk, yk in zip(yh, y))),
        derivative=lambda yhk, yk, K: quotient(yhk - yk, product(K, yhk, 1 - yhk)),
        rule=lazy(lambda: (lambda _yh, _y, _K: (sp.Derivative(sp.Symbol("ell"), _yh), quotient(_yh - _y, product(_K, _yh, 1 - _yh))))(*_rule_symbols())),
        value=_bce_value,
        output_delta=lambda Z, A, Y, act: _scaled(A - Y, 1 / Y.shape[-1]),
        rounding=lambda Z, A, Y: (np.maximum(Z, 0) + np.abs(Y * Z)
                                  + np.log1p(np.exp(-np.abs(Z)))).mean(axis=-1),
        baseline=lambda Y: float(np.mean(-(_xlogx(Y.mean(axis=0)) + _xlogx(1 - Y.mean(axis=0))))),
        from_outputs=_bce_outputs,
        classes=lambda A: (A >= 0.5).astype(int),
        class_rule=N_("1 when ŷ ≥ 0.5"),
        output="sigmoid",
        output_needs=N_("outputs in (0, 1): a sigmoid output layer"),
        bad_targets=_unit_interval,
        fused_with="sigmoid",
        from_logits=True,
        fused=lambda yhm, ym, K: quotient(yhm - ym, K),
        fused_title=N_("BCE∘sigmoid"),
    ),
    "mse": Loss(
        name="mse",
        aliases=("MSELoss", "mean_squared_error", "squared_error", "l2"),
        title=N_("mean squared error"),
        symbolic=lambda yh, y: product(sp.Rational(1, len(yh)),
                                       _sum((yhk - yk) ** 2 for yhk, yk in zip(yh, y))),
        derivative=lambda yhk, yk, K: product(sp.Rational(2, K), yhk - yk),
        rule=lazy(lambda: (lambda _yh, _y, _K: (sp.Derivative(sp.Symbol("ell"), _yh), quotient(product(2, _yh - _y), _K)))(*_rule_symbols())),
        value=lambda Z, A, Y: ((A - Y) ** 2).mean(axis=-1),
        output_delta=lambda Z, A, Y, act: 2 * (A - Y) / Y.shape[-1] * act.grad(Z, A),
        rounding=lambda Z, A, Y: ((A - Y) ** 2 + 2 * np.abs(A - Y) * np.abs(A)).mean(axis=-1),
        baseline=lambda Y: float(Y.var(axis=0).mean()),
        from_outputs=lambda A, Y: ((A - Y) ** 2).mean(axis=-1),
        scale_slips=(
            ("ell", "missing_output_mean",
             N_("the 1/K of the mean over the K outputs is missing"),
             lambda K: K if K > 1 else None),
            ("delta", "missing_output_mean",
             N_("the 1/K of the mean over the K outputs is missing (∂ℓ/∂ŷₖ = 2(ŷₖ − yₖ)/K)"),
             lambda K: K if K > 1 else None),
            ("delta", "missing_factor_two",
             N_("the 2 of the square's derivative is missing (∂ℓ/∂ŷₖ = 2(ŷₖ − yₖ)/K)"),
             lambda K: 0.5)),
    ),
    "half_sse": Loss(
        name="half_sse",
        aliases=("sse", "sum_squared_error", "sum_of_squares"),
        title=N_("half sum of squared errors"),
        symbolic=lambda yh, y: product(sp.Rational(1, 2),
                                       _sum((yk - yhk) ** 2 for yhk, yk in zip(yh, y))),
        derivative=lambda yhk, yk, K: yhk - yk,
        rule=lazy(lambda: (lambda _yh, _y, _K: (sp.Derivative(sp.Symbol("ell"), _yh), _yh - _y))(*_rule_symbols())),
        value=lambda Z, A, Y: 0.5 * ((A - Y) ** 2).sum(axis=-1),
        output_delta=lambda Z, A, Y, act: (A - Y) * act.grad(Z, A),
        rounding=lambda Z, A, Y: (0.5 * (A - Y) ** 2 + np.abs(A - Y) * np.abs(A)).sum(axis=-1),
        baseline=lambda Y: float(0.5 * Y.var(axis=0).sum()),
        from_outputs=lambda A, Y: 0.5 * ((A - Y) ** 2).sum(axis=-1),
        scale_slips=(
            ("delta", "extra_factor_two",
             N_("the ½ of ½ Σ (ŷ − y)² cancels the square's 2: ∂ℓ/∂ŷ = ŷ − y, with no "
                "factor 2"), lambda K: 2.0),),
    ),
    "cross_entropy": Loss(
        name="cross_entropy",
        aliases=("CrossEntropyLoss", "categorical_crossentropy", "sparse_categorical_crossentropy", "NLLLoss", "nll", "ce", "softmax_cross_entropy"),
        title=N_("cross-entropy"),
        symbolic=lambda yh, y: product(-1, _sum(product(yk, sp.log(yhk))
                                                for yhk, yk in zip(yh, y))),
        derivative=lambda yhk, yk, K: quotient(-yk, yhk),
        rule=lazy(lambda: (lambda _yh, _y, _K: (sp.Derivative(sp.Symbol("ell"), _yh), quotient(-_y, _yh)))(*_rule_symbols())),
        value=_ce_value,
        # Σₖ ∂ℓ/∂ŷₖ ∂ŷₖ/∂zₘ = ŷₘ Σₖ yₖ − yₘ, which is ŷₘ − yₘ for targets summing to 1.
        output_delta=lambda Z, A, Y, act: A * Y.sum(axis=-1, keepdims=True) - Y,
        rounding=lambda Z, A, Y: (np.abs(Y) * (2 * np.abs(Z).max(axis=-1, keepdims=True)
                                               + np.log(Z.shape[-1]))).sum(axis=-1),
        baseline=lambda Y: float(-np.sum(_xlogx(Y.mean(axis=0)))),
        from_outputs=_ce_outputs,
        classes=lambda A: A.argmax(axis=-1),
        class_rule=N_("the largest output"),
        output="softmax",
        output_needs=N_("a softmax output layer"),
        bad_targets=_probability_vectors,
        random_targets=lambda rng, shape: rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]),
        fused_with="softmax",
        from_logits=True,
        fused=lambda yhm, ym, K: yhm - ym,
        fused_title=N_("CE∘softmax"),
    ),
}
LOSSES["huber"] = _huber(1.0)

NAMES = tuple(LOSSES)


def get(name: str, options: dict[str, float] | None = None) -> Loss:
    """The loss called ``name``, configured with ``options`` (huber's delta) where given."""
    entry = LOSSES[name]
    return entry.configure(**options) if options else entry


def entry(loss: "Loss | str") -> Loss:
    """A Loss, given one or its name."""
    return LOSSES[loss] if isinstance(loss, str) else loss
