"""plotting.plot_model draws a Keras model's layers with their output shapes."""
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from course_utils import plotting

keras = pytest.importorskip("keras")
layers = keras.layers


def teardown_function():
    plt.close("all")


def test_plot_model_draws_every_layer_with_its_shape():
    model = keras.Sequential([keras.Input((28, 28, 1)), layers.Conv2D(4, 5, padding="same", activation="relu"),
                              layers.Conv2D(8, 5, strides=2, padding="same"), layers.BatchNormalization(),
                              layers.ReLU(), layers.MaxPooling2D(2),
                              layers.Flatten(), layers.Dense(10, activation="softmax")], name="tiny")
    fig = plotting.plot_model(model)
    ax = fig.axes[0]
    texts = " | ".join(t.get_text() for t in ax.texts)
    assert len(ax.patches) == 6, "one box for the input and one per layer"
    for shape in ("28×28×1", "28×28×4", "14×14×8", "7×7×8", "392", "10"):
        assert shape in texts, shape
    assert "stride 2" in texts and "max-pool 2×2" in texts and "softmax" in texts
    assert f"{model.count_params():,} parameters" in ax.get_title()
    heights = [p.get_height() for p in ax.patches]
    assert heights[1] > heights[-1], "a layer with more outputs gets a taller box"
    assert "+ batch norm" in texts and "+ relu" in texts, "shape-keeping layers are folded into the box before"
    unfolded = plotting.plot_model(model, fold=False).axes[0]
    assert len(unfolded.patches) == 8 and "batch norm" in " ".join(t.get_text() for t in unfolded.texts)


def test_plot_model_functional_and_bad_input():
    inputs = keras.Input((8,))
    outputs = layers.Dense(3)(layers.Dropout(0.5)(layers.Dense(4, activation="relu")(inputs)))
    fig = plotting.plot_model(keras.Model(inputs, outputs), show_params=False, title="mlp")
    ax = fig.axes[0]
    assert ax.get_title() == "mlp" and "params" not in " ".join(t.get_text() for t in ax.texts)
    assert "+ dropout 0.5" in " ".join(t.get_text() for t in ax.texts) and len(ax.patches) == 3
    with pytest.raises(ValueError, match="Keras model"):
        plotting.plot_model([1, 2, 3])
