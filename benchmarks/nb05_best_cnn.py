"""Benchmark for notebook 05 (printed figures for the README; never a timed test).

It reuses the notebook itself, never a copy of its models:

* ``--notebook``: runs ``notebooks/05_cnn_mnist.ipynb`` in full mode with an empty
  model cache on full MNIST (``--data-dir``, default ``../shared/data``) and on the
  offline subset with the official test set, and prints every model's test
  accuracy and training seconds (the notebook writes its results table to the
  JSON file named by COURSE_RESULTS_JSON) and the whole notebook's minutes,
  wall and CPU (user + sys of the kernel), with the load average.
* ``--keras-io``: trains the notebook's bag-of-tricks recipe and the keras-io
  ``mnist_convnet`` recipe (Chollet; two 3x3 convolutions, 15 epochs of Adam at
  batch 128) on the same full-MNIST digits in this one process, and prints both.
* ``--five-k``: the bag of tricks on the 5,000 offline digits only, tested on
  the official 10,000: which trick buys how much (each row adds one trick) and
  the training seconds (target: >= 98.5 % in <= 60 s on a 2-core CPU).

The model definitions (``tricks_cnn``, ``one_cycle``, ``lenet5``) are executed
from the notebook's code cells tagged ``definitions``.

    python benchmarks/nb05_best_cnn.py                  # all three parts
    python benchmarks/nb05_best_cnn.py --five-k --seeds 0 1 2
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "05_cnn_mnist.ipynb"
MNIST_TEST = "mnist-test"


def cpu_seconds(who=resource.RUSAGE_SELF) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def load() -> str:
    return "/".join(f"{v:.1f}" for v in os.getloadavg())


def notebook_parameters(small: bool) -> dict:
    """BATCH, EPOCHS, PEAK_LR and AUGMENT as the notebook's parameters cell sets
    them in full mode, for full MNIST (small=False) or the offline subset."""
    import ast

    import nbformat

    wanted = {"BATCH", "EPOCHS", "PEAK_LR", "AUGMENT"}
    namespace = {"SMALL": small, "pick": lambda fast, full: full}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type != "code" or "TARGET = " not in cell.source:
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, ast.Assign) and {getattr(t, "id", None) for t in node.targets} & wanted:
                exec(compile(ast.Module([node], []), NOTEBOOK.name, "exec"), namespace)
    missing = wanted - namespace.keys()
    if missing:
        raise SystemExit(f"the notebook's parameters cell no longer sets {sorted(missing)}")
    return {k: namespace[k] for k in wanted}


def notebook_definitions() -> dict:
    """Execute the notebook's cells tagged ``definitions`` and return their names."""
    import keras
    import nbformat
    import numpy as np
    from keras import layers

    namespace = {"np": np, "keras": keras, "layers": layers}
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type == "code" and "definitions" in cell.metadata.get("tags", []):
            exec(compile(cell.source, f"{NOTEBOOK.name}:definitions", "exec"), namespace)
    return namespace


# ---------------------------------------------------------------- the whole notebook
def run_notebook(data_dir: str | None, label: str, offline: bool) -> dict:
    """Execute the notebook in full mode in a fresh kernel with an empty cache;
    returns its results table plus wall/CPU seconds and load averages."""
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.json"
        env = {**os.environ, "COURSE_FAST": "0", "COURSE_CACHE_DIR": str(Path(tmp) / "cache"),
               "COURSE_RESULTS_JSON": str(results), "COURSE_CHECK_STRICT": "1"}
        env.pop("COURSE_DATA_DIR", None)
        if data_dir:
            env["COURSE_DATA_DIR"] = data_dir
        if offline:
            env["COURSE_OFFLINE"] = "1"
        # a kernel of THIS interpreter: the default "python3" kernelspec may belong to another checkout's venv
        subprocess.run([sys.executable, "-m", "ipykernel", "install", "--prefix", str(Path(tmp) / "kernel"),
                        "--name", "nb05-benchmark"], check=True, capture_output=True)
        env["JUPYTER_PATH"] = str(Path(tmp) / "kernel" / "share" / "jupyter")
        load_before, cpu_before, started = load(), cpu_seconds(resource.RUSAGE_CHILDREN), time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                               "--ExecutePreprocessor.kernel_name=nb05-benchmark",
                               "--ExecutePreprocessor.timeout=3600", "--output-dir", tmp, str(NOTEBOOK)],
                              env=env, cwd=ROOT / "notebooks", capture_output=True, text=True)
        wall = time.perf_counter() - started
        cpu = cpu_seconds(resource.RUSAGE_CHILDREN) - cpu_before
        if done.returncode:
            print(done.stderr[-3000:])
            raise SystemExit(f"notebook 05 failed on {label}")
        table = json.loads(results.read_text())
    return {"label": label, "wall": wall, "cpu": cpu, "load": f"{load_before} -> {load()}", **table}


