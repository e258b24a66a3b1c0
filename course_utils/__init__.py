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
_FALSE = {"", "0", "false", "no", "off"}
_said: set[str] = set()


def env_flag(name: str) -> bool:
    """Return True when the environment variable ``name`` is 1/true/yes/on
    (any case). The one place the course decides what "set" means. A value it
    does not understand ("ture") counts as off, and one line says so."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"env_flag(): name got {name!r}; expected the name of an environment variable "
                         f"(a non-empty string such as 'COURSE_FAST').")
    value = os.environ.get(name, "").strip().lower()
    if value not in _TRUE and value not in _FALSE and name not in _said:
        _said.add(name)
        print(f"{name}={os.environ[name]!r} is not understood: treated as off (use 1 or 0).")
    return value in _TRUE


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
    Returns the seed (a whole number from 0 to 2**32 - 1)."""
    import numpy as np

    from . import _validate

    seed = _validate.seed("set_seeds", "seed", seed)

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
    from . import _validate, plotting

    _validate.text("setup_notebook", "notebook", notebook)
    tensorflow = _validate.boolean("setup_notebook", "tensorflow", tensorflow)
    seed = _validate.seed("setup_notebook", "seed", seed)
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
