"""Every tonne and every point accounted for, from the points read to the run's summary.

Per producer and in total: input emissions = on points + fallback + unplaced; every point read
is placed, set aside (with its reason), or counted out of scope; the summary's placement
figures are those sums, and ``on_points + fallback`` of the mapped values is what the map
holds.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, reject, settings
from hypothesis import strategies as st
from shapely import box

from gridfoot.config import load_run_config
from gridfoot.datasets import sample_data_dir
from gridfoot.errors import GridfootWarning, UnplacedError, UnplacedWarning
from gridfoot.spatial import Grid, Zones, allocate, read_sources
from gridfoot.workflows import run_grid
from gridfoot.workflows.grid_inputs import Scope, placement_summary

CRS = "EPSG:3035"
SIZE = 1_000.0  # metres per cell


# ------------------------------------------------------------------------- properties
@st.composite
def pipelines(draw):
    """A small grid cut into region strips (the last region has no polygon), points with
    random sectors (some not in the MRIO) and positions (some off the grid or outside every
    strip), some producers without points, and a footprint with negative entries."""
    nx, ny = draw(st.integers(1, 4)), draw(st.integers(1, 3))
    n_regions = draw(st.integers(1, 3))
    with_polygon = draw(st.integers(1, n_regions))  # regions R0.. with a strip
    cuts = sorted(
        draw(
            st.lists(
                st.integers(1, nx * 4 - 1),
                min_size=with_polygon - 1,
                max_size=with_polygon - 1,
                unique=True,
            )
        )
    )
    # The strips may stop short of the grid's east edge: points there are outside them.
    east = draw(st.sampled_from([nx * SIZE, max(cuts, default=0) * SIZE / 4 + SIZE / 4]))
    edges = [0.0, *(c * SIZE / 4 for c in cuts), east]
    n_sectors, n_dest = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    n_points = draw(st.integers(1, 20))
    coordinate = st.floats(-0.3, 1.3, allow_nan=False)
    sector_codes = [f"S{s}" for s in range(n_sectors)] + ["XX"]  # XX is not an MRIO sector
    points = pd.DataFrame(
        {
            "x": np.array(draw(st.lists(coordinate, min_size=n_points, max_size=n_points)))
            * nx
            * SIZE,
            "y": np.array(draw(st.lists(coordinate, min_size=n_points, max_size=n_points)))
            * ny
            * SIZE,
            "region": draw(
                st.lists(
                    st.sampled_from([f"R{r}" for r in range(n_regions)]),
                    min_size=n_points,
                    max_size=n_points,
                )
            ),
            "sector": draw(
                st.lists(st.sampled_from(sector_codes), min_size=n_points, max_size=n_points)
            ),
            "w": draw(
                st.lists(
                    st.one_of(st.just(0.0), st.floats(0.01, 100)),
                    min_size=n_points,
                    max_size=n_points,
                )
            ),
        }
    )
    size = (n_regions + 1) * n_sectors * n_dest
    driven = np.array(draw(st.lists(st.floats(-5, 100), min_size=size, max_size=size)))
    return {
        "shape": (ny, nx),
        "edges": edges,
        "with_polygon": with_polygon,
        "n_regions": n_regions,
        "points": points,
        "driven": driven.reshape(n_regions + 1, n_sectors, n_dest),
        "locate": draw(st.booleans()),  # region from the polygons, or from the column
        "mode": draw(st.sampled_from(["mrio", "inventory"])),
        "mapped": draw(st.lists(st.integers(0, n_dest - 1), min_size=1, unique=True)),
    }


def build(problem):
    ny, nx = problem["shape"]
    n_regions, edges = problem["n_regions"], problem["edges"]
    grid = Grid.from_bounds((0, 0, nx * SIZE, ny * SIZE), CRS, SIZE)
    strips = gpd.GeoDataFrame(
        {"region": [f"R{r}" for r in range(problem["with_polygon"])]},
        geometry=[box(edges[r], 0, edges[r + 1], ny * SIZE) for r in range(len(edges) - 1)],
        crs=CRS,
    )
    driven = problem["driven"]
    footprint = xr.DataArray(
        driven,
        dims=("region", "sector", "destination"),
        coords={
            "region": [f"R{r}" for r in range(n_regions)] + ["foreign"],
            "sector": [f"S{s}" for s in range(driven.shape[1])],
            "destination": [f"D{d}" for d in range(driven.shape[2])],
        },
        attrs={"units": "t"},
    )
    options = dict(
        lon="x",
        lat="y",
        crs=CRS,
        sector="sector",
        weight="w",
        units="t",
        sectors=footprint["sector"].values.tolist(),
        invalid="report",
    )
    if problem["locate"]:
        options.update(zones=Zones.from_frame(strips, label="region"), tolerance=0.0)
        frame = problem["points"].drop(columns="region")
    else:
        options.update(region="region", regions=footprint["region"].values.tolist())
        frame = problem["points"]
    with warnings.catch_warnings():
        # random data: unplaced points, extreme weights, inventories far from the MRIO
        warnings.simplefilter("ignore", GridfootWarning)
        try:
            sources = read_sources(frame, **options)
        except UnplacedError as error:
            # every usable point outside every polygon is refused (a wrong CRS, most likely)
            assert "none of the" in str(error)
            reject()
        allocation = allocate(
            sources,
            grid,
            footprint,
            zones=Zones.from_frame(strips, label="region"),
            mode=problem["mode"],
            unplaced="warn",
        )
    return grid, strips, footprint, sources, allocation


def close(a, b, scale):
    return np.allclose(a, b, rtol=1e-9, atol=1e-9 * scale)


@settings(max_examples=60, deadline=None)
@given(pipelines())
def test_every_tonne_and_point_is_accounted_for(problem):
    grid, strips, footprint, sources, allocation = build(problem)
    report = allocation.report
    scale = max(np.abs(problem["driven"]).sum(), problem["points"]["w"].sum(), 1.0)
    parts = report["on_points"] + report["fallback"] + report["unplaced"]
    # Per producer and in total: input = on points + fallback + unplaced.
    assert close(report["input"].to_numpy(), parts.to_numpy(), scale)
    assert close(report["input"].sum(), parts.sum(), scale)
    assert close(report["on_grid"], report["on_points"] + report["fallback"], scale)

    # Independently of the allocation's bookkeeping: which producer must go where.
    points = problem["points"]
    emissions = footprint.sum("destination")
    cell = grid.cell_index(points["x"].to_numpy(), points["y"].to_numpy())
    known_sector = points["sector"].isin(footprint["sector"].values).to_numpy()
    if problem["locate"]:
        found = np.full(len(points), None, dtype=object)
        for label, geometry in zip(strips["region"], strips.geometry, strict=True):
            inside = gpd.GeoSeries(gpd.points_from_xy(points["x"], points["y"]), crs=CRS)
            hit = inside.intersects(geometry).to_numpy() & (found == None)  # noqa: E711
            found[hit] = label
        region = pd.Series(found, dtype=object)
    else:
        region = points["region"]
    usable = known_sector & region.notna().to_numpy()
    placed = usable & (cell >= 0) & (points["w"].to_numpy() > 0)
    placed_pairs = set(zip(region[placed], points["sector"][placed], strict=True))
    polygon_regions = set(strips["region"])
    for (r, s), row in report.iterrows():
        total = float(emissions.sel(region=r, sector=s))
        has_points = (r, s) in placed_pairs
        if problem["mode"] == "mrio":
            assert close(row["input"], total, scale)
            expected_fallback = 0.0 if has_points or r not in polygon_regions else total
            assert close(row["on_points"], total if has_points else 0.0, scale)
            assert close(row["fallback"], expected_fallback, scale)
            single = len(allocation.regions) == 1 and not polygon_regions
            lost = not has_points and r not in polygon_regions and not single
            assert close(row["unplaced"], total if lost else 0.0, scale)
        elif not has_points and total != 0:
            assert close(row["input"], total, scale)  # falls back with its MRIO emissions

    # Every point: kept (in .points), or set aside with a reason.
    assert sources.points["row"].nunique() + len(sources.unplaced) == len(points)
    assert set(sources.points["row"]).isdisjoint(sources.unplaced["row"])
    assert close(
        sources.points["weight"].sum() + sources.unplaced["weight"].sum(), points["w"].sum(), scale
    )
    assert set(sources.unplaced["row"]) <= set(allocation.unplaced["row"])
    off_grid = allocation.unplaced["reason"] == "outside the grid"
    assert off_grid.sum() == (cell[sources.points["row"].to_numpy()] < 0).sum()

    # The summary's figures are those sums; on_points + fallback of the mapped values is
    # what the map holds.
    mapped = footprint.isel(destination=problem["mapped"])
    chosen = Scope(
        tuple(allocation.regions),
        tuple(allocation.sectors),
        tuple(mapped["destination"].values),
        (),
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnplacedWarning)
        summary = placement_summary(sources, chosen, allocation, mapped)
        layer = allocation.map(mapped.sum("destination"))
    for key in ("input", "on_points", "fallback", "unplaced"):
        assert close(summary[key], report[key].sum(), scale)
    linked = summary["mapped"]
    assert close(
        linked["input"], linked["on_points"] + linked["fallback"] + linked["unplaced"], scale
    )
    assert close(linked["on_points"] + linked["fallback"], float(layer.sum()), scale)
    if problem["mode"] == "mrio":
        in_scope = mapped.sel(region=list(allocation.regions)).sum()
        assert close(linked["input"], float(in_scope), scale)
    assert summary["unplaced_points"] == len(allocation.unplaced)
    assert summary["points_set_aside"] + summary["points_outside_boundaries"] == len(
        sources.unplaced
    )
    assert close(
        summary["points_set_aside_weight"] + summary["points_outside_boundaries_weight"],
        sources.unplaced["weight"].sum(),
        scale,
    )


# ------------------------------------------------------------------------- end to end
def light(config):
    """The configuration without the outputs a placement check does not need."""
    return dataclasses.replace(
        config,
        output=dataclasses.replace(config.output, cube=False, geotiff=(), maps=("png",)),
        hotspots=dataclasses.replace(config.hotspots, gistar=False),
    )


@pytest.fixture(scope="module")
def sample_run(demo_run) -> Path:
    """The session's one run of the sample (``gridfoot demo``, tests/conftest.py): read only."""
    return demo_run.out