def print_notebook(run: dict) -> None:
    print(f"\n05 in full mode on {run['label']} ({run['source']}): {run['wall'] / 60:.1f} min wall, "
          f"{run['cpu'] / 60:.1f} min CPU (user+sys), load average {run['load']}")
    print(f"  {'model':32s} {'test acc':>8s} {'train s':>8s} {'cpu s':>7s} {'digits':>7s} {'epochs':>6s}")
    for name, row in run["models"].items():
        cpu = "-" if row["cpu s"] is None else f"{row['cpu s']:.0f}"
        print(f"  {name:32s} {row['test accuracy']:8.2%} {row['train s']:8.1f} {cpu:>7s} "
              f"{row['train digits']:7,d} {row['epochs']:6d}")


# ---------------------------------------------------------------- training one recipe in this process
def fit_and_score(build, compile_args, x, y, x_test, y_test, epochs, batch_size, seed, validation=None):
    import keras
    import numpy as np

    keras.utils.set_random_seed(seed)
    model = build()
    model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"], **compile_args)
    cpu0, wall0 = cpu_seconds(), time.perf_counter()
    model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=0, validation_data=validation)
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    acc = float(np.mean(model.predict(x_test, batch_size=1000, verbose=0).argmax(1) == y_test))
    return acc, wall, cpu, model.count_params()


def mnist_arrays(data_dir: str | None, offline: bool):
    if data_dir:
        os.environ["COURSE_DATA_DIR"] = data_dir
    if offline:
        os.environ["COURSE_OFFLINE"] = "1"
    else:
        os.environ.pop("COURSE_OFFLINE", None)
    from course_utils import data

    mnist = data.load_mnist()
    scale = lambda x: (x[..., None] / 255.0).astype("float32")   # noqa: E731
    return mnist, scale(mnist.x_train), mnist.y_train.astype("int64"), scale(mnist.x_test), mnist.y_test


def keras_io_convnet():
    """keras-io's mnist_convnet model (F. Chollet), as published."""
    import keras
    from keras import layers

    return keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(32, 3, activation="relu"),
                             layers.MaxPooling2D(2), layers.Conv2D(64, 3, activation="relu"),
                             layers.MaxPooling2D(2), layers.Flatten(), layers.Dropout(0.5),
                             layers.Dense(10, activation="softmax")], name="keras_io_mnist_convnet")


def compare_keras_io(data_dir: str, seed: int) -> None:
    import keras

    defs, params = notebook_definitions(), notebook_parameters(small=False)
    epochs, peak_lr, batch = params["EPOCHS"]["tricks"], params["PEAK_LR"]["tricks"], params["BATCH"]
    mnist, x, y, x_test, y_test = mnist_arrays(data_dir, offline=False)
    if not mnist.is_full:
        raise SystemExit("--keras-io needs full MNIST (--data-dir)")
    n_val = len(y) // 10                     # the notebook's split: validation = the first 10 %
    x_train, y_train, val = x[n_val:], y[n_val:], (x[:n_val], y[:n_val])
    print(f"\nSame {len(y_train):,} training digits, official {len(y_test):,} test digits, one process "
          f"(load average {load()}):")
    ours = fit_and_score(lambda: defs["tricks_cnn"](augment=params["AUGMENT"]), {"optimizer": keras.optimizers.Adam(
        defs["one_cycle"](peak_lr, epochs, len(y_train), batch))}, x_train, y_train, x_test, y_test, epochs, batch,
        seed, val)
    theirs = fit_and_score(keras_io_convnet, {"optimizer": "adam"}, x_train, y_train, x_test, y_test, 15, 128, seed,
                           val)
    for name, (acc, wall, cpu, params) in (("notebook 05 bag of tricks", ours), ("keras-io mnist_convnet", theirs)):
        print(f"  {name:28s} test {acc:.2%}  training {wall:6.1f} s wall, {cpu:6.1f} s CPU, {params:,} parameters")
    print(f"  (load average now {load()})")


