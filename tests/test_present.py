"""Presenting without a browser: the deck's slides from metadata, the carried
jupyterlab-slideshow fix, and the URL `course.py lab` prints."""
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT))
import patch_slideshow  # noqa: E402
import slides_fit  # noqa: E402


def _nb(kinds):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell(f"# cell {i}\nmore", metadata={"slideshow": {"slide_type": k}}
                                              if k else {}) for i, k in enumerate(kinds)]
    return nb


def test_slide_groups_follow_nbformat_slide_types():
    groups = slides_fit.slide_groups(_nb(["slide", "-", "skip", "fragment", "subslide", None, "notes",
                                          "slide", "subslide", "subslide"]))
    assert [(g["number"], g["cells"]) for g in groups] == [("1", [0, 1, 3]), ("1.1", [4, 5]), ("2", [7]),
                                                           ("2.1", [8]), ("2.2", [9])]
    assert groups[0]["title"] == "cell 0"


def test_every_course_notebook_has_slides():
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert len(slides_fit.slide_groups(nbformat.read(path, as_version=4))) >= 3, path.name


def test_slideshow_fix_is_applied_and_idempotent(tmp_path):
    static = patch_slideshow.bundle_dir(tmp_path)
    static.mkdir(parents=True)
    bundle = static / "506.abc.js"
    bundle.write_text('x;switch(e){case"skip":continue;case null:if(c){}}')
    assert patch_slideshow.status(tmp_path)[0] == "broken"
    assert "fixed cells marked '-'" in patch_slideshow.apply(tmp_path)
    assert 'case"-":case null:' in bundle.read_text()
    assert "already" in patch_slideshow.apply(tmp_path) and bundle.read_text().count('case"-"') == 1
    assert patch_slideshow.status(tmp_path / "none")[0] == "absent"


def test_installed_slideshow_has_the_fix():
    state, _ = patch_slideshow.status()
    if state == "absent":
        pytest.skip("jupyterlab-slideshow is not installed")
    assert state in ("fixed", "unknown"), "run tools/patch_slideshow.py (course.py install does)"


def test_lab_prints_a_url_that_opens_the_first_notebook(tmp_path):
    import course

    cmd = [sys.executable if str(c) == str(course.PY) else c for c in course.lab_command(
        ["--no-browser", "--port=0", f"--ServerApp.runtime_dir={tmp_path}"])]
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(tmp_path / "cfg")}
    proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)
    lines = []
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            lines.append(line)
            if "token=" in line and "http://127.0.0.1" in line:
                break
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    url = next((l for l in lines if "token=" in l and "http://127.0.0.1" in l), "")
    assert "/lab/tree/notebooks/00_setup.ipynb?token=" in url, "".join(lines[-20:])
