"""What the grid study shows: its figures (drawn by the writer) and its report page."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pandas as pd

from gridfoot.workflows.grid_inputs import (
    _REGION,
    _points_left_out,
)
from gridfoot.workflows.products import Report

if TYPE_CHECKING:
    from gridfoot.workflows.grid import GridStudy

#: Columns of the hubs table shown in summary.json and the report.
_HUB_COLUMNS = (
    "rank",
    "total",
    "share",
    "n_cells",
    "land_area_km2",
    "lon",
    "lat",
    "regions",
    "cities",
)


def _names(study: GridStudy) -> Any:
    """Names beside the MRIO's tables; a region they do not name (a sub-region of a
    ``[nest]``) takes its boundary polygon's name, when it has one."""
    from gridfoot.plot.names import read_names

    names = read_names(study.config.mrio.path)
    field = study.config.boundaries.name_field
    boundaries = study.inputs.boundaries
    if field is None or field not in boundaries.columns:
        return names
    found = boundaries.groupby(_REGION)[field].agg(
        lambda v: v.iloc[0] if v.nunique() == 1 else None
    )
    extra = {
        str(code): str(name)
        for code, name in found.items()
        if name is not None and str(code) not in names.regions and str(name).strip()
    }
    return dataclasses.replace(names, regions={**extra, **names.regions}) if extra else names


def _named(table: Any, column: str, name: Any) -> Any:
    """A breakdown for the page: the name beside the code (the CSV keeps the codes)."""
    named = table.copy()
    named.insert(named.columns.get_loc(column) + 1, "name", named[column].map(name))
    return named


def _figures(study: GridStudy, names: Any) -> list[Any]:
    """The study's figures, each drawn once and saved in every configured format.

    Labels use the names beside the MRIO tables (``regions.csv``, ``sectors.csv``) and of
    final-demand categories, falling back to codes; each is drawn once and saved in every
    format by the writer.
    """
    from gridfoot.hotspots import concentration_curve
    from gridfoot.plot.charts import concentration_figure, share_bars
    from gridfoot.plot.maps import map_grid, small_multiples
    from gridfoot.plot.names import fallback_names
    from gridfoot.workflows.products import Figure

    config, inputs, chosen = study.config, study.inputs, study.scope
    hot, out, tables = config.hotspots, config.output, study.breakdowns
    stressor = inputs.stressor
    foreign = config.downscale.destinations == "foreign"
    where = ", ".join(names.region(c) for c in chosen.countries)
    if foreign:
        title = f"{stressor} emissions in {where} driven by final demand outside {where}"
    else:
        title = f"{stressor} emissions mapped in {where}"
    short = f"export-linked {stressor}" if foreign else f"mapped {stressor}"
    lead = short[0].upper() + short[1:]
    if config.downscale.sectors:
        title += "\n(" + "; ".join(names.sector(s) for s in config.downscale.sectors) + ")"
    layers = [inputs.boundaries] + ([inputs.cities] if inputs.cities is not None else [])
    replacements = fallback_names(inputs.boundaries, config.boundaries.name_field, _REGION, names)
    by_destination = tables["destination"]
    top = by_destination["destination"].head(out.top_destinations).tolist()
    top_shares = by_destination["share"].head(out.top_destinations).tolist()
    region_names = {code: names.region(code) for code in by_destination["destination"]}
    sector_names = {code: names.sector(code) for code in tables["sector"]["sector"]}
    category_names = {code: names.category(code) for code in tables["category"]["category"]}
    share_label = f"share of {short} (%)"
    hub_table = study.hotspots.hubs
    return [
        Figure(
            "figures/total_map",
            lambda: map_grid(
                study.total,
                layers,
                hub_table,
                title=title,
                names=replacements,
                by_rule=study.fallback,
            ),
            f"{lead} on the grid, with the hubs holding {hot.hotspot_share:.0%} of it",
        ),
        Figure(
            "figures/concentration",
            lambda: concentration_figure(
                concentration_curve(study.total),
                hot.top_area[:1],
                (hot.hotspot_share,),
                title=f"Concentration of {short} on land, {where}",
                band=study.uncertainty.curve if study.uncertainty is not None else None,
                band_label=_band_label(study),
            ),
            f"Concentration of {short} on land"
            + (", with the 90% interval of the draws" if study.uncertainty is not None else ""),
        ),
        Figure(
            "figures/destinations",
            lambda: share_bars(
                by_destination,
                title=f"{lead} by destination",
                names=region_names,
                reference=out.published or None,
                xlabel=share_label,
            ),
            f"{lead} by destination of final demand",
        ),
        Figure(
            "figures/sectors",
            lambda: share_bars(
                tables["sector"],
                title=f"{lead} by producing sector",
                names=sector_names,
                xlabel=share_label,
            ),
            f"{lead} by producing sector",
        ),
        Figure(
            "figures/categories",
            lambda: share_bars(
                tables["category"],
                title=f"{lead} by final-demand category",
                names=category_names,
                xlabel=share_label,
            ),
            f"{lead} by final-demand category",
        ),
        Figure(
            "figures/destination_maps",
            lambda: small_multiples(
                study.destinations.sel(destination=top),
                boundaries=inputs.boundaries,
                titles=[names.region(code) for code in top],
                shares=top_shares,
                names=replacements,
                by_rule=_destination_fallback(study, top),
            ),
            f"{lead} driven by the {len(top)} largest destinations",
        ),
    ]


