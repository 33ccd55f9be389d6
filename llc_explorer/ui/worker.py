"""One background sampling thread at a time, stoppable between chunks."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any


class Worker:
    """Runs ``target(work)`` in a daemon thread; an exception is passed to ``on_error`` as one
    line (never raised into the notebook). :meth:`stream` ends a run's snapshot iterator
    early (closing it) once :meth:`stop` is called."""

    def __init__(self, name: str, on_error: Callable[[str], None]) -> None:
        self.name = name
        self.on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """Whether the thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, target: Callable[[Any], None], work: Any, block: bool = False) -> None:
        """Stop any running thread, then run ``target(work)`` (``block``: wait for it)."""
        self.halt()
        self._thread = threading.Thread(
            target=self._guarded, args=(target, work), name=self.name, daemon=True
        )
        self._thread.start()
        if block:
            self.wait()

    def stop(self) -> None:
        """Ask the thread to stop after its current chunk (returns at once)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; returns whether it has."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def halt(self) -> None:
        """Stop the thread and wait for it to end."""
        self.stop()
        self.wait()
        self._stop.clear()

    def stream(self, snapshots: Iterator[Any]) -> Iterator[Any]:
        """The items of ``snapshots``, ending early (generator closed) on :meth:`stop`."""
        try:
            for item in snapshots:
                yield item
                if self._stop.is_set():
                    return
        finally:
            snapshots.close()

    def _guarded(self, target: Callable[[Any], None], work: Any) -> None:
        try:
            target(work)
        except Exception as exc:  # shown to the user, never raised into the notebook
            self.on_error(f"error: {type(exc).__name__}: {exc}")
