"""What the Explorer and the Playground share: a widget ``root`` shown with BokehJS loaded
from the installed package, a status line, one background sampling :class:`Worker`, and the
:class:`Handoff` through which it reaches the widgets."""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets

from llc_explorer.apps.cache import enable_compilation_cache
from llc_explorer.apps.ui.handoff import Handoff
from llc_explorer.apps.ui.notebook import load_bokehjs
from llc_explorer.apps.ui.worker import Worker


class SamplingApp:
    """Base of a notebook app that samples in a background thread.

    Threading rule: only the thread that made the app (the kernel's main thread) touches
    widgets and Bokeh models. The apps' widget callbacks are registered through
    :meth:`_on_main_thread`, so one that a kernel runs in a subshell's thread is handed to the
    main thread too (the controls' own syncing of one widget to another, which touches no
    plot or readout, runs where the kernel calls it). The sampling thread's code (the
    ``_sample``-like targets given to :meth:`_launch`) computes frames and hands them over
    with :meth:`_post`; the main thread applies them in :meth:`_apply`
    (:mod:`llc_explorer.apps.ui.handoff`). Subclasses build ``root`` and write the readout in
    :meth:`_show_status`. Creating one turns on JAX's
    persistent compilation cache (:func:`llc_explorer.apps.cache.enable_compilation_cache`).
    """

    root: widgets.Widget

    def __init__(self, thread_name: str) -> None:
        enable_compilation_cache()
        self._status = "ready"
        self._handoff = Handoff(self._apply)
        self._worker = Worker(thread_name, self._post_error)

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        load_bokehjs()
        return self.root._repr_mimebundle_(**kwargs)

    @property
    def status(self) -> str:
        """The current status message (also shown first in the readout)."""
        return self._status

    @property
    def running(self) -> bool:
        """Whether the sampling thread is running."""
        return self._worker.running

    def stop(self) -> None:
        """Ask the sampling thread to stop after its current chunk (returns at once)."""
        self._worker.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the sampling thread to end, applying its frames meanwhile (main thread
        only); returns whether it has ended. An interrupt (Ctrl-C, or the kernel's) while
        waiting stops the run before it propagates: no thread is left sampling."""
        deadline = None if timeout is None else time.perf_counter() + timeout
        try:
            while self.running:
                left = 0.05 if deadline is None else min(0.05, deadline - time.perf_counter())
                if left <= 0:
                    break
                self._worker.wait(left)
                self.flush()
        except KeyboardInterrupt:
            self._halt()
            raise
        self.flush()
        return not self.running

    def flush(self) -> None:
        """Apply the latest frame now (main thread only). In a notebook the kernel's event
        loop does this by itself; scripts and tests without a running loop call it."""
        self._handoff.deliver()

    def _on_main_thread(self, callback: Callable[..., object]) -> Callable[..., None]:
        """``callback`` as a widget callback that always runs in the thread that made the app.

        JupyterLab (4.4 and later) sends widget messages over a kernel subshell, and
        ipykernel 7 handles each subshell in its own thread: a click or a typed value then
        calls back in that thread. The wrapped callback runs at once in the owner thread (or
        where there is no event loop: a script), else is scheduled on the owner's loop.
        """

        @functools.wraps(callback)
        def call(*args: Any) -> None:
            loop = self._handoff.loop
            if loop is None or threading.get_ident() == self._handoff.owner:
                callback(*args)
            else:
                with contextlib.suppress(RuntimeError):  # a closed loop: the kernel is exiting
                    loop.call_soon_threadsafe(callback, *args)

        return call

    def _launch(self, target: Any, work: Any, block: bool) -> bool:
        """Start ``target(work)`` in the sampling thread (after the previous run's thread has
        ended and its last frame is shown); ``block`` waits for it."""
        self._halt()
        self._worker.start(target, work)
        if block:
            self.wait()
        return True

    def _halt(self) -> None:
        """Stop the sampling thread, wait for it, and apply its last frame."""
        self._worker.halt()
        self.flush()

    def _post(self, frame: Any) -> None:
        """Hand ``frame`` to the main thread (from the sampling thread)."""
        self._handoff.post(frame)

    def _post_error(self, message: str) -> None:
        raise NotImplementedError

    def _apply(self, frame: Any) -> None:
        raise NotImplementedError

    def _set_status(self, status: str) -> None:
        """Show ``status`` (main thread)."""
        self._status = status
        self._show_status(status)

    def _show_status(self, status: str) -> None:
        raise NotImplementedError
