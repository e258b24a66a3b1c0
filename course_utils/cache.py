"""Trained-model cache: train once, reload in about a second afterwards.

``fit_or_load(name, build_model, x, y, epochs=..., ...)`` seeds every
generator, builds a compiled model with ``build_model()``, calls
``model.fit(x, y, **fit_kwargs)`` itself and saves the weights, the history
and (with ``test_data=``) the test scores under ``<data dir>/model-cache/``
(or COURSE_CACHE_DIR). A later call with the same key loads them instead and
prints one line saying so. Returns a :class:`CachedRun`.

The key covers everything a student can change: the model's config, the
compile settings, a fingerprint of the initial weights (so a seed set inside
``build_model`` counts), every fit argument (callbacks by class and settings),
the full bytes of the data, the test data, the seed and the library versions.
Something it cannot fingerprint faithfully (a lambda, an arbitrary object)
raises a ``ValueError`` that says what to pass instead.

An entry is one file, written to a unique temporary file and moved into place
with ``os.replace`` under a per-entry lock, so two kernels saving the same key
never damage it (the last complete write wins). A damaged or foreign entry is
reported in one line and the model is retrained from a freshly built one; a
full disk costs the cache entry, never the trained model. Fast mode
(COURSE_FAST) never reads or writes the cache; COURSE_RETRAIN=1 or
``force=True`` retrains.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import functools
import hashlib
import io
import json
import math
import os
import random
import re
import secrets
import sys
import time
import types
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import env_flag, fast_mode, set_seeds
from .data import data_dir, is_writable

__all__ = ["CachedRun", "fit_or_load", "cache_dir", "cache_key", "fingerprint_data"]

FORMAT = 2                 # the layout of an entry file; another value is never loaded
_STALE_TEMPORARY_S = 3600  # a temporary file this old belongs to a writer that died


@dataclass
class CachedRun:
    """Result of :func:`fit_or_load`: the trained ``model``, its ``history``
    dict (with the ``.curves`` of its callbacks), whether it was ``loaded``
    from the cache, the original training ``seconds``, the ``device``, the
    time it was ``trained_at``, its ``scores`` (test metrics) and, when the
    loss became NaN or infinite, ``stopped_on_nan`` (the message; "" otherwise)."""
    model: object
    history: dict
    loaded: bool
    seconds: float
    device: str
    trained_at: str
    key: str = ""
    path: Path | None = field(default=None, repr=False)
    scores: dict = field(default_factory=dict)
    stopped_on_nan: str = ""


def cache_dir() -> Path:
    """Folder of cached models: COURSE_CACHE_DIR, else ``<data dir>/model-cache``
    (or the repo's ``data/model-cache`` when the data dir is read-only)."""
    env = os.environ.get("COURSE_CACHE_DIR", "").strip()
    if env:
        return Path(env).expanduser()
    root = data_dir()
    if not is_writable(root):
        # a shared read-only data dir (a class server, CI): cache in the repo's own data/
        return Path(__file__).resolve().parent.parent / "data" / "model-cache"
    return root / "model-cache"


# ------------------------------------------------------------------ fingerprints

_LIBRARIES = {"keras", "tensorflow", "tf_keras", "numpy", "builtins", "math", "operator", "functools", "jax",
              "torch", "scipy", "sklearn", "optree"}
_NOT_SETTINGS = {"params", "model", "validation_data"}  # set by fit on every callback


def _is_library(obj) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in _LIBRARIES


def _qualname(obj) -> str:
    cls = obj if isinstance(obj, type) else type(obj)
    return f"{cls.__module__}.{cls.__qualname__}"


def _array_digest(arr) -> str:
    digest = hashlib.sha256()
    digest.update(f"{arr.dtype.str}{arr.shape}".encode())
    digest.update(np.ascontiguousarray(arr).reshape(-1).view(np.uint8) if arr.size else b"")
    return digest.hexdigest()


def _code_digest(code: types.CodeType) -> str:
    """Digest of what a code object does: bytecode, names and constants, but
    not its file name or line numbers (they change between sessions)."""
    digest = hashlib.sha256()

    def feed(co):
        digest.update(co.co_code)
        digest.update(repr(co.co_names).encode())
        for const in co.co_consts:
            if isinstance(const, types.CodeType):
                feed(const)
            elif isinstance(const, frozenset):   # set order depends on PYTHONHASHSEED
                digest.update(repr(sorted(map(repr, const))).encode())
            else:
                digest.update(repr(const).encode())

    feed(code)
    return digest.hexdigest()


def _class_code(cls) -> str | None:
    """Digest of the methods of the user-written classes in ``cls``'s MRO
    (None for a library class: the library versions are in the key)."""
    parts = []
    for klass in cls.__mro__:
        if klass is object or _is_library(klass):
            continue
        for attr_name, attr in sorted(vars(klass).items()):
            funcs = [attr]
            if isinstance(attr, (staticmethod, classmethod)):
                funcs = [attr.__func__]
            elif isinstance(attr, property):
                funcs = [attr.fget, attr.fset]
            for func in funcs:
                if isinstance(func, types.FunctionType):
                    parts.append(f"{klass.__qualname__}.{attr_name}:{_code_digest(func.__code__)}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest() if parts else None


def _unhashable(where: str, what: str, instead: str) -> ValueError:
    return ValueError(f"fit_or_load: {where} is {what}, which the cache cannot fingerprint faithfully "
                      f"(it would load a stale model or retrain every time). {instead}")


def _is_dataset(value) -> bool:
    if isinstance(value, (types.GeneratorType, types.AsyncGeneratorType)):
        return True
    module = type(value).__module__ or ""
    if module.startswith("tensorflow") and hasattr(value, "element_spec"):
        return True
    return any(_qualname(k).endswith(("PyDataset", "Sequence")) and _is_library(k) for k in type(value).__mro__)


def _is_display_only(callback) -> bool:
    # drawing curves changes nothing about the trained model: such callbacks are left out of the key
    if getattr(callback, "display_only", False):
        return True
    cls = type(callback)
    if cls.__module__ == "course_utils.live" and "LivePlot" in cls.__qualname__:
        return True
    return _is_library(cls) and cls.__name__ in {"ProgbarLogger", "History"}


class _Describer:
    """Turn an argument into JSON-able data that changes whenever the argument
    does, or raise a ValueError saying what to pass instead."""

    def __init__(self, datasets_ok: bool):
        self.datasets_ok = datasets_ok
        self.names: dict[str, str] = {}   # auto-numbered Keras names -> their role (see _describe_model)
        self._seen_arrays: dict[int, tuple] = {}   # one call hashes each array once (kept alive by the caller)

    def __call__(self, value, where: str, depth: int = 0):
        if depth > 12:
            raise _unhashable(where, "nested too deeply", "Pass plain numbers, strings, arrays or Keras objects.")
        if isinstance(value, str):
            return self.names.get(value, value)
        if value is None or isinstance(value, (bool, int)):
            return value
        if isinstance(value, float):
            return value if math.isfinite(value) else ["float", repr(value)]
        if isinstance(value, np.generic) and value.dtype.kind in "biufcSUM":
            return ["np", value.dtype.str, self(value.item(), where, depth + 1)]
        if isinstance(value, (bytes, bytearray)):
            return ["bytes", hashlib.sha256(value).hexdigest()]
        if isinstance(value, (list, tuple)):
            return [type(value).__name__, [self(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value)]]
        if isinstance(value, dict):
            items = sorted(value.items(), key=lambda kv: repr(kv[0]))
            return ["dict", [[self(k, f"{where} key", depth + 1), self(v, f"{where}[{k!r}]", depth + 1)]
                             for k, v in items]]
        if _is_dataset(value):
            if not self.datasets_ok:
                raise _unhashable(where, f"a {type(value).__name__}, whose contents are not arrays",
                                  "Pass key_data=(the arrays it was built from, plus any pipeline settings such "
                                  "as the batch size), e.g. key_data=(x_train, y_train, BATCH).")
            try:
                size = int(value.cardinality()) if hasattr(value, "cardinality") else len(value)
            except TypeError:
                size = None
            return ["dataset", _qualname(value), str(getattr(value, "element_spec", "")), size]
        if isinstance(value, np.ndarray) or (hasattr(value, "__array__") and not callable(value)):
            return self._array(value, where)
        if isinstance(value, type):
            return ["class", _qualname(value), _class_code(value)]
        if _is_keras_callback(value):
            return self.callback(value, where, depth)
        if isinstance(value, np.ufunc):
            return ["ufunc", value.__name__]
        if isinstance(value, functools.partial):
            return ["partial", self(value.func, f"{where}.func", depth + 1),
                    self(value.args, f"{where}.args", depth + 1), self(value.keywords, f"{where}.keywords", depth + 1)]
        if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                              types.BuiltinMethodType)):
            if _is_library(value):   # Keras's own functions (even its internal lambdas) are named by the library
                return ["function", value.__module__, getattr(value, "__qualname__", repr(value))]
            kind = "a lambda" if getattr(value, "__name__", "") == "<lambda>" else \
                f"a Python function ({getattr(value, '__qualname__', value)!r})"
            raise _unhashable(where, kind,
                              "Use a Keras object instead (a keras.optimizers.schedules.* object as the learning "
                              "rate, a keras.losses.* loss, a built-in layer or a Layer subclass), or train "
                              "without the cache.")
        if callable(getattr(value, "get_config", None)):
            try:
                config = value.get_config()
            except NotImplementedError:
                raise _unhashable(where, f"a {type(value).__name__} without a config",
                                  "Give the class a get_config() returning its settings.") from None
            return ["object", _qualname(value), self(config, f"{where}.get_config()", depth + 1),
                    _class_code(type(value))]
        raise _unhashable(where, f"a {type(value).__qualname__}",
                          "Pass plain numbers, strings, arrays or Keras objects (with get_config) instead.")

    def _array(self, value, where):
        cached = self._seen_arrays.get(id(value))
        if cached is not None and cached[0] is value:
            return cached[1]
        arr = np.asarray(value)
        if arr.dtype.kind not in "biufcSUMm":
            raise _unhashable(where, f"an array of dtype {arr.dtype}", "Pass numeric (or string) arrays.")
        description = ["array", _array_digest(arr)]
        self._seen_arrays[id(value)] = (value, description)
        return description

    def callback(self, callback, where, depth=0):
        """Class and settings of a callback: get_config() when the class has
        one, else its public attributes (private ``_x`` ones are left out)."""
        if callable(getattr(callback, "get_config", None)):
            config = callback.get_config()
        else:
            config = {k: v for k, v in vars(callback).items() if not k.startswith("_") and k not in _NOT_SETTINGS}
        described = {}
        for k in sorted(config):
            try:
                described[k] = self(config[k], f"{where}.{k}", depth + 1)
            except ValueError as exc:
                raise ValueError(f"{exc} (A callback's private attributes, named _like_this, are not part "
                                 "of the key: keep things that do not change the training there.)") from None
        return ["callback", _qualname(callback), described, _class_code(type(callback))]


