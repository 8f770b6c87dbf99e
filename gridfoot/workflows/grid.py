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
import hashlib
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gridfoot.checks import check_scheduler
from gridfoot.config import RunConfig, write_run_config
from gridfoot.mrio.accounts import footprint as compute_footprint
from gridfoot.workflows.grid_inputs import (
    Inputs,
    Scope,
    _destination_rule,
    _one_name_per_region,
    _sources_in_scope,
    input_paths,
    load_inputs,
    memory_estimate,
    placement_by_rule,
    placement_summary,
    scope,
    validate,
)
from gridfoot.workflows.grid_report import _HUB_COLUMNS, _figures, _key_rows, _names, _report
from gridfoot.workflows.nesting import nesting_summary, nesting_tables
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
    fallback : DataArray or None
        The part of ``total`` placed by a proxy or spread over land (producers without
        points); None when there is none.
    rules : DataFrame
        Which rule placed how many tonnes of each sector
        (:func:`~gridfoot.workflows.grid_inputs.placement_by_rule`).
    uncertainty : UncertaintyResult or None
        The draws' statistics (``[uncertainty]``; :mod:`gridfoot.workflows.uncertainty`).
    stages : dict
        Whether the footprint and the allocation were computed or reused from the run's
        cache, and how many of the cube's chunks a resumed run had already written
        (:mod:`gridfoot.workflows.resume`).
    cube_store : Path or None
        Where the cube is built chunk by chunk in the run's cache before it is moved into
        the output (None: written straight into it).
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
    fallback: xr.DataArray | None = None
    rules: pd.DataFrame | None = None
    uncertainty: Any = None
    stages: dict[str, str] = dataclasses.field(default_factory=dict)
    cube_store: Path | None = None
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
            for k, v in _key_rows(self.key_figures, self.names)
        )
        return f"<table>{rows}</table>"

    # -- the writer's protocol (gridfoot.workflows.writer) --------------------------------

    def summary_options(self) -> dict[str, Any]:
        from gridfoot.config import to_plain

        return to_plain(self.config)

    @functools.cached_property
    def names(self) -> Any:
        """Display names of regions, sectors and categories (beside the MRIO's tables),
        read once for the figures and the report."""
        return _names(self)

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
    config: RunConfig,
    inputs: Inputs,
    chosen: Scope,
    progress: Any = None,
    mapped: Any = None,
    footprint: xr.Dataset | None = None,
    cache: Any = None,
) -> GridStudy:
    """Footprint, allocation, maps, the (lazy) cube, hotspots and breakdowns of a study.

    Nothing is written: :func:`run_grid` writes the result (:func:`gridfoot.workflows.writer.
    write_study`). ``progress`` is a :class:`~gridfoot.workflows.progress.Progress` with the
    stages "footprint", "allocation", "maps of the grid" and "hotspots"; ``mapped`` the
    sources in scope, when already selected; ``footprint`` the MRIO's, when already computed
    (a series computes every year's at once); ``cache`` a
    :class:`~gridfoot.workflows.resume.StageCache` keeping the footprint and the allocation
    for a run started again (``study.stages`` says what was reused).
    """
    from gridfoot.workflows.resume import StageCache

    cache = cache if cache is not None else StageCache(None)
    from gridfoot.spatial import allocate
    from gridfoot.workflows.hotspots import compute_hotspots, concentration_table

    def stage(name: str) -> Any:
        return progress.stage(name) if progress is not None else contextlib.nullcontext()

    mapped_sources = _sources_in_scope(inputs.sources, chosen) if mapped is None else mapped
    with stage("footprint"):
        fp = footprint
        footprint_key = None
        if fp is None:
            fp, footprint_key = cached_footprint(config, inputs, cache)
        driven = fp["driven"].sel(
            stressor=inputs.stressor,
            region=list(chosen.regions),
            sector=list(chosen.sectors),
            destination=list(chosen.destinations),
        )
    with stage("allocation"):
        from gridfoot.spatial import load_allocation

        allocation_key = _allocation_key(config, inputs, fp)
        allocation = cache.reuse(
            "allocation",
            allocation_key,
            lambda: allocate(
                mapped_sources,
                inputs.grid,
                fp.sel(region=list(chosen.regions), sector=list(chosen.sectors)),
                mode=config.downscale.mode,
                stressor=inputs.stressor,
                zones=inputs.coverage,
                proxy=inputs.proxies or None,
                invalid="raise",
                unplaced=config.downscale.unplaced,
            ),
            lambda value, path: value.save(path),
            load_allocation,
        )
    with stage("maps of the grid"):
        name = "export_linked" if config.downscale.destinations == "foreign" else "mapped"
        per_producer = driven.sum(["destination", "category"])
        total = allocation.map(per_producer, name=name)
        fallback = _fallback_layer(allocation, per_producer)
        # destination layers are made one at a time when used (a GeoTIFF, a row of the
        # concentration table), never all held at once; one per chunk, since each is used
        # alone and a chunk of several is computed whole for any one of them
        by_destination = allocation.map(driven.sum("category"), name=name, chunk_layers=1)
        total.attrs["stressor"] = by_destination.attrs["stressor"] = inputs.stressor
        cube = cube_store = None
        if config.output.cube:
            cube = allocation.cube(driven, chunk_bytes=int(config.dask.chunk_mb * 2**20))
            cube = cube.rename(CUBE)
            if footprint_key is not None:  # its chunks are kept while written
                cube_store = _cube_store(cache, cube, footprint_key, allocation_key)
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
            fallback=fallback,
            rules=placement_by_rule(allocation, driven, mapped_sources),
            stages=dict(cache.record),
            cube_store=cube_store,
        )
        study.key_figures  # noqa: B018  (computed within the stage it belongs to)
    if config.uncertainty is not None:
        from gridfoot.workflows.uncertainty import compute_uncertainty

        with stage("uncertainty"):
            study = dataclasses.replace(study, uncertainty=compute_uncertainty(study))
            study.key_figures  # noqa: B018
    return study


