"""City input-output tables in the competitive-imports layout of Chinese city tables.

A city table describes one city's economy: what each sector buys from every product (whether
made in the city or brought in), the city's own final demand, and its trade with the rest of
the country (outflow, inflow) and abroad (exports, imports). Imports are *competitive*: a row
holds all uses of a product whatever its origin, and the import columns are subtracted in the
row balance::

    sum_j Z[i, j] + sum_k Y[i, k] + outflow[i] + export[i] - inflow[i] - import[i] (+ other[i])
        = output[i]

File layout (CSV, TSV or an Excel sheet; see :func:`read_city_table`)
----------------------------------------------------------------------
The first column holds the row labels. A label that is both a row and a column is a
**sector**: its row is the product's uses, its column the sector's purchases (intermediate
use, imported inputs included). Other columns are, by name,

``outflow``, ``export``
    sales to the rest of the country and abroad (non-negative);
``inflow``, ``import``
    purchases from the rest of the country and from abroad (non-negative numbers, subtracted);
``output``
    gross output;
``other`` (optional)
    a statistical discrepancy, counted in the row balance and otherwise left out;

and every remaining column is a category of **local final demand** (e.g. rural and urban
households, government, capital formation, inventory change). Rows that are not sectors are
**value-added** components (compensation, taxes, depreciation, surplus, ...): they may only hold
values in sector columns (and the ``output`` column, which is then ignored), so a sector label
mistyped on one axis is caught instead of turning into value added. A row named
``total_input`` is checked against ``output``. Role names can be mapped to the table's own
headers (``columns={"import": "进口", ...}``).

Direct emissions come in a second table with columns ``sector``, ``value`` and optionally
``stressor`` and ``unit``: one row per sector, and rows for final-demand categories hold the
direct emissions of final demand (households' own fuel). Sectors without a row emit nothing.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd

from gridfoot.checks import check_field_types, check_number
from gridfoot.errors import (
    InputFileError,
    LabelError,
    MissingFileError,
    ValueCheckError,
    format_labels,
)
from gridfoot.io.frames import read_excel
from gridfoot.io.text import read_csv
from gridfoot.mrio.system import MRIO

__all__ = [
    "ROLES",
    "CityTable",
    "cut_city_table",
    "import_origin_shares",
    "read_city_table",
]

#: Column and row roles of the file layout, with their default header names.
ROLES = {
    "outflow": "outflow",
    "export": "export",
    "inflow": "inflow",
    "import": "import",
    "output": "output",
    "other": "other",
    "total_input": "total_input",
}
_TRADE = ("outflow", "export", "inflow", "import")


def _series(values: object, index: pd.Index, what: str, source: str) -> pd.Series:
    """A float Series on ``index``: missing labels are zero, unknown labels an error."""
    try:
        series = pd.Series(values).astype(float)
    except (TypeError, ValueError) as error:
        raise ValueCheckError(f"{source}{what}: non-numeric values ({error})") from None
    series = series.set_axis(series.index.map(str))
    if series.index.has_duplicates:
        duplicated = series.index[series.index.duplicated()].unique()
        raise LabelError(f"{source}{what}: duplicated labels {format_labels(duplicated)}")
    unknown = series.index.difference(index, sort=False)
    if len(unknown):
        raise LabelError(f"{source}{what}: unknown labels {format_labels(unknown)}")
    series = series.reindex(index, fill_value=0.0)
    _finite(series.to_frame().to_numpy(), what, source, series.index)
    return series.rename(what)


def _finite(values: np.ndarray, what: str, source: str, rows: pd.Index) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueCheckError(
            f"{source}{what}: NaN or infinite values in rows "
            f"{format_labels(rows[np.flatnonzero(bad.any(axis=1))])}"
        )


def _non_negative(series: pd.Series, what: str, source: str) -> None:
    negative = series[series < 0]
    if len(negative):
        raise ValueCheckError(
            f"{source}column {what!r}: negative values in rows "
            + format_labels(f"{k} ({v:g})" for k, v in negative.items())
            + " (trade columns hold non-negative amounts; imports are subtracted in the balance)"
        )


def _check_canonical(table: CityTable) -> None:
    """Cheap checks of a directly constructed city table: field types and aligned labels.

    Never changes a field; raw tables belong in :meth:`CityTable.from_tables`.
    """
    hint = "; build a city table from raw tables with CityTable.from_tables(...)"
    optional = {"value_added", "population", "gdp"}
    kinds: dict[str, type] = {
        "Z": pd.DataFrame,
        "Y": pd.DataFrame,
        **dict.fromkeys(("x", "outflow", "export", "inflow", "imports", "other", "F"), pd.Series),
        "F_Y": pd.Series,
        "value_added": pd.DataFrame,
        "population": float,
        "gdp": float,
        **dict.fromkeys(("name", "stressor", "unit", "monetary_unit", "source"), str),
    }
    check_field_types(table, kinds, hint, optional)
    sectors = table.Z.index
    aligned = {
        "Z.columns": (table.Z.columns, sectors),
        "Y.index": (table.Y.index, sectors),
        **{
            f"{name}.index": (getattr(table, name).index, sectors)
            for name in ("x", "outflow", "export", "inflow", "imports", "other", "F")
        },
        "F_Y.index": (table.F_Y.index, table.Y.columns),
    }
    if table.value_added is not None:
        aligned["value_added.columns"] = (table.value_added.columns, sectors)
    for name, (labels, expected) in aligned.items():
        if not labels.equals(expected):
            raise LabelError(
                f"CityTable.{name} differs from the labels it must repeat "
                f"({format_labels(expected[:3])}, ...){hint}"
            )


@dataclass(frozen=True, eq=False, repr=False)
class CityTable:
    """A validated single-region city input-output table (competitive imports).

    Build it with :meth:`CityTable.from_tables` (pandas objects), :func:`read_city_table` (a
    file) or :func:`cut_city_table` (regions of an MRIO); the factory checks everything and
    stores every field as exactly its declared type, on the table's sector labels. The class
    itself is a plain frozen dataclass: constructing it directly is for data that are already
    in that form (its checks are cheap ones on types and labels, and never change a field).

    The input-output quantities carry pymrio's symbols, as in :class:`~gridfoot.MRIO`; with
    one stressor, ``F`` and ``F_Y`` are Series (one row of pymrio's tables). Unlike an MRIO's
    ``Z``, a city table's ``Z`` and ``Y`` hold imported products too (competitive imports);
    :mod:`gridfoot.urban.economy` takes them out.

    Attributes
    ----------
    Z : DataFrame
        Intermediate use, sectors x sectors (floats): product ``i`` used by sector ``j``,
        imported inputs included; index and columns named ``sector``.
    Y : DataFrame
        Local final demand, sectors x categories (imported products included); columns named
        ``category``.
    x : Series
        Gross output by sector (the table's ``output`` column).
    outflow, export, inflow, imports : Series
        By sector: sales to the rest of the country and abroad, purchases from the rest of the
        country and from abroad. Non-negative.
    other : Series
        Statistical discrepancy by sector, counted in the row balance only (zeros if none).
    F : Series
        Direct emissions of each sector (zero for sectors without any).
    F_Y : Series
        Direct emissions of each final-demand category (households' own fuel; zeros if none).
    value_added : DataFrame or None
        Value-added components x sectors; their total is the city's GDP unless ``gdp`` is given.
    name, stressor, unit, monetary_unit : str
        Descriptive data.
    population, gdp : float or None
        Persons; GDP in ``monetary_unit`` (None: not given).
    source : str
        Where the table came from, for error messages (a file name; ``""`` if none).

    Examples
    --------
    >>> sectors = ["ELE", "CON"]
    >>> table = CityTable.from_tables(
    ...     Z=pd.DataFrame([[0, 100], [0, 0]], index=sectors, columns=sectors),
    ...     Y=pd.DataFrame({"households": [50, 0], "investment": [0, 150]}, index=sectors),
    ...     x=pd.Series([120, 200], index=sectors),
    ...     outflow=pd.Series([10, 50], index=sectors), export=pd.Series([5, 0], index=sectors),
    ...     inflow=pd.Series([30, 0], index=sectors), imports=pd.Series([15, 0], index=sectors),
    ...     F=pd.Series({"ELE": 240, "CON": 20}), F_Y=pd.Series({"households": 10}),
    ...     name="Example", population=1000)
    >>> table
    <gridfoot.urban.CityTable 'Example': 2 sectors, 2 final-demand categories, GDP 220, ...>
    >>> table.population, table.other.tolist()
    (1000.0, [0.0, 0.0])
    """

    Z: pd.DataFrame
    Y: pd.DataFrame
    x: pd.Series
    outflow: pd.Series
    export: pd.Series
    inflow: pd.Series
    imports: pd.Series
    other: pd.Series
    F: pd.Series
    F_Y: pd.Series
    value_added: pd.DataFrame | None = None
    name: str = "city"
    population: float | None = None
    gdp: float | None = None
    stressor: str = "CO2"
    unit: str = "t"
    monetary_unit: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        _check_canonical(self)

    @classmethod
    def from_tables(
        cls,
        *,
        Z: pd.DataFrame,
        Y: pd.DataFrame,
        x: pd.Series | Mapping[str, float],
        outflow: pd.Series | Mapping[str, float],
        export: pd.Series | Mapping[str, float],
        inflow: pd.Series | Mapping[str, float],
        imports: pd.Series | Mapping[str, float],
        F: pd.Series | Mapping[str, float],
        F_Y: pd.Series | Mapping[str, float] | None = None,
        other: pd.Series | Mapping[str, float] | None = None,
        value_added: pd.DataFrame | None = None,
        name: str = "city",
        population: float | None = None,
        gdp: float | None = None,
        stressor: str = "CO2",
        unit: str = "t",
        monetary_unit: str = "",
        tolerance: float = 1e-3,
        source: str = "",
    ) -> CityTable:
        """Check a city's tables and build the :class:`CityTable`.

        Labels become strings; a by-sector series may leave sectors out (they are zero) but
        may not name unknown ones. Every argument is a keyword.

        Parameters
        ----------
        Z : DataFrame
            Intermediate use, sectors x sectors: product ``i`` used by sector ``j``, imported
            inputs included.
        Y : DataFrame
            Local final demand, sectors x categories (imported products included).
        x : Series or mapping
            Gross output by sector.
        outflow, export, inflow, imports : Series or mapping
            By sector: sales to the rest of the country and abroad, purchases from the rest of
            the country and from abroad. Non-negative.
        F : Series or mapping
            Direct emissions of each sector (missing sectors emit nothing).
        F_Y : Series or mapping, optional
            Direct emissions of final-demand categories (households' own fuel).
        other : Series or mapping, optional
            Statistical discrepancy by sector, counted in the row balance only.
        value_added : DataFrame, optional
            Value-added components x sectors; their total is the city's GDP unless ``gdp`` is
            given.
        name, population, gdp, stressor, unit, monetary_unit
            Descriptive data; ``population`` in persons, ``gdp`` in ``monetary_unit``.
        tolerance : float
            Largest accepted gap in each row (and column) balance, relative to the sector's
            gross output (default 0.1%).
        source : str
            Where the table came from, for error messages (a file name).

        Raises
        ------
        LabelError, ValueCheckError
            Naming ``source``, the table or column and the sectors concerned.
        """
        where = f"{source}: " if source else ""
        check_number(tolerance, "tolerance", low=0)
        if not isinstance(Z, pd.DataFrame) or not isinstance(Y, pd.DataFrame):
            raise LabelError(f"{where}Z and Y (intermediate and final demand) must be DataFrames")
        Z = Z.copy()
        Z.index, Z.columns = Z.index.map(str), Z.columns.map(str)
        for axis, labels in (("row", Z.index), ("column", Z.columns)):
            if labels.has_duplicates:
                raise LabelError(
                    f"{where}duplicated sector {axis} labels "
                    f"{format_labels(labels[labels.duplicated()].unique())}"
                )
        if not Z.index.sort_values().equals(Z.columns.sort_values()):
            raise LabelError(
                f"{where}intermediate use: sector rows and columns differ; only rows: "
                f"{format_labels(Z.index.difference(Z.columns)) or 'none'}; only columns: "
                f"{format_labels(Z.columns.difference(Z.index)) or 'none'}"
            )
        sectors = pd.Index(Z.index, name="sector")
        Z = pd.DataFrame(
            {s: _series(Z[s], sectors, f"intermediate use {s!r}", where) for s in sectors}
        )
        Z.columns.name = "sector"
        negative = np.argwhere(Z.to_numpy() < 0)
        if len(negative):
            raise ValueCheckError(
                f"{where}intermediate use: negative values at "
                + format_labels(f"({sectors[i]} x {sectors[j]})" for i, j in negative)
            )

        Y = Y.copy()
        Y.index, Y.columns = Y.index.map(str), Y.columns.map(str)
        if Y.columns.has_duplicates or not len(Y.columns):
            raise LabelError(f"{where}final demand needs distinct, named category columns")
        categories = pd.Index(Y.columns, name="category")
        clash = categories.intersection(sectors)
        if len(clash):
            raise LabelError(f"{where}final-demand categories named like sectors: {clash[0]}")
        Y = pd.DataFrame(
            {c: _series(Y[c], sectors, f"final demand {c!r}", where) for c in categories}
        )
        Y.index, Y.columns = sectors, categories

        trade = {
            role: _series(values, sectors, role, where)
            for role, values in zip(_TRADE, (outflow, export, inflow, imports), strict=True)
        }
        for role, series in trade.items():
            _non_negative(series, role, where)
        output = _series(x, sectors, "output", where)
        if (output < 0).any():
            raise ValueCheckError(
                f"{where}column 'output': negative gross output for "
                f"{format_labels(output.index[output < 0])}"
            )
        other_series = _series(
            other if other is not None else pd.Series(dtype=float), sectors, "other", where
        )

        balance = (
            Z.sum(axis=1)
            + Y.sum(axis=1)
            + trade["outflow"]
            + trade["export"]
            - trade["inflow"]
            - trade["import"]
            + other_series
            - output
        )
        _check_balance(balance, output, tolerance, "row", where)

        direct = _series(F, sectors, "emissions", where)
        households = _series(
            F_Y if F_Y is not None else pd.Series(dtype=float),
            categories,
            "household emissions",
            where,
        )
        for what, values in (("emissions", direct), ("household emissions", households)):
            if (values < 0).any():
                raise ValueCheckError(
                    f"{where}{what}: negative values for {format_labels(values.index[values < 0])}"
                )
        idle = direct.index[(output <= 0) & (direct != 0)]
        if len(idle):
            raise ValueCheckError(
                f"{where}sectors with zero gross output report emissions: {format_labels(idle)}"
            )

        components = None
        if value_added is not None:
            components = value_added.copy()
            components.index = components.index.map(str)
            if components.index.has_duplicates:
                raise LabelError(
                    f"{where}duplicated value-added rows "
                    f"{format_labels(components.index[components.index.duplicated()])}"
                )
            components = pd.DataFrame(
                {
                    row: _series(components.loc[row], sectors, f"value added {row!r}", where)
                    for row in components.index
                },
                index=sectors,
            ).T
            components.index.name = "component"
            components.columns.name = "sector"
            gap = Z.sum(axis=0) + components.sum(axis=0) - output
            _check_balance(gap, output, tolerance, "column", where)
        for key, value in (("population", population), ("gdp", gdp)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, Real)):
                raise ValueCheckError(f"{where}{key} must be a number, got {value!r}")
        if population is not None and not population > 0:
            raise ValueCheckError(f"{where}population must be positive, got {population!r}")

        return cls(
            Z=Z,
            Y=Y,
            x=output,
            outflow=trade["outflow"],
            export=trade["export"],
            inflow=trade["inflow"],
            imports=trade["import"],
            other=other_series,
            F=direct,
            F_Y=households,
            value_added=components,
            name=str(name),
            population=None if population is None else float(population),
            gdp=None if gdp is None else float(gdp),
            stressor=str(stressor),
            unit=str(unit),
            monetary_unit=str(monetary_unit),
            source=str(source),
        )

    # -- labels and derived values ----------------------------------------------------------

    @property
    def sectors(self) -> pd.Index:
        """Sector labels, in table order."""
        return self.Z.index

    @property
    def categories(self) -> pd.Index:
        """Local final-demand categories."""
        return self.Y.columns

    @property
    def total_value_added(self) -> float:
        """Value added: the value-added rows, else output minus intermediate purchases."""
        if self.value_added is not None:
            return float(self.value_added.to_numpy().sum())
        return float((self.x - self.Z.sum(axis=0)).sum())

    @property
    def city_gdp(self) -> float:
        """GDP: the given ``gdp``, else the table's value added."""
        return float(self.gdp) if self.gdp is not None else self.total_value_added

    @property
    def local_use(self) -> pd.Series:
        """Local use of each product: intermediate use plus local final demand."""
        return (self.Z.sum(axis=1) + self.Y.sum(axis=1)).rename("local use")

    def _summary(self) -> dict[str, str]:
        money = f" {self.monetary_unit}" if self.monetary_unit else ""
        total = float(self.F.sum() + self.F_Y.sum())
        summary = {
            "sectors": f"{len(self.sectors)} sectors",
            "categories": f"{len(self.categories)} final-demand categories",
            "GDP": f"GDP {self.city_gdp:,.6g}{money}",
            "emissions": f"direct {self.stressor} {total:,.6g} {self.unit}".rstrip(),
        }
        if self.population is not None:
            summary["population"] = f"population {self.population:,.0f}"
        return summary

    def __repr__(self) -> str:
        return f"<gridfoot.urban.CityTable {self.name!r}: {', '.join(self._summary().values())}>"

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{html.escape(v)}</li>" for v in self._summary().values())
        return f"<b>gridfoot.urban.CityTable</b> {html.escape(self.name)}<ul>{items}</ul>"


def _check_balance(
    gap: pd.Series, output: pd.Series, tolerance: float, axis: str, where: str
) -> None:
    limit = tolerance * output.abs() + 1e-9 * max(float(output.abs().max()), 1.0)
    bad = gap.abs() > limit
    if bad.any():
        worst = gap[bad].abs().sort_values(ascending=False).index
        raise ValueCheckError(
            f"{where}{axis} balance off by more than {tolerance:g} of gross output for "
            + format_labels(f"{s} (gap {gap[s]:+.6g}, output {output[s]:.6g})" for s in worst)
            + (
                ": uses + outflow + export - inflow - import (+ other) must equal output"
                if axis == "row"
                else ": intermediate inputs + value added must equal output"
            )
        )


# -- reading files ------------------------------------------------------------------------


def _read_sheet(
    path: Path, sheet: str | None, encoding: str | None = None, what: str | None = None
) -> pd.DataFrame:
    """Read a table with its first column as row labels (CSV, TSV or Excel).

    Text files go through :func:`gridfoot.io.text.read_csv`: any of the delimiters ``,``
    ``;`` tab ``|``, decoded with ``encoding`` (default UTF-8).
    """
    if not path.is_file():
        raise MissingFileError(f"{path}: no such file" + (f" ({what})" if what else ""))
    suffixes = "".join(path.suffixes).lower()
    if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls"):
        separator = "\t" if ".tsv" in suffixes else None
        return read_csv(path, encoding=encoding, sep=separator, what=what, index_col=0)
    return read_excel(path, sheet, index_col=0)


def _numeric(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Convert every column to float, naming the first cell that is not a number."""
    converted = {}
    for column in frame.columns:
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            raise ValueCheckError(
                f"{source}: column {column!r}: non-numeric value "
                f"{frame[column][bad].iloc[0]!r} in rows {format_labels(frame.index[bad])}"
            )
        converted[column] = values.astype(float)
    return pd.DataFrame(converted, index=frame.index)


def read_city_table(
    path: str | Path,
    emissions: str | Path | pd.DataFrame | None = None,
    *,
    name: str | None = None,
    population: float | None = None,
    gdp: float | None = None,
    stressor: str | None = None,
    unit: str | None = None,
    monetary_unit: str = "",
    columns: Mapping[str, str] | None = None,
    sheet: str | None = None,
    emissions_sheet: str = "emissions",
    tolerance: float = 1e-3,
    encoding: str | None = None,
) -> CityTable:
    """Read a city input-output table and its direct emissions.

    See the module documentation for the layout.

    Parameters
    ----------
    path : path
        The table: ``.csv``, ``.tsv`` or an Excel workbook (``.xlsx``; sheet ``sheet``, the
        first by default).
    emissions : path or DataFrame, optional
        The emissions table (columns ``sector``, ``value``, optionally ``stressor``,
        ``unit``). For an Excel workbook it defaults to its sheet ``emissions_sheet``.
    name : str, optional
        The city's name; by default the file name without suffix.
    population, gdp : float, optional
        Persons; GDP in ``monetary_unit`` (default: the table's value added).
    stressor : str, optional
        The stressor to read when the emissions table has several.
    unit : str, optional
        Emission unit when the emissions table has no ``unit`` column (default ``"t"``).
    monetary_unit : str
        Unit of the table's values (e.g. ``"million USD"``).
    columns : mapping, optional
        Header names of the roles in :data:`ROLES` (e.g. ``{"import": "进口"}``).
    tolerance : float
        Largest accepted relative gap in each row and column balance (default 0.1%).
    encoding : str, optional
        Text encoding of CSV files (default UTF-8), e.g. ``"gbk"``. The delimiter (``,``,
        ``;``, tab or ``|``) is found from the file.

    Raises
    ------
    InputFileError, LabelError, ValueCheckError
        Naming the file (and the city, when ``name`` is given), the column and the sectors
        concerned.
    """
    path = Path(path)
    roles = {**ROLES, **dict(columns or {})}
    unknown_roles = set(columns or {}) - set(ROLES)
    if unknown_roles:
        raise LabelError(
            f"columns: unknown role(s) {format_labels(sorted(unknown_roles))}; "
            f"roles are {format_labels(ROLES)}"
        )
    city = f" (city {name})" if name else ""
    where = f"{path}{city}"
    of = f" of {name}" if name else ""
    raw = _read_sheet(path, sheet, encoding, f"the city table{of}")
    raw.index = raw.index.map(lambda v: str(v).strip())
    raw.columns = raw.columns.map(lambda v: str(v).strip())
    raw = raw.loc[raw.index != "nan"]  # blank spacer rows
    frame = _numeric(raw, where)

    for role in ("outflow", "export", "inflow", "import", "output"):
        if roles[role] not in frame.columns:
            raise InputFileError(
                f"{where}: missing column {roles[role]!r} ({role}); columns are "
                f"{format_labels(frame.columns, 30) or 'none'}"
            )
    reserved_columns = {roles[r] for r in (*_TRADE, "output", "other")}
    sectors = pd.Index([r for r in frame.index if r in frame.columns and r not in reserved_columns])
    if not len(sectors):
        raise LabelError(f"{where}: no sector labels found both as a row and as a column")
    categories = [c for c in frame.columns if c not in sectors and c not in reserved_columns]
    if not categories:
        raise InputFileError(
            f"{where}: no final-demand columns; besides its {len(sectors)} sectors it has only "
            f"{format_labels(sorted(reserved_columns & set(frame.columns)))}. Every other "
            "column is a category of local final demand (households, government, capital "
            "formation, ...): add them"
        )
    value_rows = [r for r in frame.index if r not in sectors and r != roles["total_input"]]
    non_sector_columns = [c for c in frame.columns if c not in sectors and c != roles["output"]]
    if value_rows:
        stray = frame.loc[value_rows, non_sector_columns].fillna(0.0)
        stray = stray.loc[(stray != 0).any(axis=1)]
        if len(stray):
            row = stray.index[0]
            cols = stray.columns[(stray.loc[row] != 0).to_numpy()]
            raise LabelError(
                f"{where}: row {row!r} is not a sector (no column of that name) but has values in "
                f"column(s) {format_labels(cols)}; value-added rows hold values in sector "
                f"columns only. Sector rows: {format_labels(sectors, 40)}"
            )
    body = frame.loc[sectors].fillna(0.0)
    value_added = frame.loc[value_rows, list(sectors)].fillna(0.0)
    if roles["total_input"] in frame.index:
        total = frame.loc[roles["total_input"], list(sectors)].fillna(0.0)
        gap = body[list(sectors)].sum(axis=0) + value_added.sum(axis=0) - total
        _check_balance(gap, body[roles["output"]], tolerance, "column", f"{where}: ")
    emissions_frame = emissions
    if emissions_frame is None:
        if path.suffix.lower() not in (".xlsx", ".xlsm", ".xls"):
            raise InputFileError(f"{where}: no emissions table given (emissions=...)")
        emissions_frame = _read_sheet(path, emissions_sheet).reset_index()
        emissions_source = f"{path} [{emissions_sheet}]{city}"
    elif not isinstance(emissions_frame, pd.DataFrame):
        emissions_source = f"{emissions_frame}{city}"
        emissions_frame = _read_sheet(
            Path(emissions_frame), None, encoding, f"direct emissions{of}"
        ).reset_index()
    else:
        emissions_source = f"emissions{city}"
    direct, households, stressor, unit = _split_emissions(
        emissions_frame, emissions_source, sectors, categories, stressor, unit
    )
    return CityTable.from_tables(
        Z=body[list(sectors)],
        Y=body[categories],
        x=body[roles["output"]],
        outflow=body[roles["outflow"]],
        export=body[roles["export"]],
        inflow=body[roles["inflow"]],
        imports=body[roles["import"]],
        other=body[roles["other"]] if roles["other"] in body.columns else None,
        F=direct,
        F_Y=households,
        value_added=value_added if value_rows else None,
        name=name or path.name.split(".")[0],
        population=population,
        gdp=gdp,
        stressor=stressor,
        unit=unit,
        monetary_unit=monetary_unit,
        tolerance=tolerance,
        source=where,
    )


def _split_emissions(
    frame: pd.DataFrame,
    source: str,
    sectors: pd.Index,
    categories: Sequence[str],
    stressor: str | None,
    unit: str | None,
) -> tuple[pd.Series, pd.Series, str, str]:
    """Direct emissions of sectors and of final-demand categories from a long table."""
    missing = [c for c in ("sector", "value") if c not in frame.columns]
    if missing:
        raise InputFileError(
            f"{source}: missing column(s) {format_labels(missing)}; it has "
            f"{format_labels(frame.columns)}"
        )
    if "stressor" in frame.columns:
        names = pd.unique(frame["stressor"].astype(str))
        if stressor is None and len(names) > 1:
            raise LabelError(f"{source}: several stressors ({format_labels(names)}); choose one")
        stressor = stressor or str(names[0])
        if stressor not in names:
            raise LabelError(f"{source}: no stressor {stressor!r}; it has {format_labels(names)}")
        frame = frame.loc[frame["stressor"].astype(str) == stressor]
    stressor = stressor or "CO2"
    if "unit" in frame.columns:
        units = pd.unique(frame["unit"].astype(str))
        if len(units) != 1:
            raise ValueCheckError(f"{source}: mixed units {format_labels(units)} for {stressor}")
        if unit is not None and unit != units[0]:
            raise ValueCheckError(f"{source}: unit {units[0]!r} but {unit!r} was asked for")
        unit = str(units[0])
    unit = "t" if unit is None else unit
    labels = frame["sector"].astype(str).str.strip()
    values = _numeric(frame[["value"]], source)["value"]
    if values.isna().any():
        raise ValueCheckError(
            f"{source}: missing values in rows {format_labels(labels[values.isna()])}"
        )
    known = set(sectors) | set(categories)
    unknown = labels[~labels.isin(known)]
    if len(unknown):
        raise LabelError(
            f"{source}: labels {format_labels(unknown.unique())} are neither sectors nor "
            f"final-demand categories of the table"
        )
    if labels.duplicated().any():
        raise LabelError(f"{source}: duplicated rows {format_labels(labels[labels.duplicated()])}")
    by_label = pd.Series(values.to_numpy(), index=labels.to_numpy())
    return (
        by_label[by_label.index.isin(sectors)],
        by_label[by_label.index.isin(categories)],
        stressor,
        unit,
    )


# -- cutting a city out of an MRIO ----------------------------------------------------------


def _city_regions(mrio: MRIO, regions: str | Sequence[str]) -> tuple[list[str], str]:
    chosen = [regions] if isinstance(regions, str) else list(regions)
    unknown = [r for r in chosen if r not in mrio.regions]
    if unknown or not chosen:
        raise LabelError(
            f"unknown city region(s) {format_labels(unknown) or '(none given)'}; "
            f"regions are {format_labels(mrio.regions, 20)}"
        )
    countries = pd.unique(mrio.countries[chosen])
    if len(countries) != 1:
        raise LabelError(
            f"the city's regions {format_labels(chosen)} belong to several countries "
            f"({format_labels(countries)}); a city lies in one country"
        )
    return chosen, str(countries[0])


def _purchases_by_origin(mrio: MRIO, city: list[str]) -> pd.DataFrame:
    """Everything the city buys (intermediate and final), by origin producer."""
    in_city = mrio.Z.columns.get_level_values("region").isin(city)
    final = mrio.Y.columns.get_level_values("region").isin(city)
    return mrio.Z.loc[:, in_city].sum(axis=1) + mrio.Y.loc[:, final].sum(axis=1)


def import_origin_shares(mrio: MRIO, regions: str | Sequence[str]) -> pd.DataFrame:
    """Where a city region's purchases come from: shares by origin (region, sector).

    For every product, the city's purchases (intermediate and final) from each region
    outside the city, as a share of its purchases of that product from the same group
    (rest of the country, or abroad). This is the ``origin_shares`` argument of
    :func:`gridfoot.urban.city_footprint` for a table cut with :func:`cut_city_table`.

    Returns
    -------
    DataFrame
        Columns ``region``, ``sector``, ``share``; only origins the city buys from.
    """
    city, country = _city_regions(mrio, regions)
    purchases = _purchases_by_origin(mrio, city)
    origin = purchases.index.get_level_values("region")
    outside = ~origin.isin(city)
    group = np.where(mrio.countries.reindex(origin).to_numpy() == country, "domestic", "foreign")
    frame = pd.DataFrame(
        {
            "region": origin,
            "sector": purchases.index.get_level_values("sector"),
            "group": group,
            "value": purchases.to_numpy(),
        }
    ).loc[outside & (purchases.to_numpy() != 0)]
    totals = frame.groupby(["group", "sector"])["value"].transform("sum")
    frame = frame.assign(share=frame["value"] / totals)
    return frame[["region", "sector", "share"]].reset_index(drop=True)


def cut_city_table(
    mrio: MRIO,
    regions: str | Sequence[str],
    *,
    name: str | None = None,
    population: float | None = None,
    gdp: float | None = None,
    stressor: str | None = None,
    tolerance: float = 1e-3,
) -> CityTable:
    """Cut one region (or a group of regions) of an MRIO into the city-table layout.

    The city's regions are merged into one; purchases from everywhere are summed by product
    (competitive imports); sales to and purchases from other regions of the same country
    become outflow and inflow, those with other countries exports and imports. Value added
    is output minus intermediate purchases. Producers with ``x <= 0`` keep no emissions, as
    in every account of the MRIO. Household direct emissions are the city's ``F_Y``.

    Examples
    --------
    >>> from gridfoot.datasets import sample_mrio
    >>> table = cut_city_table(sample_mrio(), "HAI", population=500_000)
    >>> table.name, len(table.sectors), round(table.city_gdp)
    ('HAI', 12, 3928)
    """
    city, country = _city_regions(mrio, regions)
    stressor = _one_stressor(mrio, stressor)
    producer_region = mrio.producers.get_level_values("region")
    local = producer_region.isin(city)
    domestic = mrio.countries.reindex(producer_region).to_numpy() == country
    demand_region = mrio.Y.columns.get_level_values("region")
    sectors = pd.Index(mrio.sectors, name="sector")

    def by_sector(frame: pd.DataFrame | pd.Series) -> pd.DataFrame | pd.Series:
        """Sum the rows (producers) of ``frame`` by sector, in table order."""
        return frame.groupby(level="sector", sort=False).sum().reindex(sectors, fill_value=0.0)

    intermediate = by_sector(mrio.Z.loc[:, local]).T.groupby(level="sector", sort=False).sum().T
    intermediate = intermediate.reindex(columns=sectors)
    city_demand = mrio.Y.loc[:, demand_region.isin(city)]
    final_demand = by_sector(city_demand).T.groupby(level="category", sort=False).sum().T
    final_demand = final_demand.reindex(columns=mrio.categories)

    def by_buyer_region(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.T.groupby(level="region", sort=False).sum().T

    sales = by_buyer_region(mrio.Z.loc[local]).add(by_buyer_region(mrio.Y.loc[local]), fill_value=0)
    buyer_country = mrio.countries.reindex(sales.columns).to_numpy()
    rest_of_country = ~sales.columns.isin(city) & (buyer_country == country)
    purchases = _purchases_by_origin(mrio, city)
    direct = mrio.F.loc[stressor] * (mrio.x > 0).to_numpy()
    households = mrio.F_Y.loc[stressor, demand_region.isin(city)]

    return CityTable.from_tables(
        Z=intermediate,
        Y=final_demand,
        x=by_sector(mrio.x[local]),
        outflow=by_sector(sales.loc[:, rest_of_country].sum(axis=1)),
        export=by_sector(sales.loc[:, buyer_country != country].sum(axis=1)),
        inflow=by_sector(purchases[~local & domestic]),
        imports=by_sector(purchases[~domestic]),
        F=by_sector(direct[local]),
        F_Y=households.groupby(level="category", sort=False).sum(),
        value_added=pd.DataFrame(
            [by_sector(mrio.x[local] - mrio.Z.loc[:, local].sum(axis=0))],
            index=["value_added"],
        ),
        name=name or "+".join(city),
        population=population,
        gdp=gdp,
        stressor=stressor,
        unit=str(mrio.units[stressor]),
        monetary_unit=mrio.monetary_unit,
        tolerance=tolerance,
        source=f"cut from the MRIO ({'+'.join(city)})",
    )


def _one_stressor(mrio: MRIO, stressor: str | None) -> str:
    if stressor is None:
        if len(mrio.stressors) != 1:
            raise LabelError(
                f"the MRIO has several stressors ({format_labels(mrio.stressors)}); choose one"
            )
        return str(mrio.stressors[0])
    if stressor not in mrio.stressors:
        raise LabelError(f"unknown stressor {stressor!r}; known: {format_labels(mrio.stressors)}")
    return stressor
