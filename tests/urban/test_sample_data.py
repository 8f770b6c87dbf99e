"""The sample cities are generated, not hand-written: the script reproduces them exactly."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from gridfoot.datasets import sample_data_dir

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"


def test_sample_urban_script_reproduces_the_bundled_cities(tmp_path, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(SCRIPTS))
    sample_urban = importlib.import_module("sample_urban")
    sample_urban.make_cities(tmp_path)
    bundled = sample_data_dir() / "cities"
    made = sorted(p.name for p in (tmp_path / "cities").iterdir())
    assert made == sorted(p.name for p in bundled.iterdir())
    for name in made:
        assert (tmp_path / "cities" / name).read_bytes() == (bundled / name).read_bytes(), name
    sys.modules.pop("sample_urban", None)
