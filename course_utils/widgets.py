"""The tuning panel: learning rate, batch size, dropout and epochs, with
Train / Stop / Reset buttons and live curves of every run overlaid.

Training runs in a background thread so the kernel keeps hearing widget
messages: Stop is honoured at the next batch and the kernel stays usable.
``train_model`` is the pure training function the panel calls; it can be used
(and tested) without any widget. Everything is checked before TensorFlow runs:
a bad argument raises a ``ValueError`` naming it, what it got and what it
expects; in the panel the same message appears, short and HTML-escaped.

A lesson can run the panel for an hour: the curves of every run stay, but only
the last ``keep_models`` models are kept in memory, and Reset frees them all.
Memory grows little over runs: ``train_model`` creates the optimizer's and the
metrics' variables before ``fit`` (created inside Keras' traced training step,
each would leave a TensorFlow function and graph alive for good), every run of
every panel goes through one long-lived training thread (a new thread per run
leaves freed memory stranded in glibc's per-thread arenas), and after each run
and on Reset freed memory is handed back to the system (``malloc_trim``, where
the C library is glibc). ``benchmarks/panel_many_runs.py`` measures it.
A run whose loss becomes NaN or infinite stops at once and says where.
"""
from __future__ import annotations

import ctypes
import gc
import html
import math
import numbers
import queue
import re
import threading
import time
import traceback

import ipywidgets as w
import numpy as np

from . import live as _live
from .live import LivePlot

__all__ = ["TuningPanel", "train_model", "validate_settings", "teach", "LEARNING_RATE_RANGE", "BATCH_SIZES",
           "DROPOUT_RANGE", "EPOCHS_RANGE"]

LEARNING_RATE_RANGE = (1e-5, 1.0)
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024)
DROPOUT_RANGE = (0.0, 0.8)
EPOCHS_RANGE = (1, 50)
SPARSE_LOSSES = ("sparse_categorical_crossentropy",)

# In Presentation Mode (View > Appearance > Presentation Mode) JupyterLab enlarges text but
# not widgets or images: the panel follows with a zoom.
_PANEL_CSS = ("<style>.jp-mod-presentationMode .course-panel{zoom:1.3;max-width:76.9%}"
              ".course-panel .widget-html-content{line-height:1.35}</style>")


def _bad(name: str, got, expected: str) -> ValueError:
    return ValueError(f"{name}: got {got!r}, expected {expected}")


def _real(name: str, value, lo: float, hi: float, fmt: str = "g") -> float:
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise _bad(name, value, f"a number in [{lo:{fmt}}, {hi:{fmt}}]")
    v = float(value)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ValueError(f"{name}: got {value!r}, which is outside [{lo:{fmt}}, {hi:{fmt}}]")
    return v


def validate_settings(learning_rate, batch_size, dropout, epochs) -> dict:
    """Return the settings as a dict, or raise ValueError saying which value
    is outside its sane range and what the range is."""
    lr = _real("learning_rate", learning_rate, *LEARNING_RATE_RANGE)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (numbers.Integral, np.integer)) \
            or int(batch_size) not in BATCH_SIZES:
        raise ValueError(f"batch_size: got {batch_size!r}, which is not one of {BATCH_SIZES}")
    do = _real("dropout", dropout, *DROPOUT_RANGE)
    lo, hi = EPOCHS_RANGE
    if isinstance(epochs, bool) or not isinstance(epochs, (numbers.Real, np.integer)) \
            or not math.isfinite(float(epochs)) or int(epochs) != epochs or not lo <= int(epochs) <= hi:
        raise ValueError(f"epochs: got {epochs!r}, expected a whole number in [{lo}, {hi}]")
    return {"learning_rate": lr, "batch_size": int(batch_size), "dropout": do, "epochs": int(epochs)}


