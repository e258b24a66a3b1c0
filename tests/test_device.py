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
