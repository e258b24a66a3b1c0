"""`course.py test` checks what the course ships: the notebooks git tracks, as
committed. A student's own notebook in notebooks/, or a course notebook that
JupyterLab autosaved with outputs (or the student edited), must not fail it."""
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils import shipped

ROOT = Path(__file__).resolve().parent.parent


def _course_py():
    spec = importlib.util.spec_from_file_location("course_py", ROOT / "course.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _dirty(repo):
    """What a student's working copy looks like after a lesson."""
    repo.write("Untitled.ipynb", repo.notebook("mine", "raise RuntimeError('my half-written code')"))
    nb = nbformat.read(repo.notebooks / "00_a.ipynb", as_version=4)
    nb.cells[2].source = "print(f(1)) + undefined_name"     # a student's edit in a course notebook
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="something else\n")]
    nb.cells[2].execution_count = 3
    nb.cells[2].metadata["tags"] = ["nbval-check-output"]
    repo.write("00_a.ipynb", nb)


def test_committed_notebooks_are_the_ones_under_test(course_repo):
    _dirty(course_repo)
    target = _course_py().notebooks_under_test(course_repo.path)
    assert target == course_repo.path / "build" / "test-notebooks"
    assert sorted(p.name for p in target.glob("*.ipynb")) == ["00_a.ipynb", "01_b.ipynb"]
    committed = subprocess.run(["git", "-C", str(course_repo.path), "show", "HEAD:notebooks/00_a.ipynb"],
                               capture_output=True, check=True).stdout
    assert (target / "00_a.ipynb").read_bytes() == committed


def _nbval(folder) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", str(folder), "--nbval-lax", "--nbval-current-env",
                           "-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--rootdir", str(folder)],
                          capture_output=True, text=True, cwd=folder)


def test_nbval_passes_on_the_committed_copies_of_a_dirty_working_copy(course_repo):
    _dirty(course_repo)
    on_working_files = _nbval(course_repo.notebooks)
    assert on_working_files.returncode != 0        # what `course.py test` used to run
    on_committed = _nbval(_course_py().notebooks_under_test(course_repo.path))
    assert on_committed.returncode == 0, on_committed.stdout[-2000:]


def test_without_git_the_course_notebooks_are_tested_without_saved_outputs(tmp_path, make_notebook):
    (tmp_path / "notebooks").mkdir()
    nb = make_notebook("course")
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="stale\n")]
    nb.cells[2].execution_count = 1
    nbformat.write(nb, tmp_path / "notebooks" / "00_a.ipynb")
    nbformat.write(make_notebook("mine", "1/0"), tmp_path / "notebooks" / "Untitled1.ipynb")
    out = shipped.export_notebooks(tmp_path / "copy", tmp_path)
    assert not out.from_git and len(out.notes) == 1 and "no git" in out.notes[0]
    assert [p.name for p in (tmp_path / "copy").glob("*.ipynb")] == ["00_a.ipynb"]
    cells = json.loads((tmp_path / "copy" / "00_a.ipynb").read_text())["cells"]
    assert all(c["outputs"] == [] and c["execution_count"] is None for c in cells if c["cell_type"] == "code")


def test_the_course_notebooks_are_all_tracked():
    """In this checkout: the committed notebooks are the course (names like 05_cnn_mnist.ipynb)."""
    found = shipped.course_notebooks(ROOT)
    if not found.from_git:
        pytest.skip("no git history here")
    assert len(found.files) >= 8 and all(shipped.COURSE_NOTEBOOK_NAME.match(n) for n in found.files)