def _check_data(name: str, data, allow_none: bool = False):
    """``(x, y)`` as numpy arrays after checking length, dtype and finiteness."""
    if data is None and allow_none:
        return None
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise _bad(name, type(data).__name__, "a pair (x, y) of arrays" + (" or None" if allow_none else ""))
    x, y = (np.asarray(a) for a in data)
    if x.ndim == 0 or y.ndim == 0 or len(x) == 0:
        raise ValueError(f"{name}: got x of shape {x.shape} and y of shape {y.shape}, expected at least one example")
    if len(x) != len(y):
        raise ValueError(f"{name}: got {len(x)} inputs but {len(y)} labels, expected the same number")
    for part, arr in (("x", x), ("y", y)):
        if not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
            raise ValueError(f"{name}: got {part} of dtype {arr.dtype}, expected numbers")
        if np.issubdtype(arr.dtype, np.floating):
            bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
            if bad:
                raise ValueError(f"{name}: got {part} with {bad} NaN or infinite value(s), expected finite "
                                 "numbers (clean or drop those examples first)")
    return x, y


def _check_labels(name: str, y: np.ndarray, n_outputs: int | None, loss) -> None:
    """Sparse labels must be whole numbers in [0, n_outputs - 1]."""
    if loss not in SPARSE_LOSSES or n_outputs is None:
        return
    if np.issubdtype(y.dtype, np.floating) and not np.all(np.equal(np.mod(y, 1), 0)):
        raise ValueError(f"{name}: got fractional labels, expected whole class numbers for {loss}")
    lo, hi = int(np.min(y)), int(np.max(y))
    if lo < 0 or hi >= n_outputs:
        outside = int(np.count_nonzero((y < 0) | (y >= n_outputs)))
        raise ValueError(f"{name}: got labels from {lo} to {hi} ({outside} outside), expected classes "
                         f"0 to {n_outputs - 1} because the model has {n_outputs} outputs")


def _n_outputs(model) -> int | None:
    try:
        shape = model.output_shape
    except (AttributeError, ValueError):
        return None
    if isinstance(shape, list) or not shape or shape[-1] is None:
        return None
    return int(shape[-1])


def _check_metrics(metrics) -> tuple:
    if isinstance(metrics, str) or not all(isinstance(m, str) and m for m in metrics):
        raise _bad("metrics", metrics, "a tuple of metric names such as ('accuracy',)")
    return tuple(metrics)


def train_model(build_model, train_data, val_data, learning_rate, batch_size, dropout, epochs,
                loss="sparse_categorical_crossentropy", metrics=("accuracy",), callbacks=()):
    """Build ``build_model(dropout)``, compile it with Adam(learning_rate) and
    fit it. Returns ``(model, history_dict)``."""
    import keras

    if not callable(build_model):
        raise _bad("build_model", type(build_model).__name__, "a function dropout_rate -> uncompiled Keras model")
    settings = validate_settings(learning_rate, batch_size, dropout, epochs)
    x, y = _check_data("train_data", train_data)
    val = _check_data("val_data", val_data, allow_none=True)
    if not (isinstance(loss, str) or callable(loss)):
        raise _bad("loss", loss, "a Keras loss name or a loss function")
    metrics = _check_metrics(metrics)
    model = build_model(settings["dropout"])
    if not isinstance(model, keras.Model):
        raise _bad("build_model(dropout)", type(model).__name__, "a Keras model")
    n_out = _n_outputs(model)
    _check_labels("train_data", y, n_out, loss)
    if val is not None:
        _check_labels("val_data", val[1], n_out, loss)
    model.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"]), loss=loss, metrics=list(metrics))
    _build_training_state(model, x, y)
    history = model.fit(x, y, validation_data=val, batch_size=settings["batch_size"],
                        epochs=settings["epochs"], verbose=0, callbacks=list(callbacks))
    return model, history.history


def _build_training_state(model, x, y) -> None:
    """Create the optimizer's and the compiled metrics' variables now, eagerly.

    Left to ``fit``, Keras creates them while tracing the first training step;
    TensorFlow then keeps that trace and one ``tf.cond`` function per variable
    (Adam's two slots per weight, each metric's totals) alive for the rest of
    the process, even after the model is gone and ``clear_session()``: about
    20 functions, 22 graphs and 7,000 Python objects per run of a small MLP.
    The training itself is unchanged (same initial values, metrics reset).
    """
    if not model.built or not model.trainable_variables:
        return   # a model built by its first batch: leave everything to fit
    model.optimizer.build(model.trainable_variables)
    sample = x[:2]
    model.compute_metrics(sample, y[:2], model(sample, training=False), sample_weight=None)
    model.reset_metrics()


