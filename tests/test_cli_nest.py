"""``gridfoot footprint --nest`` and ``--nest-shares``: the region replaced before the footprint,
the accounts kept, what the nesting did written beside them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from gridfoot import footprint
from gridfoot.cli import main
from gridfoot.datasets import sample_data_dir, sample_mrio
from tests.mrio.splits import write_subnational_folder
from tests.workflows.nested import HALVES, REGION, split_table

MRIO = sample_data_dir() / "mrio"
NESTING_CSVS = ("nesting_totals.csv", "nesting_blocks.csv", "nesting_changes.csv")


@pytest.fixture(scope="module")
def table_folder(tmp_path_factory) -> Path:
    """HAI of the sample MRIO split in two proportional halves, in the folder layout."""
    return write_subnational_folder(split_table(), tmp_path_factory.mktemp("nest") / "provinces")


def _accounts(folder: Path) -> pd.DataFrame:
    frame = pd.read_csv(folder / "accounts.csv")
    return frame.pivot_table(index="region", columns="account", values="value", aggfunc="sum")


def test_footprint_with_a_nested_table_keeps_the_host_accounts(tmp_path, capsys, table_folder):
    out = tmp_path / "out"
    argv = ["footprint", "--mrio", MRIO, "--monetary-unit", "million USD", "--nest"]
    assert (
        main([*map(str, argv), str(table_folder), "--nest-region", REGION, "--out", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    assert "HAI is replaced by the 2 regions of the sub-national table provinces" in printed
    nested = _accounts(out)
    host = footprint(sample_mrio()).sel(stressor="CO2")
    assert set(nested.index) == {*(r for r in sample_mrio().regions if r != REGION), *HALVES}
    for account in ("pba", "cba", "eee", "eei", "eee_domestic", "eei_domestic"):
        expected = host[account].to_series()
        # every other region keeps its accounts (its trade with the halves is its trade with HAI)
        others = expected.drop(REGION)
        np.testing.assert_allclose(nested.loc[others.index, account], others, rtol=1e-9)
        halves = nested.loc[list(HALVES), account].sum()
        if account.endswith("_domestic"):
            # the halves trade with each other too: flows inside HAI are now between regions
            assert halves > expected[REGION] * (1 + 1e-6), account
        else:  # the two halves hold HAI's accounts
            assert halves == pytest.approx(expected[REGION], rel=1e-9), account
    totals = pd.read_csv(out / "nesting_totals.csv").set_index("quantity")
    assert list(totals.columns) == ["host", "table", "nested"]
    np.testing.assert_allclose(totals["nested"], totals["host"], rtol=1e-9)  # proportional
    blocks = pd.read_csv(out / "nesting_blocks.csv")
    assert list(blocks["block"]) == ["exports", "imports"]
    assert pd.read_csv(out / "nesting_changes.csv").columns[0] == "block"
    with xr.open_dataset(out / "footprint.nc") as written:
        assert written.attrs["estimate"] == 0
        assert written.attrs["nesting"].startswith("HAI replaced by 2 regions (nested table")


def test_footprint_with_shares_is_marked_an_estimate(tmp_path, capsys) -> None:
    shares = tmp_path / "shares.csv"
    shares.write_text("region,sector,value\nHAN,ELE,3\nHAS,ELE,1\nHAN,AGR,1\nHAS,AGR,2\n")
    out = tmp_path / "out"
    argv = ["footprint", "--mrio", MRIO, "--nest-shares", shares, "--nest-region", REGION]
    assert main([*map(str, argv), "--nest-method", "slq", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "These results are an estimate: HAI is replaced by 2 sub-regions (HAN, HAS)" in printed
    assert "(SLQ) from the shares in shares.csv" in printed
    with xr.open_dataset(out / "footprint.nc") as written:
        assert written.attrs["estimate"] == 1
        assert "regionalised estimate by slq" in written.attrs["nesting"]
    for name in NESTING_CSVS:
        assert (out / name).is_file(), name
    assert "domestic" in set(pd.read_csv(out / "nesting_blocks.csv")["block"])
    # every tonne of HAI's is kept, split between the two sub-regions
    host = footprint(sample_mrio()).sel(stressor="CO2")["pba"].to_series()
    nested = _accounts(out)["pba"]
    assert nested[["HAN", "HAS"]].sum() == pytest.approx(host[REGION], rel=1e-9)


def test_footprint_without_nesting_writes_no_nesting_tables(tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main(["footprint", "--mrio", str(MRIO), "--out", str(out)]) == 0
    assert not [name for name in NESTING_CSVS if (out / name).exists()]
    with xr.open_dataset(out / "footprint.nc") as written:
        assert "nesting" not in written.attrs


def test_footprint_help_explains_the_nesting_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "gridfoot.cli", "footprint", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    text = result.stdout
    for option in (
        "--nest PATH",
        "--nest-shares FILE",
        "--nest-region NAME",
        "--nest-method {flq,slq,cilq,proportional}",
        "--nest-delta DELTA",
        "--nest-concordance FILE",
        "--balance {gras,none}",
        "--exchange-rate X",
        "--nest-emissions {table,output}",
        "--monetary-unit TEXT",
    ):
        assert option in text, option
    assert "nesting (optional)" in text and "nesting_totals.csv" in text
    assert max(len(line) for line in text.splitlines() if "nest" in line) <= 80