@pytest.mark.slow
def test_sample_summary_equals_the_allocation_report(sample_run):
    summary = json.loads((sample_run / "summary.json").read_text())["results"]
    placement = summary["placement"]
    report = pd.read_csv(sample_run / "allocation_report.csv")
    by_method = report.groupby("method")[["input", "on_points", "fallback", "unplaced"]].sum()
    assert placement["on_points"] == pytest.approx(by_method.loc["points", "input"], rel=1e-12)
    assert placement["fallback"] == pytest.approx(by_method.loc["land", "input"], rel=1e-12)
    assert placement["unplaced"] == pytest.approx(report["unplaced"].sum(), abs=1e-6)
    assert placement["input"] == pytest.approx(report["emissions"].sum(), rel=1e-12)
    assert placement["input"] == pytest.approx(
        placement["on_points"] + placement["fallback"] + placement["unplaced"], rel=1e-12
    )
    # The map holds the mapped (export-linked) total: on points + fallback of it.
    mapped = placement["mapped"]
    assert mapped["on_points"] + mapped["fallback"] == pytest.approx(summary["total"], rel=1e-9)
    assert mapped["input"] < placement["input"]  # foreign destinations only
    assert placement["producers"] == report["method"].value_counts().to_dict()
    assert placement["unplaced_points"] == len(pd.read_csv(sample_run / "unplaced.csv"))
    html = (sample_run / "report.html").read_text()
    assert "of the mapped total" in html and "of all emissions" in html


