"""Read a CEADs provincial MRIO workbook (China's 31 provinces x 42 sectors, www.ceads.net).

CEADs publishes China's multi-regional input-output tables as xlsx workbooks with the whole
table on one sheet, in blocks. :func:`read_ceads` finds the blocks from the labels of two
header rows and two label columns, described by a :class:`CeadsLayout` whose defaults are the
layout of the English sheet (``Table_2017_English Version`` and the like; 31 provinces x 42
sectors shown, other sizes alike)::

         A         B            C    D .. AXE    AXF   AXG .. BDE        BDF  BDG  BDH  BDI
    1    China 2017 MRIO table (title: ignored)
    2                                Beijing ..        Beijing .. Xinjiang
    3                                (sector, category names: ignored)
    4                                01 .. 42    TIU   FU101 .. FU202    EX   TFU  ERR  GO
    5    Beijing   Agriculture  01   Z                 Y                 e         o    x
    ..   ..        ..           ..   1302 x 1302       1302 x 31*5       .         .    .
    1306 Xinjiang  ...          42
    1307           Imports      IM   imports by using column (Z and Y columns)
    1308           ...          TII  (subtotals, value added VA001..VA004, TVA: ignored)
    ..
    1314           Total input  TI   x (checked)

* Columns: row ``region_row`` (2) holds the column's province, written once over its columns
  (merged cells are fine); row ``label_row`` (4) its sector code or final-demand code. The
  intermediate block starts right of the label columns and runs up to the first column whose
  label is blank or one of the codes below; it gives the producers ``(province, sector)``.
  Then: final-demand columns (a code of ``categories``, under their province), the exports
  column (``EX``), the ``other`` column (``ERR``, CEADs' balancing errors), total output
  (``GO``), and subtotals (``TIU``, ``TFU``) and blank-labelled columns, which are skipped.
  The table ends at total output (or, without one, at the last of those columns): columns
  right of it (checks, notes) are ignored, any other label before it is an error, so no
  column of final demand is dropped unseen.
* Rows: column ``region_column`` (A) holds the row's province, once per province;
  ``label_column`` (C) its sector code. Each producer of the columns has exactly one row;
  the row labelled ``IM`` holds imports by using column (intermediate and final-demand
  columns), the row ``TI`` total input. Other rows (value added, subtotals) are ignored.
* Cells of the blocks are numbers; blank cells are 0; text is an error naming the cell.
  Labels are text as written (``01`` stays ``01``; a number 1 reads as ``1``).

Exports have no partner and imports no product or partner (CEADs does not say). Emissions are
not in the workbook: give a ``satellite`` account (long: ``region, sector, stressor, value[,
unit]``; a sector that is a final-demand code of its region is a direct emission of that final
demand). Other editions (the 30-province 2012 table, Chinese sheets) are read by describing
their layout: ``CeadsLayout(region_row=..., categories=(...), ...)``.
"""

from __future__ import annotations

import dataclasses
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from gridfoot.checks import check_choice
from gridfoot.errors import (
    BalanceWarning,
    ConfigError,
    InputFileError,
    LabelError,
    ValueCheckError,
    format_labels,
)
from gridfoot.io.frames import excel_sheet_names, read_excel_cells
from gridfoot.mrio.readers import read_satellite
from gridfoot.mrio.subnational import SubnationalTable
from gridfoot.mrio.subnational_readers import (
    _text,
    build_table,
    check_categories,
    read_concordance,
    split_satellite,
)
from gridfoot.mrio.system import _rounding_tolerance

__all__ = ["CeadsLayout", "read_ceads"]

_COLUMN = re.compile(r"^[A-Z]{1,3}$")


def column_number(letters: str) -> int:
    """Position (from 0) of a column named by its letters.

    >>> column_number("A"), column_number("C"), column_number("AA"), column_number("AXF")
    (0, 2, 26, 1305)
    """
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number - 1


def column_letters(position: int) -> str:
    """The letters of the column at ``position`` (from 0).

    >>> column_letters(0), column_letters(25), column_letters(26), column_letters(1305)
    ('A', 'Z', 'AA', 'AXF')
    """
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _cell(row: int, column: int) -> str:
    """The address Excel shows for a cell at (row, column), both from 0."""
    return f"{column_letters(column)}{row + 1}"


