"""Open the course without installing it: Colab and Binder links, and the
bootstrap cell second in every notebook.

    python3 course.py links                          write/update them in every notebook and the README
    python3 course.py links --check                  exit 1 when something is missing or out of date
    python3 course.py links --repository OWNER/NAME  set the course's public address, then write

Every notebook starts with the same shape: its markdown title cell, ending
with one line of Colab and Binder links; then the **bootstrap cell** (a code
cell tagged ``bootstrap``, left out of the slides and the website); then the
notebook's own first code cell, ``SETUP = setup_notebook(...)``.

The bootstrap, on a Python without ``course_utils`` (Colab), installs the
course package from the repository and those of the course's pinned packages
(``requirements.txt``, less the ones a kernel never imports) that are missing,
keeps the versions Colab already has, and prints one line saying what it did.
Where ``course_utils`` imports (a local install, CI) it does nothing and
prints nothing. ``COURSE_SOURCE`` overrides where the package comes from (a
local checkout, a fork).

The repository's public address is one setting, :data:`REPOSITORY` (GitHub
``owner/name``), with :data:`BRANCH`; ``--repository`` rewrites that line.
While it is the :data:`PLACEHOLDER` the course has no public address: the
notebooks, the README and the website carry no Colab or Binder links (they
would lead nowhere), and the bootstrap, with nothing to install from, says so
in one line. Writing is idempotent: the bootstrap cell is found by its tag
and the links by the marker at the end of their line.

Standard library only: ``course.py`` imports it before anything is installed.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["REPOSITORY", "PLACEHOLDER", "BRANCH", "BOOTSTRAP_TAG", "published", "colab_url", "binder_url",
           "bootstrap_source", "bootstrap_cell", "runtime_pins", "install_missing", "with_bootstrap", "with_links",
           "update_notebooks", "update_readme", "readme_block", "set_repository"]

PLACEHOLDER = "your-org/dl-course"
REPOSITORY = "your-org/dl-course"   # GitHub owner/name; set it with `python3 course.py links --repository OWNER/NAME`
BRANCH = "main"

ROOT = Path(__file__).resolve().parent.parent
BOOTSTRAP_TAG = "bootstrap"
BOOTSTRAP_ID = "course-bootstrap"
BOOTSTRAP_COMMENT = "# Colab only: installs the course; does nothing when course_utils is installed"
LINKS_MARK = "<!-- launch links: python3 course.py links -->"
README_BEGIN = "<!-- launch links: python3 course.py links -->"
README_END = "<!-- end of launch links -->"
ADDRESS = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
# pinned for the course's tools, never imported by a notebook's kernel: not installed on Colab
NOT_FOR_THE_KERNEL = {"jupyterlab", "jupyterlab-rise", "jupyterlab-slideshow", "nbval", "nbformat", "nbclient",
                      "nbconvert", "pytest", "pytest-xdist", "playwright", "jupyterhub", "ipykernel", "notebook",
                      "jupyter-server-mathjax", "nbgrader", "ruff", "jupyterlab-fonts"}
NO_ADDRESS = ("[course] course_utils is not installed in this Python, and the course has no public address yet to "
              "install it from: open this notebook from the course folder (python3 course.py lab), or set "
              "COURSE_SOURCE to a copy of the course")


def published(repository: str | None = None) -> bool:
    """True when ``repository`` (default :data:`REPOSITORY`) is a real address, not the placeholder."""
    return (REPOSITORY if repository is None else repository) != PLACEHOLDER


def colab_url(notebook: str, repository: str | None = None, branch: str = BRANCH) -> str:
    """Google Colab opens the notebook straight from GitHub."""
    return f"https://colab.research.google.com/github/{repository or REPOSITORY}/blob/{branch}/notebooks/{notebook}"


def binder_url(notebook: str = "00_setup.ipynb", repository: str | None = None, branch: str = BRANCH) -> str:
    """mybinder.org builds the repository from environment.yml and opens JupyterLab on the notebook."""
    return f"https://mybinder.org/v2/gh/{repository or REPOSITORY}/{branch}?urlpath=lab/tree/notebooks/{notebook}"


def runtime_pins(requirements: Path = ROOT / "requirements.txt") -> list[str]:
    """The ``name==version`` pins of requirements.txt that a notebook's kernel needs."""
    pins = []
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line and line.split("==")[0].strip().lower() not in NOT_FOR_THE_KERNEL:
            pins.append(line.replace(" ", ""))
    return pins


