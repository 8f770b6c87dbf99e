"""Read a sub-national table (China's provinces, say) from a folder of tables.

Folder layout (each table ``.csv``, ``.csv.gz``, ``.tsv``, ``.tsv.gz``, ``.txt`` or
``.parquet``, found by its name without suffix; money in one unit, see ``table.toml``):

``Z``
    flows among the sub-national regions, wide: two header rows (region, sector), two index
    columns (region, sector), the layout :func:`gridfoot.read_mrio` reads. Sector lists may
    differ from region to region.
``Y``
    domestic final demand, wide: index (region, sector) as ``Z``, two header rows (region,
    category); every region of ``Z`` has its categories.
``exports``
    sales abroad, long: columns ``region, sector, value`` and optionally ``partner`` (the host
    MRIO's region bought from; blank when not known).
``imports``
    purchases from abroad, long: columns ``region, user, value``, ``user`` a sector or a
    final-demand category of ``region``; optionally ``product`` (the host's sector bought)
    and ``partner`` (the host's region bought from), blank when not known.
``satellite`` (optional)
    emissions, long: ``region, sector, stressor, value`` and optionally ``unit`` (one unit per
    stressor). A ``sector`` that is a final-demand category of its region is a direct
    emission of that final demand (households' own fuel, ``F_Y``); the others are the
    producers' (``F``). Rows whose labels the table lacks are errors unless all zero.
``concordance`` (optional)
    ``sector, host_sector`` and optionally ``share`` (default 1): how each of the table's
    sectors maps to the host MRIO's sectors; shares of a sector sum to 1.
``table.toml`` (optional)
    ``monetary_unit`` (e.g. ``"10 thousand CNY"``), and free text ``name``, ``year``,
    ``source`` for the people reading the folder.

Label columns are read as text (a sector code ``01`` stays ``01``). Every error names the file
and the column, rows or labels at fault.

:func:`gridfoot.mrio.ceads.read_ceads` reads the same pieces from a CEADs workbook; both share
the checks of :meth:`gridfoot.mrio.subnational.SubnationalTable.from_tables`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

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
from gridfoot.io.text import read_toml
from gridfoot.mrio.readers import (
    _SUFFIXES,
    _file_rows,
    _find,
    _read_flows,
    _read_frame,
    _require_columns,
    _satellite_tables,
    read_satellite,
)
from gridfoot.mrio.subnational import SubnationalTable

__all__ = ["read_subnational"]

_REQUIRED = ("Z", "Y", "exports", "imports")
_OPTIONAL = ("satellite", "concordance")
_METADATA = "table.toml"
_METADATA_KEYS = ("monetary_unit", "name", "year", "source")


def read_subnational(
    path: str | Path, *, encoding: str | None = None, monetary_unit: str | None = None
) -> SubnationalTable:
    """Read a sub-national table from a folder of tables (layout: this module's docstring).

    Parameters
    ----------
    path : path
        The folder.
    encoding : str, optional
        Text encoding of the CSV files (default UTF-8), e.g. ``"gbk"``.
    monetary_unit : str, optional
        Unit of the money tables; overrides ``monetary_unit`` of ``table.toml``.

    Raises
    ------
    MissingFileError
        No such folder, or one of ``Z``, ``Y``, ``exports``, ``imports`` is missing.
    InputFileError
        A file cannot be read, or lacks a column (the message lists those it has).
    LabelError
        Duplicated or disagreeing labels, naming the file and the labels or rows.
    ValueCheckError
        Empty, non-numeric or infinite values, naming the file, column and rows.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> files = {
    ...     "Z.csv": ",,BJ,TJ\\n,,01,01\\nBJ,01,1,2\\nTJ,01,3,4\\n",
    ...     "Y.csv": ",,BJ,TJ\\n,,hh,hh\\nBJ,01,10,20\\nTJ,01,30,40\\n",
    ...     "exports.csv": "region,sector,value\\nBJ,01,5\\n",
    ...     "imports.csv": "region,user,value\\nBJ,01,0.5\\nTJ,hh,2\\n",
    ...     "table.toml": 'monetary_unit = "10 thousand CNY"\\n',
    ... }
    >>> for name, text in files.items():
    ...     _ = (folder / name).write_text(text)
    >>> table = read_subnational(folder)
    >>> table
    <gridfoot.SubnationalTable: 2 regions x 1 sectors = 2 producers, exports 5, imports 2.5
    10 thousand CNY>
    >>> table.x.tolist()
    [38.0, 77.0]
    """
    folder = Path(path)
    if folder.is_file():
        raise InputFileError(
            f"{folder}: is a file; a sub-national table is read from the folder holding its "
            f"tables (Z, Y, exports, imports, ...)"
        )
    if not folder.is_dir():
        raise MissingFileError(f"{folder}: no such folder")
    located: dict[str, Path] = {}
    for name in (*_REQUIRED, *_OPTIONAL):
        found = _find(folder, name)
        if found is not None:
            located[name] = found
    missing = [name for name in _REQUIRED if name not in located]
    if missing:
        expected = "; ".join(
            f"{name}: one of {', '.join(name + suffix for suffix in _SUFFIXES)}" for name in missing
        )
        raise MissingFileError(f"{folder}: no {' or '.join(missing)} table ({expected})")
    metadata = _read_metadata(folder / _METADATA)  # checked even when the unit is given
    unit = metadata.get("monetary_unit", "") if monetary_unit is None else monetary_unit

    Z, Y = _read_flows(located["Z"], located["Y"], encoding)
    check_categories(located["Y"], Z.index, Y.columns)
    exports = read_long_table(
        located["exports"],
        ["region", "sector"],
        optional=["partner"],
        what="exports",
        encoding=encoding,
    )
    imports = read_long_table(
        located["imports"],
        ["region", "user"],
        optional=["product", "partner"],
        what="imports",
        encoding=encoding,
    )
    F = F_Y = None
    units: dict[str, str] = {}
    if "satellite" in located:
        tables = f"{located['Z'].name}/{located['Y'].name}"
        tidy = read_satellite(located["satellite"], encoding=encoding)
        F, F_Y, units = split_satellite(tidy, Z, Y, located["satellite"], tables)
    concordance = None
    if "concordance" in located:
        concordance = read_concordance(located["concordance"], encoding=encoding)
    return build_table(
        located,
        str(folder),
        Z=Z,
        Y=Y,
        exports=exports,
        imports=imports,
        F=F,
        F_Y=F_Y,
        units=units,
        concordance=concordance,
        monetary_unit=unit,
    )


def _read_metadata(path: Path) -> dict[str, Any]:
    """``table.toml``: known keys only, ``monetary_unit`` text; {} when there is no file."""
    if not path.is_file():
        return {}
    data = read_toml(path, what="the table's metadata")
    unknown = [key for key in data if key not in _METADATA_KEYS]
    if unknown:
        raise InputFileError(
            f"{path}: unknown key(s) {format_labels(unknown)}; known: "
            f"{format_labels(_METADATA_KEYS)}"
        )
    unit = data.get("monetary_unit", "")
    if not isinstance(unit, str):
        raise InputFileError(
            f'{path}: monetary_unit must be text (e.g. "10 thousand CNY"), not {unit!r}'
        )
    return data


def _text(value: object) -> str:
    """A label cell as text: blank is ``""``, a whole number ``1.0`` is ``"1"``."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def read_long_table(
    source: Path | pd.DataFrame,
    labels: Sequence[str],
    *,
    optional: Sequence[str] = (),
    value: str = "value",
    default: float | None = None,
    what: str,
    encoding: str | None = None,
    name: str | None = None,
) -> pd.DataFrame:
    """A long table of label columns and one number column, checked row by row.

    ``labels`` may not be blank; ``optional`` labels, absent or blank, are ``""``. The
    column ``value`` may be absent when a ``default`` is given. Every combination of labels
    appears once. ``source`` is a file, or a DataFrame that messages call ``name``.

    Returns
    -------
    DataFrame
        Columns ``labels``, ``optional`` (text) and ``value`` (float), rows as given.
    """
    columns = [*labels, *optional]
    if isinstance(source, pd.DataFrame):
        frame, where = source.reset_index(drop=True), name or f"<{what} DataFrame>"
    else:
        frame = _read_frame(
            source, encoding=encoding, what=f"the {what} table", dtype=dict.fromkeys(columns, str)
        )
        where = str(source)
    _require_columns(where, frame, [*labels, *([value] if default is None else [])])
    out = pd.DataFrame(
        {c: [_text(v) for v in frame[c]] if c in frame else "" for c in columns},
        index=frame.index,
    )
    for column in labels:
        blank = (out[column] == "").to_numpy()
        if blank.any():
            raise ValueCheckError(
                f"{where}: empty {column!r} in row(s) {_file_rows(out, blank)}; every row needs "
                f"its {', '.join(labels)}"
            )
    if value in frame:
        numbers = pd.to_numeric(frame[value], errors="coerce").to_numpy(dtype=float)
    else:
        numbers = np.full(len(frame), default, dtype=float)
    bad = ~np.isfinite(numbers)
    if bad.any():
        raise ValueCheckError(
            f"{where}: column {value!r} has missing, non-numeric or infinite values in "
            f"row(s) {_file_rows(out, bad)}"
        )
    repeated = out.duplicated(columns, keep=False).to_numpy()
    if repeated.any():
        raise LabelError(
            f"{where}: the same ({', '.join(columns)}) appears more than once in row(s) "
            f"{_file_rows(out, repeated)}"
        )
    out[value] = numbers
    return out


