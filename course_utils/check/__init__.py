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

import numbers

import numpy as np

from .. import _validate as _args

__all__ = ["report", "claim", "solved", "compare_arrays", "call_safely", "call_for_result",
           "call_for_number", "strict_mode", "ClaimFailed", "verdicts"]

_VERDICTS: list[bool] = []   # every report() verdict in this kernel; the nbgrader edition's hidden tests read them


def verdicts() -> list[bool]:
    """Every verdict :func:`report` gave in this kernel, oldest first (a
    copy). The nbgrader edition's hidden tests assert on the ones its check
    cell added."""
    return list(_VERDICTS)


def strict_mode() -> bool:
    """True when COURSE_CHECK_STRICT is set (CI): a failed check or claim raises."""
    from .. import env_flag

    return env_flag("COURSE_CHECK_STRICT")


def _truth(func: str, arg: str, value) -> bool:
    """A verdict: True/False (NumPy's too, or a one-element boolean array, or 0/1).
    None, strings and many-element arrays are mistakes, not verdicts."""
    if isinstance(value, np.ndarray) and value.size == 1 and value.dtype == bool:
        return bool(value)
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, numbers.Integral) and int(value) in (0, 1):
        return bool(value)
    hint = ""
    if isinstance(value, np.ndarray):
        hint = " (reduce it to one verdict with .all() or .any())"
    elif value is None:
        hint = " (did the expression or the check return nothing?)"
    _args.fail(func, arg, _args.describe(value) + hint, "True or False")


def report(ok: bool, message: str) -> bool:
    """Print a one-line verdict (PASS/FAIL in words, so it reads without an
    emoji font) and return ``ok``. In strict mode a failure raises
    AssertionError so CI proves the shipped solutions pass."""
    ok = _truth("report", "ok", ok)
    _args.text("report", "message", message)
    print(("✅ PASS: " if ok else "❌ FAIL: ") + message)
    _VERDICTS.append(bool(ok))
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
    ok = _truth("claim", "condition", condition)
    _args.text("claim", "statement", statement)
    _args.text("claim", "otherwise", otherwise, allow_empty=True)
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
    ok = _truth("solved", "ok", ok)
    _args.text("solved", "exercise", exercise)
    if ok:
        return True
    print(f"⏭ skipped until {exercise} is solved (run its check cell above once it passes).")
    return False


def call_safely(fn, *args, **kwargs):
    """Call ``fn`` and return ``(value, None)``, or ``(None, message)`` when it
    raises, with the message phrased for a student (also when ``fn`` is not
    a function at all: a student may have assigned something else to the name)."""
    if not callable(fn):
        return None, f"it is not a function: the name holds {_args.describe(fn)}."
    try:
        return fn(*args, **kwargs), None
    except NotImplementedError:
        return None, "not written yet (it raises NotImplementedError)."
    except Exception as exc:  # a student's bug, reported rather than crashing the check
        return None, f"it raised {type(exc).__name__}: {exc}"


def call_for_result(fn, *args, name: str = "your function"):
    """Call a student's function. Returns ``(value, None)``, or ``(None,
    message)`` when it raised or returned None (not done yet)."""
    _args.text("call_for_result", "name", name)
    got, err = call_safely(fn, *args)
    if err:
        return None, f"{name}: {err}"
    if got is None:
        return None, f"{name} returned None: the exercise is not done yet (did you forget `return`?)."
    return got, None


def call_for_number(fn, *args, name: str = "your function", whole: bool = False):
    """Like :func:`call_for_result`, and also ``(None, message)`` when the
    result is not one finite number (a whole number if ``whole``): text such
    as "3", True/False, NaN, inf, 2.5 for a count and many-element arrays are
    reported, never converted."""
    _args.text("call_for_number", "name", name)
    whole = _args.boolean("call_for_number", "whole", whole)
    got, err = call_for_result(fn, *args, name=name)
    if err:
        return None, err
    kind = "a whole number" if whole else "a number"
    try:   # a Python or NumPy number, a one-element array or a scalar tensor; never text or True/False
        arr = None if isinstance(got, (str, bytes, bool, np.bool_)) else np.asarray(got)
    except Exception:  # noqa: BLE001 - whatever the student returned
        arr = None
    if arr is None or arr.dtype.kind not in "iuf" or arr.size != 1:
        return None, f"{name} should return {kind}, got {_args.describe(got)}."
    value = float(arr.reshape(()))
    if not np.isfinite(value):
        return None, (f"{name} returned {value}: look for a division by zero or the log of 0 "
                      f"(it should return {kind}).")
    if whole:
        if value != round(value):
            return None, f"{name} should return a whole number, got {value:g}."
        return int(round(value)), None
    return value, None