def _band_label(study: GridStudy) -> str:
    result = study.uncertainty
    if result is None:
        return ""
    return f"5-95% of {result.draws} draws"


def _destination_fallback(study: GridStudy, top: list[str]) -> Any:
    """The part of each of ``top``'s layers placed by a rule (land, proxy), or None."""
    from gridfoot.workflows.grid import _fallback_layer

    if study.fallback is None:
        return None
    return _fallback_layer(study.allocation, study.driven.sum("category").sel(destination=top))


def _key_rows(key: dict[str, Any], names: Any = None) -> list[tuple[str, str]]:
    """The key figures as (label, value) rows: the report's and the notebook's table
    (``names``: region names, else codes)."""
    units = key["units"]
    rows = [
        ("mapped total", f"{key['total']:,.0f} {units} {key['stressor']}"),
        ("land", f"{key['land_area_km2']:,.0f} km²"),
    ]
    spread = key.get("uncertainty", {}).get("figures", {})

    def band(figure: str, form: str) -> str:
        if figure not in spread:
            return ""
        low, high = spread[figure]["p05"], spread[figure]["p95"]
        return f" ({low:{form}} to {high:{form}}, 5-95% of the draws)"

    rows += [
        (
            f"held by the top {float(k):.0%} of land",
            f"{v:.1%}" + band(f"share_in_top_area {float(k):g}", ".1%"),
        )
        for k, v in key["share_in_top_area"].items()
    ]
    rows += [
        (
            f"land holding {float(k):.0%} of the total",
            f"{v:.2%}" + band(f"area_for_share {float(k):g}", ".2%"),
        )
        for k, v in key["area_for_share"].items()
    ]
    rows += [
        ("Gini index", f"{key['gini']:.3f}" + band("gini", ".3f")),
        (f"hubs holding {key['hotspot_share']:.0%}", str(key["hub_count"])),
    ]
    placement = key["placement"]
    mapped = placement.get("mapped", {})
    for label, name in (
        ("on points", "on_points"),
        ("placed by a proxy or land (no points)", "fallback"),
        ("unplaced", "unplaced"),
    ):
        both = f"{placement[name]:,.0f} {units}"
        if mapped:
            both = f"{mapped[name]:,.0f} {units} of the mapped total; {both} of all emissions"
        rows.append((label, both))
    rows.append(("points left out", _points_left_out(placement)))
    if "nesting" in key:
        rows.append(("MRIO nested", _nesting_row(key["nesting"], names)))
    return rows


