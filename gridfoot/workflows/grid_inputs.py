"""The grid study's inputs: read and checked (:func:`load_inputs`), its scope
(:func:`scope`), what a run would hold (:func:`memory_estimate`, :func:`validate`), and the
accounting of every point and tonne (:func:`placement_summary`)."""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridfoot.config import RunConfig
from gridfoot.errors import (
    ConfigError,
    GridError,
    GridfootError,
    InputFileError,
    LabelError,
    MissingFileError,
    format_labels,
)
from gridfoot.mrio.readers import read_mrio
from gridfoot.mrio.system import MRIO

__all__ = [
    "Inputs",
    "Scope",
    "input_paths",
    "load_inputs",
    "memory_estimate",
    "placement_by_rule",
    "placement_summary",
    "scope",
    "validate",
]

# the MRIO region of each boundary polygon, as text; users see this name in notes and messages
_REGION = "MRIO region"


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
    # the proxy of each sector (key None: the rest): a raster on the grid, checked, or "land"
    proxies: dict[str | None, Any] = dataclasses.field(default_factory=dict)
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
    """Read and validate every input of a run (nothing is computed yet but a ``[nest]``
    section's nesting, which every later check needs).

    The order: the MRIO; what ``[nest]`` names (checked against the MRIO) and, unless it
    needs the point sources, the nesting; the boundaries, checked against the (nested) MRIO's
    regions; the grid; the point sources; and, when ``[nest]`` uses them (``"sources"``), the
    nesting by their weights per sub-region and sector.
    """
    from gridfoot.workflows.nesting import read_nesting

    host, stressor = _read_mrio(config)
    nesting = read_nesting(config.nest, host) if config.nest is not None else None
    later = nesting is not None and nesting.config.uses_sources  # after the sources are read
    mrio = nesting.apply(host) if nesting is not None and not later else host
    boundaries, cities = _read_boundaries(config)
    if later:
        regions = nesting.regions_after(host, boundaries[_REGION])
        sectors = nesting.sectors_after(host)
    else:
        regions, sectors = [str(r) for r in mrio.regions], [str(c) for c in mrio.sectors]
    _check_boundary_regions(config, boundaries, regions)
    zones, grid, coverage = _grid_of(config, boundaries)
    sources = _read_sources(config, zones, regions, sectors)
    proxies = read_proxies(config.downscale.rules, grid, sources, sectors, _proxy_keys(config))
    if later:
        mrio = _nest_by_sources(nesting, host, sources, boundaries)
        _check_boundary_regions(config, boundaries, [str(r) for r in mrio.regions])
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
        proxies=proxies,
        zones=zones,
        coverage=coverage,
    )


def _read_mrio(config: RunConfig) -> tuple[MRIO, str]:
    """The MRIO of ``[mrio]`` (the host, when ``[nest]`` replaces one of its regions) and the
    stressor to map."""
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
    return mrio, stressor


def _read_boundaries(config: RunConfig) -> tuple[Any, Any]:
    """The boundary polygons, with each one's MRIO region as text in ``_REGION``, and the
    cities (or None)."""
    b = config.boundaries
    boundaries = _read_polygons(b.path, "boundaries")
    _require_field(boundaries, b.region_field, b.path, "boundaries.region_field")
    _require_field(boundaries, b.name_field, b.path, "boundaries.name_field")
    boundaries[_REGION] = boundaries[b.region_field].astype(str) if b.region_field else b.region
    cities = None
    if b.cities is not None:
        cities = _read_polygons(b.cities, "cities")
        _require_field(cities, b.city_name_field, b.cities, "boundaries.city_name_field")
    return boundaries, cities


def _check_boundary_regions(config: RunConfig, boundaries: Any, regions: list[str]) -> None:
    """Every polygon names a region of the (nested) MRIO; polygons of one region that
    overlap are told."""
    from gridfoot.hotspots.zonal import warn_overlaps

    b = config.boundaries
    unknown = sorted(set(boundaries[_REGION]) - set(regions))
    if unknown:
        hint = ""
        if config.nest is not None and config.nest.region in unknown:
            hint = (
                f"; {config.nest.region} is replaced by the regions of [nest]: label its "
                "polygons with them"
            )
        raise LabelError(
            f"{b.path}: regions {format_labels(unknown)} of the boundaries are not regions of "
            f"the MRIO ({format_labels(regions, 12)}){hint}"
        )
    warn_overlaps(
        boundaries,
        _REGION,
        str(b.path),
        f"boundaries.region_field {b.region_field!r}" if b.region_field else "boundaries.region",
    )


