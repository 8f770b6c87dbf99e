"""Getis–Ord Gi* hot and cold spots on a raster, by convolution.

For cell i with binary weights ``w_ij`` (1 for the cells of its neighbourhood, the cell itself
included), ``n`` observed cells with mean ``m`` and standard deviation ``s`` (population,
``ddof=0``):

``z_i = (sum_j w_ij y_j - m W_i) / (s sqrt((n W_i - W_i²) / (n - 1)))``, ``W_i = sum_j w_ij``

(Getis & Ord 1992; Ord & Getis 1995) — exactly what ``esda.G_Local(y, w, transform="B",
star=True).Zs`` computes, to rounding. The neighbourhood sums are a ``scipy.ndimage``
correlation with zero padding, so cells at the edge (and next to unobserved cells) have fewer
neighbours, as with a contiguity weights matrix. Significance uses the two-sided normal
approximation (no permutations) and no correction for testing every cell: with thousands of
cells, read the 90% class as exploratory and prefer the 99% class for claims.

Which cells are observations matters: zeros over the sea in a country's bounding box would
pull the mean down and make every town a hot spot. By default (``study_area="land"``) a cell is
an observation when it has land (``land_fraction > 0``) or a non-zero value; NaN cells never
are. Unobserved cells get NaN z-scores and the fill value in the classes.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
import xarray as xr
from scipy import ndimage, special

from gridfoot.checks import check_choice
from gridfoot.hotspots.layers import SPATIAL_DIMS, as_layer, per_layer
from gridfoot.hotspots.options import STUDY_AREAS, check_neighbourhood

__all__ = ["SIGNIFICANCE_FLAGS", "gistar", "gistar_z", "neighbourhood", "significance_classes"]

Neighbours = Literal["queen", "rook", "distance"]

#: Two-sided confidence levels and their class numbers (negative: cold spots).
CONFIDENCE_LEVELS = (0.90, 0.95, 0.99)
FILL_CLASS = np.int8(-128)
SIGNIFICANCE_FLAGS = {
    "flag_values": np.arange(-3, 4, dtype=np.int8),
    "flag_meanings": "cold_spot_99 cold_spot_95 cold_spot_90 not_significant "
    "hot_spot_90 hot_spot_95 hot_spot_99",
    # not CF: a colour per flag (as ESA CCI land cover), for GIS colour tables: cold spots
    # in blues, hot spots in reds (ColorBrewer RdBu), not significant grey
    "flag_colors": "#2166ac #67a9cf #d1e5f0 #bdbdbd #fddbc7 #ef8a62 #b2182b",
    "_FillValue": FILL_CLASS,
}


def neighbourhood(neighbours: Neighbours = "queen", distance: float = 1) -> np.ndarray:
    """Binary kernel of a cell's neighbourhood, the cell itself included (Gi*).

    ``queen``: cells within ``distance`` steps in any direction, diagonals too (a square);
    ``rook``: within ``distance`` steps along rows and columns (a diamond); ``distance``: cell
    centres within ``distance`` cell widths (a disc, as ``libpysal.weights.DistanceBand``).

    Examples
    --------
    >>> neighbourhood("rook").astype(int).tolist()
    [[0, 1, 0], [1, 1, 1], [0, 1, 0]]
    >>> int(neighbourhood("queen", 2).sum()), int(neighbourhood("distance", 2).sum())
    (25, 13)
    """
    neighbours, distance = check_neighbourhood(neighbours, distance)
    radius = int(np.floor(distance))
    rows, cols = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    if neighbours == "queen":
        return np.maximum(abs(rows), abs(cols)) <= distance
    if neighbours == "rook":
        return abs(rows) + abs(cols) <= distance
    return np.hypot(rows, cols) <= distance + 1e-9  # "distance"


def _neighbour_sum(values: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    if kernel.all():  # a square: two 1-D passes
        ones = np.ones(kernel.shape[0])
        rows = ndimage.correlate1d(values, ones, axis=0, mode="constant")
        return ndimage.correlate1d(rows, ones, axis=1, mode="constant")
    return ndimage.correlate(values, kernel.astype(float), mode="constant")


def gistar_z(values: np.ndarray, observed: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Gi* z-scores of one 2-D layer (pure numpy; NaN where not observed or undefined).

    Parameters
    ----------
    values : ndarray (ny, nx)
    observed : bool ndarray (ny, nx)
        Cells that are observations; the others are left out of every sum.
    kernel : bool ndarray
        From :func:`neighbourhood`.

    Examples
    --------
    One cell of 9 among 25: ``m = 0.36``, ``s = 1.7636``; the centre's 9 neighbours sum to 9,
    so ``z = (9 - 0.36 * 9) / (1.7636 * sqrt(9 * 16 / 24)) = 1.3333``:

    >>> values = np.zeros((5, 5)); values[2, 2] = 9.0
    >>> z = gistar_z(values, np.ones((5, 5), bool), neighbourhood("queen"))
    >>> round(float(z[2, 2]), 4), round(float(z[0, 0]), 4)
    (1.3333, -0.4364)
    """
    observed = observed & np.isfinite(values)
    return _z_scores(values, observed, _design(observed, kernel), kernel)


