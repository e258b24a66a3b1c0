"""Live plot and tuning panel, with small real Keras models (the model cache: test_cache.py)."""
import threading

import numpy as np
import pytest

from course_utils import live
from course_utils.widgets import TuningPanel, train_model, validate_settings

keras = pytest.importorskip("keras")

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

    panel = TuningPanel(build, (np.repeat(X, 40, 0), np.repeat(Y, 40, 0)), epochs=50)
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

# The model cache's tests are in tests/test_cache.py.
