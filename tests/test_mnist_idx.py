"""The loader reads the full MNIST from the official IDX files, checked by sha256."""
import gzip
import shutil

import numpy as np
import pytest

from course_utils import data


def _idx(path, arr):
    header = bytes([0, 0, 8, arr.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in arr.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + arr.astype(np.uint8).tobytes())


def test_idx_files_with_wrong_checksum_are_reported_not_used(data_home):
    (data_home / "mnist-train").mkdir()
    _idx(data_home / "mnist-train" / "train-images-idx3-ubyte.gz", np.zeros((3, 28, 28)))
    _idx(data_home / "mnist-train" / "train-labels-idx1-ubyte.gz", np.zeros(3))
    (data_home / "mnist-test").mkdir()
    _idx(data_home / "mnist-test" / "t10k-images-idx3-ubyte.gz", np.zeros((3, 28, 28)))
    _idx(data_home / "mnist-test" / "t10k-labels-idx1-ubyte.gz", np.zeros(3))
    with pytest.raises(data.DataError, match="train-images-idx3-ubyte.gz is corrupt"):
        data.load_mnist(verbose=False)


def test_describe_data_dir_names_what_is_there(data_home):
    assert "5k offline subset" in data.describe_data_dir()
    (data_home / "tinyshakespeare").mkdir()
    (data_home / "tinyshakespeare" / "input.txt").write_text("x")
    assert "Tiny Shakespeare" in data.describe_data_dir()


SHARED = data.Path(__file__).resolve().parents[2] / "shared" / "data"   # ../shared/data beside the clone


@pytest.mark.skipif(not (SHARED / "mnist-train").exists(), reason="needs ../shared/data/mnist-train (the IDX files)")
def test_full_mnist_from_shared_idx(tmp_path, monkeypatch):
    shared = SHARED
    for folder in ("mnist-train", "mnist-test"):
        shutil.copytree(shared / folder, tmp_path / folder)
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    m = data.load_mnist(verbose=False)
    assert m.is_full and m.x_train.shape == (60000, 28, 28) and m.x_test.shape == (10000, 28, 28)
    assert np.bincount(m.y_train).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
