"""One background sampling thread at a time, stoppable between chunks, and stopped and joined
before the interpreter exits (a thread still inside XLA at exit aborts the process)."""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from collections.abc import Callable, Generator, Iterator
from typing import Any, Protocol

LOG = logging.getLogger("llc_explorer")

EXIT_TIMEOUT = 60.0
"""Most seconds to wait at exit for a sampling thread to finish its chunk (or compile)."""


class Stoppable(Protocol):
    """A thread's owner: ``stop()`` asks it to end, ``wait(timeout)`` waits until it has."""

    def stop(self) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...


_THREADS: weakref.WeakSet[Stoppable] = weakref.WeakSet()


def register_for_exit(owner: Stoppable) -> None:
    """Stop ``owner``'s thread and wait for it at interpreter exit."""
    _THREADS.add(owner)


@atexit.register
def stop_all_workers() -> None:
    """Stop every background thread (sampling, preparing) and wait for it: runs at
    interpreter exit (and a kernel's shutdown), before Python finalises what XLA still uses."""
    for owner in list(_THREADS):
        owner.stop()
    for owner in list(_THREADS):
        owner.wait(EXIT_TIMEOUT)


class Worker:
    """Runs ``target(work)`` in a daemon thread. An exception is logged with its traceback
    (logger ``llc_explorer``) and passed to ``on_error`` as one line, in the worker thread
    (never raised into the notebook). :meth:`stream` ends a run's snapshot iterator early
    (closing it) once :meth:`stop` is called."""

    def __init__(self, name: str, on_error: Callable[[str], None]) -> None:
        self.name = name
        self.on_error = on_error
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        register_for_exit(self)

    @property
    def running(self) -> bool:
        """Whether the thread has not yet finished its work."""
        return self._thread is not None and not self._done.is_set()

    @property
    def stopping(self) -> bool:
        """Whether :meth:`stop` was called since the thread started."""
        return self._stop.is_set()

    def start(self, target: Callable[[Any], None], work: Any) -> None:
        """Stop any running thread, then run ``target(work)``."""
        self.halt()
        self._done = threading.Event()
        self._thread = threading.Thread(
            target=self._guarded, args=(target, work, self._done), name=self.name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to stop after its current chunk (returns at once)."""
        self._stop.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the thread to end; returns whether it has. It waits on an event the thread
        sets when its work ends, never in ``Thread.join`` with the work still running: an
        interrupt (Ctrl-C) inside ``join`` marks a running thread as stopped in CPython 3.11,
        which then leaves it sampling unseen and aborts the interpreter at exit."""
        if self._thread is not None and self._done.wait(timeout):
            self._thread.join()  # its work is over: only the thread's own exit is left
        return not self.running

    def halt(self) -> None:
        """Stop the thread and wait for it to end."""
        self.stop()
        self.wait()
        self._stop.clear()

    def stream(self, snapshots: Iterator[Any]) -> Generator[Any, None, None]:
        """The items of ``snapshots``, ending early (generator closed) on :meth:`stop`."""
        try:
            for item in snapshots:
                yield item
                if self._stop.is_set():
                    return
        finally:
            close = getattr(snapshots, "close", None)
            if close is not None:
                close()

    def _guarded(self, target: Callable[[Any], None], work: Any, done: threading.Event) -> None:
        try:
            target(work)
        except Exception as exc:  # shown to the user, never raised into the notebook
            LOG.exception("error in the %s sampling thread", self.name)
            self.on_error(f"error: {type(exc).__name__}: {exc}")
        finally:
            done.set()
