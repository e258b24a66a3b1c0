"""Which devices TensorFlow sees, and using a GPU when there is one.
TensorFlow is imported inside the functions, never at package import."""
from __future__ import annotations

import platform

__all__ = ["device_report", "print_device_report", "setup_device"]


def device_report() -> dict:
    """Return versions (python, numpy, tensorflow, keras) and the devices
    TensorFlow sees: ``{"python":..., "tensorflow":..., "gpus": [names], "cpus": n, ...}``.
    ``tensorflow`` is None when it is not installed."""
    import numpy as np

    report = {"python": platform.python_version(), "numpy": np.__version__,
              "tensorflow": None, "keras": None, "gpus": [], "cpus": 0}
    try:
        import tensorflow as tf
        import keras
    except ImportError:
        return report
    report["tensorflow"] = tf.__version__
    report["keras"] = keras.__version__
    report["gpus"] = [d.name for d in tf.config.list_physical_devices("GPU")]
    report["cpus"] = len(tf.config.list_physical_devices("CPU"))
    return report


def print_device_report() -> dict:
    """Print :func:`device_report` in plain words and return it."""
    r = device_report()
    print(f"Python {r['python']}, NumPy {r['numpy']}, TensorFlow {r['tensorflow']}, Keras {r['keras']}")
    if r["tensorflow"] is None:
        print("TensorFlow is NOT installed: run the course's install command from the README.")
    elif r["gpus"]:
        print(f"GPU: TensorFlow sees {len(r['gpus'])} GPU(s): {', '.join(r['gpus'])}")
    else:
        print("CPU only: TensorFlow sees no GPU. Everything runs, just slower; full-mode "
              "timings in the README are for a 2-core CPU.")
    return r


def setup_device(mixed_precision: bool = False) -> str:
    """Use the GPU when TensorFlow sees one (memory growth on, so TensorFlow
    does not grab all GPU memory; optional float16 mixed precision) and return
    ``"GPU"`` or ``"CPU"``, printing one line either way."""
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:
            pass  # already initialised: memory growth can only be set before first use
    if gpus and mixed_precision:
        import keras

        keras.mixed_precision.set_global_policy("mixed_float16")
    kind = "GPU" if gpus else "CPU"
    extra = " (mixed precision)" if gpus and mixed_precision else ""
    print(f"Training on {kind}{extra}: " + (", ".join(g.name for g in gpus) if gpus else
                                          "TensorFlow sees no GPU."))
    return kind
