"""The package's one exception of its own, bad input, and the checks that raise it: a number
in a range (:class:`Range`), an int (:func:`check_int`), a name from a table
(:func:`lookup`, which suggests the nearest name on a typo)."""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable, Mapping
from numbers import Integral, Real
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")


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


def lookup(what: str, name: object, table: Mapping[str, T]) -> T:
    """``table[name]``, else the :func:`not_one_of` error for ``what``: the one lookup of every
    named choice (sampler, teacher, PRNG, input distribution, surface, ...)."""
    if not isinstance(name, str) or name not in table:
        raise not_one_of(what, name, table)
    return table[name]


class Range(NamedTuple):
    """The allowed values of a number: finite, in ``[low, high]`` (an end excluded with
    ``open_low`` / ``open_high``), or with ``flag`` a bool (on/off)."""

    low: float = 0.0
    high: float = math.inf
    open_low: bool = False
    open_high: bool = False
    flag: bool = False

    def check(self, name: str, value: Any) -> float | bool:
        """``value`` if allowed, else ``ConfigError`` naming ``name`` and the range."""
        if self.flag:
            if isinstance(value, bool) or (isinstance(value, int | float) and value in (0, 1)):
                return bool(value)
            raise ConfigError(f"{name} must be True or False (on or off); got {value!r}")
        number = isinstance(value, Real) and not isinstance(value, bool)
        ok = number and math.isfinite(value)
        ok = ok and (value > self.low if self.open_low else value >= self.low)
        ok = ok and (value < self.high if self.open_high else value <= self.high)
        if not ok:
            raise ConfigError(f"{name} must be {self.describe()}; got {value!r}")
        return float(value)

    def describe(self) -> str:
        """The allowed range in words: ``a number above 0``, ``a number in [0, 1]``."""
        low, high = (re.sub(r"e\+?(-?)0*(\d)", r"e\1\2", f"{x:g}") for x in (self.low, self.high))
        if math.isinf(self.high):
            return f"a number above {low}" if self.open_low else f"a number of at least {low}"
        left, right = "(" if self.open_low else "[", ")" if self.open_high else "]"
        return f"a number in {left}{low}, {high}{right}"


def check_float(
    name: str, value: Any, low: float, high: float = math.inf, *, open_low: bool = False
) -> float:
    """``value`` as a finite float in ``[low, high]`` (``(low, high]`` with ``open_low``),
    else ``ConfigError`` naming ``name``."""
    return float(Range(low, high, open_low=open_low).check(name, value))


def check_int(name: str, value: Any, low: int, high: float = math.inf) -> int:
    """``value`` as an int in ``[low, high]``, else ``ConfigError`` naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, Integral) or not low <= int(value) <= high:
        upper = "" if high == math.inf else f", at most {high}"
        raise ConfigError(f"{name} must be an int, at least {low}{upper}; got {value!r}")
    return int(value)
