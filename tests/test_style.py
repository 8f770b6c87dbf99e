"""The tree is ruff-clean (lint and format), so CI catches style drift too."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PATHS = ["gridfoot", "tests", "benchmarks", "scripts"]


@pytest.mark.parametrize("command", [["check"], ["format", "--check"]], ids=["lint", "format"])
def test_ruff(command) -> None:
    # ruff is a test dependency: without it the check fails, so CI cannot pass unlinted
    assert importlib.util.find_spec("ruff") is not None, "pip install -e '.[test]' (ruff)"
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *command, *PATHS], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
