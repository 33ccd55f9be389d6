"""Notebooks run under ``pytest --nbval-lax`` (pyproject ``addopts``) with
``LLC_EXPLORER_FAST=1``, which the notebooks read to take fewer steps; set
``LLC_EXPLORER_FAST=0`` to test them at full length."""

import os

os.environ.setdefault("LLC_EXPLORER_FAST", "1")
