"""The immutable multi-regional input-output system.

:class:`MRIO` holds the tables with pymrio's label conventions and validates them once, on
construction: every later computation can trust its input. Labels are strings; producers are
ordered region-major (every region has the same sectors), final-demand columns likewise.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from gridfoot.checks import check_choice
from gridfoot.errors import (
    BalanceWarning,
    LabelError,
    ValueCheckError,
    ZeroOutputWarning,
    format_labels,
)
from gridfoot.mrio.leontief import LeontiefFactor, factor, intensities, technical_coefficients

__all__ = ["MRIO", "flatten_labels"]

ZeroOutputPolicy = Literal["warn", "raise", "ignore"]


def flatten_labels(index: pd.Index) -> pd.Index:
    """Turn a (possibly multi-level) stressor index into plain strings.

    Levels are joined with ``" | "``, so pymrio's ``("CO2", "air")`` becomes ``"CO2 | air"``.

    Examples
    --------
    >>> flatten_labels(pd.MultiIndex.from_tuples([("CO2", "air"), ("N2O", "air")])).tolist()
    ['CO2 | air', 'N2O | air']
    """
    if isinstance(index, pd.MultiIndex):
        return pd.Index([" | ".join(map(str, t)) for t in index], name="stressor")
    return pd.Index([str(v) for v in index], name="stressor")


def _string_pairs(index: pd.Index, table: str, axis: str, names: tuple[str, str]) -> pd.MultiIndex:
    """Check that ``index`` is a two-level (region, x) index and return it with string labels."""
    if not isinstance(index, pd.MultiIndex) or index.nlevels != 2:
        raise LabelError(
            f"{table}: the {axis} must be a two-level index ({names[0]}, {names[1]}), "
            f"got {index.nlevels} level(s) such as {format_labels(index[:3])}"
        )
    pairs = pd.MultiIndex.from_tuples([(str(a), str(b)) for a, b in index], names=list(names))
    duplicated = pairs[pairs.duplicated()]
    if len(duplicated):
        raise LabelError(f"{table}: duplicated {axis} labels: {format_labels(duplicated.unique())}")
    return pairs


def _product_order(
    pairs: pd.MultiIndex, table: str, axis: str, outer: pd.Index | None = None
) -> tuple[pd.Index, pd.Index, pd.MultiIndex]:
    """Outer and inner labels in first-appearance order, and their full product.

    Raises if the labels are not a complete product (every region with the same sectors).
    """
    if outer is None:
        outer = pd.Index(pd.unique(pairs.get_level_values(0)))
    inner = pd.Index(pd.unique(pairs.get_level_values(1)))
    product = pd.MultiIndex.from_product([outer, inner], names=pairs.names)
    missing = product.difference(pairs, sort=False)
    if len(missing):
        raise LabelError(
            f"{table}: the {axis} labels are not a complete product of {pairs.names[0]}s and "
            f"{pairs.names[1]}s; missing {format_labels(missing)}"
        )
    return outer, inner, product


def _check_finite(table: str, values: np.ndarray, rows: pd.Index, cols: pd.Index) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        where = [f"({_label(rows[i])} x {_label(cols[j])})" for i, j in np.argwhere(bad)]
        raise ValueCheckError(
            f"{table}: {int(bad.sum())} NaN or infinite value(s) at {format_labels(where, 5)}"
        )


def _check_non_negative(
    table: str, values: np.ndarray, rows: pd.Index, cols: pd.Index, hint: str = ""
) -> None:
    negative = values < 0
    if negative.any():
        where = [
            f"({_label(rows[i])} x {_label(cols[j])}) = {values[i, j]:g}"
            for i, j in np.argwhere(negative)
        ]
        raise ValueCheckError(
            f"{table}: {int(negative.sum())} negative value(s) at {format_labels(where, 5)}{hint}"
        )


def _label(value: object) -> str:
    return "/".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _numeric(table: str, frame: pd.DataFrame) -> np.ndarray:
    try:
        return frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        for column in frame.columns:
            converted = pd.to_numeric(frame[column], errors="coerce")
            bad = converted.isna() & frame[column].notna()
            if bad.any():
                raise ValueCheckError(
                    f"{table}: non-numeric value {frame[column][bad].iloc[0]!r} in column "
                    f"{_label(column)}, row(s) {format_labels(frame.index[bad.to_numpy()], 5)}"
                ) from None
        raise


def _require_frame(table: str, value: object) -> pd.DataFrame:
    if not isinstance(value, pd.DataFrame):
        raise LabelError(f"{table} must be a pandas DataFrame, got {type(value).__name__}")
    return value


def _reindex_subset(
    table: str, frame: pd.DataFrame, index: pd.Index, columns: pd.Index, what: str
) -> pd.DataFrame:
    """Place ``frame`` on (index, columns), zero-filling absent labels; unknown labels raise."""
    for axis, own, known in (("row", frame.index, index), ("column", frame.columns, columns)):
        unknown = own.difference(known, sort=False)
        if len(unknown):
            raise LabelError(f"{table}: unknown {axis} labels {format_labels(unknown)} ({what})")
    return frame.reindex(index=index, columns=columns, fill_value=0.0)


def _rounding_tolerance(*arrays: np.ndarray, terms: int) -> float:
    """How far a row total may drift from the printed x through rounding of its entries.

    Integer-valued tables (like WIOD) were rounded to whole units: each of the ``terms``
    entries of a row moved by at most half a unit. Non-integer tables are taken as unrounded
    and get a relative tolerance of 1e-9 of the largest output.
    """
    scale = max(float(np.max(np.abs(a), initial=0.0)) for a in arrays)
    integral = all(np.array_equal(a, np.round(a)) for a in arrays)
    return (0.5 * (terms + 1) if integral else 0.0) + 1e-9 * scale


@dataclass(frozen=True, eq=False, repr=False)
class MRIO:
    """A multi-regional input-output system with one or more stressors (e.g. CO2).

    Labels follow pymrio, so its users feel at home. The tables are validated and put in
    canonical order on construction; the object never changes afterwards.

    Parameters
    ----------
    Z : DataFrame
        Intermediate flows; index and columns ``(region, sector)``.
    Y : DataFrame
        Final demand; index ``(region, sector)``, columns ``(region, category)``. Negative
        entries (inventory change) are legal.
    F : DataFrame
        Direct emissions of producers; index stressor (a multi-level index is joined with
        ``" | "``), columns ``(region, sector)``.
    F_Y : DataFrame, optional
        Direct emissions of final demand (households' own fuel); index stressor, columns
        ``(region, category)``. Absent rows or columns are zero.
    x : Series or array, optional
        Gross output per producer. When omitted it is the balanced ``Z·1 + Y·1``. A given
        ``x`` that differs from ``Z·1 + Y·1`` by more than rounding of the entries explains
        raises a :class:`~gridfoot.errors.BalanceWarning` naming the largest gaps. The
        accounts always use the ``x`` held here; the identities (``driven`` sums to ``F``,
        world ``pba == cba``) are exact for a balanced ``x`` and off by the imbalance otherwise.
    units : mapping, optional
        Unit of each stressor, e.g. ``{"CO2": "kt"}``.
    countries : mapping, optional
        Region -> country (group). Sub-national regions nested in a global table (provinces in
        a world MRIO) name their country here; "domestic" and "foreign" are relative to these
        groups everywhere. By default every region is its own country.
    monetary_unit : str, optional
        Unit of Z, Y and x (e.g. ``"million USD"``); used in the units of multipliers.
    zero_output : {"warn", "raise", "ignore"}
        What to do when producers with ``x <= 0`` report emissions. Their coefficients are
        zero, so those emissions cannot be attributed and are left out of every account;
        ``excluded`` lists them.
    allow_negative_emissions : bool
        Negative ``F`` or ``F_Y`` are errors unless this is set (e.g. for sink accounts).

    Examples
    --------
    Two regions, one sector each:

    >>> producers = pd.MultiIndex.from_tuples([("A", "goods"), ("B", "goods")])
    >>> Z = pd.DataFrame([[10.0, 20.0], [5.0, 15.0]], index=producers, columns=producers)
    >>> Y = pd.DataFrame([[50.0, 20.0], [30.0, 50.0]], index=producers,
    ...                  columns=pd.MultiIndex.from_tuples([("A", "hh"), ("B", "hh")]))
    >>> F = pd.DataFrame([[100.0, 50.0]], index=["CO2"], columns=producers)
    >>> mrio = MRIO(Z=Z, Y=Y, F=F, units={"CO2": "t"})
    >>> mrio  # doctest: +ELLIPSIS
    <gridfoot.MRIO: 2 regions x 1 sectors = 2 producers, ..., stressors CO2 [t], x balanced>
    >>> mrio.x.tolist()
    [100.0, 100.0]
    """

    Z: pd.DataFrame
    Y: pd.DataFrame
    F: pd.DataFrame
    F_Y: pd.DataFrame | None = None
    x: pd.Series | Sequence[float] | np.ndarray | None = None
    units: Mapping[str, str] | pd.Series | None = None
    countries: Mapping[str, str] | pd.Series | None = None
    monetary_unit: str = ""
    zero_output: ZeroOutputPolicy = "warn"
    allow_negative_emissions: bool = False
    x_source: str = field(init=False, default="balanced")

    def __post_init__(self) -> None:
        set_ = functools.partial(object.__setattr__, self)
        check_choice(self.zero_output, "zero_output", ("warn", "raise", "ignore"))

        Z = _require_frame("Z", self.Z)
        rows = _string_pairs(Z.index, "Z", "index", ("region", "sector"))
        cols = _string_pairs(Z.columns, "Z", "columns", ("region", "sector"))
        if not rows.equals(cols):
            only_rows = rows.difference(cols, sort=False)
            only_cols = cols.difference(rows, sort=False)
            if len(only_rows) or len(only_cols):
                raise LabelError(
                    "Z: index and columns name different producers; "
                    f"only in the index: {format_labels(only_rows) or 'none'}; "
                    f"only in the columns: {format_labels(only_cols) or 'none'}"
                )
        regions, _, producers = _product_order(rows, "Z", "index")
        z_values = _numeric("Z", Z)
        _check_finite("Z", z_values, rows, cols)
        _check_non_negative("Z", z_values, rows, cols)
        z_frame = pd.DataFrame(z_values, index=rows, columns=cols)
        z_frame = z_frame.reindex(index=producers, columns=producers)
        order = rows.get_indexer(producers)

        Y = _require_frame("Y", self.Y)
        y_rows = _string_pairs(Y.index, "Y", "index", ("region", "sector"))
        y_cols = _string_pairs(Y.columns, "Y", "columns", ("region", "category"))
        if not y_rows.sort_values().equals(producers.sort_values()):
            raise LabelError(
                "Y: its index and Z's name different producers; "
                f"only in Y: {format_labels(y_rows.difference(producers, sort=False)) or 'none'}; "
                f"only in Z: {format_labels(producers.difference(y_rows, sort=False)) or 'none'}"
            )
        y_regions = pd.Index(pd.unique(y_cols.get_level_values(0)))
        if not y_regions.sort_values().equals(regions.sort_values()):
            raise LabelError(
                "Y: final-demand columns must exist for exactly the regions of Z; "
                f"only in Y: {format_labels(y_regions.difference(regions)) or 'none'}; "
                f"only in Z: {format_labels(regions.difference(y_regions)) or 'none'}"
            )
        *_, demand_columns = _product_order(y_cols, "Y", "columns", outer=regions)
        y_values = _numeric("Y", Y)
        _check_finite("Y", y_values, y_rows, y_cols)
        y_frame = pd.DataFrame(y_values, index=y_rows, columns=y_cols)
        y_frame = y_frame.reindex(index=producers, columns=demand_columns)

        F = _require_frame("F", self.F)
        stressors = flatten_labels(F.index)
        if stressors.has_duplicates:
            raise LabelError(
                f"F: duplicated stressors {format_labels(stressors[stressors.duplicated()])}"
            )
        f_cols = _string_pairs(F.columns, "F", "columns", ("region", "sector"))
        if not f_cols.sort_values().equals(producers.sort_values()):
            raise LabelError(
                "F: its columns and Z's index name different producers; "
                f"only in F: {format_labels(f_cols.difference(producers, sort=False)) or 'none'}; "
                f"only in Z: {format_labels(producers.difference(f_cols, sort=False)) or 'none'}"
            )
        f_values = _numeric("F", F)
        _check_finite("F", f_values, stressors, f_cols)
        hint = " (pass allow_negative_emissions=True for accounts with sinks)"
        if not self.allow_negative_emissions:
            _check_non_negative("F", f_values, stressors, f_cols, hint)
        f_frame = pd.DataFrame(f_values, index=stressors, columns=f_cols).reindex(columns=producers)

        if self.F_Y is None:
            fy_frame = pd.DataFrame(0.0, index=stressors, columns=demand_columns)
        else:
            FY = _require_frame("F_Y", self.F_Y)
            fy_index = flatten_labels(FY.index)
            fy_cols = _string_pairs(FY.columns, "F_Y", "columns", ("region", "category"))
            fy_values = _numeric("F_Y", FY)
            _check_finite("F_Y", fy_values, fy_index, fy_cols)
            if not self.allow_negative_emissions:
                _check_non_negative("F_Y", fy_values, fy_index, fy_cols, hint)
            fy_frame = _reindex_subset(
                "F_Y",
                pd.DataFrame(fy_values, index=fy_index, columns=fy_cols),
                stressors,
                demand_columns,
                "rows must be stressors of F, columns those of Y",
            )

        balanced = z_frame.to_numpy().sum(axis=1) + y_frame.to_numpy().sum(axis=1)
        if self.x is None:
            x_values, x_source = balanced, "balanced"
        else:
            x_values, x_source = self._given_output(rows, producers, order), "given"
            gap = balanced - x_values
            tolerance = _rounding_tolerance(
                z_values, y_values, x_values, terms=z_values.shape[1] + y_values.shape[1]
            )
            if np.any(np.abs(gap) > tolerance):
                worst = np.argsort(-np.abs(gap))[:5]
                warnings.warn(
                    f"x differs from Z·1 + Y·1 by more than rounding explains (tolerance "
                    f"{tolerance:g}); largest gaps: "
                    + format_labels(f"{_label(producers[i])} {gap[i]:+g}" for i in worst)
                    + ". The accounts use the given x; pass x=None to use the balanced one.",
                    BalanceWarning,
                    stacklevel=3,
                )
        x_series = pd.Series(x_values, index=producers, name="x")

        set_("Z", z_frame)
        set_("Y", y_frame)
        set_("F", f_frame)
        set_("F_Y", fy_frame)
        set_("x", x_series)
        set_("x_source", x_source)
        set_("units", self._unit_series(stressors))
        set_("countries", self._country_series(regions))
        set_("monetary_unit", str(self.monetary_unit))
        self._check_zero_output()
        self._check_productive()

    # -- construction helpers -------------------------------------------------------------

    def _given_output(
        self, rows: pd.MultiIndex, producers: pd.MultiIndex, order: np.ndarray
    ) -> np.ndarray:
        x = self.x
        if isinstance(x, pd.Series):
            if not isinstance(x.index, pd.MultiIndex):
                raise LabelError("x: a Series must be indexed by (region, sector)")
            x_index = _string_pairs(x.index, "x", "index", ("region", "sector"))
            missing = producers.difference(x_index, sort=False)
            extra = x_index.difference(producers, sort=False)
            if len(missing) or len(extra):
                raise LabelError(
                    f"x: labels differ from Z's; missing {format_labels(missing) or 'none'}; "
                    f"unknown {format_labels(extra) or 'none'}"
                )
            values = pd.Series(x.to_numpy(dtype=float), index=x_index).reindex(producers)
            values = values.to_numpy()
        else:
            raw = np.asarray(x, dtype=float).ravel()
            if raw.shape[0] != len(rows):
                raise LabelError(f"x: {raw.shape[0]} values for {len(rows)} producers")
            values = raw[order]
        if not np.all(np.isfinite(values)):
            bad = producers[~np.isfinite(values)]
            raise ValueCheckError(f"x: NaN or infinite gross output for {format_labels(bad)}")
        return values

    def _unit_series(self, stressors: pd.Index) -> pd.Series:
        units = pd.Series({} if self.units is None else dict(self.units), dtype=object)
        units.index = flatten_labels(units.index) if len(units) else units.index
        unknown = units.index.difference(stressors)
        if len(unknown):
            raise LabelError(f"units: unknown stressors {format_labels(unknown)}")
        return units.reindex(stressors).fillna("").astype(str).rename("unit")

    def _country_series(self, regions: pd.Index) -> pd.Series:
        if self.countries is None:
            return pd.Series(regions, index=regions, name="country")
        mapping = {str(k): str(v) for k, v in dict(self.countries).items()}
        unknown = [r for r in mapping if r not in regions]
        missing = [r for r in regions if r not in mapping]
        if unknown or missing:
            raise LabelError(
                "countries: the mapping must name the country of every region and nothing else; "
                f"regions without a country: {format_labels(missing) or 'none'}; "
                f"unknown regions: {format_labels(unknown) or 'none'}"
            )
        return pd.Series([mapping[r] for r in regions], index=regions, name="country")

    def _check_zero_output(self) -> None:
        excluded = self.excluded
        if excluded.empty or self.zero_output == "ignore":
            return

        def amounts(values: pd.Series) -> str:
            return ", ".join(
                f"{v:g} {self.units[s]} {s}".replace("  ", " ") for s, v in values.items() if v
            )

        listed = format_labels(
            (f"{_label(p)} ({amounts(excluded[p])})" for p in excluded.columns), limit=12
        )
        message = (
            f"{excluded.shape[1]} producer(s) with gross output <= 0 report emissions, which are "
            f"left out of every account: {listed}; in total {amounts(excluded.sum(axis=1))}"
        )
        if self.zero_output == "raise":
            raise ValueCheckError(message)
        warnings.warn(message, ZeroOutputWarning, stacklevel=4)

    def _check_productive(self) -> None:
        # Column sums below one prove productivity; only otherwise pay for the LU test now.
        producing = self.x.to_numpy() > 0
        column_sums = self.Z.to_numpy().sum(axis=0) / np.where(producing, self.x.to_numpy(), 1.0)
        if np.any(column_sums[producing] >= 1.0):
            self.__dict__["leontief"] = factor(
                self.Z.to_numpy(), self.x.to_numpy(), labels=self.producers
            )

    @classmethod
    def from_pymrio(cls, io: object, **options: object) -> MRIO:
        """Convert a pymrio ``IOSystem``; see :func:`gridfoot.mrio.readers.mrio_from_pymrio`."""
        from gridfoot.mrio.readers import mrio_from_pymrio

        return mrio_from_pymrio(io, **options)

    # -- labels ---------------------------------------------------------------------------

    @property
    def producers(self) -> pd.MultiIndex:
        """The ``(region, sector)`` labels, region-major."""
        return self.Z.index

    @property
    def regions(self) -> pd.Index:
        """Regions, in table order."""
        return self.countries.index

    @property
    def sectors(self) -> pd.Index:
        """Sectors, in table order."""
        return pd.Index(pd.unique(self.producers.get_level_values("sector")), name="sector")

    @property
    def categories(self) -> pd.Index:
        """Final-demand categories, in table order."""
        return pd.Index(pd.unique(self.Y.columns.get_level_values("category")), name="category")

    @property
    def stressors(self) -> pd.Index:
        """Stressor names."""
        return self.F.index

    # -- derived quantities ---------------------------------------------------------------

    @property
    def producing(self) -> pd.Series:
        """Boolean per producer: gross output > 0 (only these get coefficients)."""
        return (self.x > 0).rename("producing")

    @property
    def excluded(self) -> pd.DataFrame:
        """Emissions of producers with ``x <= 0``, left out of every account.

        A (stressor x producer) table holding only producers that report emissions.
        """
        idle = self.F.loc[:, ~self.producing.to_numpy()]
        return idle.loc[:, (idle != 0).any(axis=0)]

    @property
    def A(self) -> pd.DataFrame:
        """Technical coefficients ``Z diag(1/x)`` (computed on each access: n x n floats)."""
        values = technical_coefficients(self.Z.to_numpy(), self.x.to_numpy())
        return pd.DataFrame(values, index=self.producers, columns=self.producers)

    @property
    def S(self) -> pd.DataFrame:
        """Direct emission intensities ``F diag(1/x)``, zero where ``x <= 0``."""
        values = intensities(self.F.to_numpy(), self.x.to_numpy())
        return pd.DataFrame(values, index=self.stressors, columns=self.producers)

    @functools.cached_property
    def leontief(self) -> LeontiefFactor:
        """LU factorisation of ``I - A``, computed on first use and shared by every solve.

        The system is immutable, so this is a pure function of it; it holds n x n floats.
        """
        return factor(self.Z.to_numpy(), self.x.to_numpy(), labels=self.producers)

    def with_countries(self, countries: Mapping[str, str] | pd.Series) -> MRIO:
        """A copy with a different region -> country grouping (the factorisation is kept)."""
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ZeroOutputWarning)
            warnings.simplefilter("ignore", BalanceWarning)
            copy = dataclasses.replace(self, countries=countries)
        if "leontief" in self.__dict__:
            copy.__dict__["leontief"] = self.__dict__["leontief"]
        return copy

    # -- display --------------------------------------------------------------------------

    def _summary(self) -> dict[str, str]:
        stressors = ", ".join(f"{s} [{u}]" if u else s for s, u in self.units.items())
        groups = self.countries.nunique()
        summary = {
            "producers": f"{len(self.regions)} regions x {len(self.sectors)} sectors = "
            f"{len(self.producers)} producers",
            "final demand": f"{len(self.categories)} final-demand categories",
            "stressors": f"stressors {stressors}",
            "x": f"x {self.x_source}",
        }
        if groups != len(self.regions):
            summary["countries"] = f"{groups} countries"
        idle = int((~self.producing).sum())
        if idle:
            summary["idle"] = f"{idle} producers with x <= 0"
        return summary

    def __repr__(self) -> str:
        return f"<gridfoot.MRIO: {', '.join(self._summary().values())}>"

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
            f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
            for k, v in self._summary().items()
        )
        totals = self.F.sum(axis=1)
        rows += "".join(
            f"<tr><th style='text-align:left'>total {html.escape(s)}</th>"
            f"<td style='text-align:left'>{totals[s]:,.6g} {html.escape(self.units[s])}</td></tr>"
            for s in self.stressors
        )
        return f"<b>gridfoot.MRIO</b><table>{rows}</table>"
