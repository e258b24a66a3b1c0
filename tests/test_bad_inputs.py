"""Bad input to every public function of course_utils (data, plotting, the
generic check helpers, device and the package itself) gives a ValueError that
names the function, the argument, what it got and what it expects, before any
TensorFlow call (issue 16, point 7). One parametrised test per function.

The check helpers' student-facing inputs (a student's function, a student's
array) are diagnosed, not raised: those cases expect a returned message.

    .venv/bin/python tests/test_bad_inputs.py   # counts clear / unclear / silent outcomes
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import course_utils  # noqa: E402
from course_utils import check, data, device, plotting  # noqa: E402

NAN, INF = float("nan"), float("inf")


@dataclass
class Bad:
    """One bad input: ``call()`` makes the call; ``arg`` is the argument at
    fault. ``diagnosis``: for a student-facing input, words the returned
    message must contain (no exception expected). ``mentions``: text that
    identifies the bad value in a message (for counting older messages that
    quote the value without naming the argument)."""
    id: str
    arg: str
    call: Callable
    diagnosis: str | None = None
    mentions: str | None = None


def _ax():
    return plt.subplots()[1]


X4 = np.array([[0, 0], [1, 1], [0, 1], [1, 0]], float)
Y4 = [0, 1, 0, 0]
SCORE = lambda P: (P.sum(1) > 1).astype(float)  # noqa: E731
HIST = {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]}
IMGS = np.zeros((5, 28, 28))
K3 = [np.eye(3), -np.eye(3)]
MAPS = np.random.default_rng(0).random((8, 8, 4))
Y_TRUE, Y_PRED = np.array([0, 1, 2, 2, 1]), np.array([0, 1, 2, 1, 1])
EXP = np.array([[1.0, 2.0], [3.0, 4.0]])
PIXELS = np.arange(0, 256, 15, dtype=np.uint8).reshape(2, -1)


def _returns(value):
    return lambda *args: value


BAD: dict[str, list[Bad]] = {
    # ------------------------------------------------------------ course_utils
    "env_flag": [
        Bad("none", "name", lambda: course_utils.env_flag(None)),
        Bad("int", "name", lambda: course_utils.env_flag(42)),
        Bad("empty", "name", lambda: course_utils.env_flag("")),
        Bad("bytes", "name", lambda: course_utils.env_flag(b"COURSE_FAST")),
    ],
    "set_seeds": [
        Bad("none", "seed", lambda: course_utils.set_seeds(None)),
        Bad("text", "seed", lambda: course_utils.set_seeds("0")),
        Bad("negative", "seed", lambda: course_utils.set_seeds(-1)),
        Bad("too_large", "seed", lambda: course_utils.set_seeds(2**32)),
        Bad("fraction", "seed", lambda: course_utils.set_seeds(1.5)),
        Bad("bool", "seed", lambda: course_utils.set_seeds(True)),
    ],
    "setup_notebook": [
        Bad("int_id", "notebook", lambda: course_utils.setup_notebook(5)),
        Bad("empty_id", "notebook", lambda: course_utils.setup_notebook("")),
        Bad("tensorflow_text", "tensorflow", lambda: course_utils.setup_notebook("05", tensorflow="no")),
        Bad("seed_none", "seed", lambda: course_utils.setup_notebook("05", seed=None)),
        Bad("seed_negative", "seed", lambda: course_utils.setup_notebook("05", seed=-1)),
    ],
    # ------------------------------------------------------------ data
    "load_mnist": [
        Bad("verbose_text", "verbose", lambda: data.load_mnist(verbose="no")),
        Bad("verbose_none", "verbose", lambda: data.load_mnist(verbose=None)),
        Bad("verbose_int", "verbose", lambda: data.load_mnist(verbose=2)),
    ],
    "load_shakespeare": [
        Bad("verbose_text", "verbose", lambda: data.load_shakespeare(verbose="yes")),
        Bad("verbose_none", "verbose", lambda: data.load_shakespeare(verbose=None)),
        Bad("verbose_int", "verbose", lambda: data.load_shakespeare(verbose=0)),
    ],
    "logic_gate": [
        Bad("none", "name", lambda: data.logic_gate(None)),
        Bad("int", "name", lambda: data.logic_gate(3)),
        Bad("empty", "name", lambda: data.logic_gate(""), mentions="''"),
        Bad("unknown", "name", lambda: data.logic_gate("xnor"), mentions="'xnor'"),
        Bad("list", "name", lambda: data.logic_gate(["and"])),
    ],
    "make_blobs": [
        Bad("n_one", "n", lambda: data.make_blobs(n=1)),
        Bad("n_fraction", "n", lambda: data.make_blobs(n=2.5)),
        Bad("n_text", "n", lambda: data.make_blobs(n="100")),
        Bad("centers_zero", "centers", lambda: data.make_blobs(centers=0)),
        Bad("centers_fraction", "centers", lambda: data.make_blobs(centers=2.5)),
        Bad("noise_negative", "noise", lambda: data.make_blobs(noise=-1)),
        Bad("noise_nan", "noise", lambda: data.make_blobs(noise=NAN)),
        Bad("seed_negative", "seed", lambda: data.make_blobs(seed=-1)),
        Bad("seed_text", "seed", lambda: data.make_blobs(seed="a")),
    ],
    "make_moons": [
        Bad("n_zero", "n", lambda: data.make_moons(n=0)),
        Bad("n_fraction", "n", lambda: data.make_moons(n=3.7)),
        Bad("noise_negative", "noise", lambda: data.make_moons(noise=-0.1)),
        Bad("noise_inf", "noise", lambda: data.make_moons(noise=INF)),
        Bad("seed_fraction", "seed", lambda: data.make_moons(seed=1.5)),
    ],
    "make_spirals": [
        Bad("n_one", "n", lambda: data.make_spirals(n=1)),
        Bad("classes_zero", "classes", lambda: data.make_spirals(classes=0)),
        Bad("classes_negative", "classes", lambda: data.make_spirals(classes=-2)),
        Bad("classes_fraction", "classes", lambda: data.make_spirals(classes=2.5)),
        Bad("classes_more_than_points", "classes", lambda: data.make_spirals(n=30, classes=100)),
        Bad("noise_nan", "noise", lambda: data.make_spirals(noise=NAN)),
    ],
    "read_idx": [
        Bad("none", "path", lambda: data.read_idx(None)),
        Bad("float", "path", lambda: data.read_idx(12.5)),
        Bad("missing", "path", lambda: data.read_idx(Path(tempfile.gettempdir()) / "no-such-file-idx1-ubyte.gz")),
        Bad("folder", "path", lambda: data.read_idx(tempfile.gettempdir())),
    ],
    "is_writable": [
        Bad("none", "folder", lambda: data.is_writable(None)),
        Bad("int", "folder", lambda: data.is_writable(3)),
        Bad("empty", "folder", lambda: data.is_writable("")),
    ],
    # ------------------------------------------------------------ plotting
    "use_course_style": [
        Bad("text", "projector", lambda: plotting.use_course_style("yes")),
        Bad("dark_text", "dark", lambda: plotting.use_course_style(False, dark="no")),
        Bad("float", "projector", lambda: plotting.use_course_style(1.5)),
    ],
    "plot_decision_boundary": [
        Bad("predict_not_callable", "predict", lambda: plotting.plot_decision_boundary(np.zeros(3), X4, Y4)),
        Bad("predict_scores_2d", "predict",
            lambda: plotting.plot_decision_boundary(lambda P: np.c_[1 - SCORE(P), SCORE(P)], X4, Y4)),
        Bad("predict_nan", "predict", lambda: plotting.plot_decision_boundary(lambda P: P[:, 0] * NAN, X4, Y4)),
        Bad("X_nan", "X", lambda: plotting.plot_decision_boundary(SCORE, np.where(X4 > 0, NAN, 0), Y4)),
        Bad("X_three_columns", "X", lambda: plotting.plot_decision_boundary(SCORE, np.zeros((4, 3)), Y4)),
        Bad("X_empty", "X", lambda: plotting.plot_decision_boundary(SCORE, np.zeros((0, 2)), [])),
        Bad("X_text", "X", lambda: plotting.plot_decision_boundary(SCORE, "points", Y4)),
        Bad("y_too_short", "y", lambda: plotting.plot_decision_boundary(SCORE, X4, [0, 1, 0])),
        Bad("y_negative", "y", lambda: plotting.plot_decision_boundary(SCORE, X4, [0, 1, -1, 0])),
        Bad("y_fraction", "y", lambda: plotting.plot_decision_boundary(SCORE, X4, [0, 1, 0.5, 0])),
        Bad("resolution_zero", "resolution", lambda: plotting.plot_decision_boundary(SCORE, X4, Y4, resolution=0)),
        Bad("resolution_fraction", "resolution",
            lambda: plotting.plot_decision_boundary(SCORE, X4, Y4, resolution=1.5)),
        Bad("padding_negative", "padding", lambda: plotting.plot_decision_boundary(SCORE, X4, Y4, padding=-10)),
        Bad("padding_nan", "padding", lambda: plotting.plot_decision_boundary(SCORE, X4, Y4, padding=NAN)),
        Bad("ax_text", "ax", lambda: plotting.plot_decision_boundary(SCORE, X4, Y4, ax="left")),
        Bad("title_int", "title", lambda: plotting.plot_decision_boundary(SCORE, X4, Y4, title=5)),
    ],
    "plot_history": [
        Bad("none", "history", lambda: plotting.plot_history(None)),
        Bad("list", "history", lambda: plotting.plot_history([1, 2, 3])),
        Bad("empty_dict", "history", lambda: plotting.plot_history({})),
        Bad("empty_curve", "history", lambda: plotting.plot_history({"loss": []})),
        Bad("val_length", "history", lambda: plotting.plot_history({"loss": [1, 2], "val_loss": [1]})),
        Bad("text_curve", "history", lambda: plotting.plot_history({"loss": "abc"})),
        Bad("metrics_empty", "metrics", lambda: plotting.plot_history(HIST, metrics=[])),
        Bad("metrics_unknown", "metrics", lambda: plotting.plot_history(HIST, metrics=["acc"])),
        Bad("metrics_int", "metrics", lambda: plotting.plot_history(HIST, metrics=5)),
        Bad("axes_too_few", "axes", lambda: plotting.plot_history(HIST, axes=[_ax()])),
        Bad("label_int", "label", lambda: plotting.plot_history(HIST, label=3)),
    ],
    "plot_image_grid": [
        Bad("one_flat_image", "images", lambda: plotting.plot_image_grid(np.zeros(784))),
        Bad("flat_images", "images", lambda: plotting.plot_image_grid(np.zeros((5, 784)))),
        Bad("no_images", "images", lambda: plotting.plot_image_grid(np.zeros((0, 28, 28)))),
        Bad("nan_pixels", "images", lambda: plotting.plot_image_grid(np.full((2, 28, 28), NAN))),
        Bad("two_channels", "images", lambda: plotting.plot_image_grid(np.zeros((5, 28, 28, 2)))),
        Bad("labels_too_few", "labels", lambda: plotting.plot_image_grid(IMGS, labels=[1, 2, 3])),
        Bad("predictions_too_few", "predictions",
            lambda: plotting.plot_image_grid(IMGS, labels=[1, 2, 3, 4, 5], predictions=[1, 2, 3, 4])),
        Bad("ncols_zero", "ncols", lambda: plotting.plot_image_grid(IMGS, ncols=0)),
        Bad("ncols_negative", "ncols", lambda: plotting.plot_image_grid(IMGS, ncols=-1)),
        Bad("ncols_fraction", "ncols", lambda: plotting.plot_image_grid(IMGS, ncols=2.5)),
        Bad("cmap_unknown", "cmap", lambda: plotting.plot_image_grid(IMGS, cmap="greyy")),
    ],
    "plot_kernels": [
        Bad("none", "kernels", lambda: plotting.plot_kernels(None)),
        Bad("empty", "kernels", lambda: plotting.plot_kernels([])),
        Bad("one_dimensional", "kernels", lambda: plotting.plot_kernels([np.ones(3)])),
        Bad("keras_4d_weights", "kernels", lambda: plotting.plot_kernels(np.ones((3, 3, 1, 4)))),
        Bad("nan_kernel", "kernels", lambda: plotting.plot_kernels([np.full((3, 3), NAN)])),
        Bad("titles_too_few", "titles", lambda: plotting.plot_kernels(K3, titles=["a"])),
        Bad("annotate_text", "annotate", lambda: plotting.plot_kernels(K3, annotate="yes")),
        Bad("cmap_int", "cmap", lambda: plotting.plot_kernels(K3, cmap=3)),
    ],
    "plot_feature_maps": [
        Bad("two_dimensional", "maps", lambda: plotting.plot_feature_maps(np.zeros((8, 8)))),
        Bad("batch_of_five", "maps", lambda: plotting.plot_feature_maps(np.zeros((5, 8, 8, 4)))),
        Bad("no_channels", "maps", lambda: plotting.plot_feature_maps(np.zeros((8, 8, 0)))),
        Bad("nan_maps", "maps", lambda: plotting.plot_feature_maps(np.full((8, 8, 2), NAN))),
        Bad("ncols_zero", "ncols", lambda: plotting.plot_feature_maps(MAPS, ncols=0)),
        Bad("ncols_negative", "ncols", lambda: plotting.plot_feature_maps(MAPS, ncols=-2)),
        Bad("title_int", "title", lambda: plotting.plot_feature_maps(MAPS, title=5)),
    ],
    "plot_confusion_matrix": [
        Bad("label_minus_one", "y_true", lambda: plotting.plot_confusion_matrix([0, 1, -1, 2], [0, 1, 2, 2])),
        Bad("pred_scores_2d", "y_pred",
            lambda: plotting.plot_confusion_matrix(Y_TRUE, np.eye(3)[Y_PRED] * 0.9)),
        Bad("pred_fraction", "y_pred", lambda: plotting.plot_confusion_matrix(Y_TRUE, [0, 1, 2.7, 1, 1])),
        Bad("one_true_label", "y_pred", lambda: plotting.plot_confusion_matrix([1], Y_PRED)),
        Bad("length_mismatch", "y_pred", lambda: plotting.plot_confusion_matrix(Y_TRUE, Y_PRED[:3])),
        Bad("label_beyond_names", "y_true",
            lambda: plotting.plot_confusion_matrix([0, 5, 1], [0, 1, 1], class_names=["a", "b", "c"])),
        Bad("nan_label", "y_true", lambda: plotting.plot_confusion_matrix([0, NAN, 1], [0, 1, 1])),
        Bad("empty", "y_true", lambda: plotting.plot_confusion_matrix([], [])),
        Bad("names_text", "class_names", lambda: plotting.plot_confusion_matrix(Y_TRUE, Y_PRED, class_names="abc")),
        Bad("ax_int", "ax", lambda: plotting.plot_confusion_matrix(Y_TRUE, Y_PRED, ax=5)),
    ],
    # ------------------------------------------------------------ check (generic helpers)
    "report": [
        Bad("ok_none", "ok", lambda: check.report(None, "x")),
        Bad("ok_text", "ok", lambda: check.report("False", "x")),
        Bad("ok_array", "ok", lambda: check.report(np.array([True, False]), "x")),
        Bad("ok_int", "ok", lambda: check.report(2, "x")),
        Bad("message_none", "message", lambda: check.report(True, None)),
        Bad("message_empty", "message", lambda: check.report(True, "")),
    ],
    "claim": [
        Bad("condition_none", "condition", lambda: check.claim(None, "it holds")),
        Bad("condition_text", "condition", lambda: check.claim("False", "it holds")),
        Bad("condition_array", "condition", lambda: check.claim(np.array([1, 0]) > 0, "it holds")),
        Bad("condition_float", "condition", lambda: check.claim(0.5, "it holds")),
        Bad("statement_none", "statement", lambda: check.claim(True, None)),
        Bad("statement_empty", "statement", lambda: check.claim(True, "")),
        Bad("otherwise_int", "otherwise", lambda: check.claim(True, "it holds", 3)),
    ],
    "solved": [
        Bad("arguments_swapped", "ok", lambda: check.solved("Your turn 2", True)),
        Bad("ok_none", "ok", lambda: check.solved(None, "Your turn 2")),
        Bad("exercise_none", "exercise", lambda: check.solved(True, None)),
        Bad("exercise_int", "exercise", lambda: check.solved(False, 2)),
    ],
    "call_safely": [
        Bad("fn_none", "fn", lambda: check.call_safely(None), diagnosis="not a function"),
        Bad("fn_int", "fn", lambda: check.call_safely(3), diagnosis="not a function"),
        Bad("fn_array", "fn", lambda: check.call_safely(np.zeros(3)), diagnosis="not a function"),
    ],
    "call_for_result": [
        Bad("fn_none", "fn", lambda: check.call_for_result(None, name="f"), diagnosis="not a function"),
        Bad("name_none", "name", lambda: check.call_for_result(_returns(1), name=None)),
        Bad("name_empty", "name", lambda: check.call_for_result(_returns(1), name="")),
        Bad("name_int", "name", lambda: check.call_for_result(_returns(1), name=3)),
    ],
    "call_for_number": [
        Bad("returns_text", "fn", lambda: check.call_for_number(_returns("3"), name="f"),
            diagnosis="should return a number"),
        Bad("returns_bool", "fn", lambda: check.call_for_number(_returns(True), name="f"),
            diagnosis="should return a number"),
        Bad("returns_inf_whole", "fn", lambda: check.call_for_number(_returns(INF), name="f", whole=True),
            diagnosis="returned inf"),
        Bad("returns_nan_whole", "fn", lambda: check.call_for_number(_returns(NAN), name="f", whole=True),
            diagnosis="returned nan"),
        Bad("returns_nan", "fn", lambda: check.call_for_number(_returns(NAN), name="f"), diagnosis="returned nan"),
        Bad("returns_fraction_whole", "fn", lambda: check.call_for_number(_returns(2.7), name="f", whole=True),
            diagnosis="whole number, got 2.7"),
        Bad("returns_array", "fn", lambda: check.call_for_number(_returns(np.array([1.0, 2.0])), name="f"),
            diagnosis="should return a number"),
        Bad("whole_text", "whole", lambda: check.call_for_number(_returns(3), name="f", whole="yes")),
        Bad("name_none", "name", lambda: check.call_for_number(_returns(3), name=None)),
    ],
    "compare_arrays": [
        Bad("got_text", "got", lambda: check.compare_arrays([["1", "2"], ["3", "4"]], EXP),
            diagnosis="should be numbers"),
        Bad("got_divided_by_256", "got",
            lambda: check.compare_arrays(PIXELS.astype(np.float32) / 256, PIXELS.astype(np.float32) / 255),
            diagnosis="constant factor"),
        Bad("expected_none", "expected", lambda: check.compare_arrays(EXP, None)),
        Bad("expected_nan", "expected", lambda: check.compare_arrays(EXP, EXP * NAN)),
        Bad("expected_text", "expected", lambda: check.compare_arrays(EXP, "EXP")),
        Bad("rtol_negative", "rtol", lambda: check.compare_arrays(EXP, EXP + 1, rtol=-1)),
        Bad("atol_nan", "atol", lambda: check.compare_arrays(EXP, EXP, atol=NAN)),
        Bad("name_int", "name", lambda: check.compare_arrays(EXP, EXP, name=5)),
    ],
    # ------------------------------------------------------------ device
    "setup_device": [
        Bad("mixed_precision_text", "mixed_precision", lambda: device.setup_device(mixed_precision="no")),
        Bad("mixed_precision_none", "mixed_precision", lambda: device.setup_device(mixed_precision=None)),
        Bad("mixed_precision_int", "mixed_precision", lambda: device.setup_device(mixed_precision=1)),
        Bad("verbose_text", "verbose", lambda: device.setup_device(verbose="yes")),
        Bad("verbose_none", "verbose", lambda: device.setup_device(verbose=None)),
    ],
}

# Public functions without arguments to check, and why.
NOTHING_TO_CHECK = {
    "fast_mode": "no arguments", "pick": "any two values are valid", "strict_mode": "no arguments",
    "data_dir": "no arguments", "load_photo": "no arguments", "dataset_status": "no arguments",
    "load_mnist_5k": "no arguments", "describe_data_dir": "no arguments", "size_scale": "no arguments",
    "use_projector_style": "no arguments", "use_dark_style": "the same argument as use_course_style",
    "device_report": "no arguments",
    "print_device_report": "no arguments", "verdicts": "no arguments", "quiet_tensorflow_logs": "no arguments",
}
MODULES = (course_utils, data, plotting, check, device)


@pytest.fixture(autouse=True)
def _offline_empty_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.delenv("COURSE_CHECK_STRICT", raising=False)
    yield
    plt.close("all")


def _assert_clear(function: str, case: Bad) -> None:
    if case.diagnosis is not None:        # a student's input: diagnosed in the returned message
        value, message = case.call()
        assert value in (None, False) and case.diagnosis in message, (value, message)
        return
    with pytest.raises(ValueError) as caught:
        case.call()
    message = str(caught.value)
    # "plot_kernels(): kernels[0] got ...": the argument, or the part of it at fault
    assert re.match(rf"{function}\(\): {case.arg}(\[[^\]]*\])? got ", message), message
    assert "; expected " in message and len(message) < 400, message


def _test_for(function: str, cases: list[Bad]):
    @pytest.mark.parametrize("case", cases, ids=[c.id for c in cases])
    def test(case):
        _assert_clear(function, case)

    test.__name__ = f"test_{function}_rejects_bad_input"
    test.__doc__ = f"Bad input to {function}() gives a clear ValueError (or a diagnosis for a student's input)."
    return test


for _function, _cases in BAD.items():
    globals()[f"test_{_function}_rejects_bad_input"] = _test_for(_function, _cases)


def test_every_public_function_has_bad_input_cases():
    public = {name for module in MODULES for name in getattr(module, "__all__", [])
              if callable(getattr(module, name)) and not isinstance(getattr(module, name), type)}
    public.add("is_writable")
    missing = public - set(BAD) - set(NOTHING_TO_CHECK)
    assert not missing, f"public functions without bad-input cases: {sorted(missing)}"


def test_arguments_are_checked_before_tensorflow_is_imported():
    import subprocess

    code = ("import sys\nfrom course_utils import setup_notebook, device\n"
            "for call in (lambda: setup_notebook('05', tensorflow=True, seed='x'),\n"
            "             lambda: device.setup_device(mixed_precision='no')):\n"
            "    try:\n        call()\n    except ValueError as exc:\n        print(exc)\n"
            "print('tensorflow' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "False" and "seed got 'x'" in out and "mixed_precision got 'no'" in out


def test_an_environment_flag_it_does_not_understand_is_said_once(monkeypatch, capsys):
    monkeypatch.setenv("COURSE_FAST", "ture")
    monkeypatch.setattr(course_utils, "_said", set())
    assert not course_utils.fast_mode() and not course_utils.fast_mode()
    out = capsys.readouterr().out
    assert out.count("COURSE_FAST='ture' is not understood") == 1


# ---------------------------------------------------------------- the figures for the report

def classify(function: str, case: Bad) -> str:
    """"clear", "unclear" or "silent" (no error: the bad input was accepted)."""
    try:
        result = case.call()
    except Exception as exc:  # noqa: BLE001 - classifying whatever happened
        if case.diagnosis is not None:
            return "unclear"            # a check that crashes on a student's input
        frames = traceback.extract_tb(exc.__traceback__)
        ours = bool(frames) and "course_utils" in frames[-1].filename
        message = str(exc)
        named = (re.search(rf"\b{re.escape(case.arg)}\b", message) or function in message
                 or (case.mentions is not None and case.mentions in message))
        return "clear" if isinstance(exc, (ValueError, TypeError)) and ours and named else "unclear"
    finally:
        plt.close("all")
    if case.diagnosis is not None:
        value, message = result
        if value in (None, False):
            return "clear" if case.diagnosis in (message or "") else "unclear"
    return "silent"


def main() -> None:
    os.environ.update(COURSE_OFFLINE="1", COURSE_DATA_DIR=tempfile.mkdtemp(prefix="bad-inputs-"))
    os.environ.pop("COURSE_CHECK_STRICT", None)
    totals = {"clear": 0, "unclear": 0, "silent": 0}
    for function, cases in BAD.items():
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            outcomes = [classify(function, case) for case in cases]
        for outcome in outcomes:
            totals[outcome] += 1
        bad = [f"{c.id}={o}" for c, o in zip(cases, outcomes) if o != "clear"]
        print(f"{function:24s} {len(cases):2d} inputs  " + (", ".join(bad) if bad else "all clear"))
    n = sum(totals.values())
    print(f"\n{n} bad inputs to {len(BAD)} functions: {totals['clear']} clear errors, "
          f"{totals['unclear']} unclear errors, {totals['silent']} silently accepted")


if __name__ == "__main__":
    main()
