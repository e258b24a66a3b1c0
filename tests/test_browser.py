"""A real browser test: JupyterLab (token on) driven by Playwright in headless
Chromium. It opens the training-tips notebook, runs all cells, moves the
learning-rate slider, clicks Train and checks that the live plot changes.
A screenshot is saved in test-artifacts/. Skipped when Chromium is absent
(.ci/run installs Debian's package)."""
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"
NOTEBOOK = "notebooks/07_training_tips.ipynb"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags this machine needs: root, no GPU, a closed network (see README, Testing).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port, token = _free_port(), secrets.token_hex(16)
    home = tmp_path_factory.mktemp("jupyter")
    # JupyterLab autosaves what it runs: serve a copy, so the repository's notebooks keep no outputs
    served = home / "course"
    shutil.copytree(ROOT / "notebooks", served / "notebooks")
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "rt"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "ws"), "COURSE_FAST": "1"}
    log = open(home / "lab.log", "w")
    proc = subprocess.Popen([sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={port}",
                             "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
                             f"--ServerApp.root_dir={served}"] + (["--allow-root"] if os.geteuid() == 0 else []),
                            stdout=log, stderr=subprocess.STDOUT, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start: " + (home / "lab.log").read_text()[-2000:])
    # the token is really required: without it the API refuses
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(f"{base}/api/contents", timeout=5)
    yield base, token
    proc.terminate()
    proc.wait(timeout=30)


def _with_browser(body, viewport=(1280, 800), failure_shot="browser_failure.png"):
    """Run ``body(page)`` in headless Chromium; save a screenshot if it fails."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
        try:
            body(page)
        except Exception:
            page.screenshot(path=str(ARTIFACTS / failure_shot), full_page=False)
            raise
        finally:
            browser.close()


def test_widgets_respond_in_jupyterlab(lab):
    base, token = lab

    def body(page):
        page.goto(f"{base}/lab/tree/{NOTEBOOK}?token={token}", timeout=60_000)
        page.wait_for_selector(".jp-Notebook", timeout=60_000)
        page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=60_000)
        page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
        page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
        train = page.locator(".widget-button", has_text="Train").last
        train.wait_for(state="visible", timeout=300_000)
        # wait until every cell has run (no cell still shows [*])
        page.wait_for_function("() => ![...document.querySelectorAll('.jp-InputPrompt')]"
                               ".some(e => e.textContent.includes('*'))", timeout=300_000)
        panel = train.locator("xpath=ancestor::div[contains(@class,'widget-vbox')][last()]")
        slider = panel.locator(".widget-hslider", has_text="learning rate").first
        readout = slider.locator(".widget-readout")
        before = readout.inner_text()
        slider.locator(".noUi-handle").first.click()
        for _ in range(5):
            page.keyboard.press("ArrowRight")
        page.wait_for_timeout(500)
        after = readout.inner_text()
        assert after != before, f"the learning-rate slider did not move ({before} -> {after})"
        train.scroll_into_view_if_needed()
        images = panel.locator(".jp-OutputArea-output img")
        count_before = images.count()
        src_before = images.first.get_attribute("src") if count_before else None
        train.click()
        page.wait_for_function(
            "([el, src]) => { const img = el.querySelector('.jp-OutputArea-output img');"
            " return img && img.getAttribute('src') !== src; }",
            arg=[panel.element_handle(), src_before], timeout=60_000)
        page.wait_for_timeout(1500)
        panel.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "browser_tuning_panel.png"), full_page=False)
        status = panel.locator(".widget-html").first.inner_text()
        assert "lr=" in status, f"panel status does not show the run: {status!r}"

    _with_browser(body, viewport=(1400, 1000), failure_shot="browser_failure.png")


def _open_rise_deck(page, base, token, notebook):
    """Open ``notebook`` as a jupyterlab-rise slideshow; return the slide count."""
    page.goto(f"{base}/rise/{notebook}?token={token}", timeout=60_000)
    page.wait_for_selector(".reveal .slides section", timeout=60_000)
    page.wait_for_selector(".jp-CodeCell", timeout=60_000)
    return page.locator(".reveal .slides section").count()


def _current_slide_text(page):
    return page.evaluate("() => { const s = [...document.querySelectorAll('.reveal .slides section.present')];"
                         " return s.length ? s[s.length - 1].textContent : ''; }")


def _run_cell_on_slide(page, cell):
    cell.click()                      # puts the cursor in the cell, as an instructor would
    page.keyboard.press("Shift+Enter")
    cell.locator(".jp-OutputArea-output").first.wait_for(timeout=60_000)


def test_notebook_presents_as_rise_deck(lab):
    base, token = lab

    def body(page):
        slides = _open_rise_deck(page, base, token, "notebooks/00_setup.ipynb")
        assert slides >= 8, f"expected the notebook's slide metadata to give a deck, got {slides} slides"
        assert "00 · Setup check" in _current_slide_text(page)
        first_cell = page.locator(".jp-CodeCell").first
        _run_cell_on_slide(page, first_cell)   # code runs live inside the slides
        assert "fast mode" in first_cell.locator(".jp-OutputArea").inner_text().lower()   # setup_notebook prints "[00] FAST mode ..."
        page.screenshot(path=str(ARTIFACTS / "browser_rise_deck.png"), full_page=False)

    _with_browser(body, failure_shot="browser_rise_failure.png")


@pytest.mark.xfail(strict=True, reason="jupyterlab-rise 0.43.1 cannot load the ipywidgets 8 widget manager "
                   "(upstream jupyterlab-contrib/rise#119): widgets show as text in slides. If this passes, "
                   "the bug is fixed upstream: update the README's 'For instructors' section.")
def test_widgets_render_in_rise_slides(lab):
    base, token = lab

    def body(page):
        _open_rise_deck(page, base, token, "notebooks/00_setup.ipynb")
        for _ in range(30):
            if "try me" in _current_slide_text(page):
                break
            page.locator(".navigate-right").first.click()
            page.wait_for_timeout(300)
        cell = page.locator(".jp-CodeCell", has_text="try me").first
        _run_cell_on_slide(page, cell)
        page.wait_for_timeout(2000)
        assert cell.locator(".widget-hslider").count() == 1, cell.locator(".jp-OutputArea").inner_text()

    _with_browser(body, failure_shot="browser_rise_widgets.png")
