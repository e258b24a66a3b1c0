"""Live training curves that update in place while a model trains.

Three separate pieces: the curves (``LivePlot`` keeps the numbers of every
run), the drawing (one display output replaced in place, or an ipywidgets
``Output`` when the plot lives in a panel), and a thin Keras callback made by
``LivePlot.callback()``. Headless (nbval, scripts) the same code runs and
simply leaves one image in the cell.

What the plot shows, so that a student can read it:

* training curves are per batch, de-averaged and smoothed, so they do not jump
  back at every epoch boundary (Keras reports a running mean that restarts
  each epoch); a run replayed from its history shows per-epoch values;
* validation curves are dashed, one point per epoch;
* one colour and one legend entry per run, the legend outside the axes; older
  runs stay as thin grey curves once there are more than ``legend_runs``;
* the loss axis turns logarithmic when the values span a wide range, so one
  diverging run does not flatten every other curve.
"""
from __future__ import annotations

import base64
import io
import math
import numbers
import time

import matplotlib.pyplot as plt
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = ["LivePlot", "LOG_SCALE_RATIO"]

# loss axis becomes logarithmic when max/min of the plotted losses exceeds this
LOG_SCALE_RATIO = 30.0
# at most this many points per curve are drawn (older points are thinned out)
MAX_DRAWN_POINTS = 400


def _bad(name: str, got, expected: str) -> ValueError:
    return ValueError(f"{name}: got {got!r}, expected {expected}")


def _check_label(label):
    if label is not None and not isinstance(label, str):
        raise _bad("label", label, "a string or None")


def _check_logs(logs):
    if logs is not None and not isinstance(logs, dict):
        raise _bad("logs", type(logs).__name__, "a dict of metric name -> number (Keras logs), or None")


