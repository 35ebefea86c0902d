"""The report of `tutor check`: text for the terminal, and JSON (format 1, in the README)."""

from __future__ import annotations

import json
import textwrap

from ..checking import Report, Result
from . import exprs
from .mathml import mathml

WIDTH = 88


def sentence(s: str) -> str:
    """``s`` as a sentence: its first word capitalised, unless it begins with mathematics
    (a⁽¹⁾₂, z⁽¹⁾₃, ŷ): a formula keeps its letters as they are."""
    first = s.split(" ", 1)[0]
    if first.isascii() and first.isalpha():
        return s[0].upper() + s[1:]
    return s


def _fill(s: str) -> str:
    """Wrapped to WIDTH, never inside a formula: only at spaces between words."""
    return textwrap.fill(s, WIDTH, initial_indent="    ", subsequent_indent="    ",
                         break_long_words=False, break_on_hyphens=False)


def _tolerance(report: Report) -> str:
    t = f"relative {report.rtol:g}, absolute {report.atol:g}"
    if report.answers.decimals is not None:
        t += f", or rounded to {report.answers.decimals} decimals"
    return t


def _indent(s: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in s.splitlines())


def _result(r: Result) -> str:
    a = r.answer
    mark = "✓" if r.ok else "✗"
    what = r.label + (" (formula)" if a.kind == "formula" else "")
    given = a.text if a.kind == "formula" else a.text.strip()
    head = f"{mark} {what} = {given}"
    lines = [head]
    if r.ok:
        if a.kind == "formula":
            lines.append(f"    equals {r.expected}" + (f" ({r.how})" if r.how else ""))
        return "\n".join(lines)
    lines.append(f"    expected {r.expected}")
    if r.caret:
        lines.append(_indent(r.caret, "      "))
    if r.diagnosis:
        lines.append(_fill(sentence(r.diagnosis) + "."))
    if r.step:
        lines.append("    The correct step:")
        lines.append(_indent(r.step, "      "))
    return "\n".join(lines)


def text(report: Report) -> str:
    p, ans = report.problem, report.answers
    out = [f"Checking {ans.file} against {p.name} ({p.network.describe()}, {p.loss}) at the "
           f"problem's weights.",
           f"Sample {ans.sample} for sample gradients, formulas and values. Tolerance: "
           f"{_tolerance(report)}.", ""]
    out += [_result(r) for r in report.results]
    n = len(report.results)
    follow = sum(r.follow_through for r in report.results)
    out.append("")
    score = f"Score: {report.right} of {n} right"
    if follow:
        score += f" ({follow} more right given the earlier values: method credit)"
    out.append(score + ".")
    return "\n".join(out) + "\n"


def as_json(report: Report) -> str:
    return json.dumps(as_dict(report), indent=1, ensure_ascii=False) + "\n"


def as_dict(report: Report) -> dict:
    """The report as JSON data (format 1, in the README)."""
    return {
        "format": 1,
        "problem": report.problem.name,
        "answers_file": report.answers.file,
        "sample": report.answers.sample,
        "tolerance": {"rtol": report.rtol, "atol": report.atol,
                      "decimals": report.answers.decimals},
        "score": {"right": report.right, "total": len(report.results),
                  "follow_through": sum(r.follow_through for r in report.results)},
        "results": [{
            "kind": r.answer.kind,
            "name": r.answer.name,
            "given": r.answer.text,
            "right": r.ok,
            "expected": r.expected,
            "diagnosis": r.diagnosis,
            "mistake": r.mistake,
            "expected_formula": None if r.expected_expr is None else {
                "ascii": exprs.ascii(r.expected_expr), "text": exprs.text(r.expected_expr),
                "latex": exprs.tex(r.expected_expr), "mathml": mathml(r.expected_expr)},
            "correct_step": r.step,
            "follow_through": r.follow_through,
            "line": r.answer.line,
        } for r in report.results],
    }
