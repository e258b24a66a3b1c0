"""The tuning panel and live plot under bad input, NaN runs and a long lesson; the curves
a student reads; projector style. Small real Keras models (a few seconds in all)."""
import gc
import math
import threading
import weakref

import numpy as np
import pytest

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")

from course_utils import live, plotting, widgets  # noqa: E402
from course_utils.widgets import TuningPanel, teach, train_model, validate_settings  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.random((192, 8)).astype("float32")
Y = (X[:, :4].sum(1) > X[:, 4:].sum(1)).astype("int64")
GOOD = {"learning_rate": 1e-3, "batch_size": 32, "dropout": 0.1, "epochs": 1}


def build(rate):
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(8, activation="relu"),
                             keras.layers.Dropout(rate), keras.layers.Dense(2, activation="softmax")])


def build_nan(rate):
    return keras.Sequential([keras.Input((8,)), keras.layers.Dense(2),
                             keras.layers.Lambda(lambda t: t * float("nan")), keras.layers.Softmax()])


@pytest.fixture(scope="module")
def panel():
    return TuningPanel(build, (X, Y), (X[:32], Y[:32]), epochs=1, batch_size=32)


# ------------------------------------------------------------ bad input, every public function
WITH_X = np.array(X)
X_NAN = WITH_X.copy()
X_NAN[3, 2] = np.nan

BAD_CALLS = {
    # name: (call, argument named in the message)
    "settings lr too big": (lambda: validate_settings(**{**GOOD, "learning_rate": 3.0}), "learning_rate"),
    "settings lr nan": (lambda: validate_settings(**{**GOOD, "learning_rate": float("nan")}), "learning_rate"),
    "settings lr text": (lambda: validate_settings(**{**GOOD, "learning_rate": "0.1"}), "learning_rate"),
    "settings batch 33": (lambda: validate_settings(**{**GOOD, "batch_size": 33}), "batch_size"),
    "settings batch bool": (lambda: validate_settings(**{**GOOD, "batch_size": True}), "batch_size"),
    "settings dropout": (lambda: validate_settings(**{**GOOD, "dropout": 0.95}), "dropout"),
    "settings epochs 2.5": (lambda: validate_settings(**{**GOOD, "epochs": 2.5}), "epochs"),
    "settings epochs 0": (lambda: validate_settings(**{**GOOD, "epochs": 0}), "epochs"),
    "panel build not callable": (lambda: TuningPanel("model", (X, Y)), "build_model"),
    "panel train_data not pair": (lambda: TuningPanel(build, X), "train_data"),
    "panel lengths differ": (lambda: TuningPanel(build, (X, Y[:10])), "train_data"),
    "panel NaN inputs": (lambda: TuningPanel(build, (X_NAN, Y)), "train_data"),
    "panel text labels": (lambda: TuningPanel(build, (X, Y.astype(str))), "train_data"),
    "panel val_data": (lambda: TuningPanel(build, (X, Y), (X, )), "val_data"),
    "panel metrics str": (lambda: TuningPanel(build, (X, Y), metrics="accuracy"), "metrics"),
    "panel loss": (lambda: TuningPanel(build, (X, Y), loss=3), "loss"),
    "panel keep_models": (lambda: TuningPanel(build, (X, Y), keep_models=-1), "keep_models"),
    "panel initial lr": (lambda: TuningPanel(build, (X, Y), learning_rate=5.0), "learning_rate"),
    "train labels out of range": (lambda: train_model(build, (X, Y + 1), None, **GOOD), "train_data"),
    "train negative labels": (lambda: train_model(build, (X, Y - 1), None, **GOOD), "train_data"),
    "train val labels": (lambda: train_model(build, (X, Y), (X, Y * 5), **GOOD), "val_data"),
    "train build returns junk": (lambda: train_model(lambda r: "x", (X, Y), None, **GOOD), "build_model"),
    "plot metrics empty": (lambda: live.LivePlot(metrics=()), "metrics"),
    "plot metrics str": (lambda: live.LivePlot(metrics="loss"), "metrics"),
    "plot metrics val_": (lambda: live.LivePlot(metrics=("val_loss",)), "metrics"),
    "plot title": (lambda: live.LivePlot(title=3), "title"),
    "plot out": (lambda: live.LivePlot(out="cell"), "out"),
    "plot interval": (lambda: live.LivePlot(min_interval_s=-1), "min_interval_s"),
    "plot legend_runs": (lambda: live.LivePlot(legend_runs=0), "legend_runs"),
    "plot size_px": (lambda: live.LivePlot(size_px=(10, 10)), "size_px"),
    "update epoch": (lambda: live.LivePlot().update(-1, {}), "epoch"),
    "update logs": (lambda: live.LivePlot().update(0, [1.0]), "logs"),
    "update_batch x": (lambda: live.LivePlot().update_batch(float("inf"), {}), "x"),
    "replay history": (lambda: live.LivePlot().replay([0.1, 0.2]), "history"),
    "new_run label": (lambda: live.LivePlot().new_run(7), "label"),
    "last key": (lambda: live.LivePlot().last(None), "key"),
    "callback stop_event": (lambda: live.LivePlot().callback(stop_event=True), "stop_event"),
    "callback batch_points": (lambda: live.LivePlot().callback(batch_points="yes"), "batch_points"),
    "callback smoothing": (lambda: live.LivePlot().callback(smoothing_batches=0), "smoothing_batches"),
    "style projector": (lambda: plotting.use_course_style(projector="yes"), "projector"),
    "style dark": (lambda: plotting.use_course_style(dark=1), "dark"),
    "draw force": (lambda: live.LivePlot().draw(force="now"), "force"),
    "teach not an exception": (lambda: teach("boom"), "exc"),
    "teach limit": (lambda: teach(ValueError("x"), limit=3), "limit"),
}


