"""dask.distributed: an active Client gets the work, ``--scheduler`` picks one, and the demo run on
a LocalCluster of processes gives the threaded run's results while its workers do the work.

Every test counts the tasks the workers executed (a worker plugin), so none can pass while the
work ran in this process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import multiprocessing
from pathlib import Path

import numpy as np
import pytest
import rasterio
import xarray as xr

from gridfoot.cli import main
from gridfoot.io import write_zarr
from gridfoot.spatial import Grid
from gridfoot.workflows.hotspots import open_layer, run_hotspots

distributed = pytest.importorskip("distributed")

PLUGIN = "gridfoot-tests-executed"


class _Executed(distributed.WorkerPlugin):
    """Keys of the tasks a worker executed (read back with :func:`_executed`)."""

    name = PLUGIN

    def setup(self, worker) -> None:
        self.keys: list[str] = []

    def transition(self, key, start, finish, **kwargs) -> None:
        if start == "executing" and finish == "memory":
            self.keys.append(str(key))


def _executed(client) -> dict[str, list[str]]:
    """Every worker's executed task keys, emptied for the next count."""

    def take(dask_worker) -> list[str]:
        plugin = dask_worker.plugins[PLUGIN]
        keys, plugin.keys = plugin.keys, []
        return keys

    return client.run(take)


