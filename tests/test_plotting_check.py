import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import check, plotting


def teardown_function():
    plt.close("all")


def test_styles_switch_sizes():
    plotting.use_projector_style()
    big = plt.rcParams["font.size"], plt.rcParams["lines.linewidth"]
    plotting.use_course_style()
    assert big[0] > plt.rcParams["font.size"] and big[1] > plt.rcParams["lines.linewidth"]


def test_decision_boundary_draws_regions():
    X = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], float)
    fig = plotting.plot_decision_boundary(lambda P: (P.sum(1) > 1).astype(float), X, [0, 1, 0, 0], resolution=30)
    assert fig.axes and fig.axes[0].collections
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plotting.plot_decision_boundary(lambda P: P[:, 0], np.zeros((4, 3)), [0, 1, 0, 1])


def test_history_grid_kernels_maps_confusion():
    fig = plotting.plot_history({"loss": [1, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    with pytest.raises(ValueError, match="metrics"):
        plotting.plot_history({"mae": [1]})
    fig = plotting.plot_image_grid(np.zeros((5, 28, 28)), labels=[1, 2, 3, 4, 5], predictions=[1, 2, 0, 4, 5], ncols=5)
    # a wrong prediction in vermillion (colour-blind safe), a right one in the text colour
    assert fig.axes[2].title.get_color() == plotting.OKABE_ITO[3] and fig.axes[0].title.get_color() == "black"
    fig = plotting.plot_kernels([np.eye(3), -np.eye(3)], titles=["a", "b"])
    assert len(fig.axes) == 2 and fig.axes[0].texts
    fig = plotting.plot_feature_maps(np.random.rand(8, 8, 5), ncols=3)
    assert sum(len(ax.images) for ax in fig.axes) == 5
    fig = plotting.plot_confusion_matrix([0, 1, 1, 2], [0, 1, 2, 2])
    assert fig.axes[0].images[0].get_array().sum() == 4


def test_compare_arrays_explains_mistakes():
    exp = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert check.compare_arrays(exp.copy(), exp, "w")[0]
    cases = {"None": None, "shape mismatch": np.ones(3), "sign error": -exp, "transposed": exp.T,
             "constant factor": 2 * exp, "off-by-one": exp + 1, "close (within 1%)": exp + [[0, 0], [0, 0.01]],
             "float32 rounding": exp + [[0, 0], [0, 1e-5]]}
    for words, got in cases.items():
        ok, msg = check.compare_arrays(got, exp, "w")
        assert not ok and words in msg, (words, msg)
        assert "1.0" not in msg and "[[" not in msg, "a diagnosis must not reveal the answer"


def test_compare_arrays_names_a_wrong_divisor_as_a_constant_factor():
    """Dividing pixels by 256 instead of 255 is off by 255/256 everywhere: a
    constant factor, not a float32/float64 issue (issue 17, point 7)."""
    pixels = np.arange(0, 256, 15, dtype=np.uint8).reshape(2, -1)
    expected = pixels.astype(np.float32) / 255
    for got in (pixels.astype(np.float32) / 256, pixels / 256.0, pixels / 256):
        ok, msg = check.compare_arrays(got, expected, "the scaled images", rtol=1e-6, atol=1e-7)
        assert not ok and "constant factor" in msg and "255/256" in msg, msg
        assert "float32" not in msg
    ok, msg = check.compare_arrays(pixels / 127.5 - 1, expected, "the scaled images")
    assert not ok and "constant factor" not in msg      # a shift, not a factor
    ok, msg = check.compare_arrays(expected.astype(np.float64), expected, "the scaled images")
    assert ok, msg


def test_report_and_strict_mode(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_CHECK_STRICT", raising=False)
    assert check.report(False, "nope") is False
    assert "❌ FAIL: nope" in capsys.readouterr().out
    monkeypatch.setenv("COURSE_CHECK_STRICT", "1")
    with pytest.raises(AssertionError):
        check.report(False, "nope")
    assert check.report(True, "fine")


def test_call_safely():
    def not_done():
        raise NotImplementedError

    assert check.call_safely(lambda x: x + 1, 1) == (2, None)
    assert "not written yet" in check.call_safely(not_done)[1]
    assert "ZeroDivisionError" in check.call_safely(lambda: 1 / 0)[1]


def test_call_for_number():
    assert check.call_for_number(lambda a, b: a * b, 3, 4, name="f", whole=True) == (12, None)
    # NumPy scalars, one-element arrays and whole floats are numbers a student may return
    assert check.call_for_number(lambda: np.int64(7), name="f", whole=True) == (7, None)
    assert check.call_for_number(lambda: np.array([0.25]), name="f") == (0.25, None)
    assert check.call_for_number(lambda: 12.0, name="f", whole=True) == (12, None)
    assert "not done yet" in check.call_for_number(lambda: None, name="f")[1]
    assert "whole number" in check.call_for_number(lambda: "x", name="f", whole=True)[1]
    assert "ZeroDivisionError" in check.call_for_number(lambda: 1 / 0, name="f")[1]


def test_nb00_checks_name_the_mistake(monkeypatch, capsys):
    from course_utils.check import nb00

    monkeypatch.delenv("COURSE_CHECK_STRICT", raising=False)

    def verdict(check_fn, fn):
        ok = check_fn(fn)
        return ok, capsys.readouterr().out

    assert verdict(nb00.scale_pixels, lambda x: x.astype(np.float32) / 255)[0]
    assert "integers" in verdict(nb00.scale_pixels, lambda x: x // 255)[1]
    assert "float32" in verdict(nb00.scale_pixels, lambda x: x / 255.0)[1]
    assert "maximum" in verdict(nb00.scale_pixels, lambda x: (x / x.max()).astype(np.float32))[1]

    def one_hot_right(labels, n):
        return np.eye(n)[labels]

    assert verdict(nb00.one_hot, one_hot_right)[0]
    assert "off-by-one" in verdict(nb00.one_hot, lambda labels, n: np.eye(n)[labels - 1])[1]
    assert "transposed" in verdict(nb00.one_hot, lambda labels, n: np.eye(n)[labels].T)[1]
    assert "n_classes" in verdict(nb00.one_hot, lambda labels, n: np.eye(10)[labels])[1]

    assert verdict(nb00.accuracy, lambda s, y: np.mean(s.argmax(1) == y))[0]
    assert "number of correct" in verdict(nb00.accuracy, lambda s, y: np.sum(s.argmax(1) == y))[1]
    assert "percentage" in verdict(nb00.accuracy, lambda s, y: 100 * np.mean(s.argmax(1) == y))[1]
    assert "not done yet" in verdict(nb00.accuracy, lambda s, y: None)[1]


def test_call_for_result():
    assert check.call_for_result(lambda a: [a], 3, name="f") == ([3], None)
    assert "f returned None" in check.call_for_result(lambda: None, name="f")[1]
    assert "f: it raised ZeroDivisionError" in check.call_for_result(lambda: 1 / 0, name="f")[1]


def test_claim_passes_warns_or_raises(monkeypatch, capsys):
    monkeypatch.delenv("COURSE_CHECK_STRICT", raising=False)
    assert check.claim(True, "it holds")
    assert "PASS: it holds" in capsys.readouterr().out
    assert not check.claim(False, "it holds", "the run was too short")
    out = capsys.readouterr().out
    assert "NOT SHOWN" in out and "the run was too short" in out
    monkeypatch.setenv("COURSE_CHECK_STRICT", "1")
    with pytest.raises(check.ClaimFailed, match="the run was too short"):
        check.claim(False, "it holds", "the run was too short")


def test_solved_gate(capsys):
    assert check.solved(True, "Your turn 1")
    assert not check.solved(False, "Your turn 2")
    assert "skipped until Your turn 2 is solved" in capsys.readouterr().out
