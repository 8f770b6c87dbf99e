"""China's export-linked CO2 from coal power, WIOD 2009 + Global Coal Plant Tracker units.

The electricity sector's CO2 driven by foreign final demand (WIOD 2009) is spread over China's
operating coal units in proportion to their CO2 (GCPT, January 2023) on a 10 km equal-area grid
of the Tianditu province polygons. Checked against independent routes: the plants binned into
cells with pandas for the concentration, a point-in-polygon join for provinces and hubs.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from gridfoot.hotspots import (
    area_for_share,
    breakdown,
    export_linked,
    gistar,
    hub_labels,
    hubs,
    land_area,
    share_in_top_area,
    zonal_totals,
)
from gridfoot.spatial import Grid, Zones, allocate

pytestmark = pytest.mark.slow

CO2 = "Annual CO2 (million tonnes / annum)"


@pytest.fixture(scope="module")
def case(reference_data, wiod2009_footprint, china_provinces, china_grid, china_coal_units):
    fp, provinces, grid, sources = (
        wiod2009_footprint,
        china_provinces,
        china_grid,
        china_coal_units,
    )
    linked = export_linked(fp, "CHN", stressor="CO2")
    allocation = allocate(sources, grid, fp, stressor="CO2")
    electricity = linked.sel(sector=["secE"]).sum(["destination", "category"])
    layer = allocation.map(electricity, name="co2")
    plants = pd.read_csv(reference_data / "gcpt" / "gcpt_units_jan2023.csv")
    plants = plants[(plants.Country == "China") & (plants.Status == "operating")]
    plants = gpd.GeoDataFrame(
        {"co2": plants[CO2].astype(float).to_numpy()},
        geometry=gpd.points_from_xy(plants.Longitude.astype(float), plants.Latitude.astype(float)),
        crs=4326,
    ).to_crs(grid.crs)
    plants["cell"] = grid.cell_index(plants.geometry.x.to_numpy(), plants.geometry.y.to_numpy())
    return {
        "linked": linked,
        "electricity": float(electricity.sum()),
        "layer": layer,
        "provinces": provinces,
        "plants": plants,
    }


def test_who_drives_chinas_export_linked_co2(case):
    by_destination = breakdown(case["linked"], by="destination").set_index("destination")
    assert round(by_destination.loc["USA", "share"], 3) == 0.239  # README: 23.9%
    assert round(by_destination.loc["JPN", "share"], 3) == 0.088  # README: 8.8%
    by_sector = breakdown(case["linked"], by="sector").set_index("sector")
    assert round(by_sector.loc["secE", "share"], 3) == 0.538  # README: 53.8%
    mix = breakdown(case["linked"], by="category", within="destination")
    usa = mix[mix.destination == "USA"].set_index("category")["share"]
    assert usa["CONS_h"] > 0.5  # the published 49% (2012) is household consumption too


def test_concentration_against_the_plants_binned_by_pandas(case):
    layer = case["layer"]
    assert float(layer.sum()) == pytest.approx(case["electricity"], rel=1e-9)
    # independent route: plants' CO2 summed per cell with pandas; cells of equal CO2 (units of
    # the same size: many cells hold exactly 5.0 Mt) form one step, as gridfoot documents
    plants = case["plants"]
    cells = plants.groupby("cell")["co2"].sum()
    land = land_area(layer).values.ravel()
    steps = (
        pd.DataFrame({"co2": cells.to_numpy(), "land": land[cells.index.to_numpy()]})
        .groupby("co2")
        .agg(total=("co2", "sum"), land=("land", "sum"))
        .sort_index(ascending=False)
    )
    held = np.concatenate([[0], steps["total"].cumsum() / steps["total"].sum()])
    covered = np.concatenate([[0], steps["land"].cumsum() / land.sum()])
    found = float(area_for_share(layer, 0.75))
    assert found == pytest.approx(np.interp(0.75, held, covered), rel=1e-9)
    assert 0.002 < found < 0.006  # 75% of the coal-power CO2 on about 0.4% of China's land
    # the plants' cells (992 of them, many coastal) cover less than 1% of China's land: the
    # top 1% holds everything
    assert land[cells.index.to_numpy()].sum() < 0.01 * land.sum()
    assert float(share_in_top_area(layer, 0.01)) == pytest.approx(1.0, abs=1e-12)


def test_provinces_and_hubs_against_a_point_in_polygon_join(case):
    layer, provinces, plants = case["layer"], case["provinces"], case["plants"]
    # the 22 coastal units outside every polygon go to the nearest province, as their cells'
    # land does in zonal_totals
    polygons = provinces[["name", "geometry"]].to_crs(plants.crs)
    joined = gpd.sjoin_nearest(plants, polygons, how="left", max_distance=20_000)
    assert joined.index.is_unique and joined["name"].notna().all()
    by_province = joined.groupby("name")["co2"].sum() / plants["co2"].sum()
    # one coverage of the grid for the zonal totals and the hubs' names
    coverage = Zones.from_frame(provinces, label="name").coverage(Grid.from_dataarray(layer))
    zonal = zonal_totals(layer, coverage)
    shares = zonal.share.to_series()
    assert float(zonal.outside_share) < 0.01
    top = by_province.sort_values(ascending=False).index[:5]
    assert set(shares.sort_values(ascending=False).index[:5]) == set(top)
    # only cells straddling a border are split differently from the plants' own polygons
    assert (shares.reindex(by_province.index) - by_province).abs().max() < 0.01

    table = hubs(layer, 0.75, coverage)
    assert table["share"].sum() == pytest.approx(
        float(layer.where(hub_labels(layer, 0.75) > 0).sum()) / float(layer.sum())
    )
    assert table["share"].sum() >= 0.75
    labels = hub_labels(layer, 0.75).values.ravel()
    joined["hub"] = labels[joined["cell"].to_numpy()]
    for _, hub in table.head(5).iterrows():
        in_hub = joined[joined.hub == hub["rank"]]
        main = in_hub.groupby("name")["co2"].sum().idxmax()
        assert hub["regions"].split("; ")[0] == main
        assert 70 < hub["lon"] < 136 and 18 < hub["lat"] < 54


def test_gistar_finds_the_hubs(case):
    layer = case["layer"]
    result = gistar(layer)
    labels = hub_labels(layer, 0.75)
    top = (labels > 0) & (labels <= 10)
    assert (result.significance.where(top) == 3).sum() == top.sum()  # every top hub cell hot
    assert float(result.z.where(top).min()) > 2.576
