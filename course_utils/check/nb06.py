"""Self-checks for notebook 06 (RNNs on text).

Each check calls the student's function on a few cases, compares with a
hidden reference and says what kind of mistake it sees, never the answer.
"""
from __future__ import annotations

import numpy as np

from . import call_for_number, call_for_result, call_safely, compare_arrays, report

__all__ = ["rnn_step", "lstm_param_count", "softmax_with_temperature", "sample_loop"]


# ---------------------------------------------------------------- rnn_step

def _ref_rnn_step(x, h_prev, W_xh, W_hh, b):
    return np.tanh(x @ W_xh + h_prev @ W_hh + b)


def _rnn_case(seed, batch, d_in, units):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(batch, d_in)), rng.normal(size=(batch, units)),
            rng.normal(size=(d_in, units)) * 0.5, rng.normal(size=(units, units)) * 0.5,
            rng.normal(size=(units,)) * 0.5)


def rnn_step(fn) -> bool:
    """Check ``fn(x, h_prev, W_xh, W_hh, b) -> h`` (row-vector convention:
    x (batch, d_in), h_prev (batch, units))."""
    cases = [_rnn_case(1, 2, 3, 4), _rnn_case(2, 5, 4, 4), _rnn_case(3, 1, 6, 2)]
    for x, h, W_xh, W_hh, b in cases:
        got, err = call_safely(fn, x, h, W_xh, W_hh, b)
        if err:
            if "operands could not be broadcast" in err or "matmul" in err.lower() or "shapes" in err:
                return report(False, f"rnn_step failed: {err} Check which matrix multiplies x and which multiplies h_prev, "
                                     f"and use @ (matrix product), not * (element-wise).")
            return report(False, f"rnn_step failed: {err}")
        expected = _ref_rnn_step(x, h, W_xh, W_hh, b)
        ok, msg = compare_arrays(got, expected, "the new hidden state", rtol=1e-6, atol=1e-8)
        if ok:
            continue
        g = np.asarray(got, dtype=float) if got is not None else None
        if g is not None and g.shape == expected.shape:
            pre = x @ W_xh + h @ W_hh + b
            if np.allclose(g, pre):
                return report(False, "the values are not squashed: apply tanh to the sum.")
            if np.allclose(g, np.tanh(x @ W_xh + h @ W_hh)):
                return report(False, "the bias b is missing from the sum inside tanh.")
            if np.allclose(g, np.tanh(x @ W_xh + b)):
                return report(False, "the previous hidden state h_prev is ignored: the recurrence needs h_prev @ W_hh.")
            if np.allclose(g, np.tanh(x @ W_xh + h @ W_hh.T + b)):
                return report(False, "W_hh is used transposed: with row vectors the product is h_prev @ W_hh.")
            if np.abs(g).max() > 1 + 1e-9:
                return report(False, "some outputs lie outside [-1, 1], which tanh can never produce.")
        return report(False, msg)
    return report(True, "rnn_step matches the reference on 3 cases (batches of 1 to 5, several sizes).")


# ---------------------------------------------------------------- LSTM parameters

def _ref_lstm_params(input_dim, units):
    return 4 * (units * (input_dim + units) + units)


def lstm_param_count(fn) -> bool:
    """Check ``fn(input_dim, units) -> int``, the trainable parameters of one
    LSTM layer (kernel, recurrent kernel and bias of all four blocks)."""
    for input_dim, units in [(10, 20), (1, 1), (64, 256), (7, 3)]:
        value, err = call_for_number(fn, input_dim, units, name="lstm_param_count")
        if err:
            return report(False, err)
        expected = _ref_lstm_params(input_dim, units)
        if value == expected:
            continue
        single = units * (input_dim + units) + units
        if value == single:
            return report(False, f"for input_dim={input_dim}, units={units} you counted ONE block; "
                                 f"an LSTM has several gate/candidate blocks, each with its own weights.")
        if value == 4 * units * (input_dim + units):
            return report(False, "the biases are missing.")
        if value == 4 * (units * (input_dim + units) + 2 * units):
            return report(False, "you counted the biases twice per block; Keras uses one bias vector per block.")
        if value == 4 * (units * input_dim + units):
            return report(False, "the recurrent weights (from h_{t-1}) are missing.")
        if value == 4 * (units * units + units):
            return report(False, "the input weights (from x_t) are missing.")
        if value in (3 * (units * (input_dim + units) + units), 5 * (units * (input_dim + units) + units)):
            return report(False, "wrong number of blocks: count the gates plus the candidate.")
        return report(False, f"for input_dim={input_dim}, units={units} the count is off by "
                             f"{value - expected:+g}.")
    return report(True, "lstm_param_count is right on 4 layer sizes (it matches Keras' count_params).")


