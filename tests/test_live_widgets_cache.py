"""Live plot, tuning panel and model cache, with small real Keras models."""
import json
import threading

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from course_utils import cache, live
from course_utils.widgets import TuningPanel, train_model, validate_settings

RNG = np.random.default_rng(0)
X = RNG.random((256, 8)).astype("float32")
Y = (X[:, :4].sum(1) > X[:, 4:].sum(1)).astype("int64")


def build(dropout_rate):
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                             keras.layers.Dropout(dropout_rate), keras.layers.Dense(2, activation="softmax")])


def test_live_plot_collects_draws_and_replays():
    plot = live.LivePlot(metrics=("loss",), min_interval_s=0)
    plot.update(0, {"loss": 1.0, "val_loss": 1.2})
    plot.update_batch(1.5, {"loss": 0.8})
    assert plot.last("loss") == 0.8 and plot.last("val_loss") == 1.2 and plot.draw_count == 2
    plot.replay({"loss": [0.9, 0.4], "val_loss": [1.0, 0.6]}, label="old")
    assert len(plot.runs) == 2 and plot.runs[1]["points"]["loss"] == ([1.0, 2.0], [0.9, 0.4])
    plot.reset()
    assert plot.runs == []


def test_live_callback_feeds_plot_during_fit():
    plot = live.LivePlot(metrics=("loss", "accuracy"))
    model = build(0.0)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, epochs=2, batch_size=64, validation_split=0.25, verbose=0, callbacks=[plot.callback("r")])
    xs, _ = plot.runs[0]["points"]["val_loss"]
    assert xs == [1.0, 2.0] and len(plot.runs[0]["points"]["loss"][0]) > 2  # batch points too


def test_settings_out_of_range_are_refused():
    for bad in ({"learning_rate": 3.0}, {"learning_rate": 0}, {"batch_size": 33}, {"dropout": 0.95},
                {"epochs": 0}, {"epochs": 2.5}):
        with pytest.raises(ValueError, match="outside|one of|whole number"):
            validate_settings(**{"learning_rate": 1e-3, "batch_size": 32, "dropout": 0.1, "epochs": 1, **bad})


def test_panel_trains_with_exactly_the_values_set():
    panel = TuningPanel(build, (X, Y), (X[:64], Y[:64]), epochs=1)
    panel.set_values(learning_rate=0.004, batch_size=32, dropout=0.35, epochs=2)
    with pytest.raises(ValueError):
        panel.set_values(dropout=0.99)
    assert "Refused" in panel.status.value and panel.dropout.value == 0.35
    panel.train_button.click()
    run = panel.wait(timeout=120)
    model = run["model"]
    assert np.isclose(float(model.optimizer.learning_rate), 0.004)
    assert [l.rate for l in model.layers if isinstance(l, keras.layers.Dropout)] == [0.35]
    assert run["steps_per_epoch"] == 256 // 32 and len(run["history"]["loss"]) == 2
    assert panel.first_point_s is not None and panel.live.draw_count > 0
    assert panel.train_button.description == "Train" and not panel.running


def test_panel_stop_ends_training_and_keeps_runs():
    slow = threading.Event()

    def build_slow(rate):
        model = build(rate)
        return model

    panel = TuningPanel(build_slow, (np.repeat(X, 40, 0), np.repeat(Y, 40, 0)), epochs=50)
    panel.set_values(batch_size=8)
    panel.train()
    while panel.first_point_s is None and panel.running:
        slow.wait(0.05)
    panel.stop_button.click()
    run = panel.wait(timeout=60)
    assert run["stopped"] and len(run["history"].get("loss", [])) < 50
    panel.train()  # the panel (and kernel) still work after a stop
    panel.stop()
    panel.wait(timeout=60)
    assert len(panel.runs) == 2
    panel.reset_button.click()
    assert panel.runs == [] and panel.live.runs == []


def test_train_model_is_usable_without_widgets():
    model, history = train_model(build, (X, Y), None, learning_rate=1e-2, batch_size=64, dropout=0.0, epochs=3)
    assert len(history["loss"]) == 3 and history["loss"][-1] < history["loss"][0]


# ---------------------------------------------------------------- cache

@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("COURSE_FAST", raising=False)
    monkeypatch.delenv("COURSE_RETRAIN", raising=False)
    return tmp_path


