"""The whole ``gridfoot run``: MRIO footprint -> allocation on the grid -> hotspots -> files.

Each step is a function of the previous steps' results, so a notebook can run them one by one
(:func:`load_inputs`, :func:`scope`, ...) or all at once (:func:`run`). Everything is written
into a temporary folder beside the output folder, which replaces it only when the run
succeeded: a failed run leaves no half-written results.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import html
import json
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridfoot.errors import (
    ConfigError,
    GridError,
    GridfootError,
    InputFileError,
    LabelError,
    MissingFileError,
    format_labels,
)
from gridfoot.mrio.accounts import footprint as compute_footprint
from gridfoot.mrio.readers import read_mrio
from gridfoot.mrio.system import MRIO
from gridfoot.pipeline.config import RunConfig, write_run_config

__all__ = ["Inputs", "RunResult", "Scope", "load_inputs", "run", "scope", "validate"]

# the MRIO region of each boundary polygon, as text; users see this name in notes and messages
_REGION = "MRIO region"
#: Columns of the hubs table shown in hotspots.json and the report.
_HUB_COLUMNS = (
    "rank",
    "total",
    "share",
    "n_cells",
    "land_area_km2",
    "lon",
    "lat",
    "regions",
    "cities",
)


@dataclass(frozen=True, eq=False)
class Inputs:
    """Everything read from disk, validated: the MRIO, polygons, point sources and the grid."""

    mrio: MRIO
    boundaries: Any  # GeoDataFrame with the MRIO region in column _REGION
    cities: Any  # GeoDataFrame or None
    sources: Any  # gridfoot.spatial.Sources
    grid: Any  # gridfoot.spatial.Grid
    stressor: str
    files: tuple[Path, ...]
    proxy: xr.DataArray | None = None  # on the grid, checked


@dataclass(frozen=True)
class Scope:
    """Which producers are mapped and whose final demand counts."""

    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    destinations: tuple[str, ...]
    countries: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class RunResult:
    """What a run produced; the files are in ``out``."""

    out: Path
    config: RunConfig
    footprint: xr.Dataset
    allocation: Any
    total: xr.DataArray
    destinations: xr.DataArray
    summary: dict[str, Any]
    hubs: pd.DataFrame
    timings: dict[str, float]

    def __repr__(self) -> str:
        share = self.summary["share_in_top_area"]
        area = self.summary["area_for_share"]
        return (
            f"<gridfoot run: {self.summary['total']:,.6g} {self.summary['units']} mapped to "
            f"{self.out}; top {_keys(share)} of land hold {_values(share)}; "
            f"{_keys(area)} of the total need {_values(area)} of land>"
        )

    def _repr_html_(self) -> str:
        return _summary_table(self.summary)


def _keys(mapping: dict[str, float]) -> str:
    return "/".join(f"{float(k):.0%}" for k in mapping)


def _values(mapping: dict[str, float]) -> str:
    return "/".join(f"{v:.1%}" for v in mapping.values())


class _Steps:
    """Timings of named steps and a progress bar over them."""

    def __init__(self, names: Sequence[str], progress: bool | None) -> None:
        from tqdm import tqdm

        self.timings: dict[str, float] = {}
        self.bar = tqdm(
            total=len(names),
            desc="gridfoot run",
            unit="step",
            disable=None if progress is None else not progress,
        )

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        self.bar.set_postfix_str(name)
        start = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - start
        self.bar.update()

    def close(self) -> None:
        self.bar.close()


# -- inputs ------------------------------------------------------------------------------


def _read_polygons(path: Path, what: str) -> Any:
    from gridfoot.io.vector import read_polygons

    _require_file(path, what)
    return read_polygons(path).reset_index(drop=True)  # a file without a CRS is refused there


def _require_field(frame: Any, field: str | None, path: Path, key: str) -> None:
    if field is not None and field not in frame.columns:
        raise ConfigError(
            f"{key}: {path} has no attribute {field!r}; it has "
            f"{format_labels([c for c in frame.columns if c != 'geometry'], 20)}"
        )


def load_inputs(config: RunConfig) -> Inputs:
    """Read and validate every input of a run (nothing is computed yet)."""
    from gridfoot.hotspots.zonal import warn_overlaps
    from gridfoot.spatial import Grid, read_sources
    from gridfoot.spatial.grid import check_grid

    m = config.mrio
    mrio = read_mrio(
        m.path,
        layout=m.layout,
        files=m.files or None,
        satellite=m.satellite or None,
        x=m.x,
        countries=m.countries,
        monetary_unit=m.monetary_unit,
        zero_output=m.zero_output,
        encoding=m.encoding,
    )
    if m.stressor is None and len(mrio.stressors) > 1:
        raise ConfigError(
            f"mrio.stressor: the MRIO has several stressors ({format_labels(mrio.stressors)}); "
            "say which one to map"
        )
    stressor = m.stressor or str(mrio.stressors[0])
    if stressor not in mrio.stressors:
        raise ConfigError(
            f"mrio.stressor: {stressor!r} is not in the MRIO; it has "
            f"{format_labels(mrio.stressors)}"
        )

    b = config.boundaries
    boundaries = _read_polygons(b.path, "boundaries")
    _require_field(boundaries, b.region_field, b.path, "boundaries.region_field")
    _require_field(boundaries, b.name_field, b.path, "boundaries.name_field")
    boundaries[_REGION] = boundaries[b.region_field].astype(str) if b.region_field else b.region
    unknown = sorted(set(boundaries[_REGION]) - set(mrio.regions))
    if unknown:
        raise LabelError(
            f"{b.path}: regions {format_labels(unknown)} of the boundaries are not regions of "
            f"the MRIO ({format_labels(mrio.regions, 12)})"
        )
    warn_overlaps(
        boundaries,
        _REGION,
        str(b.path),
        f"boundaries.region_field {b.region_field!r}" if b.region_field else "boundaries.region",
    )
    cities = None
    if b.cities is not None:
        cities = _read_polygons(b.cities, "cities")
        _require_field(cities, b.city_name_field, b.cities, "boundaries.city_name_field")

    crs = None if config.grid.crs == "auto" else config.grid.crs
    grid = Grid.for_boundaries(
        boundaries,
        resolution=config.grid.resolution,
        crs=crs,
        memory_budget=config.dask.memory_budget_bytes,
    )
    check_grid(grid, "grid.resolution", "grid.crs")
    proxy = _read_proxy(config.downscale.proxy, grid) if config.downscale.proxy else None

    s = config.sources
    by_polygon = s.by_polygon
    # The MRIO's sectors and regions: points coded otherwise would vanish from the map.
    sources = read_sources(
        s.path,
        lon=s.lon,
        lat=s.lat,
        sector=s.sector,
        sector_value=s.sector_value,
        weight=s.weight,
        weight_value=s.weight_value,
        region=_REGION if by_polygon else s.region,
        region_value=s.region_value,
        id=s.id,
        crs=s.crs,
        concordance=s.concordance,
        boundaries=boundaries if by_polygon else None,
        tolerance=s.tolerance,
        units=s.units,
        where=s.where or None,
        layer=s.layer,
        encoding=s.encoding,
        sectors=[str(c) for c in mrio.sectors],
        regions=[str(r) for r in mrio.regions],
        invalid=s.invalid,
        unplaced=config.downscale.unplaced,
    )
    files = [
        f
        for p in input_paths(config)
        for f in ([p] if p.is_file() else sorted(q for q in p.iterdir() if q.is_file()))
    ]
    return Inputs(
        mrio=mrio,
        boundaries=boundaries,
        cities=cities,
        sources=sources,
        grid=grid,
        stressor=stressor,
        files=tuple(files),
        proxy=proxy,
    )


def scope(config: RunConfig, mrio: MRIO, boundaries: Any) -> Scope:
    """The producers to map (regions, sectors) and the destinations whose demand counts."""
    d = config.downscale
    countries = mrio.countries
    if d.country is not None:
        if d.country not in set(countries):
            raise ConfigError(
                f"downscale.country: {d.country!r} is not a country of the MRIO "
                f"({format_labels(sorted(set(countries)), 20)})"
            )
        regions = countries.index[countries == d.country].tolist()
    elif d.regions is not None:
        regions = list(d.regions)
    else:
        regions = list(pd.unique(boundaries[_REGION]))
    unknown = [r for r in regions if r not in mrio.regions]
    if unknown:
        raise ConfigError(f"downscale.regions: unknown regions {format_labels(unknown)}")
    sectors = list(d.sectors) if d.sectors is not None else mrio.sectors.tolist()
    unknown = [s for s in sectors if s not in mrio.sectors]
    if unknown:
        raise ConfigError(f"downscale.sectors: unknown sectors {format_labels(unknown)}")
    home = sorted(set(countries[regions]))
    if d.destinations == "foreign":
        destinations = [r for r in mrio.regions if countries[r] not in home]
    elif d.destinations == "all":
        destinations = mrio.regions.tolist()
    else:
        destinations = list(d.destinations)
        unknown = [r for r in destinations if r not in mrio.regions]
        if unknown:
            raise ConfigError(f"downscale.destinations: unknown regions {format_labels(unknown)}")
    if not destinations:
        raise ConfigError("downscale.destinations: no destination left to map")
    strange = [code for code in config.output.published if code not in destinations]
    if strange:
        raise ConfigError(
            f"output.published: {format_labels(strange)} not among the mapped destinations "
            f"({format_labels(destinations, 12)}); its keys are destinations whose published "
            "share is marked beside their bar"
        )
    return Scope(tuple(regions), tuple(sectors), tuple(destinations), tuple(home))


def _in_scope(points: pd.DataFrame, chosen: Scope) -> np.ndarray:
    return (
        points["region"].isin(chosen.regions) & points["sector"].isin(chosen.sectors)
    ).to_numpy()


def _sources_in_scope(sources: Any, chosen: Scope) -> Any:
    """The sources of the mapped producers only (the rest are counted, see
    :func:`_out_of_scope`)."""
    points = sources.points
    keep = _in_scope(points, chosen)
    return dataclasses.replace(sources, points=points[keep].reset_index(drop=True))


def _out_of_scope(sources: Any, chosen: Scope) -> tuple[int, float]:
    """Points of producers not mapped on purpose (other regions or sectors): how many points
    lie wholly outside the scope, and the weight of every entry outside it."""
    points = sources.points
    outside = ~_in_scope(points, chosen)
    inside_rows = set(points.loc[~outside, "row"])
    count = len(set(points.loc[outside, "row"]) - inside_rows)
    return count, float(points.loc[outside, "weight"].sum())


def _set_aside(sources: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Points read_sources did not keep: invalid ones (invalid = "report") and those outside
    every boundary polygon."""
    unplaced = sources.unplaced
    outside = unplaced["reason"].astype(str).str.startswith("outside every boundary polygon")
    return unplaced[~outside.to_numpy()], unplaced[outside.to_numpy()]


