"""Self-checks for notebook 07 (training tips).

Each check calls the student's function on a few cases, compares with a hidden
reference and says what kind of mistake it sees, without printing the answer.
"""
from __future__ import annotations

import numpy as np

from . import call_for_number, call_for_result, call_safely, compare_arrays, report

__all__ = ["standardize", "pick_learning_rate", "dropout", "ensemble_predict"]


# ---------------------------------------------------------------- standardize
def _ref_standardize(x_train, x_other, eps=1e-7):
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + eps
    return (x_train - mean) / std, (x_other - mean) / std


def standardize(fn) -> bool:
    """Check ``fn(x_train, x_other, eps=1e-7)`` -> (x_train_std, x_other_std)."""
    rng = np.random.default_rng(7)
    x_train = rng.normal(5.0, 3.0, size=(40, 4)) * np.array([1.0, 10.0, 0.1, 1.0])
    x_train[:, 3] = 2.0                      # a constant feature, like MNIST's border pixels
    x_other = rng.normal(8.0, 1.0, size=(15, 4))
    got, err = call_safely(fn, x_train.copy(), x_other.copy())
    if err:
        return report(False, f"standardize: {err}")
    if got is None or not isinstance(got, (tuple, list)) or len(got) != 2:
        return report(False, "standardize should return a pair (x_train_std, x_other_std).")
    got_train, got_other = got
    if got_train is None or got_other is None:
        return report(False, "standardize returned None: the exercise is not done yet.")
    want_train, want_other = _ref_standardize(x_train, x_other)
    got_train, got_other = np.asarray(got_train, float), np.asarray(got_other, float)
    if got_train.shape != want_train.shape or got_other.shape != want_other.shape:
        return report(False, f"shape mismatch: got {got_train.shape} and {got_other.shape}, expected "
                             f"{want_train.shape} and {want_other.shape}.")
    if not np.all(np.isfinite(got_train)) or not np.all(np.isfinite(got_other)):
        return report(False, "NaN or inf in the result: a constant feature has std 0. Add eps to the std "
                             "before dividing.")
    wrong_axis = (x_train - x_train.mean(axis=1, keepdims=True)) / (x_train.std(axis=1, keepdims=True) + 1e-7)
    if np.allclose(got_train, wrong_axis):
        return report(False, "you standardised each example (row); standardise each feature (column): axis=0.")
    global_stats = (x_train - x_train.mean()) / (x_train.std() + 1e-7)
    if np.allclose(got_train, global_stats):
        return report(False, "you used one mean and std for all features; use one per feature (axis=0).")
    ok, msg = compare_arrays(got_train, want_train, "x_train_std", rtol=1e-5, atol=1e-6)
    if not ok:
        if np.allclose(got_train, x_train - x_train.mean(axis=0)):
            return report(False, "x_train_std is only centred: divide by the std as well.")
        return report(False, msg)
    own_stats = (x_other - x_other.mean(axis=0)) / (x_other.std(axis=0) + 1e-7)
    if np.allclose(got_other, own_stats, atol=1e-6):
        return report(False, "x_other was standardised with its OWN mean and std: use the training "
                             "statistics for every split (no peeking at validation/test data).")
    ok, msg = compare_arrays(got_other, want_other, "x_other_std", rtol=1e-5, atol=1e-6)
    if not ok:
        return report(False, msg)
    return report(True, "standardize uses per-feature training statistics and survives constant features.")


# ---------------------------------------------------------------- learning rate rule
def _ref_pick(lrs, losses, start_loss):
    stable = [lr for lr, loss in zip(lrs, losses) if np.isfinite(loss) and loss < start_loss]
    return max(stable) / 2


_LR_CASES = [  # (lrs, final losses, start loss)
    ([1, 0.1, 10, 0.01, 100], [0.4, 0.6, float("nan"), 1.5, float("nan")], 2.3),
    ([100, 10, 1, 0.1, 0.01], [float("inf"), 5.1, 0.3, 0.5, 1.9], 2.3),
    ([0.001, 0.3, 0.03, 3.0], [2.0, 0.2, 0.9, 2.4], 2.3),
    ([0.5], [0.1], 2.3),
]


def pick_learning_rate(fn) -> bool:
    """Check ``fn(lrs, final_losses, start_loss)`` -> half the largest stable rate."""
    for lrs, losses, start in _LR_CASES:
        got, err = call_for_number(fn, list(lrs), list(losses), start, name="pick_learning_rate")
        if err:
            return report(False, err)
        want = _ref_pick(lrs, losses, start)
        if np.isclose(got, want):
            continue
        if np.isclose(got, 2 * want):
            return report(False, "you picked the right rate but forgot to halve it.")
        if np.isnan(got) or np.isinf(got):
            return report(False, "you returned NaN/inf: runs whose loss is NaN or inf exploded; skip them "
                                 "(np.isfinite helps: NaN compares False with everything).")
        finite_only = [lr for lr, loss in zip(lrs, losses) if np.isfinite(loss)]
        if np.isclose(got, max(finite_only) / 2) or np.isclose(got, max(finite_only)):
            return report(False, "a run whose loss ended ABOVE the starting loss also exploded (it got worse "
                                 "than doing nothing): exclude it too.")
        stable = [lr for lr, loss in zip(lrs, losses) if np.isfinite(loss) and loss < start]
        if np.isclose(got, min(stable) / 2) or np.isclose(got, min(stable)):
            return report(False, "you took the SMALLEST stable rate; the rule takes the largest one.")
        best = lrs[int(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan)))]
        if np.isclose(got, best / 2) or np.isclose(got, best):
            return report(False, "you took the rate with the lowest loss; the rule takes the LARGEST rate "
                                 "that does not explode.")
        if np.isclose(got, lrs[0] / 2) or np.isclose(got, lrs[-1] / 2):
            return report(False, "the answer seems to depend on the order of the list: the rates come "
                                 "in any order, so compare their values.")
        return report(False, f"wrong rate for the sweep {lrs} (losses {losses}).")
    return report(True, "pick_learning_rate follows the 'largest stable, then halve' rule.")


