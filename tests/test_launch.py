"""Colab/Binder links and the Colab bootstrap cell (issue 20, point 2; "reach",
"one shape"): `python3 course.py links` gives every notebook the same top
(title + links line, bootstrap cell, setup_notebook) idempotently; without a
public address there are no links and the bootstrap says so in one line; and
the bootstrap, run in a fresh virtual environment that lacks course_utils,
installs the course package (from this checkout, not the network) and the
missing pins, then says so in one line."""
from __future__ import annotations

import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import nbformat
import pytest

from course_utils import launch

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def _text(cell):
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _first_code(nb):
    return next(_text(c) for c in nb["cells"] if c["cell_type"] == "code")


def _bootstrap_cells(nb):
    return [i for i, c in enumerate(nb["cells"]) if launch.BOOTSTRAP_TAG in c["metadata"].get("tags", [])]


REAL = "some-owner/some-course"   # a made-up published address: the links appear


@pytest.mark.parametrize("repository", [None, REAL], ids=["placeholder", "published"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_notebook_gets_title_links_bootstrap_setup_once_and_nothing_else_changes(path, repository):
    """Title cell (+ one links line when the course has an address), then the
    bootstrap cell (skipped by the slides, tagged), then setup_notebook: the
    same shape in every notebook, written once however often it runs."""
    def write(nb):
        return launch.with_links(launch.with_bootstrap(nb, launch.bootstrap_source(repository=repository)),
                                 path.name, repository)

    original = json.loads(path.read_text())
    plain = copy.deepcopy(original)   # the notebook without bootstrap and links: what the writer must keep
    plain["cells"] = [c for c in plain["cells"] if launch.BOOTSTRAP_TAG not in c["metadata"].get("tags", [])]
    plain["cells"][0]["source"] = [ln for ln in plain["cells"][0]["source"] if launch.LINKS_MARK not in ln]
    plain["cells"][0]["source"] = launch._lines(launch._text(plain["cells"][0]["source"]).rstrip())
    once = write(copy.deepcopy(plain))
    twice = write(copy.deepcopy(once))
    assert once == twice, "a second run changed the notebook"
    assert write(copy.deepcopy(original)) == once, "the committed notebook is not what the writer makes"
    nbformat.validate(nbformat.from_dict(once))
    cells = once["cells"]
    assert _bootstrap_cells(once) == [1], "the bootstrap is the second cell, once"
    boot = cells[1]
    assert boot["cell_type"] == "code" and boot["metadata"]["slideshow"]["slide_type"] == "skip"
    assert _text(boot).startswith("# Colab only: installs the course; does nothing when course_utils is installed")
    assert boot["outputs"] == [] and boot["execution_count"] is None
    assert _text(cells[2]).startswith("from course_utils import setup_notebook\n")
    ids = [c.get("id") for c in cells]
    assert len(set(ids)) == len(ids)
    # every other cell as it was, ids included; the title cell gains at most the links line
    assert cells[2:] == plain["cells"][1:]
    title, first = _text(plain["cells"][0]), _text(cells[0])
    if repository is None:
        assert first == title and "colab" not in first.lower()
    else:
        assert first.startswith(title + "\n\n") and first.count("\n") == title.count("\n") + 2
        assert first.count(launch.LINKS_MARK) == 1
        assert launch.colab_url(path.name, REAL) in first and launch.binder_url(path.name, REAL) in first
        assert "lab/tree/notebooks/" + path.name in first
    # a bootstrap made for other pins and another address is replaced, not stacked; its id is kept
    old = launch.with_bootstrap(copy.deepcopy(plain), launch.bootstrap_source(["numpy==1.0"], "old/repo"))
    old["cells"][1]["id"] = "kept-id"
    again = launch.with_bootstrap(old, launch.bootstrap_source(repository=repository))
    assert _bootstrap_cells(again) == [1] and again["cells"][1]["id"] == "kept-id"
    assert _text(again["cells"][1]) == _text(boot)


def test_the_repository_is_one_setting_and_the_placeholder_makes_no_links(tmp_path, monkeypatch):
    assert launch.REPOSITORY == launch.PLACEHOLDER or launch.published()
    assert not launch.published(launch.PLACEHOLDER) and launch.published(REAL)
    assert launch.binder_url(repository=REAL) == f"https://mybinder.org/v2/gh/{REAL}/{launch.BRANCH}" \
                                                 "?urlpath=lab/tree/notebooks/00_setup.ipynb"
    assert launch.colab_url("05_cnn_mnist.ipynb", REAL).endswith(
        f"/{REAL}/blob/{launch.BRANCH}/notebooks/05_cnn_mnist.ipynb")
    assert f'"git+https://github.com/{REAL}@{launch.BRANCH}"' in launch.bootstrap_source(repository=REAL)
    placeholder = launch.bootstrap_source(repository=launch.PLACEHOLDER)
    assert "git+" not in placeholder and launch.NO_ADDRESS in placeholder
    assert "Colab and Binder: not yet" in launch.readme_block(["00_setup.ipynb"], launch.PLACEHOLDER)
    assert launch.colab_url("00_setup.ipynb", REAL) in launch.readme_block(["00_setup.ipynb"], REAL)
    assert not (ROOT / "binder").exists(), "a binder/ folder would replace environment.yml for repo2docker"
    # --repository rewrites the one constant (here in a copy of the module)
    module = tmp_path / "launch.py"
    module.write_text((ROOT / "course_utils" / "launch.py").read_text())
    monkeypatch.setattr(launch, "REPOSITORY", launch.REPOSITORY)
    launch.set_repository(REAL, module)
    assert f'\nREPOSITORY = "{REAL}"' in module.read_text() and launch.REPOSITORY == REAL and launch.published()
    with pytest.raises(ValueError, match="OWNER/NAME"):
        launch.set_repository("not an address", module)


def test_the_bootstrap_cell_passes_ruff_as_notebook_code(tmp_path):
    for repository in (launch.PLACEHOLDER, REAL):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# t"),
                                             nbformat.v4.new_code_cell("x = 1")])
        path = tmp_path / f"{repository.replace('/', '_')}.ipynb"
        nbformat.write(nbformat.from_dict(launch.with_bootstrap(json.loads(nbformat.writes(nb)),
                                                                launch.bootstrap_source(repository=repository))), path)
        ruff = ROOT / ".venv" / "bin" / "ruff"
        if not ruff.exists():
            pytest.skip("ruff is not installed in .venv")
        run = subprocess.run([ruff, "check", "--no-cache", path], capture_output=True, text=True, cwd=ROOT)
        assert run.returncode == 0, run.stdout + run.stderr


