"""The student edition runs end to end: "Run All" with every exercise unsolved
reaches the last cell (issue 15, point 6).

Builds the student edition from the committed notebooks and executes every
notebook of it in fast mode with the checks in student mode
(COURSE_CHECK_STRICT unset: a failed check prints FAIL instead of raising).
Any cell error fails the test: a cell that uses an exercise's answer must be
gated with ``if check.solved(ok, "Your turn N"):``.
"""
import os
import time
from pathlib import Path

import nbformat
import pytest

from course_utils import editions, shipped

ROOT = Path(__file__).resolve().parent.parent
NAMES = list(shipped.course_notebooks(ROOT).files)

# Notebooks whose student edition does not reach its last cell yet. The
# notebook's owner removes its name from this list once it passes (strict:
# an unexpected pass fails the suite, so the list cannot go stale).
NOT_YET_RUNNABLE_AS_STUDENT = {
    "03_backprop.ipynb": "cell 18 raises AttributeError: 'NoneType' object has no attribute 'T'",
    "04_convolution.ipynb": "cell 24 raises TypeError: unsupported format string passed to NoneType.__format__",
}


@pytest.fixture(scope="module")
def student_edition(tmp_path_factory):
    out = tmp_path_factory.mktemp("editions")
    editions.build(out, ROOT, say=lambda line: None)
    return out / "student"


def _first_error(nb):
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return i, cell, out
    return None


def _param(name):
    # under `course.py test` each notebook is its own unit of work (tests/conftest.py), on both cores
    marks = []
    if name in NOT_YET_RUNNABLE_AS_STUDENT:
        marks.append(pytest.mark.xfail(strict=True, reason=f"not yet runnable as a student: "
                                                           f"{NOT_YET_RUNNABLE_AS_STUDENT[name]}"))
    return pytest.param(name, marks=marks, id=name.removesuffix(".ipynb"))


@pytest.mark.parametrize("name", [_param(n) for n in NAMES])
def test_student_edition_runs_to_the_end(name, student_edition):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    path = student_edition / name
    nb = nbformat.read(path, as_version=4)
    env = {k: v for k, v in os.environ.items() if k != "COURSE_CHECK_STRICT"}
    env.update(COURSE_FAST="1", MPLBACKEND="Agg")
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.monotonic()
    try:
        client.execute(env=env)
    except CellExecutionError:
        pass  # reported below from the notebook's outputs, with the cell number
    failed = _first_error(nb)
    if failed:
        i, cell, out = failed
        first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
        pytest.fail(f"student edition of {name}: cell {i} ({first_line!r}) raised "
                    f"{out.get('ename')}: {out.get('evalue')}. A cell that uses an exercise's answer "
                    f"needs `if check.solved(ok, \"Your turn N\"):`.", pytrace=False)
    assert time.monotonic() - start < 900, f"{name} took over 15 minutes in fast mode"
