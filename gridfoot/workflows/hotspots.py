"""The hotspot report of a raster or cube file: what ``gridfoot hotspots`` reads and writes.

:func:`open_layer` reads a GeoTIFF (rioxarray), NetCDF or Zarr store into a checked grid layer;
:func:`run_hotspots` computes the concentration statistics, hotspot mask, hubs and Gi* classes
of every layer and writes them to a folder (every file atomically).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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
from gridfoot.hotspots.concentration import concentration, mask_of_hubs
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
from gridfoot.spatial import Grid, Zones
from gridfoot.workflows.products import Figure, Raster, Report, Section, Table

__all__ = [
    "HotspotOptions",
    "HotspotsResult",
    "check_layer",
    "check_report_options",
    "compute_hotspots",
    "concentration_table",
    "open_layer",
    "run_hotspots",
    "select_layers",
]

#: How run_hotspots's keywords are spelled by ``gridfoot hotspots``.
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
    """Check every option of :func:`run_hotspots`, and how they combine, before anything is
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


@dataclass(frozen=True)
class HotspotOptions:
    """The options of the hotspot statistics, checked (:meth:`checked`)."""

    share: float = 0.75
    top_area: float = 0.01
    connectivity: int = 8
    neighbours: str = "queen"
    distance: float = 1.0
    gistar: bool = True

    @classmethod
    def checked(cls, names: dict[str, str] | None = None, **options: Any) -> HotspotOptions:
        """Check every option (:func:`check_report_options`) and build the options."""
        gistar = bool(options.pop("gistar", True))
        checked = check_report_options(names=names, **options)
        checked.pop("regions", None)
        checked.pop("name_field", None)
        return cls(**checked, gistar=gistar)


@dataclass(frozen=True, eq=False)
class HotspotsResult:
    """The hotspot statistics of every layer of a grid layer (:func:`compute_hotspots`)."""

    layer: xr.DataArray
    options: HotspotOptions
    land_area_km2: float
    concentration: pd.DataFrame  # one row per layer
    mask: xr.DataArray
    labels: xr.DataArray  # hub ranks, 0 outside the hotspot
    hubs: pd.DataFrame
    significance: xr.DataArray | None  # Gi* classes as codes 1..7
    zonal: pd.DataFrame | None
    outlines: Any = None  # the zones' polygons, drawn on the maps
    source: str = "the grid"
    input_files: tuple[Path, ...] = ()
    figure_formats: tuple[str, ...] = ("png",)
    study: str = "hotspots"

    @property
    def dims(self) -> list[str]:
        """The layer's dims besides y and x (one row of :attr:`concentration` per label)."""
        return [dim for dim in self.layer.dims if dim not in SPATIAL_DIMS]

    def rasters(self, folder: str = "geotiff") -> list[Raster]:
        """The class rasters: hotspot mask, hub ranks and (with Gi*) the Gi* classes."""
        band_dim = self.dims or None
        rasters = [
            Raster(f"{folder}/hotspot_mask.tif", self.mask, band_dim, 255, "uint8", False),
            Raster(f"{folder}/hubs.tif", self.labels, band_dim, -1, "int32", False),
        ]
        if self.significance is not None:  # codes 1..7 with a colour table
            rasters.append(
                Raster(
                    f"{folder}/gistar_classes.tif", self.significance, band_dim, 0, "uint8", False
                )
            )
        return rasters

    def tables(self) -> list[Table]:
        tables = [Table("concentration.csv", self.concentration), Table("hubs.csv", self.hubs)]
        if self.zonal is not None:
            tables.append(Table("zonal.csv", self.zonal))
        return tables

    def products(self) -> list[Any]:
        return [*self.tables(), *self.rasters(), *self.figures()]

    def figures(self, most: int = 4) -> list[Figure]:
        """A map with its hubs and the concentration curve of the first ``most`` layers."""
        from gridfoot.hotspots import concentration_curve
        from gridfoot.plot.charts import concentration_figure
        from gridfoot.plot.maps import map_grid

        o, dims = self.options, self.dims
        stacked = self.layer.stack(layer=dims) if dims else self.layer.expand_dims(layer=[0])
        figures = []
        for index in range(min(most, stacked.sizes["layer"])):
            one = stacked.isel(layer=index)
            labels = {dim: one[dim].item() for dim in dims}
            name = " / ".join(str(v) for v in labels.values()) or Path(self.source).stem
            slug = "_".join(str(v) for v in labels.values()) or "layer"
            table = self.hubs
            for dim, value in labels.items():
                table = table[table[dim] == value]
            one = one.drop_vars(["layer", *dims], errors="ignore")

            def draw_map(one=one, table=table, name=name) -> Any:
                return map_grid(one, self.outlines, table, title=name)

            def draw_curve(one=one, name=name) -> Any:
                curve = concentration_curve(one)
                return concentration_figure(curve, (o.top_area,), (o.share,), title=name)

            figures += [
                Figure(f"figures/map_{slug}", draw_map, f"{name}: the hubs holding {o.share:.0%}"),
                Figure(f"figures/concentration_{slug}", draw_curve, f"{name}: concentration"),
            ]
        return figures

    # the writer's protocol: the options and results of summary.json
    def summary_options(self) -> dict[str, Any]:
        o = self.options
        return {
            "input": self.source,
            "share": o.share,
            "top_area": o.top_area,
            "connectivity": o.connectivity,
            "gistar": {"neighbours": o.neighbours, "distance": o.distance} if o.gistar else None,
        }

    def summary_results(self) -> dict[str, Any]:
        return {
            "units": self.layer.attrs.get("units"),
            "land_area_km2": self.land_area_km2,
            "layers": self.concentration.to_dict(orient="records"),
        }

    def report(self) -> Report:
        o = self.options
        rows = self.concentration
        key = []
        for _, row in rows.head(10).iterrows():
            label = " / ".join(str(row[d]) for d in self.dims) or "layer"
            key.append(
                (
                    label,
                    f"top {100 * o.top_area:g}% of land holds "
                    f"{_percent(row['share_in_top_area'])}; "
                    f"{o.share:.0%} of the total needs {_percent(row['area_for_share'])} of "
                    f"land; Gini {_number(row['gini'])}; {int(row['hubs'])} hub(s)",
                )
            )
        sections = [
            Section("Figures", figures=tuple(f.path for f in self.figures())),
            Section("Concentration by layer", tables=(("concentration.csv", rows),)),
            Section("Hubs", tables=(("hubs.csv", self.hubs),)),
        ]
        if self.zonal is not None:
            sections.append(Section("Zones", tables=(("zonal.csv", self.zonal),), rows=40))
        return Report(
            title=f"Hotspots of {Path(self.source).name}",
            lead=(
                f"{len(rows)} layer(s) of {self.source}; hotspot: the fewest cells holding "
                f"{o.share:.0%} of each layer's total; hubs: connected groups of hotspot cells "
                f"({o.connectivity}-connected); land {self.land_area_km2:,.0f} km².",
            ),
            key_figures=tuple(key),
            sections=tuple(sections),
        )


