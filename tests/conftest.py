"""Shared fixtures: the public reference data (skipped cleanly when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from gridfoot.datasets import reference_data_dir


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """The reference-data folder (``GRIDFOOT_DATA`` or ``../shared/data``), else skip."""
    folder = reference_data_dir(required=False)
    if folder is None:
        pytest.skip("reference data absent: set GRIDFOOT_DATA or place it at ../shared/data")
    return folder


# Property tests are reproducible by default, so CI cannot fail on a draw nobody can replay;
# HYPOTHESIS_PROFILE=explore searches fresh examples (run it when touching the math).
settings.register_profile(
    "default", max_examples=60, derandomize=True, deadline=None, print_blob=True
)
settings.register_profile("explore", max_examples=2000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
