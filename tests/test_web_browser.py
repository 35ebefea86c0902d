"""`tutor serve` in a real headless browser: Debian's Chromium, driven by Playwright, against
a real uvicorn server on loopback. A student opens XOR, reveals a derivation step by step,
types a right and a wrong answer, and sees ✓ and the named mistake. Screenshots are saved in
artifacts/ (TUTOR_ARTIFACTS)."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from conftest import ARTIFACTS, need, need_module

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    # This machine reaches no other host: let Chromium not try.
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    chromium = need("chromium")
    need_module("playwright")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    requests = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.requests = requests
    yield pg
    context.close()
    assert all(u.startswith(live_server) or u.startswith("data:") for u in requests), requests


def _xor_gradient(live_server, param: str) -> float:
    import json
    import urllib.request
    url = f"{live_server}/api/problems/xor/derivation?param={quote(param)}"
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.load(r)["gradients"][0]["gradient"]


def test_a_student_works_through_xor(page, live_server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(live_server + "/")
    page.click("text=XOR")
    page.wait_for_url("**/problems/xor")
    assert page.locator("svg.network").is_visible()

    # Pick W1[2,1]; its derivation opens at the first step.
    page.click('li.param[data-param="W1[2,1]"] a')
    page.wait_for_url("**param=W1%5B2%2C1%5D*")
    steps = page.locator("#derivation li.step")
    total = steps.count()
    assert total >= 8
    visible = lambda: sum(steps.nth(k).is_visible() for k in range(total))  # noqa: E731
    assert visible() == 1
    assert "Forward pass" in steps.nth(0).inner_text()
    page.click("#next-step")
    page.click("#next-step")
    assert visible() == 3
    assert "Local derivatives" in steps.nth(2).inner_text()
    # MathML is rendered as mathematics: a fraction is taller than a line of text.
    frac = steps.nth(2).locator("mfrac").first
    assert frac.bounding_box()["height"] > 25

    box = page.locator('li.param[data-param="W1[2,1]"]')
    # A right number: ∂L/∂w as the batch mean, rounded as a student would.
    box.locator("input[name=answer]").fill(f"{_xor_gradient(live_server, 'W1[2,1]'):.4g}")
    box.locator("button").click()
    box.locator("output .verdict").wait_for()
    assert "✓" in box.locator("output").inner_text()

    # A wrong formula: the activation where its derivative belongs.
    box.locator("input[name=answer]").fill("(yhat - y)*W2[1,2]*a1[2]*x1")
    box.locator("button").click()
    box.locator("output .mistake").wait_for()
    told = box.locator("output").inner_text()
    assert "✗" in told and "stands where its derivative" in told

    # A right formula for another parameter.
    other = page.locator('li.param[data-param="W2[1,3]"]')
    other.locator("input[name=answer]").fill("(ŷ - y)·a1[3]")
    other.locator("button").click()
    other.locator("output .verdict").wait_for()
    assert "✓" in other.locator("output").inner_text()

    page.click("#all-steps")
    assert visible() == total
    page.screenshot(path=str(ARTIFACTS / "xor-page.png"), full_page=True)


def test_the_page_fits_a_phone(browser, live_server):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  device_scale_factor=2)
    pg = context.new_page()
    pg.goto(live_server + "/problems/xor?param=W2%5B1%2C1%5D")
    pg.click("#all-steps")
    overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / "xor-phone.png"), full_page=True)
    context.close()


def test_worksheet_download_from_the_page(page, live_server):
    page.goto(live_server + "/problems/xor")
    with page.expect_download() as d:
        page.click("button[value='worksheet.tex']")
    download = d.value
    assert download.suggested_filename == "xor-seed0-1-worksheet.tex"
    from pathlib import Path
    assert Path(download.path()).read_text(encoding="utf-8").startswith("\\documentclass")


def test_the_pages_work_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    pg = context.new_page()
    pg.goto(live_server + "/problems/xor?param=b1%5B3%5D")
    steps = pg.locator("#derivation li.step")
    assert all(steps.nth(k).is_visible() for k in range(steps.count()))
    box = pg.locator('li.param[data-param="b1[3]"]')
    box.locator("input[name=answer]").fill("(yhat - y)*W2[1,3]*a1[3]")  # σ' left out
    box.locator("button").click()
    pg.wait_for_load_state()
    told = pg.locator('li.param[data-param="b1[3]"] output').inner_text()
    assert "✗" in told and "derivative" in told
    context.close()


def test_training_from_the_page(page, live_server):
    page.goto(live_server + "/problems/xor")
    page.fill("#training input[name=epochs]", "4000")
    page.fill("#training input[name=seed]", "3")
    page.click("#training button")
    page.wait_for_url("**/problems/xor/train?*")
    curve = page.locator("svg.curve")
    assert curve.is_visible() and curve.bounding_box()["height"] > 100
    assert "Final loss after 4000 epochs" in page.locator("pre.report").inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "xor-training.png"), full_page=True)


def test_a_computational_graph_in_the_browser(page, live_server):
    """The graph's SVG renders (its wires and gates have a size on the page), and an answer
    box grades a node's gradient in place."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.goto(live_server + "/problems/sigmoid-gate")
    svg = page.locator("svg.graph")
    assert svg.is_visible()
    box = svg.bounding_box()
    assert box["width"] > 300 and box["height"] > 100
    assert page.locator("svg.graph circle").count() == 8
    page.screenshot(path=str(ARTIFACTS / "graph-sigmoid-gate.png"), full_page=True)
    form = page.locator('form[id="a-gradient:x0"]')
    form.locator('input[name="answer"]').fill("0.3932")
    form.locator("button").click()
    form.locator("output .ok, output .bad").first.wait_for()
    assert "✓" in form.locator("output").inner_text()


