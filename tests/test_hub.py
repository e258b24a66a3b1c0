"""The course hub (hub/): a real JupyterHub on 127.0.0.1 with two students.

Checks what an instructor relies on: each student runs as their own account with
their own copy of the notebooks and their own model cache; two students training the
same model at once get separate, complete cache entries; one student's edits never
reach another; nobody can write into the shared data dir; the memory and CPU limits
are enforced; and two students logging in with a real browser each run a cell and
see only their own files. Needs root (one account per student, as on a class server)
and Node.js/npm for the proxy (hub/install_proxy.sh); .ci/run provides both.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import urllib.error
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from hub.control import Hub, Kernel, shared_readable_dir  # noqa: E402
from hub.course_spawner import cgroup_folders, system_username  # noqa: E402
from hub.student_start import copy_missing  # noqa: E402

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]
STUDENTS = ["alice", "bob"]
MEM_LIMIT = 1536 * 1024 ** 2     # enough for a TensorFlow kernel training a small model
CPU_LIMIT = 1.0

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="one account per student needs root (CI runs as root)")


def _snapshot(folder: Path) -> dict:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


@pytest.fixture(scope="module")
def class_hub():
    base = shared_readable_dir("dl-course-hubtest-")
    # the shared data dir, as on a class server: owned by root, read-only for everyone
    data = base / "data"
    data.mkdir()
    shared = Path(os.environ.get("COURSE_DATA_DIR") or ROOT / "data")
    if (shared / "mnist-test").is_dir():
        shutil.copytree(shared / "mnist-test", data / "mnist-test")
    (data / "README.md").write_text("shared course data (read-only)\n")
    for path in [data, *data.rglob("*")]:
        path.chmod(0o555 if path.is_dir() else 0o444)
    hub = Hub(base=base, students=STUDENTS, data_dir=data, mem_limit=str(MEM_LIMIT), cpu_limit=CPU_LIMIT,
              extra_env={"TF_CPP_MIN_LOG_LEVEL": "2"})
    try:
        hub.start()
        hub.add_students()
        for name in STUDENTS:
            hub.start_server(name)
        for name in STUDENTS:
            hub.wait_ready(name)
        yield hub
    finally:
        hub.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def kernels(class_hub):
    opened = {name: Kernel(class_hub, name) for name in STUDENTS}
    yield opened
    for kernel in opened.values():
        kernel.close()


def _in_kernel(kernel: Kernel, code: str, timeout: float = 600) -> dict:
    """Run ``code`` (which prints one JSON line last) and return that JSON."""
    return json.loads(kernel.execute(code, timeout=timeout).strip().splitlines()[-1])


WHO = """
import getpass, json, os
print(json.dumps({"user": getpass.getuser(), "uid": os.getuid(), "home": os.environ["HOME"],
                  "cwd": os.getcwd(), "cache": os.environ.get("COURSE_CACHE_DIR"),
                  "data": os.environ.get("COURSE_DATA_DIR"),
                  "notebooks": sorted(os.listdir(os.path.join(os.environ["HOME"], "notebooks")))}))
