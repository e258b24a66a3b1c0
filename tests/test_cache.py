"""The trained-model cache (course_utils.cache) and StopOnNaN, with tiny real Keras models.

Issue 16: point 1 (two writers), point 2 (stale keys), point 3 (failed loads,
full disk, names); the NaN stop of point 5 as fit_or_load uses it.
"""
import errno
import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
import pytest

from course_utils import cache, live

keras = pytest.importorskip("keras")

HERE = Path(__file__).resolve().parent
RNG = np.random.default_rng(0)
X = RNG.random((128, 8)).astype("float32")
Y = (X[:, :4].sum(1) > X[:, 4:].sum(1)).astype("int64")


def net(units=16, dropout=0.0, outputs=2):
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(units, activation="relu"),
                             keras.layers.Dropout(dropout), keras.layers.Dense(outputs, activation="softmax")])


def compiled(lr=1e-2, units=16, outputs=2, metrics=("accuracy",), seed=None):
    def build_model():
        if seed is not None:
            keras.utils.set_random_seed(seed)
        model = net(units, outputs=outputs)
        # run_eagerly: tracing fit's graph would cost more than training these tiny models
        model.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=list(metrics),
                      run_eagerly=True)
        return model
    return build_model


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    home = tmp_path / "cache"
    monkeypatch.setenv("COURSE_CACHE_DIR", str(home))
    monkeypatch.delenv("COURSE_FAST", raising=False)
    monkeypatch.delenv("COURSE_RETRAIN", raising=False)
    return home


def same_weights(a, b, atol=0.0):
    wa, wb = a.get_weights(), b.get_weights()
    return len(wa) == len(wb) and all(x.shape == y.shape and np.allclose(x, y, rtol=0, atol=atol)
                                      for x, y in zip(wa, wb))


# ------------------------------------------------------------------ the new form

class Curves(keras.callbacks.Callback):
    """Measures a curve outside the history, like 07's TimeBudget."""

    def __init__(self, every=1):
        super().__init__()
        self.every, self.points = every, []

    def on_epoch_end(self, epoch, logs=None):
        self.points.append(float(epoch * self.every))

    @property
    def curves(self):
        return {"extra": list(self.points)}


def test_new_form_fits_itself_then_loads_with_curves_scores_and_replay(cache_home, capsys):
    first = cache.fit_or_load("tiny", compiled(), X, Y, epochs=2, batch_size=32, callbacks=[Curves()],
                              validation_data=(X[:16], Y[:16]), test_data=(X[:32], Y[:32]))
    assert not first.loaded and first.path is not None and first.path.parent == cache_home
    assert len(first.history["loss"]) == 2 and first.history["extra"] == [0.0, 1.0] and "val_loss" in first.history
    assert set(first.scores) == {"loss", "accuracy"} and 0 <= first.scores["accuracy"] <= 1
    plot = live.LivePlot(metrics=("loss",), min_interval_s=0)
    second = cache.fit_or_load("tiny", compiled(), X, Y, epochs=2, batch_size=32, callbacks=[Curves()],
                               validation_data=(X[:16], Y[:16]), test_data=(X[:32], Y[:32]), live=plot)
    out = capsys.readouterr().out
    assert second.loaded and out.count("Cache: loaded tiny") == 1
    assert second.history == first.history and second.scores == first.scores and second.key == first.key
    assert same_weights(first.model, second.model)
    assert plot.runs[-1]["points"]["loss"][1] == first.history["loss"]   # replayed into the live plot


def test_live_plot_trains_live_and_is_not_part_of_the_key(cache_home):
    plot = live.LivePlot(metrics=("loss",), min_interval_s=0)
    run = cache.fit_or_load("tiny", compiled(), X, Y, epochs=1, batch_size=64, live=plot)
    assert plot.runs and plot.runs[0]["points"]["loss"][1]              # drawn while training
    again = cache.fit_or_load("tiny", compiled(), X, Y, epochs=1, batch_size=64,
                              callbacks=[plot.callback("display only")])
    assert again.loaded and again.key == run.key


