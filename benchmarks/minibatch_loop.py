"""The baseline for `tutor train` on a larger problem: a hand-written NumPy mini-batch loop.

2-64-64-1 (tanh, tanh, sigmoid), binary cross-entropy, 1,024 samples in shuffled mini-batches
of 32, SGD with momentum 0.9 as torch.optim.SGD applies it (v ← μv + g, p ← p − ηv, g the
batch mean), the loss over all samples recorded at the start of every epoch: the computation
`tutor train` does, written as directly as NumPy allows. The shuffles are drawn as tutor draws
them (a permutation per epoch from ``default_rng([1, seed])``), so both end at the same
weights. benchmarks/scale_speed.py times `tutor train` against it.
"""

import numpy as np


def problem(samples: int = 1024, seed: int = 0) -> dict:
    """Two interleaved spirals: a problem file's content (``data``, ``network``, …)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0.25, 3.0, samples) * np.pi
    label = np.arange(samples) % 2
    r = t / (3 * np.pi)
    x = np.stack([r * np.cos(t + np.pi * label), r * np.sin(t + np.pi * label)], axis=1)
    x += rng.normal(0, 0.02, x.shape)
    return {"name": "spirals 2-64-64-1",
            "network": {"inputs": 2, "layers": [{"units": 64, "activation": "tanh"},
                                                {"units": 64, "activation": "tanh"},
                                                {"units": 1, "activation": "sigmoid"}]},
            "loss": "bce",
            "data": {"inputs": np.round(x, 6).tolist(), "targets": label.tolist()},
            "init": {"seed": 0},
            "training": {"lr": 0.05, "epochs": 2000, "batch_size": 32, "momentum": 0.9}}


def train(params: dict, X: np.ndarray, Y: np.ndarray, *, lr: float, epochs: int, batch: int,
          momentum: float, seed: int | None) -> np.ndarray:
    """params (W1, b1, W2, b2, W3, b3) are updated in place; returns the losses."""
    W1, b1, W2, b2, W3, b3 = (params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    ps = [W1, b1, W2, b2, W3, b3]
    vs = [None] * 6
    n = X.shape[0]
    rng = np.random.default_rng([1, seed or 0])
    losses = np.empty(epochs)
    for epoch in range(epochs):
        z3 = np.tanh(np.tanh(X @ W1.T + b1) @ W2.T + b2) @ W3.T + b3
        # BCE from logits: log(1 + e^z) − y·z, computed stably.
        losses[epoch] = np.mean(np.logaddexp(0, z3) - Y * z3)
        order = rng.random(n).argsort()
        for s in range(0, n, batch):
            idx = order[s:s + batch]
            x, y = X[idx], Y[idx]
            a1 = np.tanh(x @ W1.T + b1)
            a2 = np.tanh(a1 @ W2.T + b2)
            a3 = 1 / (1 + np.exp(-(a2 @ W3.T + b3)))
            m = len(idx)
            d3 = (a3 - y) / m
            d2 = (d3 @ W3) * (1 - a2 * a2)
            d1 = (d2 @ W2) * (1 - a1 * a1)
            gs = [d1.T @ x, d1.sum(0), d2.T @ a1, d2.sum(0), d3.T @ a2, d3.sum(0)]
            for k, (p, g) in enumerate(zip(ps, gs)):
                if vs[k] is None:
                    vs[k] = g
                else:
                    vs[k] *= momentum
                    vs[k] += g
                p -= lr * vs[k]
    return losses