def cached_footprint(config: RunConfig, inputs: Inputs, cache: Any) -> tuple[xr.Dataset, str]:
    """The footprint of the run's MRIO, reused from ``cache`` (a
    :class:`~gridfoot.workflows.resume.StageCache`) when it kept it; and its key."""
    key = _footprint_key(config, inputs)
    fp = cache.reuse(
        "footprint",
        key,
        lambda: compute_footprint(inputs.mrio, stressor=inputs.stressor),
        _save_footprint,
        _load_footprint,
    )
    return fp, key


def _footprint_key(config: RunConfig, inputs: Inputs) -> str:
    """What the footprint depends on: the MRIO's files and options, the nesting, the stressor."""
    from gridfoot.config import to_plain
    from gridfoot.workflows.resume import file_records, stage_key

    nest = config.nest
    files = [config.mrio.path, config.mrio.countries, *(nest.paths if nest is not None else ())]
    if nest is not None and nest.uses_sources:  # nested by the point sources' weights
        files += [p for s in config.inventories for p in (s.path, s.concordance)]
    return stage_key(
        "footprint",
        to_plain(config.mrio),
        to_plain(nest) if nest is not None else None,
        inputs.stressor,
        file_records(files),
    )


def _allocation_key(config: RunConfig, inputs: Inputs, fp: xr.Dataset) -> str:
    """What the weights depend on: the footprint's key (or, for a footprint given, its
    values), the inventories, boundaries, grid, proxies and the scope."""
    from gridfoot.config import to_plain
    from gridfoot.workflows.resume import file_records, stage_key

    files = [p for s in config.inventories for p in (s.path, s.concordance)]
    files += [config.boundaries.path, config.downscale.proxy]
    files += [r.path for r in config.downscale.proxies.values()]
    emissions = fp["driven"].sum(["destination", "category"]).values.tobytes()
    return stage_key(
        "allocation",
        hashlib.sha256(emissions).hexdigest(),
        [to_plain(s) for s in config.inventories],
        to_plain(config.boundaries),
        to_plain(config.grid),
        to_plain(config.downscale),
        file_records(files),
    )


#: The cube's variable in ``cube.zarr``.
CUBE = "emissions"


def _cube_store(cache: Any, cube: xr.DataArray, footprint_key: str, allocation_key: str) -> Any:
    """Where the cube's chunks are kept while written (:meth:`StageCache.partial`), keyed by
    the footprint and weights it is made of, its labels and its chunks; records in
    ``cache.record["cube"]`` how many a resumed run finds written."""
    from gridfoot.io.cube import resumable_blocks
    from gridfoot.workflows.resume import stage_key

    labels = {str(d): [str(v) for v in cube[d].values] for d in cube.dims if d not in ("y", "x")}
    key = stage_key("cube", footprint_key, allocation_key, labels, cube.shape, cube.chunks)
    store = cache.partial("cube", key, ["{}.zarr", "{}.zarr.done"])
    if store is None:
        return None
    done, blocks = resumable_blocks(cube, store)
    cache.record["cube"] = f"reused {done} of {blocks} chunks" if done else "computed"
    return store