def test_seeds_are_set_before_build_model(cache_home):
    a = cache.fit_or_load("s", compiled(), X, Y, epochs=1, seed=3, force=True)
    b = cache.fit_or_load("s", compiled(), X, Y, epochs=1, seed=3, force=True)
    c = cache.fit_or_load("s", compiled(), X, Y, epochs=1, seed=4, force=True)
    assert same_weights(a.model, b.model, atol=1e-6) and not same_weights(a.model, c.model, atol=1e-6)


def test_force_retrain_env_and_fast_mode_skip_the_cache(cache_home, monkeypatch):
    first = cache.fit_or_load("f", compiled(), X, Y, epochs=1)
    assert not cache.fit_or_load("f", compiled(), X, Y, epochs=1, force=True).loaded
    monkeypatch.setenv("COURSE_RETRAIN", "1")
    assert not cache.fit_or_load("f", compiled(), X, Y, epochs=1).loaded
    monkeypatch.delenv("COURSE_RETRAIN")
    assert cache.fit_or_load("f", compiled(), X, Y, epochs=1).loaded
    monkeypatch.setenv("COURSE_FAST", "1")
    before = sorted(p.name for p in cache_home.iterdir())
    run = cache.fit_or_load("f", compiled(), X, Y, epochs=1)
    assert not run.loaded and run.key == first.key
    assert cache.fit_or_load("g", compiled(), X, Y, epochs=1).path is None
    assert sorted(p.name for p in cache_home.iterdir()) == before   # fast mode writes nothing either
    with pytest.raises(ValueError, match="lambda"):                 # and still says what it cannot fingerprint
        cache.fit_or_load("f", compiled(), X, Y, callbacks=[keras.callbacks.LambdaCallback(lambda *a: None)])


def test_dataset_needs_key_data_and_is_keyed_on_it(cache_home):
    tf = pytest.importorskip("tensorflow")

    def pipeline(x, y):
        return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(64, seed=0).batch(32)

    with pytest.raises(ValueError, match="key_data"):
        cache.fit_or_load("ds", compiled(), pipeline(X, Y), epochs=1)
    first = cache.fit_or_load("ds", compiled(), pipeline(X, Y), key_data=(X, Y, 32), epochs=1, shuffle=False)
    again = cache.fit_or_load("ds", compiled(), pipeline(X, Y), key_data=(X, Y, 32), epochs=1, shuffle=False)
    other = cache.fit_or_load("ds", compiled(), pipeline(X, Y), key_data=(X, Y, 16), epochs=1, shuffle=False)
    assert not first.loaded and again.loaded and not other.loaded


# ------------------------------------------------------------------ point 2: the key misses nothing

def key(build=None, x=X, y=Y, seed=0, key_data=None, test_data=None, **fit_kwargs):
    """The key fit_or_load would use, without training."""
    model, rng = cache._build(build or compiled(), seed)
    return cache._new_key("k", model, rng, x, y, key_data, fit_kwargs, test_data, None, None, seed)


def plateau(factor=0.5, patience=1):
    return keras.callbacks.ReduceLROnPlateau(factor=factor, patience=patience)


def test_issue_example_changed_callback_settings_retrain(cache_home, capsys):
    # 07: ReduceLROnPlateau(factor=0.5, patience=1) -> (0.25, 3) printed "Cache: loaded nb07-plateau"
    fit = dict(epochs=2, batch_size=32, validation_data=(X[:32], Y[:32]))
    first = cache.fit_or_load("nb07-plateau", compiled(), X, Y, callbacks=[plateau(0.5, 1)], **fit)
    changed = cache.fit_or_load("nb07-plateau", compiled(), X, Y, callbacks=[plateau(0.25, 3)], **fit)
    same = cache.fit_or_load("nb07-plateau", compiled(), X, Y, callbacks=[plateau(0.5, 1)], **fit)
    assert not first.loaded and not changed.loaded and same.loaded
    assert capsys.readouterr().out.count("Cache: loaded") == 1


