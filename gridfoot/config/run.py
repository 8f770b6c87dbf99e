"""The configuration of ``gridfoot run``: every section, every key, every default, in one place.

Paths are relative to the configuration file. Unknown keys and wrong types are errors naming
the key (``sources.weigth: unknown key``). A complete example (the bundled sample's)::

    [mrio]                        # the multi-regional input-output table; this section is
                                  # shared with gridfoot urban: see gridfoot.config.mrio
    path = "mrio"                 # folder of tables (gridfoot layout) or of pymrio's save_all
    layout = "auto"               # "auto", "tables" or "pymrio"
    stressor = "CO2"              # required when the MRIO holds several stressors
    x = "auto"                    # gross output: "file" (the folder's x table), "balanced"
                                  # (Z·1 + Y·1), "auto" (the table when there is one)
    countries = "mrio/countries.csv"  # region -> country, for provinces nested in a world
    monetary_unit = "million USD"
    zero_output = "warn"          # producers with x <= 0 that report emissions: warn/raise/ignore
    # encoding = "gbk"            text encoding of the CSV tables (default UTF-8)
    # files = { Z = "wiot2009_Z.csv.gz" }         file names that differ from Z.csv, Y.csv, ...
    # satellite = { value = "co2_kt", ... }       options of gridfoot.read_satellite

    # [nest]                      # optional (not in the sample): replace one MRIO region by
    # region = "HAI"              # its sub-regions before anything is computed, from a
    # table = "provinces"         # sub-national table (a folder or a CEADs .xlsx) ...
    # shares = "sources"          # ... or regionalised from shares: a CSV region,sector,value,
                                  # or "sources" (the point sources' weights per sub-region
                                  # and sector); every key in gridfoot.config.nest

    [sources]                     # point sources (firms, plants)
    path = "firms.csv"            # CSV, GeoPackage, GeoParquet, GeoJSON
    lon = "lon"                   # x column (in `crs`)
    lat = "lat"                   # y column
    crs = "EPSG:4326"
    sector = "industry"           # column of sector codes (MRIO codes or concordance codes);
                                  # default "sector"; an absent column is an error
    # sector_value = "ELE"        # instead of `sector`: one MRIO sector for every point
    weight = "co2_t"              # column of emissions or of a proxy (default "weight")
    # weight_value = 1.0          # instead of `weight`: every point weighs the same
    units = "t"                   # units of `weight` when it is emissions (inventory mode):
                                  # kg, t, kt, Mt, Gt (or Mg, Gg, Tg, Pg); leave out for a proxy
    id = "firm_id"                # optional unique identifier column
    concordance = "concordance.csv"  # optional: the user's codes -> MRIO sectors; every row
                                  # must name a sector of the MRIO
    region = "boundaries"         # "boundaries" (point in polygon, the default) or a column
                                  # of MRIO region codes
    # region_value = "HAI"        # instead of `region`: one MRIO region for every point
    tolerance = 10000.0           # metres (finite, >= 0): points this close to a polygon
                                  # (offshore) join it; 0 turns this off
    invalid = "raise"             # bad rows (bad coordinates or weights, sector or region codes
                                  # the MRIO lacks, duplicated ids; every weight 0): "raise",
                                  # or "report" (set aside, counted in unplaced.csv, the report
                                  # and a warning)
    # encoding = "gbk"            # text encoding of the CSV and the concordance (default UTF-8)
    # where = { Status = "operating" }            keep only matching rows
    # name = "firms"              # with several inventories ([[sources]], an array of these
                                  # tables): each one's name (default: the file's name) ...
    # sectors = ["ELE"]           # ... the MRIO sectors it places (its points of others are
                                  # out of scope) ...
    # factor = { column = "route", values = { BOF = 2.2, EAF = 0.6 }, default = 0.0,
    #            units = "t CO2 per t steel", source = "..." }
                                  # ... and emissions per unit of a capacity weight (or
                                  # { value = 908.0, units = "t CO2 per MW" }); weights x factor
                                  # are then in `units`. A sector several inventories place
                                  # combines them by weight, in tonnes (each needs `units`)

    [boundaries]                  # polygons of the mapped regions
    path = "boundaries/provinces.geojson"
    region_field = "code"         # attribute holding MRIO region codes (with [nest]: the
                                  # nested MRIO's, the sub-regions where the region was) ...
    # region = "CHN"              # ... or one MRIO region for every polygon
    name_field = "name"           # names used for hubs and zonal totals
    cities = "boundaries/cities.geojson"   # optional second layer named in hubs
    city_name_field = "name"

    [grid]
    crs = "auto"                  # "auto": Albers equal-area fitted to the boundaries; a CRS
                                  # that is not equal-area warns (cells weigh by true area)
    resolution = 10000.0          # metres; a grid without land is refused, under 100
                                  # land cells warns

    [downscale]
    country = "MER"               # producers of this country's regions are mapped ...
    # regions = ["HAI", "JIB"]    # ... or of these regions (not empty, no repeats)
    # sectors = ["ELE"]           # only these producing sectors (default: all; not empty)
    destinations = "foreign"      # "foreign" (other countries), "all", or a list of regions
    mode = "mrio"                 # "mrio" or "inventory"
    # proxy = "proxy.tif"         # raster spreading producers without points (default: land),
                                  # on the run's grid; finite, >= 0 (no data counts as 0), not
                                  # 0 on every land cell; where it is 0 over a whole region,
                                  # land is used there (with a warning)
    # proxies = { CEM = "cement.tif", TRA = "firms", default = "land" }
                                  # per sector: "land", a raster (.tif) or an inventory's name
                                  # (its points' weights); default: the rest (proxy above)
    unplaced = "warn"             # emissions that cannot be placed: "warn" or "raise"

    [hotspots]
    shares = [0.5, 0.75, 0.9]     # land needed for these shares of the total
    top_area = [0.01, 0.05, 0.1]  # share of the total held by these top shares of land
    hotspot_share = 0.75          # the hotspot mask and hubs hold this share
    connectivity = 8              # 8 (corners touch) or 4
    gistar = true
    neighbours = "queen"          # Gi* neighbourhood: "queen", "rook" or "distance"
    distance = 1.0                # in cells, at least 1

    [output]
    dir = "gridfoot_output"       # overridden by --out
    cube = true                   # cube.zarr (destination, sector, y, x)
    geotiff = ["total", "destinations", "hotspot_mask", "gistar"]
    # ... also "destinations_stack" (destinations.tif: one band per destination) and "hubs"
    maps = ["png", "pdf", "svg"]  # figure formats
    tables = "parquet"            # the driven table of the mapped regions: driven.parquet, or
                                  # "csv" (driven.csv: many times slower and larger)
    cache = true                  # keep the footprint and the allocation beside the folder
                                  # (.gridfoot-cache-NAME) so a run started again reuses
                                  # them; gridfoot run --fresh recomputes everything
    top_destinations = 6          # panels of the destination small multiples
    # published = { USA = 0.23 }  # shares to mark beside the destination bars (keys must be
                                  # mapped destinations)

    # [uncertainty]               # optional: draws, and p05/p50/p95 of every figure
    # draws = 200
    # seed = 42
    # weights = { firms = 0.3 }   # lognormal cv of point weights (or one number for all)
    # shares = 50.0               # Dirichlet concentration per point (cv about 1/sqrt(50))
    # fallbacks = ["land", "firms"]   # the default rule drawn among these; sensitivity.csv
    # mrio = { Z = 0.05, Y = 0.05, F = 0.05 }   # see UncertaintyConfig

    [dask]
    # scheduler = "local"         # where dask's work (the cube) runs; no setting: an active
                                  # distributed.Client, else threads. "threads", "synchronous",
                                  # "processes"; "local" (a LocalCluster for the run) or an
                                  # address ("tcp://host:8786") need gridfoot[cluster];
                                  # --scheduler overrides it
    chunk_mb = 128.0              # target size of a cube chunk
    memory_budget = "8 GiB"       # refuse a run needing more (default: 0.75 of free memory)

Fractions: ``hotspots.shares`` and ``hotspot_share`` are shares of the total, in (0, 1];
``hotspots.top_area`` is a share of land, in [0, 1]; ``output.published`` values are shares in
[0, 1]. ``dask.memory_budget`` is a size with its unit (KiB, MiB, GiB, TiB, or kB, MB, GB, TB);
the grid, the destination layers, the allocation and the cube chunks are estimated from the
grid's shape before they are allocated (see :mod:`gridfoot.resources`) and a run that would
not fit is refused with the numbers.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gridfoot.checks import (
    check_encoding,
    check_fraction,
    check_literals,
    check_number,
    check_scheduler,
)
from gridfoot.config.binder import from_mapping, load_config, to_plain, to_toml
from gridfoot.config.mrio import MrioConfig
from gridfoot.config.nest import NestConfig
from gridfoot.errors import ConfigError, format_labels
from gridfoot.hotspots.options import (
    check_area,
    check_connectivity,
    check_neighbourhood,
    check_share,
    check_shares,
)
from gridfoot.io.atomic import atomic_file
from gridfoot.plot.style import FigureFormat
from gridfoot.resources import parse_size
from gridfoot.spatial.factors import EmissionFactor

__all__ = [
    "BoundariesConfig",
    "DaskConfig",
    "DownscaleConfig",
    "GridConfig",
    "HotspotsConfig",
    "MrioConfig",
    "NestConfig",
    "OutputConfig",
    "ProxyRule",
    "RunConfig",
    "SourcesConfig",
    "UncertaintyConfig",
    "load_run_config",
    "write_run_config",
]

#: ``[output] geotiff`` files: total.tif, destination_<CODE>.tif (one each), destinations.tif
#: (``destinations_stack``: one band per destination, named), hotspot_mask.tif, gistar_classes.tif
#: (Gi* classes as codes 1..7, colour table), hubs.tif (hub rank labels).
GeoTiffLayer = Literal[
    "total", "destinations", "destinations_stack", "hotspot_mask", "gistar", "hubs"
]


@dataclass(frozen=True)
class SourcesConfig:
    """``[sources]``: see :func:`gridfoot.read_sources`."""

    path: Path
    lon: str = "lon"
    lat: str = "lat"
    crs: str = "EPSG:4326"
    sector: str | None = None
    sector_value: str | None = None
    weight: str | None = None
    weight_value: float | None = None
    units: str | None = None
    id: str | None = None
    concordance: Path | None = None
    region: str | None = None
    region_value: str | None = None
    tolerance: float = 10_000.0
    invalid: Literal["raise", "report"] = "raise"
    layer: str | None = None
    encoding: str | None = None
    where: dict[str, Any] = field(default_factory=dict)
    name: str | None = None
    sectors: tuple[str, ...] | None = None
    factor: EmissionFactor | None = None

    def __post_init__(self) -> None:
        if self.name is not None and not self.name.strip():
            raise ConfigError("sources.name: an empty name; name the inventory (e.g. 'coal units')")
        if self.sectors is not None:
            if not self.sectors:
                raise ConfigError("sources.sectors: an empty list places nothing; leave it out")
            if self.sector_value is not None and list(self.sectors) != [self.sector_value]:
                raise ConfigError(
                    f"sources.sectors: {list(self.sectors)} but every point is sector "
                    f"{self.sector_value!r} (sector_value); give one of them"
                )
        for key in ("sector", "weight", "region"):
            column, value = getattr(self, key), getattr(self, f"{key}_value")
            if column is not None and value is not None:
                raise ConfigError(
                    f"sources.{key} and sources.{key}_value: give one (a column, or one value "
                    f"for every point), not both; got {column!r} and {value!r}"
                )
        check_encoding(self.encoding, "sources.encoding")
        if not (math.isfinite(self.tolerance) and self.tolerance >= 0):
            raise ConfigError(
                f"sources.tolerance: must be a finite distance in metres, >= 0 (0 turns the "
                f"nearest-polygon rule off), got {self.tolerance}"
            )
        if self.weight_value is not None and not (
            math.isfinite(self.weight_value) and self.weight_value > 0
        ):
            raise ConfigError(
                f"sources.weight_value: must be a finite number > 0, got {self.weight_value}"
            )
        from gridfoot.spatial.sources import _TEXT_SUFFIXES, check_units

        check_units(self.units, "sources.units")
        if self.layer is not None and str(self.path).lower().endswith(_TEXT_SUFFIXES):
            raise ConfigError(
                f"sources.layer: {self.path.name} is a text table, which has no layers "
                f"(layer = {self.layer!r} is for a GeoPackage or similar file): drop it"
            )

    @property
    def by_polygon(self) -> bool:
        """Whether each point's region is the boundary polygon it lies in."""
        return self.region_value is None and self.region in (None, "boundaries")

    @property
    def label(self) -> str:
        """The inventory's name: ``name``, else the file's name without its suffixes."""
        return self.name or self.path.name.split(".")[0]

    @property
    def placed_sectors(self) -> tuple[str, ...] | None:
        """The MRIO sectors this inventory places (None: every sector its points have)."""
        if self.sectors is not None:
            return self.sectors
        return (self.sector_value,) if self.sector_value is not None else None