def _nesting_row(nesting: dict[str, Any], names: Any = None) -> str:
    """The key figure of a nesting: what replaced what, and whether it is an estimate."""

    def name(code: str) -> str:
        return names.region(code) if names is not None else code

    regions = ", ".join(name(r) for r in nesting["regions"])
    if nesting.get("estimate"):
        how = f"an estimate, regionalised by {str(nesting.get('method', '')).upper()}"
        if nesting.get("delta") is not None:
            how += f" (δ = {nesting['delta']:g})"
    else:
        how = "a sub-national table"
    return f"{name(nesting['region'])} replaced by {regions}: {how}"


def _placement_frame(placement: dict[str, Any], units: str) -> pd.DataFrame:
    """Every tonne of the mapped producers, whole and mapped, in one small table."""
    columns = {"all emissions (every destination)": placement}
    if "mapped" in placement:
        columns["mapped total (the map's destinations)"] = placement["mapped"]
    return pd.DataFrame(
        {
            name: [values[k] for k in ("input", "on_points", "fallback", "unplaced")]
            for name, values in columns.items()
        },
        index=pd.Index(
            [
                f"input ({units})",
                "placed on points",
                "placed by a proxy or land (producers without points)",
                "unplaced",
            ],
            name="tonnes",
        ),
    )


def _rules_section(study: GridStudy, names: Any) -> tuple[Any, ...]:
    """Which rule placed how many tonnes of each sector, and the inventories' factors."""
    from gridfoot.workflows.products import Section

    if study.rules is None or not len(study.rules):
        return ()
    inventories = study.config.inventories
    lines = [
        "The headline figures depend on how each sector is placed: on the points of an "
        "inventory, by a proxy raster or another inventory's points, or spread over land by "
        "area. Parts of the mapped total, in its units; per sector and rule in "
        "placement_by_sector.csv."
    ]
    for s in inventories:
        placed = ", ".join(names.sector(c) for c in s.placed_sectors) if s.placed_sectors else ""
        line = f"Inventory {s.label}: {s.path.name}" + (f", places {placed}" if placed else "")
        if s.factor is not None:
            line += f"; weight {s.weight or 'weight'} x emission factor {s.factor.describe()}"
        lines.append(line + ".")
    table = _named(study.rules, "sector", names.sector)
    return (
        Section(
            "How each sector was placed",
            text=tuple(lines),
            tables=(("placement_by_sector.csv", table),),
            rows=30,
        ),
    )


def _uncertainty_section(study: GridStudy, names: Any) -> tuple[Any, ...]:
    """The draws: what varied, every figure's interval, and the sensitivity to the fallback."""
    from gridfoot.workflows.products import Section

    result = study.uncertainty
    if result is None:
        return ()
    u = study.config.uncertainty
    varied = ", ".join(result.varies) or "nothing (every source of variation is off)"
    text = [
        f"{result.draws} draws (seed {result.seed}) of: {varied}. The central value is the "
        "deterministic run; p05, p50 and p95 are quantiles of the draws. Per cell: "
        "geotiff/total_p05.tif, total_p95.tif and total_cv.tif (coefficient of variation).",
    ]
    if u.weights:
        cvs = u.weights if isinstance(u.weights, dict) else {"every inventory": u.weights}
        text.append(
            "Point weights: lognormal, mean kept, coefficient of variation "
            + ", ".join(f"{k} {v:g}" for k, v in cvs.items())
            + "."
        )
    if u.shares is not None:
        text.append(
            f"Shares among each producer's points: Dirichlet with concentration {u.shares:g} "
            f"per point (a point's share varies by about {u.shares**-0.5:.0%}; each "
            "producer's total fixed)."
        )
    if u.fallbacks:
        text.append(
            "Producers without points: the default rule drawn among "
            + ", ".join(r.label for r in u.fallbacks)
            + " with equal probability; sensitivity.csv gives the figures under each."
        )
    if any(u.mrio.values()):
        text.append(
            "MRIO: multiplicative lognormal noise (signs kept) with coefficients of variation "
            + ", ".join(f"{k} {v:g}" for k, v in u.mrio.items())
            + "; gross output rebalanced, so every draw's footprint sums to its emissions."
        )
    units = study.key_figures["units"]
    figures = result.figures.copy()
    figures["figure"] = figures["figure"].map(lambda f: _figure_name(f, names, units))
    tables = [("uncertainty.csv", figures)]
    if result.sensitivity is not None:
        sensitivity = result.sensitivity.copy()
        sensitivity["figure"] = sensitivity["figure"].map(lambda f: _figure_name(f, names, units))
        tables.append(("sensitivity.csv", sensitivity))
    return (Section("Uncertainty", text=tuple(text), tables=tuple(tables), rows=40),)