@pytest.mark.parametrize("name", list(BAD_CALLS))
def test_bad_input_is_refused_with_a_clear_message(name):
    call, argument = BAD_CALLS[name]
    with pytest.raises(ValueError) as info:
        call()
    message = str(info.value)
    # "argument got ..." (widgets, live) or "function(): argument got ..." (the package's _validate)
    assert message.split("(): ")[-1].startswith(argument) and "got" in message and len(message) < 300, message


@pytest.mark.parametrize("changes", [{"dropout": 0.99}, {"learning_rate": 0}, {"epochs": 51}, {"colour": 1}])
def test_panel_refuses_out_of_range_widget_values(panel, changes):
    before = panel.values()
    with pytest.raises(ValueError):
        panel.set_values(**changes)
    assert panel.values() == before and "Refused" in panel.status.value or "unknown" in str(changes)
    with pytest.raises(ValueError, match="timeout"):
        panel.wait(timeout=-1)


# ------------------------------------------------------------ runs: NaN, errors, memory
def test_nan_run_stops_and_says_where_and_why():
    panel = TuningPanel(build_nan, (X, Y), epochs=3, batch_size=32)
    panel.train()
    run = panel.wait(timeout=120)
    assert run["stopped"] and run["nan_at"] == (1, 1), run
    assert len(run["history"]["loss"]) == 1, "training went on after the loss became NaN"
    status = panel.status.value
    assert "epoch 1, batch 1 of 6" in status and "learning rate" in status and "NaN or inf" in status


def test_errors_in_the_status_are_short_escaped_and_teach():
    panel = TuningPanel(build, (X, Y + 1), epochs=1)   # labels 1..2 for a 2-output model
    panel.train()
    panel.wait(timeout=60)
    status = panel.status.value
    assert "got labels from 1 to 2" in status and "0 to 1" in status and len(status) < 400, status

    def broken(rate):
        raise RuntimeError("cannot build <lambda> model\n" + "trace line\n" * 300)

    panel = TuningPanel(broken, (X, Y), epochs=1)
    panel.train()
    panel.wait(timeout=60)
    assert "&lt;lambda&gt;" in panel.status.value and "<lambda>" not in panel.status.value
    assert len(panel.status.value) < 400 and "trace line" in panel.last_error
    tf_message = ("Received a label value of 10 which is outside the valid range of [0, 10).  Label values: 3 10"
                  "\n\t [[{{node compile_loss/sparse_categorical_crossentropy}}]]" * 40)
    assert teach(ValueError(tf_message)) == ("a label is 10 but the model has 10 outputs: labels must be 0 to 9")


def test_many_runs_keep_curves_but_only_the_last_models_and_reset_frees_them():
    panel = TuningPanel(build, (X, Y), epochs=1, batch_size=64, keep_models=2)
    for _ in range(4):
        panel.train()
        panel.wait(timeout=60)
    assert [r["model"] is not None for r in panel.runs] == [False, False, True, True]
    assert len(panel.live.runs) == 4 and all("history" in r for r in panel.runs)
    panel.stop()
    assert "Nothing to stop" in panel.status.value
    panel.reset()
    assert panel.runs == [] and panel.live.runs == [] and panel.last_error is None


