"""The hotspot report of a raster or cube file: what ``gridfoot hotspots`` reads and writes.

:func:`open_layer` reads a GeoTIFF (rioxarray), NetCDF or Zarr store into a checked grid layer;
:func:`write_report` computes the concentration statistics, hotspot mask, hubs and Gi* classes
of every layer and writes them to a folder (every file atomically).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridfoot.errors import (
    ConfigError,
    GridError,
    LabelError,
    ValueCheckError,
    format_labels,
)
from gridfoot.hotspots.clusters import hub_labels, hubs
from gridfoot.hotspots.concentration import concentration, hotspot_mask
from gridfoot.hotspots.gistar import gistar
from gridfoot.hotspots.layers import SPATIAL_DIMS, grid_crs, land_area
from gridfoot.hotspots.options import (
    check_connectivity,
    check_land_share,
    check_neighbourhood,
    check_share,
)
from gridfoot.hotspots.zonal import zonal_totals
from gridfoot.io.layers import open_layer
from gridfoot.io.vector import read_polygons

__all__ = ["check_layer", "check_report_options", "open_layer", "select_layers", "write_report"]

#: How write_report's keywords are spelled by ``gridfoot hotspots``.
CLI_NAMES = {
    "share": "--share",
    "top_area": "--top-area",
    "connectivity": "--connectivity",
    "neighbours": "--neighbours",
    "distance": "--distance",
    "regions": "--regions",
    "name_field": "--name-field",
}


def select_layers(
    layer: xr.DataArray, selections: Sequence[str] = (), sums: Sequence[str] = ()
) -> xr.DataArray:
    """Select labels (``"destination=USA,JPN"``) and sum dims (``"sector"``, ``"all"``).

    Examples
    --------
    >>> cube = xr.DataArray(np.ones((2, 3, 1, 1)), dims=("destination", "sector", "y", "x"),
    ...                     coords={"destination": ["USA", "JPN"], "sector": ["A", "B", "C"]})
    >>> select_layers(cube, ["destination=JPN"], ["sector"]).squeeze().item()
    3.0
    """
    extra = [dim for dim in layer.dims if dim not in SPATIAL_DIMS]
    for selection in selections:
        dim, _, wanted = selection.partition("=")
        if dim not in extra or not wanted:
            raise LabelError(
                f"--layer {selection!r}: give DIM=LABEL[,LABEL...] with DIM one of "
                f"{format_labels(extra) or '(the input has one layer)'}"
            )
        known = {str(label): label for label in layer[dim].values}
        labels = wanted.split(",")
        unknown = [label for label in labels if label not in known]
        if unknown:
            raise LabelError(
                f"--layer {selection!r}: unknown {dim} {format_labels(unknown)}; known: "
                f"{format_labels(known, 20)}"
            )
        layer = layer.sel({dim: [known[label] for label in labels]})
    dims = [d for d in layer.dims if d not in SPATIAL_DIMS] if "all" in sums else list(sums)
    unknown = [dim for dim in dims if dim not in extra]
    if unknown:
        raise LabelError(f"--sum {format_labels(unknown)}: not a dim of the input {tuple(extra)}")
    if dims:
        # min_count keeps cells that are empty (nodata) in every layer empty
        layer = layer.sum(dims, min_count=1, keep_attrs=True)
    return layer


def check_layer(layer: xr.DataArray, source: str = "the grid") -> xr.DataArray:
    """Refuse what no statistic can use; return the layer's land area (m²).

    One pass over the data: no values at all, infinite or negative values, all zeros. And the
    grid: no CRS, or cell areas that cannot be known (a degree grid without ``cell_area``).
    """
    if grid_crs(layer) is None:
        raise GridError(
            f"{source} has no CRS (no spatial_ref/grid_mapping); write one with rioxarray "
            "(da.rio.write_crs) or give a GeoTIFF with a CRS"
        )
    land = land_area(layer, strict=True)
    summary = xr.Dataset(
        {
            "count": layer.count(),
            "infinite": np.isinf(layer).sum(),
            "negative": (layer < 0).sum(),
            "smallest": layer.min(),
            "largest": layer.max(),
        }
    ).compute()
    if int(summary["count"]) == 0:
        raise GridError(f"{source} is empty: every cell is nodata/NaN")
    if int(summary["infinite"]):
        raise ValueCheckError(
            f"{source} has {int(summary['infinite']):,} infinite value(s); hotspot statistics "
            "need finite values (write missing cells as nodata)"
        )
    if int(summary["negative"]):
        raise ValueCheckError(
            f"{source} has {int(summary['negative']):,} negative value(s) (smallest "
            f"{float(summary['smallest']):.6g}); hotspot statistics need values >= 0"
        )
    if float(summary["largest"]) == 0:
        raise ValueCheckError(f"{source} holds only zeros: there is nothing to concentrate")
    if float(land.sum()) <= 0:
        raise GridError(f"{source} has no land (land_fraction is 0 everywhere)")
    return land


def _zonal_table(zonal: xr.Dataset) -> pd.DataFrame:
    """Zone totals and shares, what falls outside every zone as the zone "(outside)", and
    each zone's land, as one tidy table."""
    from gridfoot.io import tidy

    outside = zonal[["outside", "outside_share"]].rename(outside="total", outside_share="share")
    return pd.concat(
        [
            tidy(zonal[["total", "share"]]),
            tidy(outside.expand_dims(zone=["(outside)"])),
            tidy(zonal[["land_area"]]),
        ],
        ignore_index=True,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, float | np.floating):
        return None if math.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def check_report_options(
    *,
    share: Any = 0.75,
    top_area: Any = 0.01,
    connectivity: Any = 8,
    neighbours: Any = "queen",
    distance: Any = 1,
    regions: Any = None,
    name_field: Any = None,
    names: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Check every option of :func:`write_report`, and how they combine, before anything is
    read, computed or written; return them normalised (numbers as float/int).

    ``names`` maps a keyword to its spelling in messages (:data:`CLI_NAMES` for the command
    line); by default the keyword itself.

    Raises
    ------
    ConfigError
        Naming the option, the value given and what is allowed.

    Examples
    --------
    >>> check_report_options(share=0.5, neighbours="distance", distance=2)["distance"]
    2.0
    >>> check_report_options(share=0, names=CLI_NAMES)
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: --share: must be a number in (0, 1] (a share of the total), \
got 0
    """
    spelled = {key: key for key in CLI_NAMES} | (names or {})
    checked: dict[str, Any] = {}
    problems: list[str] = []

    def check(key: str, function: Any, *args: Any) -> None:
        try:
            checked[key] = function(*args)
        except ConfigError as error:  # gather them: one line names every bad option
            problems.append(str(error))

    if name_field is not None and regions is None:
        problems.append(
            f"{spelled['name_field']} {name_field!r} names a column of the region polygons: "
            f"it needs {spelled['regions']}"
        )
    check("share", check_share, share, spelled["share"])
    check("top_area", check_land_share, top_area, spelled["top_area"])
    check("connectivity", check_connectivity, connectivity, spelled["connectivity"])
    names_pair = (spelled["neighbours"], spelled["distance"])
    check("neighbourhood", check_neighbourhood, neighbours, distance, names_pair)
    if problems:
        raise ConfigError("; ".join(problems))
    neighbours, distance = checked.pop("neighbourhood")
    return {**checked, "neighbours": neighbours, "distance": distance}


def write_report(
    layer: xr.DataArray,
    out: str | Path,
    *,
    share: float = 0.75,
    top_area: float = 0.01,
    regions: Any = None,
    name_field: str | None = None,
    connectivity: int = 8,
    neighbours: str = "queen",
    distance: float = 1,
    source: str = "the grid",
    inputs: Sequence[str | Path] = (),
) -> dict[str, Any]:
    """Compute and write the hotspot report of every layer to ``out``; return the summary.

    Files: ``summary.json`` and ``summary.csv`` (one row per layer: total, land area, share
    in the top ``top_area`` of land, land for ``share``, Gini, hotspot cells, hubs),
    ``hubs.csv`` (:func:`~gridfoot.hotspots.hubs`), ``zonal.csv`` with ``regions``
    (:func:`~gridfoot.hotspots.zonal_totals`, tidy), and GeoTIFFs with one band per layer:
    ``hotspot_mask.tif`` (1 in the hotspot), ``hubs.tif`` (hub rank, 0 outside) and
    ``gistar_classes.tif`` (Gi* classes -3..3 as codes 1..7, i.e. class + 4, nodata 0, with
    a colour table; the CF flags are tags).

    Every option is checked (:func:`check_report_options`) and the regions read before
    anything is computed or written. ``out`` must be absent, empty or a folder gridfoot wrote,
    and may not hold any of ``inputs`` (see :func:`gridfoot.io.output.output_folder`); it is
    written all at once.
    """
    from gridfoot.io import write_csv, write_geotiff
    from gridfoot.io.output import check_output_folder, output_folder

    options = check_report_options(
        share=share,
        top_area=top_area,
        connectivity=connectivity,
        neighbours=neighbours,
        distance=distance,
        regions=regions,
        name_field=name_field,
    )
    share, top_area = options["share"], options["top_area"]
    connectivity, neighbours, distance = (
        options["connectivity"],
        options["neighbours"],
        options["distance"],
    )
    out = Path(out)
    inputs = [*inputs, *([regions] if isinstance(regions, str | Path) else [])]
    check_output_folder(out, inputs)  # refused before the work, not after
    polygons = read_polygons(regions) if regions is not None else None
    land = check_layer(layer, source)
    extra = [dim for dim in layer.dims if dim not in SPATIAL_DIMS]
    band_dim = extra or None

    stats = concentration(layer, share=share, top_area=top_area).compute()
    mask = hotspot_mask(layer, share)
    labels = hub_labels(layer, share, connectivity)
    table = hubs(layer, share, polygons, name_field, connectivity)
    # one row per layer (a single 2-D layer becomes a one-row table)
    rows = stats.reset_coords(drop=True)
    rows = rows if extra else rows.expand_dims(layer=[0])
    rows = rows.to_dataframe().reset_index().drop(columns="layer", errors="ignore")
    rows["land_area_km2"] = rows.pop("land_area") / 1e6
    rows["hotspot_cells"] = mask.sum(SPATIAL_DIMS).compute().values.ravel()
    rows["hubs"] = labels.max(SPATIAL_DIMS).compute().values.ravel()
    if polygons is not None:
        largest = table.loc[table["rank"] == 1, [*extra, "regions"]]
        largest = largest.rename(columns={"regions": "largest_hub_regions"})
        rows = (
            rows.merge(largest, on=extra, how="left")
            if extra
            else rows.assign(largest_hub_regions=next(iter(largest["largest_hub_regions"]), ""))
        )

    significance = gistar(layer, neighbours=neighbours, distance=distance).significance
    files = ["summary.csv", "hubs.csv"]
    with output_folder(out, command="hotspots", inputs=inputs) as staging:
        write_csv(rows, staging / "summary.csv")
        write_csv(table, staging / "hubs.csv")
        if polygons is not None:
            zonal = _zonal_table(zonal_totals(layer, polygons, name_field).compute())
            write_csv(zonal, staging / "zonal.csv")
            files.append("zonal.csv")
        for data, name, dtype, nodata in [
            (mask, "hotspot_mask.tif", "uint8", 255),
            (labels, "hubs.tif", "int32", -1),
            (significance, "gistar_classes.tif", "uint8", 0),  # codes 1..7: a colour table
        ]:
            write_geotiff(
                data, staging / name, band_dim, nodata=nodata, dtype=dtype, mask_sea=False
            )
            files.append(name)
        summary = {
            "input": source,
            "units": layer.attrs.get("units"),
            "share": share,
            "top_area": top_area,
            "land_area_km2": float(land.sum()) / 1e6,
            "connectivity": connectivity,
            "gistar": {"neighbours": neighbours, "distance": distance},
            "layers": [
                {key: _jsonable(value) for key, value in row.items()}
                for row in rows.to_dict(orient="records")
            ],
            "files": files,
        }
        text = json.dumps(summary, indent=2, ensure_ascii=False) + "\n"
        (staging / "summary.json").write_text(text, encoding="utf-8")
    summary["files"].append("summary.json")
    return summary
