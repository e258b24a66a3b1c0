import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import course_utils

ROOT = Path(__file__).resolve().parent.parent


def test_import_does_not_load_tensorflow():
    code = ("import sys, course_utils, course_utils.data, course_utils.plotting, course_utils.check;"
            "print('tensorflow' in sys.modules or 'keras' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fast_mode_and_pick(monkeypatch):
    monkeypatch.setenv("COURSE_FAST", "1")
    assert course_utils.fast_mode() and course_utils.pick("f", "F") == "f"
    monkeypatch.setenv("COURSE_FAST", "0")
    assert not course_utils.fast_mode() and course_utils.pick("f", "F") == "F"


def test_set_seeds_repeats_numpy_draws():
    course_utils.set_seeds(3)
    a = np.random.rand(3)
    course_utils.set_seeds(3)
    assert np.array_equal(a, np.random.rand(3))


def _pins_from_requirements():
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return {l.split("==")[0].lower(): l.split("==")[1] for l in lines if "==" in l and not l.startswith("#")}


def _pins_from_environment_yml():
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        item = line.strip().lstrip("- ").strip()
        if "==" in item and not item.startswith("#"):
            name, version = item.split("==")
            pins[name.lower()] = version
    return pins


def test_environment_yml_and_requirements_pin_the_same_packages():
    req, env = _pins_from_requirements(), _pins_from_environment_yml()
    assert req == env, f"pins drifted: only in requirements {set(req.items()) - set(env.items())}, " \
                       f"only in environment.yml {set(env.items()) - set(req.items())}"
    for needed in ["jupyterlab", "numpy", "matplotlib", "tensorflow", "ipywidgets", "nbval"]:
        assert needed in req
    assert "python=3.11" in (ROOT / "environment.yml").read_text()
    assert "-e ." in (ROOT / "environment.yml").read_text()


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert "python3 course.py test" in readme and "python3 course.py lab" in readme
    assert "python3 course.py test" in ci


def notebooks_with_outputs(root) -> list[str]:
    """Names of the course notebooks, as committed, that hold stored outputs."""
    import nbformat

    from course_utils.shipped import course_notebooks

    found = []
    for name, blob in course_notebooks(root).files.items():
        nb = nbformat.reads(blob.decode("utf-8"), as_version=4)
        if any(cell.cell_type == "code" and cell.outputs for cell in nb.cells):
            found.append(name)
    return found


def test_notebooks_are_committed_without_outputs():
    from course_utils.shipped import course_notebooks

    if not course_notebooks(ROOT).from_git:
        pytest.skip("no git history: nothing committed to check")
    assert notebooks_with_outputs(ROOT) == [], "notebooks committed with outputs: clear them and commit again"


def test_outputs_a_student_saved_are_not_what_is_checked(course_repo):
    """JupyterLab autosaved outputs into a course notebook; the course as committed has none."""
    import nbformat

    nb = nbformat.read(course_repo.notebooks / "00_a.ipynb", as_version=4)
    nb.cells[2].outputs = [nbformat.v4.new_output("stream", text="2\n")]
    course_repo.write("00_a.ipynb", nb)
    assert notebooks_with_outputs(course_repo.path) == []
    course_repo.commit("committed with outputs by mistake")
    assert notebooks_with_outputs(course_repo.path) == ["00_a.ipynb"]


def test_setup_notebook_prints_one_line(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_FAST", "1")
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    setup = course_utils.setup_notebook("01")
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("[01] FAST mode") and str(tmp_path) in out[0]
    assert setup.fast and setup.device is None and setup.seed == 0


def test_env_flag(monkeypatch):
    for value, expected in (("1", True), ("Yes", True), ("on", True), ("0", False), ("", False), ("no", False)):
        monkeypatch.setenv("COURSE_X", value)
        assert course_utils.env_flag("COURSE_X") is expected
