"""The bundled sample with one province split in two, for the runs with a ``[nest]`` section.

Haiyang (``HAI``), a coastal province of the fictional Meridia, is cut along its middle
meridian into Haiyang West (``HAW``) and Haiyang East (``HAE``): the boundaries name the two
halves, and the sub-national table (:func:`split_table`) splits HAI's every sector between them
in fixed proportions (:func:`tests.mrio.splits.proportional_table`), so the nested MRIO
reproduces the sample's accounts and the study's mapped total is the sample's.
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from gridfoot.config import to_toml
from gridfoot.datasets import sample_data_dir, sample_mrio
from gridfoot.mrio.subnational import SubnationalTable
from tests.mrio.splits import proportional_table, write_subnational_folder

REGION = "HAI"
HALVES = {"HAW": "Haiyang West", "HAE": "Haiyang East"}


def split_table(seed: int = 0) -> SubnationalTable:
    """HAI of the sample MRIO as HAW and HAE, each sector split by its own fixed share."""
    host = sample_mrio()
    shares = np.random.default_rng(seed).uniform(0.2, 0.8, len(host.sectors_of(REGION)))
    return proportional_table(host, REGION, np.vstack([shares, 1 - shares]), provinces=[*HALVES])


def split_boundaries(path: Path) -> None:
    """Replace HAI's polygon in the boundary file by its west and east halves."""
    polygons = gpd.read_file(path)
    hai = polygons[polygons["code"] == REGION].geometry.iloc[0]
    west, south, east, north = hai.bounds
    middle = (west + east) / 2
    halves = gpd.GeoDataFrame(
        {"code": [*HALVES], "name": [*HALVES.values()]},
        geometry=[
            hai.intersection(box(west - 1, south - 1, middle, north + 1)),
            hai.intersection(box(middle, south - 1, east + 1, north + 1)),
        ],
        crs=polygons.crs,
    )
    others = polygons[polygons["code"] != REGION]
    pd.concat([halves, others], ignore_index=True).to_file(path, driver="GeoJSON")


def nested_study(folder: Path, nest: dict, table: SubnationalTable | None = None) -> Path:
    """A copy of the sample in ``folder`` with HAI split in the boundaries, the table (by
    default :func:`split_table`) in ``folder / "provinces"``, and ``nest`` as its ``[nest]``
    section; light outputs (no cube, GeoTIFFs or Gi*, PNG maps) and no output folder. Returns
    the configuration file."""
    shutil.copytree(sample_data_dir(), folder)
    split_boundaries(folder / "boundaries" / "provinces.geojson")
    write_subnational_folder(split_table() if table is None else table, folder / "provinces")
    path = folder / "gridfoot.toml"
    data = tomllib.loads(path.read_text())
    data["output"] = {"cube": False, "geotiff": [], "maps": ["png"]}
    data["hotspots"]["gistar"] = False
    data["nest"] = nest
    path.write_text(to_toml(data))
    return path
