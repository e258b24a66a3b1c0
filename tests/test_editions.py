"""Student / instructor editions: no solution code reaches students, the
self-checks reject the stubs students start from, the editions are built from
the committed notebooks, and a re-run never overwrites a student's work."""
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils import editions, launch, shipped

ROOT = Path(__file__).resolve().parent.parent
COURSE = shipped.course_notebooks(ROOT)          # what the course ships (git HEAD)
NOTEBOOKS = [nbformat.reads(blob.decode(), as_version=4) for blob in COURSE.files.values()]
NAMES = list(COURSE.files)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return editions.build(tmp_path_factory.mktemp("editions"), ROOT, say=lambda line: None)


def _solutions(nb):
    return [i for i, c in enumerate(nb.cells) if editions.is_solution(c)]


@pytest.mark.parametrize("name", NAMES)
def test_exercises_are_tagged_hidden_and_stubbed(name):
    nb = NOTEBOOKS[NAMES.index(name)]
    solutions = _solutions(nb)
    assert 2 <= len(solutions) <= 4, f"{name}: expected 2-4 exercises, found {len(solutions)}"
    for i in solutions:
        cell = nb.cells[i]
        assert cell.metadata.get("jupyter", {}).get("source_hidden"), f"{name} cell {i} is not collapsed"
        assert cell.metadata.get("course", {}).get("stub"), f"{name} cell {i} has no stub"


def test_student_edition_contains_no_solution_code(built):
    assert [p.name for p in built["student"]] == NAMES
    for name, source, student_path in zip(NAMES, NOTEBOOKS, built["student"]):
        student = nbformat.read(student_path, as_version=4)
        student_lines = {l.strip() for c in student.cells for l in c.source.splitlines()}
        shared = {l.strip() for c in source.cells if not editions.is_solution(c) for l in c.source.splitlines()}
        for i in _solutions(source):
            # lines that only the solution has (boilerplate shared with other cells is no leak)
            own = {l.strip() for l in source.cells[i].source.splitlines()} - shared
            own -= {l.strip() for l in source.cells[i].metadata["course"]["stub"].splitlines()}  # given on purpose
            own = {l for l in own if l and not l.startswith(("def ", "#", "return None", '"""'))}
            assert own, f"{name} cell {i}: the notebook gives this solution away elsewhere"
            leaked = own & student_lines
            assert not leaked, f"{student_path.name}: solution lines leaked: {sorted(leaked)[:3]}"
        assert not any(editions.is_solution(c) for c in student.cells)
    for path in built["instructor"]:
        assert _solutions(nbformat.read(path, as_version=4)), f"{path.name}: the instructor edition lost its solutions"


def test_both_editions_keep_the_colab_bootstrap_cell(built):
    """A student opening the edition on Colab needs it as much as the course notebook does."""
    for edition in editions.EDITIONS:
        for path in built[edition]:
            nb = nbformat.read(path, as_version=4)
            boot = [i for i, c in enumerate(nb.cells) if launch.BOOTSTRAP_TAG in c.metadata.get("tags", [])]
            assert boot == [1], f"{edition}/{path.name}: bootstrap cells at {boot}, expected the second cell only"
            assert nb.cells[1].source == launch.bootstrap_source(), f"{edition}/{path.name}: bootstrap changed"