def _grid_of(config: RunConfig, boundaries: Any) -> tuple[Any, Any, Any]:
    """The boundaries as zones, the run's grid (land from their one coverage) and the
    coverage."""
    from gridfoot.spatial import Grid, Zones
    from gridfoot.spatial.grid import check_grid

    b = config.boundaries
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
    return zones, grid, coverage


def _proxy_keys(config: RunConfig) -> dict[str, str]:
    """The configuration key of each sector's proxy rule, for messages."""
    keys = {s: f"downscale.proxies.{s}" for s in config.downscale.rules}
    if config.downscale.proxy is not None:
        keys["default"] = "downscale.proxy"
    return keys


def read_proxies(
    rules: dict[str, Any], grid: Any, sources: Any, sectors: list[str], keys: dict[str, str]
) -> dict[str | None, Any]:
    """The proxy of each sector named in ``rules`` (``"default"``: key None, the rest): a
    raster read onto the grid, an inventory's points' weights gathered onto it, or "land".
    Each distinct rule is made once; ``keys`` name each rule's place in the configuration."""
    unknown = [s for s in rules if s != "default" and s not in sectors]
    if unknown:
        raise ConfigError(
            f"{keys[unknown[0]]}: {format_labels(unknown)} are not MRIO sectors "
            f"({format_labels(sectors, 12)})"
        )
    made: dict[Any, Any] = {}
    result = {}
    for sector, rule in rules.items():
        if rule not in made:
            made[rule] = proxy_layer(rule, grid, sources, keys[sector])
        result[None if sector == "default" else sector] = made[rule]
    return result


def proxy_layer(rule: Any, grid: Any, sources: Any, key: str) -> Any:
    """One :class:`~gridfoot.config.ProxyRule` on the grid: "land", a raster (checked, see
    :func:`_read_proxy`), or the weights of an inventory's points summed per cell."""
    if rule.kind == "land":
        return "land"
    if rule.kind == "raster":
        return _read_proxy(rule.path, grid, key).rename(rule.label)
    points = sources.points[sources.points["inventory"] == rule.text]
    x, y = dataclasses.replace(sources, points=points).xy(grid.crs)
    cells = grid.cell_index(x, y)
    on = cells >= 0
    values = np.bincount(
        cells[on], weights=points["weight"].to_numpy(float)[on], minlength=grid.size
    )
    if not (values > 0).any():
        raise ConfigError(f"{key}: the points of {rule.text!r} weigh nothing on the grid")
    return grid.wrap(values.reshape(grid.shape), name=rule.label)


def _read_sources(config: RunConfig, zones: Any, regions: list[str], sectors: list[str]) -> Any:
    """The point sources of every inventory, checked against the (nested) MRIO's
    ``regions`` and ``sectors`` (points coded otherwise would vanish from the map), and joined
    (:func:`gridfoot.spatial.combine_sources`): each places the sectors it names."""
    from gridfoot.spatial import combine_sources, read_sources

    inventories = {}
    for s in config.inventories:
        by_polygon = s.by_polygon
        inventories[s.label] = read_sources(
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
            sectors=sectors,
            regions=regions,
            invalid=s.invalid,
            unplaced=config.downscale.unplaced,
            factor=s.factor,
        )
    several = len(config.inventories) > 1
    for index, s in enumerate(config.inventories):
        codes = [c for c in s.placed_sectors or () if c not in sectors]
        if codes:
            key = f"sources[{index}].sectors ({s.label})" if several else "sources.sectors"
            raise ConfigError(
                f"{key}: {format_labels(codes)} are not MRIO sectors ({format_labels(sectors, 12)})"
            )
    return combine_sources(inventories, {s.label: s.placed_sectors for s in config.inventories})


