"""JupyterHub for the course on one machine (the shape of The Littlest JupyterHub).

Started by ``python3 course.py hub`` (local demo), by tests/test_hub.py and by
benchmarks/hub_load.py. Everything that differs between them comes from the
environment (COURSE_HUB_*, below); the defaults are the demo's. On a real TLJH
server use hub/tljh/ instead (same spawner ideas, systemd does the limits).
"""
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from course_spawner import CourseSpawner  # noqa: E402

c = get_config()  # noqa: F821

env = os.environ.get
state = Path(env("COURSE_HUB_STATE") or HERE / ".demo")
private = state / "hub"            # database, cookie secret: the hub's eyes only
private.mkdir(parents=True, exist_ok=True)
private.chmod(0o700)
ip = env("COURSE_HUB_IP", "127.0.0.1")
port = int(env("COURSE_HUB_PORT", "8000"))

# --- network: everything on loopback unless COURSE_HUB_IP says otherwise
c.JupyterHub.bind_url = f"http://{ip}:{port}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{env('COURSE_HUB_HUB_PORT', port + 1)}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{env('COURSE_HUB_PROXY_API_PORT', port + 2)}"
proxy = HERE / ".proxy" / "node_modules" / ".bin" / "configurable-http-proxy"
if proxy.exists():   # hub/install_proxy.sh puts the pinned proxy here
    c.ConfigurableHTTPProxy.command = [str(proxy)]
c.ConfigurableHTTPProxy.debug = False

# --- state of this hub (database, cookie secret, proxy token) in its own folder
c.JupyterHub.db_url = f"sqlite:///{private / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(private / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(private / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True

# --- students: a shared password for the demo (TLJH's default is FirstUseAuthenticator)
students = [u.strip() for u in env("COURSE_HUB_USERS", "student1,student2,student3").split(",") if u.strip()]
c.JupyterHub.authenticator_class = "shared-password"
c.SharedPasswordAuthenticator.user_password = env("COURSE_HUB_PASSWORD") or None
c.Authenticator.allowed_users = set(students)

# an API token with admin rights, for the tests and the load benchmark
admin_token = env("COURSE_HUB_ADMIN_TOKEN")
if admin_token:
    c.JupyterHub.services = [{"name": "course-admin", "api_token": admin_token}]
    c.JupyterHub.load_roles = [{
        "name": "course-admin",
        "scopes": ["admin:users", "admin:servers", "access:servers", "list:users", "read:users",
                   "tokens"],
        "services": ["course-admin"],
    }]

# --- each student's server
c.JupyterHub.spawner_class = CourseSpawner
c.Spawner.ip = "127.0.0.1"
c.Spawner.default_url = "/lab/tree/notebooks"
c.Spawner.start_timeout = 180   # a loaded 2-core machine starts servers slowly
c.Spawner.http_timeout = 120
_mem = env("COURSE_HUB_MEM_LIMIT", "2G")
c.Spawner.mem_limit = int(_mem) if _mem.isdigit() else _mem   # bytes, or with a K/M/G/T suffix
c.Spawner.cpu_limit = float(env("COURSE_HUB_CPU_LIMIT", "1"))
c.CourseSpawner.system_user_template = env("COURSE_HUB_USER_TEMPLATE", "jupyter-{username}")
c.CourseSpawner.home_root = env("COURSE_HUB_HOME_ROOT", str(state / "homes"))
c.CourseSpawner.shared_home_root = env("COURSE_HUB_HOME_ROOT", str(state / "homes"))
data_dir = env("COURSE_HUB_DATA_DIR") or env("COURSE_DATA_DIR") or str(HERE.parent / "data")
c.CourseSpawner.data_dir = str(Path(data_dir).resolve())
# optional: a model cache the instructor filled once (full-mode run), copied to each student
c.CourseSpawner.cache_seed = env("COURSE_HUB_CACHE_SEED", "")
# variables a student's kernels should see as the hub saw them (e.g. COURSE_FAST in tests)
c.Spawner.environment = {k: os.environ[k] for k in ("COURSE_FAST", "COURSE_OFFLINE", "COURSE_CHECK_STRICT",
                                                    "TF_CPP_MIN_LOG_LEVEL", "MPLBACKEND")
                         if k in os.environ}

# The shared data dir must be read-only for students: refuse one anybody may write to.
_mode = Path(data_dir).stat().st_mode if Path(data_dir).exists() else 0
if _mode & 0o022:
    raise SystemExit(f"[hub] {data_dir} is writable by group or others; students must only read it "
                     f"(chmod go-w -R, owner root).")
