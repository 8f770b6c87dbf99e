"""A series of years (``[mrio] years``): the grid study of each year, and their trend.

``[mrio] path = "tables/IOT_{year}"`` with ``years = [2008, 2009]`` runs the grid study once per
year (``{year}`` is filled in the MRIO's path and file names, the inventories' paths and the
proxies' rasters, :meth:`gridfoot.config.RunConfig.for_year`). Each year's MRIO is read and
factored on its own, the years at once on dask's scheduler (threads here, the workers of a
cluster there: :func:`footprints`). The folder holds each year's study under ``YEAR/`` and,
at the top, what spans the years: ``footprint.nc`` and ``cube.zarr`` with a ``year``
dimension, ``series.csv`` (the headline figures by year, with the "spatial extent", the
smallest share of land holding 90%, Kanemoto et al. 2016) and the trend figure.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

from gridfoot.config import RunConfig
from gridfoot.errors import ConfigError, MissingFileError, format_labels
from gridfoot.workflows.products import Report

__all__ = ["SeriesStudy", "compute_series", "footprints"]

#: The share of the total whose land is the "spatial extent" (Kanemoto et al. 2016).
EXTENT = 0.9
#: Files of a year's study that the series writes once, with a year dimension.
_SPANNING = ("footprint.nc", "cube.zarr", "run.toml")


@dataclass(frozen=True, eq=False)
class SeriesStudy:
    """The grid studies of a series of years (:func:`compute_series`).

    Attributes
    ----------
    config : RunConfig
        The series' configuration (``[mrio] years``).
    studies : dict of int to GridStudy
        Each year's study, in the order of ``years``.
    """

    config: RunConfig
    studies: dict[int, Any]
    files: tuple[str, ...] = ()
    study: str = "series"

    @property
    def years(self) -> list[int]:
        return list(self.studies)

    @property
    def input_files(self) -> tuple[Path, ...]:
        seen = dict.fromkeys(f for s in self.studies.values() for f in s.input_files)
        return tuple(seen)

    @property
    def out(self) -> Path | None:
        return self.config.output.dir

    @property
    def figure_formats(self) -> tuple[str, ...]:
        return tuple(self.config.output.maps)

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """The headline figures by year (``series.csv``)."""
        return series_table(self.studies)

    @functools.cached_property
    def footprint(self) -> xr.Dataset:
        """Every year's footprint along a ``year`` dimension."""
        return _along_years({y: s.footprint for y, s in self.studies.items()})

    @functools.cached_property
    def cube(self) -> xr.DataArray | None:
        """Every year's (lazy) cube along a ``year`` dimension, or None without cubes."""
        cubes = {y: s.cube for y, s in self.studies.items()}
        if any(c is None for c in cubes.values()):
            return None
        return xr.concat(list(cubes.values()), dim=pd.Index(list(cubes), name="year"))

    def __repr__(self) -> str:
        rows = self.table.set_index("year")
        land = rows[f"area_for_share {self.config.hotspots.hotspot_share:g}"]
        return (
            f"<gridfoot series: {len(self.studies)} years "
            f"({', '.join(map(str, self.studies))}); land holding "
            f"{self.config.hotspots.hotspot_share:.0%}: "
            + ", ".join(f"{y} {v:.2%}" for y, v in land.items())
            + ">"
        )

    # -- the writer's protocol (gridfoot.workflows.writer) --------------------------------

    def summary_options(self) -> dict[str, Any]:
        from gridfoot.config import to_plain

        return to_plain(self.config)

    def summary_results(self) -> dict[str, Any]:
        return {
            "years": self.years,
            "series": self.table.to_dict(orient="records"),
            "by_year": {str(y): s.key_figures for y, s in self.studies.items()},
            "stages": {str(y): dict(s.stages) for y, s in self.studies.items()},
        }

    def products(self) -> list[Any]:
        return _products(self)

    def report(self) -> Report:
        return _report(self)


# -- computing -----------------------------------------------------------------------------


