"""The one writer: a study's result becomes a folder, with one summary and one report.

Every study (grid, hotspots, urban) writes through :func:`write_study` inside
:func:`gridfoot.io.output.output_folder` (absent, empty or its own folder only; all or
nothing). The products come first, then ``summary.json`` (one schema for every study, see
:func:`summary_document`) and ``report.html`` (one template), both from the result itself:
nothing is read back from the files just written.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import json
import math
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from gridfoot.workflows.products import Figure, File, Raster, Report, Table

__all__ = ["Study", "input_records", "jsonable", "summary_document", "write_study"]

#: Inputs larger than this are listed with their size but not hashed (a cube of many GB).
_HASH_LIMIT = 256 * 2**20


class Study(Protocol):
    """What the writer needs of a study's result."""

    study: str  # "grid", "hotspots" or "urban"
    input_files: tuple[Path, ...]
    figure_formats: tuple[str, ...]

    def products(self) -> Sequence[Table | Raster | Figure | File]: ...
    def summary_options(self) -> dict[str, Any]: ...
    def summary_results(self) -> dict[str, Any]: ...
    def report(self) -> Report: ...


def jsonable(value: Any) -> Any:
    """``value`` with numpy scalars, NaN (None), paths and tuples made JSON-friendly."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray | pd.Index):
        return [jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _sha256(path: Path) -> str:
    # a run hashes its inputs twice (the cache's keys, then summary.json): 0.5 s for R1's
    # tables; a file rewritten in between has another size, time or inode, so another key
    stat = path.stat()
    return _file_sha256(str(path.resolve()), stat.st_size, stat.st_mtime_ns, stat.st_ino)


@functools.lru_cache(maxsize=256)
def _file_sha256(path: str, size: int, modified: int, inode: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def input_records(paths: Iterable[Path]) -> list[dict[str, Any]]:
    """Every input file (a folder's or store's files one by one) with its size and SHA-256,
    so a reader of the results can tell which data made them."""
    records = []
    for path in paths:
        path = Path(path)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            size = file.stat().st_size
            digest = _sha256(file) if size <= _HASH_LIMIT else f"not hashed ({size:,} bytes)"
            records.append({"file": str(file), "bytes": size, "sha256": digest})
    return records


def summary_document(
    result: Study,
    files: Sequence[str],
    timings: Mapping[str, float],
    report: Report | None = None,
    scheduler: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``summary.json`` of every study: the same keys in the same order.

    ``gridfoot`` (version), ``study``, ``title``, ``options`` (what was asked), ``results``
    (the key figures, study-specific), ``inputs`` (files, sizes, SHA-256), ``files`` (what
    the folder holds), ``timings_s`` and ``scheduler``: where dask's work ran
    (:meth:`gridfoot.workflows.scheduler.Scheduler.describe`; null for a study without dask
    work). ``report``: the result's, when already built.
    """
    from gridfoot._version import __version__

    return jsonable(
        {
            "gridfoot": __version__,
            "study": result.study,
            "title": (report or result.report()).title,
            "options": result.summary_options(),
            "results": result.summary_results(),
            "inputs": input_records(result.input_files),
            "files": list(files),
            "timings_s": {k: round(v, 3) for k, v in timings.items()},
            "scheduler": dict(scheduler) if scheduler is not None else None,
        }
    )


def _write_product(product: Any, folder: Path, formats: Sequence[str]) -> tuple[list[Path], Any]:
    """Write one product; return the paths written and, for a figure, its preview."""
    from gridfoot.io import write_csv, write_geotiff

    path = folder / product.path
    if isinstance(product, Table):
        return [write_csv(product.frame, path)], None
    if isinstance(product, Raster):
        written = write_geotiff(
            product.layer,
            path,
            product.band_dim,
            nodata=product.nodata,
            dtype=product.dtype,
            mask_sea=product.mask_sea,
            names=product.names,
        )
        return [written], None
    if isinstance(product, Figure):
        import matplotlib.pyplot as plt

        from gridfoot.plot.style import save_figure_with_preview

        fig = product.draw()
        try:
            return save_figure_with_preview(fig, path, formats)
        finally:
            plt.close(fig)
    if isinstance(product, File):
        path.parent.mkdir(parents=True, exist_ok=True)
        written = product.write(path)
        if written is None:
            return [path], None
        return [Path(p) for p in (written if isinstance(written, list) else [written])], None
    raise TypeError(f"not a product: {product!r}")


def stages(geotiffs: bool) -> list[str]:
    """The stages of :func:`write_study`, for a
    :class:`~gridfoot.workflows.progress.Progress`: the files (tables, stores, netCDF), the
    figures (with ``geotiffs``, "figures and GeoTIFFs": the GeoTIFFs are written while the
    figures are drawn), then the summary and report."""
    return ["files", "figures and GeoTIFFs" if geotiffs else "figures", "report"]