@dataclass(frozen=True)
class CeadsLayout:
    """Where :func:`read_ceads` finds the blocks of a sheet (see :mod:`gridfoot.mrio.ceads`).

    Rows are numbered from 1 and columns named by their letters, as Excel shows them. Labels
    are compared as text after stripping blanks.

    Attributes
    ----------
    region_row, label_row : int
        Header rows holding each column's region (once over its columns) and its sector or
        final-demand code.
    region_column, label_column : str
        Columns holding each row's region (once per region) and its sector or row code.
    categories : tuple of str
        Labels of the final-demand columns (each region has some or all of them).
    exports : str
        Label of the exports column.
    other : str or None
        Label of a column of balancing items (CEADs' errors), or None.
    total_output : str or None
        Label of the total output column, checked against ``Z·1 + Y·1 + exports``.
    subtotals : tuple of str
        Labels of columns to skip (sums of other columns).
    imports : str or None
        Label of the row of imports by using column; None for a table without imports.
    total_input : str or None
        Label of the total input row, checked against the producers' output.
    """

    region_row: int = 2
    label_row: int = 4
    region_column: str = "A"
    label_column: str = "C"
    categories: tuple[str, ...] = ("FU101", "FU102", "FU103", "FU201", "FU202")
    exports: str = "EX"
    other: str | None = "ERR"
    total_output: str | None = "GO"
    subtotals: tuple[str, ...] = ("TIU", "TFU")
    imports: str | None = "IM"
    total_input: str | None = "TI"

    def __post_init__(self) -> None:
        for name in ("region_row", "label_row"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ConfigError(f"CeadsLayout.{name}: a row number from 1, not {value!r}")
        for name in ("region_column", "label_column"):
            value = getattr(self, name)
            if not isinstance(value, str) or not _COLUMN.match(value.strip().upper()):
                raise ConfigError(f"CeadsLayout.{name}: column letters such as 'A', not {value!r}")
            object.__setattr__(self, name, value.strip().upper())
        for name in ("categories", "subtotals"):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) and v.strip() for v in value):
                raise ConfigError(f"CeadsLayout.{name}: a list of labels, not {value!r}")
            object.__setattr__(self, name, tuple(v.strip() for v in value))
        for name in ("exports", "other", "total_output", "imports", "total_input"):
            value = getattr(self, name)
            if value is None and name != "exports":
                continue
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"CeadsLayout.{name}: a label, not {value!r}")
            object.__setattr__(self, name, value.strip())
        if not self.categories:
            raise ConfigError("CeadsLayout.categories: name at least one final-demand label")
        if self.region_row == self.label_row or self.region_column == self.label_column:
            raise ConfigError(
                "CeadsLayout: regions and labels need their own header row and label column"
            )
        roles = [*self.categories, self.exports, self.other, self.total_output, *self.subtotals]
        named = [label for label in roles if label is not None]
        repeated = sorted({label for label in named if named.count(label) > 1})
        if repeated:
            raise ConfigError(f"CeadsLayout: column label(s) {repeated} given two roles")
        if self.imports is not None and self.imports == self.total_input:
            raise ConfigError(f"CeadsLayout: row label {self.imports!r} given two roles")

    @classmethod
    def of(cls, layout: CeadsLayout | Mapping[str, Any] | None) -> CeadsLayout:
        """A layout from a layout, a mapping of its fields (from a TOML file) or None."""
        if layout is None:
            return cls()
        if isinstance(layout, cls):
            return layout
        known = [f.name for f in dataclasses.fields(cls)]
        unknown = [key for key in layout if key not in known]
        if unknown:
            raise ConfigError(
                f"CeadsLayout: unknown field(s) {format_labels(unknown)}; known: "
                f"{format_labels(known, 12)}"
            )
        return cls(**dict(layout))

    @property
    def column_labels(self) -> tuple[str, ...]:
        """Every column label with a role."""
        roles = (*self.categories, self.exports, self.other, self.total_output, *self.subtotals)
        return tuple(label for label in roles if label is not None)


