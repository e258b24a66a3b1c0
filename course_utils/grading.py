"""The nbgrader edition: grade a class with nbgrader (an instructor tool).

    python3 course.py editions --nbgrader [OUT_DIR]   ->  OUT_DIR (default editions/nbgrader/):
        nbgrader_config.py
        source/<NN_name>/<NN_name>.ipynb      one nbgrader assignment per notebook

From the committed notebooks (as the other editions). Each exercise becomes:

- its **solution cell** (tagged ``solution``) an nbgrader *autograded answer*
  cell: the student stub from ``metadata.course.stub`` first, then the shipped
  solution between ``### BEGIN SOLUTION`` / ``### END SOLUTION``, which
  ``nbgrader generate_assignment`` removes (the release keeps the stub);
- its **check cell** (the first code cell after it calling ``check_nbNN.…``)
  a locked *autograder tests* cell worth one point: the student still sees and
  runs the self-check; hidden tests around it (removed from the release,
  restored by ``nbgrader autograde``) assert that every verdict the self-check
  gave in that cell passed (:func:`course_utils.check.verdicts`).

Then, in an instructor environment (``pip install -e ".[instructor]"``, which
pins nbgrader), from OUT_DIR: ``nbgrader generate_assignment 05_cnn_mnist``,
hand out ``release/``, collect into ``submitted/<student>/05_cnn_mnist/`` and
``nbgrader autograde 05_cnn_mnist``. :func:`nbgrader_version` converts one
notebook; :func:`build` writes the folder and returns its path.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

from .editions import DEFAULT_STUB, is_solution
from .shipped import REPO_ROOT, course_notebooks

__all__ = ["nbgrader_version", "build", "CHECK_CALL", "CONFIG"]

CHECK_CALL = re.compile(r"\bcheck(?:_|\.)nb\d\d\.\w+\(")
SCHEMA = 3
CONFIG = '''# nbgrader configuration of the course's nbgrader edition (python3 course.py editions --nbgrader)
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "dl-course"
# the release keeps the course's own stub above the removed solution: no extra stub line
c.ClearSolutions.code_stub = {"python": "# (write your answer in the code above)"}
# full-mode training cells can take minutes on a CPU
c.Execute.timeout = 1800
'''
HIDDEN_BEFORE = ("### BEGIN HIDDEN TESTS\n"
                 "from course_utils import check as _grading\n"
                 "_graded_from = len(_grading.verdicts())\n"
                 "### END HIDDEN TESTS\n")
HIDDEN_AFTER = ("\n### BEGIN HIDDEN TESTS\n"
                "_graded = _grading.verdicts()[_graded_from:]\n"
                "assert _graded and all(_graded), {message!r}\n"
                "### END HIDDEN TESTS")


def _source(cell) -> str:
    return "".join(cell.source) if isinstance(cell.source, list) else cell.source


def nbgrader_version(nb, name: str):
    """Return ``(notebook, exercises)``: a copy of ``nb`` marked for nbgrader
    (answer cells with their solutions delimited, one-point test cells with
    hidden tests), outputs cleared; ``exercises`` lists the grade ids. Raises
    ValueError when a solution has no check cell after it."""
    nb = nbformat.from_dict(nb)
    stem = Path(name).stem
    number = stem[:2]
    exercises = []
    cells = nb.cells
    for cell in cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    for i, cell in enumerate(cells):
        if not is_solution(cell):
            continue
        k = len(exercises) + 1
        check_at = next((j for j in range(i + 1, len(cells)) if cells[j].cell_type == "code"
                         and not is_solution(cells[j]) and CHECK_CALL.search(_source(cells[j]))), None)
        if check_at is None:
            raise ValueError(f"{name}: the solution in cell {i} has no check cell after it "
                             "(a code cell calling check_nbNN.<check>(...))")
        stub = cell.metadata.get("course", {}).get("stub") or DEFAULT_STUB
        cell.source = f"{stub.rstrip()}\n### BEGIN SOLUTION\n{_source(cell).rstrip()}\n### END SOLUTION"
        cell.metadata.get("jupyter", {}).pop("source_hidden", None)
        grade_id = f"nb{number}-turn{k}"
        cell.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                     "grade_id": f"{grade_id}-answer", "schema_version": SCHEMA}
        check = cells[check_at]
        if "nbgrader" in check.metadata:   # two solutions share one check cell: one test, one point
            continue
        check.source = (HIDDEN_BEFORE + _source(check).rstrip() + HIDDEN_AFTER.format(
            message=f"Exercise {k} of {stem}: its self-check did not pass (its message is above)"))
        check.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 1,
                                      "grade_id": f"{grade_id}-check", "schema_version": SCHEMA}
        exercises.append(grade_id)
    return nb, exercises


def build(out_dir: Path | str | None = None, root: Path | str | None = None, say=print) -> Path:
    """Write the nbgrader course folder (config and ``source/``) of the
    committed notebooks of ``root`` into ``out_dir``; return ``out_dir``."""
    root = Path(root or REPO_ROOT)
    out_dir = Path(out_dir) if out_dir is not None else root / "editions" / "nbgrader"
    shipped = course_notebooks(root)
    for note in shipped.notes:
        say(note)
    (out_dir / "source").mkdir(parents=True, exist_ok=True)
    (out_dir / "nbgrader_config.py").write_text(CONFIG)
    total = 0
    for name, blob in shipped.files.items():
        nb, exercises = nbgrader_version(nbformat.reads(blob.decode("utf-8"), as_version=4), name)
        target = out_dir / "source" / Path(name).stem / name
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        total += len(exercises)
    say(f"nbgrader: {len(shipped.files)} assignments ({total} graded exercises, 1 point each) in "
        f"{out_dir / 'source'} from {shipped.source}; next, in an environment with nbgrader "
        f"(pip install -e \".[instructor]\"): cd {out_dir} && nbgrader generate_assignment <NN_name>")
    return out_dir


if __name__ == "__main__":
    build(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