@contextlib.contextmanager
def _two_worker_processes():
    """A LocalCluster of two one-thread worker processes and its Client, active, counting
    what its workers execute."""
    with (
        distributed.LocalCluster(
            processes=True, n_workers=2, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        client.register_plugin(_Executed())
        yield client


@pytest.fixture(scope="module")
def threads_cluster():
    """An in-process cluster of two one-thread workers: starts in a second."""
    with distributed.LocalCluster(
        processes=False, n_workers=2, threads_per_worker=1, dashboard_address=":0"
    ) as cluster:
        with distributed.Client(cluster, set_as_default=False) as client:
            client.register_plugin(_Executed())
        yield cluster


@pytest.fixture
def store(tmp_path) -> Path:
    """Two layers of 30 x 40 cells in Zarr, one chunk each: read lazily, so the statistics
    are dask tasks."""
    grid = Grid.from_bounds((0, 0, 400_000, 300_000), "EPSG:3035")
    values = np.random.default_rng(7).gamma(0.3, 10.0, (2, *grid.shape))
    layer = grid.wrap(values, dims=["destination"], coords={"destination": ["A", "B"]}, units="t")
    return write_zarr(layer.rename("co2"), tmp_path / "co2.zarr")


def _hotspots(store: Path, out: Path, **options) -> dict:
    return run_hotspots(open_layer(store), out, source=str(store), **options)


def test_an_active_client_runs_the_work_with_no_setting(threads_cluster, store, tmp_path) -> None:
    with distributed.Client(threads_cluster) as client:
        _executed(client)
        summary = _hotspots(store, tmp_path / "client")
        ran = _executed(client)
        assert all(len(keys) > 0 for keys in ran.values()), ran  # both workers worked
        assert summary["scheduler"] == {
            "asked": None,
            "ran_on": "distributed",
            "address": threads_cluster.scheduler_address,
            "cluster": "the session's Client",
            "workers": 2,
            "threads": 2,
        }
        # asked for threads, the Client beside it gets nothing: the same numbers, here
        threaded = _hotspots(store, tmp_path / "threads", scheduler="threads")
        assert sum(len(keys) for keys in _executed(client).values()) == 0
        assert threaded["scheduler"]["ran_on"] == "threads"
    assert threaded["results"] == summary["results"]
    page = (tmp_path / "client" / "report.html").read_text()
    assert "a dask.distributed cluster (the session&#39;s Client)" in page


def test_scheduler_address_connects_for_the_command(threads_cluster, store, tmp_path) -> None:
    address = threads_cluster.scheduler_address
    out = tmp_path / "out"
    with distributed.Client(threads_cluster, set_as_default=False) as watcher:
        _executed(watcher)
        status = main(["hotspots", str(store), "--scheduler", address, "--out", str(out)])
        ran = _executed(watcher)
    assert status == 0
    assert sum(len(keys) for keys in ran.values()) > 0
    recorded = json.loads((out / "summary.json").read_text())["scheduler"]
    assert recorded["asked"] == address and recorded["address"] == address
    assert recorded["cluster"] == "connected" and recorded["workers"] == 2
    with pytest.raises(ValueError, match="No clients found"):  # its Client was closed
        distributed.default_client()


def test_an_unreachable_scheduler_is_one_line(tmp_path, store, capsys) -> None:
    import dask

    out = tmp_path / "out"
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        status = main(
            ["hotspots", str(store), "--scheduler", "tcp://127.0.0.1:9", "--out", str(out)]
        )
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert "cannot connect to the dask scheduler at tcp://127.0.0.1:9" in err
    assert not out.exists()


def test_local_starts_a_cluster_of_processes_for_the_run_and_closes_it(store, tmp_path) -> None:
    from distributed.deploy.utils import nprocesses_nthreads

    before = set(multiprocessing.active_children())
    summary = _hotspots(store, tmp_path / "local", scheduler="local")
    workers, threads = nprocesses_nthreads()
    assert summary["scheduler"]["cluster"] == "LocalCluster started for the run"
    assert summary["scheduler"]["workers"] == workers
    assert summary["scheduler"]["threads"] == workers * threads
    assert set(multiprocessing.active_children()) <= before  # its worker processes are gone
    with pytest.raises(ValueError, match="No clients found"):
        distributed.default_client()
    threaded = _hotspots(store, tmp_path / "threads", scheduler="threads")
    assert threaded["results"] == summary["results"]


def _bands(folder: Path) -> dict[str, np.ndarray]:
    arrays = {}
    for path in sorted((folder / "geotiff").glob("*.tif")):
        with rasterio.open(path) as tif:
            arrays[path.name] = tif.read()
    return arrays


def test_the_demo_on_a_local_cluster_of_processes_matches_the_threaded_run(
    demo_run, tmp_path
) -> None:
    """The demo's run (threads) and the same run on two worker processes, through an active
    Client: the same results, cube and GeoTIFFs; the cube's chunks were computed and stored by
    the workers (several chunks: 1 MiB each), the GeoTIFFs written here."""
    from gridfoot.config import load_run_config
    from gridfoot.datasets import sample_data_dir
    from gridfoot.workflows import run_grid

    config = load_run_config(sample_data_dir() / "gridfoot.toml")
    config = dataclasses.replace(
        config,
        output=dataclasses.replace(config.output, maps=("png",)),  # figures are not at stake
        dask=dataclasses.replace(config.dask, chunk_mb=1.0),
    )
    out = tmp_path / "cluster"
    with _two_worker_processes() as client:
        study = run_grid(config, out, progress=False)
        ran = _executed(client)
    threaded = demo_run.out
    summary = json.loads((out / "summary.json").read_text())
    expected = json.loads((threaded / "summary.json").read_text())
    assert summary["results"] == expected["results"]
    assert expected["scheduler"]["ran_on"] == "threads"
    assert summary["scheduler"]["ran_on"] == "distributed"
    assert summary["scheduler"]["workers"] == 2
    with xr.open_zarr(out / "cube.zarr") as cube, xr.open_zarr(threaded / "cube.zarr") as same:
        assert cube["emissions"].dtype == same["emissions"].dtype
        np.testing.assert_array_equal(cube["emissions"].values, same["emissions"].values)
    bands, same_bands = _bands(out), _bands(threaded)
    assert bands.keys() == same_bands.keys() and len(bands) >= 4
    for name, values in bands.items():
        np.testing.assert_array_equal(values, same_bands[name], err_msg=name)

    # both workers ran tasks; every chunk of the cube was made and written to Zarr by them
    assert all(len(keys) > 0 for keys in ran.values()), {w: len(k) for w, k in ran.items()}
    keys = [key for worker in ran.values() for key in worker]
    chunks = int(np.prod(study.cube.data.numblocks))
    assert chunks > 1
    assert len([key for key in keys if "cube_block" in key]) >= chunks
    assert len([key for key in keys if "store" in key]) >= chunks


def test_the_uncertainty_draws_run_on_the_workers_and_match_the_threaded_run(tmp_path) -> None:
    """The sample's run with draws of every source (the MRIO's too: its LU factor goes to the
    workers) on two worker processes, through an active Client, and on threads: the batches
    of draws ran on the workers, and the intervals in summary.json and the p05, p95 and cv
    GeoTIFFs are the same, value for value."""
    from gridfoot.config import ProxyRule, UncertaintyConfig, load_run_config
    from gridfoot.datasets import sample_data_dir
    from gridfoot.workflows import run_grid
    from gridfoot.workflows.uncertainty import _batches

    config = load_run_config(sample_data_dir() / "gridfoot.toml")
    draws = 60
    config = dataclasses.replace(
        config,
        output=dataclasses.replace(config.output, maps=("png",), cube=False),
        uncertainty=UncertaintyConfig(
            draws=draws,
            seed=7,
            weights=0.3,
            shares=50.0,
            fallbacks=(ProxyRule("land"), ProxyRule("firms")),
            mrio={"Z": 0.05, "Y": 0.05, "F": 0.05},
        ),
    )
    threaded = run_grid(config, tmp_path / "threads", progress=False, scheduler="threads")
    with _two_worker_processes() as client:
        on_cluster = run_grid(config, tmp_path / "cluster", progress=False)
        ran = _executed(client)
    batches = len(_batches(draws))
    assert batches > 1
    drawn = {w: [k for k in keys if "uncertainty_draws" in k] for w, keys in ran.items()}
    assert sum(len(keys) for keys in drawn.values()) == batches, drawn
    assert all(len(keys) > 0 for keys in drawn.values()), drawn  # both workers drew
    summary = json.loads((tmp_path / "cluster" / "summary.json").read_text())
    expected = json.loads((tmp_path / "threads" / "summary.json").read_text())
    assert summary["scheduler"]["ran_on"] == "distributed"
    assert expected["scheduler"]["ran_on"] == "threads"
    assert summary["results"]["uncertainty"]["draws"] == draws
    assert summary["results"]["uncertainty"] == expected["results"]["uncertainty"]
    bands, same_bands = _bands(tmp_path / "cluster"), _bands(tmp_path / "threads")
    for name in ("total_p05.tif", "total_p95.tif", "total_cv.tif"):
        np.testing.assert_array_equal(bands[name], same_bands[name], err_msg=name)
    for name in on_cluster.uncertainty.cells:
        np.testing.assert_array_equal(
            on_cluster.uncertainty.cells[name].values, threaded.uncertainty.cells[name].values
        )
