"""Start a student's Jupyter server: give them their own copy of the course first.

Usage (the spawner's command; runs AS the student)::

    python student_start.py <command that starts the single-user server...>

Copies every notebook of ``$COURSE_NOTEBOOKS`` that ``~/notebooks`` does not have yet
(a student's edited notebook is never overwritten; notebooks the instructor adds later
appear at the next start), creates ``$COURSE_CACHE_DIR`` (default
``~/.cache/dl-course``) and fills it with what it lacks from ``$COURSE_CACHE_SEED``
(an instructor's pre-trained model cache, if set), then runs the command.
Files are private to the student (umask 077).
"""
from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

SKIP_SUFFIXES = (".lock", ".tmp", ".part")   # another process's unfinished work


def copy_missing(source: Path, dest: Path) -> list[Path]:
    """Copy files under ``source`` that are missing under ``dest``; return them.
    Existing files, edited or not, are left alone; hidden files and unfinished
    writes (*.lock, *.tmp, *.part) are not copied."""
    copied = []
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if any(part.startswith(".") for part in rel.parts) or path.name.endswith(SKIP_SUFFIXES):
            continue
        target = dest / rel
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            copied.append(target)
    return copied


LAB_SETTINGS = {   # JupyterLab defaults for a class: no "get Jupyter news?" pop-up, no update check
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        '{"fetchNews": "false", "checkForUpdates": false}\n',
}


def write_missing_settings(home: Path) -> None:
    """JupyterLab user settings the course sets once; a student's own choice is kept."""
    for rel, text in LAB_SETTINGS.items():
        path = home / ".jupyter" / "lab" / "user-settings" / rel
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)


def main(argv: list[str]) -> int:
    os.umask(0o077)
    home = Path(os.environ.get("HOME") or Path.home())
    write_missing_settings(home)
    notebooks = os.environ.get("COURSE_NOTEBOOKS", "")
    if notebooks and Path(notebooks).is_dir():
        copied = copy_missing(Path(notebooks), home / "notebooks")
        if copied:
            print(f"[course] copied {len(copied)} course file(s) into {home / 'notebooks'}", flush=True)
    # each student's own model cache (the spawner may have set it already)
    cache = os.environ.setdefault("COURSE_CACHE_DIR", str(home / ".cache" / "dl-course"))
    Path(cache).mkdir(parents=True, exist_ok=True)
    # models the instructor trained once (full mode) for everyone: Run All loads them
    # instead of every student training them again on the shared CPUs
    seed = os.environ.get("COURSE_CACHE_SEED", "")
    if seed and Path(seed).is_dir():
        copied = copy_missing(Path(seed), Path(cache))
        if copied:
            print(f"[course] {len(copied)} pre-trained model file(s) copied into {cache}", flush=True)
    if not argv:
        return 0
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
