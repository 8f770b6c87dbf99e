"""Concentration on land: known-answer grids, properties on random grids, layers and dask."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from gridfoot.errors import AreaWarning, ConfigError, GridError, LabelError, ValueCheckError
from gridfoot.hotspots import (
    area_for_share,
    concentration,
    concentration_curve,
    gini,
    hotspot_mask,
    land_area,
    share_in_top_area,
)


def _grid(values, land_fraction=None, cell_area=None) -> xr.DataArray:
    values = np.asarray(values, dtype=float)
    coords = {}
    if land_fraction is not None:
        coords["land_fraction"] = (("y", "x"), np.asarray(land_fraction, dtype=float))
    if cell_area is not None:
        coords["cell_area"] = (("y", "x"), np.asarray(cell_area, dtype=float))
    return xr.DataArray(values, dims=("y", "x"), coords=coords)


def test_one_percent_of_land_holds_75_percent():
    # 100 hot cells (one per row, so they touch nowhere) hold 75%; 9,900 others share 25%
    values = np.full((100, 100), 0.25 / 9900)
    values[np.arange(100), (np.arange(100) * 37) % 100] = 0.75 / 100
    grid = _grid(values)
    assert float(share_in_top_area(grid, 0.01)) == pytest.approx(0.75, abs=1e-12)
    assert float(area_for_share(grid, 0.75)) == pytest.approx(0.01, abs=1e-12)
    assert int(hotspot_mask(grid, 0.75).sum()) == 100


def test_uniform_grid():
    grid = _grid(np.full((8, 10), 3.0))
    assert float(gini(grid)) == pytest.approx(0.0, abs=1e-12)
    assert float(area_for_share(grid, 0.75)) == pytest.approx(0.75, abs=1e-12)
    assert float(share_in_top_area(grid, 0.3)) == pytest.approx(0.3, abs=1e-12)


def test_uniform_density_with_coastal_cells_is_still_uniform():
    land = np.ones((4, 5))
    land[0] = 0.5  # coastal row: half land, half the value
    grid = _grid(2.0 * land, land_fraction=land)
    assert float(gini(grid)) == pytest.approx(0.0, abs=1e-12)
    assert float(area_for_share(grid, 0.75)) == pytest.approx(0.75, abs=1e-12)


@pytest.mark.parametrize("n", [4, 10, 50])
def test_single_hot_cell(n):
    values = np.zeros((n, n))
    values[1, 2] = 42.0
    grid = _grid(values)
    assert float(gini(grid)) == pytest.approx(1 - 1 / n**2, abs=1e-12)
    assert float(share_in_top_area(grid, 1 / n**2)) == pytest.approx(1.0)
    # 75% of the hot cell's value needs 75% of its land
    assert float(area_for_share(grid, 0.75)) == pytest.approx(0.75 / n**2)


def test_coastal_cells_count_for_their_land_and_interpolation_at_the_crossing():
    # values 4, 2, 1, 1 with land 0.5, 1, 1, 1 (3.5 cells of land); by hand the curve runs
    # (0, 0) - (1/7, 1/2) - (3/7, 3/4) - (1, 1)
    grid = _grid([[4.0, 2.0], [1.0, 1.0]], land_fraction=[[0.5, 1.0], [1.0, 1.0]])
    curve = concentration_curve(grid)
    np.testing.assert_allclose(curve.land_share, [0, 1 / 7, 3 / 7, 1, 1], atol=1e-15)
    np.testing.assert_allclose(curve.value_share, [0, 0.5, 0.75, 1, 1], atol=1e-15)
    assert float(area_for_share(grid, 0.5)) == pytest.approx(1 / 7)
    assert float(area_for_share(grid, 0.6)) == pytest.approx(1 / 7 + 0.4 * 2 / 7)
    assert float(share_in_top_area(grid, 2 / 7)) == pytest.approx(0.625)
    assert float(share_in_top_area(grid, 5 / 7)) == pytest.approx(0.875)
    # Gini by hand: trapezoids 1/7*1/4 + 2/7*5/8 + 4/7*7/8 = 5/7, G = 2 * 5/7 - 1
    assert float(gini(grid)) == pytest.approx(3 / 7)


def test_cell_area_weights_land():
    # the same values on cells of different area: the big cell counts for more land
    grid = _grid([[3.0, 1.0]], cell_area=[[1.0, 3.0]])
    assert float(share_in_top_area(grid, 0.25)) == pytest.approx(0.75)
    assert float(area_for_share(grid, 0.75)) == pytest.approx(0.25)


def test_offshore_value_takes_no_land():
    # an offshore plant (no land) holds half; the top 0% of land already holds it
    grid = _grid([[5.0, 2.0, 2.0, 1.0]], land_fraction=[[0.0, 1.0, 1.0, 1.0]])
    assert float(share_in_top_area(grid, 0.0)) == pytest.approx(0.5)
    assert float(area_for_share(grid, 0.5)) == pytest.approx(0.0)
    assert float(area_for_share(grid, 0.7)) == pytest.approx(1 / 3)
    curve = concentration_curve(grid)
    assert curve.land_share.values[:2].tolist() == [0.0, 0.0]  # a vertical step
    assert hotspot_mask(grid, 0.5).values.tolist() == [[1, 0, 0, 0]]


def test_nan_cells_are_outside_the_study_area():
    inside = _grid([[3.0, 1.0, 0.0, 0.0]])
    with_outside = _grid([[3.0, 1.0, 0.0, 0.0, np.nan, np.nan]])
    xr.testing.assert_allclose(concentration(inside), concentration(with_outside))


def test_ties_do_not_depend_on_raster_order():
    land = np.array([[0.2, 1.0, 1.0, 0.6]])
    grid = _grid([[1.0, 1.0, 1.0, 1.0]], land_fraction=land)
    flipped = _grid([[1.0, 1.0, 1.0, 1.0]], land_fraction=land[:, ::-1])
    assert float(area_for_share(grid, 0.3)) == float(area_for_share(flipped, 0.3))
    assert float(area_for_share(grid, 0.3)) == pytest.approx(0.3)


def test_zero_layers_have_nan_statistics_and_an_empty_mask():
    grid = _grid(np.zeros((3, 3)))
    stats = concentration(grid)
    assert np.isnan(stats.share_in_top_area) and np.isnan(stats.gini)
    assert int(hotspot_mask(grid).sum()) == 0


def test_list_arguments_add_dims():
    grid = _grid([[4.0, 2.0], [1.0, 1.0]], land_fraction=[[0.5, 1.0], [1.0, 1.0]])
    shares = area_for_share(grid, [0.5, 0.75])
    assert shares.dims == ("share",) and shares.share.values.tolist() == [0.5, 0.75]
    np.testing.assert_allclose(shares, [1 / 7, 3 / 7])
    curve = concentration_curve(grid, land_share=[0, 1 / 7, 1])
    np.testing.assert_allclose(curve, [0, 0.5, 1])


def test_bad_input_is_refused():
    with pytest.raises(ValueCheckError, match="negative"):
        gini(_grid([[1.0, -2.0]]))
    with pytest.raises(ValueCheckError, match="land_fraction"):
        gini(_grid([[1.0, 2.0]], land_fraction=[[1.0, 1.5]]))
    with pytest.raises(ConfigError, match=r"share: must be a number in \(0, 1\].*1.5"):
        area_for_share(_grid([[1.0, 2.0]]), 1.5)
    with pytest.raises(GridError, match="'y' and 'x'"):
        gini(xr.DataArray([[1.0]], dims=("lat", "lon")))
    with pytest.raises(GridError, match="empty"):
        gini(xr.DataArray(np.zeros((0, 3)), dims=("y", "x")))
    with pytest.raises(LabelError, match="one variable"):
        gini(xr.Dataset({"a": _grid([[1.0]]), "b": _grid([[1.0]])}))
    with pytest.raises(ValueCheckError, match="several layers"):
        concentration_curve(xr.DataArray(np.ones((2, 2, 2)), dims=("sector", "y", "x")))


def test_dataset_weights_and_degree_grids():
    ds = xr.Dataset(
        {"co2": (("y", "x"), [[3.0, 1.0]]), "land_fraction": (("y", "x"), [[1.0, 0.5]])}
    )
    assert float(share_in_top_area(ds, 1 / 1.5)) == pytest.approx(0.75)
    # a degree grid: cells shrink towards the pole; values proportional to the cells' areas
    # on a sphere are spread uniformly over the land, to the ellipsoid's flattening
    lat = np.arange(85.0, -90.0, -10.0)
    spherical = np.sin(np.radians(lat + 5)) - np.sin(np.radians(lat - 5))
    degrees = xr.DataArray(
        np.repeat(spherical[:, None], 3, axis=1),
        dims=("y", "x"),
        coords={"y": lat, "x": [5.0, 15.0, 25.0]},
    ).rio.write_crs("EPSG:4326")
    assert float(gini(degrees)) == pytest.approx(0.0, abs=5e-3)
    assert float(gini(degrees.drop_vars("spatial_ref"))) > 0.2  # counted as equal cells
    irregular = degrees.isel(y=[0, 1, 3])
    with pytest.warns(AreaWarning, match="not regularly spaced"):
        gini(irregular)
    with pytest.raises(GridError, match="cell areas cannot be derived"):
        land_area(irregular, strict=True)
    weighted = irregular.assign_coords(cell_area=(("y", "x"), np.ones((3, 3))))
    assert float(gini(weighted)) > 0.2


def test_layers_are_vectorised_lazily():
    rng = np.random.default_rng(5)
    cube = xr.DataArray(
        rng.pareto(1.5, size=(4, 3, 6, 7)) * (rng.random((4, 3, 6, 7)) < 0.5),
        dims=("destination", "sector", "y", "x"),
        coords={"destination": list("ABCD"), "sector": ["ELE", "STL", "CEM"]},
    )
    cube[1, 2] = 0.0  # an empty layer
    land = np.clip(rng.random((6, 7)) * 1.5, 0, 1)
    cube = cube.assign_coords(land_fraction=(("y", "x"), land))
    lazy = concentration(cube.chunk({"destination": 1, "y": 3}), share=[0.5, 0.75])
    assert lazy.gini.chunks is not None
    eager = lazy.compute()
    assert eager.area_for_share.dims == ("destination", "sector", "share")
    for d in range(4):
        for s in range(3):
            one = concentration(cube.isel(destination=d, sector=s), share=[0.5, 0.75])
            xr.testing.assert_allclose(
                eager.isel(destination=d, sector=s).reset_coords(drop=True),
                one.reset_coords(drop=True),
            )
    assert np.isnan(eager.gini.values[1, 2])
    mask = hotspot_mask(cube.chunk({"destination": 2}), 0.75)
    assert mask.chunks is not None and mask.dims == cube.dims
    assert mask.compute().isel(destination=1, sector=2).sum() == 0


# -- properties on random grids ----------------------------------------------------------------


@st.composite
def grids(draw, distinct: bool = False):
    shape = draw(st.tuples(st.integers(1, 6), st.integers(1, 6)))
    elements = st.floats(0.0, 1e6, allow_subnormal=False)
    values = draw(hnp.arrays(float, shape, elements=elements, unique=distinct))
    land = draw(hnp.arrays(float, shape, elements=st.sampled_from([0.0, 0.25, 0.5, 1.0])))
    if distinct:
        land = np.maximum(land, 0.25)
    return values, land


def _reference_curve(values: np.ndarray, land: np.ndarray):
    """Cell by cell, with plain Python: the textbook definition for distinct values."""
    cells = sorted(zip(values.ravel(), land.ravel(), strict=True), key=lambda c: -c[0])
    total, total_land = sum(v for v, _ in cells), sum(a for _, a in cells)
    points, cum_v, cum_a = [(0.0, 0.0)], 0.0, 0.0
    for v, a in cells:
        cum_v, cum_a = cum_v + v, cum_a + a
        points.append((cum_a / total_land, cum_v / total))
    return points


@settings(max_examples=150, deadline=None)
@given(grids(distinct=True), st.floats(0.0, 1.0, exclude_min=True))
def test_against_a_cell_by_cell_reference(grid, level):
    values, land = grid
    if values.sum() <= 0:
        return
    points = _reference_curve(values, land)
    layer = _grid(values, land_fraction=land)
    # land needed: the first segment reaching the level, interpolated
    for (a0, v0), (a1, v1) in itertools.pairwise(points):
        if v1 >= level:
            expected = a0 if v1 == v0 else a0 + (level - v0) / (v1 - v0) * (a1 - a0)
            break
    assert float(area_for_share(layer, level)) == pytest.approx(expected, abs=1e-9)
    area = sum(0.5 * (a1 - a0) * (v0 + v1) for (a0, v0), (a1, v1) in itertools.pairwise(points))
    assert float(gini(layer)) == pytest.approx(2 * area - 1, abs=1e-9)


@settings(max_examples=150, deadline=None)
@given(grids(), st.floats(0.0, 1.0, exclude_min=True), st.randoms(use_true_random=False))
def test_invariants(grid, level, random):
    values, land = grid
    layer = _grid(values, land_fraction=land)
    stats = concentration(layer, share=level, top_area=level)
    if values.sum() <= 0 or (land * (values >= 0)).sum() <= 0:
        assert np.isnan(stats.gini)
        return
    # the statistics do not depend on where the cells are
    order = list(range(values.size))
    random.shuffle(order)
    shuffled = _grid(
        values.ravel()[order].reshape(values.shape), land.ravel()[order].reshape(land.shape)
    )
    xr.testing.assert_allclose(concentration(shuffled, share=level, top_area=level), stats)
    # nor on the unit
    xr.testing.assert_allclose(
        concentration(layer * 1000.0, share=level, top_area=level).drop_vars("total"),
        stats.drop_vars("total"),
    )
    assert -1.0 <= float(stats.gini) <= 1.0
    assert 0.0 <= float(stats.area_for_share) <= 1.0
    # the top of the land found for a share holds that share
    held = share_in_top_area(layer, float(stats.area_for_share))
    assert float(held) >= level - 1e-9
    # the mask is the fewest cells holding the share
    mask = hotspot_mask(layer, level).values.astype(bool)
    total = values.sum()
    assert values[mask].sum() >= level * total * (1 - 1e-12)
    if mask.any():
        smallest = values[mask].min()
        assert values[mask].sum() - smallest <= level * total * (1 + 1e-12)
        assert (values[~mask] <= smallest).all()
        if np.unique(values).size == values.size:  # with ties the curve takes their average
            masked_land = land[mask].sum() / land.sum()
            assert masked_land >= float(stats.area_for_share) - 1e-9


@pytest.mark.parametrize("share", [0, 0.0, -0.1, 1.01, np.nan, np.inf, "half", True])
def test_shares_of_the_total_are_checked_like_the_config(share):
    # one rule for hotspots.hotspot_share, --share and the API: (0, 1]
    grid = _grid([[3.0, 1.0]])
    for function in (area_for_share, hotspot_mask):
        with pytest.raises(ConfigError, match=r"share: must be a number in \(0, 1\]"):
            function(grid, share)
    with pytest.raises(ConfigError, match=r"share: every value must be a number in \(0, 1\]"):
        concentration(grid, share=[0.5, share])


@pytest.mark.parametrize("area", [-0.01, 1.5, np.nan, "1%"])
def test_shares_of_land_are_checked_like_the_config(area):
    with pytest.raises(ConfigError, match=r"area: .*\[0, 1\]"):
        share_in_top_area(_grid([[3.0, 1.0]]), area)
    with pytest.raises(ConfigError, match=r"top_area: .*\[0, 1\]"):
        concentration(_grid([[3.0, 1.0]]), top_area=area)


def test_an_empty_list_of_shares_is_refused():
    with pytest.raises(ConfigError, match="share: give at least one share"):
        area_for_share(_grid([[3.0, 1.0]]), [])
