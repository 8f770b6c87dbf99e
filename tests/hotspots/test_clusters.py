"""Hubs on a hand-drawn grid: 8- against 4-connectivity, ranks, centroids, regions."""

from __future__ import annotations

import geopandas as gpd
import hypothesis.extra.numpy as hnp
import numpy as np
import pandas as pd
import pyproj
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import box

from gridfoot.errors import ConfigError, GridError
from gridfoot.hotspots import hub_labels, hubs, rank_components
from gridfoot.spatial import Grid, Zones

# two blobs and a cell touching the first one diagonally only; a lone 1 outside the hotspot
DRAWING = np.array(
    [
        [9, 9, 0, 0, 0, 0],
        [9, 9, 0, 0, 0, 0],
        [0, 0, 5, 0, 0, 0],
        [0, 0, 0, 0, 4, 4],
        [0, 0, 0, 0, 4, 4],
        [1, 0, 0, 0, 0, 0],
    ],
    dtype=float,
)
GRID = Grid.from_bounds((0, 0, 60_000, 60_000), "EPSG:3035")


def _layer(values=DRAWING) -> xr.DataArray:
    return GRID.wrap(values, name="co2", units="t")


def test_diagonal_touch_joins_hubs_with_8_connectivity_only():
    # 57 of 58 t: everything but the lone 1 is in the hotspot (share 0.98)
    eight = hubs(_layer(), 0.98)
    assert eight["total"].tolist() == [41.0, 16.0]
    assert eight["n_cells"].tolist() == [5, 4]
    four = hubs(_layer(), 0.98, connectivity=4)
    assert four["total"].tolist() == [36.0, 16.0, 5.0]
    assert four["rank"].tolist() == [1, 2, 3]
    np.testing.assert_allclose(four["share"], [36 / 58, 16 / 58, 5 / 58])
    labels = hub_labels(_layer(), 0.98, connectivity=8).values
    assert labels[2, 2] == labels[0, 0] == 1 and labels[4, 5] == 2 and labels[5, 0] == 0
    assert hub_labels(_layer(), 0.98, connectivity=4).values[2, 2] == 3


def test_centroid_area_and_lonlat():
    table = hubs(_layer(), 0.98).iloc[0]
    # value-weighted centre of four 9s in the corner and the 5 diagonally below
    x = (9 * (5_000 + 15_000 + 5_000 + 15_000) + 5 * 25_000) / 41
    y = (9 * (55_000 + 55_000 + 45_000 + 45_000) + 5 * 35_000) / 41
    assert table["x"] == pytest.approx(x) and table["y"] == pytest.approx(y)
    lon, lat = pyproj.Transformer.from_crs(3035, 4326, always_xy=True).transform(x, y)
    assert table["lon"] == pytest.approx(lon) and table["lat"] == pytest.approx(lat)
    assert table["land_area_km2"] == pytest.approx(500.0)


def test_regions_a_hub_overlaps_largest_first():
    # the border at y = 18 km cuts the lower row of the second blob: 0.2 north, 0.8 south
    regions = gpd.GeoDataFrame(
        {"name": ["North", "South"]},
        geometry=[box(0, 18_000, 60_000, 60_000), box(0, 0, 60_000, 18_000)],
        crs=3035,
    )
    table = hubs(_layer(), 0.98, zones=Zones.from_frame(regions, label="name"))
    assert table["regions"].tolist() == ["North", "North; South"]
    assert table["region_shares"].tolist() == ["1.000", "0.600; 0.400"]
    # in lon/lat the same regions give the same answer
    table = hubs(_layer(), 0.98, zones=Zones.from_frame(regions.to_crs(4326), label="name"))
    assert table["regions"].tolist() == ["North", "North; South"]
    # display names stand for the labels; a coverage built once gives the same table
    coded = Zones.from_frame(regions.assign(code=["N", "S"]), label="code", name="name")
    again = hubs(_layer(), 0.98, zones=coded.coverage(GRID))
    assert again[["regions", "region_shares"]].equals(table[["regions", "region_shares"]])
    other = Grid.from_bounds((0, 0, 60_000, 70_000), "EPSG:3035")
    with pytest.raises(GridError, match="belongs to another grid"):
        hubs(_layer(), 0.98, zones=coded.coverage(other))


def test_layers_give_blocks_of_rows():
    cube = xr.concat([_layer(), _layer(DRAWING.T)], dim="destination")
    cube = cube.assign_coords(destination=["USA", "JPN"]).chunk({"destination": 1})
    table = hubs(cube, 0.98)
    assert table.columns[0] == "destination"
    assert table.groupby("destination")["total"].sum().to_dict() == {"JPN": 57.0, "USA": 57.0}
    usa = table[table.destination == "USA"].drop(columns="destination").reset_index(drop=True)
    assert usa.equals(hubs(_layer(), 0.98))
    assert hub_labels(cube, 0.98).compute().sel(destination="JPN").values[2, 2] == 1


def test_rank_components_breaks_ties_by_raster_order():
    values = np.array([[2.0, 0.0, 2.0]])
    labels, totals = rank_components(values, values > 0)
    assert labels.tolist() == [[1, 0, 2]] and totals.tolist() == [2.0, 2.0]


def test_empty_layer_and_bad_connectivity():
    assert hubs(_layer(np.zeros((6, 6))), 0.75).empty
    with pytest.raises(ConfigError, match="connectivity: expected one of 4, 8, got 6"):
        hubs(_layer(), 0.75, connectivity=6)
    with pytest.raises(ConfigError, match="connectivity: expected one of 4, 8, got 6"):
        hub_labels(_layer(), 0.75, connectivity=6)


@pytest.mark.parametrize("share", [0, -0.5, 1.5, np.nan, "0.75", None])
def test_hub_share_is_checked_like_the_config(share):
    # the same rule as hotspots.hotspot_share: a share of the total in (0, 1]
    with pytest.raises(ConfigError, match=r"share: must be a number in \(0, 1\]"):
        hubs(_layer(), share)
    with pytest.raises(ConfigError, match=r"share: must be a number in \(0, 1\]"):
        hub_labels(_layer(), share)


# -------------------------------------------------- ranked once: mask and hubs off the labels
_layers = hnp.arrays(
    np.float64,
    hnp.array_shapes(min_dims=3, max_dims=3, min_side=1, max_side=6),
    elements=st.sampled_from([0.0, 0.0, 1.0, 2.0, 3.5, 7.0, np.nan]),  # ties, gaps, nodata
)


@given(values=_layers, share=st.sampled_from([0.3, 0.5, 0.75, 0.9, 1.0]))
@settings(max_examples=60, deadline=None)
def test_mask_and_hubs_read_off_the_hub_labels_equal_their_own_ranking(values, share) -> None:
    from gridfoot.hotspots import hotspot_mask
    from gridfoot.hotspots.concentration import mask_of_hubs

    grid = Grid.from_bounds((0, 0, values.shape[2] * 10_000, values.shape[1] * 10_000), 3035)
    layer = grid.wrap(
        values, dims=["destination"], coords={"destination": list(range(len(values)))}
    )
    if not (np.nan_to_num(values).reshape(len(values), -1) > 0).any(axis=1).all():
        layer = layer.fillna(0.0)  # every layer must hold something for its share
        layer = layer.where(layer.sum(["y", "x"]) > 0, 1.0)
    labels = hub_labels(layer, share)
    assert mask_of_hubs(labels, share).equals(hotspot_mask(layer, share))
    pd.testing.assert_frame_equal(hubs(layer, share, labels=labels), hubs(layer, share))