def test_the_website_leaves_the_bootstrap_cell_out():
    spec = importlib.util.spec_from_file_location("course_site_build", ROOT / "tools" / "site" / "build.py")
    site_build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(site_build)
    page, _ = site_build.for_the_page(nbformat.read(NOTEBOOKS[0], as_version=4))
    assert _bootstrap_cells(nbformat.read(NOTEBOOKS[0], as_version=4)) == [1] and not _bootstrap_cells(page)
    assert page.cells[1].source.startswith("from course_utils import setup_notebook")


def test_the_bootstrap_pins_are_the_kernels_pins_of_requirements_txt():
    pins = launch.runtime_pins()
    names = {p.split("==")[0] for p in pins}
    assert {"numpy", "tensorflow", "keras", "matplotlib", "ipywidgets"} <= names
    assert not names & launch.NOT_FOR_THE_KERNEL
    assert " ".join(pins) in launch.bootstrap_source()


def test_the_readme_block_is_inserted_after_the_course_map_and_updated_in_place(tmp_path):
    (tmp_path / "notebooks").mkdir()
    for p in NOTEBOOKS[:2]:
        shutil.copy(p, tmp_path / "notebooks" / p.name)
    shutil.copy(ROOT / "README.md", tmp_path / "README.md")
    readme = (tmp_path / "README.md").read_text()
    if launch.README_BEGIN in readme:   # this checkout already has it: start from a README without
        start, end = readme.index(launch.README_BEGIN), readme.index(launch.README_END) + len(launch.README_END)
        (tmp_path / "README.md").write_text(readme[:start] + readme[end + 1:])
    changed = launch.update_notebooks(tmp_path)
    assert changed[-1] == "README.md"
    text = (tmp_path / "README.md").read_text()
    assert text.count(launch.README_BEGIN) == 1
    assert text.index("## Course map") < text.index(launch.README_BEGIN) < text.index("## Data")
    assert launch.update_notebooks(tmp_path, check=True) == []


def _probe_wheel(folder: Path) -> None:
    """A one-module wheel standing for a pinned package the fresh environment lacks."""
    with zipfile.ZipFile(folder / "course_bootstrap_probe-1.0-py3-none-any.whl", "w") as whl:
        whl.writestr("course_bootstrap_probe.py", "VALUE = 42\n")
        info = "course_bootstrap_probe-1.0.dist-info"
        whl.writestr(f"{info}/METADATA", "Metadata-Version: 2.1\nName: course-bootstrap-probe\nVersion: 1.0\n")
        whl.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        whl.writestr(f"{info}/RECORD",
                     f"course_bootstrap_probe.py,,\n{info}/METADATA,,\n{info}/WHEEL,,\n{info}/RECORD,,\n")


