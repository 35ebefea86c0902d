"""The command line: a thin shell over the library. The only module that imports click.

User mistakes (TutorError) become one clean line on stderr and exit status 2; a bug still shows
its traceback. Heavy modules (SymPy, NumPy) are imported inside the commands, so that
``tutor --help`` stays instant.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from . import __version__, defaults, i18n
from .errors import TutorError, VerificationError
from .i18n import N_, _, ngettext
from .printing import FORMATS


# click writes its own words (Usage:, Options, Error: Invalid value for …) through the standard
# library's gettext; they are tutor's messages too (``clicktexts``), in the command's language.
# And it measures help text in characters: Hangul takes two columns of a terminal, so it
# measures it in columns.
def _click_speaks_tutor() -> None:
    import click.core, click.decorators, click.exceptions, click.formatting, click.parser
    import click.termui, click.types
    for module in (click.core, click.decorators, click.exceptions, click.formatting,
                   click.parser, click.termui, click.types):
        if hasattr(module, "_"):
            module._ = _
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext
    try:
        import click._textwrap
        from click._compat import _ansi_re
    except ImportError:         # another click: its own measure
        return
    from .printing.columns import width

    def term_len(text: str) -> int:
        return width(_ansi_re.sub("", text))
    for module in (click.formatting, click._textwrap):
        if hasattr(module, "term_len"):
            module.term_len = term_len


_click_speaks_tutor()


class _Translated:
    """A command whose help and options' help are message ids (``help=N_(…)``), shown in the
    command's language."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None and not getattr(option, "_message_id", False):
            # click words it when it first makes it, in that run's language: keep the id
            option.help, option._message_id = N_("Show this message and exit."), True
        return option

    def format_options(self, ctx, formatter):
        # every option's help too, click's own -h/--help and --version included
        params = [p for p in self.get_params(ctx) if getattr(p, "help", None)]
        sources = [p.help for p in params]
        for p in params:
            p.help = _(p.help)
            if "{languages}" in p.help:      # (those tutor has catalogs for, each by its name)
                p.help = p.help.replace("{languages}", ", ".join(
                    f"{lang} ({i18n.name(lang)})" for lang in i18n.languages()))
        try:
            return super().format_options(ctx, formatter)
        finally:
            for p, source in zip(params, sources):
                p.help = source

    def _in_language(self, method, *args):
        source = self.help
        self.help = _(source) if source else source
        try:
            return method(*args)
        finally:
            self.help = source


class TutorCommand(_Translated, click.Command):
    def format_help_text(self, ctx, formatter):
        return self._in_language(super().format_help_text, ctx, formatter)

    def get_short_help_str(self, limit: int = 45) -> str:
        return self._in_language(super().get_short_help_str, limit)


class _Failure(click.ClickException):
    """A one-line failure, ``Error: …`` in the chosen language."""

    def show(self, file=None) -> None:
        click.echo(_("Error: {message}").format(message=self.format_message()), file=file,
                   err=file is None)


class UserError(_Failure):
    """A TutorError as click prints it: ``Error: <one line>``, exit status 2 (or the error's
    own: 1 for a training run that diverged)."""

    exit_code = 2

    def __init__(self, message: str, exit_code: int = 2):
        super().__init__(message)
        self.exit_code = exit_code


def user_error(e: TutorError) -> UserError:
    return UserError(str(e), e.exit_code)


class VerificationFailed(_Failure):
    exit_code = 1


def _problem_path():
    # Existence is checked by the loader, which words its error like every other one.
    return click.Path(dir_okay=False, path_type=Path)


def _output_option(f):
    return click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                        help=N_("Write to this file instead of standard output. Written only "
                                "when everything succeeded; never left half-written."))(f)


def _read(names: str) -> str:
    """Parameter names as the user typed them (in the problem's convention) in tutor's own
    order: W1[1,2] of a dlfs problem is tutor's W1[2,1]."""
    from . import conventions
    return conventions.read(names)


def _use(problem):
    """The problem, its convention (how it writes weights) made the command's."""
    from . import conventions
    conventions.set_current(getattr(problem, "convention", conventions.DEFAULT))
    return problem