@contextlib.contextmanager
def _rasters_meanwhile(rasters: Sequence[Raster], folder: Path) -> Iterator[list[Path]]:
    """Write the GeoTIFFs two at a time on other threads while the block runs (GDAL
    compresses and writes without holding Python's lock; a national run has a hundred of
    them, and matplotlib draws the figures in this thread meanwhile); the list holds their
    paths once the block is done and every GeoTIFF is written.

    All or nothing: the first failed GeoTIFF's error (in their order) is raised, or the
    block's; either way the GeoTIFFs not started are cancelled and those being written are
    finished before the error leaves, so nothing writes into the folder afterwards. Their
    standard error is captured once for all (:mod:`gridfoot.io.raster`).
    """
    written: list[Path] = []
    if not rasters:
        yield written
        return
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    workers = min(len(rasters), os.cpu_count() or 1, 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:  # its exit waits for the threads
        futures = [pool.submit(_write_product, raster, folder, ()) for raster in rasters]
        try:
            yield written
            wait(futures, return_when=FIRST_EXCEPTION)
            for future in futures:
                written += future.result()[0]
        finally:
            for future in futures:
                future.cancel()


def write_study(
    result: Study,
    folder: Path,
    *,
    out: Path,
    progress: Any = None,
    scheduler: Callable[[], Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """Write ``result`` into ``folder`` (a staging folder); return its summary
    (``summary.json``, whose ``files`` lists what was written).

    ``out`` is where the folder will be (named in the report); ``progress`` a
    :class:`~gridfoot.workflows.progress.Progress` with the stages of :func:`stages` (its
    timings go into ``summary.json``); ``scheduler`` describes where dask's
    work ran, called once the files are written
    (:meth:`gridfoot.workflows.scheduler.Scheduler.describe`).
    """

    def stage(name: str) -> Any:
        return progress.stage(name) if progress is not None else contextlib.nullcontext()

    written: list[Path] = []
    previews: dict[str, bytes] = {}
    products = list(result.products())
    rasters = [p for p in products if isinstance(p, Raster)]
    writing, drawing, reporting = stages(bool(rasters))
    with stage(writing):
        for product in products:
            if isinstance(product, Figure | Raster):
                continue
            # dask work while writing (a cube streams) shows in the same display
            tasks = progress.dask(product.path) if progress is not None else None
            with tasks or contextlib.nullcontext():
                written += _write_product(product, folder, result.figure_formats)[0]
    # after the cube, whose chunks are the peak of the files: the GeoTIFFs add little memory.
    # Nothing is shown while they are written: their standard error is being captured.
    with stage(drawing), _rasters_meanwhile(rasters, folder) as geotiffs:
        for product in products:
            if isinstance(product, Figure):
                paths, previews[product.path] = _write_product(
                    product, folder, result.figure_formats
                )
                written += paths
    written += geotiffs
    with stage(reporting):
        files = sorted({_relative(p, folder) for p in written} | {"summary.json", "report.html"})
        timings = dict(progress.timings) if progress is not None else {}
        report = result.report()  # built once: its title heads summary.json and the page
        ran_on = scheduler() if scheduler is not None else None
        summary = summary_document(result, files, timings, report, ran_on)
        _write_text(folder / "summary.json", json.dumps(summary, indent=2, ensure_ascii=False))
        captions = {p.path: p.caption for p in products if isinstance(p, Figure)}
        page = render_report(report, summary, previews, captions, out)
        _write_text(folder / "report.html", page)
    return summary


def _relative(path: Path, folder: Path) -> str:
    relative = Path(path).relative_to(folder)
    # a store (cube.zarr) is one product, not its thousands of chunk files
    return relative.as_posix() + ("/" if Path(path).is_dir() else "")


def _write_text(path: Path, text: str) -> None:
    from gridfoot.io import atomic_file

    with atomic_file(path) as temporary:
        temporary.write_text(text + "\n", encoding="utf-8")


def _number(value: float) -> str:
    """Tonnes read as 2,295,897, shares and intensities as 0.7326 or 9.58."""
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _html_table(frame: pd.DataFrame, rows: int) -> str:
    index = not isinstance(frame.index, pd.RangeIndex)
    table = frame.head(rows).to_html(
        index=index, float_format=_number, border=0, classes="data", na_rep=""
    )
    return f'<div class="wide">{table}</div>'  # scrolls sideways rather than overflow


def render_report(
    report: Report,
    summary: Mapping[str, Any],
    previews: Mapping[str, bytes],
    captions: Mapping[str, str],
    out: Path,
) -> str:
    """The HTML page of a study, from its :class:`Report` and summary (jinja2 template
    ``templates/report.html.j2``; every value is escaped)."""
    import jinja2
    from markupsafe import Markup

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("gridfoot.workflows", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    sections = [
        {
            "title": section.title,
            "text": section.text,
            "tables": [
                (caption, Markup(_html_table(frame, section.rows)), len(frame))
                for caption, frame in section.tables
            ],
            "rows": section.rows,
            "figures": [
                {
                    "caption": captions.get(name, name),
                    "src": "data:image/png;base64," + base64.b64encode(previews[name]).decode(),
                }
                for name in section.figures
                if name in previews
            ],
        }
        for section in report.sections
    ]
    return environment.get_template("report.html.j2").render(
        report=report,
        sections=sections,
        summary=summary,
        out=str(out),
    )