def _run(lr=1e-2, force=None, plot=None, calls=None):
    def make():
        m = build(0.0)
        m.compile(keras.optimizers.Adam(lr), "sparse_categorical_crossentropy", metrics=["accuracy"])
        return m

    def fit(model):
        calls.append(1)
        return model.fit(X, Y, epochs=2, verbose=0).history

    return cache.fit_or_load("tiny", make, fit, {"lr": lr, "epochs": 2, "seed": 0}, (X, Y),
                             live=plot, force=force)


def test_second_run_loads_without_fit(cache_home, capsys):
    calls = []
    first = _run(calls=calls)
    plot = live.LivePlot(metrics=("loss",))
    second = _run(calls=calls, plot=plot)
    assert calls == [1] and not first.loaded and second.loaded
    assert "Cache: loaded tiny" in capsys.readouterr().out
    assert second.history == first.history and plot.runs[0]["points"]["loss"][1] == first.history["loss"]
    w1, w2 = first.model.get_weights(), second.model.get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))


def test_changed_hyperparameter_or_data_retrains(cache_home):
    calls = []
    _run(calls=calls)
    _run(lr=2e-2, calls=calls)
    assert len(calls) == 2
    key_a = cache.cache_key("tiny", build(0.0), {"lr": 1}, (X, Y))
    key_b = cache.cache_key("tiny", build(0.0), {"lr": 1}, (X[:-1], Y[:-1]))
    key_c = cache.cache_key("tiny", build(0.5), {"lr": 1}, (X, Y))
    assert len({key_a, key_b, key_c}) == 3
    assert key_a == cache.cache_key("tiny", build(0.0), {"lr": 1}, (X, Y))  # layer names do not matter


def test_truncated_cache_is_reported_and_retrained(cache_home, capsys):
    calls = []
    run = _run(calls=calls)
    run.path.write_bytes(run.path.read_bytes()[:100])
    again = _run(calls=calls)
    assert not again.loaded and len(calls) == 2
    assert "corrupt" in capsys.readouterr().out
    meta = next(cache_home.glob("tiny-*.json"))
    meta.write_text("{not json")
    assert not _run(calls=calls).loaded and len(calls) == 3


def test_force_and_fast_mode_skip_the_cache(cache_home, monkeypatch):
    calls = []
    _run(calls=calls)
    assert not _run(calls=calls, force=True).loaded
    monkeypatch.setenv("COURSE_RETRAIN", "1")
    assert not _run(calls=calls).loaded
    monkeypatch.delenv("COURSE_RETRAIN")
    monkeypatch.setenv("COURSE_FAST", "1")
    before = sorted(p.name for p in cache_home.iterdir())
    assert not _run(calls=calls).loaded
    assert sorted(p.name for p in cache_home.iterdir()) == before  # fast mode writes nothing either
    assert len(calls) == 4


def test_unwritable_cache_dir_still_trains(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(blocker / "sub"))
    monkeypatch.delenv("COURSE_FAST", raising=False)
    run = _run(calls=[])
    assert not run.loaded and "could not save" in capsys.readouterr().out


def test_key_is_stable_for_loss_objects():
    def compiled(smoothing):
        m = build(0.0)
        m.compile("adam", keras.losses.CategoricalCrossentropy(label_smoothing=smoothing))
        return m

    a = cache.cache_key("k", compiled(0.1), {}, (X,))
    assert a == cache.cache_key("k", compiled(0.1), {}, (X,))
    assert a != cache.cache_key("k", compiled(0.2), {}, (X,))


def test_scores_are_saved_and_keyed_on_the_evaluation_data(cache_home):
    calls, evals = [], []

    def run(x_eval):
        def make():
            m = build(0.0)
            m.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy", metrics=["accuracy"])
            return m

        def evaluate(model):
            evals.append(1)
            return {"accuracy": model.evaluate(x_eval, Y[: len(x_eval)], verbose=0)[1]}

        return cache.fit_or_load("scored", make, lambda m: calls.append(1) or m.fit(X, Y, epochs=1, verbose=0),
                                 {"seed": 0}, (X, Y), evaluate=evaluate, eval_data=(x_eval, Y[: len(x_eval)]))

    first, second = run(X), run(X)
    assert second.loaded and second.scores == first.scores and 0 <= first.scores["accuracy"] <= 1
    assert calls == [1] and evals == [1]              # the re-run neither trains nor evaluates
    assert not run(X[:-1]).loaded                     # other evaluation data: another key
    with pytest.raises(ValueError, match="eval_data"):
        cache.fit_or_load("x", lambda: build(0.0), lambda m: {}, {}, (X, Y), evaluate=lambda m: {})