def write_output(text, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` atomically (a temporary file, then rename);
    to a file, ``text`` may be an iterable of pieces (see files.write_file)."""
    if output is None:
        click.echo(text, nl=False)
        return
    from .files import write_file
    write_file(output, text)


# The cyclic garbage collector's thresholds while a command runs (see TutorGroup.main).
GC_THRESHOLD = (20_000, 50, 50)


class TutorGroup(_Translated, click.Group):
    """The one place where tutor's own errors become exit statuses: a TutorError (a problem
    file, an option, a file that cannot be written) is one line and status 2 (or its own);
    a VerificationError (the three computations disagree: a bug in tutor) is one line and
    status 1. No command can show a traceback for an error tutor raises itself."""

    command_class = TutorCommand

    def format_help_text(self, ctx, formatter):
        return self._in_language(super().format_help_text, ctx, formatter)

    def main(self, *args, **kwargs):
        # In a context of its own: --lang chooses the language of this command only (a
        # program calling main() twice, or the tests, are not left in the last one's).
        import contextvars
        import gc
        # A command builds millions of small objects (SymPy's expressions, printed pieces) and
        # keeps most of them to its end: at the collector's default pace (a pass every 700
        # allocations) a large derivation spends a tenth of its time in passes that find
        # nothing to free. The pace of a command, restored after it.
        pace = gc.get_threshold()
        gc.set_threshold(*GC_THRESHOLD)
        try:
            return contextvars.copy_context().run(super().main, *args, **kwargs)
        finally:
            gc.set_threshold(*pace)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except TutorError as e:
            raise user_error(e) from None
        except VerificationError as e:
            raise VerificationFailed(str(e)) from None


def _show_version(ctx, value) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_("%(prog)s, version %(version)s") % {"prog": "tutor", "version": __version__})
        ctx.exit()


def _choose_language(ctx, param, value):
    if value is None:
        return None
    lang = i18n.normalise(value)
    if lang is None:
        raise click.BadParameter(_("{value!r} is not one of tutor's languages: {languages}")
                                 .format(value=value, languages=", ".join(i18n.languages())))
    i18n.set_language(lang)
    return lang


@click.group(cls=TutorGroup, context_settings={"help_option_names": ["-h", "--help"]},
             help=N_("""tutor: backpropagation, step by step.

    Derive ∂L/∂W for every weight of a small network by the chain rule, with every number
    checked three ways (symbolic, NumPy, finite differences). A problem is a YAML file: see
    problems/xor.yaml.
    """))
@click.option("--version", is_flag=True, expose_value=False, is_eager=True,
              callback=lambda ctx, param, value: _show_version(ctx, value),
              help=N_("Show the version and exit."))
@click.option("--lang", metavar="LANG", callback=_choose_language, expose_value=False,
              is_eager=True,
              help=N_("The language of everything tutor writes: {languages}. Default: "
                      "TUTOR_LANG, then the locale (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else "
                      "English."))
def main():
    pass


@main.command(help=N_("""Derive ∂L/∂p step by step for the parameters of PROBLEM.

    Shows the forward definitions, every chain-rule path from the parameter to the loss, each
    local derivative with its rule, the simplifications (BCE∘sigmoid gives ŷ − y), the delta
    form, the numbers for one sample and the batch mean, and the three-way check.

    \b
    Examples:
      tutor derive problems/xor.yaml
      tutor derive problems/xor.yaml -p 'W1[2,1]' --sample 2
      tutor derive problems/xor.yaml -f latex -o xor.tex
      tutor derive problems/xor.yaml -f html -o xor.html
      tutor derive problems/xor.yaml --epoch 5000 -p W2
      tutor derive problems/xor.yaml --params run.json --epoch 1000
    """))
@click.argument("problem", type=_problem_path())
@click.option("-p", "--param", "params", multiple=True, metavar="NAME",
              help=N_("Parameter to derive, e.g. W1[2,1], b2[1], or W1 for a whole array; "
                      "repeat or separate with commas. Default: all."))
@click.option("-s", "--sample", type=click.IntRange(min=1),
              help=N_("The sample (1-based) whose numbers are shown step by step. Default: the "
                      "first with the most non-zero inputs (no input weight's ∂z/∂w is 0)."))
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help=N_("Output format."))
@click.option("--fragment", is_flag=True,
              help=N_("With --format latex: the body only, to \\input into your own document; "
                      "with --format html: the <article> only, to put in your own page."))
@click.option("--color/--no-color", default=None,
              help=N_("Colour the text output. Default: when writing to a terminal."))
@click.option("--graph", "as_graph", is_flag=True,
              help=N_("Derive the network as a computational graph of operations for one sample "
                      "(-s): every product, sum, activation and the loss a node."))
@click.option("--epoch", type=click.IntRange(min=0, max=10_000_000), metavar="N",
              help=N_("Derive at the weights after N epochs of training: trains with the "
                      "problem's settings (or --lr, --seed) first; with --params, the run's "
                      "snapshot of epoch N."))
@click.option("--params", "params_file", type=click.Path(dir_okay=False, path_type=Path),
              metavar="FILE",
              help=N_("Derive at the weights in FILE: a run saved by `tutor train -f json` (its "
                      "last epoch, or --epoch N's snapshot; of a sweep, the run of --seed S), or "
                      "a YAML/JSON file of arrays W1, b1, …."))
@click.option("--lr", type=click.FloatRange(min=0, min_open=True, max=1e6), metavar="X",
              help=N_("With --epoch: train with this learning rate η."))
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), metavar="S",
              help=N_("With --epoch: train from this initialisation seed; with --params: the "
                      "run of this seed in a saved sweep."))
@_output_option
def derive(problem, params, sample, fmt, fragment, color, as_graph, epoch, params_file, lr,
           seed, output):
    from .derivation import derive as run_derive
    from .derivation import verified
    from .printing import render, render_chunks
    from .problem import Problem, load_any

    loaded = _use(load_any(problem))
    if not isinstance(loaded, Problem):
        # a computational graph: one derivation of every input's gradient
        if params or sample or epoch is not None or params_file or lr or seed is not None:
            raise click.UsageError(_("-p, --sample, --epoch, --params, --lr and --seed are for "
                                     "networks; a computational graph derives every input"))
        from .graph import derive_graph, verified_graph
        d = verified_graph(derive_graph(loaded))
    elif as_graph:
        if params:
            raise click.UsageError(_("--graph derives every weight: leave out -p"))
        from .graph import derive_graph, network_graph, verified_graph
        prob = at_point(loaded, epoch, params_file, lr, seed)
        d = verified_graph(derive_graph(network_graph(prob, sample or prob.exercise_sample)))
    else:
        prob = at_point(loaded, epoch, params_file, lr, seed)
        d = verified(run_derive(prob, [_read(p) for p in params] or None, sample=sample))
    settings = {}
    if fmt == "text":
        settings["color"] = (sys.stdout.isatty() if color is None else color) and output is None
    if fmt in ("latex", "html"):
        settings["fragment"] = fragment
    elif fragment:
        raise click.UsageError(_("--fragment goes with --format latex or html"))
    if output is None:
        write_output(render(d, fmt, **settings), output)
    else:
        # (written as it is made: a large network's HTML page is never held whole)
        write_output(render_chunks(d, fmt, **settings), output)


@main.command(help=N_("""Check hand-computed answers to PROBLEM and name the mistakes.

    ANSWERS is a YAML file of numeric gradients (of the batch loss, or of one sample's loss),
    formulas for one sample's ∂ℓ/∂p in tutor's symbols, and forward/backward values of one
    sample: see problems/answers/xor.yaml. Each answer gets ✓ or ✗; a wrong one is compared
    with the mistakes the derivation makes likely (a derivative dropped, indices swapped, a
    path missing, the 1/N of the mean, …) and the one made is named.

    Graded as a worksheet variant (--key, --variant/--seed, or the answers file's own
    variant and seed, as in the blank answers files `tutor worksheet` writes), the report
    follows the sheet's exercises, with points; blank answers count as not answered.

    Exit status: 0 when every answer is right, 1 when any is wrong, 2 for an unusable
    problem or answers file.

    \b
    Examples:
      tutor check problems/xor.yaml problems/answers/xor.yaml
      tutor check problems/xor.yaml answers.yaml --format json -o grade.json
      tutor check problems/xor.yaml answers.yaml --key sheets/keys/variant-03.yaml
    """))
@click.argument("problem", type=_problem_path())
@click.argument("answers", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help=N_("Output format (JSON: see the README)."))
@click.option("--rtol", type=click.FloatRange(min=0, max=1), default=defaults.RTOL,
              show_default=True,
              help=N_("Relative tolerance for numbers."))
@click.option("--atol", type=click.FloatRange(min=0, max=1e3), default=defaults.ATOL,
              show_default=True, help=N_("Absolute tolerance for numbers."))
@click.option("--variant", type=click.IntRange(min=1), metavar="K",
              help=N_("Grade against variant K of a worksheet (default: the answers file's "
                      "variant, else the problem's own weights)."))
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), metavar="S",
              help=N_("The worksheet seed of --variant (default: the answers file's seed)."))
@click.option("--key", type=click.Path(dir_okay=False, path_type=Path), metavar="KEY",
              help=N_("Grade by a worksheet's key (keys/variant-NN.yaml): its variant, seed, "
                      "sample, rounding, exercises and points."))
@_output_option
def check(problem, answers, fmt, rtol, atol, variant, seed, key, output):
    from .answers import load_answers
    from .checking import grade
    from .printing import checkreport
    from .problem import Problem

    if (variant is None) != (seed is None):
        raise click.UsageError(_("--variant and --seed go together (a variant is only defined "
                                 "with its worksheet's seed)"))
    from .problem import load_any, read_text_file
    prob = _use(load_any(problem))
    if not isinstance(prob, Problem):
        # a computational graph: values and gradients of its nodes
        if key is not None or variant is not None:
            raise click.UsageError(_("--key, --variant and --seed are for worksheets of "
                                     "networks"))
        from .graphcheck import check_graph, report_json, report_text
        text, file = read_text_file(answers, N_("an answers file"))
        report = check_graph(prob, text, file, rtol=rtol, atol=atol)
        write_output(report_text(report) if fmt == "text" else report_json(report), output)
        sys.exit(report.return_code)
    ans = load_answers(answers, prob)
    rules = load_answers(key, prob) if key is not None else None
    report = grade(prob, ans, rtol=rtol, atol=atol, variant=variant, seed=seed, key=rules)
    rendered = checkreport.text(report) if fmt == "text" else checkreport.as_json(report)
    write_output(rendered, output)
    sys.exit(report.return_code)


def _wrote(who: str, name: str, out: Path, written, n: int) -> str:
    files = ", ".join(str(p.relative_to(out)) for p in written if p.parent == out)
    return ngettext("Wrote {who} of {name!r} to {out}/: {files}, {n} answer key in keys/ and "
                    "{n} blank answers file in answers/.",
                    "Wrote {who} of {name!r} to {out}/: {files}, {n} answer keys in keys/ and "
                    "{n} blank answers files in answers/.", n).format(
        who=who, name=name, out=out, files=files, n=n)


@main.command(help=N_("""Write randomized worksheets on PROBLEM, their solutions and answer keys.

    Each variant has its own weights, drawn reproducibly from (seed, variant) on a grid of
    one-decimal values, and asks for the forward pass of one sample, the chain-rule
    factorization and values of the chosen gradients, one update step, the delta form of a
    layer, and (with several outputs) a sum over paths. The solutions are the full verified
    derivations, with a loss curve of training the variant; keys/variant-K.yaml holds the
    right answers and the sheet's rules (`tutor check PROBLEM ANSWERS --key KEY` grades by
    them), and answers/variant-K.yaml is the blank answers file to hand out. With --roster,
    these are named by student id.

    \b
    Examples:
      tutor worksheet problems/xor.yaml -o sheets --variants 30 --pdf
      tutor worksheet problems/textbook-2-2-2.yaml -o sheets -p 'W1[1,1],W2[2,1]'
      tutor worksheet problems/xor.yaml -o sheets --roster students.csv --seed 7
    """))
@click.argument("problem", type=_problem_path())
@click.option("-o", "--output", "out", type=click.Path(file_okay=False, path_type=Path),
              required=True, metavar="DIR",
              help=N_("Directory for worksheet.tex, solutions.tex and keys/ (created if need "
                      "be; other files in it are left alone)."))
@click.option("-n", "--variants", type=click.IntRange(min=1, max=defaults.MAX_VARIANTS),
              default=1,
              show_default=True, help=N_("Number of variants (one per student)."))
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=0,
              show_default=True, help=N_("Seed of the variants: the same seed, the same sheets."))
@click.option("-p", "--params", metavar="NAMES",
              help=N_("Parameters to ask about, e.g. 'W2[1,1],W1[2,1],b1[3]'. Default: one "
                      "output weight, one hidden weight, one bias."))
@click.option("--decimals", type=click.IntRange(min=1, max=8), default=defaults.DECIMALS,
              show_default=True,
              help=N_("Decimals to round to, stated on the sheets and used by the keys."))
@click.option("--pdf", is_flag=True, help=N_("Also compile both documents with pdflatex."))
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), metavar="CSV",
              help=N_("A class list (id, name; optionally variant): one sheet per student, "
                      "named on it, their variant drawn from --seed and their id (stable when "
                      "the roster is reordered or grows). Replaces --variants."))
def worksheet(problem, out, variants, seed, params, decimals, pdf, roster):
    from .derivation import resolve_params
    from .problem import Problem, load_any
    from .variants import default_params
    from .worksheet import build_variant, write

    prob = _use(load_any(problem))
    if not isinstance(prob, Problem):       # a computational graph: fill in the graph
        if roster is not None or params:
            raise click.UsageError(_("--roster and -p are for networks"))
        from .graphsheet import write as write_graph
        written = write_graph(prob, out, variants, seed, decimals, pdf, str(problem))
        click.echo(_wrote(ngettext("{n} variant", "{n} variants", variants).format(
            n=variants), prob.name, out, written, variants))
        return
    students = None
    if roster is not None:
        from .roster import read_roster
        students = read_roster(roster)
        variants = len(students)
    bar = Progress(variants, "variants")
    built = []
    refs = resolve_params(prob, [_read(params)] if params else default_params(prob))
    for k in range(1, variants + 1):
        if students is None:
            built.append(build_variant(prob, seed, k, refs, curve=False))
        else:
            st = students[k - 1]
            built.append(build_variant(prob, seed, st.variant(seed), refs, (st.id, st.name),
                                       curve=False))
        bar.update(k)
    bar.close()
    from .worksheet import with_curves
    built = with_curves(built)          # every variant trained at once
    written = write(prob, out, built, decimals, pdf)
    n = len(built)
    who = (ngettext("{n} student", "{n} students", n) if students else
           ngettext("{n} variant", "{n} variants", n)).format(n=n)
    click.echo(_wrote(who, prob.name, out, written, n))


@main.command(help=N_(
    """Export a worksheet's questions to a learning platform, with tutor's diagnoses.

    One numerical question per variant and per numerical part of the sheet (forward values,
    ∂ℓ/∂p, the update step, the delta form), with the variant's weights and network picture;
    the right answer, and for each usual mistake an answer worth 0 whose feedback is what
    `tutor check` says for that value. Variants whose answers cannot be told apart are
    redrawn. Moodle: Question bank → Import → Moodle XML. Canvas: Settings → Import course
    content → QTI .zip file.

    \b
    Examples:
      tutor export problems/xor.yaml -n 30 --seed 7 -o xor-quiz.xml
      tutor export problems/xor.yaml -n 30 --seed 7 -f qti -o xor-quiz.zip
    """))
@click.argument("problem", type=_problem_path())
@click.option("-n", "--variants", type=click.IntRange(min=1, max=defaults.MAX_VARIANTS),
              default=1, show_default=True, help=N_("Variants: one numerical question each per "
                                                    "part of the sheet."))
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=0,
              show_default=True, help=N_("The worksheets' seed: the same seed, the same numbers "
                                         "as tutor worksheet's keys."))
@click.option("-p", "--params", metavar="NAMES",
              help=N_("The sheet's parameters, as for tutor worksheet -p."))
@click.option("--decimals", type=click.IntRange(min=1, max=8), default=defaults.DECIMALS,
              show_default=True, help=N_("The rounding: each answer's tolerance is half a unit "
                                         "of the last decimal."))
@click.option("-f", "--format", "fmt", type=click.Choice(["moodle", "qti"]), default="moodle",
              show_default=True, help=N_("Moodle XML, or a QTI 1.2 zip for Canvas."))
@click.option("--keys", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help=N_("Also write the key of each exported variant here (variant-NN.yaml, as "
                      "tutor worksheet writes them; a redrawn variant's says so)."))
@_output_option
def export(problem, variants, seed, params, decimals, fmt, keys, output):
    from .export import questions
    from .printing import lms
    from .problem import load_problem, parse_param_refs

    prob = _use(load_problem(problem))
    names = ([r.name for r in parse_param_refs(_read(params), prob.network)] if params
             else None)
    bar = Progress(variants, "variants")
    try:
        qs = questions(prob, variants, seed, names, decimals, bar.update)
    finally:
        bar.close()
    if fmt == "moodle":
        write_output(lms.moodle_xml(qs), output)
    else:
        if output is None or str(output) == "-":
            raise click.UsageError(_("a QTI package is a zip file: give -o FILE.zip"))
        from .files import write_file
        write_file(output, lms.qti_zip(qs, _("{name} (seed {seed})").format(
                                               name=prob.name, seed=seed)))
    if keys is not None:
        from .export import write_keys
        write_keys(prob, qs, keys, names, decimals)
    redrawn = sorted({q.slot for q in qs if q.redrawn})
    if output is not None:
        click.echo(ngettext("Wrote {q} questions of {n} variant to {output}",
                            "Wrote {q} questions of {n} variants to {output}", variants).format(
                       q=len(qs), n=variants, output=output)
                   + (_("; {k} of the variants were redrawn (their first draws' answers could "
                        "not be told apart; each question says so)").format(k=len(redrawn))
                      if redrawn else "") + ".")


@main.command("grade", help=N_(
    """Grade a whole class: every student's answers by their own worksheet variant.

    SUBMISSIONS is a directory of answers files named by student id (<id>.yaml, as
    `tutor worksheet --roster` writes the blank ones). Writes a gradebook (id, name, variant,
    points per exercise, total, a comment) that learning platforms import, and a feedback
    file per student with each mistake named. Missing or unreadable submissions are listed,
    and submissions that match another student's variant far better than their own are
    flagged; nothing stops the run.

    \b
    Examples:
      tutor grade problems/xor.yaml submissions/ --roster students.csv --seed 7 -o grades.csv
    """))
@click.argument("problem", type=_problem_path())
@click.argument("submissions", type=click.Path(file_okay=False, path_type=Path))
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path), metavar="CSV",
              required=True, help=N_("The class list the worksheets were made for."))
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), required=True,
              help=N_("The seed of the worksheets (tutor worksheet --seed)."))
@click.option("-p", "--params", metavar="NAMES",
              help=N_("The worksheets' parameters, if they were chosen with -p."))
@click.option("--decimals", type=click.IntRange(min=1, max=8), default=defaults.DECIMALS,
              show_default=True, help=N_("The worksheets' rounding."))
@click.option("-f", "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True, help=N_("The gradebook's format (JSON: see the README)."))
@click.option("--feedback", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help=N_("Write each student's feedback here, <id>.txt and <id>.html. Default: "
                      "next to -o, in <gradebook>-feedback/."))
@click.option("--workers", type=click.IntRange(min=1, max=64), metavar="N",
              help=N_("Processes to grade with. Default: the machine's cores."))
@_output_option
def grade_command(problem, submissions, roster, seed, params, decimals, fmt, feedback,
                  workers, output):
    from .gradebook import (grade_class, gradebook_csv, gradebook_json, summary,
                            write_feedback)
    from .problem import load_problem, parse_param_refs
    from .roster import read_roster

    prob = _use(load_problem(problem))
    students = read_roster(roster)
    names = (tuple(r.name for r in parse_param_refs(_read(params), prob.network)) if params
             else None)
    bar = Progress(len(students), "students")
    try:
        entries = grade_class(prob, students, seed, submissions, names, decimals, workers,
                              bar.update)
    finally:
        bar.close()
    book = gradebook_csv(entries) if fmt == "csv" else gradebook_json(prob, seed, entries)
    write_output(book, output)
    if feedback is None and output is not None and str(output) != "-":
        feedback = output.with_name(output.stem + "-feedback")
    if feedback is not None:
        n = write_feedback(feedback, entries)
        click.echo(ngettext("Feedback for {n} student in {dir}/.",
                            "Feedback for {n} students in {dir}/.", n).format(
                       n=n, dir=feedback), err=output is None)
    click.echo(summary(entries), nl=False, err=output is None)


class Progress:
    """A progress bar on standard error, drawn only on a terminal and only once a run has
    taken half a second; lines printed meanwhile go above it."""

    WIDTH = 30

    def __init__(self, total: int, unit: str):
        self.total, self.unit = total, unit
        self.enabled = sys.stderr.isatty() and total > 0
        self.start = self.last = time.monotonic()
        self.shown = False
        self.done = 0

    def echo(self, text: str) -> None:
        if self.shown:
            click.echo("\r\033[K", nl=False, err=True)
        click.echo(text, nl=False)
        if self.shown:
            self.draw(self.done)

    def update(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        # Drawn from half a second on, at most ten times a second.
        if self.enabled and now - self.start > 0.5 and (now - self.last > 0.1 or done ==
                                                          self.total):
            self.last = now
            self.draw(done)

    def draw(self, done: int) -> None:
        self.shown = True
        filled = self.WIDTH * done // self.total
        bar = "█" * filled + "·" * (self.WIDTH - filled)
        click.echo(f"\r{bar} {done}/{self.total} {self.unit}", nl=False, err=True)

    def close(self) -> None:
        if self.shown:
            click.echo("\r\033[K", nl=False, err=True)
            self.shown = False


def at_point(prob, epoch, params_file, lr, seed):
    """The problem at the weights that --epoch, --params, --lr and --seed name."""
    if params_file is not None:
        if lr is not None:
            raise click.UsageError(_("--lr trains with --epoch; a saved run (--params) has "
                                     "its own"))
        from .snapshots import load_params
        return load_params(params_file, prob, epoch=epoch, seed=seed)
    if epoch is None:
        if lr is not None or seed is not None:
            raise click.UsageError(_("--lr and --seed say how to train: give --epoch N too"))
        return prob
    from .training import at_epoch
    return at_epoch(prob, epoch, lr=lr, seed=seed)


def _epoch_list(ctx, param, values):
    out = []
    for v in values:
        for part in v.split(","):
            try:
                n = int(part)
            except ValueError:
                raise click.BadParameter(_("expected whole numbers like 10,100; got {part!r}")
                                         .format(part=part))
            if n < 0:
                raise click.BadParameter(_("expected epochs ≥ 0; got {n}").format(n=n))
            out.append(n)
    return tuple(sorted(set(out)))


@main.command(help=N_("""Train PROBLEM's network by gradient descent with tutor's NumPy engine.

    By default one full-batch update per epoch on the mean loss, with the problem's
    training: settings (batch_size and momentum too). Prints the loss every tenth of the run,
    the final predictions and a verdict: solved, or why not (the ln 2 plateau, a local
    minimum, still learning) and what usually helps. The same problem and seed always give
    the same output, bit for bit.

    \b
    Examples:
      tutor train problems/xor.yaml
      tutor train problems/xor.yaml --epochs 20000 --plot loss.png --boundary xor.png
      tutor train problems/xor.yaml --seeds 100
    """))
@click.argument("problem", type=_problem_path())
@click.option("--epochs", type=click.IntRange(min=0, max=10_000_000), metavar="N",
              help=N_("Epochs to train. Default: the problem's training.epochs."))
@click.option("--lr", type=click.FloatRange(min=0, min_open=True, max=1e6), metavar="X",
              help=N_("Learning rate η. Default: the problem's training.lr."))
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), metavar="S",
              help=N_("Initialise with this seed (the default initialisation: uniform in "
                      "±1/√fan_in) instead of the problem's init."))
@click.option("--seeds", type=click.IntRange(min=1, max=100_000), metavar="N",
              help=N_("Train N copies from seeds S … S+N−1 at once (S: --seed, else the "
                      "problem's init.seed, else 0) and report how many solve the task."))
@click.option("--every", type=click.IntRange(min=1), metavar="K",
              help=N_("Print the loss every K epochs. Default: every tenth of the run."))
@click.option("-f", "--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help=N_("Output format (JSON: see the README)."))
@click.option("--plot", type=click.Path(dir_okay=False, path_type=Path), metavar="PNG",
              help=N_("Draw the loss curve (log scale) to this PNG, 800×500 pixels. Needs "
                      "the plot extra (matplotlib)."))
@click.option("--boundary", type=click.Path(dir_okay=False, path_type=Path), metavar="PNG",
              help=N_("Draw the decision boundary of a 2-input problem with its data points to "
                      "this PNG, 800×500 pixels. Needs the plot extra (matplotlib)."))
@click.option("--snapshot", "snapshots", multiple=True, callback=_epoch_list, metavar="N[,M…]",
              help=N_("Keep the weights after these epochs in the JSON output (`tutor derive "
                      "--params run.json --epoch N` derives at them)."))
