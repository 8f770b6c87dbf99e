"""The one writer of every study: products, summary.json schema, report, progress display."""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path

import pandas as pd
import pytest

from gridfoot.errors import OutputError
from gridfoot.io.output import MARKER, output_folder
from gridfoot.workflows import writer
from gridfoot.workflows.products import File, Report, Section, Table
from gridfoot.workflows.progress import Progress
from gridfoot.workflows.writer import input_records, render_report, write_study

#: The top-level keys of every study's summary.json, in order.
SUMMARY_KEYS = [
    "gridfoot",
    "study",
    "title",
    "options",
    "results",
    "inputs",
    "files",
    "timings_s",
    "scheduler",
]


class _Tiny:
    """A study with one table, one file and a report whose text needs escaping."""

    study = "tiny"
    figure_formats = ("png",)

    def __init__(self, inputs: tuple[Path, ...] = (), fail: bool = False) -> None:
        self.input_files = inputs
        self.fail = fail

    def products(self):
        def note(path: Path) -> Path:
            if self.fail:
                raise OSError(28, "No space left on device", str(path))
            path.write_text("note")
            return path

        frame = pd.DataFrame({"zone": ["<b>West</b>"], "total": [1234567.0]})
        return [Table("zones.csv", frame), File("sub/note.txt", note)]

    def summary_options(self):
        return {"share": 0.75}

    def summary_results(self):
        return {"total": 1234567.0, "nan": float("nan")}

    def report(self):
        frame = pd.DataFrame({"zone": ["<b>West</b>"], "total": [1234567.0]})
        return Report(
            title="Tiny <study>",
            lead=("a & b",),
            key_figures=(("total", "1,234,567 t"),),
            sections=(Section("Zones", tables=(("zones.csv", frame),)),),
        )


