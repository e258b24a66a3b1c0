"""Every slide of every deck fits 1280x720 (issue 17, point 3).

The notebooks are executed in fast mode first (plots and widgets are what usually push a
slide over the edge; the executed copies are cached while notebook and course_utils are
unchanged), then presented with jupyterlab-slideshow in headless Chromium; each slide and
sub-slide is shown with all its fragments and its content height is compared with the
window. A screenshot of every slide lands in test-artifacts/slides/<notebook>/.
``python tools/slides_fit.py`` prints the same list for notebook authors.

KNOWN_OVERFLOW counts the slides that overflowed when this test was written (their
notebooks were being rewritten then): a notebook may get better, never worse; set its
count to 0 once it fits. Set COURSE_SLIDES_EXECUTE=0 to walk without executing (code and
text only, much faster).
"""
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import browser  # noqa: E402
import slides_fit  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
KNOWN_OVERFLOW = {"00_setup": 0, "01_perceptron": 0, "02_xor": 0, "03_backprop": 0, "04_convolution": 0,
                  "05_cnn_mnist": 0, "06_rnn_text": 0, "07_training_tips": 0}


@pytest.fixture(scope="module")
def walked():
    if browser.CHROMIUM is None:
        pytest.skip("Chromium is not installed")
    execute = os.environ.get("COURSE_SLIDES_EXECUTE", "1") != "0"
    return slides_fit.check_notebooks(NOTEBOOKS, execute=execute, shots=ROOT / "test-artifacts" / "slides")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_slide_fits_1280x720(walked, path):
    records = walked[path.stem]
    assert len(records) == len(slides_fit.slide_groups(__import__("nbformat").read(path, as_version=4)))
    bad = [r for r in records if r["overflow"] or r["wide"]]
    listing = slides_fit.report({path.stem: records})
    budget = KNOWN_OVERFLOW.get(path.stem, 0)
    assert len(bad) <= budget, f"more slides cut off than before ({budget} known):\n{listing}"
    if bad:
        pytest.xfail(f"known overflow, to be fixed in the notebook:\n{listing}")
