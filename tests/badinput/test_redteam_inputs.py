"""Cases of the red team's report (rows named in each test) that are not about the point
sources' table: the downscale scope, the grid, the proxy raster, overlapping polygons and
the inventory's units. Each refusal is one line naming the key or file; each warning one line
with the counts."""

from __future__ import annotations

import pytest

from tests.badinput.conftest import assert_refused, edit_toml, run_cli


def validate(capsys, study):
    return run_cli(capsys, "validate", study / "gridfoot.toml")


# ---------------------------------------------------------------------- downscale scope
@pytest.mark.parametrize(
    "changes, names",
    [
        ({"downscale.destinations": ["USA", "USA"]}, ("downscale.destinations", "USA")),
        (
            {"downscale.country": None, "downscale.regions": ["HAI", "JIB", "HAI"]},
            ("downscale.regions", "HAI"),
        ),
        ({"downscale.sectors": ["ELE", "STL", "ELE"]}, ("downscale.sectors", "ELE")),
    ],
)
def test_a_code_listed_twice_is_refused(capsys, study, changes, names):
    # red team row 19: a repeated destination was mapped twice
    edit_toml(study / "gridfoot.toml", **changes)
    assert_refused(validate(capsys, study), *names, "more than once")


@pytest.mark.parametrize(
    "changes, key",
    [
        ({"downscale.sectors": []}, "downscale.sectors"),
        ({"downscale.country": None, "downscale.regions": []}, "downscale.regions"),
        ({"downscale.destinations": []}, "downscale.destinations"),
    ],
)
def test_an_empty_list_is_refused(capsys, study, changes, key):
    # red team rows 20 and 21: [] meant "all" without a word
    edit_toml(study / "gridfoot.toml", **changes)
    assert_refused(validate(capsys, study), key, "empty list")


def test_published_shares_of_destinations_not_mapped_are_refused(capsys, study):
    # red team row 22
    edit_toml(study / "gridfoot.toml", **{"output.published": {"ZZZ": 0.1, "USA": 0.2}})
    assert_refused(validate(capsys, study), "output.published", "ZZZ")