def test_write_study_writes_products_summary_and_report(tmp_path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    out = tmp_path / "out"
    with output_folder(out, command="tiny", inputs=[data]) as staging:
        summary = write_study(_Tiny((data,)), staging, out=out)
    assert list(summary) == SUMMARY_KEYS
    assert summary["files"] == ["report.html", "sub/note.txt", "summary.json", "zones.csv"]
    assert summary["results"] == {"total": 1234567.0, "nan": None}  # NaN is not JSON
    assert summary["inputs"][0]["bytes"] == 4 and len(summary["inputs"][0]["sha256"]) == 64
    assert summary["scheduler"] is None  # no dask work was described
    assert json.loads((out / "summary.json").read_text()) == summary
    page = (out / "report.html").read_text()
    # every value is escaped: a zone name cannot inject markup
    assert "<b>West</b>" not in page and "&lt;b&gt;West&lt;/b&gt;" in page
    assert "<title>Tiny &lt;study&gt;</title>" in page and "a &amp; b" in page
    assert "1,234,567" in page  # tonnes with separators, not 1.235e+06
    assert sorted(json.loads((out / MARKER).read_text())["files"]) == [
        "report.html",
        "sub/note.txt",
        "summary.json",
        "zones.csv",
    ]


def test_a_failing_product_leaves_nothing(tmp_path) -> None:
    out = tmp_path / "out"
    with (
        pytest.raises(OutputError, match="no space left"),
        output_folder(out, command="tiny", inputs=[]) as staging,
    ):
        write_study(_Tiny(fail=True), staging, out=out)
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging folder left either


def test_input_records_list_a_folder_file_by_file_and_skip_hashing_huge_files(
    tmp_path, monkeypatch
) -> None:
    store = tmp_path / "cube.zarr"
    (store / "emissions").mkdir(parents=True)
    (store / "emissions" / "0.0").write_bytes(b"x" * 10)
    (store / ".zattrs").write_text("{}")
    monkeypatch.setattr(writer, "_HASH_LIMIT", 5)
    records = input_records([store])
    assert [Path(r["file"]).name for r in records] == [".zattrs", "0.0"]
    assert len(records[0]["sha256"]) == 64
    assert records[1]["sha256"] == "not hashed (10 bytes)"


def test_report_shows_long_tables_cut_with_a_note(tmp_path) -> None:
    frame = pd.DataFrame({"rank": range(30)})
    report = Report("t", (), (), (Section("Hubs", tables=(("hubs.csv", frame),), rows=12),))
    page = render_report(report, {"gridfoot": "0", "inputs": [], "timings_s": {}, "files": []},
                         {}, {}, tmp_path)  # fmt: skip
    assert page.count("<tr>") - page.count("<tr><th") >= 12
    assert "First 12 of 30 rows." in page


def test_progress_off_a_terminal_logs_each_stage_once_started_and_once_done() -> None:
    log = io.StringIO()
    progress = Progress("gridfoot run", ["inputs", "footprint"], stream=log)
    with progress.stage("inputs"):
        pass
    with progress.stage("footprint"):
        pass
    progress.close()
    lines = log.getvalue().splitlines()
    assert lines[0] == "gridfoot run: [1/2] inputs ..."
    assert lines[1].startswith("gridfoot run: [1/2] inputs done in ")
    assert lines[3].startswith("gridfoot run: [2/2] footprint done in ")
    assert list(progress.timings) == ["inputs", "footprint"]


def test_progress_can_be_silenced_and_shows_one_labelled_bar_when_asked() -> None:
    quiet = io.StringIO()
    progress = Progress("gridfoot run", ["inputs"], enabled=False, stream=quiet)
    with progress.stage("inputs"):
        pass
    progress.close()
    assert quiet.getvalue() == "" and "inputs" in progress.timings
    shown = io.StringIO()
    progress = Progress("gridfoot run", ["inputs", "cube"], enabled=True, stream=shown)
    with progress.stage("inputs"):
        pass
    progress.close()
    assert "gridfoot run" in shown.getvalue() and "inputs" in shown.getvalue()


def test_progress_reports_dask_tasks_on_the_same_bar() -> None:
    import dask.array as da

    shown = io.StringIO()
    progress = Progress("gridfoot run", ["cube"], enabled=True, stream=shown)
    with progress.stage("cube"), progress.dask("cube"):
        da.ones((40, 40), chunks=10).sum().compute(scheduler="sync")
    progress.close()
    assert "cube 100%" in shown.getvalue()


def test_the_scheduler_that_ran_the_work_is_recorded_once_the_files_are_written(tmp_path) -> None:
    import dask
    import dask.array as da

    from gridfoot.workflows.scheduler import dask_scheduler

    class _Lazy(_Tiny):
        def products(self):  # dask work while the files are written
            total = float(da.ones((8, 8), chunks=4).sum().compute())
            return [Table("total.csv", pd.DataFrame({"total": [total]}))]

    out = tmp_path / "out"
    with (
        dask.config.set(num_workers=3),
        output_folder(out, command="tiny") as staging,
        dask_scheduler("threads") as where,
    ):
        summary = write_study(_Lazy(), staging, out=out, scheduler=where.describe)
    assert summary["scheduler"] == {
        "asked": "threads",
        "ran_on": "threads",
        "address": None,
        "cluster": None,
        "workers": 1,
        "threads": 3,
    }
    assert json.loads((out / "summary.json").read_text())["scheduler"] == summary["scheduler"]
    page = (out / "report.html").read_text()
    assert "work ran on dask's threads scheduler: 1 worker, 3 threads (asked: <code>threads" in page


class _Mapped(_Tiny):
    """A study with GeoTIFFs and a figure: the figure is drawn while they are written."""

    def __init__(self, rasters: int = 6, bad: str | None = None, figure_fails: bool = False):
        super().__init__()
        self.rasters, self.bad, self.figure_fails = rasters, bad, figure_fails
        self.drawn_on: list[str] = []

    def products(self):
        import numpy as np

        from gridfoot.spatial.grid import Grid
        from gridfoot.workflows.products import Figure, Raster

        def draw():
            import matplotlib.pyplot as plt

            self.drawn_on.append(threading.current_thread().name)
            if self.figure_fails:
                raise OutputError("the figure failed")
            fig, ax = plt.subplots()
            ax.plot([0, 1], [0, 1])
            return fig

        layer = Grid.from_bounds((0, 0, 40_000, 40_000), "EPSG:3035").wrap(np.ones((4, 4)))
        return [
            Table("zones.csv", pd.DataFrame({"total": [1.0]})),
            *(Raster(f"geotiff/{i}.tif", layer) for i in range(self.rasters)),
            Figure("figures/line", draw, "a line"),
        ]


def test_geotiffs_are_written_while_the_figures_are_drawn_in_one_honest_stage(tmp_path) -> None:
    log = io.StringIO()
    study = _Mapped()
    out = tmp_path / "out"
    progress = Progress("gridfoot run", writer.stages(True), stream=log)
    with output_folder(out, command="tiny") as staging:
        summary = write_study(study, staging, out=out, progress=progress)
    assert study.drawn_on == [threading.main_thread().name]  # matplotlib stays in this thread
    assert list(summary["timings_s"]) == ["files", "figures and GeoTIFFs"]  # then the report
    assert [f for f in summary["files"] if f.endswith(".tif")] == [
        f"geotiff/{i}.tif" for i in range(6)
    ]
    assert (out / "figures" / "line.png").is_file()
    # the stage is shown when it starts and once everything in it is done, not in between
    lines = log.getvalue().splitlines()
    assert lines[2:4] == [
        "gridfoot run: [2/3] figures and GeoTIFFs ...",
        lines[3],
    ] and lines[3].startswith("gridfoot run: [2/3] figures and GeoTIFFs done in")
    assert writer.stages(False) == ["files", "figures", "report"]


@pytest.mark.parametrize("figure_fails", [False, True])
def test_a_failing_geotiff_or_figure_fails_the_run_and_stops_the_geotiffs(
    tmp_path, monkeypatch, figure_fails
) -> None:
    """All or nothing: the one-line error of the first GeoTIFF that failed (or the figure's),
    no folder, and no writer thread left behind to write into it."""
    import os
    import time

    import rasterio.shutil
    from rasterio.errors import RasterioIOError

    original = rasterio.shutil.copy
    copied = []

    def copy(source, target, *args, **kwargs):
        copied.append(target)
        time.sleep(0.02)  # the GeoTIFFs are still being written when the error comes
        if not figure_fails and Path(target).name.startswith(".2."):  # atomic: .2.*.tmp.tif
            os.write(2, b"TIFFAppendToStrip: No space left on device\n")
            raise RasterioIOError("Write failed")
        return original(source, target, *args, **kwargs)

    monkeypatch.setattr(rasterio.shutil, "copy", copy)
    threads = set(threading.enumerate())
    out = tmp_path / "out"
    message = (
        "the figure failed"
        if figure_fails
        else r"2\.tif: cannot write the GeoTIFF \(TIFFAppendToStrip: No space left on device\)$"
    )
    with (
        pytest.raises(OutputError, match=message) as error,
        output_folder(out, command="tiny") as staging,
    ):
        write_study(_Mapped(rasters=40, figure_fails=figure_fails), staging, out=out)
    assert "\n" not in str(error.value)
    assert set(threading.enumerate()) <= threads  # the writers are done, none is writing
    assert len(copied) < 40  # those not started were cancelled
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []
