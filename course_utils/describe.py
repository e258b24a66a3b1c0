"""Figures described in words, for students who use a screen reader.

Each plotting helper in :mod:`course_utils.plotting` computes one or two
sentences from the data it draws (what is on the axes, the key values) and
calls :func:`attach`. In Jupyter such a figure is then shown as:

- the PNG, with the description as its ``alt`` text in the output's metadata
  (``metadata["image/png"]["alt"]``: the course website and nbconvert's HTML
  with the course template put it on the ``<img>``; JupyterLab 4.6 has no
  place for it), followed by
- one collapsed line, "Figure described in words", that opens to the text
  (HTML ``<details>``; a text front end prints the sentence).

:func:`description` returns a figure's text (None when it has none).
Outside IPython nothing is displayed; the text is still kept on the figure.
"""
from __future__ import annotations

import html

from matplotlib.figure import Figure

__all__ = ["attach", "description", "DescribedFigure", "number"]

SUMMARY = "Figure described in words"


class DescribedFigure(Figure):
    """A matplotlib Figure that carries ``course_descriptions`` (one entry per
    helper that drew on it). Its own class only so that IPython can show it
    with its description; it draws exactly like a Figure."""


def number(value, digits: int = 3) -> str:
    """A value as the description prints it: ``digits`` significant digits,
    no exponent for ordinary sizes (0.0123, 98.4, 1200)."""
    value = float(value)
    if value != value:
        return "NaN"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.{digits}g}"


def description(fig) -> str | None:
    """The figure's description (the sentences of every helper that drew on
    it, in order), or None."""
    parts = getattr(fig, "course_descriptions", None)
    return " ".join(parts) if parts else None


def attach(fig, text: str):
    """Add ``text`` to ``fig``'s description and return ``fig``. A figure a
    helper drew on twice (two panels passed as ``ax``) gets both texts."""
    if not isinstance(fig, Figure):
        return fig
    if not isinstance(fig, DescribedFigure):
        fig.__class__ = DescribedFigure   # same object and state; only how IPython shows it changes
    text = " ".join(text.split())
    fig.course_descriptions = [*getattr(fig, "course_descriptions", []), text[:1].upper() + text[1:]]
    _register_with_ipython()
    return fig


def _show(fig) -> None:
    """IPython's display hook for a DescribedFigure: the PNG with its alt
    text, then the collapsed description line."""
    from IPython.core.pylabtools import print_figure
    from IPython.display import display

    text = description(fig) or ""
    png = print_figure(fig, "png", bbox_inches="tight", base64=True)
    if png is None:   # an empty figure: nothing to show, as with any matplotlib figure
        return
    display({"image/png": png, "text/plain": f"<Figure: {text}>"},
            metadata={"image/png": {"alt": text}}, raw=True)
    display({"text/html": f'<details class="course-figure-description"><summary>{SUMMARY}</summary>'
                          f"<p>{html.escape(text)}</p></details>",
             "text/plain": f"{SUMMARY}: {text}"}, raw=True)


_registered = set()


def _register_with_ipython() -> None:
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or id(shell) in _registered:
        return
    # ipython_display_formatter: when it handles an object, IPython publishes
    # nothing else for it, so the figure is not shown twice. matplotlib's inline
    # backend re-registers formatters for Figure, never for this subclass.
    shell.display_formatter.ipython_display_formatter.for_type(DescribedFigure, _show)
    _registered.add(id(shell))


# ---- the sentences each plotting helper attaches (computed from what it draws) ----

def _listing(items, limit: int) -> str:
    items = [str(i) for i in items]
    more = len(items) - limit
    return ", ".join(items[:limit]) + (f" and {more} more" if more > 0 else "")


def _lower_is_better(metric: str) -> bool:
    return "loss" in metric or "error" in metric or metric in ("mse", "mae", "perplexity")


def decision_boundary_text(X, y, predicted, z, x_range, y_range, title=None) -> str:
    """``predicted``: the classifier's labels for the points X; ``z``: its
    output on the plotted grid (class-1 probabilities or labels)."""
    import numpy as np

    classes = np.unique(y)
    counts = ", ".join(f"{int((y == c).sum())} of class {number(c)}" for c in classes)
    correct = int((predicted == y).sum())
    n = len(y)
    binary = len(classes) <= 2 and z.min() >= 0 and z.max() <= 1
    if binary:
        area = f" The class-1 region covers {number(100 * (z >= 0.5).mean(), 2)} % of the plotted area."
    else:
        regions, cells = np.unique(np.rint(z), return_counts=True)
        area = (f" The largest region is class {number(regions[cells.argmax()])} "
                f"({number(100 * cells.max() / cells.sum(), 2)} % of the area).")
    return (f"{title + ': ' if title else ''}decision regions of a classifier over x1 from "
            f"{number(x_range[0])} to {number(x_range[1])} and x2 from {number(y_range[0])} to "
            f"{number(y_range[1])}, with {n} points ({counts}); it classifies {correct} of {n} "
            f"({number(100 * correct / n, 3)} %) correctly.{area}")


