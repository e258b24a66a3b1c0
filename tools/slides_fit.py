#!/usr/bin/env python3
"""Walk every slide of every notebook's deck at 1280x720 and list the ones that do not fit.

    python tools/slides_fit.py                        # all notebooks, executed in fast mode first
    python tools/slides_fit.py notebooks/05_cnn_mnist.ipynb --no-execute   # code and text only
    python tools/slides_fit.py --shots test-artifacts/slides

Each notebook is first executed in fast mode (COURSE_FAST=1, widget state saved) into a
cache folder, because plots and widgets are what usually push a slide over the edge;
a re-run reuses the executed copy while the notebook and course_utils are unchanged.
The copy is then opened in JupyterLab and presented with jupyterlab-slideshow (the course's
deck); for each slide and sub-slide the deck is moved to its last visible cell (all its
fragments shown) and the height of the cells on screen is compared with the window.
Prints, per notebook, the slides that overflow; exits 1 when any does.

Limitation: widgets are measured as their one-line text (the saved widget state is not
restored once JupyterLab connects a kernel), so a slide with a slider or a tuning panel is
taller in a live deck than measured here; tests/test_browser.py checks that a tuning panel
after five runs fits a 1280x720 slide in projector style.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

import browser  # noqa: E402  (tools/browser.py)

VIEWPORT = (1280, 720)
HIDDEN_TYPES = ("skip", "notes")
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "course-slides-executed"


# ---------------------------------------------------------------- slides from metadata

def slide_groups(nb) -> list[dict]:
    """The deck's slides and sub-slides: ``{"number", "title", "cells"}`` where ``cells`` are
    the indices shown on it (fragments and continued cells included; skip and notes not)."""
    groups: list[dict] = []
    major = minor = 0
    for i, cell in enumerate(nb.cells):
        kind = cell.get("metadata", {}).get("slideshow", {}).get("slide_type") or "-"
        if kind in HIDDEN_TYPES:
            continue
        if kind == "slide" or not groups:
            major, minor = major + 1, 0
        elif kind == "subslide":
            minor += 1
        else:
            groups[-1]["cells"].append(i)
            continue
        first_line = next((line.strip("# ").strip() for line in cell.source.splitlines() if line.strip()), "")
        groups.append({"number": f"{major}" if minor == 0 else f"{major}.{minor}",
                       "title": first_line[:60], "cells": [i]})
    return groups


# ---------------------------------------------------------------- execution (fast mode)

def _fingerprint(path: Path) -> str:
    """What the outputs depend on: the cells' types and sources and course_utils (not the slide
    metadata, which `_with_metadata_of` lays over a reused run)."""
    import nbformat

    from course_utils.execute import package_fingerprint

    h = hashlib.sha256(package_fingerprint().encode())
    for c in nbformat.read(path, as_version=4).cells:
        h.update(f"\0{c.cell_type}\0{c.source}".encode())
    return h.hexdigest()[:16]


def _with_metadata_of(executed, path: Path):
    """``executed`` (same cells as ``path``) with ``path``'s current cell and notebook metadata."""
    import nbformat

    wanted = nbformat.read(path, as_version=4)
    for cell, current in zip(executed.cells, wanted.cells, strict=True):
        widgets = cell.metadata.get("widgets")
        cell.metadata = current.metadata
        if widgets is not None:
            cell.metadata["widgets"] = widgets
    state = executed.metadata.get("widgets")
    executed.metadata = wanted.metadata
    if state is not None:
        executed.metadata["widgets"] = state
    return executed


SITE_RUNS = ROOT / "build" / "site-notebooks" / "run"   # `course.py site` keeps its executed notebooks here
SITE_INJECTED = "course_site_injected"                  # cells the site builder adds around its sliders


def from_site_run(path: Path, runs: Path = SITE_RUNS):
    """The fast-mode run of ``path`` that `course.py site --fast` just made (its slider-recording cells
    dropped), or None when there is none for exactly this notebook and this course_utils."""
    import json

    import nbformat

    from course_utils.execute import package_fingerprint

    try:
        last = json.loads((runs / "last.json").read_text())
        executed = runs / f"executed-{path.name}"
        if not last.get("fast") or (last["runs"].get(path.name) or {}).get("error") \
                or last.get("course_utils") != package_fingerprint() or not executed.exists():
            return None
        nb = nbformat.read(executed, as_version=4)
    except (OSError, ValueError, KeyError):
        return None
    nb.cells = [c for c in nb.cells if not c.metadata.get(SITE_INJECTED)]
    wanted = nbformat.read(path, as_version=4)
    if [(c.cell_type, c.source) for c in nb.cells] != [(c.cell_type, c.source) for c in wanted.cells]:
        return None
    return nb


