"""The package's one exception of its own: bad input."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ConfigError(ValueError):
    """A setting is invalid; the message names it and what is allowed. Every entry point
    raises it before anything runs (the CLI turns it into exit status 2 and one line)."""


def did_you_mean(value: object, choices: Iterable[str]) -> str:
    """``" (did you mean 'steps'?)"`` for the choice closest to a mistyped ``value`` (by
    :func:`difflib.get_close_matches`), or ``""`` when none is close."""
    close = difflib.get_close_matches(str(value), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def not_one_of(what: str, value: object, choices: Iterable[str]) -> ConfigError:
    """The error for a ``value`` of ``what`` outside ``choices``: it lists them and suggests
    the closest."""
    choices = list(choices)
    return ConfigError(
        f"{what} must be one of {', '.join(choices)}; got {value!r}{did_you_mean(value, choices)}"
    )
