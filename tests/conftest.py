"""Shared fixtures: the public reference data (skipped cleanly when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gridfoot.datasets import reference_data_dir


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """The reference-data folder (``GRIDFOOT_DATA`` or ``../shared/data``), else skip."""
    folder = reference_data_dir(required=False)
    if folder is None:
        pytest.skip("reference data absent: set GRIDFOOT_DATA or place it at ../shared/data")
    return folder
