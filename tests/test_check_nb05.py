"""Self-checks of notebook 05: the reference passes, typical wrong answers are
rejected with the message meant for them, and correct answers written
differently pass (issue 16, point 9)."""
import math

import numpy as np
import pytest

from course_utils.check import nb05

keras = pytest.importorskip("keras")
L = keras.layers


@pytest.fixture(autouse=True)
def student_mode(monkeypatch):
    monkeypatch.delenv("COURSE_CHECK_STRICT", raising=False)


def verdict(check, answer, capsys):
    ok = check(answer)
    return ok, capsys.readouterr().out


# ---------------------------------------------------------------- Your turn 1: dense_params
def dense_reference(sizes):
    return sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))


def dense_numpy(sizes):   # the same count, written differently
    s = np.asarray(sizes)
    return int(s[:-1] @ s[1:] + s[1:].sum())


@pytest.mark.parametrize("answer", [dense_reference, dense_numpy])
def test_dense_params_correct_answers_pass(answer, capsys):
    ok, out = verdict(nb05.dense_params, answer, capsys)
    assert ok and "PASS" in out


@pytest.mark.parametrize("answer, words", [
    (lambda sizes: None, "not done yet"),
    (lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:])), "biases are missing"),
    (lambda sizes: sum(a * (b + 1) for a, b in zip(sizes[:-1], sizes[1:])), "OUTPUT unit"),
    (lambda sizes: math.prod(sizes), "connections that do not exist"),
    (lambda sizes: sum((a + 1) * b for a, b in zip(sizes[:-2], sizes[1:-1])), "one layer is missing"),
    (lambda sizes: 185_300, "computed from `sizes`"),
    (lambda sizes: "185300 parameters", "whole number"),
    (lambda sizes: sum(sizes), "wrong for"),
])
def test_dense_params_wrong_answers_are_named(answer, words, capsys):
    ok, out = verdict(nb05.dense_params, answer, capsys)
    assert not ok and words in out, out
    # a diagnosis never reveals the answer (185,300 for the first network, 7,850 for the second);
    # echoing the student's own returned value back ("got '185300 parameters'") reveals nothing
    out = out.replace(repr(answer([784, 200, 100, 60, 30, 10])), "")
    assert "7850" not in out and ("185300" not in out or "it gives 185300" in out), out


