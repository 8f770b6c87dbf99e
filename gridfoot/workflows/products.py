"""What a study puts in its folder, described before anything is written.

A study's result lists its products (:class:`Table`, :class:`Raster`, :class:`Figure`,
:class:`File`) and its report (:class:`Report`, :class:`Section`); the one writer
(:func:`gridfoot.workflows.writer.write_study`) turns them into files. Paths are relative to
the output folder and spelled the same in every study: ``summary.json``, ``report.html``,
``hubs.csv``, ``concentration.csv``, ``geotiff/``, ``figures/``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import xarray as xr

__all__ = ["Figure", "File", "Raster", "Report", "Section", "Table"]


@dataclass(frozen=True, eq=False)
class Table:
    """A CSV file (UTF-8, tidy where it can be)."""

    path: str
    frame: pd.DataFrame


@dataclass(frozen=True, eq=False)
class Raster:
    """A Cloud-Optimised GeoTIFF of a layer (see :func:`gridfoot.io.write_geotiff`)."""

    path: str
    layer: xr.DataArray
    band_dim: str | None = None
    nodata: float = float("nan")
    dtype: str | None = None
    mask_sea: bool = True
    names: Mapping[str, str] | None = None


@dataclass(frozen=True, eq=False)
class Figure:
    """A figure, drawn once by ``draw`` and saved in every configured format."""

    path: str  # without suffix: figures/total_map -> .png, .pdf, .svg
    draw: Callable[[], Any]
    caption: str


@dataclass(frozen=True, eq=False)
class File:
    """Any other file or store: ``write(path)`` writes it (NetCDF, Zarr, TOML ...)."""

    path: str
    write: Callable[[Path], Any]


@dataclass(frozen=True, eq=False)
class Section:
    """A section of the report: paragraphs, tables (caption, frame) and figures (by path)."""

    title: str
    text: tuple[str, ...] = ()
    tables: tuple[tuple[str, pd.DataFrame], ...] = ()
    figures: tuple[str, ...] = ()
    rows: int = 12  # rows of each table shown; the CSV has them all


@dataclass(frozen=True, eq=False)
class Report:
    """The report page of a study, rendered by the one template (``report.html``)."""

    title: str
    lead: tuple[str, ...]
    key_figures: tuple[tuple[str, str], ...]
    sections: tuple[Section, ...] = ()
    repeat: str | None = None  # the command that repeats the study