def footprints(
    configs: dict[int, RunConfig], caches: dict[int, Any] | None = None
) -> dict[int, tuple[Any, xr.Dataset, dict[str, str]]]:
    """Each year's inputs, footprint and stage record, the years at once on dask's scheduler.

    Every year reads and factors its own MRIO: as tasks of one ``dask.compute`` they run side
    by side on the threads here, or on the workers of a ``distributed`` cluster (whose workers
    must see the input folders). ``caches``: each year's
    :class:`~gridfoot.workflows.resume.StageCache` (its own folder, so the years never write
    the same marker); a year whose footprint it kept reads it back.
    """
    import dask

    from gridfoot.workflows.grid import cached_footprint
    from gridfoot.workflows.grid_inputs import load_inputs
    from gridfoot.workflows.resume import StageCache

    def one(config: RunConfig, cache: Any) -> tuple[Any, xr.Dataset, dict[str, str]]:
        inputs = load_inputs(config)
        fp, _ = cached_footprint(config, inputs, cache)
        return inputs, fp, dict(cache.record)  # a worker's copy of the cache records it

    caches = caches or {}
    tasks = [
        dask.delayed(one, pure=False)(c, caches.get(y) or StageCache(None))
        for y, c in configs.items()
    ]
    return dict(zip(configs, dask.compute(*tasks), strict=True))


def compute_series(config: RunConfig, progress: Any = None, cache: Any = None) -> SeriesStudy:
    """The grid study of every year of ``config.mrio.years`` (nothing is written).

    ``cache``: the run's :class:`~gridfoot.workflows.resume.StageCache`; each year keeps its
    footprint and allocation in a folder of its own inside it, so a series started again
    reuses the years it finished.
    """
    from gridfoot.workflows.grid import compute_grid
    from gridfoot.workflows.grid_inputs import memory_estimate, scope

    years = config.years
    if not years:
        raise ConfigError("mrio.years: a series needs years")
    configs = {y: config.for_year(y) for y in years}
    for year, each in configs.items():  # in order, before the years start side by side
        if not each.mrio.path.exists():
            raise MissingFileError(f"{each.mrio.path}: no such folder (mrio.path of {year})")
    caches = {y: cache.within(str(y)) for y in years} if cache is not None else {}
    with _stage(progress, "footprints"):
        read = footprints(configs, caches)
    studies = {}
    with _stage(progress, "years"):
        for year, (inputs, fp, record) in read.items():
            chosen = scope(configs[year], inputs.mrio, inputs.boundaries)
            memory_estimate(configs[year], inputs, chosen).check(config.dask.memory_budget_bytes)
            each = caches.get(year)
            if each is not None:
                each.record.update(record)
            studies[year] = compute_grid(configs[year], inputs, chosen, footprint=fp, cache=each)
    _check_comparable(studies)
    return SeriesStudy(config=config, studies=studies)


def _stage(progress: Any, name: str) -> Any:
    import contextlib

    return progress.stage(name) if progress is not None else contextlib.nullcontext()


def _check_comparable(studies: dict[int, Any]) -> None:
    """The years of a series map the same producers for the same destinations."""
    first_year, first = next(iter(studies.items()))
    for year, study in studies.items():
        for what in ("regions", "sectors", "destinations"):
            a, b = getattr(first.scope, what), getattr(study.scope, what)
            if a != b:
                raise ConfigError(
                    f"mrio.years: {year} maps {what} {format_labels(b, 8)} but {first_year} "
                    f"maps {format_labels(a, 8)}; a series needs the same in every year"
                )


def _along_years(footprints: dict[int, xr.Dataset]) -> xr.Dataset:
    """Footprints stacked along ``year``; ``is_producer`` (the same every year) once."""
    years = pd.Index(list(footprints), name="year")
    values = list(footprints.values())
    stacked = xr.concat(
        [fp.drop_vars("is_producer", errors="ignore") for fp in values],
        dim=years,
        data_vars="all",
        coords="minimal",
        compat="override",
        join="exact",
    )
    if "is_producer" in values[0]:
        stacked["is_producer"] = values[0]["is_producer"]
    return stacked


