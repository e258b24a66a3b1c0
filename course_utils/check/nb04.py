"""Self-checks for notebook 04 (convolution).

Each check calls the student's function on a few cases, compares with a hidden
reference and says what kind of mistake it sees, without printing the answer.
"""
from __future__ import annotations

import math

import numpy as np

from . import call_for_result, compare_arrays, report

__all__ = ["output_size", "sobel_y", "max_pool"]


# ---------------------------------------------------------------- output size
def _ref_output_size(n, k, p=0, s=1):
    return (n + 2 * p - k) // s + 1


_SIZE_CASES = [  # (n, k, p, s)
    (28, 5, 0, 1), (28, 5, 2, 1), (28, 5, 0, 2), (32, 5, 2, 1),
    (7, 3, 1, 2), (10, 3, 0, 3), (9, 3, 0, 1), (224, 7, 3, 2),
]


def output_size(fn) -> bool:
    """Check ``fn(n, k, p, s)`` -> side length of a convolution's output."""
    for n, k, p, s in _SIZE_CASES:
        case = f"n={n}, k={k}, p={p}, s={s}"
        got, err = call_for_result(fn, n, k, p, s, name=f"output_size({case})")
        if err:
            return report(False, err)
        want = _ref_output_size(n, k, p, s)
        if isinstance(got, float) and not float(got).is_integer():
            return report(False, f"output_size({case}) returned a fraction ({got:.3g}): a position either fits or it "
                                 "does not, so round down (use // for integer division).")
        try:
            got_i = int(got)
        except (TypeError, ValueError):
            return report(False, f"output_size({case}) should return a whole number, got {type(got).__name__}.")
        if got_i == want:
            continue
        if got_i == want - 1:
            return report(False, f"off-by-one for {case}: you are one short. Count the first position too (the +1).")
        if got_i == want + 1:
            return report(False, f"off-by-one for {case}: you are one too many. Is the +1 counted twice, "
                                 "or did you round up instead of down?")
        if p and got_i == _ref_output_size(n, k, 0, s):
            return report(False, f"wrong for {case}: the padding p seems to be ignored.")
        if p and got_i == (n + p - k) // s + 1:
            return report(False, f"wrong for {case}: padding is added on BOTH sides, so it counts twice.")
        if s > 1 and got_i == _ref_output_size(n, k, p, 1):
            return report(False, f"wrong for {case}: the stride s seems to be ignored.")
        if s > 1 and got_i == math.ceil((n + 2 * p - k) / s) + 1:
            return report(False, f"wrong for {case}: you round up; a window that runs past the edge does not count, "
                                 "so round down.")
        return report(False, f"wrong for {case} (got {got_i}). Write the number of positions the kernel's first "
                             "pixel can take, then divide by the stride.")
    return report(True, f"output_size is right on all {len(_SIZE_CASES)} cases (valid, same padding, strides).")


# ---------------------------------------------------------------- Sobel Gy
_GX = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
_GY = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]], dtype=float)


def sobel_y(fn) -> bool:
    """Check ``fn()`` -> the lecture's 3x3 Sobel kernel Gy (horizontal edges)."""
    got, err = call_for_result(fn, name="sobel_y()")
    if err:
        return report(False, err)
    arr = np.asarray(got, dtype=float)
    if arr.shape == (3, 3):
        if np.allclose(arr, _GX):
            return report(False, "that is Gx, which responds to vertical edges; Gy should respond to horizontal ones.")
        if np.allclose(arr, -_GX):
            return report(False, "that is Gx with the sign flipped (vertical edges); Gy looks along the other axis.")
        if abs(arr.sum()) > 1e-9:
            return report(False, f"the weights add up to {arr.sum():g}, so a flat region would not give 0. "
                                 "An edge detector's weights add up to 0.")
        if np.allclose(arr[1], 0) and np.allclose(arr[0], -arr[2]) and not np.allclose(arr[0], _GY[0]) \
                and not np.allclose(arr[0], -_GY[0]):
            return report(False, "right pattern (zero middle row, opposite outer rows), but the outer rows should "
                                 "weight the centre column twice as much as the corners.")
    ok, msg = compare_arrays(arr, _GY, "Gy")
    if not ok and "sign" in msg:
        msg += " The lecture puts the positive row on top."
    return report(ok, msg)


# ---------------------------------------------------------------- max pooling
def _ref_max_pool(fmap, size=2):
    fmap = np.asarray(fmap, dtype=float)
    h, w = fmap.shape
    oh, ow = -(-h // size), -(-w // size)
    out = np.empty((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = fmap[i * size:(i + 1) * size, j * size:(j + 1) * size].max()
    return out


def max_pool(fn) -> bool:
    """Check ``fn(fmap, size=2)`` -> non-overlapping max pooling that keeps the
    partial windows at the right and bottom edges."""
    rng = np.random.default_rng(4)
    cases = [rng.normal(size=(4, 4)), rng.normal(size=(6, 8)), rng.normal(size=(7, 7)), rng.normal(size=(5, 9))]
    for x in cases:
        got, err = call_for_result(fn, x.copy(), 2, name=f"max_pool on a {x.shape} map")
        if err:
            return report(False, err)
        want = _ref_max_pool(x, 2)
        arr = np.asarray(got, dtype=float)
        if arr.shape != want.shape:
            if arr.shape == (x.shape[0] - 1, x.shape[1] - 1):
                return report(False, f"on a {x.shape} map you return {arr.shape}: the windows overlap (stride 1). "
                                     "Step by the window size.")
            if arr.shape == (x.shape[0] // 2, x.shape[1] // 2):
                return report(False, f"on a {x.shape} map you return {arr.shape}: the last, incomplete windows at "
                                     "the edge are dropped. Keep them (a window may hold fewer than 4 values).")
            return report(False, f"shape mismatch on a {x.shape} map: got {arr.shape}, expected {want.shape}.")
        if not np.allclose(arr, want):
            avg = np.array([[x[i:i + 2, j:j + 2].mean() for j in range(0, x.shape[1], 2)]
                            for i in range(0, x.shape[0], 2)])
            if np.allclose(arr, avg):
                return report(False, "those are the window averages (average pooling); take the maximum instead.")
            mins = np.array([[x[i:i + 2, j:j + 2].min() for j in range(0, x.shape[1], 2)]
                             for i in range(0, x.shape[0], 2)])
            if np.allclose(arr, mins):
                return report(False, "those are the window minima; take the maximum instead.")
            ok, msg = compare_arrays(arr, want, "the pooled map")
            return report(False, f"on a {x.shape} map: {msg}")
    return report(True, f"max_pool is right on {len(cases)} maps, odd sizes included.")
