"""The command line: a thin shell over the library. The only module that imports click.

User mistakes (TutorError) become one clean line on stderr and exit status 2; a bug still shows
its traceback. Heavy modules (SymPy, NumPy) are imported inside the commands, so that
``tutor --help`` stays instant.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import click

from . import __version__
from .errors import TutorError
from .printing import FORMATS


class UserError(click.ClickException):
    """A TutorError as click prints it: ``Error: <one line>``, exit status 2."""

    exit_code = 2


class VerificationFailed(click.ClickException):
    exit_code = 1


def _problem_path():
    # Existence is checked by the loader, which words its error like every other one.
    return click.Path(dir_okay=False, path_type=Path)


def _output_option(f):
    return click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                        help="Write to this file instead of standard output. Written only "
                             "when everything succeeded; never left half-written.")(f)


def write_output(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` atomically (a temporary file, then rename)."""
    if output is None:
        click.echo(text, nl=False)
        return
    directory = output.parent if str(output.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{output.name}.", dir=directory)
    except OSError as e:
        raise UserError(f"{output}: cannot write there: {e.strerror or e}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, output)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise UserError(f"{output}: cannot write: {e.strerror or e}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tutor")
def main():
    """tutor: backpropagation, step by step.

    Derive ∂L/∂W for every weight of a small network by the chain rule, with every number
    checked three ways (symbolic, NumPy, finite differences). A problem is a YAML file: see
    problems/xor.yaml.
    """


@main.command()
@click.argument("problem", type=_problem_path())
@click.option("-p", "--param", "params", multiple=True, metavar="NAME",
              help="Parameter to derive, e.g. W1[2,1], b2[1], or W1 for a whole array; "
                   "repeat or separate with commas. Default: all.")
@click.option("-s", "--sample", type=click.IntRange(min=1), default=1, show_default=True,
              help="The sample (1-based) whose numbers are shown step by step.")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Output format.")
@click.option("--fragment", is_flag=True,
              help="With --format latex: the body only, to \\input into your own document.")
@click.option("--color/--no-color", default=None,
              help="Colour the text output. Default: when writing to a terminal.")
@_output_option
def derive(problem, params, sample, fmt, fragment, color, output):
    """Derive ∂L/∂p step by step for the parameters of PROBLEM.

    Shows the forward definitions, every chain-rule path from the parameter to the loss, each
    local derivative with its rule, the simplifications (BCE∘sigmoid gives ŷ − y), the delta
    form, the numbers for one sample and the batch mean, and the three-way check.

    \b
    Examples:
      tutor derive problems/xor.yaml
      tutor derive problems/xor.yaml -p 'W1[2,1]' --sample 2
      tutor derive problems/xor.yaml -f latex -o xor.tex
    """
    from .derivation import derive as run_derive
    from .printing import render
    from .problem import load_problem

    try:
        prob = load_problem(problem)
        d = run_derive(prob, [p for p in params] or None, sample=sample)
    except TutorError as e:
        raise UserError(str(e)) from None
    if not d.ok:
        bad = [g for g in d.gradients if not g.check.ok]
        g = bad[0]
        raise VerificationFailed(
            f"internal error: the three computations of ∂L/∂{g.param.name} disagree "
            f"(symbolic {g.check.symbolic!r}, NumPy {g.check.numpy!r}, finite difference "
            f"{g.check.finite_difference!r}); nothing is shown. This is a bug in tutor: "
            "please report it with the problem file.")
    settings = {}
    if fmt == "text":
        settings["color"] = (sys.stdout.isatty() if color is None else color) and output is None
    if fmt == "latex":
        settings["fragment"] = fragment
    elif fragment:
        raise click.UsageError("--fragment goes with --format latex")
    write_output(render(d, fmt, **settings), output)


if __name__ == "__main__":  # pragma: no cover
    main()
