"""The grid study (``gridfoot run``): MRIO footprint -> allocation on the grid -> hotspots.

Each stage is a function of the previous stages' results, so a notebook can run them one by
one (:func:`load_inputs`, :func:`scope`, :func:`compute_grid`) or all at once
(:func:`run_grid`). :func:`compute_grid` returns a frozen :class:`GridStudy` and writes
nothing; :func:`run_grid` hands it to the one writer
(:func:`gridfoot.workflows.writer.write_study`), which writes the folder all at once. The
hotspots of the mapped total are the hotspot study's
(:func:`gridfoot.workflows.hotspots.compute_hotspots`), with the same files.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import html
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridfoot.config import RunConfig, write_run_config
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
from gridfoot.workflows.products import Report

__all__ = [
    "GridStudy",
    "Inputs",
    "Scope",
    "compute_grid",
    "load_inputs",
    "run_grid",
    "scope",
    "validate",
]

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
    zones: Any = None  # gridfoot.spatial.Zones: the boundaries labelled by MRIO region
    coverage: Any = None  # the zones' ZoneCoverage of the grid: built once, reused


@dataclass(frozen=True)
class Scope:
    """Which producers are mapped and whose final demand counts."""

    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    destinations: tuple[str, ...]
    countries: tuple[str, ...]


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
    from gridfoot.spatial import Grid, Zones, read_sources
    from gridfoot.spatial.grid import check_grid

    m = config.mrio
    mrio = read_mrio(**m.read_options())
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

    named = b.name_field is not None and _one_name_per_region(boundaries, b.name_field)
    zones = Zones.from_frame(
        boundaries, label=_REGION, name=b.name_field if named else None, source=str(b.path)
    )
    crs = None if config.grid.crs == "auto" else config.grid.crs
    grid = Grid.for_boundaries(
        zones,
        resolution=config.grid.resolution,
        crs=crs,
        memory_budget=config.dask.memory_budget_bytes,
        land=False,
    )
    # the one coverage of the run: land fraction, fallback, proxy check and hub names use it
    coverage = zones.coverage(grid)
    grid = grid.with_land(coverage)
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
        region=None if by_polygon else s.region,
        region_value=s.region_value,
        id=s.id,
        crs=s.crs,
        concordance=s.concordance,
        zones=zones if by_polygon else None,
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
        zones=zones,
        coverage=coverage,
    )


def _one_name_per_region(boundaries: Any, field: str) -> bool:
    """Whether ``field`` gives each MRIO region one name (else hubs are named by ``field``)."""
    return bool((boundaries.groupby(_REGION)[field].nunique(dropna=False) <= 1).all())


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


def _without_points(inputs: Inputs, chosen: Scope, mapped: Any = None) -> list[tuple[str, str]]:
    """Producers in scope with emissions but no point: they fall back to land or the proxy.
    ``mapped``: the sources in scope, when already selected."""
    points = (mapped or _sources_in_scope(inputs.sources, chosen)).points
    covered = set(map(tuple, points[["region", "sector"]].drop_duplicates().to_numpy()))
    emitting = inputs.mrio.F.loc[inputs.stressor]
    return [
        (r, s)
        for r in chosen.regions
        for s in chosen.sectors
        if emitting[(r, s)] > 0 and (r, s) not in covered
    ]


def memory_estimate(config: RunConfig, inputs: Inputs, chosen: Scope, mapped: Any = None) -> Any:
    """What the run will hold in memory (:class:`gridfoot.resources.MemoryEstimate`);
    ``mapped``: the sources in scope, when already selected."""
    from gridfoot.resources import estimate_run_memory

    mapped = mapped or _sources_in_scope(inputs.sources, chosen)
    land_cells = int(np.count_nonzero(inputs.grid.land_fraction.values > 0))
    return estimate_run_memory(
        inputs.grid.shape,
        len(chosen.destinations),
        n_points=len(mapped.points),
        fallback_cells=len(_without_points(inputs, chosen, mapped)) * land_cells,
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
    from gridfoot.spatial.allocate import _tell_proxy_missed

    if inputs.proxy is None or not without:
        return
    regions = sorted({r for r, _ in without})
    values = inputs.proxy.values.ravel()
    empty = set()
    for region in regions:
        if region in inputs.coverage.labels:
            cover = inputs.coverage.cells(region)
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


# -- the study ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class GridStudy:
    """What the grid study computed (:func:`compute_grid`); :func:`run_grid` writes it to a folder.

    Attributes
    ----------
    config, inputs, scope
        What was asked and read.
    footprint : Dataset
        The destination-resolved footprint of the whole MRIO.
    driven : DataArray
        The mapped part of it: (region, sector, destination, category) of the scope.
    allocation : Allocation
        The mapped producers' emissions on the grid's cells.
    total, destinations : DataArray
        The mapped total on the grid, and one layer per destination.
    cube : DataArray or None
        Lazy (destination, sector, y, x) layers, streamed when written.
    hotspots : HotspotsResult
        The hotspot study of ``total`` (:func:`gridfoot.workflows.hotspots.compute_hotspots`).
    breakdowns : dict of DataFrame
        Shares by destination, sector, category, region.
    key_figures : dict
        Concentration at every configured level, hubs and placement (``summary.json``),
        computed on first use.
    """

    config: RunConfig
    inputs: Inputs
    scope: Scope
    footprint: xr.Dataset
    driven: xr.DataArray
    allocation: Any
    total: xr.DataArray
    destinations: xr.DataArray
    cube: xr.DataArray | None
    hotspots: Any
    breakdowns: dict[str, pd.DataFrame]
    destination_concentration: pd.DataFrame
    files: tuple[str, ...] = ()  # what run wrote, relative to out
    study: str = "grid"

    @property
    def input_files(self) -> tuple[Path, ...]:
        return self.inputs.files

    @property
    def out(self) -> Path | None:
        """The output folder (set by :func:`run_grid`)."""
        return self.config.output.dir

    @property
    def figure_formats(self) -> tuple[str, ...]:
        return tuple(self.config.output.maps)

    def __repr__(self) -> str:
        k = self.key_figures
        share, area = k["share_in_top_area"], k["area_for_share"]
        return (
            f"<gridfoot grid study: {k['total']:,.6g} {k['units']} {k['stressor']} mapped; "
            f"top {_keys(share)} of land hold {_values(share)}; "
            f"{_keys(area)} of the total need {_values(area)} of land>"
        )

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in _key_rows(self.key_figures)
        )
        return f"<table>{rows}</table>"

    # -- the writer's protocol (gridfoot.workflows.writer) --------------------------------

    def summary_options(self) -> dict[str, Any]:
        from gridfoot.config import to_plain

        return to_plain(self.config)

    @functools.cached_property
    def key_figures(self) -> dict[str, Any]:
        """What was mapped, how concentrated (every configured level), the hubs, the shares
        by destination and sector, and where every tonne went: ``results`` of summary.json."""
        return _key_figures(self)

    def summary_results(self) -> dict[str, Any]:
        return self.key_figures

    def products(self) -> list[Any]:
        return _products(self)

    def report(self) -> Report:
        return _report(self)


def _keys(mapping: dict[str, float]) -> str:
    return "/".join(f"{float(k):.0%}" for k in mapping)


def _values(mapping: dict[str, float]) -> str:
    return "/".join(f"{v:.1%}" for v in mapping.values())


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


def _fraction_key(value: float) -> str:
    return f"{value:g}"


def _concentration_levels(layer: xr.DataArray, hot: Any) -> dict[str, Any]:
    """Concentration of the mapped total at every configured level (the key figures)."""
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


def _breakdowns(driven: xr.DataArray) -> dict[str, pd.DataFrame]:
    from gridfoot.hotspots import breakdown

    return {
        "destination": breakdown(driven, by="destination"),
        "sector": breakdown(driven, by="sector"),
        "category": breakdown(driven, by="category"),
        "region": breakdown(driven, by="region"),
        "category_by_destination": breakdown(driven, by="category", within="destination"),
    }


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


def _hub_zones(config: RunConfig, inputs: Inputs) -> dict[str, Any]:
    """What names the hubs: the regions (the run's one coverage, unless the name field gives
    a region several names, e.g. provinces of one MRIO region) and the cities."""
    from gridfoot.spatial import Zones

    b = config.boundaries
    zones: dict[str, Any] = {"regions": inputs.coverage}
    if b.name_field is not None and not _one_name_per_region(inputs.boundaries, b.name_field):
        zones["regions"] = Zones.from_frame(
            inputs.boundaries, label=b.name_field, source=str(b.path)
        )
    if inputs.cities is not None:
        zones["cities"] = Zones.from_frame(
            inputs.cities, label=b.city_name_field, source=str(b.cities)
        )
    return zones


def _hotspot_options(config: RunConfig) -> Any:
    from gridfoot.workflows.hotspots import HotspotOptions

    hot = config.hotspots
    return HotspotOptions(
        share=hot.hotspot_share,
        top_area=hot.top_area[0],
        connectivity=hot.connectivity,
        neighbours=hot.neighbours,
        distance=hot.distance,
        gistar=hot.gistar and "gistar" in config.output.geotiff,
    )


def compute_grid(
    config: RunConfig, inputs: Inputs, chosen: Scope, progress: Any = None, mapped: Any = None
) -> GridStudy:
    """Footprint, allocation, maps, the (lazy) cube, hotspots and breakdowns of a study.

    Nothing is written: :func:`run_grid` writes the result (:func:`gridfoot.workflows.writer.
    write_study`). ``progress`` is a :class:`~gridfoot.workflows.progress.Progress` with the
    stages "footprint", "allocation", "maps of the grid" and "hotspots"; ``mapped`` the
    sources in scope, when already selected.
    """
    from gridfoot.spatial import allocate
    from gridfoot.workflows.hotspots import compute_hotspots, concentration_table

    def stage(name: str) -> Any:
        return progress.stage(name) if progress is not None else contextlib.nullcontext()

    mapped_sources = mapped or _sources_in_scope(inputs.sources, chosen)
    with stage("footprint"):
        fp = compute_footprint(inputs.mrio, stressor=inputs.stressor)
        driven = fp["driven"].sel(
            stressor=inputs.stressor,
            region=list(chosen.regions),
            sector=list(chosen.sectors),
            destination=list(chosen.destinations),
        )
    with stage("allocation"):
        allocation = allocate(
            mapped_sources,
            inputs.grid,
            fp.sel(region=list(chosen.regions), sector=list(chosen.sectors)),
            mode=config.downscale.mode,
            stressor=inputs.stressor,
            zones=inputs.coverage,
            proxy=inputs.proxy,
            invalid="raise",
            unplaced=config.downscale.unplaced,
        )
    with stage("maps of the grid"):
        name = "export_linked" if config.downscale.destinations == "foreign" else "mapped"
        total = allocation.map(driven.sum(["destination", "category"]), name=name)
        by_destination = allocation.map(driven.sum("category"), name=name)
        total.attrs["stressor"] = by_destination.attrs["stressor"] = inputs.stressor
        cube = None
        if config.output.cube:
            cube = allocation.cube(driven, chunk_bytes=int(config.dask.chunk_mb * 2**20))
    with stage("hotspots"):
        zones = _hub_zones(config, inputs)
        options = _hotspot_options(config)
        found = compute_hotspots(total, options, zones=zones, source="the mapped total")
        per_destination = concentration_table(by_destination, options)
        tables = _breakdowns(driven)
        study = GridStudy(
            config=config,
            inputs=inputs,
            scope=chosen,
            footprint=fp,
            driven=driven,
            allocation=allocation,
            total=total,
            destinations=by_destination,
            cube=cube,
            hotspots=found,
            breakdowns=tables,
            destination_concentration=per_destination,
        )
        study.key_figures  # noqa: B018  (computed within the stage it belongs to)
    return study


def _key_figures(study: GridStudy) -> dict[str, Any]:
    """The ``results`` of summary.json: what was mapped, how concentrated, where it went."""
    config, inputs, chosen = study.config, study.inputs, study.scope
    tables, hub_table = study.breakdowns, study.hotspots.hubs
    hub_columns = [c for c in _HUB_COLUMNS if c in hub_table.columns]
    return {
        "stressor": inputs.stressor,
        "units": inputs.mrio.units[inputs.stressor],
        "countries": list(chosen.countries),
        "regions": list(chosen.regions),
        "destinations": list(chosen.destinations),
        "destination_rule": _destination_rule(config),
        "mode": config.downscale.mode,
        **_concentration_levels(study.total, config.hotspots),
        "hotspot_share": config.hotspots.hotspot_share,
        "hub_count": len(hub_table),
        "hubs": hub_table[hub_columns].head(20).to_dict(orient="records"),
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
        "placement": placement_summary(inputs.sources, chosen, study.allocation, study.driven),
    }


def _cube_attrs(study: GridStudy) -> dict[str, str]:
    units = study.cube.attrs.get("units", "") if study.cube is not None else ""
    chosen, stressor = study.scope, study.inputs.stressor
    return {
        "title": f"{stressor} emissions by destination of final demand and producing sector, "
        "on an equal-area grid",
        "summary": f"Emissions of {stressor} ({units} per cell per year) of the mapped "
        f"producers (regions {', '.join(chosen.regions)}), driven by each destination's "
        f"final demand ({_destination_rule(study.config)} destinations: "
        f"{', '.join(chosen.destinations)})",
        "stressor": stressor,
        "units": units,
        "mrio": str(study.config.mrio.path),
        "allocation_mode": study.config.downscale.mode,
    }


def _products(study: GridStudy) -> list[Any]:
    """Every file of the grid study, in the order written (figures last)."""
    from gridfoot.io import write_footprint, write_zarr
    from gridfoot.workflows.products import File, Raster, Table

    config = study.config
    wanted = set(config.output.geotiff)
    products: list[Any] = [
        File("footprint.nc", lambda path: write_footprint(study.footprint, path.parent)),
        File("allocation.nc", study.allocation.save),
        Table("allocation_report.csv", study.allocation.report.reset_index()),
        Table("unplaced.csv", study.allocation.unplaced),
    ]
    if "total" in wanted:
        products.append(Raster("geotiff/total.tif", study.total))
    names = _names(study)
    destination_names = {str(c): names.region(str(c)) for c in study.scope.destinations}
    if "destinations" in wanted:
        for code in study.destinations.destination.values:
            layer = study.destinations.sel(destination=[code])
            products.append(
                Raster(
                    f"geotiff/destination_{code}.tif", layer, "destination", names=destination_names
                )
            )
    if "destinations_stack" in wanted:
        products.append(
            Raster(
                "geotiff/destinations.tif",
                study.destinations,
                "destination",
                names=destination_names,
            )
        )
    classes = {
        "hotspot_mask.tif": "hotspot_mask",
        "hubs.tif": "hubs",
        "gistar_classes.tif": "gistar",
    }
    products += [r for r in study.hotspots.rasters() if classes[Path(r.path).name] in wanted]
    if study.cube is not None:
        cube = study.cube.rename("emissions")
        products.append(
            File("cube.zarr", lambda path: write_zarr(cube, path, attrs=_cube_attrs(study)))
        )
    per_destination = study.destination_concentration
    total_row = study.hotspots.concentration.assign(destination="(all mapped destinations)")
    concentration = pd.concat([total_row, per_destination], ignore_index=True)
    concentration = concentration[
        ["destination", *[c for c in concentration if c != "destination"]]
    ]
    products += [
        Table("hubs.csv", study.hotspots.hubs),
        Table("concentration.csv", concentration),
        *([Table("zonal.csv", study.hotspots.zonal)] if study.hotspots.zonal is not None else []),
        *(Table(f"breakdown_{k}.csv", t) for k, t in study.breakdowns.items()),
        File("run.toml", lambda path: write_run_config(config, path, base_dir=config.output.dir)),
    ]
    return products + _figures(study, names)


def _names(study: GridStudy) -> Any:
    from gridfoot.plot.names import read_names

    return read_names(study.config.mrio.path)


def _figures(study: GridStudy, names: Any) -> list[Any]:
    """The study's figures, each drawn once and saved in every configured format.

    Labels use the names beside the MRIO tables (``regions.csv``, ``sectors.csv``) and of
    final-demand categories, falling back to codes; each is drawn once and saved in every
    format by the writer.
    """
    from gridfoot.hotspots import concentration_curve
    from gridfoot.plot.charts import concentration_figure, share_bars
    from gridfoot.plot.maps import map_grid, small_multiples
    from gridfoot.plot.names import fallback_names
    from gridfoot.workflows.products import Figure

    config, inputs, chosen = study.config, study.inputs, study.scope
    hot, out, tables = config.hotspots, config.output, study.breakdowns
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
    if _spread_over_land(study.allocation):
        spread = _fallback_regions(study.allocation)
        fallback = inputs.boundaries[inputs.boundaries[_REGION].isin(spread)]
    by_destination = tables["destination"]
    top = by_destination["destination"].head(out.top_destinations).tolist()
    top_shares = by_destination["share"].head(out.top_destinations).tolist()
    region_names = {code: names.region(code) for code in by_destination["destination"]}
    sector_names = {code: names.sector(code) for code in tables["sector"]["sector"]}
    category_names = {code: names.category(code) for code in tables["category"]["category"]}
    share_label = f"share of {short} (%)"
    hub_table = study.hotspots.hubs
    return [
        Figure(
            "figures/total_map",
            lambda: map_grid(
                study.total, layers, hub_table, title=title, fallback=fallback, names=replacements
            ),
            f"{lead} on the grid, with the hubs holding {hot.hotspot_share:.0%} of it",
        ),
        Figure(
            "figures/concentration",
            lambda: concentration_figure(
                concentration_curve(study.total),
                hot.top_area[:1],
                (hot.hotspot_share,),
                title=f"Concentration of {short} on land, {where}",
            ),
            f"Concentration of {short} on land",
        ),
        Figure(
            "figures/destinations",
            lambda: share_bars(
                by_destination,
                title=f"{lead} by destination",
                names=region_names,
                reference=out.published or None,
                xlabel=share_label,
            ),
            f"{lead} by destination of final demand",
        ),
        Figure(
            "figures/sectors",
            lambda: share_bars(
                tables["sector"],
                title=f"{lead} by producing sector",
                names=sector_names,
                xlabel=share_label,
            ),
            f"{lead} by producing sector",
        ),
        Figure(
            "figures/categories",
            lambda: share_bars(
                tables["category"],
                title=f"{lead} by final-demand category",
                names=category_names,
                xlabel=share_label,
            ),
            f"{lead} by final-demand category",
        ),
        Figure(
            "figures/destination_maps",
            lambda: small_multiples(
                study.destinations.sel(destination=top),
                boundaries=inputs.boundaries,
                titles=[names.region(code) for code in top],
                shares=top_shares,
                fallback=fallback,
                names=replacements,
            ),
            f"{lead} driven by the {len(top)} largest destinations",
        ),
    ]


def _key_rows(key: dict[str, Any]) -> list[tuple[str, str]]:
    """The key figures as (label, value) rows: the report's and the notebook's table."""
    units = key["units"]
    rows = [
        ("mapped total", f"{key['total']:,.0f} {units} {key['stressor']}"),
        ("land", f"{key['land_area_km2']:,.0f} km²"),
    ]
    rows += [
        (f"held by the top {float(k):.0%} of land", f"{v:.1%}")
        for k, v in key["share_in_top_area"].items()
    ]
    rows += [
        (f"land holding {float(k):.0%} of the total", f"{v:.2%}")
        for k, v in key["area_for_share"].items()
    ]
    rows += [
        ("Gini index", f"{key['gini']:.3f}"),
        (f"hubs holding {key['hotspot_share']:.0%}", str(key["hub_count"])),
    ]
    placement = key["placement"]
    mapped = placement.get("mapped", {})
    for label, name in (
        ("on points", "on_points"),
        ("spread over land (no points)", "fallback"),
        ("unplaced", "unplaced"),
    ):
        both = f"{placement[name]:,.0f} {units}"
        if mapped:
            both = f"{mapped[name]:,.0f} {units} of the mapped total; {both} of all emissions"
        rows.append((label, both))
    rows.append(("points left out", _points_left_out(placement)))
    return rows


def _placement_frame(placement: dict[str, Any], units: str) -> pd.DataFrame:
    """Every tonne of the mapped producers, whole and mapped, in one small table."""
    columns = {"all emissions (every destination)": placement}
    if "mapped" in placement:
        columns["mapped total (the map's destinations)"] = placement["mapped"]
    return pd.DataFrame(
        {
            name: [values[k] for k in ("input", "on_points", "fallback", "unplaced")]
            for name, values in columns.items()
        },
        index=pd.Index(
            [
                f"input ({units})",
                "placed on points",
                "spread over land or proxy (producers without points)",
                "unplaced",
            ],
            name="tonnes",
        ),
    )


def _report(study: GridStudy) -> Report:
    from gridfoot.workflows.products import Section

    key, config = study.key_figures, study.config
    names = _names(study)
    where = ", ".join(names.region(c) for c in key["countries"])
    hub_columns = [c for c in _HUB_COLUMNS if c in study.hotspots.hubs.columns]
    placement = key["placement"]
    unplaced = study.allocation.unplaced
    figures = tuple(p.path for p in _figures(study, names))
    folder = config.output.dir
    return Report(
        title=f"{key['stressor']} emissions of {where} on an equal-area grid",
        lead=(
            f"{key['stressor']} of producers in {where} driven by final "
            f"demand of {len(key['destinations'])} destination(s) ({key['destination_rule']}), "
            f"allocated in {key['mode']} mode.",
        ),
        key_figures=tuple(_key_rows(key)),
        repeat=f"gridfoot run {folder}/run.toml --out ANOTHER_FOLDER",
        sections=(
            Section("Figures", figures=figures),
            Section("Hubs", tables=(("hubs.csv", study.hotspots.hubs[hub_columns]),)),
            Section(
                "Breakdowns",
                tables=tuple(
                    (f"By {what}", study.breakdowns[name])
                    for name, what in (
                        ("destination", "destination"),
                        ("sector", "producing sector"),
                        ("category", "final-demand category"),
                    )
                ),
            ),
            Section(
                "Unplaced emissions",
                text=(
                    "Where every tonne of the mapped producers went, for their whole emissions "
                    "(every destination) and for the mapped total. Per producer in "
                    "allocation_report.csv (input = on_points + fallback + unplaced).",
                    f"Points left out: {_points_left_out(placement)}. {len(unplaced)} point(s) "
                    "are listed in unplaced.csv with the reason and where their tonnes went.",
                ),
                tables=(
                    ("Placement", _placement_frame(placement, key["units"])),
                    *((("unplaced.csv", unplaced),) if len(unplaced) else ()),
                ),
                rows=20,
            ),
        ),
    )


def run_grid(
    config: RunConfig,
    out: str | Path | None = None,
    progress: bool | None = None,
    config_file: str | Path | None = None,
) -> GridStudy:
    """Run everything a configuration asks for and write the results to ``out``.

    Parameters
    ----------
    config : RunConfig
        From :func:`gridfoot.config.load_run_config` or ``RunConfig.from_mapping``.
    out : path, optional
        Output folder; ``output.dir`` of the config (else ``./gridfoot_output``) by default.
        It must be absent, empty or a folder gridfoot wrote (see
        :func:`gridfoot.io.output.output_folder`), and may not hold an input; it is written
        only when the run succeeds, all at once.
    progress : bool, optional
        Show a progress bar (default: on a terminal; log lines otherwise; False: nothing).
    config_file : path, optional
        The configuration file the run was read from: protected like the other inputs.

    Returns
    -------
    GridStudy
        Everything computed; ``summary.json`` and ``report.html`` in ``out`` describe it.
    """
    from gridfoot.io.output import check_output_folder, output_folder
    from gridfoot.workflows.progress import Progress
    from gridfoot.workflows.writer import write_study

    target = Path(out) if out is not None else (config.output.dir or Path("gridfoot_output"))
    target = target.resolve()
    config = dataclasses.replace(config, output=dataclasses.replace(config.output, dir=target))
    protected = [*([config_file] if config_file else []), *input_paths(config)]
    check_output_folder(target, protected)  # refused before anything is shown or computed
    stages = ["inputs", "footprint", "allocation", "maps of the grid", "hotspots"]
    steps = Progress("gridfoot run", [*stages, "files", "figures", "report"], progress)
    try:
        with (
            output_folder(target, command="run", inputs=protected) as staging,
            _scheduler(config),
        ):
            with steps.stage("inputs"):
                inputs = load_inputs(config)
                chosen = scope(config, inputs.mrio, inputs.boundaries)
                mapped = _sources_in_scope(inputs.sources, chosen)  # once, used twice
                estimate = memory_estimate(config, inputs, chosen, mapped)
                estimate.check(config.dask.memory_budget_bytes)
            study = compute_grid(config, inputs, chosen, steps, mapped)
            summary = write_study(study, staging, out=target, progress=steps)
    finally:
        steps.close()
    return dataclasses.replace(study, files=tuple(summary["files"]))


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