def _destination_rule(config: RunConfig) -> str:
    rule = config.downscale.destinations
    return rule if isinstance(rule, str) else "listed"


def input_paths(config: RunConfig) -> list[Path]:
    """Every file or folder a run configuration names as an input."""
    m, s, b = config.mrio, config.sources, config.boundaries
    named = (m.path, m.countries, s.path, s.concordance, b.path, b.cities, config.downscale.proxy)
    return [p for p in named if p is not None]


# -- validation --------------------------------------------------------------------------


def _without_points(inputs: Inputs, chosen: Scope) -> list[tuple[str, str]]:
    """Producers in scope with emissions but no point: they fall back to land or the proxy."""
    points = _sources_in_scope(inputs.sources, chosen).points
    covered = set(map(tuple, points[["region", "sector"]].drop_duplicates().to_numpy()))
    emitting = inputs.mrio.F.loc[inputs.stressor]
    return [
        (r, s)
        for r in chosen.regions
        for s in chosen.sectors
        if emitting[(r, s)] > 0 and (r, s) not in covered
    ]


def memory_estimate(config: RunConfig, inputs: Inputs, chosen: Scope) -> Any:
    """What the run will hold in memory (:class:`gridfoot.resources.MemoryEstimate`)."""
    from gridfoot.resources import estimate_run_memory

    land_cells = int(np.count_nonzero(inputs.grid.land_fraction.values > 0))
    return estimate_run_memory(
        inputs.grid.shape,
        len(chosen.destinations),
        n_points=len(_sources_in_scope(inputs.sources, chosen).points),
        fallback_cells=len(_without_points(inputs, chosen)) * land_cells,
        chunk_bytes=int(config.dask.chunk_mb * 2**20),
        cube=config.output.cube,
    )


