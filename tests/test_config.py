"""The generic TOML loader: types, nesting, paths, and errors naming section.key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from gridfoot.config import from_mapping, load_config
from gridfoot.errors import ConfigError


@dataclass(frozen=True)
class Layer:
    name: str
    weight: float = 1.0


@dataclass(frozen=True)
class Output:
    folder: Path
    formats: tuple[str, ...] = ("png",)
    dpi: int = 300


@dataclass(frozen=True)
class Study:
    output: Output
    layer: tuple[Layer, ...] = ()
    mode: Literal["mrio", "inventory"] = "mrio"
    grid: Path | None = None
    labels: dict[str, str] = field(default_factory=dict)
    verbose: bool = False


def test_full_file_with_paths_relative_to_it(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    config = tmp_path / "sub" / "study.toml"
    config.write_text(
        """
mode = "inventory"
grid = "../grids/china.tif"
verbose = true

[output]
folder = "results"
formats = ["png", "svg"]

[labels]
CON = "Construction"

[[layer]]
name = "power"
weight = 2

[[layer]]
name = "steel"
"""
    )
    study = load_config(config, Study)
    assert study.output.folder == tmp_path / "sub" / "results"
    assert study.output.formats == ("png", "svg")
    assert study.grid == tmp_path / "grids" / "china.tif"
    assert study.layer == (Layer("power", 2.0), Layer("steel", 1.0))
    assert isinstance(study.layer[0].weight, float)
    assert (study.mode, study.verbose, study.labels) == ("inventory", True, {"CON": "Construction"})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"output": {"folder": "x", "dpl": 3}}, "output.dpl: unknown key; known keys: folder"),
        ({"output": {"folder": "x", "dpi": "300"}}, "output.dpi: expected an integer, got '300'"),
        ({"output": {"folder": "x", "dpi": True}}, "output.dpi: expected an integer"),
        ({"output": {}}, "output.folder: required key is missing"),
        ({}, "output: required key is missing"),
        ({"output": {"folder": 3}}, "output.folder: expected a path"),
        ({"output": {"folder": "x"}, "mode": "grid"}, "mode: expected one of 'mrio', 'inventory'"),
        ({"output": {"folder": "x"}, "layer": [{"name": "a"}, {"weight": 1}]},
         r"layer\[1\].name: required key is missing"),
        ({"output": {"folder": "x"}, "layer": {"name": "a"}}, "layer: expected an array"),
        ({"output": {"folder": "x"}, "layer": [{"name": "a", "weight": "1"}]},
         r"layer\[0\].weight: expected a number"),
        ({"output": {"folder": "x"}, "labels": {"CON": 1}}, "labels.CON: expected a string"),
        ({"output": {"folder": "x"}, "grid": 1}, "grid: expected a path"),
    ],
)  # fmt: skip
def test_errors_name_the_key(data, message) -> None:
    with pytest.raises(ConfigError, match=message):
        from_mapping(data, Study)


def test_file_errors_name_the_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "missing.toml", Study)
    bad = tmp_path / "bad.toml"
    bad.write_text("output = [")
    with pytest.raises(ConfigError, match=r"bad.toml: not a valid TOML file"):
        load_config(bad, Study)
    typo = tmp_path / "typo.toml"
    typo.write_text('[output]\nfolder = "x"\nformat = ["png"]\n')
    with pytest.raises(ConfigError, match=r"typo.toml: output.format: unknown key"):
        load_config(typo, Study)


def test_section_of_a_larger_file(tmp_path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('[plot]\nfolder = "figs"\n[other]\nanything = 1\n')
    assert load_config(path, Output, section="plot").folder == tmp_path / "figs"
    with pytest.raises(ConfigError, match=r"missing section \[map\]"):
        load_config(path, Output, section="map")
