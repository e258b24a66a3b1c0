"""Self-checks of notebook 02: the reference and a differently written correct answer pass;
typical wrong answers get the message meant for them."""
import numpy as np
import pytest
from checking import rejected  # tests/checking.py

from course_utils.check import nb02


# ------------------------------------------------------------------ threshold_unit
def test_threshold_unit(verdict):
    assert verdict(nb02.threshold_unit, lambda X, w1, w2, th: (w1 * X[:, 0] + w2 * X[:, 1] > th).astype(int))[0]
    assert verdict(nb02.threshold_unit, lambda X, w1, w2, th: np.where(X @ np.array([w1, w2]) > th, 1, 0))[0]
    rejected(verdict, nb02.threshold_unit, lambda X, w1, w2, th: (w1 * X[:, 0] + w2 * X[:, 1] >= th).astype(int), "strictly greater")
    rejected(verdict, nb02.threshold_unit, lambda X, w1, w2, th: (w1 * X[:, 0] + w2 * X[:, 1] <= th).astype(int), "inverted")
    rejected(verdict, nb02.threshold_unit, lambda X, w1, w2, th: (w1 * X[:, 0] + w2 * X[:, 1] + th > 0).astype(int), "opposite sign")
    rejected(verdict, nb02.threshold_unit, lambda X, w1, w2, th: w1 * X[:, 0] + w2 * X[:, 1], "0/1 values")
    rejected(verdict, nb02.threshold_unit, lambda X, w1, w2, th: (w1 * X[:, 0] + w2 * X[:, 1] > th).astype(int)[:4], "whatever the number of rows")
    table = {(0, 0): 0, (0, 1): 1, (1, 0): 1, (1, 1): 2}     # only right for 0/1 inputs
    rejected(verdict, nb02.threshold_unit,
             lambda X, w1, w2, th: np.array([int(w1 * (table[tuple(r)] in (1, 2) and r[0]) + w2 * r[1] > th)
                                             if set(np.unique(X)) <= {0, 1} else 0 for r in X.astype(int)]), "real-valued")


# ------------------------------------------------------------------ lift
def test_lift(verdict):
    assert verdict(nb02.lift, lambda X: np.c_[X, (X[:, 0] - X[:, 1]) ** 2])[0]
    assert verdict(nb02.lift, lambda X: np.c_[X, X[:, 0] * X[:, 1]])[0]
    assert verdict(nb02.lift, lambda X: np.abs(X[:, 0] - X[:, 1]))[0]              # one feature is enough
    rejected(verdict, nb02.lift, lambda X: X, "linear combinations")
    rejected(verdict, nb02.lift, lambda X: np.c_[X, X[:, 0] + X[:, 1]], "linear combinations")
    rejected(verdict, nb02.lift, lambda X: np.c_[X, X[:, 0] * X[:, 1]].T, "transpose")
    rejected(verdict, nb02.lift, lambda X: np.array([[0.0], [1.0], [1.0], [0.0]]), "fixed table")   # ignores X
    rejected(verdict, nb02.lift, lambda X: np.c_[X, np.log(X[:, 0])], "NaN or inf")                 # edge point x = 0
    rejected(verdict, nb02.lift, lambda X: None, "not done yet")


# ------------------------------------------------------------------ train_mlp
def sig(z):
    return 1 / (1 + np.exp(-z))


def make_train(mistake=None):
    def train(params, X, t, lr, epochs):
        if mistake == "in_place":
            W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
        else:
            W1, b1 = np.array(params["W1"], float), np.array(params["b1"], float)
            W2, b2 = np.array(params["W2"], float), float(params["b2"])
        losses = []
        for _ in range(1 if mistake == "one_epoch" else epochs):
            h = sig(X @ W1 + b1)
            o = sig(h @ W2 + b2)
            losses.append(0.5 * np.sum((t - o) ** 2))
            d_out = (t - o) if mistake == "no_output_slope" else (t - o) * o * (1 - o)
            if mistake == "updated_W2":
                W2 = W2 + lr * h.T @ d_out
            slope = h if mistake == "h_not_slope" else (1 - h ** 2 if mistake == "tanh" else h * (1 - h))
            d_hid = d_out[:, None] * (1 if mistake == "no_W2" else W2) * slope
            step = {"ascent": -lr, "mean": lr / len(t), "double": 2 * lr}.get(mistake, lr)
            if mistake == "fixed_2_hidden":
                d_hid = d_hid[:, :2] @ np.ones((2, 2)) / 2 if d_hid.shape[1] != 2 else d_hid
            if mistake != "updated_W2":
                if mistake == "in_place":
                    W2 += step * h.T @ d_out
                else:
                    W2 = W2 + step * h.T @ d_out
            if mistake != "no_bias":
                b2 = b2 + step * d_out.sum()
                b1 = b1 + step * d_hid.sum(axis=0)
            if mistake == "in_place":
                W1 += step * X.T @ d_hid
            else:
                W1 = W1 + step * X.T @ d_hid
        if mistake == "loss_after":
            losses = losses[1:] + [0.5 * np.sum((t - sig(sig(X @ W1 + b1) @ W2 + b2)) ** 2)]
        if mistake == "no_losses":
            return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}
        return {"W1": W1, "b1": b1, "W2": W2, "b2": b2}, losses
    return train


def test_train_mlp_reference_and_alternative(verdict):
    assert verdict(nb02.train_mlp, make_train())[0]

    def pattern_by_pattern(params, X, t, lr, epochs):
        p = {k: np.array(v, dtype=float) for k, v in params.items()}
        history = []
        for _ in range(epochs):
            grads = {k: np.zeros_like(v) for k, v in p.items()}
            E = 0.0
            for x, target in zip(X, t):
                h = sig(x @ p["W1"] + p["b1"])
                o = sig(h @ p["W2"] + p["b2"])
                E += 0.5 * (target - o) ** 2
                d = (target - o) * o * (1 - o)
                dh = d * p["W2"] * h * (1 - h)
                grads["W2"] += d * h
                grads["b2"] += d
                grads["W1"] += np.outer(x, dh)
                grads["b1"] += dh
            history.append(E)
            p = {k: p[k] + lr * grads[k] for k in p}
        return p, history
    assert verdict(nb02.train_mlp, pattern_by_pattern)[0]


@pytest.mark.parametrize("mistake, words", [
    ("ascent", "uphill"),
    ("no_output_slope", "output delta misses"),
    ("h_not_slope", "instead of the slope"),
    ("tanh", "slope of tanh"),
    ("no_W2", "sent back through the output weights"),
    ("updated_W2", "after its update"),
    ("mean", "plain sum"),
    ("double", "twice the right size"),
    ("no_bias", "biases never change"),
    ("loss_after", "before each update"),
    ("in_place", "changed the arrays"),
    ("one_epoch", "loop over the epochs"),          # ignores the epochs argument
    ("fixed_2_hidden", "fixed sizes"),             # hard-codes 2 hidden units
    ("no_losses", "pair (new_params, losses)"),
])
def test_train_mlp_mistakes(verdict, mistake, words):
    rejected(verdict, nb02.train_mlp, make_train(mistake), words)


def test_train_mlp_crash_names_the_sizes(verdict):
    def fixed_shapes(params, X, t, lr, epochs):
        W1 = np.array(params["W1"]).reshape(2, 2)
        return {"W1": W1}, []
    rejected(verdict, nb02.train_mlp, fixed_shapes, "fixed sizes")
