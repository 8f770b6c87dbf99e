"""Bad option values: refused in one line naming the option and the value, before anything is
read, computed or written (the output folder never appears).

``gridfoot hotspots`` options are checked by the helpers the ``[hotspots]`` config and the API
use; run and urban configs are checked when read.
"""

from __future__ import annotations

import dataclasses
import sys
import tomllib
from pathlib import Path

import numpy as np
import pytest
import rioxarray  # noqa: F401  (the .rio accessor)
import xarray as xr

from gridfoot.config import to_toml

from .conftest import assert_refused, edit_toml, run_cli, snapshot


@pytest.fixture
def raster(tmp_path: Path) -> Path:
    """A 3 x 4 GeoTIFF of 10 km cells: one hot cell (8 t), three of 2 t, the rest 0."""
    values = np.zeros((3, 4))
    values[0, 0], values[1, 1:4] = 8.0, 2.0
    layer = xr.DataArray(
        values,
        dims=("y", "x"),
        coords={"y": [25_000.0, 15_000.0, 5_000.0], "x": [5_000.0, 15_000.0, 25_000.0, 35_000.0]},
    ).rio.write_crs("EPSG:3035")
    path = tmp_path / "co2.tif"
    layer.rio.to_raster(path)
    return path


def test_good_options_on_the_raster_are_accepted(capsys, raster, tmp_path) -> None:
    # the control: the raster and these option spellings work, so refusals below are the options'
    out = tmp_path / "out"
    argv = ["--share", "0.5", "--top-area", "0", "--neighbours", "distance", "--distance", "1.5"]
    outcome = run_cli(capsys, "hotspots", raster, *argv, "--connectivity", "4", "--out", out)
    assert outcome.status == 0, outcome.err
    summary = (out / "concentration.csv").read_text()
    assert "hotspot_cells" in summary  # 8 t of 14: the hot cell alone holds more than half
    assert (out / "geotiff" / "gistar_classes.tif").exists()


@pytest.mark.parametrize(
    ("options", "named"),
    [
        (["--share", "0"], ["--share", "(0, 1]", "got 0.0"]),
        (["--share", "1.5"], ["--share", "got 1.5"]),
        (["--share", "nan"], ["--share", "got nan"]),
        (["--share", "three quarters"], ["--share", "got 'three quarters'"]),
        (["--top-area", "-0.1"], ["--top-area", "[0, 1]", "got -0.1"]),
        (["--top-area", "5"], ["--top-area", "got 5.0"]),
        (["--neighbours", "distance", "--distance", "0.5"], ["--distance", ">= 1", "got 0.5"]),
        (["--distance", "inf"], ["--distance", "got inf"]),
        (["--distance", "two"], ["--distance", "got 'two'"]),
        (["--neighbours", "hexagon"], ["--neighbours", "'queen', 'rook', 'distance'", "hexagon"]),
        (["--connectivity", "6"], ["--connectivity", "4, 8", "got 6"]),
        (["--connectivity", "eight"], ["--connectivity", "got 'eight'"]),
        (["--name-field", "name"], ["--name-field", "'name'", "--regions"]),
        (["--variable", "co2"], ["--variable", "'co2'", "GeoTIFF", "--layer"]),
        (["--scheduler", "gpu"], ["--scheduler", "'gpu'", "local", "tcp://host:8786"]),
        # several bad options: every one named, in one line
        (["--share", "0", "--distance", "0"], ["--share", "got 0.0", "--distance"]),
        (["--neighbours", "hex", "--distance", "0"], ["--neighbours", "'hex'", "--distance"]),
    ],
)
def test_bad_hotspots_options_are_refused_before_anything_is_written(
    capsys, raster, tmp_path, options, named
) -> None:
    out = tmp_path / "out"
    before = snapshot(tmp_path)
    assert_refused(run_cli(capsys, "hotspots", raster, *options, "--out", out), *named)
    assert not out.exists()
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [
        ("hotspots.hotspot_share", 0, ["hotspots.hotspot_share", "(0, 1]", "got 0"]),
        ("hotspots.hotspot_share", -0.5, ["hotspots.hotspot_share", "got -0.5"]),
        ("hotspots.hotspot_share", float("nan"), ["hotspots.hotspot_share", "got nan"]),
        ("hotspots.shares", [0.5, -0.2], ["hotspots.shares", "got -0.2"]),
        ("hotspots.shares", [], ["hotspots.shares", "at least one"]),
        ("hotspots.top_area", [1.5], ["hotspots.top_area", "[0, 1]", "got 1.5"]),
        ("hotspots.distance", 0.5, ["hotspots.distance", ">= 1", "got 0.5"]),
        ("hotspots.neighbours", "hex", ["hotspots.neighbours", "'queen'", "'hex'"]),
        ("hotspots.connectivity", "8", ["hotspots.connectivity", "4, 8", "'8'"]),
        ("hotspots.gistar", "yes", ["hotspots.gistar", "true/false", "'yes'"]),
        ("grid.resolution", 0, ["grid.resolution", "> 0", "got 0"]),
        ("grid.resolution", float("nan"), ["grid.resolution", "got nan"]),
        ("grid.resolution", "10 km", ["grid.resolution", "expected a number", "'10 km'"]),
        ("output.maps", ["png", "gif"], ["output.maps[1]", "'svg'", "'gif'"]),
        ("output.geotiff", ["all"], ["output.geotiff[0]", "'total'", "'all'"]),
        ("output.top_destinations", 0, ["output.top_destinations", ">= 1", "got 0"]),
        ("output.top_destinations", 2.5, ["output.top_destinations", "got 2.5"]),
        ("dask.chunk_mb", -1, ["dask.chunk_mb", "> 0", "got -1"]),
        ("dask.memory_budget", 8, ["dask.memory_budget", '"8 GiB"', "got 8"]),
        ("dask.memory_budget", "lots", ["dask.memory_budget", "'lots'"]),
        ("dask.scheduler", "gpu", ["dask.scheduler", "'gpu'"]),
    ],
)
def test_bad_run_config_values_are_refused_when_read(capsys, study, key, value, named) -> None:
    config = edit_toml(study / "gridfoot.toml", **{key: value})
    out = study.parent / "out"
    outcome = run_cli(capsys, "run", config, "--out", out, "--no-progress")
    assert_refused(outcome, "gridfoot.toml", *named)
    assert not out.exists()


