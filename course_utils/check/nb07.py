"""Self-checks for notebook 07 (training tips).

Each check calls the student's function on a few cases, compares with a hidden
reference and says what kind of mistake it sees, without printing the answer.
"""
from __future__ import annotations

import numpy as np

from . import call_for_number, call_for_result, call_safely, compare_arrays, report

__all__ = ["standardize", "pick_learning_rate", "dropout", "broken_network"]


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
def _learned(lrs, losses, start_loss):
    return [lr for lr, loss in zip(lrs, losses) if np.isfinite(loss) and loss < start_loss / 2]


def _ref_pick(lrs, losses, start_loss):
    return max(_learned(lrs, losses, start_loss)) / 2


_NAN, _INF = float("nan"), float("inf")
_LR_CASES = [  # (lrs, final losses, start loss); the notebook's start loss is about 2.3
    ([1, 0.1, 10, 0.01, 100], [0.4, 0.6, _NAN, 1.5, _NAN], 2.3),
    ([100, 10, 1, 0.1, 0.01], [_INF, 5.1, 2.29, 0.5, 1.9], 2.3),      # rate 1 sat at ln 10: it did not learn
    ([0.001, 0.3, 0.03, 3.0], [2.0, 0.2, 0.9, 2.4], 2.3),
    ([0.5, 5.0, 0.05], [0.3, 1.1, 0.45], 1.0),                     # another start loss: 5.0 did not halve it
    ([0.5], [0.1], 2.3),
    ([1.0, 0.1, 0.01], [0.9, 0.3, 1.0], 2.3),                      # the best rate is not the largest that learned
    (np.array([0.2, 0.02, 2.0]), np.array([0.35, 1.2, _NAN]), np.float64(2.4)),   # numpy inputs
]


