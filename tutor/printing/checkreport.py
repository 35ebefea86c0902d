"""The report of `tutor check`: text for the terminal, and JSON (format 1, in the README)."""

from __future__ import annotations

import json
import textwrap

import sympy as sp

from .. import conventions, i18n
from ..checking import Report, Result
from ..i18n import _
from . import exprs, words
from .mathml import mathml
from .names import text_name

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
    t = _("relative {rtol}, absolute {atol}").format(rtol=f"{report.rtol:g}",
                                                     atol=f"{report.atol:g}")
    if report.decimals is not None:
        t += _(", or rounded to {d} decimals").format(d=report.decimals)
    return t


def _where(report: Report) -> str:
    sh = report.sheet
    if sh is not None and sh.variant is not None:
        return _("variant {k} (seed {s}) of the worksheet").format(k=sh.variant, s=sh.seed)
    return _("the problem's weights")


def _pts(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def label(r: Result) -> str:
    """What was answered: ∂L/∂w⁽¹⁾₂₁, ∂ℓ/∂w⁽¹⁾₂₁, or a value's own name (z⁽¹⁾₂)."""
    a = r.answer
    if a.kind == "gradient":
        return f"∂L/∂{text_name(a.name)}"
    if a.kind in ("sample_gradient", "formula"):
        return f"∂ℓ/∂{text_name(a.name)}"
    if a.kind == "update":
        return _("{p} after the step").format(p=text_name(a.name))
    return exprs.text(sp.Symbol(a.name))


def expected(r: Result) -> str:
    """The right value (6 significant digits) or formula, as text."""
    if r.expected_expr is not None:
        return exprs.text(r.expected_expr)
    x = float(r.expected)
    return f"{x:.6g}" if x != 0 else "0"


def step_text(r: Result) -> str | None:
    return "\n".join(words.text(w) for w in r.step) if r.step else None


def _indent(s: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in s.splitlines())


def _result(r: Result) -> str:
    a = r.answer
    mark = "✓" if r.ok else "✗"
    what = label(r) + (_(" (formula)") if a.kind == "formula" else "")
    given = a.text if a.kind == "formula" else a.text.strip()
    head = f"{mark} {what} = {given}"
    lines = [head]
    if r.blank:
        return f"· {what}: " + _("not answered")
    if r.ok:
        if a.kind == "formula":
            lines.append("    " + _("equals {formula}").format(formula=expected(r))
                         + (f" ({words.text(r.how)})" if r.how else ""))
        return "\n".join(lines)
    lines.append("    " + _("expected {answer}").format(answer=expected(r)))
    if r.caret:
        lines.append(_indent(r.caret, "      "))
    if r.diagnosis:
        lines.append(_fill(words.text(r.diagnosis.capitalised()) + "."))
    if r.step:
        lines.append("    " + _("The correct step:"))
        lines.append(_indent(step_text(r), "      "))
    return "\n".join(lines)


def text(report: Report) -> str:
    p, ans = report.problem, report.answers
    out = [_("Checking {file} against {problem} ({network}, {loss}) at {where}.").format(
               file=ans.file, problem=p.name, network=p.network.describe(), loss=p.loss,
               where=_where(report)),
           _("Sample {k} for sample gradients, formulas, values and updates. Tolerance: "
             "{tolerance}.").format(k=report.sample, tolerance=_tolerance(report)), ""]
    scores = report.scores
    if scores is None:
        out += [_result(r) for r in report.results]
    else:
        placed = set()
        for es in scores.exercises:
            e = es.exercise
            out.append(_("Exercise {n}. {title}: {earned} of {total} points").format(
                n=e.number, title=_(e.title), earned=_pts(es.earned), total=_pts(e.points)))
            for ps in es.parts:
                if ps.result is None:
                    out.append(f"· {_part_label(ps.part)}: " + _("not answered"))
                    continue
                key = (ps.part.kind, ps.part.name)
                if key in placed:
                    out.append(f"  {_part_label(ps.part)}: " + _(
                        "as above, {earned} of {total}").format(
                            earned=_pts(ps.earned), total=_pts(ps.part.points)))
                    continue
                placed.add(key)
                head, *rest = _result(ps.result).split("\n")
                if not ps.result.blank:
                    head += "   [" + _("{earned} of {total}").format(
                        earned=_pts(ps.earned), total=_pts(ps.part.points)) + "]"
                out += [head] + rest
            out.append("")
        extra = [r for r in report.results
                 if (r.answer.kind, r.answer.name) not in placed and not r.blank]
        if extra:
            out.append(_("Not on the sheet:"))
            out += [_result(r) for r in extra]
    n = report.answered
    follow = sum(r.follow_through for r in report.results)
    blank = len(report.results) - n
    if out[-1] != "":
        out.append("")
    score = _("Score: {right} of {n} right").format(right=report.right, n=n)
    if follow:
        score += _(" ({k} more right given the earlier values: method credit)").format(
            k=follow)
    if blank:
        score += _("; {k} left blank").format(k=blank)
    out.append(score + ".")
    if scores is not None:
        out.append(_("Points: {earned} of {total}.").format(earned=_pts(scores.earned),
                                                           total=_pts(scores.total)))
    return "\n".join(out) + "\n"


def _part_label(part) -> str:
    from ..answers import Answer
    r = Result(Answer(part.kind, part.name, "", None, None), False, 0.0)
    return label(r) + (_(" (formula)") if part.kind == "formula" else "")


def as_json(report: Report) -> str:
    return json.dumps(as_dict(report), indent=1, ensure_ascii=False) + "\n"


def as_dict(report: Report) -> dict:
    """The report as JSON data (format 1, in the README)."""
    sh, scores = report.sheet, report.scores
    return {
        "format": 1,
        "problem": report.problem.name,
        "answers_file": report.answers.file,
        "variant": sh.variant if sh else None,
        "seed": sh.seed if sh else None,
        "sample": report.sample,
        "tolerance": {"rtol": report.rtol, "atol": report.atol,
                      "decimals": report.decimals},
        "score": {"right": report.right, "total": len(report.results),
                  "answered": report.answered,
                  "follow_through": sum(r.follow_through for r in report.results)},
        "points": None if scores is None else {
            "earned": round(scores.earned, 6), "total": round(scores.total, 6),
            "exercises": [{"number": es.exercise.number, "title": str(es.exercise.title),
                           "earned": round(es.earned, 6),
                           "total": round(es.exercise.points, 6),
                           "parts": [{"kind": ps.part.kind, "name": ps.part.name,
                                      "earned": round(ps.earned, 6),
                                      "total": round(ps.part.points, 6),
                                      "status": ps.status} for ps in es.parts]}
                          for es in scores.exercises]},
        "results": [{
            "kind": r.answer.kind,
            "name": conventions.shown(r.answer.name),
            "given": r.answer.text,
            "right": r.ok,
            "expected": expected(r),
            "diagnosis": words.text(r.diagnosis) if r.diagnosis else None,
            "diagnosis_html": words.html(r.diagnosis) if r.diagnosis else None,
            "mistake": r.mistake,
            "expected_formula": None if r.expected_expr is None else {
                "ascii": exprs.ascii(r.expected_expr), "text": exprs.text(r.expected_expr),
                "latex": exprs.tex(r.expected_expr), "mathml": mathml(r.expected_expr)},
            "correct_step": step_text(r),
            "correct_step_html": ("<br>".join(words.html(w) for w in r.step)
                                  if r.step else None),
            "how": words.text(r.how) if r.how else None,
            "follow_through": r.follow_through,
            "blank": r.blank,
            "line": r.answer.line,
        } for r in report.results],
    }


def html(report: Report) -> str:
    """The report as a page that stands alone (feedback for a student): each answer with ✓
    or ✗, the mistake in words with its mathematics in MathML, the expected answer, points."""
    from html import escape
    d = as_dict(report)
    p = report.problem
    rows = []
    for r, res in zip(d["results"], report.results):
        what = escape(label(res)) + (_(" (formula)") if r["kind"] == "formula" else "")
        if r["blank"]:
            rows.append(f"<li class='blank'>{what}: " + _("not answered") + "</li>")
            continue
        mark = "✓" if r["right"] else "✗"
        want = (f"<math>{r['expected_formula']['mathml']}</math>" if r["expected_formula"]
                else escape(r["expected"]))
        item = f"<li><b>{mark}</b> {what} = <code>{escape(r['given'].strip())}</code>"
        if not r["right"]:
            item += "<br>" + _("expected {answer}").format(answer=want)
            if r["diagnosis_html"]:
                item += f"<br>{sentence(r['diagnosis_html'])}."
            if r["correct_step_html"]:
                item += f"<br><span class='step'>{r['correct_step_html']}</span>"
        rows.append(item + "</li>")
    points = ""
    if d["points"] is not None:
        ex = "".join(f"<tr><td>{e['number']}. " + escape(_(es.exercise.title)) + "</td>"
                     f"<td>{_pts(e['earned'])} / {_pts(e['total'])}</td></tr>"
                     for e, es in zip(d["points"]["exercises"], report.scores.exercises))
        total = _("Total")
        points = (f"<table>{ex}<tr><th>{total}</th><th>{_pts(d['points']['earned'])} / "
                  f"{_pts(d['points']['total'])}</th></tr></table>")
    title = escape(_("{problem}: your answers").format(problem=p.name))
    return (f"<!doctype html>\n<html lang=\"{i18n.current()}\">\n<head><meta charset=\"utf-8\">"
            f"<title>{title}</title>\n<style>body{{font-family:sans-serif;max-width:48em;"
            "margin:2em auto;line-height:1.5}} li{{margin:.5em 0}} .blank{{color:#777}} "
            "td,th{{padding:.2em .8em;text-align:left}}</style></head>\n<body>\n"
            f"<h1>{title}</h1>\n<p>"
            + escape(_("{network}, at {where}; sample {k}.").format(
                network=report.problem.network.describe(), where=_where(report),
                k=report.sample))
            + f"</p>\n{points}\n"
            f"<ul>{''.join(rows)}</ul>\n</body>\n</html>\n")
