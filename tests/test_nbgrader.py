"""The nbgrader edition (issue 20, point 3), graded by real nbgrader.

`python3 course.py editions --nbgrader` writes an nbgrader course folder; this
test installs nbgrader (the version the instructor extra pins) into its own
virtual environment that sees the course's packages through a .pth file (pip
installs only what nbgrader adds: nothing of the course's pins changes, and
the students' .venv never gets nbgrader's JupyterLab menus), runs
`nbgrader generate_assignment`, then `nbgrader autograde` on two submissions
of the same notebook: the shipped solutions (full marks) and the release as a
student gets it, stubs in place (zero).

Autograde executes the whole notebook per submission, so CI grades one short
notebook in fast mode (COURSE_NBGRADER_NOTEBOOKS, default "01"); name more to
grade them too (`COURSE_NBGRADER_NOTEBOOKS="00 01 02"`).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest

from course_utils import grading

ROOT = Path(__file__).resolve().parent.parent
NBGRADER_PIN = re.search(r'"(nbgrader==[^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)
GRADED = os.environ.get("COURSE_NBGRADER_NOTEBOOKS", "01").split()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    out = tmp_path_factory.mktemp("nbgrader-course")
    grading.build(out, ROOT, say=lambda line: None)
    return out


def test_every_exercise_is_an_answer_cell_and_a_one_point_test_with_hidden_tests(course):
    sources = sorted((course / "source").glob("*/*.ipynb"))
    assert [p.stem for p in sources] == sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for path in sources:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        answers = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")]
        tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        solutions = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
        assert len(answers) == len(solutions) > 0, path.name
        assert 0 < len(tests) <= len(answers) and all(t.metadata.nbgrader["points"] == 1 for t in tests)
        for cell in answers:
            src = cell.source
            assert src.index(cell.metadata.course["stub"].rstrip()) < src.index("### BEGIN SOLUTION") \
                < src.index("### END SOLUTION")
        for cell in tests:
            assert cell.metadata.nbgrader["locked"] and grading.CHECK_CALL.search(cell.source)
            assert cell.source.count("### BEGIN HIDDEN TESTS") == 2 and "_grading.verdicts()" in cell.source
        ids = [c.metadata.nbgrader["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
        assert len(ids) == len(set(ids))


def test_a_solution_without_a_check_cell_is_reported():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["solution"]}),
                                         nbformat.v4.new_code_cell("print(x)")])
    with pytest.raises(ValueError, match="no check cell"):
        grading.nbgrader_version(nb, "09_x.ipynb")


@pytest.fixture(scope="module")
def nbgrader_python(tmp_path_factory):
    """A venv with nbgrader that sees the course's packages (and course_utils) through a .pth."""
    env_dir = tmp_path_factory.mktemp("nbgrader-venv")
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    course_site = subprocess.run([sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "course.pth").write_text(f"{course_site}\n{ROOT}\n")
    before = _versions(py)
    install = subprocess.run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", NBGRADER_PIN],
                             capture_output=True, text=True, timeout=900)
    if install.returncode != 0:
        pytest.skip(f"could not install {NBGRADER_PIN} (no package index?): {install.stderr[-500:]}")
    # nbgrader runs the `alembic` command. The course already has alembic (jupyterhub needs it), so pip
    # did not install it again and this venv has no `alembic` script: give it one that runs here.
    script = env_dir / "bin" / "alembic"
    if not script.exists():
        script.write_text(f"#!{py}\nimport sys\nfrom alembic.config import main\nsys.exit(main())\n")
        script.chmod(0o755)
    after = _versions(py)
    changed = {k: (before[k], after[k]) for k in before if after.get(k) != before[k]}
    assert not changed, f"installing nbgrader changed the course's packages: {changed}"
    return py


def _versions(py) -> dict[str, str]:
    listing = subprocess.run([py, "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
                             capture_output=True, text=True, check=True).stdout
    return {d["name"].lower(): d["version"] for d in json.loads(listing)}


def _nbgrader(py, course, *args):
    env = dict(os.environ, PATH=f"{Path(py).parent}{os.pathsep}{os.environ['PATH']}",   # it runs `alembic`
               COURSE_FAST="1", COURSE_CHECK_STRICT="0", MPLBACKEND="Agg")
    run = subprocess.run([py, "-m", "nbgrader", *args], cwd=course, env=env, capture_output=True, text=True,
                         timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run


@pytest.mark.parametrize("number", GRADED)
def test_nbgrader_gives_full_marks_to_the_solutions_and_zero_to_the_stubs(course, nbgrader_python, number):
    py = nbgrader_python
    name = next(p.stem for p in (course / "source").glob(f"{number}_*"))
    _nbgrader(py, course, "generate_assignment", name, "--force")
    release = nbformat.read(course / "release" / name / f"{name}.ipynb", as_version=4)
    assert "BEGIN SOLUTION" not in json.dumps(release) and "HIDDEN TESTS" not in json.dumps(release)
    source = nbformat.read(course / "source" / name / f"{name}.ipynb", as_version=4)
    solutions = {c.metadata.nbgrader["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for student, fill in (("solutions", True), ("stubs", False)):
        nb = nbformat.from_dict(json.loads(json.dumps(release)))
        for cell in nb.cells:
            if fill and cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = solutions[cell.metadata.nbgrader["grade_id"]]   # the student wrote the solution
        target = course / "submitted" / student / name / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
    _nbgrader(py, course, "autograde", name, "--create", "--force")
    scores = subprocess.run([py, "-c", (
        "import json, sys\nfrom nbgrader.api import Gradebook\n"
        f"with Gradebook('sqlite:///{course}/gradebook.db') as gb:\n"
        f"    print(json.dumps({{s: [gb.find_submission({name!r}, s).score, gb.find_submission({name!r}, s).max_score]"
        " for s in ('solutions', 'stubs')}))")], capture_output=True, text=True, check=True).stdout
    scores = json.loads(scores)
    print(f"nbgrader scores for {name}: {scores}")
    points = sum(1 for c in source.cells if c.metadata.get("nbgrader", {}).get("grade"))
    assert scores["solutions"] == [points, points], scores
    assert scores["stubs"] == [0, points], scores
