import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """An empty course data dir, offline, for one test."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    return tmp_path


@pytest.fixture
def verdict(monkeypatch, capsys):
    """For the self-check tests: run a check on a student's function in student mode;
    returns (passed, what the check printed)."""
    monkeypatch.delenv("COURSE_CHECK_STRICT", raising=False)

    def run(check_fn, fn):
        ok = check_fn(fn)
        return ok, capsys.readouterr().out
    return run


STUDENT_EDITION_TESTS = "tests/test_student_edition.py::"


@pytest.hookimpl(tryfirst=True, optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """`course.py test` runs `pytest -n 2 --dist loadfile`: each file (each
    notebook's nbval cells) is one unit of work on one worker. Here the
    student-edition runs are one unit per notebook, so they spread over both
    cores, and the units that execute the most notebook cells start first (a
    slow notebook left for the end would keep one core idle)."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class CourseScheduling(LoadFileScheduling):
        def _split_scope(self, nodeid):
            return nodeid if nodeid.startswith(STUDENT_EDITION_TESTS) else super()._split_scope(nodeid)

        def _assign_work_unit(self, node):
            if not getattr(self, "_ordered", False):
                self._ordered = True
                cells = {scope.rsplit("/", 1)[-1]: len(unit) for scope, unit in self.workqueue.items()
                         if scope.endswith(".ipynb")}

                def weight(item):
                    scope, unit = item
                    if scope.startswith(STUDENT_EDITION_TESTS):   # as long as that notebook's nbval run
                        return cells.get(scope.split("[", 1)[-1].rstrip("]") + ".ipynb", 1)
                    return len(unit) if scope.endswith(".ipynb") else 0
                ordered = sorted(self.workqueue.items(), key=weight, reverse=True)
                self.workqueue.clear()
                self.workqueue.update(ordered)
            super()._assign_work_unit(node)

    return CourseScheduling(config, log)


class CourseRepo:
    """A small git repository shaped like the course: ``path/notebooks/`` holds
    committed notebooks made by :meth:`notebook` (one solution cell each)."""

    def __init__(self, path):
        self.path = path
        self.notebooks = path / "notebooks"

    @staticmethod
    def notebook(marker: str, extra_code: str = "print(f(1))"):
        import nbformat

        solution = nbformat.v4.new_code_cell(
            f"def f(x):\n    return x + 1  # {marker}",
            metadata={"tags": ["solution"], "jupyter": {"source_hidden": True},
                      "course": {"stub": "def f(x):\n    return None\n"}})
        return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(f"# {marker}"), solution,
                                               nbformat.v4.new_code_cell(extra_code)])

    def write(self, name: str, nb) -> None:
        import nbformat

        nbformat.write(nb, self.notebooks / name)

    def git(self, *args: str) -> None:
        import shutil
        import subprocess

        subprocess.run([shutil.which("git"), "-C", str(self.path), "-c", "user.name=t",
                        "-c", "user.email=t@example.org", *args], check=True, capture_output=True)

    def commit(self, message: str = "update") -> None:
        self.git("add", "-A", "notebooks")
        self.git("commit", "-q", "-m", message)


@pytest.fixture
def course_repo(tmp_path):
    """A :class:`CourseRepo` with two committed notebooks, 00_a and 01_b."""
    import shutil

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = CourseRepo(tmp_path / "course")
    repo.notebooks.mkdir(parents=True)
    for name in ("00_a.ipynb", "01_b.ipynb"):
        repo.write(name, repo.notebook(f"committed {name}"))
    repo.git("init", "-q")
    repo.commit("course")
    return repo


@pytest.fixture
def make_notebook():
    """``make_notebook(marker, extra_code)``: a small course-shaped notebook (see :class:`CourseRepo`)."""
    return CourseRepo.notebook
