"""The NumPy engine: initialisation, forward pass, loss, backward pass, vectorised.

Every function accepts parameters with optional leading "copy" dimensions: W<l> of shape
(..., units, fan_in) and b<l> of shape (..., units). The same code then runs one network, the
4·P perturbed copies of a finite-difference check, or a sweep over N seeds, in one computation.
Data X is (n_samples, n_inputs), Y is (n_samples, n_outputs); activations come out as
(..., n_samples, units).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np

from . import losses
from .problem import Network, Problem, init_params  # noqa: F401  (the engine's API)

Params = Mapping[str, np.ndarray]


@dataclass(slots=True)
class Forward:
    """The forward pass: zs[l-1] = Z⁽ˡ⁾ and activations[l] = A⁽ˡ⁾ (activations[0] = X)."""

    zs: list[np.ndarray]
    activations: list[np.ndarray]

    @property
    def output(self) -> np.ndarray:
        return self.activations[-1]


def forward(network: Network, params: Params, X: np.ndarray, outputs: bool = True
            ) -> Forward:
    """Z⁽ˡ⁾ = A⁽ˡ⁻¹⁾ W⁽ˡ⁾ᵀ + b⁽ˡ⁾, A⁽ˡ⁾ = f(Z⁽ˡ⁾), for every layer; without ``outputs``, the
    output layer's Z only (its A is None: a loss from logits needs no more).

    X may carry the copy dimensions too, (..., n_samples, n_inputs): a different mini-batch
    per copy."""
    A = X
    zs, acts = [], [X]
    last = len(network.layers) - 1
    # Written lean (no per-layer name formatting): training calls this once per epoch.
    for l, (layer, (wname, bname)) in enumerate(zip(network.layers, network.param_names)):
        Z = A @ params[wname].mT
        b = params[bname]
        Z += b if b.ndim == 1 else b[..., None, :]
        A = layer.act.value(Z) if outputs or l < last else None
        zs.append(Z)
        acts.append(A)
    return Forward(zs, acts)


def sample_losses(network: Network, loss: losses.Loss | str, fw: Forward, Y: np.ndarray
                  ) -> np.ndarray:
    """ℓ for every sample: (..., n_samples)."""
    return losses.entry(loss).value(fw.zs[-1], fw.output, Y)


def batch_loss(network: Network, loss: losses.Loss | str, params: Params, X: np.ndarray,
               Y: np.ndarray) -> np.ndarray:
    """L = mean over samples of ℓ: shape (...) of the copy dimensions."""
    return sample_losses(network, loss, forward(network, params, X), Y).mean(axis=-1)


@dataclass(slots=True)
class Backward:
    """deltas[l-1] = δ⁽ˡ⁾ = ∂ℓ/∂Z⁽ˡ⁾ per sample; grads = ∂L/∂p of the batch mean, by array name."""

    deltas: list[np.ndarray]
    grads: dict[str, np.ndarray]


def backward(network: Network, loss: losses.Loss | str, params: Params, fw: Forward,
             Y: np.ndarray, mean: bool = True, scale: float | None = None) -> Backward:
    """Backpropagation: δ⁽ᴸ⁾ from the loss, δ⁽ˡ⁾ = (δ⁽ˡ⁺¹⁾ W⁽ˡ⁺¹⁾) ⊙ f'(Z⁽ˡ⁾),
    ∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ᵀ A⁽ˡ⁻¹⁾ / n, ∂L/∂b⁽ˡ⁾ = mean of δ⁽ˡ⁾ over samples.

    Y: (..., n, n_outputs), the targets of the samples in ``fw``. With ``mean=False`` the
    gradients are of the sum of ℓ over the samples, n·L, sparing the divisions for a caller
    that folds 1/n into its step size. With ``scale`` (and ``mean=False``), every δ and
    gradient is of scale·Σℓ: training passes 1/n, one multiplication at the output instead of
    one per parameter array (exactly the mean when n is a power of two)."""
    layers = network.layers
    n = Y.shape[-2]
    delta = losses.entry(loss).output_delta(fw.zs[-1], fw.output, Y, layers[-1].act)
    if scale is not None:
        delta = delta * scale
    deltas: list[np.ndarray] = [delta]
    grads: dict[str, np.ndarray] = {}
    for l in range(len(layers), 0, -1):
        wname, bname = network.param_names[l - 1]
        A_prev = fw.activations[l - 1]
        gW = delta.mT @ A_prev
        gb = np.add.reduce(delta, axis=-2)  # (np.mean costs twice as much on small arrays)
        if mean:
            gW /= n
            gb /= n
        grads[wname] = gW
        grads[bname] = gb
        if l > 1:
            delta = (delta @ params[wname]) * layers[l - 2].act.grad(fw.zs[l - 2], A_prev)
            deltas.append(delta)
    deltas.reverse()
    return Backward(deltas, grads)


def loss_and_gradients(problem: Problem, params: Params | None = None
                       ) -> tuple[np.ndarray, Forward, Backward]:
    """The batch loss, the forward pass and the backward pass at ``params`` (default: the
    problem's initial parameters)."""
    params = problem.params if params is None else params
    fw = forward(problem.network, params, problem.inputs)
    L = sample_losses(problem.network, problem.loss_fn, fw, problem.targets).mean(axis=-1)
    return L, fw, backward(problem.network, problem.loss_fn, params, fw, problem.targets)
