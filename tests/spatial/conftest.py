"""The hand-computed 4 x 4 fixture of the spatial tests (expected values in test_allocate.py).

Grid: 4 x 4 cells of 10 km in EPSG:3035 (equal area) from (0, 0) to (40 km, 40 km); cell
index = 4 * row + column, row 0 in the north.

Regions: A = the western half (x 0..20 km, all rows); B = x 20..40 km, y 0..25 km (row 1 is
half inside, row 0 is sea). C is a foreign region, not on the grid. ``zones`` are the regions
labelled by region (Zones.from_frame).

Points (x, y in metres, weight):
    p1 A/ele (5 km, 35 km) 3      -> cell 0
    p2 A/ele (15 km, 25 km) 1     -> cell 5
    p3 A/ele (10 km, 20 km) 4     -> cell 9  (a corner of four cells: the south-east one)
    p4 B/man (40 km, 0 km) 2      -> cell 15 (the grid's south-east corner)
    p5 B/man (25 km, 15 km) 2     -> cell 10
    p6 B/man (45 km, 5 km) 1      -> outside the grid
A/man and B/ele have no points: they fall back to their region's land.

Footprint ``driven[region, sector, destination, category]`` (t), with totals F:
A/ele 80, A/man 16, B/man 50, B/ele 10, and C's producers (not on the grid).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from shapely import box

from gridfoot.spatial.grid import Grid
from gridfoot.spatial.zones import Zones

CRS = "EPSG:3035"
REGIONS = ["A", "B", "C"]
SECTORS = ["ele", "man"]
DESTINATIONS = ["A", "B", "C"]
CATEGORIES = ["hh", "gov"]


@pytest.fixture
def grid() -> Grid:
    """4 x 4 cells of 10 km."""
    return Grid.from_bounds((0, 0, 40_000, 40_000), CRS)


@pytest.fixture
def regions() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"region": ["A", "B"]},
        geometry=[box(0, 0, 20_000, 40_000), box(20_000, 0, 40_000, 25_000)],
        crs=CRS,
    )


@pytest.fixture
def zones(regions) -> Zones:
    """The regions as zones labelled by their MRIO region."""
    return Zones.from_frame(regions, label="region", source="regions")


@pytest.fixture
def points() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["p1", "p2", "p3", "p4", "p5", "p6"],
            "x": [5_000.0, 15_000, 10_000, 40_000, 25_000, 45_000],
            "y": [35_000.0, 25_000, 20_000, 0, 15_000, 5_000],
            "region": ["A", "A", "A", "B", "B", "B"],
            "sector": ["ele", "ele", "ele", "man", "man", "man"],
            "co2": [3.0, 1, 4, 2, 2, 1],
        }
    )


@pytest.fixture
def driven() -> xr.DataArray:
    """Destination C (foreign) drives A/ele 16, A/man 8, B/man 20, B/ele 5 (hh + gov)."""
    values = np.zeros((3, 2, 3, 2))
    # (region, sector): {destination: (hh, gov)}
    table = {
        ("A", "ele"): {"A": (30, 10), "B": (10, 14), "C": (12, 4)},  # 80
        ("A", "man"): {"A": (4, 0), "B": (2, 2), "C": (6, 2)},  # 16
        ("B", "ele"): {"A": (1, 0), "B": (3, 1), "C": (5, 0)},  # 10
        ("B", "man"): {"A": (10, -2), "B": (20, 2), "C": (15, 5)},  # 50 (an inventory draw-down)
        ("C", "ele"): {"A": (1, 1), "B": (1, 1), "C": (50, 6)},
        ("C", "man"): {"A": (2, 0), "B": (0, 2), "C": (30, 0)},
    }
    for (region, sector), by_destination in table.items():
        for destination, pair in by_destination.items():
            values[
                REGIONS.index(region), SECTORS.index(sector), DESTINATIONS.index(destination)
            ] = pair
    return xr.DataArray(
        values,
        dims=("region", "sector", "destination", "category"),
        coords={
            "region": REGIONS,
            "sector": SECTORS,
            "destination": DESTINATIONS,
            "category": CATEGORIES,
        },
        name="driven",
        attrs={"units": "t"},
    )
