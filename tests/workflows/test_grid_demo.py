"""End to end: `gridfoot demo` on the bundled sample data, every output checked."""

from __future__ import annotations

import dataclasses
import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pyproj
import pytest
import rasterio
import xarray as xr
from PIL import Image

from gridfoot import footprint
from gridfoot.cli import main
from gridfoot.config import load_run_config, to_toml
from gridfoot.datasets import sample_mrio
from gridfoot.io.output import MARKER

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(demo_run) -> Path:
    """The folder of the session's one ``gridfoot demo`` run (tests/conftest.py): read only."""
    return demo_run.out


@pytest.fixture(scope="module")
def export_linked_total() -> float:
    """The footprint's export-linked total of Meridia's producers, computed independently."""
    result = footprint(sample_mrio()).sel(stressor="CO2")
    driven = result.driven.where(result.country == "MER", 0.0)
    return float(driven.where(driven.destination_country != "MER", 0.0).sum())


def test_every_output_is_written(demo) -> None:
    expected = [
        "accounts.csv",
        "allocation.nc",
        "allocation_report.csv",
        "breakdown_category.csv",
        "breakdown_destination.csv",
        "breakdown_sector.csv",
        "cube.zarr",
        "driven.parquet",
        "footprint.nc",
        "geotiff",
        "summary.json",
        "concentration.csv",
        "zonal.csv",
        "hubs.csv",
        "figures",
        "report.html",
        "run.toml",
        "unplaced.csv",
    ]
    names = {p.name for p in demo.iterdir()}
    assert set(expected) <= names
    # no temporary leftovers; the marker says gridfoot wrote the folder
    assert [n for n in names if n.startswith(".")] == [MARKER]
    # beside it only the run's cache (the footprint and allocation, gridfoot's own folder)
    beside = [p for p in demo.parent.iterdir() if p.name.startswith(".")]
    assert [p.name for p in beside] == [f".gridfoot-cache-{demo.name}"]
    assert (beside[0] / ".gridfoot-cache.json").is_file()
    tifs = {p.name for p in (demo / "geotiff").iterdir()}
    assert {
        "total.tif",
        "hotspot_mask.tif",
        "gistar_classes.tif",
        "destination_USA.tif",
        "destination_RoW.tif",
    } <= tifs


def test_the_command_prints_and_returns_what_it_wrote(demo_run) -> None:
    summary = json.loads((demo_run.out / "summary.json").read_text())
    assert list(demo_run.study.files) == summary["files"]
    assert demo_run.study.key_figures["total"] == summary["results"]["total"]
    out = demo_run.out.resolve()
    assert f"wrote {out} (report: {out / 'report.html'})" in demo_run.stdout


def test_total_geotiff_sums_to_the_export_linked_footprint(demo, export_linked_total) -> None:
    with rasterio.open(demo / "geotiff" / "total.tif") as tif:
        values = tif.read(1)
        assert tif.crs is not None and tif.crs.is_projected
        assert tif.res == (10_000.0, 10_000.0)
        assert tif.profile["compress"] == "deflate" and tif.profile["tiled"]
        nodata = tif.nodata
    valid = values[~np.isnan(values)] if nodata is None or np.isnan(nodata) else values
    assert float(valid.sum()) == pytest.approx(export_linked_total, rel=1e-6)


def test_destination_geotiffs_add_up_to_the_total(demo) -> None:
    total = 0.0
    for path in (demo / "geotiff").glob("destination_*.tif"):
        with rasterio.open(path) as tif:
            total += float(np.nansum(tif.read(1)))
    with rasterio.open(demo / "geotiff" / "total.tif") as tif:
        assert total == pytest.approx(float(np.nansum(tif.read(1))), rel=1e-9)


def test_cube_reopens_lazily_with_its_crs(demo, export_linked_total) -> None:
    with xr.open_zarr(demo / "cube.zarr", decode_coords="all") as store:
        cube = store["emissions"]
        assert cube.dims == ("destination", "sector", "y", "x")
        assert cube.chunks is not None  # lazy
        assert cube.rio.crs is not None
        assert set(cube.destination.values) == {"USA", "HKG", "JPN", "DEU", "KOR", "RoW"}
        assert float(cube.sum()) == pytest.approx(export_linked_total, rel=1e-9)
    with rasterio.open(demo / "geotiff" / "total.tif") as tif:
        assert cube.rio.crs == tif.crs