def bootstrap_source(pins: list[str] | None = None, repository: str | None = None, branch: str = BRANCH) -> str:
    """The source of the bootstrap cell. It installs only the course package
    itself, then leaves the rest to :func:`install_missing` (from the package
    just installed). With the placeholder address and no ``COURSE_SOURCE`` it
    prints :data:`NO_ADDRESS` instead of running pip against an address that
    does not exist."""
    pins = runtime_pins() if pins is None else pins
    repository = repository or REPOSITORY
    install = f"""subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", _source], check=True)
importlib.invalidate_caches()
from course_utils.launch import install_missing

install_missing(_source, "{' '.join(pins)}")"""
    if published(repository):
        body = f'_source = os.environ.get("COURSE_SOURCE", "git+https://github.com/{repository}@{branch}")\n' + install
    else:
        body = ('_source = os.environ.get("COURSE_SOURCE")   # the course has no public address yet\n'
                f"if _source is None:\n    print(\"{NO_ADDRESS}\")\nelse:\n" + _indent(install))
    return f"""{BOOTSTRAP_COMMENT}
import importlib.util

if importlib.util.find_spec("course_utils") is None:
    import os
    import subprocess
    import sys

{_indent(body)}"""


def bootstrap_cell(source: str | None = None, cell_id: str = BOOTSTRAP_ID) -> dict:
    """The bootstrap as a notebook cell: skipped by the slides, tagged ``bootstrap``, no outputs."""
    return {"cell_type": "code", "execution_count": None, "id": cell_id, "outputs": [],
            "metadata": {"slideshow": {"slide_type": "skip"}, "tags": [BOOTSTRAP_TAG]},
            "source": _lines(bootstrap_source() if source is None else source)}


def install_missing(source: str, pins: str) -> list[str]:
    """The bootstrap's second step, once the course package is installed:
    install those ``pins`` (space-separated ``name==version``) whose package
    is missing, keep the versions the machine already has (Colab's
    TensorFlow, say: replacing it would need a runtime restart), and print one
    line saying what was done. Returns the pins it installed."""
    import importlib
    import importlib.metadata
    import subprocess
    import sys

    def version(pin):
        try:
            return importlib.metadata.version(pin.split("==")[0])
        except importlib.metadata.PackageNotFoundError:
            return None

    pins_list = pins.split()
    missing = [p for p in pins_list if version(p) is None]
    kept = [f"{p.split('==')[0]} {version(p)}" for p in pins_list if version(p) not in (None, p.split("==")[1])]
    if missing:
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *missing], check=True)
        importlib.invalidate_caches()
    print(f"[course] installed the course package from {source}; pinned packages installed: "
          f"{', '.join(missing) or 'none'}; kept this machine's {', '.join(kept) or 'none'}"
          + (" (the course is tested with the pinned versions)" if kept else ""))
    return missing


def _is_bootstrap(cell: dict) -> bool:
    return BOOTSTRAP_TAG in cell.get("metadata", {}).get("tags", [])


