"""Real-browser tests: JupyterLab (token on) driven by Playwright in headless Chromium at
1280x720, presenting notebooks as slides with jupyterlab-slideshow (the course's deck).

* a tuning panel inside a deck: created while the deck is open, slider moved, Train
  clicked, the plot changes; arrow keys still move the slides; after the deck is closed
  the same widgets still work in the notebook; five runs in projector style, screenshot;
* 00_setup as a deck: code runs live in a slide, cells marked '-' are on their slide,
  the widget slide shows a live slider.

Screenshots land in test-artifacts/. Skipped when Chromium is absent (.ci/run installs
Debian's package). tests/test_slides_fit.py walks every slide of every deck.
"""
import shutil
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import browser  # noqa: E402  (tools/browser.py)

ARTIFACTS = ROOT / "test-artifacts"
VIEWPORT = (1280, 720)

pytestmark = pytest.mark.skipif(browser.CHROMIUM is None, reason="Chromium is not installed")

PANEL_SETUP = """\
import numpy as np
import keras
from course_utils import plotting
from course_utils.widgets import TuningPanel

plotting.use_projector_style()
rng = np.random.default_rng(0)
x = rng.random((768, 8)).astype("float32")
y = (x[:, :4].sum(1) > x[:, 4:].sum(1)).astype("int64")

def build(rate):
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dropout(rate), keras.layers.Dense(2, activation="softmax")])"""
PANEL_CELL = """\
panel = TuningPanel(build, (x[:512], y[:512]), (x[512:], y[512:]), epochs=3, batch_size=32)
panel"""


def _panel_notebook() -> nbformat.NotebookNode:
    def md(text, kind):
        return nbformat.v4.new_markdown_cell(text, metadata={"slideshow": {"slide_type": kind}})

    def code(text, kind):
        return nbformat.v4.new_code_cell(text, metadata={"slideshow": {"slide_type": kind}})

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [md("# Tuning live", "slide"), code(PANEL_SETUP, "skip"),
                md("## The panel", "slide"), code(PANEL_CELL, "-"), md("## Next slide", "slide")]
    return nb


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("jupyter")
    # JupyterLab autosaves what it runs: serve a copy, so the repository's notebooks keep no outputs
    served = home / "course"
    shutil.copytree(ROOT / "notebooks", served / "notebooks")
    nbformat.write(_panel_notebook(), served / "notebooks" / "panel_demo.ipynb")
    with browser.running_lab(served, home / "lab", env={"COURSE_FAST": "1"}) as running:
        yield running


