"""MRIO construction: canonical order, validation errors that name what is wrong, warnings."""

from __future__ import annotations

import dataclasses
import typing

import numpy as np
import pandas as pd
import pytest

from gridfoot import MRIO, footprint
from gridfoot.errors import (
    BalanceWarning,
    ConfigError,
    LabelError,
    NonProductiveError,
    ValueCheckError,
    ZeroOutputWarning,
)


def test_x_is_balanced_when_not_given(small_mrio) -> None:
    assert small_mrio.x.tolist() == [51.0, 15.0, 58.0, 50.0, 52.0, 39.0]
    assert small_mrio.x_source == "balanced"


def test_labels_are_exposed_in_table_order(small_mrio) -> None:
    assert small_mrio.regions.tolist() == ["reg1", "reg2"]
    assert small_mrio.sectors.tolist() == ["sector1", "sector2", "sector3"]
    assert small_mrio.categories.tolist() == ["final demand"]
    assert small_mrio.stressors.tolist() == ["ext_type_1", "ext_type_2"]
    assert small_mrio.countries.tolist() == ["reg1", "reg2"]


def test_shuffled_tables_give_the_same_footprint(small_mrio_frames, small_mrio) -> None:
    rng = np.random.default_rng(0)
    frames = dict(small_mrio_frames)
    frames["Z"] = frames["Z"].iloc[rng.permutation(6), rng.permutation(6)]
    frames["Y"] = frames["Y"].iloc[rng.permutation(6), ::-1]
    frames["F"] = frames["F"].iloc[:, rng.permutation(6)]
    shuffled = MRIO.from_tables(**frames)
    # Producers are region-major in order of first appearance, whatever the row order.
    regions = shuffled.regions.tolist()
    assert shuffled.producers.get_level_values("region").tolist() == [
        r for r in regions for _ in range(3)
    ]
    expected = footprint(small_mrio)
    result = footprint(shuffled).reindex_like(expected)
    for name in ("driven", "pba", "cba", "eee", "eei", "multiplier"):
        np.testing.assert_allclose(result[name], expected[name], rtol=1e-12, err_msg=name)


def test_x_as_array_follows_the_given_row_order(small_mrio_frames, small_mrio) -> None:
    frames = dict(small_mrio_frames)
    frames["Z"] = frames["Z"].iloc[::-1, ::-1]
    given = frames["Z"].sum(axis=1) + frames["Y"].reindex(frames["Z"].index).sum(axis=1)
    system = MRIO.from_tables(**frames, x=given.to_numpy())
    pd.testing.assert_series_equal(system.x.sort_index(), small_mrio.x.sort_index())
    assert system.x_source == "given"


def test_the_system_is_immutable(small_mrio) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        small_mrio.Z = None


@pytest.mark.parametrize(
    ("change", "error", "pattern"),
    [
        (
            lambda f: f.update(Z=f["Z"].rename(index={"sector3": "s3"}, level=1)),
            LabelError,
            "only in the index: reg1/s3, reg2/s3",
        ),
        (
            lambda f: f.update(Z=f["Z"].iloc[:5, :5]),
            LabelError,
            "Y: its index and Z's name different producers; only in Y: reg2/sector3",
        ),
        (
            lambda f: f.update(Y=f["Y"].rename(columns={"reg2": "regX"}, level=0)),
            LabelError,
            "only in Y: regX; only in Z: reg2",
        ),
        (lambda f: f.update(F=f["F"].iloc[:, :5]), LabelError, "only in Z: reg2/sector3"),
        (
            lambda f: f.update(F_Y=f["F_Y"].rename(columns={"final demand": "hh"}, level=1)),
            LabelError,
            "F_Y: unknown column labels reg1/hh, reg2/hh",
        ),
        (
            lambda f: f["Z"].iloc.__setitem__((1, 2), np.nan),
            ValueCheckError,
            r"Z: 1 NaN or infinite value\(s\) at \(reg1/sector2 x reg1/sector3\)",
        ),
        (
            lambda f: f["Y"].iloc.__setitem__((0, 0), np.inf),
            ValueCheckError,
            r"Y: 1 NaN or infinite value\(s\) at \(reg1/sector1 x reg1/final demand\)",
        ),
        (
            lambda f: f["Z"].iloc.__setitem__((0, 1), -5.0),
            ValueCheckError,
            r"Z: 1 negative value\(s\) at \(reg1/sector1 x reg1/sector2\) = -5",
        ),
        (
            lambda f: f["F"].iloc.__setitem__((1, 0), -1.0),
            ValueCheckError,
            r"F: 1 negative value.*ext_type_2 x reg1/sector1.*allow_negative_emissions",
        ),
        (
            lambda f: f.update(Z=pd.concat([f["Z"], f["Z"].iloc[:1]])),
            LabelError,
            "Z: duplicated index labels: reg1/sector1",
        ),
        (lambda f: f.update(Z=f["Z"].to_numpy()), LabelError, "Z must be a pandas DataFrame"),
        (
            lambda f: f.update(F=f["F"].astype(object).where(f["F"] > 4, "n/a")),
            ValueCheckError,
            "F: non-numeric value 'n/a' in column reg1/sector2",
        ),
    ],
    ids=[
        "z-labels",
        "z-incomplete",
        "y-regions",
        "f-columns",
        "fy-columns",
        "z-nan",
        "y-inf",
        "z-negative",
        "f-negative",
        "z-duplicate",
        "not-a-frame",
        "f-text",
    ],
)
def test_bad_tables_are_refused_with_a_message_naming_the_labels(
    small_mrio_frames, change, error, pattern
) -> None:
    frames = {k: v.copy() for k, v in small_mrio_frames.items()}
    change(frames)
    with pytest.raises(error, match=pattern) as caught:
        MRIO.from_tables(**frames)
    assert "\n" not in str(caught.value)  # one line, as the command line prints it