@pytest.mark.parametrize(
    ("command", "scheduler", "named"),
    [
        ("demo", "gpus", ["--scheduler", "'gpus'", "threads, synchronous, processes, local"]),
        ("run", "tcp:/host", ["--scheduler", "'tcp:/host'"]),
        ("demo", "local", ["--scheduler = 'local'", "pip install 'gridfoot[cluster]'"]),
        ("run", "tcp://host:8786", ["--scheduler = 'tcp://host:8786'", "gridfoot[cluster]"]),
    ],
)
def test_a_bad_scheduler_is_refused_before_anything_is_read(
    capsys, monkeypatch, study, command, scheduler, named
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if it were not installed
    out = study.parent / "out"
    config = [study / "gridfoot.toml"] if command == "run" else []
    outcome = run_cli(capsys, command, *config, "--scheduler", scheduler, "--out", out)
    assert_refused(outcome, *named)
    assert not out.exists()


def _edit_cities(study: Path, **changes: object) -> Path:
    """The sample urban config with top-level keys or the first city's keys changed."""
    path = study / "cities" / "cities.toml"
    data = tomllib.loads(path.read_text())
    for dotted, value in changes.items():
        table = data["city"][0] if dotted.startswith("city.") else data
        key = dotted.removeprefix("city.")
        *tables, key = key.split(".")
        for name in tables:
            table = table[name]
        if value is None:
            table.pop(key)
        else:
            table[key] = value
    path.write_text(to_toml(data))  # arrays of tables ([[city]]) too
    return path


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"figure_formats": ["bogus"]}, ["figure_formats[0]", "'png', 'pdf', 'svg'", "'bogus'"]),
        ({"figure_formats": ["png", "PDF"]}, ["figure_formats[1]", "'PDF'"]),
        ({"indicators.balance": "net"}, ["indicators.balance", "'final-demand'", "'net'"]),
        ({"indicators.trade_intensity": 1}, ["indicators.trade_intensity", "got 1"]),
        ({"top_sectors": 0}, ["top_sectors", ">= 1", "got 0"]),
        ({"city.population": -5}, ["city[0].population", "> 0", "got -5"]),
        ({"city.exchange_rate": 0}, ["city[0].exchange_rate", "got 0"]),
        ({"city.tolerance": -0.1}, ["city[0].tolerance", ">= 0", "got -0.1"]),
        ({"city.import_share": "all"}, ["city[0].import_share", "'local-use'", "'all'"]),
        (
            {"city.assumption": "single-region"},
            ["city[0].origin_shares", "multi-regional", "single-region"],
        ),
    ],
)
def test_bad_urban_options_are_refused_before_any_table_is_written(
    capsys, study, changes, named
) -> None:
    config = _edit_cities(study, **changes)
    out = study.parent / "urban_out"
    assert_refused(run_cli(capsys, "urban", config, "--out", out), "cities.toml", *named)
    assert not out.exists()


