"""Display names for figures, read beside the MRIO tables, falling back to codes."""

from __future__ import annotations

import geopandas as gpd
from shapely.geometry import box

from gridfoot.datasets import sample_data_dir
from gridfoot.plot.names import CATEGORY_NAMES, Names, fallback_names, read_names


def test_names_of_the_sample_mrio() -> None:
    names = read_names(sample_data_dir() / "mrio")
    assert names.sector("ELE") == "Electricity and heat"
    assert names.region("JIB") == "Jiangbei"
    assert names.region("MER") == "MER"  # no name given: the code
    assert names.category("CONS_h") == "Households"
    assert names.category("CONS_np") == "Non-profit institutions"
    assert names.category("INVEN") == "Changes in inventories"
    assert set(CATEGORY_NAMES) == {"CONS_h", "CONS_np", "CONS_g", "GFCF", "INVEN"}


def test_codes_when_there_are_no_name_tables(tmp_path) -> None:
    assert read_names(tmp_path).sector("ELE") == "ELE"
    assert read_names(tmp_path / "absent").region("USA") == "USA"
    assert read_names(None) == Names()
    (tmp_path / "sectors.csv").write_text("oops\n1\n")  # not a name table: codes
    assert read_names(tmp_path).sector("ELE") == "ELE"


def test_wiod_style_sector_table(tmp_path) -> None:
    (tmp_path / "wiod2013_sectors.csv").write_text(
        'wiot_code,sector_code,sector_name\nc17,secE,"Electricity, Gas and Water Supply"\n'
    )
    assert read_names(tmp_path).sector("secE") == "Electricity, Gas and Water Supply"


def test_fallback_names_prefer_a_latin_name_field_then_the_code() -> None:
    polygons = gpd.GeoDataFrame(
        {"name": ["山东", "Jiangsu"], "name_en": ["Shandong", "Jiangsu"], "code": ["SD", "JS"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
    )
    assert fallback_names(polygons, "name", "code") == {"山东": "Shandong"}
    assert fallback_names(polygons.drop(columns="name_en"), "name", "code") == {"山东": "SD"}
    names = Names(regions={"SHD": "山东省"})
    assert fallback_names(None, None, "code", names) == {"山东省": "SHD"}
