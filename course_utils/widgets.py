"""The tuning panel: learning rate, batch size, dropout and epochs, with
Train / Stop / Reset buttons and live curves of every run overlaid.

Training runs in a background thread so the kernel keeps hearing widget
messages: Stop is honoured at the next batch and the kernel stays usable.
``train_model`` is the pure training function the panel calls; it can be used
(and tested) without any widget.
"""
from __future__ import annotations

import threading
import time

import ipywidgets as w

from .live import LivePlot

__all__ = ["TuningPanel", "train_model", "LEARNING_RATE_RANGE", "BATCH_SIZES",
           "DROPOUT_RANGE", "EPOCHS_RANGE"]

LEARNING_RATE_RANGE = (1e-5, 1.0)
BATCH_SIZES = (8, 16, 32, 64, 128, 256, 512, 1024)
DROPOUT_RANGE = (0.0, 0.8)
EPOCHS_RANGE = (1, 50)


def validate_settings(learning_rate, batch_size, dropout, epochs) -> dict:
    """Return the settings as a dict, or raise ValueError saying which value
    is outside its sane range and what the range is."""
    lo, hi = LEARNING_RATE_RANGE
    if not lo <= float(learning_rate) <= hi:
        raise ValueError(f"learning rate {learning_rate:g} is outside [{lo:g}, {hi:g}]")
    if int(batch_size) not in BATCH_SIZES:
        raise ValueError(f"batch size {batch_size} is not one of {BATCH_SIZES}")
    lo, hi = DROPOUT_RANGE
    if not lo <= float(dropout) <= hi:
        raise ValueError(f"dropout {dropout:g} is outside [{lo:g}, {hi:g}]")
    lo, hi = EPOCHS_RANGE
    if int(epochs) != epochs or not lo <= int(epochs) <= hi:
        raise ValueError(f"epochs {epochs} must be a whole number in [{lo}, {hi}]")
    return {"learning_rate": float(learning_rate), "batch_size": int(batch_size),
            "dropout": float(dropout), "epochs": int(epochs)}


def train_model(build_model, train_data, val_data, learning_rate, batch_size, dropout, epochs,
                loss="sparse_categorical_crossentropy", metrics=("accuracy",), callbacks=()):
    """Build ``build_model(dropout)``, compile it with Adam(learning_rate) and
    fit it. Returns ``(model, history_dict)``."""
    import keras

    settings = validate_settings(learning_rate, batch_size, dropout, epochs)
    model = build_model(settings["dropout"])
    model.compile(optimizer=keras.optimizers.Adam(settings["learning_rate"]), loss=loss,
                  metrics=list(metrics))
    history = model.fit(*train_data, validation_data=val_data, batch_size=settings["batch_size"],
                        epochs=settings["epochs"], verbose=0, callbacks=list(callbacks))
    return model, history.history