def validate(config: RunConfig) -> list[str]:
    """Read and check every input without computing; return a short report (one line each)."""
    inputs = load_inputs(config)
    chosen = scope(config, inputs.mrio, inputs.boundaries)
    estimate = memory_estimate(config, inputs, chosen)
    estimate.check(config.dask.memory_budget_bytes)
    weight_units = f" {inputs.sources.units}" if inputs.sources.units else ""
    invalid, outside = _set_aside(inputs.sources)
    out_count, out_weight = _out_of_scope(inputs.sources, chosen)
    without = _without_points(inputs, chosen)
    _check_proxy_cover(inputs, without)
    if config.downscale.mode == "inventory":
        _check_inventory(inputs, chosen)
    lines = [
        f"MRIO: {inputs.mrio!r}",
        f"stressor: {inputs.stressor} [{inputs.mrio.units[inputs.stressor]}]",
        f"boundaries: {len(inputs.boundaries)} polygons of {len(set(inputs.boundaries[_REGION]))} "
        "MRIO regions" + (f"; {len(inputs.cities)} cities" if inputs.cities is not None else ""),
        f"grid: {inputs.grid!r}",
        f"sources: {inputs.sources!r}",
        f"producers mapped: {len(chosen.regions)} regions x {len(chosen.sectors)} sectors; "
        f"{len(chosen.destinations)} destinations ({_destination_rule(config)})",
        f"producers with emissions but no points (fall back to land): {len(without)}"
        + (f" ({format_labels(without)})" if without else ""),
        f"points set aside (invalid = 'report'): {len(invalid):,}, weight "
        f"{invalid['weight'].sum():,.6g}{weight_units}"
        + (f" ({_reason_counts(invalid)})" if len(invalid) else ""),
        f"points outside every boundary polygon: {len(outside):,}, weight "
        f"{outside['weight'].sum():,.6g}{weight_units}",
        f"points of producers not mapped (other regions or sectors): {out_count:,}, weight "
        f"{out_weight:,.6g}{weight_units}",
        f"memory: about {estimate.peak / 2**30:,.2f} GiB at peak ({estimate.describe()})",
    ]
    return lines


def _check_proxy_cover(inputs: Inputs, without: list[tuple[str, str]]) -> None:
    """Warn when the proxy is 0 over the whole land of a region with fallback producers (as
    the allocation will: those producers are spread by land area instead)."""
    from gridfoot.spatial.allocate import _region_polygons, _tell_proxy_missed
    from gridfoot.spatial.grid import cell_coverage

    if inputs.proxy is None or not without:
        return
    regions = sorted({r for r, _ in without})
    polygons = _region_polygons(
        inputs.boundaries, _REGION, pd.Index(inputs.boundaries[_REGION].unique())
    )
    values = inputs.proxy.values.ravel()
    empty = set()
    for region in regions:
        if region in polygons:
            cover = np.asarray(cell_coverage(inputs.grid, polygons[region]).sum(axis=0)).ravel()
            if (cover > 0).any() and not (values * cover > 0).any():
                empty.add(region)
    producers = pd.MultiIndex.from_tuples(without, names=["region", "sector"])
    emitting = inputs.mrio.F.loc[inputs.stressor]
    _tell_proxy_missed(
        producers,
        np.array([r in empty for r, _ in without]),
        np.array([emitting[p] for p in without], dtype=float),
        inputs.mrio.units[inputs.stressor],
    )


def _check_inventory(inputs: Inputs, chosen: Scope) -> None:
    """Inventory mode: warn when the points' total and the MRIO's emissions of the producers
    they cover differ by orders of magnitude (a unit slip)."""
    from gridfoot.spatial.allocate import check_inventory_scale, unit_factor

    points = _sources_in_scope(inputs.sources, chosen).points
    units = inputs.mrio.units[inputs.stressor]
    factor = unit_factor(inputs.sources.units, units)
    covered = pd.MultiIndex.from_frame(points[["region", "sector"]].drop_duplicates())
    emitting = inputs.mrio.F.loc[inputs.stressor]
    check_inventory_scale(
        float(points["weight"].sum()) * factor,
        float(sum(emitting[p] for p in covered)),
        units,
        len(covered),
        inputs.sources.units,
    )


def _reason_counts(points: pd.DataFrame) -> str:
    return "; ".join(f"{n:,} with {r}" for r, n in points["reason"].value_counts().items())


# -- the run -----------------------------------------------------------------------------


