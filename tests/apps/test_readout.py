"""The apps' readouts: one number style, fixed table columns, and the same rows in every state
(so nothing moves as a run goes from ready to provisional to done)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from readouts import readout_rows

from llc_explorer.apps.explorer.readout import readout_html
from llc_explorer.apps.playground.readout import RESULT_HEADER
from llc_explorer.apps.playground.readout import readout_html as playground_readout
from llc_explorer.apps.ui.formatting import DASH, short, significant
from llc_explorer.apps.ui.readout import CSS, table
from llc_explorer.config import make_config
from llc_explorer.estimator import stream_config
from llc_explorer.surfaces.sampling import make_surface_config, stream_surface


@pytest.mark.parametrize(
    ("x", "shown"),
    [
        (48.734, "48.7"), (0.012345, "0.0123"), (12345.6, "12,300"), (999.7, "1,000"),
        (3.16e-7, "3.16e-7"), (2.5e6, "2.5e6"), (1e-3, "0.00100"), (-0.02634, "-0.0263"),
        (5.0, "5.00"), (0.0, "0"), (math.nan, DASH), (math.inf, DASH),
    ],
)  # fmt: skip
def test_significant_writes_three_digits_with_separators_and_short_exponents(x, shown):
    assert significant(x) == shown


def test_significant_keeps_the_value_and_never_writes_a_long_exponent():
    for x in np.geomspace(1e-12, 1e12, 97) * np.array([1, -1] * 48 + [1]):
        shown = significant(float(x))
        assert "e+" not in shown and not re.search(r"e-?0", shown), shown
        assert float(shown.replace(",", "")) == pytest.approx(x, rel=5e-3)
    assert significant(2.6, 2, sign=True) == "+2.6"


@pytest.mark.parametrize(
    ("x", "shown"), [(2e-7, "2e-7"), (0.05, "0.05"), (1.25e-5, "1.25e-5"), (3e-5, "3e-5")]
)
def test_short_writes_a_setting_as_typed(x, shown):
    assert short(x) == shown and float(shown) == x


def test_table_fixes_column_widths_aligns_numbers_and_spans_short_rows():
    html = table([["a", "1", "x"], ["status", "running"]], (150, 130), (False, True, False))
    assert "<table class='llc-table'" in html and ".llc-table{table-layout:fixed;" in CSS
    assert "<col style='width:150px'><col style='width:130px'><col>" in html
    assert "<td class='llc-num'>1</td>" in html  # a number cell: right-aligned
    assert "<td colspan='2'>running</td>" in html  # a short row: its last cell spans


def explorer_states() -> list[tuple[object, object, str]]:
    """(config, result, status) of the explorer from invalid settings to a finished run, with
    the burn-in (provisional) in between."""
    config = make_config(
        (5, 3, 5), 2, sampler="sgld", n=2000, chains=4, steps=400, chunk_size=50, seed=1
    )
    results = list(stream_config(config))
    return [
        (None, None, "invalid settings"),
        (config, None, "ready"),
        (config, results[1], "running"),
        (config, results[-1], "done"),
    ]


def test_explorer_readout_has_the_same_rows_in_every_state():
    states = explorer_states()
    rows = [readout_rows(readout_html(*state)) for state in states]
    labels = [list(r) for r in rows]
    assert all(labels[0] == other for other in labels[1:]), labels
    _, ready, running, done = rows
    assert ready["estimate λ̂"][0] == DASH and ready["parameters d"][0] == "30"
    assert running["estimate λ̂"][0].startswith("≈ ") and "provisional" in running["estimate λ̂"][1]
    result = states[-1][1]
    assert done["estimate λ̂"][0] == significant(result.llc_mean)
    assert done["steps"] == ["400", "of 400; burn-in 360"]


def test_playground_readout_is_a_table_with_one_row_per_sampler():
    config = make_surface_config("dln", sampler="sgld", steps=2000, chains=4, chunk_size=500)
    *_, result = stream_surface(config)
    ready = readout_rows(playground_readout([config], [None], "ready"))
    done = readout_rows(playground_readout([config], [result], "done"))
    assert list(ready) == list(done) == ["status", "exact λ", "sampler", "sgld"]
    assert len(RESULT_HEADER) == len(done["sgld"]) + 1
    assert ready["sgld"] == [DASH] * 5
    assert done["sgld"][0] == significant(result.llc_mean)
    assert done["sgld"][4] == "2,000 of 2,000"