def executed_copy(path: Path, cache: Path, log=print) -> Path:
    """``path`` executed in fast mode with widget state saved: from ``cache`` when unchanged, else the
    site builder's fast-mode run of the same notebook when there is one, else run now."""
    import nbformat

    from course_utils.execute import NotebookClient

    target = cache / _fingerprint(path) / path.name
    if target.exists():
        nbformat.write(_with_metadata_of(nbformat.read(target, as_version=4), path), target)
        return target
    reused = from_site_run(path)
    if reused is not None:
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(_with_metadata_of(reused, path), target)
        log(f"[slides] {path.name}: the site build's fast-mode run reused")
        return target
    nb = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    env_before = dict(os.environ)
    os.environ.update({"COURSE_FAST": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"})
    try:
        NotebookClient(nb, timeout=900, kernel_name="python3", allow_errors=True, store_widget_state=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    nbformat.write(nb, tmp)
    os.replace(tmp, target)
    log(f"[slides] executed {path.name} in fast mode ({time.perf_counter() - started:.0f} s)")
    return target


# ---------------------------------------------------------------- the walk

def _shutdown_kernels(lab: browser.Lab) -> None:
    with urllib.request.urlopen(lab.url("api/kernels"), timeout=10) as r:
        kernels = json.load(r)
    for k in kernels:
        req = urllib.request.Request(lab.url(f"api/kernels/{k['id']}"), method="DELETE")
        try:
            urllib.request.urlopen(req, timeout=10)
        except OSError:
            pass


def walk_deck(page, lab: browser.Lab, rel_path: str, groups: list[dict], shots: Path | None) -> list[dict]:
    """Present ``rel_path`` and measure each slide in ``groups``; returns one record per slide
    (``number``, ``title``, ``cells``, ``height``, ``viewport``, ``overflow``, ``wide``)."""
    browser.open_notebook(page, lab, rel_path, wait_kernel=False)
    page.wait_for_timeout(1500)                                  # outputs and widgets settle
    browser.start_deck(page, 0)
    records = []
    for g in groups:
        browser.activate_cell(page, g["cells"][-1])
        page.wait_for_function("i => document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) "
                               ".jp-Notebook .jp-Cell')[i]?.classList.contains('jp-deck-mod-onscreen')",
                               arg=g["cells"][-1], timeout=10_000)
        page.wait_for_timeout(150)
        state = browser.deck_state(page)
        record = {**g, "height": round(state["height"]), "viewport": state["viewport"],
                  "wide": state["wide"], "onscreen": state["onscreen"]}
        record["overflow"] = record["height"] > record["viewport"]
        records.append(record)
        if shots is not None:
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / f"slide-{g['number'].replace('.', '_')}.png"))
    page.keyboard.press("Escape")                                # leave the deck
    _shutdown_kernels(lab)
    return records


def check_notebooks(paths: list[Path], execute: bool = True, shots: Path | None = None,
                    cache: Path = DEFAULT_CACHE, log=print) -> dict[str, list[dict]]:
    """Walk each notebook's deck; returns {notebook name: records}."""
    import nbformat
    from playwright.sync_api import sync_playwright

    if browser.CHROMIUM is None:
        raise RuntimeError("Chromium is not installed (Debian: apt-get install chromium)")
    work = Path(tempfile.mkdtemp(prefix="course-slides-"))
    served = work / "course" / "notebooks"
    served.mkdir(parents=True)
    names = []
    for path in paths:
        source = executed_copy(path, cache, log) if execute else path
        shutil.copy(source, served / path.name)
        names.append(path)
    results = {}
    try:
        with browser.running_lab(work / "course", work / "home", env={"COURSE_FAST": "1"}) as lab, \
                sync_playwright() as p, browser.chromium(p) as chromium:
            for path in names:
                groups = slide_groups(nbformat.read(path, as_version=4))
                started = time.perf_counter()
                page = chromium.new_page(viewport={"width": VIEWPORT[0], "height": VIEWPORT[1]})
                try:
                    results[path.stem] = walk_deck(page, lab, f"notebooks/{path.name}", groups,
                                                   shots / path.stem if shots else None)
                finally:
                    page.close()
                log(f"[slides] {path.stem}: {len(groups)} slides walked in {time.perf_counter() - started:.1f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def report(results: dict[str, list[dict]]) -> str:
    lines = []
    for name, records in results.items():
        bad = [r for r in records if r["overflow"] or r["wide"]]
        lines.append(f"{name}: {len(bad)} of {len(records)} slides do not fit {VIEWPORT[0]}x{VIEWPORT[1]}")
        for r in bad:
            what = []
            if r["overflow"]:
                what.append(f"{r['height']} px tall > {r['viewport']} px")
            if r["wide"]:
                what.append(f"too wide in cell(s) {r['wide']}")
            cells = f"{r['cells'][0]}-{r['cells'][-1]}" if len(r["cells"]) > 1 else f"{r['cells'][0]}"
            lines.append(f"  slide {r['number']:<5} cells {cells:<8} {'; '.join(what)}  \"{r['title']}\"")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--no-execute", action="store_true", help="walk the notebooks as saved (no plots)")
    parser.add_argument("--shots", type=Path, help="save a screenshot of every slide under this folder")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="executed copies (default: %(default)s)")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    results = check_notebooks([p.resolve() for p in paths], execute=not args.no_execute,
                              shots=args.shots, cache=args.cache)
    print(report(results))
    return 1 if any(r["overflow"] or r["wide"] for rs in results.values() for r in rs) else 0


if __name__ == "__main__":
    sys.exit(main())