def _save_footprint(fp: xr.Dataset, path: Path) -> None:
    from gridfoot.io.tables import write_netcdf

    write_netcdf(fp, path, compress=False)  # read back at once, and by a resumed run


#: A kept footprint larger than this is read lazily (as a footprint that large is computed).
_LAZY_FOOTPRINT = 2**30


def _load_footprint(path: Path) -> xr.Dataset:
    from gridfoot.io.tables import NETCDF_LOCK

    with NETCDF_LOCK:  # a series' years read theirs side by side
        stored = xr.open_dataset(path)
        if stored["driven"].nbytes > _LAZY_FOOTPRINT:
            stored.close()
            return xr.open_dataset(path, chunks={})
        with stored:
            return stored.load()


def _fallback_layer(allocation: Any, per_producer: xr.DataArray) -> xr.DataArray | None:
    """The mapped total of the producers placed by a proxy or spread over land (None: no
    such producer has tonnes to place)."""
    report = allocation.report
    spread = report["method"].isin(["land", "proxy"]).astype(float)
    if not (spread.to_numpy() * report["emissions"].to_numpy() != 0).any():
        return None
    mask = xr.DataArray.from_series(spread).reindex_like(per_producer, fill_value=0.0)
    layer = allocation.map(per_producer * mask, name="fallback")
    layer.attrs["long_name"] = "tonnes placed by a proxy or spread over land (no point sources)"
    return layer


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
        "placed_by": _placed_by(study),
        **(
            {"nesting": nesting_summary(inputs.mrio, config.nest)}
            if inputs.mrio.nesting is not None
            else {}
        ),
        **({"uncertainty": study.uncertainty.summary()} if study.uncertainty is not None else {}),
        "stages": dict(study.stages),
    }


def _placed_by(study: GridStudy) -> dict[str, float]:
    """The mapped total by rule (points of which inventories, land, a proxy), in its units."""
    if study.rules is None:
        return {}
    return {
        str(k): float(v) for k, v in study.rules.groupby("rule", sort=False)["value"].sum().items()
    }


def _cube_attrs(study: GridStudy) -> dict[str, str]:
    units = study.cube.attrs.get("units", "") if study.cube is not None else ""
    chosen, stressor = study.scope, study.inputs.stressor
    nesting = study.inputs.mrio.nesting
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
        **({"nesting": nesting.describe()} if nesting is not None else {}),
    }


def _products(study: GridStudy) -> list[Any]:
    """Every file of the grid study, in the order written (figures last)."""
    from gridfoot.io import write_footprint, write_zarr
    from gridfoot.workflows.products import File, Raster, Table

    config = study.config
    wanted = set(config.output.geotiff)
    products: list[Any] = [
        File(
            "footprint.nc",
            lambda path: write_footprint(
                study.footprint,
                path.parent,
                tables=config.output.tables,
                regions=list(study.scope.regions),
            ),
        ),
        File("allocation.nc", study.allocation.save),
        Table("allocation_report.csv", study.allocation.report.reset_index()),
        Table("unplaced.csv", study.allocation.unplaced),
    ]
    if "total" in wanted:
        products.append(Raster("geotiff/total.tif", study.total))
        if study.fallback is not None:
            products.append(Raster("geotiff/fallback.tif", study.fallback))
    names = study.names
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
        products.append(
            File(
                "cube.zarr",
                lambda path: write_zarr(
                    study.cube, path, attrs=_cube_attrs(study), partial=study.cube_store
                ),
            )
        )
    per_destination = study.destination_concentration
    total_row = study.hotspots.concentration.assign(destination="(all mapped destinations)")
    concentration = pd.concat([total_row, per_destination], ignore_index=True)
    concentration = concentration[
        ["destination", *[c for c in concentration if c != "destination"]]
    ]
    products += [
        Table("hubs.csv", study.hotspots.hubs),
        *([Table("placement_by_sector.csv", study.rules)] if study.rules is not None else []),
        Table("concentration.csv", concentration),
        *([Table("zonal.csv", study.hotspots.zonal)] if study.hotspots.zonal is not None else []),
        *(Table(f"breakdown_{k}.csv", t) for k, t in study.breakdowns.items()),
        *(nesting_tables(study.inputs.mrio) if study.inputs.mrio.nesting is not None else ()),
        *(_uncertainty_products(study) if study.uncertainty is not None else ()),
        File("run.toml", lambda path: write_run_config(config, path, base_dir=config.output.dir)),
    ]
    return products + _figures(study, names)