def test_key_is_the_same_for_the_same_run():
    base = key(epochs=2, callbacks=[plateau()], validation_data=(X[:8], Y[:8]))
    net()   # auto-numbered layer and optimizer names move on: they must not matter
    keras.optimizers.Adam()
    assert base == key(epochs=2, callbacks=[plateau()], validation_data=(X[:8].copy(), Y[:8].copy()))
    plot = live.LivePlot()
    assert base == key(epochs=2, callbacks=[plot.callback("x"), plateau()], validation_data=(X[:8], Y[:8]))


def test_key_changes_with_everything_a_student_changes(monkeypatch):
    big = RNG.random(5000).astype("float32")
    big2 = big.copy()
    big2[2500] += 1e-3   # two 5,000-element arrays that print the same abbreviated repr

    def seeded_inside(seed):
        def build_model():
            keras.utils.set_random_seed(seed)
            return compiled()()
        return build_model

    def unbuilt(seed):
        def build_model():
            keras.utils.set_random_seed(seed)
            model = keras.Sequential([keras.layers.Dense(4), keras.layers.Dense(2, activation="softmax")])
            model.compile("adam", "sparse_categorical_crossentropy")
            return model
        return build_model

    variants = {
        "base": key(epochs=2, batch_size=32, callbacks=[plateau()]),
        "epochs": key(epochs=3, batch_size=32, callbacks=[plateau()]),
        "batch size": key(epochs=2, batch_size=16, callbacks=[plateau()]),
        "callback factor": key(epochs=2, batch_size=32, callbacks=[plateau(0.25)]),
        "callback patience": key(epochs=2, batch_size=32, callbacks=[plateau(0.5, 3)]),
        "another callback": key(epochs=2, batch_size=32, callbacks=[plateau(), keras.callbacks.EarlyStopping()]),
        "custom callback": key(epochs=2, batch_size=32, callbacks=[plateau(), Curves(every=2)]),
        "validation": key(epochs=2, batch_size=32, callbacks=[plateau()], validation_data=(X[:8], Y[:8])),
        "class weight": key(epochs=2, batch_size=32, callbacks=[plateau()], class_weight={0: 1.0, 1: 2.0}),
        "shuffle": key(epochs=2, batch_size=32, callbacks=[plateau()], shuffle=False),
        "one data value": key(x=X + np.eye(128, 8, dtype="float32") * 1e-6, epochs=2, batch_size=32,
                              callbacks=[plateau()]),
        "labels": key(y=1 - Y, epochs=2, batch_size=32, callbacks=[plateau()]),
        "test data": key(test_data=(X[:8], Y[:8]), epochs=2, batch_size=32, callbacks=[plateau()]),
        "seed": key(seed=1, epochs=2, batch_size=32, callbacks=[plateau()]),
        "seed inside build": key(build=seeded_inside(1), epochs=2, batch_size=32, callbacks=[plateau()]),
        "learning rate": key(build=compiled(lr=2e-2), epochs=2, batch_size=32, callbacks=[plateau()]),
        "width": key(build=compiled(units=17), epochs=2, batch_size=32, callbacks=[plateau()]),
        "metrics": key(build=compiled(metrics=()), epochs=2, batch_size=32, callbacks=[plateau()]),
    }
    assert len(set(variants.values())) == len(variants), \
        [k for k in variants if list(variants.values()).count(variants[k]) > 1]
    assert key(key_data=(big,), x=X) != key(key_data=(big2,), x=X)
    assert key(x=X, sample_weight=np.ones(128)) != key(x=X, sample_weight=np.r_[np.ones(127), 2.0])
    assert key(build=seeded_inside(1)) == key(build=seeded_inside(1))
    assert key(build=unbuilt(1)) != key(build=unbuilt(2)) and key(build=unbuilt(1)) == key(build=unbuilt(1))
    before = key()
    versions = cache._versions_full()
    monkeypatch.setattr(cache, "_versions_full", lambda: {**versions, "keras": "9.9.9"})
    assert key() != before


