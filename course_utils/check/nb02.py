"""Self-checks for notebook 02 (XOR and the multilayer perceptron)."""
from __future__ import annotations

import numpy as np

from . import call_for_result, compare_arrays, report

__all__ = ["threshold_unit", "lift", "train_mlp"]

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
        if not set(np.unique(got_arr)).issubset({0, 1}):
            return report(False, f"threshold_unit{label} should return 0/1 values, not the weighted sums.")
        _, msg = compare_arrays(got_arr, expected, "the outputs")
        return report(False, f"threshold_unit{label}: {msg}")
    # real-valued inputs and another number of rows: no table of the four XOR rows
    rng = np.random.default_rng(5)
    X = np.round(rng.uniform(-2, 2, size=(9, 2)), 1)
    X[0] = [1.0, 1.0]                                  # sum exactly theta below: must give 0
    for w1, w2, theta in [(0.5, 1.5, 2.0), (-1.2, 0.3, -0.4)]:
        got, err = call_for_result(fn, X.copy(), w1, w2, theta, name="threshold_unit")
        if err:
            return report(False, err)
        expected = (X @ np.array([w1, w2]) > theta).astype(int)
        got_arr = np.asarray(got)
        if got_arr.shape != expected.shape:
            return report(False, f"threshold_unit on {len(X)} rows returned shape {got_arr.shape}: one output per row "
                                 "of X, whatever the number of rows.")
        if not np.array_equal(got_arr.astype(float), expected):
            if np.array_equal(got_arr.astype(float), (X @ np.array([w1, w2]) >= theta).astype(int)):
                return report(False, "threshold_unit fires at a sum exactly equal to theta; it should fire only when "
                                     "the sum is strictly greater.")
            return report(False, f"threshold_unit is right on 0/1 inputs but wrong on real-valued inputs "
                                 f"(w1={w1}, w2={w2}, theta={theta}): compute w1*x1 + w2*x2 for each row.")
    return report(True, "threshold_unit fires exactly when w1*x1 + w2*x2 > theta, on 0/1 and real-valued inputs.")


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
    order = np.array([2, 0, 3, 1])
    shuffled, err = call_for_result(fn, _X[order].copy(), name="lift on reordered rows")
    if err:
        return report(False, err)
    try:
        shuffled = np.asarray(shuffled, dtype=float).reshape(F.shape)
    except (TypeError, ValueError):
        return report(False, "lift returns a different shape when the rows of X come in another order.")
    if not np.allclose(shuffled, F[order]):
        return report(False, "lift does not follow its input: with the rows of X in another order the features "
                             "should come in that order too. Compute each row's features from X, not a fixed table.")
    if _separable(F, _XOR):
        return report(True, f"with your {F.shape[1]} feature(s) a single line/plane separates the XOR classes.")
    A = np.c_[_X, np.ones(4)]
    residual = F - A @ np.linalg.lstsq(A, F, rcond=None)[0]
    if np.allclose(residual, 0, atol=1e-9):
        return report(False, "your features are only linear combinations of x1 and x2: a linear change of representation cannot make XOR separable. Add a NON-linear feature.")
    return report(False, "XOR is still not linearly separable in your features: no plane puts (0,1) and (1,0) on one side and (0,0) and (1,1) on the other.")


def _sig(z):
    return 1.0 / (1.0 + np.exp(-z))


def _ref_train(p, X, t, lr, epochs, variant=None):
    """The reference loop; ``variant`` switches on one typical mistake (used to recognise it)."""
    W1, b1, W2, b2 = (np.array(p[k], dtype=float) for k in ("W1", "b1", "W2", "b2"))
    b2 = float(b2)
    losses = []
    for _ in range(epochs):
        h = _sig(X @ W1 + b1)
        o = _sig(h @ W2 + b2)
        losses.append(0.5 * np.sum((t - o) ** 2))
        d_out = (t - o) * (1 if variant == "no_output_slope" else o * (1 - o))
        W2_used = W2
        if variant == "updated_W2":
            W2 = W2 + lr * h.T @ d_out
            W2_used = W2
        slope = {"no_hidden_slope": 1.0, "hidden_f_not_slope": h, "tanh_slope": 1 - h ** 2}.get(variant, h * (1 - h))
        d_hid = d_out[:, None] * (1.0 if variant == "no_W2" else W2_used) * slope
        scale = {"mean": 1 / len(t), "double": 2.0, "ascent": -1.0}.get(variant, 1.0)
        if variant != "updated_W2":
            W2 = W2 + scale * lr * h.T @ d_out
        if variant != "no_bias":
            b2 = b2 + scale * lr * d_out.sum()
            b1 = b1 + scale * lr * d_hid.sum(axis=0)
        W1 = W1 + scale * lr * X.T @ d_hid
    if variant == "loss_after":
        h = _sig(X @ W1 + b1)
        losses = losses[1:] + [0.5 * np.sum((t - _sig(h @ W2 + b2)) ** 2)]
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, losses


_TRAIN_MISTAKES = {
    "ascent": "every step goes uphill (E grows): the update is + lr * delta * input with delta = (t - o) f'(e); check the sign.",
    "no_output_slope": "the output delta misses the sigmoid's slope: delta_out = (t - o) * o * (1 - o).",
    "no_hidden_slope": "the hidden delta misses the hidden sigmoid's slope h(1 - h).",
    "hidden_f_not_slope": "the hidden delta multiplies by h instead of the slope h(1 - h).",
    "tanh_slope": "1 - h^2 is the slope of tanh; these hidden units are sigmoids: h(1 - h).",
    "no_W2": "the hidden delta must be sent back through the output weights: delta_out * W2 * h(1 - h).",
    "updated_W2": "the hidden delta uses W2 after its update: compute both deltas first, then change the weights.",
    "mean": "the steps are 1/P of the right size: E is a plain sum over the patterns, not a mean.",
    "double": "the steps are twice the right size: E = 1/2 sum (t - o)^2, so its gradient has no factor 2.",
    "no_bias": "the biases never change: b1 and b2 are weights too (their input is a constant 1).",
    "loss_after": "losses are shifted by one epoch: record E before each update (from the forward pass you use for it).",
}