def _percent(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.2%}"


def _number(value: float | None) -> str:
    return "n/a" if value is None or value != value else f"{value:.3f}"


def concentration_table(layer: xr.DataArray, options: HotspotOptions) -> pd.DataFrame:
    """One row per layer: its labels, total, land (km²), the share held by the top
    ``top_area`` of land, the land holding ``share`` of the total, and the Gini index."""
    extra = [dim for dim in layer.dims if dim not in SPATIAL_DIMS]
    stats = concentration(layer, share=options.share, top_area=options.top_area).compute()
    rows = stats.reset_coords(drop=True)
    rows = rows if extra else rows.expand_dims(layer=[0])
    rows = rows.to_dataframe().reset_index().drop(columns="layer", errors="ignore")
    rows["land_area_km2"] = rows.pop("land_area") / 1e6
    return rows


def compute_hotspots(
    layer: xr.DataArray,
    options: HotspotOptions | None = None,
    *,
    zones: dict[str, Any] | None = None,
    source: str = "the grid",
    inputs: tuple[Path, ...] = (),
) -> HotspotsResult:
    """Concentration, hotspot mask, hubs, Gi* classes and zone totals of every layer.

    Parameters
    ----------
    layer : DataArray
        A grid layer ``(..., y, x)``, checked with :func:`check_layer`.
    options : HotspotOptions, optional
    zones : dict of Zones or ZoneCoverage, optional
        Polygons naming the hubs, by the hubs table's column (``{"regions": provinces,
        "cities": cities}``): the first also gives the zone totals (``zonal``) and the
        ``largest_hub_<column>`` of each layer. Each coverage is built once, on the layer's
        grid, and used for both.
    source : str
        The layer's name in messages and the report.

    Returns
    -------
    HotspotsResult
    """
    from gridfoot.spatial.zones import as_coverage

    options = options or HotspotOptions()
    land = check_layer(layer, source)
    extra = [dim for dim in layer.dims if dim not in SPATIAL_DIMS]
    grid = Grid.from_dataarray(layer) if zones else None
    coverages = {column: as_coverage(z, grid) for column, z in (zones or {}).items()}
    rows = concentration_table(layer, options)
    # the cells are ranked once: the mask and every hubs table are read off the hub labels
    labels = hub_labels(layer, options.share, options.connectivity)
    mask = mask_of_hubs(labels, options.share)
    rows["hotspot_cells"] = mask.sum(SPATIAL_DIMS).compute().values.ravel()
    rows["hubs"] = labels.max(SPATIAL_DIMS).compute().values.ravel()
    first = next(iter(coverages.items()), None)
    share, connectivity = options.share, options.connectivity
    table = hubs(layer, share, first[1] if first else None, connectivity, labels=labels)
    for column, coverage in list(coverages.items())[1:]:
        if len(table):
            named = hubs(layer, share, coverage, connectivity, labels=labels)
            key = [*extra, "rank"]
            merged = table[key].merge(named[[*key, "regions"]], on=key, how="left")
            table[column] = merged["regions"].to_numpy()
    zonal = None
    if first is not None:
        column, coverage = first
        largest = table.loc[table["rank"] == 1, [*extra, "regions"]]
        largest = largest.rename(columns={"regions": f"largest_hub_{column}"})
        rows = (
            rows.merge(largest, on=extra, how="left")
            if extra
            else rows.assign(**{f"largest_hub_{column}": next(iter(largest.iloc[:, -1]), "")})
        )
        zonal = _zonal_table(zonal_totals(layer, coverage).compute())
    significance = None
    if options.gistar:
        found = gistar(layer, neighbours=options.neighbours, distance=options.distance)
        significance = found.significance
    return HotspotsResult(
        layer=layer,
        options=options,
        land_area_km2=float(land.sum()) / 1e6,
        concentration=rows,
        mask=mask,
        labels=labels,
        hubs=table,
        significance=significance,
        zonal=zonal,
        outlines=_outlines(zones),
        source=source,
        input_files=tuple(Path(p) for p in inputs),
    )