#: Suffixes of a raster named as a proxy (anything else is ``land`` or an inventory's name).
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img")


@dataclass(frozen=True)
class ProxyRule:
    """How producers without points are spread: ``"land"`` (by land area), a raster (a path
    ending in .tif, .tiff, .vrt or .img, relative to the configuration) or the name of a
    ``[[sources]]`` inventory, whose points' weights are the proxy."""

    text: str
    path: Path | None = None

    @classmethod
    def from_config(cls, value: Any, base_dir: Path, where: str) -> ProxyRule:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(
                f"{where}: expected 'land', a raster file (.tif) or an inventory's name, "
                f"got {value!r}"
            )
        if value.lower().endswith(RASTER_SUFFIXES):
            return cls(value, (base_dir / Path(value).expanduser()).resolve())
        return cls(value)

    def to_config(self, base_dir: Path | None) -> str:
        return to_plain(self.path, base_dir) if self.path is not None else self.text

    @property
    def kind(self) -> Literal["land", "raster", "points"]:
        if self.path is not None:
            return "raster"
        return "land" if self.text == "land" else "points"

    @property
    def label(self) -> str:
        """How the report names the rule."""
        if self.kind == "raster":
            return f"proxy {self.path.name}"
        return "land" if self.kind == "land" else f"points of {self.text}"


