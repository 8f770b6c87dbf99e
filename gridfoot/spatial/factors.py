"""Emission factors: emissions per unit of a point's weight when the weight is a capacity.

A leaf (no numpy or pandas at import): the run configuration reads factors into this class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from gridfoot.errors import ConfigError, format_labels

__all__ = ["EmissionFactor"]


@dataclass(frozen=True)
class EmissionFactor:
    """Emissions per unit of a point's weight (e.g. t CO2 per t of BOF steel capacity).

    One factor for every point (``value``), or a factor by the value of a column
    (``column`` and ``values``, e.g. the steel route: BOF, EAF, BF), with ``default`` for
    values not listed (without it such rows are invalid). ``units`` and ``source`` say what
    the factor means and where it comes from; the run's report states them.

    Examples
    --------
    >>> import pandas as pd
    >>> route = EmissionFactor(column="route", values={"BOF": 2.2, "EAF": 0.6})
    >>> route.per_row(pd.DataFrame({"route": ["BOF", "EAF", "DRI"]}), "plants.csv")
    array([2.2, 0.6, nan])
    >>> EmissionFactor(value=1.5).describe()
    '1.5'
    """

    value: float | None = None
    column: str | None = None
    values: dict[str, float] = field(default_factory=dict)
    default: float | None = None
    units: str = ""
    source: str = ""

    def __post_init__(self) -> None:
        if (self.value is None) == (self.column is None):
            raise ConfigError(
                "factor: give value (one factor for every point) or column and values (a "
                "factor by the value of a column), not both"
            )
        if self.column is not None and not self.values:
            raise ConfigError(f"factor.values: list the factor of each value of {self.column!r}")
        if self.value is not None and (self.values or self.default is not None):
            raise ConfigError("factor.values and factor.default go with factor.column")
        numbers = {"value": self.value, "default": self.default, **self.values}
        for key, number in numbers.items():
            if number is not None and not (math.isfinite(number) and number >= 0):
                raise ConfigError(f"factor {key}: must be a finite number >= 0, got {number}")

    def per_row(self, frame: Any, origin: str) -> Any:
        """The factor of every row of ``frame``; NaN where its column's value has none."""
        import numpy as np

        if self.value is not None:
            return np.full(len(frame), float(self.value))
        if self.column not in frame.columns:
            raise ConfigError(
                f"{origin}: no column {self.column!r} for the emission factor (factor.column); "
                f"columns: {format_labels(map(str, frame.columns), 20)}"
            )
        keys = frame[self.column].astype("str").str.strip()
        default = np.nan if self.default is None else float(self.default)
        return keys.map(self.values).astype(float).fillna(default).to_numpy()

    def describe(self) -> str:
        """The factors in a line: ``'BOF 2.2, EAF 0.6 (others 1) t CO2 per t steel'``."""
        if self.value is not None:
            text = f"{self.value:g}"
        else:
            text = ", ".join(f"{k} {v:g}" for k, v in self.values.items())
            text = f"by {self.column}: {text}"
            if self.default is not None:
                text += f" (others {self.default:g})"
        text += f" {self.units}" if self.units else ""
        return text + (f" ({self.source})" if self.source else "")
