"""Trained-model cache: train once, reload in about a second afterwards.

``fit_or_load`` trains a model the first time and saves its weights and
history under ``<data dir>/model-cache/`` (or COURSE_CACHE_DIR). A later call
with the same key loads them instead and prints one line saying what was
loaded. The key covers the architecture and compile settings, every
hyperparameter passed in ``config``, a fingerprint of the training data, and
the major versions of TensorFlow, Keras and NumPy, so a stale model is never
shown as fresh. Fast mode (COURSE_FAST) never reads or writes the cache;
COURSE_RETRAIN=1 or ``force=True`` retrains.
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import fast_mode
from .data import data_dir, is_writable

__all__ = ["CachedRun", "fit_or_load", "cache_dir", "cache_key", "fingerprint_data"]


@dataclass
class CachedRun:
    """Result of :func:`fit_or_load`: the trained ``model``, its ``history``
    dict, whether it was ``loaded`` from the cache, the original training
    ``seconds``, the ``device`` and the time it was ``trained_at``."""
    model: object
    history: dict
    loaded: bool
    seconds: float
    device: str
    trained_at: str
    key: str = ""
    path: Path | None = field(default=None, repr=False)
    scores: dict = field(default_factory=dict)


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
    # Keras numbers auto-named layers (dense_7) per session: names must not
    # change the key, everything else in the config must.
    if isinstance(obj, dict):
        return {k: _without_names(v) for k, v in obj.items() if k != "name"}
    if isinstance(obj, (list, tuple)):
        return [_without_names(v) for v in obj]
    return obj


def model_signature(model) -> list:
    """Architecture and compile settings of a built Keras model, minus names."""
    layers = [[type(layer).__name__, _without_names(layer.get_config()),
               [list(v.shape) for v in layer.weights]] for layer in model.layers]
    optimizer = getattr(model, "optimizer", None)
    compiled = {"optimizer": _without_names(optimizer.get_config()) if optimizer is not None else None,
                "loss": _describe_loss(getattr(model, "loss", None))}
    return [layers, compiled]


def _describe_loss(loss):
    # str() of a Loss object holds a memory address; its config does not
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
    """Hex key of everything that affects the trained result."""
    payload = {"name": name, "model": model_signature(model), "config": config,
               "data": fingerprint_data(data), "versions": _versions()}
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _device() -> str:
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return f"GPU ({gpus[0].name})" if gpus else "CPU"


def _try_load(model, weights: Path, meta_path: Path):
    """Return the metadata dict after loading the weights, None when nothing
    is cached, or raise ValueError describing what is wrong with the files."""
    if not meta_path.exists() and not weights.exists():
        return None
    if not meta_path.exists() or not weights.exists():
        raise ValueError(f"incomplete cache entry ({meta_path.name if not meta_path.exists() else weights.name} missing)")
    try:
        meta = json.loads(meta_path.read_text())
        expected = meta["weights_sha256"]
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{meta_path} is unreadable ({exc})") from exc
    if _file_sha256(weights) != expected:
        raise ValueError(f"{weights} is truncated or corrupt (checksum mismatch)")
    with warnings.catch_warnings():
        # the optimizer state is not needed to show or evaluate a trained model
        warnings.simplefilter("ignore", UserWarning)
        model.load_weights(weights)
    return meta


def fit_or_load(name: str, build, fit, config: dict, data, live=None, force: bool | None = None,
                verbose: bool = True, evaluate=None, eval_data=None) -> CachedRun:
    """Train with ``fit(build())`` or load the same run from the cache.

    ``build()`` returns a compiled Keras model; ``fit(model)`` trains it and
    returns its history dict; ``config`` lists every hyperparameter (seed
    included); ``data`` is the training arrays (a tuple). ``live`` (a
    :class:`~course_utils.live.LivePlot`) replays a loaded run's history.
    ``evaluate(model)`` (optional) returns a dict of numbers, e.g. test
    accuracy, computed after training on ``eval_data`` (the arrays it reads,
    part of the key) and saved with the weights, so a re-run skips it too.
    """
    model = build()
    use_cache = not fast_mode()
    if force is None:
        force = os.environ.get("COURSE_RETRAIN", "").strip().lower() in {"1", "true", "yes"}
    if evaluate is not None and eval_data is None:
        raise ValueError("fit_or_load: pass eval_data (the arrays evaluate reads) so that they are part of the key")
    keyed = data if eval_data is None else (*_as_tuple(data), "eval", *_as_tuple(eval_data))
    key = cache_key(name, model, config, keyed) if use_cache else ""
    folder = cache_dir()
    weights = folder / f"{name}-{key[:16]}.weights.h5"
    meta_path = folder / f"{name}-{key[:16]}.json"

    if use_cache and not force:
        try:
            meta = _try_load(model, weights, meta_path)
        except Exception as exc:  # corrupt entries are reported and retrained, never used
            print(f"Cache: {exc}; retraining {name}.")
            meta = None
        if meta is not None and evaluate is not None and "scores" not in meta:
            meta = None  # saved without the scores asked for now: train again rather than guess
        if meta is not None:
            history = meta["history"]
            if verbose:
                print(f"Cache: loaded {name} trained {meta['trained_at']} in {meta['seconds']:.0f} s "
                      f"on {meta['device']} (set COURSE_RETRAIN=1 or force=True to retrain).")
            if live is not None:
                live.replay(history, label=f"{name} (cached)")
            return CachedRun(model, history, True, meta["seconds"], meta["device"], meta["trained_at"],
                             key, weights, meta.get("scores", {}))

    started = time.perf_counter()
    history = fit(model)
    history = {k: [float(v) for v in vals] for k, vals in getattr(history, "history", history).items()}
    seconds = time.perf_counter() - started
    device = _device()
    trained_at = _dt.datetime.now().isoformat(timespec="seconds")
    scores = {k: float(v) for k, v in evaluate(model).items()} if evaluate is not None else {}
    run = CachedRun(model, history, False, seconds, device, trained_at, key, None, scores)
    if use_cache:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / f"{name}-{key[:16]}.tmp.weights.h5"
            model.save_weights(tmp)
            meta = {"name": name, "config": config, "history": history, "seconds": seconds,
                    "device": device, "trained_at": trained_at, "scores": scores, "weights_sha256": _file_sha256(tmp)}
            tmp.replace(weights)
            tmp_meta = meta_path.with_suffix(".json.tmp")
            tmp_meta.write_text(json.dumps(meta, default=str))
            tmp_meta.replace(meta_path)  # written last: an entry is complete only once this exists
            run.path = weights
        except OSError as exc:
            print(f"Cache: could not save {name} to {folder} ({exc}); it will retrain next time.")
    return run