# ---------------------------------------------------------------- temperature

def _ref_softmax_t(logits, temperature):
    z = np.asarray(logits, dtype=float) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def softmax_with_temperature(fn) -> bool:
    """Check ``fn(logits, temperature) -> probabilities`` (last axis)."""
    cases = [(np.array([2.0, 1.0, 0.1]), 1.0), (np.array([2.0, 1.0, 0.1]), 0.5),
             (np.array([[1.0, 3.0, -2.0, 0.0], [0.5, 0.5, 0.5, 0.5]]), 2.0),
             (np.array([1000.0, 999.0, 990.0]), 1.0)]
    for logits, temperature in cases:
        got, err = call_safely(fn, logits.copy(), temperature)
        if err:
            return report(False, f"softmax_with_temperature failed: {err}")
        expected = _ref_softmax_t(logits, temperature)
        ok, msg = compare_arrays(got, expected, "the returned array", rtol=1e-6, atol=1e-9)
        if ok:
            continue
        g = np.asarray(got, dtype=float) if got is not None else None
        if g is not None and g.shape == expected.shape:
            if not np.all(np.isfinite(g)):
                return report(False, "NaN/inf for large logits (e.g. 1000): exp overflows. Subtract the "
                                     "largest logit before exponentiating (it does not change the result).")
            if np.allclose(g, _ref_softmax_t(logits * temperature * temperature, temperature)):
                return report(False, "the temperature multiplies the logits; it should divide them "
                                     "(a low temperature must sharpen the distribution).")
            if np.allclose(g, _ref_softmax_t(logits, 1.0)):
                return report(False, f"the temperature is ignored (tested with T={temperature}).")
            if not np.allclose(g.sum(axis=-1), 1.0):
                return report(False, "the probabilities do not sum to 1 along the last axis: normalise "
                                     "(and for a batch, sum over axis=-1 with keepdims=True).")
        return report(False, f"{msg} (tested with T={temperature})")
    return report(True, "softmax_with_temperature is right on 4 cases, including a batch and huge logits.")


# ---------------------------------------------------------------- the sampling loop
#
# The student's loop is run on a toy "language model" whose answer is known:
# V ids, and the logits for the next id depend on the last two ids (the one
# just fed in and the one kept in the state). The loop's output is then
# scored under the right model and under the models that typical mistakes
# produce (temperature ignored, state not passed on, ...): the mistake whose
# model explains the samples best is the one reported.

_V, _ROWS, _STEPS = 6, 1000, 8


def _toy_table(seed: int = 11) -> np.ndarray:
    return np.random.default_rng(seed).normal(0.0, 1.5, (_V, _V, _V))


def _toy_start(rows: int, seed: int = 12):
    rng = np.random.default_rng(seed)
    return rng.normal(0.0, 1.5, (rows, _V)), rng.integers(0, _V, rows)


def _toy_step(table):
    def step(ids, state):
        ids = np.asarray(ids)
        if ids.shape != np.shape(state) or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(f"step expects one whole-number id per row, shape {np.shape(state)}; got "
                             f"{ids.dtype} of shape {ids.shape}")
        return table[state, ids], ids.copy()   # logits (rows, V) from the last two ids; the new state
    return step


