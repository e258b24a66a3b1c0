"""Self-checks for notebook 06 (RNNs on text).

Each check calls the student's function on a few cases, compares with a
hidden reference and says what kind of mistake it sees, never the answer.
"""
from __future__ import annotations

import numpy as np

from . import call_for_number, call_safely, compare_arrays, report

__all__ = ["rnn_step", "lstm_param_count", "softmax_with_temperature"]


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
