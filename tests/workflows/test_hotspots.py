"""``gridfoot hotspots``: GeoTIFF, NetCDF and Zarr in; summary, hubs and GeoTIFFs out; one-line
errors for unusable grids."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import xarray as xr
from shapely import box

from gridfoot.cli import main
from gridfoot.errors import ConfigError
from gridfoot.hotspots import concentration, hubs
from gridfoot.io import write_cube, write_geotiff
from gridfoot.spatial import Grid, Zones
from gridfoot.workflows.hotspots import run_hotspots
from tests.workflows.test_writer import SUMMARY_KEYS

GRID = Grid.for_boundaries(
    gpd.GeoSeries([box(0, 0, 55_000, 40_000)], crs=3035), crs=3035
)  # 4 x 6 cells, the last column half land


def _cube() -> xr.DataArray:
    values = np.zeros((2, *GRID.shape))
    values[0, 0, 0:2] = [40.0, 30.0]  # a hub of two cells
    values[0, 3, 4:6] = [20.0, 5.0]  # a second hub, on the coast
    values[0, 2, 2] = 1.0
    values[1] = values[0][:, ::-1]  # mirrored for the second destination
    return GRID.wrap(
        values, dims=["destination"], coords={"destination": ["USA", "JPN"]}, name="co2", units="t"
    )


PROVINCES = gpd.GeoDataFrame(
    {"name": ["West", "East"]},
    geometry=[box(0, 0, 30_000, 40_000), box(30_000, 0, 55_000, 40_000)],
    crs=3035,
)


@pytest.fixture
def regions(tmp_path):
    path = tmp_path / "provinces.geojson"
    PROVINCES.to_file(path)
    return path


def test_netcdf_cube_with_regions(tmp_path, regions, capsys):
    cube = write_cube(_cube(), tmp_path / "cube.nc")
    out = tmp_path / "out"
    code = main(
        [
            "hotspots",
            str(cube),
            "--share",
            "0.95",
            "--regions",
            str(regions),
            "--name-field",
            "name",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    printed = capsys.readouterr().out
    assert "USA" in printed and "West" in printed
    summary = json.loads((out / "summary.json").read_text())
    assert list(summary) == SUMMARY_KEYS and summary["study"] == "hotspots"
    assert summary["results"]["units"] == "t"
    # a map with the hubs and the concentration curve of each layer, shown in the report
    for name in ("map_USA", "concentration_USA", "map_JPN", "concentration_JPN"):
        assert f"figures/{name}.png" in summary["files"]
    assert (out / "report.html").read_text().count("data:image/png;base64,") == 4
    assert [row["destination"] for row in summary["results"]["layers"]] == ["USA", "JPN"]
    expected = concentration(_cube(), share=0.95)
    usa = summary["results"]["layers"][0]
    assert usa["share_in_top_area"] == pytest.approx(float(expected.share_in_top_area[0]))
    assert usa["gini"] == pytest.approx(float(expected.gini[0]))
    assert usa["hubs"] == 2 and usa["largest_hub_regions"] == "West"
    assert usa["land_area_km2"] == pytest.approx(2200.0)  # 22 cells of land
    table = pd.read_csv(out / "hubs.csv")
    reference = hubs(_cube(), 0.95, Zones.from_frame(PROVINCES, label="name"))
    assert table["total"].tolist() == reference["total"].tolist() == [70.0, 25.0, 70.0, 25.0]
    assert table["regions"].tolist() == ["West", "East", "East", "West"]
    zonal = pd.read_csv(out / "zonal.csv")
    west = zonal[(zonal.variable == "total") & (zonal.zone == "West")]
    assert west.set_index("destination")["value"].to_dict() == pytest.approx(
        {"USA": 71.0, "JPN": 25.0}
    )
    with rasterio.open(out / "geotiff" / "hotspot_mask.tif") as tif:
        assert tif.count == 2 and tif.descriptions == ("USA", "JPN")
        assert tif.read(1).sum() == 4
    with rasterio.open(out / "geotiff" / "gistar_classes.tif") as tif:
        assert tif.nodata == 0 and tif.dtypes[0] == "uint8"
        assert tif.tags()["flag_values_of_layer"] == "-3 -2 -1 0 1 2 3"
        assert tif.colormap(1)[7][:3] == (178, 24, 43)  # hot spot 99%: dark red
    with rasterio.open(out / "geotiff" / "hubs.tif") as tif:
        assert tif.read(1)[0, :2].tolist() == [1, 1] and tif.read(1)[3, 4] == 2


def test_geotiff_and_zarr_in_with_layer_selection_and_sums(tmp_path):
    tif = write_geotiff(_cube(), tmp_path / "cube.tif", "destination")
    out = tmp_path / "from_tif"
    assert main(["hotspots", str(tif), "--layer", "destination=JPN", "--out", str(out)]) == 0
    rows = pd.read_csv(out / "concentration.csv")
    assert rows["destination"].tolist() == ["JPN"] and rows["total"].tolist() == [96.0]
    store = write_cube(_cube(), tmp_path / "cube.zarr")
    out = tmp_path / "from_zarr"
    assert main(["hotspots", str(store), "--sum", "destination", "--out", str(out)]) == 0
    rows = pd.read_csv(out / "concentration.csv")
    assert len(rows) == 1 and rows["total"].tolist() == [192.0]
    with rasterio.open(out / "geotiff" / "gistar_classes.tif") as geotiff:
        assert geotiff.count == 1


def test_one_layer_with_regions(tmp_path, regions):
    # a GeoTIFF carries no land fraction: the half-sea coastal cell counts as all land, and
    # the half of it outside East is outside every region, unless --land gives the coast
    tif = write_geotiff(_cube().sel(destination="USA"), tmp_path / "usa.tif")
    for land, east, outside in [([], 22.5, 2.5), (["--land", str(regions)], 25.0, 0.0)]:
        out = tmp_path / f"out{len(land)}"
        arguments = ["--regions", str(regions), "--name-field", "name", "--share", "0.95"]
        assert main(["hotspots", str(tif), *arguments, *land, "--out", str(out)]) == 0
        rows = pd.read_csv(out / "concentration.csv")
        assert len(rows) == 1 and rows["largest_hub_regions"].tolist() == ["West"]
        zonal = pd.read_csv(out / "zonal.csv").set_index(["variable", "zone"])["value"]
        assert zonal[("total", "West")] == 71.0 and zonal[("total", "East")] == east
        assert zonal[("total", "(outside)")] == pytest.approx(outside, abs=1e-12)
        assert zonal[("land_area", "West")] == pytest.approx(1.2e9)  # 12 cells of land


def test_land_from_polygons_for_a_geotiff(tmp_path):
    layer = GRID.wrap(np.ones(GRID.shape), name="co2", units="t")
    tif = write_geotiff(layer.drop_vars("land_fraction"), tmp_path / "flat.tif", mask_sea=False)
    out = tmp_path / "out"
    assert (
        main(["hotspots", str(tif), "--land", str(_save(PROVINCES, tmp_path)), "--out", str(out)])
        == 0
    )
    summary = json.loads((out / "summary.json").read_text())
    assert summary["results"]["land_area_km2"] == pytest.approx(2200.0)


def _save(frame, folder):
    path = folder / "land.geojson"
    frame.to_file(path)
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda cube: cube.drop_vars("spatial_ref"), "no CRS"),
        (lambda cube: cube * np.nan, "empty"),
        (lambda cube: cube * 0.0, "only zeros"),
        (lambda cube: cube - 1.0, "negative"),
    ],
)
def test_unusable_grids_give_one_line_errors(tmp_path, capsys, make, message):
    data = make(_cube()).rename("co2")
    data.attrs = {}
    if "spatial_ref" not in data.coords:
        data.encoding.pop("grid_mapping", None)
    path = tmp_path / "bad.nc"
    data.to_dataset().to_netcdf(path)
    assert main(["hotspots", str(path), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and message in error
    assert not (tmp_path / "out" / "summary.json").exists()


def test_degree_grid_without_derivable_areas(tmp_path, capsys):
    layer = (
        xr.DataArray(
            np.ones((3, 3)), dims=("y", "x"), coords={"y": [50.0, 49.0, 47.0], "x": [1.0, 2.0, 3.0]}
        )
        .rio.write_crs("EPSG:4326")
        .rename("co2")
    )
    layer.to_dataset().to_netcdf(tmp_path / "degrees.nc")
    assert main(["hotspots", str(tmp_path / "degrees.nc"), "--out", str(tmp_path / "o")]) == 2
    assert "cell areas cannot be derived" in capsys.readouterr().err


def test_bad_selections(tmp_path, capsys):
    cube = write_cube(_cube(), tmp_path / "cube.nc")
    assert main(["hotspots", str(cube), "--layer", "destination=FRA", "--out", str(tmp_path)]) == 2
    assert "unknown destination FRA" in capsys.readouterr().err
    assert main(["hotspots", str(cube), "--sum", "sector", "--out", str(tmp_path)]) == 2
    assert "not a dim" in capsys.readouterr().err
    assert main(["hotspots", str(tmp_path / "none.tif"), "--out", str(tmp_path)]) == 2
    assert "none.tif: no such file or store" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"share": 0}, r"share: must be a number in \(0, 1\]"),
        ({"top_area": 1.5}, r"top_area: must be a number in \[0, 1\]"),
        ({"neighbours": "distance", "distance": 0.5}, "distance: must be a number >= 1"),
        ({"connectivity": 6}, "connectivity: expected one of 4, 8"),
        ({"name_field": "name"}, "name_field 'name' names a column .* it needs regions"),
    ],
)
def test_write_report_checks_options_before_writing(tmp_path, options, message):
    # --distance 0.5 used to fail after summary.csv and hubs.csv were written
    out = tmp_path / "out"
    with pytest.raises(ConfigError, match=message):
        run_hotspots(_cube(), out, **options)
    assert not out.exists()
