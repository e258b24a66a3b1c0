"""Course plots with one consistent look. Every function returns the
matplotlib Figure it drew on. Each figure carries one or two sentences
computed from the data it shows (``describe.description(fig)``), shown in
Jupyter as the image's alt text and a collapsed line below it, for students
who use a screen reader (see :mod:`course_utils.describe`). The colours are
colour-blind safe (Okabe and Ito's palette; RdBu and viridis maps)."""
from __future__ import annotations


import matplotlib
import matplotlib.pyplot as plt
import numpy as np

from . import _validate as _args
from . import describe as _describe
from . import env_flag

__all__ = [
    "use_course_style", "use_projector_style", "size_scale", "plot_decision_boundary", "plot_history",
    "plot_image_grid", "plot_kernels", "plot_feature_maps", "plot_confusion_matrix", "use_dark_style",
]

# Okabe & Ito (2008), distinguishable with every common colour-vision deficiency;
# yellow last (weak on white). OKABE_ITO_DARK: the same hues for a dark background.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"]
OKABE_ITO_DARK = ["#56B4E9", "#E69F00", "#009E73", "#F0E442", "#D55E00", "#CC79A7", "#DDDDDD", "#0072B2"]
# class regions and points of a multi-class plot: the palette, then two greys
_CLASS_CMAP = matplotlib.colors.ListedColormap(OKABE_ITO[:6] + ["#999999", "#F0E442", "#555555", "#000000"],
                                               name="course_classes")

_BASE = {
    "figure.figsize": (7.0, 4.0), "figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "image.cmap": "viridis",
    "axes.titleweight": "bold", "legend.frameon": False,
    "axes.prop_cycle": matplotlib.cycler(color=OKABE_ITO),
}
# Projector: text about 1.6 times larger and thicker lines; figures about 1.3 times larger
# (see _figsize) but never wider than a 1280x720 slide's content.
_SIZES = {False: {"font.size": 11, "lines.linewidth": 1.8, "lines.markersize": 5},
          True: {"font.size": 18, "axes.titlesize": "large", "axes.labelsize": "medium",
                 "xtick.labelsize": "small", "ytick.labelsize": "small", "legend.fontsize": "small",
                 "figure.titlesize": "large", "lines.linewidth": 3.2, "lines.markersize": 8,
                 "figure.figsize": (9.5, 5.2)}}
_DARK = {"figure.facecolor": "#111111", "axes.facecolor": "#111111", "savefig.facecolor": "#111111",
         "text.color": "#eeeeee", "axes.labelcolor": "#eeeeee", "axes.edgecolor": "#bbbbbb",
         "xtick.color": "#dddddd", "ytick.color": "#dddddd", "grid.color": "#888888",
         "axes.prop_cycle": plt.cycler(color=OKABE_ITO_DARK)}   # colour-blind safe on black
MAX_FIGURE_WIDTH_PX = 1100   # what a 1280x720 slide shows without scaling the image down


def use_course_style(projector: bool | None = None, dark: bool | None = None) -> None:
    """Set the course's matplotlib style; ``projector=True`` means large fonts
    and thick lines for a lecture hall, ``dark=True`` light lines on black.
    Left as None, each follows the environment (COURSE_PROJECTOR=1, COURSE_DARK=1),
    so an instructor switches every notebook at once:
    ``COURSE_PROJECTOR=1 python3 course.py lab``."""
    if projector is not None:
        projector = _args.boolean("use_course_style", "projector", projector)
    if dark is not None:
        dark = _args.boolean("use_course_style", "dark", dark)
    projector = env_flag("COURSE_PROJECTOR") if projector is None else projector
    dark = env_flag("COURSE_DARK") if dark is None else dark
    # keep backend and interactive mode: resetting them would stop inline figures appearing
    plt.rcParams.update({k: v for k, v in plt.rcParamsDefault.items() if k not in ("backend", "interactive")})
    plt.rcParams.update(_BASE)
    plt.rcParams.update(_SIZES[bool(projector)])
    if dark:
        plt.rcParams.update(_DARK)