_MALLOC_TRIM = None


def _give_memory_back() -> bool:
    """Return True when freed heap memory was handed back to the system
    (glibc's ``malloc_trim(0)``); False where the C library is not glibc
    (macOS, Windows, musl) or there was nothing to give back."""
    global _MALLOC_TRIM
    if _MALLOC_TRIM is None:
        try:
            trim = ctypes.CDLL("libc.so.6").malloc_trim
            trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
        except (OSError, AttributeError):
            trim = False
        _MALLOC_TRIM = trim
    return bool(_MALLOC_TRIM and _MALLOC_TRIM(0))


class _TrainingThread:
    """One long-lived daemon thread that runs the training jobs of every panel
    in turn. With a new thread per run, glibc gave runs different arenas and
    the memory a run freed stayed resident in its arena instead of serving the
    next run."""

    def __init__(self):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, job) -> threading.Event:
        """Queue ``job()``; return an Event set once it has finished."""
        done = threading.Event()
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="course-training", daemon=True)
                self._thread.start()
        self._jobs.put((job, done))
        return done

    def _loop(self) -> None:
        while True:
            job, done = self._jobs.get()
            try:
                job()
            finally:
                done.set()
                del job, done   # hold nothing of a finished run while waiting for the next


_TRAINING = _TrainingThread()


def teach(exc: BaseException, limit: int = 240) -> str:
    """One short line a student can act on, for an exception raised in a run (not escaped)."""
    if not isinstance(exc, BaseException):
        raise _bad("exc", exc, "an exception")
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 20:
        raise _bad("limit", limit, "a whole number of characters >= 20")
    text = str(exc).strip()
    m = re.search(r"label value of (-?\d+) which is outside the valid range of \[0, (\d+)\)", text)
    if m:
        return (f"a label is {m.group(1)} but the model has {m.group(2)} outputs: labels must be "
                f"0 to {int(m.group(2)) - 1}")
    if isinstance(exc, MemoryError) or "ResourceExhausted" in type(exc).__name__ or "OOM" in text:
        return "out of memory: try a smaller batch size or a smaller model"
    if isinstance(exc, ValueError) and ("shape" in text.lower() and "incompatible" in text.lower()
                                        or "expected shape" in text.lower()):
        first = text.splitlines()[0]
        return f"the data's shape does not fit the model's input or output: {first[:limit]}"
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    message = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
    return message if len(message) <= limit else message[:limit - 1] + "…"


