"""The ``[nest]`` section: every key read, the combinations refused by name, and the section
written back by a run (``run.toml``) reads as it was."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

import gridfoot.config.nest
from gridfoot.config import (
    NestConfig,
    RunConfig,
    check_nest_options,
    load_run_config,
    to_plain,
    to_toml,
    write_run_config,
)
from gridfoot.config.nest import CLI_NAMES
from gridfoot.datasets import sample_data_dir
from gridfoot.errors import ConfigError

SAMPLE = sample_data_dir() / "gridfoot.toml"
BASE = {
    "mrio": {"path": "mrio"},
    "sources": {"path": "firms.csv"},
    "boundaries": {"path": "b.json", "region_field": "code"},
}


def _with_nest(nest: dict, base_dir: Path = Path("/data")) -> RunConfig:
    return RunConfig.from_mapping({**BASE, "nest": nest}, base_dir=base_dir)


def test_every_key_is_read_and_paths_are_relative_to_the_file(tmp_path) -> None:
    path = tmp_path / "study.toml"
    path.write_text(
        SAMPLE.read_text()
        + """
[nest]
region = "HAI"
table = "tables/provinces"
concordance = "concordance_nest.csv"
balance = "none"
exchange_rate = 0.1464
emissions = "output"
tolerance = 1e-8
max_iterations = 500
"""
    )
    nest = load_run_config(path).nest
    assert nest == NestConfig(
        region="HAI",
        table=tmp_path / "tables" / "provinces",
        concordance=tmp_path / "concordance_nest.csv",
        balance="none",
        exchange_rate=0.1464,
        emissions="output",
        tolerance=1e-8,
        max_iterations=500,
    )
    assert not nest.regionalised and not nest.uses_sources
    assert nest.paths == (tmp_path / "tables" / "provinces", tmp_path / "concordance_nest.csv")


def test_regionalisation_keys_are_read_with_their_defaults() -> None:
    shares = _with_nest({"region": "HAI", "shares": "shares.csv", "method": "cilq"}).nest
    assert shares.shares == Path("/data/shares.csv") and shares.regionalised
    assert shares.regionalisation == ("cilq", None)  # no delta but for FLQ
    flq = _with_nest({"shares": "sources", "delta": 0.25}).nest
    assert flq.shares == "sources" and flq.uses_sources and flq.paths == ()
    assert flq.region == "CHN" and flq.regionalisation == ("flq", 0.25)
    assert _with_nest({"shares": "sources"}).nest.regionalisation == ("flq", 0.3)
    assert _with_nest({"table": "t", "emissions": "sources"}).nest.uses_sources


def test_a_run_without_nest_has_none() -> None:
    assert load_run_config(SAMPLE).nest is None


@pytest.mark.parametrize(
    ("nest", "message"),
    [
        ({"region": "HAI"}, r"nest.table or nest.shares: give one"),
        ({"table": "t", "shares": "s.csv"}, r"nest.table and nest.shares: give one, .* not both"),
        ({"shares": "s.csv", "method": "lq"}, r"nest.method: expected one of 'flq', 'slq'"),
        ({"shares": "s.csv", "delta": 1}, r"nest.delta: must be a number in \[0, 1\), got 1"),
        ({"shares": "s.csv", "delta": -0.1}, r"nest.delta: .*got -0.1"),
        ({"shares": "s.csv", "method": "slq", "delta": 0.2}, r"nest.delta: only Flegg's .*'slq'"),
        ({"table": "t", "method": "flq"}, r"nest.method: for a regionalisation \(nest.shares\)"),
        ({"table": "t", "delta": 0.3}, r"nest.delta: for a regionalisation"),
        ({"shares": "sources", "emissions": "output"}, r"nest.emissions: for a table"),
        ({"shares": "s.csv", "concordance": "c.csv"}, r"nest.concordance: for a table"),
        ({"shares": "s.csv", "exchange_rate": 2.0}, r"nest.exchange_rate: for a table"),
        ({"table": "t", "exchange_rate": 0}, r"nest.exchange_rate: must be a number > 0"),
        ({"table": "t", "balance": "ras"}, r"nest.balance: expected one of 'gras', 'none'"),
        ({"table": "t", "emissions": "satellite"}, r"nest.emissions: expected one of 'table'"),
        ({"table": "t", "max_iterations": 0}, r"nest.max_iterations: must be a whole number >= 1"),
        ({"table": "t", "tolerance": 0}, r"nest.tolerance: must be a number > 0"),
        ({"table": "t", "region": " "}, r"nest.region: give the MRIO region to replace"),
        ({"table": "ceads.xlsx"}, r"nest.emissions: a CEADs workbook \(ceads.xlsx\) holds no"),
        ({"table": "t", "tabel": "t"}, r"nest.tabel: unknown key; did you mean 'table'\?"),
        ({"shares": 3}, r"nest.shares: expected one of 'sources' or a path"),
    ],
)
def test_bad_sections_are_refused_naming_the_keys(nest, message) -> None:
    with pytest.raises(ConfigError, match=message):
        _with_nest(nest)


def test_a_workbook_with_emissions_split_by_output_is_accepted() -> None:
    nest = _with_nest({"table": "ceads2017.xlsx", "emissions": "output"}).nest
    assert nest.table == Path("/data/ceads2017.xlsx")


def test_every_problem_of_a_section_is_named_in_one_message() -> None:
    with pytest.raises(ConfigError) as caught:
        NestConfig(table=Path("t"), method="flq", exchange_rate=-1.0, balance="ras")
    message = str(caught.value)
    for name in ("nest.method", "nest.exchange_rate", "nest.balance"):
        assert name in message


def test_the_command_line_names_its_options() -> None:
    with pytest.raises(ConfigError, match=r"^--nest-delta: .*\(--nest-shares\).*\(--nest\)"):
        check_nest_options(CLI_NAMES, table=Path("provinces"), delta=0.3)
    with pytest.raises(ConfigError, match=r"^--exchange-rate: must be a number > 0"):
        check_nest_options(CLI_NAMES, table=Path("provinces"), exchange_rate=float("inf"))
    checked = check_nest_options(CLI_NAMES, shares=Path("s.csv"), method="flq", delta=0)
    assert checked["delta"] == 0.0 and NestConfig(**checked).regionalisation == ("flq", 0.0)


def test_the_documented_section_reads() -> None:
    # the example of gridfoot.config.nest's documentation is a valid section, key for key
    text = re.search(r"::\n\n(    \[nest\]\n.*?)\n\n(?! )", gridfoot.config.nest.__doc__, re.S)[1]
    data = tomllib.loads(text.replace("\n    ", "\n").strip())
    nest = RunConfig.from_mapping({**BASE, **data}, base_dir="/data").nest
    assert nest.region == "CHN" and nest.table == Path("/data/provinces")
    assert nest.exchange_rate == 0.1464 and nest.emissions == "table"
    assert nest.max_iterations == 10_000


@pytest.mark.parametrize(
    "nest",
    [
        {"region": "HAI", "table": "provinces", "concordance": "c.csv", "exchange_rate": 0.5},
        {"region": "HAI", "shares": "sources", "method": "flq", "delta": 0.1},
        {"region": "HAI", "shares": "shares.csv", "balance": "none"},
    ],
)
def test_the_section_round_trips_through_run_toml(tmp_path, nest) -> None:
    config = _with_nest(nest, base_dir=tmp_path)
    plain = tomllib.loads(to_toml(to_plain(config, base_dir=tmp_path)))
    assert RunConfig.from_mapping(plain, base_dir=tmp_path) == config
    # run.toml, as a run writes it, holds the section and re-reads as the same configuration
    written = write_run_config(config, tmp_path / "run.toml")
    assert tomllib.loads(written.read_text())["nest"]["region"] == "HAI"
    assert load_run_config(written) == config
