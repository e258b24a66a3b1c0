"""Self-checks for notebook 05 (CNNs on MNIST).

Each check calls the student's code on a few cases, compares with a hidden
reference and says what kind of mistake it sees, without printing the answer.
"""
from __future__ import annotations

import numpy as np

from . import call_for_number, call_for_result, call_safely, report

__all__ = ["dense_params", "conv_layer", "lenet", "reaches_target", "LENET_PARAMS"]


# ---------------------------------------------------------------- dense parameter count
def _ref_dense_params(sizes):
    return int(sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:])))


_DENSE_CASES = [[784, 200, 100, 60, 30, 10], [784, 10], [2, 3, 1], [10, 1], [5, 4, 4, 4, 2]]


def dense_params(fn) -> bool:
    """Check ``fn(sizes)`` -> number of weights + biases of a stack of Dense
    layers with the given layer widths (input first, output last)."""
    answers = []
    for sizes in _DENSE_CASES:
        got_i, err = call_for_number(fn, list(sizes), name=f"dense_params({sizes})", whole=True)
        if err:
            return report(False, err)
        want = _ref_dense_params(sizes)
        answers.append(got_i)
        if got_i == want:
            continue
        if len(answers) > 1 and len(set(answers)) == 1:
            return report(False, f"wrong for {sizes}: it gives {got_i} for every network; the answer must be "
                                 "computed from `sizes`, not written in.")
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


# ---------------------------------------------------------------- LeNet-5, built by the student
LENET_PARAMS = 61_706   # (5*5*1+1)*6 + (5*5*6+1)*16 + (400+1)*120 + (120+1)*84 + (84+1)*10


def _shape(tensor) -> tuple:
    return tuple(int(d) for d in tensor.shape[1:])


def _activation_name(layer) -> str | None:
    act = getattr(layer, "activation", None)
    return getattr(act, "__name__", None) if act is not None else None


def _lenet_problem(model) -> str | None:
    """What is wrong with a model meant to be LeNet-5, or None. Reads only the
    model's layers and shapes, never trains it."""
    from keras import layers as L

    if not [l for l in model.layers if type(l).__name__ != "InputLayer"]:
        return ("lenet5() returns a model without layers: add the two convolution + pooling stages, Flatten and "
                "the three dense layers.")
    try:
        in_shape = _shape(model.inputs[0])
    except (AttributeError, IndexError, TypeError):
        return "the model has no input yet: start it with keras.Input((28, 28, 1))."
    if in_shape != (28, 28, 1):
        if in_shape in ((784,), (28, 28)):
            return (f"the model takes inputs of shape {in_shape}; a CNN reads the image as an image: "
                    "start with keras.Input((28, 28, 1)) and do not flatten before the convolutions.")
        return f"the model takes inputs of shape {in_shape}; MNIST images here are 28x28x1."
    all_layers = [l for l in model.layers if type(l).__name__ != "InputLayer"]
    convs = [l for l in all_layers if isinstance(l, L.Conv2D)]
    pools = [l for l in all_layers if isinstance(l, (L.MaxPooling2D, L.AveragePooling2D))]
    denses = [l for l in all_layers if isinstance(l, L.Dense)]
    for dense in denses:
        if len(_shape(dense.output)) > 1:
            return (f"a Dense layer outputs shape {_shape(dense.output)}: Dense acts on the last axis only; "
                    "put a Flatten between the convolutions and the dense layers.")
    if len(convs) != 2:
        return (f"found {len(convs)} Conv2D layer(s); LeNet-5 has two convolutions "
                "(6 filters, then 16), each followed by 2x2 subsampling.")
    if [c.filters for c in convs] != [6, 16]:
        return (f"the convolutions have {[c.filters for c in convs]} filters; LeNet-5 uses 6 in the first "
                "and 16 in the second.")
    if any(tuple(c.kernel_size) != (5, 5) for c in convs):
        return f"kernel sizes {[tuple(c.kernel_size) for c in convs]}: LeNet-5's filters are 5x5."
    if any(max(c.strides) != 1 for c in convs):
        return "a convolution has a stride above 1; here the 2x2 subsampling layers do the downsampling."
    if len(pools) != 2:
        return (f"found {len(pools)} pooling layer(s); each convolution is followed by 2x2 subsampling "
                "(MaxPooling2D(2), or AveragePooling2D(2) as in the original).")
    conv_shapes = [_shape(c.output) for c in convs]
    if conv_shapes[0] == (24, 24, 6):
        return ("the first convolution outputs 24x24x6: give it padding='same' so it keeps 28x28 "
                "(it stands in for LeNet's 32x32 input).")
    if conv_shapes[0] != (28, 28, 6):
        return f"the first convolution outputs {conv_shapes[0]}, expected 28x28 with 6 maps."
    if conv_shapes[1] == (14, 14, 16):
        return "the second convolution outputs 14x14x16: it uses no padding ('valid'), so 14 -> 10."
    if conv_shapes[1] != (10, 10, 16):
        return (f"the second convolution outputs {conv_shapes[1]}, expected 10x10x16: is a pooling layer "
                "missing between the two convolutions?")
    widths = [d.units for d in denses]
    if not widths or widths[-1] != 10:
        return "the last layer must be Dense(10, activation='softmax'): one probability per digit."
    if widths != [120, 84, 10]:
        return f"the dense layers have {widths} units; LeNet-5's are 120, 84 and then 10."
    if _activation_name(denses[-1]) != "softmax" and not isinstance(all_layers[-1], L.Softmax) and not (
            isinstance(all_layers[-1], L.Activation) and _activation_name(all_layers[-1]) == "softmax"):
        return ("the output layer has no softmax: its 10 outputs are not probabilities, and the loss used "
                "here (sparse categorical cross-entropy) expects them. Use Dense(10, activation='softmax').")
    weighted = convs + denses
    for layer in convs + denses[:-1]:
        if _activation_name(layer) in (None, "linear"):
            i = all_layers.index(layer) + 1
            following = []
            while i < len(all_layers) and all_layers[i] not in weighted:   # up to the next weight layer
                following.append(all_layers[i])
                i += 1
            nonlinear_next = any(isinstance(l, (L.ReLU, L.LeakyReLU, L.ELU)) or (
                isinstance(l, L.Activation) and _activation_name(l) not in (None, "linear")) for l in following)
            if not nonlinear_next:
                return (f"{type(layer).__name__} '{layer.name}' has no nonlinearity: without ReLU (or tanh) "
                        "after each hidden layer, the stacked layers collapse into one linear map.")
    if model.count_params() != LENET_PARAMS:
        return (f"the layers look right but the model has {model.count_params():,} parameters; LeNet-5 has "
                f"{LENET_PARAMS:,}. Extra layers (batch norm, another Dense)?")
    return None