def test_loss_config_changes_the_key():
    def with_loss(smoothing):
        def build_model():
            model = net()
            model.compile("adam", keras.losses.CategoricalCrossentropy(label_smoothing=smoothing))
            return model
        return build_model

    y1 = np.eye(2)[Y]
    assert key(with_loss(0.1), y=y1) == key(with_loss(0.1), y=y1) != key(with_loss(0.2), y=y1)


KEY_SCRIPT = textwrap.dedent("""
    import numpy as np, keras
    from course_utils import cache

    rng = np.random.default_rng(1)
    x, y = rng.random((64, 6)).astype("float32"), rng.integers(0, 3, 64)

    def build_model():
        inputs = keras.Input((6,))
        hidden = keras.layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(1e-3))(inputs)
        hidden = keras.layers.Dropout(0.2)(keras.layers.BatchNormalization()(hidden))
        model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(hidden))
        schedule = keras.optimizers.schedules.CosineDecay(1e-2, 100, warmup_target=2e-2, warmup_steps=10)
        model.compile(keras.optimizers.Adam(schedule), keras.losses.SparseCategoricalCrossentropy(),
                      metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)])
        return model

    model, rng_state = cache._build(build_model, 5)
    fit = dict(epochs=3, batch_size=16, validation_data=(x[:8], y[:8]), class_weight={0: 1.0, 1: 2.0, 2: 1.0},
               callbacks=[keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1),
                          keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True)])
    KEY = cache._new_key("stable", model, rng_state, x, y, None, fit, (x, y), None, None, 5)
    print("KEY", KEY)
    """)


def test_key_is_the_same_in_another_process():
    """A key that changed from one session to the next would retrain every time."""
    for _ in range(2):   # move Keras's auto-numbered names on first
        net()
        keras.optimizers.Adam()
    namespace = {}
    exec(KEY_SCRIPT.replace('print("KEY", KEY)', ""), namespace)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONHASHSEED": "12345", "PYTHONPATH": str(HERE.parent)}
    done = subprocess.run([sys.executable, "-c", KEY_SCRIPT], env=env, capture_output=True, text=True, timeout=300)
    assert f"KEY {namespace['KEY']}" in done.stdout, done.stdout + done.stderr[-2000:]


class Opaque:
    pass


def my_loss(y_true, y_pred):
    return keras.ops.mean((y_true - y_pred) ** 2)


@pytest.mark.parametrize("what, kwargs, named", [
    ("a lambda schedule", dict(callbacks=[keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr)]),
     r"callbacks\[0\]\.schedule is a lambda"),
    ("an arbitrary object", dict(sample_weight=Opaque()), "sample_weight is a Opaque"),
    ("an object in a callback", dict(callbacks=[plateau(), Curves()], epochs=1), None),
    ("a dataset without key_data", "dataset", "key_data"),
    ("an object array", dict(x=np.array([object()] * 128)), "dtype object"),
    ("a user loss function", "loss", "my_loss"),
    ("a Lambda layer", "lambda_layer", r"Lambda\)"),
])
def test_what_cannot_be_fingerprinted_raises_a_clear_error(what, kwargs, named):
    if kwargs == "dataset":
        tf = pytest.importorskip("tensorflow")
        kwargs = dict(x=tf.data.Dataset.from_tensor_slices((X, Y)).batch(8), y=None)
    elif kwargs == "loss":
        def build_model():
            model = net(outputs=1)
            model.compile("adam", my_loss)
            return model
        kwargs = dict(build=build_model)
    elif kwargs == "lambda_layer":
        def build_model():
            model = keras.Sequential([keras.Input((8,)), keras.layers.Lambda(lambda t: t * 2.0),
                                      keras.layers.Dense(2, activation="softmax")])
            model.compile("adam", "sparse_categorical_crossentropy")
            return model
        kwargs = dict(build=build_model)
    elif named is None:   # a callback holding something opaque in a public attribute
        kwargs["callbacks"][1].figure = Opaque()
        named = r"callbacks\[1\]\.figure is a Opaque.*private attributes"
    with pytest.raises(ValueError, match=named) as info:
        key(**kwargs)
    assert "fingerprint" in str(info.value)