def use_projector_style(dark: bool = False) -> None:
    """Switch every following course plot to large fonts and thick lines (the tuning
    panel and live plots included); ``dark=True`` for a dark room."""
    use_course_style(projector=True, dark=dark)


def size_scale() -> float:
    """How much larger than the normal style figures are drawn (1.0 normally, about
    1.3 with the projector style): the square root of the font-size ratio, so text
    grows faster than the figure and axes keep room for their data."""
    return max(1.0, plt.rcParams["font.size"] / 11.0) ** 0.5


def _figsize(width: float, height: float) -> tuple[float, float]:
    """A figure size (inches, normal style) scaled for the current style and capped
    at the width a slide shows, keeping its aspect ratio."""
    s = size_scale()
    w, h = width * s, height * s
    cap = MAX_FIGURE_WIDTH_PX / plt.rcParams["figure.dpi"]
    if w > cap:
        w, h = cap, h * cap / w
    return w, h


def _axes(ax, figsize=None):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=_figsize(*figsize) if figsize else None)
    return fig, ax


def _check_ax(func, ax, arg="ax"):
    if ax is not None and not isinstance(ax, matplotlib.axes.Axes):
        _args.fail(func, arg, _args.describe(ax), "a matplotlib Axes (from plt.subplots) or None")
    return ax


def _check_title(func, title, arg="title"):
    if title is not None and not isinstance(title, str):
        _args.fail(func, arg, _args.describe(title), "a string or None")
    return title


def _check_cmap(func, cmap):
    if isinstance(cmap, matplotlib.colors.Colormap):
        return cmap
    if isinstance(cmap, str) and cmap in matplotlib.colormaps:
        return cmap
    _args.fail(func, "cmap", _args.describe(cmap), "a matplotlib colormap name such as 'gray' or 'viridis'")


def _check_ncols(func, ncols):
    return _args.integer(func, "ncols", ncols, 1, 100)