def _log_softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _hypothesis_logits(kind, table, logits0, state0, ids):
    """Logits that produced ids[:, t] under a hypothesis about the loop: 'right',
    'state kept' (the first state reused), 'logits kept' (never updated)."""
    rows, n = ids.shape
    out = np.empty((rows, n, _V))
    out[:, 0] = logits0
    prev2, prev1 = state0, None
    for t in range(1, n):
        prev1 = ids[:, t - 1]
        if kind == "logits kept":
            out[:, t] = logits0
        elif kind == "state kept":
            out[:, t] = table[state0, prev1]
        else:
            out[:, t] = table[prev2, prev1]
            prev2 = prev1
    return out


def _score(logits, temperature, ids):
    """Mean log-probability of the samples, and a z-score of it against what
    a correct sampler gives (about N(0, 1) when the samples follow the model)."""
    logp = _log_softmax(logits / temperature)
    p = np.exp(logp)
    got = np.take_along_axis(logp, ids[..., None], axis=-1)[..., 0]
    mean_lp = (p * logp).sum(-1)
    var_lp = (p * logp ** 2).sum(-1) - mean_lp ** 2
    z = (got.sum() - mean_lp.sum()) / np.sqrt(var_lp.sum() + 1e-12)
    return got.mean(), z


def _greedy(table, logits0, state0, n):
    logits, state, out = logits0, state0, []
    for _ in range(n):
        ids = logits.argmax(-1)
        out.append(ids)
        logits, state = table[state, ids], ids
    return np.stack(out, axis=1)


_SAMPLING_MISTAKES = {
    "temperature ignored": "the samples follow softmax(logits), not softmax(logits / temperature): the "
                           "temperature is ignored (tested with T = 0.5 and T = 2).",
    "temperature multiplies": "the temperature multiplies the logits; divide them by it (a low temperature "
                              "must sharpen the distribution, a high one flatten it).",
    "state kept": "every step is fed the state you were given at the start: pass on the new state that "
                  "`step` returns, so the model remembers what it has written.",
    "logits kept": "every id is drawn from the first distribution: feed each sampled id back through `step` "
                   "and draw the next id from the logits it returns.",
}
_AXIS_HINT = ("each row is its own distribution: normalise along the last axis (axis=-1, keepdims=True), "
              "not over the batch (axis 0) or the whole array.")


def _run_loop(fn, table, logits0, state0, n, temperature, rng):
    """Returns (ids, None) or (None, message)."""
    with np.errstate(all="ignore"):   # a division by zero is reported below, not as a warning
        got, err = call_for_result(fn, _toy_step(table), logits0.copy(), state0.copy(), n, temperature, rng,
                                   name="sample_loop")
    if err:
        if "sum to 1" in err:
            return None, f"{err} Hint: {_AXIS_HINT}"
        return None, err
    try:
        ids = np.asarray(got)
    except Exception:  # ragged lists and the like
        return None, f"sample_loop should return an array of ids, got {type(got).__name__}."
    rows = len(logits0)
    if ids.shape != (rows, n):
        if ids.shape == (n, rows):
            return None, (f"the result is transposed: shape {ids.shape}; return one row per sequence and one "
                          f"column per generated step, shape (batch, n) = {(rows, n)}.")
        return None, f"the result has shape {ids.shape}; expected (batch, n) = {(rows, n)}."
    if not np.issubdtype(ids.dtype, np.integer):
        if ids.dtype.kind == "f" and np.all(np.isfinite(ids)) and np.all(ids == np.round(ids)):
            ids = ids.astype(int)
        else:
            return None, f"the result should hold whole-number ids, got dtype {ids.dtype}."
    if ids.min() < 0 or ids.max() >= _V:
        return None, f"ids must lie in 0 .. V-1 (here V = {_V}); got values from {ids.min()} to {ids.max()}."
    return ids, None