# ------------------------------------------------------------------ point 1: two writers

def test_two_processes_saving_the_same_key_never_damage_it():
    """Issue 16.1: the old cache damaged 6 of 12 entries (zeroed kernels) and loaded all 6."""
    sys.path.insert(0, str(HERE))
    try:
        import cache_race
    finally:
        sys.path.remove(str(HERE))
    summary = cache_race.race(trials=6, api="old")["summary"]   # the old call form: it exists before and after
    assert summary["entries_damaged"] == 0 and summary["damaged_loaded"] == 0, summary
    assert summary["entries_missing"] == 0 and not summary["leftover_temporary_files"], summary


def test_writers_without_any_lock_still_leave_one_complete_entry(tmp_path, monkeypatch):
    # where flock is unavailable: unique temporary files + os.replace alone keep every entry whole
    import contextlib

    monkeypatch.setattr(cache, "_entry_lock", lambda path: contextlib.nullcontext(False))
    path = tmp_path / "e-0123456789abcdef.npz"
    payloads = [bytes([i]) * 300_000 for i in (1, 2)]
    errors = []

    def write(data):
        try:
            for _ in range(40):
                cache._write_entry(path, data)
                assert path.read_bytes() in payloads
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and path.read_bytes() in payloads
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


# ------------------------------------------------------------------ point 3: failed loads, names, full disk

def _entry(cache_home, name):
    files = sorted(cache_home.glob(f"{name}-*.npz")) + sorted(cache_home.glob(f"{name}-*.weights.h5"))
    assert len(files) == 1, files
    return files[0]


def _rewrite_npz(path, meta_fn=None, arrays_fn=None):
    with np.load(path) as z:
        meta = json.loads(z["meta"].tobytes())
        arrays = [z[f"w{i:04d}"] for i in range(meta["n_weights"])]
    if arrays_fn:
        arrays = arrays_fn(arrays)
        meta.update(weights_sha256=cache._weights_digest(arrays), n_weights=len(arrays))
    meta = meta_fn(meta) if meta_fn else meta
    with open(path, "wb") as f:
        np.savez(f, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
                 **{f"w{i:04d}": a for i, a in enumerate(arrays)})