def compare_arrays(got, expected, name: str = "result", rtol: float = 1e-6, atol: float = 1e-8):
    """Compare a student's array with the reference. Returns ``(ok, message)``;
    the message names the kind of mistake, never the expected values.
    ``got`` is the student's (anything: its faults are the diagnosis);
    ``expected``, ``name``, ``rtol`` and ``atol`` are the check's own and are validated."""
    exp = _args.array("compare_arrays", "expected", expected, min_len=0,
                      shape_text="the reference: an array of finite numbers")
    _args.text("compare_arrays", "name", name)
    rtol = _args.number("compare_arrays", "rtol", rtol, 0)
    atol = _args.number("compare_arrays", "atol", atol, 0)
    if got is None:
        return False, f"{name} is None: the exercise is not done yet (did you forget `return`?)."
    try:
        raw = np.asarray(got)
        if raw.dtype.kind in "USO" and raw.dtype != object:
            raise TypeError("text")
        got_arr = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        return False, f"{name} should be numbers (an array), got {_args.describe(got)}."
    if got_arr.shape != exp.shape:
        if got_arr.ndim == 2 and got_arr.T.shape == exp.shape and np.allclose(got_arr.T, exp, rtol, atol):
            return False, f"{name} is transposed: shape {got_arr.shape}, expected {exp.shape}."
        if got_arr.size == exp.size and np.allclose(got_arr.reshape(exp.shape), exp, rtol, atol):
            return False, (f"{name} has the right numbers in the wrong shape {got_arr.shape}; "
                           f"expected shape {exp.shape}.")
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
    factor = _constant_factor(got_arr, exp, rtol, atol)
    if factor is not None:
        return False, (f"{name} is off by a constant factor: every entry is {factor[0]:.4g} times the right one"
                       f"{factor[1]}. Check a divisor or scale (the value you divide by, 1/2, 1/n, "
                       f"a learning rate).")
    diff = got_arr - exp
    if np.allclose(diff, diff.ravel()[0], rtol=0, atol=1e-9) and abs(diff.ravel()[0]) in (1.0,):
        return False, f"off-by-one in {name}: every entry is {int(diff.ravel()[0]):+d} from the answer."
    relative = np.max(np.abs(got_arr - exp)) / max(float(np.max(np.abs(exp))), 1e-12)   # to the array's scale
    if relative < 1e-4:
        return False, (f"{name} is within {relative:.1e} (relative) of the answer but not within the "
                       f"tolerance: float32 rounding, or a step done in a different order?")
    if np.allclose(got_arr, exp, rtol=1e-2, atol=1e-3):
        return False, (f"{name} is close (within 1%) but not right, and not by one constant factor: "
                       f"look for a small term added or left out.")
    wrong = int(np.sum(~np.isclose(got_arr, exp, rtol, atol)))
    return False, f"{name} differs from the reference in {wrong} of {exp.size} entries."


def _constant_factor(got: np.ndarray, exp: np.ndarray, rtol: float, atol: float):
    """``(factor, " (= p/q)" or "")`` when ``got`` is ``factor * exp`` for
    one factor other than 1 (however close to 1: 255/256 is 0.996), else None.
    Needs two or more non-zero reference entries."""
    flat_exp, flat_got = exp.ravel(), got.ravel()
    nz = np.abs(flat_exp) > max(atol, 1e-12)
    if nz.sum() < 2 or not np.allclose(flat_got[~nz], 0, atol=max(atol, 1e-12)):
        return None
    ratios = flat_got[nz] / flat_exp[nz]
    factor = float(np.median(ratios))
    if factor == 0 or not np.allclose(ratios, factor, rtol=1e-5, atol=0) or np.isclose(factor, 1, rtol=rtol, atol=0):
        return None
    from fractions import Fraction

    simple = Fraction(factor).limit_denominator(300)   # small ratios such as 255/256 or 1/2 are worth naming
    exact = simple.denominator > 1 and abs(float(simple) - factor) <= 1e-6 * abs(factor)
    return factor, f" (= {simple.numerator}/{simple.denominator})" if exact else ""
