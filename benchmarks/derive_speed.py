"""Speed of `tutor derive`, measured against baselines taken in the same run.

    python benchmarks/derive_speed.py [--repeat N]

Prints, with the targets:
1. the whole process `tutor derive problems/xor.yaml` (target: under 1.5 s), beside the bare
   `python -c "import sympy, numpy"` it cannot avoid;
2. all 105 parameters of a 2-8-8-1 sigmoid/BCE network, checks included, against
   differentiating the fully expanded loss with sympy.diff (target: at least 20x faster);
3. 2-16-16-1 (337 parameters) against 2-8-8-1 (target: at most 4x the time);
4. whether `tutor --help` imports SymPy or NumPy (target: neither);
5. `tutor derive problems/xor.yaml --epoch 5000` against `tutor train --epochs 5000` plus
   `tutor derive`, whole processes (target: at most their sum).
Machines here are shared and noisy: each figure is the median of several runs.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def network(h1: int, h2: int):
    import yaml
    from tutor import parse_problem
    return parse_problem(yaml.safe_dump({
        "name": f"2-{h1}-{h2}-1", "network": {"inputs": 2, "layers": [
            {"units": h1, "activation": "sigmoid"}, {"units": h2, "activation": "sigmoid"},
            {"units": 1, "activation": "sigmoid"}]},
        "loss": "bce", "data": {"inputs": [[0, 0], [0, 1], [1, 0], [1, 1]],
                                "targets": [0, 1, 1, 0]},
        "init": {"seed": 0}}))


def expanded_loss(problem):
    """The batch loss as one SymPy expression in the parameters: the naive approach."""
    import sympy as sp
    net = problem.network
    params = {}
    for name, shape in net.shapes().items():
        params[name] = sp.Matrix(*((shape[0], shape[1]) if len(shape) == 2 else (shape[0], 1)),
                                 lambda *ij: sp.Symbol(f"{name}_{'_'.join(map(str, ij))}"))
    total = 0
    for x, (y,) in zip(problem.inputs.tolist(), problem.targets.tolist()):
        a = sp.Matrix(x)
        for l in range(1, len(net.layers) + 1):
            z = params[f"W{l}"] * a + params[f"b{l}"]
            a = z.applyfunc(lambda t: 1 / (1 + sp.exp(-t)))
        yhat = a[0]
        total += -(y * sp.log(yhat) + (1 - y) * sp.log(1 - yhat))
    symbols = [s for m in params.values() for s in m]
    return total / len(problem.inputs), symbols


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from tutor import derive

    tutor_exe = [sys.executable, "-m", "tutor"]
    process = median_time(lambda: subprocess.run(
        tutor_exe + ["derive", str(ROOT / "problems" / "xor.yaml")], check=True,
        capture_output=True), args.repeat)
    imports = median_time(lambda: subprocess.run(
        [sys.executable, "-c", "import sympy, numpy"], check=True), args.repeat)
    print(f"1. tutor derive problems/xor.yaml, whole process: {process:.2f} s "
          f"(target < 1.5 s: {'ok' if process < 1.5 else 'MISSED'}); "
          f"of which importing sympy+numpy alone: {imports:.2f} s")

    p8 = network(8, 8)
    derive(p8)  # warm the caches of SymPy's import-time machinery once
    ours = median_time(lambda: derive(p8), args.repeat)
    loss, symbols = expanded_loss(p8)
    import sympy as sp
    t = time.perf_counter()
    for s in symbols:
        sp.diff(loss, s)
    naive = time.perf_counter() - t
    ratio = naive / ours
    print(f"2. 2-8-8-1, {len(symbols)} parameters: tutor derive with checks {ours:.3f} s; "
          f"sympy.diff of the expanded loss {naive:.2f} s; {ratio:.1f}x faster "
          f"(target >= 20x: {'ok' if ratio >= 20 else 'MISSED'})")

    p16 = network(16, 16)
    big = median_time(lambda: derive(p16), max(3, args.repeat // 2))
    scale = big / ours
    print(f"3. 2-16-16-1, {len(p16.network.param_refs())} parameters: {big:.3f} s, "
          f"{scale:.2f}x the time of 2-8-8-1 for {len(p16.network.param_refs()) / 105:.1f}x "
          f"the parameters (target <= 4x: {'ok' if scale <= 4 else 'MISSED'})")

    code = ("import sys\nfrom tutor.cli import main\ntry:\n    main(['--help'])\n"
            "except SystemExit:\n    pass\n"
            "print(','.join(m for m in ('sympy', 'numpy') if m in sys.modules) or 'neither')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip().splitlines()[-1]
    print(f"4. tutor --help imports: {out} (target: neither: {'ok' if out == 'neither' else 'MISSED'})")

    xor = str(ROOT / "problems" / "xor.yaml")
    run = lambda *a: subprocess.run(tutor_exe + list(a), check=True, capture_output=True)
    at = median_time(lambda: run("derive", xor, "--epoch", "5000"), args.repeat)
    train = median_time(lambda: run("train", xor, "--epochs", "5000"), args.repeat)
    both = train + process
    print(f"5. tutor derive --epoch 5000: {at:.2f} s; train --epochs 5000 {train:.2f} s + "
          f"derive {process:.2f} s = {both:.2f} s; ratio {at / both:.2f} "
          f"(target <= 1: {'ok' if at <= both else 'MISSED'})")


if __name__ == "__main__":
    main()
