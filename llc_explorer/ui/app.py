"""What the Explorer and the Playground share: a widget ``root`` shown with BokehJS loaded
from the installed package, a status line, and one background sampling :class:`Worker`."""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets

from llc_explorer.cache import enable_compilation_cache
from llc_explorer.ui.notebook import load_bokehjs
from llc_explorer.ui.worker import Worker


class SamplingApp:
    """Base of a notebook app that samples in a background thread.

    Subclasses build ``root`` and write the readout in :meth:`_show_status`. Creating one
    turns on JAX's persistent compilation cache
    (:func:`llc_explorer.cache.enable_compilation_cache`), so a restarted kernel does not
    compile the same chunks again.
    """

    root: widgets.Widget

    def __init__(self, thread_name: str) -> None:
        enable_compilation_cache()
        self._status = "ready"
        self._worker = Worker(thread_name, self._set_status)

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
        """Wait for the sampling thread to end; returns whether it has."""
        return self._worker.wait(timeout)

    def _set_status(self, status: str) -> None:
        self._status = status
        self._show_status(status)

    def _show_status(self, status: str) -> None:
        raise NotImplementedError