def plant_other_layout(cache_home, name):
    """Replace the entry's weights by those of a net with the same first layer
    and another output layer, under a valid checksum (either cache format)."""
    import hashlib

    keras.utils.set_random_seed(7)
    other = compiled(outputs=3)()
    path = _entry(cache_home, name)
    if path.suffix == ".npz":
        _rewrite_npz(path, arrays_fn=lambda _: other.get_weights())
    else:   # the format before this change: .weights.h5 + .json with its sha256
        other.save_weights(path)
        meta_path = path.with_name(path.name.replace(".weights.h5", ".json"))
        meta = json.loads(meta_path.read_text())
        meta["weights_sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
        meta_path.write_text(json.dumps(meta))


def plant_metadata(cache_home, name, change):
    path = _entry(cache_home, name)
    if path.suffix == ".npz":
        _rewrite_npz(path, meta_fn=change)
    else:
        meta_path = path.with_name(path.name.replace(".weights.h5", ".json"))
        meta_path.write_text(json.dumps(change(json.loads(meta_path.read_text()))))


def legacy(name, build, calls=None, force=None, epochs=2):
    def fit(model):
        if calls is not None:
            calls.append(1)
        return model.fit(X, Y, epochs=epochs, batch_size=32, verbose=0).history
    return cache.fit_or_load(name, build, fit, {"epochs": epochs, "seed": 0}, (X, Y), force=force)


def test_other_layout_under_a_valid_checksum_retrains_a_fresh_model(cache_home, capsys):
    """Issue 16.3: the half-loaded model used to be trained and cached as if fresh."""
    build = compiled(seed=0)
    legacy("layout", build)
    plant_other_layout(cache_home, "layout")
    run = legacy("layout", build)
    out = capsys.readouterr().out
    assert not run.loaded and out.count("Cache:") == 1, out
    reference = legacy("layout", build, force=True)
    assert same_weights(run.model, reference.model, atol=1e-5)   # trained from scratch, nothing left over


def test_other_layout_new_form(cache_home, capsys):
    cache.fit_or_load("layout2", compiled(), X, Y, epochs=1)
    plant_other_layout(cache_home, "layout2")
    run = cache.fit_or_load("layout2", compiled(), X, Y, epochs=1)
    assert not run.loaded and "another layout" in capsys.readouterr().out
    reference = cache.fit_or_load("layout2", compiled(), X, Y, epochs=1, force=True)
    assert same_weights(run.model, reference.model, atol=1e-5)
    assert cache.fit_or_load("layout2", compiled(), X, Y, epochs=1).loaded   # the retrained entry is good


@pytest.mark.parametrize("change", [
    lambda meta: {k: v for k, v in meta.items() if k != "history"},
    lambda meta: {**meta, "history": [1, 2]},
    lambda meta: {**meta, "history": {"loss": "low"}},
    lambda meta: {**meta, "seconds": "3"},
    lambda meta: [meta],
], ids=["no history", "history a list", "history of text", "seconds text", "a list"])
def test_metadata_in_another_format_is_reported_and_retrained(cache_home, capsys, change):
    """Issue 16.3: a cache JSON in another format crashed with KeyError."""
    calls = []
    build = compiled(seed=0)
    legacy("meta", build, calls, epochs=1)
    plant_metadata(cache_home, "meta", change)
    run = legacy("meta", build, calls, epochs=1)
    out = capsys.readouterr().out
    assert not run.loaded and calls == [1, 1] and out.count("\n") == 1 and out.startswith("Cache:"), out


def test_truncated_or_garbage_entry_is_reported_and_retrained(cache_home, capsys):
    calls = []
    run = legacy("trunc", compiled(seed=0), calls)
    run.path.write_bytes(run.path.read_bytes()[:100])
    assert not legacy("trunc", compiled(seed=0), calls).loaded
    assert "truncated or corrupt" in capsys.readouterr().out
    _entry(cache_home, "trunc").write_bytes(b"{not a cache file")
    assert not legacy("trunc", compiled(seed=0), calls).loaded and len(calls) == 3
    assert legacy("trunc", compiled(seed=0), calls).loaded


def test_names_stay_inside_the_cache_dir_and_readable(cache_home):
    """Issue 16.3: fit_or_load('../escape', ...) wrote outside the cache dir."""
    outside = sorted(p.name for p in cache_home.parent.iterdir())
    legacy("../escape", compiled(seed=0), epochs=1)
    assert sorted(p.name for p in cache_home.parent.iterdir()) == sorted({*outside, "cache"})
    run = cache.fit_or_load("../../deeper/escape", compiled(), X, Y, epochs=1)
    assert sorted(p.name for p in cache_home.parent.iterdir()) == sorted({*outside, "cache"})
    assert all(p.parent == cache_home for p in cache_home.rglob("*")) and run.path.parent == cache_home
    assert cache._safe_name("MLP 200-100 relu (SGD)") == "MLP 200-100 relu (SGD)"
    assert cache._safe_name("../escape") == "_escape" and "/" not in cache._safe_name("a/b\\c")
    with pytest.raises(ValueError, match="name"):
        cache.fit_or_load("", compiled(), X, Y)


def test_full_disk_simulated(cache_home, monkeypatch, capsys):
    """A save that fails half-way (ENOSPC) prints one line, leaves no file
    behind and keeps the trained model; the next run trains and saves normally."""
    real_write = cache._write_file

    def full_disk(path, data):
        with open(path, "xb") as f:
            f.write(data[: len(data) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cache, "_write_file", full_disk)
    run = cache.fit_or_load("full", compiled(), X, Y, epochs=2, test_data=(X, Y))
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "is full" in out and "stays in memory" in out
    assert run.path is None and len(run.history["loss"]) == 2 and run.scores
    assert run.model.predict(X[:2], verbose=0).shape == (2, 2)
    assert [p.suffix for p in cache_home.iterdir()] == [".lock"]   # no temporary or partial entry
    monkeypatch.setattr(cache, "_write_file", real_write)
    assert not cache.fit_or_load("full", compiled(), X, Y, epochs=2, test_data=(X, Y)).loaded
    assert cache.fit_or_load("full", compiled(), X, Y, epochs=2, test_data=(X, Y)).loaded


def test_stale_temporary_files_of_killed_writers_do_not_matter(cache_home):
    run = cache.fit_or_load("stale", compiled(), X, Y, epochs=1)
    stale = cache_home / f".{run.path.stem}.999999-deadbeef.tmp"
    stale.write_bytes(b"half a file")
    os.utime(stale, (1, 1))
    fresh = cache_home / f".{run.path.stem}.999998-deadbeef.tmp"
    fresh.write_bytes(b"another writer, still busy")
    assert cache.fit_or_load("stale", compiled(), X, Y, epochs=1).loaded
    cache.fit_or_load("stale", compiled(), X, Y, epochs=1, force=True)
    assert not stale.exists() and fresh.exists()   # only the old one is cleared


FULL_DISK_SCRIPT = textwrap.dedent("""
    import os, sys
    import numpy as np, keras
    from course_utils.cache import fit_or_load

    x = np.random.default_rng(0).random((64, 64)).astype("float32")
    y = (x[:, 0] > 0.5).astype("int64")

    def build_model():
        model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(512, activation="relu"),
                                  keras.layers.Dense(2, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy")
        return model

    def fit(model):
        return model.fit(x, y, epochs=1, batch_size=32, verbose=0).history

    for attempt in range(2):   # the form notebooks 05-07 use today, then the new one
        run = fit_or_load("full", build_model, fit, {"epochs": 1}, (x, y))
        print("RESULT", run.loaded, len(run.history["loss"]), run.model.count_params(), flush=True)
    run = fit_or_load("full", build_model, x, y, epochs=1, batch_size=32)
    print("RESULT", run.loaded, len(run.history["loss"]), run.model.count_params(), flush=True)
    """)


def _mount_tiny_tmpfs(where: Path) -> bool:
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("mount"):
        return False
    where.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(where)], capture_output=True)
    return done.returncode == 0


