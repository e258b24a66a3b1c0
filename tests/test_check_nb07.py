"""Self-checks of notebook 07: the reference passes, typical wrong answers are
rejected with the message meant for them, a correct answer written
differently passes (issue 16, point 9)."""
from types import SimpleNamespace

import numpy as np
import pytest

from course_utils.check import nb07


@pytest.fixture(autouse=True)
def lenient(monkeypatch):
    monkeypatch.setenv("COURSE_CHECK_STRICT", "0")   # a failed check prints, it does not raise


def verdict(capsys, check, *args):
    ok = check(*args)
    return ok, capsys.readouterr().out


# ---------------------------------------------------------------- Your turn 1: standardize
def std_ref(x_train, x_other, eps=1e-7):
    mean, std = x_train.mean(axis=0), x_train.std(axis=0) + eps
    return (x_train - mean) / std, (x_other - mean) / std


def std_alternative(x_train, x_other, eps=1e-7):
    mean = np.sum(x_train, axis=0) / len(x_train)
    std = np.sqrt(np.mean((x_train - mean) ** 2, axis=0)) + eps
    return (x_train - mean) / std, (x_other - mean) / std


@pytest.mark.parametrize("fn", [std_ref, std_alternative], ids=["reference", "written differently"])
def test_standardize_accepts(capsys, fn):
    ok, out = verdict(capsys, nb07.standardize, fn)
    assert ok, out


@pytest.mark.parametrize("fn, message", [
    (lambda xt, xo, eps=1e-7: ((xt - xt.mean(1, keepdims=True)) / (xt.std(1, keepdims=True) + eps),
                               (xo - xo.mean(1, keepdims=True)) / (xo.std(1, keepdims=True) + eps)), "each example (row)"),
    (lambda xt, xo, eps=1e-7: ((xt - xt.mean()) / (xt.std() + eps), (xo - xt.mean()) / (xt.std() + eps)), "one mean and std for all"),
    (lambda xt, xo, eps=1e-7: (xt - xt.mean(0), xo - xt.mean(0)), "only centred"),
    (lambda xt, xo, eps=1e-7: ((xt - xt.mean(0)) / (xt.std(0) + eps), (xo - xo.mean(0)) / (xo.std(0) + eps)), "OWN mean"),
    (lambda xt, xo, eps=1e-7: ((xt - xt.mean(0)) / xt.std(0), (xo - xt.mean(0)) / xt.std(0)), "NaN or inf"),
    (lambda xt, xo, eps=1e-7: None, "should return a pair"),
])
def test_standardize_rejects(capsys, fn, message):
    with np.errstate(all="ignore"):
        ok, out = verdict(capsys, nb07.standardize, fn)
    assert not ok and message in out, out


# ---------------------------------------------------------------- Your turn 2: pick_learning_rate
def pick_ref(lrs, losses, start_loss):
    learned = [lr for lr, loss in zip(lrs, losses) if np.isfinite(loss) and loss < start_loss / 2]
    return max(learned) / 2


def pick_alternative(lrs, losses, start_loss):
    lrs, losses = np.asarray(lrs, float), np.asarray(losses, float)
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(losses) & (2 * losses < start_loss)
    return 0.5 * np.sort(lrs[ok])[-1]


@pytest.mark.parametrize("fn", [pick_ref, pick_alternative], ids=["reference", "written differently"])
def test_pick_learning_rate_accepts(capsys, fn):
    ok, out = verdict(capsys, nb07.pick_learning_rate, fn)
    assert ok, out


def _pick_with(keep, choose=max, halve=True):
    def fn(lrs, losses, start_loss):
        kept = [lr for lr, loss in zip(lrs, losses) if keep(loss, start_loss)]
        return choose(kept) / (2 if halve else 1)
    return fn


@pytest.mark.parametrize("fn, message", [
    (_pick_with(lambda l, s: np.isfinite(l) and l < s / 2, halve=False), "forgot to halve"),
    (_pick_with(lambda l, s: np.isfinite(l) and l < s), "just below the start"),          # the old 'stable' rule (E4)
    (_pick_with(lambda l, s: np.isfinite(l) and l < s / 2, choose=min), "SMALLEST"),
    (_pick_with(lambda l, s: np.isfinite(l) and l < 2.3 / 2), "fixed start loss"),        # ignores start_loss
    (lambda lrs, losses, s: lrs[int(np.nanargmin(np.where(np.isfinite(losses), losses, np.nan)))] / 2, "lowest loss"),
    (_pick_with(lambda l, s: not l >= s / 2), "NaN"),
    (lambda lrs, losses, s: None, "returned None"),
])
def test_pick_learning_rate_rejects(capsys, fn, message):
    ok, out = verdict(capsys, nb07.pick_learning_rate, fn)
    assert not ok and message in out, out


