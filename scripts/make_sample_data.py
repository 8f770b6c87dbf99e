"""Generate gridfoot's bundled sample data (``sample_data/``) from a fixed seed.

Run from the repository root::

    python scripts/make_sample_data.py            # writes sample_data/
    python scripts/make_sample_data.py --out DIR  # somewhere else

Re-running it reproduces the files byte for byte. Everything is synthetic: a fictional country,
"Meridia" (code MER), of 12 provinces nested in a world of six other regions (USA, HKG, JPN,
DEU, KOR, RoW), 12 sectors and 4 final-demand categories. The numbers are shaped like real
tables (a dominant electricity sector, export-oriented coastal manufacturing) but describe no
real place. Nothing about the results is written in: concentration, hotspots and destination
shares come out of the computation.

Each part of the data uses its own random stream, so changing one part leaves the others as
they were.
"""

from __future__ import annotations

import argparse
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

SEED = 2237

HOME = "MER"
# code, name, economic weight, coastal
PROVINCES = [
    ("HAI", "Haiyang", 3.2, True),
    ("JIB", "Jiangbei", 2.8, True),
    ("DON", "Dongshan", 2.4, True),
    ("NAN", "Nanling", 2.2, True),
    ("XIW", "Xiwan", 1.5, True),
    ("BEP", "Beiping", 1.9, False),
    ("HEX", "Hexi", 1.2, False),
    ("SHY", "Shanyin", 1.4, False),
    ("LON", "Longmen", 1.0, False),
    ("YUB", "Yunbei", 0.8, False),
    ("QIN", "Qinghe", 0.7, False),
    ("GAO", "Gaoyuan", 0.5, False),
]
# code, economic weight, emission intensity relative to Meridia
FOREIGN = [
    ("USA", 9.0, 0.45),
    ("HKG", 1.2, 0.50),
    ("JPN", 4.0, 0.45),
    ("DEU", 3.0, 0.40),
    ("KOR", 1.8, 0.60),
    ("RoW", 14.0, 0.80),
]
# code, name, CO2 intensity (t per million USD of output) in Meridia, export orientation
SECTORS = [
    ("AGR", "Agriculture, forestry and fishing", 180.0, 0.05),
    ("MIN", "Mining and quarrying", 450.0, 0.05),
    ("FOO", "Food, beverages and tobacco", 120.0, 0.10),
    ("TEX", "Textiles, apparel and leather", 160.0, 0.45),
    ("CHE", "Chemicals and plastics", 650.0, 0.25),
    ("CEM", "Cement and other non-metallic minerals", 3800.0, 0.05),
    ("STL", "Iron, steel and basic metals", 2600.0, 0.15),
    ("MAC", "Machinery and electronics", 70.0, 0.50),
    ("ELE", "Electricity and heat", 9500.0, 0.0),
    ("CON", "Construction", 50.0, 0.0),
    ("TRA", "Transport", 700.0, 0.10),
    ("SER", "Services", 35.0, 0.05),
]
CATEGORIES = ["CONS_h", "CONS_g", "GFCF", "INVEN"]

