"""Real data: WIOD 2009 China electricity footprint onto the Global Coal Plant Tracker's units.

China's electricity, gas and water supply (WIOD ``secE``) footprint by destination is spread
over the 3,092 operating Chinese coal units (weight: GEM's annual CO2 estimate) on a 10 km
equal-area grid over China's provinces; China's other sectors, without points, fall back to
mainland land. The points all carry the region "CHN" (the MRIO has one China); the province
polygons only serve to check where the units lie against the province GEM labels them with.
Skipped without ../shared/data.
"""

from __future__ import annotations

import numpy as np
import pytest

from gridfoot.spatial import Zones, allocate, cell_coverage, locate

pytestmark = pytest.mark.slow

# GB/T 2260 codes of the province-level divisions, as in the polygons' "gb" ("156" + code).
PROVINCE_CODES = {
    "Beijing": 110000, "Tianjin": 120000, "Hebei": 130000, "Shanxi": 140000,
    "Inner Mongolia": 150000, "Liaoning": 210000, "Jilin": 220000, "Heilongjiang": 230000,
    "Shanghai": 310000, "Jiangsu": 320000, "Zhejiang": 330000, "Anhui": 340000,
    "Fujian": 350000, "Jiangxi": 360000, "Shandong": 370000, "Henan": 410000,
    "Hubei": 420000, "Hunan": 430000, "Guangdong": 440000, "Guangxi": 450000,
    "Hainan": 460000, "Chongqing": 500000, "Sichuan": 510000, "Guizhou": 520000,
    "Yunnan": 530000, "Tibet": 540000, "Shaanxi": 610000, "Gansu": 620000,
    "Qinghai": 630000, "Ningxia": 640000, "Xinjiang": 650000,
}  # fmt: skip
NOT_IN_WIOD_CHN = {"156710000", "156810000", "156820000"}  # Taiwan, Hong Kong, Macau


@pytest.fixture(scope="module")
def china(wiod2009_footprint, china_provinces, china_grid, china_coal_units):
    fp, provinces, grid, sources = (
        wiod2009_footprint,
        china_provinces,
        china_grid,
        china_coal_units,
    )
    mainland = provinces[~provinces["gb"].isin(NOT_IN_WIOD_CHN)].assign(region="CHN")
    allocation = allocate(sources, grid, fp, zones=Zones.from_frame(mainland, label="region"))
    return {
        "fp": fp,
        "sources": sources,
        "grid": grid,
        "allocation": allocation,
        "provinces": provinces,
    }


def test_china_electricity_cube_conserves_the_footprint_per_destination(china):
    fp, allocation, grid = china["fp"], china["allocation"], china["grid"]
    assert grid.is_equal_area and grid.resolution == (10_000.0, 10_000.0)
    assert 450 <= grid.shape[0] <= 600 and 450 <= grid.shape[1] <= 600
    assert len(china["sources"]) == 3_092
    report = allocation.report
    assert report.loc[("CHN", "secE"), "method"] == "points"
    assert report.loc[("CHN", "secE"), "points"] == 3_092
    assert (report.drop(("CHN", "secE"))["method"].isin(["land", ""])).all()
    assert report["unplaced"].sum() == 0 and len(allocation.unplaced) == 0

    electricity = fp.driven.sel(sector=["secE"])
    cube = allocation.cube(electricity)
    assert cube.dims == ("destination", "sector", "y", "x") and cube.attrs["units"] == "kt"
    assert cube.chunks[2:] == ((grid.shape[0],), (grid.shape[1],))
    per_destination = cube.sum(["sector", "y", "x"]).values
    expected = electricity.sel(stressor="CO2", region="CHN").sum(["sector", "category"]).values
    np.testing.assert_allclose(per_destination, expected, rtol=1e-9)
    # The points' cells hold it all: no electricity lands outside the units' cells.
    usa = cube.sel(destination="USA", sector="secE").values
    x, y = china["sources"].xy(grid.crs)
    cells = np.unique(grid.cell_index(x, y))
    assert usa.ravel()[cells].sum() == pytest.approx(usa.sum(), rel=1e-12)
    assert np.count_nonzero(usa) == len(cells)

    # The export-linked map of all of China's sectors sums to China's EEE.
    foreign = fp.driven.where(fp.destination_country != "CHN", 0.0)
    export_linked = allocation.map(foreign.sel(stressor="CO2").sum(["destination", "category"]))
    assert float(export_linked.sum()) == pytest.approx(
        float(fp.eee.sel(region="CHN", stressor="CO2")), rel=1e-9
    )
    taiwan = china["provinces"].loc[china["provinces"]["gb"] == "156710000"]
    inside = cell_coverage(grid, taiwan).toarray().ravel() == 1
    assert export_linked.values.ravel()[inside].sum() == 0  # no CHN fallback onto Taiwan


def test_units_fall_in_their_labelled_province(china, reference_data):
    import pandas as pd

    table = pd.read_csv(reference_data / "gcpt" / "gcpt_units_jan2023.csv")
    table = table[(table["Country"] == "China") & (table["Status"] == "operating")]
    labelled = (
        "156"
        + table["Subnational unit (province, state)"]
        .map(PROVINCE_CODES)
        .astype("Int64")
        .astype(str)
    ).to_numpy()
    sources = china["sources"]
    assert sources.points["id"].tolist() == table["Tracker ID"].tolist()
    provinces = Zones.from_frame(china["provinces"], label="gb")
    strict = locate(*sources.xy(), sources.crs, provinces, tolerance=0)
    coastal = locate(*sources.xy(), sources.crs, provinces)
    in_label = (strict["label"].to_numpy() == labelled).mean()
    with_tolerance = (coastal["label"].to_numpy() == labelled).mean()
    print(
        f"\nGCPT operating units in their labelled province: {in_label:.1%} strictly, "
        f"{with_tolerance:.1%} with a 10 km coastal tolerance; "
        f"{int(strict['label'].isna().sum())} outside every polygon, "
        f"{int(coastal['label'].isna().sum())} beyond 10 km"
    )
    assert int(strict["label"].isna().sum()) == 22
    assert int(coastal["label"].isna().sum()) == 0
    assert in_label == pytest.approx(0.992, abs=0.002)
    assert with_tolerance > in_label


def test_a_point_where_two_provinces_overlap_goes_to_the_first(china_provinces):
    """Jiangsu and Shandong overlap by about 0.27 km² in this file: points there lie in both
    and take the first in the polygons' order, whichever it is (a loop over the provinces that
    let a later one overwrite would give them to Shandong)."""
    import shapely

    jiangsu, shandong = (
        china_provinces.geometry[china_provinces["gb"] == code].iloc[0]
        for code in ("156320000", "156370000")
    )
    overlap = [
        part for part in shapely.get_parts(shapely.intersection(jiangsu, shandong)) if part.area > 0
    ]
    assert len(overlap) == 2
    inside = shapely.get_coordinates([shapely.point_on_surface(part) for part in overlap])
    provinces = Zones.from_frame(china_provinces, label="gb")
    found = locate(inside[:, 0], inside[:, 1], "EPSG:4490", provinces, tolerance=0)
    assert found["label"].tolist() == ["156320000"] * 2  # Jiangsu: row 9, Shandong row 10
    reversed_order = Zones.from_frame(china_provinces.iloc[::-1], label="gb")
    found = locate(inside[:, 0], inside[:, 1], "EPSG:4490", reversed_order, tolerance=0)
    assert found["label"].tolist() == ["156370000"] * 2
