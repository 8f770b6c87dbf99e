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

import inspect
import warnings
import zlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from gridfoot.checks import check_choice
from gridfoot.errors import (
    BalanceWarning,
    ConfigError,
    GridfootError,
    GridfootWarning,
    InputFileError,
    LabelError,
    MissingFileError,
    ValueCheckError,
    format_labels,
)
from gridfoot.io.frames import load_pymrio, read_parquet
from gridfoot.io.text import read_csv
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


def _read_frame(
    path: Path, *, encoding: str | None = None, what: str | None = None, **csv_options: Any
) -> pd.DataFrame:
    """Read a CSV/TSV (optionally gzipped) or parquet file; every failure names the file.

    Text goes through :func:`gridfoot.io.text.read_csv`, which finds the delimiter (``,``,
    ``;``, tab, ``|``) and decodes with ``encoding``.
    """
    about = f" ({what})" if what else ""
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file{about}")
    if path.suffix == ".parquet":
        return read_parquet(path, what)
    separator = "\t" if ".tsv" in path.suffixes else None
    try:
        return read_csv(path, encoding=encoding, sep=separator, what=what, **csv_options)
    except (EOFError, zlib.error) as error:
        # pandas reads a gzip stream to its end only after the delimiter was sniffed
        raise InputFileError(
            f"{path}: the compressed file is truncated or corrupt{about} ({error}); "
            "download or compress it again"
        ) from None


def read_wide(
    path: str | Path,
    index_levels: int = 2,
    header_rows: int = 2,
    *,
    encoding: str | None = None,
    what: str | None = None,
) -> pd.DataFrame:
    """Read a wide matrix with ``header_rows`` header rows and ``index_levels`` index columns.

    Raises
    ------
    InputFileError
        The file cannot be read, has too few columns for its label columns (usually a
        delimiter that is not ``,`` ``;`` tab or ``|``), or has no data rows.
    """
    path = Path(path)
    about = f" ({what})" if what else ""
    if path.suffix == ".parquet":
        frame = _read_frame(path, what=what)
    else:
        head = _read_frame(
            path, encoding=encoding, what=what, header=None, nrows=header_rows + 2, dtype=str
        )
        if head.shape[1] <= index_levels:
            raise InputFileError(
                f"{path}: only {head.shape[1]} column(s) in its first lines{about}; a wide table "
                f"has {index_levels} label column(s) and one column per label pair of its "
                f"{header_rows} header row(s), separated by ',', ';', tab or '|'"
            )
        index_col = list(range(index_levels)) if index_levels > 1 else 0
        header = list(range(header_rows)) if header_rows > 1 else 0
        # labels as written: a sector code "01" stays "01" (the header rows are text already)
        labels_as_text = {level: str for level in range(index_levels)}
        frame = _read_frame(
            path,
            encoding=encoding,
            what=what,
            header=header,
            index_col=index_col,
            dtype=labels_as_text,
        )
        if frame.index.nlevels != index_levels:
            raise InputFileError(f"{path}: expected {index_levels} index column(s){about}")
        frame.columns = _raw_header(head, frame.columns, index_levels, header_rows)
    if frame.empty:
        raise InputFileError(f"{path}: no data rows{about}; the file holds only its header")
    return frame


def _raw_header(
    head: pd.DataFrame, parsed: pd.Index, index_levels: int, header_rows: int
) -> pd.Index:
    """The column labels as written: pandas renames a repeated label ``AGR`` to ``AGR.1``,
    which would hide a duplicated column."""
    rows = [head.iloc[r, index_levels:].tolist() for r in range(header_rows)]
    if len(rows[0]) != len(parsed):
        return parsed
    if header_rows == 1:
        return pd.Index(rows[0], name=parsed.name)
    return pd.MultiIndex.from_arrays(rows, names=parsed.names)


def _numeric_table(path: Path, frame: pd.DataFrame) -> pd.DataFrame:
    """The table as floats; a text or empty cell is an error naming its row and column."""
    numeric = all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes)
    # a table read as numbers (Parquet, a clean CSV) needs no column-by-column conversion
    # (3 CPU s for 6,000 columns)
    values = frame if numeric else frame.apply(pd.to_numeric, errors="coerce")
    bad = values.isna().to_numpy() | ~np.isfinite(values.to_numpy(dtype=float))
    if bad.any():
        cells = [
            f"({_label(frame.index[i])} x {_label(frame.columns[j])})"
            + ("" if pd.isna(frame.iat[i, j]) else f" = {frame.iat[i, j]!r}")
            for i, j in np.argwhere(bad)
        ]
        raise ValueCheckError(
            f"{path}: {int(bad.sum())} empty (NaN), non-numeric or infinite cell(s) at (row x "
            f"column) {format_labels(cells, 4)}; every cell must be a number (write 0 for none)"
        )
    return values.astype(float)


def _label(value: object) -> str:
    return "/".join(map(str, value)) if isinstance(value, tuple) else str(value)


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
    encoding: str | None = None,
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
    encoding : str, optional
        Text encoding of a CSV file (default UTF-8), e.g. ``"gbk"``.

    Returns
    -------
    DataFrame
        Columns ``region, sector, stressor, value, unit``.
    """
    source = "<DataFrame>" if isinstance(path, pd.DataFrame) else Path(path)
    frame = (
        path.copy()
        if isinstance(path, pd.DataFrame)
        else _read_frame(
            Path(path),
            encoding=encoding,
            what="the satellite account",
            dtype={region: str, sector: str, stressor: str},  # codes as written ("01")
        )
    )
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
    labels = [region, sector] if stressor_name is not None else [region, sector, stressor]
    blank = frame[labels].isna().any(axis=1)
    if blank.any():
        raise ValueCheckError(
            f"{source}: empty {'/'.join(labels)} label in row(s) {_file_rows(frame, blank)}; "
            "every emission needs its producer"
        )

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
    tidy: pd.DataFrame,
    producers: pd.MultiIndex,
    demand: pd.MultiIndex,
    source: object,
    tables: str = "the table",
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Split a tidy satellite account into F (producers) and F_Y (final-demand columns).

    Only called once the tables' own labels are consistent, so a label the account does not
    share with them is the account's: ``tables`` (e.g. ``"Z.csv/Y.csv"``) names them.
    """
    keys = pd.MultiIndex.from_arrays([tidy["region"], tidy["sector"]])
    is_producer = keys.isin(producers)
    is_demand = keys.isin(demand)
    unknown = ~(is_producer | is_demand) & (tidy["value"].to_numpy() != 0)
    if unknown.any():
        _unknown_satellite_labels(tidy, unknown, producers, source, tables)
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


def _unknown_satellite_labels(
    tidy: pd.DataFrame,
    unknown: np.ndarray,
    producers: pd.MultiIndex,
    source: object,
    tables: str,
) -> None:
    """Raise for emissions the tables have no place for: unknown regions first, then sectors."""
    regions = pd.Index(pd.unique(producers.get_level_values(0)))
    bad_region = unknown & ~tidy["region"].isin(regions).to_numpy()
    if bad_region.any():
        names = pd.unique(tidy["region"][bad_region])
        raise LabelError(
            f"{source}: region(s) {format_labels(names)} (row(s) {_file_rows(tidy, bad_region)}) "
            f"are not regions of {tables} ({format_labels(regions, 12)}); if they are the same "
            "regions under other codes, map them with the satellite option rename_regions "
            '(e.g. rename_regions = {ROU = "ROM"})'
        )
    names = pd.unique(tidy["sector"][unknown])
    raise LabelError(
        f"{source}: sector(s) {format_labels(names)} (row(s) {_file_rows(tidy, unknown)}) are "
        f"neither sectors nor final-demand categories of {tables}; map final-demand codes with "
        'the satellite option final_demand (e.g. final_demand = {FC_HH = "CONS_h"})'
    )