def _is_keras_callback(value) -> bool:
    return any(_qualname(k) in {"keras.src.callbacks.callback.Callback", "keras.callbacks.Callback"}
               for k in type(value).__mro__)


def _all_layers(model) -> list:
    if hasattr(model, "_flatten_layers"):
        return list(model._flatten_layers(include_self=False, recursive=True))
    return list(getattr(model, "layers", []))


def _describe_model(model, describe: _Describer) -> dict:
    # Keras numbers auto-named layers and optimizers (dense_7, adam_2) per
    # session: a name stands for its role (layer 3), so names never change the key.
    layers = _all_layers(model)
    names = {}
    for i, layer in enumerate(layers):
        names.setdefault(layer.name, f"<layer {i}>")
    names.setdefault(model.name, "<model>")
    if getattr(model, "optimizer", None) is not None:
        names.setdefault(model.optimizer.name, "<optimizer>")   # adam, adam_1, ... within one session
    describe.names = names

    def config_of(obj, where):
        try:
            config = obj.get_config()
        except NotImplementedError:
            return None
        return describe(config, where)

    described_layers = []
    for i, layer in enumerate(layers):
        function = getattr(layer, "function", None)
        if type(layer).__name__ == "Lambda" and _is_library(type(layer)) and function is not None:
            describe(function, f"model layer {i} (Lambda)")   # raises for a user-written function
        described_layers.append([_qualname(layer), config_of(layer, f"model layer {i}"), _class_code(type(layer))])
    compile_args = getattr(getattr(model, "_compile_config", None), "config", None)
    if isinstance(compile_args, dict):
        compiled = {k: describe(v, f"model.compile({k}=...)") for k, v in compile_args.items() if k != "optimizer"}
    else:
        compiled = describe(model.get_compile_config(), "model.compile(...)")
    return {"class": _qualname(model), "code": _class_code(type(model)), "config": config_of(model, "the model"),
            "layers": described_layers, "compile": compiled,
            "optimizer": describe(model.optimizer, "the optimizer")}


