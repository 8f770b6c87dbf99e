"""Maps and charts render headless into PNG/PDF/SVG files that are not blank.

Figures are saved as PNG only, except in the one test of every format, the map's (it has a
raster layer and text): PDF with TrueType fonts, SVG with its text kept as text.
"""

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

from gridfoot.errors import GridError, ValueCheckError
from gridfoot.hotspots import area_for_share, concentration_curve, share_in_top_area
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


def test_map_of_a_layer_in_every_format(layer, provinces, tmp_path) -> None:
    import matplotlib.pyplot as plt

    hubs = pd.DataFrame(
        {"rank": [1], "x": [100_000.0], "y": [150_000.0], "regions": ["West; East"]}
    )
    fig = map_grid(layer, provinces, hubs, title="test")
    colorbar = fig.axes[-1]
    assert colorbar.get_ylabel() == "t CO2 per 10 km cell per year"
    assert any(t.get_text() == "1 West" for t in fig.axes[0].texts)
    paths = save_figure(fig, tmp_path / "map", ["png", "pdf", "svg"])
    plt.close(fig)
    assert [p.suffix for p in paths] == [".png", ".pdf", ".svg"]
    _check_files(paths)
    _, pdf, svg = paths
    data = pdf.read_bytes()
    # TrueType (Type 42, embedded as CID fonts), never Type 3, as journals ask
    assert b"/Subtype /Type3" not in data and b"/Subtype /CIDFontType2" in data
    text = svg.read_text()
    assert "<text" in text and ">test</text>" in text and ">1 West</text>" in text


def test_small_multiples_share_one_scale(layer, provinces, tmp_path) -> None:
    stack = xr.concat([layer, layer * 3], dim="destination").assign_coords(destination=["A", "B"])
    fig = small_multiples(stack, boundaries=provinces, columns=2)
    images = [ax.images[-1] for ax in fig.axes[:2]]
    assert images[0].norm.vmax == images[1].norm.vmax
    _check_files(save_figure(fig, tmp_path / "multiples", ["png"]))


def test_charts(layer, tmp_path) -> None:
    fig = concentration_figure(concentration_curve(layer), top_area=(0.01,), shares=(0.75,))
    labels = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "top 1% of land" in labels and "75% on" in labels
    _check_files(save_figure(fig, tmp_path / "curve", ["png"]))
    shares = pd.DataFrame({"destination": ["USA", "JPN", "HKG"], "share": [0.5, 0.3, 0.2]})
    fig = share_bars(shares, reference={"USA": 0.23})
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["USA", "JPN", "HKG"]
    _check_files(save_figure(fig, tmp_path / "bars", ["png"]))


def test_the_markers_are_what_the_hotspot_functions_answer(layer) -> None:
    """The figure reads its markers off the curve; they must equal gridfoot.hotspots' answers."""
    import matplotlib.pyplot as plt

    areas, shares = [0.0, 0.001, 0.01, 0.05, 0.5, 1.0], [0.1, 0.5, 0.75, 0.99, 1.0]
    tied = layer.where(layer < 20, 20.0)  # many equal cells: long straight steps
    for grid in (layer, tied, layer * 0 + 1.0):
        fig = concentration_figure(concentration_curve(grid), top_area=areas, shares=shares)
        markers = [line.get_xydata()[0] for line in fig.axes[0].lines[2:]]  # in percent
        plt.close(fig)
        held = [y for _, y in markers[: len(areas)]]
        needed = [x for x, _ in markers[len(areas) :]]
        np.testing.assert_array_equal(held, 100 * share_in_top_area(grid, areas).values)
        np.testing.assert_array_equal(needed, 100 * area_for_share(grid, shares).values)


def test_the_concentration_figure_wants_the_curve(layer) -> None:
    with pytest.raises(ValueCheckError, match=r"concentration_curve\(layer\), not the layer"):
        concentration_figure(layer)


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

    fig = concentration_figure(concentration_curve(layer))
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


def _boxes(fig, texts):
    """The boxes of the texts themselves (an annotation's own box includes its leader)."""
    from matplotlib.text import Text

    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [Text.get_window_extent(t, renderer) for t in texts]