@contextlib.contextmanager
def _scheduler(config: RunConfig) -> Iterator[None]:
    import dask

    address = config.dask.scheduler
    if "://" in address:
        try:
            from dask.distributed import Client
        except ImportError:
            raise ConfigError(
                "dask.scheduler: an address needs dask.distributed "
                "(pip install 'gridfoot[cluster]')"
            ) from None
        with Client(address):
            yield
    else:
        with dask.config.set(scheduler=address):
            yield


def _cube_progress(progress: bool | None, config: RunConfig) -> contextlib.AbstractContextManager:
    """dask's progress bar while the cube streams (local schedulers, on a terminal by default)."""
    import sys

    wanted = progress if progress is not None else sys.stderr.isatty()
    if not wanted or "://" in config.dask.scheduler:
        return contextlib.nullcontext()
    from dask.diagnostics import ProgressBar

    return ProgressBar(out=sys.stderr)


def _checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fraction_key(value: float) -> str:
    return f"{value:g}"


def _concentration_summary(layer: xr.DataArray, hot: Any) -> dict[str, Any]:
    from gridfoot.hotspots import concentration

    stats = concentration(layer, share=list(hot.shares), top_area=list(hot.top_area)).compute()
    return {
        "total": float(stats.total),
        "land_area_km2": float(stats.land_area) / 1e6,
        "share_in_top_area": {
            _fraction_key(a): float(v)
            for a, v in zip(
                hot.top_area, np.atleast_1d(stats.share_in_top_area.values), strict=True
            )
        },
        "area_for_share": {
            _fraction_key(q): float(v)
            for q, v in zip(hot.shares, np.atleast_1d(stats.area_for_share.values), strict=True)
        },
        "gini": float(stats.gini),
    }


def _hub_table(layer: xr.DataArray, inputs: Inputs, config: RunConfig) -> pd.DataFrame:
    from gridfoot.hotspots import hubs

    hot, b = config.hotspots, config.boundaries
    table = hubs(
        layer, hot.hotspot_share, inputs.boundaries, b.name_field or _REGION, hot.connectivity
    )
    if inputs.cities is not None and len(table):
        named = hubs(layer, hot.hotspot_share, inputs.cities, b.city_name_field, hot.connectivity)
        table["cities"] = named.set_index("rank")["regions"].reindex(table["rank"]).to_numpy()
    return table


def _breakdowns(driven: xr.DataArray) -> dict[str, pd.DataFrame]:
    from gridfoot.hotspots import breakdown

    return {
        "destination": breakdown(driven, by="destination"),
        "sector": breakdown(driven, by="sector"),
        "category": breakdown(driven, by="category"),
        "region": breakdown(driven, by="region"),
        "category_by_destination": breakdown(driven, by="category", within="destination"),
    }


def _write_layers(
    staging: Path,
    config: RunConfig,
    total: xr.DataArray,
    destinations: xr.DataArray,
    names: dict[str, str] | None = None,
) -> list[Path]:
    """The GeoTIFFs of ``[output] geotiff``; ``names`` (code -> name) label destinations.

    Quantities carry their units as band units; class rasters (hotspot mask, Gi* classes)
    their CF flags and a colour table: the Gi* classes -3..3 are written as codes 1..7
    (``uint8``, so GIS can colour them), ``flag_values_of_layer`` giving the classes.
    """
    from gridfoot.hotspots import gistar, hotspot_mask, hub_labels
    from gridfoot.io import write_geotiff

    folder = staging / "geotiff"
    wanted = set(config.output.geotiff)
    hot = config.hotspots
    written = []
    if "total" in wanted:
        written.append(write_geotiff(total, folder / "total.tif"))
    if "destinations" in wanted:
        for code in destinations.destination.values:
            layer = destinations.sel(destination=[code])
            path = folder / f"destination_{code}.tif"
            written.append(write_geotiff(layer, path, "destination", names=names))
    if "destinations_stack" in wanted:
        path = folder / "destinations.tif"
        written.append(write_geotiff(destinations, path, "destination", names=names))
    if "hotspot_mask" in wanted:
        written.append(
            write_geotiff(
                hotspot_mask(total, hot.hotspot_share),
                folder / "hotspot_mask.tif",
                nodata=255,
                dtype="uint8",
                mask_sea=False,
            )
        )
    if "hubs" in wanted:
        written.append(
            write_geotiff(
                hub_labels(total, hot.hotspot_share, hot.connectivity),
                folder / "hubs.tif",
                nodata=-1,
                dtype="int32",
                mask_sea=False,
            )
        )
    if "gistar" in wanted and hot.gistar:
        significance = gistar(total, neighbours=hot.neighbours, distance=hot.distance).significance
        written.append(
            write_geotiff(
                significance, folder / "gistar.tif", nodata=0, dtype="uint8", mask_sea=False
            )
        )
    return written


def _spread_over_land(allocation: Any) -> bool:
    """Whether any tonnes of the allocation were spread over land (no point sources)."""
    report = allocation.report
    return "fallback" in report.columns and bool((report["fallback"] > 0).any())


def _fallback_regions(allocation: Any, share: float = 0.5) -> list[str]:
    """Regions where more than ``share`` of the mapped tonnes were spread evenly over land
    (their producers had no point sources)."""
    report = allocation.report
    if not {"fallback", "on_grid"} <= set(report.columns):
        return []
    table = report.reset_index() if "region" not in report.columns else report
    if "region" not in table.columns:
        return []
    sums = table.groupby("region")[["fallback", "on_grid"]].sum()
    mostly = sums["fallback"] > share * sums["on_grid"].where(sums["on_grid"] > 0)
    return [str(r) for r in sums.index[mostly.to_numpy()]]


