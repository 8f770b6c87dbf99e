"""Cases a red team found (configs, MRIO options, hotspots and urban inputs), now refused or
warned about in one line."""

from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

from gridfoot.errors import GridfootWarning
from tests.badinput.conftest import assert_refused, edit_toml, run_cli


def test_an_unknown_satellite_option_is_named(study, capsys) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"mrio.satellite": {"bogus": 1}})
    assert_refused(run_cli(capsys, "validate", config), "mrio.satellite", "bogus", "known:")


def test_an_empty_path_is_refused(study, capsys) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"sources.path": ""})
    assert_refused(run_cli(capsys, "validate", config), "sources.path", "empty path")


def test_a_fifo_as_configuration_is_refused_without_blocking(tmp_path, capsys) -> None:
    fifo = tmp_path / "study.toml"
    os.mkfifo(fifo)
    assert_refused(run_cli(capsys, "validate", fifo), "study.toml", "not a regular file")


def test_a_folder_as_configuration_is_refused(tmp_path, capsys) -> None:
    (tmp_path / "study.toml").mkdir()
    assert_refused(run_cli(capsys, "validate", tmp_path / "study.toml"), "is a folder")


def test_a_configuration_with_a_byte_order_mark_is_read(study, capsys) -> None:
    config = study / "gridfoot.toml"
    config.write_bytes(b"\xef\xbb\xbf" + config.read_bytes())
    assert run_cli(capsys, "validate", config).status == 0


def test_types_are_described_in_plain_words(study, capsys) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"downscale.destinations": 5})
    line = assert_refused(run_cli(capsys, "validate", config), "downscale.destinations")
    assert "one of 'foreign', 'all' or an array" in line and "Literal" not in line


def test_x_file_without_an_x_table_is_refused(study, capsys) -> None:
    config = edit_toml(study / "gridfoot.toml", **{"mrio.x": "file"})
    assert_refused(run_cli(capsys, "validate", config), "no gross output table", "x = 'file'")
    outcome = run_cli(
        capsys, "footprint", "--mrio", study / "mrio", "--x", "file", "--out", study.parent / "o"
    )
    assert_refused(outcome, "x.csv")


def _raster(path, values):
    from gridfoot.io import write_geotiff
    from gridfoot.spatial.grid import Grid

    grid = Grid.from_bounds((0, 0, 30_000, 30_000), "EPSG:3035")
    return write_geotiff(grid.wrap(np.asarray(values, float), name="co2", units="t"), path)


def test_hotspots_refuses_infinite_cells(tmp_path, capsys) -> None:
    raster = _raster(tmp_path / "co2.tif", [[1, 2, np.inf], [0, 1, 2], [3, 0, 1]])
    outcome = run_cli(capsys, "hotspots", raster, "--out", tmp_path / "out")
    assert_refused(outcome, "co2.tif", "1 infinite value")
    assert "invalid value" not in outcome.err and not (tmp_path / "out").exists()


def test_hotspots_warns_when_the_regions_miss_the_raster(tmp_path, capsys) -> None:
    import geopandas as gpd
    from shapely import box

    raster = _raster(tmp_path / "co2.tif", [[1, 2, 5], [0, 1, 2], [3, 0, 1]])
    far = gpd.GeoDataFrame({"name": ["elsewhere"]}, geometry=[box(9e5, 9e5, 1e6, 1e6)], crs=3035)
    far.to_file(tmp_path / "far.geojson")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridfootWarning)
        outcome = run_cli(
            capsys,
            "hotspots",
            raster,
            "--regions",
            tmp_path / "far.geojson",
            "--out",
            tmp_path / "out2",
        )
    assert outcome.status == 0
    assert any("none of the 1 zone" in str(w.message) for w in caught)


def test_urban_warns_about_origin_shares_that_miss_one_and_cities_without_people(
    study, capsys, tmp_path
) -> None:
    origins = study / "cities" / "hgg_origins.csv"
    origins.write_text(origins.read_text().replace("HAI,0.3", "HAI,0.9"))  # domestic: 1.6
    config = study / "cities" / "cities.toml"
    # Haigang (origin shares, its population removed) and Jiangcheng (with people) are enough
    # for both warnings and a run that completes; the other six cities only cost time.
    top, haigang, jiangcheng, *_ = config.read_text().split("\n[[city]]\n")
    assert 'name = "Haigang"' in haigang and "population = 420000\n" in haigang
    haigang = haigang.replace("population = 420000\n", "")
    config.write_text("\n[[city]]\n".join([top, haigang, jiangcheng]))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GridfootWarning)
        outcome = run_cli(capsys, "urban", config, "--out", tmp_path / "urban")
    assert outcome.status == 0
    messages = [str(w.message) for w in caught if issubclass(w.category, GridfootWarning)]
    assert any("domestic origins sum to 1.6" in m and "hgg_origins.csv" in m for m in messages)
    assert any("without population" in m and "per person" in m for m in messages)


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"grid.crs": "banana"}, "grid.crs: unknown CRS 'banana'"),
        ({"grid.crs": "EPSG:4326"}, "grid.resolution: 10000 is in degrees"),
    ],
)
def test_grid_options_are_named(study, capsys, changes, named) -> None:
    config = edit_toml(study / "gridfoot.toml", **changes)
    assert_refused(run_cli(capsys, "validate", config), named)


def test_an_mrio_path_naming_a_file_says_to_name_its_folder(study, capsys) -> None:
    outcome = run_cli(capsys, "footprint", "--mrio", study / "mrio" / "Z.csv", "--out", "unused")
    assert_refused(outcome, "Z.csv: is a file", "folder holding its tables")