def test_bootstrap_cell_installs_the_course_in_a_fresh_environment(tmp_path):
    """A fresh venv sees the course's pinned packages (as Colab has its own) but
    not course_utils. The bootstrap installs course_utils from a copy of this
    checkout (COURSE_SOURCE) and the one missing pin (a local wheel), keeps the
    numpy it finds, prints one line, and the notebook's own first lines run."""
    env_dir = tmp_path / "fresh"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    where_numpy = "import numpy, os; print(os.path.dirname(os.path.dirname(numpy.__file__)))"
    course_site = subprocess.run([sys.executable, "-c", where_numpy],
                                 capture_output=True, text=True, check=True).stdout.strip()
    # the course's packages without course_utils (its dist-info and editable hook left out), as on Colab
    packages = tmp_path / "preinstalled"
    packages.mkdir()
    for entry in Path(course_site).iterdir():
        if not entry.name.startswith(("course_utils", "__editable__", "_course_utils")):
            (packages / entry.name).symlink_to(entry)
    Path(site, "preinstalled.pth").write_text(f"{packages}\n")
    src = tmp_path / "checkout"
    shutil.copytree(ROOT / "course_utils", src / "course_utils", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copy(ROOT / "README.md", src)
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _probe_wheel(wheels)
    pins = launch.runtime_pins() + ["course-bootstrap-probe==1.0"]
    numpy_version = subprocess.run([py, "-c", "import numpy; print(numpy.__version__)"], capture_output=True,
                                   text=True, check=True).stdout.strip()
    pins = [p if not p.startswith("numpy==") else "numpy==0.0.1" for p in pins]   # Colab's numpy differs
    cell = launch.bootstrap_source(pins) \
        + '\nfrom course_utils import setup_notebook\nSETUP = setup_notebook("00")\n' \
        "import course_bootstrap_probe, course_utils\n" \
        "print('probe', course_bootstrap_probe.VALUE, course_utils.__file__)\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COURSE_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(COURSE_SOURCE=str(src), PIP_FIND_LINKS=str(wheels), PIP_DISABLE_PIP_VERSION_CHECK="1",
               MPLBACKEND="Agg", COURSE_FAST="1")
    before = subprocess.run([py, "-c", "import course_utils"], capture_output=True, text=True, env=env, cwd=tmp_path)
    assert before.returncode != 0, "the fresh environment must not see course_utils"
    # no public address and no COURSE_SOURCE: one line says so, no pip trace, nothing installed
    nowhere = subprocess.run([py, "-c", launch.bootstrap_source(pins, launch.PLACEHOLDER)], capture_output=True,
                             text=True, env={k: v for k, v in env.items() if k != "COURSE_SOURCE"}, cwd=tmp_path)
    assert nowhere.returncode == 0 and nowhere.stdout == launch.NO_ADDRESS + "\n" and nowhere.stderr == "", nowhere
    run = subprocess.run([py, "-c", cell], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("[course]")]
    assert len(lines) == 1, run.stdout
    assert f"installed the course package from {src}" in lines[0]
    assert "pinned packages installed: course-bootstrap-probe==1.0;" in lines[0]
    assert f"kept this machine's numpy {numpy_version}" in lines[0]
    assert "probe 42" in run.stdout and str(env_dir) in run.stdout.split("probe 42", 1)[1]
    assert "[00]" in run.stdout   # setup_notebook's line
    again = subprocess.run([py, "-c", launch.bootstrap_source(pins)], capture_output=True, text=True, env=env,
                           cwd=tmp_path)
    assert again.returncode == 0 and again.stdout == "", "with course_utils present the bootstrap does nothing"


def test_committed_notebooks_carry_the_current_bootstrap_once_it_is_in():
    """Once `python3 course.py links` has run on the notebooks, a changed pin
    or repository must be carried into all of them (run it again)."""
    having = [p.name for p in NOTEBOOKS if _bootstrap_cells(json.loads(p.read_text()))]
    if not having:
        pytest.skip("the notebooks do not have the bootstrap yet: the coordinator runs `python3 course.py links`")
    stale = launch.update_notebooks(ROOT, check=True)
    assert not stale, f"out of date: {stale}; run `python3 course.py links`"