def test_hotspots_json_holds_the_key_figures(demo, export_linked_total) -> None:
    summary = json.loads((demo / "summary.json").read_text())["results"]
    assert summary["total"] == pytest.approx(export_linked_total, rel=1e-9)
    assert set(summary["share_in_top_area"]) == {"0.01", "0.05", "0.1"}
    assert set(summary["area_for_share"]) == {"0.5", "0.75", "0.9"}
    shares = list(summary["share_in_top_area"].values())
    assert shares == sorted(shares) and 0 < shares[0] < 1
    assert 0 < summary["gini"] < 1
    assert summary["hubs"][0]["rank"] == 1 and summary["hubs"][0]["regions"]
    hubs = pd.read_csv(demo / "hubs.csv")
    assert hubs["share"].sum() == pytest.approx(0.75, abs=0.02)
    assert sum(summary["by_destination"].values()) == pytest.approx(1.0)
    # every firm of the sample belongs to a mapped producer; none is left out unannounced
    assert summary["placement"]["points_out_of_scope"] == 0


def test_maps_exist_in_every_format_and_are_not_blank(demo) -> None:
    for name in (
        "total_map",
        "concentration",
        "destinations",
        "sectors",
        "categories",
        "destination_maps",
    ):
        for suffix in ("png", "pdf", "svg"):
            path = demo / "figures" / f"{name}.{suffix}"
            assert path.stat().st_size > 5_000, path
        with Image.open(demo / "figures" / f"{name}.png") as image:
            assert image.info["dpi"][0] == pytest.approx(300, abs=1)
            pixels = np.asarray(image.convert("L"))
            assert pixels.shape[0] > 500 and pixels.shape[1] > 500
            assert (pixels < 200).mean() > 0.01  # something is drawn


def _svg_text(path: Path) -> str:
    """The visible texts of a saved SVG (text is kept as text), one string."""
    import re
    from html import unescape

    return unescape(" ".join(re.findall(r"<text[^>]*>([^<]*)</text>", path.read_text())))


def test_figures_use_names_not_codes(demo) -> None:
    maps = demo / "figures"
    sectors = _svg_text(maps / "sectors.svg")
    assert "Electricity and heat" in sectors and "ELE" not in sectors.split()
    assert "share of export-linked CO2 (%)" in sectors
    categories = _svg_text(maps / "categories.svg")
    assert "Households" in categories and "Gross fixed capital formation" in categories
    assert "CONS_h" not in categories and "GFCF" not in categories
    total = _svg_text(maps / "total_map.svg")
    assert "driven by final demand outside" in total
    assert "no emissions (land)" in total and "spread over land or by a proxy" in total
    # each hub is labelled once; a region's name is written at one hub only
    hubs = pd.read_csv(demo / "hubs.csv").head(5)
    mains = hubs["regions"].str.split(";").str[0].str.strip()
    for name in set(mains):
        assert total.count(name) <= 1, name
    assert mains.iloc[0] in total


def test_pdfs_embed_one_truetype_font_and_keep_words_extractable(demo) -> None:
    for path in (demo / "figures").glob("*.pdf"):
        data = path.read_bytes()
        # one subset of one TrueType font (Type 42), never Type 3; no ligature glyphs, which
        # would need a second subset and break words like "final" in text extraction
        assert data.count(b"/Subtype /CIDFontType2") == 1, path.name
        assert b"/Subtype /Type3" not in data, path.name


def test_destination_panels_carry_letters_and_shares(demo) -> None:
    text = _svg_text(demo / "figures" / "destination_maps.svg")
    shares = pd.read_csv(demo / "breakdown_destination.csv").head(6)
    for index, (code, share) in enumerate(zip(shares["destination"], shares["share"], strict=True)):
        letter = "abcdef"[index]
        assert f"({letter}) {code}:" in text
        percent = f"{100 * share:.0f}%" if share >= 0.1 else f"{100 * share:.2g}%"
        assert f"({letter}) {code}: {percent} of the total" in text


