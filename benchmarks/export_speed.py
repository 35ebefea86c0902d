"""Speed of `tutor export`: 100 XOR variants to Moodle XML, against one, in the same run.

    python benchmarks/export_speed.py [--variants 100]

Prints the whole command for 1 variant and for 100 (target: under 10 s on this machine's
cores) and their ratio.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variants", type=int, default=100)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        def timed(n: int, fmt: str = "moodle") -> float:
            out = Path(tmp) / f"q.{'zip' if fmt == 'qti' else 'xml'}"
            t = time.perf_counter()
            subprocess.run([sys.executable, "-m", "tutor", "export",
                            str(ROOT / "problems" / "xor.yaml"), "-n", str(n), "--seed", "0",
                            "-f", fmt, "-o", str(out)], check=True, capture_output=True)
            return time.perf_counter() - t

        one = min(timed(1) for _ in range(3))
        many = timed(args.variants)
        qti = timed(args.variants, "qti")
        print(f"tutor export, 1 variant: {one:.2f} s; {args.variants} variants: Moodle XML "
              f"{many:.2f} s ({many / one:.1f}x), QTI {qti:.2f} s (target under 10 s: "
              f"{'ok' if max(many, qti) < 10 else 'MISSED'})")


if __name__ == "__main__":
    main()