@click.option("--trace", type=click.IntRange(min=1, max=1000), metavar="K",
              help=N_("Show the first K updates one by one: p ← p − η·∂L/∂p for each "
                      "parameter (with momentum, the velocity too), each value what `tutor "
                      "derive` gives at that epoch."))
@click.option("-p", "--param", "trace_params", multiple=True, metavar="NAME",
              help=N_("With --trace: only these parameters (W1[2,1], b2, or W1 for a whole "
                      "array; repeat or separate with commas). Default: all."))
@_output_option
def train(problem, epochs, lr, seed, seeds, every, fmt, plot, boundary, snapshots, trace,
          trace_params, output):
    from .printing import trainreport
    from .problem import load_problem
    from .training import resolve_settings, run_seeds, train as run_train

    from .problem import Problem, load_any
    prob = _use(load_any(problem))
    if not isinstance(prob, Problem):
        raise click.UsageError(_("{problem} is a computational graph: it has nothing to train "
                                 "(its inputs are given values, not weights to learn); "
                                 "`tutor derive` derives it and `tutor check` grades answers "
                                 "to it").format(problem=problem))
    if trace_params and not trace:
        raise click.UsageError(_("-p chooses the parameters of --trace K: give --trace too"))
    if trace and seeds is not None:
        raise click.UsageError(_("--trace follows one run: give --seed S, not --seeds N"))
    if boundary is not None and prob.network.inputs != 2:
        raise click.UsageError(_("--boundary needs a problem with 2 inputs; {problem} has {n}")
                               .format(problem=problem, n=prob.network.inputs))
    if plot is not None or boundary is not None:
        from .plots import require_matplotlib
        require_matplotlib()
    settings = resolve_settings(prob, epochs, lr)
    every = every or trainreport.default_every(settings.epochs)
    stream = fmt == "text" and output is None
    bar = Progress(settings.epochs, "epochs")
    if stream:
        bar.echo(trainreport.header(prob, settings, run_seeds(prob, seed, seeds),
                                    seeds is not None))

    def progress(done, chunk_losses):
        if stream:
            lines = trainreport.epoch_lines(chunk_losses, done - len(chunk_losses), every)
            if lines:
                bar.echo(lines)
        bar.update(done)

    try:
        result = run_train(prob, epochs=epochs, lr=lr, seed=seed, seeds=seeds,
                           progress=progress, snapshots=snapshots, trace=trace or 0,
                           trace_params=[_read(p) for p in trace_params] or None)
    finally:
        bar.close()
    if plot is not None:
        from .plots import loss_curve
        loss_curve(result, plot)
    if boundary is not None:
        from .plots import decision_boundary
        decision_boundary(result, boundary)
    if stream:
        click.echo(trainreport.summary(result) + trainreport.trace_text(result), nl=False)
    elif fmt == "json":
        write_output(trainreport.as_json(result), output)
    else:
        write_output(trainreport.text(result, every), output)