def _nest_by_sources(nesting: Any, host: MRIO, sources: Any, boundaries: Any) -> MRIO:
    """The nesting whose shares or emissions are the point sources' weights per sub-region
    and sector (each point's sub-region: the polygon it lies in, or its region column)."""
    from gridfoot.workflows.nesting import check_sources_cover, source_weights

    subregions = nesting.subregions(host, boundaries[_REGION])
    weights = source_weights(sources, subregions)
    if nesting.config.shares == "sources":
        check_sources_cover(weights, subregions, "nest.shares")
    return nesting.apply(host, weights)


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
        raise ConfigError(
            f"downscale.regions: unknown regions {format_labels(unknown)}"
            + _replaced(config, unknown)
        )
    # polygons of regions the map leaves out would be land that no producer may use: the
    # allocation refuses them, so say it here, where validate sees it too
    outside = [r for r in pd.unique(boundaries[_REGION]) if r not in set(regions)]
    if outside:
        raise LabelError(
            f"{config.boundaries.path}: polygons of regions {format_labels(outside)} that the "
            f"map leaves out (it maps {format_labels(regions, 12)}"
            + (f", the regions of downscale.country {d.country!r}" if d.country else "")
            + "); drop them from the boundaries, or map them"
        )
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
            raise ConfigError(
                f"downscale.destinations: unknown regions {format_labels(unknown)}"
                + _replaced(config, unknown)
            )
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


def _replaced(config: RunConfig, unknown: list[str]) -> str:
    """A hint when a region named is the one ``[nest]`` replaced."""
    if config.nest is None or config.nest.region not in unknown:
        return ""
    return f" ({config.nest.region} is replaced by the regions of [nest]: name those)"


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
    """Points of producers not mapped on purpose (other regions or sectors, or sectors their
    inventory does not place): how many points lie wholly outside the scope, and the weight
    of every entry outside it."""
    points = sources.points
    outside = ~_in_scope(points, chosen)
    rows = points["row"].to_numpy()
    # distinct rows with an entry outside and none inside (not a Python set of a million rows)
    count = len(np.setdiff1d(rows[outside], rows[~outside])) if outside.any() else 0
    other = _other_sector(sources.unplaced)
    count += int(other.sum())
    weight = float(points.loc[outside, "weight"].sum())
    return count, weight + float(sources.unplaced.loc[other, "weight"].sum())


def _other_sector(unplaced: pd.DataFrame) -> np.ndarray:
    """Points of sectors their inventory does not place (``sources.sectors``)."""
    from gridfoot.spatial.inventories import OTHER_SECTOR

    return unplaced["reason"].astype(str).str.startswith(OTHER_SECTOR).to_numpy()


