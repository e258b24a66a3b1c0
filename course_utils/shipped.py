"""What the course ships: the notebooks git tracks, as committed (git HEAD).

A student's working copy holds more than the course: notebooks of their own
in ``notebooks/``, course notebooks that JupyterLab autosaved with outputs,
scratch cells. The editions builder and ``course.py test`` work on what git
committed, so none of that leaks into an edition or fails a test.

Standard library only: ``course.py`` imports this before anything is installed.

:func:`course_notebooks` returns a :class:`Shipped` (the notebooks' names and
bytes, where they came from, and one-line notes about working files that
differ); :func:`export_notebooks` writes them into a folder.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["REPO_ROOT", "Shipped", "course_notebooks", "export_notebooks", "without_outputs", "COURSE_NOTEBOOK_NAME"]

REPO_ROOT = Path(__file__).resolve().parent.parent
# Without git, a course notebook is told from a student's by its name: "05_cnn_mnist.ipynb",
# not "Untitled.ipynb" or JupyterLab's "05_cnn_mnist-Copy1.ipynb".
COURSE_NOTEBOOK_NAME = re.compile(r"^\d\d_[a-z0-9_]+\.ipynb$")


@dataclass
class Shipped:
    """The course notebooks: ``files`` maps a file name ("05_cnn_mnist.ipynb")
    to its bytes, sorted by name; ``source`` says where they came from
    ("git HEAD 1a2b3c4" or the working files); ``from_git`` is True when they
    are the committed blobs; ``notes`` are one-line remarks for the user
    (uncommitted changes left out, no git)."""
    files: dict[str, bytes]
    source: str
    from_git: bool
    notes: list[str] = field(default_factory=list)


def _git(root: Path, *args: str) -> bytes | None:
    """Output of ``git args`` in ``root``, or None when git is missing or fails."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        done = subprocess.run([git, "-C", str(root), *args], capture_output=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def _from_git(root: Path, folder: str) -> Shipped | None:
    top = _git(root, "rev-parse", "--show-toplevel")
    head = _git(root, "rev-parse", "--short", "HEAD")
    if top is None or head is None:
        return None
    prefix = (root.resolve().relative_to(Path(top.decode().strip()).resolve()) / folder).as_posix()
    listing = _git(root, "ls-tree", "-r", "--full-name", "--name-only", "HEAD", "--", f"{prefix}/")
    if listing is None:
        return None
    names = sorted(p for p in listing.decode().splitlines()
                   if p.endswith(".ipynb") and p.count("/") == prefix.count("/") + 1)
    files, notes = {}, []
    for full in names:
        blob = _git(root, "show", f"HEAD:{full}")
        if blob is None:
            return None
        name = full.rsplit("/", 1)[-1]
        files[name] = blob
        working = root / folder / name
        if not working.exists():
            notes.append(f"{folder}/{name} is deleted in your working copy; using the committed version.")
        elif working.read_bytes() != blob:
            notes.append(f"{folder}/{name} differs from the committed version (your edits or saved "
                         f"outputs); using the committed version.")
    tracked = set(files)
    for extra in sorted((root / folder).glob("*.ipynb")):
        if extra.name not in tracked:
            notes.append(f"{folder}/{extra.name} is not part of the course (git does not track it); left out.")
    return Shipped(files, f"git HEAD {head.decode().strip()}", True, notes)


def course_notebooks(root: Path | str | None = None, folder: str = "notebooks") -> Shipped:
    """The course notebooks in ``root/folder`` as git committed them (HEAD).

    Without git (a downloaded zip, git not installed, no commit yet), the
    working files whose names look like course notebooks ("05_cnn_mnist.ipynb"),
    with one note saying so."""
    root = Path(root or REPO_ROOT)
    shipped = _from_git(root, folder)
    if shipped is not None:
        return shipped
    files = {p.name: p.read_bytes() for p in sorted((root / folder).glob("*.ipynb"))
             if COURSE_NOTEBOOK_NAME.match(p.name)}
    note = (f"no git history here: using the working files in {folder}/ that are named like course "
            f"notebooks (your own edits and saved outputs in them are included).")
    return Shipped(files, f"working files in {root / folder} (no git)", False, [note])


def without_outputs(blob: bytes) -> bytes:
    """A notebook's bytes with every code cell's outputs and execution count
    cleared, as the course commits them."""
    nb = json.loads(blob.decode("utf-8"))
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    return (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def export_notebooks(dest: Path | str, root: Path | str | None = None, folder: str = "notebooks") -> Shipped:
    """Write the course notebooks (see :func:`course_notebooks`) into
    ``dest``, emptied first of any ``.ipynb`` files; return the :class:`Shipped`.
    Without git, the working files are written with their outputs cleared
    (the course commits none), so outputs a student saved cannot fail a test."""
    shipped = course_notebooks(root, folder)
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.ipynb"):
        old.unlink()
    for name, blob in shipped.files.items():
        if not shipped.from_git:
            try:
                blob = without_outputs(blob)
            except (ValueError, UnicodeDecodeError):
                pass  # not valid JSON: written as it is, and the test run reports it
        (dest / name).write_bytes(blob)
    return shipped