@dataclass(frozen=True)
class BoundariesConfig:
    """``[boundaries]``: polygons of the mapped regions, and optionally cities."""

    path: Path
    region_field: str | None = None
    region: str | None = None
    name_field: str | None = None
    cities: Path | None = None
    city_name_field: str | None = None

    def __post_init__(self) -> None:
        if (self.region_field is None) == (self.region is None):
            raise ConfigError(
                "boundaries: give region_field (the attribute with MRIO region codes) or "
                "region (one MRIO region for every polygon), not both"
            )


@dataclass(frozen=True)
class GridConfig:
    """``[grid]``: ``crs = "auto"`` fits an Albers equal-area conic to the boundaries.

    The resolution is checked against the memory budget when the grid is built
    (:meth:`gridfoot.spatial.Grid.for_boundaries`), from the boundaries' extent.
    """

    crs: str = "auto"
    resolution: float = 10_000.0

    def __post_init__(self) -> None:
        check_number(self.resolution, "grid.resolution", low=0, low_open=True, meaning="metres")
        if self.crs != "auto":
            import pyproj

            try:
                crs = pyproj.CRS.from_user_input(self.crs)
            except pyproj.exceptions.CRSError:
                raise ConfigError(
                    f"grid.crs: unknown CRS {self.crs!r}; give 'auto' (an equal-area Albers "
                    "fitted to the boundaries), an EPSG code such as 'EPSG:6933', or a PROJ string"
                ) from None
            if crs.is_geographic and self.resolution > 10:
                raise ConfigError(
                    f"grid.resolution: {self.resolution:g} is in degrees for the geographic "
                    f"grid.crs {self.crs!r}; give degrees (e.g. 0.1) or a projected CRS"
                )


