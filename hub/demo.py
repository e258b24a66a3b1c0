"""``python3 course.py hub``: the course's JupyterHub on this machine, for a local demo.

Starts hub/jupyterhub_config.py on http://127.0.0.1:8000 with a few test students
(student1..3) who log in with one shared password (printed; kept in
hub/.demo/password). As root, each student is a system account jupyter-<name> with a
home under hub/.demo/homes, a copy of the notebooks, their own model cache, the data
dir read-only and the memory/CPU limits enforced; Ctrl-C stops the hub and every
student's server. Their work stays for the next run; ``--remove-users`` deletes the
demo accounts and their homes.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from control import CONFIG, free_port, install_proxy  # noqa: E402
from course_spawner import remove_system_user, system_username  # noqa: E402

STATE = HERE / ".demo"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--ip", default="127.0.0.1", help="0.0.0.0 to let other machines in (use HTTPS then)")
    parser.add_argument("--students", default="student1,student2,student3")
    parser.add_argument("--data-dir", default=os.environ.get("COURSE_DATA_DIR") or str(HERE.parent / "data"),
                        help="shared read-only data dir (default: COURSE_DATA_DIR, else the course's data/)")
    parser.add_argument("--cache-seed", default="",
                        help="a model cache you filled once (full mode), copied into each student's cache")
    parser.add_argument("--mem-limit", default="2G")
    parser.add_argument("--cpu-limit", default="1")
    parser.add_argument("--remove-users", action="store_true", help="delete the demo students and their homes")
    args = parser.parse_args(argv)
    students = [s.strip() for s in args.students.split(",") if s.strip()]
    template = "jupyter-{username}"

    if args.remove_users:
        if os.geteuid() == 0:
            for name in students:
                remove_system_user(system_username(template, name))
        shutil.rmtree(STATE / "homes", ignore_errors=True)
        print(f"[hub] removed the demo students ({', '.join(students)}) and their homes")
        return 0

    STATE.mkdir(exist_ok=True)
    secret = STATE / "password"
    if not secret.exists():
        secret.write_text(secrets.token_urlsafe(9))
        secret.chmod(0o600)
    password = secret.read_text().strip()
    proxy = install_proxy()
    env = {**os.environ, "COURSE_HUB_STATE": str(STATE), "COURSE_HUB_IP": args.ip,
           "COURSE_HUB_PORT": str(args.port), "COURSE_HUB_HUB_PORT": str(free_port()),
           "COURSE_HUB_PROXY_API_PORT": str(free_port()), "COURSE_HUB_USERS": ",".join(students),
           "COURSE_HUB_PASSWORD": password, "COURSE_HUB_DATA_DIR": args.data_dir,
           "COURSE_HUB_MEM_LIMIT": args.mem_limit, "COURSE_HUB_CPU_LIMIT": args.cpu_limit,
           "COURSE_HUB_USER_TEMPLATE": template, "COURSE_HUB_CACHE_SEED": args.cache_seed,
           "COURSE_HUB_HOME_ROOT": str(STATE / "homes")}
    (STATE / "homes").mkdir(exist_ok=True)
    (STATE / "homes").chmod(0o755)
    print(f"[hub] JupyterHub for the course at http://{args.ip}:{args.port}/  (proxy: {proxy})")
    print(f"[hub] students: {', '.join(students)}; password: {password}  (also in {secret})")
    print(f"[hub] shared data dir (read-only for students): {args.data_dir}; limits per student: "
          f"{args.mem_limit} memory, {args.cpu_limit} CPU")
    if os.geteuid() != 0:
        print("[hub] NOTE: not root, so every student shares your account: no isolation and no limits. "
              "Run as root (a class server) for one account per student.")
    print("[hub] Ctrl-C stops the hub and the students' servers.", flush=True)
    os.chdir(STATE)
    os.execve(sys.executable, [sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)], env)


if __name__ == "__main__":
    sys.exit(main())