def history_text(hist: dict, metrics, label=None) -> str:
    import numpy as np

    epochs = len(hist[metrics[0]])
    parts = []
    for m in metrics:
        curve = np.asarray(hist[m], dtype=float)
        text = f"{m} goes from {number(curve[0])} to {number(curve[-1])}"
        if f"val_{m}" in hist:
            val = np.asarray(hist[f"val_{m}"], dtype=float)
            best = int(np.nanargmin(val) if _lower_is_better(m) else np.nanargmax(val))
            text += (f" (validation from {number(val[0])} to {number(val[-1])}, "
                     f"{'lowest' if _lower_is_better(m) else 'highest'} {number(val[best])} at epoch {best + 1})")
        parts.append(text)
    who = f" of {label}" if label else ""
    return (f"Training curves{who} over {epochs} epoch{'s' if epochs != 1 else ''} (x axis: epoch): "
            + "; ".join(parts) + ".")


def image_grid_text(images, labels=None, predictions=None, title=None) -> str:
    n = len(images)
    h, w = images[0].shape[:2]
    same = all(im.shape[:2] == (h, w) for im in images)
    text = f"{title + ': ' if title else ''}{n} image{'s' if n != 1 else ''}" + (
        f" of {h} by {w} pixels" if same else "") + " in a grid."
    if labels is not None:
        text += f" Labels: {_listing(labels, 20)}."
    if predictions is not None and labels is not None:
        wrong = [i for i in range(n) if predictions[i] != labels[i]]
        text += (f" {len(wrong)} of {n} predictions {'is' if len(wrong) == 1 else 'are'} wrong"
                 + (": " + _listing([f"image {i + 1} ({labels[i]} predicted as {predictions[i]})" for i in wrong], 5)
                    if wrong else "") + ".")
    elif predictions is not None:
        text += f" Predictions: {_listing(predictions, 20)}."
    return text


def kernels_text(kernels, titles=None) -> str:
    import numpy as np

    parts = []
    for i, k in enumerate(kernels):
        name = str(titles[i]) if titles is not None else f"kernel {i + 1}"
        if k.size <= 9:
            rows = "; ".join(" ".join(number(v) for v in row) for row in k)
            parts.append(f"{name}: rows {rows}")
        else:
            centre = k[k.shape[0] // 2, k.shape[1] // 2]
            parts.append(f"{name}: weights from {number(k.min())} to {number(k.max())}, centre {number(centre)}")
        parts[-1] += f", sum {number(np.sum(k))}"
    shape = {k.shape for k in kernels}
    size = f" of {kernels[0].shape[0]} by {kernels[0].shape[1]}" if len(shape) == 1 else ""
    plural = "s" if len(kernels) != 1 else ""
    return f"{len(kernels)} convolution kernel{plural}{size} (blue negative, red positive): " \
           + "; ".join(parts) + "."


def feature_maps_text(maps, title=None) -> str:
    import numpy as np

    h, w, c = maps.shape
    means = maps.reshape(-1, c).mean(axis=0)
    dead = int((np.abs(maps).reshape(-1, c).max(axis=0) == 0).sum())
    return (f"{title + ': ' if title else ''}{c} feature map{'s' if c != 1 else ''} of {h} by {w}, values from "
            f"{number(maps.min())} to {number(maps.max())}; the most active is channel {int(means.argmax()) + 1} "
            f"(mean {number(means.max())}), the least active channel {int(means.argmin()) + 1} "
            f"(mean {number(means.min())})" + (f"; {dead} of {c} are zero everywhere" if dead else "") + ".")


def confusion_matrix_text(cm, names) -> str:
    import numpy as np

    n, correct = int(cm.sum()), int(np.trace(cm))
    off = [(int(cm[r, c]), r, c) for r in range(len(cm)) for c in range(len(cm)) if r != c and cm[r, c]]
    off.sort(key=lambda t: (-t[0], t[1], t[2]))
    worst = _listing([f"true {names[r]} predicted as {names[c]} ({'once' if v == 1 else f'{v} times'})"
                      for v, r, c in off], 3)
    return (f"Confusion matrix of {n} predictions over {len(cm)} classes (rows: true class, columns: "
            f"predicted): {correct} correct ({number(100 * correct / max(n, 1), 3)} %). "
            + (f"Most frequent confusions: {worst}." if off else "No confusions."))


def model_text(boxes, title=None) -> str:
    """For plot_model: ``boxes`` are its (layer text, output shape, parameters) in order."""
    total = sum(int(p) for _, _, p in boxes)
    steps = [f"{text} ({'x'.join(str(d) for d in shape) if shape else '?'})" for text, shape, _ in boxes]
    return (f"{title + ': ' if title else ''}a network of {len(boxes) - 1} blocks with {total:,} parameters, "
            f"from input to output: " + ", then ".join(steps) + ".")
