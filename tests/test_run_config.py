"""Run configurations: keys checked by name, defaults, and failed runs that leave nothing."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from gridfoot.cli import main
from gridfoot.config import (
    DaskConfig,
    HotspotsConfig,
    OutputConfig,
    RunConfig,
    load_run_config,
    to_plain,
    to_toml,
)
from gridfoot.datasets import sample_data_dir
from gridfoot.errors import ConfigError
from gridfoot.io.output import MARKER, output_folder

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
    assert config.dask.scheduler is None  # no setting: an active Client, else threads


@pytest.mark.parametrize(
    "scheduler", ["threads", "synchronous", "processes", "local", "tcp://10.1.2.3:8786"]
)
def test_every_kind_of_scheduler_is_read(tmp_path, scheduler) -> None:
    pytest.importorskip("distributed")
    config = load_run_config(_config(tmp_path, f'\n[dask]\nscheduler = "{scheduler}"\n'))
    assert config.dask.scheduler == scheduler


def test_a_cluster_without_distributed_is_one_error_naming_the_extra(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    for scheduler in ("local", "tcp://10.1.2.3:8786"):
        path = _config(tmp_path, f'\n[dask]\nscheduler = "{scheduler}"\n')
        with pytest.raises(ConfigError) as refused:
            load_run_config(path)
        assert f"dask.scheduler = {scheduler!r} needs dask.distributed" in str(refused.value)
        assert "pip install 'gridfoot[cluster]'" in str(refused.value)
    path = _config(tmp_path, '\n[dask]\nscheduler = "synchronous"\n')
    assert load_run_config(path).dask.scheduler == "synchronous"  # dask's own need nothing


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sources": {"path": "f.csv", "weigth": "co2"}}, "sources.weigth: unknown key"),
        ({"grid": {"resolution": "10 km"}}, "grid.resolution: expected a number"),
        ({"hotspots": {"shares": [0.5, 75]}}, r"hotspots.shares: every value .* \(0, 1\].*75"),
        ({"hotspots": {"shares": []}}, "hotspots.shares: give at least one share"),
        ({"hotspots": {"top_area": [-0.1]}}, r"hotspots.top_area: .* \[0, 1\].*-0.1"),
        ({"hotspots": {"hotspot_share": 0}}, r"hotspots.hotspot_share: .* \(0, 1\].*got 0"),
        ({"hotspots": {"hotspot_share": float("nan")}}, "hotspots.hotspot_share: .*got nan"),
        ({"hotspots": {"distance": 0.5}}, r"hotspots.distance: must be a number >= 1.*0.5"),
        ({"hotspots": {"connectivity": 6}}, "hotspots.connectivity: expected one of 4, 8"),
        ({"grid": {"resolution": -5}}, r"grid.resolution: must be a number > 0.*-5"),
        ({"grid": {"resolution": float("inf")}}, "grid.resolution: .*inf"),
        ({"output": {"maps": ["png", "gif"]}}, r"output.maps\[1\]: expected one of .*'gif'"),
        ({"output": {"top_destinations": 0}}, "output.top_destinations: .* >= 1, got 0"),
        ({"output": {"published": {"USA": 23}}}, "output.published.USA: .*got 23"),
        ({"dask": {"chunk_mb": 0}}, "dask.chunk_mb: must be a number > 0"),
        ({"dask": {"memory_budget": 8}}, 'dask.memory_budget: expected a size .*"8 GiB".*got 8'),
        ({"dask": {"memory_budget": "8 GB RAM"}}, "dask.memory_budget: .*got '8 GB RAM'"),
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


def test_sections_built_in_python_are_checked_like_the_file() -> None:
    # the same checks whether a section comes from TOML or from Python keywords
    with pytest.raises(ConfigError, match=r"hotspots\.neighbours: expected one of 'queen'"):
        HotspotsConfig(neighbours="hexagon")
    with pytest.raises(ConfigError, match=r"output.geotiff\[0\]: expected one of"):
        OutputConfig(geotiff=("everything",))
    with pytest.raises(
        ConfigError, match=r"hotspots\.connectivity: expected one of 4, 8, got True"
    ):
        HotspotsConfig(connectivity=True)


def test_memory_budget_is_read_with_its_unit() -> None:
    assert DaskConfig(memory_budget="1.5 GiB").memory_budget_bytes == 3 * 2**29
    assert DaskConfig(memory_budget="500 MB").memory_budget_bytes == 500_000_000
    assert DaskConfig().memory_budget_bytes is None