@dataclass(frozen=True)
class DownscaleConfig:
    """``[downscale]``: which producers and destinations are mapped, and how."""

    country: str | None = None
    regions: tuple[str, ...] | None = None
    sectors: tuple[str, ...] | None = None
    destinations: Literal["foreign", "all"] | tuple[str, ...] = "foreign"
    mode: Literal["mrio", "inventory"] = "mrio"
    proxy: Path | None = None
    proxies: dict[str, ProxyRule] = field(default_factory=dict)
    unplaced: Literal["warn", "raise"] = "warn"

    def __post_init__(self) -> None:
        if self.country is not None and self.regions is not None:
            raise ConfigError("downscale: give country or regions, not both")
        if self.proxy is not None and "default" in self.proxies:
            raise ConfigError(
                "downscale.proxy and downscale.proxies.default: give one (proxy is the "
                "default rule's raster)"
            )
        lists = {"regions": self.regions, "sectors": self.sectors}
        if not isinstance(self.destinations, str):
            lists["destinations"] = self.destinations
        for key, values in lists.items():
            if values is None:
                continue
            if not values:
                raise ConfigError(
                    f"downscale.{key}: an empty list maps nothing; list some, or leave the key "
                    "out for the default"
                )
            repeated = sorted({v for v in values if list(values).count(v) > 1})
            if repeated:
                raise ConfigError(
                    f"downscale.{key}: {format_labels(repeated)} listed more than once"
                )

    @property
    def rules(self) -> dict[str, ProxyRule]:
        """The proxy rule of each sector named, and ``"default"`` (the rest): ``proxies``,
        with ``proxy`` as the default raster, and land when neither gives a default."""
        default = ProxyRule(str(self.proxy), self.proxy) if self.proxy else ProxyRule("land")
        return {"default": default, **self.proxies}