# Inputs per unit of output (rows: supplying sector, columns: using sector), before the split
# by origin. Column sums 0.35-0.65, as in real tables.
_INPUTS = {
    "AGR": {"AGR": 0.10, "CHE": 0.08, "ELE": 0.03, "TRA": 0.03, "SER": 0.06},
    "MIN": {"MIN": 0.05, "MAC": 0.05, "ELE": 0.08, "TRA": 0.05, "SER": 0.08},
    "FOO": {"AGR": 0.35, "FOO": 0.08, "CHE": 0.03, "ELE": 0.02, "TRA": 0.04, "SER": 0.08},
    "TEX": {"AGR": 0.10, "TEX": 0.20, "CHE": 0.10, "ELE": 0.03, "TRA": 0.04, "SER": 0.08},
    "CHE": {"MIN": 0.15, "CHE": 0.18, "ELE": 0.06, "TRA": 0.04, "SER": 0.08},
    "CEM": {"MIN": 0.20, "CEM": 0.05, "ELE": 0.12, "TRA": 0.06, "SER": 0.06},
    "STL": {"MIN": 0.25, "STL": 0.12, "ELE": 0.10, "TRA": 0.05, "SER": 0.05},
    "MAC": {"STL": 0.15, "CHE": 0.06, "MAC": 0.22, "ELE": 0.02, "TRA": 0.03, "SER": 0.10},
    "ELE": {"MIN": 0.30, "ELE": 0.05, "MAC": 0.04, "TRA": 0.04, "SER": 0.05},
    "CON": {
        "CEM": 0.15,
        "STL": 0.15,
        "MAC": 0.06,
        "CHE": 0.03,
        "ELE": 0.02,
        "TRA": 0.04,
        "SER": 0.10,
    },
    "TRA": {"CHE": 0.12, "MAC": 0.06, "ELE": 0.03, "TRA": 0.08, "SER": 0.10},
    "SER": {"MAC": 0.04, "ELE": 0.04, "TRA": 0.03, "SER": 0.20, "CON": 0.03},
}
# Final demand by product: share of each category's spending.
_SPENDING = {
    "CONS_h": {
        "AGR": 0.05,
        "FOO": 0.15,
        "TEX": 0.08,
        "CHE": 0.03,
        "MAC": 0.09,
        "ELE": 0.04,
        "TRA": 0.06,
        "SER": 0.50,
    },
    "CONS_g": {"SER": 0.9, "CON": 0.05, "MAC": 0.05},
    "GFCF": {"CON": 0.62, "MAC": 0.35, "STL": 0.03},
    "INVEN": {"AGR": 0.2, "TEX": 0.2, "CHE": 0.2, "STL": 0.2, "MAC": 0.2},
}
_CATEGORY_WEIGHT = {"CONS_h": 0.52, "CONS_g": 0.15, "GFCF": 0.32, "INVEN": 0.01}