def test_report_names_inputs_with_checksums_and_shows_figures(demo) -> None:
    report = (demo / "report.html").read_text()
    assert "firms.csv" in report and "sha256" in report
    assert report.count("data:image/png;base64,") == 6
    assert "Unplaced emissions" in report and "Timings" in report


@pytest.fixture(scope="module")
def rerun(demo, tmp_path_factory) -> Path:
    """The demo run again, from the run.toml it wrote, into another folder.

    Its maps are PNG only: figures are not compared between the runs, and the one run in
    every format is the demo's (test_run_toml_holds_the_whole_configuration checks that
    run.toml says so).
    """
    folder = tmp_path_factory.mktemp("again")
    config = tomllib.loads((demo / "run.toml").read_text())
    assert config["output"]["maps"] == ["png", "pdf", "svg"]
    config["output"]["maps"] = ["png"]
    (folder / "run.toml").write_text(to_toml(config))
    again = folder / "out"
    assert main(["run", str(folder / "run.toml"), "--out", str(again), "--no-progress"]) == 0
    return again


def test_run_toml_holds_the_whole_configuration(demo_run) -> None:
    """run.toml reads back as the run's configuration, every key of it, less the folder."""
    config = demo_run.study.config
    written = load_run_config(demo_run.out / "run.toml")
    assert written == dataclasses.replace(
        config, output=dataclasses.replace(config.output, dir=None)
    )
    assert config.output.dir == demo_run.out.resolve()


def test_run_toml_repeats_the_run_and_names_no_output_folder(demo, rerun) -> None:
    config = tomllib.loads((demo / "run.toml").read_text())
    assert config["downscale"]["destinations"] == "foreign"
    assert "dir" not in config.get("output", {})  # a copied run.toml cannot point anywhere
    first = json.loads((demo / "summary.json").read_text())["results"]
    second = json.loads((rerun / "summary.json").read_text())["results"]
    for key in ("total", "share_in_top_area", "area_for_share", "gini", "by_destination"):
        assert first[key] == second[key], key


def test_two_runs_give_byte_identical_tables_and_identical_arrays(demo, rerun) -> None:
    tables = sorted(p.name for p in demo.glob("*.csv"))
    assert len(tables) >= 8
    for name in tables:
        assert (demo / name).read_bytes() == (rerun / name).read_bytes(), name
    for name in ("footprint.nc", "allocation.nc"):
        with xr.open_dataset(demo / name) as a, xr.open_dataset(rerun / name) as b:
            xr.testing.assert_identical(a, b)
    with xr.open_zarr(demo / "cube.zarr") as a, xr.open_zarr(rerun / "cube.zarr") as b:
        assert a.attrs.pop("date_created") <= b.attrs.pop("date_created")  # the run's time
        xr.testing.assert_identical(a, b)
    for path in sorted((demo / "geotiff").glob("*.tif")):
        with rasterio.open(path) as a, rasterio.open(rerun / "geotiff" / path.name) as b:
            np.testing.assert_array_equal(a.read(), b.read())
            assert a.tags() == b.tags() and a.descriptions == b.descriptions


