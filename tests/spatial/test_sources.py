"""Reading, validating and locating point sources."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely import box

from gridfoot.errors import (
    ConfigError,
    InputFileError,
    LabelError,
    MissingFileError,
    UnplacedError,
    UnplacedWarning,
    ValueCheckError,
)
from gridfoot.spatial.sources import locate, read_concordance, read_sources


def plants() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Plant ID": ["G1", "G2", "G3", "G4"],
            "Longitude": [116.4, 121.5, 113.3, 104.1],
            "Latitude": [39.9, 31.2, 23.1, 30.7],
            "CO2 (Mt)": [5.0, 3.0, 2.0, 1.0],
            "Code": ["4411", "4411", "2511", "3011"],
            "Status": ["operating", "operating", "operating", "retired"],
        }
    )


def squares() -> gpd.GeoDataFrame:
    """Two provinces side by side in lon/lat: W = 100..105 E, E = 105..110 E, 20..30 N."""
    return gpd.GeoDataFrame(
        {"code": ["W", "E"]},
        geometry=[box(100, 20, 105, 30), box(105, 20, 110, 30)],
        crs="EPSG:4326",
    )


def read(frame, **options):
    defaults = dict(
        lon="Longitude",
        lat="Latitude",
        weight="CO2 (Mt)",
        sector="Code",
        id="Plant ID",
        region_value="CHN",
    )
    if "sector_value" in options:
        defaults.pop("sector")
    return read_sources(frame, **{**defaults, **options})


def test_columns_constants_and_where():
    sources = read(plants(), where={"Status": "operating"}, sector_value="secE", units="Mt")
    points = sources.points
    assert points["id"].tolist() == ["G1", "G2", "G3"]
    assert points["region"].unique().tolist() == ["CHN"]
    assert points["sector"].unique().tolist() == ["secE"]
    assert points["x"].tolist() == [116.4, 121.5, 113.3]
    assert points["row"].tolist() == [0, 1, 2]
    retired = read(plants(), where={"Status": ["retired", "mothballed"]}, sector_value="secE")
    assert retired.points["row"].tolist() == [3]  # rows count in the table as read
    assert sources.units == "Mt"
    assert any("'CHN' for every point" in note for note in sources.notes)
    assert "3 points" in repr(sources) and "10 Mt" in repr(sources)
    assert len(sources.unplaced) == 0
    gdf = sources.to_geodataframe()
    assert gdf.crs.to_epsg() == 4326 and gdf.geometry.x.tolist() == [116.4, 121.5, 113.3]
    x, _ = sources.xy("EPSG:3857")
    assert x[0] == pytest.approx(6_378_137 * np.radians(116.4), rel=1e-9)  # Web Mercator
    no_ids = read_sources(
        plants(), lon="Longitude", lat="Latitude", weight="CO2 (Mt)", sector="Code", region="Status"
    )
    assert no_ids.points["id"].tolist() == [0, 1, 2, 3]
    assert no_ids.points["region"].tolist() == ["operating"] * 3 + ["retired"]


def test_csv_with_newlines_in_cells(tmp_path):
    path = tmp_path / "plants.csv"
    frame = plants().assign(Note=["two\nlines", "", "a, comma", "x"])
    frame.to_csv(path, index=False)
    assert path.read_text().count("\n") > 5
    sources = read(path, sector_value="secE")
    assert sources.points["id"].tolist() == ["G1", "G2", "G3", "G4"]
    assert sources.origin == str(path)


def test_geopackage_and_geoparquet_use_point_geometry(tmp_path):
    frame = plants()
    gdf = gpd.GeoDataFrame(
        frame.drop(columns=["Longitude", "Latitude"]),
        geometry=gpd.points_from_xy(frame["Longitude"], frame["Latitude"]),
        crs="EPSG:4326",
    ).to_crs("EPSG:3857")
    for name in ("plants.gpkg", "plants.parquet"):
        path = tmp_path / name
        gdf.to_file(path) if name.endswith("gpkg") else gdf.to_parquet(path)
        sources = read(path, sector_value="secE", crs="EPSG:4326")  # the file's own CRS wins
        assert sources.crs.to_epsg() == 3857
        lon, lat = sources.xy("EPSG:4326")
        assert np.allclose(lon, frame["Longitude"]) and np.allclose(lat, frame["Latitude"])
    plain = tmp_path / "plain.parquet"
    frame.to_parquet(plain)
    assert len(read(plain, sector_value="secE")) == 4


def test_missing_file_and_columns_are_named(tmp_path):
    with pytest.raises(InputFileError, match="no such file"):
        read(tmp_path / "absent.csv")
    with pytest.raises(InputFileError, match=r"missing coordinate column\(s\) 'Lon'"):
        read(plants(), lon="Lon")
    with pytest.raises(InputFileError, match=r"no column 'CO2' for the weight.*CO2 \(Mt\)"):
        read(plants(), weight="CO2")
    with pytest.raises(InputFileError, match="where= names column 'Country'"):
        read(plants(), where={"Country": "China"})
    with pytest.raises(InputFileError, match="say where the region comes from"):
        read(plants(), region_value=None)


@pytest.mark.parametrize(
    "column, value, match",
    [
        ("Longitude", np.nan, "missing or non-numeric coordinates"),
        ("Latitude", "north", "missing or non-numeric coordinates"),
        ("CO2 (Mt)", -1.0, "negative weight"),
        ("CO2 (Mt)", np.inf, "non-finite weight"),
        ("Latitude", 95.0, r"latitude beyond \+-90"),
        ("Longitude", 190.0, r"longitude beyond \+-180"),
        ("Plant ID", "G1", "duplicated id"),
        ("Code", None, "missing sector"),
    ],
)
def test_bad_rows_raise_naming_rows_or_are_set_aside(column, value, match):
    frame = plants().astype({column: object})
    frame.loc[1, column] = value
    with pytest.raises((ValueCheckError, LabelError), match=match) as error:
        read(frame)
    assert "row(s) " in str(error.value) and "(id G" in str(error.value)
    with pytest.warns(UnplacedWarning, match=r"point\(s\) set aside .*weight"):
        sources = read(frame, invalid="report")
    assert 1 in sources.unplaced["row"].tolist()
    assert sources.unplaced["reason"].str.contains(match.split(r" \+")[0].split("(")[0]).all()
    assert len(sources.points) + len(sources.unplaced) == 4


def test_swapped_columns_are_named():
    frame = plants()
    frame.loc[:, ["Longitude", "Latitude"]] = frame[["Latitude", "Longitude"]].to_numpy()
    frame.loc[0, "Latitude"] = 116.4  # out of range for a latitude
    with pytest.raises(ValueCheckError, match="look swapped"):
        read(frame)


def test_concordance_many_to_one_and_one_to_many(tmp_path):
    table = read_concordance(
        {"4411": "secE", "2511": {"secC": 0.25, "sec27t28": 0.75}, "3011": "secE"}
    )
    assert table["share"].tolist() == [1, 0.25, 0.75, 1]
    sources = read(plants(), concordance=table)
    points = sources.points
    assert points["sector"].tolist() == ["secE", "secE", "secC", "sec27t28", "secE"]
    assert points["weight"].tolist() == [5, 3, 0.5, 1.5, 1]
    assert points["source_sector"].tolist() == ["4411", "4411", "2511", "2511", "3011"]
    assert points.groupby("row")["weight"].sum().tolist() == [5, 3, 2, 1]
    path = tmp_path / "concordance.csv"
    table.rename(columns={"code": "CIC", "sector": "WIOD"}).to_csv(path, index=False)
    again = read_concordance(path, code="CIC", sector="WIOD")
    pd.testing.assert_frame_equal(again, table, check_dtype=False)
    with pytest.raises(LabelError, match="absent from the concordance") as error:
        read(plants(), concordance={"4411": "secE"})
    assert "row(s) 2 (id G3), 3 (id G4)" in str(error.value)


def test_concordance_errors(tmp_path):
    with pytest.raises(ValueCheckError, match=r"2511 sums to 0\.9"):
        read_concordance({"2511": {"secC": 0.25, "sec27t28": 0.65}})
    with pytest.raises(ValueCheckError, match="needs a share column"):
        read_concordance(pd.DataFrame({"code": ["a", "a"], "sector": ["x", "y"]}))
    with pytest.raises(LabelError, match="duplicated code/sector"):
        read_concordance(
            pd.DataFrame({"code": ["a", "a"], "sector": ["x", "x"], "share": [0.5, 0.5]})
        )
    with pytest.raises(ValueCheckError, match=">= 0"):
        read_concordance(pd.DataFrame({"code": ["a"], "sector": ["x"], "share": [-1.0]}))
    with pytest.raises(InputFileError, match="missing column"):
        read_concordance(pd.DataFrame({"code": ["a"]}))


def test_locate_inside_border_coast_and_far():
    lon = np.array([102.0, 105.0, 110.03, 112.0, np.nan])
    lat = np.array([25.0, 25.0, 25.0, 25.0, 25.0])
    found = locate(lon, lat, "EPSG:4326", squares(), "code", tolerance=10_000)
    assert found["label"].tolist()[:3] == ["W", "W", "E"]  # the border point: the first polygon
    assert found["label"].isna().tolist() == [False, False, False, True, True]
    assert found["distance"][:2].tolist() == [0, 0]
    # 0.03 degrees of longitude at 25 N is about 3 km.
    assert found["distance"][2] == pytest.approx(0.03 * 111_320 * np.cos(np.radians(25)), rel=0.01)
    strict = locate(lon, lat, "EPSG:4326", squares(), "code", tolerance=0)
    assert strict["label"].isna().tolist() == [False, False, True, True, True]
    with pytest.raises(InputFileError, match="column 'name'"):
        locate(lon, lat, "EPSG:4326", squares(), "name")


def test_regions_from_polygons_with_coastal_tolerance():
    frame = pd.DataFrame(
        {
            "lon": [102.0, 107.0, 110.03, 112.0],
            "lat": [25.0, 25.0, 25.0, 25.0],
            "w": [1.0, 2.0, 3.0, 4.0],
            "s": "secE",
        }
    )
    with pytest.warns(UnplacedWarning, match=r"1 point\(s\) with weight 4"):
        sources = read_sources(frame, weight="w", sector="s", region="code", boundaries=squares())
    assert sources.points["region"].tolist() == ["W", "E", "E"]
    assert sources.unplaced["row"].tolist() == [3]
    assert "outside every boundary polygon" in sources.unplaced["reason"][0]
    assert "1 point(s) by the nearest polygon" in sources.notes[1]
    with pytest.raises(UnplacedError):
        read_sources(
            frame, weight="w", sector="s", region="code", boundaries=squares(), unplaced="raise"
        )
    with pytest.raises(InputFileError, match="with boundaries"):
        read_sources(frame, weight="w", sector="s", boundaries=squares())


def test_swapped_coordinates_against_polygons():
    """Both orders are valid degrees here: only the polygons tell the columns are swapped."""
    arabia = gpd.GeoDataFrame({"code": ["SA"]}, geometry=[box(40, 15, 55, 30)], crs="EPSG:4326")
    frame = pd.DataFrame({"lon": [25.0, 22.0, 28.0], "lat": [45.0, 50.0, 42.0], "w": 1.0})
    with pytest.raises(ValueCheckError, match="look swapped"):
        read_sources(frame, weight="w", sector_value="secE", region="code", boundaries=arabia)
    right = frame.rename(columns={"lon": "lat", "lat": "lon"})
    sources = read_sources(right, weight="w", sector_value="secE", region="code", boundaries=arabia)
    assert sources.points["region"].tolist() == ["SA"] * 3


# ------------------------------------------------------------- explicit columns and values
def test_constants_are_explicit_and_absent_columns_are_errors():
    with pytest.raises(InputFileError, match=r"no column 'secE' for the sector.*sector_value="):
        read(plants(), sector="secE")
    with pytest.raises(InputFileError, match=r"no column 'CHN' for the region.*Status"):
        read(plants(), region="CHN", region_value=None)
    with pytest.raises(ConfigError, match="not both"):
        read(plants(), sector="Code", sector_value="secE")
    with pytest.raises(ConfigError, match="drop region_value"):
        read(plants(), region="code", boundaries=squares())
    counted = read(plants(), weight=None, weight_value=1.0, sector_value="secE")
    assert counted.points["weight"].tolist() == [1.0] * 4
    assert "weight 1.0 for every point (weight_value)" in counted.notes
    for bad in (0.0, -1.0, np.nan, "one"):
        with pytest.raises(ValueCheckError, match="weight_value"):
            read(plants(), weight=None, weight_value=bad)
    default = read_sources(
        plants().rename(columns={"Code": "sector", "CO2 (Mt)": "weight"}),
        lon="Longitude",
        lat="Latitude",
        region_value="CHN",
    )
    assert default.points["sector"].tolist() == ["4411", "4411", "2511", "3011"]


@pytest.mark.parametrize("tolerance", [-5000.0, np.inf, np.nan, "far"])
def test_tolerance_must_be_finite_and_not_negative(tolerance):
    frame = pd.DataFrame({"lon": [102.0], "lat": [25.0], "w": [1.0]})
    with pytest.raises(ValueCheckError, match="tolerance"):
        read_sources(
            frame,
            weight="w",
            sector_value="secE",
            region="code",
            boundaries=squares(),
            tolerance=tolerance,
        )
    with pytest.raises(ValueCheckError, match="tolerance"):
        locate(np.array([102.0]), np.array([25.0]), "EPSG:4326", squares(), "code", tolerance)


# ------------------------------------------------------------------ checks against the MRIO
def test_codes_and_regions_the_mrio_lacks_are_named_with_rows_and_weight():
    with pytest.raises(LabelError, match="not MRIO sectors") as error:
        read(plants(), sectors=["secE", "secC"])
    message = str(error.value)
    assert "4411, 2511, 3011" in message and "concordance" in message
    assert "4 point(s)" in message and "weight 11:" in message
    odd = plants().assign(Region=["CHN", "CHN", "XXX", "CHN"])
    with pytest.raises(LabelError, match=r"XXX.*'Region'.*row\(s\) 2 \(id G3\)"):
        read(odd, region="Region", region_value=None, sector_value="secE", regions=["CHN"])
    with pytest.raises(LabelError, match="ZZZ"):
        read(plants(), region_value="ZZZ", sector_value="secE", regions=["CHN"])
    with pytest.warns(UnplacedWarning, match=r"1 point\(s\) set aside .*weight 2 Mt.*XXX"):
        kept = read(
            odd,
            region="Region",
            region_value=None,
            sector_value="secE",
            regions=["CHN"],
            units="Mt",
            invalid="report",
        )
    assert kept.points["id"].tolist() == ["G1", "G2", "G4"]
    assert kept.unplaced[["id", "weight"]].values.tolist() == [["G3", 2.0]]


def test_concordance_rows_must_name_mrio_sectors():
    concordance = {"4411": "secE", "2511": {"secC": 0.25, "secX": 0.75}, "3011": "secE"}
    with pytest.raises(LabelError, match=r"row 2 \(code 2511 -> secX\).*secX") as error:
        read(plants(), concordance=concordance, sectors=["secE", "secC"])
    assert "its sectors: secE, secC" in str(error.value)
    assert len(read(plants(), concordance=concordance)) == 5  # unchecked without sectors=


def test_empty_tables_and_all_zero_weights_are_refused():
    with pytest.raises(InputFileError, match="no points"):
        read(plants().iloc[:0])
    with pytest.raises(
        InputFileError, match=r"where= keeps none of its 4 rows \(Status = 'gone'\)"
    ):
        read(plants(), where={"Status": "gone"})
    zero = plants().assign(**{"CO2 (Mt)": 0.0})
    with pytest.raises(ValueCheckError, match=r"4 point\(s\) with weight 0 \('CO2 \(Mt\)'\)"):
        read(zero, sector_value="secE")
    with pytest.warns(UnplacedWarning, match=r"4 point\(s\) set aside"):
        aside = read(zero, sector_value="secE", invalid="report")
    assert len(aside.points) == 0 and len(aside.unplaced) == 4
    some = plants().assign(**{"CO2 (Mt)": [0.0, 0.0, 1.0, 0.0]})
    assert len(read(some, sector_value="secE")) == 4  # zeros beside a weight are legal


# -------------------------------------------------------------------- text files
def test_delimiters_encodings_and_leading_zeros(tmp_path):
    frame = plants().assign(Code=["0610", "0610", "2511", "3011"], Name="海阳电厂")
    path = tmp_path / "plants.csv"
    path.write_bytes(frame.to_csv(index=False, sep=";").encode("gbk"))
    with pytest.raises(InputFileError, match=r"plants.csv: not UTF-8 text.*encoding"):
        read(path)
    concordance = tmp_path / "concordance.csv"
    concordance.write_bytes(
        "code;sector;share;note\n0610;secE;1;海阳电厂\n2511;secC;0,25;\n2511;secX;0,75;\n3011;secE;1;\n".encode(
            "gbk"
        )
    )
    sources = read(path, encoding="gbk", concordance=concordance, units="Mt")
    assert sources.points["source_sector"].tolist() == ["0610", "0610", "2511", "2511", "3011"]
    assert sources.points["weight"].tolist() == [5.0, 3.0, 0.5, 1.5, 1.0]
    with pytest.raises(InputFileError, match=r"concordance\.csv: not UTF-8"):
        read_concordance(concordance)
    assert read_concordance(concordance, encoding="gbk")["share"].tolist() == [1, 0.25, 0.75, 1]
    with pytest.raises(MissingFileError, match="concordance"):
        read_concordance(tmp_path / "absent.csv")