def _figure_name(figure: str, names: Any, units: str) -> str:
    """A headline figure's key in words: ``area_for_share 0.75`` -> land holding 75%."""
    kind, _, level = figure.partition(" ")
    if kind == "area_for_share":
        return f"land holding {float(level):.0%} of the total"
    if kind == "share_in_top_area":
        return f"share held by the top {float(level):.0%} of land"
    if kind == "destination":
        return f"share driven by {names.region(level)}"
    if kind == "sector":
        return f"share of {names.sector(level)}"
    if kind == "hub":
        return f"hub {level.split()[0]}, its total ({units})"
    return {"gini": "Gini index", "total": f"mapped total ({units})"}.get(figure, figure)


def _report(study: GridStudy) -> Report:
    from gridfoot.workflows.products import Section

    key, config = study.key_figures, study.config
    names = study.names
    where = ", ".join(names.region(c) for c in key["countries"])
    hub_columns = [c for c in _HUB_COLUMNS if c in study.hotspots.hubs.columns]
    placement = key["placement"]
    unplaced = study.allocation.unplaced
    figures = tuple(p.path for p in _figures(study, names))
    folder = config.output.dir
    mrio = study.inputs.mrio
    title = f"{key['stressor']} emissions of {where} on an equal-area grid"
    lead = (
        f"{key['stressor']} of producers in {where} driven by final "
        f"demand of {len(key['destinations'])} destination(s) ({key['destination_rule']}), "
        f"allocated in {key['mode']} mode.",
    )
    nesting: tuple[Any, ...] = ()
    if mrio.nesting is not None:
        from gridfoot.workflows.nesting import describe_nesting, nesting_section

        if mrio.nesting.estimate:
            title += " (an estimate: regionalised MRIO)"
        lead = (describe_nesting(mrio, config.nest, names), *lead)
        nesting = (nesting_section(mrio, config.nest, names),)
    return Report(
        title=title,
        lead=lead,
        key_figures=tuple(_key_rows(key, names)),
        repeat=f"gridfoot run {folder}/run.toml --out ANOTHER_FOLDER",
        sections=(
            Section("Figures", figures=figures),
            Section("Hubs", tables=(("hubs.csv", study.hotspots.hubs[hub_columns]),)),
            Section(
                "Breakdowns",
                tables=tuple(
                    (f"By {what}", _named(study.breakdowns[name], name, lookup))
                    for name, what, lookup in (
                        ("destination", "destination", names.region),
                        ("sector", "producing sector", names.sector),
                        ("category", "final-demand category", names.category),
                    )
                ),
            ),
            *nesting,
            *_rules_section(study, names),
            *_uncertainty_section(study, names),
            Section(
                "Unplaced emissions",
                text=(
                    "Where every tonne of the mapped producers went, for their whole emissions "
                    "(every destination) and for the mapped total. Per producer in "
                    "allocation_report.csv (input = on_points + fallback + unplaced).",
                    f"Points left out: {_points_left_out(placement)}. {len(unplaced)} point(s) "
                    "are listed in unplaced.csv with the reason and where their tonnes went.",
                ),
                tables=(
                    ("Placement", _placement_frame(placement, key["units"])),
                    *((("unplaced.csv", unplaced),) if len(unplaced) else ()),
                ),
                rows=20,
            ),
        ),
    )