def _figures(
    staging: Path,
    config: RunConfig,
    inputs: Inputs,
    chosen: Scope,
    total: xr.DataArray,
    destinations: xr.DataArray,
    hub_table: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    allocation: Any = None,
) -> dict[str, bytes]:
    """Save every figure in the configured formats; return small PNGs for the report.

    Labels use the names beside the MRIO tables (``regions.csv``, ``sectors.csv``) and of
    final-demand categories, falling back to codes; each figure is drawn once and saved in
    every format from the same drawing; previews are scaled down from the saved PNG.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from gridfoot.hotspots import concentration_curve
    from gridfoot.plot.charts import concentration_figure, share_bars
    from gridfoot.plot.maps import map_grid, small_multiples
    from gridfoot.plot.names import fallback_names, read_names
    from gridfoot.plot.style import save_figure

    hot, out = config.hotspots, config.output
    names = read_names(config.mrio.path)
    stressor = inputs.stressor
    foreign = config.downscale.destinations == "foreign"
    where = ", ".join(names.region(c) for c in chosen.countries)
    if foreign:
        title = f"{stressor} emissions in {where} driven by final demand outside {where}"
    else:
        title = f"{stressor} emissions mapped in {where}"
    short = f"export-linked {stressor}" if foreign else f"mapped {stressor}"
    lead = short[0].upper() + short[1:]
    if config.downscale.sectors:
        title += "\n(" + "; ".join(names.sector(s) for s in config.downscale.sectors) + ")"
    layers = [inputs.boundaries] + ([inputs.cities] if inputs.cities is not None else [])
    replacements = fallback_names(inputs.boundaries, config.boundaries.name_field, _REGION, names)
    fallback = None  # None: nothing was spread over land; else the regions mostly spread
    if allocation is not None and _spread_over_land(allocation):
        spread = _fallback_regions(allocation)
        fallback = inputs.boundaries[inputs.boundaries[_REGION].isin(spread)]
    by_destination = tables["destination"]
    top = by_destination["destination"].head(out.top_destinations).tolist()
    top_shares = by_destination["share"].head(out.top_destinations).tolist()
    region_names = {code: names.region(code) for code in by_destination["destination"]}
    sector_names = {code: names.sector(code) for code in tables["sector"]["sector"]}
    category_names = {code: names.category(code) for code in tables["category"]["category"]}
    share_label = f"share of {short} (%)"
    figures = {
        "total_map": lambda: map_grid(
            total, layers, hub_table, title=title, fallback=fallback, names=replacements
        ),
        "concentration": lambda: concentration_figure(
            concentration_curve(total),
            hot.top_area[:1],
            (hot.hotspot_share,),
            title=f"Concentration of {short} on land, {where}",
        ),
        "destinations": lambda: share_bars(
            by_destination,
            title=f"{lead} by destination",
            names=region_names,
            reference=out.published or None,
            xlabel=share_label,
        ),
        "sectors": lambda: share_bars(
            tables["sector"],
            title=f"{lead} by producing sector",
            names=sector_names,
            xlabel=share_label,
        ),
        "categories": lambda: share_bars(
            tables["category"],
            title=f"{lead} by final-demand category",
            names=category_names,
            xlabel=share_label,
        ),
        "destination_maps": lambda: small_multiples(
            destinations.sel(destination=top),
            boundaries=inputs.boundaries,
            titles=[names.region(code) for code in top],
            shares=top_shares,
            fallback=fallback,
            names=replacements,
        ),
    }
    previews = {}
    for name, draw in figures.items():
        fig = draw()
        try:
            paths = save_figure(fig, staging / "maps" / name, out.maps)
            previews[name] = _preview(fig, paths)
        finally:
            plt.close(fig)
    return previews


def _preview(fig: Any, paths: list[Path], dpi: int = 110) -> bytes:
    """A small PNG for the report: the saved PNG scaled down, or drawn when none was saved."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    png = next((p for p in paths if p.suffix == ".png"), None)
    if png is None:
        fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        return buffer.getvalue()
    with Image.open(png) as image:
        saved = float(image.info.get("dpi", (300, 300))[0])
        factor = max(1, round(saved / dpi))  # 300 dpi -> 100 dpi: a box filter, fast
        small = image.convert("RGBA").reduce(factor)
        small.save(buffer, format="PNG", dpi=(saved / factor,) * 2)
    return buffer.getvalue()