def test_the_korean_page(browser, live_server):
    """A Korean reader (the browser's language ko-KR) gets the page in Korean, its Hangul
    drawn with a local font (the content security policy loads none from elsewhere):
    screenshot in artifacts/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    pg = context.new_page()
    pg.set_default_timeout(30_000)
    try:
        pg.goto(live_server + "/problems/xor?param=W1%5B2%2C1%5D")
        assert pg.locator("html").get_attribute("lang") == "ko"
        assert pg.locator("#params h2").inner_text() == "내 기울기"
        assert pg.locator("#next-step").inner_text().startswith("다음 단계")
        # Hangul has a font: drawn text is as wide as a Korean font makes it, and
        # document.fonts finds a face for it
        assert pg.evaluate("document.fonts.check('16px sans-serif', '순전파')")
        pg.screenshot(path=str(ARTIFACTS / "web-korean.png"), full_page=False)
    finally:
        context.close()


def test_a_layer_superscript_looks_like_bracketed_number(browser):
    """A layer's superscript, (1) of w⁽¹⁾₂₁, is one token in tutor's MathML (a third of a large
    page's markup saved): Chromium lays it out as two non-stretching brackets around a number,
    the markup of LaTeX-to-MathML converters, to the pixel; stretching brackets are wider."""
    import sympy as sp
    from importlib import resources

    from tutor.printing.mathml import mathml
    css = resources.files("tutor.web").joinpath("static", "tutor.css").read_text("utf-8")
    ours = mathml(sp.Symbol("W1[2,1]"))
    assert "<mn>(1)</mn>" in ours

    def bracketed(stretchy):
        mo = '<mo stretchy="false">' if not stretchy else "<mo>"
        return ours.replace("<mn>(1)</mn>", f"<mrow>{mo}(</mo><mn>1</mn>{mo})</mo></mrow>")

    context = browser.new_context()
    pg = context.new_page()
    try:
        pg.set_content(f"<style>{css}</style><main>"
                       + "".join(f'<p><math id="m{k}">{m}</math></p>' for k, m in
                                 enumerate((ours, bracketed(False), bracketed(True))))
                       + "</main>")
        boxes = [pg.locator(f"#m{k}").bounding_box() for k in range(3)]
    finally:
        context.close()
    size = [(round(b["width"], 1), round(b["height"], 1)) for b in boxes]
    assert size[0] == size[1]
    assert size[2][0] > size[0][0]
