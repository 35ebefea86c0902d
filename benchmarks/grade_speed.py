"""Speed of `tutor grade`: a class of 200 XOR submissions, against one, in the same run.

    python benchmarks/grade_speed.py [--students 200]

Prints the whole command `tutor grade` for one student and for the class (target: the class
in under 10 s on this machine's cores), and the ratio of the two. The submissions are the
students' keys with every third number changed (so that mistakes are named and followed
through, as in a real class).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
XOR = ROOT / "problems" / "xor.yaml"


def make_class(folder: Path, n: int, seed: int) -> Path:
    import yaml
    from tutor import load_problem
    from tutor.gradebook import numeric_key
    from tutor.roster import Student
    from tutor.sheet import sheet_for
    from tutor.variants import variant_problem
    from tutor.derivation import derive
    from tutor.printing.exprs import ascii

    problem = load_problem(XOR)
    roster = folder / "students.csv"
    roster.write_text("id,name\n" + "".join(f"s{i:04d},Student {i}\n" for i in range(n)))
    subs = folder / "subs"
    subs.mkdir()
    # The formulas are the same text for every variant: derive them once.
    sheet = sheet_for(problem)
    d = derive(problem, list(sheet.params))
    formulas = {g.param.name: ascii(g.expression) for g in d.gradients}
    section = {"value": "values", "sample_gradient": "sample_gradients", "update": "updates"}
    for i in range(n):
        st = Student(f"s{i:04d}", f"Student {i}")
        v = st.variant(seed)
        key = numeric_key(problem, seed, v, None, 4)
        doc = {"variant": v, "seed": seed, "formulas": formulas}
        for k, ((kind, name), value) in enumerate(sorted(key.items())):
            doc.setdefault(section[kind], {})[name] = round(value + (0.1 if k % 3 == 0 else 0), 4)
        (subs / f"{st.id}.yaml").write_text(yaml.safe_dump(doc))
    return roster


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        roster = make_class(tmp, args.students, 7)
        one = tmp / "one.csv"
        one.write_text("".join(roster.read_text().splitlines(keepends=True)[:2]))
        cmd = [sys.executable, "-m", "tutor", "grade", str(XOR), str(tmp / "subs"), "--seed", "7"]

        def timed(r: Path) -> float:
            t = time.perf_counter()
            subprocess.run(cmd + ["--roster", str(r), "-o", str(tmp / "g.csv")], check=True,
                           capture_output=True)
            return time.perf_counter() - t

        single = min(timed(one) for _ in range(3))
        whole = timed(roster)
        print(f"tutor grade, 1 student: {single:.2f} s; {args.students} students: "
              f"{whole:.2f} s ({whole / single:.1f}x the one; target under 10 s: "
              f"{'ok' if whole < 10 else 'MISSED'})")


if __name__ == "__main__":
    main()