def read_concordance(
    source: Path | pd.DataFrame, *, encoding: str | None = None, name: str | None = None
) -> pd.DataFrame:
    """``sector, host_sector, share`` (share 1 when there is no ``share`` column)."""
    return read_long_table(
        source,
        ["sector", "host_sector"],
        value="share",
        default=1.0,
        what="sector concordance",
        encoding=encoding,
        name=name,
    )


def check_categories(origin: object, producers: pd.Index, demand: pd.Index) -> None:
    """No final-demand category is named like a sector of its region (before the satellite
    and the imports, whose users and sectors would be ambiguous)."""
    clash = demand.intersection(producers, sort=False)
    if len(clash):
        raise LabelError(
            f"{origin}: final-demand categories named like a sector of their region: "
            f"{format_labels(clash)}; imports by user and emissions of final demand could not "
            "tell them apart, rename the categories"
        )


def split_satellite(
    tidy: pd.DataFrame,
    Z: pd.DataFrame,
    Y: pd.DataFrame,
    source: object,
    tables: str,
) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """F (producers), F_Y (final-demand columns) and units from a tidy satellite account.

    A row whose (region, sector) is neither a producer of ``Z`` nor a final-demand column of
    ``Y`` is an error naming its rows when it holds a non-zero value; ``tables`` names them.
    """
    producers, demand = Z.index, Y.columns
    keys = pd.MultiIndex.from_arrays([tidy["region"], tidy["sector"]])
    unknown = ~(keys.isin(producers) | keys.isin(demand)) & (tidy["value"].to_numpy() != 0)
    if unknown.any():
        labels = dict.fromkeys(zip(tidy["region"][unknown], tidy["sector"][unknown], strict=True))
        raise LabelError(
            f"{source}: (region, sector) {format_labels(labels)} (row(s) "
            f"{_file_rows(tidy, unknown)}) are neither producers nor final-demand columns of "
            f"{tables}"
        )
    return _satellite_tables(tidy, producers, demand, source, tables)


#: Tables of :meth:`SubnationalTable.from_tables` whose messages name another piece.
_PIECE = {"F": "satellite", "F_Y": "satellite"}


def build_table(located: Mapping[str, object], source: str, **pieces: Any) -> SubnationalTable:
    """``SubnationalTable.from_tables(**pieces)``; an error is re-raised naming the file.

    ``from_tables`` starts its messages with ``"{source}: {piece}: "`` (``Z``, ``Y``,
    ``exports``, ``imports``, ``F``, ``F_Y``, ``concordance``); ``located`` maps each piece to
    what it was read from (a path, or a sheet and block), which replaces both.
    """
    try:
        return SubnationalTable.from_tables(**pieces, source=source)
    except GridfootError as error:
        message = str(error).removeprefix(f"{source}: ")
        piece, separator, rest = message.partition(": ")
        origin = located.get(_PIECE.get(piece, piece)) if separator else None
        if origin is None:
            raise type(error)(f"{source}: {message}") from None
        raise type(error)(f"{origin}: {rest}") from None
