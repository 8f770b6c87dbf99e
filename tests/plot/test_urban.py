"""Figures of the urban study: what they draw matches the accounts."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from gridfoot.datasets import sample_mrio
from gridfoot.errors import ValueCheckError
from gridfoot.plot.style import save_figure
from gridfoot.plot.urban import emission_scale, plot_boundaries, plot_composition, plot_quadrants
from gridfoot.urban import city_footprint_from_mrio, compare_cities

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def cities():
    mrio = sample_mrio()
    return [
        city_footprint_from_mrio(mrio, region, population=people)
        for region, people in [("HAI", 5e5), ("JIB", 4.5e5), ("GAO", 9e4), ("BEP", 3e5)]
    ]


def test_emission_scale() -> None:
    assert emission_scale(999.0, "t") == (1.0, "t")
    assert emission_scale(2.5e9, "t") == (1e9, "Gt")
    assert emission_scale(2.5e3, "kt") == (1e3, "Mt")
    assert emission_scale(5.0, "kg") == (1.0, "kg")


def test_quadrants_place_each_city_with_units(cities) -> None:
    import matplotlib.pyplot as plt

    fig = plot_quadrants(compare_cities(cities))
    ax = fig.axes[0]
    assert "t per million USD" in ax.get_xlabel()
    assert "t per person" in ax.get_ylabel()
    points = np.vstack([c.get_offsets() for c in ax.collections])
    assert len(points) == len(cities)
    labels = {t.get_text() for t in ax.texts}
    assert {"HAI", "JIB", "GAO", "BEP"} <= labels
    plt.close(fig)


def test_quadrants_take_the_comparison_table(cities) -> None:
    import matplotlib.pyplot as plt

    table = compare_cities(cities)
    with pytest.raises(ValueCheckError, match=r"compare_cities\(cities\)"):
        plot_quadrants(cities)
    table.attrs.pop("stressor")
    with pytest.raises(ValueCheckError, match="stressor="):
        plot_quadrants(table)
    fig = plot_quadrants(table, stressor="CH4")
    assert fig.axes[0].get_xlabel().startswith("carbon production intensity (CH4, ")
    plt.close(fig)


def test_composition_bars_stack_to_each_citys_total(cities) -> None:
    import matplotlib.pyplot as plt

    fig = plot_composition(cities, "CON", top=3, names={"ELE": "Electricity"})
    ax = fig.axes[0]
    assert ax.get_ylabel() == "CO2 (Mt)"
    heights = np.zeros(len(cities))
    for container in ax.containers:
        heights += [bar.get_height() for bar in container]
    expected = [c.composition("CON")["total"].sum() / 1e6 for c in cities]
    np.testing.assert_allclose(heights, expected, rtol=1e-12)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "Electricity" and legend[-1] == "other" and len(legend) == 4
    plt.close(fig)
    shares = plot_composition(cities, "CON", share=True)
    heights = np.zeros(len(cities))
    for container in shares.axes[0].containers:
        heights += [bar.get_height() for bar in container]
    np.testing.assert_allclose(heights, 100.0)
    plt.close(shares)


def test_boundaries_figure_labels_every_boundary(cities, tmp_path) -> None:
    import matplotlib.pyplot as plt

    city = cities[0]
    fig = plot_boundaries(city)
    ax = fig.axes[0]
    texts = " ".join(t.get_text() for t in ax.texts)
    b = city.boundaries / 1e6
    for name, value in [
        ("production-based", b["production_based"]),
        ("consumption-based", b["consumption_based"]),
        ("direct + EEI", b["direct_plus_eei"]),
        ("direct - EEE", b["direct_minus_eee"]),
        ("direct", city.direct / 1e6),
    ]:
        assert f"{name}: {value:,.3g} Mt" in texts
    widths = sum(bar.get_width() for bar in ax.patches)
    assert widths == pytest.approx(b["direct_plus_eei"])
    paths = save_figure(fig, tmp_path / "boundaries", ["png"])  # every format: test_maps.py
    assert all(p.stat().st_size > 0 for p in paths)
    plt.close(fig)