class TuningPanel:
    """Widgets to retrain a model with other hyper-parameters and compare runs.

    ``build_model(dropout_rate)`` must return an uncompiled Keras model; the
    panel compiles it with Adam at the chosen learning rate. Every run is kept
    in ``panel.runs`` (settings, history, seconds, stopped, and the model for
    the last ``keep_models`` runs); ``panel.last_error`` holds the full trace of
    the last failed run. Runs go through one training thread shared by all
    panels, so a second panel's run starts when the first one's ends.
    """

    def __init__(self, build_model, train_data, val_data=None, loss="sparse_categorical_crossentropy",
                 metrics=("accuracy",), learning_rate=1e-3, batch_size=64, dropout=0.2, epochs=3,
                 title="Tuning panel", keep_models: int = 3):
        if not callable(build_model):
            raise _bad("build_model", type(build_model).__name__, "a function dropout_rate -> uncompiled Keras model")
        initial = validate_settings(learning_rate, batch_size, dropout, epochs)
        self.train_data = _check_data("train_data", train_data)
        self.val_data = _check_data("val_data", val_data, allow_none=True)
        if not (isinstance(loss, str) or callable(loss)):
            raise _bad("loss", loss, "a Keras loss name or a loss function")
        self.metrics = _check_metrics(metrics)
        if title is not None and not isinstance(title, str):
            raise _bad("title", title, "a string or None")
        if isinstance(keep_models, bool) or not isinstance(keep_models, int) or not 0 <= keep_models <= 20:
            raise _bad("keep_models", keep_models, "a whole number in [0, 20]")
        self.build_model, self.loss, self.keep_models = build_model, loss, keep_models
        self.runs: list[dict] = []
        self.first_point_s: float | None = None
        self.last_error: str | None = None
        self._done: threading.Event | None = None   # set when the last submitted run has ended
        self._stop = threading.Event()

        self.learning_rate = w.FloatLogSlider(value=initial["learning_rate"], base=10, min=-5, max=0,
                                              step=0.1, description="learning rate",
                                              continuous_update=False, readout_format=".1e",
                                              style={"description_width": "initial"})
        self.batch_size = w.Dropdown(options=BATCH_SIZES, value=initial["batch_size"], description="batch size",
                                     layout=w.Layout(width="190px"), style={"description_width": "initial"})
        self.dropout = w.FloatSlider(value=initial["dropout"], min=DROPOUT_RANGE[0], max=DROPOUT_RANGE[1],
                                     step=0.05, description="dropout", continuous_update=False,
                                     style={"description_width": "initial"})
        self.epochs = w.IntSlider(value=initial["epochs"], min=EPOCHS_RANGE[0], max=EPOCHS_RANGE[1],
                                  description="epochs", continuous_update=False, layout=w.Layout(width="190px"),
                                  style={"description_width": "initial"})
        self.train_button = w.Button(description="Train", button_style="success", icon="play")
        # Buttons are never disabled: a disabled button drops the keyboard focus, and in a deck
        # the arrow keys then stop moving the slides. Train during a run and Stop when idle
        # just say so.
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop")
        self.reset_button = w.Button(description="Reset", icon="trash")
        self.status = w.HTML(value="Set the values and press <b>Train</b>.")
        self.plot_out = w.Output()
        self.live = LivePlot(metrics=("loss",) + self.metrics, title=title, out=self.plot_out,
                             legend_title="run: lr, batch, dropout")
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())
        self.reset_button.on_click(lambda _: self.reset())
        buttons = w.HBox([self.train_button, self.stop_button, self.reset_button])
        controls = w.VBox([w.HBox([self.learning_rate, self.batch_size]),
                           w.HBox([self.dropout, self.epochs]), buttons])
        self.widget = w.VBox([w.HTML(_PANEL_CSS), controls, self.status, self.plot_out])
        self.widget.add_class("course-panel")

    # -- values ----------------------------------------------------------------
    def values(self) -> dict:
        """The settings currently shown on the widgets."""
        return {"learning_rate": float(self.learning_rate.value), "batch_size": int(self.batch_size.value),
                "dropout": float(self.dropout.value), "epochs": int(self.epochs.value)}

    def set_values(self, **changes) -> dict:
        """Set widget values by name (learning_rate, batch_size, dropout,
        epochs). Out-of-range values are refused with a ValueError and the
        message is also shown in the panel; nothing is changed then."""
        unknown = set(changes) - set(self.values())
        if unknown:
            raise ValueError(f"set_values: got unknown setting(s) {sorted(unknown)}, expected some of "
                             f"{sorted(self.values())}")
        merged = {**self.values(), **changes}
        try:
            checked = validate_settings(**merged)
        except ValueError as exc:
            self._say(f"Refused: {exc}.", error=True)
            raise
        for name in changes:
            getattr(self, name).value = checked[name]
        return checked

    def _say(self, text: str, error: bool = False) -> None:
        """Show ``text`` (plain text, escaped here) in the status line."""
        body = html.escape(text)
        self.status.value = f"<span style='color:#b00'>{body}</span>" if error else body

    # -- actions ---------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._done is not None and not self._done.is_set()

    def train(self) -> None:
        """Start a run with the current values in a background thread."""
        if self.running:
            self._say("A run is already going: press Stop first.")
            return
        try:
            settings = validate_settings(**self.values())
        except ValueError as exc:
            self._say(f"Refused: {exc}.", error=True)
            return
        number = len(self.live.runs) + 1
        label = (f"#{number} lr={settings['learning_rate']:.0e} bs={settings['batch_size']} "
                 f"do={settings['dropout']:.2f}")
        self._stop.clear()
        self.train_button.description, self.train_button.icon = "Running", "hourglass-half"
        self._say(f"Training {label} ...")
        short = (f"#{number} {settings['learning_rate']:.0e}, {settings['batch_size']}, "
                 f"{settings['dropout']:.2f}")
        self._done = _TRAINING.submit(lambda: self._run(settings, label, short))

    def _run(self, settings: dict, label: str, short_label: str) -> None:
        started = time.perf_counter()
        callback = self.live.callback(label=short_label, stop_event=self._stop)
        first_point = _FirstPointTimer(started, self)
        nan = _live.StopOnNaN(verbose=False)
        try:
            model, history = train_model(self.build_model, self.train_data, self.val_data,
                                         loss=self.loss, metrics=self.metrics,
                                         callbacks=[callback, first_point.callback(), nan], **settings)
        except Exception as exc:  # shown in the panel; the kernel stays usable
            self.last_error = traceback.format_exc()
            self._say(f"Run {label} failed: {teach(exc)}", error=True)
            self.runs.append({"label": label, "settings": settings, "error": teach(exc)})
        else:
            seconds = time.perf_counter() - started
            stopped = self._stop.is_set()
            record = {"label": label, "settings": settings, "history": history, "model": model,
                      "seconds": seconds, "stopped": stopped or nan.stopped, "nan_at": None,
                      "steps_per_epoch": first_point.steps}
            self.runs.append(record)
            if nan.stopped:
                record["nan_at"] = (nan.epoch, nan.batch)   # counted from 1
                self._say(f"Run {label}: {nan.message}", error=True)
            else:
                self._say(self._summary(label, history, seconds, stopped))
        finally:
            self._forget_old_models()
            _give_memory_back()
            self.train_button.description, self.train_button.icon = "Train", "play"

    @staticmethod
    def _summary(label: str, history: dict, seconds: float, stopped: bool) -> str:
        done = len(history.get("loss", []))
        summary = ", ".join(f"{k} {v[-1]:.3f}" for k, v in history.items() if v)
        text = f"{'Stopped' if stopped else 'Finished'} {label} after {done} epoch(s) in {seconds:.1f} s: {summary}."
        train_acc, val_acc = history.get("accuracy"), history.get("val_accuracy")
        if train_acc and val_acc and val_acc[-1] > train_acc[-1]:
            text += (f" Validation accuracy ({val_acc[-1]:.2f}) is above training ({train_acc[-1]:.2f}) because "
                     "training accuracy is averaged over the epoch while the weights were still improving, "
                     "with dropout on; validation is measured after the epoch, with dropout off.")
        return text

    def _forget_old_models(self) -> None:
        """Keep the curves of every run but only the last ``keep_models`` models."""
        with_model = [r for r in self.runs if r.get("model") is not None]
        for record in with_model[:max(0, len(with_model) - self.keep_models)]:
            record["model"] = None
        gc.collect()

    def stop(self) -> None:
        """Ask the running fit to stop at the end of the current batch."""
        self._stop.set()
        if self.running:
            self._say("Stopping at the next batch ...")
        elif self._done is not None or self.runs:
            self._say("Nothing to stop: no run is going.")

    def reset(self) -> None:
        """Stop any run, forget all runs and curves, free the models and Keras'
        global state, and hand the freed memory back to the system."""
        self.stop()
        self.wait(timeout=60)
        self.runs.clear()
        self.live.reset()
        self.last_error = None
        self.first_point_s = None
        import keras

        keras.backend.clear_session(free_memory=True)
        gc.collect()
        _give_memory_back()
        self.status.value = "Cleared. Press <b>Train</b>."

    def wait(self, timeout: float | None = None) -> dict | None:
        """Block until the current run ends (for tests and scripts); return
        the last run record."""
        if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, numbers.Real)
                                    or not timeout >= 0):
            raise _bad("timeout", timeout, "None or a number of seconds >= 0")
        if self._done is not None:
            self._done.wait(timeout)
        return self.runs[-1] if self.runs else None

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


class _FirstPointTimer:
    """Records seconds from Train to the first plotted point, and the number
    of steps per epoch (which shows the batch size really used)."""

    def __init__(self, started: float, panel: TuningPanel):
        self.started, self.panel, self.steps = started, panel, None

    def callback(self):
        import keras

        timer = self

        class FirstPoint(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                timer.steps = (self.params or {}).get("steps")
                timer.panel.first_point_s = None

            def on_train_batch_end(self, batch, logs=None):
                if timer.panel.first_point_s is None:
                    timer.panel.first_point_s = time.perf_counter() - timer.started

        return FirstPoint()
