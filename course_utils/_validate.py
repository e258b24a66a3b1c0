"""Argument checks for the public functions of course_utils.

Each helper returns the value in the form the caller needs (an ``int``, a
float array, ...) or raises a ValueError that names the function, the
argument, what it got and what it expects:

    plot_confusion_matrix(): y_true got the label -1 (at index 3); expected class labels 0 to 9.

Nothing here imports TensorFlow or matplotlib.
"""
from __future__ import annotations

import numbers
import os
from typing import NoReturn

import numpy as np


def describe(value) -> str:
    """A short phrase for what a caller passed (never a long repr)."""
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of length {len(value)}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})" if not isinstance(value, (str, type(None))) else text


def fail(func: str, arg: str, got: str, expected: str) -> NoReturn:
    raise ValueError(f"{func}(): {arg} got {got}; expected {expected}.")


def boolean(func: str, arg: str, value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    fail(func, arg, describe(value), "True or False")


def integer(func: str, arg: str, value, lo: int | None = None, hi: int | None = None) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        fail(func, arg, describe(value), "a whole number (int)" + _range(lo, hi))
    value = int(value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        fail(func, arg, repr(value), "a whole number" + _range(lo, hi))
    return value


def number(func: str, arg: str, value, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        fail(func, arg, describe(value), "a number" + _range(lo, hi))
    value = float(value)
    if not np.isfinite(value):
        fail(func, arg, repr(value), "a finite number" + _range(lo, hi))
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        fail(func, arg, repr(value), "a number" + _range(lo, hi))
    return value


def _range(lo, hi) -> str:
    if lo is not None and hi is not None:
        return f" from {lo} to {hi}"
    if lo is not None:
        return f" >= {lo}"
    if hi is not None:
        return f" <= {hi}"
    return ""


def text(func: str, arg: str, value, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        fail(func, arg, describe(value), "a non-empty string" if not allow_empty else "a string")
    return value


def seed(func: str, arg: str, value) -> int:
    """A seed for random, NumPy and Keras: a whole number from 0 to 2**32 - 1."""
    return integer(func, arg, value, 0, 2**32 - 1)


def path(func: str, arg: str, value):
    if isinstance(value, (str, os.PathLike)) and str(os.fspath(value)).strip():
        from pathlib import Path

        return Path(value)
    fail(func, arg, describe(value), "a file or folder path (str or pathlib.Path)")


def _where(mask: np.ndarray) -> str:
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"index {index[0]}" if len(index) == 1 else f"index {index}"


def array(func: str, arg: str, value, ndim=None, finite: bool = True, min_len: int = 1,
          shape_text: str | None = None, as_float: bool = True) -> np.ndarray:
    """``value`` as a float array (or in its own dtype, if not ``as_float``):
    numeric, ``ndim`` dimensions (an int or a tuple of allowed ones), at least
    ``min_len`` entries along the first axis, and (if ``finite``) without NaN or inf."""
    expected = shape_text or (f"a {ndim}-D array of numbers" if isinstance(ndim, int) else "an array of numbers")
    if value is None or isinstance(value, (str, bytes, dict)):
        fail(func, arg, describe(value), expected)
    try:
        arr = np.asarray(value)
    except ValueError:               # ragged nested lists
        fail(func, arg, "rows of different lengths", expected)
    if arr.dtype == object or not (np.issubdtype(arr.dtype, np.number) or arr.dtype == bool):
        fail(func, arg, f"values of type {arr.dtype}", expected)
    if ndim is not None and arr.ndim not in ((ndim,) if isinstance(ndim, int) else tuple(ndim)):
        fail(func, arg, f"shape {arr.shape}", expected)
    if min_len and (arr.ndim == 0 or len(arr) < min_len):
        fail(func, arg, f"shape {arr.shape} ({'no' if arr.size == 0 else 'too few'} entries)",
             f"{expected} with at least {min_len} entr{'y' if min_len == 1 else 'ies'}")
    floats = arr.astype(float)
    if finite and not np.all(np.isfinite(floats)):
        bad = ~np.isfinite(floats)
        what = "NaN" if np.isnan(floats[bad]).any() else "inf"
        fail(func, arg, f"{what} at {_where(bad)}", f"{expected} without NaN or inf")
    return floats if as_float else arr


def labels(func: str, arg: str, value, n_classes: int | None = None, length: int | None = None,
           length_of: str = "") -> np.ndarray:
    """``value`` as an int64 array of class labels: 1-D, whole numbers,
    0 <= label < n_classes (when given), ``length`` entries (when given)."""
    arr = array(func, arg, value, shape_text="a 1-D array of integer class labels")
    if arr.ndim != 1:
        hint = " (class scores? take argmax(axis=1) first)" if arr.ndim == 2 else ""
        fail(func, arg, f"shape {arr.shape}{hint}", "a 1-D array of integer class labels")
    if length is not None and len(arr) != length:
        fail(func, arg, f"{len(arr)} labels", f"{length}, one per entry of {length_of}")
    fractional = arr != np.round(arr)
    if fractional.any():
        i = int(np.argmax(fractional))
        fail(func, arg, f"the non-integer value {arr[i]:g} (at index {i})", "integer class labels")
    top = f"{n_classes - 1}" if n_classes is not None else "the number of classes - 1"
    if (arr < 0).any():
        i = int(np.argmax(arr < 0))
        fail(func, arg, f"the label {int(arr[i])} (at index {i})", f"class labels from 0 to {top}")
    if n_classes is not None and (arr >= n_classes).any():
        i = int(np.argmax(arr >= n_classes))
        fail(func, arg, f"the label {int(arr[i])} (at index {i})",
             f"class labels from 0 to {top} ({n_classes} classes)")
    return arr.astype(np.int64)


def callable_(func: str, arg: str, value):
    if not callable(value):
        fail(func, arg, describe(value), "a function")
    return value