def test_the_edited_urban_config_is_otherwise_valid(study) -> None:
    # the control of the cases above: rewriting the sample config keeps it loadable
    from gridfoot.config import UrbanConfig, load_config

    config = load_config(_edit_cities(study, top_sectors=3), UrbanConfig)
    assert config.top_sectors == 3 and len(config.city) == 8


# -- the Python API: option values refused as ConfigError, before anything is drawn or saved --


def test_save_figure_checks_every_format_before_saving_any(tmp_path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gridfoot.errors import ConfigError
    from gridfoot.plot.style import save_figure

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    try:
        with pytest.raises(ConfigError, match=r"formats\[1\]: expected one of .*'bogus'"):
            save_figure(fig, tmp_path / "line", ["png", "bogus"])
        assert list(tmp_path.iterdir()) == []  # the png was not written first
        with pytest.raises(ConfigError, match="dpi: must be a whole number >= 1, got 0"):
            save_figure(fig, tmp_path / "line", ["png"], dpi=0)
    finally:
        plt.close(fig)


def test_map_options_are_refused_as_config_errors() -> None:
    # matplotlib's own ValueError for an unknown colour map used to escape
    import matplotlib

    matplotlib.use("Agg")
    from gridfoot.errors import ConfigError
    from gridfoot.plot import maps
    from gridfoot.spatial import Grid

    layer = Grid.from_bounds((0, 0, 20_000, 10_000), "EPSG:3035").wrap(np.ones((1, 2)))
    with pytest.raises(ConfigError, match="cmap: 'no-such-map' is not a matplotlib colour map"):
        maps.map_grid(layer, cmap="no-such-map")
    with pytest.raises(ConfigError, match="hub_labels: must be a whole number >= 0, got -1"):
        maps.map_grid(layer, hub_labels=-1)
    stack = layer.expand_dims(destination=["A", "B"])
    with pytest.raises(ConfigError, match="columns: must be a whole number >= 1, got 0"):
        maps.small_multiples(stack, columns=0)


def test_urban_config_built_in_python_is_checked_like_the_file(tmp_path) -> None:
    from gridfoot.config import CityConfig, MrioConfig, UrbanConfig
    from gridfoot.errors import ConfigError

    table = CityConfig(name="A", table=tmp_path / "a.csv", emissions=tmp_path / "e.csv")
    with pytest.raises(ConfigError, match=r"figure_formats\[0\]: expected one of .*'gif'"):
        UrbanConfig(city=(table,), figure_formats=("gif",))
    with pytest.raises(ConfigError, match=r"city\[0\]\.gdp: must be a number > 0, got nan"):
        UrbanConfig(city=(CityConfig(name="A", table=tmp_path / "a.csv", gdp=float("nan")),))
    with pytest.raises(ConfigError, match=r"city\[0\]\.assumption: 'multi-regional' .*\[mrio\]"):
        UrbanConfig(city=(dataclasses.replace(table, assumption="multi-regional"),))
    with pytest.raises(ConfigError, match=r"city\[0\]\.import_share: a city of MRIO regions"):
        UrbanConfig(
            city=(CityConfig(name="A", regions=("HAI",), import_share="total-use"),),
            mrio=MrioConfig(path=tmp_path),
        )
    with pytest.raises(ConfigError, match=r"mrio\.x: expected one of 'auto', 'file', 'balanced'"):
        MrioConfig(path=tmp_path, x="guess")
