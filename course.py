#!/usr/bin/env python3
"""The course's two commands (see README):

    python3 course.py lab    install everything (pinned) and open JupyterLab on the course
    python3 course.py test   install the same and run the whole test suite

Also: ``bench`` (benchmark figures), ``editions`` (student and instructor editions
in editions/), ``hub`` (the course's JupyterHub on this machine for a local demo with
a few test students; see hub/ and the README), ``site`` (the course website in site/:
every notebook executed, readable without installing; ``--fast`` for CI), ``links``
(Colab/Binder links and the Colab bootstrap cell in every notebook), ``install``.
Everything goes into ./.venv; re-runs skip the install when nothing changed.
Needs only Python 3.11 and access to PyPI.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".course-installed"


def say(msg: str) -> None:
    print(f"[course] {msg}", flush=True)


def run(*cmd, env=None) -> int:
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, env=env)


def install() -> None:
    """Create .venv and install the pinned packages plus course_utils (editable)."""
    if sys.version_info[:2] != (3, 11):
        say(f"warning: the course is pinned for Python 3.11, this is {sys.version.split()[0]}.")
    wanted = hashlib.sha256((ROOT / "requirements.txt").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
                            + (ROOT / "tools" / "patch_slideshow.py").read_bytes()).hexdigest()
    if PY.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        say("environment up to date (.venv)")
        return
    if not PY.exists():
        say("creating .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    say("installing pinned packages (first time: a few minutes)")
    steps = [[PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip"],
             [PY, "-m", "pip", "install", "--quiet", "-r", ROOT / "requirements.txt"],
             [PY, "-m", "pip", "install", "--quiet", "--no-deps", "-e", ROOT]]
    for step in steps:
        if run(*step) != 0:
            sys.exit(f"[course] install failed: {' '.join(map(str, step))}")
    patch_slideshow()
    STAMP.write_text(wanted)
    say("environment ready")


def patch_slideshow() -> None:
    """Slides: carry the one-line jupyterlab-slideshow fix (tools/patch_slideshow.py)."""
    if run(PY, ROOT / "tools" / "patch_slideshow.py") != 0:
        say("warning: could not patch jupyterlab-slideshow; cells marked '-' may be missing from decks")


FIRST_NOTEBOOK = "notebooks/00_setup.ipynb"


def lab_command(extra: list[str] = ()) -> list:
    """The JupyterLab command line: on 127.0.0.1 with its token, and the printed URL
    opens the first notebook rather than the Launcher."""
    return [PY, "-m", "jupyterlab", f"--ServerApp.root_dir={ROOT}", "--ServerApp.ip=127.0.0.1",
            f"--LabApp.default_url=/lab/tree/{FIRST_NOTEBOOK}",
            *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []), *extra]


def lab(extra: list[str]) -> int:
    install()
    say(f"opening JupyterLab on {FIRST_NOTEBOOK} (the URL with its token is printed below; Ctrl-C stops it)")
    say("present a notebook as slides: the deck button in the notebook toolbar; Esc leaves the deck")
    return run(*lab_command(extra))


def _option(extra: list[str], flag: str) -> bool:
    if flag in extra:
        extra.remove(flag)
        return True
    return False


def test(extra: list[str]) -> int:
    """The test suite. Default: unit tests plus every notebook in fast mode.
    ``--full``: the notebooks only, in full mode (what students run), with an
    empty model cache; ``--offline``: on the offline fallbacks (an empty data
    dir, no downloads); ``--notebooks 05 07``: only those notebooks."""
    install()
    import tempfile

    extra = list(extra)
    full, offline = _option(extra, "--full"), _option(extra, "--offline")
    chosen = []
    if "--notebooks" in extra:
        at = extra.index("--notebooks")
        extra.pop(at)
        while at < len(extra) and not extra[at].startswith("-"):
            chosen.append(extra.pop(at))
    env = dict(os.environ)
    env["COURSE_FAST"] = "0" if full else env.get("COURSE_FAST", "1")   # fast: short runs that still train
    env.setdefault("COURSE_CHECK_STRICT", "1")   # shipped solutions must pass their checks; claims must hold
    env.setdefault("MPLBACKEND", "Agg")
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # two notebooks run at once on the two cores: one BLAS thread each avoids
    # oversubscription, which makes small numpy products many times slower
    env.setdefault("OPENBLAS_NUM_THREADS", "1")
    scratch = tempfile.TemporaryDirectory(prefix="course-test-")
    if offline:
        env["COURSE_DATA_DIR"] = os.path.join(scratch.name, "empty-data-dir")
        os.makedirs(env["COURSE_DATA_DIR"])
        env["COURSE_OFFLINE"] = "1"
    if full:
        env["COURSE_CACHE_DIR"] = os.path.join(scratch.name, "model-cache")   # empty: everything trains
    folder = notebooks_under_test()   # the notebooks as committed, not the working files
    notebooks = sorted(str(p.relative_to(ROOT)) for p in folder.glob("*.ipynb")
                       if not chosen or any(p.name.startswith(c) for c in chosen))
    targets = notebooks if (full or chosen) else ["tests", *notebooks]
    lint = 0
    if not full:   # the linter (pyproject.toml [tool.ruff]) over the code and the notebooks' code cells
        say("ruff: " + " ".join(LINTED))
        lint = run(PY, "-m", "ruff", "check", "--no-cache", *LINTED)
        if lint != 0:
            say("ruff found problems (above); the tests run anyway and the command fails at the end")
    say(f"{'FULL' if full else 'fast'} mode, data dir: {env.get('COURSE_DATA_DIR') or ROOT / 'data'}"
        f"{' (offline fallbacks)' if offline else ''}; {len(notebooks)} notebook(s)")
    # One pytest run: whole notebooks stay on one worker with --dist loadfile; tests/conftest.py
    # runs each student-edition notebook as its own unit and the longest units first.
    try:
        result = run(PY, "-m", "pytest", *targets, "--nbval-lax", "--nbval-current-env",
                     f"--nbval-cell-timeout={1800 if full else 600}", "-n", "2", "--dist", "loadfile", "-q",
                     *extra, env=env)
        return result or lint
    finally:
        scratch.cleanup()


LINTED = ["course.py", "course_utils", "tests", "benchmarks", "tools", "hub", "notebooks"]


def notebooks_under_test(root: Path = ROOT) -> Path:
    """Copy the course notebooks as committed (git HEAD) into build/test-notebooks/
    and return that folder: the tests check what the course ships, not a student's
    own notebooks in notebooks/ or outputs JupyterLab autosaved there."""
    from course_utils.shipped import export_notebooks  # standard library only: works before install

    target = root / "build" / "test-notebooks"
    shipped = export_notebooks(target, root)
    say(f"notebooks under test: {len(shipped.files)} from {shipped.source}, copied to {target.relative_to(root)}/")
    for note in shipped.notes:
        say(note)
    return target


def bench(extra: list[str]) -> int:
    install()
    return run(PY, ROOT / "benchmarks" / "run_benchmarks.py", *extra)


def editions(extra: list[str]) -> int:
    """Student and instructor editions of the committed notebooks (course_utils/editions.py)."""
    install()
    return run(PY, "-m", "course_utils.editions", *extra)


def site(extra: list[str]) -> int:
    """The course website in site/: every notebook executed (full mode; --fast for CI),
    static pages that open from the folder with no network (tools/site/build.py --help)."""
    install()
    return run(PY, ROOT / "tools" / "site" / "build.py", *extra)


def links(extra: list[str]) -> int:
    """Colab/Binder links and the Colab bootstrap cell in every notebook and the README
    (course_utils/launch.py); ``--check`` exits 1 on drift; ``--repository OWNER/NAME`` sets
    the course's public address (launch.REPOSITORY, the one setting; now a placeholder)."""
    from course_utils.launch import main as links_main  # standard library only: works before install

    return links_main(extra)


def hub(extra: list[str]) -> int:
    """JupyterHub on 127.0.0.1:8000 with test students (hub/demo.py --help for options)."""
    install()
    # exec: Ctrl-C and kill reach JupyterHub itself, which then stops the students' servers
    os.execv(PY, [str(PY), str(ROOT / "hub" / "demo.py"), *extra])


def main(argv: list[str]) -> int:
    commands = {"lab": lab, "test": test, "bench": bench, "editions": editions, "hub": hub, "links": links,
                "site": site,
                "install": lambda extra: (install(), 0)[1]}
    if not argv or argv[0] not in commands:
        print(__doc__)
        return 2
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
