"""Speed of `tutor worksheet`: 30 variants of XOR, worksheets and solutions compiled to PDF.

    python benchmarks/worksheet_speed.py [--variants N]

Target: under 60 s here. Prints the time of each stage: building the variants (derivations,
verification, training for the loss curves), and pdflatex for each document; and, as the
baseline measured in the same run, one pdflatex run of a one-page document, the fixed cost of
starting TeX.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--variants", type=int, default=30)
    args = ap.parse_args()
    from tutor import load_problem
    from tutor.latex import compile_pdf
    from tutor.printing.worksheetdoc import solutions_tex, worksheet_tex
    from tutor.worksheet import build

    problem = load_problem(ROOT / "problems" / "xor.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        compile_pdf("\\documentclass{article}\\begin{document}x\\end{document}\n",
                    Path(tmp) / "empty.pdf")
        t_empty = time.perf_counter() - t0

        t0 = time.perf_counter()
        variants = build(problem, args.variants, seed=0)
        t_build = time.perf_counter() - t0
        t0 = time.perf_counter()
        sheet = worksheet_tex(variants, 4)
        sols = solutions_tex(variants, 4)
        t_tex = time.perf_counter() - t0
        t0 = time.perf_counter()
        compile_pdf(sheet, Path(tmp) / "worksheet.pdf")
        t_sheet = time.perf_counter() - t0
        t0 = time.perf_counter()
        compile_pdf(sols, Path(tmp) / "solutions.pdf")
        t_sols = time.perf_counter() - t0
    total = t_build + t_tex + t_sheet + t_sols
    print(f"{args.variants} variants of XOR, worksheets and solutions to PDF")
    print(f"  build variants (derive, verify, train)  {t_build:6.2f} s")
    print(f"  write LaTeX                              {t_tex:6.2f} s")
    print(f"  pdflatex worksheet.tex                   {t_sheet:6.2f} s")
    print(f"  pdflatex solutions.tex                   {t_sols:6.2f} s")
    print(f"  baseline: pdflatex of a one-line page    {t_empty:6.2f} s")
    print(f"total {total:.1f} s   (target < 60 s)  {'ok' if total < 60 else 'MISSED'}")
    sys.exit(0)


if __name__ == "__main__":
    main()