"""


# ---------------------------------------------------------------- without a hub

def test_student_copy_adds_new_files_and_never_overwrites_edits(tmp_path):
    course, home = tmp_path / "course", tmp_path / "home"
    course.mkdir()
    (course / "01.ipynb").write_text("original 01")
    (course / ".ipynb_checkpoints").mkdir()
    (course / ".ipynb_checkpoints" / "01-checkpoint.ipynb").write_text("x")
    assert [p.name for p in copy_missing(course, home)] == ["01.ipynb"]
    (home / "01.ipynb").write_text("the student's edit")
    (course / "02.ipynb").write_text("added by the instructor later")
    assert [p.name for p in copy_missing(course, home)] == ["02.ipynb"]
    assert (home / "01.ipynb").read_text() == "the student's edit"
    assert not (home / ".ipynb_checkpoints").exists()
    (course / "model.weights.h5.lock").write_text("held by another process")
    (course / "model.json.tmp").write_text("half written")
    assert copy_missing(course, home) == [], "unfinished writes and locks are never copied"


def test_system_accounts_follow_tljh_naming_and_fit_useradd():
    assert system_username("jupyter-{username}", "alice") == "jupyter-alice"
    long = system_username("jupyter-{username}", "a-student-with-a-very-long-name")
    assert len(long) <= 32 and long.startswith("jupyter-a-student")
    assert long != system_username("jupyter-{username}", "a-student-with-a-very-long-name2")


def test_student_start_gives_own_notebooks_cache_and_the_instructors_trained_models(tmp_path, monkeypatch):
    from hub import student_start

    course, seed, home = tmp_path / "notebooks", tmp_path / "seed", tmp_path / "home"
    course.mkdir(), seed.mkdir(), home.mkdir()
    (course / "05_cnn_mnist.ipynb").write_text("{}")
    (seed / "nb05-cnn-0123.weights.h5").write_bytes(b"weights")
    (seed / "nb05-cnn-0123.json").write_text("{}")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("COURSE_NOTEBOOKS", str(course))
    monkeypatch.setenv("COURSE_CACHE_SEED", str(seed))
    monkeypatch.setenv("COURSE_CACHE_DIR", "")   # recorded, so that the teardown restores it
    monkeypatch.delenv("COURSE_CACHE_DIR")
    umask = os.umask(0o022)
    try:
        assert student_start.main([]) == 0
    finally:
        os.umask(umask)
    cache = home / ".cache" / "dl-course"
    assert os.environ["COURSE_CACHE_DIR"] == str(cache)
    assert (home / "notebooks" / "05_cnn_mnist.ipynb").exists()
    assert sorted(p.name for p in cache.iterdir()) == ["nb05-cnn-0123.json", "nb05-cnn-0123.weights.h5"]
    assert oct(cache.stat().st_mode & 0o777) == "0o700", "a student's cache is private"


# ---------------------------------------------------------------- with the hub

@needs_root
def test_each_student_has_own_account_notebooks_and_cache(class_hub, kernels):
    seen = {name: _in_kernel(kernels[name], WHO) for name in STUDENTS}
    course_notebooks = sorted(p.name for p in (ROOT / "notebooks").iterdir() if not p.name.startswith("."))
    for name, who in seen.items():
        assert who["user"] == class_hub.system_user(name), who
        assert who["uid"] != 0
        assert who["notebooks"] == course_notebooks
        assert who["cache"].startswith(who["home"] + "/"), "the model cache must be the student's own"
        assert who["data"] == str(class_hub.data_dir)
        assert oct(Path(who["home"]).stat().st_mode & 0o777) == "0o700"
    alice, bob = seen["alice"], seen["bob"]
    assert alice["home"] != bob["home"] and alice["uid"] != bob["uid"] and alice["cache"] != bob["cache"]


@needs_root
def test_one_students_edits_never_reach_another(class_hub, kernels):
    notebook = "notebooks/00_setup.ipynb"
    original = (ROOT / notebook).read_text()
    model = class_hub.user_api("alice", "GET", f"/contents/{notebook}")
    model["content"]["cells"][0]["source"] = "# alice was here"
    class_hub.user_api("alice", "PUT", f"/contents/{notebook}",
                       {"type": "notebook", "format": "json", "content": model["content"]})
    assert "alice was here" in (class_hub.home("alice") / notebook).read_text()
    assert (class_hub.home("bob") / notebook).read_text() == original
    # bob cannot read, list or write alice's home, even knowing where it is
    alice_home = str(class_hub.home("alice"))
    probe = f"""
import json, os
results = {{}}
for what, act in [("list", lambda: os.listdir({alice_home!r})),
                  ("read", lambda: open({alice_home!r} + "/{notebook}").read()),
                  ("write", lambda: open({alice_home!r} + "/from-bob.txt", "w").write("x"))]:
    try:
        act(); results[what] = "allowed"
    except PermissionError:
        results[what] = "denied"
print(json.dumps(results))
"""
    assert _in_kernel(kernels["bob"], probe) == {"list": "denied", "read": "denied", "write": "denied"}
    # and the hub refuses bob's browser session at alice's server (no API access to it)
    assert not (class_hub.home("alice") / "from-bob.txt").exists()


@needs_root
def test_students_cannot_write_the_shared_data_dir_and_the_course_never_downloads_into_it(class_hub, kernels):
    before = _snapshot(class_hub.data_dir)
    probe = """
