"""Two real processes saving the same cache key at the same moment, many times.

Used by tests/test_cache.py and runnable on its own to measure (issue 16, point 1):

    .venv/bin/python tests/cache_race.py --trials 40 [--api old|new]

Each trial, two writer processes train the same tiny model under the same key
(force=True) and are held at a barrier right at the start of the save, so the
two saves overlap (the second starts up to 40 % of a save's duration later; with
the new cache, writer 0 also waits inside its save until writer 1 has begun).
Then writer 0 inspects the entry on disk (are its weights what one of the
writers trained?) and calls fit_or_load again to see whether a damaged entry
would be loaded. One JSON summary line is printed at the end.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
N_FEATURES, N_UNITS = 256, 1024  # a 1 MB weights file: the save takes a few ms, long enough to collide
STAGGER = (0.0, 0.2, 0.4, 0.1, 0.3, 0.05)   # the second save starts this fraction of a save later


def _barrier(sync: Path, tag: str, ident: int, parties: int = 2, timeout: float = 30.0) -> bool:
    (sync / f"{tag}.{ident}").touch()
    deadline = time.monotonic() + timeout
    while len(list(sync.glob(f"{tag}.*"))) < parties:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.0005)
    return True


def _data():
    import numpy as np

    rng = np.random.default_rng(0)
    x = rng.random((16, N_FEATURES)).astype("float32")
    return x, (x[:, 0] > 0.5).astype("int64")


def _build():
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((N_FEATURES,)), keras.layers.Dense(N_UNITS, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    return model


def _call(api: str, name: str, force: bool, trained: list):
    from course_utils.cache import fit_or_load

    x, y = _data()
    if api == "old":
        def fit(model):
            trained.append(1)
            return model.fit(x, y, epochs=1, batch_size=16, verbose=0).history
        return fit_or_load(name, _build, fit, {"epochs": 1, "batch_size": 16, "seed": 0}, (x, y), force=force)
    run = fit_or_load(name, _build, x, y, epochs=1, batch_size=16, force=force)
    if not run.loaded:
        trained.append(1)
    return run


def _digests(arrays) -> list:
    import hashlib

    import numpy as np

    return sorted(hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest() + str(np.shape(a)) for a in arrays)


def _entry_arrays(cache: Path, name: str):
    """The weight arrays stored on disk for ``name`` (old .weights.h5 or new .npz), or None."""
    import numpy as np

    files = sorted(cache.glob(f"{name}-*.weights.h5")) + sorted(cache.glob(f"{name}-*.npz"))
    if not files:
        return None
    path = files[0]
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            return [z[k] for k in z.files if k.startswith("w")]
    import h5py

    arrays = []
    with h5py.File(path, "r") as f:
        # model weights only (Keras also stores the optimizer's state there)
        f["layers"].visititems(lambda _, obj: arrays.append(obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return arrays


def worker(ident: int, sync: Path, cache: Path, trials: int, api: str) -> None:
    import contextlib
    import io

    import keras
    import numpy as np

    from course_utils import cache as cache_mod

    state = {"trial": -1, "intervals": {}}

    def hold_then(fn):
        def wrapped(*args, **kwargs):
            if state["trial"] >= 0:
                _barrier(sync, f"save-{state['trial']}", ident, timeout=10)
                if ident == 1:   # staggered starts: the second save also lands in the middle of the first
                    time.sleep(STAGGER[state["trial"] % len(STAGGER)] * state["save_s"])
                    (sync / f"entered-{state['trial']}").touch()
            start = time.time()
            try:
                return fn(*args, **kwargs)
            finally:
                if state["trial"] >= 0:
                    state["intervals"][state["trial"]] = (start, time.time())
        return wrapped

    # how long one save takes here, alone (the median of three), to stagger the two saves within it
    scratch = sync / f"scratch-{ident}"
    scratch.mkdir()
    model, durations = _build(), []
    for i in range(3):
        start = time.perf_counter()
        if hasattr(cache_mod, "_write_entry"):
            cache_mod._write_entry(scratch / f"s{i}.npz", cache_mod._pack(model, {}))
        else:
            model.save_weights(scratch / f"s{i}.weights.h5")
        durations.append(time.perf_counter() - start)
    state["save_s"] = sorted(durations)[1]

    if hasattr(cache_mod, "_write_entry"):   # the new cache: one function writes an entry
        cache_mod._write_entry = hold_then(cache_mod._write_entry)
        write_file = cache_mod._write_file

        def write_file_once_both_are_saving(path, data):
            # writer 0 starts writing its file only once writer 1 has started its save too, so that
            # the saves overlap however the machine schedules the two processes
            if ident == 0 and state["trial"] >= 0:
                deadline = time.monotonic() + 2
                while not (sync / f"entered-{state['trial']}").exists() and time.monotonic() < deadline:
                    time.sleep(0.0005)
            return write_file(path, data)

        cache_mod._write_file = write_file_once_both_are_saving
    else:                                     # the old cache: model.save_weights wrote the temporary file
        keras.Model.save_weights = hold_then(keras.Model.save_weights)

    results = [{"save_s": state["save_s"]}]
    for t in range(trials):
        name = f"race{t}"
        _barrier(sync, f"start-{t}", ident)
        state["trial"] = t
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            run = _call(api, name, force=True, trained=[])
        state["trial"] = -1
        np.savez(sync / f"w-{t}-{ident}.npz", *run.model.get_weights())
        row = {"trial": t, "ident": ident, "save": state["intervals"].get(t), "printed": out.getvalue().strip()}
        _barrier(sync, f"done-{t}", ident)
        if ident == 0:
            written = [_digests(np.load(sync / f"w-{t}-{i}.npz").values()) for i in (0, 1)]
            stored = _entry_arrays(cache, name)
            row["entry"] = "missing" if stored is None else ("intact" if _digests(stored) in written else "damaged")
            row["zeroed_kernel"] = stored is not None and any(a.size > 1000 and not a.any() for a in stored)
            trained, out = [], io.StringIO()
            with contextlib.redirect_stdout(out):
                again = _call(api, name, force=False, trained=trained)
            loaded_ok = _digests(again.model.get_weights()) in written
            row["reload"] = ("retrained" if trained else "loaded intact" if loaded_ok else "loaded DAMAGED")
            row["reload_printed"] = out.getvalue().strip()
        results.append(row)
    (sync / f"results-{ident}.json").write_text(json.dumps(results))


def race(trials: int, api: str = "new", workdir: Path | None = None, timeout: float = 600) -> dict:
    """Run the two writers; return counts and the per-trial rows."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="cache-race-"))
    sync, cache = workdir / "sync", workdir / "cache"
    sync.mkdir(parents=True, exist_ok=True)
    cache.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "COURSE_CACHE_DIR": str(cache), "TF_CPP_MIN_LOG_LEVEL": "3",
           "CUDA_VISIBLE_DEVICES": "", "PYTHONPATH": str(ROOT)}
    env.pop("COURSE_FAST", None)
    env.pop("COURSE_RETRAIN", None)
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", str(i), "--sync", str(sync), "--cache", str(cache),
                               "--trials", str(trials), "--api", api], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for i in (0, 1)]
    logs = [p.communicate(timeout=timeout)[0] for p in procs]
    if any(p.returncode for p in procs):
        raise RuntimeError("a writer failed:\n" + "\n".join(log[-3000:] for log in logs))
    rows0 = json.loads((sync / "results-0.json").read_text())
    rows1 = json.loads((sync / "results-1.json").read_text())
    save_s = [rows0.pop(0)["save_s"], rows1.pop(0)["save_s"]]
    overlapping = save_errors = 0
    for a, b in zip(rows0, rows1):
        if a["save"] and b["save"] and a["save"][0] < b["save"][1] and b["save"][0] < a["save"][1]:
            overlapping += 1
        save_errors += any("could not save" in r["printed"] for r in (a, b))
    summary = {"api": api, "trials": trials, "one_save_ms": [round(1000 * t, 1) for t in save_s],
               "overlapping_saves": overlapping,
               "trials_with_a_failed_save": save_errors,
               "entries_missing": sum(r["entry"] == "missing" for r in rows0),
               "entries_damaged": sum(r["entry"] == "damaged" for r in rows0),
               "entries_with_a_zeroed_kernel": sum(r["zeroed_kernel"] for r in rows0),
               "damaged_loaded": sum(r["reload"] == "loaded DAMAGED" for r in rows0),
               "reloads_retrained": sum(r["reload"] == "retrained" for r in rows0),
               "leftover_temporary_files": sorted(p.name for p in cache.iterdir() if ".tmp" in p.name)}
    return {"summary": summary, "rows": rows0 + rows1}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--api", choices=("old", "new"), default="new")
    parser.add_argument("--worker", type=int)
    parser.add_argument("--sync", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--show", action="store_true", help="also print every trial")
    args = parser.parse_args()
    if args.worker is not None:
        worker(args.worker, args.sync, args.cache, args.trials, args.api)
    else:
        result = race(args.trials, args.api)
        if args.show:
            for row in result["rows"]:
                print(json.dumps(row))
        print(json.dumps(result["summary"]))
