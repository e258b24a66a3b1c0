"""Self-checks for notebook 03 (backpropagation).

Each check calls the student's function on test cases, compares with a
hidden reference and explains what kind of mistake it sees. Returns a bool.
"""
from __future__ import annotations

import numpy as np

from course_utils.check import call_for_result, call_safely, compare_arrays, report

__all__ = ["hidden_deltas", "leaky_relu_backward", "fixed_linear_backward"]


def _rng(seed: int = 3) -> np.random.Generator:
    return np.random.default_rng(seed)


def _close(a, b) -> bool:
    try:
        a = np.asarray(a, dtype=float)
    except (TypeError, ValueError):
        return False
    return a.shape == np.shape(b) and np.allclose(a, b, rtol=1e-6, atol=1e-9)


# --------------------------------------------------------------------------- hidden deltas
def hidden_deltas(fn) -> bool:
    """Check ``fn(delta_out, W, H)`` -> (P, n_h) hidden deltas of a sigmoid hidden layer."""
    rng = _rng()
    P, O, n_h = 6, 2, 4                      # O != n_h so that a missing transpose shows up
    delta_out = rng.normal(size=(P, O))
    W = rng.normal(size=(O, n_h))
    H = rng.uniform(0.05, 0.95, size=(P, n_h))
    back = delta_out @ W
    expected = back * H * (1 - H)

    got, err = call_for_result(fn, delta_out.copy(), W.copy(), H.copy(), name="hidden_deltas")
    if err:
        if "matmul" in err or "shapes" in err or "align" in err:
            return report(False, f"{err} Check the shapes: delta_out is (P, O) and W is (O, n_h); "
                                 "which product gives one row of n_h numbers per pattern?")
        return report(False, err)
    if _close(got, back):
        return report(False, "hidden_deltas: you sent the error back through W but forgot the derivative "
                             "of the hidden sigmoid, f'(e_j).")
    if _close(got, back * H):
        return report(False, "hidden_deltas: the sigmoid derivative is f(e)(1 - f(e)), not just f(e).")
    if _close(got, back * (1 - H)):
        return report(False, "hidden_deltas: the sigmoid derivative is f(e)(1 - f(e)), not just 1 - f(e).")
    if _close(got, back * (1 - H**2)):
        return report(False, "hidden_deltas: 1 - h^2 is the derivative of tanh; these hidden units are sigmoids.")
    ok, msg = compare_arrays(got, expected, "hidden_deltas")
    if ok:
        # a second case with a single pattern, to catch code that only works for P > 1
        d1, H1 = delta_out[:1], H[:1]
        got1, err1 = call_safely(fn, d1, W, H1)
        if err1 or not _close(got1, (d1 @ W) * H1 * (1 - H1)):
            return report(False, "hidden_deltas works for several patterns but not for a single one (P = 1).")
        return report(True, "hidden_deltas is correct: error sent back through W, times h(1 - h).")
    return report(False, msg)


# --------------------------------------------------------------------------- leaky ReLU
def leaky_relu_backward(fn) -> bool:
    """Check ``fn(x, grad_out, alpha)`` -> dL/dx for leaky ReLU."""
    rng = _rng(4)
    x = rng.normal(size=(5, 4))
    x[0, 0], x[1, 1] = 2.0, -2.0             # make sure both signs occur
    grad_out = rng.normal(size=(5, 4))
    alpha = 0.1
    slope = np.where(x > 0, 1.0, alpha)
    expected = grad_out * slope

    got, err = call_for_result(fn, x.copy(), grad_out.copy(), alpha, name="leaky_relu_backward")
    if err:
        return report(False, err)
    if _close(got, slope):
        return report(False, "leaky_relu_backward returns the local derivative only: multiply it by grad_out "
                             "(chain rule: upstream gradient times local gradient).")
    if _close(got, grad_out * (x > 0)):
        return report(False, "leaky_relu_backward: for x <= 0 the gradient is not zero; that is plain ReLU. "
                             "Use the slope alpha there.")
    if _close(got, grad_out * np.where(x > 0, alpha, 1.0)):
        return report(False, "leaky_relu_backward: the two slopes are swapped (which side of zero has slope 1?).")
    if _close(got, grad_out * np.where(x > 0, x, alpha * x)):
        return report(False, "leaky_relu_backward: you multiplied by the forward output, not by the derivative.")
    ok, msg = compare_arrays(got, expected, "leaky_relu_backward")
    if not ok:
        return report(False, msg)
    got2, err2 = call_safely(fn, x.copy(), grad_out.copy(), 0.3)
    if err2 or not _close(got2, grad_out * np.where(x > 0, 1.0, 0.3)):
        return report(False, "leaky_relu_backward is right for alpha = 0.1 but not for alpha = 0.3: "
                             "use the alpha argument, not a fixed number.")
    return report(True, "leaky_relu_backward is correct for both signs of x and any alpha.")


# --------------------------------------------------------------------------- linear backward
def fixed_linear_backward(fn) -> bool:
    """Check ``fn(x, W, grad_out)`` -> (dx, dW, db) for y = x W + b."""
    rng = _rng(5)
    x = rng.normal(size=(6, 4))
    W = rng.normal(size=(4, 3))               # not square: the sneaky W-without-transpose bug raises here
    grad_out = rng.normal(size=(6, 3))
    expected = (grad_out @ W.T, x.T @ grad_out, grad_out.sum(axis=0))

    got, err = call_for_result(fn, x.copy(), W.copy(), grad_out.copy(), name="fixed_linear_backward")
    if err:
        hint = ""
        if "matmul" in err or "shapes" in err or "align" in err:
            hint = (" With a non-square W (here 4x3) a missing transpose no longer fits: "
                    "dx must have the shape of x.")
        return report(False, f"{err}{hint}")
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        return report(False, "fixed_linear_backward should return three arrays: (dx, dW, db).")
    messages = []
    for value, exp, name in zip(got, expected, ("dx", "dW", "db")):
        ok, msg = compare_arrays(value, exp, name)
        if not ok:
            if name == "db" and _close(value, grad_out.mean(axis=0)):
                msg = "db: the bias is added to every row, so its gradient is the sum over rows, not the mean."
            messages.append(msg)
    if messages:
        return report(False, "fixed_linear_backward: " + " | ".join(messages))
    return report(True, "fixed_linear_backward is correct: dx, dW and db all match (non-square W too).")