def test_negative_final_demand_is_legal(small_mrio_frames) -> None:
    frames = {k: v.copy() for k, v in small_mrio_frames.items()}
    frames["Y"].iloc[0, 1] = -1.0
    assert MRIO.from_tables(**frames).Y.iloc[0, 1] == -1.0


def test_negative_emissions_allowed_on_request(small_mrio_frames) -> None:
    frames = {k: v.copy() for k, v in small_mrio_frames.items()}
    frames["F"].iloc[1, 0] = -1.0
    assert MRIO.from_tables(**frames, allow_negative_emissions=True).F.iloc[1, 0] == -1.0


def test_units_and_countries_must_name_known_labels(small_mrio_frames) -> None:
    with pytest.raises(LabelError, match="units: unknown stressors CO2"):
        MRIO.from_tables(**small_mrio_frames, units={"CO2": "t"})
    with pytest.raises(LabelError, match="regions without a country: reg2; unknown regions: reg3"):
        MRIO.from_tables(**small_mrio_frames, countries={"reg1": "C", "reg3": "C"})
    with pytest.raises(LabelError, match="x: 5 values for 6 producers"):
        MRIO.from_tables(**small_mrio_frames, x=np.ones(5))


def test_non_productive_system_is_refused_on_construction(small_mrio_frames) -> None:
    frames = {k: v.copy() for k, v in small_mrio_frames.items()}
    # Twenty times the inputs for the same output: final demand turns negative, A explodes.
    frames["Y"].iloc[:, 0] -= 19 * frames["Z"].sum(axis=1)
    frames["Z"] = frames["Z"] * 20
    with pytest.raises(NonProductiveError, match="reg1/sector1"):
        MRIO.from_tables(**frames)


