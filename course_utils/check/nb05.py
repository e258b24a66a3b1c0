"""Self-checks for notebook 05 (CNNs on MNIST).

Each check calls the student's code on a few cases, compares with a hidden
reference and says what kind of mistake it sees, without printing the answer.
"""
from __future__ import annotations

import numpy as np

from . import call_for_number, call_for_result, call_safely, report

__all__ = ["dense_params", "conv_layer", "beats_target"]


# ---------------------------------------------------------------- dense parameter count
def _ref_dense_params(sizes):
    return int(sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))


_DENSE_CASES = [[784, 10], [784, 200, 100, 60, 30, 10], [2, 3, 1], [10, 1], [5, 4, 4, 4, 2]]


def dense_params(fn) -> bool:
    """Check ``fn(sizes)`` -> number of weights + biases of a stack of Dense
    layers with the given layer widths (input first, output last)."""
    for sizes in _DENSE_CASES:
        got_i, err = call_for_number(fn, list(sizes), name=f"dense_params({sizes})", whole=True)
        if err:
            return report(False, err)
        want = _ref_dense_params(sizes)
        if got_i == want:
            continue
        pairs = list(zip(sizes[:-1], sizes[1:]))
        if got_i == sum(a * b for a, b in pairs):
            return report(False, f"wrong for {sizes}: the biases are missing (one per output unit).")
        if got_i == sum((a + 1) * b for a, b in pairs[:-1]) or got_i == sum((a + 1) * b for a, b in pairs[1:]):
            return report(False, f"wrong for {sizes}: one layer is missing; a list of n widths has n-1 weight layers.")
        if got_i == sum(a * (b + 1) for a, b in pairs):
            return report(False, f"wrong for {sizes}: the bias belongs to each OUTPUT unit, not to each input.")
        if got_i == int(np.prod(sizes)):
            return report(False, f"wrong for {sizes}: multiplying all widths together counts connections that do not "
                                 "exist; only neighbouring layers are connected.")
        return report(False, f"wrong for {sizes} (got {got_i}). Each layer a -> b has an a x b weight matrix and "
                             "b biases; add them up over neighbouring pairs.")
    return report(True, f"dense_params is right on all {len(_DENSE_CASES)} networks.")


# ---------------------------------------------------------------- conv layer shape and parameters
def _ref_conv(h, w, c_in, filters, kernel, stride, padding):
    if padding == "same":
        oh, ow = -(-h // stride), -(-w // stride)
    else:
        oh, ow = (h - kernel) // stride + 1, (w - kernel) // stride + 1
    return (oh, ow, filters), (kernel * kernel * c_in + 1) * filters


_CONV_CASES = [  # (h, w, c_in, filters, kernel, stride, padding)
    (28, 28, 1, 4, 5, 1, "same"), (28, 28, 4, 8, 5, 2, "same"), (14, 14, 8, 12, 4, 2, "same"),
    (28, 28, 1, 6, 5, 1, "valid"), (14, 14, 6, 16, 5, 1, "valid"), (32, 32, 3, 16, 3, 1, "valid"),
    (7, 7, 12, 5, 3, 2, "valid"), (9, 9, 2, 3, 3, 2, "same"),
]


def conv_layer(fn) -> bool:
    """Check ``fn(h, w, c_in, filters, kernel, stride, padding)`` ->
    ``((out_h, out_w, filters), n_params)`` for a Keras Conv2D with bias."""
    for case in _CONV_CASES:
        h, w, c_in, filters, kernel, stride, padding = case
        name = f"conv_layer{case}"
        got, err = call_for_result(fn, *case, name=name)
        if err:
            return report(False, err)
        try:
            shape, params = got
            shape = tuple(int(v) for v in shape)
            params = int(params)
        except (TypeError, ValueError):
            return report(False, f"{name} should return ((out_h, out_w, channels), n_params), got {got!r:.60}.")
        want_shape, want_params = _ref_conv(*case)
        if len(shape) != 3:
            return report(False, f"{name}: the shape needs 3 numbers (height, width, channels), got {len(shape)}.")
        if shape != want_shape:
            if shape[2] != filters:
                return report(False, f"{name}: the number of output channels is the number of filters, "
                                     "whatever the input has.")
            if padding == "same" and stride > 1 and shape[:2] == (h // stride, w // stride) and h % stride:
                return report(False, f"{name}: with 'same' padding Keras rounds UP (ceil(h / stride)).")
            if padding == "same" and shape[:2] == (h, w):
                return report(False, f"{name}: 'same' padding keeps the size only for stride 1; the stride is ignored.")
            if padding == "valid" and shape[:2] == (h, w):
                return report(False, f"{name}: 'valid' means no padding, so the output shrinks.")
            if padding == "valid" and shape[:2] == ((h - kernel) // stride, (w - kernel) // stride):
                return report(False, f"{name}: off-by-one in the height/width: count the first position too.")
            if padding == "valid" and stride > 1 and shape[:2] == (h - kernel + 1, w - kernel + 1):
                return report(False, f"{name}: the stride is ignored in the height/width.")
            return report(False, f"{name}: the output height/width is wrong (got {shape[:2]}).")
        if params != want_params:
            if params == kernel * kernel * c_in * filters:
                return report(False, f"{name}: shape right; the parameter count misses the biases (one per filter).")
            if params == (kernel * kernel + 1) * filters:
                return report(False, f"{name}: shape right; each filter spans ALL input channels (k x k x c_in).")
            if params == (kernel * kernel * c_in + 1) * filters * shape[0] * shape[1]:
                return report(False, f"{name}: shape right; weights are SHARED across positions, so the output "
                                     "size does not enter the parameter count.")
            return report(False, f"{name}: shape right but the parameter count is wrong (got {params}).")
    return report(True, f"conv_layer is right on all {len(_CONV_CASES)} layers (shapes and parameters).")


# ---------------------------------------------------------------- a model that beats a target
def beats_target(model, x_test, y_test, target: float) -> bool:
    """Check a trained Keras ``model`` on (x_test, y_test): it must output 10
    class probabilities per image and reach ``target`` accuracy."""
    if model is None:
        return report(False, "model is None: the exercise is not done yet (did you forget `return`?).")
    if not hasattr(model, "predict"):
        return report(False, f"expected a Keras model, got {type(model).__name__}.")
    probs, err = call_safely(model.predict, x_test, verbose=0, batch_size=500)
    if err:
        return report(False, f"the model cannot read the test images {x_test.shape}: {err}")
    probs = np.asarray(probs)
    if probs.shape != (len(x_test), 10):
        return report(False, f"the model outputs shape {probs.shape}; it needs one row of 10 class scores per "
                             "image (end with Dense(10, activation='softmax')).")
    if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3) or probs.min() < 0:
        return report(False, "the outputs are not probabilities (rows do not sum to 1): the last layer needs "
                             "a softmax, to match the loss.")
    acc = float(np.mean(probs.argmax(axis=1) == np.asarray(y_test)))
    if acc < 0.2:
        return report(False, f"test accuracy {acc:.1%} is near chance: did it train (epochs, learning rate, scaled "
                             "inputs)?")
    if acc < target:
        return report(False, f"test accuracy {acc:.1%} is below the target {target:.1%}: add a layer (a hidden "
                             "Dense with ReLU, or a Conv2D + pooling) or train longer.")
    return report(True, f"test accuracy {acc:.1%} beats the target {target:.1%}.")