@pytest.fixture
def page(request):
    """A 1280x720 page; on failure its last view is saved as test-artifacts/failure_<test>.png."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p, browser.chromium_page(p, VIEWPORT) as pg:
        failed = request.session.testsfailed
        yield pg
        if request.session.testsfailed > failed:
            pg.screenshot(path=str(ARTIFACTS / f"failure_{request.node.name}.png"))


def _plot_src(panel):
    img = panel.locator(".jp-OutputArea-output img")
    return img.first.get_attribute("src") if img.count() else None


def _wait_plot_change(page, panel, before, timeout=120_000):
    page.wait_for_function(
        "([el, src]) => { const img = el.querySelector('.jp-OutputArea-output img');"
        " return img && img.getAttribute('src') !== src; }",
        arg=[panel.element_handle(), before], timeout=timeout)


def _wait_run_done(page, panel, runs_before, timeout=120_000):
    """Wait until the status reports run number ``runs_before + 1`` as over (finished,
    stopped or failed)."""
    page.wait_for_function(
        "([el, n]) => { const all = [...el.querySelectorAll('.widget-html-content')]"
        ".map(e => e.textContent).join(' ');"
        " return all.includes('#' + n + ' ') && !all.includes('Training'); }",
        arg=[panel.element_handle(), runs_before + 1], timeout=timeout)


def _status(panel) -> str:
    return " ".join(panel.locator(".widget-html").all_inner_texts())


def _move_slider(page, slider, presses=5, key="ArrowRight"):
    readout = slider.locator(".widget-readout")
    before = readout.inner_text()
    slider.locator(".noUi-handle").first.click()
    for _ in range(presses):
        page.keyboard.press(key)
    page.wait_for_timeout(400)
    return before, readout.inner_text()


def _active(page) -> int:
    return browser.deck_state(page)["active"]


def test_tuning_panel_works_inside_a_deck_and_after_it(lab, page):
    browser.open_notebook(page, lab, "notebooks/panel_demo.ipynb")
    browser.command(page, "notebook:run-all-cells")
    page.locator(".widget-button", has_text="Train").first.wait_for(timeout=120_000)

    # present from the panel's slide, then create the panel anew while the deck is open
    # (with jupyterlab-rise, widgets created while a deck was open were dead)
    browser.start_deck(page, 3)
    assert browser.deck_state(page)["onscreen"] == [2, 3], "the panel cell (marked '-') is not on its slide"
    cell = page.locator(f"{browser.CURRENT_PANEL} .jp-Cell").nth(3)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")                 # run in place: the deck stays on this slide
    page.wait_for_timeout(500)
    assert browser.in_deck(page), "running a cell left the deck"
    panel = cell.locator(".course-panel").first
    panel.locator(".widget-button", has_text="Train").wait_for(timeout=60_000)

    before, after = _move_slider(page, panel.locator(".widget-hslider", has_text="learning rate").first)
    assert after != before, f"the learning-rate slider did not move in the deck ({before} -> {after})"
    src = _plot_src(panel)
    panel.locator(".widget-button", has_text="Train").click()
    _wait_plot_change(page, panel, src)
    _wait_run_done(page, panel, 0)
    assert f"lr={float(after):.0e}" in _status(panel), _status(panel)

    # after clicking in a slide the arrow keys move the slides
    slide = _active(page)
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(500)
    assert _active(page) > slide, "ArrowRight after a Train click did not move to the next slide"
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(500)
    assert _active(page) == slide

    # five runs in projector style, one diverging: the panel must still fit the slide
    lr = panel.locator(".widget-hslider", has_text="learning rate").first
    for run, (key, presses) in enumerate([("ArrowRight", 3), ("ArrowRight", 5), ("End", 1), ("ArrowLeft", 12)],
                                         start=2):
        _move_slider(page, lr, presses, key)
        src = _plot_src(panel)
        panel.locator(".widget-button", has_text="Train").click()
        _wait_plot_change(page, panel, src)
        _wait_run_done(page, panel, run - 1)
    page.wait_for_timeout(800)
    browser.activate_cell(page, 3)
    page.wait_for_timeout(500)
    page.screenshot(path=str(ARTIFACTS / "panel_five_runs_projector.png"))
    state = browser.deck_state(page)
    box = panel.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= VIEWPORT[1], \
        f"the panel after five runs does not fit the 1280x720 slide: {box}"
    assert state["height"] <= VIEWPORT[1] or box["height"] <= VIEWPORT[1]

    # leave the deck: the same widgets keep working in the notebook
    browser.command(page, "deck:stop")
    page.wait_for_timeout(500)
    assert not browser.in_deck(page)
    src = _plot_src(panel)
    panel.locator(".widget-button", has_text="Train").click()
    _wait_plot_change(page, panel, src)
    _wait_run_done(page, panel, 5)
    assert "#6" in _status(panel)

    # View > Appearance > Presentation Mode enlarges the panel along with the text
    train = panel.locator(".widget-button", has_text="Train")
    height, width = train.bounding_box()["height"], panel.bounding_box()["width"]
    browser.command(page, "application:toggle-presentation-mode")
    page.wait_for_timeout(800)
    zoomed, zoomed_width = train.bounding_box()["height"], panel.bounding_box()["width"]
    page.screenshot(path=str(ARTIFACTS / "panel_presentation_mode.png"))
    browser.command(page, "application:toggle-presentation-mode")
    assert zoomed > 1.2 * height, f"Presentation Mode did not enlarge the panel ({height:.0f} -> {zoomed:.0f} px)"
    assert zoomed_width <= width + 2, "the enlarged panel is wider than the notebook"


def test_notebook_presents_as_deck_with_live_code_and_widgets(lab, page):
    browser.open_notebook(page, lab, "notebooks/00_setup.ipynb")
    nb = nbformat.read(ROOT / "notebooks" / "00_setup.ipynb", as_version=4)
    kinds = [c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells]
    # the first code cell on the slides: setup_notebook (the Colab bootstrap cell before it is skipped)
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and kinds[i] not in ("skip", "notes"))
    assert "setup_notebook(" in nb.cells[first_code].source and kinds[first_code - 1] == "skip"
    browser.start_deck(page, 0)
    state = browser.deck_state(page)
    assert first_code in state["onscreen"], f"the setup cell is missing from the first slide: {state}"
    assert first_code - 1 not in state["onscreen"], f"the bootstrap cell is on the first slide: {state}"
    page.screenshot(path=str(ARTIFACTS / "deck_00_first_slide.png"))

    # code runs live in a slide
    code_cell = page.locator(f"{browser.CURRENT_PANEL} .jp-Cell").nth(first_code)
    browser.activate_cell(page, first_code)
    code_cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    code_cell.locator(".jp-OutputArea-output").first.wait_for(timeout=120_000)
    assert browser.in_deck(page)
    # right after running a cell, the arrow keys move the slides (not the cell selection)
    slide = _active(page)
    page.keyboard.press("ArrowRight")
    page.wait_for_timeout(500)
    moved = browser.deck_state(page)
    assert moved["active"] > slide and first_code not in moved["onscreen"], "ArrowRight after a run did not move on"
    page.keyboard.press("ArrowLeft")
    page.wait_for_timeout(500)
    assert first_code in browser.deck_state(page)["onscreen"]

    # the widget slide: a real slider, not its text
    widget_cell = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code" and "IntSlider" in c.source)
    browser.activate_cell(page, widget_cell)
    page.wait_for_timeout(300)
    cell = page.locator(f"{browser.CURRENT_PANEL} .jp-Cell").nth(widget_cell)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Control+Enter")
    slider = cell.locator(".widget-hslider").first
    slider.wait_for(timeout=60_000)
    before, after = _move_slider(page, slider, 2)
    assert after != before and "IntSlider(" not in cell.locator(".jp-OutputArea").inner_text()
    page.screenshot(path=str(ARTIFACTS / "deck_00_widget_slide.png"))
