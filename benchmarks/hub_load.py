"""Load benchmark: a whole class pressing Run All on notebook 05 at once.

Starts the course hub (hub/jupyterhub_config.py) on 127.0.0.1, creates N simulated
students through the hub's REST API, starts their servers, opens one kernel each
(through the proxy, as a browser would), runs the first cell (TensorFlow loaded: the
"idle" memory), then runs every code cell of the notebook in fast mode in all N
kernels at the same time. Prints per-student memory (PSS and RSS of all the student's
processes, and the peak of their cgroup), the class's total, the wall time and its
ratio to N = 1, and failures: errors, timeouts, kernels killed for memory (OOM) and
cache collisions (a file in one student's home owned by another, or any change to the
shared data dir or the course's shared model-cache folder).

    sudo .venv/bin/python benchmarks/hub_load.py --students 1 5 10 20

Root is needed for one account per student (without it the students share one
account and per-student memory cannot be told apart). Not part of CI.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from hub.control import Hub, Kernel, KernelError, memory, shared_readable_dir  # noqa: E402
from hub.course_spawner import cgroup_folders  # noqa: E402

GB = 1024 ** 3


@dataclass
class Student:
    name: str
    idle_pss: int = 0
    idle_rss: int = 0
    peak_pss: int = 0
    peak_rss: int = 0
    cgroup_peak: int = 0
    cpu_s: float = 0.0
    seconds: float = 0.0
    cells: int = 0
    failure: str = ""
    oom_kills: int = 0


def snapshot(folder: Path) -> dict:
    """path -> (size, mtime) of every file under ``folder`` (to see that nothing changed)."""
    if not folder.exists():
        return {}
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()}


def machine_used() -> int:
    info = {line.split(":")[0]: int(line.split()[1]) * 1024
            for line in Path("/proc/meminfo").read_text().splitlines()}
    return info["MemTotal"] - info["MemAvailable"]


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks   # utime + stime
        except (OSError, IndexError):
            pass
    return total


def cgroup_stat(hub: Hub, name: str) -> tuple[int, int]:
    """(peak bytes, OOM kills) from the student's memory cgroup (v1 or v2)."""
    folders = cgroup_folders(hub.system_user(name)) if os.geteuid() == 0 else {}
    group = folders.get("memory") or folders.get("unified")
    if group is None:
        return 0, 0
    peak, kills = 0, 0
    for fname in ("memory.max_usage_in_bytes", "memory.peak"):
        try:
            peak = int((group / fname).read_text())
        except (OSError, ValueError):
            pass
    for fname in ("memory.oom_control", "memory.events"):
        try:
            for line in (group / fname).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    kills = int(value)
        except OSError:
            pass
    return peak, kills


def code_cells(notebook: Path) -> list[str]:
    nb = nbformat.read(notebook, as_version=4)
    # the Colab bootstrap cell is left out: it does nothing on the hub, and cells[0] must be setup_notebook's
    return [c.source for c in nb.cells if c.cell_type == "code"
            and not {"nbval-skip", "bootstrap"} & set(c.metadata.get("tags", [])) and c.source.strip()]


def collisions(hub: Hub, names: list[str], before: dict) -> list[str]:
    import pwd

    found = []
    for name in names:
        uid = pwd.getpwnam(hub.system_user(name)).pw_uid if os.geteuid() == 0 else os.geteuid()
        for path in hub.home(name).rglob("*"):
            try:
                if path.lstat().st_uid != uid:
                    found.append(f"{path} in {name}'s home is owned by uid {path.lstat().st_uid}")
            except OSError:
                pass
    for label, (folder, snap) in before.items():
        if snapshot(folder) != snap:
            found.append(f"the {label} ({folder}) changed during the run")
    return found