@dataclass(frozen=True)
class HotspotsConfig:
    """``[hotspots]``: the fractions asked about, the hotspot mask and Gi*."""

    shares: tuple[float, ...] = (0.5, 0.75, 0.9)
    top_area: tuple[float, ...] = (0.01, 0.05, 0.1)
    hotspot_share: float = 0.75
    connectivity: Literal[4, 8] = 8
    gistar: bool = True
    neighbours: Literal["queen", "rook", "distance"] = "queen"
    distance: float = 1.0

    def __post_init__(self) -> None:
        # the same checks as gridfoot.hotspots' functions and `gridfoot hotspots`
        check_shares(self.shares, "hotspots.shares")
        check_area(self.top_area, "hotspots.top_area")
        check_share(self.hotspot_share, "hotspots.hotspot_share")
        check_connectivity(self.connectivity, "hotspots.connectivity")
        check_neighbourhood(
            self.neighbours, self.distance, ("hotspots.neighbours", "hotspots.distance")
        )
        if not isinstance(self.gistar, bool):
            raise ConfigError(f"hotspots.gistar: expected true/false, got {self.gistar!r}")


@dataclass(frozen=True)
class OutputConfig:
    """``[output]``: what is written (the folder is replaced only when the run succeeds)."""

    dir: Path | None = None
    cube: bool = True
    geotiff: tuple[GeoTiffLayer, ...] = ("total", "destinations", "hotspot_mask", "gistar")
    maps: tuple[FigureFormat, ...] = ("png", "pdf", "svg")
    tables: Literal["parquet", "csv"] = "parquet"
    cache: bool = True
    top_destinations: int = 6
    published: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_literals(self, "output")
        check_number(self.top_destinations, "output.top_destinations", low=1, integer=True)
        for code, share in self.published.items():
            check_fraction(share, f"output.published.{code}", zero=True, meaning="a share")


@dataclass(frozen=True)
class DaskConfig:
    """``[dask]``: the scheduler (an address uses dask.distributed), chunk size and memory budget.

    ``scheduler`` (:func:`gridfoot.workflows.scheduler.dask_scheduler`): None, the default,
    uses what the session has, an active ``distributed.Client`` or else dask's threads;
    ``"threads"``, ``"synchronous"``, ``"processes"`` (dask's local schedulers, even beside
    a Client); ``"local"``, a ``distributed.LocalCluster`` sized to the machine for the run's
    duration; an address such as ``"tcp://host:8786"``, a running scheduler, whose workers
    must see the input and output folders.

    ``memory_budget`` is a size with its unit (``"8 GiB"``, ``"512 MiB"``; binary KiB, MiB,
    GiB, TiB or decimal kB, MB, GB, TB). A bare number is refused: "8" could mean bytes or
    GiB. Without it a run may use 0.75 of the memory available when it starts
    (:mod:`gridfoot.resources`).
    """

    scheduler: str | None = None
    chunk_mb: float = 128.0
    memory_budget: str | float | None = None

    def __post_init__(self) -> None:
        check_scheduler(self.scheduler, "dask.scheduler")
        check_number(self.chunk_mb, "dask.chunk_mb", low=0, low_open=True, meaning="MiB")
        if self.memory_budget is not None:
            parse_size(self.memory_budget, "dask.memory_budget", bytes_allowed=False)

    @property
    def memory_budget_bytes(self) -> int | None:
        """``memory_budget`` in bytes; None: the default share of the available memory."""
        if self.memory_budget is None:
            return None
        return parse_size(self.memory_budget, "dask.memory_budget", bytes_allowed=False)


