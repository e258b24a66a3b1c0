"""Course plots with one consistent look. Every function returns the
matplotlib Figure it drew on (or the Axes, when one was passed in)."""
from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

__all__ = [
    "use_course_style", "use_projector_style", "plot_decision_boundary", "plot_history",
    "plot_image_grid", "plot_kernels", "plot_feature_maps", "plot_confusion_matrix", "plot_model",
]

_BASE = {
    "figure.figsize": (7.0, 4.0), "figure.dpi": 90, "axes.grid": True, "grid.alpha": 0.3,
    "axes.spines.top": False, "axes.spines.right": False, "image.cmap": "viridis",
    "axes.titleweight": "bold", "legend.frameon": False,
}
_SIZES = {False: {"font.size": 11, "lines.linewidth": 1.8, "lines.markersize": 5},
          True: {"font.size": 18, "axes.titlesize": 20, "axes.labelsize": 18,
                 "xtick.labelsize": 16, "ytick.labelsize": 16, "legend.fontsize": 16,
                 "lines.linewidth": 3.5, "lines.markersize": 9, "figure.figsize": (10.0, 6.0)}}


def use_course_style(projector: bool = False) -> None:
    """Set the course's matplotlib style; ``projector=True`` means large fonts
    and thick lines for a lecture hall. Call it once, in the notebook."""
    # keep backend and interactive mode: resetting them would stop inline figures appearing
    plt.rcParams.update({k: v for k, v in plt.rcParamsDefault.items() if k not in ("backend", "interactive")})
    plt.rcParams.update(_BASE)
    plt.rcParams.update(_SIZES[bool(projector)])


def use_projector_style() -> None:
    """Switch every following course plot to large fonts and thick lines."""
    use_course_style(projector=True)


def _axes(ax, figsize=None):
    if ax is not None:
        return ax.figure, ax
    fig, ax = plt.subplots(figsize=figsize)
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
        fig, axes = plt.subplots(1, len(metrics), figsize=(5 * len(metrics), 3.5), squeeze=False)
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
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.2 * ncols, 1.35 * nrows), squeeze=False)
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
        ax.set_title(text, fontsize=9, color=color)
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
    fig, axes = plt.subplots(1, n, figsize=(1.9 * n, 2.1), squeeze=False)
    for i, (ax, k) in enumerate(zip(axes[0], kernels)):
        lim = np.abs(k).max() or 1.0
        ax.imshow(k, cmap=cmap, vmin=-lim, vmax=lim)
        ax.set_xticks([]), ax.set_yticks([])
        if annotate if annotate is not None else k.shape[0] <= 5:
            for (r, c), v in np.ndenumerate(k):
                ax.text(c, r, f"{v:g}", ha="center", va="center", fontsize=8)
        if titles is not None:
            ax.set_title(titles[i], fontsize=10)
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
    fig, axes = plt.subplots(nrows, ncols, figsize=(1.4 * ncols, 1.4 * nrows + 0.4), squeeze=False)
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
            ax.text(c, r, str(v), ha="center", va="center", fontsize=8,
                    color="white" if v > cm.max() / 2 else "black")
    return fig


def _layer_text(layer) -> str:
    """A short name for one Keras layer: what it does and its main settings."""
    kind = type(layer).__name__
    cfg = layer.get_config()
    act = cfg.get("activation")
    act = f", {act}" if isinstance(act, str) and act != "linear" else ""
    if kind == "Dense":
        return f"Dense {cfg['units']}{act}"
    if kind.startswith("Conv"):
        k = "×".join(map(str, cfg["kernel_size"]))
        stride = f", stride {cfg['strides'][0]}" if max(cfg["strides"]) > 1 else ""
        return f"Conv {k}, {cfg['filters']} filters{stride}{act}"
    if "Pooling" in kind:
        if kind.startswith("Global"):
            return "global " + ("max" if "Max" in kind else "average") + " pool"
        return ("max" if "Max" in kind else "avg") + "-pool " + "×".join(map(str, cfg["pool_size"]))
    if kind == "Dropout":
        return f"dropout {cfg['rate']:g}"
    if kind == "BatchNormalization":
        return "batch norm"
    if kind.startswith("Random"):
        return kind[len("Random"):].lower() + " (train only)"
    if kind == "Activation":
        return str(cfg.get("activation"))
    if kind in ("ReLU", "LeakyReLU", "ELU", "Softmax"):
        return kind.lower() if kind != "LeakyReLU" else "leaky relu"
    if hasattr(layer, "layers"):          # a nested model, e.g. an augmentation block
        return layer.name
    return kind


_FOLDED = ("BatchNormalization", "ReLU", "LeakyReLU", "ELU", "Activation", "Dropout", "Softmax")


def plot_model(model, ax=None, title=None, show_params: bool = True, fold: bool = True):
    """Draw a Keras model as a row of boxes, input first: each box is one
    layer, labelled with what it does and its output shape (and its number of
    parameters), and its height grows with the number of values the layer
    outputs, so a network that boils an image down is seen to shrink. With
    ``fold`` (default) batch norm, activation and dropout layers are written
    into the box of the layer before them ("+ batch norm"), as they keep its
    shape. Works for any built model whose ``layers`` form a chain (Sequential
    or functional). Returns the Figure."""
    layers = getattr(model, "layers", None)
    if layers is None or not hasattr(model, "inputs"):
        raise ValueError(f"model must be a built Keras model, got {type(model).__name__}")
    try:
        in_shape = tuple(model.inputs[0].shape[1:])
    except (AttributeError, TypeError, IndexError) as exc:
        raise ValueError("model must be built (give it a keras.Input) before it can be drawn") from exc
    boxes = [("input", in_shape, 0)]
    for layer in layers:
        if type(layer).__name__ == "InputLayer":
            continue
        out = getattr(layer, "output", None)
        shape = tuple(out.shape[1:]) if out is not None and hasattr(out, "shape") else ()
        if fold and type(layer).__name__ in _FOLDED and len(boxes) > 1:
            text, prev_shape, params = boxes[-1]
            boxes[-1] = (f"{text}, + {_layer_text(layer)}", prev_shape, params + layer.count_params())
            continue
        boxes.append((_layer_text(layer), shape, layer.count_params()))
    sizes = np.array([max(1, int(np.prod([d for d in s if d]))) for _, s, _ in boxes], dtype=float)
    heights = 0.25 + 0.75 * np.sqrt(sizes / sizes.max())
    n = len(boxes)
    fig, ax = _axes(ax, (min(1.25 * n + 0.5, 13.0), 2.9))
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(-0.95, 1.05)
    ax.axis("off")
    for i, ((text, shape, params), h) in enumerate(zip(boxes, heights)):
        colour = "#dddddd" if i == 0 else ("#9ecae1" if len(shape) == 3 else "#fdae6b")
        ax.add_patch(plt.Rectangle((i - 0.32, -h / 2), 0.64, h, facecolor=colour, edgecolor="k", lw=1))
        if i:
            ax.annotate("", (i - 0.33, 0), (i - 0.67, 0), arrowprops={"arrowstyle": "->", "lw": 1})
        dims = "×".join(str(d) for d in shape) if shape else "?"
        ax.text(i, 1.03, text.replace(", ", "\n"), ha="center", va="top", fontsize=8)
        label = dims + (f"\n{params:,} params" if show_params and params else "")
        ax.text(i, -0.55, label, ha="center", va="top", fontsize=8, color="#333333")
    total = sum(p for _, _, p in boxes)
    ax.set_title(title or f"{getattr(model, 'name', 'model')}: {total:,} parameters", fontsize=11)
    return fig
