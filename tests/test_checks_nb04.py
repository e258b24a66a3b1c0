"""Self-checks of notebook 04: the reference and a differently written correct answer pass;
typical wrong answers get the message meant for them."""
import math

import numpy as np
import pytest
from checking import rejected  # tests/checking.py
from numpy.lib.stride_tricks import sliding_window_view

from course_utils.check import nb04


# ------------------------------------------------------------------ output_size
def test_output_size(verdict):
    assert verdict(nb04.output_size, lambda n, k, p=0, s=1: (n + 2 * p - k) // s + 1)[0]
    assert verdict(nb04.output_size, lambda n, k, p=0, s=1: math.floor((n + 2 * p - k) / s) + 1)[0]
    rejected(verdict, nb04.output_size, lambda n, k, p=0, s=1: (n + 2 * p - k) // s, "one short")
    rejected(verdict, nb04.output_size, lambda n, k, p=0, s=1: (n - k) // s + 1, "padding p seems to be ignored")
    rejected(verdict, nb04.output_size, lambda n, k, p=0, s=1: (n + p - k) // s + 1, "BOTH sides")
    rejected(verdict, nb04.output_size, lambda n, k, p=0, s=1: n + 2 * p - k + 1, "stride s seems to be ignored")
    rejected(verdict, nb04.output_size, lambda n, k, p=0, s=1: (n + 2 * p - k) / s + 1, "fraction")
    rejected(verdict, nb04.output_size, lambda n, k, p=0, s=1: math.ceil((n + 2 * p - k) / s) + 1, "round")
    rejected(verdict, nb04.output_size, lambda n, k, p=0, s=1: (n + 2 * p - 5) // s + 1 if n > 10 else (n + 2 * p - k) // s + 1,
             "n=224")                                                     # kernel size fixed at 5


# ------------------------------------------------------------------ conv2d
def conv_ref(image, kernel, stride=1, padding=0):
    kh, kw = kernel.shape
    padded = np.zeros((image.shape[0] + 2 * padding, image.shape[1] + 2 * padding))
    padded[padding:padding + image.shape[0], padding:padding + image.shape[1]] = image
    out = np.zeros(((padded.shape[0] - kh) // stride + 1, (padded.shape[1] - kw) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(padded[i * stride:i * stride + kh, j * stride:j * stride + kw] * kernel)
    return out


def conv_vectorised(image, kernel, stride=1, padding=0):                  # written differently
    windows = sliding_window_view(np.pad(image.astype(float), padding), kernel.shape)[::stride, ::stride]
    return np.einsum("ijuv,uv->ij", windows, kernel)


def conv_four_loops(image, kernel, stride=1, padding=0):                  # four plain loops, list of lists
    H, W = image.shape[0] + 2 * padding, image.shape[1] + 2 * padding

    def pixel(r, c):
        r, c = r - padding, c - padding
        return float(image[r, c]) if 0 <= r < image.shape[0] and 0 <= c < image.shape[1] else 0.0
    rows = []
    for i in range(0, H - kernel.shape[0] + 1, stride):
        row = []
        for j in range(0, W - kernel.shape[1] + 1, stride):
            total = 0.0
            for u in range(kernel.shape[0]):
                for v in range(kernel.shape[1]):
                    total += kernel[u, v] * pixel(i + u, j + v)
            row.append(total)
        rows.append(row)
    return rows


def test_conv2d_passes(verdict):
    for fn in (conv_ref, conv_vectorised, conv_four_loops):
        assert verdict(nb04.conv2d, fn)[0]


def flipped(image, kernel, stride=1, padding=0):
    return conv_ref(image, kernel[::-1, ::-1], stride, padding)


def no_stride(image, kernel, stride=1, padding=0):
    return conv_ref(image, kernel, 1, padding)


def no_padding(image, kernel, stride=1, padding=0):
    return conv_ref(image, kernel, stride, 0)


def one_side(image, kernel, stride=1, padding=0):
    padded = np.pad(image.astype(float), ((0, padding), (0, padding)))
    return conv_ref(padded, kernel, stride, 0)


def edge_padding(image, kernel, stride=1, padding=0):
    return conv_ref(np.pad(image.astype(float), padding, mode="edge") if padding else image, kernel, stride, 0)


def off_by_one(image, kernel, stride=1, padding=0):
    return conv_ref(image, kernel, stride, padding)[:-1, :-1]


def fixed_3x3(image, kernel, stride=1, padding=0):
    padded = np.pad(image.astype(float), padding)
    out = np.zeros(((padded.shape[0] - 3) // stride + 1, (padded.shape[1] - 3) // stride + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(padded[i * stride:i * stride + 3, j * stride:j * stride + 3] * kernel)
    return out


def square_only(image, kernel, stride=1, padding=0):
    n, k = image.shape[0], kernel.shape[0]
    padded = np.pad(image.astype(float), padding)
    m = (n + 2 * padding - k) // stride + 1
    return np.array([[np.sum(padded[i * stride:i * stride + k, j * stride:j * stride + k] * kernel)
                      for j in range(m)] for i in range(m)])


def integer_output(image, kernel, stride=1, padding=0):
    return conv_ref(image, kernel, stride, padding).astype(image.dtype)


def in_place(image, kernel, stride=1, padding=0):
    image -= image.min()                     # "normalises" the caller's array
    return conv_ref(image, kernel, stride, padding)


@pytest.mark.parametrize("fn, words", [
    (flipped, "flips the kernel"),
    (no_stride, "stride seems to be ignored"),
    (no_padding, "padding seems to be ignored"),
    (one_side, "EVERY side"),
    (edge_padding, "must be zeros"),
    (off_by_one, "off-by-one"),
    (fixed_3x3, "fixed sizes"),
    (square_only, "square image"),
    (integer_output, "rounded to whole numbers"),
    (in_place, "changed the image"),
    (lambda image, kernel, stride=1, padding=0: None, "not done yet"),
])
def test_conv2d_mistakes(verdict, fn, words):
    rejected(verdict, nb04.conv2d, fn, words)


# ------------------------------------------------------------------ sobel_y
def test_sobel_y(verdict):
    gy = np.array([[1, 2, 1], [0, 0, 0], [-1, -2, -1]])
    assert verdict(nb04.sobel_y, lambda: gy)[0]
    assert verdict(nb04.sobel_y, lambda: np.rot90(np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])))[0]
    rejected(verdict, nb04.sobel_y, lambda: gy.T * -1, "that is Gx")
    rejected(verdict, nb04.sobel_y, lambda: -gy, "sign")
    rejected(verdict, nb04.sobel_y, lambda: np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]]), "twice as much")
    rejected(verdict, nb04.sobel_y, lambda: np.array([[1, 2, 1], [0, 1, 0], [-1, -2, -1]]), "add up to 1")
    rejected(verdict, nb04.sobel_y, lambda: None, "not done yet")


# ------------------------------------------------------------------ max_pool
def pool(fmap, size=2, op=np.max, keep_partial=True, stride=None):
    stride = stride or size
    h, w = fmap.shape
    rows = range(0, h, stride) if keep_partial else range(0, h - size + 1, stride)
    cols = range(0, w, stride) if keep_partial else range(0, w - size + 1, stride)
    return np.array([[op(fmap[i:i + size, j:j + size]) for j in cols] for i in rows])


def test_max_pool(verdict):
    assert verdict(nb04.max_pool, lambda f, size=2: pool(f, size))[0]

    def padded_reshape(f, size=2):                                       # written differently
        h, w = f.shape
        H, W = -(-h // size) * size, -(-w // size) * size
        big = np.full((H, W), -np.inf)
        big[:h, :w] = f
        return big.reshape(H // size, size, W // size, size).max(axis=(1, 3))
    assert verdict(nb04.max_pool, padded_reshape)[0]
    rejected(verdict, nb04.max_pool, lambda f, size=2: pool(f, size, op=np.mean), "average")
    rejected(verdict, nb04.max_pool, lambda f, size=2: pool(f, size, op=np.min), "minima")
    rejected(verdict, nb04.max_pool, lambda f, size=2: pool(f, size, keep_partial=False), "dropped")
    rejected(verdict, nb04.max_pool, lambda f, size=2: pool(f, size, keep_partial=False, stride=1), "overlap")
    rejected(verdict, nb04.max_pool, lambda f, size=2: pool(f, 2), "ignores its size")          # hard-coded 2
