"""The immutable multi-regional input-output system.

:class:`MRIO` holds the tables with pymrio's label conventions. Its factory
:meth:`MRIO.from_tables` validates them once and stores them in canonical form, so every later
computation can trust its input: labels are strings; producers are ordered region-major (every
region lists its sectors in one common order, though the lists may differ between regions),
final-demand columns likewise. The class itself is a plain frozen
dataclass whose fields are exactly their declared types.

This module knows nothing about files or pymrio: :mod:`gridfoot.mrio.readers` builds systems
from those (the dependency runs readers -> system only).
"""

from __future__ import annotations

import dataclasses
import functools
import html
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from gridfoot.checks import check_choice, check_field_types
from gridfoot.errors import (
    BalanceWarning,
    LabelError,
    ValueCheckError,
    ZeroOutputWarning,
    format_labels,
)
from gridfoot.mrio.leontief import LeontiefFactor, factor, intensities, technical_coefficients
from gridfoot.mrio.nest_report import NestReport

__all__ = ["MRIO", "flatten_labels"]

ZeroOutputPolicy = Literal["warn", "raise", "ignore"]
XSource = Literal["balanced", "given"]


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


def _canonical_order(
    pairs: pd.MultiIndex, outer: pd.Index | None = None
) -> tuple[pd.Index, pd.Index, pd.MultiIndex]:
    """Outer and inner labels in first-appearance order, and the pairs in canonical order.

    Canonical order is outer-major. A complete product of outer and inner labels is laid out
    as that product (every region's sectors in one order, so arrays reshape to region x
    sector); otherwise (provinces in 42 sectors beside countries in 35) each outer label keeps
    its inner labels in the order given.
    """
    if outer is None:
        outer = pd.Index(pd.unique(pairs.get_level_values(0)))
    inner = pd.Index(pd.unique(pairs.get_level_values(1)))
    product = pd.MultiIndex.from_product([outer, inner], names=pairs.names)
    if len(product) == len(pairs) and product.isin(pairs).all():
        return outer, inner, product
    order = np.argsort(outer.get_indexer(pairs.get_level_values(0)), kind="stable")
    ordered = pairs[order]
    return outer, pd.Index(pd.unique(ordered.get_level_values(1))), ordered


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


def _given_output(
    x: pd.Series | Sequence[float] | np.ndarray,
    rows: pd.MultiIndex,
    producers: pd.MultiIndex,
    order: np.ndarray,
) -> np.ndarray:
    """A given gross output as floats in canonical producer order."""
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


def _unit_series(units: Mapping[str, str] | pd.Series | None, stressors: pd.Index) -> pd.Series:
    """The unit of every stressor (``""`` when not given); unknown stressors raise."""
    series = pd.Series({} if units is None else dict(units), dtype=object)
    series.index = flatten_labels(series.index) if len(series) else series.index
    unknown = series.index.difference(stressors)
    if len(unknown):
        raise LabelError(f"units: unknown stressors {format_labels(unknown)}")
    return series.reindex(stressors).fillna("").astype(str).rename("unit")


def _country_series(
    countries: Mapping[str, str] | pd.Series | None, regions: pd.Index
) -> pd.Series:
    """The country of every region (each its own by default); the mapping must be complete."""
    if countries is None:
        return pd.Series(regions, index=regions, name="country")
    mapping = {str(k): str(v) for k, v in dict(countries).items()}
    unknown = [r for r in mapping if r not in regions]
    missing = [r for r in regions if r not in mapping]
    if unknown or missing:
        raise LabelError(
            "countries: the mapping must name the country of every region and nothing else; "
            f"regions without a country: {format_labels(missing) or 'none'}; "
            f"unknown regions: {format_labels(unknown) or 'none'}"
        )
    return pd.Series([mapping[r] for r in regions], index=regions, name="country")


def _check_zero_output(mrio: MRIO, policy: ZeroOutputPolicy) -> None:
    """Warn about (or refuse) emissions of producers with ``x <= 0``, naming them and tonnes.

    Called by :meth:`MRIO.from_tables` only: the warning points at its caller.
    """
    excluded = mrio.excluded
    if excluded.empty or policy == "ignore":
        return

    def amounts(values: pd.Series) -> str:
        return ", ".join(
            f"{v:g} {mrio.units[s]} {s}".replace("  ", " ") for s, v in values.items() if v
        )

    listed = format_labels(
        (f"{_label(p)} ({amounts(excluded[p])})" for p in excluded.columns), limit=12
    )
    message = (
        f"{excluded.shape[1]} producer(s) with gross output <= 0 report emissions, which are "
        f"left out of every account: {listed}; in total {amounts(excluded.sum(axis=1))}"
    )
    if policy == "raise":
        raise ValueCheckError(message)
    warnings.warn(message, ZeroOutputWarning, stacklevel=3)


