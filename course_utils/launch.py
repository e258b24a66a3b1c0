"""Open the course without installing it: Colab and Binder links, and the
bootstrap lines at the top of every notebook's first code cell.

    python3 course.py links           write/update them in every notebook and the README
    python3 course.py links --check   exit 1 when something is missing or out of date

The repository's public address is the one constant :data:`REPOSITORY`
(``owner/name`` on GitHub) with :data:`BRANCH`: change them here and run
``python3 course.py links`` again. The bootstrap, on a Python without
``course_utils`` (Colab), installs the course package from the repository and
those of the course's pinned packages (``requirements.txt``, less the ones a
kernel never imports) that are missing, keeps the versions Colab already has,
and prints one line saying what it did. ``COURSE_SOURCE`` overrides where the
package comes from (a local checkout, a fork). Both edits are idempotent: the
bootstrap sits between two marker lines and the links in one marked line.

Standard library only: ``course.py`` imports it before anything is installed.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["REPOSITORY", "BRANCH", "colab_url", "binder_url", "bootstrap_source", "runtime_pins",
           "install_missing", "with_bootstrap", "with_links", "update_notebooks", "update_readme", "readme_block"]

REPOSITORY = "your-org/dl-course"     # <- the course's GitHub owner/name: change it, then `python3 course.py links`
BRANCH = "main"

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "# --- course bootstrap (python3 course.py links): installs the course on Colab; the same in every notebook"
END = "# --- end of the course bootstrap"
LINKS_MARK = "<!-- launch links: python3 course.py links -->"
README_BEGIN = "<!-- launch links: python3 course.py links -->"
README_END = "<!-- end of launch links -->"
# pinned for the course's tools, never imported by a notebook's kernel: not installed on Colab
NOT_FOR_THE_KERNEL = {"jupyterlab", "jupyterlab-rise", "jupyterlab-slideshow", "nbval", "nbformat", "nbclient",
                      "nbconvert", "pytest", "pytest-xdist", "playwright", "jupyterhub", "ipykernel", "notebook",
                      "jupyter-server-mathjax", "nbgrader"}


def colab_url(notebook: str, repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """Google Colab opens the notebook straight from GitHub."""
    return f"https://colab.research.google.com/github/{repository}/blob/{branch}/notebooks/{notebook}"


def binder_url(notebook: str = "00_setup.ipynb", repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """mybinder.org builds the repository from environment.yml and opens JupyterLab on the notebook."""
    return f"https://mybinder.org/v2/gh/{repository}/{branch}?urlpath=lab/tree/notebooks/{notebook}"


def runtime_pins(requirements: Path = ROOT / "requirements.txt") -> list[str]:
    """The ``name==version`` pins of requirements.txt that a notebook's kernel needs."""
    pins = []
    for line in requirements.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line and line.split("==")[0].strip().lower() not in NOT_FOR_THE_KERNEL:
            pins.append(line.replace(" ", ""))
    return pins