def test_reset_drops_every_model_and_runs_share_one_training_thread():
    # RSS is not asserted: TensorFlow's start-up (about 60 MB) and the C allocator's retention make it
    # move by several MB either way; benchmarks/panel_many_runs.py prints it. References are exact.
    panel = TuningPanel(build, (X, Y), (X[:32], Y[:32]), epochs=1, batch_size=64, keep_models=2)
    for _ in range(3):
        panel.train()
        panel.wait(timeout=60)
    models = [weakref.ref(r["model"]) for r in panel.runs if r.get("model") is not None]
    assert len(models) == 2 and all(m() is not None for m in models)
    assert [t.name for t in threading.enumerate()].count("course-training") == 1
    panel.reset()
    gc.collect()
    assert [m() for m in models] == [None, None], "Reset left a model alive"
    assert panel.runs == [] and panel.live.runs == [] and not panel.running


def _graphs_alive() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, tf.Graph))


def test_runs_do_not_leave_tensorflow_graphs_behind():
    # Before the optimizer and the metrics were built eagerly, each run left 22 graphs (and 20
    # functions) that neither dropping the model nor clear_session() freed; TensorFlow still keeps
    # one per run (the traced training step), so at most one per run is allowed.
    train_model(build, (X, Y), (X[:32], Y[:32]), **GOOD)
    before = _graphs_alive()
    for _ in range(3):
        train_model(build, (X, Y), (X[:32], Y[:32]), **GOOD)
    assert _graphs_alive() - before <= 3


