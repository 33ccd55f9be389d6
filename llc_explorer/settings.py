"""Every run setting, declared once: its default, its check, its help text, how the command
line writes it, and what changing it costs (its ``kind``).

Everything else derives from :data:`SETTINGS`: :func:`llc_explorer.config.make_config` (its
signature, defaults and checks), the CLI's flags and their ``--help`` defaults, the
Explorer's controls, the sweep's shared settings, ``precompile.signature``,
``estimator.check_batchable``, the exports and the report's rerun command. A new setting is
added here (and as a field of :class:`llc_explorer.config.LLCConfig`), and every surface
knows it: ``tests/test_settings.py`` proves it.

The kinds, by what a change of value costs:

- ``problem``: builds the data and the teacher anew (the arguments of ``build_problem``);
- ``chunk``: compiles the jitted chunk anew (a static argument or a shape);
- ``shared``: nothing; a traced scalar of the potential, shared by a batch of configs;
- ``per_chain``: nothing; a traced value per chain (so a batch may vary it: the step size,
  and likewise every sampler's own hyperparameters, declared in
  :mod:`llc_explorer.sgmcmc.registry`);
- ``run``: nothing compiled; the host-side loop (run length, burn-in, warm-up).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, NamedTuple

from llc_explorer.dln.data import INPUT_DISTRIBUTIONS
from llc_explorer.dln.model import TEACHERS
from llc_explorer.errors import check_float, check_int, lookup
from llc_explorer.sgmcmc.adaptation import TINY_PARAMS
from llc_explorer.sgmcmc.prng import PRNGS
from llc_explorer.sgmcmc.registry import all_hyperparameters, get_spec, sampler_names
from llc_explorer.sgmcmc.run_config import PRECISION

STEPS = 30_000
"""Steps per chain of a run (of ``TINY_STEPS`` on a network below ``TINY_PARAMS``)."""

TINY_STEPS = 60_000
"""Steps per chain on a network below ``TINY_PARAMS`` parameters, whose sampling step (aimed at
``adaptation.TINY_TARGET``) is smaller: the chains need the longer run to leave ``w*``, and it
costs 5 to 8 s (docs/ACCURACY.md, section 0.6)."""

WARMUP_FACTOR = 4.0
"""During the burn-in's first part (:attr:`llc_explorer.config.LLCConfig.warmup_steps`) the
chains run at this many times the step size: from the degenerate point ``w*`` they leave
faster, and the last stretch of the burn-in, at the real step size, lets them settle
(docs/ACCURACY.md). Networks of fewer than ``TINY_PARAMS`` parameters default to no boost."""


def default_steps(num_params: int) -> int:
    """``STEPS``, or ``TINY_STEPS`` below ``TINY_PARAMS`` parameters."""
    return TINY_STEPS if num_params < TINY_PARAMS else STEPS


def default_warmup_factor(num_params: int) -> float:
    """``WARMUP_FACTOR``, or 1 below ``TINY_PARAMS`` parameters. On tiny DLNs the chains need
    no help to leave ``w*``, and a boosted warm-up carries them along the set of true
    parameters to less degenerate points, where they stay and read high (two tiny DLNs: +19%
    and +12% at factor 4, +10% and +5% at 1: docs/ACCURACY.md)."""
    return 1.0 if num_params < TINY_PARAMS else WARMUP_FACTOR


MAX_STEPS = 200_000
"""With ``steps="auto"``: the most steps a run takes (its budget)."""

MIN_AUTO_STEPS = 10_000
"""The smallest budget ``max_steps`` of an automatic run length: room for the shortest
warm-up, adaptation and sampling window (:mod:`llc_explorer.sgmcmc.run_length`)."""

Kind = Literal["problem", "chunk", "shared", "per_chain", "run"]
REQUIRED: Any = "required"
"""The default of a setting every run must give (the widths and the rank)."""


def number_or_auto(kind: type, what: str) -> Callable[[str], Any]:
    """A reader of command-line text: ``auto``, or a ``kind`` (``what`` in the error)."""

    def parse(text: str) -> Any:
        if text == "auto":
            return text
        try:
            return kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what} or auto, got {text!r}") from None

    return parse


def comma_list(convert: Callable[[str], Any], what: str, example: str) -> Callable[[str], list]:
    """A reader of comma-separated ``what``, each read by ``convert``
    (``"10,20,20,10"`` -> ``[10, 20, 20, 10]``)."""

    def parse(text: str) -> list:
        try:
            return [convert(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"expected comma-separated {what} such as {example}, got {text!r}"
            ) from None

    return parse


int_list = comma_list(int, "ints", "10,20,20,10")


def flag_value(text: str) -> bool:
    """A reader of on/off, true/false, yes/no or 1/0."""
    value = {"on": True, "true": True, "yes": True, "1": True,
             "off": False, "false": False, "no": False, "0": False}.get(text.lower())  # fmt: skip
    if value is None:
        raise argparse.ArgumentTypeError(f"expected on or off, got {text!r}")
    return value


def at_least(low: float, *, integer: bool = False, above: bool = False) -> Callable[..., Any]:
    """A check: an int (with ``integer``) or a number of at least ``low`` (above it with
    ``above``)."""
    if integer:
        return lambda name, value: check_int(name, value, int(low))
    return lambda name, value: check_float(name, value, low, open_low=above)


def between(low: float, high: float, *, above: bool = False) -> Callable[[str, Any], float]:
    """A check: a number in ``[low, high]`` (``(low, high]`` with ``above``)."""
    return lambda name, value: check_float(name, value, low, high, open_low=above)


def one_of(table: Callable[[], Iterable[str]]) -> Callable[[str, Any], str]:
    """A check: one of the names ``table()`` gives (read when checked: registries grow)."""

    def check(name: str, value: Any) -> str:
        lookup(name, value, dict.fromkeys(table()))
        return value

    return check


class Setting(NamedTuple):
    """One setting: ``default`` (``None``: derived from the others, as ``derived`` says in
    words; :data:`REQUIRED`: none), ``help``, ``kind`` (see the module), ``check`` (the
    value, else ``ConfigError`` naming the setting; cross-setting checks are
    ``make_config``'s), ``parse`` (command-line text to value) and ``choices`` (the names a
    command line may give, read when asked)."""

    default: Any
    help: str
    kind: Kind
    check: Callable[[str, Any], Any] | None = None
    parse: Callable[[str], Any] = float
    choices: Callable[[], Iterable[str]] | None = None
    derived: str = ""


SETTINGS: dict[str, Setting] = {
    "widths": Setting(REQUIRED, "layer widths, input to output: 10,20,20,10", "problem",
                      parse=int_list),
    "rank": Setting(REQUIRED, "rank of the teacher's product", "problem", parse=int),
    "teacher": Setting("minimal", "construction of w*", "problem", one_of(lambda: TEACHERS),
                       str, lambda: TEACHERS),
    "sampler": Setting("rmsprop_sgld", "SGMCMC sampler", "chunk", one_of(sampler_names), str,
                       sampler_names),
    "step_size": Setting(None, "eps, or auto", "per_chain", parse=number_or_auto(float, "a number"),
                         derived="auto where the sampler has a MALA acceptance, else its own"),
    "gamma": Setting(1.0, "localisation strength", "shared", at_least(0.0)),
    "nbeta": Setting(None, "n*beta, the inverse temperature times n", "shared",
                     at_least(0.0, above=True), derived="n / log n"),
    "n": Setting(100_000, "dataset size", "problem", at_least(2, integer=True), int),
    "batch_size": Setting(100, "minibatch size", "chunk", at_least(1, integer=True), int),
    "chains": Setting(4, "independent chains", "chunk", at_least(1, integer=True), int),
    "steps": Setting(None, "steps per chain, or auto: run until the estimate is precise (see "
                     "precision) and the convergence checks pass, at most max_steps", "run",
                     parse=number_or_auto(int, "an int"),
                     derived=f"{STEPS:,}; {TINY_STEPS:,} below {TINY_PARAMS} parameters"),
    "max_steps": Setting(MAX_STEPS, "with steps auto: the budget in steps", "run",
                         at_least(MIN_AUTO_STEPS, integer=True), int),
    "precision": Setting(PRECISION, "with steps auto: the Monte Carlo half-width of the 95% "
                         "interval to reach, relative to the estimate", "run",
                         between(0.0, 1.0, above=True)),
    "max_seconds": Setting(None, "with steps auto: a budget in seconds", "run",
                           at_least(0.0, above=True), derived="none"),
    "burn_in": Setting(0.9, "fraction of steps discarded", "run", between(0.0, 1.0)),
    "warmup_factor": Setting(None, "step-size multiplier for the burn-in's first part", "run",
                             between(1.0, 1000.0),
                             derived=f"{WARMUP_FACTOR:g}; 1 below {TINY_PARAMS} parameters"),
    "seed": Setting(0, "seed of data, teacher and chains", "problem",
                    lambda name, value: check_int(name, value, 0, 2**32 - 1), int),
    "noise": Setting(0.0, "target noise sigma", "problem", at_least(0.0)),
    "input_dist": Setting("normal", "distribution of the inputs x", "problem",
                          one_of(lambda: INPUT_DISTRIBUTIONS), str, lambda: INPUT_DISTRIBUTIONS),
    "prng": Setting("fast", "the chains' noise generator", "chunk", one_of(lambda: PRNGS), str,
                    lambda: PRNGS),
    "chunk_size": Setting(None, "steps per compiled chunk", "chunk", at_least(1, integer=True),
                          int, derived="from the network size"),
}  # fmt: skip
"""Every run setting by name, in the order the API, the CLI and the docs list them."""


def of_kind(*kinds: Kind) -> tuple[str, ...]:
    """The settings of these kinds, in declaration order."""
    return tuple(name for name, setting in SETTINGS.items() if setting.kind in kinds)


def text(value: Any) -> str:
    """A value as typed on the command line: ``on``/``off``, ``0.99``, ``1e-05``, ``0,1``."""
    if isinstance(value, tuple | list):
        return ",".join(text(v) for v in value)
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):  # short where that is exact, else every digit
        short = f"{value:g}"
        return short if float(short) == value else repr(value)
    return str(value)


def shown(value: Any) -> str:
    """A default as ``--help`` shows it: :func:`text`, with thousands separated."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else text(value)