def test_hub_labels_are_unique_and_do_not_overlap(layer, provinces) -> None:
    import matplotlib.pyplot as plt
    from matplotlib.text import Annotation

    # eight hubs crowded in two regions, some nearly on top of each other
    hubs = pd.DataFrame(
        {
            "rank": range(1, 9),
            "x": [100e3, 104e3, 108e3, 100e3, 300e3, 305e3, 300e3, 200e3],
            "y": [150e3, 152e3, 148e3, 160e3, 150e3, 150e3, 155e3, 150e3],
            "regions": ["West", "West; East", "West", "West", "East", "East", "East", "East"],
        }
    )
    fig = map_grid(layer, provinces, hubs, hub_labels=8)
    labels = [t for t in fig.axes[0].texts if isinstance(t, Annotation)]
    texts = [t.get_text() for t in labels]
    assert len(texts) == len(set(texts)) >= 4
    words = " ".join(texts).split()
    assert words.count("West") == 1 and words.count("East") == 1  # each name once
    assert "1 West" in texts
    boxes = _boxes(fig, labels)
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b), (a, b)
    frame = fig.axes[0].get_window_extent()
    assert all(frame.x0 <= b.x0 and b.x1 <= frame.x1 for b in boxes)
    plt.close(fig)


def test_panels_carry_letters_and_shares(layer, provinces) -> None:
    import matplotlib.pyplot as plt

    stack = xr.concat([layer, layer * 3, layer * 2], dim="destination").assign_coords(
        destination=["USA", "JPN", "HKG"]
    )
    fig = small_multiples(
        stack,
        boundaries=provinces,
        titles=["United States", "Japan", "Hong Kong"],
        shares=[0.5, 0.3, 0.05],
    )
    titles = [ax.get_title(loc="left") for ax in fig.axes[:3]]
    assert titles == [
        "(a) United States: 50% of the total",
        "(b) Japan: 30% of the total",
        "(c) Hong Kong: 5% of the total",
    ]
    with pytest.raises(GridError, match="2 shares for 3 panels"):
        small_multiples(stack, shares=[0.5, 0.5])
    plt.close("all")


def test_small_cells_are_summed_into_blocks_that_print(layer) -> None:
    import matplotlib.pyplot as plt

    stack = xr.concat([layer, layer], dim="destination").assign_coords(destination=["A", "B"])
    fig = small_multiples(stack, block=2, crop=False)
    assert fig.axes[-1].get_ylabel() == "t CO2 per 20 km cell per year"
    plt.close(fig)
    from gridfoot.plot.maps import _coarsen

    coarse = _coarsen(layer, 3)
    assert float(coarse.sum()) == pytest.approx(float(layer.sum()))
    assert coarse.shape == (10, 14)


def test_grey_land_and_fallback_have_legend_entries(layer, provinces) -> None:
    import matplotlib.pyplot as plt

    layer = layer.assign_coords(land_fraction=(("y", "x"), np.ones(layer.shape)))
    fig = map_grid(layer, provinces, fallback=provinces.iloc[:1])
    legend = fig.axes[0].get_legend()
    entries = [t.get_text() for t in legend.get_texts()]
    assert entries == [
        "no emissions (land)",
        "mostly spread over land or by a proxy (no point sources)",
    ]
    assert "not placed on points" in legend.get_title().get_text()
    plt.close(fig)
    fig = map_grid(layer, provinces)  # nothing spread: no hatch, no caption about it
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["no emissions (land)"]
    plt.close(fig)


