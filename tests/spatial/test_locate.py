"""Point in polygon (:func:`gridfoot.spatial.locate`): borders, holes, order, the nearest rule.

``locate`` tests each prepared polygon in turn against the points in its bounding box that no
earlier polygon took. Until commit dc9d1a8 it queried an STRtree of the polygons with point
geometries (``predicate="intersects"``) and kept each point's first polygon; that algorithm
is kept here, unchanged, as the reference the new one must equal point for point, on borders
too.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from shapely import MultiPolygon, Polygon, box

from gridfoot.spatial import Zones
from gridfoot.spatial.sources import _PIECE_SEGMENTS, _boundary_pieces, locate

KM = 1_000.0
CRS = "EPSG:3035"  # metres: the points need no reprojection, so borders stay exact


def shapes() -> dict[str, object]:
    """Polygons sharing edges and vertices (km), with a hole, an island in it, a multipolygon,
    a shared diagonal, an overlap and a round polygon with a round hole.

    ::

        20 +----C----+   +-C-+    (K)  y     K: a disc of radius 2.5 round (27.5, 15)
           |         |   |   |               with a hole of radius 1
        10 +---------+---+---+------+----+--+
           |  A      |   B   |  G  /|    |  |   E overlaps B's and G's corners (18..22,8..12)
           |  +---+  |       |   /  |    H  |   F and G share the diagonal (20,0)-(30,10)
           |  |D  |  |       | /  F |    |  |   H touches F along x = 30
         0 +--+---+--+-------+------+----+--+ x
           0  3   6  10      20     30   35
    """
    return {
        "B": box(10 * KM, 0, 20 * KM, 10 * KM),
        "A": Polygon(
            [(0, 0), (10 * KM, 0), (10 * KM, 10 * KM), (0, 10 * KM)],
            [[(3 * KM, 3 * KM), (6 * KM, 3 * KM), (6 * KM, 6 * KM), (3 * KM, 6 * KM)]],
        ),
        "C": MultiPolygon(
            [box(0, 10 * KM, 10 * KM, 20 * KM), box(15 * KM, 15 * KM, 20 * KM, 20 * KM)]
        ),
        "D": box(3 * KM, 3 * KM, 6 * KM, 6 * KM),  # the island filling A's hole
        "F": Polygon([(20 * KM, 0), (30 * KM, 0), (30 * KM, 10 * KM)]),
        "G": Polygon([(20 * KM, 0), (30 * KM, 10 * KM), (20 * KM, 10 * KM)]),
        "H": box(30 * KM, 0, 35 * KM, 10 * KM),
        "E": box(18 * KM, 8 * KM, 22 * KM, 12 * KM),
        # a ring of 160 segments around one of 80: both cut into pieces for the nearest rule
        "K": shapely.difference(
            shapely.Point(27.5 * KM, 15 * KM).buffer(2.5 * KM, quad_segs=40),
            shapely.Point(27.5 * KM, 15 * KM).buffer(1 * KM, quad_segs=20),
        ),
    }


def zones(order: list[str] | None = None) -> Zones:
    polygons = shapes()
    order = order or list(polygons)
    frame = gpd.GeoDataFrame({"code": order}, geometry=[polygons[k] for k in order], crs=CRS)
    return Zones.from_frame(frame, label="code")


def reference(x: np.ndarray, y: np.ndarray, zones: Zones, tolerance: float) -> pd.DataFrame:
    """``locate`` as it was at dc9d1a8 (projected zones, points in their CRS): an STRtree of
    the polygons queried with the points, the first polygon of each point, then the nearest
    polygon within the tolerance (ties to the first)."""
    polygons = np.asarray(zones.polygons.geometry.array, dtype=object)
    points = shapely.points(x, y)
    tree = shapely.STRtree(polygons)
    which = np.full(len(points), -1, dtype=np.int64)
    distance = np.full(len(points), np.nan)
    hit_point, hit_polygon = tree.query(points, predicate="intersects")
    order = np.lexsort((hit_polygon, hit_point))
    first = np.unique(hit_point[order], return_index=True)[1]
    which[hit_point[order][first]] = hit_polygon[order][first]
    distance[which >= 0] = 0.0
    outside = np.flatnonzero((which < 0) & np.isfinite(x) & np.isfinite(y))
    if tolerance > 0 and len(outside):
        (near_point, near_polygon), gap = tree.query_nearest(
            points[outside], max_distance=tolerance, return_distance=True
        )
        order = np.lexsort((near_polygon, gap, near_point))
        first = np.unique(near_point[order], return_index=True)[1]
        chosen = outside[near_point[order][first]]
        which[chosen] = near_polygon[order][first]
        distance[chosen] = gap[order][first]
    labels = zones.labels.to_numpy(dtype=object)
    label = pd.array(np.where(which >= 0, labels[np.maximum(which, 0)], None), dtype="str")
    return pd.DataFrame({"label": label, "distance": distance})


# (x, y) in km -> the label expected with the zones in shapes()'s order B, A, C, D, F, G, H, E
ON_BORDERS = {
    (10, 5): "B",  # A|B shared edge: B comes first
    (10, 0): "B",  # a vertex of A and B on the southern edge
    (10, 10): "B",  # corner of A, B and C
    (5, 10): "A",  # A|C shared edge: A before C
    (15, 10): "B",  # B's top edge (C does not reach it there)
    (3, 3): "A",  # a vertex of A's hole, also D's corner
    (4.5, 3): "A",  # A's hole boundary = D's edge: A first
    (6, 4.5): "A",
    (4.5, 4.5): "D",  # inside the hole: not A, the island
    (20, 5): "B",  # B|G shared edge
    (20, 0): "B",  # vertex of B, F and G
    (25, 5): "F",  # the shared diagonal of F and G: F first
    (27.5, 7.5): "F",
    (30, 10): "F",  # the diagonal's end, also H's corner
    (30, 5): "F",  # F|H edge
    (19, 9): "B",  # inside both B and E: the first
    (21, 11): "E",  # only E
    (20, 15): "C",  # the eastern edge of C's second part
    (17.5, 20): "C",  # its northern edge
    (35, 10): "H",  # an outer corner
}


def test_points_on_shared_edges_vertices_and_hole_boundaries_go_to_the_first_polygon():
    x = np.array([p[0] for p in ON_BORDERS]) * KM
    y = np.array([p[1] for p in ON_BORDERS]) * KM
    found = locate(x, y, CRS, zones(), tolerance=0)
    assert dict(zip(ON_BORDERS, found["label"], strict=True)) == ON_BORDERS
    assert (found["distance"] == 0).all()
    pd.testing.assert_frame_equal(found, reference(x, y, zones(), 0.0))
    # the same points with the order reversed: every border point changes hands
    backwards = locate(x, y, CRS, zones(list(shapes())[::-1]), tolerance=0)
    assert backwards["label"].tolist()[:3] == ["A", "A", "C"]
    assert backwards.loc[list(ON_BORDERS).index((25, 5)), "label"] == "G"
    assert backwards.loc[list(ON_BORDERS).index((4.5, 3)), "label"] == "D"


def test_outside_nearest_and_missing_coordinates():
    x = np.array([-0.5, 36.0, 50.0, np.nan, 4.0, np.inf, 12.0]) * KM
    y = np.array([5.0, 5.0, 5.0, 5.0, np.nan, 5.0, 14.0]) * KM
    found = locate(x, y, CRS, zones(), tolerance=2 * KM)
    assert found["label"].tolist()[:2] == ["A", "H"]
    assert found["distance"].tolist()[:2] == [500.0, 1000.0]
    # (12, 14) lies exactly the tolerance (2 km) from C's first part, 4 km from B
    assert found["label"][6] == "C" and found["distance"][6] == 2 * KM
    assert found["label"][2:6].isna().all() and found["distance"][2:6].isna().all()
    pd.testing.assert_frame_equal(found, reference(x, y, zones(), 2 * KM))
    # 1 km south of A's and B's shared corner, as far from both: the first of them
    tie = (np.array([10 * KM]), np.array([-1 * KM]))
    assert locate(*tie, CRS, zones(), tolerance=2 * KM)["label"].tolist() == ["B"]
    backwards = zones(list(shapes())[::-1])
    assert locate(*tie, CRS, backwards, tolerance=2 * KM)["label"].tolist() == ["A"]


# Coordinates on a 250 m lattice land on edges and vertices often; others anywhere.
lattice = st.integers(-8, 150).map(lambda k: k * 250.0)
anywhere = st.floats(-2 * KM, 37 * KM, allow_nan=False, allow_subnormal=False)
coordinate = st.one_of(lattice, anywhere)


@given(
    points=st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=80),
    order=st.permutations(list(shapes())),
    tolerance=st.sampled_from([0.0, 300.0, 1.5 * KM]),
)
def test_equals_the_previous_algorithm(points, order, tolerance):
    x = np.array([p[0] for p in points])
    y = np.array([p[1] for p in points])
    these = zones(order)
    pd.testing.assert_frame_equal(
        locate(x, y, CRS, these, tolerance=tolerance), reference(x, y, these, tolerance)
    )


def test_boundary_pieces_cover_every_ring():
    polygons = np.array(list(shapes().values()), dtype=object)
    pieces, owner = _boundary_pieces(polygons)
    assert shapely.get_num_coordinates(pieces).max() - 1 == _PIECE_SEGMENTS
    assert len(pieces) == 10 + 5 + 3  # a piece per short ring; K: 160 and 80 segments
    for k, polygon in enumerate(polygons):
        mine = pieces[owner == k]
        assert shapely.length(mine).sum() == pytest.approx(shapely.length(polygon), rel=1e-12)
        assert shapely.equals(shapely.union_all(mine), shapely.boundary(polygon))