def flags(settings: Mapping[str, Any]) -> list[str]:
    """The command-line flags that give ``settings`` (run settings and sampler
    hyperparameters), in their order: ``["--steps", "10000", "--bias-correction", "off"]``.
    The one encoder of settings as flags (the report's rerun command, the Explorer's command
    line, the paper's variants, the summary's labels)."""
    return [part for name, value in settings.items() for part in (flag(name), text(value))]


def flag(name: str) -> str:
    """The command-line flag of the setting or hyperparameter ``name``: ``--batch-size``."""
    return f"--{name.replace('_', '-')}"


def hyperparameter_help(name: str) -> str:
    """Which registered samplers use the hyperparameter ``name``, with their defaults."""
    users = [
        f"{sampler} {shown(get_spec(sampler).defaults[name])}"
        for sampler in sampler_names()
        if name in get_spec(sampler).ranges
    ]
    return f"sampler hyperparameter (default: {', '.join(users)})"


def hyperparameter_parse(name: str) -> Callable[[str], Any]:
    """How the command line reads the hyperparameter ``name``: on/off for a flag."""
    ranges = [get_spec(s).ranges[name] for s in sampler_names() if name in get_spec(s).ranges]
    return flag_value if any(r.flag for r in ranges) else float


def help_text(name: str, default: Any = None) -> str:
    """The ``--help`` line of a setting or hyperparameter: its help and its default (or the
    ``default`` given: a sweep's own)."""
    if name in all_hyperparameters():
        return hyperparameter_help(name)
    setting = SETTINGS[name]
    if setting.default is REQUIRED:
        return setting.help
    if default is None:
        default = setting.default
    shown_default = setting.derived if default is None else shown(default)
    return f"{setting.help} (default {shown_default})".replace("%", "%%")
