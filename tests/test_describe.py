"""Every figure made through course_utils.plotting is described in words from
its real values (issue 20, point 4); the description reaches Jupyter as the
image's alt text and a collapsed line; the course colours stay apart for the
three common colour-vision deficiencies; the dark style is dark."""
from __future__ import annotations

import inspect

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_utils import describe, plotting  # noqa: E402

RNG = np.random.default_rng(3)
X = RNG.normal(size=(30, 2))
Y = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)


def _boundary():
    fig = plotting.plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(float), X, Y, title="XOR?")
    correct = int(((X[:, 0] > 0).astype(int) == Y).sum())
    lo, hi = X[:, 0].min() - 0.5, X[:, 0].max() + 0.5
    return fig, [f"{correct} of 30", f"{int((Y == 0).sum())} of class 0", describe.number(lo), describe.number(hi),
                 "XOR?"]


def _history():
    hist = {"loss": [2.31, 0.93, 0.412], "val_loss": [2.2, 0.87, 0.95], "accuracy": [0.11, 0.71, 0.934]}
    return plotting.plot_history(hist, label="MLP"), ["3 epochs", "2.31 to 0.412", "lowest 0.87 at epoch 2",
                                                    "0.11 to 0.934", "MLP"]


def _grid():
    fig = plotting.plot_image_grid(RNG.random((6, 28, 28)), labels=[7, 2, 1, 0, 4, 1],
                                   predictions=[7, 2, 1, 6, 4, 1])
    return fig, ["6 images of 28 by 28", "7, 2, 1, 0, 4, 1", "1 of 6 predictions is wrong", "0 predicted as 6"]


def _kernels():
    sobel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    fig = plotting.plot_kernels([sobel, np.full((5, 5), 0.04)], titles=["Sobel x", "blur"])
    return fig, ["2 convolution kernels", "Sobel x: rows -1 0 1; -2 0 2; -1 0 1, sum 0", "blur", "sum 1"]


def _maps():
    maps = np.zeros((8, 8, 3))
    maps[..., 1] = 2.5
    maps[2, 3, 2] = 0.25
    return plotting.plot_feature_maps(maps), ["3 feature maps of 8 by 8", "from 0 to 2.5", "most active is channel 2",
                                             "1 of 3 are zero everywhere"]


def _confusion():
    fig = plotting.plot_confusion_matrix([0, 1, 2, 2, 2, 1], [0, 2, 1, 1, 2, 1], class_names=["cat", "dog", "fox"])
    return fig, ["6 predictions over 3 classes", "3 correct (50 %)", "true fox predicted as dog (2 times)"]


def _model():
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3), keras.layers.Flatten(),
                              keras.layers.Dense(10)])
    fig = plotting.plot_model(model)
    return fig, [f"{model.count_params():,} parameters", "(26x26x8)", "(10)."]


CASES = {"plot_decision_boundary": _boundary, "plot_history": _history, "plot_image_grid": _grid,
         "plot_kernels": _kernels, "plot_feature_maps": _maps, "plot_confusion_matrix": _confusion}
if hasattr(plotting, "plot_model"):   # plot_model ends: return _describe.attach(fig, _describe.model_text(...))
    CASES["plot_model"] = _model


def test_every_plotting_helper_has_a_description_case():
    helpers = {n for n in plotting.__all__ if n.startswith("plot_") and inspect.isfunction(getattr(plotting, n))}
    assert helpers - set(CASES) == set(), (
        f"{sorted(helpers - set(CASES))} draw figures without a described case here: attach a description "
        "computed from the data (course_utils/describe.py) and add a case to CASES")


@pytest.mark.parametrize("helper", sorted(CASES))
def test_the_description_names_the_values_drawn(helper):
    fig, must_name = CASES[helper]()
    text = describe.description(fig)
    plt.close(fig)
    assert text, f"{helper} attached no description"
    for value in must_name:
        assert value in text, f"{helper}: {value!r} missing from {text!r}"
    assert len(text) < 700, f"{helper}: a description is one or two sentences, got {len(text)} characters"


def test_two_helpers_on_one_figure_both_describe_it():
    fig, axes = plt.subplots(1, 2)
    plotting.plot_decision_boundary(lambda P: (P[:, 0] > 0).astype(float), X, Y, ax=axes[0], title="left")
    plotting.plot_confusion_matrix([0, 1], [0, 1], ax=axes[1])
    text = describe.description(fig)
    plt.close(fig)
    assert text.startswith("Left: decision regions") and "Confusion matrix of 2 predictions" in text


