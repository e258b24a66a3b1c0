import pytest

from course_utils import device


def test_device_report_and_setup(capsys):
    pytest.importorskip("tensorflow")
    report = device.print_device_report()
    assert report["tensorflow"] and report["cpus"] >= 1
    kind = device.setup_device()
    out = capsys.readouterr().out
    assert kind in {"GPU", "CPU"}
    assert ("CPU only" in out) == (kind == "CPU")


def _stderr_of(code: str, **env) -> str:
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"} | env
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    return done.stderr


def test_tensorflow_imports_without_its_startup_log_lines():
    pytest.importorskip("tensorflow")
    code = ("from course_utils import device\n"
            "with device.quiet_tensorflow_logs():\n"
            "    import tensorflow as tf\n"
            "    import keras\n"
            "print(float(tf.constant(1.0) + 1))\n")
    assert _stderr_of(code) == ""


def test_quiet_logs_pass_on_warnings_and_real_errors():
    # An INFO line with its second line and a known-harmless notice go;
    # a real error with its detail and a Python warning stay.
    noise = ("I0000 00:00:1795459078.394177    4856 port.cc:153] info line\n"
             "To enable the following instructions: AVX2 FMA, in other operations\n"
             "E0000 00:00:1795459079.1 4856 util.cc:131] oneDNN supports DT_INT32 only on platforms "
             "with AVX-512. Falling back to the default Eigen-based implementation if present.\n")
    real = "E0000 00:00:1795459078.5 4856 x.cc:2] real error\nits detail\n"
    code = ("import os, warnings\n"
            "from course_utils import device\n"
            "with device.quiet_tensorflow_logs():\n"
            f"    os.write(2, {(noise + real).encode()!r})\n"
            "    warnings.warn('python warning')\n")
    err = _stderr_of(code)
    assert "info line" not in err and "To enable" not in err and "oneDNN" not in err
    assert real in err and "python warning" in err