def run(
    config: RunConfig,
    out: str | Path | None = None,
    progress: bool | None = None,
    config_file: str | Path | None = None,
) -> RunResult:
    """Run everything a configuration asks for and write the results to ``out``.

    Parameters
    ----------
    config : RunConfig
        From :func:`gridfoot.pipeline.load_run_config` or ``RunConfig.from_mapping``.
    out : path, optional
        Output folder; ``output.dir`` of the config (else ``./gridfoot_output``) by default.
        It must be absent, empty or a folder gridfoot wrote (see
        :func:`gridfoot.io.output.output_folder`), and may not hold an input; it is written
        only when the run succeeds, all at once.
    progress : bool, optional
        Show progress bars (default: when the output is a terminal).
    config_file : path, optional
        The configuration file the run was read from: protected like the other inputs.
    """
    from gridfoot.io import atomic_file, write_csv, write_footprint, write_zarr
    from gridfoot.io.output import check_output_folder, output_folder
    from gridfoot.spatial import allocate

    target = Path(out) if out is not None else (config.output.dir or Path("gridfoot_output"))
    target = target.resolve()
    config = dataclasses.replace(config, output=dataclasses.replace(config.output, dir=target))
    protected = [*([config_file] if config_file else []), *input_paths(config)]
    check_output_folder(target, protected)  # refused before anything is shown or computed
    steps = _Steps(
        [
            "inputs",
            "footprint",
            "allocation",
            "maps of the grid",
            "cube",
            "hotspots",
            "figures",
            "report",
        ],
        progress,
    )
    try:
        with (
            output_folder(target, command="run", inputs=protected) as staging,
            _scheduler(config),
        ):
            with steps("inputs"):
                inputs = load_inputs(config)
                chosen = scope(config, inputs.mrio, inputs.boundaries)
                memory_estimate(config, inputs, chosen).check(config.dask.memory_budget_bytes)
            with steps("footprint"):
                fp = compute_footprint(inputs.mrio, stressor=inputs.stressor)
                driven = fp["driven"].sel(
                    stressor=inputs.stressor,
                    region=list(chosen.regions),
                    sector=list(chosen.sectors),
                    destination=list(chosen.destinations),
                )
                write_footprint(fp, staging)
            with steps("allocation"):
                allocation = allocate(
                    _sources_in_scope(inputs.sources, chosen),
                    inputs.grid,
                    fp.sel(region=list(chosen.regions), sector=list(chosen.sectors)),
                    mode=config.downscale.mode,
                    stressor=inputs.stressor,
                    regions=inputs.boundaries,
                    region_attribute=_REGION,
                    proxy=inputs.proxy,
                    invalid="raise",
                    unplaced=config.downscale.unplaced,
                )
                allocation.save(staging / "allocation.nc")
                write_csv(allocation.report.reset_index(), staging / "allocation_report.csv")
                write_csv(allocation.unplaced, staging / "unplaced.csv")
            with steps("maps of the grid"):
                name = "export_linked" if config.downscale.destinations == "foreign" else "mapped"
                total = allocation.map(driven.sum(["destination", "category"]), name=name)
                by_destination = allocation.map(driven.sum("category"), name=name)
                total.attrs["stressor"] = by_destination.attrs["stressor"] = inputs.stressor
                layers = _write_layers(staging, config, total, by_destination)
            with steps("cube"):
                if config.output.cube:
                    cube = allocation.cube(driven, chunk_bytes=int(config.dask.chunk_mb * 2**20))
                    units = cube.attrs.get("units", "")
                    about = {
                        "title": f"{inputs.stressor} emissions by destination of final demand "
                        "and producing sector, on an equal-area grid",
                        "summary": f"Emissions of {inputs.stressor} ({units} per cell per year) "
                        "of the mapped producers (regions "
                        f"{', '.join(chosen.regions)}), driven by each destination's "
                        f"final demand ({_destination_rule(config)} destinations: "
                        f"{', '.join(chosen.destinations)})",
                        "stressor": inputs.stressor,
                        "units": units,
                        "mrio": str(config.mrio.path),
                        "allocation_mode": config.downscale.mode,
                    }
                    with _cube_progress(progress, config):
                        write_zarr(cube.rename("emissions"), staging / "cube.zarr", attrs=about)
            with steps("hotspots"):
                summary = _concentration_summary(total, config.hotspots)
                hub_table = _hub_table(total, inputs, config)
                write_csv(hub_table, staging / "hubs.csv")
                tables = _breakdowns(driven)
                for key, table in tables.items():
                    write_csv(table, staging / f"breakdown_{key}.csv")
                per_destination = _destination_statistics(by_destination, config)
                write_csv(per_destination, staging / "destination_concentration.csv")
            with steps("figures"):
                previews = _figures(
                    staging,
                    config,
                    inputs,
                    chosen,
                    total,
                    by_destination,
                    hub_table,
                    tables,
                    allocation,
                )
            with steps("report"):
                summary = _assemble_summary(
                    summary,
                    config,
                    inputs,
                    chosen,
                    allocation,
                    hub_table,
                    tables,
                    steps.timings,
                    driven,
                )
                with atomic_file(staging / "hotspots.json") as temporary:
                    temporary.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
                write_run_config(config, staging / "run.toml", base_dir=target)
                _write_report(
                    staging / "report.html",
                    config,
                    inputs,
                    summary,
                    hub_table,
                    tables,
                    previews,
                    layers,
                    staging,
                )
    finally:
        steps.close()
    return RunResult(
        out=target,
        config=config,
        footprint=fp,
        allocation=allocation,
        total=total,
        destinations=by_destination,
        summary=summary,
        hubs=hub_table,
        timings=dict(steps.timings),
    )


def _read_proxy(path: Path, grid: Any) -> xr.DataArray:
    """The proxy raster, which must lie on the run's grid (CRS, transform and shape).

    No-data cells count as 0; cells below 0 or infinite are an error, and so is a proxy that
    is 0 on every land cell (it would spread nothing).
    """
    import rioxarray
    from rasterio.errors import RasterioError

    from gridfoot.spatial import Grid
    from gridfoot.spatial.allocate import proxy_problem

    _require_file(path, "downscale.proxy")
    try:
        with warnings.catch_warnings():  # affine's "use @" inside rioxarray: not the user's
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            proxy = rioxarray.open_rasterio(path, masked=True).squeeze("band", drop=True)
        found = Grid.from_dataarray(proxy)
    except (RasterioError, GridfootError) as error:
        raise InputFileError(
            f"{path}: cannot be read as a proxy raster (downscale.proxy): {error}"
        ) from None
    if found != grid:
        raise GridError(
            f"{path}: the proxy raster (downscale.proxy) is not on the run's grid: it is "
            f"{found!r}, the run's is {grid!r}; write the proxy on the run's grid "
            "(grid.crs and grid.resolution; gridfoot validate prints the grid)"
        )
    values = proxy.values.astype(float)
    problem = proxy_problem(np.where(np.isnan(values), 0.0, values))
    if problem:
        raise GridError(
            f"{path}: the proxy raster (downscale.proxy) must be finite and >= 0; it has {problem}"
        )
    proxy = proxy.fillna(0.0)
    land = grid.land_fraction.values > 0
    if not (proxy.values[..., land] > 0).any():
        raise GridError(
            f"{path}: the proxy raster (downscale.proxy) is 0 (or no data) on every one of "
            f"the grid's {int(land.sum()):,} land cells: it would spread nothing; leave "
            "downscale.proxy out to spread by land area"
        )
    return proxy


