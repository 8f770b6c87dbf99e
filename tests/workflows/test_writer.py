"""The one writer of every study: products, summary.json schema, report, progress display."""

from __future__ import annotations

import io
import json
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
