"""Run a notebook from Python: ``NotebookClient`` is nbclient's, minus an intermittent hang.

nbclient waits for a cell's reply with one long ``poll`` on the kernel's shell socket. After a
cell that opens widgets (``ipywidgets.interact``) that poll sometimes misses the reply's wake-up
and returns only when its timeout runs out, so a notebook that ran in 30 s took 633 s (the
10-minute cell timeout) in the student-edition test and 938 s in the slides check, and the run
still counted as passed (upstream: jupyter/nbclient#312, jupyter/nbconvert#2029). Here the wait
is made of one-second polls up to the same deadline, so a missed wake-up costs at most a second.
The course's tools, tests and benchmarks run notebooks through this class.
"""
from __future__ import annotations

import hashlib
from pathlib import Path
from queue import Empty
from time import monotonic

import nbclient
from jupyter_core.utils import ensure_async

__all__ = ["NotebookClient", "POLL_SECONDS", "package_fingerprint"]

POLL_SECONDS = 1.0


def package_fingerprint() -> str:
    """A 16-hex-digit hash of course_utils' sources: a saved run is reused only by the same code."""
    h = hashlib.sha256()
    for src in sorted(Path(__file__).parent.rglob("*.py")):
        h.update(src.read_bytes())
    return h.hexdigest()[:16]


class NotebookClient(nbclient.NotebookClient):
    """nbclient.NotebookClient whose wait for each cell's reply polls in short slices;
    ``execute()`` returns the executed notebook, as nbclient's does."""

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        channel = self.kc.shell_channel
        blocking_get = channel.get_msg

        async def get_msg(timeout=None):
            deadline = None if timeout is None else monotonic() + timeout
            while True:
                left = POLL_SECONDS if deadline is None else max(0.0, min(POLL_SECONDS, deadline - monotonic()))
                try:
                    return await ensure_async(blocking_get(timeout=left))
                except Empty:
                    if deadline is not None and monotonic() >= deadline:
                        raise

        channel.get_msg = get_msg
        try:
            return await super()._async_poll_for_reply(msg_id, cell, timeout, task_poll_output_msg,
                                                       task_poll_kernel_alive)
        finally:
            del channel.get_msg   # the channel's own method again
