"""Maps and charts render headless into PNG/PDF/SVG files that are not blank."""

from __future__ import annotations

import geopandas as gpd
import matplotlib
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from matplotlib.colors import LogNorm, Normalize
from PIL import Image
from shapely.geometry import box

from gridfoot.errors import GridError
from gridfoot.plot.charts import concentration_figure, share_bars
from gridfoot.plot.maps import colour_scale, map_grid, small_multiples, value_label
from gridfoot.plot.style import save_figure
from gridfoot.spatial import Grid

matplotlib.use("Agg")
CRS = "EPSG:3035"


@pytest.fixture
def layer() -> xr.DataArray:
    grid = Grid.from_bounds((0, 0, 400_000, 300_000), CRS)
    rng = np.random.default_rng(3)
    values = rng.lognormal(2, 2.5, grid.shape) * (rng.random(grid.shape) < 0.4)
    return grid.wrap(values, name="export_linked", units="t").assign_attrs(stressor="CO2")


@pytest.fixture
def provinces() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["West", "East"]},
        geometry=[box(0, 0, 200_000, 300_000), box(200_000, 0, 400_000, 300_000)],
        crs=CRS,
    )


def _check_files(paths, min_bytes=3_000) -> None:
    for path in paths:
        assert path.stat().st_size > min_bytes, path
    png = next(p for p in paths if p.suffix == ".png")
    with Image.open(png) as image:
        assert image.info["dpi"][0] == pytest.approx(300, abs=1)
        pixels = np.asarray(image.convert("L"))
    assert min(pixels.shape) > 300
    assert (pixels < 200).mean() > 0.01


def test_map_of_a_layer(layer, provinces, tmp_path) -> None:
    hubs = pd.DataFrame(
        {"rank": [1], "x": [100_000.0], "y": [150_000.0], "regions": ["West; East"]}
    )
    fig = map_grid(layer, provinces, hubs, title="test")
    colorbar = fig.axes[-1]
    assert colorbar.get_ylabel() == "t CO2 per 10 km cell per year"
    assert any(t.get_text() == "1 West" for t in fig.axes[0].texts)
    _check_files(save_figure(fig, tmp_path / "map", ["png", "pdf", "svg"]))


def test_small_multiples_share_one_scale(layer, provinces, tmp_path) -> None:
    stack = xr.concat([layer, layer * 3], dim="destination").assign_coords(destination=["A", "B"])
    fig = small_multiples(stack, boundaries=provinces, columns=2)
    images = [ax.images[-1] for ax in fig.axes[:2]]
    assert images[0].norm.vmax == images[1].norm.vmax
    _check_files(save_figure(fig, tmp_path / "multiples", ["png"]))


def test_charts(layer, tmp_path) -> None:
    fig = concentration_figure(layer, top_area=(0.01,), shares=(0.75,))
    labels = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "top 1% of land" in labels and "75% on" in labels
    _check_files(save_figure(fig, tmp_path / "curve", ["png", "svg"]))
    shares = pd.DataFrame({"destination": ["USA", "JPN", "HKG"], "share": [0.5, 0.3, 0.2]})
    fig = share_bars(shares, reference={"USA": 0.23})
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["USA", "JPN", "HKG"]
    _check_files(save_figure(fig, tmp_path / "bars", ["png", "pdf"]))


def test_log_scale_when_values_span_decades() -> None:
    assert isinstance(colour_scale(np.array([1.0, 10.0, 1e5])), LogNorm)
    scale = colour_scale(np.array([1.0, 2.0, 5.0]))
    assert isinstance(scale, Normalize) and not isinstance(scale, LogNorm)
    assert isinstance(colour_scale(np.array([1.0, 2.0]), log=True), LogNorm)


def test_a_stack_is_refused_by_the_single_map(layer) -> None:
    stack = xr.concat([layer, layer], dim="destination")
    with pytest.raises(GridError, match="select one layer"):
        map_grid(stack)
    assert value_label(layer) == "t CO2 per 10 km cell per year"


def test_the_even_spread_line_is_y_equals_x_on_the_log_land_axis(layer) -> None:
    import matplotlib.pyplot as plt

    fig = concentration_figure(layer)
    (even,) = [line for line in fig.axes[0].lines if line.get_label() == "even spread over land"]
    x, y = even.get_data()
    np.testing.assert_allclose(x, y)
    # at 1% of land an even spread holds 1%, not the 50% a straight line on log axes shows
    assert np.interp(1.0, x, y) == pytest.approx(1.0, rel=1e-3)
    assert len(x) > 100
    plt.close(fig)


def test_the_paper_style_restores_only_its_own_settings() -> None:
    from gridfoot.plot.style import PAPER_RC, paper_style

    was = matplotlib.is_interactive()
    try:
        matplotlib.interactive(False)
        with paper_style():
            assert matplotlib.rcParams["pdf.fonttype"] == PAPER_RC["pdf.fonttype"]
            # what a notebook's inline backend does when the first figure is drawn
            matplotlib.interactive(True)
        # restoring it would hide every later figure in the notebook
        assert matplotlib.is_interactive()
    finally:
        matplotlib.interactive(was)


def test_saved_pdfs_embed_truetype_fonts_and_svgs_keep_text(layer, tmp_path) -> None:
    import matplotlib.pyplot as plt

    fig = concentration_figure(layer, title="Concentration")
    pdf, svg = save_figure(fig, tmp_path / "curve", ["pdf", "svg"])
    plt.close(fig)
    data = pdf.read_bytes()
    # TrueType (Type 42, embedded as CID fonts), never Type 3, as journals ask
    assert b"/Subtype /Type3" not in data and b"/Subtype /CIDFontType2" in data
    assert "<text" in svg.read_text() and "Concentration" in svg.read_text()
