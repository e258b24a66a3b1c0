"""Live training curves that update in place while a model trains.

Three separate pieces: the curves (``LivePlot`` keeps the numbers of every
run), the drawing (one display output replaced in place, or an ipywidgets
``Output`` when the plot lives in a panel), and a thin Keras callback made by
``LivePlot.callback()``. Headless (nbval, scripts) the same code runs and
simply leaves one image in the cell.
"""
from __future__ import annotations

import base64
import io
import time

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

__all__ = ["LivePlot"]


class LivePlot:
    """Curves of one or more training runs, drawn one panel per metric.

    ``update(epoch, logs)`` adds an epoch's Keras logs (``val_*`` keys are
    drawn dashed); ``update_batch(x, logs)`` adds a point inside an epoch
    (x = epochs done, fractional), so the first point shows before the first
    epoch ends. Runs are overlaid, each with its label in the legend.
    """

    def __init__(self, metrics=("loss", "accuracy"), title=None, out=None, min_interval_s: float = 0.25):
        self.metrics = tuple(metrics)
        self.title = title
        self.out = out  # an ipywidgets.Output, or None for the cell's own output
        self.min_interval_s = min_interval_s
        self.runs: list[dict] = []
        self.draw_count = 0
        self._handle = None
        self._last_draw = 0.0

    # -- data -----------------------------------------------------------
    def new_run(self, label: str | None = None) -> dict:
        """Start a new curve set; returns its record ``{"label", "points"}``."""
        run = {"label": label or f"run {len(self.runs) + 1}", "points": {}}
        self.runs.append(run)
        return run

    def _current(self) -> dict:
        return self.runs[-1] if self.runs else self.new_run()

    def _add(self, key: str, x: float, value) -> None:
        if value is None:
            return
        xs, ys = self._current()["points"].setdefault(key, ([], []))
        xs.append(float(x))
        ys.append(float(value))

    def update(self, epoch: int, logs: dict | None) -> None:
        """Record the end of epoch ``epoch`` (0-based) and redraw."""
        for key, value in (logs or {}).items():
            if key.removeprefix("val_") in self.metrics:
                self._add(key, epoch + 1, value)
        self.draw(force=True)

    def update_batch(self, x: float, logs: dict | None) -> None:
        """Record a training point inside an epoch; redraws at most every
        ``min_interval_s`` seconds so drawing never slows training much."""
        for key, value in (logs or {}).items():
            if key in self.metrics:
                self._add(key, x, value)
        self.draw()

    def replay(self, history, label: str | None = None) -> None:
        """Draw a finished run from its history dict (e.g. a cached model),
        so it looks the same as when it was trained live."""
        hist = getattr(history, "history", history)
        self.new_run(label)
        n = max((len(v) for v in hist.values()), default=0)
        for epoch in range(n):
            for key, values in hist.items():
                if key.removeprefix("val_") in self.metrics and epoch < len(values):
                    self._add(key, epoch + 1, values[epoch])
        self.draw(force=True)

    def reset(self) -> None:
        """Forget every run and clear the plot."""
        self.runs.clear()
        self.draw(force=True)

    def last(self, key: str):
        """Most recent value of ``key`` in the current run, or None."""
        if not self.runs or key not in self.runs[-1]["points"]:
            return None
        return self.runs[-1]["points"][key][1][-1]

    # -- drawing ----------------------------------------------------------
    def figure(self) -> Figure:
        """Build a fresh Figure of all runs (not attached to pyplot)."""
        fig = Figure(figsize=(4.6 * len(self.metrics), 3.3))
        axes = fig.subplots(1, len(self.metrics), squeeze=False)[0]
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, run in enumerate(self.runs):
            color = colors[i % len(colors)]
            for ax, metric in zip(axes, self.metrics):
                for key, style, suffix in ((metric, "-", ""), (f"val_{metric}", "--", " (val)")):
                    if key in run["points"]:
                        xs, ys = run["points"][key]
                        ax.plot(xs, ys, style, color=color, label=run["label"] + suffix,
                                marker="o" if len(xs) == 1 else None)
        for ax, metric in zip(axes, self.metrics):
            ax.set_title(metric)
            ax.set_xlabel("epoch")
            if any(ax.get_lines()):
                ax.legend(fontsize="small")
        if self.title:
            fig.suptitle(self.title)
        fig.tight_layout()
        return fig

    def draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < self.min_interval_s:
            return
        self._last_draw = now
        buf = io.BytesIO()
        self.figure().savefig(buf, format="png")
        png = buf.getvalue()
        self.draw_count += 1
        if self.out is not None:
            # Replacing the Output's outputs is safe from a training thread,
            # unlike the `with out:` context manager.
            self.out.outputs = ({"output_type": "display_data", "metadata": {},
                                 "data": {"image/png": base64.b64encode(png).decode(),
                                          "text/plain": f"<live plot: {len(self.runs)} run(s)>"}},)
            return
        from IPython.display import Image, display

        if self._handle is None:
            self._handle = display(Image(png), display_id=True)
        else:
            self._handle.update(Image(png))

    # -- Keras adapter ---------------------------------------------------------
    def callback(self, label: str | None = None, stop_event=None, batch_points: bool = True):
        """Return a Keras callback feeding this plot. ``stop_event`` (a
        ``threading.Event``) stops training at the next batch once set."""
        import keras

        plot = self

        class LivePlotCallback(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.epoch = 0
                self.steps = (self.params or {}).get("steps") or 1
                plot.new_run(label)

            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch

            def on_train_batch_end(self, batch, logs=None):
                if stop_event is not None and stop_event.is_set():
                    self.model.stop_training = True
                if batch_points:
                    plot.update_batch(self.epoch + (batch + 1) / self.steps, logs)

            def on_epoch_end(self, epoch, logs=None):
                plot.update(epoch, logs)

        return LivePlotCallback()


class StopOnNaN:
    """Keras callback: stop training as soon as the loss, or the weights,
    become NaN or infinite, and say where and the likely causes.

    The loss is checked after every batch (free). Keras clips predicted
    probabilities, so NaN data can leave the loss finite (near chance) while
    the weights are NaN: those are checked after the first batch, then at most
    every ``check_every_s`` seconds (reading every weight takes a millisecond
    or two) and at the end of each epoch, and the message gives the batches
    between which they went bad.

    Pass it in ``callbacks=[StopOnNaN()]``. After ``fit``, ``stopped`` says
    whether it stopped training; ``epoch`` and ``batch`` (counted from 1) say
    where it noticed; ``message`` is the sentence it printed (``verbose=False``
    only keeps it, e.g. for a status line). Keras is imported when the
    callback is made, not with this module.
    """

    _with_keras: dict = {}

    def __new__(cls, *args, **kwargs):
        import keras

        if not issubclass(cls, keras.callbacks.Callback):
            # the same class with keras.callbacks.Callback as a second base, made once
            if cls not in StopOnNaN._with_keras:
                StopOnNaN._with_keras[cls] = type(cls.__name__, (cls, keras.callbacks.Callback),
                                                  {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                                                   "__doc__": cls.__doc__})
            cls = StopOnNaN._with_keras[cls]
        return object.__new__(cls)

    def __init__(self, verbose: bool = True, check_every_s: float = 0.5):
        super().__init__()
        self.verbose = verbose
        self.check_every_s = check_every_s
        self._reset()

    def _reset(self):
        self.stopped = False
        self.epoch = self.batch = None
        self.message = ""
        self._epoch = 0
        self._last_good = None   # (epoch, batch) of the last check that found finite weights
        self._last_check = None

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        import time

        now = time.monotonic()
        due = self._last_check is None or now - self._last_check >= self.check_every_s
        if due:
            self._last_check = now
        self._check(logs, batch, weights=due)

    def on_epoch_end(self, epoch, logs=None):
        steps = (self.params or {}).get("steps")
        self._check(logs, steps - 1 if steps else None, weights=True)   # also sees val_loss

    def _check(self, logs, batch, weights: bool):
        import math

        import numpy as np

        if self.stopped:
            return
        where = (self._epoch + 1, None if batch is None else batch + 1)
        what = None
        for key, value in (logs or {}).items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                continue
            if str(key).endswith("loss") and not math.isfinite(value):
                what, since = f"{key} became {value}", None
                break
        if what is None:
            if not weights:
                return
            bad = [w for w in (getattr(self.model, "weights", None) or []) if not np.isfinite(np.asarray(w)).all()]
            if not bad:
                self._last_good = where
                return
            name = getattr(bad[0], "path", None) or getattr(bad[0], "name", "?")
            what, since = f"the weights became NaN/inf ({name})", self._last_good
        self.stopped = True
        self.epoch, self.batch = where
        steps = (self.params or {}).get("steps")

        def at(epoch, batch):
            return f"epoch {epoch}" + ("" if batch is None else f", batch {batch}")

        of = f" of {steps}" if steps and self.batch is not None else ""
        if since is None:
            place = f"in {at(*where)}{of}" if self.batch is not None or not what.startswith("the weights") \
                else f"in epoch {self.epoch}"
        elif since[0] == self.epoch and since[1] is not None and self.batch is not None:
            place = f"in epoch {self.epoch}, after batch {since[1]} and by batch {self.batch}{of}"
        else:
            place = f"after {at(*since)} and by {at(*where)}{of}"
        if what.startswith("val_"):
            causes = "the validation data contain NaN or inf values (check np.isfinite(x_val).all())"
        else:
            causes = ("the training data contain NaN or inf values (check np.isfinite(x).all()), "
                      "or the learning rate is too high (try one 10 times smaller)")
        self.message = f"Training stopped: {what} {place}. Likely causes: {causes}."
        if self.model is not None:
            self.model.stop_training = True
        if self.verbose:
            print(self.message)
