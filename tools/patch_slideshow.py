#!/usr/bin/env python3
"""Carry a one-line fix for jupyterlab-slideshow 0.3.4 until upstream releases one.

nbformat's slide type "-" means "continue the current slide" (RISE and nbconvert's
slides treat it so; JupyterLab's property inspector writes it). jupyterlab-slideshow
0.3.4 handles only a missing slide type as "continue" and drops cells marked "-"
from the deck: their code and widgets never appear. The fix treats "-" like a missing
type. ``course.py install`` runs this after pip; it is idempotent, writes the fixed
bundle to a new file and renames it over the old one (never edits in place), and
says so in one line when the installed bundle is not the one it knows.

    python tools/patch_slideshow.py          # apply (prints what it did)
    python tools/patch_slideshow.py --check  # exit 1 when the fix is missing
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

BROKEN = 'case"skip":continue;case null:'
FIXED = 'case"skip":continue;case"-":case null:'


def bundle_dir(prefix: str | os.PathLike = sys.prefix) -> Path:
    return Path(prefix) / "share" / "jupyter" / "labextensions" / "jupyterlab-slideshow" / "static"


def status(prefix=sys.prefix) -> tuple[str, Path | None]:
    """('fixed' | 'broken' | 'unknown' | 'absent', the bundle file or None)."""
    folder = bundle_dir(prefix)
    if not folder.is_dir():
        return "absent", None
    for js in sorted(folder.glob("*.js")):
        text = js.read_text(encoding="utf-8")
        if FIXED in text:
            return "fixed", js
        if BROKEN in text:
            return "broken", js
    return "unknown", None


def apply(prefix=sys.prefix) -> str:
    """Apply the fix when needed; return a one-line report."""
    state, js = status(prefix)
    if state == "broken":
        tmp = js.with_name(js.name + f".{os.getpid()}.tmp")
        tmp.write_text(js.read_text(encoding="utf-8").replace(BROKEN, FIXED, 1), encoding="utf-8")
        os.replace(tmp, js)
        return "jupyterlab-slideshow: fixed cells marked '-' (continue the slide) so they show in the deck"
    if state == "fixed":
        return "jupyterlab-slideshow: '-' fix already in place"
    if state == "absent":
        return "jupyterlab-slideshow is not installed: decks are unavailable"
    return ("jupyterlab-slideshow: unknown version, fix not applied; check that cells marked '-' "
            "show in the deck (tests/test_browser.py does)")


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        state, _ = status()
        print(state)
        sys.exit(0 if state in ("fixed", "unknown") else 1)
    print(apply())