def _finite_number(value) -> float | None:
    """``value`` as a float, or None when it is not a real number."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v


class LivePlot:
    """Curves of one or more training runs, drawn one panel per metric.

    ``update(epoch, logs)`` adds an epoch's Keras logs (``val_*`` keys are
    drawn dashed); ``update_batch(x, logs)`` adds a training point inside an
    epoch (x = epochs done, fractional), so the first point shows before the
    first epoch ends. Runs are overlaid, one colour and one legend entry each.
    """

    def __init__(self, metrics=("loss", "accuracy"), title=None, out=None, min_interval_s: float = 0.25,
                 legend_runs: int = 6, size_px=None, legend_title: str | None = None):
        if isinstance(metrics, str) or not all(isinstance(m, str) and m for m in metrics) or not metrics:
            raise _bad("metrics", metrics, "a non-empty tuple of metric names such as ('loss', 'accuracy')")
        if any(m.startswith("val_") for m in metrics):
            raise _bad("metrics", metrics, "names without 'val_' (validation curves are added by themselves)")
        if title is not None and not isinstance(title, str):
            raise _bad("title", title, "a string or None")
        if out is not None and not hasattr(out, "outputs"):
            raise _bad("out", type(out).__name__, "an ipywidgets.Output or None")
        if isinstance(min_interval_s, bool) or not isinstance(min_interval_s, numbers.Real) \
                or not 0 <= min_interval_s <= 60:
            raise _bad("min_interval_s", min_interval_s, "a number of seconds in [0, 60]")
        if isinstance(legend_runs, bool) or not isinstance(legend_runs, int) or not 1 <= legend_runs <= 20:
            raise _bad("legend_runs", legend_runs, "a whole number in [1, 20]")
        if size_px is not None and (len(size_px) != 2 or not all(isinstance(v, numbers.Real) and 100 <= v <= 4000
                                                                  for v in size_px)):
            raise _bad("size_px", size_px, "None or (width, height) in pixels, each in [100, 4000]")
        if legend_title is not None and not isinstance(legend_title, str):
            raise _bad("legend_title", legend_title, "a string or None")
        self.metrics = tuple(metrics)
        self.title = title
        self.legend_title = legend_title
        self.out = out  # an ipywidgets.Output, or None for the cell's own output
        self.min_interval_s = float(min_interval_s)
        self.legend_runs = legend_runs
        self.size_px = size_px
        self.runs: list[dict] = []
        self.draw_count = 0
        self.draw_seconds = 0.0
        self._handle = None
        self._last_draw = 0.0

    # -- data -----------------------------------------------------------
    def new_run(self, label: str | None = None) -> dict:
        """Start a new curve set; returns its record ``{"label", "points"}``."""
        _check_label(label)
        run = {"label": label or f"run {len(self.runs) + 1}", "points": {}, "number": len(self.runs) + 1}
        self.runs.append(run)
        return run

    def _current(self) -> dict:
        return self.runs[-1] if self.runs else self.new_run()

    def _add(self, key: str, x: float, value) -> None:
        v = _finite_number(value)
        if v is None:
            return
        xs, ys = self._current()["points"].setdefault(key, ([], []))
        xs.append(float(x))
        ys.append(v)

    def update(self, epoch: int, logs: dict | None) -> None:
        """Record the end of epoch ``epoch`` (0-based) and redraw. Training values
        are recorded only when the run has no per-batch curve for them."""
        if isinstance(epoch, bool) or not isinstance(epoch, numbers.Integral) or epoch < 0:
            raise _bad("epoch", epoch, "a whole number >= 0 (Keras counts epochs from 0)")
        _check_logs(logs)
        for key, value in (logs or {}).items():
            if key.removeprefix("val_") not in self.metrics:
                continue
            if not key.startswith("val_") and self._current().get("batch_keys", set()) & {key}:
                continue  # the smoothed per-batch curve already shows it
            self._add(key, epoch + 1, value)
        self.draw(force=True)

    def update_batch(self, x: float, logs: dict | None) -> None:
        """Record a training point inside an epoch; redraws at most every
        ``min_interval_s`` seconds so drawing never slows training much."""
        if isinstance(x, bool) or not isinstance(x, numbers.Real) or not math.isfinite(x) or x < 0:
            raise _bad("x", x, "a finite number of epochs done (>= 0)")
        _check_logs(logs)
        run = self._current()
        for key, value in (logs or {}).items():
            if key in self.metrics:
                run.setdefault("batch_keys", set()).add(key)
                self._add(key, x, value)
        self.draw()

    def replay(self, history, label: str | None = None) -> None:
        """Draw a finished run from its history dict (e.g. a cached model),
        one point per epoch."""
        hist = getattr(history, "history", history)
        if not isinstance(hist, dict) or not all(isinstance(v, (list, tuple)) for v in hist.values()):
            raise _bad("history", type(history).__name__, "a Keras History or a dict of metric name -> list")
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
        if not isinstance(key, str):
            raise _bad("key", key, "a metric name such as 'loss' or 'val_accuracy'")
        if not self.runs or key not in self.runs[-1]["points"]:
            return None
        return self.runs[-1]["points"][key][1][-1]

    # -- drawing ----------------------------------------------------------
    def _figsize(self) -> tuple[float, float]:
        dpi = plt.rcParams["figure.dpi"]
        if self.size_px is not None:
            return self.size_px[0] / dpi, self.size_px[1] / dpi
        # grow with the font so that projector style gets room for its larger text
        from .plotting import MAX_FIGURE_WIDTH_PX, size_scale

        scale = size_scale()
        width = min(float(MAX_FIGURE_WIDTH_PX), (330 * len(self.metrics) + 230) * scale)
        return width / dpi, 330 * scale / dpi

    def figure(self) -> Figure:
        """Build a fresh Figure of all runs (not attached to pyplot)."""
        fig = Figure(figsize=self._figsize(), layout="constrained")
        axes = fig.subplots(1, len(self.metrics), squeeze=False)[0]
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        recent = self.runs[-self.legend_runs:]
        handles = []
        for run in self.runs:
            is_recent = any(run is r for r in recent)
            color = colors[(run.get("number", 1) - 1) % len(colors)] if is_recent else "0.72"
            width = plt.rcParams["lines.linewidth"] * (1.0 if is_recent else 0.5)
            for ax, metric in zip(axes, self.metrics):
                for key, style in ((metric, "-"), (f"val_{metric}", "--")):
                    if key not in run["points"]:
                        continue
                    xs, ys = _thin(*run["points"][key])
                    ax.plot(xs, ys, style, color=color, linewidth=width, zorder=3 if is_recent else 1,
                            marker="o" if style == "--" or len(xs) == 1 else None,
                            markersize=plt.rcParams["lines.markersize"] * (0.8 if is_recent else 0.4))
            if is_recent:
                handles.append(Line2D([], [], color=color, label=run["label"]))
        older = len(self.runs) - len(recent)
        if older:
            handles.insert(0, Line2D([], [], color="0.72", label=f"{older} older run{'s' * (older > 1)}"))
        if handles:
            handles += [Line2D([], [], color="0.3", linestyle="-", label="training"),
                        Line2D([], [], color="0.3", linestyle="--", marker="o", label="validation")]
            fig.legend(handles=handles, loc="outside right upper", fontsize="small", frameon=False,
                       handlelength=1.6, title=self.legend_title, title_fontsize="small",
                       alignment="left")
        for ax, metric in zip(axes, self.metrics):
            ax.set_title(metric)
            ax.set_xlabel("epoch")
            if metric == "loss":
                _maybe_log_scale(ax, [run["points"].get(k, ([], []))[1] for run in self.runs
                                      for k in (metric, f"val_{metric}")])
        if self.title:
            fig.suptitle(self.title)
        return fig

    @property
    def log_scale(self) -> bool:
        """Whether the loss axis is logarithmic for the current runs."""
        values = [v for run in self.runs for k in ("loss", "val_loss") for v in run["points"].get(k, ([], []))[1]]
        return _wide_range(values)

    def draw(self, force: bool = False) -> None:
        """Redraw now (``force``) or when ``min_interval_s`` has passed since the last draw."""
        if not isinstance(force, bool):
            raise _bad("force", force, "True or False")
        now = time.monotonic()
        # drawing may never take more than about a quarter of the time (min_interval_s=0: every call)
        interval = self.min_interval_s and max(self.min_interval_s, 3 * self.draw_seconds / max(1, self.draw_count))
        if not force and now - self._last_draw < interval:
            return
        started = time.perf_counter()
        buf = io.BytesIO()
        self.figure().savefig(buf, format="png")
        png = buf.getvalue()
        self.draw_count += 1
        self._last_draw = time.monotonic()
        if self.out is not None:
            # Replacing the Output's outputs is safe from a training thread,
            # unlike the `with out:` context manager.
            self.out.outputs = ({"output_type": "display_data", "metadata": {},
                                 "data": {"image/png": base64.b64encode(png).decode(),
                                          "text/plain": f"<live plot: {len(self.runs)} run(s)>"}},)
        else:
            from IPython.display import Image, display

            if self._handle is None:
                self._handle = display(Image(png), display_id=True)
            else:
                self._handle.update(Image(png))
        self.draw_seconds += time.perf_counter() - started

    # -- Keras adapter ---------------------------------------------------------
    def callback(self, label: str | None = None, stop_event=None, batch_points: bool = True,
                 smoothing_batches: float | None = None):
        """Return a Keras callback feeding this plot. ``stop_event`` (a
        ``threading.Event``) stops training at the next batch once set.
        Training points are the per-batch values (recovered from Keras'
        running mean) smoothed over about ``smoothing_batches`` batches
        (default: a third of an epoch)."""
        import keras

        _check_label(label)
        if stop_event is not None and not (hasattr(stop_event, "is_set") and hasattr(stop_event, "set")):
            raise _bad("stop_event", type(stop_event).__name__, "a threading.Event or None")
        if not isinstance(batch_points, bool):
            raise _bad("batch_points", batch_points, "True or False")
        if smoothing_batches is not None and (isinstance(smoothing_batches, bool)
                                              or not isinstance(smoothing_batches, numbers.Real)
                                              or not 1 <= smoothing_batches <= 10_000):
            raise _bad("smoothing_batches", smoothing_batches, "None or a number of batches in [1, 10000]")
        plot = self

        class LivePlotCallback(keras.callbacks.Callback):
            def on_train_begin(self, logs=None):
                self.epoch = 0
                self.steps = (self.params or {}).get("steps") or 1
                span = smoothing_batches or max(2.0, self.steps / 3)
                self.alpha = 2.0 / (span + 1.0)
                self.smoothed: dict[str, float] = {}
                plot.new_run(label)

            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch
                self.previous_mean: dict[str, float] = {}

            def on_train_batch_end(self, batch, logs=None):
                if stop_event is not None and stop_event.is_set():
                    self.model.stop_training = True
                if not batch_points:
                    return
                values = {}
                for key, mean in (logs or {}).items():
                    mean = _finite_number(mean)
                    if key not in plot.metrics or mean is None or not math.isfinite(mean):
                        continue
                    # Keras logs the running mean of this epoch: undo it to get this batch's value
                    value = (batch + 1) * mean - batch * self.previous_mean.get(key, mean)
                    self.previous_mean[key] = mean
                    before = self.smoothed.get(key)
                    self.smoothed[key] = value if before is None else before + self.alpha * (value - before)
                    values[key] = self.smoothed[key]
                plot.update_batch(self.epoch + (batch + 1) / self.steps, values)

            def on_epoch_end(self, epoch, logs=None):
                plot.update(epoch, logs)

        return LivePlotCallback()


def _thin(xs: list, ys: list) -> tuple[list, list]:
    """At most MAX_DRAWN_POINTS points, always keeping the last one."""
    step = max(1, math.ceil(len(xs) / MAX_DRAWN_POINTS))
    if step == 1:
        return xs, ys
    return xs[::-1][::step][::-1], ys[::-1][::step][::-1]


def _wide_range(values) -> bool:
    finite = [v for v in values if math.isfinite(v) and v > 0]
    return len(finite) >= 2 and max(finite) / min(finite) > LOG_SCALE_RATIO


def _maybe_log_scale(ax, series) -> None:
    if _wide_range([v for s in series for v in s]):
        ax.set_yscale("log")
        ax.set_ylabel("log scale")


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
