"""Self-checks of notebook 06: the reference passes, typical wrong answers are
rejected with the message meant for them, and correct answers written
differently pass."""
import numpy as np
import pytest

from course_utils.check import nb06


def _softmax(z, axis=-1):
    z = z - z.max(axis=axis, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)


# ---------------------------------------------------------------- rnn_step

def test_rnn_step(verdict):
    def reference(x, h, W_xh, W_hh, b):
        return np.tanh(x @ W_xh + h @ W_hh + b)

    def written_differently(x, h, W_xh, W_hh, b):   # einsum and the tanh identity of the lecture
        a = np.einsum("bi,iu->bu", x, W_xh) + np.einsum("bu,uv->bv", h, W_hh) + b
        return (np.exp(2 * a) - 1) / (np.exp(2 * a) + 1)

    assert verdict(nb06.rnn_step, reference)[0]
    assert verdict(nb06.rnn_step, written_differently)[0]
    wrong = {
        "not squashed": lambda x, h, W_xh, W_hh, b: x @ W_xh + h @ W_hh + b,
        "bias b is missing": lambda x, h, W_xh, W_hh, b: np.tanh(x @ W_xh + h @ W_hh),
        "h_prev is ignored": lambda x, h, W_xh, W_hh, b: np.tanh(x @ W_xh + b),
        "W_hh is used transposed": lambda x, h, W_xh, W_hh, b: np.tanh(x @ W_xh + h @ W_hh.T + b),
        "(element-wise)": lambda x, h, W_xh, W_hh, b: np.tanh(x * W_xh + h * W_hh + b),
        "not done yet": lambda x, h, W_xh, W_hh, b: None,
        "outside [-1, 1]": lambda x, h, W_xh, W_hh, b: 2 * np.tanh(x @ W_xh + h @ W_hh + b) + 0.5,
    }
    for message, fn in wrong.items():
        ok, out = verdict(nb06.rnn_step, fn)
        assert not ok and message in out, (message, out)


# ---------------------------------------------------------------- lstm_param_count

def test_lstm_param_count(verdict):
    assert verdict(nb06.lstm_param_count, lambda d, u: 4 * (u * (d + u) + u))[0]
    assert verdict(nb06.lstm_param_count, lambda d, u: 4 * u * d + 4 * u * u + 4 * u)[0]   # written per matrix
    wrong = {
        "ONE block": lambda d, u: u * (d + u) + u,
        "biases are missing": lambda d, u: 4 * u * (d + u),
        "biases twice": lambda d, u: 4 * (u * (d + u) + 2 * u),
        "recurrent weights": lambda d, u: 4 * (u * d + u),
        "input weights": lambda d, u: 4 * (u * u + u),
        "number of blocks": lambda d, u: 3 * (u * (d + u) + u),
        "off by": lambda d, u: 4 * (u * (10 + u) + u),   # input size hard-coded to the first case's 10
        "not done yet": lambda d, u: None,
    }
    for message, fn in wrong.items():
        ok, out = verdict(nb06.lstm_param_count, fn)
        assert not ok and message in out, (message, out)


# ---------------------------------------------------------------- softmax_with_temperature

@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_softmax_with_temperature(verdict):
    def reference(z, T):
        return _softmax(np.asarray(z, float) / T)

    def written_differently(z, T):   # log-sum-exp form
        z = np.asarray(z, float) / T
        m = z.max(axis=-1, keepdims=True)
        return np.exp(z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True)))

    assert verdict(nb06.softmax_with_temperature, reference)[0]
    assert verdict(nb06.softmax_with_temperature, written_differently)[0]
    wrong = {
        "exp overflows": lambda z, T: np.exp(np.asarray(z) / T) / np.exp(np.asarray(z) / T).sum(-1, keepdims=True),
        "multiplies the logits": lambda z, T: _softmax(np.asarray(z, float) * T),
        "temperature is ignored": lambda z, T: _softmax(np.asarray(z, float)),
        "sum to 1 along the last axis": lambda z, T: (lambda e: e / e.sum())(np.exp(np.asarray(z, float) / T
                                                                               - np.max(z))),
        "not done yet": lambda z, T: None,
    }
    for message, fn in wrong.items():
        ok, out = verdict(nb06.softmax_with_temperature, fn)
        assert not ok and message in out, (message, out)


# ---------------------------------------------------------------- sample_loop

def reference_loop(step, logits, state, n, temperature, rng):
    out = []
    for _ in range(n):
        if temperature == 0:
            ids = np.argmax(logits, axis=-1)
        else:
            probs = _softmax(np.asarray(logits, float) / temperature)
            ids = np.array([rng.choice(len(p), p=p) for p in probs])
        out.append(ids)
        logits, state = step(ids, state)
    return np.stack(out, axis=1)


