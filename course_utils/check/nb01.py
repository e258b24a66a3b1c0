"""Self-checks for notebook 01 (the perceptron).

Each check runs the student's function on a few cases, compares with a hidden
reference and says what kind of mistake it sees, without giving the answer.
"""
from __future__ import annotations

import numpy as np

from . import call_for_result, compare_arrays, report

__all__ = ["perceptron_update", "boundary_x2", "delta_rule_step"]


def _ref_update(w, x, target, predicted, lr):
    return w + lr * (target - predicted) * x


def perceptron_update(fn) -> bool:
    """fn(w, x, target, predicted, lr) -> new weight vector (x includes x0 = +1)."""
    rng = np.random.default_rng(1)
    cases = []
    for target, predicted in [(1, 0), (0, 1), (1, 1), (0, 0)]:
        w = rng.normal(size=3)
        x = np.array([1.0, *rng.choice([-1.5, 0.5, 2.0, 3.0], size=2, replace=False)])  # distinct inputs expose mistakes
        cases.append((w, x, target, predicted, 0.5))
    for w, x, target, predicted, lr in cases:
        w_before = w.copy()
        got, err = call_for_result(fn, w.copy(), x.copy(), target, predicted, lr, name="perceptron_update")
        if err:
            return report(False, err)
        expected = _ref_update(w_before, x, target, predicted, lr)
        case = f"(target={target}, predicted={predicted})"
        got = np.asarray(got, dtype=float)
        if got.shape != expected.shape:
            return report(False, f"perceptron_update {case} returned shape {got.shape}; it should return a new weight vector of shape {expected.shape}.")
        if np.allclose(got, expected):
            continue
        if target == predicted:
            return report(False, f"perceptron_update changed the weights on a correct prediction {case}; the rule only acts on mistakes.")
        if np.allclose(got, _ref_update(w_before, x, predicted, target, lr)):
            return report(False, f"sign error {case}: the weights moved the wrong way: a missed 1 must raise the weighted sum, a missed 0 must lower it.")
        if np.allclose(got, _ref_update(w_before, x, target, predicted, 1.0)):
            return report(False, f"perceptron_update {case} ignores the learning rate lr.")
        if np.allclose(got[1:], expected[1:]) and not np.isclose(got[0], expected[0]):
            return report(False, f"the bias weight w0 is updated wrongly {case}: treat it like any weight whose input is x0 = +1.")
        if np.allclose(got, w_before + lr * (target - predicted)):
            return report(False, f"perceptron_update {case} adds the same amount to every weight: each weight should move in proportion to its own input x_i.")
        _, msg = compare_arrays(got, expected, "the new weight vector")
        return report(False, f"perceptron_update {case}: {msg}")
    return report(True, "perceptron_update follows Rosenblatt's rule in all four cases (raise, lower, and leave alone twice).")


def boundary_x2(fn) -> bool:
    """fn(w, x1) -> x2 on the line w0 + w1*x1 + w2*x2 = 0."""
    w = np.array([-1.5, 1.0, 2.0])
    x1 = np.linspace(-1, 2, 7)
    got, err = call_for_result(fn, w, x1, name="boundary_x2")
    if err:
        return report(False, err)
    expected = -(w[0] + w[1] * x1) / w[2]
    got_arr = np.asarray(got, dtype=float)
    if got_arr.shape == expected.shape and np.allclose(got_arr, (w[0] + w[1] * x1) / w[2]):
        return report(False, "sign error: your line has the right slope magnitude but is mirrored; solve w0 + w1*x1 + w2*x2 = 0 for x2 again.")
    if got_arr.shape == expected.shape and np.allclose(got_arr, -(w[0] + w[1] * x1)):
        return report(False, "you forgot to divide by w2.")
    if got_arr.shape == expected.shape and np.allclose(got_arr, -(w[0] + w[1] * x1) / w[1]):
        return report(False, "you divided by w1; the coefficient of x2 is w2.")
    if got_arr.shape == expected.shape and np.allclose(got_arr, -(w[1] * x1) / w[2]):
        return report(False, "the bias w0 is missing: without it every boundary passes through the origin.")
    ok, msg = compare_arrays(got_arr, expected, "x2 on the boundary")
    if ok:
        on_line = w[0] + w[1] * x1 + w[2] * got_arr
        ok = bool(np.allclose(on_line, 0))
        msg = "every point (x1, boundary_x2(w, x1)) satisfies w0 + w1*x1 + w2*x2 = 0." if ok else msg
    return report(ok, "boundary_x2: " + msg)


def _sigmoid(e):
    return 1.0 / (1.0 + np.exp(-e))


def delta_rule_step(fn) -> bool:
    """fn(w, X, t, lr) -> Delta w for batch delta rule with a sigmoid unit, E = 1/2 sum (t-o)^2.
    X includes the bias column x0 = +1."""
    rng = np.random.default_rng(7)
    X = np.c_[np.ones(6), rng.normal(size=(6, 2))]
    t = np.array([0, 1, 1, 0, 1, 0], dtype=float)
    w = rng.normal(size=3)
    lr = 0.3
    got, err = call_for_result(fn, w.copy(), X.copy(), t.copy(), lr, name="delta_rule_step")
    if err:
        return report(False, err)
    o = _sigmoid(X @ w)
    expected = lr * X.T @ ((t - o) * o * (1 - o))
    got_arr = np.asarray(got, dtype=float)
    variants = {
        "the derivative f'(e) = o(1 - o) is missing: that is the perceptron-style update, not the gradient of E.": lr * X.T @ (t - o),
        "you used f(e) instead of f'(e) = f(e)(1 - f(e)).": lr * X.T @ ((t - o) * o),
        "the step has the wrong sign: it climbs the error instead of descending it.": -expected,
        "the learning rate is missing.": expected / lr,
        "you averaged over the patterns; the lecture's E is a plain sum over p.": expected / len(t),
    }
    if got_arr.shape == expected.shape:
        for msg, v in variants.items():
            if np.allclose(got_arr, v):
                return report(False, "delta_rule_step: " + msg)
    if got_arr.shape == (len(t), 3):
        return report(False, "delta_rule_step returned one update per pattern (shape (P, 3)); batch learning sums them into one vector.")
    ok, msg = compare_arrays(got_arr, expected, "Delta w")
    return report(ok, "delta_rule_step: " + msg)