# ---------------------------------------------------------------- Your turn 4: dropout
def dropout_ref(a, p, training, rng):
    if not training:
        return a
    return a * (rng.random(a.shape) >= p) / (1 - p)


def dropout_alternative(a, p, training, rng):
    return np.where(rng.random(a.shape) < p, 0.0, a / (1 - p)) if training else a.copy()


@pytest.mark.parametrize("fn", [dropout_ref, dropout_alternative], ids=["reference", "written differently"])
def test_dropout_accepts(capsys, fn):
    ok, out = verdict(capsys, nb07.dropout, fn)
    assert ok, out


@pytest.mark.parametrize("fn, message", [
    (lambda a, p, t, rng: a * (rng.random(a.shape) >= p) if t else a, "not rescaled"),
    (lambda a, p, t, rng: a * (rng.random(a.shape) >= p) if t else a * (1 - p), "at test time you scale"),
    (lambda a, p, t, rng: a * (rng.random(a.shape) < p) / p if t else a, "probability to DROP"),
    (lambda a, p, t, rng: a * (rng.random(a.shape) >= p) * (1 - p) if t else a, "multiplied the kept units"),
    (lambda a, p, t, rng: a * (np.random.random(a.shape) >= p) / (1 - p) if t else a, "global state"),
    (lambda a, p, t, rng: a * (np.random.default_rng(0).random(a.shape) >= p) / (1 - p) if t else a, "different rng"),
    (lambda a, p, t, rng: a * (rng.random((400, 50)) >= p) / (1 - p) if t else a, "(6, 7, 8)"),   # a hard-coded size
    (lambda a, p, t, rng: a * (rng.random(a.shape) >= 0.5) / 0.5 if t else a, "expected about 20%"),  # ignores p
])
def test_dropout_rejects(capsys, fn, message):
    ok, out = verdict(capsys, nb07.dropout, fn)
    assert not ok and message in out, out


# ---------------------------------------------------------------- Your turn 3: the broken network
keras = pytest.importorskip("keras")


def _model(output="softmax"):
    layers = [keras.Input((784,)), keras.layers.Dense(128, activation="relu"), keras.layers.Dropout(0.3),
              keras.layers.Dense(10, activation=output)]
    return keras.Sequential(layers)


def build_fixed(optimizer=lambda: keras.optimizers.SGD(learning_rate=0.1), loss="categorical_crossentropy",
                output="softmax"):
    def build_model():
        model = _model(output)
        model.compile(optimizer=optimizer(), loss=loss, metrics=["accuracy"])
        return model
    return build_model


one_hot = lambda labels: keras.utils.to_categorical(labels, 10)   # noqa: E731
FIXED = SimpleNamespace(
    scale=lambda pixels: pixels.astype("float32") / 255,
    targets=one_hot,
    shuffled=lambda x, y, rng: (lambda order: (x[order], y[order]))(rng.permutation(len(x))),
    build_model=build_fixed(),
    predict=lambda model, x: keras.ops.convert_to_numpy(model(x, training=False)),
)
BROKEN = SimpleNamespace(
    scale=lambda pixels: pixels.astype("float32"),
    targets=one_hot,
    shuffled=lambda x, y, rng: (x[rng.permutation(len(x))], y),
    build_model=build_fixed(lambda: keras.optimizers.SGD(learning_rate=0.001), "binary_crossentropy"),
    predict=lambda model, x: keras.ops.convert_to_numpy(model(x, training=True)),
)


def variant(**parts):
    return SimpleNamespace(**{**vars(FIXED), **parts})


@pytest.fixture(scope="module")
def digits():
    from course_utils.data import load_mnist_5k

    x, y = load_mnist_5k()                      # sorted by label: shuffle first
    order = np.random.default_rng(0).permutation(len(y))[:1000]
    return x[order].reshape(1000, -1).astype("float32"), y[order]


