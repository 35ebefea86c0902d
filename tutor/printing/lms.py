"""Quizzes as learning platforms import them: Moodle XML, and QTI 1.2 as Canvas reads it.

Both are built with ElementTree, so that every text (a problem's name and description come
from its file) is escaped as XML; the HTML inside is escaped by tutor before that. Mathematics
is TeX in ``\\( … \\)``, which Moodle's MathJax and TeX filters and Canvas render.

Moodle XML (the format of Moodle's question import): a category per problem, exercise and
part, holding one numerical question per variant, so that a quiz can draw one at random. Each
question: the variant's weights and sample, the network as an SVG file inside the question
text, the right answer (first, 100 %) and one answer per mistake (0 %) with tutor's diagnosis
as its feedback, all with the same nominal tolerance.

QTI 1.2 (a zip: ``imsmanifest.xml`` and the assessment), as Canvas imports it: one numerical
question per variant and part, the right answer as a range; each mistake as a response
condition that shows its diagnosis (``displayfeedback``) without changing the score, and the
mistakes listed again in the incorrect-answer feedback (see the README for what Canvas shows).
"""

from __future__ import annotations

import base64
import io
import zipfile
from html import escape
from xml.etree import ElementTree as ET

from ..conventions import shown
from ..i18n import _, pgettext
from ..export import Question
from ..names import Name
from . import words as render
from .names import latex_name

SVG_NAME = "network.svg"


def _number(x: float, decimals: int) -> str:
    s = f"{x:.{decimals}f}"
    return s.lstrip("-") if float(s) == 0 else s


def _matrix_tex(a) -> str:
    rows = a if a.ndim == 2 else a[:, None]
    body = r" \\ ".join(" & ".join(f"{x:g}" for x in row) for row in rows)
    return r"\begin{pmatrix}" + body + r"\end{pmatrix}"


def _what(q: Question) -> str:
    """The task of a part, in HTML with TeX: "Compute \\(z^{(1)}_{2}\\)"."""
    p = q.part
    sym = latex_name(p.name)
    if p.kind == "value":
        kind = Name.parse(p.name).kind if Name.parse(p.name) else None
        what = {"z": _("the pre-activation"), "a": _("the activation"), "yhat": _("the output"),
                "delta": _("the delta (∂ℓ/∂z)")}.get(kind, _("the loss") if p.name == "ell"
                                                      else "")
        return _("Compute {what} {symbol}").format(what=escape(what),
                                                    symbol=f"\\({sym}\\)")
    if p.kind == "sample_gradient":
        return _("Compute {symbol}").format(
            symbol=f"\\(\\partial \\ell / \\partial {sym}\\)")
    return _("Compute {symbol} after one gradient-descent step {step}").format(
        symbol=f"\\({sym}\\)",
        step="\\(p \\leftarrow p - \\eta\\, \\partial \\ell / \\partial p\\)")


def question_html(q: Question, image: str | None) -> str:
    p, sheet = q.problem, q.sheet
    k = sheet.sample - 1
    head = _("{name}, variant {variant} (seed {seed})").format(
        name=f"<b>{escape(p.name)}</b>", variant=q.variant, seed=q.seed)
    if q.redrawn:
        head += _(", drawn for variant {slot}: the first draw's answers could not be told "
                  "apart").format(slot=q.slot)
    out = [f"<p>{head}.</p>"]
    if p.description:
        out.append(f"<p>{escape(p.description)}</p>")
    out.append("<p>" + _("Network {network}, loss: {loss}, learning rate {eta}.").format(
        network=escape(p.network.describe()), loss=escape(_(p.loss_fn.title)),
        eta=f"\\(\\eta = {p.training.lr:g}\\)") + "</p>")
    mats = r",\quad ".join(
        rf"W^{{({l})}} = {_matrix_tex(p.params[f'W{l}'])},\ b^{{({l})}} = "
        rf"{_matrix_tex(p.params[f'b{l}'])}" for l in range(1, len(p.network.layers) + 1))
    out.append(f"<p>\\({mats}\\)</p>")
    xs = ", ".join(f"{x:g}" for x in p.inputs[k])
    ys = ", ".join(f"{y:g}" for y in p.targets[k])
    out.append("<p>" + _("Sample {k}: {x}, {y}.").format(
        k=sheet.sample, x=f"\\(x = ({xs})\\)", y=f"\\(y = ({ys})\\)") + "</p>")
    if image:
        alt = escape(_("the network"))
        out.append(f'<p><img src="{image}" alt="{alt}"></p>')
    exercise = _("Exercise {n}. {title}.").format(n=q.exercise.number,
                                                  title=escape(_(q.exercise.title)))
    task = _("{task} for sample {k}, rounded to {d} decimals.").format(
        task=_what(q), k=sheet.sample, d=sheet.decimals)
    out.append(f"<p><b>{exercise}</b> {task}</p>")
    return "\n".join(out)