def read_ceads(
    path: str | Path,
    *,
    sheet: str | None = None,
    layout: CeadsLayout | Mapping[str, Any] | None = None,
    other: Literal["final_demand", "drop"] = "final_demand",
    satellite: pd.DataFrame | str | Path | None = None,
    concordance: pd.DataFrame | str | Path | None = None,
    monetary_unit: str = "10 thousand CNY",
    encoding: str | None = None,
) -> SubnationalTable:
    """Read a CEADs provincial MRIO workbook (layout: :mod:`gridfoot.mrio.ceads`).

    Parameters
    ----------
    path : path
        The ``.xlsx`` workbook.
    sheet : str, optional
        The sheet holding the table. By default the only sheet, else the only one whose name
        contains ``English``, else the only one whose name starts with ``Table``.
    layout : CeadsLayout or mapping, optional
        Where the blocks are; CEADs' English sheet by default.
    other : {"final_demand", "drop"}
        What to do with the ``other`` column (CEADs' balancing errors, which make total
        output equal total input): ``"final_demand"`` keeps them as a final-demand category
        of the producer's own region, labelled like the column (``ERR``), so that ``x`` is
        the printed total output; ``"drop"`` leaves them out (``x`` then differs from total
        output by them, and a :class:`~gridfoot.errors.BalanceWarning` says where).
    satellite : DataFrame or path, optional
        Emissions, long (see :func:`gridfoot.read_satellite`); none by default.
    concordance : DataFrame or path, optional
        ``sector, host_sector[, share]``: the table's sectors in the host MRIO's classification.
    monetary_unit : str
        Unit of the table: CEADs' tables are in 10 thousand CNY.
    encoding : str, optional
        Text encoding of CSV satellite and concordance files (default UTF-8).

    Warns
    -----
    BalanceWarning
        The total output column or total input row differs from ``Z·1 + Y·1 + exports`` by
        more than rounding explains; the message names the largest gaps.

    Raises
    ------
    InputFileError
        The workbook or sheet cannot be read, or the layout does not fit it.
    LabelError
        Labels missing, repeated or unknown, naming the cells.
    ValueCheckError
        Text in the blocks, naming the cells.
    """
    path = Path(path)
    layout = CeadsLayout.of(layout)
    check_choice(other, "other", ("final_demand", "drop"))
    if sheet is None:
        sheet = _pick_sheet(path)
    cells = read_excel_cells(path, sheet, what="the CEADs MRIO table")
    where = f"{path}, sheet {sheet!r}"
    blocks = _Sheet(cells, layout, where)

    producers = blocks.producers
    Z = pd.DataFrame(blocks.numbers(blocks.rows, blocks.z_columns, "intermediate block"))
    Z = Z.set_axis(producers, axis=0).set_axis(blocks.column_producers, axis=1)
    Y = pd.DataFrame(
        blocks.numbers(blocks.rows, blocks.y_columns, "final-demand columns"),
        index=producers,
        columns=blocks.demand,
    )
    exported = blocks.numbers(blocks.rows, [blocks.exports], "exports column")[:, 0]
    exports = pd.DataFrame(
        {
            "region": producers.get_level_values(0),
            "sector": producers.get_level_values(1),
            "value": exported,
        }
    )
    folded = blocks.other is not None and other == "final_demand"
    if folded:
        balancing = blocks.numbers(blocks.rows, [blocks.other], "other column")[:, 0]
        Y = _with_other(Y, balancing, str(layout.other))
    users = [*blocks.column_producers, *blocks.demand]
    imports = pd.DataFrame({"region": [], "user": [], "value": np.zeros(0)})
    if blocks.imports is not None:
        bought = blocks.numbers(
            [blocks.imports], [*blocks.z_columns, *blocks.y_columns], "imports row"
        )[0]
        imports = pd.DataFrame(
            {"region": [u[0] for u in users], "user": [u[1] for u in users], "value": bought}
        )
    x = Z.to_numpy().sum(axis=1) + Y.to_numpy().sum(axis=1) + exported
    blocks.check_totals(x, Z.to_numpy(), Y.to_numpy(), exported, folded)

    check_categories(f"{where}, final-demand columns", Z.index, Y.columns)
    located: dict[str, object] = {
        "Z": f"{where}, intermediate block",
        "Y": f"{where}, final-demand columns",
        "exports": f"{where}, exports column {column_letters(blocks.exports)}",
        "imports": f"{where}, imports row"
        + ("" if blocks.imports is None else f" {blocks.imports + 1}"),
    }
    F = F_Y = None
    units: dict[str, str] = {}
    if satellite is not None:
        source = "satellite DataFrame" if isinstance(satellite, pd.DataFrame) else satellite
        located["satellite"] = source
        tidy = read_satellite(
            satellite if isinstance(satellite, pd.DataFrame) else Path(satellite),
            encoding=encoding,
        )
        F, F_Y, units = split_satellite(tidy, Z, Y, source, f"{path.name}, sheet {sheet!r}")
    table_concordance = None
    if concordance is not None:
        name = "concordance DataFrame" if isinstance(concordance, pd.DataFrame) else None
        located["concordance"] = name or concordance
        table_concordance = read_concordance(
            concordance if isinstance(concordance, pd.DataFrame) else Path(concordance),
            encoding=encoding,
            name=name,
        )
    return build_table(
        located,
        str(path),
        Z=Z,
        Y=Y,
        exports=exports,
        imports=imports,
        F=F,
        F_Y=F_Y,
        units=units,
        concordance=table_concordance,
        monetary_unit=monetary_unit,
    )