def _check_productive(mrio: MRIO) -> None:
    """Refuse a system whose ``I - A`` is not productive (:class:`NonProductiveError`).

    Column sums below one prove productivity; only otherwise is the LU factorisation paid
    for now (and kept: it is the system's cached :attr:`MRIO.leontief`).
    """
    x = mrio.x.to_numpy()
    producing = x > 0
    column_sums = mrio.Z.to_numpy().sum(axis=0) / np.where(producing, x, 1.0)
    if np.any(column_sums[producing] >= 1.0):
        mrio.leontief  # noqa: B018 -- factors (raising if not productive) and caches


def _check_canonical(mrio: MRIO) -> None:
    """Cheap checks of a directly constructed MRIO: field types and aligned labels.

    Never changes a field; raw tables belong in :meth:`MRIO.from_tables`.
    """
    hint = "; build an MRIO from raw tables with MRIO.from_tables(Z, Y, F, ...)"
    kinds = {
        "Z": pd.DataFrame,
        "Y": pd.DataFrame,
        "F": pd.DataFrame,
        "F_Y": pd.DataFrame,
        "x": pd.Series,
        "units": pd.Series,
        "countries": pd.Series,
        "monetary_unit": str,
        "x_source": str,
    }
    check_field_types(mrio, {**kinds, "nesting": NestReport}, hint, optional=("nesting",))
    if mrio.x_source not in ("balanced", "given"):
        raise ValueError(f"MRIO.x_source must be 'balanced' or 'given', got {mrio.x_source!r}")
    producers = mrio.Z.index
    if not isinstance(producers, pd.MultiIndex) or producers.nlevels != 2:
        raise LabelError(f"MRIO.Z: the index must be the (region, sector) producers{hint}")
    regions = pd.Index(pd.unique(producers.get_level_values(0)))
    aligned = {
        "Z.columns": (mrio.Z.columns, producers),
        "Y.index": (mrio.Y.index, producers),
        "F.columns": (mrio.F.columns, producers),
        "x.index": (mrio.x.index, producers),
        "F_Y.index": (mrio.F_Y.index, mrio.F.index),
        "F_Y.columns": (mrio.F_Y.columns, mrio.Y.columns),
        "units.index": (mrio.units.index, mrio.F.index),
        "countries.index": (mrio.countries.index, regions),
    }
    for name, (labels, expected) in aligned.items():
        if not labels.equals(expected):
            raise LabelError(
                f"MRIO.{name} differs from the labels it must repeat "
                f"({format_labels(expected[:3])}, ...){hint}"
            )