@main.command(help=N_("""Serve the tutor as a web application: open http://HOST:PORT in a browser.

    Students pick a problem, reveal each derivation one step at a time, type their own
    gradients (numbers or formulas) and see ✓ or the named mistake, and download worksheets.
    A JSON API (GET /api/problems, GET /api/problems/ID/derivation?param=W1[2,1],
    POST /api/problems/ID/check, POST /api/problems) serves programs; its OpenAPI document
    is /openapi.json. Problems uploaded through the page or the API are kept in memory only.

    \b
    Examples:
      tutor serve
      tutor serve --port 9000 --problems my-problems
    """))
@click.option("--host", default="127.0.0.1", show_default=True,
              help=N_("Address to listen on. The default serves this machine only; 0.0.0.0 "
                      "serves the network (a classroom)."))
@click.option("--port", type=click.IntRange(min=1, max=65535), default=8000, show_default=True,
              help=N_("Port to listen on."))
@click.option("--problems", "problems_dir", type=click.Path(file_okay=False, path_type=Path),
              metavar="DIR",
              help=N_("Directory of problem files (*.yaml) to offer. Default: ./problems, or the "
                      "problems shipped with tutor."))
@click.option("--workers", type=click.IntRange(min=1, max=32), default=2, show_default=True,
              help=N_("Worker processes for checks, and as many for derivations, training and "
                      "worksheets."))
