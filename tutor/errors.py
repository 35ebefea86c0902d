"""The errors a user can cause. Each prints as one line; the CLI maps them to exit status 2."""

from __future__ import annotations


class TutorError(Exception):
    """A mistake in what the user gave us (a file, an option); never a bug in tutor."""

    exit_code = 2


class ProblemError(TutorError):
    """A problem file that cannot be used.

    Printed as ``FILE:LINE: FIELD: MESSAGE``, each part present when known, e.g.
    ``xor.yaml:7: network.layers[1].activation: unknown activation 'sigmod' (did you mean 'sigmoid'?)``.
    """

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 line: int | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.field = field
        self.line = line

    def __str__(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "") + ": "
        elif self.line:
            where = f"line {self.line}: "
        field = f"{self.field}: " if self.field else ""
        return one_line(f"{where}{field}{self.message}")


def one_line(s: str) -> str:
    """``s`` with every unprintable character (newlines, controls) written as an escape, so
    that an error about a strange key or value stays on one line."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in s)


class VerificationError(Exception):
    """The three ways of computing a gradient disagree: a bug in tutor, not a user mistake."""
