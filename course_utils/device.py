"""Which devices TensorFlow sees, using a GPU when there is one, and keeping
TensorFlow's C++ log noise out of notebooks. TensorFlow is imported inside the
functions, never at package import."""
from __future__ import annotations

import contextlib
import os
import platform
import re
import sys
import tempfile

__all__ = ["device_report", "print_device_report", "setup_device", "quiet_tensorflow_logs"]

# A C++ log line from TensorFlow: "I0000 00:00:1795459078.39  4856 port.cc:153] ..." (I/W/E/F = severity).
_NATIVE_LOG = re.compile(r"^([IWEF])\d{4} \S+ +\d+ [\w./-]+:\d+\] ")
_ABSL_PREAMBLE = "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR"
# Logged at error level but harmless: no NVIDIA driver (setup_device says so in words), and oneDNN
# falling back to TensorFlow's own kernels for an op (the op still runs, with the same result).
_HARMLESS_ERRORS = ("failed call to cuInit", "Falling back to the default Eigen-based implementation")


def _is_log_noise(line: str) -> bool:
    header = _NATIVE_LOG.match(line)
    if header:
        return header.group(1) == "I" or any(text in line for text in _HARMLESS_ERRORS)
    # The absl notice, and the second line of TensorFlow's "optimized to use available CPU
    # instructions" INFO message. Any other unmarked line may be a real message: it stays.
    return line.strip() == _ABSL_PREAMBLE or line.startswith("To enable the following instructions:")


@contextlib.contextmanager
def quiet_tensorflow_logs():
    """Context manager around ``import tensorflow`` (or a first graph trace):
    keeps TensorFlow's C++ INFO lines ("oneDNN custom operations are on",
    "could not find cuda drivers") and its harmless error-level notices out of
    the notebook. TensorFlow 2.21 writes the start-up lines before its logging
    is set up, so TF_CPP_MIN_LOG_LEVEL cannot hide them
    (tensorflow/tensorflow#100442). On leaving the block it lists the GPUs, so
    the no-driver notice is caught here and not in a later cell. Every other
    line written to stderr in the block (warnings, real errors) is passed on
    unchanged. Yields nothing."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 (some embedded consoles): nothing to filter
        yield
        return
    with tempfile.TemporaryFile() as captured:
        os.dup2(captured.fileno(), 2)
        try:
            yield
            if "tensorflow" in sys.modules:
                sys.modules["tensorflow"].config.list_physical_devices("GPU")
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            lines = captured.read().decode("utf-8", "replace").splitlines(keepends=True)
            kept = [line for line in lines if not _is_log_noise(line)]
            if kept:
                sys.stderr.write("".join(kept))
                sys.stderr.flush()


def device_report() -> dict:
    """Return versions (python, numpy, tensorflow, keras) and the devices
    TensorFlow sees: ``{"python":..., "tensorflow":..., "gpus": [names], "cpus": n, ...}``.
    ``tensorflow`` is None when it is not installed."""
    import numpy as np

    report = {"python": platform.python_version(), "numpy": np.__version__,
              "tensorflow": None, "keras": None, "gpus": [], "cpus": 0}
    try:
        with quiet_tensorflow_logs():
            import keras
            import tensorflow as tf
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


def setup_device(mixed_precision: bool = False, verbose: bool = True) -> str:
    """Use the GPU when TensorFlow sees one (memory growth on, so TensorFlow
    does not grab all GPU memory; optional float16 mixed precision) and return
    ``"GPU"`` or ``"CPU"``, printing one line either way unless ``verbose`` is False."""
    from . import _validate

    mixed_precision = _validate.boolean("setup_device", "mixed_precision", mixed_precision)
    verbose = _validate.boolean("setup_device", "verbose", verbose)
    with quiet_tensorflow_logs():
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
    if verbose:
        print(f"Training on {kind}{extra}: " + (", ".join(g.name for g in gpus) if gpus else
                                              "TensorFlow sees no GPU."))
    return kind
