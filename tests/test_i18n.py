"""Languages: the catalogs are complete, compiled and consistent with the glossary; the
language is chosen as documented; Korean output leaves no English but mathematics and names."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path
from string import Formatter

import pytest
from click.testing import CliRunner

from tutor import i18n
from tutor.cli import main

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "tutor" / "locale"
LANGS = [d.name for d in sorted(LOCALE.iterdir()) if (d / "LC_MESSAGES" / "tutor.po").is_file()]
babel = pytest.importorskip("babel", reason="Babel is in the test extra")


def _catalog(lang: str):
    from babel.messages.pofile import read_po
    with open(LOCALE / lang / "LC_MESSAGES" / "tutor.po", "rb") as f:
        return read_po(f)


def _extracted() -> dict:
    """Every message of the code, as scripts/catalogs extracts it (babel.cfg, -k Words)."""
    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    keywords = dict(DEFAULT_KEYWORDS, Words=None)
    found = {}
    for _file, _line, message, _comments, context in extract_from_dir(
            str(ROOT / "tutor"), method_map=[("**.py", "python")], keywords=keywords):
        found[(message, context)] = _file
    return found


def _slots(s: str) -> set[str]:
    try:
        return {name for _, name, _, _ in Formatter().parse(s) if name is not None}
    except ValueError:
        return {"<unbalanced braces>"}


def test_korean_is_shipped():
    assert "ko" in LANGS and "ko" in i18n.languages()


@pytest.mark.parametrize("lang", LANGS)
def test_every_message_is_translated(lang):
    """Every message the code marks (``_``, ``ngettext``, ``N_``, ``Words``) has a
    translation, not fuzzy: a new English message fails here until scripts/catalogs merged
    it and someone translated it."""
    catalog = _catalog(lang)
    missing = []
    for message, context in _extracted():
        key = message if isinstance(message, str) else message[0]
        m = catalog.get(key, context=context)
        ok = (m is not None and m.string and not m.fuzzy
              and (isinstance(m.string, str) or all(m.string)))
        if not ok:
            missing.append(key)
    assert not missing, f"untranslated in {lang} (run scripts/catalogs): {missing}"


@pytest.mark.parametrize("lang", LANGS)
def test_translations_keep_their_slots(lang):
    """A translation may reorder the slots or leave one out (English's plural s), never
    invent one: str.format would fail on it."""
    for m in _catalog(lang):
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        allowed = set().union(*(_slots(i) for i in ids))
        for s in strings:
            assert _slots(s) <= allowed, (m.id, s)


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalog_is_up_to_date(lang):
    """tutor.mo is tutor.po compiled (scripts/catalogs compile)."""
    from babel.messages.mofile import read_mo, write_mo
    po = _catalog(lang)
    buf = io.BytesIO()
    write_mo(buf, po)
    buf.seek(0)
    def table(catalog):
        return {str(m.id): str(m.string) for m in catalog if m.id}
    fresh = table(read_mo(buf))
    with open(LOCALE / lang / "LC_MESSAGES" / "tutor.mo", "rb") as f:
        shipped = table(read_mo(f))
    assert shipped == fresh, "tutor.mo is stale: run scripts/catalogs compile"


def _glossary(lang: str) -> list[tuple[str, str]]:
    rows = []
    for line in (LOCALE / lang / "glossary.tsv").read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            english, native, *_ = line.split("\t")
            rows.append((english, native))
    return sorted(rows, key=lambda r: -len(r[0]))


def _term(english: str) -> re.Pattern:
    *words, last = english.split()
    last = "matri(?:x|ces)" if last == "matrix" else re.escape(last) + "(?:s|es)?"
    body = r"[\s-]+".join([re.escape(w) for w in words] + [last])
    return re.compile(r"(?<![\w-])" + body + r"(?!\w)", re.I)


@pytest.mark.parametrize("lang", [l for l in LANGS if (LOCALE / l / "glossary.tsv").exists()])
def test_catalog_uses_the_glossary(lang):
    """Terminology a student recognises, used consistently: every message holding a
    glossary term (the longest first) says it with the glossary's word."""
    glossary = [(english, _term(english), native) for english, native in _glossary(lang)]
    wrong = []
    for m in _catalog(lang):
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        # (not the slots' names, nor commands quoted as code or TeX, nor the verb of "did you
        # mean")
        text = re.sub(r"\{[^{}]*\}|<code>.*?</code>|\\[A-Za-z]+|(?i:did you mean)", " ",
                      " ".join(ids))
        for english, pattern, native in glossary:
            if pattern.search(text):
                text = pattern.sub(" ", text)
                if not all(native in s for s in strings):
                    wrong.append(f"{m.id!r}: {english} → {native}")
    assert not wrong, "\n".join(wrong)


def test_glossary_has_the_issue_terms():
    terms = dict(_glossary("ko"))
    for english, native in [("forward pass", "순전파"), ("backpropagation", "역전파"),
                            ("chain rule", "연쇄법칙"), ("loss function", "손실 함수"),
                            ("weight", "가중치"), ("bias", "편향"), ("gradient", "기울기"),
                            ("learning rate", "학습률"), ("epoch", "에폭"),
                            ("mini-batch", "미니배치"), ("gradient check", "기울기 확인"),
                            ("mean squared error", "평균 제곱 오차")]:
        assert terms[english] == native


# -- choosing the language --

@pytest.mark.parametrize("env, lang", [
    ({}, "en"),
    ({"LANG": "ko_KR.UTF-8"}, "ko"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LC_MESSAGES": "ko_KR.UTF-8", "LANG": "en_US.UTF-8"}, "ko"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "ko_KR.UTF-8"}, "en"),    # LC_ALL wins, as in gettext
    ({"LANGUAGE": "fr:ko", "LANG": "en_US.UTF-8"}, "ko"),       # the first supported of a list
    ({"LANG": "fr_FR.UTF-8"}, "en"),                            # unsupported: English
    ({"TUTOR_LANG": "ko", "LC_ALL": "en_US.UTF-8"}, "ko"),      # tutor's own override
    ({"TUTOR_LANG": "en", "LANG": "ko_KR.UTF-8"}, "en"),
])
def test_language_from_environment(env, lang):
    assert i18n.from_environment(env) == lang


@pytest.mark.parametrize("header, lang", [
    ("ko-KR,ko;q=0.9,en-US;q=0.8", "ko"), ("en-US,en;q=0.9,ko;q=0.8", "en"),
    ("fr, ko;q=0.5", "ko"), ("fr", None), ("", None), ("ko;q=0", None),
    ("en;q=0.2, ko;q=0.9", "ko"), ("ko;q=abc, en", "en"),
])
def test_accept_language(header, lang):
    assert i18n.from_accept_language(header) == lang


def test_using_is_scoped():
    with i18n.using("ko"):
        assert i18n._("Forward pass") == "순전파"
        with i18n.using("en"):
            assert i18n._("Forward pass") == "Forward pass"
    assert i18n._("Forward pass") == "Forward pass"


def test_lang_option_and_its_scope(tmp_path):
    runner = CliRunner()
    r = runner.invoke(main, ["--lang", "ko", "derive", str(ROOT / "problems" / "xor.yaml"),
                             "-p", "W2[1,1]"])
    assert r.exit_code == 0, r.output
    assert "순전파" in r.output and "Forward pass" not in r.output
    # the next command, in the same process, is English again
    r = runner.invoke(main, ["derive", str(ROOT / "problems" / "xor.yaml"), "-p", "W2[1,1]"])
    assert "Forward pass" in r.output
    r = runner.invoke(main, ["--lang", "xx", "derive", str(ROOT / "problems" / "xor.yaml")])
    assert r.exit_code == 2 and "xx" in r.output


def test_errors_in_korean(tmp_path):
    r = subprocess.run([sys.executable, "-m", "tutor", "--lang", "ko", "derive",
                        str(tmp_path / "missing.yaml")], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.startswith("오류: ") and len(r.stderr.strip().splitlines()) == 1


def test_environment_chooses_korean():
    env = {k: v for k, v in __import__("os").environ.items()
           if k not in ("TUTOR_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    env["LANG"] = "ko_KR.UTF-8"
    r = subprocess.run([sys.executable, "-m", "tutor", "derive",
                        str(ROOT / "problems" / "xor.yaml"), "-p", "b2[1]"],
                       capture_output=True, text=True, env=env)
    assert r.returncode == 0 and "순전파" in r.stdout


# -- no English left --

# Words that are mathematics or names, not English: functions, the identifiers of problem
# files (activations, losses), the tools named as such.
_ALLOWED = {"exp", "ln", "log", "sin", "cos", "tanh", "relu", "max", "min", "sigmoid", "bce",
            "mse", "elu", "silu", "swish", "softplus", "softmax", "leaky", "huber", "half",
            "sse", "cross", "entropy", "identity", "numpy", "sympy", "yhat", "sqrt", "abs",
            "Huber", "NumPy", "SymPy", "BCE", "CE", "lrelu", "sign"}


def _english_words(text: str, problem) -> list[str]:
    names = set(re.findall(r"[A-Za-z]+", " ".join(
        [problem.name, problem.description or "", problem.loss]
        + [layer.activation for layer in problem.network.layers])))
    text = re.sub(r"<[^>]*>", " ", text)                   # HTML tags
    text = re.sub(r"&[a-z]+;", " ", text)                 # entities
    text = re.sub(r"\\(?:begin|end)\{\w+\*?\}(?:\{[lrc|]+\})?", " ", text)  # TeX environments
    text = re.sub(r"\\[A-Za-z]+", " ", text)              # TeX commands
    text = re.sub(r"\b[A-Za-z]+\d*\[[\d, ]*\]", " ", text)   # W1[2,1]
    words = re.findall(r"(?<![\\\w])[A-Za-z]{3,}(?!\w)", text)
    return sorted({w for w in words if w not in names and w.lower() not in _ALLOWED
                   and w not in _ALLOWED})


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "html"])
@pytest.mark.parametrize("name", ["xor", "softmax", "leaky-relu", "huber"])
def test_korean_derivation_has_no_english(name, fmt):
    from tutor import derive, load_problem
    from tutor.printing import render
    problem = load_problem(ROOT / "problems" / f"{name}.yaml")
    with i18n.using("ko"):
        out = render(derive(problem), fmt)
    if fmt in ("latex", "html"):
        # the document's frame (preamble, stylesheet) is not text a reader reads
        out = out.split(r"\begin{document}")[-1].split("<body>")[-1]
    if fmt == "text":
        # tutor's formula syntax, as students type it back: (1 if z > 0 else 0.01)
        out = re.sub(r"\b(if|else)\b", " ", out)
    left = _english_words(out, problem)
    assert not left, left


def test_korean_pdf_compiles_with_hangul_text(tmp_path):
    """A Korean derivation compiles with pdfLaTeX (kotex, from Debian's texlive-lang-korean),
    its fonts embedded, and its Hangul is text pdftotext reads back."""
    from conftest import need
    from tutor import derive, load_problem
    from tutor.latex import compile_pdf
    from tutor.printing import render
    need("pdflatex")
    pdftotext, pdffonts = need("pdftotext"), need("pdffonts")
    with i18n.using("ko"):
        tex = render(derive(load_problem(ROOT / "problems" / "xor.yaml")), "latex")
    assert r"\usepackage{kotex}" in tex
    pdf = tmp_path / "xor-ko.pdf"
    compile_pdf(tex, pdf)
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for word in ("순전파", "연쇄법칙", "국소적 미분", "기울기 확인", "가중치"):
        assert word in text, word
    fonts = subprocess.run([pdffonts, str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    assert fonts and all(" yes " in f for f in fonts if "Type 3" not in f), fonts


def test_korean_check_report_has_no_english():
    """`tutor check` in Korean: the report's words, the diagnoses and the rules named in the
    correct steps are Korean; what is left is mathematics, names and the student's own text."""
    from tutor import load_problem
    problem = load_problem(ROOT / "problems" / "xor.yaml")
    r = CliRunner().invoke(main, ["--lang", "ko", "check", str(ROOT / "problems" / "xor.yaml"),
                                  str(ROOT / "problems" / "answers" / "xor.yaml")])
    assert r.exit_code == 1, r.output
    # (the student's formulas, as typed: yhat, W2[1,2], x1)
    report = "\n".join(line for line in r.output.splitlines() if " = " not in line
                       or not line.startswith(("✓", "✗")))
    report = report.replace(str(ROOT / "problems" / "answers" / "xor.yaml"), "")
    assert "결과" in report and "빠졌습니다" in report
    assert not _english_words(report, problem), _english_words(report, problem)


def test_no_message_hides_in_an_f_string():
    """Babel (like xgettext) does not look inside f-strings, so a ``_("…")`` there would
    never reach the catalog: every message is outside them."""
    import io
    import tokenize
    bad = []
    for path in sorted((ROOT / "tutor").rglob("*.py")):
        with open(path, "rb") as f:
            for tok in tokenize.tokenize(f.readline):
                if tok.type == tokenize.STRING and re.match(r"[rRbB]*[fF]", tok.string) \
                        and re.search(r"\b(_|N_|ngettext|pgettext)\(\s*[\"']", tok.string):
                    bad.append(f"{path.relative_to(ROOT)}:{tok.start[0]}")
    assert not bad, bad


def test_no_module_rebinds_the_translation_function():
    """``_`` is gettext's: a module that imports it must not also use ``_`` as a throwaway
    name (``x, _ = …``), which would make every ``_("…")`` of that function fail."""
    import ast
    bad = []
    for path in sorted((ROOT / "tutor").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        imports = any(isinstance(n, ast.ImportFrom) and n.module and n.module.endswith("i18n")
                      and any(a.name == "_" for a in n.names) for n in ast.walk(tree))
        if not imports:
            continue
        for n in ast.walk(tree):
            if isinstance(n, ast.Name) and n.id == "_" and isinstance(n.ctx, ast.Store):
                bad.append(f"{path.relative_to(ROOT)}:{n.lineno}")
    assert not bad, bad


def test_shipped_korean_problem():
    """problems/ko/xor.yaml is XOR with a Korean name and description: the same numbers, and
    a Korean derivation with no English words but mathematics and names."""
    from tutor import derive, load_problem
    from tutor.printing import render
    ko, en = (load_problem(ROOT / "problems" / f) for f in ("ko/xor.yaml", "xor.yaml"))
    d_ko, d_en = derive(ko), derive(en)
    assert [g.value for g in d_ko.gradients] == [g.value for g in d_en.gradients]
    with i18n.using("ko"):
        out = render(d_ko, "text")
    assert out.startswith("XOR (배타적 논리합)")
    assert not _english_words(out, ko), _english_words(out, ko)


def test_korean_worksheet_compiles(tmp_path):
    """A Korean worksheet and its solutions: Hangul text in the PDFs, the answers template's
    comments in Korean, the numbers the English sheet's."""
    from conftest import need
    need("pdflatex")
    pdftotext = need("pdftotext")
    r = CliRunner().invoke(main, ["--lang", "ko", "worksheet", str(ROOT / "problems" / "ko" /
                                                                   "xor.yaml"),
                                  "-n", "1", "-o", str(tmp_path / "ko"), "--pdf"])
    assert r.exit_code == 0, r.output
    assert "답안 키" in r.output
    for pdf, words in (("worksheet.pdf", ("학습지", "순전파", "연쇄법칙", "반올림")),
                       ("solutions.pdf", ("풀이", "국소적 미분", "기울기 확인"))):
        text = subprocess.run([pdftotext, str(tmp_path / "ko" / pdf), "-"],
                              capture_output=True, text=True, check=True).stdout
        for w in words:
            assert w in text, (pdf, w)
    template = next((tmp_path / "ko" / "answers").glob("*.yaml")).read_text("utf-8")
    assert "내 답" in template and "문제 1: 순전파" in template
    r = CliRunner().invoke(main, ["worksheet", str(ROOT / "problems" / "xor.yaml"), "-n", "1",
                                  "-o", str(tmp_path / "en")])
    keys = [(tmp_path / d / "keys").glob("*.yaml") for d in ("ko", "en")]
    ko_key, en_key = (next(k).read_text("utf-8").split("\n", 3)[3] for k in keys)
    assert ko_key == en_key


def test_korean_pictures_have_their_glyphs(tmp_path):
    """`tutor --lang ko train --plot --boundary`: the pictures' words in Korean, drawn with a
    Hangul font (Debian's Nanum, installed by scripts/install-tools): matplotlib warns of a
    missing glyph, and warnings are errors here."""
    from conftest import need_module
    need_module("matplotlib")
    r = CliRunner().invoke(main, ["--lang", "ko", "train", str(ROOT / "problems" / "ko" /
                                                               "xor.yaml"),
                                  "--epochs", "200", "--plot", str(tmp_path / "loss.png"),
                                  "--boundary", str(tmp_path / "boundary.png")])
    assert r.exit_code == 0, (r.output, r.exception)
    for png in ("loss.png", "boundary.png"):
        assert (tmp_path / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    from tutor import plots
    assert any(f != "DejaVu Sans" for f in plots._families()), "no Hangul font"


@pytest.mark.parametrize("text, words", [
    ("name: x\nnetwork: {inputs: 2, layers: [{units: 2, activation: sigmod}]}\nloss: mse\n"
     "data: {inputs: [[0, 1]], targets: [[1, 2]]}\n", ("알 수 없는 활성화 함수", "sigmoid")),
    ("name: x\nnetwork: {inputs: 2, layers: [{units: 2, activation: sigmoid}]}\nloss: mse\n"
     "data: {inputs: [[0, 1]], targets: [[1, 2]]}\ninit: {seed: -1}\n", ("정수가 와야 합니다",)),
    (None, ("파일을 읽을 수 없습니다", "그런 파일이나 디렉터리가 없습니다")),
    # the problem section's rules, the losses' and activations' own words
    ("name: t\nnetwork: {inputs: 2, layers: [{units: 2, activation: relu}]}\nloss: bce\n"
     "data: {inputs: [[0, 0]], targets: [[0, 1]]}\ninit: {seed: 0}\n",
     ("sigmoid 출력층", "필요합니다")),
    ("name: t\nnetwork: {inputs: 2, layers: [{units: 1, activation: leaky_relu, slope: 2}]}\n"
     "loss: mse\ndata: {inputs: [[0, 0]], targets: [2]}\ninit: {seed: 0}\n",
     ("[0, 1) 안의 slope이어야 합니다",)),
    ("name: t\nnetwork: {inputs: 2, layers: [{units: 1, activation: sigmoid}]}\nloss: bce\n"
     "data: {inputs: [[0, 0]], targets: [2]}\ninit: {seed: 0}\n", ("목푯값은 [0, 1] 안에",)),
    ("name: t\nname: u\n", ("두 번 나옵니다",)),
    ("", ("파일이 비어 있습니다",)),
    ("name: g\ngraph: {steps: ['q = x + y', 'q = x * y'], inputs: {x: 1, y: 2}}\n",
     ("이미 정의되었습니다",)),
])
def test_korean_error_lines(tmp_path, text, words):
    """A bad problem file in Korean: one line, 오류: file:line: field: the reason in Korean."""
    path = tmp_path / "bad.yaml"
    if text is not None:
        path.write_text(text)
    r = subprocess.run([sys.executable, "-m", "tutor", "--lang", "ko", "derive", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("오류: ") and str(path) in r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def _prose(text: str, kind: str) -> str:
    """What a reader reads as words: without code (TikZ and pgfplots options, \\texttt{…}
    commands), file-format keys, command lines, file names and query strings."""
    if kind == "tex":
        text = re.sub(r"\\begin\{tikzpicture\}.*?\\end\{tikzpicture\}", " ", text, flags=re.S)
        text = re.sub(r"\\texttt\{[^}]*\}", " ", text)
    if kind == "yaml":
        text = re.sub(r"(?m)^\s*[\w\"\[\],]+:", " ", text)
    text = re.sub(r"tutor \w+[^\n]*", " ", text)                # command lines
    text = re.sub(r"--\w+(?:\s+\d+)?", " ", text)              # options: --epochs 20000
    text = re.sub(r"[\w./-]+\.(?:yaml|yml|json|tex|pdf|png)(?![A-Za-z0-9])", " ", text)
    text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
    text = re.sub(r"/problems/\S+", " ", text)
    return text


def test_no_english_left_in_korean_commands(tmp_path):
    """Every command's output in Korean, read for English words: train (a run, a sweep, a
    trace), check (text and its HTML feedback), the worksheet and its solutions, the answers
    template and the key; what is left may be mathematics and names only."""
    from tutor import load_problem
    ko = ROOT / "problems" / "ko" / "xor.yaml"
    problem = load_problem(ko)
    runner = CliRunner()

    def run(*args):
        r = runner.invoke(main, ["--lang", "ko", *map(str, args)])
        assert r.exit_code in (0, 1), (args, r.output, r.exception)
        return r.output

    outputs = {
        "train": (run("train", ko, "--epochs", "500"), "text"),
        "sweep": (run("train", ko, "--seeds", "4", "--epochs", "200"), "text"),
        "trace": (run("train", ko, "--epochs", "2", "--trace", "1", "-p", "W1[1,1]"), "text"),
        "check": (run("check", ko, ROOT / "problems" / "answers" / "xor.yaml"), "text"),
    }
    from tutor.answers import load_answers
    from tutor.checking import check
    from tutor.printing import checkreport
    with i18n.using("ko"):
        report = check(problem, load_answers(ROOT / "problems" / "answers" / "xor.yaml",
                                             problem))
        outputs["feedback"] = (checkreport.html(report), "html")
    run("worksheet", ko, "-n", "1", "-o", tmp_path / "ws")
    ws = tmp_path / "ws"
    outputs["worksheet"] = ((ws / "worksheet.tex").read_text().split(r"\begin{document}")[1],
                            "tex")
    outputs["solutions"] = ((ws / "solutions.tex").read_text().split(r"\begin{document}")[1],
                            "tex")
    outputs["answers"] = (next((ws / "answers").glob("*.yaml")).read_text(), "yaml")
    outputs["key"] = (next((ws / "keys").glob("*.yaml")).read_text(), "yaml")
    left = {name: _english_words(_prose(text, kind), problem)
            for name, (text, kind) in outputs.items()}
    assert not any(left.values()), left


# Command-line words that are names: metavariables, choices, option names, file names.
_HELP_NAMES = {"OPTIONS", "COMMAND", "ARGS", "PROBLEM", "ANSWERS", "SUBMISSIONS", "NAME",
               "INTEGER", "RANGE", "FLOAT", "FILE", "DIRECTORY", "TEXT", "PATH", "HOST",
               "PORT", "LANG", "FORMAT", "KEY", "tutor", "text", "latex", "markdown", "json",
               "html", "csv", "moodle", "qti", "yaml", "problems", "xor", "answers",
               "sheets", "keys", "variant", "run", "loss", "png", "boundary", "grade",
               "grades", "students", "submissions", "quiz", "zip", "input", "article",
               "English", "TUTOR", "LANGUAGE", "LC", "ALL", "MESSAGES", "README", "init",
               "seed", "training", "epochs", "batch", "size", "momentum", "api", "openapi",
               "derivation", "param", "check", "derive", "train", "worksheet", "export",
               "serve", "roster", "localhost", "http", "Moodle", "XML", "QTI", "Canvas",
               "JSON", "YAML", "API", "OpenAPI", "GET", "POST", "PNG", "matplotlib", "plot",
               "pdflatex", "tex", "solutions", "feedback", "gradebook", "fan", "version",
               "help", "lang", "en", "ko", "sample", "format", "fragment", "color", "graph", "epoch",
               "params", "output", "variants", "decimals", "pdf", "keys", "rtol", "atol",
               "seeds", "every", "snapshot", "trace", "port", "host", "workers",
               "allow", "txt", "fmt", "lr", "ID", "id", "DIR", "NAMES", "CSV", "NumPy", "my", "BCE", "sigmoid", "sheet"}


@pytest.mark.parametrize("command", ["", "derive", "check", "worksheet", "export", "grade",
                                     "train", "serve"])
def test_help_in_korean(command):
    """--help of every command in Korean: click's own words (Usage, Options, the help
    option's) and tutor's; what is left in Latin letters is names (options, metavariables,
    file names, commands in the examples)."""
    args = ["--lang", "ko", *([command] if command else []), "--help"]
    r = CliRunner().invoke(main, args, prog_name="tutor")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("사용법: tutor") and "옵션:" in r.output
    assert "이 도움말을 보이고 끝냅니다." in r.output
    from tutor.printing.columns import width      # wrapped to the terminal's columns
    assert max(width(line) for line in r.output.splitlines()
               if not line.startswith("    tutor ")) <= 80      # (examples stay whole)
    prose = re.sub(r"--?[\w-]+|\[[^\]]*\]|\S*[/.]\S*|'[^']*'|`[^`]*`|<[^>]*>", " ", r.output)
    left = {w for w in re.findall(r"(?<![\w∂])[A-Za-z]{2,}(?![\w\[])", prose)
            if w not in _HELP_NAMES and w.lower() not in _ALLOWED}
    assert not left, left
    # and English stays English
    r = CliRunner().invoke(main, [*([command] if command else []), "--help"],
                           prog_name="tutor")
    assert r.output.startswith("Usage: tutor") and "Show this message and exit." in r.output


@pytest.mark.parametrize("args, korean", [
    (["derive"], "오류: 인자 없음 'PROBLEM'."),
    (["derive", "x.yaml", "--bogus"], "오류: '--bogus'라는 옵션은 없습니다."),
    (["derive", "problems/xor.yaml", "-s", "0"], "범위 x>=1 안에 있지 않습니다"),
    (["derive", "problems/xor.yaml", "-f", "pdf"], "중 하나가 아닙니다"),
    (["nosuch"], "'nosuch'라는 명령은 없습니다."),
    (["train", "problems/xor.yaml", "--trace", "1", "--seeds", "3"], "--seed S(시드)를 주십시오"),
])
def test_usage_errors_in_korean(args, korean):
    r = CliRunner().invoke(main, ["--lang", "ko", *args])
    assert r.exit_code == 2
    assert korean in r.output and "사용법:" in r.output or korean in r.output
    assert "Error" not in r.output and "Usage" not in r.output


def test_shipped_korean_worksheet_is_current(tmp_path, monkeypatch):
    """problems/ko/worksheet/ is what `tutor --lang ko worksheet problems/ko/xor.yaml -n 3
    --seed 1` writes today, file for file (a change to the sheets shows here)."""
    monkeypatch.chdir(ROOT)
    out = tmp_path / "ws"
    r = CliRunner().invoke(main, ["--lang", "ko", "worksheet", "problems/ko/xor.yaml", "-n",
                                  "3", "--seed", "1", "-o", str(out)])
    assert r.exit_code == 0, r.output
    shipped = ROOT / "problems" / "ko" / "worksheet"
    made = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert made == sorted(p.relative_to(shipped) for p in shipped.rglob("*") if p.is_file())
    for rel in made:
        assert (out / rel).read_text("utf-8") == (shipped / rel).read_text("utf-8"), rel


def test_no_english_left_in_korean_export_and_grade(tmp_path):
    """The Moodle questions (text, categories, feedback), a gradebook's comments and headers
    and a feedback file, and derive's JSON prose (rule titles), read for English words."""
    import csv
    import json
    from xml.etree import ElementTree as ET
    from tutor import load_problem
    ko = ROOT / "problems" / "ko" / "xor.yaml"
    problem = load_problem(ko)
    runner = CliRunner()
    names = {"dlfs", "pytorch", "ell", "course", "top", "tutor"}   # conventions, ids, paths
    r = runner.invoke(main, ["--lang", "ko", "export", str(ko), "-n", "2", "-o",
                             str(tmp_path / "q.xml")])
    assert r.exit_code == 0, r.output
    root = ET.parse(tmp_path / "q.xml").getroot()
    text = " ".join(t.text or "" for t in root.iter("text"))
    text = re.sub(r"\\\(.*?\\\)", " ", text)                    # TeX
    left = set(_english_words(text, problem)) - names
    assert not left, left
    # a class of two: one right, one missing
    run = lambda *a: runner.invoke(main, ["--lang", "ko", *map(str, a)])  # noqa: E731
    roster = tmp_path / "r.csv"
    roster.write_text("id,name\ns1,김민지\ns2,이서준\n")
    assert run("worksheet", ko, "-o", tmp_path / "ws", "--roster", roster, "--seed",
               3).exit_code == 0
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "s1.yaml").write_text((tmp_path / "ws" / "answers" / "s1.yaml").read_text())
    r = run("grade", ko, subs, "--roster", roster, "--seed", 3, "-o", tmp_path / "g.csv",
            "--workers", 1)
    assert r.exit_code == 0, r.output
    rows = list(csv.reader((tmp_path / "g.csv").read_text().splitlines()))
    cells = " ".join(rows[0][4:-2] + [row[-1] for row in rows[1:]])
    feedback = (tmp_path / "g-feedback" / "s1.txt").read_text()
    left = set(_english_words(cells + " " + _prose(feedback, "text"), problem)) - names
    assert not left, left
    r = run("derive", ko, "-f", "json", "-p", "W1[1,1]")
    titles = [ld["rule_title"] for g in json.loads(r.output)["gradients"]
              for ld in g["local_derivatives"]]
    assert titles and not _english_words(" ".join(titles), problem)


def test_every_language_names_itself_in_its_catalog():
    """A new language is a catalog: its name for the web tutor's switch comes from it."""
    assert i18n.name("en") == "English" and i18n.name("ko") == "한국어"
    for lang in i18n.languages():
        assert i18n.name(lang) != "English" or lang == "en", lang
