"""CourseSpawner: one machine, one unix account per student, the shape The Littlest
JupyterHub (TLJH) uses, without needing systemd.

Run as root (a class server), each student ``alice`` gets:

- a system user ``jupyter-alice`` (TLJH's naming) with a private home (mode 700);
- their own copy of the course notebooks in ``~/notebooks`` (``student_start.py``
  copies what is missing at every start and never overwrites a student's edit);
- their own model cache, ``COURSE_CACHE_DIR=~/.cache/dl-course``, pre-filled from
  ``cache_seed`` (models the instructor trained once) when that is set;
- the shared data dir as ``COURSE_DATA_DIR``: owned by root and not writable by
  students, so the course reads it and never downloads into it;
- a memory limit and a CPU limit (``Spawner.mem_limit`` / ``Spawner.cpu_limit``)
  enforced by a cgroup per student, as TLJH's systemd units do. Over the memory limit
  the kernel is OOM-killed and restarts; over the CPU limit it is slowed down.

Run as an ordinary user (a laptop demo), every student shares that account: separate
homes, but no OS isolation and no limits; the hub log says so.
"""
from __future__ import annotations

import hashlib
import os
import pwd
import subprocess
import sys
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner, set_user_setuid
from jupyterhub.utils import random_port
from traitlets import Unicode, default

HERE = Path(__file__).resolve().parent
COURSE_ROOT = HERE.parent
CGROUP_ROOT = Path("/sys/fs/cgroup")
CGROUP_GROUP = "dl-course"


def system_username(template: str, name: str) -> str:
    """``template`` with the hub user's name filled in; names too long for useradd
    (32 characters) are cut and given a hash suffix, as TLJH does."""
    full = template.format(username=name)
    if len(full) <= 32:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:5]
    return f"{full[:26]}-{digest}"


# ------------------------------------------------------------------ cgroups

def _own_cgroup_v1(controller: str) -> Path | None:
    """This process's cgroup v1 folder for ``controller`` (memory, cpu), or None."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            base = CGROUP_ROOT / controller
            if not base.is_dir():  # e.g. "cpu,cpuacct" mounted under that name
                base = CGROUP_ROOT / controllers
            return base / path.lstrip("/") if base.is_dir() else None
    return None


def cgroup_folders(student: str) -> dict[str, Path]:
    """Where the student's limits live: {"memory": dir, "cpu": dir} (cgroup v1, one
    folder per controller) or {"unified": dir} (cgroup v2). Empty when this machine
    gives us no writable cgroups (then limits cannot be enforced)."""
    v2_controllers = CGROUP_ROOT / "cgroup.controllers"
    if v2_controllers.exists():
        controllers = v2_controllers.read_text().split()
        if {"memory", "cpu"} <= set(controllers) and os.access(CGROUP_ROOT, os.W_OK):
            return {"unified": CGROUP_ROOT / CGROUP_GROUP / student}
        return {}
    folders = {}
    for controller in ("memory", "cpu"):
        own = _own_cgroup_v1(controller)
        if own is not None and os.access(own, os.W_OK):
            folders[controller] = own / CGROUP_GROUP / student
    return folders if len(folders) == 2 else {}


def _write_if_allowed(path: Path, value: str) -> None:
    try:
        if path.exists():
            path.write_text(value)
    except OSError:   # e.g. swap accounting switched off in the kernel
        pass


def apply_limits(student: str, mem_limit: int | None, cpu_limit: float | None) -> dict[str, Path]:
    """Create the student's cgroup(s) with these limits; return the folders to join."""
    folders = cgroup_folders(student)
    period = 100_000
    quota = int(cpu_limit * period) if cpu_limit else None
    if "unified" in folders:
        group = folders["unified"]
        for level in (CGROUP_ROOT, group.parent):
            level.mkdir(exist_ok=True)
            (level / "cgroup.subtree_control").write_text("+memory +cpu")
        group.mkdir(exist_ok=True)
        (group / "memory.max").write_text(str(mem_limit) if mem_limit else "max")
        if (group / "memory.swap.max").exists():
            (group / "memory.swap.max").write_text("0")   # no swapping past the limit either
        (group / "cpu.max").write_text(f"{quota} {period}" if quota else f"max {period}")
    elif folders:
        for group in folders.values():
            group.mkdir(parents=True, exist_ok=True)
        memory, cpu = folders["memory"], folders["cpu"]
        limit = str(mem_limit) if mem_limit else "-1"
        swap = memory / "memory.memsw.limit_in_bytes"   # memory + swap: no swapping past the limit
        _write_if_allowed(swap, "-1")                    # memsw must stay >= memory while changing
        (memory / "memory.limit_in_bytes").write_text(limit)
        _write_if_allowed(swap, limit)
        (cpu / "cpu.cfs_period_us").write_text(str(period))
        (cpu / "cpu.cfs_quota_us").write_text(str(quota) if quota else "-1")
    return folders


def cgroup_pids(folders: dict[str, Path]) -> list[int]:
    """Processes now in the student's cgroup."""
    group = folders.get("unified") or folders.get("memory")
    try:
        return [int(p) for p in (group / "cgroup.procs").read_text().split()]
    except (OSError, TypeError):
        return []


def remove_cgroups(folders: dict[str, Path]) -> None:
    """Remove the student's (empty) cgroups; a folder still in use is left."""
    for group in folders.values():
        for folder in (group, group.parent):   # the student's, then dl-course/ once it is empty
            try:
                folder.rmdir()
            except OSError:
                pass


# ------------------------------------------------------------------ users