def _with_idle_producer(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """reg2/sector2 produces nothing yet reports 7 kg of ext_type_1."""
    frames = {k: v.copy() for k, v in frames.items()}
    frames["Z"].loc[("reg2", "sector2")] = 0.0
    frames["Z"][("reg2", "sector2")] = 0.0
    frames["Y"].loc[("reg2", "sector2")] = 0.0
    frames["F"][("reg2", "sector2")] = [7.0, 0.0]
    return frames


def test_zero_output_emissions_are_excluded_with_a_warning_naming_them(small_mrio_frames) -> None:
    frames = _with_idle_producer(small_mrio_frames)
    with pytest.warns(ZeroOutputWarning, match=r"reg2/sector2 \(7 kg ext_type_1\).*in total 7 kg"):
        system = MRIO.from_tables(**frames, units={"ext_type_1": "kg", "ext_type_2": "kg"})
    assert system.excluded.columns.tolist() == [("reg2", "sector2")]
    result = footprint(system)
    assert float(result.excluded.sum()) == 7.0
    # Accounts leave it out, and the identities still hold.
    np.testing.assert_allclose(result.pba.sum("region"), result.cba.sum("region"), rtol=1e-12)
    total_f = system.F.sum(axis=1).to_numpy() + system.F_Y.sum(axis=1).to_numpy()
    np.testing.assert_allclose(
        result.pba.sum("region") + result.excluded.sum(["region", "sector"]), total_f, rtol=1e-12
    )


def test_zero_output_can_be_an_error_or_ignored(small_mrio_frames) -> None:
    frames = _with_idle_producer(small_mrio_frames)
    with pytest.raises(ValueCheckError, match="gross output <= 0"):
        MRIO.from_tables(**frames, zero_output="raise")
    # no warning (pytest turns gridfoot warnings into errors)
    MRIO.from_tables(**frames, zero_output="ignore")


def test_given_x_beyond_rounding_warns_with_the_largest_gaps(small_mrio_frames) -> None:
    x = small_mrio_frames["Z"].sum(axis=1) + small_mrio_frames["Y"].sum(axis=1)
    x.iloc[4] += 30.0
    with pytest.warns(BalanceWarning, match=r"largest gaps: reg2/sector2 -30"):
        MRIO.from_tables(**small_mrio_frames, x=x)


def test_given_x_within_rounding_of_an_integer_table_is_accepted(small_mrio_frames) -> None:
    frames = {k: v.round() for k, v in small_mrio_frames.items()}
    x = frames["Z"].sum(axis=1) + frames["Y"].sum(axis=1)
    x.iloc[0] += 3.0  # 9 entries rounded to whole units could drift 4.5
    assert MRIO.from_tables(**frames, x=x).x.iloc[0] == x.iloc[0]


def test_with_countries_groups_regions(small_mrio) -> None:
    grouped = small_mrio.with_countries({"reg1": "C", "reg2": "C"})
    assert grouped.countries.tolist() == ["C", "C"]
    assert "1 countries" in repr(grouped)


def test_repr_and_html_summarise_the_system(small_mrio) -> None:
    assert repr(small_mrio).startswith("<gridfoot.MRIO: 2 regions x 3 sectors = 6 producers")
    html = small_mrio._repr_html_()
    assert "<table>" in html and "ext_type_1" in html and "kg" in html


def test_technical_coefficients_and_intensities_match_pymrio_golden_values(small_mrio) -> None:
    # pymrio/tests/test_math.py, td_small_MRIO: A[0] and S[0]
    np.testing.assert_allclose(
        small_mrio.A.iloc[0],
        [
            0.19607843137254902,
            0.3333333333333333,
            0.017241379310344827,
            0.12,
            0.09615384615384616,
            0.1794871794871795,
        ],
        rtol=1e-15,
    )
    np.testing.assert_allclose(
        small_mrio.S.iloc[0],
        [
            0.39215686274509803,
            0.06666666666666667,
            0.7241379310344828,
            0.08,
            0.38461538461538464,
            0.1282051282051282,
        ],
        rtol=1e-15,
    )


def test_fields_hold_exactly_their_declared_types(small_mrio, small_mrio_frames) -> None:
    hints = typing.get_type_hints(MRIO)
    assert set(hints) == {f.name for f in dataclasses.fields(MRIO)}
    # the raw tables hold no F_Y and no x: the factory still stores a frame and a series
    minimal = MRIO.from_tables(
        small_mrio_frames["Z"], small_mrio_frames["Y"], small_mrio_frames["F"]
    )
    for system in (small_mrio, minimal, small_mrio.with_countries({"reg1": "C", "reg2": "C"})):
        for name, hint in hints.items():
            value = getattr(system, name)
            if typing.get_origin(hint) is typing.Literal:
                assert value in typing.get_args(hint), name
            else:
                assert isinstance(value, hint), f"{name}: {type(value).__name__} is not {hint}"
    assert minimal.units.tolist() == ["", ""] and minimal.x_source == "balanced"
    assert (minimal.F_Y.to_numpy() == 0).all()
    assert minimal.countries.index.equals(minimal.regions)


def test_the_factory_refuses_with_one_line_messages(small_mrio_frames) -> None:
    frames = {k: v.copy() for k, v in small_mrio_frames.items()}
    frames["Z"].iloc[0, 1] = -5.0
    with pytest.raises(ValueCheckError) as caught:
        MRIO.from_tables(**frames)
    assert str(caught.value) == "Z: 1 negative value(s) at (reg1/sector1 x reg1/sector2) = -5"
    with pytest.raises(ConfigError) as caught:
        MRIO.from_tables(**small_mrio_frames, zero_output="loud")
    assert str(caught.value) == "zero_output: expected one of 'warn', 'raise', 'ignore', got 'loud'"


def test_direct_construction_is_for_canonical_tables_only(small_mrio, small_mrio_frames) -> None:
    fields = {f.name: getattr(small_mrio, f.name) for f in dataclasses.fields(MRIO)}
    assert MRIO(**fields).x.equals(small_mrio.x)  # canonical tables pass as they are
    with pytest.raises(
        TypeError, match=r"MRIO.units must be a pandas.Series, got dict.*from_tables"
    ):
        MRIO(**{**fields, "units": {"ext_type_1": "kg"}})
    with pytest.raises(TypeError, match=r"MRIO.F_Y must be a pandas.DataFrame, got NoneType"):
        MRIO(**{**fields, "F_Y": None})
    with pytest.raises(LabelError, match=r"MRIO.Y.index differs .*MRIO.from_tables"):
        MRIO(**{**fields, "Y": small_mrio.Y.iloc[::-1]})
    with pytest.raises(ValueError, match="x_source must be 'balanced' or 'given'"):
        MRIO(**{**fields, "x_source": "printed"})


def test_with_countries_checks_the_mapping(small_mrio) -> None:
    with pytest.raises(LabelError, match="regions without a country: reg2; unknown regions: none"):
        small_mrio.with_countries({"reg1": "C"})


def test_system_does_not_import_the_readers() -> None:
    """The dependency runs readers -> system only (no cycle, not even inside a function)."""
    import ast
    import inspect

    import gridfoot.mrio.system as system

    tree = ast.parse(inspect.getsource(system))
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert not any(name and name.startswith("gridfoot.mrio.readers") for name in imported)
    assert not hasattr(MRIO, "from_pymrio")
