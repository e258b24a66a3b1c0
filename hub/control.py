"""Drive the course hub from Python: start it on loopback, add students, start their
servers through the REST API, run code in their kernels, measure their memory.

Used by tests/test_hub.py, benchmarks/hub_load.py and ``python3 course.py hub``.
"""
from __future__ import annotations

import json
import os
import pwd
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from course_spawner import cgroup_folders, cgroup_pids, remove_cgroups, remove_system_user, system_username  # noqa: E402

CONFIG = HERE / "jupyterhub_config.py"
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def install_proxy() -> str:
    """Path of the pinned configurable-http-proxy (installed from npm if needed)."""
    done = subprocess.run(["bash", str(HERE / "install_proxy.sh")], capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"configurable-http-proxy could not be installed: {done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def shared_readable_dir(prefix: str) -> Path:
    """A fresh temporary folder that other accounts (the students) may traverse."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    return path


@dataclass
class Hub:
    """A running JupyterHub with the course configuration (see jupyterhub_config.py)."""
    base: Path                       # state, homes and the hub log live under here
    students: list[str]
    data_dir: Path
    port: int = 0
    mem_limit: str = "2G"
    cpu_limit: float = 1.0
    user_template: str = ""          # default: a per-run prefix, so parallel runs never share accounts
    password: str = ""
    extra_env: dict = field(default_factory=dict)
    token: str = field(default_factory=lambda: secrets.token_hex(32))
    proc: subprocess.Popen | None = None

    def __post_init__(self):
        self.port = self.port or free_port()
        self.password = self.password or secrets.token_urlsafe(12)
        self.user_template = self.user_template or f"dlc{uuid.uuid4().hex[:4]}-{{username}}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.base / "jupyterhub.log"

    def env(self) -> dict:
        env = {**os.environ, **self.extra_env,
               "COURSE_HUB_STATE": str(self.base), "COURSE_HUB_PORT": str(self.port),
               "COURSE_HUB_HUB_PORT": str(free_port()), "COURSE_HUB_PROXY_API_PORT": str(free_port()),
               "COURSE_HUB_USERS": ",".join(self.students), "COURSE_HUB_PASSWORD": self.password,
               "COURSE_HUB_ADMIN_TOKEN": self.token, "COURSE_HUB_DATA_DIR": str(self.data_dir),
               "COURSE_HUB_MEM_LIMIT": self.mem_limit, "COURSE_HUB_CPU_LIMIT": str(self.cpu_limit),
               "COURSE_HUB_USER_TEMPLATE": self.user_template,
               "COURSE_HUB_HOME_ROOT": str(self.base / "homes")}
        return env

    def start(self, timeout: float = 90) -> "Hub":
        install_proxy()
        self.base.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)],
                                     cwd=self.base, env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                self.api("GET", "/")
                return self
            except (OSError, urllib.error.HTTPError):
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"the hub did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # ------------------------------------------------------------ REST API
    def request(self, method: str, path: str, body=None, token: str | None = None, timeout: float = 60):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"token {token or self.token}",
                                              "Content-Type": "application/json"})
        with _NO_PROXY.open(req, timeout=timeout) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def api(self, method: str, path: str, body=None, timeout: float = 60):
        return self.request(method, "/hub/api" + path, body, timeout=timeout)

    def user_api(self, user: str, method: str, path: str, body=None, timeout: float = 60):
        """Call a student's own Jupyter server (``/user/<name>/api/...``)."""
        return self.request(method, f"/user/{user}/api{path}", body, timeout=timeout)

    def add_students(self, names=None) -> None:
        names = list(names or self.students)
        existing = {u["name"] for u in self.api("GET", "/users")}
        missing = [n for n in names if n not in existing]
        if missing:
            self.api("POST", "/users", {"usernames": missing})

    def start_server(self, name: str) -> None:
        try:
            self.api("POST", f"/users/{name}/server")
        except urllib.error.HTTPError as exc:
            if exc.code != 400:   # 400: already running
                raise RuntimeError(f"starting {name}'s server failed ({exc.code} {exc.read()[:500]!r}):\n"
                                   f"{self.log_tail()}") from exc

    def wait_ready(self, name: str, timeout: float = 240) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.api("GET", f"/users/{name}")
            server = (info.get("servers") or {}).get("", {})
            if server.get("ready"):
                return
            if not server.get("pending") and not server:
                raise RuntimeError(f"{name}'s server failed to start:\n{self.log_tail()}")
            time.sleep(1)
        raise TimeoutError(f"{name}'s server not ready after {timeout:.0f} s:\n{self.log_tail()}")

    def stop_server(self, name: str) -> None:
        try:
            self.api("DELETE", f"/users/{name}/server", timeout=120)
        except urllib.error.HTTPError:
            pass

    # ------------------------------------------------------------ students on this machine
    def system_user(self, name: str) -> str:
        return system_username(self.user_template, name) if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def home(self, name: str) -> Path:
        if os.geteuid() == 0:
            return Path(pwd.getpwnam(self.system_user(name)).pw_dir)
        return self.base / "homes" / name

    def pids(self, name: str) -> list[int]:
        """The student's processes (their cgroup, else their account)."""
        pids = cgroup_pids(cgroup_folders(self.system_user(name))) if os.geteuid() == 0 else []
        if pids:
            return pids
        try:
            uid = pwd.getpwnam(self.system_user(name)).pw_uid
        except KeyError:
            return []
        if uid == os.geteuid():
            return []   # one shared account: nothing tells the students apart
        return [int(p) for p in os.listdir("/proc") if p.isdigit() and _owner(p) == uid]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)   # the hub stops the students' servers (cleanup_servers)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if os.geteuid() == 0:
            for name in self.students:
                user = self.system_user(name)
                for pid in self.pids(name):   # a kernel left behind by a killed server
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                time.sleep(0.2)
                remove_cgroups(cgroup_folders(user))
                remove_system_user(user)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _owner(pid: str) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def memory(pids: list[int]) -> tuple[int, int]:
    """(PSS, RSS) in bytes summed over ``pids`` (PSS shares common pages fairly)."""
    pss = rss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
                elif line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
        except OSError:
            pass
    return pss, rss