def pick_learning_rate(fn) -> bool:
    """Check ``fn(lrs, final_losses, start_loss)`` -> half the largest rate whose
    final loss is finite and below half the start loss."""
    for lrs, losses, start in _LR_CASES:
        shown = f"rates {list(map(float, lrs))}, losses {list(map(float, losses))}, start loss {float(start)}"
        args = (lrs.copy(), losses.copy(), start) if isinstance(lrs, np.ndarray) else (list(lrs), list(losses), start)
        got, err = call_for_number(fn, *args, name="pick_learning_rate")
        if err:
            return report(False, err)
        want = _ref_pick(lrs, losses, start)
        if np.isclose(got, want):
            continue
        if np.isnan(got) or np.isinf(got):
            return report(False, "you returned NaN/inf: runs whose loss is NaN or inf exploded; skip them "
                                 "(np.isfinite helps: NaN compares False with everything).")
        if np.isclose(got, 2 * want):
            return report(False, "you picked the right rate but forgot to halve it.")
        for fixed in (2.3, np.log(10), 2.0):
            hard = _learned(lrs, losses, fixed)
            if hard and np.isclose(got, max(hard) / 2) and not np.isclose(fixed, start):
                return report(False, f"for {shown} you seem to use a fixed start loss ({fixed:.2f}); use the "
                                     "start_loss argument: another net or dataset starts elsewhere.")
        finite = [lr for lr, loss in zip(lrs, losses) if np.isfinite(loss)]
        with np.errstate(invalid="ignore"):
            with_nan = [lr for lr, loss in zip(lrs, losses) if not loss >= start / 2]
        if len(with_nan) > len(_learned(lrs, losses, start)) and np.isclose(got, max(with_nan) / 2):
            return report(False, "you kept runs whose loss is NaN: they exploded. NaN compares False with "
                                 "everything, so `not loss >= ...` lets it through; test np.isfinite(loss).")
        below_start = [lr for lr, loss in zip(lrs, losses) if np.isfinite(loss) and loss < start]
        if below_start and (np.isclose(got, max(below_start) / 2) or np.isclose(got, max(below_start))):
            return report(False, f"for {shown} you counted a run whose loss ended just below the start as "
                                 "'learned'. A loss that stays near ln 10 = 2.30 means the net learned nothing; "
                                 "the rule asks for a loss below HALF the start loss.")
        if np.isclose(got, max(finite) / 2) or np.isclose(got, max(finite)):
            return report(False, "a run whose loss ended ABOVE the starting loss exploded: exclude it too.")
        learned = _learned(lrs, losses, start)
        if np.isclose(got, min(learned) / 2) or np.isclose(got, min(learned)):
            return report(False, "you took the SMALLEST rate that learned; the rule takes the largest one.")
        best = lrs[int(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan)))]
        if np.isclose(got, best / 2) or np.isclose(got, best):
            return report(False, "you took the rate with the lowest loss; the rule takes the LARGEST rate "
                                 "that learned (we compare the two heuristics in the notebook).")
        if np.isclose(got, lrs[0] / 2) or np.isclose(got, lrs[-1] / 2):
            return report(False, "the answer seems to depend on the order of the list: the rates come "
                                 "in any order, so compare their values.")
        return report(False, f"wrong rate for {shown}.")
    return report(True, "pick_learning_rate follows the 'largest that learned, then halve' rule.")


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
        same, _ = call_safely(fn, a.copy(), p, True, np.random.default_rng(0))
        if same is not None and not np.array_equal(np.isclose(np.asarray(same, float), 0), zero):
            return report(False, "the same rng seed gives a different mask: draw the mask from the rng you are "
                                 "given (rng.random(a.shape)), not from np.random's global state.")
    a3 = np.random.default_rng(4).uniform(0.5, 2.0, size=(6, 7, 8))   # a shape and a p the exercise does not show
    got, err = _dropout_output(fn, a3, 0.3, training=True)
    if err:
        return report(False, f"{err} (for an array of shape {a3.shape})")
    zero = np.isclose(got, 0)
    if zero.all() or not np.allclose(got[~zero], a3[~zero] / 0.7):
        return report(False, "wrong for an array of shape (6, 7, 8) with p=0.3: use a.shape and the given p, "
                             "not fixed numbers.")
    return report(True, "dropout drops about p of the units, rescales the rest, and is the identity at test time.")


# ---------------------------------------------------------------- the broken network
_LN10 = float(np.log(10))


def _keras():
    import keras  # imported here: `import course_utils.check` never loads TensorFlow

    return keras


def _reference_net(seed=0):
    keras = _keras()
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((784,)), keras.layers.Dense(128, activation="relu"),
                             keras.layers.Dense(10, activation="softmax")])


def _cross_entropy(probs, labels):
    probs = np.asarray(probs, float)
    return float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None))))


def _check_scale(scale, pixels, labels):
    """Bug 1: the inputs must be scaled. Returns (ok, message)."""
    got, err = call_for_result(scale, pixels.copy(), name="scale")
    if err:
        return False, err
    x = np.asarray(got, dtype=float)
    if x.shape != pixels.shape:
        return False, f"scale should keep the shape {pixels.shape}, got {x.shape}."
    if not np.all(np.isfinite(x)):
        return False, "scale gives NaN or inf (a division by a zero std?)."
    if len(np.unique(x)) < len(np.unique(pixels)) / 2:
        return False, (f"scale throws information away: {len(np.unique(pixels))} different pixel values become "
                       f"{len(np.unique(x))}. (Is it // , floor division, or a cast to int?)")
    one, err = call_for_result(scale, pixels[:1].copy(), name="scale")
    if err or not np.allclose(np.asarray(one, float), x[:1], atol=1e-6):
        return False, ("scale changes an image depending on the other images in the batch: scale with fixed "
                       "numbers (or statistics of the training set), the same for every batch.")
    init_loss = _cross_entropy(_reference_net()(x.astype("float32")), labels)
    if not _LN10 - 0.5 < init_loss < 2 * _LN10:   # 0..1 pixels start at about 2.4, standardised ones at about 2.8
        return False, (f"with your inputs a freshly initialised net starts at loss {init_loss:.1f}, far from "
                       f"ln 10 = {_LN10:.2f}: the inputs are still too large (look at the loss at initialisation).")
    return True, f"inputs scaled: an untrained net starts at loss {init_loss:.2f}, near ln 10 = {_LN10:.2f}."


