"""The footprint's files: NetCDF with everything, the driven table as Parquet or CSV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridfoot import footprint
from gridfoot.datasets import sample_mrio
from gridfoot.errors import ConfigError
from gridfoot.io import write_footprint


@pytest.fixture(scope="module")
def sample_footprint() -> xr.Dataset:
    return footprint(sample_mrio())


def test_the_driven_table_is_parquet_by_default_and_csv_on_request(sample_footprint, tmp_path):
    written = write_footprint(sample_footprint, tmp_path / "p")
    assert [p.name for p in written] == ["footprint.nc", "driven.parquet", "accounts.csv"]
    table = pd.read_parquet(tmp_path / "p" / "driven.parquet")
    assert len(table) == sample_footprint.driven.size
    assert float(table["value"].sum()) == pytest.approx(float(sample_footprint.driven.sum()))
    as_csv = write_footprint(sample_footprint, tmp_path / "c", tables="csv")
    pd.testing.assert_frame_equal(pd.read_csv(as_csv[1]), table, check_dtype=False)
    with pytest.raises(ConfigError, match="tables: expected one of 'parquet', 'csv'"):
        write_footprint(sample_footprint, tmp_path / "x", tables="xlsx")


def test_a_run_writes_the_driven_rows_of_the_regions_it_maps(sample_footprint, tmp_path):
    regions = [str(r) for r in sample_footprint.region.values[:3]]
    write_footprint(sample_footprint, tmp_path, regions=regions)
    table = pd.read_parquet(tmp_path / "driven.parquet")
    assert sorted(table["region"].unique()) == sorted(regions)
    expected = sample_footprint.driven.sel(region=regions).sum().item()
    np.testing.assert_allclose(table["value"].sum(), expected, rtol=1e-12)
    with xr.open_dataset(tmp_path / "footprint.nc") as whole:  # the NetCDF keeps everything
        assert whole.sizes["region"] == sample_footprint.sizes["region"]