def run_class(hub: Hub, names: list[str], cells: list[str], notebook_path: str, cell_timeout: float,
              sample_every: float = 2.0) -> tuple[list[Student], dict]:
    students = {n: Student(n) for n in names}
    for n in names:
        hub.start_server(n)
    for n in names:
        hub.wait_ready(n)
    kernels = {}
    for n in names:
        session = hub.user_api(n, "POST", "/sessions", {"path": notebook_path, "type": "notebook",
                                                        "kernel": {"name": "python3"}})
        kernels[n] = Kernel(hub, n, kernel_id=session["kernel"]["id"])
    # first cell in every kernel: TensorFlow and the course loaded -> idle memory
    first = cells[0]
    threads = [threading.Thread(target=lambda n=n: kernels[n].execute(first, timeout=cell_timeout)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    time.sleep(3)
    for n in names:
        students[n].idle_pss, students[n].idle_rss = memory(hub.pids(n))
    idle_total = sum(s.idle_pss for s in students.values())
    idle_machine = machine_used()

    done = threading.Event()
    peak = {"total_pss": 0, "machine": 0}

    def sample():
        while not done.is_set():
            total = 0
            for n in names:
                pss, rss = memory(hub.pids(n))
                s = students[n]
                s.peak_pss, s.peak_rss = max(s.peak_pss, pss), max(s.peak_rss, rss)
                total += pss
            peak["total_pss"] = max(peak["total_pss"], total)
            peak["machine"] = max(peak["machine"], machine_used())
            done.wait(sample_every)

    def run_all(n):
        s, started = students[n], time.perf_counter()
        try:
            for code in cells[1:]:
                kernels[n].execute(code, timeout=cell_timeout)
                s.cells += 1
        except TimeoutError as exc:
            s.failure = f"timeout at cell {s.cells + 2}: {exc}"
        except KernelError as exc:
            s.failure = f"error at cell {s.cells + 2}: {str(exc).splitlines()[0][:200]}"
        except Exception as exc:   # the connection itself
            s.failure = f"{type(exc).__name__} at cell {s.cells + 2}: {exc}"[:200]
        s.seconds = time.perf_counter() - started
        s.cpu_s = cpu_seconds(hub.pids(n))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    started = time.perf_counter()
    threads = [threading.Thread(target=run_all, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    for n in names:
        students[n].cgroup_peak, students[n].oom_kills = cgroup_stat(hub, n)
        if students[n].oom_kills and not students[n].failure:
            students[n].failure = "OOM kill in the student's cgroup"
        kernels[n].close()
    summary = {"idle_total_pss": idle_total, "idle_machine_used": idle_machine,
               "peak_total_pss": peak["total_pss"], "peak_machine_used": peak["machine"], "wall_s": wall}
    return list(students.values()), summary


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, nargs="+", default=[1, 5, 10, 20], help="class sizes N to run")
    parser.add_argument("--notebook", default="notebooks/05_cnn_mnist.ipynb")
    parser.add_argument("--mem-limit", default="2G", help="per-student memory limit (cgroup; the hub's default)")
    parser.add_argument("--cpu-limit", type=float, default=1.0, help="per-student CPU limit in cores")
    parser.add_argument("--cell-timeout", type=float, default=1800)
    parser.add_argument("--data-dir", default=os.environ.get("COURSE_DATA_DIR") or str(ROOT / "data"))
    parser.add_argument("--json", help="also write the results here")
    parser.add_argument("--keep", action="store_true", help="keep the temporary homes and the hub log")
    parser.add_argument("--idle-only", action="store_true",
                        help="only start the servers and run the first cell (the idle memory of a class too large "
                             "for this machine to run the notebook at once)")
    args = parser.parse_args(argv)

    cells = code_cells(ROOT / args.notebook)
    if args.idle_only:
        cells = cells[:1]
    data_dir = Path(args.data_dir).resolve()
    names = [f"s{i:02d}" for i in range(1, max(args.students) + 1)]
    base = shared_readable_dir("dl-course-hubload-")
    load_before = os.getloadavg()
    what = "idle only: the first cell" if args.idle_only else f"{len(cells)} code cells"
    print(f"[hub-load] {args.notebook}: {what}, fast mode; data dir {data_dir}; limits "
          f"{args.mem_limit} / {args.cpu_limit:g} CPU per student; {os.cpu_count()} CPUs; "
          f"load average {load_before[0]:.1f} at start", flush=True)
    if os.geteuid() != 0:
        print("[hub-load] not root: students share one account; per-student memory is not measured")
    watched = {"shared data dir": data_dir, "course's shared model-cache folder": ROOT / "data" / "model-cache"}
    results = []
    hub = Hub(base=base, students=names, data_dir=data_dir, mem_limit=args.mem_limit, cpu_limit=args.cpu_limit,
              extra_env={"COURSE_FAST": "1", "COURSE_CHECK_STRICT": "1", "TF_CPP_MIN_LOG_LEVEL": "2"})
    try:
        hub.start()
        hub.add_students()
        for n in args.students:
            before = {label: (folder, snapshot(folder)) for label, folder in watched.items()}
            load = os.getloadavg()[0]
            students, summary = run_class(hub, names[:n], cells, "notebooks/" + Path(args.notebook).name,
                                          args.cell_timeout)
            found = collisions(hub, names[:n], before)
            for name in names[:n]:
                hub.stop_server(name)
            results.append({"n": n, "load_at_start": load, "load_at_end": os.getloadavg()[0],
                            "students": [asdict(s) for s in students], **summary, "collisions": found})
            report(results[-1], results[0])
    finally:
        hub.stop()
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
        else:
            print(f"[hub-load] kept {base}")
    print()
    print(table(results))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))
    failures = (sum(bool(s["failure"]) for r in results for s in r["students"])
                + sum(len(r["collisions"]) for r in results))
    return 1 if failures else 0


def report(r: dict, first: dict) -> None:
    print(f"\n== N = {r['n']} students (load average {r['load_at_start']:.1f} -> {r['load_at_end']:.1f})")
    print(f"{'student':8} {'idle PSS':>9} {'idle RSS':>9} {'peak PSS':>9} {'peak RSS':>9} {'cgroup peak':>11} "
          f"{'CPU s':>7} {'wall s':>7}  result")
    for s in r["students"]:
        print(f"{s['name']:8} {s['idle_pss'] / GB:8.2f}G {s['idle_rss'] / GB:8.2f}G {s['peak_pss'] / GB:8.2f}G "
              f"{s['peak_rss'] / GB:8.2f}G {s['cgroup_peak'] / GB:10.2f}G {s['cpu_s']:7.0f} {s['seconds']:7.0f}  "
              f"{s['failure'] or 'ok'}")
    fails = [s for s in r["students"] if s["failure"]]
    print(f"total PSS idle {r['idle_total_pss'] / GB:.2f} GB, peak {r['peak_total_pss'] / GB:.2f} GB; "
          f"whole machine (every process) "
          f"memory in use idle {r['idle_machine_used'] / GB:.2f} GB, peak {r['peak_machine_used'] / GB:.2f} GB; "
          f"wall {r['wall_s']:.0f} s, ratio to N={first['n']}: {r['wall_s'] / first['wall_s']:.2f}")
    print(f"failures: {len(fails)} (OOM {sum(s['oom_kills'] > 0 for s in r['students'])}, timeouts "
          f"{sum('timeout' in s['failure'] for s in fails)}), cache collisions: {len(r['collisions'])}")
    for line in r["collisions"]:
        print(f"  collision: {line}")


def table(results: list[dict]) -> str:
    first = results[0]
    # The ratio is to the smallest class in this run, which is N = 1 only when --students starts with 1.
    rows = ["| students | load avg at start | idle PSS per student | peak PSS per student (max) | class peak PSS "
            f"| whole-machine memory peak | wall time (Run All) | ratio to N={first['n']} | CPU s per student "
            "| failures |",
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        st = r["students"]
        fails = sum(bool(s["failure"]) for s in st) + len(r["collisions"])
        rows.append(f"| {r['n']} | {r['load_at_start']:.1f} | {sum(s['idle_pss'] for s in st) / len(st) / GB:.2f} GB "
                    f"| {max(s['peak_pss'] for s in st) / GB:.2f} GB | {r['peak_total_pss'] / GB:.2f} GB "
                    f"| {r['peak_machine_used'] / GB:.1f} GB | {r['wall_s']:.0f} s "
                    f"| {r['wall_s'] / first['wall_s']:.2f} "
                    f"| {sum(s['cpu_s'] for s in st) / len(st):.0f} | {fails} |")
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