def bootstrap_source(pins: list[str] | None = None, repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The lines that go first in every notebook's first code cell. They
    install only the course package itself, then leave the rest to
    :func:`install_missing` (from the package just installed)."""
    pins = runtime_pins() if pins is None else pins
    source = f"git+https://github.com/{repository}@{branch}"
    return f"""{BEGIN}
import importlib, importlib.util, os, subprocess, sys
if importlib.util.find_spec("course_utils") is None:
    _source = os.environ.get("COURSE_SOURCE", "{source}")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", _source], check=True)
    importlib.invalidate_caches()
    from course_utils.launch import install_missing
    install_missing(_source, "{' '.join(pins)}")
{END}"""


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


def _strip_block(source: str) -> str:
    if BEGIN.split(" (")[0] not in source:
        return source
    start = source.index(BEGIN.split(" (")[0])
    end = source.find(END, start)
    if end < 0:
        raise ValueError("the course bootstrap has a start line and no end line: restore the end line "
                         f"{END!r} or delete the block, then run `python3 course.py links` again")
    end = source.find("\n", end)
    return source[:start] + ("" if end < 0 else source[end + 1:])


def with_bootstrap(nb: dict, block: str | None = None) -> dict:
    """``nb`` (notebook JSON as a dict) with the bootstrap first in its first
    code cell, replacing an older one; cells are otherwise untouched."""
    block = bootstrap_source() if block is None else block
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            rest = _strip_block(_text(cell["source"])).lstrip("\n")
            cell["source"] = _lines(block + "\n" + rest)
            return nb
    raise ValueError("the notebook has no code cell for the bootstrap")


def with_links(nb: dict, name: str, repository: str = REPOSITORY, branch: str = BRANCH) -> dict:
    """``nb`` with one line of Colab and Binder links at the end of its first
    markdown cell (a new first cell when it starts with code)."""
    line = (f"[Open in Colab]({colab_url(name, repository, branch)}) · "
            f"[Open in Binder]({binder_url(name, repository, branch)}) {LINKS_MARK}")
    first = nb["cells"][0] if nb["cells"] else None
    if first is None or first["cell_type"] != "markdown":
        nb["cells"].insert(0, {"cell_type": "markdown", "metadata": {"slideshow": {"slide_type": "slide"}},
                               "source": _lines(line)})
        return nb
    kept = [ln for ln in _text(first["source"]).split("\n") if LINKS_MARK not in ln]
    while kept and not kept[-1].strip():
        kept.pop()
    first["source"] = _lines("\n".join(kept) + "\n\n" + line)
    return nb


def readme_block(names: list[str], repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    rows = "\n".join(f"- `{Path(n).stem}`: [open in Colab]({colab_url(n, repository, branch)}) · "
                     f"[open in Binder]({binder_url(n, repository, branch)})" for n in names)
    return (f"{README_BEGIN}\nWithout installing anything: Colab installs the course package in the "
            "notebook's first cell; Binder builds `environment.yml` and opens JupyterLab on the notebook."
            f"\n\n{rows}\n{README_END}")


def update_notebooks(root: Path = ROOT, check: bool = False) -> list[str]:
    """Write the bootstrap and the links into every ``notebooks/NN_*.ipynb``
    and the launch block into the README (after the course map table).
    Returns the files that changed (with ``check``: that would change)."""
    changed = []
    names = sorted(p.name for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for name in names:
        path = root / "notebooks" / name
        text = path.read_text(encoding="utf-8")
        nb = with_links(with_bootstrap(json.loads(text)), name)
        new = json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n"
        if new != text:
            changed.append(str(path.relative_to(root)))
            if not check:
                path.write_text(new, encoding="utf-8")
    if update_readme(root, names, check):
        changed.append("README.md")
    return changed


def update_readme(root: Path = ROOT, names: list[str] | None = None, check: bool = False) -> bool:
    """Write (or replace) the launch block right after the README's course
    map table. Returns True when the README changed (would change)."""
    names = names if names is not None else sorted(p.name for p in (root / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    readme = root / "README.md"
    text = readme.read_text(encoding="utf-8")
    block = readme_block(names)
    if README_BEGIN in text:
        new = re.sub(re.escape(README_BEGIN) + ".*?" + re.escape(README_END), lambda m: block, text, flags=re.S)
    else:   # after the course map's table: the first table following "## Course map"
        at = text.index("## Course map")
        table_end = re.compile(r"\n\|[^\n]*\n(?!\|)").search(text, at)
        new = text[:table_end.end()] + "\n" + block + "\n" + text[table_end.end():]
    if new != text and not check:
        readme.write_text(new, encoding="utf-8")
    return new != text


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def _lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    changed = update_notebooks(check=check)
    verb = "out of date" if check else "updated"
    print(f"[course] launch links and bootstrap for {REPOSITORY}@{BRANCH}: "
          + (f"{verb}: {', '.join(changed)}" if changed else "all up to date"))
    return 1 if check and changed else 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