def _require_file(path: Path, what: str) -> None:
    """Refuse a folder or a missing file, saying which."""
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a file ({what})")
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file ({what})")


def _destination_statistics(layers: xr.DataArray, config: RunConfig) -> pd.DataFrame:
    from gridfoot.hotspots import concentration

    hot = config.hotspots
    stats = concentration(layers, share=hot.hotspot_share, top_area=hot.top_area[0]).compute()
    frame = stats.reset_coords(drop=True).to_dataframe().reset_index()
    frame["land_area_km2"] = frame.pop("land_area") / 1e6
    frame = frame.rename(
        columns={
            "share_in_top_area": f"share_in_top_{hot.top_area[0]:g}_of_land",
            "area_for_share": f"land_for_{hot.hotspot_share:g}_of_total",
        }
    )
    return frame.sort_values("total", ascending=False).reset_index(drop=True)


def _assemble_summary(
    summary: dict[str, Any],
    config: RunConfig,
    inputs: Inputs,
    chosen: Scope,
    allocation: Any,
    hub_table: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    timings: dict[str, float],
    mapped: xr.DataArray,
) -> dict[str, Any]:
    """The run's key figures (hotspots.json); ``mapped`` is the mapped part of ``driven``
    (dims region, sector, ...), e.g. its export-linked destinations."""
    hub_columns = [c for c in _HUB_COLUMNS if c in hub_table.columns]
    return {
        "stressor": inputs.stressor,
        "units": inputs.mrio.units[inputs.stressor],
        "countries": list(chosen.countries),
        "regions": list(chosen.regions),
        "destinations": list(chosen.destinations),
        "mode": config.downscale.mode,
        **summary,
        "hotspot_share": config.hotspots.hotspot_share,
        "hub_count": len(hub_table),
        "hubs": [
            {k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in hub_table[hub_columns].head(20).to_dict(orient="records")
        ],
        "by_destination": dict(
            zip(
                tables["destination"]["destination"],
                tables["destination"]["share"].astype(float),
                strict=True,
            )
        ),
        "by_sector": dict(
            zip(tables["sector"]["sector"], tables["sector"]["share"].astype(float), strict=True)
        ),
        "placement": placement_summary(inputs.sources, chosen, allocation, mapped),
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
    }


def placement_summary(
    sources: Any, chosen: Scope, allocation: Any, mapped: xr.DataArray | None = None
) -> dict[str, Any]:
    """Where every tonne and every point went (the ``placement`` of hotspots.json).

    Parameters
    ----------
    sources : Sources
        All points read (before the scope is applied).
    chosen : Scope
    allocation : Allocation
        Built from the sources in scope.
    mapped : DataArray, optional
        The mapped part of ``driven`` (e.g. export-linked: foreign destinations).

    Returns
    -------
    dict
        Tonnes (the footprint's units) of the mapped producers' whole emissions, every
        destination: ``input = on_points + fallback + unplaced`` (``reassigned`` is within
        ``on_points``); under ``mapped`` the same split of the mapped total (``on_points +
        fallback`` is the map's total); counts and weights (the sources' units) of the points
        left out: not on the grid, set aside as invalid, outside every boundary polygon, or
        of producers not mapped.
    """
    report = allocation.report
    whole = allocation.placement().sum()
    not_read = allocation.unplaced["reason"].astype(str).str.startswith("not read: ")
    invalid, outside = _set_aside(sources)
    out_count, out_weight = _out_of_scope(sources, chosen)
    result: dict[str, Any] = {
        "about": (
            "tonnes of the mapped producers' whole emissions, all destinations (domestic and "
            "foreign): input = on_points + fallback + unplaced, reassigned is part of "
            "on_points; 'mapped' splits the mapped total (the map's destinations) the same "
            "way; point weights are in weight_units"
        ),
        **{c: float(whole[c]) for c in whole.index},
        "reassigned": float(report["reassigned"].sum()),
        "producers": {
            str(m or "nothing to place"): int(n) for m, n in report["method"].value_counts().items()
        },
    }
    if mapped is not None:
        linked = allocation.placement(mapped).sum()
        result["mapped"] = {c: float(linked[c]) for c in linked.index}
    result.update(
        {
            "unplaced_points": len(allocation.unplaced),
            "points_not_on_grid": int((~not_read).sum()),
            "points_not_on_grid_weight": float(allocation.unplaced.loc[~not_read, "weight"].sum()),
            "points_set_aside": len(invalid),
            "points_set_aside_weight": float(invalid["weight"].sum()),
            "points_outside_boundaries": len(outside),
            "points_outside_boundaries_weight": float(outside["weight"].sum()),
            # points of producers not mapped (other regions or sectors), left out on purpose
            "points_out_of_scope": out_count,
            "points_out_of_scope_weight": out_weight,
            "weight_units": sources.units,
        }
    )
    return result


def _summary_table(summary: dict[str, Any]) -> str:
    units = summary["units"]
    rows = [
        ("mapped total", f"{summary['total']:,.0f} {units} {summary['stressor']}"),
        ("land", f"{summary['land_area_km2']:,.0f} km²"),
    ]
    rows += [
        (f"held by the top {float(k):.0%} of land", f"{v:.1%}")
        for k, v in summary["share_in_top_area"].items()
    ]
    rows += [
        (f"land holding {float(k):.0%} of the total", f"{v:.2%}")
        for k, v in summary["area_for_share"].items()
    ]
    rows += [
        ("Gini index", f"{summary['gini']:.3f}"),
        (f"hubs holding {summary['hotspot_share']:.0%}", str(summary["hub_count"])),
    ]
    placement = summary["placement"]
    mapped = placement.get("mapped", {})
    for label, key in (
        ("on points", "on_points"),
        ("spread over land (no points)", "fallback"),
        ("unplaced", "unplaced"),
    ):
        both = f"{placement[key]:,.0f} {units}"
        if mapped:
            both = f"{mapped[key]:,.0f} {units} of the mapped total; {both} of all emissions"
        rows.append((label, both))
    rows.append(("points left out", _points_left_out(placement)))
    body = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in rows)
    return f"<table class='summary'>{body}</table>"


