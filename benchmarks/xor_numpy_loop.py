"""The baseline for `tutor train`: XOR trained by a minimal hand-written NumPy loop.

2-3-1 sigmoid network, binary cross-entropy (mean over the 4 samples), one full-batch
gradient-descent update per epoch, the loss recorded every epoch: what a learner would write
after reading about backpropagation. benchmarks/train_speed.py times `tutor train` against it.
"""

import numpy as np

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
Y = np.array([[0.0], [1.0], [1.0], [0.0]])


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def train(W1, b1, W2, b2, lr=0.1, epochs=5000):
    """W1 (3, 2), b1 (3,), W2 (1, 3), b2 (1,) are updated in place; returns the losses."""
    n = X.shape[0]
    losses = np.empty(epochs)
    for epoch in range(epochs):
        a1 = sigmoid(X @ W1.T + b1)
        a2 = sigmoid(a1 @ W2.T + b2)
        losses[epoch] = -np.mean(Y * np.log(a2) + (1 - Y) * np.log(1 - a2))
        d2 = (a2 - Y) / n                      # ∂L/∂z2: BCE∘sigmoid gives ŷ − y
        d1 = (d2 @ W2) * a1 * (1 - a1)         # ∂L/∂z1
        W2 -= lr * (d2.T @ a1)
        b2 -= lr * d2.sum(axis=0)
        W1 -= lr * (d1.T @ X)
        b1 -= lr * d1.sum(axis=0)
    return losses


if __name__ == "__main__":
    rng = np.random.default_rng(0)
    W1, b1 = rng.uniform(-0.7, 0.7, (3, 2)), rng.uniform(-0.7, 0.7, 3)
    W2, b2 = rng.uniform(-0.5, 0.5, (1, 3)), rng.uniform(-0.5, 0.5, 1)
    losses = train(W1, b1, W2, b2)
    for epoch in range(0, 5000, 500):
        print(f"Epoch {epoch}, Loss: {losses[epoch]:.4f}")