@dataclass(frozen=True, eq=False, repr=False)
class MRIO:
    """A multi-regional input-output system with one or more stressors (e.g. CO2).

    Labels follow pymrio, so its users feel at home. Build one with :meth:`MRIO.from_tables`
    (or :func:`~gridfoot.read_mrio`, :func:`~gridfoot.mrio.mrio_from_pymrio`), which checks
    the tables and puts them in canonical order; the object never changes afterwards. The
    fields below are what the factory stores: every one is exactly its declared type.
    Constructing the class directly is for tables that are already canonical (its checks are
    cheap ones on types and labels, and never change what they are given).

    Attributes
    ----------
    Z : DataFrame
        Intermediate flows (floats); index and columns the producers ``(region, sector)``,
        region-major.
    Y : DataFrame
        Final demand; index the producers, columns ``(region, category)`` in region order.
    F : DataFrame
        Direct emissions of producers; index ``stressor`` (strings), columns the producers.
    F_Y : DataFrame
        Direct emissions of final demand (households' own fuel); index the stressors, columns
        those of ``Y`` (zeros when the tables have none).
    x : Series
        Gross output per producer, named ``x``.
    units : Series
        Unit of each stressor (``""`` when unknown), indexed by stressor, named ``unit``.
    countries : Series
        Country (group) of each region, indexed by region in table order, named ``country``.
    monetary_unit : str
        Unit of Z, Y and x (``""`` when unknown).
    x_source : {"balanced", "given"}
        Whether ``x`` is ``Z·1 + Y·1`` or was given with the tables.
    nesting : NestReport or None
        For a system made by :func:`~gridfoot.nest` or :func:`~gridfoot.regionalise`: what
        was nested where, and every adjustment made.

    Examples
    --------
    Two regions, one sector each:

    >>> producers = pd.MultiIndex.from_tuples([("A", "goods"), ("B", "goods")])
    >>> Z = pd.DataFrame([[10.0, 20.0], [5.0, 15.0]], index=producers, columns=producers)
    >>> Y = pd.DataFrame([[50.0, 20.0], [30.0, 50.0]], index=producers,
    ...                  columns=pd.MultiIndex.from_tuples([("A", "hh"), ("B", "hh")]))
    >>> F = pd.DataFrame([[100.0, 50.0]], index=["CO2"], columns=producers)
    >>> mrio = MRIO.from_tables(Z=Z, Y=Y, F=F, units={"CO2": "t"})
    >>> mrio  # doctest: +ELLIPSIS
    <gridfoot.MRIO: 2 regions x 1 sectors = 2 producers, ..., stressors CO2 [t], x balanced>
    >>> mrio.x.tolist()
    [100.0, 100.0]
    """

    Z: pd.DataFrame
    Y: pd.DataFrame
    F: pd.DataFrame
    F_Y: pd.DataFrame
    x: pd.Series
    units: pd.Series
    countries: pd.Series
    monetary_unit: str
    x_source: XSource
    nesting: NestReport | None = None

    def __post_init__(self) -> None:
        _check_canonical(self)

    @classmethod
    def from_tables(
        cls,
        Z: pd.DataFrame,
        Y: pd.DataFrame,
        F: pd.DataFrame,
        F_Y: pd.DataFrame | None = None,
        x: pd.Series | Sequence[float] | np.ndarray | None = None,
        *,
        units: Mapping[str, str] | pd.Series | None = None,
        countries: Mapping[str, str] | pd.Series | None = None,
        monetary_unit: str = "",
        zero_output: ZeroOutputPolicy = "warn",
        allow_negative_emissions: bool = False,
    ) -> MRIO:
        """Check the tables, put them in canonical order and build the system.

        Parameters
        ----------
        Z : DataFrame
            Intermediate flows; index and columns ``(region, sector)``.
        Y : DataFrame
            Final demand; index ``(region, sector)``, columns ``(region, category)``.
            Negative entries (inventory change) are legal.
        F : DataFrame
            Direct emissions of producers; index stressor (a multi-level index is joined with
            ``" | "``), columns ``(region, sector)``.
        F_Y : DataFrame, optional
            Direct emissions of final demand (households' own fuel); index stressor, columns
            ``(region, category)``. Absent rows or columns are zero.
        x : Series or array, optional
            Gross output per producer. When omitted it is the balanced ``Z·1 + Y·1``. A given
            ``x`` that differs from ``Z·1 + Y·1`` by more than rounding of the entries
            explains raises a :class:`~gridfoot.errors.BalanceWarning` naming the largest
            gaps. The accounts always use the ``x`` held here; the identities (``driven``
            sums to ``F``, world ``pba == cba``) are exact for a balanced ``x`` and off by the
            imbalance otherwise.
        units : mapping, optional
            Unit of each stressor, e.g. ``{"CO2": "kt"}``.
        countries : mapping, optional
            Region -> country (group). Sub-national regions nested in a global table
            (provinces in a world MRIO) name their country here; "domestic" and "foreign" are
            relative to these groups everywhere. By default every region is its own country.
        monetary_unit : str, optional
            Unit of Z, Y and x (e.g. ``"million USD"``); used in the units of multipliers.
        zero_output : {"warn", "raise", "ignore"}
            What to do when producers with ``x <= 0`` report emissions. Their coefficients are
            zero, so those emissions cannot be attributed and are left out of every account;
            ``excluded`` lists them.
        allow_negative_emissions : bool
            Negative ``F`` or ``F_Y`` are errors unless this is set (e.g. for sink accounts).

        Raises
        ------
        LabelError
            Labels that are duplicated or disagree between tables; the message names the
            table and the labels. Sector lists (and final-demand categories) may differ from
            region to region.
        ValueCheckError
            NaN, infinite, non-numeric or negative values, naming the table and the cells;
            emissions of idle producers with ``zero_output="raise"``.
        NonProductiveError
            ``I - A`` is singular or not productive.
        """
        check_choice(zero_output, "zero_output", ("warn", "raise", "ignore"))

        Z = _require_frame("Z", Z)
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
        regions, _, producers = _canonical_order(rows)
        z_values = _numeric("Z", Z)
        _check_finite("Z", z_values, rows, cols)
        _check_non_negative("Z", z_values, rows, cols)
        z_frame = pd.DataFrame(z_values, index=rows, columns=cols)
        z_frame = z_frame.reindex(index=producers, columns=producers)
        order = rows.get_indexer(producers)

        Y = _require_frame("Y", Y)
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
        *_, demand_columns = _canonical_order(y_cols, outer=regions)
        y_values = _numeric("Y", Y)
        _check_finite("Y", y_values, y_rows, y_cols)
        y_frame = pd.DataFrame(y_values, index=y_rows, columns=y_cols)
        y_frame = y_frame.reindex(index=producers, columns=demand_columns)

        F = _require_frame("F", F)
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
        if not allow_negative_emissions:
            _check_non_negative("F", f_values, stressors, f_cols, hint)
        f_frame = pd.DataFrame(f_values, index=stressors, columns=f_cols).reindex(columns=producers)

        if F_Y is None:
            fy_frame = pd.DataFrame(0.0, index=stressors, columns=demand_columns)
        else:
            FY = _require_frame("F_Y", F_Y)
            fy_index = flatten_labels(FY.index)
            fy_cols = _string_pairs(FY.columns, "F_Y", "columns", ("region", "category"))
            fy_values = _numeric("F_Y", FY)
            _check_finite("F_Y", fy_values, fy_index, fy_cols)
            if not allow_negative_emissions:
                _check_non_negative("F_Y", fy_values, fy_index, fy_cols, hint)
            fy_frame = _reindex_subset(
                "F_Y",
                pd.DataFrame(fy_values, index=fy_index, columns=fy_cols),
                stressors,
                demand_columns,
                "rows must be stressors of F, columns those of Y",
            )

        balanced = z_frame.to_numpy().sum(axis=1) + y_frame.to_numpy().sum(axis=1)
        x_source: XSource
        if x is None:
            x_values, x_source = balanced, "balanced"
        else:
            x_values, x_source = _given_output(x, rows, producers, order), "given"
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
                    stacklevel=2,
                )

        mrio = cls(
            Z=z_frame,
            Y=y_frame,
            F=f_frame,
            F_Y=fy_frame,
            x=pd.Series(x_values, index=producers, name="x"),
            units=_unit_series(units, stressors),
            countries=_country_series(countries, regions),
            monetary_unit=str(monetary_unit),
            x_source=x_source,
        )
        _check_zero_output(mrio, zero_output)
        _check_productive(mrio)
        return mrio

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
        """Sectors, in table order: every sector of any region (the union when sector lists
        differ by region, see :attr:`uniform`)."""
        return pd.Index(pd.unique(self.producers.get_level_values("sector")), name="sector")

    @property
    def categories(self) -> pd.Index:
        """Final-demand categories, in table order (the union over regions)."""
        return pd.Index(pd.unique(self.Y.columns.get_level_values("category")), name="category")

    @property
    def uniform(self) -> bool:
        """Whether every region has the same sectors and the same final-demand categories.

        When not (provinces nested beside countries), labelled results are laid out on the
        full region x sector product, with zeros for the pairs a region lacks.
        """
        return len(self.producers) == len(self.regions) * len(self.sectors) and len(
            self.Y.columns
        ) == len(self.regions) * len(self.categories)

    def sectors_of(self, region: str) -> pd.Index:
        """The sectors of one region, in table order.

        Examples
        --------
        >>> from gridfoot.datasets import textbook_mrio
        >>> textbook_mrio().sectors_of("A").tolist()
        ['goods']
        """
        if region not in self.regions:
            raise LabelError(f"unknown region {region!r}; known: {format_labels(self.regions)}")
        return pd.Index(
            self.producers[self.producers.get_level_values(0) == region].get_level_values(1),
            name="sector",
        )

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
        """A copy with a different region -> country grouping (the factorisation is kept).

        ``countries`` is checked as :meth:`from_tables` checks it.
        """
        copy = dataclasses.replace(self, countries=_country_series(countries, self.regions))
        if "leontief" in self.__dict__:
            copy.__dict__["leontief"] = self.__dict__["leontief"]
        return copy

    def with_nesting(self, report: NestReport) -> MRIO:
        """A copy that records how it was nested (the factorisation is kept)."""
        copy = dataclasses.replace(self, nesting=report)
        if "leontief" in self.__dict__:
            copy.__dict__["leontief"] = self.__dict__["leontief"]
        return copy

    # -- display --------------------------------------------------------------------------

    def _summary(self) -> dict[str, str]:
        stressors = ", ".join(f"{s} [{u}]" if u else s for s, u in self.units.items())
        groups = self.countries.nunique()
        if self.uniform:
            sectors = f"{len(self.sectors)} sectors"
        else:
            counts = self.producers.get_level_values(0).value_counts()
            sectors = f"{counts.min()}-{counts.max()} of {len(self.sectors)} sectors"
        summary = {
            "producers": f"{len(self.regions)} regions x {sectors} = "
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
        if self.nesting is not None:
            summary["nesting"] = self.nesting.describe()
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