import json, os
from pathlib import Path
data = Path(os.environ["COURSE_DATA_DIR"])
result = {}
for what, act in [("new file", lambda: (data / "x.txt").write_text("x")),
                  ("new folder", lambda: (data / "mnist").mkdir()),
                  ("chmod", lambda: data.chmod(0o777))]:
    try:
        act(); result[what] = "allowed"
    except PermissionError:
        result[what] = "denied"
os.environ.pop("COURSE_OFFLINE", None)     # the course would download if it could write
from course_utils.data import is_writable, load_mnist, load_shakespeare
result["is_writable"] = is_writable(data)
mnist = load_mnist(verbose=False)
text = load_shakespeare(verbose=False)
result["mnist"], result["text"] = mnist.source, text.source
print(json.dumps(result))
"""
    result = _in_kernel(kernels["bob"], probe)
    assert {k: result[k] for k in ("new file", "new folder", "chmod")} == \
        {"new file": "denied", "new folder": "denied", "chmod": "denied"}
    assert result["is_writable"] is False
    assert "read-only" in result["mnist"] and "read-only" in result["text"], result
    assert _snapshot(class_hub.data_dir) == before, "the shared data dir changed"


TRAIN_SAME_MODEL = """
import inspect, json, os, pwd
os.environ.pop("COURSE_FAST", None)          # the model cache is used in full mode only
import numpy as np
import keras
from course_utils.cache import cache_dir, fit_or_load
rng = np.random.default_rng(0)
x = rng.normal(size=(512, 8)).astype("float32")
y = (x.sum(axis=1) > 0).astype("int32")

def build():
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model

def train():
    if "fit" in inspect.signature(fit_or_load).parameters:      # the call before the cache rewrite
        return fit_or_load("hub-isolation", build,
                           lambda m: m.fit(x, y, epochs=4, batch_size=32, verbose=0),
                           {"epochs": 4, "batch_size": 32, "seed": 0}, (x, y), verbose=False)
    return fit_or_load("hub-isolation", build, x, y, epochs=4, batch_size=32, seed=0, verbose=0)

first = train()
again = train()                               # must load the entry just written, intact
folder = cache_dir()
files = sorted(p.name for p in folder.rglob("*") if p.is_file())
owners = sorted({pwd.getpwuid(p.stat().st_uid).pw_name for p in folder.rglob("*")})
print(json.dumps({"dir": str(folder), "first_loaded": first.loaded, "again_loaded": again.loaded,
                  "files": files, "owners": owners,
                  "same_weights": all(np.array_equal(a, b) for a, b in
                                      zip(first.model.get_weights(), again.model.get_weights()))}))
"""


@needs_root
def test_two_students_training_the_same_model_at_once_keep_separate_intact_cache_entries(class_hub, kernels):
    results, errors = {}, {}

    def train(name):
        try:
            results[name] = _in_kernel(kernels[name], TRAIN_SAME_MODEL, timeout=900)
        except Exception as exc:   # reported below with the student's name
            errors[name] = exc

    threads = [threading.Thread(target=train, args=(name,)) for name in STUDENTS]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for name, r in results.items():
        assert r["dir"].startswith(str(class_hub.home(name)) + "/"), r
        assert r["first_loaded"] is False and r["again_loaded"] is True, r
        assert r["same_weights"], "the reloaded entry differs from the trained model"
        assert r["owners"] == [class_hub.system_user(name)], r
        assert any(f.endswith((".h5", ".npz")) for f in r["files"]), r
        assert not any(f.endswith((".tmp", ".part")) or ".tmp." in f for f in r["files"]), r
    assert results["alice"]["dir"] != results["bob"]["dir"]
    assert results["alice"]["files"] == results["bob"]["files"], "same model, same key: same entry names"


@needs_root
def test_memory_and_cpu_limits_are_enforced(class_hub, kernels):
    if not cgroup_folders(class_hub.system_user("alice")):
        pytest.skip("this machine gives no writable cgroups: limits cannot be enforced here")
    probe = f"""
