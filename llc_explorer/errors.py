"""The package's one exception of its own: bad input."""

from __future__ import annotations


class ConfigError(ValueError):
    """A setting is invalid; the message names it and what is allowed. Every entry point
    raises it before anything runs (the CLI turns it into exit status 2 and one line)."""