def test_jupyter_shows_alt_text_and_a_collapsed_line(tmp_path):
    """In a real kernel (matplotlib's inline backend): the PNG carries the alt
    text, and a collapsed <details> line follows it. A figure not made by a
    helper is shown exactly as before."""
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "%matplotlib inline\nfrom course_utils import plotting\nimport matplotlib.pyplot as plt\n"
        "plotting.plot_history({'loss': [1.5, 0.25]});"),
        nbformat.v4.new_code_cell("plt.plot([1, 2]);")])
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outs = [o for o in nb.cells[0].outputs if o.output_type == "display_data"]
    assert len(outs) == 2, nb.cells[0].outputs
    assert "image/png" in outs[0].data
    assert outs[0].metadata["image/png"]["alt"].startswith("Training curves over 2 epochs")
    assert "1.5 to 0.25" in outs[0].metadata["image/png"]["alt"]
    assert outs[1].data["text/html"].startswith('<details class="course-figure-description"><summary>')
    assert "1.5 to 0.25" in outs[1].data["text/plain"]
    plain = [o for o in nb.cells[1].outputs if o.output_type == "display_data"]
    assert len(plain) == 1 and "image/png" in plain[0].data and "alt" not in plain[0].metadata.get("image/png", {})


# Machado, Oliveira & Fernandes (2009), severity 1.0, on linear RGB
CVD = {"protanopia": [[0.152286, 1.052583, -0.204868],
                      [0.114503, 0.786281, 0.099216],
                      [-0.003882, -0.048116, 1.051998]],
       "deuteranopia": [[0.367322, 0.860646, -0.227968],
                        [0.280085, 0.672501, 0.047413],
                        [-0.011820, 0.042940, 0.968881]],
       "tritanopia": [[1.255528, -0.076749, -0.178779],
                      [-0.078411, 0.930809, 0.147602],
                      [0.004733, 0.691367, 0.303900]]}


def _lab(rgb):
    rgb = np.clip(rgb, 0, 1)
    xyz = rgb @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz = xyz / np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], axis=1)


def _closest_pair(colors, matrix):
    srgb = np.array([matplotlib.colors.to_rgb(c) for c in colors])
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    lab = _lab(linear @ np.array(matrix).T)
    d = np.linalg.norm(lab[:, None] - lab[None], axis=-1) + np.eye(len(colors)) * 1e9
    return float(d.min())


@pytest.mark.parametrize("vision", sorted(CVD))
def test_course_colours_stay_apart_for_colour_blind_students(vision):
    """The first six line colours of the light and dark styles differ by more
    than 10 CIELAB units for each simulated deficiency (matplotlib's old
    default, tab10, does not: the test can tell)."""
    for palette in (plotting.OKABE_ITO[:6], plotting.OKABE_ITO_DARK[:6]):
        assert _closest_pair(palette, CVD[vision]) > 10, (vision, palette)
    tab10 = [matplotlib.colors.to_hex(c) for c in plt.get_cmap("tab10").colors[:6]]
    assert min(_closest_pair(tab10, m) for m in CVD.values()) < 10


def test_the_styles_use_the_palette_and_dark_is_dark():
    try:
        plotting.use_course_style()
        assert plt.rcParams["axes.prop_cycle"].by_key()["color"][:6] == [c.lower() for c in plotting.OKABE_ITO[:6]] \
            or plt.rcParams["axes.prop_cycle"].by_key()["color"][:6] == plotting.OKABE_ITO[:6]
        plotting.use_dark_style()
        bg = matplotlib.colors.to_rgb(plt.rcParams["axes.facecolor"])
        fg = matplotlib.colors.to_rgb(plt.rcParams["text.color"])
        assert sum(bg) < 0.5 and sum(fg) > 2.4
        fig = plotting.plot_image_grid(np.zeros((2, 4, 4)), labels=[1, 2], predictions=[1, 3])
        assert matplotlib.colors.to_rgb(fig.axes[0].title.get_color()) == fg   # right: light text
        plt.close(fig)
    finally:
        plotting.use_course_style()
