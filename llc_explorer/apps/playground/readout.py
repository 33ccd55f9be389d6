"""The Playground's readout: the status and the exact LLC, then one row of results per sampler
shown, as HTML tables of fixed width (:mod:`llc_explorer.apps.ui.readout` styles them). Pure
functions: the sampling thread writes it, the main thread shows it.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from llc_explorer.apps.ui.formatting import DASH, significant
from llc_explorer.apps.ui.readout import CSS, muted, table
from llc_explorer.surfaces.library import get_surface
from llc_explorer.surfaces.sampling import SurfaceConfig, SurfaceResult

TEMPERED_HEADER = "<span title='what an exact sampler reaches here'>exact at n·β</span>"
"""The header of the column of what an exact sampler reaches at this ``n*beta`` and gamma."""

RESULT_HEADER = ("sampler", "λ̂", "± stderr", TEMPERED_HEADER, "diverged", "step")
"""The columns of the readout's results table (one row per sampler shown)."""

RESULT_WIDTHS = (120, 70, 85, 110, 90)
"""Widths (px) of the results table's columns; the last takes the rest."""

READOUT_WIDTH = "620px"
"""The readout's fixed width, the same with one panel or two: nothing moves when compare is
turned on or off, or when the numbers grow."""


def readout_html(
    configs: Sequence[SurfaceConfig], results: Sequence[SurfaceResult | None], status: str
) -> str:
    """The readout: the status and the exact LLC, then a table of the results shown (with their
    own settings), one row per sampler: estimate, stderr, the value an exact sampler reaches
    at this ``n*beta`` and ``gamma``, diverged chains and steps (dashes before a run)."""
    shown = [result for result in results if result is not None]
    rows = [["status", escape(status)]]
    surfaces = [r.config.surface for r in shown] or [c.surface for c in configs]
    if surfaces:
        surface = get_surface(surfaces[0])
        truth = surface.truth
        key = muted(f"multiplicity {truth.multiplicity}; {escape(surface.source)}")
        rows.append(["exact λ", f"{truth.llc} {key}"])
    top = table(rows, RESULT_WIDTHS[:1], (False, False), width=READOUT_WIDTH)
    lines = [
        [
            escape(r.config.sampler),
            significant(r.llc_mean),
            significant(r.llc_stderr, 2),
            significant(r.tempered_llc),
            f"{len(r.diverged_chains)} of {r.config.chains}",
            f"{r.steps_done:,} of {r.config.steps:,}",
        ]
        for r in shown
    ] or [[escape(c.sampler), *[DASH] * 5] for c in configs]
    numbers = (False, True, True, True, True, True)
    results_table = table(lines, RESULT_WIDTHS, numbers, RESULT_HEADER, width=READOUT_WIDTH)
    return CSS + top + results_table
