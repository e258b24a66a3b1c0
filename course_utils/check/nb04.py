"""Self-checks for notebook 04 (convolution).

Each check calls the student's function on a few cases, compares with a hidden
reference and says what kind of mistake it sees, without printing the answer.
"""
from __future__ import annotations

import math

import numpy as np

from . import call_for_result, compare_arrays, report

__all__ = ["output_size", "conv2d", "sobel_y", "max_pool"]


# ---------------------------------------------------------------- output size
def _ref_output_size(n, k, p=0, s=1):
    return (n + 2 * p - k) // s + 1


_SIZE_CASES = [  # (n, k, p, s)
    (28, 5, 0, 1), (28, 5, 2, 1), (28, 5, 0, 2), (32, 5, 2, 1),
    (7, 3, 1, 2), (10, 3, 0, 3), (9, 3, 0, 1), (224, 7, 3, 2),
    (5, 5, 0, 1), (6, 2, 0, 4), (1, 1, 0, 1), (13, 4, 3, 5),     # kernel as big as the input, even kernels, big strides
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


# ---------------------------------------------------------------- conv2d
def _ref_conv2d(image, kernel, stride=1, padding=0, flip=False, pad_mode="zeros", one_side=False):
    image, kernel = np.asarray(image, dtype=float), np.asarray(kernel, dtype=float)
    if flip:
        kernel = kernel[::-1, ::-1]
    if one_side:
        image = np.pad(image, ((0, padding), (0, padding)))
    elif padding:
        image = np.pad(image, padding, mode="edge" if pad_mode == "edge" else "constant")
    kh, kw = kernel.shape
    oh, ow = (image.shape[0] - kh) // stride + 1, (image.shape[1] - kw) // stride + 1
    out = np.zeros((max(oh, 0), max(ow, 0)))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel)
    return out


_CONV_CASES = [  # (image shape, kernel shape, stride, padding): what the exercise text does not show
    ((5, 5), (3, 3), 1, 0),
    ((7, 9), (2, 3), 1, 0),        # non-square image, even and non-square kernel
    ((8, 7), (3, 3), 2, 1),
    ((10, 11), (4, 4), 3, 2),
    ((6, 6), (1, 1), 2, 0),
    ((9, 8), (5, 3), 1, 2),
]


def conv2d(fn) -> bool:
    """Check ``fn(image, kernel, stride=1, padding=0)`` -> correlation with zero padding and stride."""
    rng = np.random.default_rng(6)
    for (H, W), (kh, kw), s, p in _CONV_CASES:
        image = rng.integers(-4, 5, size=(H, W)).astype(np.int64)      # integers: exposes an integer output array
        kernel = rng.normal(size=(kh, kw)).round(2)
        before = image.copy(), kernel.copy()
        case = f"a {H}x{W} image, a {kh}x{kw} kernel, stride {s}, padding {p}"
        got, err = call_for_result(fn, image, kernel, s, p, name="conv2d")
        if err:
            if "index" in err or "broadcast" in err or "shape" in err:
                err += f" (on {case}: avoid fixed sizes such as a 3x3 kernel or a square image)"
            return report(False, err)
        if not (np.array_equal(image, before[0]) and np.array_equal(kernel, before[1])):
            return report(False, "conv2d changed the image or kernel it was given: work on a padded copy.")
        try:
            arr = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return report(False, f"conv2d should return an array of numbers, got {type(got).__name__}.")
        want = _ref_conv2d(image, kernel, s, p)
        if arr.shape != want.shape:
            no_pad = _ref_conv2d(image, kernel, s, 0).shape
            stride_1 = _ref_conv2d(image, kernel, 1, p).shape
            one_side = _ref_conv2d(image, kernel, s, p, one_side=True).shape
            if p and arr.shape == no_pad:
                return report(False, f"conv2d on {case}: the padding seems to be ignored (output {arr.shape}, "
                                     f"expected {want.shape}).")
            if s > 1 and arr.shape == stride_1:
                return report(False, f"conv2d on {case}: the stride seems to be ignored: move the kernel by `stride` "
                                     "pixels, in both directions.")
            if p and arr.shape == one_side:
                return report(False, f"conv2d on {case}: padding goes on EVERY side (top and bottom, left and right).")
            if s > 1 and (arr.shape[0] == want.shape[0]) != (arr.shape[1] == want.shape[1]):
                return report(False, f"conv2d on {case}: output {arr.shape}, expected {want.shape}: apply the stride "
                                     "(and the kernel's own height and width) in both directions.")
            if arr.shape == (want.shape[0] - 1, want.shape[1] - 1) or arr.shape == (want.shape[0] + 1, want.shape[1] + 1):
                return report(False, f"off-by-one on {case}: output {arr.shape}, expected {want.shape}. The last "
                                     "position is where the kernel's last row/column touches the padded image's last one.")
            return report(False, f"conv2d on {case} returned shape {arr.shape}; expected {want.shape} = "
                                 "(floor((H + 2p - kh) / s) + 1, floor((W + 2p - kw) / s) + 1).")
        if np.allclose(arr, want):
            if np.asarray(got).dtype.kind in "iu":
                return report(False, "conv2d returns integers: the output array must hold floats (np.zeros(...) is float).")
            continue
        if np.allclose(arr, np.trunc(want)) or np.allclose(arr, np.round(want)):
            return report(False, f"conv2d on {case}: the outputs are rounded to whole numbers: the output array "
                                 "takes the image's integer type; create it as floats (np.zeros).")
        if np.allclose(arr, _ref_conv2d(image, kernel, s, p, flip=True)):
            return report(False, "conv2d flips the kernel (true convolution); deep-learning layers compute correlation: "
                                 "kernel[u, v] multiplies the window's pixel [u, v].")
        if p and np.allclose(arr, _ref_conv2d(image, kernel, s, p, pad_mode="edge")):
            return report(False, "conv2d pads with copies of the border pixels; the padding must be zeros.")
        _, msg = compare_arrays(arr, want, "the output")
        return report(False, f"conv2d on {case}: {msg}")
    return report(True, f"conv2d is right on {len(_CONV_CASES)} cases: non-square images, odd and even kernels, "
                        "strides 1-3 and padding 0-2.")


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
    x = rng.normal(size=(7, 8))
    got, err = call_for_result(fn, x.copy(), 3, name="max_pool with size=3")
    if err:
        return report(False, err)
    want = _ref_max_pool(x, 3)
    arr = np.asarray(got, dtype=float)
    if arr.shape != want.shape or not np.allclose(arr, want):
        if arr.shape == _ref_max_pool(x, 2).shape:
            return report(False, "max_pool ignores its size argument: with size=3 the blocks are 3x3 (7x8 -> 3x3).")
        return report(False, f"max_pool with size=3 on a 7x8 map is wrong (shape {arr.shape}, expected {want.shape}).")
    return report(True, f"max_pool is right on {len(cases) + 1} maps, odd sizes and size=3 included.")