def feedback_html(choice) -> str:
    """A mistake's feedback: the checker's words as a sentence, mathematics in TeX."""
    return render.html_tex(choice.feedback.capitalised()) + "."


def _svg(q: Question, _cache={}) -> str:
    """The variant's network picture (made once per variant)."""
    key = (id(q.problem), q.seed, q.variant)
    if key not in _cache:
        from ..web.diagram import network_svg
        _cache.clear()
        _cache[key] = network_svg(q.problem, standalone=True)
    return _cache[key]


def _category(q: Question) -> str:
    p = q.part
    return (f"$course$/top/tutor/{_clean(_seeded(q))}/"
            f"{q.exercise.number}. {_clean(_(q.exercise.title))}/{_kind(p.kind)} "
            f"{shown(p.name)}")


def _seeded(q: Question) -> str:
    return _("{name} (seed {seed})").format(name=q.problem.name, seed=q.seed)


def _kind(kind: str) -> str:
    return {"value": pgettext("quiz part", "value"),
            "sample_gradient": pgettext("quiz part", "sample gradient"),
            "update": pgettext("quiz part", "update")}[kind]


def _clean(s: str) -> str:
    """A name for a category path: one line, no slashes."""
    return " ".join(s.replace("/", "-").split())[:80]


def _name(q: Question) -> str:
    return (f"{_clean(q.problem.name)} v{q.variant}: {q.exercise.number}. "
            f"{_kind(q.part.kind)} {shown(q.part.name)}")


def _sub(parent, tag, text=None, **attrs):
    e = ET.SubElement(parent, tag, {k.rstrip("_"): str(v) for k, v in attrs.items()})
    if text is not None:
        e.text = text
    return e


def _text(parent, tag, text, **attrs):
    e = _sub(parent, tag, **attrs)
    _sub(e, "text", text)
    return e