class _Design(NamedTuple):
    """What depends on the observed cells only, shared by the layers that have the same."""

    n: float
    cardinality: np.ndarray  # W_i
    inverse_spread: np.ndarray  # 1 / sqrt((n W_i - W_i²) / (n - 1)), 0 where undefined
    undefined: np.ndarray  # unobserved, or every observation is a neighbour


def _design(observed: np.ndarray, kernel: np.ndarray) -> _Design:
    n = float(observed.sum())
    cardinality = _neighbour_sum(observed.astype(float), kernel)
    with np.errstate(invalid="ignore", divide="ignore"):
        spread = np.sqrt(cardinality * (n - cardinality) / (n - 1))
    undefined = ~observed | ~(spread > 0)
    inverse_spread = np.divide(1.0, spread, out=np.zeros_like(spread), where=~undefined)
    return _Design(n, cardinality, inverse_spread, undefined)


def _z_scores(
    values: np.ndarray, observed: np.ndarray, design: _Design, kernel: np.ndarray
) -> np.ndarray:
    y = np.where(observed, values, 0.0)
    mean = y.sum() / design.n if design.n else np.nan
    deviation = y[observed] - mean
    # not np.dot: BLAS threads left spinning after it slow the other layers' threads down
    std = np.sqrt(np.square(deviation, out=deviation).sum() / design.n) if design.n else np.nan
    if design.n < 2 or not std > 0:
        return np.full(values.shape, np.nan)
    lag = _neighbour_sum(y, kernel)
    lag -= mean * design.cardinality
    lag *= design.inverse_spread
    lag /= std
    lag[design.undefined] = np.nan
    return lag


