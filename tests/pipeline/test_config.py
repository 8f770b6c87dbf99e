"""Run configurations: keys checked by name, defaults, and failed runs that leave nothing."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from gridfoot.cli import main
from gridfoot.config import to_plain, to_toml
from gridfoot.datasets import sample_data_dir
from gridfoot.errors import ConfigError
from gridfoot.io.output import MARKER, output_folder
from gridfoot.pipeline import RunConfig, load_run_config

SAMPLE = sample_data_dir() / "gridfoot.toml"


def _config(tmp_path: Path, text: str) -> Path:
    """The sample configuration with ``text`` appended, beside the sample data."""
    path = tmp_path / "study.toml"
    base = SAMPLE.read_text().replace('path = "', f'path = "{sample_data_dir()}/')
    base = base.replace('concordance = "', f'concordance = "{sample_data_dir()}/')
    base = base.replace('cities = "', f'cities = "{sample_data_dir()}/')
    path.write_text(base + text)
    return path


def test_sample_configuration_reads_with_documented_defaults() -> None:
    config = load_run_config(SAMPLE)
    assert config.mrio.path == sample_data_dir() / "mrio"
    assert config.grid.resolution == 10_000.0
    assert config.downscale.destinations == "foreign"
    assert config.hotspots.connectivity == 8
    assert config.dask.scheduler == "threads"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sources": {"path": "f.csv", "weigth": "co2"}}, "sources.weigth: unknown key"),
        ({"grid": {"resolution": "10 km"}}, "grid.resolution: expected a number"),
        ({"hotspots": {"shares": [0.5, 75]}}, r"hotspots.shares: fractions must be in \(0, 1\]"),
        ({"downscale": {"mode": "points"}}, "downscale.mode: expected one of 'mrio', 'inventory'"),
        ({"dask": {"scheduler": "gpu"}}, "dask.scheduler: expected one of"),
        (
            {"boundaries": {"path": "b.json", "region": "CHN", "region_field": "code"}},
            "give region_field",
        ),
    ],
)
def test_bad_keys_and_values_are_named(change, message) -> None:
    data = {
        "mrio": {"path": "mrio"},
        "sources": {"path": "firms.csv"},
        "boundaries": {"path": "b.json", "region_field": "code"},
    }
    for section, values in change.items():
        data[section] = values
    with pytest.raises(ConfigError, match=message):
        RunConfig.from_mapping(data)


def test_resolved_configuration_round_trips_through_toml(tmp_path) -> None:
    config = load_run_config(SAMPLE)
    text = to_toml(to_plain(config, base_dir=tmp_path))
    again = RunConfig.from_mapping(tomllib.loads(text), base_dir=tmp_path)
    assert again == config


def test_validate_reports_what_would_be_mapped(capsys) -> None:
    assert main(["validate", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "12 regions x 12 sectors; 6 destinations (foreign)" in out
    assert out.rstrip().endswith("ok")


def test_a_failed_run_leaves_the_previous_output_untouched(tmp_path, capsys) -> None:
    out = tmp_path / "results"
    with output_folder(out, command="run") as staging:
        (staging / "keep.txt").write_text("previous run")
    config = _config(tmp_path, "")
    config.write_text(config.read_text().replace('stressor = "CO2"', 'stressor = "CH4"'))
    assert main(["run", str(config), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "mrio.stressor: 'CH4' is not in the MRIO" in err
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "keep.txt"]
    assert (out / "keep.txt").read_text() == "previous run"


def test_unknown_key_in_a_file_names_file_and_key(tmp_path, capsys) -> None:
    config = _config(tmp_path, "\n[report]\ntitle = 'x'\n")
    assert main(["validate", str(config)]) == 2
    err = capsys.readouterr().err
    assert "study.toml" in err and "report: unknown key" in err