def plot_decision_boundary(predict, X, y, ax=None, resolution: int = 200, title=None, padding: float = 0.5):
    """Shade the regions a 2-D classifier assigns to each class and scatter the
    data. ``predict`` maps an (M, 2) array to (M,) labels or class-1
    probabilities (values in [0, 1] are thresholded at 0.5 for the contour).
    ``X``: (n, 2) numbers; ``y``: n class labels (0, 1, ...)."""
    f = "plot_decision_boundary"
    _args.callable_(f, "predict", predict)
    X = _args.array(f, "X", X, ndim=2, shape_text="an (n, 2) array of 2-D points")
    if X.shape[1] != 2:
        _args.fail(f, "X", f"shape {X.shape}", "an (n, 2) array of 2-D points")
    y = _args.labels(f, "y", y, length=len(X), length_of="X")
    _check_ax(f, ax)
    resolution = _args.integer(f, "resolution", resolution, 2, 2000)
    padding = _args.number(f, "padding", padding, 0)
    _check_title(f, title)
    x0 = np.linspace(X[:, 0].min() - padding, X[:, 0].max() + padding, resolution)
    x1 = np.linspace(X[:, 1].min() - padding, X[:, 1].max() + padding, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    grid = np.c_[g0.ravel(), g1.ravel()]
    z = np.asarray(predict(grid))
    if z.dtype == object or not (np.issubdtype(z.dtype, np.number) or z.dtype == bool) or z.size != len(grid):
        _args.fail(f, "predict", f"a function that returned {_args.describe(z)} for {len(grid)} points",
               f"a function returning one label or class-1 probability per point, shape ({len(grid)},)"
               + (" (class scores? return .argmax(axis=1))" if z.ndim == 2 and len(z) == len(grid) else ""))
    z = z.astype(float).reshape(g0.shape)
    if not np.all(np.isfinite(z)):
        _args.fail(f, "predict", f"a function that returned NaN or inf for {int(np.sum(~np.isfinite(z)))} of "
               f"{z.size} points", "finite outputs (are the model's weights NaN? a too-large learning rate?)")
    fig, ax = _axes(ax, (5.5, 4.5))
    classes = np.unique(y)
    if len(classes) <= 2 and z.min() >= 0 and z.max() <= 1:
        ax.contourf(g0, g1, z, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
        ax.contour(g0, g1, z, levels=[0.5], colors="k", linewidths=1.5)
    else:
        ax.contourf(g0, g1, z, levels=np.arange(z.max() + 2) - 0.5, cmap=_CLASS_CMAP, alpha=0.3,
                    vmin=-0.5, vmax=_CLASS_CMAP.N - 0.5)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r" if len(classes) <= 2 else _CLASS_CMAP,
               edgecolors="k", s=30, vmin=0 if len(classes) <= 2 else -0.5,
               vmax=1 if len(classes) <= 2 else _CLASS_CMAP.N - 0.5)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    scores = np.asarray(predict(X), dtype=float).reshape(len(X))
    predicted = (scores >= 0.5).astype(int) if len(classes) <= 2 and z.min() >= 0 and z.max() <= 1 else np.rint(scores)
    return _describe.attach(fig, _describe.decision_boundary_text(
        X, y, predicted, z, (x0[0], x0[-1]), (x1[0], x1[-1]), title))


def plot_history(history, metrics=("loss", "accuracy"), axes=None, label=None):
    """Plot training (solid) and validation (dashed) curves per epoch, one
    panel per metric. ``history`` is a dict (metric -> list of per-epoch
    values) or a Keras History; ``metrics`` a metric name or a list of them."""
    f = "plot_history"
    hist = getattr(history, "history", history)
    if not isinstance(hist, dict) or not hist:
        _args.fail(f, "history", _args.describe(history), "a Keras History or a dict such as {'loss': [...], "
               "'val_loss': [...]}")
    if isinstance(metrics, str):
        metrics = (metrics,)
    if not isinstance(metrics, (list, tuple)) or not all(isinstance(m, str) for m in metrics):
        _args.fail(f, "metrics", _args.describe(metrics), "a metric name or a list of names such as ('loss', 'accuracy')")
    wanted = metrics
    metrics = [m for m in metrics if m in hist]
    if not metrics:
        _args.fail(f, "metrics", repr(tuple(wanted)), f"names that are in the history (it has {sorted(map(str, hist))})")
    for key in [k for m in metrics for k in (m, f"val_{m}") if k in hist]:
        curve = _args.array(f, f"history[{key!r}]", hist[key], ndim=1, finite=False,
                        shape_text="a list of per-epoch numbers")
        if key.startswith("val_") and len(curve) != len(hist[key[4:]]):
            _args.fail(f, f"history[{key!r}]", f"{len(curve)} epochs",
                   f"as many as history[{key[4:]!r}] ({len(hist[key[4:]])})")
    if axes is not None:
        flat = list(np.ravel(np.asarray(axes, dtype=object)))
        if len(flat) < len(metrics) or not all(isinstance(a, matplotlib.axes.Axes) for a in flat):
            _args.fail(f, "axes", _args.describe(axes), f"{len(metrics)} matplotlib Axes, one per metric {metrics}")
    if label is not None and not isinstance(label, str):
        _args.fail(f, "label", _args.describe(label), "a string or None")
    if axes is None:
        fig, axes = plt.subplots(1, len(metrics), figsize=_figsize(5 * len(metrics), 3.5), squeeze=False)
        axes = axes[0]
    fig = np.atleast_1d(axes)[0].figure
    for ax, m in zip(np.atleast_1d(axes), metrics):
        epochs = np.arange(1, len(hist[m]) + 1)
        (line,) = ax.plot(epochs, hist[m], label=f"{label} train" if label else "train")
        if f"val_{m}" in hist:
            ax.plot(epochs, hist[f"val_{m}"], "--", color=line.get_color(),
                    label=f"{label} val" if label else "validation")
        ax.set_xlabel("epoch")
        ax.set_title(m)
        ax.legend()
    return _describe.attach(fig, _describe.history_text(hist, metrics, label))


def plot_image_grid(images, labels=None, predictions=None, ncols: int = 10, title=None, cmap="gray"):
    """Show images in a grid; titles give the label, and the prediction in
    red when it differs. ``images``: (N, H, W), (N, H, W, 1), (N, H, W, 3)
    or a list of 2-D images; ``labels``/``predictions``: N captions each."""
    f = "plot_image_grid"
    shape_text = "N images: an array (N, H, W), (N, H, W, 1) or (N, H, W, 3), or a list of 2-D images"
    if isinstance(images, (list, tuple)) and images and all(np.ndim(im) == 2 for im in images):
        images = [_args.array(f, f"images[{i}]", im, ndim=2, shape_text="a 2-D image", as_float=False)
                  for i, im in enumerate(images)]
    else:
        images = _args.array(f, "images", images, ndim=(3, 4), shape_text=shape_text, as_float=False)
        if images.ndim == 4 and images.shape[-1] == 1:
            images = images[..., 0]
        elif images.ndim == 4 and images.shape[-1] not in (3, 4):
            _args.fail(f, "images", f"shape {images.shape}", shape_text)
    n = len(images)
    for arg, captions in (("labels", labels), ("predictions", predictions)):
        if captions is not None and (np.ndim(captions) != 1 or len(captions) != n):
            _args.fail(f, arg, _args.describe(captions) if np.ndim(captions) != 1 else f"{len(captions)} entries",
                   f"{n} entries, one per image")
    ncols = _check_ncols(f, ncols)
    _check_title(f, title)
    cmap = _check_cmap(f, cmap)
    nrows = max(1, int(np.ceil(n / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=_figsize(1.2 * ncols, 1.35 * nrows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap=cmap)
        text, color = "", plt.rcParams["text.color"]
        if labels is not None:
            text = str(labels[i])
        if predictions is not None:
            wrong = labels is not None and predictions[i] != labels[i]
            text = f"{text}→{predictions[i]}" if labels is not None else str(predictions[i])
            color = OKABE_ITO[3] if wrong else color   # vermillion; the arrow marks it without colour too
        ax.set_title(text, fontsize="small", color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _describe.attach(fig, _describe.image_grid_text(images, labels, predictions, title))


def plot_kernels(kernels, titles=None, cmap="RdBu_r", annotate: bool | None = None):
    """Show convolution kernels side by side with a symmetric colour scale
    (blue negative, red positive). ``kernels``: list of 2-D arrays or (k, k, n).
    Small kernels (<= 5x5) get their numbers written in."""
    f = "plot_kernels"
    shape_text = "a list of 2-D kernels or an array (k, k, n)"
    if isinstance(kernels, np.ndarray) and kernels.ndim == 4:
        _args.fail(f, "kernels", f"shape {kernels.shape} (a Keras Conv2D weight?)",
               f"{shape_text}: pick one input channel, e.g. kernels[:, :, 0, :]")
    if isinstance(kernels, np.ndarray) and kernels.ndim == 3:
        kernels = [kernels[..., i] for i in range(kernels.shape[-1])]
    if not isinstance(kernels, (list, tuple)) or not kernels:
        _args.fail(f, "kernels", _args.describe(kernels), shape_text)
    kernels = [_args.array(f, f"kernels[{i}]", k, ndim=2, shape_text="a 2-D kernel") for i, k in enumerate(kernels)]
    n = len(kernels)
    if titles is not None and (isinstance(titles, str) or np.ndim(titles) != 1 or len(titles) != n):
        _args.fail(f, "titles", _args.describe(titles), f"{n} titles, one per kernel")
    cmap = _check_cmap(f, cmap)
    if annotate is not None:
        annotate = _args.boolean(f, "annotate", annotate)
    fig, axes = plt.subplots(1, n, figsize=_figsize(1.9 * n, 2.1), squeeze=False)
    for i, (ax, k) in enumerate(zip(axes[0], kernels)):
        lim = np.abs(k).max() or 1.0
        ax.imshow(k, cmap=cmap, vmin=-lim, vmax=lim)
        ax.set_xticks([]), ax.set_yticks([])
        if annotate if annotate is not None else k.shape[0] <= 5:
            for (r, c), v in np.ndenumerate(k):
                ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize="x-small")
        if titles is not None:
            ax.set_title(titles[i], fontsize="small")
    fig.tight_layout()
    return _describe.attach(fig, _describe.kernels_text(kernels, titles))


def plot_feature_maps(maps, ncols: int = 8, title=None, cmap="viridis"):
    """Show the channels of one feature map tensor (H, W, C), or a batch of
    one (1, H, W, C), as a grid."""
    f = "plot_feature_maps"
    shape_text = "the feature maps of one input: (H, W, C) or (1, H, W, C)"
    maps = _args.array(f, "maps", maps, ndim=(3, 4), shape_text=shape_text)
    if maps.ndim == 4:
        if maps.shape[0] != 1:
            _args.fail(f, "maps", f"shape {maps.shape}, a batch of {maps.shape[0]}", shape_text + " (take maps[:1])")
        maps = maps[0]
    if 0 in maps.shape:
        _args.fail(f, "maps", f"shape {maps.shape}", shape_text + " with at least one channel")
    ncols = _check_ncols(f, ncols)
    _check_title(f, title)
    cmap = _check_cmap(f, cmap)
    c = maps.shape[-1]
    ncols = min(ncols, c)
    nrows = int(np.ceil(c / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=_figsize(1.4 * ncols, 1.4 * nrows + 0.4), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < c:
            ax.imshow(maps[..., i], cmap=cmap)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _describe.attach(fig, _describe.feature_maps_text(maps, title))


def plot_confusion_matrix(y_true, y_pred, class_names=None, ax=None):
    """Confusion matrix (rows: true class, columns: predicted) with counts.
    ``y_true``, ``y_pred``: integer class labels 0 .. k-1 of the same length;
    with ``class_names``, k is its length, else the largest label + 1."""
    f = "plot_confusion_matrix"
    n_classes = None
    if class_names is not None:
        if isinstance(class_names, str) or np.ndim(class_names) != 1 or len(class_names) == 0:
            _args.fail(f, "class_names", _args.describe(class_names), "a list of class names, one per class")
        n_classes = len(class_names)
    y_true = _args.labels(f, "y_true", y_true, n_classes)
    y_pred = _args.labels(f, "y_pred", y_pred, n_classes, length=len(y_true), length_of="y_true")
    _check_ax(f, ax)
    k = n_classes if n_classes is not None else int(max(y_true.max(), y_pred.max())) + 1
    cm = np.zeros((k, k), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    fig, ax = _axes(ax, (6, 5.5))
    ax.imshow(cm, cmap="Blues")
    ax.grid(False)
    names = class_names if class_names is not None else [str(i) for i in range(k)]
    ax.set_xticks(range(k), names)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for (r, c), v in np.ndenumerate(cm):
        if v:
            ax.text(c, r, str(v), ha="center", va="center", fontsize="x-small",
                    color="white" if v > cm.max() / 2 else "black")
    return _describe.attach(fig, _describe.confusion_matrix_text(cm, names))


def use_dark_style(projector: bool | None = None) -> None:
    """The course style for JupyterLab's dark theme (Settings > Theme >
    JupyterLab Dark): a dark background, light text and the colour-blind safe
    palette in hues that stand out on it (``use_course_style(dark=True)``).
    Call it after ``setup_notebook``."""
    use_course_style(projector, dark=True)