def read_countries(path: str | Path, *, encoding: str | None = None) -> dict[str, str]:
    """Read a ``region, country`` mapping from CSV.

    Parameters
    ----------
    path : path
    encoding : str, optional
        Text encoding (default UTF-8), e.g. ``"gbk"``.

    Raises
    ------
    InputFileError, LabelError, ValueCheckError
        Naming the file, the column and the rows.
    """
    path = Path(path)
    frame = _read_frame(path, encoding=encoding, what="the region -> country mapping")
    _require_columns(path, frame, ["region", "country"])
    blank = frame[["region", "country"]].isna().any(axis=1)
    if blank.any():
        raise ValueCheckError(
            f"{path}: empty region or country in row(s) {_file_rows(frame, blank)}; every "
            "region needs its country"
        )
    duplicated = frame["region"].duplicated(keep=False)
    if duplicated.any():
        raise LabelError(f"{path}: regions listed twice in row(s) {_file_rows(frame, duplicated)}")
    return dict(zip(frame["region"].astype(str), frame["country"].astype(str), strict=True))


def _read_x(path: Path, encoding: str | None = None) -> pd.Series:
    frame = _read_frame(path, encoding=encoding, what="gross output")
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


def check_satellite_options(options: Mapping[str, Any], name: str = "satellite") -> None:
    """Refuse options :func:`read_satellite` does not take, naming them and the known ones."""
    known = [p for p in inspect.signature(read_satellite).parameters if p != "path"]
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise ConfigError(
            f"{name}: unknown option(s) {format_labels(unknown)}; known: {format_labels(known, 20)}"
        )


