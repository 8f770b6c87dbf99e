"""Geography and firms of the sample data: called by ``make_sample_data.py``.

Meridia is a fictional island-continent in the North Pacific (about 150-128 W, 20-38 N, where
there is no land), so its maps cannot be mistaken for a real place. Its east coast is ragged;
five coastal provinces face it, seven lie inland. Firms cluster in coastal manufacturing hubs
around the cities; coal power plants sit near the hubs and in the coal-mining interior;
steel and cement near the mines. A few coastal plants stand just offshore, as real inventories
have them, and a handful carry a province label that disagrees with their location.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Point, Polygon

from make_sample_data import HOME, PROVINCES, _stream

WEST, EAST, SOUTH, NORTH = -150.0, -128.0, 20.0, 38.0
CRS = "EPSG:4326"

# Hubs: name, province, lon, lat, size (share of manufacturing firms), is a city
HUBS = [
    ("Port Haiyang", "HAI", -131.2, 35.3, 0.20),
    ("Jiangbei City", "JIB", -130.3, 31.9, 0.17),
    ("Dongshan Bay", "DON", -130.1, 28.6, 0.12),
    ("Nanling", "NAN", -131.0, 25.2, 0.11),
    ("Xiwan Harbour", "XIW", -132.6, 22.3, 0.06),
    ("Beiping", "BEP", -136.5, 34.6, 0.05),
]
# Coal basins in the interior: province, lon, lat
MINES = [("SHY", -141.0, 33.5), ("HEX", -145.0, 30.5), ("LON", -139.0, 27.5)]

# National industry classification of the sample (codes like China's GB/T 4754 classes) and
# its concordance to the MRIO sectors; "C33" is split between two MRIO sectors.
INDUSTRIES = [
    # code, name, MRIO sector(s) with weights, share of firms, mean CO2 (t), spread
    ("A01", "Crop and animal farming", {"AGR": 1.0}, 0.08, 300, 1.0),
    ("B06", "Coal mining", {"MIN": 1.0}, 0.02, 9000, 1.0),
    ("B10", "Non-metallic mineral mining", {"MIN": 1.0}, 0.02, 2500, 1.0),
    ("C13", "Food processing", {"FOO": 1.0}, 0.07, 900, 1.0),
    ("C15", "Beverages", {"FOO": 1.0}, 0.02, 700, 1.0),
    ("C17", "Textiles", {"TEX": 1.0}, 0.08, 1200, 1.0),
    ("C18", "Apparel", {"TEX": 1.0}, 0.07, 250, 1.0),
    ("C26", "Chemical materials", {"CHE": 1.0}, 0.06, 6000, 1.3),
    ("C29", "Rubber and plastics", {"CHE": 1.0}, 0.05, 800, 1.0),
    ("C30", "Cement, glass and ceramics", {"CEM": 1.0}, 0.04, 40000, 1.2),
    ("C31", "Iron and steel smelting", {"STL": 1.0}, 0.02, 150000, 1.3),
    ("C33", "Metal products", {"STL": 0.6, "MAC": 0.4}, 0.05, 1500, 1.0),
    ("C34", "General machinery", {"MAC": 1.0}, 0.07, 600, 1.0),
    ("C39", "Computers and electronics", {"MAC": 1.0}, 0.08, 500, 1.0),
    ("D44", "Power and heat (coal)", {"ELE": 1.0}, 0.01, 1_500_000, 1.0),
    ("E47", "Building construction", {"CON": 1.0}, 0.06, 120, 1.0),
    ("G54", "Road freight", {"TRA": 1.0}, 0.05, 900, 1.0),
    ("H61", "Hotels", {"SER": 1.0}, 0.06, 150, 1.0),
    ("M75", "Technical services", {"SER": 1.0}, 0.03, 60, 1.0),
]
# The inventory covers about 80% of the sample MRIO's industrial CO2 in Meridia (~38 Mt).
INVENTORY_TOTAL = 30e6
MANUFACTURING = {"C13", "C15", "C17", "C18", "C26", "C29", "C33", "C34", "C39"}
HEAVY = {"B06", "B10", "C30", "C31"}


def _coastline(rng: np.random.Generator) -> np.ndarray:
    """East coast from north to south: a ragged curve around 129-132 W."""
    lats = np.linspace(NORTH, SOUTH, 90)
    base = -130.0 - 2.2 * ((lats - 29.0) / 9.0) ** 2 + 0.6 * np.sin(lats * 1.3)
    ragged = np.convolve(rng.normal(0, 0.45, lats.size), np.ones(3) / 3, mode="same")
    return np.column_stack([base + ragged, lats])


def country_outline(coast: np.ndarray, rng: np.random.Generator) -> Polygon:
    west_lats = np.linspace(SOUTH + 1.0, NORTH - 0.5, 40)
    west = np.column_stack([WEST + rng.normal(0, 0.3, west_lats.size) + 1.0, west_lats])
    north = np.array([[WEST + 2.0, NORTH], [coast[0, 0] - 1.5, NORTH + 0.2]])
    south = np.array([[coast[-1, 0] - 2.5, SOUTH - 0.3], [WEST + 3.0, SOUTH + 0.4]])
    ring = np.vstack([coast, south, west, north])
    return shapely.make_valid(Polygon(ring)).buffer(0)


def make_geography(out: Path) -> gpd.GeoDataFrame:
    """Province polygons (Voronoi cells clipped to the outline) and city polygons."""
    rng = _stream("geography")
    coast = _coastline(rng)
    outline = country_outline(coast, rng)
    coastal = [(code, name) for code, name, _, is_coastal in PROVINCES if is_coastal]
    inland = [(code, name) for code, name, _, is_coastal in PROVINCES if not is_coastal]
    # Coastal seeds sit a little inland of evenly spaced coast points, north to south.
    picks = np.linspace(8, len(coast) - 8, len(coastal)).astype(int)
    seeds = [Point(coast[i, 0] - 1.2, coast[i, 1]) for i in picks]
    inland_seeds = [
        (-135.5, 35.5),
        (-144.5, 30.5),
        (-140.5, 33.8),
        (-139.0, 27.5),
        (-146.5, 35.0),
        (-136.0, 23.0),
        (-145.0, 23.5),
    ]
    seeds += [Point(lon, lat) for lon, lat in inland_seeds]
    cells = shapely.voronoi_polygons(shapely.MultiPoint(seeds), extend_to=outline.buffer(5))
    polygons = []
    for seed in seeds:
        cell = next(c for c in cells.geoms if c.contains(seed))
        polygons.append(cell.intersection(outline))
    provinces = gpd.GeoDataFrame(
        {
            "code": [c for c, _ in coastal + inland],
            "name": [n for _, n in coastal + inland],
            "country": HOME,
        },
        geometry=polygons,
        crs=CRS,
    )
    east_coast = shapely.LineString(coast).buffer(0.05)
    shore = shapely.intersection(provinces.geometry.boundary.to_numpy(), east_coast)
    faces_coast = pd.Series(shapely.length(shore) > 0.5)
    if not faces_coast.eq(provinces["code"].isin([c for c, _ in coastal])).all():
        raise RuntimeError("coastal and inland provinces are mixed up; move their seeds")

    cities = gpd.GeoDataFrame(
        {"name": [h[0] for h in HUBS], "province": [h[1] for h in HUBS]},
        geometry=[
            Point(lon, lat).buffer(0.45 if size > 0.1 else 0.3).intersection(outline)
            for _, _, lon, lat, size in HUBS
        ],
        crs=CRS,
    )
    folder = out / "boundaries"
    folder.mkdir(parents=True, exist_ok=True)
    for frame, name in ((provinces, "provinces"), (cities, "cities")):
        frame = frame.set_geometry(frame.geometry.set_precision(1e-4))
        path = folder / f"{name}.geojson"
        path.unlink(missing_ok=True)
        frame.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=4)
    return provinces


def make_firms(out: Path, provinces: gpd.GeoDataFrame, count: int = 30_000) -> None:
    """Firms with national industry codes, coordinates, CO2 and a province label; concordance."""
    rng = _stream("firms")
    codes = [i[0] for i in INDUSTRIES]
    shares = np.array([i[3] for i in INDUSTRIES])
    industry = rng.choice(len(INDUSTRIES), size=count, p=shares / shares.sum())
    hub_weights = np.array([h[4] for h in HUBS])

    lon = np.empty(count)
    lat = np.empty(count)
    land = provinces.union_all()
    west, south, east, north = land.bounds
    for i, k in enumerate(industry):
        code = codes[k]
        roll = rng.random()
        if code in HEAVY or (code == "D44" and roll < 0.45):
            _, x0, y0 = MINES[rng.integers(len(MINES))]
            spread = 1.1
        elif code in MANUFACTURING or code == "D44" or roll < 0.55:
            hub = HUBS[rng.choice(len(HUBS), p=hub_weights / hub_weights.sum())]
            x0, y0 = hub[2], hub[3]
            spread = 0.35 if code in MANUFACTURING else 0.7
        else:
            x0, y0, spread = None, None, 0.0
        for _ in range(1000):
            if x0 is None:  # scattered across the land
                x, y = rng.uniform(west, east), rng.uniform(south, north)
            else:
                x, y = x0 + rng.normal(0, spread), y0 + rng.normal(0, spread)
            if land.contains(Point(x, y)):
                break
        lon[i], lat[i] = x, y

    mean = np.array([i[4] for i in INDUSTRIES])[industry]
    spread = np.array([i[5] for i in INDUSTRIES])[industry]
    co2 = mean * rng.lognormal(-0.5 * spread**2, spread)
    co2 *= INVENTORY_TOTAL / co2.sum()

    points = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs=CRS)
    joined = gpd.sjoin(
        gpd.GeoDataFrame(geometry=points),
        provinces[["code", "geometry"]],
        how="left",
        predicate="within",
    )
    province = joined["code"].groupby(level=0).first().to_numpy()

    # Reality's untidiness: some power plants on the shore line stand just offshore, and a few
    # firms carry the label of a neighbouring province.
    power = np.flatnonzero((np.array(codes)[industry] == "D44") & (lon > -133.0))
    offshore = rng.choice(power, size=max(1, len(power) // 8), replace=False)
    lon[offshore] += 0.25
    relabel = rng.choice(count, size=count // 500, replace=False)
    province[relabel] = rng.choice(provinces["code"].to_numpy(), size=relabel.size)

    firms = pd.DataFrame(
        {
            "firm_id": [f"F{i:06d}" for i in range(count)],
            "lon": lon.round(5),
            "lat": lat.round(5),
            "industry": np.array(codes)[industry],
            "province": province,
            "co2_t": co2.round(1),
        }
    )
    firms.to_csv(out / "firms.csv", index=False)

    concordance = pd.DataFrame(
        [
            (code, name, sector, weight)
            for code, name, mapping, *_ in INDUSTRIES
            for sector, weight in mapping.items()
        ],
        columns=["code", "name", "sector", "share"],
    )
    concordance.to_csv(out / "concordance.csv", index=False)
