"""The ``[mrio]`` section, one for every study: ``gridfoot run`` and ``gridfoot urban`` alike.

It says where the multi-regional input-output table is and how to read it; every key is a
keyword of :func:`gridfoot.read_mrio` (``path`` is its folder), and
:meth:`MrioConfig.read_options` turns the section into those keywords, so every study reads
its MRIO the same way::

    [mrio]
    path = "mrio"                 # folder of tables (gridfoot layout) or of pymrio's save_all
    layout = "auto"               # "auto", "tables" or "pymrio"
    stressor = "CO2"              # gridfoot run: required when the MRIO holds several
                                  # stressors (gridfoot urban names it at the top level)
    x = "auto"                    # gross output: "file" (the folder's x table), "balanced"
                                  # (Z·1 + Y·1), "auto" (the table when there is one)
    countries = "countries.csv"   # region -> country, for provinces nested in a world
    monetary_unit = "million USD"
    zero_output = "warn"          # producers with x <= 0 that report emissions: warn/raise/ignore
    # years = [2008, 2009]        # gridfoot run: a series, one table per year; {year} in the
                                  # path and file names (path = "tables/IOT_{year}"), and in
                                  # text options of the satellite (where = { year = "{year}" })
    # encoding = "gbk"            # text encoding of the CSV tables (default UTF-8)
    # files = { Z = "wiot2009_Z.csv.gz" }   # file names that differ from Z.csv, Y.csv, x.csv,
                                  # F.csv, F_Y.csv, satellite.csv, units.csv, countries.csv
    # satellite = { value = "co2_kt", ... } # options of gridfoot.read_satellite

A folder named the WIOD way (``wiot2009_Z.csv.gz`` ...) is read by naming its files, and a
satellite account in long form by its columns; this is :data:`gridfoot.datasets.WIOD2009`,
the WIOD 2013 release's table of 2009 with its CO2 account, as a section::

    [mrio]
    path = "wiod2013"
    monetary_unit = "million USD"

    [mrio.files]
    Z = "wiot2009_Z.csv.gz"
    Y = "wiot2009_Y.csv.gz"
    x = "wiot2009_x.csv"
    satellite = "wiod2013_co2_accounts_1995_2009_long.csv"

    [mrio.satellite]              # options of gridfoot.read_satellite
    sector = "sector_code"        # the columns: region, sector, value (and stressor, unit)
    value = "co2_kt"
    stressor_name = "CO2"         # constants for a file without a stressor or unit column
    unit_name = "kt"
    where = { year = 2009 }       # keep only these rows
    rename_regions = { ROU = "ROM", ROW = "RoW" }
    final_demand = { FC_HH = "CONS_h" }   # sector codes that are final-demand categories

Paths are relative to the configuration file. Values are checked when the file is read:
``layout``, ``x`` and ``zero_output`` against their choices, ``encoding`` against Python's
codecs and ``satellite`` against the options :func:`gridfoot.read_satellite` takes.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from gridfoot.checks import check_encoding, check_literals
from gridfoot.errors import ConfigError

__all__ = ["YEAR", "MrioConfig", "fill_year"]

#: The placeholder of a series' year in paths and names (``path = "tables/IOT_{year}"``).
YEAR = "{year}"


def fill_year(value: Any, year: int) -> Any:
    """``value`` with ``{year}`` replaced (a path stays a path; other braces are left alone).

    Examples
    --------
    >>> fill_year(Path("tables/IOT_{year}"), 2009)
    PosixPath('tables/IOT_2009')
    >>> fill_year("{year}", 2009)
    2009
    """
    if isinstance(value, Path):
        return Path(str(value).replace(YEAR, str(year)))
    if isinstance(value, str) and YEAR in value:
        filled = value.replace(YEAR, str(year))
        return int(filled) if filled.isdigit() else filled
    return value


def _fill_nested(value: Any, year: int) -> Any:
    if isinstance(value, dict):
        return {k: _fill_nested(v, year) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_fill_nested(v, year) for v in value)
    return fill_year(value, year)


@dataclass(frozen=True)
class MrioConfig:
    """``[mrio]``: the MRIO's folder and how to read it; see :func:`gridfoot.read_mrio`.

    Examples
    --------
    >>> mrio = MrioConfig(path=Path("tables"), x="balanced", files={"Z": "wiot2009_Z.csv.gz"})
    >>> options = mrio.read_options()
    >>> options["path"], options["x"], options["files"]
    (PosixPath('tables'), 'balanced', {'Z': 'wiot2009_Z.csv.gz'})
    >>> MrioConfig(path=Path("tables"), x="guess")
    Traceback (most recent call last):
    ...
    gridfoot.errors.ConfigError: mrio.x: expected one of 'auto', 'file', 'balanced', got 'guess'
    """

    path: Path
    layout: Literal["auto", "tables", "pymrio"] = "auto"
    stressor: str | None = None
    x: Literal["auto", "file", "balanced"] = "auto"
    countries: Path | None = None
    monetary_unit: str = ""
    zero_output: Literal["warn", "raise", "ignore"] = "warn"
    files: dict[str, str] = field(default_factory=dict)
    satellite: dict[str, Any] = field(default_factory=dict)
    encoding: str | None = None
    years: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        from gridfoot.mrio.readers import check_satellite_options

        check_literals(self, "mrio")  # built in Python, it is checked like the file
        check_encoding(self.encoding, "mrio.encoding")
        check_satellite_options(self.satellite, "mrio.satellite")
        templated = YEAR in str(self.path) or any(YEAR in str(v) for v in self.files.values())
        if self.years is None:
            if templated:
                raise ConfigError(
                    f"mrio: {YEAR} in the path or file names but no mrio.years; list the years "
                    "(years = [2008, 2009])"
                )
            return
        if not self.years:
            raise ConfigError("mrio.years: an empty list; list the years, or leave it out")
        repeated = sorted({y for y in self.years if self.years.count(y) > 1})
        if repeated:
            raise ConfigError(f"mrio.years: {repeated} listed more than once")
        if len(self.years) > 1 and not templated:
            raise ConfigError(
                f"mrio.years: {len(self.years)} years but neither mrio.path nor mrio.files "
                f"holds {YEAR}: every year would read the same table (e.g. path = "
                '"tables/IOT_{year}")'
            )

    def for_year(self, year: int) -> MrioConfig:
        """The section of one year: ``{year}`` filled in the path, the file names and the
        satellite's text options (``where = { year = "{year}" }`` becomes the number)."""
        return dataclasses.replace(
            self,
            path=fill_year(self.path, year),
            files={k: fill_year(v, year) for k, v in self.files.items()},
            satellite=_fill_nested(self.satellite, year),
            years=None,
        )

    def read_options(self) -> dict[str, Any]:
        """The keyword arguments of :func:`gridfoot.read_mrio` (``path`` included).

        Every study reads its MRIO with ``read_mrio(**config.mrio.read_options())``, so a key
        of ``[mrio]`` means the same in each. ``stressor`` is not among them: it says which of
        the MRIO's stressors a study maps, once the MRIO is read.
        """
        return {
            "path": self.path,
            "layout": self.layout,
            "files": self.files or None,
            "satellite": self.satellite or None,
            "x": self.x,
            "countries": self.countries,
            "monetary_unit": self.monetary_unit,
            "zero_output": self.zero_output,
            "encoding": self.encoding,
        }
