"""A background thread that gets the next run ready while the user is still choosing it.

:meth:`Preparer.request` hands it a config; after ``debounce`` seconds without a newer one it
calls ``prepare(config)`` (:func:`llc_explorer.apps.precompile.prepare`: problem built, chunk
compiled) unless a config with the same compiled shapes was prepared before. Only the latest
request counts; one that is still waiting can be dropped (:meth:`Preparer.cancel`), one
that has started runs to its end (compiling cannot be interrupted). Like the sampling
:class:`~llc_explorer.apps.ui.worker.Worker`, it is stopped and joined at interpreter exit, and
it never touches a widget.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable
from typing import Any

from llc_explorer.apps.ui.worker import register_for_exit

LOG = logging.getLogger("llc_explorer")

DEBOUNCE = 0.5
"""Seconds without a newer request before a preparation starts."""


class Preparer:
    """Runs ``prepare(config)`` in a daemon thread for the latest requested config whose
    ``signature(config)`` (what a preparation depends on) is new."""

    def __init__(
        self,
        prepare: Callable[[Any], None],
        signature: Callable[[Any], Hashable],
        *,
        debounce: float = DEBOUNCE,
    ) -> None:
        self.prepare = prepare
        self.signature = signature
        self.debounce = debounce
        self.prepared: set[Hashable] = set()
        self._pending: Any = None
        self._busy = False
        self._closed = False
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        register_for_exit(self)

    def request(self, config: Any) -> None:
        """Prepare ``config`` once no newer request has come for ``debounce`` seconds (a
        config prepared before needs nothing, and drops an older request still waiting)."""
        wanted = self.signature(config) not in self.prepared
        with self._changed:
            self._pending = config if wanted else None
            self._changed.notify_all()
        if wanted and self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="llc-explorer-prepare", daemon=True
            )
            self._thread.start()

    def cancel(self) -> None:
        """Drop a request that has not started (a run is starting: it needs the cores)."""
        with self._changed:
            self._pending = None
            self._changed.notify_all()

    @property
    def idle(self) -> bool:
        """Whether nothing is waiting or being prepared."""
        with self._changed:
            return self._pending is None and not self._busy

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until idle (or ``timeout`` seconds); returns whether it is."""
        with self._changed:
            return self._changed.wait_for(
                lambda: not self._busy and (self._closed or self._pending is None), timeout
            )

    def stop(self) -> None:
        """Drop any waiting request and end the thread after its current preparation (then
        :meth:`wait` returns once that has ended)."""
        with self._changed:
            self._pending, self._closed = None, True
            self._changed.notify_all()

    def _next(self) -> Any:
        """The latest request once it has stood for ``debounce`` seconds (``None``: closed)."""
        with self._changed:
            while not self._closed:
                config = self._pending
                if config is None:
                    self._changed.wait()
                elif self._changed.wait(self.debounce) or self._pending is not config:
                    continue  # a newer request (or a cancel) came: wait again
                else:
                    self._pending, self._busy = None, True
                    return config
            return None

    def _loop(self) -> None:
        while (config := self._next()) is not None:
            key = self.signature(config)
            try:
                if key not in self.prepared:
                    self.prepare(config)
                    self.prepared.add(key)
            except Exception:  # a run of this config will show the problem to the user
                LOG.exception("preparing a run in the background failed")
            finally:
                with self._changed:
                    self._busy = False
                    self._changed.notify_all()
