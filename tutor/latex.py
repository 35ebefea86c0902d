"""Compiling LaTeX to PDF with the user's TeX installation, safely.

pdflatex runs with ``-no-shell-escape`` (no \\write18), ``-halt-on-error``, in a fresh
temporary directory, under a time limit; only the PDF is copied out.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from .errors import TutorError
from .files import write_file
from .i18n import _

TIMEOUT = 300  # seconds, for one document
INSTALL = ("install TeX Live: on Debian or Ubuntu, apt-get install texlive-latex-base "
           "texlive-latex-recommended texlive-pictures")


def pdflatex() -> str:
    path = shutil.which("pdflatex")
    if path is None:
        raise TutorError(_("--pdf needs pdflatex, which is not installed: {install}").format(
                             install=INSTALL))
    return path


def compile_pdf(tex: str, pdf: Path, runs: int = 1) -> None:
    """Compile the LaTeX source ``tex`` to ``pdf``. TutorError with the first error line of
    the log when pdflatex fails."""
    exe = pdflatex()
    with tempfile.TemporaryDirectory(prefix="tutor-tex-") as tmp:
        src = Path(tmp) / "doc.tex"
        src.write_text(tex, encoding="utf-8")
        for _run in range(runs):
            try:
                proc = subprocess.run(
                    [exe, "-no-shell-escape", "-interaction=nonstopmode", "-halt-on-error",
                     "doc.tex"], cwd=tmp, capture_output=True, text=True, errors="replace",
                    timeout=TIMEOUT, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                raise TutorError(_("{pdf}: pdflatex took more than {timeout} s; stopped").format(
                                     pdf=pdf, timeout=TIMEOUT)) from None
            if proc.returncode != 0:
                log = (Path(tmp) / "doc.log").read_text(errors="replace") \
                    if (Path(tmp) / "doc.log").exists() else proc.stdout
                first = next((l for l in log.splitlines() if l.startswith("!")),
                             "see the .tex file")
                raise TutorError(_("{pdf}: pdflatex failed: {why}").format(
                                     pdf=pdf, why=first.lstrip('! ')))
        log = (Path(tmp) / "doc.log").read_text(errors="replace")
        if "undefined references" in log or "Undefined control sequence" in log:
            raise TutorError(_("{pdf}: pdflatex reports undefined references").format(pdf=pdf))
        write_file(pdf, (Path(tmp) / "doc.pdf").read_bytes())
