"""What the self-check tests (tests/test_check*_nbXX.py) share; the `verdict` fixture is in conftest.py."""


def rejected(verdict, check_fn, fn, words):
    """Assert that the check rejects ``fn`` with a FAIL line containing ``words``."""
    ok, out = verdict(check_fn, fn)
    assert not ok, f"a wrong answer passed: {out}"
    assert words in out, f"expected {words!r} in {out!r}"
    assert "FAIL" in out