def _depends_on_other_rows(fn, table, temperature) -> bool:
    """True when a row's distribution changes with the size of the batch it is in
    (the same distribution in every row: one batch of many rows, or many small batches)."""
    logits, state = _toy_start(_ROWS, seed=21)
    logits[:] = logits[0]
    counts = []
    for size in (_ROWS, 10):
        drawn = []
        for k in range(_ROWS // size):
            ids, err = _run_loop(fn, table, logits[:size], state[:size], 1, temperature,
                                 np.random.default_rng(100 + k))
            if err:
                return False
            drawn.append(ids[:, 0])
        counts.append(np.bincount(np.concatenate(drawn), minlength=_V) / _ROWS)
    return 0.5 * np.abs(counts[0] - counts[1]).sum() > 0.15


def sample_loop(fn) -> bool:
    """Check ``fn(step, logits, state, n, temperature, rng) -> ids (batch, n)``:
    draw each next id from softmax(logits / temperature) row by row with the
    generator ``rng``, feed it back through ``step(ids, state) -> (logits,
    state)``, and treat temperature 0 as greedy decoding."""
    table = _toy_table()
    logits0, state0 = _toy_start(_ROWS)
    runs = {}
    for temperature in (0.5, 2.0):
        ids, err = _run_loop(fn, table, logits0, state0, _STEPS, temperature, np.random.default_rng(1))
        if err:
            return report(False, err)
        runs[temperature] = ids
    if all(np.array_equal(ids, _greedy(table, logits0, state0, _STEPS)) for ids in runs.values()):
        return report(False, "the output is greedy decoding (always the most likely id): for a temperature "
                             "above 0, draw the id at random with the probabilities instead of taking argmax.")

    # the same seed must give the same text, whatever NumPy's global random state is
    state_before = np.random.get_state()
    try:
        np.random.seed(123)
        again, err = _run_loop(fn, table, logits0, state0, _STEPS, 0.5, np.random.default_rng(1))
        np.random.seed(456)
        other, err2 = _run_loop(fn, table, logits0, state0, _STEPS, 0.5, np.random.default_rng(2))
    finally:
        np.random.set_state(state_before)
    if err or err2:
        return report(False, err or err2)
    if not np.array_equal(again, runs[0.5]):
        return report(False, "two runs with generators made from the same seed wrote different ids: draw every "
                             "random number from the generator `rng` you are given (rng.random, rng.choice, "
                             "rng.gumbel), not from np.random.* or a generator of your own.")
    if np.array_equal(other, runs[0.5]):
        return report(False, "generators with different seeds wrote the same ids: the randomness must come "
                             "from the `rng` you are given.")

    # which model of the loop explains the samples? (z: about N(0, 1) for the model that made them)
    fits = {name: [0.0, 0.0] for name in ("right", *_SAMPLING_MISTAKES)}   # [mean log-prob, largest |z|]
    for temperature, ids in runs.items():
        for kind in ("right", "state kept", "logits kept"):
            logits = _hypothesis_logits(kind, table, logits0, state0, ids)
            tried = {kind: temperature}
            if kind == "right":
                tried.update({"temperature ignored": 1.0, "temperature multiplies": 1.0 / temperature})
            for name, used in tried.items():
                mean_lp, z = _score(logits, used, ids)
                fits[name][0] += mean_lp
                fits[name][1] = max(fits[name][1], abs(z))
    plausible = {name: lp for name, (lp, z) in fits.items() if z < 5}
    if "right" not in plausible:
        if plausible:
            return report(False, _SAMPLING_MISTAKES[max(plausible, key=plausible.get)])
        if any(_depends_on_other_rows(fn, table, t) for t in (0.5, 2.0)):
            return report(False, f"a row's probabilities depend on the other rows of the batch: {_AXIS_HINT}")
        return report(False, "the ids do not follow softmax(logits / temperature): over many rows, some ids come "
                             "up far more or less often than the probabilities say.")

    greedy, err = _run_loop(fn, table, logits0, state0, _STEPS, 0, np.random.default_rng(1))
    if err or not np.array_equal(greedy, _greedy(table, logits0, state0, _STEPS)):
        return report(False, "temperature 0 should mean greedy decoding: take the most likely id at every step "
                             "(argmax), without dividing by zero." + (f" ({err})" if err else ""))
    return report(True, f"sample_loop draws from softmax(logits / T) row by row with the given generator, "
                        f"carries the state and is greedy at T = 0 (checked on {_ROWS} rows x {_STEPS} steps of "
                        f"a toy model, T = 0, 0.5 and 2).")