class TuningPanel:
    """Widgets to retrain a model with other hyper-parameters and compare runs.

    ``build_model(dropout_rate)`` must return an uncompiled Keras model; the
    panel compiles it with Adam at the chosen learning rate. Every finished
    run is kept in ``panel.runs`` (settings, history, model, seconds, stopped).
    """

    def __init__(self, build_model, train_data, val_data=None, loss="sparse_categorical_crossentropy",
                 metrics=("accuracy",), learning_rate=1e-3, batch_size=64, dropout=0.2, epochs=3,
                 title="Tuning panel"):
        initial = validate_settings(learning_rate, batch_size, dropout, epochs)
        self.build_model, self.train_data, self.val_data = build_model, train_data, val_data
        self.loss, self.metrics = loss, tuple(metrics)
        self.runs: list[dict] = []
        self.first_point_s: float | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

        self.learning_rate = w.FloatLogSlider(value=initial["learning_rate"], base=10, min=-5, max=0,
                                              step=0.1, description="learning rate",
                                              continuous_update=False, readout_format=".1e",
                                              style={"description_width": "initial"})
        self.batch_size = w.Dropdown(options=BATCH_SIZES, value=initial["batch_size"], description="batch size")
        self.dropout = w.FloatSlider(value=initial["dropout"], min=DROPOUT_RANGE[0], max=DROPOUT_RANGE[1],
                                     step=0.05, description="dropout", continuous_update=False)
        self.epochs = w.IntSlider(value=initial["epochs"], min=EPOCHS_RANGE[0], max=EPOCHS_RANGE[1],
                                  description="epochs", continuous_update=False)
        self.train_button = w.Button(description="Train", button_style="success", icon="play")
        self.stop_button = w.Button(description="Stop", button_style="danger", icon="stop", disabled=True)
        self.reset_button = w.Button(description="Reset", icon="trash")
        self.status = w.HTML(value="Set the values and press <b>Train</b>.")
        self.plot_out = w.Output()
        self.live = LivePlot(metrics=("loss",) + self.metrics, title=title, out=self.plot_out)
        self.train_button.on_click(lambda _: self.train())
        self.stop_button.on_click(lambda _: self.stop())
        self.reset_button.on_click(lambda _: self.reset())
        controls = w.VBox([self.learning_rate, self.batch_size, self.dropout, self.epochs,
                           w.HBox([self.train_button, self.stop_button, self.reset_button])])
        self.widget = w.VBox([controls, self.status, self.plot_out])

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
            raise ValueError(f"unknown setting(s) {sorted(unknown)}; use {sorted(self.values())}")
        merged = {**self.values(), **changes}
        try:
            checked = validate_settings(**merged)
        except ValueError as exc:
            self.status.value = f"<span style='color:#b00'>Refused: {exc}.</span>"
            raise
        for name in changes:
            getattr(self, name).value = checked[name]
        return checked

    # -- actions ---------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def train(self) -> None:
        """Start a run with the current values in a background thread."""
        if self.running:
            self.status.value = "A run is already going: press Stop first."
            return
        settings = validate_settings(**self.values())
        label = (f"lr={settings['learning_rate']:.0e} bs={settings['batch_size']} "
                 f"do={settings['dropout']:.2f}")
        self._stop.clear()
        self.train_button.disabled, self.stop_button.disabled = True, False
        self.status.value = f"Training {label} ..."
        self._thread = threading.Thread(target=self._run, args=(settings, label), daemon=True)
        self._thread.start()

    def _run(self, settings: dict, label: str) -> None:
        started = time.perf_counter()
        callback = self.live.callback(label=label, stop_event=self._stop)
        first_point = _FirstPointTimer(started, self)
        try:
            model, history = train_model(self.build_model, self.train_data, self.val_data,
                                         loss=self.loss, metrics=self.metrics,
                                         callbacks=[callback, first_point.callback()], **settings)
        except Exception as exc:  # shown in the panel; the kernel stays usable
            self.status.value = f"<span style='color:#b00'>Training failed: {type(exc).__name__}: {exc}</span>"
            self.runs.append({"label": label, "settings": settings, "error": repr(exc)})
        else:
            seconds = time.perf_counter() - started
            stopped = self._stop.is_set()
            self.runs.append({"label": label, "settings": settings, "history": history, "model": model,
                              "seconds": seconds, "stopped": stopped,
                              "steps_per_epoch": first_point.steps})
            done = len(history.get("loss", []))
            summary = ", ".join(f"{k} {v[-1]:.3f}" for k, v in history.items() if v)
            self.status.value = (f"{'Stopped' if stopped else 'Finished'} {label} after {done} epoch(s) "
                                 f"in {seconds:.1f} s: {summary}")
        finally:
            self.train_button.disabled, self.stop_button.disabled = False, True

    def stop(self) -> None:
        """Ask the running fit to stop at the end of the current batch."""
        self._stop.set()
        if self.running:
            self.status.value = "Stopping at the next batch ..."

    def reset(self) -> None:
        """Stop any run and forget all runs and curves."""
        self.stop()
        self.wait(timeout=60)
        self.runs.clear()
        self.live.reset()
        self.status.value = "Cleared. Press <b>Train</b>."

    def wait(self, timeout: float | None = None) -> dict | None:
        """Block until the current run ends (for tests and scripts); return
        the last run record."""
        if self._thread is not None:
            self._thread.join(timeout)
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