@pytest.fixture
def light_study(tmp_path) -> Path:
    """The sample with the outputs a placement check does not need switched off."""
    folder = tmp_path / "study"
    shutil.copytree(sample_data_dir(), folder)
    return folder


def light_run(study: Path, **sources):
    config = light(load_run_config(study / "gridfoot.toml"))
    config = dataclasses.replace(config, sources=dataclasses.replace(config.sources, **sources))
    return run_grid(config, study / "out", progress=False)


@pytest.mark.slow
def test_no_firm_in_scope_places_nothing_on_points(light_study):
    """One firm, of a region that is not mapped: every producer falls back to land."""
    (light_study / "firms.csv").write_text(
        "firm_id,lon,lat,industry,province,co2_t\nF1,-130.5,31.9,C17,USA,12.5\n"
    )
    with pytest.warns(UnplacedWarning, match="no point source belongs"):
        result = light_run(light_study, region="province")
    placement = result.key_figures["placement"]
    assert placement["on_points"] == 0 and placement["mapped"]["on_points"] == 0
    assert placement["fallback"] == pytest.approx(placement["input"], rel=1e-12)
    assert placement["points_out_of_scope"] == 1
    assert placement["points_out_of_scope_weight"] == 12.5


@pytest.mark.slow
def test_every_firm_set_aside_places_nothing_on_points(light_study):
    table = pd.read_csv(light_study / "firms.csv").assign(industry="C71")
    table.to_csv(light_study / "firms.csv", index=False)
    with pytest.warns(UnplacedWarning) as caught:
        result = light_run(light_study, invalid="report")
    assert any("30000 point(s) set aside" in str(w.message) for w in caught)
    placement = result.key_figures["placement"]
    assert placement["on_points"] == 0
    assert placement["points_set_aside"] == 30_000
    assert placement["points_set_aside_weight"] == pytest.approx(table["co2_t"].sum())
    unplaced = pd.read_csv(result.out / "unplaced.csv")
    assert len(unplaced) == 30_000 and unplaced["reason"].str.contains("C71").all()
    html = (result.out / "report.html").read_text()
    assert "30,000 set aside as invalid" in html