def test_broken_network_reference_passes_and_broken_script_fails_on_every_bug(capsys, digits):
    ok, out = verdict(capsys, nb07.broken_network, FIXED, *digits)
    assert ok and out.count(": fixed - ") == 5, out
    ok, out = verdict(capsys, nb07.broken_network, BROKEN, *digits)
    assert not ok and out.count("NOT fixed") == 5 and "0 of 5 bugs fixed" in out, out
    for symptom in ("far from ln 10", "no longer belong", "yes/no questions", "far too low", "different answers"):
        assert symptom in out, (symptom, out)


def _part_check(part, script, digits):
    if part == "scale":
        return nb07._check_scale(script.scale, *digits)
    if part == "shuffled":
        return nb07._check_shuffled(script.shuffled)
    if part in ("build_model", "targets"):
        return nb07._check_loss(script.build_model, script.targets)[:2]
    return nb07._check_predict(script.predict)


@pytest.mark.parametrize("parts, message", [
    (dict(scale=lambda p: p // 255), "floor division"),
    (dict(scale=lambda p: p - 128), "far from ln 10"),
    (dict(scale=lambda p: (p - p.mean()) / p.std()), "depending on the other images"),   # batch statistics
    (dict(shuffled=lambda x, y, rng: (x[rng.permutation(len(x))], y[rng.permutation(len(x))])), "no longer belong"),
    (dict(shuffled=lambda x, y, rng: (lambda o: (x[o], y[o]))(np.random.permutation(len(x)))), "rng you are given"),
    (dict(shuffled=lambda x, y, rng: (x[rng.permutation(len(x))][:-1], y[:-1])), "keep all"),
    (dict(build_model=build_fixed(loss="binary_crossentropy")), "yes/no questions"),
    (dict(build_model=build_fixed(loss="sparse_categorical_crossentropy")), "cannot take the targets"),
    (dict(targets=lambda labels: labels), "cannot take the targets"),           # integers for a one-hot loss
    (dict(build_model=build_fixed(loss="mse")), "not the cross-entropy"),
    (dict(build_model=build_fixed(output=None)), "outputs logits"),             # softmax removed, loss unchanged
    (dict(targets=lambda labels: labels + 1), "targets should return"),
    (dict(predict=lambda model, x: keras.ops.convert_to_numpy(model(x, training=False)).argmax(axis=1)), "shape (n, 10)"),
    (dict(predict=lambda model, x: keras.ops.convert_to_numpy(model(x / 255, training=False))), "do not scale them again"),
    (dict(build_model=_model), "COMPILED"),                                     # compile forgotten
    (dict(shuffled=lambda x, y, rng: x[rng.permutation(len(x))]), "a pair"),    # the labels dropped
])
def test_broken_network_rejects_wrong_fixes(digits, parts, message):
    (part,) = parts
    ok, message_out = _part_check(part, variant(**parts), digits)
    assert not ok and message in message_out, message_out


def test_broken_network_learning_rate_in_both_directions(digits):
    too_high = nb07._check_learning_rate(build_fixed(lambda: keras.optimizers.SGD(learning_rate=100.0)), True, True, *digits)
    too_low = nb07._check_learning_rate(build_fixed(lambda: keras.optimizers.SGD(learning_rate=0.001)), True, True, *digits)
    assert not too_high[0] and "too high" in too_high[1], too_high
    assert not too_low[0] and "too low" in too_low[1], too_low


@pytest.mark.parametrize("parts", [
    dict(build_model=build_fixed(lambda: keras.optimizers.Adam(1e-3))),                      # Adam at its own rate
    dict(build_model=build_fixed(loss=keras.losses.CategoricalCrossentropy(from_logits=True), output=None)),
    dict(targets=lambda labels: labels, build_model=build_fixed(loss="sparse_categorical_crossentropy")),
    dict(scale=lambda p: (p - 33.3) / 78.6),                                                 # standardised instead
    dict(predict=lambda model, x: model.predict(x, verbose=0)),
    dict(shuffled=lambda x, y, rng: (x, y)),                                                 # fit shuffles anyway
], ids=["adam", "logits + from_logits", "integer labels + sparse loss", "standardised", "model.predict", "no shuffle"])
def test_broken_network_accepts_other_correct_fixes(capsys, digits, parts):
    ok, out = verdict(capsys, nb07.broken_network, variant(**parts), *digits)
    assert ok, out
