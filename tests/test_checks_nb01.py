"""Self-checks of notebook 01: reference and a differently written correct answer pass;
typical wrong answers get the message meant for them."""
import numpy as np
import pytest
from checking import rejected  # tests/checking.py

from course_utils.check import nb01


def make_loop(lr_used=None, epochs_cap=None, order="rng", always_update=False, sign=1, fires_at_zero=False,
              copy_start=True, copy_rows=True, add_bias=False, stop=True, history=True):
    """The notebook's loop with one typical mistake switched on."""
    def train(X, y, w_start, rng, lr=1.0, max_epochs=100):
        if add_bias:
            X = np.c_[np.ones(len(X)), X]
            w_start = np.r_[0.0, w_start]
        w = np.array(w_start, dtype=float) if copy_start else w_start
        weights, mistakes = [w.copy() if copy_rows else w], []
        for _ in range(epochs_cap or max_epochs):
            errors = 0
            if order == "rng":
                visit = rng.permutation(len(y))
            elif order == "global":
                visit = np.random.permutation(len(y))
            else:
                visit = range(len(y))
            for i in visit:
                s = X[i] @ w
                predicted = int(s >= 0) if fires_at_zero else int(s > 0)
                if predicted != y[i] or always_update:
                    step = (lr_used if lr_used is not None else lr) * sign * (y[i] - predicted) * X[i]
                    if always_update and predicted == y[i]:
                        step = lr * X[i] * (1 if y[i] else -1)
                    if copy_rows:
                        w = w + step
                    else:
                        w += step
                    weights.append(w.copy() if copy_rows else w)
                    errors += 1
            mistakes.append(errors)
            if errors == 0 and stop:
                break
        return (np.array(weights), mistakes) if history else (w, mistakes)
    return train


def test_train_perceptron_reference_and_alternative(verdict):
    assert verdict(nb01.train_perceptron, make_loop())[0]

    def written_differently(X, y, w_start, rng, lr=1.0, max_epochs=100):
        w = w_start.astype(float).copy()
        history, per_epoch = [w], []
        epoch = 0
        while epoch < max_epochs:
            order = np.arange(len(y))
            rng.shuffle(order)
            wrong = 0
            for i in order:
                guess = 1 if np.dot(w, X[i]) > 0 else 0
                if guess != y[i]:
                    w = w + lr * (y[i] - guess) * X[i]
                    history.append(w)
                    wrong += 1
            per_epoch.append(wrong)
            epoch += 1
            if not wrong:
                break
        return history, per_epoch
    assert verdict(nb01.train_perceptron, written_differently)[0]


@pytest.mark.parametrize("mistake, words", [
    (dict(lr_used=1.0), "ignore the learning rate"),
    (dict(epochs_cap=100), "max_epochs"),                       # hard-coded cap
    (dict(order="global"), "not with np.random"),
    (dict(order="fixed"), "same run"),
    (dict(always_update=True), "already classified correctly"),
    (dict(sign=-1), "sign error"),
    (dict(fires_at_zero=True), "exactly 0"),
    (dict(copy_start=False, copy_rows=False), "changed the w_start"),
    (dict(copy_rows=False), "same vector"),
    (dict(add_bias=True), "do not add another bias"),
    (dict(stop=False), "keeps going"),
    (dict(history=False), "single weight vector"),
])
def test_train_perceptron_mistakes(verdict, mistake, words):
    rejected(verdict, nb01.train_perceptron, make_loop(**mistake), words)


def test_train_perceptron_stub_and_crash(verdict):
    rejected(verdict, nb01.train_perceptron, lambda X, y, w, rng, lr=1.0, max_epochs=100: None, "not done yet")
    rejected(verdict, nb01.train_perceptron, lambda X, y, w, rng, lr=1.0, max_epochs=100: 1 / 0, "ZeroDivisionError")


def test_boundary_x2(verdict):
    assert verdict(nb01.boundary_x2, lambda w, x1: -(w[0] + w[1] * np.asarray(x1)) / w[2])[0]
    assert verdict(nb01.boundary_x2, lambda w, x1: (-w[0] - w[1] * x1) / w[2])[0]
    rejected(verdict, nb01.boundary_x2, lambda w, x1: (w[0] + w[1] * x1) / w[2], "sign error")
    rejected(verdict, nb01.boundary_x2, lambda w, x1: -(w[0] + w[1] * x1), "divide by w2")
    rejected(verdict, nb01.boundary_x2, lambda w, x1: -(w[0] + w[1] * x1) / w[1], "divided by w1")
    rejected(verdict, nb01.boundary_x2, lambda w, x1: -(w[1] * x1) / w[2], "bias w0 is missing")
    rejected(verdict, nb01.boundary_x2, lambda w, x1: -(-1.5 + 1.0 * x1) / 2.0, "fixed numbers")   # hard-coded w
    rejected(verdict, nb01.boundary_x2, lambda w, x1: -w[0] / w[2] - w[1] * x1, "brackets")
    rejected(verdict, nb01.boundary_x2, lambda w, x1: float(-(w[0] + w[1] * x1[0]) / w[2]), "EVERY x1")


def _sig(e):
    return 1 / (1 + np.exp(-e))


def test_delta_rule_step(verdict):
    assert verdict(nb01.delta_rule_step, lambda w, X, t, lr: lr * X.T @ ((t - _sig(X @ w)) * _sig(X @ w) * (1 - _sig(X @ w))))[0]

    def by_pattern(w, X, t, lr):
        total = np.zeros_like(w)
        for x, target in zip(X, t):
            o = 1 / (1 + np.exp(-np.dot(w, x)))
            total += lr * (target - o) * o * (1 - o) * x
        return total
    assert verdict(nb01.delta_rule_step, by_pattern)[0]
    rejected(verdict, nb01.delta_rule_step, lambda w, X, t, lr: lr * X.T @ (t - _sig(X @ w)), "derivative")
    rejected(verdict, nb01.delta_rule_step, lambda w, X, t, lr: -lr * X.T @ ((t - _sig(X @ w)) * _sig(X @ w) * (1 - _sig(X @ w))), "wrong sign")
    rejected(verdict, nb01.delta_rule_step, lambda w, X, t, lr: X.T @ ((t - _sig(X @ w)) * _sig(X @ w) * (1 - _sig(X @ w))), "learning rate")
    rejected(verdict, nb01.delta_rule_step, lambda w, X, t, lr: lr * X.T @ ((t - _sig(X @ w)) * _sig(X @ w) * (1 - _sig(X @ w))) / len(t), "averaged")
    rejected(verdict, nb01.delta_rule_step, lambda w, X, t, lr: lr * X.T @ ((t - _sig(X @ w)) * (1 - _sig(X @ w) ** 2)), "tanh")
    rejected(verdict, nb01.delta_rule_step, lambda w, X, t, lr: lr * ((t - _sig(X @ w)) * _sig(X @ w) * (1 - _sig(X @ w)))[:, None] * X, "one update per pattern")
    # hard-coded sizes: only the first 6 patterns, or only 2 inputs + bias
    rejected(verdict, nb01.delta_rule_step, lambda w, X, t, lr: lr * X[:6].T @ ((t - _sig(X @ w)) * _sig(X @ w) * (1 - _sig(X @ w)))[:6], "differs")
    rejected(verdict, nb01.delta_rule_step, lambda w, X, t, lr: lr * X[:, :3].T @ ((t - _sig(X[:, :3] @ w[:3])) * _sig(X[:, :3] @ w[:3]) * (1 - _sig(X[:, :3] @ w[:3]))), "shape")
