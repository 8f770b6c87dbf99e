"""The grid study with a ``[nest]`` section: the sample's Haiyang (HAI) split into two halves.

With a proportional table the nested MRIO is the sample's, so the study maps what the sample's
does; the nesting shows in the report, summary.json and three CSVs. With shares from the point
sources, the halves are estimated from the firms' emissions, and every output says the results
are an estimate.
"""

from __future__ import annotations

import json
import tomllib

import numpy as np
import pandas as pd
import pytest

from gridfoot import footprint
from gridfoot.config import load_run_config
from gridfoot.datasets import sample_mrio
from gridfoot.workflows import load_inputs, run_grid
from gridfoot.workflows.grid import _cube_attrs
from gridfoot.workflows.nesting import source_weights
from tests.badinput.conftest import edit_toml
from tests.workflows.nested import HALVES, REGION, nested_study

NESTING_CSVS = ["nesting_blocks.csv", "nesting_changes.csv", "nesting_totals.csv"]


@pytest.fixture(scope="module")
def table_run(tmp_path_factory):
    """One run of the split sample with the proportional table of the halves."""
    folder = tmp_path_factory.mktemp("nest_table")
    config = nested_study(folder / "study", {"region": REGION, "table": "provinces"})
    return run_grid(load_run_config(config), folder / "out", progress=False)


@pytest.fixture(scope="module")
def shares_run(tmp_path_factory):
    """One run of the split sample, the halves regionalised from the firms' emissions."""
    folder = tmp_path_factory.mktemp("nest_shares")
    config = nested_study(folder / "study", {"region": REGION, "shares": "sources"})
    return run_grid(load_run_config(config), folder / "out", progress=False)


def _export_linked(mrio) -> float:
    """Meridia's producers' emissions driven by foreign final demand, from the footprint."""
    result = footprint(mrio).sel(stressor="CO2")
    driven = result.driven.where(result.country == "MER", 0.0)
    return float(driven.where(driven.destination_country != "MER", 0.0).sum())


def test_a_nested_table_maps_what_the_sample_maps(table_run) -> None:
    # the halves are proportional copies of HAI: the same MRIO, so the same mapped total
    assert table_run.key_figures["total"] == pytest.approx(_export_linked(sample_mrio()), rel=1e-9)
    regions = set(pd.read_csv(table_run.out / "breakdown_region.csv")["region"])
    assert set(HALVES) <= regions and REGION not in regions
    assert set(table_run.scope.regions) >= set(HALVES)


def test_the_nesting_is_in_the_summary_and_its_tables(table_run) -> None:
    out = table_run.out
    summary = json.loads((out / "summary.json").read_text())
    nesting = summary["results"]["nesting"]
    assert nesting["region"] == REGION and nesting["regions"] == list(HALVES)
    assert nesting["estimate"] is False and nesting["table"].endswith("provinces")
    assert nesting["blocks"]["exports"]["cells"] > 0  # counts stay whole numbers
    assert isinstance(nesting["blocks"]["exports"]["iterations"], int)
    assert "estimate" not in summary["title"]
    assert set(NESTING_CSVS) <= set(summary["files"])
    totals = pd.read_csv(out / "nesting_totals.csv").set_index("quantity")
    for quantity, row in nesting["totals"].items():
        assert totals.loc[quantity, "nested"] == pytest.approx(row["nested"], rel=1e-12)
    assert totals.loc["output", "nested"] == pytest.approx(totals.loc["output", "host"])
    blocks = pd.read_csv(out / "nesting_blocks.csv")
    assert list(blocks["block"]) == ["exports", "imports"]
    # the table's files are inputs of the run, with their checksums
    assert any(r["file"].endswith("provinces/Z.csv") for r in summary["inputs"])
    # and the cube's attributes (when it is written) name the nesting
    assert _cube_attrs(table_run)["nesting"] == "HAI replaced by 2 regions (nested table, gras)"


def test_the_report_has_a_nesting_section_with_names(table_run) -> None:
    html = (table_run.out / "report.html").read_text()
    assert "<h2>Nesting</h2>" in html
    section = html[html.index("<h2>Nesting</h2>") :]
    section = section[: section.index("<h2>", 10)]
    assert "Haiyang West (HAW)" in html  # the boundaries' names of the halves
    assert "Haiyang (HAI) in the MRIO" in section and "output (million USD)" in section
    assert "Balanced blocks" in section and "nesting_totals.csv" in section
    assert "MRIO nested" in html and "a sub-national table" in html
    assert "estimate" not in html[: html.index("<h2>Key figures")]


def test_run_toml_holds_the_nest_section(table_run) -> None:
    written = table_run.out / "run.toml"
    assert tomllib.loads(written.read_text())["nest"]["table"].endswith("provinces")
    again = load_run_config(written)
    assert again.nest == table_run.config.nest