def with_bootstrap(nb: dict, source: str | None = None) -> dict:
    """``nb`` (notebook JSON as a dict) with the bootstrap cell right before
    its first code cell, replacing an older one (same cell id); other cells
    are untouched."""
    old = [c for c in nb["cells"] if _is_bootstrap(c)]
    nb["cells"] = [c for c in nb["cells"] if not _is_bootstrap(c)]
    at = next((i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"), None)
    if at is None:
        raise ValueError("the notebook has no code cell for the bootstrap to precede")
    first = nb["cells"][at]
    cell = bootstrap_cell(source, old[0].get("id", BOOTSTRAP_ID) if old else BOOTSTRAP_ID)
    if "id" not in first:      # nbformat < 4.5 has no cell ids
        cell.pop("id")
    nb["cells"].insert(at, cell)
    return nb


def with_links(nb: dict, name: str, repository: str | None = None, branch: str = BRANCH) -> dict:
    """``nb`` with one line of Colab and Binder links at the end of its first
    markdown cell, replacing an older line; with the placeholder address, with
    no links line (they would lead nowhere)."""
    first = nb["cells"][0] if nb["cells"] else None
    if first is None or first["cell_type"] != "markdown":
        raise ValueError(f"{name} does not start with its markdown title cell")
    text = _text(first["source"])
    if LINKS_MARK in text:
        kept = [ln for ln in text.split("\n") if LINKS_MARK not in ln]
        while kept and not kept[-1].strip():
            kept.pop()
        text = "\n".join(kept)
    if published(repository):
        text = (f"{text}\n\n[Open in Colab]({colab_url(name, repository, branch)}) · "
                f"[Open in Binder]({binder_url(name, repository, branch)}) {LINKS_MARK}")
    first["source"] = _lines(text)
    return nb


def readme_block(names: list[str], repository: str | None = None, branch: str = BRANCH) -> str:
    if not published(repository):
        return (f"{README_BEGIN}\nColab and Binder: not yet. They open a notebook from the course's public "
                "repository, and the course has none yet; `python3 course.py links --repository OWNER/NAME` "
                "writes the links here and into every notebook's title cell and points the notebooks' Colab "
                f"bootstrap cell at it.\n{README_END}")
    rows = "\n".join(f"- `{Path(n).stem}`: [open in Colab]({colab_url(n, repository, branch)}) · "
                     f"[open in Binder]({binder_url(n, repository, branch)})" for n in names)
    return (f"{README_BEGIN}\nWithout installing anything: Colab installs the course package in the "
            "notebook's bootstrap cell; Binder builds `environment.yml` and opens JupyterLab on the notebook."
            f"\n\n{rows}\n{README_END}")


def update_notebooks(root: Path = ROOT, check: bool = False, repository: str | None = None) -> list[str]:
    """Write the bootstrap cell and the links into every ``notebooks/NN_*.ipynb``
    and the launch block into the README (after the course map table).
    Returns the files that changed (with ``check``: that would change)."""
    changed = []
    names = sorted(p.name for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for name in names:
        path = root / "notebooks" / name
        text = path.read_text(encoding="utf-8")
        nb = with_links(with_bootstrap(json.loads(text), bootstrap_source(repository=repository)), name, repository)
        new = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        if new != text:
            changed.append(str(path.relative_to(root)))
            if not check:
                path.write_text(new, encoding="utf-8")
    if update_readme(root, names, check, repository):
        changed.append("README.md")
    return changed


def update_readme(root: Path = ROOT, names: list[str] | None = None, check: bool = False,
                  repository: str | None = None) -> bool:
    """Write (or replace) the launch block right after the README's course
    map table. Returns True when the README changed (would change)."""
    names = names if names is not None else sorted(p.name for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = readme_block(names, repository)
    if README_BEGIN in text:
        new = re.sub(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), lambda m: block, text, flags=re.S)
    else:   # after the course map's table: the first table following "## Course map"
        at = text.index("## Course map")
        table_end = re.compile(r"\n\|[^\n]*\n(?!\|)").search(text, at)
        new = text[:table_end.end()] + "\n" + block + "\n" + text[table_end.end():]
    if new != text and not check:
        readme.write_text(new, encoding="utf-8")
    return new != text


def set_repository(repository: str, module: Path = Path(__file__)) -> None:
    """Store ``repository`` (``owner/name``) as :data:`REPOSITORY`: rewrite its line in this file."""
    global REPOSITORY
    if not ADDRESS.match(repository):
        raise ValueError(f"a GitHub repository is OWNER/NAME (letters, digits, '-', '.', '_'), not {repository!r}")
    text = module.read_text(encoding="utf-8")
    new, count = re.subn(r'^REPOSITORY = "[^"]*"', f'REPOSITORY = "{repository}"', text, count=1, flags=re.M)
    if count != 1:
        raise ValueError(f"no `REPOSITORY = \"...\"` line in {module}")
    if new != text:
        module.write_text(new, encoding="utf-8")
    REPOSITORY = repository


def _indent(text: str) -> str:
    return "\n".join("    " + ln if ln else ln for ln in text.split("\n"))


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def main(argv: list[str]) -> int:
    argv = list(argv)
    check = "--check" in argv
    if "--repository" in argv:
        at = argv.index("--repository")
        if check or at + 1 >= len(argv):
            print("[course] usage: python3 course.py links --repository OWNER/NAME   (then --check on its own)")
            return 2
        try:
            set_repository(argv[at + 1])
        except ValueError as exc:
            print(f"[course] {exc}")
            return 2
    changed = update_notebooks(check=check)
    verb = "out of date" if check else "updated"
    where = (f"{REPOSITORY}@{BRANCH}" if published() else
             f"no public address yet ({PLACEHOLDER}: no Colab/Binder links; "
             "set one with --repository OWNER/NAME)")
    print(f"[course] bootstrap cell and launch links for {where}: "
          + (f"{verb}: {', '.join(changed)}" if changed else "all up to date"))
    return 1 if check and changed else 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