def _pick_sheet(path: Path) -> str:
    """The sheet holding the table when none is named (see :func:`read_ceads`)."""
    names = excel_sheet_names(path, what="the CEADs MRIO table")
    if len(names) == 1:
        return names[0]
    for wanted in (lambda n: "english" in n.lower(), lambda n: n.lower().startswith("table")):
        chosen = [name for name in names if wanted(name)]
        if len(chosen) == 1:
            return chosen[0]
    raise InputFileError(
        f"{path}: which sheet holds the table? it has {', '.join(map(repr, names))}; "
        "name it with sheet="
    )


def _with_other(Y: pd.DataFrame, values: np.ndarray, label: str) -> pd.DataFrame:
    """Y with the balancing column as a category ``label`` of each producer's own region."""
    regions = Y.index.get_level_values(0)
    extra = {
        (region, label): np.where(regions == region, values, 0.0) for region in pd.unique(regions)
    }
    return pd.concat([Y, pd.DataFrame(extra, index=Y.index)], axis=1)


def _filled(labels: Sequence[str]) -> list[str]:
    """Labels written once over a run of merged or blank cells, repeated over the run."""
    filled, current = [], ""
    for label in labels:
        current = label or current
        filled.append(current)
    return filled


class _Sheet:
    """Positions (from 0) of the blocks of a sheet, found from its labels; checks as it goes."""

    def __init__(self, cells: pd.DataFrame, layout: CeadsLayout, where: str) -> None:
        self.cells, self.layout, self.where = cells, layout, where
        region_row, label_row = layout.region_row - 1, layout.label_row - 1
        region_column = column_number(layout.region_column)
        label_column = column_number(layout.label_column)
        self.top = max(region_row, label_row) + 1
        self.left = max(region_column, label_column) + 1
        rows, columns = cells.shape
        if rows <= self.top or columns <= self.left:
            raise InputFileError(
                f"{where}: the sheet has {rows} row(s) and {columns} column(s); the layout "
                f"puts its blocks below row {self.top} and right of column "
                f"{column_letters(self.left - 1)}"
            )
        self.label_row, self.label_column = label_row, label_column
        labels = [_text(v) for v in cells.iloc[label_row, self.left :]]
        regions = _filled([_text(v) for v in cells.iloc[region_row, self.left :]])
        self._columns(labels, regions, region_row)
        row_labels = [_text(v) for v in cells.iloc[self.top :, label_column]]
        row_regions = _filled([_text(v) for v in cells.iloc[self.top :, region_column]])
        self._rows(row_labels, row_regions)

    # -- columns ----------------------------------------------------------------------------

    def _columns(self, labels: list[str], regions: list[str], region_row: int) -> None:
        layout, where = self.layout, self.where
        special = set(layout.column_labels)
        width = 0
        while width < len(labels) and labels[width] and labels[width] not in special:
            width += 1
        first = _cell(self.label_row, self.left)
        if width == 0:
            raise LabelError(
                f"{where}: no intermediate block: cell {first} (row {layout.label_row}, "
                f"first column right of {layout.region_column} and {layout.label_column}) "
                f"should hold the first sector label, it holds {labels[0]!r}; check the layout"
            )
        if not regions[0]:
            raise LabelError(
                f"{where}: no region over the first column of the intermediate block (cell "
                f"{_cell(region_row, self.left)}, row {layout.region_row})"
            )
        self.z_columns = [self.left + j for j in range(width)]
        self.column_producers = self._unique(
            [(regions[j], labels[j]) for j in range(width)], self.z_columns, "producer"
        )
        z_regions = set(regions[:width])

        # the table ends at its total output column; checks and notes may follow
        stop = len(labels)
        if layout.total_output in labels[width:]:
            stop = labels.index(str(layout.total_output), width) + 1
        y_columns: list[int] = []
        found: dict[str, list[int]] = {}
        unknown: list[int] = []
        for j in range(width, stop):
            label, column = labels[j], self.left + j
            if label in layout.categories:
                y_columns.append(column)
            elif label in special and label not in layout.subtotals:
                found.setdefault(label, []).append(column)
            elif label and label not in special:
                unknown.append(column)
        for label, columns in found.items():
            if len(columns) > 1:
                raise LabelError(
                    f"{where}: more than one column labelled {label!r}: "
                    + format_labels(_cell(self.label_row, c) for c in columns)
                )
        roles = {label: columns[0] for label, columns in found.items()}
        end = max([*y_columns, *roles.values()], default=0)
        unknown = [c for c in unknown if c < end]
        if unknown:
            raise LabelError(
                f"{where}: column label(s) "
                + format_labels(
                    f"{self._label_at(c)} ({_cell(self.label_row, c)})" for c in unknown
                )
                + " are not in the layout: neither final demand "
                f"({format_labels(layout.categories)}), exports ({layout.exports}), other "
                f"({layout.other}), total output "
                f"({layout.total_output}) nor a subtotal ({format_labels(layout.subtotals)}); "
                "add them to the layout's categories or subtotals"
            )
        if layout.exports not in roles:
            raise LabelError(
                f"{where}: no exports column: no cell of row {layout.label_row} right of the "
                f"intermediate block reads {layout.exports!r}; it has "
                f"{format_labels([a for a in dict.fromkeys(labels[width:]) if a], 12) or 'none'}"
            )
        if not y_columns:
            raise LabelError(
                f"{where}: no final-demand columns: no cell of row {layout.label_row} reads "
                f"{format_labels(layout.categories)}"
            )
        self.exports = roles[layout.exports]
        self.other = roles.get(str(layout.other)) if layout.other else None
        self.total_output = roles.get(str(layout.total_output)) if layout.total_output else None
        self.y_columns = y_columns
        outside = [c for c in y_columns if regions[c - self.left] not in z_regions]
        if outside:
            raise LabelError(
                f"{where}: final-demand column(s) under region(s) that have no intermediate "
                "columns: "
                + format_labels(
                    f"{regions[c - self.left] or '(blank)'} ({_cell(region_row, c)})"
                    for c in outside
                )
            )
        self.demand = self._unique(
            [(regions[c - self.left], labels[c - self.left]) for c in y_columns],
            y_columns,
            "final-demand column",
        )

    def _label_at(self, column: int) -> str:
        return repr(_text(self.cells.iat[self.label_row, column]))

    def _unique(self, pairs: list[tuple[str, str]], columns: list[int], what: str) -> Any:
        index = pd.MultiIndex.from_tuples(pairs)
        repeated = index.duplicated(keep=False)
        if repeated.any():
            raise LabelError(
                f"{self.where}: {what}(s) {format_labels(index[repeated].unique())} label more "
                "than one column: "
                + format_labels(
                    (column_letters(c) for c, r in zip(columns, repeated, strict=True) if r), 12
                )
            )
        return index

    # -- rows -------------------------------------------------------------------------------

    def _rows(self, labels: list[str], regions: list[str]) -> None:
        layout, where = self.layout, self.where
        at: dict[tuple[str, str], list[int]] = {p: [] for p in self.column_producers}
        marked: dict[str, list[int]] = {}
        for i, (region, label) in enumerate(zip(regions, labels, strict=True)):
            row = self.top + i
            if (region, label) in at:
                at[(region, label)].append(row)
            elif label in (layout.imports, layout.total_input):
                marked.setdefault(label, []).append(row)
        missing = [p for p, rows in at.items() if not rows]
        if missing:
            raise LabelError(
                f"{where}: no row for producer(s) {format_labels(missing)}: every producer of "
                f"the intermediate columns needs a row below row {self.top} with its region in "
                f"column {layout.region_column} and its sector in column {layout.label_column}"
            )
        twice = {p: rows for p, rows in at.items() if len(rows) > 1}
        for label, rows in marked.items():
            if len(rows) > 1:
                twice[label] = rows
        if twice:
            raise LabelError(
                f"{where}: row label(s) given more than once: "
                + format_labels(
                    f"{format_labels([p])} (rows {', '.join(str(r + 1) for r in rows)})"
                    for p, rows in twice.items()
                )
            )
        if layout.imports is not None and layout.imports not in marked:
            raise LabelError(
                f"{where}: no imports row: no cell of column {layout.label_column} below row "
                f"{self.top} reads {layout.imports!r}; name it in the layout (imports=...), or "
                "None for a table without imports"
            )
        first_rows = [rows[0] for rows in at.values()]
        #: producers in the order of their rows; column producer ``order[k]`` is row ``k``
        self.order = np.argsort(first_rows, kind="stable")
        self.rows = [first_rows[i] for i in self.order]
        self.producers = self.column_producers[self.order]
        self.imports = marked[layout.imports][0] if layout.imports in marked else None
        self.total_input = (
            marked[str(layout.total_input)][0] if layout.total_input in marked else None
        )

    # -- values -----------------------------------------------------------------------------

    def numbers(self, rows: Sequence[int], columns: Sequence[int], what: str) -> np.ndarray:
        """The cells at ``rows`` x ``columns`` as floats; blank is 0, text an error."""
        raw = self.cells.iloc[list(rows), list(columns)].to_numpy(dtype=object)
        flat = pd.to_numeric(pd.Series(raw.ravel(), dtype=object), errors="coerce")
        values = np.array(flat, dtype=float).reshape(raw.shape)
        bad = []
        for i, j in np.argwhere(~np.isfinite(values)):
            value = raw[i, j]
            if _text(value) == "":  # blank
                values[i, j] = 0.0
            else:
                bad.append(f"{_cell(rows[i], columns[j])} = {value!r}")
        if bad:
            raise ValueCheckError(
                f"{self.where}: {len(bad)} cell(s) of the {what} are not numbers: "
                f"{format_labels(bad, 4)}; write 0 or leave the cell blank for none"
            )
        return values

    def check_totals(
        self,
        x: np.ndarray,
        Z: np.ndarray,
        Y: np.ndarray,
        exported: np.ndarray,
        folded: bool,
    ) -> None:
        """Warn where total output or total input differs from ``x`` beyond rounding."""
        layout = self.layout
        sum_of = "Z·1 + Y·1 + exports"
        if self.other is not None:
            sum_of += (
                f" (Y holding the {layout.other} column)"
                if folded
                else f" (the {layout.other} column left out: other='drop')"
            )
        checks = []
        if self.total_output is not None:
            printed = self.numbers(self.rows, [self.total_output], "total output column")[:, 0]
            column = column_letters(self.total_output)
            checks.append((f"total output (column {column})", printed, self.producers))
        if self.total_input is not None:
            printed = self.numbers([self.total_input], self.z_columns, "total input row")[0]
            row = self.total_input + 1
            checks.append((f"total input (row {row})", printed[self.order], self.producers))
        for what, printed, labels in checks:
            gap = printed - x
            tolerance = _rounding_tolerance(
                Z, Y, exported, printed, terms=Z.shape[1] + Y.shape[1] + 1
            )
            if np.any(np.abs(gap) > tolerance):
                worst = [i for i in np.argsort(-np.abs(gap))[:5] if abs(gap[i]) > tolerance]
                warnings.warn(
                    f"{self.where}: {what} differs from {sum_of} by more than rounding explains "
                    f"(tolerance {tolerance:g}); largest gaps (printed minus sum): "
                    + format_labels(f"{format_labels([labels[i]])} {gap[i]:+g}" for i in worst),
                    BalanceWarning,
                    stacklevel=3,
                )