def inverse_cdf_loop(step, logits, state, n, temperature, rng):
    columns = []
    while len(columns) < n:
        z = np.asarray(logits, dtype=np.float64)
        if temperature > 0:
            cdf = np.cumsum(_softmax(z / temperature), axis=1)
            ids = (cdf < rng.random((len(z), 1))).sum(axis=1)
        else:
            ids = z.argmax(axis=1)
        columns.append(ids)
        logits, state = step(ids, state)
    return np.array(columns).T


def gumbel_loop(step, logits, state, n, temperature, rng):
    ids_out = np.zeros((len(logits), n), dtype=np.int64)
    for t in range(n):
        noise = rng.gumbel(size=np.shape(logits)) if temperature else 0.0
        ids_out[:, t] = np.argmax(np.asarray(logits) / (temperature or 1.0) + noise, axis=-1)
        logits, state = step(ids_out[:, t], state)
    return ids_out


def _loop(choose, feed_state=True, feed_logits=True):
    """A sampling loop with one part swapped: choose(logits, T, rng) -> ids."""
    def loop(step, logits, state, n, temperature, rng):
        first_state, out = state, []
        for _ in range(n):
            ids = choose(np.asarray(logits, float), temperature, rng)
            out.append(ids)
            new_logits, state = step(ids, state if feed_state else first_state)
            logits = new_logits if feed_logits else logits
        return np.stack(out, axis=1)
    return loop


def _draw(probs, rng):
    return np.array([rng.choice(len(p), p=p) for p in probs])


def _right(z, T, rng):
    return z.argmax(-1) if T == 0 else _draw(_softmax(z / T), rng)


def _inverse_cdf(probs, rng):
    return (np.cumsum(probs, axis=1) < rng.random((len(probs), 1))).sum(axis=1).clip(0, probs.shape[1] - 1)


WRONG_LOOPS = {
    "temperature is ignored": _loop(lambda z, T, rng: z.argmax(-1) if T == 0 else _draw(_softmax(z), rng)),
    "the temperature multiplies": _loop(lambda z, T, rng: z.argmax(-1) if T == 0 else _draw(_softmax(z * T), rng)),
    "not from np.random": _loop(lambda z, T, rng: z.argmax(-1) if T == 0 else
                                np.array([np.random.choice(len(p), p=p) for p in _softmax(z / T)])),
    "not from np.random.* or a generator of your own": _loop(
        lambda z, T, rng: _draw(_softmax(z / T), np.random.default_rng()) if T else z.argmax(-1)),
    "different seeds wrote the same ids": _loop(
        lambda z, T, rng: _draw(_softmax(z / T), np.random.default_rng(0)) if T else z.argmax(-1)),
    "greedy decoding (always the most likely id)": _loop(lambda z, T, rng: z.argmax(-1)),
    "sum to 1": _loop(lambda z, T, rng: z.argmax(-1) if T == 0 else _draw(_softmax(z / T, axis=0), rng)),
    "depend on the other rows": _loop(lambda z, T, rng: z.argmax(-1) if T == 0 else
                                      _inverse_cdf(_softmax(z / T, axis=0), rng)),
    "pass on the new state": _loop(_right, feed_state=False),
    "feed each sampled id back": _loop(_right, feed_logits=False),
    "temperature 0 should mean greedy": _loop(lambda z, T, rng: _draw(_softmax(z / max(T, 1e-9)), rng)
                                              if T else _draw(np.full_like(z, 1 / z.shape[1]), rng)),
    "without dividing by zero": _loop(lambda z, T, rng: _draw(_softmax(z / T), rng)),
    "transposed": lambda *args: reference_loop(*args).T,
    "expected (batch, n)": lambda *args: reference_loop(*args)[:, 1:],
    "not done yet": lambda *args: None,
}


def test_sample_loop_accepts_correct_loops(verdict):
    for fn in (reference_loop, inverse_cdf_loop, gumbel_loop):
        ok, out = verdict(nb06.sample_loop, fn)
        assert ok, (fn.__name__, out)


@pytest.mark.parametrize("message", list(WRONG_LOOPS))
def test_sample_loop_names_the_mistake(verdict, message):
    ok, out = verdict(nb06.sample_loop, WRONG_LOOPS[message])
    assert not ok and message in out, out


def test_sample_loop_leaves_the_global_random_state_alone(verdict):
    np.random.seed(7)
    expected = np.random.random()
    np.random.seed(7)
    verdict(nb06.sample_loop, reference_loop)
    assert np.random.random() == expected
