"""Eight synthetic city input-output tables for the urban footprint demo (``sample_data/cities``).

Called by ``scripts/make_sample_data.py``; run alone with ``python scripts/sample_urban.py``.

Each city of the fictional country Meridia (MER, see ``make_sample_data.py``) gets a table in
the competitive-imports layout of Chinese city tables, direct emissions by sector and by
household type, a population, and a ``cities.toml`` for ``gridfoot urban``, whose host MRIO is
the bundled sample MRIO. The tables are built from a city technology and profile (a port, a
capital, a steel town, ...) and balanced by construction; nothing about the footprints is
written in: producers and consumers, the largest sectors and the indicators come out of the
computation. Haigang, the port, re-exports part of its imports (``import_share = "total-use"``)
and gives the origins of its inflow and imports.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from make_sample_data import _INPUTS, _SPENDING, SECTORS, _stream

CATEGORIES = {
    "rural_households": "CONS_h",
    "urban_households": "CONS_h",
    "government": "CONS_g",
    "capital_formation": "GFCF",
    "inventory_change": "INVEN",
}
# code, name, province, population, urban share, final demand per person (USD), profile
CITIES = [
    ("HGG", "Haigang", "HAI", 420_000, 0.82, 7_800, "port"),
    ("JCH", "Jiangcheng", "JIB", 380_000, 0.74, 6_900, "manufacturing"),
    ("DWN", "Dongwan", "DON", 300_000, 0.78, 6_400, "exporter"),
    ("NSH", "Nanshan", "NAN", 260_000, 0.88, 8_600, "services"),
    ("BCH", "Beicheng", "BEP", 350_000, 0.90, 9_200, "capital"),
    ("HXN", "Hexian", "HEX", 150_000, 0.55, 4_600, "steel"),
    ("SYG", "Shanyang", "SHY", 170_000, 0.52, 4_200, "cement"),
    ("LTN", "Longtan", "LON", 120_000, 0.48, 3_900, "power"),
]
# Sectors each profile makes for others (exported), the share of its trade with foreign
# countries, how much of its final demand is investment, and its emission factor.
PROFILES = {
    "port": (["MAC", "TEX", "TRA", "CHE"], 0.55, 0.34, 0.85),
    "manufacturing": (["MAC", "CHE", "STL"], 0.30, 0.38, 1.00),
    "exporter": (["TEX", "MAC", "FOO"], 0.45, 0.33, 0.95),
    "services": (["SER", "TRA"], 0.20, 0.30, 0.70),
    "capital": (["SER"], 0.15, 0.42, 0.75),
    "steel": (["STL", "MIN", "ELE"], 0.10, 0.40, 1.25),
    "cement": (["CEM", "MIN", "ELE"], 0.05, 0.44, 1.30),
    "power": (["ELE", "MIN"], 0.03, 0.40, 1.20),
}
VALUE_ADDED = {"compensation": 0.52, "net_taxes": 0.14, "depreciation": 0.16}
HOUSEHOLD_T_PER_PERSON = {"rural_households": 0.55, "urban_households": 0.32}
# Shares of origins for Haigang's inflow (provinces) and imports (countries).
HAIGANG_ORIGINS = {"HAI": 0.30, "JIB": 0.20, "DON": 0.12, "BEP": 0.08, "SHY": 0.10, "LON": 0.20}
HAIGANG_ORIGINS_ABROAD = {"JPN": 0.25, "KOR": 0.25, "USA": 0.15, "DEU": 0.10, "RoW": 0.25}


def _local_shares(profile: str, sectors: list[str], rng: np.random.Generator) -> np.ndarray:
    """Share of each product's uses made in the city."""
    specialised, *_ = PROFILES[profile]
    share = {s: 0.35 for s in sectors} | {"AGR": 0.2, "MIN": 0.1, "ELE": 0.35, "TRA": 0.7}
    share |= {"CON": 0.97, "SER": 0.85}
    share |= {s: 0.85 for s in specialised}
    values = np.array([share[s] for s in sectors]) * rng.uniform(0.9, 1.05, size=len(sectors))
    return np.clip(values, 0.05, 0.98)


