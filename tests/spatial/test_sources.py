"""Reading, validating and locating point sources."""

from __future__ import annotations

import warnings

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
from gridfoot.spatial.zones import Zones


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


def zones() -> Zones:
    """The squares as zones labelled by their code."""
    return Zones.from_frame(squares(), label="code", source="squares.geojson")


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
    found = locate(lon, lat, "EPSG:4326", zones(), tolerance=10_000)
    assert found["label"].tolist()[:3] == ["W", "W", "E"]  # the border point: the first polygon
    assert found["label"].isna().tolist() == [False, False, False, True, True]
    assert found["distance"][:2].tolist() == [0, 0]
    # 0.03 degrees of longitude at 25 N is about 3 km.
    assert found["distance"][2] == pytest.approx(0.03 * 111_320 * np.cos(np.radians(25)), rel=0.01)
    strict = locate(lon, lat, "EPSG:4326", zones(), tolerance=0)
    assert strict["label"].isna().tolist() == [False, False, True, True, True]
    with pytest.raises(InputFileError, match="locate needs Zones"):
        locate(lon, lat, "EPSG:4326", squares())
    with pytest.raises(LabelError, match=r"squares\.geojson: no column 'name' to label the zones"):
        Zones.from_frame(squares(), label="name", source="squares.geojson")


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
        sources = read_sources(frame, weight="w", sector="s", zones=zones())
    assert sources.points["region"].tolist() == ["W", "E", "E"]
    assert sources.unplaced["row"].tolist() == [3]
    assert "outside every boundary polygon" in sources.unplaced["reason"][0]
    assert "1 point(s) by the nearest polygon" in sources.notes[1]
    assert "polygon attribute 'code' of squares.geojson" in sources.notes[1]
    with pytest.raises(UnplacedError):
        read_sources(frame, weight="w", sector="s", zones=zones(), unplaced="raise")
    with pytest.raises(ConfigError, match=r"with zones the region comes .* drop region='code'"):
        read_sources(frame, weight="w", sector="s", region="code", zones=zones())


def test_swapped_coordinates_against_polygons():
    """Both orders are valid degrees here: only the polygons tell the columns are swapped."""
    arabia = gpd.GeoDataFrame({"code": ["SA"]}, geometry=[box(40, 15, 55, 30)], crs="EPSG:4326")
    arabia = Zones.from_frame(arabia, label="code")
    frame = pd.DataFrame({"lon": [25.0, 22.0, 28.0], "lat": [45.0, 50.0, 42.0], "w": 1.0})
    with pytest.raises(ValueCheckError, match="look swapped"):
        read_sources(frame, weight="w", sector_value="secE", zones=arabia)
    right = frame.rename(columns={"lon": "lat", "lat": "lon"})
    sources = read_sources(right, weight="w", sector_value="secE", zones=arabia)
    assert sources.points["region"].tolist() == ["SA"] * 3


# ------------------------------------------------------------- explicit columns and values
def test_constants_are_explicit_and_absent_columns_are_errors():
    with pytest.raises(InputFileError, match=r"no column 'secE' for the sector.*sector_value="):
        read(plants(), sector="secE")
    with pytest.raises(InputFileError, match=r"no column 'CHN' for the region.*Status"):
        read(plants(), region="CHN", region_value=None)
    with pytest.raises(ConfigError, match="not both"):
        read(plants(), sector="Code", sector_value="secE")
    with pytest.raises(ConfigError, match="drop region_value='CHN'"):
        read(plants(), zones=zones())
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
            zones=zones(),
            tolerance=tolerance,
        )
    with pytest.raises(ValueCheckError, match="tolerance"):
        locate(np.array([102.0]), np.array([25.0]), "EPSG:4326", zones(), tolerance)


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


def test_where_keeping_some_rows_with_polygons_keeps_row_numbers():
    # red team row 2: where= with boundaries crashed (rows misaligned after the filter)
    table = plants().assign(Longitude=[101.0, 106.0, 102.0, 107.0], Latitude=25.0)
    table["Status"] = ["retired", "operating", "operating", "operating"]
    sources = read(
        table,
        where={"Status": "operating"},
        region_value=None,
        zones=zones(),
        sector_value="secE",
    )
    assert sources.points[["row", "region"]].values.tolist() == [[1, "E"], [2, "W"], [3, "E"]]


def test_a_folder_or_an_empty_path_is_not_a_table(tmp_path):
    with pytest.raises(InputFileError, match="is a folder, not a table file"):
        read(tmp_path)
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(InputFileError, match="is a folder, not a table file"):
        read(tmp_path / "d.csv")
    with pytest.raises(InputFileError, match="empty path"):
        read("")


def test_units_and_layer_are_checked():
    with pytest.raises(ConfigError, match=r"units=: unknown units 'bananas'.* Mt"):
        read(plants(), units="bananas")


def test_csv_layer_is_refused(tmp_path):
    plants().to_csv(tmp_path / "p.csv", index=False)
    with pytest.raises(ConfigError, match="layer='points'"):
        read(tmp_path / "p.csv", layer="points")


def test_coordinate_columns_are_in_crs_not_the_files(tmp_path):
    # red team row 9: a GeoPackage in Web Mercator keeping lon/lat columns in degrees
    table = plants()
    frame = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["Longitude"], table["Latitude"]), crs=4326
    ).to_crs(3857)
    frame.to_file(tmp_path / "p.gpkg")
    sources = read(tmp_path / "p.gpkg", sector_value="secE")
    assert sources.crs.to_epsg() == 4326
    assert sources.points["x"].tolist() == pytest.approx(table["Longitude"].tolist())
    # without the columns the geometry is used, in the file's CRS
    frame.drop(columns=["Longitude", "Latitude"]).to_file(tmp_path / "q.gpkg")
    assert read(tmp_path / "q.gpkg", sector_value="secE").crs.to_epsg() == 3857


def test_points_all_or_mostly_outside_the_polygons():
    table = plants().assign(Longitude=[1.0, 2.0, 3.0, 104.0], Latitude=25.0)
    options = dict(region_value=None, zones=zones(), sector_value="secE")
    with pytest.warns(UnplacedWarning, match=r"75% of the points, .*WGS 84 \(EPSG:4326\)"):
        read(table, **options)
    with pytest.raises(UnplacedError, match=r"none of the 4 point\(s\) .*check that CRS"):
        read(table.assign(Longitude=1.0), **options)


def test_extreme_weights_warn_naming_rows():
    from gridfoot.errors import GridfootWarning

    table = pd.DataFrame(
        {
            "Plant ID": [f"G{i}" for i in range(7)],
            "Longitude": 101.0,
            "Latitude": 25.0,
            "CO2 (Mt)": [1.0, 2, 1, 3, 2, 1, 1e300],
        }
    )
    with pytest.warns(GridfootWarning, match=r"row 6 \(id G6, sector secE, weight 1e\+300 Mt"):
        read(table, sector_value="secE", units="Mt")
    with warnings.catch_warnings():  # 5e4 x the median, but shared with a twin: quiet
        warnings.simplefilter("error")
        read(table.assign(**{"CO2 (Mt)": [1.0, 2, 1, 3, 2, 5e4, 5e4]}), sector_value="secE")
