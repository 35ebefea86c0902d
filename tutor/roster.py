"""A class list: who gets which variant of a worksheet.

A roster is a CSV file with a header row, as learning platforms export them: a column of
student ids (``id``, ``student id``, ``id number``, ``sis user id``, ``username``, ``email``
…) and one of names (``name``, ``full name``, ``student``, or ``first name`` and ``last
name``/``surname``); an optional ``variant`` column pins a student to a variant.

Each student's variant is drawn from the worksheet's seed and their id alone, so it does not
change when the roster is reordered or grows.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from .answers import MAX_VARIANT
from .errors import ProblemError
from .i18n import N_, _

MAX_STUDENTS = 5000
_ID = ("id", "student id", "student_id", "id number", "idnumber", "sis user id", "sis_user_id",
       "user id", "username", "login id", "email", "email address", "matriculation number")
_NAME = ("name", "full name", "fullname", "student", "student name", "display name")
_FIRST = ("first name", "firstname", "given name")
_LAST = ("last name", "lastname", "surname", "family name")


@dataclass(frozen=True)
class Student:
    id: str
    name: str
    pinned: int | None = None    # a variant the instructor chose for this student

    def variant(self, seed: int) -> int:
        """Their variant of the worksheet of ``seed``: pinned, or drawn from (seed, id)."""
        return self.pinned if self.pinned is not None else roster_variant(seed, self.id)


def roster_variant(seed: int, student_id: str) -> int:
    """A variant number in 1 … 10⁹ from the seed and the id alone (SHA-256)."""
    digest = hashlib.sha256(f"{seed}\0{student_id}".encode()).digest()
    return 1 + int.from_bytes(digest[:8], "big") % MAX_VARIANT


def read_roster(path: str | Path) -> list[Student]:
    from .problem import read_text_file
    text, file = read_text_file(path, N_("a roster"))
    return parse_roster(text.lstrip("\ufeff"), file)


def parse_roster(text: str, file: str = "<roster>") -> list[Student]:
    """The students of a roster CSV (comma, semicolon or tab separated)."""
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise ProblemError(_("the roster is empty; expected a header row (id, name) and a row "
                             "per student"), file=file)
    header = [c.strip().lower() for c in rows[0]]

    def col(names):
        return next((header.index(n) for n in names if n in header), None)

    id_col, name_col = col(_ID), col(_NAME)
    first, last = col(_FIRST), col(_LAST)
    variant_col = col(("variant",))
    if id_col is None:
        raise ProblemError(_("no column of student ids in the header ({items}); expected one "
                             "named id, student id, username or email").format(
                                 items=', '.join(rows[0])), file=file,
                           line=1)
    students, seen = [], {}
    for line, row in enumerate(rows[1:], start=2):
        cell = lambda k: row[k].strip() if k is not None and k < len(row) else ""  # noqa: E731
        sid = cell(id_col)
        if not sid:
            raise ProblemError(_("a student without an id"), file=file, line=line)
        if len(sid) > 200:
            raise ProblemError(_("a student id is at most 200 characters"), file=file, line=line)
        if sid in seen:
            raise ProblemError(_("the id {sid!r} is also on line {seen}").format(
                                   sid=sid, seen=seen[sid]), file=file,
                               line=line)
        seen[sid] = line
        name = cell(name_col) if name_col is not None else " ".join(
            x for x in (cell(first), cell(last)) if x)
        pinned = None
        if cell(variant_col):
            try:
                pinned = int(cell(variant_col))
            except ValueError:
                pinned = 0
            if not 1 <= pinned <= MAX_VARIANT:
                raise ProblemError(_("variant: expected a whole number from 1 to "
                                     "{max_variant}; got {cell!r}").format(
                                         max_variant=MAX_VARIANT, cell=cell(variant_col)),
                                         file=file, line=line)
        students.append(Student(sid, name[:200] or sid, pinned))
        if len(students) > MAX_STUDENTS:
            raise ProblemError(_("a roster has at most {max_students} students").format(
                                   max_students=MAX_STUDENTS), file=file,
                               line=line)
    if not students:
        raise ProblemError(_("the roster has a header but no students"), file=file)
    return students
