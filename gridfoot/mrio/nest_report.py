"""The record of a nesting: what :func:`gridfoot.nest` kept, spread, balanced and noted."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["NestReport"]


@dataclass(frozen=True, eq=False)
class NestReport:
    """What :func:`nest` did: sizes, totals of the two tables, and every adjustment.

    Attributes
    ----------
    region : str
        The host region that was replaced.
    country : str
        Its country: the country of every region of the table in the result.
    regions : tuple of str
        The table's regions, now regions of the MRIO.
    balance : str
        ``"gras"`` or ``"none"``.
    emissions : str
        Where the regions' emissions came from: ``"table"`` (its satellite), ``"output"`` or
        ``"weights"`` (the host's emissions of ``region`` split by a proxy).
    exchange_rate : float
        Host monetary units per unit of the table's.
    estimate : bool
        True when the table was itself estimated (:func:`gridfoot.regionalise`): every result
        made from this MRIO is an estimate.
    totals : DataFrame
        Rows ``output``, ``exports``, ``imports`` and one per stressor (``emissions <name>``);
        columns ``host`` (the replaced region in the host), ``table`` (in host units) and
        ``nested`` (the table's regions in the result).
    blocks : DataFrame
        One row per trade block (``exports``, ``imports``): ``cells`` (non-zero cells of the
        prior), ``target_scale`` (table total / host total, the factor on the host's
        margins), ``gap_before`` (largest relative gap between the prior's and the target
        margins), ``iterations``, ``residual`` (largest absolute margin gap left),
        ``largest_change`` (largest relative change of a cell from the prior).
    changes : DataFrame
        The largest cell changes of each block: ``block, seller, buyer, prior, balanced,
        relative_change``.
    notes : tuple of str
        Everything else a reader should know (fallbacks, pooled categories, dropped
        purchases).
    concordance : DataFrame or None
        ``sector, host_sector, share``: the table's sectors in the host's classification, when
        they differ; :func:`gridfoot.hotspots.reclassify` puts any result in the host's sectors
        with it (a breakdown by sector across provinces and countries).
    method : str
        How the nested table was made: ``"table"`` (given, :func:`gridfoot.nest`) or the
        regionalisation method of :func:`gridfoot.regionalise` (``"flq"``, ``"slq"``,
        ``"cilq"``, ``"proportional"``).
    """

    region: str
    country: str
    regions: tuple[str, ...]
    balance: str
    emissions: str
    exchange_rate: float
    estimate: bool
    totals: pd.DataFrame
    blocks: pd.DataFrame
    changes: pd.DataFrame
    notes: tuple[str, ...] = field(default=())
    concordance: pd.DataFrame | None = None
    method: str = "table"

    def summary(self) -> dict[str, object]:
        """The report as plain values (for ``summary.json``)."""
        return {
            "region": self.region,
            "country": self.country,
            "regions": list(self.regions),
            "balance": self.balance,
            "emissions": self.emissions,
            "exchange_rate": self.exchange_rate,
            "estimate": self.estimate,
            "method": self.method,
            "totals": {
                str(k): {c: float(v) for c, v in row.items()} for k, row in self.totals.iterrows()
            },
            # by dict, not iterrows: a row of mixed columns would make every value a float
            "blocks": {
                str(k): {c: _plain(v) for c, v in row.items()}
                for k, row in self.blocks.to_dict(orient="index").items()
            },
            "notes": list(self.notes),
        }

    def describe(self) -> str:
        """One line: what replaced what, how, and whether it is an estimate."""
        how = "regionalised estimate" if self.estimate else "nested table"
        if self.method != "table":
            how += f" by {self.method}"
        return f"{self.region} replaced by {len(self.regions)} regions ({how}, {self.balance})"

    def __repr__(self) -> str:
        worst = self.blocks["largest_change"].max() if len(self.blocks) else 0.0
        kind = "estimated " if self.estimate else ""
        return (
            f"<gridfoot.NestReport: {self.region} replaced by {len(self.regions)} {kind}regions; "
            f"balance {self.balance}, largest cell change {worst:.3g}, "
            f"{len(self.notes)} note(s)>"
        )

    def _repr_html_(self) -> str:
        notes = "".join(f"<li>{html.escape(n)}</li>" for n in self.notes)
        return f"<b>{html.escape(repr(self))}</b>{self.totals.to_html()}{self.blocks.to_html()}" + (
            f"<ul>{notes}</ul>" if notes else ""
        )


def _plain(value: object) -> object:
    if isinstance(value, np.integer | int):
        return int(value)
    if isinstance(value, np.floating | float):
        return float(value)
    return str(value)
