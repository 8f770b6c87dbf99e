"""The generic TOML loader: types, nesting, paths, and errors naming section.key."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

import pytest

from gridfoot.checks import (
    check_choice,
    check_fraction,
    check_fractions,
    check_literals,
    check_number,
)
from gridfoot.config import from_mapping, load_config, to_toml
from gridfoot.errors import ConfigError


@dataclass(frozen=True)
class Layer:
    name: str
    weight: float = 1.0


@dataclass(frozen=True)
class Output:
    folder: Path
    formats: tuple[str, ...] = ("png",)
    dpi: int = 300


@dataclass(frozen=True)
class Study:
    output: Output
    layer: tuple[Layer, ...] = ()
    mode: Literal["mrio", "inventory"] = "mrio"
    grid: Path | None = None
    labels: dict[str, str] = field(default_factory=dict)
    verbose: bool = False


def test_full_file_with_paths_relative_to_it(tmp_path) -> None:
    (tmp_path / "sub").mkdir()
    config = tmp_path / "sub" / "study.toml"
    config.write_text(
        """
mode = "inventory"
grid = "../grids/china.tif"
verbose = true

[output]
folder = "results"
formats = ["png", "svg"]

[labels]
CON = "Construction"

[[layer]]
name = "power"
weight = 2

[[layer]]
name = "steel"
"""
    )
    study = load_config(config, Study)
    assert study.output.folder == tmp_path / "sub" / "results"
    assert study.output.formats == ("png", "svg")
    assert study.grid == tmp_path / "grids" / "china.tif"
    assert study.layer == (Layer("power", 2.0), Layer("steel", 1.0))
    assert isinstance(study.layer[0].weight, float)
    assert (study.mode, study.verbose, study.labels) == ("inventory", True, {"CON": "Construction"})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"output": {"folder": "x", "dpl": 3}},
         r"output.dpl: unknown key; did you mean 'dpi'\? known keys: folder, formats, dpi"),
        ({"output": {"folder": "x", "colour": 3}}, "output.colour: unknown key; known keys: fo"),
        ({"output": {"folder": "x", "dpi": "300"}}, "output.dpi: expected an integer, got '300'"),
        ({"output": {"folder": "x", "dpi": True}}, "output.dpi: expected an integer"),
        ({"output": {}}, "output.folder: required key is missing"),
        ({}, "output: required key is missing"),
        ({"output": {"folder": 3}}, "output.folder: expected a path"),
        ({"output": {"folder": "x"}, "mode": "grid"}, "mode: expected one of 'mrio', 'inventory'"),
        ({"output": {"folder": "x"}, "layer": [{"name": "a"}, {"weight": 1}]},
         r"layer\[1\].name: required key is missing"),
        ({"output": {"folder": "x"}, "layer": {"name": "a"}}, "layer: expected an array"),
        ({"output": {"folder": "x"}, "layer": [{"name": "a", "weight": "1"}]},
         r"layer\[0\].weight: expected a number"),
        ({"output": {"folder": "x"}, "labels": {"CON": 1}}, "labels.CON: expected a string"),
        ({"output": {"folder": "x"}, "grid": 1}, "grid: expected a path"),
    ],
)  # fmt: skip
def test_errors_name_the_key(data, message) -> None:
    with pytest.raises(ConfigError, match=message):
        from_mapping(data, Study)


def test_file_errors_name_the_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "missing.toml", Study)
    bad = tmp_path / "bad.toml"
    bad.write_text("output = [")
    with pytest.raises(ConfigError, match=r"bad.toml: not a valid TOML file"):
        load_config(bad, Study)
    typo = tmp_path / "typo.toml"
    typo.write_text('[output]\nfolder = "x"\nformat = ["png"]\n')
    with pytest.raises(ConfigError, match=r"typo.toml: output.format: unknown key"):
        load_config(typo, Study)


def test_section_of_a_larger_file(tmp_path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('[plot]\nfolder = "figs"\n[other]\nanything = 1\n')
    assert load_config(path, Output, section="plot").folder == tmp_path / "figs"
    with pytest.raises(ConfigError, match=r"missing section \[map\]"):
        load_config(path, Output, section="map")


def test_nan_is_never_a_setting() -> None:
    with pytest.raises(ConfigError, match=r"layer\[0\].weight: expected a number, got nan"):
        from_mapping({"output": {"folder": "x"}, "layer": [{"name": "a", "weight": NAN}]}, Study)


NAN = float("nan")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: check_number("2", "k", low=1), "k: must be a number >= 1, got '2'"),
        (lambda: check_number(True, "k"), "k: must be a number, got True"),
        (lambda: check_number(NAN, "k"), "k: must be a number, got nan"),
        (lambda: check_number(float("inf"), "k", low=0), "k: must be a number >= 0, got inf"),
        (lambda: check_number(2.5, "k", integer=True), "k: must be a whole number, got 2.5"),
        (lambda: check_number(1, "k", high=1, high_open=True), "k: must be a number < 1, got 1"),
        (lambda: check_fraction(0, "s"), r"s: must be a number in \(0, 1\], got 0"),
        (lambda: check_fraction(-0.0001, "s", zero=True), r"s: must be a number in \[0, 1\]"),
        (lambda: check_fractions([0.2, 2, NAN], "s"), r"s: every value .* got 2, nan"),
        (lambda: check_fractions((), "s"), "s: give at least one share"),
        (lambda: check_choice(1, "c", (4, 8)), "c: expected one of 4, 8, got 1"),
        (lambda: check_choice(["png"], "c", ("png",)), r"c: expected one of 'png', got \['png'\]"),
    ],
)
def test_option_checks_name_option_value_and_what_is_allowed(call, message) -> None:
    with pytest.raises(ConfigError, match=message):
        call()


def test_option_checks_return_normalised_values() -> None:
    assert check_number(3, "k", low=1) == 3.0 and isinstance(check_number(3, "k"), float)
    assert check_number(3.0, "k", integer=True) == 3
    assert check_fraction(1, "s") == 1.0 and check_fraction(0, "s", zero=True) == 0.0
    assert check_fractions(0.5, "s") == (0.5,)
    assert check_choice(8, "c", (4, 8)) == 8


@dataclass(frozen=True)
class Picked:
    mode: Literal["a", "b"] = "a"
    modes: tuple[Literal["a", "b"], ...] = ()
    maybe: Literal["x"] | None = None

    def __post_init__(self) -> None:
        check_literals(self, "picked")


def test_literals_are_checked_for_dataclasses_built_in_python() -> None:
    assert Picked(mode="b", modes=("a", "b"), maybe="x").mode == "b"
    with pytest.raises(ConfigError, match=r"picked\.mode: expected one of 'a', 'b', got 'c'"):
        Picked(mode="c")
    with pytest.raises(ConfigError, match=r"picked.modes\[1\]: .*got 'z'"):
        Picked(modes=("a", "z"))
    with pytest.raises(ConfigError, match=r"picked\.maybe: expected one of 'x', got 'y'"):
        Picked(maybe="y")


def test_toml_dates_are_written_back() -> None:
    import datetime
    import tomllib

    data = {"when": datetime.date(2026, 12, 1), "at": datetime.time(5, 30)}
    assert tomllib.loads(to_toml(data)) == data


@pytest.mark.parametrize(
    "data",
    [
        {"sources": {"where": {"状态": "运行", "Status x": "on"}}},  # keys that are not bare
        {"name": 'tab\tDEL\x7f quote" back\\slash newline\n'},  # escapes TOML requires
        {"city": [{"name": "a", "columns": {"sector": "code"}}, {"name": "b"}]},  # [[city]]
        {"deep": {"er": {"est": [1.5, -0.0, 1e300]}}, "flag": False},
    ],
)
def test_to_toml_writes_what_tomllib_reads_back(data) -> None:
    # the hand-written writer wrote bare non-ASCII keys and a raw DEL (invalid TOML) and
    # could not write arrays of tables; tomli-w does all three
    import tomllib

    assert tomllib.loads(to_toml(data)) == data


@dataclass(frozen=True)
class Renamed:
    """A schema whose [old] table became [new], with old.folder now new.path."""

    new: Output | None = None
    label: str = ""

    _renamed_keys: ClassVar[dict[str, str]] = {
        "old.path": "new.folder",
        "old.name": "label",
        "old": "new",
    }


def test_old_key_names_are_read_as_the_new_ones_with_one_warning(tmp_path) -> None:
    from gridfoot.errors import DeprecatedKeyWarning

    path = tmp_path / "old.toml"
    path.write_text('[old]\npath = "out"\nname = "x"\ndpi = 72\n')
    with pytest.warns(DeprecatedKeyWarning) as caught:
        config = load_config(path, Renamed)
    assert len(caught) == 1
    assert str(caught[0].message).startswith(f"{path}: old key names read as their new ones")
    assert "old.path -> new.folder, old.name -> label, old -> new" in str(caught[0].message)
    assert config == Renamed(new=Output(folder=tmp_path / "out", dpi=72), label="x")
    with pytest.warns(DeprecatedKeyWarning, match=r"^old key names"):  # no file: no file name
        assert from_mapping({"old": {"path": "p"}}, Renamed).new.folder == Path("p").resolve()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"old": {"path": "a"}, "new": {"folder": "b"}}, "old.path: the old name of new.folder"),
        ({"old": {"name": "a"}, "label": "b"}, "old.name: the old name of label; give label"),
        ({"old": {}, "new": {"folder": "b"}}, "old: the old name of new; give new only"),
        ({"old": {"path": "a", "folder": "b"}}, "old.folder: read as new.folder, which another"),
        ({"old": {"path": "a", "dpl": 1}}, "new.dpl: unknown key"),
    ],
)
def test_old_and_new_names_together_are_refused(data, message) -> None:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ConfigError, match=message):
            from_mapping(data, Renamed)


def test_the_documented_wiod_section_reads_as_gridfoot_datasets_wiod2009() -> None:
    # the [mrio] example of the README and of gridfoot.config.mrio is the real WIOD mapping
    import re
    import tomllib

    import gridfoot.config.mrio
    from gridfoot.config import MrioConfig
    from gridfoot.datasets import WIOD2009

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    documented = {
        "README.md": re.search(r"```toml\n(\[mrio\]\npath = \"wiod2013\".*?)```", readme, re.S)[1],
        "gridfoot.config.mrio": re.search(
            r"::\n\n(    \[mrio\]\n    path = \"wiod2013\".*?)\n\n(?! )",
            gridfoot.config.mrio.__doc__,
            re.S,
        )[1]
        .replace("\n    ", "\n")
        .strip(),
    }
    for where, text in documented.items():
        mrio = from_mapping(tomllib.loads(text)["mrio"], MrioConfig)
        options = {k: v for k, v in mrio.read_options().items() if k in WIOD2009}
        assert options == WIOD2009, where
