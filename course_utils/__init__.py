"""Helpers shared by the course notebooks.

Importing this package is cheap: it never imports TensorFlow. Submodules:
``data`` (datasets as numpy arrays), ``plotting`` (course plots), ``live``
(live training curves), ``widgets`` (the tuning panel), ``device`` (CPU/GPU
report), ``cache`` (trained-model cache), ``check`` (exercise self-checks and
claims about results).

Every notebook starts with ``setup_notebook("05", tensorflow=True)``.
"""
from __future__ import annotations

import os
import random
import sys
from dataclasses import dataclass

__all__ = ["env_flag", "fast_mode", "pick", "set_seeds", "setup_notebook", "NotebookSetup"]

_TRUE = {"1", "true", "yes", "on"}


def env_flag(name: str) -> bool:
    """Return True when the environment variable ``name`` is 1/true/yes/on
    (any case). The one place the course decides what "set" means."""
    return os.environ.get(name, "").strip().lower() in _TRUE


def fast_mode() -> bool:
    """Return True when the environment variable COURSE_FAST asks for the
    short CI run (smaller data, fewer epochs, same code paths)."""
    return env_flag("COURSE_FAST")


def pick(fast, full):
    """Return ``fast`` in fast mode and ``full`` otherwise."""
    return fast if fast_mode() else full


def set_seeds(seed: int = 0) -> int:
    """Seed Python's ``random``, NumPy and, if TensorFlow is already imported,
    TensorFlow/Keras. Import TensorFlow before calling this in TF notebooks.
    Returns the seed."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    if "tensorflow" in sys.modules or "keras" in sys.modules:
        import keras

        keras.utils.set_random_seed(seed)
    return seed


@dataclass
class NotebookSetup:
    """What :func:`setup_notebook` decided: the notebook id, ``fast`` mode,
    the ``seed``, the ``device`` ("CPU"/"GPU", or None without TensorFlow)
    and the ``data_dir``."""
    notebook: str
    fast: bool
    seed: int
    device: str | None
    data_dir: str


def setup_notebook(notebook: str, tensorflow: bool = False, seed: int = 0) -> NotebookSetup:
    """The first cell of every notebook: import TensorFlow quietly when the
    notebook needs it (so the notebook's own ``import tensorflow`` is silent),
    use the GPU when there is one, seed every generator, switch on the course
    plot style and print one line about the mode and the data dir.
    Returns a :class:`NotebookSetup`."""
    from . import plotting
    from .data import data_dir, describe_data_dir

    device = None
    if tensorflow:
        from .device import quiet_tensorflow_logs, setup_device

        with quiet_tensorflow_logs():
            import keras  # noqa: F401
            import tensorflow  # noqa: F401
        device = setup_device(verbose=False)
    set_seeds(seed)
    plotting.use_course_style()
    fast = fast_mode()
    mode = "FAST mode (COURSE_FAST=1: small data, few epochs, as in CI)" if fast else "full mode"
    on = f" on {device}" if device else ""
    print(f"[{notebook}] {mode}{on}, seed {seed}; data: {describe_data_dir()}")
    return NotebookSetup(notebook, fast, seed, device, str(data_dir()))