import json, subprocess, sys
groups = dict(line.split(":", 2)[1:] for line in open("/proc/self/cgroup").read().splitlines())
hog = subprocess.run([sys.executable, "-c", "b = bytearray({MEM_LIMIT + 512 * 1024 ** 2})"])
print(json.dumps({{"groups": groups, "hog_returncode": hog.returncode}}))
"""
    result = _in_kernel(kernels["alice"], probe)
    assert result["hog_returncode"] == -9, "a process over the memory limit must be killed"
    folders = cgroup_folders(class_hub.system_user("alice"))
    if "unified" in folders:
        assert (folders["unified"] / "memory.max").read_text().strip() == str(MEM_LIMIT)
        assert (folders["unified"] / "cpu.max").read_text().split() == [str(int(CPU_LIMIT * 100000)), "100000"]
    else:
        assert int((folders["memory"] / "memory.limit_in_bytes").read_text()) == MEM_LIMIT
        assert int((folders["cpu"] / "cpu.cfs_quota_us").read_text()) == int(CPU_LIMIT * 100000)
        assert result["groups"]["memory"].endswith("/" + class_hub.system_user("alice"))
    # the kernel itself survived: only the process over the limit was killed
    assert _in_kernel(kernels["alice"], "import json; print(json.dumps(1 + 1))") == 2


@needs_root
def test_api_of_one_student_refuses_another_students_token(class_hub):
    token = class_hub.api("POST", "/users/bob/tokens", {"note": "test", "expires_in": 600})["token"]
    with pytest.raises(urllib.error.HTTPError) as refused:
        class_hub.request("GET", "/user/alice/api/contents", token=token)
    assert refused.value.code in (403, 404)
    assert class_hub.request("GET", "/user/bob/api/contents", token=token)["type"] == "directory"


# ---------------------------------------------------------------- a real browser, two students

WHOAMI_NOTEBOOK = {
    "nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    "cells": [{"cell_type": "code", "id": "who", "metadata": {}, "outputs": [], "execution_count": None,
               "source": "import getpass, pathlib\n"
                         "from course_utils.data import data_dir\n"
                         "pathlib.Path(f'made-by-{getpass.getuser()}.txt').write_text('mine')\n"
                         "print('user:', getpass.getuser(), '| data dir:', data_dir())"}],
}


@needs_root
@pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed")
def test_two_students_log_in_with_a_browser_run_a_cell_and_see_their_own_files(class_hub):
    from playwright.sync_api import sync_playwright

    for name in STUDENTS:
        class_hub.user_api(name, "PUT", "/contents/whoami.ipynb",
                           {"type": "notebook", "format": "json", "content": WHOAMI_NOTEBOOK})
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            for name in STUDENTS:
                other = class_hub.system_user("bob" if name == "alice" else "alice")
                me = class_hub.system_user(name)
                context = browser.new_context(viewport={"width": 1280, "height": 800})  # own cookies
                page = context.new_page()
                try:
                    page.goto(f"{class_hub.url}/hub/login", timeout=60_000)
                    page.fill("#username_input", name)
                    page.fill("#password_input", class_hub.password)
                    page.click("#login_submit")
                    page.wait_for_url(f"**/user/{name}/lab**", timeout=180_000)
                    page.goto(f"{class_hub.url}/user/{name}/lab/tree/whoami.ipynb", timeout=60_000)
                    page.locator(".jp-StatusBar-TextItem", has_text="Idle").first.wait_for(timeout=120_000)
                    cell = page.locator(".jp-CodeCell").first
                    cell.click()
                    page.keyboard.press("Shift+Enter")
                    output = cell.locator(".jp-OutputArea-output").first
                    output.wait_for(timeout=120_000)
                    text = output.inner_text()
                    assert f"user: {me}" in text and str(class_hub.data_dir) in text, text
                    listing = page.locator(".jp-DirListing-content")
                    mine = listing.locator(".jp-DirListing-itemText", has_text=f"made-by-{me}.txt")
                    page.locator("[data-command='filebrowser:refresh']").first.click()
                    mine.first.wait_for(timeout=60_000)
                    names = listing.locator(".jp-DirListing-itemText").all_inner_texts()
                    assert "notebooks" in names and not any(other in n for n in names), names
                    assert page.get_by_text("get notified about official Jupyter news").count() == 0
                    page.screenshot(path=str(ARTIFACTS / f"hub_{name}.png"))
                    # the other student's server is not theirs to open
                    response = page.goto(f"{class_hub.url}/user/{'bob' if name == 'alice' else 'alice'}/api/contents")
                    assert response is None or response.status in (403, 404) or "login" in page.url \
                        or "hub/user" in page.url, page.url
                except Exception:
                    page.screenshot(path=str(ARTIFACTS / f"hub_{name}_failure.png"))
                    raise
                finally:
                    context.close()
        finally:
            browser.close()
    for name in STUDENTS:
        other = "bob" if name == "alice" else "alice"
        assert (class_hub.home(name) / f"made-by-{class_hub.system_user(name)}.txt").exists()
        assert not (class_hub.home(name) / f"made-by-{class_hub.system_user(other)}.txt").exists()


# ---------------------------------------------------------------- the scale-out configurations

def _helm_merge(defaults, values):
    """Helm's merge of user values over a chart's defaults: maps merge recursively,
    anything else (lists included) is replaced, null removes the key."""
    if not (isinstance(defaults, dict) and isinstance(values, dict)):
        return values
    merged = dict(defaults)
    for key, value in values.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _helm_merge(defaults.get(key), value)
    return merged


def _yaml(path):
    import yaml

    return yaml.safe_load(Path(path).read_text())


def test_z2jh_config_is_valid_for_the_chart_schema():
    import jsonschema

    chart = ROOT / "hub" / "z2jh" / "chart-4.4.0"
    values = _yaml(ROOT / "hub" / "z2jh" / "config.yaml")
    merged = _helm_merge(_yaml(chart / "values.yaml"), values)
    jsonschema.validate(merged, _yaml(chart / "values.schema.yaml"))
    # and a mistake is caught: the schema really constrains these keys
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(_helm_merge(merged, {"singleuser": {"memory": {"limt": "2G"}}}),
                            _yaml(chart / "values.schema.yaml"))
    single = merged["singleuser"]
    mounts = {m["mountPath"]: m for m in single["storage"]["extraVolumeMounts"]}
    assert mounts[single["extraEnv"]["COURSE_DATA_DIR"]]["readOnly"] is True
    volume = single["storage"]["extraVolumes"][0]
    assert volume["name"] == mounts["/srv/data"]["name"] and volume["persistentVolumeClaim"]["readOnly"] is True
    assert single["extraEnv"]["COURSE_CACHE_DIR"].startswith(single["storage"]["homeMountPath"] + "/")
    assert single["cmd"][1] == "/srv/course/hub/student_start.py"


def test_tljh_config_is_valid_for_tljh_schema_and_the_limits_agree_everywhere():
    import jsonschema

    tljh = _yaml(ROOT / "hub" / "tljh" / "config.yaml")
    jsonschema.validate(tljh, json.loads((ROOT / "hub" / "tljh" / "tljh-2.0.0-config.schema.json").read_text()))
    z2jh = _yaml(ROOT / "hub" / "z2jh" / "config.yaml")["singleuser"]
    local = (ROOT / "hub" / "jupyterhub_config.py").read_text()
    assert tljh["limits"]["memory"] == z2jh["memory"]["limit"]
    assert float(tljh["limits"]["cpu"]) == float(z2jh["cpu"]["limit"])
    assert f'"COURSE_HUB_MEM_LIMIT", "{tljh["limits"]["memory"]}"' in local
    assert f'"COURSE_HUB_CPU_LIMIT", "{tljh["limits"]["cpu"]}"' in local


def test_tljh_snippet_gives_every_student_the_course_and_a_read_only_data_dir():
    from traitlets.config import Config

    c = Config()
    snippet = ROOT / "hub" / "tljh" / "jupyterhub_config.d" / "dl_course.py"
    exec(compile(snippet.read_text(), str(snippet), "exec"), {"get_config": lambda: c})
    env = c.Spawner.environment
    course = Path(c.Spawner.cmd[1]).parent.parent
    assert c.Spawner.cmd[1] == f"{course}/hub/student_start.py" and env["COURSE_NOTEBOOKS"] == f"{course}/notebooks"
    assert c.Spawner.cmd[2].endswith("jupyterhub-singleuser")
    assert c.SystemdSpawner.readonly_paths == [env["COURSE_DATA_DIR"]]
    assert "COURSE_CACHE_DIR" not in env, "student_start.py gives each student their own"


def test_binder_builds_the_course_environment():
    # repo2docker reads binder/ or .binder/ INSTEAD of the top level when either exists
    assert not (ROOT / "binder").exists() and not (ROOT / ".binder").exists()
    env = _yaml(ROOT / "environment.yml")
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e ." in pip and any(p.startswith("jupyterhub==") for p in pip)
    assert "python=3.11" in env["dependencies"]
