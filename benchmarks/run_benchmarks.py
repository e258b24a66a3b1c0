"""Benchmark figures for the README (printed; never a timed test).

    python3 course.py bench                 # everything (full mode takes a while)
    python3 course.py bench --fast-only     # skip the full-mode notebook runs
    python3 course.py bench --notebooks 05  # only notebooks whose name contains 05

Prints: `import course_utils` time; time from Train click to the first plotted
point in the tuning panel; seconds per notebook in fast and full mode; and
notebook 05 in full mode on a first run (empty model cache) versus a re-run.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def import_time(repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c",
                              "import time; t=time.perf_counter(); import course_utils; "
                              "print(time.perf_counter()-t)"], capture_output=True, text=True, check=True)
        times.append(float(out.stdout))
    return statistics.median(times)


def panel_first_point() -> tuple[float, float]:
    """Seconds from Train to the first plotted point for the demo MLP of
    notebook 07 (on 5k MNIST digits), and the whole 1-epoch run."""
    code = r"""
import time, numpy as np, keras
from course_utils import data
from course_utils.widgets import TuningPanel
m = data.load_mnist(verbose=False)
x = m.x_train.reshape(len(m.x_train), -1).astype("float32") / 255
def build(rate):
    return keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
                             keras.layers.Dropout(rate), keras.layers.Dense(10, activation="softmax")])
panel = TuningPanel(build, (x, m.y_train), epochs=1)
panel.train_button.click(); run = panel.wait()
print(panel.first_point_s, run["seconds"])
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    first, total = map(float, out.stdout.split()[-2:])
    return first, total


def run_notebook(path: Path, fast: bool, extra_env: dict | None = None, cells: list | None = None) -> float:
    """Wall seconds to execute ``path`` with nbconvert; when ``cells`` is a list,
    append (seconds, text output) for every code cell to it."""
    env = {**os.environ, "COURSE_FAST": "1" if fast else "0", "MPLBACKEND": "Agg",
           "TF_CPP_MIN_LOG_LEVEL": "3", **(extra_env or {})}
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                        "--ExecutePreprocessor.timeout=1800", "--output-dir", tmp, str(path)],
                       check=True, capture_output=True, env=env, cwd=ROOT / "notebooks")
        seconds = time.perf_counter() - started
        if cells is not None:
            cells.extend(_cell_times(Path(tmp) / path.name))
        return seconds


def _cell_times(executed: Path) -> list:
    import nbformat

    out = []
    for cell in nbformat.read(executed, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        stamps = cell.metadata.get("execution", {})
        start, end = stamps.get("iopub.execute_input"), stamps.get("shell.execute_reply")
        seconds = 0.0
        if start and end:
            seconds = (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()
        out.append((seconds, "".join(o.get("text", "") for o in cell.outputs)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fast-only", action="store_true")
    parser.add_argument("--notebooks", default="")
    args = parser.parse_args()
    print(f"data dir: {os.environ.get('COURSE_DATA_DIR') or ROOT / 'data'}; cores: {os.cpu_count()}")
    print(f"import course_utils: {import_time() * 1000:.1f} ms (median of 5)")
    first, total = panel_first_point()
    print(f"tuning panel, Train click -> first plotted point: {first:.2f} s (1-epoch run {total:.1f} s)")
    selected = [p for p in NOTEBOOKS if args.notebooks in p.name]
    print(f"{'notebook':28s} {'fast (s)':>9s} {'full (s)':>9s}")
    for path in selected:
        fast = run_notebook(path, fast=True)
        full = "-" if args.fast_only else f"{run_notebook(path, False, {'COURSE_RETRAIN': '1'}):9.1f}"
        print(f"{path.name:28s} {fast:9.1f} {full:>9s}", flush=True)
    if not args.fast_only and any("05" in p.name for p in selected):
        nb05 = next(p for p in selected if "05" in p.name)
        first_cells, rerun_cells = [], []
        with tempfile.TemporaryDirectory() as cache:
            first_run = run_notebook(nb05, fast=False, extra_env={"COURSE_CACHE_DIR": cache}, cells=first_cells)
            rerun = run_notebook(nb05, fast=False, extra_env={"COURSE_CACHE_DIR": cache}, cells=rerun_cells)
        print(f"notebook 05 full mode: first run {first_run:.1f} s, re-run with cache {rerun:.1f} s "
              f"({rerun / first_run:.2f} of the first)")
        # The cells that loaded from the cache on the re-run, timed in both runs: what the cache saves.
        cached = [i for i, (_, text) in enumerate(rerun_cells) if "Cache: loaded" in text]
        trained = sum(first_cells[i][0] for i in cached)
        loaded = sum(rerun_cells[i][0] for i in cached)
        print(f"  its {len(cached)} training cells: {trained:.1f} s training, {loaded:.1f} s loading "
              f"({loaded / max(trained, 1e-9):.2f}); the other {len(rerun_cells) - len(cached)} cells, the kernel "
              f"start and the TensorFlow import take the remaining {rerun - loaded:.1f} s of the re-run")


if __name__ == "__main__":
    main()
