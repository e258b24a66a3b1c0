"""Student / instructor editions: no solution code reaches students, and the
self-checks reject the stubs students start from."""
import os
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import editions  # noqa: E402

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return editions.build(tmp_path_factory.mktemp("editions"))


def _solutions(nb):
    return [i for i, c in enumerate(nb.cells) if editions.is_solution(c)]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_exercises_are_tagged_hidden_and_stubbed(path):
    nb = nbformat.read(path, as_version=4)
    solutions = _solutions(nb)
    assert 2 <= len(solutions) <= 4, f"{path.name}: expected 2-4 exercises, found {len(solutions)}"
    for i in solutions:
        cell = nb.cells[i]
        assert cell.metadata.get("jupyter", {}).get("source_hidden"), f"{path.name} cell {i} is not collapsed"
        assert cell.metadata.get("course", {}).get("stub"), f"{path.name} cell {i} has no stub"


def test_student_edition_contains_no_solution_code(built):
    for source_path, student_path in zip(sorted((ROOT / "notebooks").glob("*.ipynb")), built["student"]):
        source, student = nbformat.read(source_path, as_version=4), nbformat.read(student_path, as_version=4)
        student_lines = {l.strip() for c in student.cells for l in c.source.splitlines()}
        shared = {l.strip() for c in source.cells if not editions.is_solution(c) for l in c.source.splitlines()}
        for i in _solutions(source):
            # lines that only the solution has (boilerplate shared with other cells is no leak)
            own = {l.strip() for l in source.cells[i].source.splitlines()} - shared
            own -= {l.strip() for l in source.cells[i].metadata["course"]["stub"].splitlines()}  # given on purpose
            own = {l for l in own if l and not l.startswith(("def ", "#", "return None", '"""'))}
            assert own, f"{source_path.name} cell {i}: the notebook gives this solution away elsewhere"
            leaked = own & student_lines
            assert not leaked, f"{student_path.name}: solution lines leaked: {sorted(leaked)[:3]}"
        assert not any(editions.is_solution(c) for c in student.cells)
    for path in built["instructor"]:
        assert _solutions(nbformat.read(path, as_version=4)), f"{path.name}: the instructor edition lost its solutions"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_self_checks_reject_the_stubs(path, built):
    """Run the setup cell, then each stub and the check cell after it."""
    from nbclient import NotebookClient

    student = nbformat.read(next(p for p in built["student"] if p.name == path.name), as_version=4)
    setup = next(c for c in student.cells if c.cell_type == "code")
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
        assert "❌" in text and "✅" not in text, f"{path.name}: check did not reject the stub: {cell.source!r} -> {text!r}"
        rejected += 1
    assert rejected >= 2, f"{path.name}: only {rejected} self-checks could be shown to reject their stubs"
