"""Read MRIO tables from files: a folder of tables, a pymrio folder, or a pymrio object.

Table-folder layout (file names can be overridden with ``files=``; each may be ``.csv``,
``.csv.gz``, ``.tsv`` or ``.parquet``):

``Z``
    intermediate flows, wide: two header rows (region, sector), two index columns (region,
    sector) -- the layout of the WIOD files and of ``DataFrame.to_csv`` on a pymrio ``Z``.
``Y``
    final demand, wide: two header rows (region, category), two index columns.
``x`` (optional)
    gross output, long: columns ``region, sector, x``. Without it (or with
    ``x="balanced"``) gross output is ``Z·1 + Y·1``.
``satellite`` (optional if ``F`` is given)
    emissions, long/tidy: one value per row with columns ``region, sector, stressor, value``
    and optionally ``unit``. A row whose ``sector`` is a final-demand category (after the
    ``final_demand`` renaming) is a direct emission of final demand (``F_Y``). Column names,
    row filters and label renamings are options of :func:`read_satellite`.
``F``, ``F_Y`` (optional)
    emissions, wide: index stressor, two header rows.
``units`` (optional)
    columns ``stressor, unit``.
``countries`` (optional)
    columns ``region, country``: sub-national regions and the country they belong to.

Rows of a satellite account whose labels are not in the table are errors when they hold any
non-zero value, and are ignored when all their values are zero (WIOD lists an empty ``secQ``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from gridfoot.errors import (
    GridfootError,
    InputFileError,
    LabelError,
    MissingFileError,
    ValueCheckError,
    format_labels,
)
from gridfoot.mrio.system import MRIO, ZeroOutputPolicy, flatten_labels

__all__ = ["mrio_from_pymrio", "read_countries", "read_mrio", "read_satellite"]

_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".parquet")
_TABLES = ("Z", "Y", "x", "F", "F_Y", "satellite", "units", "countries")


def _find(folder: Path, name: str) -> Path | None:
    for suffix in _SUFFIXES:
        candidate = folder / f"{name}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def _read_frame(path: Path, **csv_options: Any) -> pd.DataFrame:
    """Read a CSV/TSV/parquet file, turning every failure into an error naming the file."""
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file")
    try:
        if path.suffix == ".parquet":
            return pd.read_parquet(path)
        separator = "\t" if ".tsv" in path.suffixes or path.suffix == ".txt" else ","
        return pd.read_csv(path, sep=separator, **csv_options)
    except (OSError, ValueError, pd.errors.ParserError) as error:
        raise InputFileError(f"{path}: cannot be read as a table ({error})") from None


def read_wide(path: str | Path, index_levels: int = 2, header_rows: int = 2) -> pd.DataFrame:
    """Read a wide matrix with ``header_rows`` header rows and ``index_levels`` index columns."""
    path = Path(path)
    index_col = list(range(index_levels)) if index_levels > 1 else 0
    header = list(range(header_rows)) if header_rows > 1 else 0
    frame = _read_frame(path, header=header, index_col=index_col)
    if path.suffix != ".parquet" and frame.index.nlevels != index_levels:
        raise InputFileError(f"{path}: expected {index_levels} index column(s)")
    return frame


def _require_columns(path: Path | str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputFileError(
            f"{path}: missing column(s) {format_labels(missing)}; "
            f"it has {format_labels(frame.columns)}"
        )


def _file_rows(frame: pd.DataFrame, mask: np.ndarray | pd.Series) -> str:
    """Row numbers as a spreadsheet shows them (header is row 1)."""
    positions = np.flatnonzero(np.asarray(mask))
    return format_labels([p + 2 for p in positions], limit=6)


def read_satellite(
    path: str | Path | pd.DataFrame,
    *,
    region: str = "region",
    sector: str = "sector",
    stressor: str = "stressor",
    value: str = "value",
    unit: str | None = "unit",
    stressor_name: str | None = None,
    unit_name: str | None = None,
    where: Mapping[str, Any] | None = None,
    rename_regions: Mapping[str, str] | None = None,
    final_demand: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Read a long (tidy) satellite account: one emission value per row.

    Parameters
    ----------
    path : path or DataFrame
    region, sector, stressor, value, unit : str
        Column names in the file. ``unit`` may be None or absent.
    stressor_name, unit_name : str, optional
        Constants for files without a stressor (or unit) column, e.g. ``"CO2"``, ``"kt"``.
    where : mapping, optional
        Keep only rows whose columns equal these values, e.g. ``{"year": 2009}``.
    rename_regions : mapping, optional
        Region codes that differ from the table's, e.g. ``{"ROU": "ROM"}``.
    final_demand : mapping, optional
        Sector codes that are final-demand categories, e.g. ``{"FC_HH": "CONS_h"}``.

    Returns
    -------
    DataFrame
        Columns ``region, sector, stressor, value, unit``.
    """
    source = "<DataFrame>" if isinstance(path, pd.DataFrame) else Path(path)
    frame = path.copy() if isinstance(path, pd.DataFrame) else _read_frame(Path(path))
    for column, wanted in (where or {}).items():
        _require_columns(source, frame, [column])
        frame = frame[frame[column] == wanted]
        if frame.empty:
            raise ValueCheckError(f"{source}: no rows with {column} == {wanted!r}")
    required = [region, sector, value]
    if stressor_name is None:
        required.append(stressor)
    _require_columns(source, frame, required)
    frame = frame.reset_index(drop=True)

    values = pd.to_numeric(frame[value], errors="coerce")
    bad = ~np.isfinite(values.to_numpy(dtype=float))
    if bad.any():
        raise ValueCheckError(
            f"{source}: column {value!r} has missing, non-numeric or infinite values in "
            f"row(s) {_file_rows(frame, bad)}"
        )
    tidy = pd.DataFrame(
        {
            "region": frame[region].astype(str).replace(dict(rename_regions or {})),
            "sector": frame[sector].astype(str).replace(dict(final_demand or {})),
            "stressor": stressor_name if stressor_name is not None else frame[stressor].astype(str),
            "value": values.astype(float),
        }
    )
    if unit_name is not None:
        tidy["unit"] = unit_name
    elif unit is not None and unit in frame.columns:
        tidy["unit"] = frame[unit].fillna("").astype(str)
    else:
        tidy["unit"] = ""
    duplicated = tidy.duplicated(["region", "sector", "stressor"], keep=False)
    if duplicated.any():
        raise LabelError(
            f"{source}: the same (region, sector, stressor) appears more than once in row(s) "
            f"{_file_rows(tidy, duplicated)}"
        )
    return tidy


