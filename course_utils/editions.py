"""Build the student and instructor editions of the course.

    python3 course.py editions [OUT_DIR]   ->  OUT_DIR/student/*.ipynb, OUT_DIR/instructor/*.ipynb
                                              (OUT_DIR defaults to editions/)
    python3 course.py editions --nbgrader [OUT_DIR]  ->  an nbgrader course folder (course_utils/grading.py;
                                              OUT_DIR defaults to editions/nbgrader/)

The editions are built from the notebooks as committed (git HEAD; see
:mod:`course_utils.shipped`), so scratch cells, saved outputs and a revealed
solution in the working files never reach them. Without git, from the
working files, and one line says so.

In the notebooks, each exercise's solution is a code cell tagged ``solution``
(its source hidden by default in JupyterLab). The instructor edition is the
notebooks as they are, outputs cleared. The student edition replaces every
solution with the stub stored in the cell's ``metadata.course.stub`` (a
function that returns None or raises NotImplementedError, which the
self-check rejects), and keeps the cell tagged ``exercise`` instead.

Students work in ``editions/student/``, so a re-run never overwrites their
work: ``OUT_DIR/.manifest.json`` records the sha256 of every file the builder
wrote. A file that still has that content is replaced by the new version; a
file that differs (the student edited it) is kept, the new version is written
beside it as ``NAME.new.ipynb``, and one line says so.

:func:`build` returns a :class:`Build`; :func:`student_version` and
:func:`instructor_version` return converted copies of one notebook.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .shipped import REPO_ROOT, course_notebooks

__all__ = ["build", "Build", "student_version", "instructor_version", "is_solution", "MANIFEST",
           "DEFAULT_STUB"]

DEFAULT_STUB = "# YOUR CODE HERE\nraise NotImplementedError\n"
MANIFEST = ".manifest.json"
EDITIONS = ("student", "instructor")


def is_solution(cell) -> bool:
    """True for a code cell tagged ``solution``."""
    return cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])


def student_version(nb):
    """Return a copy of ``nb`` with every solution replaced by its stub and outputs cleared."""
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
    """Return a copy of ``nb`` with outputs cleared (solutions kept)."""
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


@dataclass
class Build:
    """What :func:`build` did. ``written[edition]``: the path of the new
    version of each notebook, in the course's order (the notebook itself, or
    ``NAME.new.ipynb`` beside a file the student changed); ``kept``: files
    left untouched because the student changed them; ``messages``: the lines
    printed; ``source``: where the notebooks came from."""
    written: dict[str, list[Path]]
    kept: list[Path] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    source: str = ""

    def __getitem__(self, edition: str) -> list[Path]:
        return self.written[edition]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no manifest yet (or unreadable): every existing file counts as the student's
    return {k: v for k, v in data.get("files", {}).items() if isinstance(v, str)} if isinstance(data, dict) else {}


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _beside(target: Path, manifest: dict[str, str], out_dir: Path, new_sha: str) -> Path:
    """The first ``NAME.new.ipynb`` / ``NAME.new-2.ipynb`` ... that is free,
    ours (unchanged since we wrote it) or already the new version."""
    for i in range(1, 1000):
        candidate = target.with_name(f"{target.stem}.new{'' if i == 1 else f'-{i}'}{target.suffix}")
        if not candidate.exists():
            return candidate
        current = _sha(candidate.read_bytes())
        if current in (new_sha, manifest.get(candidate.relative_to(out_dir).as_posix())):
            return candidate
    raise RuntimeError(f"too many {target.stem}.new-N{target.suffix} files in {target.parent}")


def build(out_dir: Path | str | None = None, root: Path | str | None = None, say=print) -> Build:
    """Write both editions of the committed notebooks of ``root`` (the
    repository) into ``out_dir`` (default ``root/editions``), never
    overwriting a file the student changed. ``say`` receives one line per
    event worth telling (pass ``lambda line: None`` to stay quiet)."""
    root = Path(root or REPO_ROOT)
    out_dir = Path(out_dir) if out_dir is not None else root / "editions"
    shipped = course_notebooks(root)
    result = Build({edition: [] for edition in EDITIONS}, source=shipped.source)

    def tell(line: str) -> None:
        result.messages.append(line)
        say(line)

    if shipped.from_git:
        tell(f"building the editions from {shipped.source}")   # else the note says where from
    for note in shipped.notes:
        tell(note)
    manifest_path = out_dir / MANIFEST
    manifest = _read_manifest(manifest_path)
    counts = {edition: {"new": 0, "updated": 0, "unchanged": 0, "kept": 0} for edition in EDITIONS}
    for name, blob in shipped.files.items():
        nb = nbformat.reads(blob.decode("utf-8"), as_version=4)
        for edition, make in (("student", student_version), ("instructor", instructor_version)):
            target = out_dir / edition / name
            target.parent.mkdir(parents=True, exist_ok=True)
            data = nbformat.writes(make(nb)).encode("utf-8") + b"\n"
            new_sha, key = _sha(data), target.relative_to(out_dir).as_posix()
            current = _sha(target.read_bytes()) if target.exists() else None
            if current is None or current == manifest.get(key):
                _write_atomic(target, data)        # ours, untouched since we wrote it (or not there yet)
                counts[edition]["new" if current is None else "updated" if current != new_sha else "unchanged"] += 1
                written = target
            elif current == new_sha:
                counts[edition]["unchanged"] += 1
                written = target
            else:                                   # the student changed it: keep it
                result.kept.append(target)
                counts[edition]["kept"] += 1
                if manifest.get(key) == new_sha:
                    tell(f"kept your changes in {target} (the course version has not changed; "
                         f"rename your file to get a fresh copy)")
                    result.written[edition].append(target)
                    continue
                written = _beside(target, manifest, out_dir, new_sha)
                _write_atomic(written, data)
                tell(f"kept your changes in {target}; the new course version is beside it: {written.name}")
                # the kept file stays recorded as what we wrote before, so it stays "changed"
                key = written.relative_to(out_dir).as_posix()
            manifest[key] = new_sha
            result.written[edition].append(written)
    _write_atomic(manifest_path, json.dumps({"about": "sha256 of each file `course.py editions` wrote; "
                                                      "a file that differs is the student's and is never "
                                                      "overwritten", "files": dict(sorted(manifest.items()))},
                                            indent=1).encode("utf-8"))
    for edition in EDITIONS:
        c = counts[edition]
        parts = ", ".join(f"{n} {what}" for what, n in c.items() if n)
        tell(f"{edition}: {len(result.written[edition])} notebooks in {out_dir / edition} ({parts})")
    return result


def main(argv: list[str]) -> int:
    if argv and argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    if "--nbgrader" in argv:   # the nbgrader course folder (course_utils/grading.py)
        from .grading import build as build_nbgrader

        rest = [a for a in argv if a != "--nbgrader"]
        build_nbgrader(Path(rest[0]) if rest else None)
        return 0
    out_dir = Path(argv[0]) if argv else None
    build(out_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