#: The quantiles of every figure under ``[uncertainty]`` (p05, p50, p95); per cell p05, p95.
QUANTILES = (0.05, 0.5, 0.95)


@dataclass(frozen=True)
class UncertaintyConfig:
    """``[uncertainty]``: draws of the inputs, and the spread of every headline figure.

    Each source of variation is off unless given:

    - ``weights``: coefficient of variation of the point weights (lognormal, mean kept), one
      for every inventory or a table by inventory name (``{ "coal units" = 0.2 }``);
    - ``shares``: the concentration, per point, of a Dirichlet draw of the shares among a
      producer's points (its total fixed): each point's share varies with a coefficient of
      variation of about ``1 / sqrt(shares)`` (50: about 0.14), however many points share it;
    - ``fallbacks``: alternative rules for producers without points, drawn with equal
      probability in place of the default rule (``"land"``, a raster, an inventory's name);
      the sensitivity table gives the figures under each, side by side;
    - ``mrio``: coefficients of variation of the MRIO's entries, ``{ Z = 0.05, Y = 0.05,
      F = 0.05 }`` (lognormal, signs kept); each product's final-demand total is kept (only
      its split over destinations and categories is drawn) and gross output is rebalanced,
      ``x = Z·1 + Y·1``.
    """

    draws: int = 200
    seed: int = 42
    weights: float | dict[str, float] = 0.0
    shares: float | None = None
    fallbacks: tuple[ProxyRule, ...] = ()
    mrio: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_number(self.draws, "uncertainty.draws", low=2, integer=True)
        check_number(self.seed, "uncertainty.seed", low=0, integer=True)
        cvs = self.weights if isinstance(self.weights, dict) else {"": self.weights}
        for name, cv in cvs.items():
            key = f"uncertainty.weights.{name}" if name else "uncertainty.weights"
            check_number(cv, key, low=0, meaning="a coefficient of variation")
        if self.shares is not None:
            check_number(
                self.shares, "uncertainty.shares", low=0, low_open=True, meaning="a concentration"
            )
        unknown = sorted(set(self.mrio) - {"Z", "Y", "F"})
        if unknown:
            raise ConfigError(f"uncertainty.mrio: unknown key(s) {unknown}; known: Z, Y, F")
        for key, cv in self.mrio.items():
            check_number(cv, f"uncertainty.mrio.{key}", low=0, meaning="a coefficient of variation")
        if len(self.fallbacks) == 1:
            raise ConfigError(
                "uncertainty.fallbacks: one rule is no alternative; list two or more (the "
                "default rule is not drawn unless it is listed)"
            )

    def weight_cv(self, inventory: str) -> float:
        """The coefficient of variation of an inventory's point weights."""
        if isinstance(self.weights, dict):
            return float(self.weights.get(inventory, 0.0))
        return float(self.weights)

    @property
    def varies(self) -> list[str]:
        """The sources of variation switched on, in words."""
        on = []
        if self.weights:
            on.append("point weights")
        if self.shares is not None:
            on.append("shares among a producer's points")
        if self.fallbacks:
            on.append("the fallback rule")
        if any(self.mrio.values()):
            on.append("MRIO coefficients")
        return on