def test_cells_placed_by_a_rule_are_drawn_in_greys(layer) -> None:
    """Cells whose value is mostly the rule's (land, proxy) take greys on the same scale;
    the legend gives the rule's share of the total."""
    import matplotlib.pyplot as plt

    values = np.nan_to_num(layer.values)
    by_rule = layer.copy(
        data=np.where(np.arange(values.shape[1]) < values.shape[1] // 2, values, 0)
    )
    fig = map_grid(layer, by_rule=by_rule, crop=False)
    share = float(by_rule.sum() / layer.sum())
    entries = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    from gridfoot.plot.maps import _percent

    assert 0 < share < 1
    assert entries[-1] == (
        f"mostly spread over land or by a proxy, not on points ({_percent(share)} of the total)"
    )
    rgba = fig.axes[0].get_images()[0].get_array()
    west, east = rgba[:, : values.shape[1] // 2], rgba[:, values.shape[1] // 2 :]
    has = values > 0
    grey = (west[..., 0] == west[..., 1]) & (west[..., 1] == west[..., 2])
    assert grey[has[:, : values.shape[1] // 2]].all()
    coloured = ~((east[..., 0] == east[..., 1]) & (east[..., 1] == east[..., 2]))
    assert coloured[has[:, values.shape[1] // 2 :]].any()
    plt.close(fig)


def test_the_map_is_cropped_to_the_data_plus_a_margin() -> None:
    import matplotlib.pyplot as plt

    from gridfoot.plot.maps import crop_extent

    grid = Grid.from_bounds((0, 0, 1_000_000, 800_000), CRS)  # 100 x 80 cells of 10 km
    values = np.zeros(grid.shape)
    values[30:40, 50:70] = 5.0  # the data: rows 30-39, columns 50-69
    values[78, 2] = 0.01  # a remote island holding a tiny share
    layer = grid.wrap(values, name="e", units="t")
    (left, right, bottom, top), left_out = crop_extent(values, (0, 1e6, 0, 8e5))
    margin = 0.05 * 20 * 10_000 + 20_000  # at most 5% of the data's side, or two cells
    assert 500_000 - margin <= left <= 500_000 and 700_000 <= right <= 700_000 + margin
    assert 400_000 - margin <= bottom <= 400_000 and 500_000 <= top <= 500_000 + margin
    assert left_out == pytest.approx(0.01 / (5.0 * 200 + 0.01))
    fig = map_grid(layer)
    ax = fig.axes[0]
    assert ax.get_xlim() == pytest.approx((left, right))
    assert ax.get_ylim() == pytest.approx((bottom, top))
    assert "remote cells" in ax.get_legend().get_title().get_text()
    plt.close(fig)
    # nothing left out when the data are one block
    values[78, 2] = 0.0
    assert crop_extent(values, (0, 1e6, 0, 8e5))[1] == 0.0


def test_cjk_names_draw_without_missing_glyph_warnings(layer, provinces, monkeypatch) -> None:
    import warnings

    import matplotlib.pyplot as plt

    from gridfoot.plot import style

    hubs = pd.DataFrame(
        {"rank": [1, 2], "x": [100e3, 300e3], "y": [150e3, 150e3], "regions": ["山东", "江苏"]}
    )
    latin = {"山东": "Shandong", "江苏": "Jiangsu"}

    def labels(fig):
        return sorted(t.get_text() for t in fig.axes[0].texts)

    def draw(tmp):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = map_grid(layer, provinces, hubs, title="山东 and 江苏", names=latin)
            fig.canvas.draw()
        assert not [w for w in caught if "Glyph" in str(w.message)]
        return fig

    cjk = style._cjk_font()
    if cjk is not None:  # a CJK font is installed: the names are drawn as they are
        fig = draw(None)
        assert labels(fig) == ["1 山东", "2 江苏"]
        assert fig.axes[0].texts[0].get_fontfamily() == [cjk]
        plt.close(fig)
    # without one, the latin names replace them; without those, '?' -- never a warning
    monkeypatch.setattr(style, "_cjk_font", lambda: None)
    fig = draw(None)
    assert labels(fig) == ["1 Shandong", "2 Jiangsu"]
    assert fig.axes[0].get_title() == "Shandong and Jiangsu"
    plt.close(fig)
    assert style.fit_text("1 山东")[0] == "1 ??"


def test_bar_labels_a_font_cannot_draw_fall_back_to_codes(monkeypatch) -> None:
    import warnings

    import matplotlib.pyplot as plt

    from gridfoot.plot import style

    shares = pd.DataFrame({"sector": ["ELE", "STL"], "share": [0.6, 0.4]})
    names = {"ELE": "电力", "STL": "Iron and steel"}
    monkeypatch.setattr(style, "_cjk_font", lambda: None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = share_bars(shares, names=names, xlabel="share of export-linked CO2 (%)")
        fig.canvas.draw()
    assert not [w for w in caught if "Glyph" in str(w.message)]
    ticks = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert ticks == ["ELE", "Iron and steel"]
    assert fig.axes[0].get_xlabel() == "share of export-linked CO2 (%)"
    plt.close(fig)


def test_only_truetype_fonts_are_used_for_cjk_names() -> None:
    import matplotlib.pyplot as plt

    from gridfoot.plot import style

    dejavu = style._font_path("DejaVu Sans")
    assert style._truetype_outlines(dejavu)
    cjk = style._cjk_font()
    if cjk is not None:  # whatever is installed, PDFs keep TrueType (Type 42) fonts only
        assert style._truetype_outlines(style._font_path(cjk))
    fig = map_grid(
        Grid.from_bounds((0, 0, 100_000, 100_000), CRS).wrap(np.ones((10, 10)), name="e"),
        title="山东",
        crop=False,
    )
    plt.close(fig)


def test_small_multiples_draw_the_rules_cells_in_greys(layer) -> None:
    import matplotlib.pyplot as plt

    stack = xr.concat([layer, 2 * layer], dim="destination").assign_coords(destination=["A", "B"])
    by_rule = stack.where(stack["x"] < stack["x"].median(), 0.0)
    fig = small_multiples(stack, by_rule=by_rule, block=1, crop=False)
    entries = [t.get_text() for t in fig.legends[0].get_texts()]
    assert entries[-1].startswith("mostly spread over land or by a proxy, not on points (")
    for ax in fig.axes[:2]:
        rgba = ax.get_images()[0].get_array()
        west = rgba[:, : rgba.shape[1] // 2]
        painted = west[..., 3] > 0
        assert (west[..., 0] == west[..., 2])[painted].all()  # greys where the rule placed
    plt.close(fig)
