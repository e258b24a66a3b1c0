"""Helpers shared by the course notebooks.

Importing this package is cheap: it never imports TensorFlow. Submodules:
``data`` (datasets as numpy arrays), ``plotting`` (course plots), ``live``
(live training curves), ``widgets`` (the tuning panel), ``device`` (CPU/GPU
report), ``cache`` (trained-model cache), ``check`` (exercise self-checks).
"""
from __future__ import annotations

import os
import random
import sys

__all__ = ["fast_mode", "pick", "set_seeds"]

_TRUE = {"1", "true", "yes", "on"}


def fast_mode() -> bool:
    """Return True when the environment variable COURSE_FAST asks for the
    short CI run (smaller data, fewer epochs, same code paths)."""
    return os.environ.get("COURSE_FAST", "").strip().lower() in _TRUE


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
