"""Speed of `tutor train`, measured against baselines taken in the same run.

    python benchmarks/train_speed.py [--repeat N]

Prints, with the targets, for XOR (2-3-1 sigmoid, bce, lr 0.1, 5000 full-batch epochs, the same
initial weights everywhere):
1. tutor's training against the minimal hand-written NumPy loop in xor_numpy_loop.py
   (target: at most 1.2x its time);
2. against the same loop written with PyTorch on the CPU with one thread (target: at least 8x
   faster; the row is skipped, and says so, where torch is not installed);
3. `--seeds 100` against a single run (target: under 5x).
It also checks that every implementation ends at the same loss. Machines here are shared and
noisy: runs are interleaved and each figure is the fastest of N.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import xor_numpy_loop  # noqa: E402


def torch_loop(params, epochs=5000, lr=0.1):
    import torch
    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Sigmoid(),
                                torch.nn.Linear(3, 1), torch.nn.Sigmoid()).double()
    with torch.no_grad():
        for layer, l in ((model[0], 1), (model[2], 2)):
            layer.weight.copy_(torch.from_numpy(params[f"W{l}"]))
            layer.bias.copy_(torch.from_numpy(params[f"b{l}"]))
    X = torch.from_numpy(xor_numpy_loop.X)
    Y = torch.from_numpy(xor_numpy_loop.Y)
    loss_fn = torch.nn.BCELoss()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        losses.append(loss.item())
        loss.backward()
        opt.step()
    with torch.no_grad():
        return float(loss_fn(model(X), Y))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    from tutor import load_problem
    from tutor.training import train
    problem = load_problem(ROOT / "problems" / "xor.yaml")
    p0 = {k: np.array(v) for k, v in problem.params.items()}

    def hand():
        p = {k: v.copy() for k, v in p0.items()}
        xor_numpy_loop.train(p["W1"], p["b1"], p["W2"], p["b2"])
        a2 = xor_numpy_loop.sigmoid(xor_numpy_loop.sigmoid(
            xor_numpy_loop.X @ p["W1"].T + p["b1"]) @ p["W2"].T + p["b2"])
        Y = xor_numpy_loop.Y
        return float(-np.mean(Y * np.log(a2) + (1 - Y) * np.log(1 - a2)))

    def ours():
        return float(train(problem).final_loss)

    def sweep():
        return train(problem, seeds=100)

    try:
        import torch
        torch.set_num_threads(1)
        have_torch = True
    except ImportError:
        have_torch = False

    runs = {"tutor": ours, "numpy loop": hand, "tutor --seeds 100": sweep}
    if have_torch:
        runs["pytorch"] = lambda: torch_loop(p0)
    best = {k: float("inf") for k in runs}
    finals = {}
    for _ in range(args.repeat):
        for name, fn in runs.items():
            t = time.perf_counter()
            out = fn()
            best[name] = min(best[name], time.perf_counter() - t)
            if isinstance(out, float):
                finals[name] = out

    print(f"XOR, 5000 epochs, fastest of {args.repeat} interleaved runs")
    for name, t in best.items():
        print(f"  {name:<20} {t * 1000:8.1f} ms")
    agree = max(finals.values()) - min(finals.values())
    print(f"  final losses agree to {agree:.1e}: "
          + ", ".join(f"{k} {v:.12f}" for k, v in finals.items()))
    r = best["tutor"] / best["numpy loop"]
    print(f"tutor / hand-written NumPy loop: {r:.2f}x   (target <= 1.2x)  "
          f"{'ok' if r <= 1.2 else 'MISSED'}")
    if have_torch:
        r = best["pytorch"] / best["tutor"]
        print(f"PyTorch (1 thread) / tutor:      {r:.1f}x   (target >= 8x)   "
              f"{'ok' if r >= 8 else 'MISSED'}")
    else:
        print("PyTorch (1 thread) / tutor:      skipped: torch is not installed")
    r = best["tutor --seeds 100"] / best["tutor"]
    print(f"--seeds 100 / single run:        {r:.2f}x   (target < 5x)    "
          f"{'ok' if r < 5 else 'MISSED'}")


if __name__ == "__main__":
    main()
