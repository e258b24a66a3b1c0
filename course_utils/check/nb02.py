"""Self-checks for notebook 02 (XOR and the multilayer perceptron)."""
from __future__ import annotations

import numpy as np

from . import call_for_result, compare_arrays, report

__all__ = ["threshold_unit", "lift", "mlp_forward"]

_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
_XOR = np.array([0, 1, 1, 0])


def threshold_unit(fn) -> bool:
    """fn(X, w1, w2, theta) -> 0/1 outputs, 1 where w1*x1 + w2*x2 > theta."""
    cases = [(1.0, 1.0, 1.5), (1.0, 1.0, 0.5), (-1.0, 2.0, 0.0), (0.5, 0.5, 0.5), (2.0, -1.0, -0.5)]
    for w1, w2, theta in cases:
        got, err = call_for_result(fn, _X.copy(), w1, w2, theta, name="threshold_unit")
        if err:
            return report(False, err)
        expected = (_X @ np.array([w1, w2]) > theta).astype(int)
        label = f"(w1={w1}, w2={w2}, theta={theta})"
        got_arr = np.asarray(got)
        if got_arr.shape != expected.shape:
            return report(False, f"threshold_unit{label} returned shape {got_arr.shape}; it should give one output per row of X, shape {expected.shape}.")
        if np.array_equal(got_arr.astype(float), expected):
            continue
        if np.array_equal(got_arr.astype(float), (_X @ np.array([w1, w2]) >= theta).astype(int)):
            return report(False, f"threshold_unit{label}: the neuron fires at a sum exactly equal to theta; it should fire only when the sum is strictly greater.")
        if np.array_equal(got_arr.astype(float), 1 - expected):
            return report(False, f"threshold_unit{label}: the outputs are inverted (1 where they should be 0).")
        if np.array_equal(got_arr.astype(float), (_X @ np.array([w1, w2]) + theta > 0).astype(int)):
            return report(False, f"threshold_unit{label}: theta is a threshold to exceed, so it enters the comparison with the opposite sign.")
        if not set(np.unique(got_arr)).issubset({0, 1, False, True}):
            return report(False, f"threshold_unit{label} should return 0/1 values, not the weighted sums.")
        _, msg = compare_arrays(got_arr, expected, "the outputs")
        return report(False, f"threshold_unit{label}: {msg}")
    return report(True, "threshold_unit fires exactly when w1*x1 + w2*x2 > theta on all test cases.")


def _separable(F, y):
    from scipy.optimize import linprog

    s = 2 * y - 1
    A = -s[:, None] * np.c_[F, np.ones(len(F))]
    res = linprog(np.zeros(F.shape[1] + 1), A_ub=A, b_ub=-np.ones(len(y)), bounds=[(None, None)] * (F.shape[1] + 1))
    return res.status == 0


def lift(fn) -> bool:
    """fn(X) -> features (4, k) in which XOR is linearly separable."""
    got, err = call_for_result(fn, _X.copy(), name="lift")
    if err:
        return report(False, err)
    try:
        F = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return report(False, f"lift should return a numeric array, got {type(got).__name__}.")
    if F.ndim == 1 and F.shape[0] == 4:
        F = F[:, None]
    if F.ndim != 2 or F.shape[0] != 4:
        if F.ndim == 2 and F.shape[1] == 4:
            return report(False, f"lift returned shape {F.shape}: one ROW per input pattern is expected (shape (4, k)); transpose?")
        return report(False, f"lift should return one row of features per input pattern, shape (4, k); got {F.shape}.")
    if not np.all(np.isfinite(F)):
        return report(False, "lift returned NaN or inf values.")
    if _separable(F, _XOR):
        return report(True, f"with your {F.shape[1]} feature(s) a single line/plane separates the XOR classes.")
    A = np.c_[_X, np.ones(4)]
    residual = F - A @ np.linalg.lstsq(A, F, rcond=None)[0]
    if np.allclose(residual, 0, atol=1e-9):
        return report(False, "your features are only linear combinations of x1 and x2: a linear change of representation cannot make XOR separable. Add a NON-linear feature.")
    return report(False, "XOR is still not linearly separable in your features: no plane puts (0,1) and (1,0) on one side and (0,0) and (1,1) on the other.")


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def mlp_forward(fn) -> bool:
    """fn(X, W1, b1, W2, b2) -> (h, o) for a 2-H-1 sigmoid network."""
    rng = np.random.default_rng(3)
    W1, b1, W2, b2 = rng.normal(size=(2, 3)), rng.normal(size=3), rng.normal(size=3), float(rng.normal())
    got, err = call_for_result(fn, _X.copy(), W1.copy(), b1.copy(), W2.copy(), b2, name="mlp_forward")
    if err:
        return report(False, err)
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return report(False, "mlp_forward should return a pair (h, o): the hidden activations and the outputs.")
    h, o = got
    h_ref = _sig(_X @ W1 + b1)
    o_ref = _sig(h_ref @ W2 + b2)
    h_arr = None if h is None else np.asarray(h, dtype=float)
    if h_arr is not None and h_arr.shape == h_ref.shape:
        if np.allclose(h_arr, _X @ W1 + b1):
            return report(False, "h is the weighted sum of the hidden units: the sigmoid is missing.")
        if np.allclose(h_arr, _sig(_X @ W1)):
            return report(False, "the hidden bias b1 is missing.")
    ok, msg = compare_arrays(h, h_ref, "h (hidden activations)")
    if not ok:
        return report(False, "mlp_forward: " + msg)
    o_arr = None if o is None else np.asarray(o, dtype=float)
    if o_arr is not None and o_arr.shape == o_ref.shape:
        if np.allclose(o_arr, h_ref @ W2 + b2):
            return report(False, "o is the weighted sum of the output unit: its sigmoid is missing.")
        if np.allclose(o_arr, _sig(h_ref @ W2)):
            return report(False, "the output bias b2 is missing.")
        if np.allclose(o_arr, _sig((_X @ W1 + b1) @ W2 + b2)):
            return report(False, "o skips the hidden sigmoid: feed h, not the hidden sums, into the output unit.")
    if o_arr is not None and o_arr.shape == (4, 1):
        return report(False, "o has shape (4, 1); return a flat vector of shape (4,) (one output per pattern).")
    ok, msg = compare_arrays(o, o_ref, "o (outputs)")
    return report(ok, "mlp_forward: " + (msg if not ok else "h and o are both correct."))
