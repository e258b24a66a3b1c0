"""Colab/Binder links and the Colab bootstrap (issue 20, point 2):
`python3 course.py links` puts them in every notebook idempotently, and the
bootstrap, run in a fresh virtual environment that lacks course_utils,
installs the course package (from this checkout, not the network) and the
missing pins, then says so in one line."""
from __future__ import annotations

import copy
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


def _first_code(nb):
    return next("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                for c in nb["cells"] if c["cell_type"] == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_bootstrap_and_links_go_in_once_and_change_nothing_else(path):
    original = json.loads(path.read_text())
    once = launch.with_links(launch.with_bootstrap(copy.deepcopy(original)), path.name)
    twice = launch.with_links(launch.with_bootstrap(copy.deepcopy(once)), path.name)
    assert once == twice, "a second run changed the notebook"
    nbformat.validate(nbformat.from_dict(once))
    code = _first_code(once)
    assert code.startswith(launch.BEGIN) and code.count(launch.BEGIN) == 1
    after_block = code.split(launch.END, 1)[1].split("\n", 1)[1]
    assert after_block.rstrip() == _first_code(original).rstrip(), "the cell's own lines must stay as they were"
    first = "".join(once["cells"][0]["source"])
    assert first.count(launch.LINKS_MARK) == 1
    assert launch.colab_url(path.name) in first and launch.binder_url(path.name) in first
    assert "lab/tree/notebooks/" + path.name in first
    # an older bootstrap (other pins, another repository) is replaced, not stacked
    old = launch.with_bootstrap(copy.deepcopy(original), launch.bootstrap_source(["numpy==1.0"], "old/repo"))
    assert launch.with_bootstrap(old) == launch.with_bootstrap(copy.deepcopy(original))


def test_the_first_code_cell_of_a_course_notebook_keeps_setup_notebook_right_after_the_bootstrap():
    nb = {"cells": [{"cell_type": "markdown", "metadata": {}, "source": ["# 05 · CNNs"]},
                    {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [],
                     "source": ['from course_utils import setup_notebook\n',
                                'SETUP = setup_notebook("05", tensorflow=True)']}]}
    code = _first_code(launch.with_bootstrap(nb))
    assert code.split(launch.END)[1].split("\n", 1)[1].startswith("from course_utils import setup_notebook")


def test_links_use_the_one_repository_constant_and_binder_opens_lab_on_00_setup():
    assert launch.binder_url() == f"https://mybinder.org/v2/gh/{launch.REPOSITORY}/{launch.BRANCH}" \
                                  "?urlpath=lab/tree/notebooks/00_setup.ipynb"
    assert launch.colab_url("05_cnn_mnist.ipynb").endswith(
        f"/{launch.REPOSITORY}/blob/{launch.BRANCH}/notebooks/05_cnn_mnist.ipynb")
    assert f"git+https://github.com/{launch.REPOSITORY}@{launch.BRANCH}" in launch.bootstrap_source()
    assert not (ROOT / "binder").exists(), "a binder/ folder would replace environment.yml for repo2docker"


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
    assert "README.md" in changed and len(changed) == 3
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
    having = [p.name for p in NOTEBOOKS if launch.BEGIN in _first_code(json.loads(p.read_text()))]
    if not having:
        pytest.skip("the notebooks do not have the bootstrap yet: the coordinator runs `python3 course.py links`")
    stale = launch.update_notebooks(ROOT, check=True)
    assert not stale, f"out of date: {stale}; run `python3 course.py links`"