def _uncertainty_products(study: GridStudy) -> list[Any]:
    """The draws' rasters (per-cell p05, p95, coefficient of variation) and tables."""
    from gridfoot.workflows.products import Raster, Table

    result = study.uncertainty
    products: list[Any] = [
        Raster(f"geotiff/{name}.tif", result.cells[name]) for name in result.cells.data_vars
    ]
    products += [
        Table("uncertainty.csv", result.figures),
        Table("concentration_band.csv", result.curve),
    ]
    if result.sensitivity is not None:
        products.append(Table("sensitivity.csv", result.sensitivity))
    return products


def run_grid(
    config: RunConfig,
    out: str | Path | None = None,
    progress: bool | None = None,
    config_file: str | Path | None = None,
    scheduler: str | None = None,
    fresh: bool = False,
) -> Any:
    """Run everything a configuration asks for and write the results to ``out``.

    With ``[mrio] years`` the run is a series (:mod:`gridfoot.workflows.series`): one study per
    year and their trend, returned as a :class:`~gridfoot.workflows.series.SeriesStudy`.

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
    scheduler : str, optional
        Where dask's work runs, instead of ``config.dask.scheduler``: ``"threads"``,
        ``"synchronous"``, ``"processes"``, ``"local"`` (a LocalCluster for the run) or a
        scheduler's address (:func:`gridfoot.workflows.scheduler.dask_scheduler`). With
        neither, an active ``distributed.Client`` runs it, else dask's threads.
        ``summary.json`` records where it ran (``scheduler``).
    fresh : bool
        Recompute every stage, ignoring (and emptying) the run's cache of the footprint and
        the allocation beside ``out`` (:mod:`gridfoot.workflows.resume`; ``[output] cache``).

    Returns
    -------
    GridStudy or SeriesStudy
        Everything computed; ``summary.json`` and ``report.html`` in ``out`` describe it.
    """
    from gridfoot.io.output import check_output_folder, output_folder
    from gridfoot.workflows.progress import Progress
    from gridfoot.workflows.resume import StageCache
    from gridfoot.workflows.scheduler import dask_scheduler
    from gridfoot.workflows.writer import stages as writer_stages
    from gridfoot.workflows.writer import write_study

    name = "dask.scheduler"
    if scheduler is not None:  # checked as the argument, recorded in the options
        name = "scheduler"
        check_scheduler(scheduler, name)
        config = dataclasses.replace(
            config, dask=dataclasses.replace(config.dask, scheduler=scheduler)
        )
    target = Path(out) if out is not None else (config.output.dir or Path("gridfoot_output"))
    target = target.resolve()
    config = dataclasses.replace(config, output=dataclasses.replace(config.output, dir=target))
    years = config.years or ()
    each = [config.for_year(y) for y in years] or [config]
    protected = [
        *([config_file] if config_file else []),
        *(p for c in each for p in input_paths(c)),
    ]
    check_output_folder(target, protected)  # refused before anything is shown or computed
    stages = ["inputs", "footprint", "allocation", "maps of the grid", "hotspots"]
    if config.uncertainty is not None:
        stages.append("uncertainty")
    if years:
        stages = ["footprints", "years"]
    geotiffs = not years and bool(config.output.geotiff or config.uncertainty is not None)
    steps = Progress("gridfoot run", [*stages, *writer_stages(geotiffs)], progress)
    try:
        with (
            output_folder(target, command="run", inputs=protected) as staging,
            dask_scheduler(config.dask.scheduler, name) as where,
        ):
            if years:
                from gridfoot.workflows.series import compute_series

                cache = StageCache.beside(target, fresh) if config.output.cache else None
                study = compute_series(config, steps, cache=cache)
            else:
                with steps.stage("inputs"):
                    inputs = load_inputs(config)
                    chosen = scope(config, inputs.mrio, inputs.boundaries)
                    mapped = _sources_in_scope(inputs.sources, chosen)  # once, used twice
                    estimate = memory_estimate(config, inputs, chosen, mapped)
                    estimate.check(config.dask.memory_budget_bytes)
                cache = StageCache.beside(target, fresh) if config.output.cache else None
                study = compute_grid(config, inputs, chosen, steps, mapped, cache=cache)
                # the run's own MRIO (read above): its LU factor (n x n floats, 289 MB for
                # 6,006 producers) is a cache nothing solves against while files are written
                inputs.mrio.__dict__.pop("leontief", None)
            summary = write_study(
                study, staging, out=target, progress=steps, scheduler=where.describe
            )
    finally:
        steps.close()
    return dataclasses.replace(study, files=tuple(summary["files"]))
