"""JupyterLab in headless Chromium, for the browser tests and tools/slides_fit.py.

``running_lab(root)`` starts JupyterLab (token on, 127.0.0.1, a private config so no
news pop-up, widget state restored from saved notebooks) and yields ``Lab(base, token)``;
``chromium_page(playwright, viewport)`` opens Debian's Chromium with the flags this
machine needs. The deck helpers drive jupyterlab-slideshow, which presents the live
notebook panel as slides.
"""
from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Flags this machine needs: root, no GPU, a closed network (see README, Testing).
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]

# User settings for the test's private JupyterLab: no news/update pop-up over the slides,
# and widgets restored from a saved notebook's state (so a walk without a kernel run
# still shows each widget at its real size).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyter-widgets/jupyterlab-manager/plugin.jupyterlab-settings": {"saveState": True},
}


@dataclass
class Lab:
    base: str
    token: str
    home: Path

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}?token={self.token}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_lab(root: Path, home: Path, env: dict | None = None, timeout_s: float = 90):
    """Run JupyterLab serving ``root`` (config and runtime files under ``home``)."""
    port, token = _free_port(), secrets.token_hex(16)
    home.mkdir(parents=True, exist_ok=True)
    for name, values in LAB_SETTINGS.items():
        target = home / "config" / "lab" / "user-settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(values))
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(home / "config"), "JUPYTER_RUNTIME_DIR": str(home / "rt"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "ws"), **(env or {})}
    log_path = home / "lab.log"
    with open(log_path, "w") as log:
        # `-m jupyterlab`, not `-m jupyter lab`: the latter runs the `jupyter-lab` script,
        # whose first line may name another environment's Python
        proc = subprocess.Popen([sys.executable, "-m", "jupyterlab", "--no-browser", f"--port={port}",
                                 "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
                                 f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True"]
                                + (["--allow-root"] if os.geteuid() == 0 else []),
                                stdout=log, stderr=subprocess.STDOUT, env=env)
    lab = Lab(f"http://127.0.0.1:{port}", token, home)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                urllib.request.urlopen(lab.url("api/status"), timeout=2)
                break
            except OSError as error:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("JupyterLab did not start: " + log_path.read_text()[-2000:]) from error
                time.sleep(0.5)
        yield lab
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def chromium(playwright):
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()


@contextlib.contextmanager
def chromium_page(playwright, viewport=(1280, 720)):
    with chromium(playwright) as browser:
        yield browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})


# ---------------------------------------------------------------- notebooks and decks

CURRENT_PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def open_notebook(page, lab: Lab, path: str, wait_kernel: bool = True) -> None:
    """Open ``path`` in a fresh page, alone (``reset``: tabs of an earlier page are not restored)."""
    page.goto(lab.url(f"lab/tree/{path}") + "&reset", timeout=90_000)
    page.wait_for_selector(f"{CURRENT_PANEL} .jp-Notebook .jp-Cell", timeout=90_000)
    # the loading spinner covers the panel (and its toolbar) until the notebook is ready
    page.wait_for_selector(f"{CURRENT_PANEL} .jp-Spinner", state="detached", timeout=90_000)
    if wait_kernel:
        page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=90_000)


def command(page, name: str, args: dict | None = None):
    """Execute a JupyterLab command (the app is exposed by running_lab)."""
    return page.evaluate("([n, a]) => window.jupyterapp.commands.execute(n, a)", [name, args or {}])


def activate_cell(page, index: int) -> None:
    page.evaluate("i => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = i; }", index)


def start_deck(page, cell_index: int = 0) -> None:
    """Present the current notebook as slides from cell ``cell_index``, as an instructor
    would: select the cell, press the deck button in the notebook toolbar."""
    if in_deck(page):          # a deck left running in an earlier page: start afresh
        command(page, "deck:stop")
    activate_cell(page, cell_index)
    button = page.locator(f"{CURRENT_PANEL} .jp-NotebookPanel-toolbar [data-command='deck:toggle']").first
    if button.is_visible():
        button.click()
    else:                      # toolbar hidden (narrow window): same command
        command(page, "deck:start")
    page.wait_for_selector("body[data-jp-deck-mode='presenting']", state="attached", timeout=30_000)


def in_deck(page) -> bool:
    return page.evaluate("() => document.body.dataset.jpDeckMode === 'presenting'")


# the cells on screen in the deck, the active cell, and how much room they take
DECK_STATE_JS = """() => {
  const cells = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell')];
  const on = [];
  let top = Infinity, bottom = -Infinity, wide = [];
  cells.forEach((c, i) => {
    if (!c.classList.contains('jp-deck-mod-onscreen')) return;
    on.push(i);
    const r = c.getBoundingClientRect();
    top = Math.min(top, r.top); bottom = Math.max(bottom, r.bottom);
    for (const e of c.querySelectorAll('.cm-scroller, .jp-OutputArea-output'))
      if (e.scrollWidth > e.clientWidth + 2) { wide.push(i); break; }
  });
  return {active: cells.findIndex(c => c.classList.contains('jp-mod-active')), onscreen: on,
          height: on.length ? bottom - top : 0, viewport: innerHeight, wide};
}"""


def deck_state(page) -> dict:
    return page.evaluate(DECK_STATE_JS)