# ---------------------------------------------------------------- Your turn 2: conv_layer
def conv_reference(h, w, c_in, filters, kernel, stride, padding):
    if padding == "same":
        oh, ow = -(-h // stride), -(-w // stride)
    else:
        oh, ow = (h - kernel) // stride + 1, (w - kernel) // stride + 1
    return (oh, ow, filters), (kernel * kernel * c_in + 1) * filters


def conv_math(h, w, c_in, filters, kernel, stride, padding):   # ceil via math, a list for the shape
    if padding == "valid":
        h, w = h - kernel + 1, w - kernel + 1
    return [math.ceil(h / stride), math.ceil(w / stride), filters], filters * (c_in * kernel ** 2 + 1)


@pytest.mark.parametrize("answer", [conv_reference, conv_math])
def test_conv_layer_correct_answers_pass(answer, capsys):
    ok, out = verdict(nb05.conv_layer, answer, capsys)
    assert ok and "PASS" in out


def _conv_with(shape_fn=None, params_fn=None):
    def answer(h, w, c_in, filters, kernel, stride, padding):
        shape, params = conv_reference(h, w, c_in, filters, kernel, stride, padding)
        if shape_fn:
            shape = shape_fn(h, w, c_in, filters, kernel, stride, padding)
        if params_fn:
            params = params_fn(h, w, c_in, filters, kernel, stride, padding)
        return shape, params
    return answer


@pytest.mark.parametrize("answer, words", [
    (lambda *a: None, "not done yet"),
    (_conv_with(params_fn=lambda h, w, c, f, k, s, p: k * k * c * f), "misses the biases"),
    (_conv_with(params_fn=lambda h, w, c, f, k, s, p: (k * k + 1) * f), "ALL input channels"),
    (_conv_with(params_fn=lambda h, w, c, f, k, s, p: (k * k * c + 1) * f * conv_reference(h, w, c, f, k, s, p)[0][0]
                * conv_reference(h, w, c, f, k, s, p)[0][1]), "SHARED"),
    (_conv_with(shape_fn=lambda h, w, c, f, k, s, p: (h // s, w // s, f) if p == "same"
                else conv_reference(h, w, c, f, k, s, p)[0]), "rounds UP"),
    (_conv_with(shape_fn=lambda h, w, c, f, k, s, p: (h, w, f) if p == "same"
                else conv_reference(h, w, c, f, k, s, p)[0]), "stride is ignored"),
    (_conv_with(shape_fn=lambda h, w, c, f, k, s, p: (h, w, f)), "stride is ignored"),
    (_conv_with(shape_fn=lambda h, w, c, f, k, s, p: conv_reference(h, w, c, f, k, s, p)[0][:2] + (c,)),
     "number of filters"),
    (_conv_with(shape_fn=lambda h, w, c, f, k, s, p: ((h - k) // s, (w - k) // s, f) if p == "valid"
                else conv_reference(h, w, c, f, k, s, p)[0]), "off-by-one"),
])
def test_conv_layer_wrong_answers_are_named(answer, words, capsys):
    ok, out = verdict(nb05.conv_layer, answer, capsys)
    assert not ok and words in out, out


# ---------------------------------------------------------------- Your turn 3: LeNet-5
def lenet_reference():
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        L.Conv2D(6, 5, padding="same", activation="relu"), L.MaxPooling2D(2),
        L.Conv2D(16, 5, activation="relu"), L.MaxPooling2D(2),
        L.Flatten(), L.Dense(120, activation="relu"), L.Dense(84, activation="relu"),
        L.Dense(10, activation="softmax")])


def lenet_functional_tanh_avgpool():   # the 1998 flavour, functional API, activations as layers
    inputs = keras.Input((28, 28, 1))
    x = L.Activation("tanh")(L.Conv2D(6, (5, 5), padding="same")(inputs))
    x = L.AveragePooling2D((2, 2))(x)
    x = L.Conv2D(16, (5, 5), padding="valid")(x)
    x = L.ReLU()(L.AveragePooling2D(2)(x))     # pooling before the nonlinearity is fine too
    x = L.Flatten()(x)
    x = L.Dense(84, activation="tanh")(L.Dense(120, activation="tanh")(x))
    outputs = L.Softmax()(L.Dense(10)(x))
    return keras.Model(inputs, outputs)


def _lenet(**change):
    """LeNet-5 with one typical mistake."""
    spec = {"input": (28, 28, 1), "filters": (6, 16), "kernel": 5, "pad1": "same", "pad2": "valid",
            "pool": True, "flatten": True, "dense": (120, 84), "act": "relu", "out_act": "softmax", "extra": []}
    spec.update(change)

    def build():
        body = [keras.Input(spec["input"])]
        body.append(L.Conv2D(spec["filters"][0], spec["kernel"], padding=spec["pad1"], activation=spec["act"]))
        if spec["pool"]:
            body.append(L.MaxPooling2D(2))
        body.append(L.Conv2D(spec["filters"][1], spec["kernel"], padding=spec["pad2"], activation=spec["act"]))
        if spec["pool"]:
            body.append(L.MaxPooling2D(2))
        if spec["flatten"]:
            body.append(L.Flatten())
        body += [L.Dense(n, activation=spec["act"]) for n in spec["dense"]] + spec["extra"]
        body.append(L.Dense(10, activation=spec["out_act"]))
        return keras.Sequential(body)
    return build


@pytest.mark.parametrize("answer", [lenet_reference, lenet_functional_tanh_avgpool])
def test_lenet_correct_answers_pass(answer, capsys):
    ok, out = verdict(nb05.lenet, answer, capsys)
    assert ok and "PASS" in out and f"{nb05.LENET_PARAMS:,}" in out


@pytest.mark.parametrize("answer, words", [
    (lambda: None, "not done yet"),
    (lambda: "LeNet", "should return a Keras model"),
    (lambda: keras.Sequential([keras.Input((28, 28, 1))]), "without layers"),   # the stub
    (_lenet(pad1="valid"), "padding='same'"),
    (_lenet(pad2="same"), "uses no padding ('valid')"),
    (_lenet(flatten=False), "Flatten"),
    (_lenet(pool=False), "pooling layer"),
    (_lenet(filters=(16, 6)), "6 in the first"),
    (_lenet(kernel=3), "5x5"),
    (_lenet(act=None), "collapse into one linear map"),
    (_lenet(out_act=None), "no softmax"),
    (_lenet(dense=(120,)), "120, 84"),
    (_lenet(input=(32, 32, 1)), "28x28x1"),
    (_lenet(extra=[L.Dropout(0.5), L.Dense(84, activation="relu")]), "120, 84"),
])
def test_lenet_wrong_answers_are_named(answer, words, capsys):
    ok, out = verdict(nb05.lenet, answer, capsys)
    assert not ok and words in out, out


def test_lenet_reports_an_exception_in_the_students_code(capsys):
    def broken():
        return keras.Sequential([keras.Input((784,)), L.Conv2D(6, 5)])
    ok, out = verdict(nb05.lenet, broken, capsys)
    assert not ok and "raised" in out and "keras.Input((28, 28, 1))" in out


def test_lenet_extra_batch_norm_is_named(capsys):
    def with_bn():
        return keras.Sequential([keras.Input((28, 28, 1)), L.Conv2D(6, 5, padding="same", activation="relu"),
                                 L.BatchNormalization(), L.MaxPooling2D(), L.Conv2D(16, 5, activation="relu"),
                                 L.MaxPooling2D(), L.Flatten(), L.Dense(120, activation="relu"),
                                 L.Dense(84, activation="relu"), L.Dense(10, activation="softmax")])
    ok, out = verdict(nb05.lenet, with_bn, capsys)
    assert not ok and "batch norm" in out


# ---------------------------------------------------------------- a trained model on validation data
class FakeModel:
    """Stands in for a trained model: predict returns fixed probabilities."""

    def __init__(self, probs):
        self.probs = np.asarray(probs, dtype=float)

    def predict(self, x, verbose=0, batch_size=None):
        return self.probs


def _probs(labels, correct_share, n_classes=10):
    labels = np.asarray(labels)
    pred = labels.copy()
    wrong = np.arange(len(labels)) >= int(correct_share * len(labels))
    pred[wrong] = (labels[wrong] + 1) % n_classes
    return np.eye(n_classes)[pred] * 0.9 + 0.01


def test_reaches_target_on_validation(capsys):
    y = np.arange(200) % 10
    x = np.zeros((200, 28, 28, 1))
    assert nb05.reaches_target(FakeModel(_probs(y, 0.99)), x, y, target=0.98)
    assert "validation accuracy 99.0%" in capsys.readouterr().out
    cases = [(FakeModel(_probs(y, 0.95)), "below the target"), (FakeModel(_probs(y, 0.05)), "near chance"),
             (FakeModel(np.zeros((200, 1))), "shape (200, 1)"), (FakeModel(_probs(y, 1.0) * 5), "not probabilities"),
             (FakeModel(np.full((200, 10), np.nan)), "NaN"), (None, "not done yet"), ("model", "Keras model")]
    for model, words in cases:
        assert not nb05.reaches_target(model, x, y, target=0.98)
        assert words in capsys.readouterr().out, words
