"""Strict test configuration: dtype and rank promotion errors, warnings as errors (pyproject)."""

import json
from pathlib import Path

import jax
import pytest

jax.config.update("jax_numpy_dtype_promotion", "strict")
jax.config.update("jax_numpy_rank_promotion", "raise")

SPEC = Path(__file__).resolve().parents[2] / "shared" / "spec"


@pytest.fixture(scope="session")
def truth_cases() -> list[dict]:
    """The worked examples of ``shared/spec/truth_cases.json`` (a copy ships in tests/)."""
    here = Path(__file__).with_name("truth_cases.json")
    path = SPEC / "truth_cases.json" if (SPEC / "truth_cases.json").exists() else here
    return json.loads(path.read_text())["cases"]
