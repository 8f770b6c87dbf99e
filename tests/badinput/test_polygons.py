"""Bad polygon files: every refusal names the file and says what it holds or lacks.

Each case breaks the boundaries (or the cities layer) of a copy of the sample study and runs
``gridfoot validate``, which reads every input without computing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest

from gridfoot.errors import GridfootWarning
from tests.badinput.conftest import assert_refused, edit_toml, run_cli, snapshot

PROVINCES = Path("boundaries/provinces.geojson")
CITIES = Path("boundaries/cities.geojson")


def _collection(features: list[dict], **members: object) -> str:
    return json.dumps({"type": "FeatureCollection", **members, "features": features})


def _point(x: float, y: float) -> dict:
    return {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "Point", "coordinates": [x, y]},
    }


def no_features(study: Path) -> Path:
    (study / PROVINCES).write_text(_collection([]))
    return PROVINCES


def points_only(study: Path) -> Path:
    (study / PROVINCES).write_text(_collection([_point(120.0, 30.0), _point(121.0, 31.0)]))
    return PROVINCES


def metres_without_crs(study: Path) -> Path:
    projected = gpd.read_file(study / PROVINCES).to_crs("EPSG:3857")
    data = json.loads(projected.to_json())
    data.pop("crs", None)  # read back as EPSG:4326, the GeoJSON default
    (study / PROVINCES).write_text(json.dumps(data))
    return PROVINCES


def csv_renamed(study: Path) -> Path:
    (study / PROVINCES).write_text("code,lon,lat\nHAI,120.5,30.2\n")
    return PROVINCES


def csv_given(study: Path) -> Path:
    (study / "provinces.csv").write_text("code,lon,lat\nHAI,120.5,30.2\n")
    edit_toml(study / "gridfoot.toml", **{"boundaries.path": "provinces.csv"})
    return Path("provinces.csv")


def shapefile_without_prj(study: Path) -> Path:
    frame = gpd.read_file(study / PROVINCES)
    frame.to_file(study / "boundaries" / "provinces.shp")
    (study / "boundaries" / "provinces.prj").unlink()
    edit_toml(study / "gridfoot.toml", **{"boundaries.path": "boundaries/provinces.shp"})
    return Path("provinces.shp")


def cities_empty(study: Path) -> Path:
    (study / CITIES).write_text(_collection([]))
    return CITIES


def cities_points(study: Path) -> Path:
    (study / CITIES).write_text(_collection([_point(120.0, 30.0)]))
    return CITIES


def truncated_json(study: Path) -> Path:
    text = (study / PROVINCES).read_text()
    (study / PROVINCES).write_text(text[: len(text) // 2])
    return PROVINCES


CASES: list[tuple[Callable[[Path], Path], tuple[str, ...]]] = [
    (no_features, ("no (multi)polygons", "no features at all")),
    (points_only, ("no (multi)polygons", "only 2 Point feature(s)")),
    (metres_without_crs, ("outside longitude/latitude", "EPSG:4326", "crs member")),
    (csv_renamed, ("not a vector file",)),
    (csv_given, ("a table without geometries", "code, lon, lat")),
    (shapefile_without_prj, ("no CRS", ".prj")),
    (cities_empty, ("no features at all",)),
    (cities_points, ("only 1 Point feature(s)",)),
    (truncated_json, ("not a vector file",)),
]


@pytest.mark.parametrize(("damage", "names"), CASES, ids=[c[0].__name__ for c in CASES])
def test_validate_refuses_a_broken_polygon_file(capsys, study, damage, names) -> None:
    broken = damage(study)
    before = snapshot(study)
    line = assert_refused(run_cli(capsys, "validate", study / "gridfoot.toml"), *names)
    assert f"{broken.name}:" in line  # the file is named, as the subject of the message
    assert snapshot(study) == before


def test_a_bow_tie_city_is_repaired_with_a_warning_naming_the_file(capsys, study) -> None:
    cities = json.loads((study / CITIES).read_text())
    west, south, east, north = gpd.read_file(study / CITIES).geometry.iloc[0].bounds
    bow_tie = [[west, south], [east, north], [east, south], [west, north], [west, south]]
    cities["features"][0]["geometry"] = {"type": "Polygon", "coordinates": [bow_tie]}
    (study / CITIES).write_text(json.dumps(cities))
    # under pytest the warning is recorded rather than printed, so catch it here
    with pytest.warns(GridfootWarning) as caught:
        outcome = run_cli(capsys, "validate", study / "gridfoot.toml")
    assert outcome.status == 0, outcome.err
    messages = [str(w.message) for w in caught if issubclass(w.category, GridfootWarning)]
    assert len(messages) == 1, messages
    assert "cities.geojson: 1 invalid" in messages[0] and "rows 0" in messages[0]