def _set_aside(sources: Any) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Points read_sources did not keep: invalid ones (invalid = "report") and those outside
    every boundary polygon (points of sectors their inventory does not place are neither:
    they are out of scope)."""
    unplaced = sources.unplaced[~_other_sector(sources.unplaced)]
    outside = unplaced["reason"].astype(str).str.startswith("outside every boundary polygon")
    return unplaced[~outside.to_numpy()], unplaced[outside.to_numpy()]


def _destination_rule(config: RunConfig) -> str:
    rule = config.downscale.destinations
    return rule if isinstance(rule, str) else "listed"


def input_paths(config: RunConfig) -> list[Path]:
    """Every file or folder a run configuration names as an input."""
    m, b = config.mrio, config.boundaries
    inventories = [p for s in config.inventories for p in (s.path, s.concordance)]
    rules = [*config.downscale.proxies.values()]
    if config.uncertainty is not None:
        rules += config.uncertainty.fallbacks
    named = (m.path, m.countries, *inventories, b.path, b.cities, config.downscale.proxy)
    named += tuple(r.path for r in rules)
    nested = config.nest.paths if config.nest is not None else ()
    return list(dict.fromkeys(p for p in (*named, *nested) if p is not None))


# -- validation --------------------------------------------------------------------------


def _without_points(inputs: Inputs, chosen: Scope, mapped: Any = None) -> list[tuple[str, str]]:
    """Producers in scope with emissions but no point: they fall back to land or the proxy.
    ``mapped``: the sources in scope, when already selected."""
    points = (_sources_in_scope(inputs.sources, chosen) if mapped is None else mapped).points
    covered = set(map(tuple, points[["region", "sector"]].drop_duplicates().to_numpy()))
    emitting = inputs.mrio.F.loc[inputs.stressor]
    return [
        (r, s)
        for r in chosen.regions
        for s in chosen.sectors
        if emitting[(r, s)] > 0 and (r, s) not in covered
    ]


def _fallback_cells(inputs: Inputs, without: list[tuple[str, str]]) -> int:
    """Weights the land fallback builds: each producer without points over its region's
    cells (all the land's, for a coverage-less grid)."""
    if inputs.coverage is None:
        return len(without) * int(np.count_nonzero(inputs.grid.land_fraction.values > 0))
    coverage = inputs.coverage
    cells_of = dict(zip(coverage.labels, np.diff(coverage.matrix.indptr).tolist(), strict=True))
    return int(sum(cells_of.get(region, 0) for region, _ in without))


def memory_estimate(config: RunConfig, inputs: Inputs, chosen: Scope, mapped: Any = None) -> Any:
    """What the run will hold in memory (:class:`gridfoot.resources.MemoryEstimate`);
    ``mapped``: the sources in scope, when already selected."""
    from gridfoot.resources import estimate_run_memory

    if mapped is None:
        mapped = _sources_in_scope(inputs.sources, chosen)
    return estimate_run_memory(
        inputs.grid.shape,
        len(chosen.destinations),
        n_points=len(mapped.points),
        fallback_cells=_fallback_cells(inputs, _without_points(inputs, chosen, mapped)),
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
        "producers without points: "
        + "; ".join(
            f"{'the rest' if sector == 'default' else sector} by {rule.label}"
            for sector, rule in config.downscale.rules.items()
        ),
    ]
    u = config.uncertainty
    if u is not None:
        from gridfoot.workflows.uncertainty import statistics_held

        sets, needed = statistics_held(u.draws, inputs.grid.size)
        lines.append(
            f"uncertainty: {u.draws} draws (seed {u.seed}) of "
            f"{', '.join(u.varies) or 'nothing (every source of variation is off)'}; "
            f"per-cell statistics {needed / 2**20:,.1f} MiB ({sets} set(s) held at once: the "
            "merged ones and the batches' in flight)"
        )
    nesting = inputs.mrio.nesting
    if nesting is not None:
        notes = f"; {len(nesting.notes)} note(s)" if nesting.notes else ""
        estimate_words = "; the results will be an estimate" if nesting.estimate else ""
        lines.insert(1, f"nesting: {nesting.describe()}{notes}{estimate_words}")
    return lines


def _check_proxy_cover(inputs: Inputs, without: list[tuple[str, str]]) -> None:
    """Warn when a proxy is 0 over the whole land of a region with fallback producers (as
    the allocation will: those producers are spread by land area instead)."""
    from gridfoot.spatial.allocate import _tell_proxy_missed

    proxies = inputs.proxies
    empty = []
    for region, sector in without:
        layer = proxies.get(sector, proxies.get(None, "land"))
        if isinstance(layer, str) or region not in inputs.coverage.labels:
            empty.append(False)
            continue
        cells, shares = inputs.coverage.cover(region)  # the region's cells only
        empty.append(bool(len(cells)) and not (layer.values.ravel()[cells] * shares > 0).any())
    if not any(empty):
        return
    producers = pd.MultiIndex.from_tuples(without, names=["region", "sector"])
    emitting = inputs.mrio.F.loc[inputs.stressor]
    _tell_proxy_missed(
        producers,
        np.array(empty),
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


def _read_proxy(path: Path, grid: Any, key: str = "downscale.proxy") -> xr.DataArray:
    """The proxy raster, which must lie on the run's grid (CRS, transform and shape).

    No-data cells count as 0; cells below 0 or infinite are an error, and so is a proxy that
    is 0 on every land cell (it would spread nothing).
    """
    import rioxarray
    from rasterio.errors import RasterioError

    from gridfoot.spatial import Grid
    from gridfoot.spatial.allocate import proxy_problem

    _require_file(path, key)
    try:
        with warnings.catch_warnings():  # affine's "use @" inside rioxarray: not the user's
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            proxy = rioxarray.open_rasterio(path, masked=True).squeeze("band", drop=True)
        found = Grid.from_dataarray(proxy)
    except (RasterioError, GridfootError) as error:
        raise InputFileError(f"{path}: cannot be read as a proxy raster ({key}): {error}") from None
    if found != grid:
        raise GridError(
            f"{path}: the proxy raster ({key}) is not on the run's grid: it is "
            f"{found!r}, the run's is {grid!r}; write the proxy on the run's grid "
            "(grid.crs and grid.resolution; gridfoot validate prints the grid)"
        )
    values = proxy.values.astype(float)
    problem = proxy_problem(np.where(np.isnan(values), 0.0, values))
    if problem:
        raise GridError(
            f"{path}: the proxy raster ({key}) must be finite and >= 0; it has {problem}"
        )
    proxy = proxy.fillna(0.0)
    land = grid.land_fraction.values > 0
    if not (proxy.values[..., land] > 0).any():
        raise GridError(
            f"{path}: the proxy raster ({key}) is 0 (or no data) on every one of "
            f"the grid's {int(land.sum()):,} land cells: it would spread nothing; leave "
            f"{key} out to spread by land area"
        )
    return proxy


def _require_file(path: Path, what: str) -> None:
    """Refuse a folder or a missing file, saying which."""
    if path.is_dir():
        raise InputFileError(f"{path}: is a folder, not a file ({what})")
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file ({what})")


# -- where every point and tonne went ----------------------------------------------------


def placement_summary(
    sources: Any, chosen: Scope, allocation: Any, mapped: xr.DataArray | None = None
) -> dict[str, Any]:
    """Where every tonne and every point went (the ``placement`` of summary.json's results).

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


def placement_by_rule(allocation: Any, mapped: xr.DataArray, sources: Any) -> pd.DataFrame:
    """Which rule placed how many tonnes of each sector (the headline figures depend on it).

    One row per sector and rule (``points of coal units + gas units``, ``land``, ``proxy
    cement.tif``, ``points of steel plants`` ...): the producers, the part of the mapped
    total (``mapped``, e.g. export-linked) they bring (``value``, in the footprint's
    ``unit``), placed and unplaced, and its share of the mapped total; sectors by their
    total, largest first. Sectors with nothing to place are left out.
    """
    split = allocation.placement(mapped)
    report = allocation.report
    rule = report["rule"].astype(str)
    points = sources.points
    if "inventory" in points.columns and len(points):
        # the inventories whose points place each sector, in the order they are configured
        # (first seen): the distinct (sector, inventory) pairs of the million points, by code
        by_inventory, inventories = pd.factorize(points["inventory"])
        by_sector, sectors = pd.factorize(points["sector"])
        pairs = np.unique(by_sector * len(inventories) + by_inventory)
        names = (
            pd.Series(inventories[pairs % len(inventories)])
            .groupby(sectors[pairs // len(inventories)], sort=False)
            .agg(" + ".join)
        )
        sector = report.index.get_level_values("sector")
        on_points = (rule == "points").to_numpy()
        rule = rule.where(~on_points, "points of " + sector.map(names).fillna("").astype(str))
    table = pd.DataFrame(
        {
            "sector": report.index.get_level_values("sector"),
            "rule": rule.to_numpy(),
            "value": split["input"].to_numpy(),
            "placed": (split["on_points"] + split["fallback"]).to_numpy(),
            "unplaced": split["unplaced"].to_numpy(),
        }
    )
    table = table[table["value"] != 0]
    grouped = table.groupby(["sector", "rule"], sort=False).agg(
        producers=("value", "size"),
        value=("value", "sum"),
        placed=("placed", "sum"),
        unplaced=("unplaced", "sum"),
    )
    total = grouped["value"].sum()
    grouped["share"] = grouped["value"] / total if total else 0.0
    grouped["unit"] = allocation.units or ""
    # sectors by their mapped total, each sector's rules together, largest first
    grouped = grouped.reset_index()
    sector_total = grouped.groupby("sector")["value"].transform("sum")
    order = np.lexsort((-grouped["value"].to_numpy(), grouped["sector"].to_numpy(), -sector_total))
    return grouped.iloc[order].reset_index(drop=True)


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