@dataclass(frozen=True)
class RunConfig:
    """A whole ``gridfoot run``; build with :func:`load_run_config` or :meth:`from_mapping`.

    ``sources`` is one table (``[sources]``) or an array of them (``[[sources]]``), each an
    inventory with a ``name`` and the ``sectors`` it places (:attr:`inventories`).
    """

    mrio: MrioConfig
    sources: SourcesConfig | tuple[SourcesConfig, ...]
    boundaries: BoundariesConfig
    grid: GridConfig = field(default_factory=GridConfig)
    downscale: DownscaleConfig = field(default_factory=DownscaleConfig)
    hotspots: HotspotsConfig = field(default_factory=HotspotsConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    dask: DaskConfig = field(default_factory=DaskConfig)
    nest: NestConfig | None = None
    uncertainty: UncertaintyConfig | None = None

    def __post_init__(self) -> None:
        if isinstance(self.sources, tuple) and not self.sources:
            raise ConfigError("sources: an empty array; give at least one inventory")
        names = [s.label for s in self.inventories]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ConfigError(
                f"sources: inventories named {format_labels(repeated)} more than once; give "
                "each [[sources]] its own name"
            )
        rules = dict(self.downscale.proxies)
        if self.uncertainty is not None:
            rules |= {f"fallbacks[{i}]": r for i, r in enumerate(self.uncertainty.fallbacks)}
        for key, rule in rules.items():
            if rule.kind == "points" and rule.text not in names:
                where = key if key.startswith("fallbacks") else f"proxies.{key}"
                raise ConfigError(
                    f"{'uncertainty' if key.startswith('fallbacks') else 'downscale'}."
                    f"{where}: {rule.text!r} is neither 'land', a raster (.tif) nor an "
                    f"inventory's name ({format_labels(names)})"
                )
        if self.uncertainty is not None and isinstance(self.uncertainty.weights, dict):
            unknown = sorted(set(self.uncertainty.weights) - set(names))
            if unknown:
                raise ConfigError(
                    f"uncertainty.weights: {format_labels(unknown)} are not inventories "
                    f"({format_labels(names)})"
                )

    @property
    def years(self) -> tuple[int, ...] | None:
        """The years of a series (``[mrio] years``), or None for one table."""
        return self.mrio.years

    def for_year(self, year: int) -> RunConfig:
        """The run of one year of a series: ``{year}`` filled in the MRIO's path and file
        names, the inventories' paths and the proxies' rasters (where they change)."""
        from gridfoot.config.mrio import fill_year

        def inventory(s: SourcesConfig) -> SourcesConfig:
            return dataclasses.replace(
                s, path=fill_year(s.path, year), concordance=fill_year(s.concordance, year)
            )

        def rule(r: ProxyRule) -> ProxyRule:
            return dataclasses.replace(r, path=fill_year(r.path, year)) if r.path else r

        sources = self.sources
        sources = (
            tuple(inventory(s) for s in sources)
            if isinstance(sources, tuple)
            else inventory(sources)
        )
        downscale = dataclasses.replace(
            self.downscale,
            proxy=fill_year(self.downscale.proxy, year),
            proxies={k: rule(r) for k, r in self.downscale.proxies.items()},
        )
        return dataclasses.replace(
            self, mrio=self.mrio.for_year(year), sources=sources, downscale=downscale
        )

    @property
    def inventories(self) -> tuple[SourcesConfig, ...]:
        """Every inventory of point sources, a single ``[sources]`` table as one."""
        return self.sources if isinstance(self.sources, tuple) else (self.sources,)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], base_dir: str | Path = ".") -> RunConfig:
        """Build from plain values (e.g. in a notebook); paths relative to ``base_dir``."""
        return from_mapping(data, cls, base_dir=base_dir)


def load_run_config(path: str | Path) -> RunConfig:
    """Read and check a ``gridfoot run`` configuration file."""
    return load_config(path, RunConfig)


def write_run_config(
    config: RunConfig, path: str | Path, base_dir: str | Path | None = None
) -> Path:
    """Write the fully resolved configuration, atomically.

    Paths are written relative to ``base_dir`` (default: the file's folder), the folder the
    file will live in, so ``gridfoot run run.toml --out OTHER`` repeats the run from there.
    The output folder is left out: a copied ``run.toml`` must never point its run back at a
    folder of inputs (or at the folder it came from).
    """
    path = Path(path)
    base = Path(base_dir) if base_dir is not None else path.resolve().parent
    plain = to_plain(config, base_dir=base.resolve())
    plain.get("output", {}).pop("dir", None)
    text = (
        "# The fully resolved configuration of this run, without its output folder:\n"
        "# `gridfoot run run.toml --out OTHER_FOLDER` repeats it.\n" + to_toml(plain)
    )
    with atomic_file(path) as temporary:
        temporary.write_text(text)
    return path