def _stream(part: str) -> np.random.Generator:
    """An independent random stream per part of the data."""
    digest = hashlib.sha256(f"{SEED}:{part}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def regions() -> pd.DataFrame:
    """Every region with its country, economic weight and emission-intensity factor."""
    rows = [(code, HOME, name, weight, 1.0, coastal) for code, name, weight, coastal in PROVINCES]
    rows += [(code, code, code, weight, factor, False) for code, weight, factor in FOREIGN]
    return pd.DataFrame(
        rows, columns=["region", "country", "name", "weight", "intensity", "coastal"]
    )


def make_mrio(out: Path) -> None:
    """Z, Y, a long CO2 satellite account (t), countries and sector names."""
    rng = _stream("mrio")
    table = regions()
    codes = table["region"].tolist()
    sectors = [s[0] for s in SECTORS]
    n_regions, n_sectors = len(codes), len(sectors)
    country = table["country"].to_numpy()
    home = country == HOME
    weight = table["weight"].to_numpy()
    coastal = table["coastal"].to_numpy()
    export = np.array([s[3] for s in SECTORS])

    base = np.zeros((n_sectors, n_sectors))
    for using, inputs in _INPUTS.items():
        for supplying, coefficient in inputs.items():
            base[sectors.index(supplying), sectors.index(using)] = coefficient

    # Who supplies a region: itself most, its country next, the world by size. Coastal
    # provinces are the country's manufacturing hubs and its door to the world.
    origin = np.zeros((n_regions, n_regions))
    for j in range(n_regions):
        same = (country == country[j]) & (np.arange(n_regions) != j)
        origin[:, j] = 0.06 * weight / weight.sum()
        if same.any():
            hub = weight[same] * (1 + coastal[same])
            origin[same, j] += 0.30 * hub / hub.sum()
        origin[j, j] += 0.64
        origin[:, j] /= origin[:, j].sum()

    A = np.zeros((n_regions * n_sectors, n_regions * n_sectors))
    for r in range(n_regions):
        for j in range(n_regions):
            noise = rng.lognormal(0.0, 0.15, size=(n_sectors, n_sectors))
            A[r * n_sectors : (r + 1) * n_sectors, j * n_sectors : (j + 1) * n_sectors] = (
                base * origin[r, j] * noise
            )

    producers = pd.MultiIndex.from_product([codes, sectors], names=["region", "sector"])
    demand = pd.MultiIndex.from_product([codes, CATEGORIES], names=["region", "category"])
    Y = np.zeros((len(producers), len(demand)))
    spending = 1000.0 * weight  # million USD of final demand per unit weight
    for d in range(n_regions):
        for c, category in enumerate(CATEGORIES):
            for sector, share in _SPENDING[category].items():
                s = sectors.index(sector)
                total = spending[d] * _CATEGORY_WEIGHT[category] * share
                if category == "INVEN":
                    total *= rng.choice([-1.0, 1.0]) * rng.uniform(0.5, 1.5)
                # Sourcing: own region, own country, and Meridia's coastal exporters abroad.
                supply = np.where(np.arange(n_regions) == d, 1.0, 0.0) * (1 - export[s] * 0.6)
                same = (country == country[d]) & (np.arange(n_regions) != d)
                if same.any():
                    supply += same * 0.25 * weight / weight[same].sum()
                if not home[d]:
                    hub = home * weight * (1 + 2 * coastal)
                    supply += export[s] * hub / hub.sum()
                supply += ~home * 0.03 * weight / weight[~home].sum()
                supply = supply * rng.lognormal(0.0, 0.1, size=n_regions)
                Y[np.arange(n_regions) * n_sectors + s, d * len(CATEGORIES) + c] += (
                    total * supply / supply.sum()
                )

    x = np.linalg.solve(np.eye(len(producers)) - A, Y.sum(axis=1))
    Z = A * x[None, :]
    Z_frame = pd.DataFrame(Z.round(3), index=producers, columns=producers)
    Y_frame = pd.DataFrame(Y.round(3), index=producers, columns=demand)

    intensity = np.array([s[2] for s in SECTORS])
    factor = table["intensity"].to_numpy()
    co2 = (
        x.reshape(n_regions, n_sectors)
        * intensity[None, :]
        * factor[:, None]
        * rng.lognormal(0.0, 0.2, size=(n_regions, n_sectors))
    )
    household = 0.08 * co2.sum(axis=1)
    satellite = pd.DataFrame(
        {
            "region": np.repeat(codes, n_sectors).tolist() + codes,
            "sector": sectors * n_regions + ["CONS_h"] * n_regions,
            "stressor": "CO2",
            "value": np.concatenate([co2.ravel(), household]).round(1),
            "unit": "t",
        }
    )

    folder = out / "mrio"
    folder.mkdir(parents=True, exist_ok=True)
    Z_frame.to_csv(folder / "Z.csv")
    Y_frame.to_csv(folder / "Y.csv")
    satellite.to_csv(folder / "satellite.csv", index=False)
    table[["region", "country"]].to_csv(folder / "countries.csv", index=False)
    pd.DataFrame(SECTORS, columns=["sector", "name", "intensity_t_per_musd", "export_orientation"])[
        ["sector", "name"]
    ].to_csv(folder / "sectors.csv", index=False)
    table[["region", "country", "name"]].to_csv(folder / "regions.csv", index=False)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=Path(__file__).resolve().parents[1] / "sample_data"
    )
    args = parser.parse_args(argv)
    make_mrio(args.out)
    from sample_spatial import make_firms, make_geography
    from sample_urban import make_cities

    provinces = make_geography(args.out)
    make_firms(args.out, provinces)
    make_cities(args.out)
    print(f"sample data written to {args.out}")


if __name__ == "__main__":
    main()