def _satellite_tables(
    tidy: pd.DataFrame, producers: pd.MultiIndex, demand: pd.MultiIndex, source: object
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Split a tidy satellite account into F (producers) and F_Y (final-demand columns)."""
    keys = pd.MultiIndex.from_arrays([tidy["region"], tidy["sector"]])
    is_producer = keys.isin(producers)
    is_demand = keys.isin(demand)
    unknown = ~(is_producer | is_demand)
    if (unknown & (tidy["value"].to_numpy() != 0)).any():
        labels = keys[unknown & (tidy["value"].to_numpy() != 0)].unique()
        raise LabelError(
            f"{source}: emissions for (region, sector) labels that are neither producers nor "
            f"final-demand columns of the table: {format_labels(labels)} (rename them with "
            "rename_regions= or final_demand=)"
        )
    stressors = pd.Index(pd.unique(tidy["stressor"]), name="stressor")

    def wide(mask: np.ndarray, columns: pd.MultiIndex) -> pd.DataFrame:
        part = tidy[mask]
        table = part.pivot_table(
            index="stressor",
            columns=["region", "sector"],
            values="value",
            aggfunc="sum",
            sort=False,
        )
        table.columns = table.columns.set_names(columns.names)
        return table.reindex(index=stressors, columns=columns, fill_value=0.0).fillna(0.0)

    units: dict[str, str] = {}
    for name, group in tidy.groupby("stressor", sort=False):
        found = sorted(set(group["unit"]) - {""})
        if len(found) > 1:
            raise ValueCheckError(f"{source}: stressor {name!r} has several units: {found}")
        units[str(name)] = found[0] if found else ""
    return wide(is_producer, producers), wide(is_demand, demand), units


def read_countries(path: str | Path) -> dict[str, str]:
    """Read a ``region, country`` mapping from CSV."""
    path = Path(path)
    frame = _read_frame(path)
    _require_columns(path, frame, ["region", "country"])
    duplicated = frame["region"].duplicated(keep=False)
    if duplicated.any():
        raise LabelError(f"{path}: regions listed twice in row(s) {_file_rows(frame, duplicated)}")
    return dict(zip(frame["region"].astype(str), frame["country"].astype(str), strict=True))


def _read_x(path: Path) -> pd.Series:
    frame = _read_frame(path)
    _require_columns(path, frame, ["region", "sector"])
    value_column = "x" if "x" in frame.columns else frame.columns[-1]
    values = pd.to_numeric(frame[value_column], errors="coerce")
    if values.isna().any():
        raise ValueCheckError(
            f"{path}: column {value_column!r} has missing or non-numeric values in row(s) "
            f"{_file_rows(frame, values.isna())}"
        )
    index = pd.MultiIndex.from_arrays([frame["region"].astype(str), frame["sector"].astype(str)])
    return pd.Series(values.to_numpy(dtype=float), index=index, name="x")


def read_mrio(
    path: str | Path,
    *,
    layout: Literal["auto", "tables", "pymrio"] = "auto",
    files: Mapping[str, str] | None = None,
    satellite: Mapping[str, Any] | None = None,
    x: Literal["file", "balanced"] = "file",
    countries: Mapping[str, str] | str | Path | None = None,
    monetary_unit: str = "",
    zero_output: ZeroOutputPolicy = "warn",
) -> MRIO:
    """Read an MRIO from a folder of tables or a folder written by pymrio's ``save_all``.

    Parameters
    ----------
    path : path
        The folder.
    layout : {"auto", "tables", "pymrio"}
        ``"auto"`` picks ``"pymrio"`` when the folder has pymrio's ``file_parameters.json``.
    files : mapping, optional
        File names (relative to the folder) for any of ``Z, Y, x, F, F_Y, satellite, units,
        countries`` that are not named that way, e.g. ``{"Z": "wiot2009_Z.csv.gz"}``.
    satellite : mapping, optional
        Options of :func:`read_satellite` (column names, ``where``, ``rename_regions``,
        ``final_demand``, ``stressor_name``, ``unit_name``).
    x : {"file", "balanced"}
        Use the folder's gross output (when it has one) or the balanced ``Z·1 + Y·1``.
    countries : mapping or path, optional
        Region -> country mapping, or a CSV with columns ``region, country``; overrides a
        ``countries`` file in the folder.
    monetary_unit : str
    zero_output : {"warn", "raise", "ignore"}
        See :class:`~gridfoot.MRIO`.

    Examples
    --------
    >>> from gridfoot.datasets import sample_data_dir
    >>> read_mrio(sample_data_dir() / "mrio")  # doctest: +ELLIPSIS
    <gridfoot.MRIO: 18 regions x 12 sectors = 216 producers, ...>
    """
    folder = Path(path)
    if not folder.is_dir():
        raise MissingFileError(f"{folder}: no such folder")
    if x not in ("file", "balanced"):
        raise ValueCheckError(f"x must be 'file' or 'balanced', got {x!r}")
    if layout == "auto":
        layout = "pymrio" if (folder / "file_parameters.json").is_file() else "tables"
    country_map = read_countries(countries) if isinstance(countries, str | Path) else countries
    if layout == "pymrio":
        return _read_pymrio_folder(folder, x, country_map, monetary_unit, zero_output)
    if layout != "tables":
        raise ValueCheckError(f"layout must be 'auto', 'tables' or 'pymrio', got {layout!r}")

    unknown = set(files or {}) - set(_TABLES)
    if unknown:
        raise InputFileError(
            f"files: unknown table name(s) {format_labels(sorted(unknown))}; "
            f"known: {format_labels(_TABLES)}"
        )
    located: dict[str, Path] = {}
    for name in _TABLES:
        given = (files or {}).get(name)
        found = folder / given if given else _find(folder, name)
        if given and not found.is_file():
            raise MissingFileError(f"{found}: no such file (given as the {name} table)")
        if found is not None:
            located[name] = found
    for name in ("Z", "Y"):
        if name not in located:
            raise InputFileError(
                f"{folder}: no {name} table ({name}.csv, {name}.csv.gz or {name}.parquet)"
            )
    if "F" not in located and "satellite" not in located:
        raise InputFileError(f"{folder}: no emissions: neither a satellite table nor an F table")

    Z = read_wide(located["Z"])
    Y = read_wide(located["Y"])
    producers = pd.MultiIndex.from_tuples([(str(a), str(b)) for a, b in Z.index])
    demand = pd.MultiIndex.from_tuples([(str(a), str(b)) for a, b in Y.columns])
    units: dict[str, str] = {}
    if "satellite" in located:
        tidy = read_satellite(located["satellite"], **dict(satellite or {}))
        F, F_Y, units = _satellite_tables(tidy, producers, demand, located["satellite"])
    else:
        F = read_wide(located["F"], index_levels=1)
        F_Y = read_wide(located["F_Y"], index_levels=1) if "F_Y" in located else None
    if "units" in located:
        unit_table = _read_frame(located["units"])
        _require_columns(located["units"], unit_table, ["stressor", "unit"])
        units.update(
            zip(unit_table["stressor"].astype(str), unit_table["unit"].astype(str), strict=True)
        )
    if country_map is None and "countries" in located:
        country_map = read_countries(located["countries"])
    gross_output = _read_x(located["x"]) if x == "file" and "x" in located else None

    sources = ", ".join(f"{k}={v.name}" for k, v in located.items())
    try:
        return MRIO(
            Z=Z,
            Y=Y,
            F=F,
            F_Y=F_Y,
            x=gross_output,
            units=units,
            countries=country_map,
            monetary_unit=monetary_unit,
            zero_output=zero_output,
        )
    except GridfootError as error:
        raise type(error)(f"{folder} ({sources}): {error}") from None


def _read_pymrio_folder(
    folder: Path,
    x: str,
    countries: Mapping[str, str] | None,
    monetary_unit: str,
    zero_output: ZeroOutputPolicy,
) -> MRIO:
    pymrio = _import_pymrio()
    try:
        json.loads((folder / "file_parameters.json").read_text())
        io = pymrio.load_all(folder)
    except (OSError, ValueError, KeyError) as error:
        raise InputFileError(f"{folder}: not a readable pymrio folder ({error})") from None
    if x == "balanced":
        io.x = None
    try:
        return mrio_from_pymrio(
            io, countries=countries, monetary_unit=monetary_unit, zero_output=zero_output
        )
    except GridfootError as error:
        raise type(error)(f"{folder}: {error}") from None


def _import_pymrio() -> Any:
    try:
        import pymrio
    except ImportError:
        raise InputFileError(
            "reading pymrio data needs pymrio: pip install 'gridfoot[pymrio]'"
        ) from None
    return pymrio


def mrio_from_pymrio(
    io: Any,
    *,
    extensions: Sequence[str] | None = None,
    countries: Mapping[str, str] | None = None,
    monetary_unit: str = "",
    zero_output: ZeroOutputPolicy = "warn",
) -> MRIO:
    """Convert a pymrio ``IOSystem``; the rows of its extensions become stressors.

    Stressor labels with several levels are joined with ``" | "`` (``"CO2 | air"``). When two
    extensions share a label, it is prefixed with the extension's name. The system's ``x`` is
    used when pymrio has one, else the balanced ``Z·1 + Y·1``.

    Parameters
    ----------
    io : pymrio.IOSystem
    extensions : list of str, optional
        Attribute names of the extensions to use (e.g. ``["emissions"]``); all by default.
    countries, monetary_unit, zero_output
        See :class:`~gridfoot.MRIO`.
    """
    if io.Z is None or io.Y is None:
        raise LabelError("the pymrio system has no Z or Y; load a system with both tables")
    available = list(io.get_extensions())
    chosen = available if extensions is None else list(extensions)
    missing = [e for e in chosen if e not in available]
    if missing:
        raise LabelError(
            f"pymrio extensions {format_labels(missing)} not found; it has "
            f"{format_labels(available)}"
        )
    if not chosen:
        raise LabelError("the pymrio system has no extensions, so there is nothing to account")
    demand = io.Y.columns
    parts_F, parts_FY, units = [], [], {}
    labels = {e: flatten_labels(getattr(io, e).F.index) for e in chosen}
    counts = pd.Index(np.concatenate([lab.to_numpy() for lab in labels.values()])).value_counts()
    for name in chosen:
        extension = getattr(io, name)
        names = pd.Index([f"{name}: {s}" if counts[s] > 1 else s for s in labels[name]])
        F = extension.F.copy()
        F.index = names
        parts_F.append(F)
        if extension.F_Y is not None:
            F_Y = extension.F_Y.reindex(columns=demand, fill_value=0.0).copy()
            F_Y.index = names
            parts_FY.append(F_Y)
        if extension.unit is not None:
            unit_values = extension.unit.reindex(extension.F.index)["unit"].fillna("").astype(str)
            units.update(zip(names, unit_values, strict=True))
    F = pd.concat(parts_F)
    F_Y = pd.concat(parts_FY) if parts_FY else None
    if not monetary_unit and getattr(io, "unit", None) is not None:
        found = pd.unique(io.unit["unit"].astype(str))
        monetary_unit = found[0] if len(found) == 1 else ""
    x = io.x.iloc[:, 0] if isinstance(io.x, pd.DataFrame) else io.x
    return MRIO(
        Z=io.Z,
        Y=io.Y,
        F=F,
        F_Y=F_Y,
        x=x,
        units=units,
        countries=countries,
        monetary_unit=monetary_unit,
        zero_output=zero_output,
    )