def make_city(row: tuple, rng: np.random.Generator) -> dict[str, pd.DataFrame]:
    """The table and emissions of one city."""
    *_, population, urban, spending, profile = row
    specialised, foreign, investment, dirtiness = PROFILES[profile]
    sectors = [s[0] for s in SECTORS]
    n = len(sectors)
    A = np.zeros((n, n))
    for using, inputs in _INPUTS.items():
        for supplying, coefficient in inputs.items():
            A[sectors.index(supplying), sectors.index(using)] = coefficient
    A *= rng.lognormal(0.0, 0.1, size=A.shape)

    total = population * spending / 1e6  # million USD of local final demand
    weights = {
        "rural_households": 0.45 * (1 - urban) * 0.7,
        "urban_households": 0.45 * urban,
        "government": 0.15,
        "capital_formation": investment,
        "inventory_change": 0.02,
    }
    Y = np.zeros((n, len(CATEGORIES)))
    for k, (category, source) in enumerate(CATEGORIES.items()):
        for sector, share in _SPENDING[source].items():
            Y[sectors.index(sector), k] = total * weights[category] * share
    Y[:, -1] *= rng.choice([-1.0, 1.0], size=n) * rng.uniform(0.3, 1.2, size=n)
    Y[:, :-1] *= rng.lognormal(0.0, 0.08, size=(n, len(CATEGORIES) - 1))

    trade = np.zeros((n, 2))  # outflow, export
    for sector in specialised:
        amount = total * rng.uniform(0.10, 0.22)
        share_abroad = foreign * rng.uniform(0.7, 1.3) if sector not in ("ELE", "CEM") else 0.0
        trade[sectors.index(sector)] = amount * np.array([1 - share_abroad, share_abroad])

    local = _local_shares(profile, sectors, rng)
    abroad = np.clip(foreign * rng.uniform(0.6, 1.2, size=n), 0.0, 0.9)
    abroad[[sectors.index("ELE"), sectors.index("CON")]] = 0.0
    re_exports = profile == "port"
    if re_exports:  # imports meet a share of every use, exports included
        x = np.linalg.solve(np.eye(n) - local[:, None] * A, local * (Y.sum(axis=1) + trade.sum(1)))
    else:
        x = np.linalg.solve(np.eye(n) - local[:, None] * A, local * Y.sum(axis=1) + trade.sum(1))
    Z = A * x[None, :]
    use = Z.sum(axis=1) + Y.sum(axis=1) + (trade.sum(axis=1) if re_exports else 0.0)
    brought_in = (1 - local) * use
    inflow, imports = brought_in * (1 - abroad), brought_in * abroad

    table = pd.DataFrame(Z, index=sectors, columns=sectors)
    for k, category in enumerate(CATEGORIES):
        table[category] = Y[:, k]
    table["outflow"], table["export"] = trade[:, 0], trade[:, 1]
    table["inflow"], table["import"] = inflow, imports
    table["output"] = x
    table = table.round(3) + 0.0  # no "-0.0" in the file
    value_added = table["output"] - table[sectors].sum(axis=0).to_numpy()
    rows = {}
    for component, share in VALUE_ADDED.items():
        rows[component] = (value_added * share * rng.uniform(0.9, 1.1, size=n)).round(3)
    rows["operating_surplus"] = (value_added - sum(rows.values())).round(3)
    table = pd.concat([table, pd.DataFrame(rows).T.reindex(columns=table.columns)])
    table.index.name = "sector"

    intensity = np.array([s[2] for s in SECTORS]) * dirtiness
    co2 = x * intensity * rng.lognormal(0.0, 0.15, size=n)
    people = {"rural_households": population * (1 - urban), "urban_households": population * urban}
    household = {k: HOUSEHOLD_T_PER_PERSON[k] * people[k] for k in people}
    emissions = pd.DataFrame(
        {
            "sector": sectors + list(household),
            "stressor": "CO2",
            "value": np.concatenate([co2, list(household.values())]).round(1),
            "unit": "t",
        }
    )
    return {"table": table, "emissions": emissions}


def config_text(cities: list[tuple]) -> str:
    """The ``cities.toml`` that runs every city with ``gridfoot urban``."""
    lines = [
        "# Eight synthetic cities of Meridia for `gridfoot urban cities.toml --out DIR`.",
        "# Generated by scripts/sample_urban.py; paths are relative to this file.",
        'stressor = "CO2"',
        'composition_sector = "CON"',
        'country = "MER"  # the cities\' country in the [mrio]',
        "",
        "[mrio]  # the MRIO that prices the cities' inflow and imports",
        'path = "../mrio"',
        'monetary_unit = "million USD"',
        "",
        "[indicators]",
        'production_footprint = "production-based"',
        'balance = "final-demand"',
        'trade_intensity = "difference"',
        "",
        "[sector_names]",
        *(f'{code} = "{name}"' for code, name, *_ in SECTORS),
    ]
    for code, name, _, population, *_, profile in cities:
        lines += [
            "",
            "[[city]]",
            f'name = "{name}"',
            f'table = "{code.lower()}.csv"',
            f'emissions = "{code.lower()}_emissions.csv"',
            f"population = {population}",
        ]
        if profile == "port":
            lines += ['import_share = "total-use"', f'origin_shares = "{code.lower()}_origins.csv"']
    return "\n".join(lines) + "\n"


def make_cities(out: Path) -> None:
    """Write the eight city tables, their emissions and ``cities.toml`` to ``out/cities``."""
    rng = _stream("cities")
    folder = out / "cities"
    folder.mkdir(parents=True, exist_ok=True)
    for row in CITIES:
        city = make_city(row, rng)
        code = row[0].lower()
        city["table"].to_csv(folder / f"{code}.csv")
        city["emissions"].to_csv(folder / f"{code}_emissions.csv", index=False)
    origins = pd.DataFrame(
        {
            "region": list(HAIGANG_ORIGINS) + list(HAIGANG_ORIGINS_ABROAD),
            "share": list(HAIGANG_ORIGINS.values()) + list(HAIGANG_ORIGINS_ABROAD.values()),
        }
    )
    origins.to_csv(folder / "hgg_origins.csv", index=False)
    (folder / "cities.toml").write_text(config_text(CITIES))


if __name__ == "__main__":
    make_cities(Path(__file__).resolve().parents[1] / "sample_data")
    print("city tables written to sample_data/cities")