def _check_shuffled(shuffled):
    """Bug 2: labels must stay with their images. Returns (ok, message)."""
    n = 97
    ids = np.arange(n)
    x = np.column_stack([ids, np.random.default_rng(5).random((n, 3))]).astype("float32")
    labels = (ids * 7) % 10
    results = []
    for _ in range(2):
        got, err = call_for_result(shuffled, x.copy(), labels.copy(), np.random.default_rng(11), name="shuffled")
        if err:
            return False, err
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return False, "shuffled should return a pair (x, labels)."
        gx, gy = (np.asarray(v) for v in got)
        if len(gx) != n or len(gy) != n:
            return False, f"shuffled should keep all {n} examples; it returned {len(gx)} images and {len(gy)} labels."
        results.append((gx, gy))
    gx, gy = results[0]
    row_ids = np.rint(gx[:, 0]).astype(int)
    if sorted(row_ids) != list(ids):
        return False, "shuffled should return every image exactly once (a permutation of the rows)."
    if not np.array_equal(gy, labels[row_ids]):
        return False, ("the labels no longer belong to their images: shuffle images and labels with the SAME "
                       "order (this is the 'labels shuffled' curve: validation accuracy stays at chance).")
    if not (np.array_equal(results[1][0], gx) and np.array_equal(results[1][1], gy)):
        return False, "two calls with the same seed give different orders: draw the order from the rng you are given."
    return True, "every label still belongs to its image."


def _loss_on(loss, y_true, y_pred):
    keras = _keras()
    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    return float(keras.ops.convert_to_numpy(keras.ops.mean(fn(y_true, y_pred))))


def _encoded(targets, labels):
    """The student's targets for ``labels``: ``(array, None)`` or ``(None, message)``."""
    got, err = call_for_result(targets, labels.copy(), name="targets")
    if err:
        return None, err
    got = np.asarray(got)
    if got.shape == labels.shape and np.array_equal(got, labels):
        return got, None
    if got.shape == (len(labels), 10) and np.array_equal(got.argmax(axis=1), labels) and np.allclose(got.sum(axis=1), 1):
        return got.astype("float32"), None
    return None, "targets should return the labels as integers 0-9, or one-hot rows of 10 (keras.utils.to_categorical)."


def _right_loss(keras, one_hot, outputs_probs):
    kind = keras.losses.CategoricalCrossentropy if one_hot else keras.losses.SparseCategoricalCrossentropy
    return kind(from_logits=not outputs_probs)