def ensure_system_user(username: str, home_root: str | None) -> pwd.struct_passwd:
    """Create ``username`` (as TLJH's user.ensure_user does) if missing, with its
    home under ``home_root`` (default: the system's, /home), private to it."""
    try:
        entry = pwd.getpwnam(username)
    except KeyError:
        cmd = ["useradd", "--create-home", "--shell", "/bin/bash", "--user-group"]
        if home_root:
            Path(home_root).mkdir(parents=True, exist_ok=True)
            cmd += ["--home-dir", str(Path(home_root) / username)]
        subprocess.run(cmd + [username], check=True, capture_output=True)
        entry = pwd.getpwnam(username)
    os.chmod(entry.pw_dir, 0o700)   # TLJH: chmod o-rwx; students cannot read each other's files
    return entry


def remove_system_user(username: str) -> None:
    """Delete a student's account (tests and the demo's --remove-users)."""
    try:
        pwd.getpwnam(username)
    except KeyError:
        return
    subprocess.run(["userdel", "--remove", username], capture_output=True)
    try:
        subprocess.run(["groupdel", username], capture_output=True)
    except OSError:
        pass


class CourseSpawner(LocalProcessSpawner):
    """LocalProcessSpawner with TLJH's per-student system users, the course's
    per-student folders and environment, and cgroup limits (see the module doc)."""

    system_user_template = Unicode("jupyter-{username}", config=True,
                                   help="System account of hub user {username} (TLJH: jupyter-{username}).")
    home_root = Unicode("", config=True,
                        help="Folder for new students' homes; empty: the system's default (/home).")
    shared_home_root = Unicode("", config=True,
                               help="Without root: folder holding one home folder per student.")
    data_dir = Unicode("", config=True, help="Shared read-only course data dir (COURSE_DATA_DIR).")
    course_root = Unicode(str(COURSE_ROOT), config=True, help="The course checkout (its notebooks/ is copied).")
    cache_seed = Unicode("", config=True,
                         help="A model cache trained once by the instructor, copied into each student's cache.")

    @default("cmd")
    def _default_cmd(self):
        return [sys.executable, str(HERE / "student_start.py"), sys.executable, "-m", "jupyterhub.singleuser"]

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    @property
    def system_user(self) -> str:
        return system_username(self.system_user_template, self.user.name) if self.as_root else \
            pwd.getpwuid(os.geteuid()).pw_name

    def home(self) -> str:
        if self.as_root:
            return pwd.getpwnam(self.system_user).pw_dir
        root = self.shared_home_root or str(COURSE_ROOT / "hub" / ".demo" / "homes")
        return str(Path(root) / self.user.name)

    def cgroup_folders(self) -> dict[str, Path]:
        return cgroup_folders(self.system_user) if self.as_root else {}

    _python_checked = False

    def check_python_readable(self) -> None:
        """Warn once if students cannot read the Python the course runs on (e.g. a
        pyenv under /root): their interpreter would then fall back to another
        standard library, or fail to start."""
        if CourseSpawner._python_checked:
            return
        CourseSpawner._python_checked = True
        probe = subprocess.run([sys.executable, "-c", "import sys; print(sys.base_prefix)"],
                               preexec_fn=set_user_setuid(self.system_user, chdir=False),
                               capture_output=True, text=True, timeout=60)
        if probe.stdout.strip() != sys.base_prefix:
            self.log.warning("Students cannot read the course's Python at %s (they get %r): install the "
                             "course environment where every account can read it, e.g. /opt/dl-course.",
                             sys.base_prefix, probe.stdout.strip() or probe.stderr.strip()[-300:])

    async def start(self):
        if self.as_root:
            ensure_system_user(self.system_user, self.home_root or None)
            self.check_python_readable()
            folders = apply_limits(self.system_user, self.mem_limit, self.cpu_limit)
            if not folders and (self.mem_limit or self.cpu_limit):
                self.log.warning("No writable cgroups here: memory/CPU limits for %s are NOT enforced",
                                 self.user.name)
        else:
            Path(self.home()).mkdir(parents=True, exist_ok=True)
            self.log.warning("Hub not running as root: %s shares the hub's unix account (no isolation, "
                             "no limits). Run as root for a class.", self.user.name)
        if self.port == 0:
            self.port = random_port()
        return await super().start()

    def make_preexec_fn(self, name):
        folders = self.cgroup_folders()
        home = self.home()
        setuid = set_user_setuid(self.system_user) if self.as_root else None

        def preexec():
            # join the student's cgroup(s) while still root, then drop to the student
            for group in folders.values():
                (group / "cgroup.procs").write_text(str(os.getpid()))
            if setuid is not None:
                setuid()
            else:
                os.chdir(home)
        return preexec

    def user_env(self, env):
        home = self.home()
        env["USER"] = self.system_user
        env["HOME"] = home
        env["SHELL"] = "/bin/bash"
        env["COURSE_NOTEBOOKS"] = str(Path(self.course_root) / "notebooks")
        env["COURSE_CACHE_DIR"] = str(Path(home) / ".cache" / "dl-course")
        if self.data_dir:
            env["COURSE_DATA_DIR"] = self.data_dir
        if self.cache_seed:
            env["COURSE_CACHE_SEED"] = self.cache_seed
        # each student's numeric libraries use as many threads as their CPU limit allows
        threads = str(max(1, round(self.cpu_limit))) if self.cpu_limit else None
        if threads:
            for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
                env.setdefault(var, threads)
        return env

    async def move_certs(self, paths):
        return paths   # internal SSL is off in this set-up

    async def stop(self, now=False):
        await super().stop(now=now)
        remove_cgroups(self.cgroup_folders())
