"""Self-checks for notebook 01 (the perceptron).

Each check runs the student's function on cases the exercise text does not
show (other sizes, other learning rates, data with and without a bias column),
compares with the rule it should follow and says what kind of mistake it sees,
without giving the answer. Every check returns a bool.
"""
from __future__ import annotations

import numpy as np

from . import call_for_result, call_safely, compare_arrays, report

__all__ = ["train_perceptron", "boundary_x2", "delta_rule_step"]


# ---------------------------------------------------------------- the training loop
def _separable_case(seed, n, d, bias):
    """n points in d dims (first column +1 when bias), labelled by a hidden plane with a margin."""
    rng = np.random.default_rng(seed)
    u = rng.normal(size=d)
    X = rng.uniform(-1, 1, size=(4 * n, d))
    if bias:
        X[:, 0] = 1.0
        u[0] = 0.3
    score = X @ u / np.linalg.norm(u)
    keep = np.abs(score) > 0.1
    X, score = X[keep][:n], score[keep][:n]
    return X, (score > 0).astype(int)


def _unpack(got, d, name="train_perceptron"):
    """(weights (k, d) float array, mistakes list) or an error message."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None, None, f"{name} should return a pair (weights, mistakes)."
    weights, mistakes = got
    try:
        weights = np.asarray(weights, dtype=float)
    except (TypeError, ValueError):
        return None, None, f"{name}: weights should be an array of weight vectors (one row per step)."
    if weights.ndim == 1:
        return None, None, (f"{name} returned a single weight vector; return the whole history: the starting "
                            "weights, then one row after every update.")
    if weights.ndim != 2 or weights.shape[1] != d:
        if weights.ndim == 2 and weights.shape[1] == d + 1:
            return None, None, (f"{name} returned weights with {d + 1} entries for examples with {d}: X already holds "
                                "the constant input x0 = +1, so do not add another bias column.")
        return None, None, f"{name}: each row of weights should have {d} entries (one per column of X); got shape {weights.shape}."
    try:
        mistakes = [int(m) for m in mistakes]
    except (TypeError, ValueError):
        return None, None, f"{name}: mistakes should be a list of whole numbers, one per epoch."
    return weights, mistakes, None


def _diagnose_steps(weights, X, y, lr):
    """Each step must be +lr*x_i for a missed 1 or -lr*x_i for a wrongly accepted 0. Returns a message or None."""
    for k in range(1, len(weights)):
        w, step = weights[k - 1], weights[k] - weights[k - 1]
        sums = X @ w
        predicted = (sums > 0).astype(int)
        right = lr * (y - predicted)[:, None] * X                    # the correct step for each example
        if np.any(np.all(np.isclose(step, right), axis=1) & (predicted != y)):
            continue
        plus, minus = np.all(np.isclose(step, lr * X), axis=1), np.all(np.isclose(step, -lr * X), axis=1)
        hit = plus | minus
        if np.any(hit & (np.abs(sums) < 1e-12) & (predicted == y)):
            return ("an example whose weighted sum is exactly 0 was treated as a mistake: the neuron says 1 only "
                    "when the sum is > 0 (strictly), so at 0 it says 0.")
        if np.any(hit & (predicted == y)):
            return "your loop changed the weights on an example it already classified correctly: update only on mistakes."
        if np.any((plus & (y == 0)) | (minus & (y == 1))):
            return ("sign error: a missed 1 must ADD eta * x (raise the sum), a wrongly accepted 0 must SUBTRACT it.")
        if np.any(np.all(np.isclose(step, X), axis=1) | np.all(np.isclose(step, -X), axis=1)):
            return "the steps ignore the learning rate lr: each update is lr * (y - y_hat) * x."
        if np.allclose(step, step[0]):
            return "each update adds the same amount to every weight: each weight moves by lr * (y - y_hat) * its own input x_i."
        return (f"update {k} is not +-lr * x for any example: each update must be w + lr * (y - y_hat) * x "
                "for the example just shown.")
    return None


def train_perceptron(fn) -> bool:
    """fn(X, y, w_start, rng, lr=1.0, max_epochs=100) -> (weights (k, d), mistakes per epoch)."""
    cases = [  # (seed, n, d, bias, lr, start)
        (3, 14, 2, False, 0.5, "zeros"),
        (4, 25, 4, True, 2.0, "random"),
        (5, 9, 3, True, 1.0, "zeros"),
    ]
    for seed, n, d, bias, lr, start in cases:
        X, y = _separable_case(seed, n, d, bias)
        w_start = np.zeros(d) if start == "zeros" else np.random.default_rng(seed).uniform(-1, 1, d)
        originals = (X.copy(), y.copy(), w_start.copy())
        label = f"({n} examples with {d} inputs, lr={lr})"
        runs = []
        for global_seed in (11, 12):              # same generator, different global state
            np.random.seed(global_seed)
            got, err = call_for_result(fn, X, y, w_start, np.random.default_rng(seed), lr, 1000,
                                       name="train_perceptron")
            if err:
                return report(False, err)
            if not np.array_equal(w_start, originals[2]):
                return report(False, "train_perceptron changed the w_start array you were given (w = w_start and then "
                                     "w += ... edits it in place): start from a copy, np.array(w_start, dtype=float).")
            if not (np.array_equal(X, originals[0]) and np.array_equal(y, originals[1])):
                return report(False, "train_perceptron changed X or y: leave the data as it was given.")
            weights, mistakes, err = _unpack(got, d)
            if err:
                return report(False, err)
            runs.append((weights, mistakes))
        (weights, mistakes), (weights2, mistakes2) = runs
        if weights.shape != weights2.shape or not np.allclose(weights, weights2) or mistakes != mistakes2:
            return report(False, "two calls with identically seeded generators gave different runs: shuffle with the "
                                 "generator passed in (rng.permutation), not with np.random.")
        if len(weights) > 2 and np.allclose(weights[1:], weights[-1]):
            return report(False, "every saved row after the start is the same vector: append a copy of w after each "
                                 "update (w.copy()), not the array you keep changing.")
        if not np.allclose(weights[0], w_start):
            return report(False, "the first row of weights must be w_start, the weights before any update.")
        message = _diagnose_steps(weights, X, y, lr)
        if message:
            return report(False, f"train_perceptron {label}: {message}")
        if sum(mistakes) != len(weights) - 1:
            return report(False, f"train_perceptron {label}: mistakes add up to {sum(mistakes)} but the history holds "
                                 f"{len(weights) - 1} updates; count one mistake per update, per epoch.")
        if 0 in mistakes[:-1]:
            return report(False, f"train_perceptron {label} keeps going after an epoch without mistakes: stop there.")
        if not mistakes or mistakes[-1] != 0:
            return report(False, f"train_perceptron {label} stopped before a mistake-free epoch on separable data "
                                 "(the last entry of mistakes should be 0).")
        if not np.array_equal((X @ weights[-1] > 0).astype(int), y):
            return report(False, f"train_perceptron {label} declared a clean epoch, but the final weights still "
                                 "misclassify some example: does every epoch visit every example once?")
        other, err = call_safely(fn, X, y, w_start, np.random.default_rng(seed + 100), lr, 1000)
        if not err and isinstance(other, (tuple, list)) and len(other) == 2:
            w_other = np.asarray(other[0], dtype=float)
            if w_other.shape == weights.shape and np.allclose(w_other, weights) and len(weights) > 3:
                return report(False, "differently seeded generators give exactly the same run: visit the examples in "
                                     "the order rng.permutation(n), a new order every epoch.")
    # XOR: never separable, so the loop must stop at max_epochs
    X = np.c_[np.ones(4), [[0, 0], [0, 1], [1, 0], [1, 1]]]
    y = np.array([0, 1, 1, 0])
    for max_epochs in (7, 12):
        got, err = call_for_result(fn, X, y, np.zeros(3), np.random.default_rng(0), 1.0, max_epochs,
                                   name="train_perceptron on XOR")
        if err:
            return report(False, err)
        weights, mistakes, err = _unpack(got, 3)
        if err:
            return report(False, err)
        if len(mistakes) != max_epochs:
            return report(False, f"on XOR (no separating line) with max_epochs={max_epochs} your loop ran "
                                 f"{len(mistakes)} epochs: use the max_epochs argument as the cap.")
    return report(True, "train_perceptron follows Rosenblatt's rule, uses lr, the given generator and max_epochs, "
                        "and stops after the first clean epoch.")


# ---------------------------------------------------------------- the boundary line
def boundary_x2(fn) -> bool:
    """fn(w, x1) -> x2 on the line w0 + w1*x1 + w2*x2 = 0."""
    cases = [(np.array([-1.5, 1.0, 2.0]), np.linspace(-1, 2, 7)),
             (np.array([0.7, -3.0, -0.5]), np.array([-2.0, 0.0, 0.25, 4.0])),
             (np.array([2.0, 0.0, 4.0]), np.array([3.0]))]
    pending = None
    for w, x1 in cases:
        got, err = call_for_result(fn, w.copy(), x1.copy(), name="boundary_x2")
        if err:
            return report(False, err)
        expected = -(w[0] + w[1] * x1) / w[2]
        try:
            got_arr = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return report(False, f"boundary_x2 should return numbers, got {type(got).__name__}.")
        if got_arr.shape != expected.shape:
            if got_arr.size == 1:
                return report(False, "boundary_x2 returned one number: return x2 for EVERY x1 value (same shape as x1).")
            return report(False, f"boundary_x2 returned shape {got_arr.shape} for {x1.size} x1 values.")
        if np.allclose(got_arr, expected):
            continue
        variants = [
            ((w[0] + w[1] * x1) / w[2], "sign error: your line is mirrored; solve w0 + w1*x1 + w2*x2 = 0 for x2 again."),
            (-(w[0] + w[1] * x1), "you forgot to divide by w2."),
            (-(w[1] * x1) / w[2], "the bias w0 is missing: without it every boundary passes through the origin."),
            (-(w[0] + w[2] * x1) / w[1], "you swapped w1 and w2: the coefficient of x1 is w1, that of x2 is w2."),
            (-w[0] + w[1] * x1 / w[2], "only part of the expression is divided by w2, or a sign is lost: "
                                       "x2 = -(w0 + w1*x1) / w2 (watch the brackets)."),
            (-w[0] / w[2] - w[1] * x1, "only w0 is divided by w2: divide the whole sum w0 + w1*x1 (brackets)."),
        ]
        if abs(w[1]) > 1e-12:
            variants.append((-(w[0] + w[1] * x1) / w[1], "you divided by w1; the coefficient of x2 is w2."))
        if np.allclose(got_arr, -(-1.5 + 1.0 * x1) / 2.0):
            return report(False, "boundary_x2 uses fixed numbers instead of the weights w you were given.")
        matches = [message for wrong, message in variants if np.allclose(got_arr, wrong)]
        if len(matches) == 1:
            return report(False, "boundary_x2: " + matches[0])
        if matches:            # these weights cannot tell the mistakes apart: the next case will
            pending = pending or "boundary_x2: " + matches[0]
            continue
        _, msg = compare_arrays(got_arr, expected, "x2 on the boundary")
        return report(False, f"boundary_x2 with w = {w.tolist()}: {msg}")
    if pending:
        return report(False, pending)
    return report(True, "boundary_x2: every point (x1, boundary_x2(w, x1)) satisfies w0 + w1*x1 + w2*x2 = 0, for several w.")


# ---------------------------------------------------------------- the delta rule
def _sigmoid(e):
    return 1.0 / (1.0 + np.exp(-e))


def delta_rule_step(fn) -> bool:
    """fn(w, X, t, lr) -> Delta w for batch delta rule with a sigmoid unit, E = 1/2 sum (t-o)^2.
    X includes the bias column x0 = +1."""
    for seed, P, d, lr in ((7, 6, 2, 0.3), (8, 9, 4, 1.7)):
        rng = np.random.default_rng(seed)
        X = np.c_[np.ones(P), rng.normal(size=(P, d))]
        t = rng.integers(0, 2, P).astype(float)
        w = rng.normal(size=d + 1)
        got, err = call_for_result(fn, w.copy(), X.copy(), t.copy(), lr, name="delta_rule_step")
        if err:
            return report(False, err)
        o = _sigmoid(X @ w)
        expected = lr * X.T @ ((t - o) * o * (1 - o))
        try:
            got_arr = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            return report(False, f"delta_rule_step should return a vector of numbers, got {type(got).__name__}.")
        variants = {
            "the derivative f'(e) = o(1 - o) is missing: that is the perceptron-style update, not the gradient of E.": lr * X.T @ (t - o),
            "you used f(e) instead of f'(e) = f(e)(1 - f(e)).": lr * X.T @ ((t - o) * o),
            "the step has the wrong sign: it climbs the error instead of descending it.": -expected,
            "the learning rate is missing.": expected / lr,
            "you averaged over the patterns; the lecture's E is a plain sum over p.": expected / P,
            "you used the threshold output (0/1) instead of the sigmoid o = f(e).": lr * X.T @ (t - (X @ w > 0)),
            "the derivative of tanh (1 - o^2) is not the sigmoid's; use o(1 - o).": lr * X.T @ ((t - o) * (1 - o ** 2)),
        }
        if got_arr.shape == expected.shape:
            for msg, v in variants.items():
                if np.allclose(got_arr, v):
                    return report(False, "delta_rule_step: " + msg)
        if got_arr.shape == (P, d + 1):
            return report(False, "delta_rule_step returned one update per pattern (shape (P, n)); batch learning sums them into one vector.")
        ok, msg = compare_arrays(got_arr, expected, "Delta w")
        if not ok:
            return report(False, f"delta_rule_step ({P} patterns, {d} inputs + bias): {msg}")
    return report(True, "delta_rule_step: Delta w = lr * sum_p (t - o) o (1 - o) x_p, for two sizes of data.")