def read_mrio(
    path: str | Path,
    *,
    layout: Literal["auto", "tables", "pymrio"] = "auto",
    files: Mapping[str, str] | None = None,
    satellite: Mapping[str, Any] | None = None,
    x: Literal["auto", "file", "balanced"] = "auto",
    countries: Mapping[str, str] | str | Path | None = None,
    monetary_unit: str = "",
    zero_output: ZeroOutputPolicy = "warn",
    encoding: str | None = None,
) -> MRIO:
    """Read an MRIO from a folder of tables or a folder written by pymrio's ``save_all``.

    Every table is checked before the next is used: Z against itself (duplicated labels, rows
    against columns), then Y against Z, then the satellite account against both, so an error
    names the file (and row or column) that is wrong, not a later one that disagrees with it.

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
    x : {"auto", "file", "balanced"}
        ``"file"``: the folder's gross output table (an error without one); ``"balanced"``:
        ``Z·1 + Y·1``; ``"auto"``: the table when the folder has one, else balanced.
    countries : mapping or path, optional
        Region -> country mapping, or a CSV with columns ``region, country``; overrides a
        ``countries`` file in the folder.
    monetary_unit : str
    zero_output : {"warn", "raise", "ignore"}
        See :meth:`gridfoot.MRIO.from_tables`.
    encoding : str, optional
        Text encoding of the CSV files (default UTF-8, with or without a byte-order mark),
        e.g. ``"gbk"`` for tables from Chinese statistical offices. Delimiters (``,``, ``;``,
        tab, ``|``) are found from the files.

    Raises
    ------
    MissingFileError
        The folder or a named file does not exist.
    InputFileError
        A file cannot be read as the table it should be.
    LabelError
        Labels are duplicated or disagree between tables; the message names the file, the
        labels and whether they are rows or columns.
    ValueCheckError
        Empty, non-numeric, infinite or negative values, naming the file and the cells.

    Examples
    --------
    >>> from gridfoot.datasets import sample_data_dir
    >>> read_mrio(sample_data_dir() / "mrio")  # doctest: +ELLIPSIS
    <gridfoot.MRIO: 18 regions x 12 sectors = 216 producers, ...>
    """
    folder = Path(path)
    check_choice(x, "x", ("auto", "file", "balanced"))
    check_satellite_options(satellite or {}, "satellite")
    check_choice(layout, "layout", ("auto", "tables", "pymrio"))
    if folder.is_file():
        raise InputFileError(
            f"{folder}: is a file; an MRIO is read from the folder holding its tables "
            f"(here {folder.parent})"
        )
    if not folder.is_dir():
        raise MissingFileError(f"{folder}: no such folder")
    if layout == "auto":
        layout = "pymrio" if (folder / "file_parameters.json").is_file() else "tables"
    country_map = (
        read_countries(countries, encoding=encoding)
        if isinstance(countries, str | Path)
        else countries
    )
    if layout == "pymrio":
        return _read_pymrio_folder(folder, x, country_map, monetary_unit, zero_output)

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

    if isinstance(countries, str | Path):
        located["countries"] = Path(countries)
    Z, Y = _read_flows(located["Z"], located["Y"], encoding)
    producers, demand = Z.index, Y.columns
    tables = f"{located['Z'].name}/{located['Y'].name}"
    units: dict[str, str] = {}
    if "satellite" in located:
        options = {"encoding": encoding, **dict(satellite or {})}
        tidy = read_satellite(located["satellite"], **options)
        F, F_Y, units = _satellite_tables(tidy, producers, demand, located["satellite"], tables)
    else:
        F = _numeric_table(located["F"], read_wide(located["F"], 1, encoding=encoding, what="F"))
        F_Y = None
        if "F_Y" in located:
            F_Y = read_wide(located["F_Y"], 1, encoding=encoding, what="F_Y")
            F_Y = _numeric_table(located["F_Y"], F_Y)
    if "units" in located:
        unit_table = _read_frame(located["units"], encoding=encoding, what="stressor units")
        _require_columns(located["units"], unit_table, ["stressor", "unit"])
        units.update(
            zip(unit_table["stressor"].astype(str), unit_table["unit"].astype(str), strict=True)
        )
    if country_map is None and "countries" in located:
        country_map = read_countries(located["countries"], encoding=encoding)
    if x == "file" and "x" not in located:
        raise MissingFileError(
            f"{folder}: no gross output table (x.csv) although x = 'file' asks for it; "
            "use x = 'balanced' (Z·1 + Y·1) or 'auto'"
        )
    gross_output = _read_x(located["x"], encoding) if x != "balanced" and "x" in located else None
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mrio = MRIO.from_tables(
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
        raise _blame(error, located, folder) from None
    _rewarn(caught, located)
    return mrio


def _rewarn(caught: list[warnings.WarningMessage], located: Mapping[str, Path]) -> None:
    """Warn again what the MRIO warned; a gap between x and Z·1 + Y·1 names the x file.

    (Emissions of idle producers name the producers and tonnes, which say more than a file.)
    """
    for warning in caught:
        message = warning.message
        if issubclass(warning.category, BalanceWarning) and "x" in located:
            message = f"{located['x']}: {message}"
        if issubclass(warning.category, GridfootWarning):
            warnings.warn(str(message), warning.category, stacklevel=3)
        else:
            warnings.warn_explicit(message, warning.category, warning.filename, warning.lineno)


def _read_flows(z_path: Path, y_path: Path, encoding: str | None) -> tuple[pd.DataFrame, ...]:
    """Z and Y as floats with string labels, checked against themselves and each other."""
    Z = read_wide(z_path, encoding=encoding, what="the Z table")
    z_rows = _label_pairs(Z.index, z_path, "row")
    z_cols = _label_pairs(Z.columns, z_path, "column")
    _same_producers(z_path, z_rows, z_cols)
    Y = read_wide(y_path, encoding=encoding, what="the Y table")
    y_rows = _label_pairs(Y.index, y_path, "row")
    y_cols = _label_pairs(Y.columns, y_path, "column")
    _demand_matches(y_path, z_path, y_rows, y_cols, z_rows)
    Z = _numeric_table(z_path, Z).set_axis(z_rows, axis=0).set_axis(z_cols, axis=1)
    Y = _numeric_table(y_path, Y).set_axis(y_rows, axis=0).set_axis(y_cols, axis=1)
    return Z, Y


def _label_pairs(labels: pd.Index, path: Path, axis: str) -> pd.MultiIndex:
    """Two-level string labels of the rows or columns of a wide table; no duplicates."""
    if not isinstance(labels, pd.MultiIndex) or labels.nlevels != 2:
        raise LabelError(
            f"{path}: its {axis}s need two labels each (region and sector or category), got "
            f"{labels.nlevels} level(s) such as {format_labels(labels[:3])}"
        )
    pairs = pd.MultiIndex.from_tuples([(str(a), str(b)) for a, b in labels])
    duplicated = pairs[pairs.duplicated()].unique()
    if len(duplicated):
        raise LabelError(
            f"{path}: {axis} label(s) {format_labels(duplicated)} appear more than once; "
            f"every {axis} must be named once"
        )
    return pairs


def _same_producers(path: Path, rows: pd.MultiIndex, cols: pd.MultiIndex) -> None:
    """Z is square: its rows and its columns name the same producers."""
    no_row = cols.difference(rows, sort=False)
    no_col = rows.difference(cols, sort=False)
    if len(no_row) or len(no_col):
        raise LabelError(
            f"{path}: rows and columns must name the same producers ({len(rows)} rows, "
            f"{len(cols)} columns); column(s) without a row: {format_labels(no_row) or 'none'}; "
            f"row(s) without a column: {format_labels(no_col) or 'none'}"
        )


def _demand_matches(
    path: Path, z_path: Path, rows: pd.MultiIndex, cols: pd.MultiIndex, producers: pd.MultiIndex
) -> None:
    """Y has a row for every producer of Z and final-demand columns for Z's regions only."""
    extra = rows.difference(producers, sort=False)
    missing = producers.difference(rows, sort=False)
    if len(extra) or len(missing):
        raise LabelError(
            f"{path}: its rows must be the producers of {z_path.name}; row(s) not in "
            f"{z_path.name}: {format_labels(extra) or 'none'}; producers of {z_path.name} "
            f"without a row: {format_labels(missing) or 'none'}"
        )
    regions = pd.Index(pd.unique(producers.get_level_values(0)))
    demand = pd.Index(pd.unique(cols.get_level_values(0)))
    unknown = demand.difference(regions, sort=False)
    absent = regions.difference(demand, sort=False)
    if len(unknown) or len(absent):
        raise LabelError(
            f"{path}: its columns (region, category) need the regions of {z_path.name}; "
            f"column region(s) not in {z_path.name}: {format_labels(unknown) or 'none'}; "
            f"regions of {z_path.name} without columns: {format_labels(absent) or 'none'}"
        )


_TABLE_PREFIX = {"F": "satellite", "F_Y": "satellite"}


def _blame(error: GridfootError, located: Mapping[str, Path], folder: Path) -> GridfootError:
    """The MRIO's error, its table name (``"Z: ..."``) replaced by the file it came from."""
    message = str(error)
    table, separator, rest = message.partition(": ")
    if separator and table in located:
        return type(error)(f"{located[table]}: {rest}")
    if separator and _TABLE_PREFIX.get(table) in located:
        return type(error)(f"{located[_TABLE_PREFIX[table]]}: {rest}")
    return type(error)(f"{folder}: {message}")


def _read_pymrio_folder(
    folder: Path,
    x: str,
    countries: Mapping[str, str] | None,
    monetary_unit: str,
    zero_output: ZeroOutputPolicy,
) -> MRIO:
    io = load_pymrio(folder)
    if x == "balanced":
        io.x = None
    try:
        return mrio_from_pymrio(
            io, countries=countries, monetary_unit=monetary_unit, zero_output=zero_output
        )
    except GridfootError as error:
        raise type(error)(f"{folder}: {error}") from None


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
        See :meth:`gridfoot.MRIO.from_tables`.
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
    return MRIO.from_tables(
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