# ------------------------------------------------------------ kernels over the websocket
class KernelError(RuntimeError):
    pass


class Kernel:
    """A kernel in a student's server, started and driven through the hub's proxy
    (REST to create it, the Jupyter messaging protocol over its websocket)."""

    def __init__(self, hub: Hub, user: str, timeout: float = 120, kernel_id: str | None = None):
        import websocket  # websocket-client, a Jupyter dependency

        self.hub, self.user = hub, user
        self.id = kernel_id or hub.user_api(user, "POST", "/kernels", {"name": "python3"}, timeout=timeout)["id"]
        self.session = uuid.uuid4().hex
        ws_url = f"ws://127.0.0.1:{hub.port}/user/{user}/api/kernels/{self.id}/channels?session_id={self.session}"
        self.ws = websocket.create_connection(ws_url, header=[f"Authorization: token {hub.token}"],
                                              timeout=timeout, http_no_proxy=["127.0.0.1"])

    def execute(self, code: str, timeout: float = 600) -> str:
        """Run ``code``; return its stdout and display text. Raises KernelError on an
        exception in the cell, TimeoutError past ``timeout``, or KernelError('dead')
        when the kernel died (e.g. killed for memory)."""
        msg_id = uuid.uuid4().hex
        self.ws.send(json.dumps({
            "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": self.user,
                       "session": self.session, "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                        "allow_stdin": False, "stop_on_error": True}}))
        out, error, idle, replied = [], None, False, False
        deadline = time.monotonic() + timeout
        while not (idle and replied):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"cell did not finish in {timeout:.0f} s")
            self.ws.settimeout(remaining)
            try:
                msg = json.loads(self.ws.recv())
            except Exception as exc:   # closed socket: the kernel or server went away
                if isinstance(exc, TimeoutError) or type(exc).__name__ == "WebSocketTimeoutException":
                    raise TimeoutError(f"cell did not finish in {timeout:.0f} s") from exc
                raise KernelError(f"dead: connection lost ({exc})") from exc
            kind, content = msg.get("msg_type") or msg["header"]["msg_type"], msg.get("content", {})
            if kind == "status" and content.get("execution_state") in ("restarting", "dead"):
                raise KernelError(f"dead: the kernel is {content['execution_state']} (killed, e.g. out of memory)")
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if kind == "stream":
                out.append(content.get("text", ""))
            elif kind in ("execute_result", "display_data"):
                out.append(content.get("data", {}).get("text/plain", "") + "\n")
            elif kind == "error":
                error = f"{content.get('ename')}: {content.get('evalue')}"
            elif kind == "status" and content.get("execution_state") == "idle":
                idle = True
            elif kind == "execute_reply":
                replied = True
                if content.get("status") == "error" and error is None:
                    error = f"{content.get('ename')}: {content.get('evalue')}"
        if error:
            raise KernelError(error + "\n" + "".join(out)[-2000:])
        return "".join(out)

    def close(self) -> None:
        try:
            self.ws.close()
        except Exception:
            pass
        try:
            self.hub.user_api(self.user, "DELETE", f"/kernels/{self.id}")
        except Exception:
            pass