def _outlines(zones: dict[str, Any] | None) -> Any:
    """The polygons of every zone layer given as Zones (a coverage has none), for maps."""
    from gridfoot.spatial import Zones

    layers = [z.polygons for z in (zones or {}).values() if isinstance(z, Zones)]
    return layers or None


def run_hotspots(
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
    progress: bool | None = False,
    scheduler: str | None = None,
) -> dict[str, Any]:
    """Compute the hotspots of every layer (:func:`compute_hotspots`) and write them to ``out``;
    return the summary (``summary.json``).

    Files: ``summary.json`` (the summary of every study: options, results with one entry per
    layer, inputs, files, timings), ``report.html``, ``concentration.csv`` (one row per
    layer: total, land area, share in the top ``top_area`` of land, land for ``share``,
    Gini, hotspot cells, hubs), ``hubs.csv`` (:func:`~gridfoot.hotspots.hubs`), ``zonal.csv``
    with ``regions`` (:func:`~gridfoot.hotspots.zonal_totals`, tidy), and GeoTIFFs in
    ``geotiff/`` with one band per layer: ``hotspot_mask.tif`` (1 in the hotspot),
    ``hubs.tif`` (hub rank, 0 outside) and ``gistar_classes.tif`` (Gi* classes -3..3 as codes
    1..7, i.e. class + 4, nodata 0, with a colour table; the CF flags are tags).

    Every option is checked (:func:`check_report_options`) and the regions read before
    anything is computed or written. ``out`` must be absent, empty or a folder gridfoot wrote,
    and may not hold any of ``inputs`` (see :func:`gridfoot.io.output.output_folder`); it is
    written all at once.

    ``scheduler``: where dask's work runs (:func:`gridfoot.workflows.scheduler.dask_scheduler`;
    None: an active ``distributed.Client``, else threads), recorded in the summary.
    """
    from gridfoot.checks import check_scheduler
    from gridfoot.io.output import check_output_folder, output_folder
    from gridfoot.workflows.progress import Progress
    from gridfoot.workflows.scheduler import dask_scheduler
    from gridfoot.workflows.writer import stages, write_study

    options = HotspotOptions.checked(
        share=share,
        top_area=top_area,
        connectivity=connectivity,
        neighbours=neighbours,
        distance=distance,
        regions=regions,
        name_field=name_field,
    )
    check_scheduler(scheduler, "scheduler")
    out = Path(out)
    inputs = [*inputs, *([regions] if isinstance(regions, str | Path) else [])]
    check_output_folder(out, inputs)  # refused before the work, not after
    steps = Progress("gridfoot hotspots", ["inputs", "hotspots", *stages(True)], progress)
    try:
        with (
            output_folder(out, command="hotspots", inputs=inputs) as staging,
            dask_scheduler(scheduler, "scheduler") as where,
        ):
            with steps.stage("inputs"):
                zones = None
                if regions is not None:  # labelled by name_field (the index without one)
                    polygons = read_polygons(regions)
                    zones = {"regions": Zones.from_frame(polygons, label=name_field)}
            with steps.stage("hotspots"):
                result = compute_hotspots(
                    layer, options, zones=zones, source=source, inputs=tuple(inputs)
                )
            summary = write_study(
                result, staging, out=out, progress=steps, scheduler=where.describe
            )
    finally:
        steps.close()
    return summary
