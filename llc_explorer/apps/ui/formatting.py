"""How the apps write numbers: 3 significant digits, thousands separators, short exponents.

One style everywhere a number is shown (readouts, step sizes, titles): ``48.7``, ``0.0123``,
``12,300``, ``3.2e-7`` (never ``3.2e-07`` or ``1e+03``), a dash for NaN or infinity.
"""

from __future__ import annotations

import math

DASH = "—"
"""What a number that is not finite (not yet known, or lost to a diverged chain) shows."""


def significant(x: float, digits: int = 3, sign: bool = False) -> str:
    """``x`` to ``digits`` significant digits: plain decimals from 0.001 to 1e6 (with thousands
    separators), else ``m.mme±k`` with the trailing zeros of ``m.mm`` dropped; ``sign`` adds a
    ``+`` to positive values; :data:`DASH` when ``x`` is not finite."""
    if not math.isfinite(x):
        return DASH
    plus = "+" if sign else ""
    rounded = float(f"{x:.{digits}g}")
    if rounded == 0:
        return "0"
    exponent = math.floor(math.log10(abs(rounded)))
    if -3 <= exponent < 6:
        return f"{rounded:{plus},.{max(digits - 1 - exponent, 0)}f}"
    mantissa, power = f"{rounded:{plus}.{digits - 1}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(power)}"


def short(x: float, digits: int = 6) -> str:
    """``x`` with up to ``digits`` significant digits and no trailing zeros, the exponent
    written short (``2e-7``, ``0.05``, ``1.25e-5``): a setting such as a step size, as typed."""
    if not math.isfinite(x):
        return DASH
    mantissa, _, power = f"{x:.{digits}g}".partition("e")
    return f"{mantissa}e{int(power)}" if power else mantissa