def lenet(fn) -> bool:
    """Check ``fn()`` -> an (uncompiled or compiled) Keras model of LeNet-5 as
    the notebook describes it: 28x28x1 -> conv 5x5x6 ('same') -> 2x2 pool ->
    conv 5x5x16 ('valid') -> 2x2 pool -> 120 -> 84 -> 10 softmax. Max or
    average pooling, ReLU or tanh, Sequential or functional all pass."""
    model, err = call_for_result(fn, name="lenet5()")
    if err and "min_ndim=4" in err:
        err += (" A Conv2D reads images (height, width, channels): start with keras.Input((28, 28, 1)) and "
                "flatten only after the convolutions.")
    if err:
        return report(False, err)
    if not (hasattr(model, "layers") and hasattr(model, "count_params")):
        return report(False, f"lenet5() should return a Keras model, got {type(model).__name__}.")
    problem = _lenet_problem(model)
    if problem:
        return report(False, problem)
    return report(True, f"lenet5() builds LeNet-5: {LENET_PARAMS:,} parameters, 28x28x6 -> 14x14x6 -> 10x10x16 "
                        "-> 5x5x16 -> 120 -> 84 -> 10.")


# ---------------------------------------------------------------- a trained model that reaches a target
def reaches_target(model, x_val, y_val, target: float) -> bool:
    """Check a trained Keras ``model`` on VALIDATION data (held out from the
    training set; the test set is kept for the final figure): it must output
    10 class probabilities per image and reach ``target`` accuracy."""
    if model is None:
        return report(False, "model is None: the exercise is not done yet (did you forget `return`?).")
    if not hasattr(model, "predict"):
        return report(False, f"expected a Keras model, got {type(model).__name__}.")
    probs, err = call_safely(model.predict, x_val, verbose=0, batch_size=500)
    if err:
        return report(False, f"the model cannot read the validation images {x_val.shape}: {err}")
    probs = np.asarray(probs)
    if probs.shape != (len(x_val), 10):
        return report(False, f"the model outputs shape {probs.shape}; it needs one row of 10 class scores per "
                             "image (end with Dense(10, activation='softmax')).")
    if not np.all(np.isfinite(probs)):
        return report(False, "the model outputs NaN: the training diverged (learning rate too high?).")
    if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-3) or probs.min() < 0:
        return report(False, "the outputs are not probabilities (rows do not sum to 1): the last layer needs "
                             "a softmax, to match the loss.")
    acc = float(np.mean(probs.argmax(axis=1) == np.asarray(y_val)))
    if acc < 0.2:
        return report(False, f"validation accuracy {acc:.1%} is near chance: did it train (epochs, learning "
                             "rate, scaled inputs)?")
    if acc < target:
        return report(False, f"validation accuracy {acc:.1%} is below the target {target:.1%}: compare your "
                             "layers with the description, or train longer.")
    return report(True, f"validation accuracy {acc:.1%} reaches the target {target:.1%}.")
