"""Course plots with one consistent look. Every function returns the
matplotlib Figure it drew on (or the Axes, when one was passed in)."""
from __future__ import annotations

import os

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "use_course_style", "use_projector_style", "size_scale", "plot_decision_boundary", "plot_history",
    "plot_image_grid", "plot_kernels", "plot_feature_maps", "plot_confusion_matrix",
]

_BASE = {
    "figure.figsize": (7.0, 4.0), "figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "image.cmap": "viridis",
    "axes.titleweight": "bold", "legend.frameon": False,
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
         "axes.prop_cycle": plt.cycler(color=["#4cc9f0", "#f7b801", "#80ed99", "#f72585", "#b8b8ff",
                                              "#ff9f1c", "#2ec4b6", "#e0e0e0", "#ffd6a5", "#9bf6ff"])}
MAX_FIGURE_WIDTH_PX = 1100   # what a 1280x720 slide shows without scaling the image down


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def use_course_style(projector: bool | None = None, dark: bool | None = None) -> None:
    """Set the course's matplotlib style; ``projector=True`` means large fonts
    and thick lines for a lecture hall, ``dark=True`` light lines on black.
    Left as None, each follows the environment (COURSE_PROJECTOR=1, COURSE_DARK=1),
    so an instructor switches every notebook at once:
    ``COURSE_PROJECTOR=1 python3 course.py lab``."""
    for name, value in (("projector", projector), ("dark", dark)):
        if value is not None and not isinstance(value, bool):
            raise ValueError(f"{name}: got {value!r}, expected True, False or None")
    projector = _env_flag("COURSE_PROJECTOR") if projector is None else projector
    dark = _env_flag("COURSE_DARK") if dark is None else dark
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


def plot_decision_boundary(predict, X, y, ax=None, resolution: int = 200, title=None, padding: float = 0.5):
    """Shade the regions a 2-D classifier assigns to each class and scatter the
    data. ``predict`` maps an (M, 2) array to (M,) labels or class-1
    probabilities (values in [0, 1] are thresholded at 0.5 for the contour)."""
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {X.shape}")
    fig, ax = _axes(ax, (5.5, 4.5))
    x0 = np.linspace(X[:, 0].min() - padding, X[:, 0].max() + padding, resolution)
    x1 = np.linspace(X[:, 1].min() - padding, X[:, 1].max() + padding, resolution)
    g0, g1 = np.meshgrid(x0, x1)
    z = np.asarray(predict(np.c_[g0.ravel(), g1.ravel()]), dtype=float).reshape(g0.shape)
    classes = np.unique(y)
    if len(classes) <= 2 and z.min() >= 0 and z.max() <= 1:
        ax.contourf(g0, g1, z, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35)
        ax.contour(g0, g1, z, levels=[0.5], colors="k", linewidths=1.5)
    else:
        ax.contourf(g0, g1, z, levels=np.arange(z.max() + 2) - 0.5, cmap="tab10", alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r" if len(classes) <= 2 else "tab10",
               edgecolors="k", s=30, vmin=0 if len(classes) <= 2 else None, vmax=1 if len(classes) <= 2 else None)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
    return fig


def plot_history(history, metrics=("loss", "accuracy"), axes=None, label=None):
    """Plot training (solid) and validation (dashed) curves per epoch, one
    panel per metric. ``history`` is a dict or a Keras History."""
    hist = getattr(history, "history", history)
    metrics = [m for m in metrics if m in hist]
    if not metrics:
        raise ValueError(f"none of the metrics are in the history (it has {sorted(hist)})")
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
    return fig


def plot_image_grid(images, labels=None, predictions=None, ncols: int = 10, title=None, cmap="gray"):
    """Show images in a grid; titles give the label, and the prediction in
    red when it differs. ``images``: (N, H, W) or (N, H, W, 1)."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    n = len(images)
    nrows = max(1, int(np.ceil(n / ncols)))
    fig, axes = plt.subplots(nrows, ncols, figsize=_figsize(1.2 * ncols, 1.35 * nrows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= n:
            continue
        ax.imshow(images[i], cmap=cmap)
        text, color = "", "black"
        if labels is not None:
            text = str(labels[i])
        if predictions is not None:
            wrong = labels is not None and predictions[i] != labels[i]
            text = f"{text}→{predictions[i]}" if labels is not None else str(predictions[i])
            color = "red" if wrong else "black"
        ax.set_title(text, fontsize="small", color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_kernels(kernels, titles=None, cmap="RdBu_r", annotate: bool | None = None):
    """Show convolution kernels side by side with a symmetric colour scale
    (blue negative, red positive). ``kernels``: list of 2-D arrays or (k, k, n).
    Small kernels (<= 5x5) get their numbers written in."""
    if isinstance(kernels, np.ndarray) and kernels.ndim == 3:
        kernels = [kernels[..., i] for i in range(kernels.shape[-1])]
    kernels = [np.asarray(k, dtype=float) for k in kernels]
    n = len(kernels)
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
    return fig


def plot_feature_maps(maps, ncols: int = 8, title=None, cmap="viridis"):
    """Show the channels of one feature map tensor (H, W, C) as a grid."""
    maps = np.asarray(maps)
    if maps.ndim == 4:
        maps = maps[0]
    if maps.ndim != 3:
        raise ValueError(f"feature maps must be (H, W, C), got {maps.shape}")
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
    return fig


def plot_confusion_matrix(y_true, y_pred, class_names=None, ax=None):
    """Confusion matrix (rows: true class, columns: predicted) with counts."""
    y_true, y_pred = np.asarray(y_true).astype(int), np.asarray(y_pred).astype(int)
    k = int(max(y_true.max(), y_pred.max())) + 1
    if class_names is not None:
        k = max(k, len(class_names))
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
    return fig