@click.option("--allow-host", "allow_hosts", multiple=True, metavar="NAME",
              help=N_("A host name the server answers to (repeat for more), e.g. the classroom "
                      "machine's name. Default: the address it listens on and localhost; with "
                      "--host 0.0.0.0 or ::, any."))
def serve(host, port, problems_dir, workers, allow_hosts):
    from .web import require_web
    require_web()
    from .web.library import Library
    directory = problems_dir or _default_problems()
    library = Library.from_dir(directory)
    import uvicorn
    from .web.app import create_app
    sock = _listen(host, port)
    for line in library.errors:
        click.echo(_("skipped {what}").format(what=line), err=True)
    shown = f"[{host}]" if ":" in host else host
    click.echo(_("Serving {n} problems from {dir}/ at {url} (Ctrl-C to stop)").format(
        n=len(library.entries()), dir=directory, url=f"http://{shown}:{port}"), err=True)
    from .web.http import protocol
    app = create_app(library, workers, allowed_hosts(host, allow_hosts))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", http=protocol(),
                                           timeout_keep_alive=5))
    server.run(sockets=[sock])


def allowed_hosts(host: str, extra: tuple[str, ...]) -> list[str] | None:
    """The Host names to answer: the bound address, localhost, and ``extra``; None (any)
    when listening on every interface without a list."""
    if host in ("0.0.0.0", "::", "") and not extra:
        return None
    names = {host, "localhost", "127.0.0.1", "::1", "[::1]", *extra}
    return sorted(names | {f"[{h}]" for h in names if ":" in h and not h.startswith("[")})


def _listen(host: str, port: int):
    """A socket bound to host:port, or one clean line saying why not."""
    import socket
    sock = None
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as e:
        if sock is not None:
            sock.close()
        raise UserError(_("cannot listen on {host}:{port}: {why}").format(
            host=host, port=port, why=e.strerror or e)) from None
    return sock


def _default_problems() -> Path:
    here = Path("problems")
    if here.is_dir():
        return here
    shipped = Path(__file__).resolve().parent.parent / "problems"
    if shipped.is_dir():
        return shipped
    raise TutorError(_("no ./problems directory here: give one with --problems DIR"))


if __name__ == "__main__":  # pragma: no cover
    main()