def _points_left_out(placement: dict[str, Any]) -> str:
    units = f" {placement['weight_units']}" if placement.get("weight_units") else ""
    parts = [
        (what, placement[key], placement[f"{key}_weight"])
        for what, key in (
            ("not on the grid", "points_not_on_grid"),
            ("set aside as invalid", "points_set_aside"),
            ("outside every boundary polygon", "points_outside_boundaries"),
            ("of producers not mapped", "points_out_of_scope"),
        )
    ]
    return "; ".join(f"{n:,} {what} (weight {w:,.6g}{units})" for what, n, w in parts)


def _placement_table(placement: dict[str, Any], units: str) -> str:
    """Every tonne of the mapped producers, whole and mapped, in one small table."""
    columns = {"all emissions (every destination)": placement}
    if "mapped" in placement:
        columns["mapped total (the map's destinations)"] = placement["mapped"]
    frame = pd.DataFrame(
        {
            name: [values[k] for k in ("input", "on_points", "fallback", "unplaced")]
            for name, values in columns.items()
        },
        index=[
            f"input ({units})",
            "placed on points",
            "spread over land or proxy (producers without points)",
            "unplaced",
        ],
    )
    return frame.to_html(float_format=lambda v: f"{v:,.0f}", border=0, classes="data")


def _write_report(
    path: Path,
    config: RunConfig,
    inputs: Inputs,
    summary: dict[str, Any],
    hub_table: pd.DataFrame,
    tables: dict[str, pd.DataFrame],
    previews: dict[str, bytes],
    layers: list[Path],
    staging: Path,
) -> None:
    import base64

    from gridfoot import __version__
    from gridfoot.io import atomic_file

    def table(frame: pd.DataFrame, rows: int = 12) -> str:
        return frame.head(rows).to_html(
            index=False, float_format=lambda v: f"{v:,.4g}", border=0, classes="data"
        )

    inputs_table = pd.DataFrame(
        [{"file": str(p), "bytes": p.stat().st_size, "sha256": _checksum(p)} for p in inputs.files]
    )
    images = "".join(
        f"<figure><img src='data:image/png;base64,{base64.b64encode(png).decode()}' "
        f"alt='{name}'><figcaption>{name.replace('_', ' ')}</figcaption></figure>"
        for name, png in previews.items()
    )
    timings = pd.DataFrame(list(summary["timings_s"].items()), columns=["step", "seconds"])
    unplaced = pd.read_csv(staging / "unplaced.csv")
    hub_cols = [c for c in _HUB_COLUMNS if c in hub_table.columns]
    files = sorted(
        str(p.relative_to(staging))
        for p in staging.rglob("*")
        if p.is_file() and ".zarr" not in str(p.relative_to(staging))
    )
    folder = html.escape(str(config.output.dir))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>gridfoot run report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }}
th, td {{ padding: 0.2em 0.8em; text-align: left; border-bottom: 1px solid #ddd; }}
figure {{ display: inline-block; margin: 0.5em; vertical-align: top; }}
img {{ max-width: 520px; }} figcaption {{ font-size: 0.85em; color: #555; }}
code {{ font-size: 0.9em; }}
</style></head><body>
<h1>gridfoot run report</h1>
<p>gridfoot {html.escape(__version__)}, output folder <code>{folder}</code>.
Repeat with <code>gridfoot run {folder}/run.toml --out ANOTHER_FOLDER</code>.</p>
<h2>Key figures</h2>
<p>{html.escape(summary["stressor"])} of producers in {html.escape(", ".join(summary["countries"]))}
driven by final demand of {len(summary["destinations"])} destination(s)
({_destination_rule(config)}),
allocated in {html.escape(summary["mode"])} mode.</p>
{_summary_table(summary)}
<h2>Figures</h2>{images}
<h2>Hubs</h2>{table(hub_table[hub_cols])}
<h2>Breakdowns</h2>
<h3>By destination</h3>{table(tables["destination"])}
<h3>By producing sector</h3>{table(tables["sector"])}
<h3>By final-demand category</h3>{table(tables["category"])}
<h2>Unplaced emissions</h2>
<p>Where every tonne of the mapped producers went, for their whole emissions (every
destination) and for the mapped total. Per producer in <code>allocation_report.csv</code>
(<code>input = on_points + fallback + unplaced</code>).</p>
{_placement_table(summary["placement"], html.escape(summary["units"]))}
<p>Points left out: {html.escape(_points_left_out(summary["placement"]))}.
{len(unplaced)} point(s) are listed in <code>unplaced.csv</code> with the reason and where
their tonnes went.</p>
{table(unplaced, 20) if len(unplaced) else ""}
<h2>Inputs</h2>{table(inputs_table, 100)}
<h2>Timings</h2>{table(timings, 100)}
<h2>Files</h2><ul>{"".join(f"<li><code>{html.escape(f)}</code></li>" for f in files)}
{"<li><code>cube.zarr/</code></li>" if config.output.cube else ""}</ul>
</body></html>
"""
    with atomic_file(path) as temporary:
        temporary.write_text(page, encoding="utf-8")
