"""One writer: the sampling thread computes plot-ready frames, the kernel's main thread alone
applies them to widgets and Bokeh models.

A standalone Bokeh ``Document`` has no lock, jupyter_bokeh sends one change as several comm
messages that two threads could interleave, and ipykernel 7 drops widget updates made from
other threads. So the worker never touches a widget: it hands over an immutable frame
(:meth:`Handoff.post`), only the latest is kept, and delivery is scheduled on the event loop
that was running when the app was made (in a notebook: the kernel's, on the main thread; the
notebook's ``add_next_tick_callback``). Without a running loop (a script, a test), frames
wait until the main thread calls :meth:`Handoff.deliver` (the apps' ``wait``, ``flush`` and
``run(block=True)`` do).

Nothing of a finished run can arrive late: a new run, Reset and a Playground setting first
stop and join the thread and apply its last frame
(:meth:`llc_explorer.apps.ui.app.SamplingApp._halt`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running in this thread, if any."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Handoff:
    """Latest-wins mailbox from a worker thread to the thread that made it.

    ``apply(frame)`` runs only in the making thread, from :meth:`deliver`.
    """

    def __init__(self, apply: Callable[[Any], None]) -> None:
        self._apply = apply
        self._lock = threading.Lock()
        self._pending: Any = None
        self._scheduled = False
        self.owner = threading.get_ident()
        self.loop = running_loop()

    def post(self, frame: Any) -> None:
        """Hand ``frame`` over (any thread): it replaces an undelivered one; delivery is
        scheduled on the owner's event loop when there is one."""
        with self._lock:
            self._pending = frame
            schedule = self.loop is not None and not self._scheduled
            self._scheduled = self._scheduled or schedule
        if schedule and self.loop is not None:
            with contextlib.suppress(RuntimeError):  # a closed loop: the kernel is exiting
                self.loop.call_soon_threadsafe(self.deliver)

    def deliver(self) -> None:
        """Apply the latest frame, if one is waiting (owner thread only)."""
        if threading.get_ident() != self.owner:
            raise RuntimeError("frames are applied only in the thread that made the app")
        with self._lock:
            frame, self._pending, self._scheduled = self._pending, None, False
        if frame is not None:
            self._apply(frame)