def _check_loss(build_model, targets):
    """Bug 3: the loss must be the cross-entropy of one label out of ten, for
    the targets the script makes and the model's outputs. Returns (ok,
    message, outputs_probs); outputs_probs is None when the model is unusable."""
    keras = _keras()
    model, err = call_for_result(build_model, name="build_model")
    if err:
        return False, err, None
    if getattr(model, "loss", None) is None or getattr(model, "optimizer", None) is None:
        return False, "build_model should return a COMPILED model (model.compile(...)).", None
    out = keras.ops.convert_to_numpy(model(np.random.default_rng(0).random((8, 784)).astype("float32")))
    if out.shape != (8, 10):
        return False, f"the model should output 10 numbers per image, got shape {out.shape[1:]}.", None
    outputs_probs = bool(np.all(out >= 0) and np.allclose(out.sum(axis=1), 1, atol=1e-3))
    labels = np.array([0, 3, 7, 9])
    y_true, err = _encoded(targets, labels)
    if err:
        return False, err, outputs_probs
    sure = np.full((4, 10), 0.1 / 9)
    sure[np.arange(4), labels] = 0.9
    uniform = np.full((4, 10), 0.1)
    if not outputs_probs:   # a model that outputs logits: give the loss logits
        sure, uniform = np.log(sure), np.zeros((4, 10))
    try:
        at_uniform = _loss_on(model.loss, y_true, uniform.astype("float32"))
        at_sure = _loss_on(model.loss, y_true, sure.astype("float32"))
    except Exception as exc:
        return False, (f"the loss cannot take the targets the script makes "
                       f"({'one-hot rows' if y_true.ndim == 2 else 'integers 0-9'}): {type(exc).__name__}: "
                       f"{str(exc).splitlines()[0][:100]}. Integer labels need the 'Sparse' cross-entropy, "
                       "one-hot rows the plain one."), outputs_probs
    want_sure = -np.log(0.9)
    if abs(at_uniform - _LN10) < 0.05 and abs(at_sure - want_sure) < 0.05:
        return True, "the loss is the cross-entropy of one label out of ten.", outputs_probs
    if not outputs_probs:
        return False, (f"your model outputs logits (no softmax at the end), but the loss reads them as "
                       f"probabilities: a uniform guess costs {at_uniform:.2f} instead of ln 10 = {_LN10:.2f}. "
                       "Keep the softmax, or tell the loss from_logits=True."), outputs_probs
    binary = -np.mean([np.log(0.1)] + [np.log(0.9)] * 9)   # ten yes/no questions: one "yes" at 0.1, nine "no" at 0.9
    if y_true.ndim == 2 and abs(at_uniform - binary) < 0.05:
        return False, (f"a uniform guess costs {at_uniform:.2f} instead of ln 10 = {_LN10:.2f}: this loss asks ten "
                       "separate yes/no questions (binary cross-entropy). One label out of ten needs the "
                       "categorical cross-entropy (look at the loss at initialisation)."), outputs_probs
    return False, (f"this is not the cross-entropy of one label out of ten: a uniform guess costs {at_uniform:.2f} "
                   f"(cross-entropy: ln 10 = {_LN10:.2f}) and a 90 % correct guess {at_sure:.2f} "
                   f"(cross-entropy: {want_sure:.2f})."), outputs_probs


def _loss_after_one_epoch(build_model, outputs_probs, one_hot, x, labels, lr_factor=1.0):
    """(optimizer name, learning rate, loss before, loss after one epoch): the
    student's model and optimizer, with the right loss and the right data."""
    keras = _keras()
    keras.utils.set_random_seed(0)
    model = build_model()
    config = model.optimizer.get_config()
    lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    config["learning_rate"] = lr * lr_factor
    optimizer = type(model.optimizer).from_config(config)
    model.compile(optimizer=optimizer, loss=_right_loss(keras, one_hot, outputs_probs))
    y = keras.utils.to_categorical(labels, 10) if one_hot else labels
    start = float(model.evaluate(x, y, verbose=0, return_dict=True)["loss"])
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, shuffle=False)
    end = float(model.evaluate(x, y, verbose=0, return_dict=True)["loss"])
    return type(model.optimizer).__name__, lr, start, end


