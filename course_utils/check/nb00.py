"""Self-checks for notebook 00 (setup): three numpy warm-ups every later
notebook relies on: scaling pixels, one-hot labels, accuracy from scores.

Each check returns a bool, explains the mistake it recognises, and never
prints the expected values. The cases use sizes the exercise text does not
show, so code that hard-codes 28x28 images, 10 classes or 4 rows is caught.
"""
from __future__ import annotations

import numpy as np

from . import call_for_number, call_for_result, compare_arrays, report

__all__ = ["scale_pixels", "one_hot", "accuracy"]


def _scale_cases():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(3, 28, 28), dtype=np.uint8)
    images[0, 0, 0], images[1, 0, 0] = 255, 0
    dim = (images // 2).astype(np.uint8)          # a dark batch: max 127, exposes "divide by the max"
    odd = rng.integers(0, 256, size=(2, 5, 7), dtype=np.uint8)   # another shape: no hard-coded 28x28
    odd[0, 0, 0] = 255
    return [images, dim, odd]


def scale_pixels(fn) -> bool:
    """fn(images uint8 0-255) -> float32 array of the same shape in [0, 1]."""
    for batch in _scale_cases():
        before = batch.copy()
        got, err = call_for_result(fn, batch, name="scale_pixels")
        if err:
            return report(False, err)
        if not np.array_equal(batch, before):
            return report(False, "scale_pixels changed the images you passed in: return a new array instead.")
        got = np.asarray(got)
        if got.shape != batch.shape:
            if got.size == batch.size:
                return report(False, f"scale_pixels returned shape {got.shape} for images of shape {batch.shape}: "
                                     "keep the shape you were given (no reshape to a fixed size).")
            return report(False, f"scale_pixels returned shape {got.shape}; scaling must keep the shape {batch.shape}.")
        if got.dtype.kind in "iub":
            return report(False, f"scale_pixels returned integers ({got.dtype}): 0-255 divided with // or "
                                 "cast back to uint8 loses everything between 0 and 1.")
        if got.dtype != np.float32:
            return report(False, f"scale_pixels returned {got.dtype}: Keras computes in float32, "
                                 "and float64 doubles the memory; ask numpy for float32.")
        as_float = batch.astype(np.float64)
        if batch.max() < 255 and np.allclose(got, as_float / batch.max(), atol=1e-6):
            return report(False, "scale_pixels divides by the batch's own maximum: a dark batch then looks bright. "
                                 "Divide by the largest possible pixel value instead.")
        if np.allclose(got, as_float / 256, atol=1e-7):
            return report(False, "scale_pixels divides by 256: a white pixel (255) must become exactly 1. "
                                 "255 is the largest pixel value.")
        if np.allclose(got, as_float / 127.5 - 1, atol=1e-6):
            return report(False, "scale_pixels maps to [-1, 1]; this exercise asks for [0, 1].")
        ok, msg = compare_arrays(got, as_float / 255.0, "the scaled images", rtol=1e-6, atol=1e-7)
        if not ok:
            return report(False, f"scale_pixels: {msg}")
    return report(True, "scale_pixels keeps any shape, returns float32 in [0, 1] and leaves the input untouched.")


def one_hot(fn) -> bool:
    """fn(labels int array (n,), n_classes) -> float array (n, n_classes)."""
    labels = np.array([3, 0, 9, 3, 1])
    expected = np.eye(10)[labels]
    got, err = call_for_result(fn, labels.copy(), 10, name="one_hot")
    if err:
        return report(False, err)
    got = np.asarray(got, dtype=float)
    if got.shape == (5, 10):
        for shift in (1, -1):
            # rows whose shifted column exists; the edge row may be empty or wrapped round, so skip it
            inside = (labels + shift >= 0) & (labels + shift < 10)
            if np.array_equal(got[inside], np.eye(10)[labels[inside] + shift]):
                return report(False, "off-by-one in one_hot: the 1 sits one column away from the label. "
                                     "Label k belongs in column k (columns count from 0).")
        if not np.allclose(got.sum(axis=1), 1):
            return report(False, "each row of one_hot must contain exactly one 1.")
    ok, msg = compare_arrays(got, expected, "one_hot(labels, 10)")
    if not ok:
        return report(False, msg)
    # fewer classes than 10, and a largest label below n_classes - 1: n_classes alone sets the width
    small = np.array([2, 0, 4])
    got7, err = call_for_result(fn, small.copy(), 7, name="one_hot with 7 classes")
    if err:
        return report(False, err)
    got7 = np.asarray(got7, dtype=float)
    if got7.shape == (3, 5):
        return report(False, "one_hot takes its width from the largest label; use n_classes (a batch may "
                             "not contain the last class).")
    if got7.shape != (3, 7):
        if got7.shape[1:] == (10,):
            return report(False, "one_hot ignores n_classes: with 7 classes each row must have 7 columns.")
        return report(False, f"one_hot with 7 classes returned shape {got7.shape}; expected one row per label "
                             "and n_classes columns.")
    ok, msg = compare_arrays(got7, np.eye(7)[small], "one_hot(labels, 7)")
    if not ok:
        return report(False, msg)
    one, err = call_for_result(fn, np.array([0]), 3, name="one_hot of a single label")
    if err or np.asarray(one, dtype=float).shape != (1, 3):
        return report(False, err or "one_hot of a single label should still return a 2-D array, shape (1, n_classes).")
    return report(True, "one_hot puts a single 1 in column k of each row and respects n_classes.")


def accuracy(fn) -> bool:
    """fn(scores (n, n_classes), labels (n,)) -> fraction of rows whose top score is the label."""
    scores = np.array([[0.1, 0.7, 0.2],
                       [0.8, 0.1, 0.1],
                       [0.3, 0.3, 0.4],
                       [0.2, 0.5, 0.3]])
    labels = np.array([1, 0, 0, 2])                      # rows 0 and 1 right -> 0.5
    value, err = call_for_number(fn, scores.copy(), labels.copy(), name="accuracy")
    if err:
        return report(False, err)
    if not np.isfinite(value):
        return report(False, f"accuracy returned {value}: a fraction of rows is always a finite number.")
    if np.isclose(value, 2):
        return report(False, "accuracy returned the number of correct rows; divide by how many rows there are.")
    if np.isclose(value, 50):
        return report(False, "accuracy returned a percentage; the course uses a fraction between 0 and 1.")
    if np.isclose(value, float(np.mean(np.argmin(scores, axis=1) == labels))) and not np.isclose(value, 0.5):
        return report(False, "accuracy picks the SMALLEST score; the prediction is the class with the largest one.")
    wrong_axis = float(np.mean(np.argmax(scores, axis=0) == labels[: scores.shape[1]]))
    if not np.isclose(value, 0.5) and np.isclose(value, wrong_axis):
        return report(False, "accuracy takes the argmax over the wrong axis: each ROW is one example, "
                             "so look for the largest score along axis 1.")
    if np.isclose(value, float(np.mean(scores.max(axis=1)))):
        return report(False, "accuracy averages the largest scores; compare the POSITION of each row's "
                             "largest score (argmax) with the label.")
    if not np.isclose(value, 0.5):
        return report(False, "accuracy gives the wrong fraction on a 4-example case: compare the position "
                             "of each row's largest score with that row's label.")
    rng = np.random.default_rng(3)
    big_scores, big_labels = rng.normal(size=(203, 7)), rng.integers(0, 7, 203)
    expected = float(np.mean(big_scores.argmax(axis=1) == big_labels))
    value, err = call_for_number(fn, big_scores, big_labels, name="accuracy")
    if err or not np.isclose(value, expected):
        return report(False, err or "accuracy is right on the small case but wrong on 203 examples with 7 classes: "
                                    "does your code assume 3 classes or 4 rows?")
    value, err = call_for_number(fn, np.array([[0.2, 0.9]]), np.array([1]), name="accuracy on one example")
    if err or not np.isclose(value, 1.0):
        return report(False, err or "accuracy of a single correctly classified example should be 1.")
    return report(True, "accuracy compares each row's top-scoring class with its label and returns a fraction.")