def series_table(studies: dict[int, Any]) -> pd.DataFrame:
    """One row per year: the mapped total, the land for each share (and for 90%, the spatial
    extent), the shares of the top land, the Gini index and the hubs."""
    from gridfoot.hotspots import concentration

    rows = []
    for year, study in studies.items():
        key = study.key_figures
        row: dict[str, Any] = {"year": year, "total": key["total"], "units": key["units"]}
        row |= {f"area_for_share {k}": v for k, v in key["area_for_share"].items()}
        if f"{EXTENT:g}" not in key["area_for_share"]:
            stats = concentration(study.total, share=[EXTENT]).compute()
            row[f"area_for_share {EXTENT:g}"] = float(stats.area_for_share.squeeze())
        row["spatial_extent"] = row[f"area_for_share {EXTENT:g}"]
        row |= {f"share_in_top_area {k}": v for k, v in key["share_in_top_area"].items()}
        row |= {"gini": key["gini"], "hubs": key["hub_count"]}
        rows.append(row)
    return pd.DataFrame(rows)


# -- what is written -----------------------------------------------------------------------


def _in_year(product: Any, year: int) -> Any:
    return dataclasses.replace(product, path=f"{year}/{product.path}")


def _products(series: SeriesStudy) -> list[Any]:
    from gridfoot.config import write_run_config
    from gridfoot.io import write_footprint, write_zarr
    from gridfoot.workflows.products import Figure, File, Table

    config = series.config
    products: list[Any] = []
    for year, study in series.studies.items():
        products += [_in_year(p, year) for p in study.products() if p.path not in _SPANNING]
    first = next(iter(series.studies.values()))
    products.append(
        File(
            "footprint.nc",
            lambda path: write_footprint(
                series.footprint,
                path.parent,
                tables=config.output.tables,
                regions=list(first.scope.regions),
            ),
        )
    )
    cube = series.cube
    if cube is not None:
        from gridfoot.workflows.grid import _cube_attrs

        attrs = _cube_attrs(first) | {"years": ", ".join(map(str, series.years))}
        products.append(
            File("cube.zarr", lambda path: write_zarr(cube.rename("emissions"), path, attrs=attrs))
        )
    products += [
        Table("series.csv", series.table),
        File("run.toml", lambda path: write_run_config(config, path, base_dir=config.output.dir)),
        Figure(
            "figures/trend",
            lambda: _trend_figure(series),
            "Land holding each share of the total, by year (90%: the spatial extent)",
        ),
    ]
    return products


def _trend_figure(series: SeriesStudy) -> Any:
    from gridfoot.plot.charts import trend_figure

    table = series.table.set_index("year")
    shares = [c for c in table.columns if c.startswith("area_for_share ")]
    lines = {
        f"{float(c.split()[1]):.0%} of the total"
        + (" (spatial extent)" if float(c.split()[1]) == EXTENT else ""): table[c]
        for c in shares
    }
    first = next(iter(series.studies.values()))
    stressor = first.inputs.stressor
    return trend_figure(
        lines,
        ylabel="share of land (%)",
        title=f"Land holding the mapped {stressor}, by year",
    )


def _report(series: SeriesStudy) -> Report:
    from gridfoot.workflows.products import Section

    table = series.table
    units = table["units"].iloc[0]
    share = series.config.hotspots.hotspot_share
    key = [
        (
            str(row["year"]),
            f"{row['total']:,.0f} {units}; {share:.0%} on "
            f"{row[f'area_for_share {share:g}']:.2%} of land; spatial extent (90%) "
            f"{row['spatial_extent']:.2%}",
        )
        for row in table.to_dict(orient="records")
    ]
    years = ", ".join(map(str, series.years))
    figures = ("figures/trend", *(f"{y}/figures/total_map" for y in series.years))
    return Report(
        title=f"A series of {len(series.years)} years ({years}) on an equal-area grid",
        lead=(
            "The grid study of each year, from that year's MRIO (and inventories where they "
            "change); each year's files are in its folder, the footprint and the cube of all "
            "years at the top, with a year dimension.",
        ),
        key_figures=tuple(key),
        repeat=f"gridfoot run {series.config.output.dir}/run.toml --out ANOTHER_FOLDER",
        sections=(
            Section("Trend", figures=figures),
            Section("By year", tables=(("series.csv", table),), rows=40),
        ),
    )