# ---------------------------------------------------------------- 5,000 digits: which trick buys how much
def five_k(data_dir: str | None, seeds: list[int]) -> None:
    import keras
    import numpy as np

    defs, params = notebook_definitions(), notebook_parameters(small=True)
    epochs, peak_lr, batch, augment = (params["EPOCHS"]["tricks"], params["PEAK_LR"]["tricks"], params["BATCH"],
                                       params["AUGMENT"])
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(data_dir or "") / MNIST_TEST
        if source.is_dir():                       # the official test set without the training set
            os.symlink(source.resolve(), Path(tmp) / MNIST_TEST)
        mnist, x, y, x_test, y_test = mnist_arrays(tmp, offline=True)
    one_cycle, tricks = defs["one_cycle"], defs["tricks_cnn"]
    adam = lambda: {"optimizer": keras.optimizers.Adam(one_cycle(peak_lr, epochs, len(y), batch))}   # noqa: E731
    recipes = [
        ("LeNet-5, constant Adam 1e-3", defs["lenet5"], lambda: {"optimizer": keras.optimizers.Adam(1e-3)}),
        ("LeNet-5, one-cycle", defs["lenet5"], adam),
        ("wider body (16/32 filters, Dense 128)", lambda: tricks(batch_norm=False, dropout=0.0), adam),
        ("+ batch norm", lambda: tricks(batch_norm=True, dropout=0.0), adam),
        ("+ dropout 0.3", lambda: tricks(batch_norm=True, dropout=0.3), adam),
        ("+ augmentation (the notebook's bag of tricks)", lambda: tricks(augment=augment), adam),
    ]
    print(f"\nBag of tricks on the {len(y):,} offline training digits ({mnist.source.split(';')[0]}), "
          f"{epochs} epochs at batch {batch}, tested on {len(y_test):,}; seeds {seeds}; load average {load()}")
    print(f"  {'recipe':48s} {'test acc':>9s} {'gain':>6s} {'train s':>8s} {'cpu s':>6s}")
    previous = None
    for name, build, compile_args in recipes:
        runs = [fit_and_score(build, compile_args(), x, y, x_test, y_test, epochs, batch, seed) for seed in seeds]
        acc = float(np.mean([r[0] for r in runs]))
        spread = f" ±{np.std([r[0] for r in runs]):.2%}" if len(runs) > 1 else ""
        gain = "" if previous is None else f"{100 * (acc - previous):+.2f}"
        print(f"  {name:48s} {acc:9.2%}{spread} {gain:>6s} {np.mean([r[1] for r in runs]):8.1f} "
              f"{np.mean([r[2] for r in runs]):6.1f}", flush=True)
        previous = acc
    wall = np.mean([r[1] for r in runs])
    verdict = "MET" if acc >= 0.985 and wall <= 60 else "NOT MET"
    print(f"  target >= 98.5 % on the official test set in <= 60 s of training: {verdict} "
          f"({acc:.2%}, {wall:.0f} s wall; load average {load()})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebook", action="store_true", help="run the whole notebook on both data sources")
    parser.add_argument("--keras-io", action="store_true", help="our recipe against keras-io's on full MNIST")
    parser.add_argument("--five-k", action="store_true", help="the 5,000-digit table")
    parser.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    everything = not (args.notebook or args.keras_io or args.five_k)
    if args.five_k or everything:
        five_k(args.data_dir, args.seeds)
    if args.keras_io or everything:
        compare_keras_io(args.data_dir, args.seeds[0])
    if args.notebook or everything:
        with tempfile.TemporaryDirectory() as offline_dir:
            test_dir = Path(args.data_dir) / MNIST_TEST
            if test_dir.is_dir():
                os.symlink(test_dir.resolve(), Path(offline_dir) / MNIST_TEST)
            runs = [run_notebook(args.data_dir, "full MNIST", offline=False),
                    run_notebook(offline_dir, "the offline subset", offline=True)]
        for run in runs:
            print_notebook(run)


if __name__ == "__main__":
    main()
