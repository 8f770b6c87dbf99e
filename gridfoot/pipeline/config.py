"""The configuration of ``gridfoot run``: every section, every key, every default, in one place.

Paths are relative to the configuration file. Unknown keys and wrong types are errors naming
the key (``sources.weigth: unknown key``). A complete example (the bundled sample's)::

    [mrio]                        # the multi-regional input-output table
    path = "mrio"                 # folder of tables (gridfoot layout) or of pymrio's save_all
    layout = "auto"               # "auto", "tables" or "pymrio"
    stressor = "CO2"              # required when the MRIO holds several stressors
    x = "file"                    # gross output: the folder's x table, or "balanced"
    countries = "mrio/countries.csv"  # region -> country, for provinces nested in a world
    monetary_unit = "million USD"
    zero_output = "warn"          # producers with x <= 0 that report emissions: warn/raise/ignore
    # encoding = "gbk"            text encoding of the CSV tables (default UTF-8)
    # files = { Z = "wiot2009_Z.csv.gz" }         file names that differ from Z.csv, Y.csv, ...
    # satellite = { value = "co2_kt", ... }       options of gridfoot.read_satellite

    [sources]                     # point sources (firms, plants)
    path = "firms.csv"            # CSV, GeoPackage, GeoParquet, GeoJSON
    lon = "lon"                   # x column (in `crs`)
    lat = "lat"                   # y column
    crs = "EPSG:4326"
    sector = "industry"           # column of sector codes (MRIO codes or concordance codes)
    weight = "co2_t"              # column of emissions or of a proxy (capacity, output)
    units = "t"                   # units of `weight` when it is emissions (inventory mode)
    id = "firm_id"                # optional unique identifier column
    concordance = "concordance.csv"  # optional: the user's codes -> MRIO sectors
    region = "boundaries"         # "boundaries" (point in polygon), a column, or a constant
    tolerance = 10000.0           # metres: points this close to a polygon (offshore) join it
    invalid = "raise"             # bad rows: "raise", or "report" (set aside, listed)
    # where = { Status = "operating" }            keep only matching rows

    [boundaries]                  # polygons of the mapped regions
    path = "boundaries/provinces.geojson"
    region_field = "code"         # attribute holding MRIO region codes ...
    # region = "CHN"              # ... or one MRIO region for every polygon
    name_field = "name"           # names used for hubs and zonal totals
    cities = "boundaries/cities.geojson"   # optional second layer named in hubs
    city_name_field = "name"

    [grid]
    crs = "auto"                  # "auto": Albers equal-area fitted to the boundaries
    resolution = 10000.0          # metres

    [downscale]
    country = "MER"               # producers of this country's regions are mapped ...
    # regions = ["HAI", "JIB"]    # ... or of these regions
    # sectors = ["ELE"]           # only these producing sectors (default: all)
    destinations = "foreign"      # "foreign" (other countries), "all", or a list of regions
    mode = "mrio"                 # "mrio" or "inventory"
    # proxy = "proxy.tif"         # raster spreading producers without points (default: land)
    unplaced = "warn"             # emissions that cannot be placed: "warn" or "raise"

    [hotspots]
    shares = [0.5, 0.75, 0.9]     # land needed for these shares of the total
    top_area = [0.01, 0.05, 0.1]  # share of the total held by these top shares of land
    hotspot_share = 0.75          # the hotspot mask and hubs hold this share
    connectivity = 8              # 8 (corners touch) or 4
    gistar = true
    neighbours = "queen"          # Gi* neighbourhood: "queen", "rook" or "distance"
    distance = 1.0                # in cells

    [output]
    dir = "gridfoot_output"       # overridden by --out
    cube = true                   # cube.zarr (destination, sector, y, x)
    geotiff = ["total", "destinations", "hotspot_mask", "gistar"]
    maps = ["png", "pdf", "svg"]  # figure formats
    top_destinations = 6          # panels of the destination small multiples
    # published = { USA = 0.23 }  # shares to mark beside the destination bars

    [dask]
    scheduler = "threads"         # "threads", "synchronous", "processes" or "tcp://host:8786"
    chunk_mb = 128.0              # target size of a cube chunk
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gridfoot.config import from_mapping, load_config, to_plain, to_toml
from gridfoot.errors import ConfigError
from gridfoot.io.atomic import atomic_file

__all__ = [
    "BoundariesConfig",
    "DaskConfig",
    "DownscaleConfig",
    "GridConfig",
    "HotspotsConfig",
    "MrioConfig",
    "OutputConfig",
    "RunConfig",
    "SourcesConfig",
    "load_run_config",
    "write_run_config",
]

GeoTiffLayer = Literal["total", "destinations", "hotspot_mask", "gistar", "hubs"]


def _fractions(values: tuple[float, ...], where: str) -> None:
    bad = [v for v in values if not 0 < v <= 1]
    if bad:
        raise ConfigError(f"{where}: fractions must be in (0, 1], got {bad}")


def _known_encoding(encoding: str | None, key: str) -> None:
    """A text encoding Python knows, checked before any file is read."""
    if encoding is None:
        return
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ConfigError(
            f"{key}: unknown encoding {encoding!r} (use a Python codec name such as "
            "'utf-8', 'gbk', 'gb18030' or 'latin-1')"
        ) from None


@dataclass(frozen=True)
class MrioConfig:
    """``[mrio]``: see :func:`gridfoot.read_mrio`."""

    path: Path
    layout: Literal["auto", "tables", "pymrio"] = "auto"
    stressor: str | None = None
    x: Literal["file", "balanced"] = "file"
    countries: Path | None = None
    monetary_unit: str = ""
    zero_output: Literal["warn", "raise", "ignore"] = "warn"
    files: dict[str, str] = field(default_factory=dict)
    satellite: dict[str, Any] = field(default_factory=dict)
    encoding: str | None = None

    def __post_init__(self) -> None:
        _known_encoding(self.encoding, "mrio.encoding")


@dataclass(frozen=True)
class SourcesConfig:
    """``[sources]``: see :func:`gridfoot.read_sources`."""

    path: Path
    lon: str = "lon"
    lat: str = "lat"
    crs: str = "EPSG:4326"
    sector: str = "sector"
    weight: str = "weight"
    units: str | None = None
    id: str | None = None
    concordance: Path | None = None
    region: str = "boundaries"
    tolerance: float = 10_000.0
    invalid: Literal["raise", "report"] = "raise"
    layer: str | None = None
    where: dict[str, Any] = field(default_factory=dict)


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
    """``[grid]``: ``crs = "auto"`` fits an Albers equal-area conic to the boundaries."""

    crs: str = "auto"
    resolution: float = 10_000.0

    def __post_init__(self) -> None:
        if not self.resolution > 0:
            raise ConfigError(f"grid.resolution: must be positive, got {self.resolution}")


@dataclass(frozen=True)
class DownscaleConfig:
    """``[downscale]``: which producers and destinations are mapped, and how."""

    country: str | None = None
    regions: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    destinations: Literal["foreign", "all"] | tuple[str, ...] = "foreign"
    mode: Literal["mrio", "inventory"] = "mrio"
    proxy: Path | None = None
    unplaced: Literal["warn", "raise"] = "warn"

    def __post_init__(self) -> None:
        if self.country is not None and self.regions:
            raise ConfigError("downscale: give country or regions, not both")


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
        _fractions(self.shares, "hotspots.shares")
        _fractions(self.top_area, "hotspots.top_area")
        _fractions((self.hotspot_share,), "hotspots.hotspot_share")


@dataclass(frozen=True)
class OutputConfig:
    """``[output]``: what is written (the folder is replaced only when the run succeeds)."""

    dir: Path | None = None
    cube: bool = True
    geotiff: tuple[GeoTiffLayer, ...] = ("total", "destinations", "hotspot_mask", "gistar")
    maps: tuple[Literal["png", "pdf", "svg"], ...] = ("png", "pdf", "svg")
    top_destinations: int = 6
    published: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class DaskConfig:
    """``[dask]``: the scheduler (an address uses dask.distributed) and chunk size."""

    scheduler: str = "threads"
    chunk_mb: float = 128.0

    def __post_init__(self) -> None:
        known = ("threads", "synchronous", "processes")
        if self.scheduler not in known and "://" not in self.scheduler:
            raise ConfigError(
                f"dask.scheduler: expected one of {', '.join(known)} or an address such as "
                f"tcp://host:8786, got {self.scheduler!r}"
            )
        if not self.chunk_mb > 0:
            raise ConfigError(f"dask.chunk_mb: must be positive, got {self.chunk_mb}")


@dataclass(frozen=True)
class RunConfig:
    """A whole ``gridfoot run``; build with :func:`load_run_config` or :meth:`from_mapping`."""

    mrio: MrioConfig
    sources: SourcesConfig
    boundaries: BoundariesConfig
    grid: GridConfig = field(default_factory=GridConfig)
    downscale: DownscaleConfig = field(default_factory=DownscaleConfig)
    hotspots: HotspotsConfig = field(default_factory=HotspotsConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    dask: DaskConfig = field(default_factory=DaskConfig)

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
    file will live in, so ``gridfoot run run.toml`` repeats the run from there.
    """
    path = Path(path)
    base = Path(base_dir) if base_dir is not None else path.resolve().parent
    text = (
        "# The fully resolved configuration of this run: `gridfoot run run.toml` repeats it.\n"
        + to_toml(to_plain(config, base_dir=base.resolve()))
    )
    with atomic_file(path) as temporary:
        temporary.write_text(text)
    return path