def test_building_the_training_state_first_changes_no_result():
    settings = {**GOOD, "learning_rate": 1e-2, "dropout": 0.3, "epochs": 2}
    keras.utils.set_random_seed(3)
    _, ours = train_model(build, (X, Y), (X[:32], Y[:32]), **settings)
    keras.utils.set_random_seed(3)
    model = build(settings["dropout"])
    model.compile(keras.optimizers.Adam(settings["learning_rate"]), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    plain = model.fit(X, Y, validation_data=(X[:32], Y[:32]), batch_size=settings["batch_size"],
                      epochs=settings["epochs"], verbose=0).history
    assert ours.keys() == plain.keys()
    assert all(np.allclose(ours[k], plain[k], rtol=0, atol=1e-6) for k in ours), (ours, plain)


def test_giving_memory_back_is_harmless_without_glibc(monkeypatch):
    assert isinstance(widgets._give_memory_back(), bool)

    def no_libc(name):
        raise OSError(f"{name}: cannot open shared object file")

    monkeypatch.setattr(widgets, "_MALLOC_TRIM", None)
    monkeypatch.setattr(widgets.ctypes, "CDLL", no_libc)
    assert widgets._give_memory_back() is False


def test_train_during_a_run_is_refused_and_buttons_stay_enabled():
    big = (np.repeat(X, 30, 0), np.repeat(Y, 30, 0))
    panel = TuningPanel(build, big, epochs=20, batch_size=8)
    panel.train()
    try:
        while panel.first_point_s is None and panel.running:
            threading.Event().wait(0.05)
        panel.train()
        assert "already going" in panel.status.value
        assert not panel.train_button.disabled and not panel.stop_button.disabled
    finally:
        panel.stop()
        panel.wait(timeout=60)


# ------------------------------------------------------------ what the plot shows
def _fake_fit(plot, per_batch, steps, smoothing=1):
    """Feed the callback Keras-style running means of ``per_batch`` values."""
    cb = plot.callback("r", smoothing_batches=smoothing)
    cb.set_params({"steps": steps, "epochs": len(per_batch) // steps})
    cb.on_train_begin()
    for epoch in range(len(per_batch) // steps):
        cb.on_epoch_begin(epoch)
        values = per_batch[epoch * steps:(epoch + 1) * steps]
        for b in range(steps):
            cb.on_train_batch_end(b, {"loss": float(np.mean(values[:b + 1]))})
        cb.on_epoch_end(epoch, {"loss": float(np.mean(values)), "val_loss": float(values[-1])})


def test_training_curve_does_not_restart_at_epoch_boundaries():
    plot = live.LivePlot(metrics=("loss",), min_interval_s=60)
    per_batch = np.linspace(2.0, 0.5, 12)
    _fake_fit(plot, per_batch, steps=4)
    xs, ys = plot.runs[0]["points"]["loss"]
    assert np.allclose(ys, per_batch), "the per-batch values were not recovered from Keras' running means"
    assert np.all(np.diff(xs) > 0) and np.all(np.diff(ys) < 0), "the curve jumps back at an epoch boundary"
    assert plot.runs[0]["points"]["val_loss"][0] == [1.0, 2.0, 3.0]


def test_one_diverging_run_turns_the_loss_axis_logarithmic_and_legend_has_one_entry_per_run():
    plotting.use_course_style()
    plot = live.LivePlot(metrics=("loss", "accuracy"), min_interval_s=60)
    for i, scale in enumerate([1.0, 0.8, 0.6]):
        plot.replay({"loss": [scale, scale / 2], "val_loss": [scale, scale / 1.5],
                     "accuracy": [0.5, 0.7], "val_accuracy": [0.6, 0.75]}, label=f"run {i}")
    assert not plot.log_scale
    plot.replay({"loss": [2.3, 900.0], "val_loss": [5.0, float("nan")]}, label="diverged")
    fig = plot.figure()
    assert plot.log_scale and fig.axes[0].get_yscale() == "log"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["run 0", "run 1", "run 2", "diverged", "training", "validation"]


def test_old_runs_fold_into_one_legend_entry():
    plot = live.LivePlot(metrics=("loss",), min_interval_s=60, legend_runs=3)
    for i in range(8):
        plot.replay({"loss": [1.0 / (i + 1)]}, label=f"r{i}")
    labels = [t.get_text() for t in plot.figure().legends[0].get_texts()]
    assert labels == ["5 older runs", "r5", "r6", "r7", "training", "validation"]


@pytest.mark.parametrize("projector", [False, True])
def test_panel_plot_legend_outside_axes_and_fits_a_slide(projector):
    plotting.use_course_style(projector=projector)
    try:
        plot = live.LivePlot(metrics=("loss", "accuracy"), title="Tuning panel", min_interval_s=60,
                             legend_title="run: lr, batch, dropout")
        for i in range(5):
            plot.replay({"loss": [1.0, 0.5 - 0.05 * i], "val_loss": [1.1, 0.6], "accuracy": [0.6, 0.8],
                         "val_accuracy": [0.55, 0.78]}, label=f"#{i + 1} 1e-03, 64, 0.20")
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        fig = plot.figure()
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        legend = fig.legends[0].get_window_extent(renderer)
        width, height = fig.get_size_inches() * fig.dpi
        assert width <= plotting.MAX_FIGURE_WIDTH_PX and height <= 480
        for ax in fig.axes:
            box = ax.get_window_extent(renderer)
            assert not box.overlaps(legend), "the legend covers the curves"
            assert box.width > 0.22 * width and box.height > 0.45 * height, "axes squashed"
        title = fig.axes[0].title.get_fontsize()
        assert title >= (20 if projector else 12)
    finally:
        plotting.use_course_style()


def test_projector_style_scales_every_course_plot_and_titles():
    plotting.use_course_style()
    normal = plotting.plot_image_grid(np.zeros((10, 8, 8)), labels=list(range(10)))
    normal_title = normal.axes[0].title.get_fontsize()
    plotting.use_projector_style()
    try:
        big = plotting.plot_image_grid(np.zeros((10, 8, 8)), labels=list(range(10)))
        assert big.axes[0].title.get_fontsize() > 1.4 * normal_title
        assert big.get_size_inches()[0] * big.dpi <= plotting.MAX_FIGURE_WIDTH_PX
        assert big.get_size_inches()[1] > normal.get_size_inches()[1]
    finally:
        plotting.use_course_style()
        import matplotlib.pyplot as plt

        plt.close("all")


def test_projector_style_follows_the_environment(monkeypatch):
    import matplotlib.pyplot as plt

    monkeypatch.setenv("COURSE_PROJECTOR", "1")
    plotting.use_course_style()
    assert plt.rcParams["font.size"] == 18
    monkeypatch.delenv("COURSE_PROJECTOR")
    plotting.use_course_style()
    assert plt.rcParams["font.size"] == 11
    assert math.isclose(plotting.size_scale(), 1.0)
