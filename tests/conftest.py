"""Strict test configuration: dtype and rank promotion errors, warnings as errors (pyproject)."""

import json
import os
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


CHROMIUM = Path(os.environ.get("LLC_EXPLORER_CHROMIUM", "/usr/bin/chromium"))
"""Debian's Chromium, which the real-browser tests drive (tests/apps/test_browser.py,
tests/bench/test_report.py)."""


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """pytest-playwright's launch settings, with Debian's Chromium (no browser download)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
        ],
        "headless": True,
    }  # fmt: skip


@pytest.fixture(scope="session")
def base_url() -> None:
    """No base URL (replaces pytest-base-url's fixture, whose form pytest deprecates)."""
    return None
