"""Grading a class: every student's submission by the rules of their own worksheet variant,
a gradebook for the learning platform, a feedback file per student, and copies flagged.

A submission is the answers file a student filled in (the blank ``answers/<id>.yaml`` that
``tutor worksheet --roster`` writes), found in the submissions directory by the student's id
(``<id>.yaml``, ``.yml`` or ``.json``). A missing, unreadable or hostile submission is
reported in the gradebook and never stops the run; each is graded in at most
SUBMISSION_SECONDS.

Copying. For each submission, the share of its numeric answers that equal (within the sheet's
rounding) its own variant's key is compared with the share that equal each other student's
key. A submission is flagged as matching another student's variant when at least
COPY_MIN_ANSWERS numbers were given, at most half match its own key, at least COPY_MATCH of
them match the other's, and the other's share exceeds its own by at least COPY_MARGIN. An
honest submission with a slip or two matches its own key far better than anyone else's (the
variants' weights differ, so their values do), and is never flagged.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import i18n
from .i18n import _
from .errors import TutorError
from .problem import Problem
from .roster import Student

SUBMISSION_SECONDS = 30.0
COPY_MIN_ANSWERS = 5
COPY_MATCH = 0.8
COPY_MARGIN = 0.5
SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Entry:
    """One student's line of the gradebook. status: 'graded', 'missing' or 'unreadable'
    (with ``problem`` saying why); ``exercises``: (number, title, earned, total);
    ``copied_from``: the id of the student whose variant the answers match, if flagged."""

    student: Student
    variant: int
    status: str
    earned: float = 0.0
    total: float = 0.0
    exercises: tuple[tuple[int, str, float, float], ...] = ()
    comment: str = ""
    problem: str | None = None
    file: str | None = None
    feedback_text: str | None = None
    feedback_html: str | None = None
    numbers: dict = field(default_factory=dict)    # (kind, name) → the number given
    copied_from: str | None = None


def submission_file(folder: Path, student: Student) -> Path | None:
    from .worksheet import safe_stem
    stem = safe_stem(student.id)
    for suffix in SUFFIXES:
        path = folder / f"{stem}{suffix}"
        if path.is_file() or path.is_symlink():
            return path
    return None


def grade_one(problem: Problem, student: Student, seed: int, path: Path | None,
              params: tuple[str, ...] | None, decimals: int) -> Entry:
    """One student's entry: their submission graded by their variant's sheet."""
    from .answers import load_answers
    from .checking import check
    from .limits import TimeLimit, time_limit
    from .printing import checkreport
    from .sheet import sheet_for
    from .variants import variant_problem

    variant = student.variant(seed)
    if path is None:
        return Entry(student, variant, "missing", comment=_("no submission"))
    try:
        with time_limit(SUBMISSION_SECONDS):
            vp = variant_problem(problem, seed, variant)
            sheet = sheet_for(vp, params, decimals, variant, seed)
            answers = load_answers(path, vp)
            report = check(vp, answers, sheet=sheet)
            s = report.scores
            comment = _comment(report)
            if answers.variant is not None and (answers.variant, answers.seed) != (variant,
                                                                                   seed):
                comment += _("; the file says variant {v} (seed {s}), graded as the "
                             "student's own, {own}").format(v=answers.variant, s=answers.seed,
                                                            own=variant)
            entry = Entry(
                student, variant, "graded", earned=s.earned, total=s.total,
                exercises=tuple((e.exercise.number, _(e.exercise.title), e.earned,
                                 e.exercise.points) for e in s.exercises),
                comment=comment, file=str(path),
                feedback_text=checkreport.text(report),
                feedback_html=checkreport.html(report),
                numbers={(a.kind, a.name): a.number for a in answers.answers
                         if a.number is not None})
    except TimeLimit:
        return Entry(student, variant, "unreadable", file=str(path),
                     problem=_("grading took more than {s} s").format(
                         s=f"{SUBMISSION_SECONDS:g}"),
                     comment=_("not graded: too slow to grade"))
    except TutorError as e:
        return Entry(student, variant, "unreadable", file=str(path), problem=str(e),
                     comment=_("not graded: {error}").format(error=e))
    return entry


def _comment(report) -> str:
    """A short comment for the gradebook: points, and the mistakes named, most common first."""
    from collections import Counter
    said = Counter(r.mistake for r in report.results if not r.ok and r.mistake
                   and r.mistake not in ("blank", "follow_through"))
    blank = sum(r.blank for r in report.results)
    parts = [_("{right} of {answered} answers right").format(right=report.right,
                                                             answered=report.answered)]
    if said:
        # (the mistakes' identifiers, as check's JSON names them)
        parts.append(_("mistakes: {ids}").format(ids=", ".join(
            m for m, _count in said.most_common(3))))
    if blank:
        parts.append(_("{n} left blank").format(n=blank))
    return "; ".join(parts)


def _grade_chunk(args):
    problem, items, seed, params, decimals, lang = args
    with i18n.using(lang):      # a worker process speaks the command's language
        return [grade_one(problem, st, seed, path, params, decimals) for st, path in items]


def grade_class(problem: Problem, students: list[Student], seed: int, folder: Path,
                params: tuple[str, ...] | None = None, decimals: int | None = None,
                workers: int | None = None,
                progress: Callable[[int], None] | None = None) -> list[Entry]:
    """Every student's entry, in roster order, graded on ``workers`` processes (default: the
    machine's cores), then checked for copies."""
    from .defaults import DECIMALS
    decimals = DECIMALS if decimals is None else decimals
    if not folder.is_dir():
        raise TutorError(_("{folder}: not a directory of submissions").format(folder=folder))
    items = [(st, submission_file(folder, st)) for st in students]
    lang = i18n.current()
    workers = max(1, min(workers or os.cpu_count() or 1, len(items)))
    entries: list[Entry] = []
    if workers == 1:
        for k, item in enumerate(items, start=1):
            entries += _grade_chunk((problem, [item], seed, params, decimals, lang))
            if progress:
                progress(k)
    else:
        size = max(1, min(16, len(items) // (4 * workers)))
        chunks = [items[i:i + size] for i in range(0, len(items), size)]
        with ProcessPoolExecutor(workers) as pool:
            done = 0
            for chunk in pool.map(_grade_chunk, [(problem, c, seed, params, decimals, lang)
                                                 for c in chunks]):
                entries += chunk
                done += len(chunk)
                if progress:
                    progress(done)
    return flag_copies(problem, entries, seed, params, decimals)


def numeric_key(problem: Problem, seed: int, variant: int, params, decimals: int
                ) -> dict[tuple[str, str], float]:
    """The numbers of a variant's key, from the engine alone (no SymPy): every value, every
    ∂ℓ/∂p the sheet asks for, every update."""
    from . import engine
    from .checking import sample_values
    from .sheet import sheet_for
    from .variants import variant_problem
    vp = variant_problem(problem, seed, variant)
    sheet = sheet_for(vp, params, decimals, variant, seed)
    k = sheet.sample - 1
    values = sample_values(vp, k)
    _loss, fw, bw = engine.loss_and_gradients(vp)
    out = {}
    for e in sheet.exercises:
        for part in e.parts:
            key = (part.kind, part.name)
            if part.kind == "value":
                out[key] = values[part.name]
            elif part.kind in ("sample_gradient", "update"):
                ref = next(r for r in vp.network.param_refs() if r.name == part.name)
                d = bw.deltas[ref.layer - 1][k][ref.row - 1]
                g = d * (fw.activations[ref.layer - 1][k][ref.col - 1] if ref.kind == "W"
                         else 1.0)
                out[key] = float(g) if part.kind == "sample_gradient" else \
                    vp.value(ref) - vp.training.lr * float(g)
    return out


def _matches(numbers: dict, key: dict, decimals: int) -> tuple[int, int]:
    """(numbers that equal the key within the rounding, numbers compared)."""
    half = 0.5 * 10.0 ** -decimals * (1 + 1e-9)
    shared = [k for k in numbers if k in key]
    return sum(abs(numbers[k] - key[k]) <= half for k in shared), len(shared)


def flag_copies(problem: Problem, entries: list[Entry], seed: int, params, decimals: int
                ) -> list[Entry]:
    """``entries`` with ``copied_from`` set where the statistic of the module's docstring
    flags them."""
    import dataclasses
    keys = {e.student.id: numeric_key(problem, seed, e.variant, params, decimals)
            for e in entries}
    out = []
    for e in entries:
        if e.status != "graded" or len(e.numbers) < COPY_MIN_ANSWERS:
            out.append(e)
            continue
        own, n = _matches(e.numbers, keys[e.student.id], decimals)
        own_share = own / n if n else 0.0
        best, best_share = None, 0.0
        for other in entries:
            if other.student.id == e.student.id or other.variant == e.variant:
                continue
            m, n2 = _matches(e.numbers, keys[other.student.id], decimals)
            share = m / n2 if n2 else 0.0
            if share > best_share:
                best, best_share = other.student.id, share
        if (best is not None and own_share <= 0.5 and best_share >= COPY_MATCH
                and best_share - own_share >= COPY_MARGIN):
            e = dataclasses.replace(e, copied_from=best, comment=e.comment + (
                _("; flagged: {theirs} of the numbers are those of {best}'s variant, "
                  "{own} their own").format(theirs=f"{100 * best_share:.0f} %", best=best,
                                            own=f"{100 * own_share:.0f} %")))
        out.append(e)
    return out


# -------------------------------------------------------------------------------------------
# Writing it out


def gradebook_csv(entries: list[Entry]) -> str:
    """id, name, variant, status, points per exercise, total, copied_from, comment: the shape
    learning platforms import (an identifier column and grade columns)."""
    import csv
    import io
    numbers = sorted({(n, t, tot) for e in entries for n, t, _earned, tot in e.exercises})
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    total = max((e.total for e in entries), default=0)
    w.writerow(["id", "name", "variant", "status"]
               + [_("Exercise {n}: {title} ({points})").format(n=n, title=t, points=_num(tot))
                  for n, t, tot in numbers]
               + [_("Total ({points})").format(points=_num(total)), "copied_from", "comment"])
    for e in entries:
        by = {n: earned for n, _t, earned, _tot in e.exercises}
        w.writerow([_cell(e.student.id), _cell(e.student.name), e.variant, e.status]
                   + [_num(by[n]) if n in by else "" for n, _t, _tot in numbers]
                   + [_num(e.earned) if e.status == "graded" else "", e.copied_from or "",
                      _cell(e.comment)])
    return buf.getvalue()


def _cell(s: str) -> str:
    """Text for a spreadsheet cell: a leading = + - @ would be read as a formula."""
    return "'" + s if s[:1] in ("=", "+", "-", "@", "\t", "\r") else s


def _num(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def gradebook_json(problem: Problem, seed: int, entries: list[Entry]) -> str:
    import json
    return json.dumps({
        "format": 1, "problem": problem.name, "seed": seed,
        "students": [{
            "id": e.student.id, "name": e.student.name, "variant": e.variant,
            "status": e.status, "file": e.file, "problem": e.problem,
            "points": round(e.earned, 6) if e.status == "graded" else None,
            "total": round(e.total, 6) if e.status == "graded" else None,
            "exercises": [{"number": n, "title": t, "earned": round(x, 6),
                           "total": round(tot, 6)} for n, t, x, tot in e.exercises],
            "copied_from": e.copied_from, "comment": e.comment} for e in entries]},
        indent=1, ensure_ascii=False) + "\n"


def write_feedback(folder: Path, entries: list[Entry]) -> int:
    """<id>.txt and <id>.html per graded student in ``folder``; the number written."""
    from .files import write_file
    from .worksheet import safe_stem
    folder.mkdir(parents=True, exist_ok=True)
    n = 0
    for e in entries:
        if e.feedback_text is None:
            continue
        stem = safe_stem(e.student.id)
        write_file(folder / f"{stem}.txt", e.feedback_text)
        write_file(folder / f"{stem}.html", e.feedback_html)
        n += 1
    return n


def summary(entries: list[Entry]) -> str:
    graded = [e for e in entries if e.status == "graded"]
    lines = [_("Graded {k} of {n} students.").format(k=len(graded), n=len(entries))]
    if graded:
        pts = np.array([e.earned for e in graded])
        lines.append(_("Points: median {median} of {total}, lowest {low}, highest {high}.")
                     .format(median=_num(float(np.median(pts))), total=_num(graded[0].total),
                             low=_num(pts.min()), high=_num(pts.max())))
    for status, words in (("missing", _("No submission")), ("unreadable", _("Not graded"))):
        bad = [e for e in entries if e.status == status]
        if bad:
            lines.append(f"{words} ({len(bad)}): "
                         + "; ".join(f"{e.student.id}" + (f" ({e.problem})" if e.problem else "")
                                     for e in bad[:20])
                         + (_("; … {n} more").format(n=len(bad) - 20) if len(bad) > 20
                            else ""))
    flagged = [e for e in entries if e.copied_from]
    if flagged:
        lines.append(_("Flagged as matching another student's variant ({n}):").format(
            n=len(flagged)) + " "
                     + "; ".join(f"{e.student.id} ↔ {e.copied_from}" for e in flagged))
    return "\n".join(lines) + "\n"