@pytest.mark.parametrize("name", NAMES)
def test_self_checks_reject_the_stubs(name, built):
    """Run the setup cell, then each stub and the check cell after it."""
    from course_utils.execute import NotebookClient

    student = nbformat.read(next(p for p in built["student"] if p.name == name), as_version=4)
    setup = next(c for c in student.cells if c.cell_type == "code" and "setup_notebook(" in c.source)
    cells, checks = [setup], []
    for i, cell in enumerate(student.cells):
        if "exercise" in cell.metadata.get("tags", []):
            check_cell = next(c for c in student.cells[i + 1:] if c.cell_type == "code")
            cells += [cell, check_cell]
            checks.append(check_cell)
    mini = nbformat.v4.new_notebook(cells=[nbformat.from_dict(c) for c in cells], metadata=student.metadata)
    env_before = dict(os.environ)
    os.environ.update({"COURSE_FAST": "1", "COURSE_CHECK_STRICT": "0"})
    try:
        NotebookClient(mini, timeout=300, allow_errors=True,
                       resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    rejected = 0
    for cell in mini.cells[2::2]:
        text = "".join(o.get("text", "") for o in cell.outputs)
        errors = [o.get("ename") for o in cell.outputs if o.get("output_type") == "error"]
        if errors == ["NameError"] and "❌" not in text:
            continue  # this check needs data from earlier cells, which the short run skips
        assert "❌" in text and "✅" not in text, f"{name}: check did not reject the stub: {cell.source!r} -> {text!r}"
        rejected += 1
    assert rejected >= 2, f"{name}: only {rejected} self-checks could be shown to reject their stubs"


# ---------------------------------------------------------------- a small course repository (conftest.py)

def test_editions_come_from_the_committed_notebooks(course_repo):
    """Scratch cells, a revealed solution, saved outputs and a student's own
    notebook in the working files never reach an edition."""
    repo = course_repo
    work = repo.notebooks / "00_a.ipynb"
    nb = nbformat.read(work, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("SCRATCH = 1"))
    nb.cells[1].metadata["tags"] = []            # an instructor revealed the solution while teaching
    nbformat.write(nb, work)
    repo.write("Untitled.ipynb", repo.notebook("my own notes"))
    lines = []
    result = editions.build(repo.path / "editions", repo.path, say=lines.append)
    assert [p.name for p in result["student"]] == ["00_a.ipynb", "01_b.ipynb"]
    student = (repo.path / "editions" / "student" / "00_a.ipynb").read_text()
    assert "SCRATCH" not in student and "x + 1" not in student and "committed 00_a" in student
    assert "SCRATCH" not in (repo.path / "editions" / "instructor" / "00_a.ipynb").read_text()
    assert not (repo.path / "editions" / "student" / "Untitled.ipynb").exists()
    assert result.source.startswith("git HEAD")
    assert any("00_a.ipynb differs from the committed version" in l for l in lines)
    assert any("Untitled.ipynb is not part of the course" in l for l in lines)


def test_without_git_the_working_files_are_used_and_said(tmp_path, monkeypatch, make_notebook):
    (tmp_path / "notebooks").mkdir()
    nbformat.write(make_notebook("working 00"), tmp_path / "notebooks" / "00_a.ipynb")
    nbformat.write(make_notebook("mine"), tmp_path / "notebooks" / "00_a-Copy1.ipynb")
    lines = []
    result = editions.build(tmp_path / "editions", tmp_path, say=lines.append)
    assert [p.name for p in result["student"]] == ["00_a.ipynb"]
    assert sum("no git" in l for l in lines) == 1
    monkeypatch.setenv("PATH", "")                # git not installed at all
    assert not shipped.course_notebooks(tmp_path).from_git


def test_a_rerun_never_overwrites_a_students_work(course_repo):
    repo = course_repo
    out = repo.path / "editions"
    quiet = lambda line: None  # noqa: E731
    editions.build(out, repo.path, say=quiet)
    mine = out / "student" / "00_a.ipynb"
    nb = nbformat.read(mine, as_version=4)
    nb.cells[1].source = "def f(x):\n    return x + 1  # my answer"
    nbformat.write(nb, mine)
    my_bytes = mine.read_bytes()

    # 1. the course has not changed: the student's file is kept, nothing else written
    lines = []
    result = editions.build(out, repo.path, say=lines.append)
    assert mine.read_bytes() == my_bytes and result.kept == [mine]
    assert not (out / "student" / "00_a.new.ipynb").exists()
    assert sum("kept your changes" in l and "00_a.ipynb" in l for l in lines) == 1

    # 2. the course changed: the student's file is kept, the new version lies beside it, one line says so
    for name in ("00_a.ipynb", "01_b.ipynb"):
        repo.write(name, repo.notebook(f"updated {name}"))
    repo.commit()
    lines = []
    result = editions.build(out, repo.path, say=lines.append)
    assert mine.read_bytes() == my_bytes
    beside = out / "student" / "00_a.new.ipynb"
    assert "updated 00_a" in beside.read_text() and beside in result["student"]
    assert [l for l in lines if "kept your changes" in l] == \
        [f"kept your changes in {mine}; the new course version is beside it: 00_a.new.ipynb"]
    # files the student did not touch are simply updated
    assert "updated 01_b" in (out / "student" / "01_b.ipynb").read_text()
    assert "updated 00_a" in (out / "instructor" / "00_a.ipynb").read_text()

    # 3. another update replaces our .new file, never the student's
    repo.write("00_a.ipynb", repo.notebook("again"))
    repo.commit()
    editions.build(out, repo.path, say=quiet)
    assert mine.read_bytes() == my_bytes and "again" in beside.read_text()
    assert not (out / "student" / "00_a.new-2.ipynb").exists()

    # 4. the student edits the .new file too: it is kept as well
    beside.write_text(beside.read_text().replace("again", "my notes on the new version"))
    repo.write("00_a.ipynb", repo.notebook("third"))
    repo.commit()
    editions.build(out, repo.path, say=quiet)
    assert mine.read_bytes() == my_bytes and "my notes" in beside.read_text()
    assert "third" in (out / "student" / "00_a.new-2.ipynb").read_text()


def test_existing_files_without_a_manifest_are_kept(course_repo):
    """Editions built before the manifest existed (or a lost manifest): a file
    that differs from the new version may be the student's, so it is kept."""
    out = course_repo.path / "editions"
    (out / "student").mkdir(parents=True)
    (out / "student" / "00_a.ipynb").write_text("my work")
    editions.build(out, course_repo.path, say=lambda line: None)
    assert (out / "student" / "00_a.ipynb").read_text() == "my work"
    assert (out / "student" / "00_a.new.ipynb").exists()


def test_course_py_editions_runs_the_package_builder(tmp_path):
    """`course.py editions` reaches the builder as a module (no sys.path tricks)."""
    done = subprocess.run([sys.executable, "-m", "course_utils.editions", str(tmp_path / "out")],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "student: " in done.stdout and (tmp_path / "out" / "student").is_dir()
    assert "course_utils.editions" in (ROOT / "course.py").read_text()
