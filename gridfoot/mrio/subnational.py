"""A sub-national input-output table (China's provinces, say), ready to nest into a world MRIO.

:class:`SubnationalTable` holds the pieces a provincial MRIO such as CEADs' provides: flows among
its regions, their domestic final demand, their exports abroad by (region, sector) and their
imports from abroad by using column, and a satellite account. Sector lists may differ from
region to region; a concordance maps the table's sectors to the host MRIO's classification when
they differ. :func:`gridfoot.mrio.nest.nest` joins it to a host :class:`~gridfoot.MRIO`.

This module knows nothing about files: :func:`gridfoot.read_subnational` builds tables from
folders of tables, :func:`gridfoot.read_ceads` from CEADs workbooks.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gridfoot.checks import check_field_types
from gridfoot.errors import LabelError, ValueCheckError, format_labels

__all__ = ["EXPORT_COLUMNS", "IMPORT_COLUMNS", "SubnationalTable", "check_concordance"]

#: Columns of :attr:`SubnationalTable.exports` (``partner`` is ``""`` when not known).
EXPORT_COLUMNS = ["region", "sector", "partner", "value"]
#: Columns of :attr:`SubnationalTable.imports` (``product``, ``partner``: ``""`` when not known).
IMPORT_COLUMNS = ["region", "user", "product", "partner", "value"]
#: Columns of :attr:`SubnationalTable.concordance`.
CONCORDANCE_COLUMNS = ["sector", "host_sector", "share"]


def _pairs(index: pd.Index, table: str, axis: str, names: tuple[str, str]) -> pd.MultiIndex:
    if not isinstance(index, pd.MultiIndex) or index.nlevels != 2:
        raise LabelError(f"{table}: the {axis} must be a two-level index ({', '.join(names)})")
    pairs = pd.MultiIndex.from_tuples([(str(a), str(b)) for a, b in index], names=list(names))
    if pairs.has_duplicates:
        raise LabelError(
            f"{table}: duplicated {axis} labels {format_labels(pairs[pairs.duplicated()])}"
        )
    return pairs


def _values(table: str, frame: pd.DataFrame, non_negative: bool = False) -> np.ndarray:
    try:
        values = frame.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueCheckError(f"{table}: non-numeric values") from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise ValueCheckError(f"{table}: {int(bad.sum())} NaN or infinite value(s)")
    if non_negative and (values < 0).any():
        where = [
            f"{format_labels([frame.index[i]])} x {format_labels([frame.columns[j]])}"
            for i, j in np.argwhere(values < 0)
        ]
        raise ValueCheckError(f"{table}: negative value(s) at {format_labels(where, 5)}")
    return values


def _long(
    table: str, frame: pd.DataFrame, columns: list[str], optional: tuple[str, ...]
) -> pd.DataFrame:
    frame = frame.copy()
    for column in optional:
        if column not in frame.columns:
            frame[column] = ""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise LabelError(
            f"{table}: missing column(s) {format_labels(missing)}; "
            f"it has {format_labels(frame.columns)}"
        )
    out = frame[columns].copy()
    for column in columns[:-1]:
        out[column] = out[column].fillna("").astype(str)
    out["value"] = pd.to_numeric(out["value"], errors="coerce")
    if out["value"].isna().any() or not np.isfinite(out["value"]).all():
        rows = np.flatnonzero(~np.isfinite(out["value"].to_numpy(dtype=float, na_value=np.nan)))
        raise ValueCheckError(
            f"{table}: non-numeric, missing or infinite value in row(s) "
            f"{format_labels(rows + 1, 6)} (counted from 1)"
        )
    return out.reset_index(drop=True)


def _unique_keys(table: str, frame: pd.DataFrame, keys: list[str]) -> None:
    """Each key (``region, sector, partner`` of an export, say) is given once."""
    repeated = frame.duplicated(keys, keep=False).to_numpy()
    if repeated.any():
        rows = np.flatnonzero(repeated) + 1
        labels = dict.fromkeys(frame.loc[repeated, keys].itertuples(index=False, name=None))
        shown = [tuple(label for label in key if label) for key in labels]
        raise LabelError(
            f"{table}: the same ({', '.join(keys)}) is given more than once: "
            f"{format_labels(shown, 5)} (row(s) {format_labels(rows, 6)}, counted from 1)"
        )


def _differences(a: pd.Index, a_name: str, b: pd.Index, b_name: str) -> str:
    """What one list of labels has that the other lacks, for a message."""
    return (
        f"{a_name} only: {format_labels(a.difference(b, sort=False)) or 'none'}; "
        f"{b_name} only: {format_labels(b.difference(a, sort=False)) or 'none'}"
    )


def check_concordance(
    concordance: pd.DataFrame, sectors: Iterable[str], where: str = ""
) -> pd.DataFrame:
    """``sector, host_sector, share`` checked against the table's ``sectors``: every sector
    named and nothing else, shares >= 0 summing to 1 per sector (``share`` defaults to 1).
    ``where`` starts every message (``"<file>: "``)."""
    missing_columns = [c for c in ("sector", "host_sector") if c not in concordance]
    if missing_columns:
        raise LabelError(
            f"{where}concordance: missing column(s) {format_labels(missing_columns)}; "
            f"it has {format_labels(concordance.columns)}"
        )
    table = concordance.copy()
    if "share" not in table.columns:
        table["share"] = 1.0
    table = _long(
        f"{where}concordance",
        table[["sector", "host_sector", "share"]].rename(columns={"share": "value"}),
        ["sector", "host_sector", "value"],
        (),
    ).rename(columns={"value": "share"})
    _unique_keys(f"{where}concordance", table, ["sector", "host_sector"])
    sectors = set(map(str, sectors))
    unknown = sorted(set(table["sector"]) - sectors)
    missing = sorted(sectors - set(table["sector"]))
    if unknown or missing:
        raise LabelError(
            f"{where}concordance: it must name every sector of the table and nothing "
            f"else; missing {format_labels(missing) or 'none'}; "
            f"unknown {format_labels(unknown) or 'none'}"
        )
    negative = table[table["share"] < 0]
    if len(negative):
        raise ValueCheckError(
            f"{where}concordance: shares must be >= 0; negative for "
            + format_labels(
                f"{a} -> {b} ({v:g})" for a, b, v in negative.itertuples(index=False, name=None)
            )
        )
    sums = table.groupby("sector", sort=False)["share"].sum()
    off = sums[(sums - 1.0).abs() > 1e-9]
    if len(off):
        raise ValueCheckError(
            f"{where}concordance: the shares of each sector must sum to 1; "
            f"they do not for {format_labels(f'{s} ({v:g})' for s, v in off.items())}"
        )
    return table


@dataclass(frozen=True, eq=False, repr=False)
class SubnationalTable:
    """A sub-national multi-regional table, to be nested into a host MRIO.

    Build one with :meth:`from_tables` (or :func:`gridfoot.read_subnational`). All money
    values are in :attr:`monetary_unit`; emissions in :attr:`units`.

    Attributes
    ----------
    Z : DataFrame
        Flows among the table's regions: index and columns the producers ``(region, sector)``
        (sector lists may differ by region), region-major.
    Y : DataFrame
        Domestic final demand: index the producers, columns ``(region, category)``.
    exports : DataFrame
        Sales abroad, long: ``region, sector, partner, value``; ``partner`` is a host region
        when exports by destination are known and ``""`` otherwise.
    imports : DataFrame
        Purchases from abroad by using column, long: ``region, user, product, partner, value``;
        ``user`` is a sector or a final-demand category of ``region``; ``product`` (a host
        sector) and ``partner`` (a host region) are ``""`` when not known.
    F : DataFrame
        Direct emissions of the producers: index stressor, columns the producers.
    F_Y : DataFrame
        Direct emissions of final demand (households' own fuel): index stressor, columns
        those of ``Y``.
    units : Series
        Unit of each stressor, indexed by stressor.
    concordance : DataFrame or None
        ``sector, host_sector, share``: how each of the table's sectors maps to the host's
        classification (shares of a table sector sum to 1). ``None`` when the table uses the
        host's sector codes.
    monetary_unit : str
        Unit of ``Z``, ``Y``, exports and imports (``""`` when unknown).
    source : str
        Where the table came from (a path, or ``""``), named in messages.
    """

    Z: pd.DataFrame
    Y: pd.DataFrame
    exports: pd.DataFrame
    imports: pd.DataFrame
    F: pd.DataFrame
    F_Y: pd.DataFrame
    units: pd.Series
    concordance: pd.DataFrame | None
    monetary_unit: str
    source: str

    def __post_init__(self) -> None:
        check_field_types(
            self,
            {
                "Z": pd.DataFrame,
                "Y": pd.DataFrame,
                "exports": pd.DataFrame,
                "imports": pd.DataFrame,
                "F": pd.DataFrame,
                "F_Y": pd.DataFrame,
                "units": pd.Series,
                "concordance": pd.DataFrame,
                "monetary_unit": str,
                "source": str,
            },
            "; build a table with SubnationalTable.from_tables(...)",
            optional=("concordance",),
        )

    @classmethod
    def from_tables(
        cls,
        Z: pd.DataFrame,
        Y: pd.DataFrame,
        exports: pd.DataFrame,
        imports: pd.DataFrame,
        F: pd.DataFrame | None = None,
        F_Y: pd.DataFrame | None = None,
        *,
        units: Mapping[str, str] | pd.Series | None = None,
        concordance: pd.DataFrame | None = None,
        monetary_unit: str = "",
        source: str = "",
    ) -> SubnationalTable:
        """Check the pieces and build the table.

        Parameters follow the attributes; ``exports`` may omit ``partner`` and ``imports``
        may omit ``product`` and ``partner``; ``F`` and ``F_Y`` default to no stressors
        (nest then needs an emissions proxy), ``concordance`` may omit ``share`` (1).
        """
        where = f"{source}: " if source else ""
        rows = _pairs(Z.index, f"{where}Z", "index", ("region", "sector"))
        cols = _pairs(Z.columns, f"{where}Z", "columns", ("region", "sector"))
        if not rows.sort_values().equals(cols.sort_values()):
            raise LabelError(
                f"{where}Z: index and columns name different producers; "
                + _differences(rows, "index", cols, "columns")
            )
        regions = pd.Index(pd.unique(rows.get_level_values(0)), name="region")
        order = np.argsort(regions.get_indexer(rows.get_level_values(0)), kind="stable")
        producers = rows[order]
        z = pd.DataFrame(_values(f"{where}Z", Z, non_negative=True), index=rows, columns=cols)
        z = z.reindex(index=producers, columns=producers)

        y_rows = _pairs(Y.index, f"{where}Y", "index", ("region", "sector"))
        y_cols = _pairs(Y.columns, f"{where}Y", "columns", ("region", "category"))
        if not y_rows.sort_values().equals(producers.sort_values()):
            raise LabelError(
                f"{where}Y: its index and Z's name different producers; "
                + _differences(y_rows, "Y", producers, "Z")
            )
        unknown = pd.Index(y_cols.get_level_values(0)).difference(regions)
        if len(unknown):
            raise LabelError(f"{where}Y: final demand of unknown regions {format_labels(unknown)}")
        clash = y_cols.intersection(producers, sort=False)
        if len(clash):
            raise LabelError(
                f"{where}Y: final-demand categories named like a sector of their region: "
                f"{format_labels(clash)}; imports by user and emissions of final demand could "
                "not tell them apart, rename the categories"
            )
        y_order = np.argsort(regions.get_indexer(y_cols.get_level_values(0)), kind="stable")
        demand = y_cols[y_order]
        y = pd.DataFrame(_values(f"{where}Y", Y), index=y_rows, columns=y_cols)
        y = y.reindex(index=producers, columns=demand)

        ex = _long(f"{where}exports", exports, EXPORT_COLUMNS, ("partner",))
        _unique_keys(f"{where}exports", ex, EXPORT_COLUMNS[:-1])
        known = pd.MultiIndex.from_frame(ex[["region", "sector"]]).isin(producers)
        if not known.all():
            bad = ex.loc[~known, ["region", "sector"]].drop_duplicates()
            raise LabelError(
                f"{where}exports: unknown producers "
                f"{format_labels(bad.itertuples(index=False, name=None))}"
            )
        im = _long(f"{where}imports", imports, IMPORT_COLUMNS, ("product", "partner"))
        _unique_keys(f"{where}imports", im, IMPORT_COLUMNS[:-1])
        users = set(producers) | set(demand)
        known = [(r, u) in users for r, u in zip(im["region"], im["user"], strict=True)]
        if not all(known):
            bad = im.loc[~np.asarray(known), ["region", "user"]].drop_duplicates()
            raise LabelError(
                f"{where}imports: users that are neither a sector nor a final-demand category "
                f"of their region: {format_labels(bad.itertuples(index=False, name=None))}"
            )

        if F is None:
            F = pd.DataFrame(index=pd.Index([], name="stressor"), columns=producers, dtype=float)
        stressors = pd.Index([str(s) for s in F.index], name="stressor")
        f_cols = _pairs(F.columns, f"{where}F", "columns", ("region", "sector"))
        f = pd.DataFrame(_values(f"{where}F", F), index=stressors, columns=f_cols)
        unknown = f_cols.difference(producers)
        if len(unknown):
            raise LabelError(f"{where}F: emissions of unknown producers {format_labels(unknown)}")
        f = f.reindex(columns=producers, fill_value=0.0)
        if F_Y is None:
            fy = pd.DataFrame(0.0, index=stressors, columns=demand)
        else:
            fy_cols = _pairs(F_Y.columns, f"{where}F_Y", "columns", ("region", "category"))
            fy = pd.DataFrame(
                _values(f"{where}F_Y", F_Y),
                index=pd.Index([str(s) for s in F_Y.index], name="stressor"),
                columns=fy_cols,
            )
            unknown = [*fy_cols.difference(demand), *fy.index.difference(stressors)]
            if unknown:
                raise LabelError(
                    f"{where}F_Y: columns must be final-demand columns of Y and rows stressors "
                    f"of F; unknown: {format_labels(unknown)}"
                )
            fy = fy.reindex(index=stressors, columns=demand, fill_value=0.0)
        unit_map = {} if units is None else {str(k): str(v) for k, v in dict(units).items()}
        unit_series = pd.Series(
            [unit_map.get(s, "") for s in stressors], index=stressors, name="unit", dtype=object
        )

        table_concordance = (
            None
            if concordance is None
            else check_concordance(concordance, producers.get_level_values(1), where)
        )
        return cls(
            Z=z,
            Y=y,
            exports=ex,
            imports=im,
            F=f,
            F_Y=fy,
            units=unit_series,
            concordance=table_concordance,
            monetary_unit=str(monetary_unit),
            source=str(source),
        )

    # -- labels ---------------------------------------------------------------------------

    @property
    def producers(self) -> pd.MultiIndex:
        """The ``(region, sector)`` producers, region-major."""
        return self.Z.index

    @property
    def regions(self) -> pd.Index:
        """The table's regions, in order."""
        return pd.Index(pd.unique(self.producers.get_level_values(0)), name="region")

    @property
    def sectors(self) -> pd.Index:
        """Every sector of the table (the union over regions), in order."""
        return pd.Index(pd.unique(self.producers.get_level_values(1)), name="sector")

    @property
    def stressors(self) -> pd.Index:
        return self.F.index

    @property
    def x(self) -> pd.Series:
        """Gross output ``Z·1 + Y·1 + exports`` per producer."""
        sold = self.exports.groupby(["region", "sector"])["value"].sum()
        exports = sold.reindex(self.producers, fill_value=0.0).to_numpy()
        values = self.Z.to_numpy().sum(axis=1) + self.Y.to_numpy().sum(axis=1) + exports
        return pd.Series(values, index=self.producers, name="x")

    def __repr__(self) -> str:
        counts = self.producers.get_level_values(0).value_counts()
        sectors = (
            f"{counts.iloc[0]} sectors"
            if counts.nunique() == 1
            else f"{counts.min()}-{counts.max()} sectors"
        )
        return (
            f"<gridfoot.SubnationalTable: {len(self.regions)} regions x {sectors} = "
            f"{len(self.producers)} producers, exports {self.exports['value'].sum():,.6g}, "
            f"imports {self.imports['value'].sum():,.6g} {self.monetary_unit}".rstrip()
            + (f", stressors {', '.join(self.stressors)}" if len(self.stressors) else "")
            + ">"
        )

    def _repr_html_(self) -> str:
        return f"<code>{html.escape(repr(self))}</code>"