def test_geotiffs_read_well_in_gis(demo) -> None:
    """What QGIS and gdalinfo show: named bands with units, class legends, overviews, CRS."""
    folder = demo / "geotiff"
    with rasterio.open(folder / "destination_USA.tif") as tif:
        assert tif.descriptions == ("USA",)  # was "export_linked" in every file
        assert tif.tags()["destination"] == "USA" and tif.tags(1)["destination"] == "USA"
        assert tif.units == ("t",) and tif.tags()["units"] == "t"
        assert tif.scales == (1.0,) and tif.offsets == (0.0,)
    for name in ("total.tif", "destination_RoW.tif", "hotspot_mask.tif", "gistar_classes.tif"):
        with rasterio.open(folder / name) as tif:
            assert tif.overviews(1) == [2, 4], name  # 206 x 206: 103, 52
            crs = pyproj.CRS.from_wkt(tif.crs.to_wkt(version="WKT2_2019"))
            assert crs.geodetic_crs.name == "WGS 84" and "gridfoot" in crs.name, name
        assert (folder / f"{name}.aux.xml").exists()  # the CRS's area of use, for GDAL/QGIS
    for name, values in (("gistar_classes.tif", "1 2 3 4 5 6 7"), ("hotspot_mask.tif", "0 1")):
        with rasterio.open(folder / name) as tif:
            tags = tif.tags()
            assert tags["flag_values"] == values and len(tags["flag_meanings"].split()) == len(
                values.split()
            )
            assert "units" not in tags and "cell_methods" not in tags and not tif.units[0]
            assert tif.dtypes == ("uint8",) and tif.colormap(1)
            classes = tif.read(1)
            assert set(np.unique(classes)) <= {tif.nodata, *map(int, values.split())}
    with rasterio.open(folder / "gistar_classes.tif") as tif:
        assert tif.tags()["flag_values_of_layer"] == "-3 -2 -1 0 1 2 3"
        assert (tif.read(1) == 7).any()  # hot spots at 99% on the sample's hubs


def test_destinations_stack_adds_up_to_the_total(demo, tmp_path) -> None:
    """What ``[output] geotiff = ["destinations_stack"]`` writes: one band per destination."""
    from gridfoot.io import open_cube, write_geotiff

    destinations = open_cube(demo / "cube.zarr").sum("sector", keep_attrs=True).compute()
    names = {"USA": "United States"}
    path = write_geotiff(destinations, tmp_path / "destinations.tif", "destination", names=names)
    codes = ["USA", "HKG", "JPN", "DEU", "KOR", "RoW"]
    with rasterio.open(path) as stack:
        assert stack.count == 6
        assert stack.descriptions == ("USA (United States)", *codes[1:])
        assert [stack.tags(band)["destination"] for band in range(1, 7)] == codes
        assert stack.units == ("t",) * 6 and stack.overviews(1) == [2, 4]
        summed = np.nansum(stack.read(), axis=0)
    with rasterio.open(demo / "geotiff" / "total.tif") as tif:
        np.testing.assert_allclose(summed, np.nan_to_num(tif.read(1)), rtol=1e-9, atol=1e-9)


def test_cube_attributes_describe_the_run(demo) -> None:
    with xr.open_zarr(demo / "cube.zarr") as store:
        attrs = store.attrs
        emissions = store["emissions"].attrs
        coordinates = {name: store[name].attrs for name in store.coords}
    assert attrs["Conventions"] == "CF-1.10"
    assert attrs["stressor"] == "CO2" and attrs["units"] == "t"
    assert "CO2" in attrs["title"]
    assert "(t per cell per year)" in attrs["summary"] and "final demand" in attrs["summary"]
    assert attrs["mrio"].endswith("mrio") and attrs["allocation_mode"] == "mrio"
    assert attrs["source"].startswith("gridfoot ") and attrs["date_created"].endswith("Z")
    assert emissions["units"] == "t" and emissions["cell_methods"] == "area: sum"
    assert emissions["long_name"]
    for name in ("x", "y", "destination", "sector", "land_fraction", "cell_area"):
        assert coordinates[name]["long_name"], name


def test_summary_has_the_schema_of_every_study(demo) -> None:
    from tests.workflows.test_writer import SUMMARY_KEYS

    summary = json.loads((demo / "summary.json").read_text())
    assert list(summary) == SUMMARY_KEYS and summary["study"] == "grid"
    assert summary["options"]["downscale"]["destinations"] == "foreign"
    for name in summary["files"]:  # every file listed is there, and only those
        assert (demo / name.rstrip("/")).exists(), name
    assert "cube.zarr/" in summary["files"]
    assert list(summary["timings_s"])[:5] == [
        "inputs",
        "footprint",
        "allocation",
        "maps of the grid",
        "hotspots",
    ]