def _params(rng, n_in, hidden):
    return {"W1": rng.uniform(-1, 1, (n_in, hidden)), "b1": rng.uniform(-1, 1, hidden),
            "W2": rng.uniform(-1, 1, hidden), "b2": float(rng.uniform(-1, 1))}


def _as_params(got, ref):
    """The student's (params, losses) as float arrays, or an error message."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return None, None, "train_mlp should return a pair (new_params, losses)."
    new, losses = got
    if not isinstance(new, dict) or set(ref) - set(new):
        return None, None, "new_params should be a dict with the keys 'W1', 'b1', 'W2' and 'b2'."
    out = {}
    for key in ref:
        try:
            value = np.asarray(new[key], dtype=float)
        except (TypeError, ValueError):
            return None, None, f"new_params['{key}'] should hold numbers."
        if value.size != np.size(ref[key]):
            return None, None, f"new_params['{key}'] has {value.size} numbers; it should keep the shape {np.shape(ref[key])}."
        out[key] = value.reshape(np.shape(ref[key]))
    try:
        losses = np.asarray(losses, dtype=float).ravel()
    except (TypeError, ValueError):
        return None, None, "losses should be a list of numbers, one E per epoch."
    return out, losses, None


def _same(a, b):
    return all(np.allclose(a[k], b[k], rtol=1e-7, atol=1e-10) for k in a)


def train_mlp(fn) -> bool:
    """fn(params, X, t, lr, epochs) -> (new_params, losses) for an n-H-1 sigmoid net trained on E = 1/2 sum (t - o)^2."""
    rng = np.random.default_rng(21)
    cases = [  # (X, t, hidden, lr, epochs): other sizes than the notebook's 2-2-1 on four patterns
        (np.array([[0, 0], [0, 1], [1, 0], [1, 1]], float), np.array([0, 1, 1, 0], float), 3, 1.5, 1),
        (rng.normal(size=(6, 3)), rng.integers(0, 2, 6).astype(float), 5, 0.7, 1),
        (rng.normal(size=(7, 2)), rng.integers(0, 2, 7).astype(float), 4, 2.0, 40),
    ]
    for X, t, hidden, lr, epochs in cases:
        p = _params(np.random.default_rng(hidden), X.shape[1], hidden)
        before = {k: np.copy(v) for k, v in p.items()}
        label = f"({len(X)} patterns, {X.shape[1]} inputs, {hidden} hidden units, {epochs} epoch{'s' if epochs > 1 else ''})"
        got, err = call_for_result(fn, p, X.copy(), t.copy(), lr, epochs, name="train_mlp")
        if err:
            if any(word in err for word in ("shape", "broadcast", "matmul", "align", "index")):
                err += f" The network here is {label}: avoid fixed sizes such as 2 hidden units or 4 patterns."
            return report(False, err)
        if any(not np.array_equal(np.asarray(p[k]), before[k]) for k in p):
            return report(False, "train_mlp changed the arrays in the params you were given (an in-place += on them): "
                                 "start from copies, e.g. np.array(params['W1'], dtype=float).")
        ref, ref_losses = _ref_train(before, X, t, lr, epochs)
        new, losses, err = _as_params(got, ref)
        if err:
            return report(False, err)
        if _same(new, ref):
            if len(losses) != epochs:
                return report(False, f"train_mlp {label} returned {len(losses)} losses for {epochs} epochs: one E per epoch.")
            if np.allclose(losses, ref_losses):
                continue
            if np.allclose(losses, _ref_train(before, X, t, lr, epochs, "loss_after")[1]):
                return report(False, _TRAIN_MISTAKES["loss_after"])
            if np.allclose(losses, 2 * np.asarray(ref_losses)) or np.allclose(losses, np.asarray(ref_losses) / len(t) * 2):
                return report(False, "losses are not E = 1/2 sum_p (t_p - o_p)^2 (a missing 1/2, or a mean?).")
            return report(False, f"train_mlp {label}: the weights are right but losses are not E before each update.")
        if all(np.allclose(new[k], before[k]) for k in new):
            return report(False, "train_mlp returned the starting weights unchanged: apply the updates.")
        if epochs > 1 and _same(new, _ref_train(before, X, t, lr, 1)[0]):
            return report(False, f"train_mlp {label} took one step although epochs={epochs}: loop over the epochs argument.")
        for variant, message in _TRAIN_MISTAKES.items():
            if variant != "loss_after" and _same(new, _ref_train(before, X, t, lr, epochs, variant)[0]):
                return report(False, f"train_mlp {label}: {message}")
        wrong = [k for k in ("W2", "b2", "W1", "b1") if not np.allclose(new[k], ref[k], rtol=1e-7, atol=1e-10)]
        if epochs == 1 and set(wrong) <= {"W1", "b1"}:
            return report(False, f"train_mlp {label}: the output layer's update is right, the hidden layer's ({', '.join(wrong)}) "
                                 "is not: delta_hid = delta_out * W2 * h(1 - h), then dW1 = X^T delta_hid.")
        return report(False, f"train_mlp {label}: {', '.join(wrong)} differ from one (or more) steps of backpropagation.")
    return report(True, "train_mlp takes exact backpropagation steps for other sizes of network and data, and records E before each update.")
