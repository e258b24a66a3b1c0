"""Generic machinery for the "your turn" self-checks, and for claims about results.

Each notebook's own checks live in ``course_utils.check.nbXX``; they call the
student's code on test cases, compare with a hidden reference and explain what
is wrong without revealing the answer. Every check returns a bool.

``claim`` states what a notebook's own experiment shows (PASS in CI, a warning
with the explanation in a student's run); ``solved`` gates the cells that use
an exercise's answer, so that a student edition with unsolved exercises still
runs to the end.
"""
from __future__ import annotations

import numpy as np

__all__ = ["report", "claim", "solved", "compare_arrays", "call_safely", "call_for_result",
           "call_for_number", "strict_mode", "ClaimFailed"]


def strict_mode() -> bool:
    """True when COURSE_CHECK_STRICT is set (CI): a failed check or claim raises."""
    from .. import env_flag

    return env_flag("COURSE_CHECK_STRICT")


def report(ok: bool, message: str) -> bool:
    """Print a one-line verdict (PASS/FAIL in words, so it reads without an
    emoji font) and return ``ok``. In strict mode a failure raises
    AssertionError so CI proves the shipped solutions pass."""
    print(("✅ PASS: " if ok else "❌ FAIL: ") + message)
    if not ok and strict_mode():
        raise AssertionError(message)
    return bool(ok)


class ClaimFailed(AssertionError):
    """A notebook's claim about its own result did not hold (raised in CI)."""


def claim(condition, statement: str, otherwise: str = "") -> bool:
    """State a result the notebook just computed, as a sentence.

    ``statement`` says what should hold ("ReLU trains faster than sigmoid
    here"); ``otherwise`` says what it means if it does not. Prints
    ``PASS: statement``. When it fails: in CI (strict mode) raises
    :class:`ClaimFailed` so a changed result cannot leave a false sentence; in
    a student's run prints ``NOT SHOWN: statement`` with the explanation and
    carries on. Returns the truth value."""
    ok = bool(condition)
    if ok:
        print(f"PASS: {statement}")
        return True
    message = f"NOT SHOWN in this run: {statement}" + (f" ({otherwise})" if otherwise else "")
    if strict_mode():
        raise ClaimFailed(message)
    print(f"⚠️ {message}")
    return False


def solved(ok, exercise: str) -> bool:
    """Gate for a cell that uses an exercise's answer: ``if solved(ok, "Your turn 2"):``.
    ``ok`` is what the exercise's check returned. Returns True when it
    passed; otherwise prints one line ("skipped until Your turn 2 is
    solved") and returns False, so Run All reaches the end of a student
    edition with unsolved exercises."""
    if ok:
        return True
    print(f"⏭ skipped until {exercise} is solved (run its check cell above once it passes).")
    return False


def call_safely(fn, *args, **kwargs):
    """Call ``fn`` and return ``(value, None)``, or ``(None, message)`` when it
    raises, with the message phrased for a student."""
    try:
        return fn(*args, **kwargs), None
    except NotImplementedError:
        return None, "not written yet (it raises NotImplementedError)."
    except Exception as exc:  # a student's bug, reported rather than crashing the check
        return None, f"it raised {type(exc).__name__}: {exc}"


def call_for_result(fn, *args, name: str = "your function"):
    """Call a student's function. Returns ``(value, None)``, or ``(None,
    message)`` when it raised or returned None (not done yet)."""
    got, err = call_safely(fn, *args)
    if err:
        return None, f"{name}: {err}"
    if got is None:
        return None, f"{name} returned None: the exercise is not done yet (did you forget `return`?)."
    return got, None


def call_for_number(fn, *args, name: str = "your function", whole: bool = False):
    """Like :func:`call_for_result`, and also ``(None, message)`` when the
    result is not a number."""
    got, err = call_for_result(fn, *args, name=name)
    if err:
        return None, err
    kind = "a whole number" if whole else "a number"
    try:
        return (int(got) if whole else float(got)), None
    except OverflowError:   # int(inf)
        return None, f"{name} returned {got}, not {kind}."
    except (TypeError, ValueError):
        if whole and isinstance(got, (float, np.floating)) and np.isnan(got):
            return None, f"{name} returned NaN, not {kind}."
        return None, f"{name} should return {kind}, got {type(got).__name__}."


def compare_arrays(got, expected, name: str = "result", rtol: float = 1e-6, atol: float = 1e-8):
    """Compare a student's array with the reference. Returns ``(ok, message)``;
    the message names the kind of mistake, never the expected values."""
    if got is None:
        return False, f"{name} is None: the exercise is not done yet (did you forget `return`?)."
    try:
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False, f"{name} should be numbers (an array), got {type(got).__name__}."
    exp = np.asarray(expected, dtype=float)
    if got_arr.shape != exp.shape:
        if got_arr.ndim == 2 and got_arr.T.shape == exp.shape and np.allclose(got_arr.T, exp, rtol, atol):
            return False, f"{name} is transposed: shape {got_arr.shape}, expected {exp.shape}."
        if got_arr.size == exp.size and np.allclose(got_arr.reshape(exp.shape), exp, rtol, atol):
            return False, f"{name} has the right numbers in the wrong shape {got_arr.shape}; expected shape {exp.shape}."
        return False, f"shape mismatch in {name}: got {got_arr.shape}, expected {exp.shape}."
    if not np.all(np.isfinite(got_arr)):
        return False, f"{name} contains NaN or inf values."
    if np.allclose(got_arr, exp, rtol, atol):
        return True, f"{name} is correct."
    if np.any(exp != 0) and np.allclose(got_arr, -exp, rtol, atol):
        return False, f"sign error: {name} has the right size but the opposite sign."
    if exp.ndim == 2 and exp.shape[0] == exp.shape[1] and np.allclose(got_arr, exp.T, rtol, atol):
        return False, f"{name} is transposed (rows and columns swapped)."
    if np.allclose(got_arr, exp[::-1, ::-1] if exp.ndim == 2 else exp[::-1], rtol, atol) and exp.ndim in (1, 2):
        return False, f"{name} is flipped: check the order (a kernel flip? reversed indices?)."
    flat_exp, flat_got = exp.ravel(), got_arr.ravel()
    nz = np.abs(flat_exp) > atol
    if nz.any():
        ratios = flat_got[nz] / flat_exp[nz]
        if np.allclose(ratios, ratios[0], rtol=1e-6) and np.allclose(flat_got[~nz], 0, atol=atol) and abs(ratios[0] - 1) > 0.01 and ratios[0] != 0:
            return False, f"{name} is off by a constant factor ({ratios[0]:.3g}x): check a scale such as 1/2, 1/n or a learning rate."
    diff = got_arr - exp
    if np.allclose(diff, diff.ravel()[0], rtol=0, atol=1e-9) and abs(diff.ravel()[0]) in (1.0,):
        return False, f"off-by-one in {name}: every entry is {int(diff.ravel()[0]):+d} from the answer."
    if np.allclose(got_arr, exp, rtol=1e-2, atol=1e-3):
        return False, f"{name} is close but not exact (within 1%): a rounding or float32/float64 issue?"
    wrong = int(np.sum(~np.isclose(got_arr, exp, rtol, atol)))
    return False, f"{name} differs from the reference in {wrong} of {exp.size} entries."
