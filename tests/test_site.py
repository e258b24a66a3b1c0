"""The course website (issue 20, point 1), opened in Chromium from the folder
(file://, no server, no network): every page has its figures, described ones
carry their alt text, math is typeset from the local MathJax, nothing is
requested from outside the folder, pages fit a phone's width, and a
kernel-free slider changes the figure it shows.

The site tested is ``COURSE_SITE_DIR`` (.ci/run builds the whole course with
``python3 course.py site --fast`` and points it there); without it, this test
builds a small site of two notebooks (01 and 04, fast mode) itself.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]
ARTIFACTS = ROOT / "test-artifacts"

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    given = os.environ.get("COURSE_SITE_DIR")
    if given:
        path = Path(given)
        assert (path / "build.json").exists(), f"COURSE_SITE_DIR={given} has no build.json: build it first"
        return path
    out = tmp_path_factory.mktemp("site") / "site"
    env = {k: v for k, v in os.environ.items() if k != "COURSE_CHECK_STRICT"}
    run = subprocess.run([sys.executable, ROOT / "tools" / "site" / "build.py", "--fast", "--notebooks", "01", "04",
                          "--out", out], capture_output=True, text=True, env=env, timeout=1200)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def _open(browser, page_file: Path, width=1000):
    page = browser.new_page(viewport={"width": width, "height": 900})
    outside = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(("file:", "data:", "about:")) else None)
    page.goto(page_file.resolve().as_uri())
    page.wait_for_selector("body[data-math-typeset]", timeout=60_000)   # MathJax ran, from _static/
    return page, outside


def test_every_page_has_its_figures_and_loads_nothing_from_outside(site, browser):
    info = json.loads((site / "build.json").read_text())
    assert info["notebooks"], "the site has no pages"
    index, outside = _open(browser, site / "index.html")
    links = index.eval_on_selector_all("a[href$='.html']", "els => els.map(e => e.getAttribute('href'))")
    index.close()
    for stem, expected in info["notebooks"].items():
        assert f"{stem}.html" in links, f"the course map does not link {stem}"
        page, outside_page = _open(browser, site / f"{stem}.html")
        figures = page.eval_on_selector_all(
            ".jp-RenderedImage img, .course-frame:not([hidden]) img",
            "els => els.map(e => ({ok: e.complete && e.naturalWidth > 0, alt: e.alt, "
            "described: !!e.dataset.described}))")
        assert len(figures) == expected["figures"], (stem, len(figures), expected["figures"])
        assert all(f["ok"] for f in figures), f"{stem}: a figure did not decode"
        assert all(f["alt"] for f in figures), f"{stem}: a figure without alt text"
        if expected["described"]:
            described = [f["alt"] for f in figures if f["described"]]
            assert described and any(ch.isdigit() for ch in described[0]), (stem, described[:1])
        math = page.evaluate("document.querySelectorAll('.MathJax, .MathJax_Display').length")
        assert math >= expected["math_cells"] > 0 or expected["math_cells"] == 0, (stem, math)
        assert not outside + outside_page, f"{stem} requested {outside + outside_page}"
        page.close()


def test_pages_fit_a_phone(site, browser):
    info = json.loads((site / "build.json").read_text())
    for stem in ["index", *info["notebooks"]]:
        page, _ = _open(browser, site / f"{stem}.html", width=390)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= 392, f"{stem}.html is {width} px wide on a 390 px phone"
        page.close()


def test_a_kernel_free_slider_changes_the_figure(site, browser):
    info = json.loads((site / "build.json").read_text())
    with_slider = [stem for stem, p in info["notebooks"].items() if p["sliders"]]
    assert with_slider, "no page has a slider over precomputed outputs"
    page, _ = _open(browser, site / f"{with_slider[0]}.html")
    box = page.locator(".course-frames").first
    box.scroll_into_view_if_needed()
    shown = "el => el.querySelector('.course-frame:not([hidden]) img').src"
    before, label_before = box.evaluate(shown), box.locator("output").inner_text()
    slider = box.locator("input[type=range]")
    slider.focus()
    page.keyboard.press("ArrowRight")   # as a student moves it
    page.keyboard.press("ArrowRight")
    after, label_after = box.evaluate(shown), box.locator("output").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    box.screenshot(path=str(ARTIFACTS / "site_slider.png"))
    assert box.evaluate("el => el.querySelectorAll('.course-frame:not([hidden])').length") == 1
    assert after != before and label_after != label_before, "moving the slider did not change the figure"
    page.close()