def test_full_disk_on_a_real_small_filesystem(tmp_path):
    """Issue 16.3 on a real 96 KiB tmpfs (needs root; skipped otherwise): the old
    cache printed an HDF5 error, left orphans and the process died at exit (rc 139)."""
    mnt = tmp_path / "tiny"
    if not _mount_tiny_tmpfs(mnt):
        pytest.skip("mounting a small tmpfs needs root (the simulated full disk test still runs)")
    try:
        env = {**os.environ, "COURSE_CACHE_DIR": str(mnt), "TF_CPP_MIN_LOG_LEVEL": "3",
               "PYTHONPATH": str(HERE.parent)}
        env.pop("COURSE_FAST", None)
        env.pop("COURSE_RETRAIN", None)
        done = subprocess.run([sys.executable, "-c", FULL_DISK_SCRIPT], env=env, capture_output=True, text=True,
                              timeout=300)
        lines = [l for l in done.stdout.splitlines() if l.startswith("Cache:")]
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        assert len(lines) == 3 and all("is full" in l for l in lines), done.stdout
        assert done.stdout.count("RESULT False 1 34306") == 3
        assert all(p.suffix == ".lock" for p in mnt.iterdir()), list(mnt.iterdir())
    finally:
        subprocess.run(["umount", str(mnt)], check=False)


def test_unwritable_cache_dir_still_trains(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(blocker / "sub"))
    monkeypatch.delenv("COURSE_FAST", raising=False)
    run = cache.fit_or_load("tiny", compiled(), X, Y, epochs=1)
    assert not run.loaded and "could not save" in capsys.readouterr().out


