import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def data_home(tmp_path, monkeypatch):
    """An empty course data dir, offline, for one test."""
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    return tmp_path
