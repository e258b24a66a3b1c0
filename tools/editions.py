"""Build the student and instructor editions of the course.

    python3 course.py editions   ->  editions/student/*.ipynb, editions/instructor/*.ipynb

In the notebooks, each exercise's solution is a code cell tagged ``solution``
(its source hidden by default in JupyterLab). The instructor edition is the
notebooks as they are, outputs cleared. The student edition replaces every
solution with the stub stored in the cell's ``metadata.course.stub`` (a
function that returns None or raises NotImplementedError, which the
self-check rejects), and keeps the cell tagged ``exercise`` instead.
"""
from __future__ import annotations

import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STUB = "# YOUR CODE HERE\nraise NotImplementedError\n"


def is_solution(cell) -> bool:
    return cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])


def student_version(nb):
    """Return a copy of ``nb`` with every solution replaced by its stub."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if is_solution(cell):
            cell.source = cell.metadata.get("course", {}).get("stub") or DEFAULT_STUB
            cell.metadata["tags"] = [t for t in cell.metadata["tags"] if t != "solution"] + ["exercise"]
            cell.metadata.get("jupyter", {}).pop("source_hidden", None)
    return nb


def instructor_version(nb):
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def build(out_dir: Path = ROOT / "editions") -> dict:
    """Write both editions; return {edition: [paths]}."""
    written = {"student": [], "instructor": []}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for edition, make in (("student", student_version), ("instructor", instructor_version)):
            target = out_dir / edition / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(make(nb), target)
            written[edition].append(target)
    return written


if __name__ == "__main__":
    result = build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "editions")
    for edition, paths in result.items():
        print(f"{edition}: {len(paths)} notebooks in {paths[0].parent if paths else '-'}")