def significance_classes(z: np.ndarray) -> np.ndarray:
    """Classes -3..3 (cold 99/95/90%, not significant, hot 90/95/99%), -128 where z is NaN.

    Two-sided: 90% is ``|z| > 1.645``, 95% ``> 1.960``, 99% ``> 2.576``.

    Examples
    --------
    >>> significance_classes(np.array([-3.0, -1.7, 0.5, 2.0, np.nan])).tolist()
    [-3, -1, 0, 2, -128]
    """
    critical = special.ndtri(0.5 + np.asarray(CONFIDENCE_LEVELS) / 2)
    magnitude = np.abs(z)
    level = np.zeros(z.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        for threshold in critical:
            level += magnitude > threshold
        classes = np.where(z < 0, -level, level)
    classes[np.isnan(z)] = FILL_CLASS
    return classes


def _layer_z(values: np.ndarray, land: np.ndarray, kernel: np.ndarray, land_only: bool):
    """Gi* z-scores of every ``(..., y, x)`` layer; the design is reused while the observed
    cells stay the same (they usually do: the land)."""
    layers = values.reshape(-1, *values.shape[-2:])
    z = np.empty(layers.shape)
    observed_before, design = None, None
    for index, layer in enumerate(layers):
        observed = np.isfinite(layer)
        if land_only:
            observed &= (land > 0) | (layer != 0)
        if observed_before is None or not np.array_equal(observed, observed_before):
            observed_before, design = observed, _design(observed, kernel)
        z[index] = _z_scores(layer, observed, design, kernel)
    return z.reshape(values.shape)


def _p_value(z: np.ndarray) -> np.ndarray:
    return special.erfc(np.abs(z) / np.sqrt(2))  # 2 P(Z > |z|)


def gistar(
    layer: xr.DataArray | xr.Dataset,
    neighbours: Neighbours = "queen",
    distance: float = 1,
    study_area: Literal["land", "grid"] = "land",
) -> xr.Dataset:
    """Getis–Ord Gi* hot and cold spots of every layer.

    Parameters
    ----------
    layer : DataArray or Dataset
        A grid layer ``(..., y, x)``.
    neighbours : {"queen", "rook", "distance"}
        Shape of the neighbourhood; see :func:`neighbourhood`.
    distance : float
        Its reach in cells (1 = the adjacent cells).
    study_area : {"land", "grid"}
        Which cells are observations: those with land or value (default), or every cell
        with a finite value.

    Returns
    -------
    Dataset
        ``z`` (z-scores), ``p_value`` (two-sided, normal approximation) and ``significance``
        (int8 classes with CF ``flag_values``/``flag_meanings``, ``_FillValue`` -128 where
        a cell is no observation), all ``(..., y, x)`` with the grid's coordinates; lazy when
        the grid is.

    Examples
    --------
    A 3 x 3 block of 9 t in a 9 x 9 grid of zeros:

    >>> values = np.zeros((9, 9)); values[3:6, 3:6] = 9.0
    >>> hot = gistar(xr.DataArray(values, dims=("y", "x")))
    >>> hot.significance.values[4].tolist()
    [0, 0, 2, 3, 3, 3, 2, 0, 0]
    >>> round(float(hot.z[4, 4]), 3), hot.significance.attrs["flag_meanings"].split()[6]
    (8.944, 'hot_spot_99')
    """
    check_choice(study_area, "study_area", STUDY_AREAS)
    kernel = neighbourhood(neighbours, distance)
    layer = as_layer(layer)
    if "land_fraction" in layer.coords:
        land = layer.coords["land_fraction"].reset_coords(drop=True).astype(float)
    else:
        land = xr.DataArray(np.ones((layer.sizes["y"], layer.sizes["x"])), dims=SPATIAL_DIMS)
    z = per_layer(_layer_z, layer, land, kernel=kernel, land_only=study_area == "land")
    # p-values and classes are separate (lazy) steps: only what is asked for is computed
    p_value = xr.apply_ufunc(_p_value, z, dask="parallelized", output_dtypes=[float])
    classes = xr.apply_ufunc(significance_classes, z, dask="parallelized", output_dtypes=[np.int8])
    described = f"{neighbours} neighbours within {distance:g} cell(s), the cell itself included"
    return xr.Dataset(
        {
            "z": z.assign_attrs(long_name="Getis-Ord Gi* z-score", units="1"),
            "p_value": p_value.assign_attrs(
                long_name="two-sided p-value of the Gi* z-score (normal approximation)",
                units="1",
            ),
            "significance": classes.drop_attrs(deep=False).assign_attrs(
                long_name="Getis-Ord Gi* hot and cold spots", **SIGNIFICANCE_FLAGS
            ),
        },
        attrs={"neighbourhood": described, "study_area": study_area},
    )
