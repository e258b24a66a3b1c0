"""The self-checks of notebook 00: the reference passes, a correct answer written
differently passes, and typical wrong answers get the message meant for them."""
import numpy as np
from checking import rejected  # tests/checking.py

from course_utils import check
from course_utils.check import nb00


def test_scale_pixels(verdict):
    assert verdict(nb00.scale_pixels, lambda x: x.astype(np.float32) / 255)[0]
    assert verdict(nb00.scale_pixels, lambda x: np.divide(x, np.float32(255), dtype=np.float32))[0]   # written differently
    assert verdict(nb00.scale_pixels, lambda x: (x / 255.0).astype("float32"))[0]
    rejected(verdict, nb00.scale_pixels, lambda x: x // 255, "integers")
    rejected(verdict, nb00.scale_pixels, lambda x: x / 255.0, "float32")
    rejected(verdict, nb00.scale_pixels, lambda x: (x / x.max()).astype(np.float32), "maximum")
    rejected(verdict, nb00.scale_pixels, lambda x: (x / 256).astype(np.float32), "256")
    rejected(verdict, nb00.scale_pixels, lambda x: (x.reshape(-1, 28, 28) / 255).astype(np.float32), "shape")   # hard-coded 28x28
    rejected(verdict, nb00.scale_pixels, lambda x: (x / 127.5 - 1).astype(np.float32), "[-1, 1]")

    def in_place(x):
        x[...] = x // 2
        return (x / 255).astype(np.float32)
    rejected(verdict, nb00.scale_pixels, in_place, "changed the images")
    rejected(verdict, nb00.scale_pixels, lambda x: None, "not done yet")


def test_one_hot(verdict):
    assert verdict(nb00.one_hot, lambda labels, n: np.eye(n)[labels])[0]
    assert verdict(nb00.one_hot, lambda labels, n: (np.arange(n) == np.asarray(labels)[:, None]).astype(int))[0]
    rejected(verdict, nb00.one_hot, lambda labels, n: np.eye(n)[labels - 1], "off-by-one")
    rejected(verdict, nb00.one_hot, lambda labels, n: np.eye(n)[labels].T, "transposed")
    rejected(verdict, nb00.one_hot, lambda labels, n: np.eye(10)[labels], "n_classes")          # hard-coded 10
    rejected(verdict, nb00.one_hot, lambda labels, n: np.eye(labels.max() + 1)[labels], "largest label")
    rejected(verdict, nb00.one_hot, lambda labels, n: np.eye(n)[labels].sum(axis=0), "shape")   # summed rows
    rejected(verdict, nb00.one_hot, lambda labels, n: np.eye(n)[labels] * 2, "exactly one 1")
    rejected(verdict, nb00.one_hot, lambda labels, n: np.eye(n)[labels].ravel() if len(labels) == 1 else np.eye(n)[labels],
             "single label")


def test_accuracy(verdict):
    assert verdict(nb00.accuracy, lambda s, y: np.mean(s.argmax(1) == y))[0]
    assert verdict(nb00.accuracy, lambda s, y: sum(int(np.argmax(r) == t) for r, t in zip(s, y)) / len(y))[0]
    rejected(verdict, nb00.accuracy, lambda s, y: np.sum(s.argmax(1) == y), "number of correct")
    rejected(verdict, nb00.accuracy, lambda s, y: 100 * np.mean(s.argmax(1) == y), "percentage")
    rejected(verdict, nb00.accuracy, lambda s, y: np.mean(s.argmin(1) == y), "SMALLEST")
    rejected(verdict, nb00.accuracy, lambda s, y: np.mean(s.argmax(0) == y[: s.shape[1]]), "wrong axis")
    rejected(verdict, nb00.accuracy, lambda s, y: np.mean(s.max(1)), "averages the largest scores")
    rejected(verdict, nb00.accuracy, lambda s, y: np.mean(s[:4].argmax(1) == y[:4]), "4 rows")   # hard-coded size
    rejected(verdict, nb00.accuracy, lambda s, y: float("nan"), "division by zero")
    rejected(verdict, nb00.accuracy, lambda s, y: None, "not done yet")


def test_call_for_number_reports_inf_and_nan():
    assert "inf" in check.call_for_number(lambda: float("inf"), name="f", whole=True)[1]
    assert "nan" in check.call_for_number(lambda: float("nan"), name="f", whole=True)[1].lower()