def moodle_xml(questions: list[Question]) -> str:
    quiz = ET.Element("quiz")
    last = None
    for q in questions:
        cat = _category(q)
        if cat != last:
            c = _sub(quiz, "question", type="category")
            _text(c, "category", cat)
            last = cat
        d = q.sheet.decimals
        e = _sub(quiz, "question", type="numerical")
        _text(e, "name", _name(q))
        qt = _text(e, "questiontext", question_html(q, f"@@PLUGINFILE@@/{SVG_NAME}"),
                   format="html")
        _sub(qt, "file", base64.b64encode(_svg(q).encode()).decode(), name=SVG_NAME, path="/",
             encoding="base64")
        _text(e, "generalfeedback", "<p>" + _(
            "The right answer: {answer} (the key of variant {variant}, seed {seed}).").format(
            answer=_number(q.right, d), variant=q.variant, seed=q.seed) + "</p>", format="html")
        _sub(e, "defaultgrade", f"{q.part.points:g}")
        _sub(e, "penalty", "0.3333333")
        _sub(e, "hidden", "0")
        _sub(e, "idnumber", f"tutor-s{q.seed}-v{q.variant}-{q.part.kind}-{q.part.name}")
        tol = f"{q.tolerance:.{d + 1}f}"
        right = _sub(e, "answer", fraction="100", format="moodle_auto_format")
        _sub(right, "text", _number(q.right, d))
        _text(right, "feedback", "<p>" + _("Right.") + "</p>", format="html")
        _sub(right, "tolerance", tol)
        for c in q.mistakes:
            a = _sub(e, "answer", fraction="0", format="moodle_auto_format")
            _sub(a, "text", _number(c.value, d))
            _text(a, "feedback", f"<p>{feedback_html(c)}</p>", format="html")
            _sub(a, "tolerance", tol)
        _sub(e, "unitgradingtype", "0")
        _sub(e, "unitpenalty", "0.1000000")
        _sub(e, "showunits", "3")
        _sub(e, "unitsleft", "0")
    ET.indent(quiz, "  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(quiz, "unicode") + "\n"


QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"


def _mat(parent, html: str):
    m = _sub(parent, "material")
    _sub(m, "mattext", html, texttype="text/html")
    return m


def _meta(parent, fields: dict):
    md = _sub(parent, "qtimetadata")
    for label, entry in fields.items():
        f = _sub(md, "qtimetadatafield")
        _sub(f, "fieldlabel", label)
        _sub(f, "fieldentry", str(entry))


def qti_assessment(questions: list[Question], ident: str, title: str) -> str:
    root = ET.Element("questestinterop", xmlns=QTI_NS)
    a = _sub(root, "assessment", ident=ident, title=title)
    _meta(a, {"cc_maxattempts": 1})
    section = _sub(a, "section", ident="root_section")
    for n, q in enumerate(questions, start=1):
        d = q.sheet.decimals
        item = _sub(section, "item", ident=f"{ident}_q{n}", title=_name(q))
        im = _sub(item, "itemmetadata")
        _meta(im, {"question_type": "numerical_question",
                   "points_possible": f"{q.part.points:g}",
                   "original_answer_ids": ",".join(f"{ident}_q{n}_a{k}"
                                                   for k in range(len(q.mistakes) + 1)),
                   "assessment_question_identifierref": f"{ident}_ref{n}"})
        pres = _sub(item, "presentation")
        # Canvas resolves $IMS-CC-FILEBASE$ to the package's files (as text2qti writes it)
        _mat(pres, question_html(q, f"%24IMS-CC-FILEBASE%24/{SVG_FOLDER}/{_svg_file(q)}"))
        resp = _sub(pres, "response_str", ident="response1", rcardinality="Single")
        rf = _sub(resp, "render_fib", fibtype="Decimal")
        _sub(rf, "response_label", ident="answer1")
        rp = _sub(item, "resprocessing")
        out = _sub(rp, "outcomes")
        _sub(out, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
        for k, c in enumerate(q.mistakes, start=1):       # the diagnosis, score unchanged
            cond = _sub(rp, "respcondition", continue_="Yes")
            _range(_sub(cond, "conditionvar"), c.value, q.tolerance, d)
            _sub(cond, "displayfeedback", feedbacktype="Response",
                 linkrefid=f"{ident}_q{n}_a{k}_fb")
        cond = _sub(rp, "respcondition", continue_="No")
        cv = _sub(cond, "conditionvar")
        either = _sub(cv, "or")
        _sub(either, "varequal", _number(q.right, d), respident="response1")
        _range(_sub(either, "and"), q.right, q.tolerance, d)
        _sub(cond, "setvar", "100", action="Set", varname="SCORE")
        cond = _sub(rp, "respcondition", continue_="Yes")
        _sub(_sub(cond, "conditionvar"), "other")
        _sub(cond, "displayfeedback", feedbacktype="Response", linkrefid="general_incorrect_fb")
        for k, c in enumerate(q.mistakes, start=1):
            fb = _sub(item, "itemfeedback", ident=f"{ident}_q{n}_a{k}_fb")
            _mat(_sub(fb, "flow_mat"), f"<p>{feedback_html(c)}</p>")
        listed = "".join(f"<li>{_number(c.value, d)}: {feedback_html(c)}</li>"
                         for c in q.mistakes)
        fb = _sub(item, "itemfeedback", ident="general_incorrect_fb")
        right = "<p>" + _("The right answer: {answer}.").format(answer=_number(q.right, d))
        listed = ("<p>" + _("If you got one of these, this is what happened:")
                  + f"</p><ul>{listed}</ul>") if listed else ""
        _mat(_sub(fb, "flow_mat"), right + "</p>" + listed)
    ET.indent(root, "  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def _range(parent, value: float, tol: float, decimals: int):
    lo, hi = value - tol, value + tol
    _sub(parent, "vargte", f"{lo:.{decimals + 1}f}", respident="response1")
    _sub(parent, "varlte", f"{hi:.{decimals + 1}f}", respident="response1")


SVG_FOLDER = "images"


def _svg_file(q: Question) -> str:
    return f"network-s{q.seed}-v{q.variant}.svg"


def qti_manifest(ident: str, images: list[str]) -> str:
    root = ET.Element("manifest", identifier=f"{ident}_manifest", xmlns=CP_NS)
    md = _sub(root, "metadata")
    _sub(md, "schema", "IMS Content")
    _sub(md, "schemaversion", "1.1.3")
    _sub(root, "organizations")
    res = _sub(root, "resources")
    r = _sub(res, "resource", identifier=ident, type="imsqti_xmlv1p2")
    _sub(r, "file", href=f"{ident}/{ident}.xml")
    for path in images:
        w = _sub(res, "resource", identifier=f"{ident}_{path.replace('/', '_')}",
                 type="webcontent", href=path)
        _sub(w, "file", href=path)
    ET.indent(root, "  ")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, "unicode") + "\n"


def qti_zip(questions: list[Question], title: str) -> bytes:
    """The QTI 1.2 package: imsmanifest.xml, the assessment, the network pictures."""
    # (an identifier in ASCII, whatever the title's language)
    ident = "tutor_" + "".join(ch if ch.isascii() and ch.isalnum() else "_"
                               for ch in title)[:40]
    images = {}
    for q in questions:
        images.setdefault(f"{SVG_FOLDER}/{_svg_file(q)}", _svg(q))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("imsmanifest.xml", qti_manifest(ident, list(images)))
        z.writestr(f"{ident}/{ident}.xml", qti_assessment(questions, ident, title))
        for path, svg in images.items():
            z.writestr(path, svg)
    return buf.getvalue()