# ---------------------------------------------------------------- dropout
def _dropout_output(fn, a, p, training):
    """Run the student's dropout in one mode: ``(array shaped like a, None)``
    or ``(None, message)``, the message saying which mode failed."""
    mode = "in training" if training else "at test time"
    got, err = call_for_result(fn, a.copy(), p, training, np.random.default_rng(0), name=f"dropout {mode}")
    if err:
        return None, err
    got = np.asarray(got, float)
    if got.shape != a.shape:
        return None, f"shape mismatch {mode}: got {got.shape}, expected {a.shape}."
    return got, None


def dropout(fn) -> bool:
    """Check ``fn(a, p, training, rng)`` -> inverted dropout."""
    a = np.random.default_rng(3).uniform(0.5, 2.0, size=(400, 50))
    for p in (0.5, 0.2):
        got, err = _dropout_output(fn, a, p, training=False)
        if err:
            return report(False, err)
        if not np.allclose(got, a):
            if np.allclose(got, a * (1 - p)):
                return report(False, "at test time you scale by (1-p): with INVERTED dropout the scaling "
                                     "happens in training, so test time returns `a` unchanged.")
            return report(False, "at test time (training=False) dropout must return `a` unchanged.")

        got, err = _dropout_output(fn, a, p, training=True)
        if err:
            return report(False, err)
        zero = np.isclose(got, 0)
        dropped = zero.mean()
        if abs(dropped - (1 - p)) < 0.03 and abs(dropped - p) > 0.03:
            return report(False, f"with p={p} you dropped {dropped:.0%} of the units: p is the probability "
                                 f"to DROP a unit, not to keep it.")
        if abs(dropped - p) > 0.03:
            return report(False, f"with p={p} you dropped {dropped:.0%} of the units; expected about {p:.0%}.")
        kept_ratio = got[~zero] / a[~zero]
        if np.allclose(kept_ratio, 1):
            return report(False, "the kept units are not rescaled: divide them by (1-p) so the expected "
                                 "value stays the same.")
        if np.allclose(kept_ratio, 1 - p):
            return report(False, "you multiplied the kept units by (1-p); inverted dropout DIVIDES by (1-p).")
        if np.allclose(kept_ratio, 1 / p) and p != 0.5:
            return report(False, "you divided by p; divide by the keep probability (1-p).")
        if not np.allclose(kept_ratio, 1 / (1 - p)):
            return report(False, "the kept units should equal a / (1-p).")
        again, _ = call_safely(fn, a.copy(), p, True, np.random.default_rng(1))
        if again is not None and np.array_equal(np.isclose(np.asarray(again, float), 0), zero):
            return report(False, "the same units are dropped for a different rng: draw the mask with "
                                 "rng.random(a.shape).")
    return report(True, "dropout drops about p of the units, rescales the rest, and is the identity at test time.")


# ---------------------------------------------------------------- ensembling
def _ensemble_case():
    # Model 0 is very confident and wrong on example 0; models 1 and 2 are mildly right.
    # Majority vote and probability averaging disagree there.
    # On example 1 the first model alone disagrees with the average.
    probs = [np.array([[0.05, 0.95, 0.00], [0.4, 0.5, 0.1], [0.1, 0.1, 0.8], [0.2, 0.5, 0.3]]),
             np.array([[0.45, 0.40, 0.15], [0.8, 0.1, 0.1], [0.2, 0.1, 0.7], [0.1, 0.6, 0.3]]),
             np.array([[0.45, 0.40, 0.15], [0.5, 0.4, 0.1], [0.3, 0.3, 0.4], [0.4, 0.3, 0.3]])]
    return probs


def ensemble_predict(fn) -> bool:
    """Check ``fn(list_of_prob_arrays)`` -> class per example after averaging."""
    probs = _ensemble_case()
    got, err = call_for_result(fn, [p.copy() for p in probs], name="ensemble_predict")
    if err:
        return report(False, err)
    got = np.asarray(got)
    want = np.mean(probs, axis=0).argmax(axis=1)
    if got.shape == (4, 3):
        return report(False, "you returned the averaged probabilities; return the predicted class (argmax over classes).")
    if got.shape == (3,) or got.shape == (3, 4):
        return report(False, "you averaged over the wrong axis: average over the MODELS (the list), "
                             "then take the argmax over the classes.")
    if got.shape != want.shape:
        return report(False, f"shape mismatch: got {got.shape}, expected one class per example {want.shape}.")
    votes = np.array([np.bincount([p[i].argmax() for p in probs], minlength=3).argmax() for i in range(4)])
    if np.array_equal(got, votes) and not np.array_equal(got, want):
        return report(False, "that is a majority vote; average the probabilities first, then take the argmax.")
    if np.array_equal(got, probs[0].argmax(axis=1)) and not np.array_equal(got, want):
        return report(False, "you returned the first model's predictions: average all models.")
    ok, msg = compare_arrays(got, want, "the predicted classes")
    return report(ok, "ensemble_predict averages the probabilities of all models." if ok else msg)