def _weights_digest(arrays) -> str:
    digest = hashlib.sha256()
    for arr in arrays:
        digest.update(_array_digest(np.asarray(arr)).encode())
    return digest.hexdigest()


def _rng_digest() -> str:
    # The generators' state right after build_model(): a seed set inside it
    # changes how fit initialises a model that is not built yet.
    state = np.random.get_state()
    text = repr(random.getstate()) + repr((state[0], state[2:])) + _array_digest(np.asarray(state[1]))
    return hashlib.sha256(text.encode()).hexdigest()


def _versions_full() -> dict:
    import keras
    import tensorflow as tf

    return {"tensorflow": tf.__version__, "keras": keras.__version__, "numpy": np.__version__,
            "python": ".".join(map(str, sys.version_info[:2]))}


def _new_key(name, model, rng, x, y, key_data, fit_kwargs, test_data, eval_data, evaluate, seed) -> str:
    describe = _Describer(datasets_ok=key_data is not None)
    fit = {}
    for k in sorted(fit_kwargs):
        if k == "callbacks":   # callbacks=[] or only display callbacks: the same as none
            described = [describe.callback(cb, f"callbacks[{i}]") if _is_keras_callback(cb)
                         else describe(cb, f"callbacks[{i}]")
                         for i, cb in enumerate(fit_kwargs[k] or []) if not _is_display_only(cb)]
            if described:
                fit[k] = described
        else:
            fit[k] = describe(fit_kwargs[k], k)
    payload = {"format": FORMAT, "name": name, "seed": seed, "versions": _versions_full(),
               "model": _describe_model(model, describe),
               "initial_weights": _weights_digest(v.numpy() for v in model.weights), "rng_after_build": rng,
               "x": describe(x, "x"), "y": describe(y, "y"), "key_data": describe(key_data, "key_data"),
               "fit": fit, "test_data": describe(test_data, "test_data"),
               "eval_data": describe(eval_data, "eval_data"),
               "evaluate": None if evaluate is None else (
                   _code_digest(evaluate.__code__) if hasattr(evaluate, "__code__") else _qualname(evaluate))}
    text = json.dumps(payload, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


# ------------------------------------------------------------------ entries on disk

def _safe_name(name) -> str:
    """A readable file-name stem for ``name`` that stays inside the cache dir."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"fit_or_load: name must be a non-empty string naming the run (e.g. 'nb07-plateau'); "
                         f"got {name!r}")
    safe = re.sub(r"[^A-Za-z0-9 ._()+,=-]+", "_", name).strip(" .")
    return safe[:100] or "run"


def _entry_path(folder: Path, name: str, key: str) -> Path:
    path = folder / f"{_safe_name(name)}-{key[:16]}.npz"
    if path.resolve().parent != folder.resolve():   # cannot happen with the name above; never write elsewhere
        raise ValueError(f"fit_or_load: the name {name!r} would save outside {folder}")
    return path


class _BadEntry(Exception):
    """A cache entry that exists but must not be used (the message says why)."""


_META_FIELDS = {"format": int, "key": str, "history": dict, "seconds": (int, float), "device": str,
                "trained_at": str, "scores": dict, "weights_sha256": str, "n_weights": int}


def _read_entry(path: Path, key: str, model, need_scores: bool = False):
    """Load the entry at ``path`` into ``model``; return its metadata, or None
    when there is no entry. Raises _BadEntry (nothing assigned to ``model``)
    when the file is damaged, from another format or for another model."""
    try:
        blob = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _BadEntry(f"{path.name} is unreadable ({exc.strerror or exc})") from exc
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as npz:
            if "meta" not in npz.files:
                raise _BadEntry(f"{path.name} is not a cache entry of this format (no metadata)")
            meta = json.loads(npz["meta"].tobytes().decode())
            if not isinstance(meta, dict):
                raise _BadEntry(f"{path.name} holds metadata in another format")
            for fld, kind in _META_FIELDS.items():
                if not isinstance(meta.get(fld), kind) or isinstance(meta.get(fld), bool):
                    problem = "no" if fld not in meta else "a different"
                    raise _BadEntry(f"{path.name} holds metadata in another format ({problem} '{fld}')")
            if meta["format"] != FORMAT:
                raise _BadEntry(f"{path.name} was written by another version of the cache (format {meta['format']})")
            if meta["key"] != key:
                raise _BadEntry(f"{path.name} belongs to another model (key mismatch)")
            bad_history = [k for k, v in meta["history"].items()
                           if not isinstance(v, list) or not all(isinstance(n, (int, float)) for n in v)]
            if bad_history:
                raise _BadEntry(f"{path.name} holds metadata in another format (history '{bad_history[0]}')")
            names = [f"w{i:04d}" for i in range(meta["n_weights"])]
            missing = [n for n in names if n not in npz.files]
            if missing:
                raise _BadEntry(f"{path.name} is incomplete ({len(missing)} weight arrays missing)")
            weights = [npz[n] for n in names]
    except _BadEntry:
        raise
    except Exception as exc:  # a truncated zip, bad JSON, a foreign file: report it, never use it
        raise _BadEntry(f"{path.name} is truncated or corrupt ({type(exc).__name__})") from exc
    if _weights_digest(weights) != meta["weights_sha256"]:
        raise _BadEntry(f"{path.name} is corrupt (checksum mismatch)")
    variables = list(model.weights)
    if len(variables) != len(weights) or any(tuple(v.shape) != w.shape for v, w in zip(variables, weights)):
        raise _BadEntry(f"{path.name} holds weights of another layout ({len(weights)} arrays for a model "
                        f"with {len(variables)})")
    if need_scores and not meta["scores"]:
        raise _BadEntry(f"{path.name} was saved without the scores asked for now")
    try:
        for variable, value in zip(variables, weights):   # every shape checked above
            variable.assign(value)
    except Exception as exc:   # the caller builds a fresh model: a half-loaded one is never trained
        raise _BadEntry(f"{path.name} could not be loaded ({type(exc).__name__}: {exc})") from exc
    return meta


@contextlib.contextmanager
def _entry_lock(lock_path: Path):
    """Hold an exclusive flock on ``lock_path`` (yields True), or go on
    unlocked where flock is unavailable (Windows, some network file systems;
    yields False): unique temporary files and os.replace alone still never
    leave a partial entry, and the checksum catches anything else."""
    try:
        import fcntl
    except ImportError:
        fcntl = None
    fd = None
    if fcntl is not None:
        with contextlib.suppress(OSError):
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    locked = False
    if fd is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            locked = True
        except OSError:
            pass
    try:
        yield locked
    finally:
        if fd is not None:
            with contextlib.suppress(OSError):
                if locked:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _write_entry(path: Path, data: bytes) -> None:
    """Write ``data`` as the entry ``path``: a temporary file unique to this
    process, then os.replace, under the entry's lock. On any error the
    temporary file is removed and the error raised."""
    folder = path.parent
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}.tmp"
    with _entry_lock(path.with_suffix(".lock")):
        now = time.time()
        for old in folder.glob(f".{_glob_escape(path.stem)}.*.tmp"):   # left by a writer that was killed
            with contextlib.suppress(OSError):
                if now - old.stat().st_mtime > _STALE_TEMPORARY_S:
                    old.unlink()
        try:
            _write_file(tmp, data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _pack(model, meta: dict) -> bytes:
    weights = [np.asarray(v.numpy()) for v in model.weights]
    meta = {**meta, "format": FORMAT, "weights_sha256": _weights_digest(weights), "n_weights": len(weights)}
    buf = io.BytesIO()
    np.savez(buf, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
             **{f"w{i:04d}": w for i, w in enumerate(weights)})
    return buf.getvalue()


def _save(path: Path, name: str, model, meta: dict) -> bool:
    """Save an entry; on failure print one line and return False (the trained
    model is untouched)."""
    try:
        _write_entry(path, _pack(model, meta))
        return True
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)):
            print(f"Cache: could not save {name}: the disk holding {path.parent} is full; the trained model "
                  f"stays in memory (free some space, or set COURSE_CACHE_DIR to another folder, to cache it).")
        else:
            print(f"Cache: could not save {name} to {path.parent} ({exc.strerror or exc}); the trained model "
                  f"stays in memory and will be retrained next time.")
    except Exception as exc:  # never lose a trained model to the cache
        print(f"Cache: could not save {name} ({type(exc).__name__}: {exc}); the trained model stays in memory.")
    return False


def _device() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"GPU ({gpus[0].name})" if gpus else "CPU"


def _floats(values) -> list:
    return [float(v) for v in np.ravel(np.asarray(values, dtype="float64"))]


def _loaded_line(name: str, meta: dict) -> str:
    return (f"Cache: loaded {name} trained {meta['trained_at']} in {meta['seconds']:.0f} s "
            f"on {meta['device']} (set COURSE_RETRAIN=1 or force=True to retrain).")


def _retrain_line(name: str, exc: Exception) -> str:
    return f"Cache: not using the saved {name}: {exc}; retraining it from a freshly built model."


# ------------------------------------------------------------------ fit_or_load

def _build(build_model, seed: int):
    import keras

    set_seeds(seed)
    model = build_model()
    if not isinstance(model, keras.Model):
        raise ValueError(f"fit_or_load: build_model() must return a compiled keras.Model; "
                         f"it returned {type(model).__name__}")
    if not getattr(model, "compiled", getattr(model, "optimizer", None) is not None):
        raise ValueError("fit_or_load: build_model() must compile the model it returns "
                         "(model.compile(optimizer=..., loss=..., metrics=[...]))")
    return model, _rng_digest()


def _nonfinite_report(arrays: dict) -> str:
    found = []
    for label, value in arrays.items():
        try:
            arr = np.asarray(value)
        except Exception:
            continue
        if arr.dtype.kind in "fc":
            bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
            if bad:
                found.append(f"{label} holds {bad:,} NaN/inf value{'s' if bad > 1 else ''}")
    return ("; ".join(found) + ".") if found else "The data are finite: the learning rate is the likely cause."


def fit_or_load(name: str, build_model, x=None, y=None, *legacy_args, test_data=None, evaluate=None,
                eval_data=None, live=None, seed: int = 0, force: bool | None = None, verbose: bool = True,
                key_data=None, **fit_kwargs) -> CachedRun:
    """Train ``build_model()`` on ``x``, ``y`` or load the same run from the cache.

    ``build_model()`` returns a compiled Keras model; it is called after
    ``course_utils.set_seeds(seed)``. ``fit_or_load`` then calls
    ``model.fit(x, y, verbose=0, **fit_kwargs)`` (any fit argument: epochs,
    batch_size, validation_data, callbacks, ...). A callback's ``.curves`` (a
    dict of lists) is saved with the history. A callback is keyed by its
    class, its code and get_config(), or else its public attributes (keep
    state that does not change the training in ``_private`` ones); one marked
    ``display_only = True`` (LivePlot's) is left out.

    ``test_data=(x_test, y_test)`` stores ``model.evaluate(...,
    return_dict=True)`` in ``run.scores``; ``evaluate(model)`` (a dict of
    numbers) with ``eval_data`` (the arrays it reads; they and its code are
    part of the key) adds custom scores. ``live`` (a LivePlot) draws the
    training, or replays a loaded run. ``x`` may be a tf.data.Dataset only
    together with ``key_data=`` (the arrays, and pipeline settings, it was
    built from). Training whose loss or weights become NaN/inf stops, says
    where and why (``run.stopped_on_nan``), and is never cached.
    ``verbose=False`` hides the one-line "Cache: loaded" note.

    Deprecated form, kept until notebooks migrate:
    ``fit_or_load(name, build, fit, config, data, live=None, force=None,
    verbose=True, evaluate=None, eval_data=None)`` with ``fit(model)``
    returning the history and ``config`` listing the hyperparameters.
    """
    if callable(x) and not _is_dataset(x):
        if test_data is not None or key_data is not None or seed != 0:
            raise TypeError("fit_or_load: test_data, key_data and seed belong to the new form "
                            "fit_or_load(name, build_model, x, y, **fit_kwargs), "
                            "not to fit_or_load(name, build, fit, ...)")
        positional = (x,) + ((y,) if y is not None or legacy_args else ()) + legacy_args
        return _legacy_fit_or_load(name, build_model, *positional, live=live, force=force,
                                   verbose=verbose, evaluate=evaluate, eval_data=eval_data, **fit_kwargs)
    if legacy_args:
        raise TypeError("fit_or_load(name, build_model, x, y, **fit_kwargs) takes at most four positional "
                        "arguments; pass the fit arguments by name (epochs=..., batch_size=...)")
    _safe_name(name)
    if not callable(build_model):
        raise ValueError(f"fit_or_load: build_model must be a function returning a compiled model; "
                         f"got {type(build_model).__name__}")
    if x is None:
        raise ValueError("fit_or_load: pass the training data x (and y)")
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise ValueError(f"fit_or_load: seed must be an integer; got {seed!r}")
    if (_is_dataset(x) or _is_dataset(fit_kwargs.get("validation_data"))) and key_data is None:
        raise ValueError("fit_or_load: x (or validation_data) is a tf.data.Dataset, whose contents the cache "
                         "cannot fingerprint; pass key_data=(the arrays it was built from, plus pipeline "
                         "settings such as the batch size), e.g. key_data=(x_train, y_train, BATCH)")
    if evaluate is not None and eval_data is None:
        raise ValueError("fit_or_load: pass eval_data (the arrays evaluate reads) so that they are part of the key")
    if test_data is not None and not (isinstance(test_data, (tuple, list)) and 1 <= len(test_data) <= 3):
        raise ValueError("fit_or_load: test_data must be a tuple (x_test, y_test)")
    callbacks = fit_kwargs.get("callbacks") or []
    if not isinstance(callbacks, (list, tuple)):
        raise ValueError("fit_or_load: callbacks must be a list of Keras callbacks")
    if force is None:
        force = env_flag("COURSE_RETRAIN")
    use_cache = not fast_mode()
    seed = int(seed)

    model, rng = _build(build_model, seed)
    # the key is computed in fast mode too, so CI reports what the cache cannot fingerprint
    key = _new_key(name, model, rng, x, y, key_data, fit_kwargs, test_data, eval_data, evaluate, seed)
    folder = cache_dir()
    path = _entry_path(folder, name, key)

    if use_cache and not force:
        try:
            meta = _read_entry(path, key, model)
        except _BadEntry as exc:
            print(_retrain_line(name, exc))
            model, rng = _build(build_model, seed)   # never train a half-loaded model
            meta = None
        if meta is not None:
            if verbose:
                print(_loaded_line(name, meta))
            if live is not None:
                live.replay(meta["history"], label=f"{name} (cached)")
            return CachedRun(model, meta["history"], True, meta["seconds"], meta["device"], meta["trained_at"],
                             key, path, meta["scores"])

    from .live import StopOnNaN

    nan_guard = StopOnNaN(verbose=False)
    run_callbacks = [*callbacks, nan_guard] + ([live.callback(label=name)] if live is not None else [])
    started = time.perf_counter()
    fitted = model.fit(x, y, verbose=0, **{**fit_kwargs, "callbacks": run_callbacks})
    seconds = time.perf_counter() - started
    history = {k: _floats(v) for k, v in fitted.history.items()}
    for i, callback in enumerate(callbacks):
        curves = getattr(callback, "curves", None)
        if curves:
            try:
                history.update({str(k): _floats(v) for k, v in dict(curves).items()})
            except (TypeError, ValueError) as exc:
                raise ValueError(f"fit_or_load: callbacks[{i}].curves must be a dict of lists of numbers "
                                 f"({exc})") from None
    scores = {}
    if test_data is not None:
        scores.update({k: float(v) for k, v in model.evaluate(*test_data, verbose=0, return_dict=True).items()})
    if evaluate is not None:
        scores.update({k: float(v) for k, v in evaluate(model).items()})
    run = CachedRun(model, history, False, seconds, _device(), _dt.datetime.now().isoformat(timespec="seconds"),
                    key, None, scores)
    if nan_guard.stopped:
        data = {"x": x, "y": y}
        if isinstance(fit_kwargs.get("validation_data"), (tuple, list)):
            data.update(zip(("x_val", "y_val"), fit_kwargs["validation_data"]))
        run.stopped_on_nan = f"{nan_guard.message} {_nonfinite_report(data)}"
        print(run.stopped_on_nan + (f" {name} is not cached." if use_cache else ""))
        return run
    if use_cache:
        meta = {"name": name, "key": key, "history": history, "seconds": seconds, "device": run.device,
                "trained_at": run.trained_at, "scores": scores, "versions": _versions_full()}
        if _save(path, name, model, meta):
            run.path = path
    return run


# ------------------------------------------------------------------ deprecated form

def _as_tuple(data) -> tuple:
    return tuple(data) if isinstance(data, (tuple, list)) else (data,)


def fingerprint_data(data) -> str:
    """sha256 over the shapes, dtypes and bytes of the given arrays."""
    digest = hashlib.sha256()
    for arr in _as_tuple(data):
        arr = np.ascontiguousarray(arr)
        digest.update(f"{arr.shape}{arr.dtype}".encode())
        digest.update(arr.tobytes())
    return digest.hexdigest()


def _without_names(obj):
    if isinstance(obj, dict):
        return {k: _without_names(v) for k, v in obj.items() if k != "name"}
    if isinstance(obj, (list, tuple)):
        return [_without_names(v) for v in obj]
    return obj


def model_signature(model) -> list:
    """Architecture and compile settings of a built Keras model, minus names
    (the deprecated form's key)."""
    layers = [[type(layer).__name__, _without_names(layer.get_config()),
               [list(v.shape) for v in layer.weights]] for layer in model.layers]
    optimizer = getattr(model, "optimizer", None)
    compiled = {"optimizer": _without_names(optimizer.get_config()) if optimizer is not None else None,
                "loss": _describe_loss(getattr(model, "loss", None))}
    return [layers, compiled]


def _describe_loss(loss):
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, (list, tuple)):
        return [_describe_loss(l) for l in loss]
    if isinstance(loss, dict):
        return {k: _describe_loss(v) for k, v in loss.items()}
    if hasattr(loss, "get_config"):
        return [type(loss).__name__, _without_names(loss.get_config())]
    return getattr(loss, "__qualname__", type(loss).__name__)


def _versions() -> dict:
    import keras
    import tensorflow as tf

    return {"tensorflow": tf.__version__.split(".")[0], "keras": keras.__version__.split(".")[0],
            "numpy": np.__version__.split(".")[0]}


def cache_key(name: str, model, config: dict, data) -> str:
    """Key of the deprecated form: architecture, compile settings, ``config``
    as text and the data's bytes."""
    payload = {"name": name, "model": model_signature(model), "config": config,
               "data": fingerprint_data(data), "versions": _versions()}
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _legacy_fit_or_load(name: str, build, fit, config: dict | None = None, data=None, live=None,
                        force: bool | None = None, verbose: bool = True, evaluate=None, eval_data=None) -> CachedRun:
    """The deprecated form: ``fit(build())`` keyed on ``config`` and ``data``.
    Same behaviour as before, with the new safe storage."""
    if config is None or data is None:
        raise TypeError("fit_or_load(name, build, fit, config, data): pass config and data")
    _safe_name(name)
    model = build()
    use_cache = not fast_mode()
    if force is None:
        force = env_flag("COURSE_RETRAIN")
    if evaluate is not None and eval_data is None:
        raise ValueError("fit_or_load: pass eval_data (the arrays evaluate reads) so that they are part of the key")
    keyed = data if eval_data is None else (*_as_tuple(data), "eval", *_as_tuple(eval_data))
    key = cache_key(name, model, config, keyed) if use_cache else ""
    folder = cache_dir()
    path = _entry_path(folder, name, key) if use_cache else None

    if use_cache and not force:
        try:
            meta = _read_entry(path, key, model, need_scores=evaluate is not None)
        except _BadEntry as exc:
            print(_retrain_line(name, exc))
            model = build()   # never train a half-loaded model
            meta = None
        if meta is not None:
            if verbose:
                print(_loaded_line(name, meta))
            if live is not None:
                live.replay(meta["history"], label=f"{name} (cached)")
            return CachedRun(model, meta["history"], True, meta["seconds"], meta["device"], meta["trained_at"],
                             key, path, meta["scores"])

    started = time.perf_counter()
    history = fit(model)
    history = {k: [float(v) for v in vals] for k, vals in getattr(history, "history", history).items()}
    seconds = time.perf_counter() - started
    device = _device()
    trained_at = _dt.datetime.now().isoformat(timespec="seconds")
    scores = {k: float(v) for k, v in evaluate(model).items()} if evaluate is not None else {}
    run = CachedRun(model, history, False, seconds, device, trained_at, key, None, scores)
    if use_cache:
        meta = {"name": name, "key": key, "config": json.loads(json.dumps(config, default=str)), "history": history,
                "seconds": seconds, "device": device, "trained_at": trained_at, "scores": scores}
        if _save(path, name, model, meta):
            run.path = path
    return run