# ------------------------------------------------------------------ NaN

def test_nan_data_stops_training_says_where_and_is_not_cached(cache_home, capsys):
    bad = X.copy()
    bad[40, 3] = np.nan
    run = cache.fit_or_load("nan", compiled(), bad, Y, epochs=5, batch_size=16, shuffle=False)
    out = capsys.readouterr().out
    assert run.stopped_on_nan and "Training stopped" in out and "epoch 1" in out and "batch" in out
    assert "NaN" in out and "learning rate" in out and "x holds 1 NaN/inf value" in out
    assert len(run.history["loss"]) == 1 and not list(cache_home.glob("nan-*.npz"))


def test_too_high_learning_rate_stops_at_the_batch(cache_home, capsys):
    def exploding():
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(1)])
        model.compile(keras.optimizers.SGD(1e8), "mse")
        return model

    run = cache.fit_or_load("boom", exploding, X * 100, Y * 100.0, epochs=3, batch_size=8)
    assert run.stopped_on_nan.startswith("Training stopped: loss became") and ", batch " in run.stopped_on_nan
    assert "The data are finite: the learning rate is the likely cause." in run.stopped_on_nan
    assert not list(cache_home.glob("boom-*.npz"))


def test_stop_on_nan_is_a_plain_keras_callback(capsys):
    guard = live.StopOnNaN()
    assert isinstance(guard, live.StopOnNaN) and isinstance(guard, keras.callbacks.Callback)
    model = compiled()()
    model.fit(X, Y, epochs=1, verbose=0, callbacks=[guard])
    assert not guard.stopped and guard.message == ""
    bad = X.copy()
    bad[0, 0] = np.inf
    model.fit(bad, Y, epochs=3, batch_size=128, verbose=0, callbacks=[guard])
    assert guard.stopped and guard.epoch == 1 and guard.batch == 1 and capsys.readouterr().out.count("\n") == 1


# ------------------------------------------------------------------ the deprecated form (notebooks 05-07 today)

def test_legacy_form_still_trains_loads_and_scores(cache_home, capsys):
    calls, evals = [], []

    def run(x_eval, **kw):
        def evaluate(model):
            evals.append(1)
            return {"accuracy": model.evaluate(x_eval, Y[: len(x_eval)], verbose=0)[1]}

        def fit(model):
            calls.append(1)
            return model.fit(X, Y, epochs=1, verbose=0)
        # 07 passes config= and data= by keyword; 05 and 06 pass them by position
        return cache.fit_or_load("scored", compiled(seed=0), fit, config={"seed": 0}, data=(X, Y),
                                 evaluate=evaluate, eval_data=(x_eval, Y[: len(x_eval)]), **kw)

    first, second = run(X), run(X)
    assert second.loaded and second.scores == first.scores and 0 <= first.scores["accuracy"] <= 1
    assert calls == [1] and evals == [1] and same_weights(first.model, second.model)
    assert not run(X[:-1]).loaded                     # other evaluation data: another key
    positional = cache.fit_or_load("pos", compiled(seed=0), lambda m: m.fit(X, Y, verbose=0).history,
                                   {"lr": 1}, (X, Y))
    assert not positional.loaded and len(positional.history["loss"]) == 1
    with pytest.raises(ValueError, match="eval_data"):
        cache.fit_or_load("x", compiled(), lambda m: {}, {}, (X, Y), evaluate=lambda m: {})


def test_legacy_key_is_unchanged():
    key_a = cache.cache_key("tiny", net(), {"lr": 1}, (X, Y))
    assert key_a == cache.cache_key("tiny", net(), {"lr": 1}, (X, Y))      # layer names do not matter
    assert key_a != cache.cache_key("tiny", net(), {"lr": 1}, (X[:-1], Y[:-1]))
    assert key_a != cache.cache_key("tiny", net(dropout=0.5), {"lr": 1}, (X, Y))