def _check_learning_rate(build_model, outputs_probs, one_hot, pixels, labels):
    """Bug 4: the optimizer must learn within an epoch, everything else correct."""
    x = (pixels / 255).astype("float32")
    name, lr, start, end = _loss_after_one_epoch(build_model, outputs_probs, one_hot, x, labels)
    if np.isfinite(end) and end < 0.75 * start:   # the loss fell by a quarter in one epoch
        return True, f"{name} at learning rate {lr:g} learns: loss {start:.2f} -> {end:.2f} in one epoch."
    moved = f"with {name} at learning rate {lr:g} the loss goes from {start:.2f} to {end:.2f} in one epoch"
    if not np.isfinite(end) or end > start + 0.1:
        return False, f"{moved}: it explodes, the rate is far too high (the 'LR too high' curve)."
    *_, end_faster = _loss_after_one_epoch(build_model, outputs_probs, one_hot, x, labels, lr_factor=10)
    if np.isfinite(end_faster) and end_faster < end - 0.05:
        return False, f"{moved}: the rate is far too low (the slow, straight 'LR too low' curve)."
    return False, (f"{moved}, and no better at a 10 times larger rate: the rate is so high that the units died "
                   "(the loss sits near ln 10), or the model cannot learn.")


def _check_predict(predict):
    """Bug 5: no dropout at test time."""
    keras = _keras()
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dropout(0.5), keras.layers.Dense(10, activation="softmax")])
    x = np.random.default_rng(2).random((50, 20)).astype("float32")
    want = keras.ops.convert_to_numpy(model(x, training=False))
    outputs = []
    for _ in range(2):
        got, err = call_for_result(predict, model, x.copy(), name="predict")
        if err:
            return False, err
        outputs.append(np.asarray(keras.ops.convert_to_numpy(got), dtype=float))
    if outputs[0].shape != want.shape:
        return False, f"predict should return class probabilities of shape (n, 10); got shape {outputs[0].shape}."
    if not np.allclose(outputs[0], outputs[1], atol=1e-6):
        return False, ("predict gives different answers for the same images: dropout is still switched on "
                       "at test time (training=True).")
    if not np.allclose(outputs[0], want, atol=1e-5):
        return False, ("predict should return the model's probabilities for the inputs it is given (already "
                       "scaled: do not scale them again).")
    return True, "predict is deterministic: dropout is off at test time."


def broken_network(script, pixels, labels) -> bool:
    """Check a fixed version of the broken training script.

    ``script`` has ``scale(pixels)``, ``targets(labels)``, ``shuffled(x, y,
    rng)``, ``build_model()`` and ``predict(model, x)``; ``pixels`` (n, 784,
    values 0-255) and ``labels`` (n,) are real digits for the symptom checks.
    Each planted bug is judged on its own, by its symptom, with the other
    parts replaced by correct ones. Prints one line per bug and returns True
    when all five are fixed."""
    pixels, labels = np.asarray(pixels, dtype="float32"), np.asarray(labels)
    parts = ("scale", "targets", "shuffled", "build_model", "predict")
    missing = [part for part in parts if not callable(getattr(script, part, None))]
    if missing:
        return report(False, f"the script needs the functions {missing}.")
    results = {"1 inputs": _check_scale(script.scale, pixels, labels),
               "2 labels": _check_shuffled(script.shuffled)}
    ok_loss, msg_loss, outputs_probs = _check_loss(script.build_model, script.targets)
    results["3 loss"] = (ok_loss, msg_loss)
    encoded, _ = _encoded(script.targets, labels[:4])
    if outputs_probs is None:
        results["4 learning rate"] = (False, "cannot be judged until build_model returns a compiled model "
                                             "with 10 outputs.")
    else:
        try:
            one_hot = encoded is not None and encoded.ndim == 2
            results["4 learning rate"] = _check_learning_rate(script.build_model, outputs_probs, one_hot, pixels, labels)
        except Exception as exc:
            results["4 learning rate"] = (False, f"training the model raised {type(exc).__name__}: {str(exc)[:150]}")
    results["5 test time"] = _check_predict(script.predict)
    for bug, (ok, message) in results.items():
        print(f"  bug {bug}: {'fixed' if ok else 'NOT fixed'} - {message}")
    fixed = sum(ok for ok, _ in results.values())
    if fixed == len(results):
        return report(True, "all five bugs are fixed.")
    return report(False, f"{fixed} of {len(results)} bugs fixed; the lines above say which symptoms remain.")
