"""Precomputed outputs of an interactive control, for the kernel-free course
website (``python3 course.py site``).

A widget needs a running kernel; on the website a slider instead steps
through outputs computed while the site was built. The site builder asks for
them through a cell's ``metadata.course.site_slider`` (see the README, "The
course website") and runs one of these in the notebook's kernel:

- :func:`record` calls a function for each value and keeps what it shows
  (figures, with their descriptions, printed text, images);
- :func:`record_control` sets a widget's value to each of its options, as a
  student would, and keeps what a view widget (an ``ipywidgets.Image``) shows;
- :func:`record_interact` wraps ``ipywidgets.interact`` for one cell: the live
  widget is displayed as usual, and its frames are recorded over the values
  of one of its controls.

Each displays one output of MIME type :data:`MIME` (JSON: ``label``,
``initial`` and ``frames``, a list of ``{"value", "items"}`` where an item is
``{"png", "alt"}``, ``{"text"}`` or ``{"html"}``); the site's template draws it
as a slider. Nothing here runs in a student's notebook.
"""
from __future__ import annotations

import base64
import contextlib

__all__ = ["MIME", "MAX_FRAMES", "record", "record_control", "record_interact", "control_values"]

MIME = "application/vnd.course.frames+json"
MAX_FRAMES = 25


def _spread(values, limit):
    """At most ``limit`` of ``values``, evenly spread, first and last kept."""
    values = list(values)
    if len(values) <= limit:
        return values
    step = (len(values) - 1) / (limit - 1)
    return [values[round(i * step)] for i in range(limit)]


def control_values(widget) -> list:
    """The values a student can pick with ``widget``: a slider's steps, a
    dropdown's options, a checkbox's two states."""
    if hasattr(widget, "_options_values"):
        return list(widget._options_values)
    if hasattr(widget, "min") and hasattr(widget, "max") and hasattr(widget, "step"):
        lo, hi, step = widget.min, widget.max, widget.step or 1
        count = int(round((hi - lo) / step)) + 1
        values = [lo + i * step for i in range(count)]
        return [round(v, 10) if isinstance(v, float) else v for v in values]
    if isinstance(getattr(widget, "value", None), bool):
        return [False, True]
    raise ValueError(f"cannot list the values of {type(widget).__name__}: give the values explicitly")


def _label_of(value) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _capture(produce) -> list[dict]:
    """Run ``produce()``; return the items it displayed or printed, and its
    result when that is a figure or an image widget."""
    import matplotlib.pyplot as plt
    from IPython.display import display
    from IPython.utils.capture import capture_output

    with capture_output(display=True) as cap:
        result = produce()
        if hasattr(result, "savefig"):
            display(result)
        for number in plt.get_fignums():   # figures drawn and not shown: shown as the cell's end would
            display(plt.figure(number))
        plt.close("all")
    items = []
    for out in cap.outputs:
        if "image/png" in out.data:
            png = out.data["image/png"]
            items.append({"png": png if isinstance(png, str) else base64.b64encode(png).decode(),
                          "alt": (out.metadata or {}).get("image/png", {}).get("alt", "")})
        elif "text/html" in out.data:
            items.append({"html": out.data["text/html"]})
        elif "text/plain" in out.data:
            items.append({"text": out.data["text/plain"]})
    if cap.stdout.strip():
        items.append({"text": cap.stdout.rstrip()})
    value = getattr(result, "value", None)
    if isinstance(value, memoryview):   # ipywidgets keeps an Image's bytes as a memoryview
        value = value.tobytes()
    if isinstance(value, bytes) and getattr(result, "format", "") == "png":   # an ipywidgets.Image
        items.append({"png": base64.b64encode(value).decode(), "alt": ""})
    return items


def _emit(label, values, frames, initial) -> dict:
    from IPython.display import display

    labels = [_label_of(v) for v in values]
    initial = labels.index(_label_of(initial)) if initial is not None and _label_of(initial) in labels else 0
    data = {"label": label, "initial": initial, "frames": [{"value": lab, "items": items}
                                                           for lab, items in zip(labels, frames)]}
    display({MIME: data, "text/plain": f"[{len(frames)} precomputed outputs for the course website: {label}]"},
            raw=True)
    return data


def record(call, values, label: str = "value", initial=None, max_frames: int = MAX_FRAMES) -> dict:
    """Call ``call(v)`` for each of ``values`` (at most ``max_frames``, evenly
    spread) and display the frames; returns their JSON."""
    values = _spread(values, max_frames)
    return _emit(label, values, [_capture(lambda v=v: call(v)) for v in values], initial)


def record_control(control, view=None, values=None, label: str | None = None,
                   max_frames: int = MAX_FRAMES) -> dict:
    """Set ``control.value`` to each of its values (its observers redraw, as
    when a student moves it) and keep what ``view`` shows then; the control
    is put back where it was."""
    start = control.value
    values = _spread(control_values(control) if values is None else values, max_frames)

    def show(v):
        control.value = v
        return view

    try:
        return record(show, values, label or getattr(control, "description", "") or "value", initial=start,
                      max_frames=max_frames)
    finally:
        with contextlib.suppress(Exception):
            control.value = start


@contextlib.contextmanager
def record_interact(vary: str | None = None, label: str | None = None, max_frames: int = MAX_FRAMES):
    """While active, ``ipywidgets.interact(f, **controls)`` shows its live
    widget as usual and then records ``f`` over the values of the control
    named ``vary`` (default: the first one that has a list of values), the
    other controls at their current values."""
    import ipywidgets

    original = ipywidgets.interact

    def interact(*args, **kwargs):
        if not args or not callable(args[0]):   # @interact(x=...) used as a decorator
            return lambda f: interact(f, *args, **kwargs)
        shown = original(*args, **kwargs)
        panel = ipywidgets.interactive(args[0], **kwargs)
        controls = {w._kwarg: w for w in panel.kwargs_widgets}
        names = [vary] if vary else [n for n, w in controls.items() if _has_values(w)][:1]
        if not names or names[0] not in controls:
            raise ValueError(f"no control to step through among {sorted(controls)} (vary={vary!r})")
        name = names[0]
        fixed = {n: w.value for n, w in controls.items() if n != name}
        record(lambda v: args[0](**fixed, **{name: v}), control_values(controls[name]),
               label or controls[name].description or name, initial=controls[name].value, max_frames=max_frames)
        return shown

    ipywidgets.interact = interact
    try:
        yield
    finally:
        ipywidgets.interact = original


def _has_values(widget) -> bool:
    try:
        return len(control_values(widget)) > 1
    except ValueError:
        return False