def test_shares_from_the_sources_make_an_estimate_and_say_so(shares_run) -> None:
    out = shares_run.out
    summary = json.loads((out / "summary.json").read_text())
    nesting = summary["results"]["nesting"]
    assert nesting["estimate"] is True
    assert (nesting["method"], nesting["delta"], nesting["shares"]) == ("flq", 0.3, "sources")
    assert "an estimate" in summary["title"]
    html = (out / "report.html").read_text()
    lead = html[: html.index("<h2>Key figures")]
    assert "(an estimate: regionalised MRIO)</h1>" in lead
    assert "These results are an estimate: Haiyang (HAI) is replaced by 2 sub-regions" in lead
    assert "(FLQ, δ = 0.3) from the point sources" in lead
    assert "an estimate, regionalised by FLQ (δ = 0.3)" in html  # the key figure
    for name in NESTING_CSVS:
        assert (out / name).is_file(), name


def test_shares_from_the_sources_split_each_sector_by_the_points_weights(shares_run) -> None:
    mrio, sources = shares_run.inputs.mrio, shares_run.inputs.sources
    points = sources.points
    weights = (
        points[points["region"].isin(list(HALVES))].groupby(["sector", "region"])["weight"].sum()
    )
    emissions = mrio.F.loc["CO2"]
    host = sample_mrio().F.loc["CO2"]
    checked = 0
    for sector in weights.index.get_level_values(0).unique():
        total = host[(REGION, sector)]
        if total == 0:
            continue
        by_half = weights[sector].reindex(list(HALVES), fill_value=0.0)
        split = np.array([emissions.get((half, sector), 0.0) for half in HALVES])
        np.testing.assert_allclose(split, total * by_half / by_half.sum(), rtol=1e-9)
        checked += 1
    assert checked >= 5


def test_emissions_from_the_sources_split_a_table_s_region_by_the_points(tmp_path) -> None:
    config = nested_study(
        tmp_path / "study", {"region": REGION, "table": "provinces", "emissions": "sources"}
    )
    inputs = load_inputs(load_run_config(config))
    assert inputs.mrio.nesting.emissions == "weights"
    points = inputs.sources.points
    weights = points[points["region"].isin(list(HALVES))].groupby(["region", "sector"])["weight"]
    weights = weights.sum()
    host = sample_mrio().F.loc["CO2"]
    nested = inputs.mrio.F.loc["CO2"]
    for sector in ("ELE", "AGR", "TRA"):  # sectors with firms in both halves
        by_half = weights.xs(sector, level="sector").reindex(list(HALVES), fill_value=0.0)
        assert (by_half > 0).all()
        split = nested[[(half, sector) for half in HALVES]].to_numpy()
        expected = host[(REGION, sector)] * by_half.to_numpy() / by_half.sum()
        np.testing.assert_allclose(split, expected, rtol=1e-9)


def _map_without(study, regions: list[str]) -> np.ndarray:
    """The study's map of every mapped producer but those of ``regions``."""
    driven = study.driven.sum(["destination", "category"])
    others = [r for r in driven["region"].values if r not in regions]
    return study.allocation.map(driven.sel(region=others)).values


@pytest.mark.slow
def test_every_other_producer_is_mapped_as_in_the_sample(table_run, demo_run) -> None:
    """Cell by cell, the map of every producer but Haiyang's is the sample's; Haiyang's halves
    map what Haiyang maps in the sample.

    Jiangbei (JIB) is compared in total only: four of its firms lie where its polygon and
    Haiyang's overlap (by a few hundred metres), and which polygon takes them depends on the
    polygons' vertices, which cutting Haiyang in two moves by a hair.
    """
    demo = demo_run.study
    assert table_run.inputs.grid == demo.inputs.grid
    others = _map_without(table_run, [*HALVES, "JIB"])
    np.testing.assert_allclose(others, _map_without(demo, [REGION, "JIB"]), rtol=1e-9, atol=1e-6)
    nested_total, sample_total = table_run.total.values.sum(), demo.total.values.sum()
    assert nested_total == pytest.approx(sample_total, rel=1e-9)
    for nested_part, sample_part in ((["JIB"], ["JIB"]), (list(HALVES), [REGION])):
        nested_rest = _map_without(table_run, nested_part).sum()
        sample_rest = _map_without(demo, sample_part).sum()
        assert nested_total - nested_rest > 0
        assert nested_total - nested_rest == pytest.approx(sample_total - sample_rest, rel=1e-9)


def test_shares_in_a_file_regionalise_as_the_sources_do(tmp_path) -> None:
    """The firms' weights written to a shares file give the same estimate as "sources"."""
    config = nested_study(tmp_path / "study", {"region": REGION, "shares": "sources"})
    from_sources = load_inputs(load_run_config(config))
    weights = source_weights(from_sources.sources, list(HALVES)).rename("value")
    weights.reset_index().to_csv(tmp_path / "study" / "shares.csv", index=False)
    from_file = load_inputs(load_run_config(edit_toml(config, **{"nest.shares": "shares.csv"})))
    assert from_file.mrio.regions.equals(from_sources.mrio.regions)
    np.testing.assert_allclose(from_file.mrio.Z.to_numpy(), from_sources.mrio.Z.to_numpy())
    np.testing.assert_allclose(from_file.mrio.F.to_numpy(), from_sources.mrio.F.to_numpy())
    assert from_file.mrio.nesting.estimate
    assert tmp_path / "study" / "shares.csv" in from_file.files  # an input, checksummed
