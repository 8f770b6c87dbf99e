"""Gi* against esda's ``G_Local(star=True)`` on random grids, and hand-checked cases."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import xarray as xr

from gridfoot.errors import ConfigError
from gridfoot.hotspots import gistar, gistar_z, neighbourhood, significance_classes

esda = pytest.importorskip("esda")
libpysal = pytest.importorskip("libpysal")


def _esda_z(values: np.ndarray, observed: np.ndarray, p: float, threshold: float) -> np.ndarray:
    """esda's Gi* z-scores on the observed cells, weights from a Minkowski distance band.

    ``p=inf`` (Chebyshev) is the queen neighbourhood, ``p=1`` (Manhattan) the rook and ``p=2``
    the Euclidean distance band: weights built independently of gridfoot's kernels.
    """
    rows, cols = np.nonzero(observed)
    points = np.column_stack([cols, rows]).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # islands, if any, are what they are
        w = libpysal.weights.DistanceBand(points, threshold=threshold + 1e-9, p=p, binary=True)
        local = esda.G_Local(values[observed], w, transform="B", star=True, permutations=0)
    z = np.full(values.shape, np.nan)
    z[observed] = local.Zs
    return z


CASES = [
    ("queen", 1, np.inf),
    ("rook", 1, 1),
    ("queen", 2, np.inf),
    ("rook", 2, 1),
    ("distance", 2, 2),
    ("distance", 2.5, 2),
]


@pytest.mark.parametrize(("neighbours", "distance", "p"), CASES)
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_gistar_matches_esda_on_random_grids(neighbours, distance, p, seed):
    rng = np.random.default_rng(seed)
    values = rng.lognormal(sigma=2.0, size=(15, 15)) * (rng.random((15, 15)) < 0.6)
    observed = np.ones(values.shape, dtype=bool)
    expected = _esda_z(values, observed, p, distance)
    z = gistar_z(values, observed, neighbourhood(neighbours, distance))
    np.testing.assert_allclose(z, expected, rtol=0, atol=1e-10)


@pytest.mark.parametrize(("neighbours", "distance", "p"), CASES[:2])
def test_gistar_leaves_unobserved_cells_out_like_esda_on_the_subset(neighbours, distance, p):
    rng = np.random.default_rng(7)
    values = rng.gamma(0.5, 10.0, size=(15, 15))
    values[rng.random(values.shape) < 0.15] = np.nan
    land = np.ones(values.shape)
    land[:3, :] = 0.0  # a strip of sea: zeros there are no observations
    values[:3, :] = 0.0
    values[1, 4] = 5.0  # an offshore platform is one
    observed = np.isfinite(values) & ((land > 0) | (values != 0))
    grid = xr.DataArray(values, dims=("y", "x"), coords={"land_fraction": (("y", "x"), land)})
    result = gistar(grid, neighbours=neighbours, distance=distance)
    expected = _esda_z(np.nan_to_num(values), observed, p, distance)
    np.testing.assert_allclose(result.z.values, expected, rtol=0, atol=1e-10)
    assert np.isnan(result.z.values[0, 0]) and np.isfinite(result.z.values[1, 4])
    # with the whole grid as study area the sea's zeros count, and the z-scores change
    whole = gistar(grid, neighbours=neighbours, distance=distance, study_area="grid")
    assert np.isfinite(whole.z.values[0, 0])
    assert not np.allclose(whole.z.values[5:], result.z.values[5:], equal_nan=True)


def test_hand_computed_block():
    # a 3 x 3 block of 9 in 9 x 9 zeros: n = 81, mean 1, s = sqrt(8); at the centre the 9
    # neighbours sum to 81, so z = (81 - 9) / (sqrt(8) * sqrt(9 * 72 / 80))
    values = np.zeros((9, 9))
    values[3:6, 3:6] = 9.0
    z = gistar_z(values, np.ones(values.shape, bool), neighbourhood("queen"))
    assert z[4, 4] == pytest.approx(72 / (np.sqrt(8) * np.sqrt(9 * 72 / 80)), rel=1e-12)
    # a corner has 4 neighbours, all zero: z = (0 - 4) / (sqrt(8) * sqrt(4 * 77 / 80))
    assert z[0, 0] == pytest.approx(-4 / (np.sqrt(8) * np.sqrt(4 * 77 / 80)), rel=1e-12)


def test_significance_classes_and_flags():
    z = np.array([-2.6, -2.0, -1.7, -1.6, 0.0, 1.6, 1.7, 2.0, 2.6, np.nan])
    assert significance_classes(z).tolist() == [-3, -2, -1, 0, 0, 0, 1, 2, 3, -128]
    values = np.zeros((9, 9))
    values[3:6, 3:6] = 9.0
    result = gistar(xr.DataArray(values, dims=("y", "x")))
    flags = result.significance.attrs
    assert flags["flag_values"].tolist() == list(range(-3, 4))
    assert len(flags["flag_meanings"].split()) == 7
    assert result.significance.dtype == np.int8
    p = result.p_value.values
    assert p[4, 4] < 0.01 and np.all((p >= 0) & (p <= 1))


def test_constant_layer_has_no_z_scores():
    result = gistar(xr.DataArray(np.full((4, 4), 3.0), dims=("y", "x")))
    assert np.isnan(result.z.values).all()
    assert (result.significance.values == -128).all()


def test_layers_are_vectorised_and_lazy():
    rng = np.random.default_rng(3)
    cube = xr.DataArray(rng.random((3, 2, 10, 12)), dims=("destination", "sector", "y", "x"))
    lazy = gistar(cube.chunk({"destination": 1, "y": 5}))
    assert lazy.z.chunks is not None
    computed = lazy.compute()
    for d in range(3):
        for s in range(2):
            layer = cube.isel(destination=d, sector=s).values
            expected = gistar_z(layer, np.ones(layer.shape, bool), neighbourhood("queen"))
            np.testing.assert_array_equal(computed.z.values[d, s], expected)


@pytest.mark.parametrize(
    ("neighbours", "distance", "message"),
    [
        ("hexagon", 1, "neighbours: expected one of 'queen', 'rook', 'distance', got 'hexagon'"),
        ("queen", 0, "distance: must be a number >= 1"),
        ("rook", np.nan, "distance: .*got nan"),
        ("distance", 0.5, "distance: .*got 0.5"),
        ("queen", np.inf, "distance: .*got inf"),
        ("queen", "2", "distance: .*got '2'"),
    ],
)
def test_bad_neighbourhoods_are_refused(neighbours, distance, message):
    with pytest.raises(ConfigError, match=message):
        neighbourhood(neighbours, distance)
    with pytest.raises(ConfigError, match=message):
        gistar(xr.DataArray(np.ones((3, 3)), dims=("y", "x")), neighbours, distance)


def test_bad_study_area_is_refused():
    with pytest.raises(ConfigError, match="study_area: expected one of 'land', 'grid', got 'sea'"):
        gistar(xr.DataArray(np.ones((3, 3)), dims=("y", "x")), study_area="sea")
