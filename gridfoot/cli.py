"""The ``gridfoot`` command: a thin layer over the library.

Bad input ends with one line on stderr (``gridfoot: error: ...``) and exit status 2; nothing
half-written is left behind. Warnings are printed as one line each.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from gridfoot.config.nest import BALANCES, METHODS
from gridfoot.errors import ConfigError, GridfootError

if TYPE_CHECKING:
    from gridfoot.config.nest import NestConfig

__all__ = ["main"]

EPILOG = textwrap.dedent(
    """\
    examples:
      gridfoot demo --out demo_output
      gridfoot validate study.toml && gridfoot run study.toml --out results
      gridfoot footprint --mrio path/to/tables --stressor CO2 --out results
      gridfoot hotspots cube.zarr --sum sector --regions provinces.gpkg --out hotspots
      gridfoot urban sample_data/cities/cities.toml --out urban_results

    Every command prints one line and exits with status 2 on bad input.
    Documentation: README.md and the notebooks/ folder of the source tree.
    """
)


def _add_scheduler(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument(
        "--scheduler",
        metavar="WHERE",
        help="where dask's work runs: threads, synchronous, processes, local (a "
        "dask.distributed LocalCluster started for the run) or the address of a running "
        f"scheduler, tcp://host:8786 (local and addresses need gridfoot[cluster]); {default}",
    )


def _scheduler_option(args: argparse.Namespace) -> str | None:
    """``--scheduler`` as given, checked before anything is read (None: not given)."""
    from gridfoot.checks import check_scheduler

    return check_scheduler(args.scheduler, "--scheduler")


def _one_line_warning(message, category, filename, lineno, line=None) -> str:
    return f"gridfoot: warning: {message}\n"


def _add_footprint(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "footprint",
        help="destination-resolved footprint and region accounts of an MRIO",
        description=textwrap.dedent(
            """\
            Compute the destination-resolved footprint of an MRIO (emissions of every producer
            driven by every destination's final demand) and the production-based,
            consumption-based and trade accounts of every region.

            Writes DIR/footprint.nc (NetCDF, CF attributes), DIR/driven.parquet (or .csv) and
            DIR/accounts.csv (tidy: one value per row, labels and unit as columns).

            With --nest or --nest-shares, one region of the MRIO (--nest-region) is first
            replaced by its sub-regions, and DIR also holds nesting_totals.csv,
            nesting_blocks.csv and nesting_changes.csv (what the nesting kept, balanced and
            changed); footprint.nc's attributes say what was nested and whether the results
            are an estimate (--nest-shares: regionalised, not from a sub-national table).

            example (a provincial table in million CNY, WIOD 2009 in million USD):
              gridfoot footprint --mrio wiod2009 --monetary-unit "million USD"
                --nest provinces2009 --nest-region CHN --exchange-rate 0.1464
                --nest-concordance provinces_to_wiod.csv --out DIR"""
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--mrio",
        required=True,
        type=Path,
        metavar="PATH",
        help="folder of MRIO tables (gridfoot table layout or pymrio save_all)",
    )
    parser.add_argument(
        "--stressor",
        action="append",
        metavar="NAME",
        help="stressor to compute (repeatable; default: all)",
    )
    parser.add_argument(
        "--countries",
        type=Path,
        metavar="FILE",
        help="CSV with columns region,country for regions nested in countries",
    )
    parser.add_argument(
        "--encoding",
        metavar="NAME",
        help="text encoding of the CSV tables, e.g. gbk (default: UTF-8)",
    )
    parser.add_argument(
        "--x",
        choices=("auto", "file", "balanced"),
        default="auto",
        help="gross output: the folder's x table (file), balanced Z·1+Y·1, or auto: the "
        "table when present (default)",
    )
    parser.add_argument(
        "--tables",
        choices=("parquet", "csv"),
        default="parquet",
        help="format of the driven table: driven.parquet (default; a world table has millions "
        "of rows) or driven.csv",
    )
    parser.add_argument(
        "--monetary-unit",
        metavar="TEXT",
        help="money unit of the MRIO, e.g. 'million USD' (a nested table in another unit "
        "then needs --exchange-rate)",
    )
    parser.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="output folder (created if needed)"
    )
    nest = parser.add_argument_group(
        "nesting (optional)",
        textwrap.fill(
            "Replace one region of the MRIO by its sub-regions before computing: the regions "
            "of a sub-national table (--nest), or sub-regions estimated from their shares of "
            "each sector (--nest-shares; the results are then estimates).",
            width=78,
        ),
    )
    nest.add_argument(
        "--nest",
        type=Path,
        metavar="PATH",
        help="sub-national table: a folder of tables (Z, Y, exports, imports, satellite, ...; "
        "see the README) or a CEADs .xlsx workbook",
    )
    nest.add_argument(
        "--nest-shares",
        type=Path,
        metavar="FILE",
        help="instead of a table: CSV region,sector,value, each sub-region's weight in each "
        "sector of the region (its output, or a proxy), to regionalise the region",
    )
    nest.add_argument(
        "--nest-region", metavar="NAME", help="the MRIO region to replace (default: CHN)"
    )
    nest.add_argument(
        "--nest-method",
        choices=METHODS,
        help="with --nest-shares: the location quotient (default: flq)",
    )
    nest.add_argument(
        "--nest-delta",
        metavar="DELTA",
        help="with --nest-method flq: Flegg's delta, in [0, 1) (default: 0.3)",
    )
    nest.add_argument(
        "--nest-concordance",
        type=Path,
        metavar="FILE",
        help="with --nest: CSV sector,host_sector[,share], the table's sectors in the MRIO's "
        "(overrides the table's own)",
    )
    nest.add_argument(
        "--balance",
        choices=BALANCES,
        help="balance the estimated blocks with GRAS (default), or keep them as spread",
    )
    nest.add_argument(
        "--exchange-rate",
        metavar="X",
        help="with --nest: MRIO money units per table unit, when the units differ",
    )
    nest.add_argument(
        "--nest-emissions",
        choices=("table", "output"),
        help="with --nest: the sub-regions' emissions from the table's satellite (default), "
        "or the MRIO's emissions of the region split by output",
    )
    parser.set_defaults(handler=_run_footprint)


def _nest_config(args: argparse.Namespace) -> NestConfig | None:
    """The nesting the options of ``gridfoot footprint`` ask for, checked (None: no nesting)
    before anything is read; messages name the options as typed."""
    from gridfoot.config.nest import CLI_NAMES, NestConfig, check_nest_options

    options = {
        "region": args.nest_region,
        "method": args.nest_method,
        "delta": None if args.nest_delta is None else _typed(args.nest_delta, float),
        "concordance": args.nest_concordance,
        "balance": args.balance,
        "exchange_rate": None if args.exchange_rate is None else _typed(args.exchange_rate, float),
        "emissions": args.nest_emissions,
    }
    given = {key: value for key, value in options.items() if value is not None}
    if args.nest is None and args.nest_shares is None:
        if given:
            raise ConfigError(
                f"{', '.join(CLI_NAMES[key] for key in given)}: options of a nesting; give "
                f"--nest (a sub-national table) or --nest-shares (to regionalise) with them"
            )
        return None
    checked = check_nest_options(
        CLI_NAMES,
        **{"region": "CHN", "balance": "gras", **given},
        table=args.nest,
        shares=args.nest_shares,
    )
    return NestConfig(**checked)


def _run_footprint(args: argparse.Namespace) -> int:
    from gridfoot.checks import check_encoding
    from gridfoot.config.nest import CLI_NAMES
    from gridfoot.io.output import check_output_folder
    from gridfoot.mrio import footprint, read_mrio
    from gridfoot.workflows.nesting import UNIT_NAMES, nest_mrio

    nest = _nest_config(args)
    nested_inputs = nest.paths if nest is not None else ()
    inputs = [p for p in (args.mrio, args.countries, *nested_inputs) if p is not None]
    check_output_folder(args.out, inputs)  # refused before the work, not after
    check_encoding(args.encoding, "--encoding")
    mrio = read_mrio(
        args.mrio,
        countries=args.countries,
        x=args.x,
        encoding=args.encoding,
        monetary_unit=args.monetary_unit or "",
    )
    if nest is not None:
        mrio = nest_mrio(nest, mrio, CLI_NAMES, UNIT_NAMES["cli"])
    result = footprint(mrio, stressor=args.stressor)
    _write_footprint(
        result, args.out, inputs, mrio if nest is not None else None, nest, tables=args.tables
    )
    return 0


def _write_footprint(
    result,
    out: Path,
    inputs: Sequence[Path],
    nested=None,
    nest: NestConfig | None = None,
    tables: str = "parquet",
) -> None:
    from gridfoot.io import write_csv, write_footprint
    from gridfoot.io.output import output_folder

    with output_folder(out, command="footprint", inputs=inputs) as staging:
        written = write_footprint(result, staging, tables=tables)
        if nested is not None:
            from gridfoot.workflows.nesting import nesting_tables

            written += [write_csv(t.frame, staging / t.path) for t in nesting_tables(nested)]
    print(f"wrote {', '.join(p.name for p in written)} to {out}")
    if nested is not None:
        from gridfoot.workflows.nesting import describe_nesting

        print(f"  {describe_nesting(nested, nest)}")
        for note in nested.nesting.notes:
            print(f"  note: {note}")


def _add_run(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "run",
        help="the whole study from a TOML configuration",
        description=textwrap.dedent(
            """\
            Footprint of the MRIO, allocation of the mapped producers' emissions to point
            sources on an equal-area grid, the destination x sector cube, hotspots, hubs,
            breakdowns, GeoTIFFs, maps and an HTML report, from one TOML file.

            Writes into DIR: summary.json, report.html, footprint.nc and tidy CSVs,
            cube.zarr, geotiff/ (total.tif, destination_<CODE>.tif, hotspot_mask.tif,
            hubs.tif, gistar_classes.tif), concentration.csv, hubs.csv, zonal.csv,
            breakdown_*.csv, nesting_*.csv (with [nest]), figures/ and run.toml (the resolved
            configuration). DIR is replaced only when the run succeeds. Every key and default
            of the configuration is documented in gridfoot/config/run.py (the [mrio] section,
            shared with gridfoot urban, in gridfoot/config/mrio.py; [nest], which replaces a
            region of the MRIO by its sub-regions, in gridfoot/config/nest.py);
            sample_data/gridfoot.toml is a complete example.

            The footprint and the allocation are kept beside DIR (.gridfoot-cache-DIR): run
            again with the same inputs and options, the run reuses them (summary.json says
            which stages it reused); --fresh recomputes everything."""
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", type=Path, metavar="CONFIG", help="TOML configuration file")
    parser.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="output folder (default: output.dir of the configuration)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="recompute every stage (empties the cache of the footprint and allocation)",
    )
    _add_scheduler(parser, "default: [dask] scheduler of CONFIG, else threads")
    parser.set_defaults(handler=_run_run)


def _run_run(args: argparse.Namespace) -> int:
    from gridfoot.config import load_run_config

    scheduler = _scheduler_option(args)
    config = load_run_config(args.config)
    return _run_grid(config, args.out, not args.no_progress, args.config, scheduler, args.fresh)


def _run_grid(
    config,
    out: Path | None,
    progress: bool,
    config_file: Path,
    scheduler: str | None,
    fresh: bool = False,
) -> int:
    from gridfoot.workflows import run_grid

    result = run_grid(
        config,
        out,
        progress=None if progress else False,
        config_file=config_file,
        scheduler=scheduler,
        fresh=fresh,
    )
    folder = result.config.output.dir
    print(f"wrote {folder} (report: {folder / 'report.html'})")
    if getattr(result, "study", "") == "series":
        share = result.config.hotspots.hotspot_share
        for row in result.table.to_dict(orient="records"):
            print(
                f"  {row['year']}: mapped {row['total']:,.0f} {row['units']}; {share:.0%} on "
                f"{row[f'area_for_share {share:g}']:.2%} of land; 90% on "
                f"{row['spatial_extent']:.2%}"
            )
        return 0
    summary = result.key_figures
    if result.inputs.mrio.nesting is not None:
        from gridfoot.workflows.nesting import describe_nesting

        print(f"  {describe_nesting(result.inputs.mrio, result.config.nest, result.names)}")
    print(f"  mapped: {summary['total']:,.0f} {summary['units']} {summary['stressor']}")
    for area, share in summary["share_in_top_area"].items():
        print(f"  the top {float(area):.0%} of land holds {share:.1%}")
    for share, area in summary["area_for_share"].items():
        print(f"  {float(share):.0%} of it lies on {area:.2%} of land")
    top = list(summary["by_destination"].items())[:3]
    print("  largest destinations: " + ", ".join(f"{k} {v:.1%}" for k, v in top))
    return 0


def _add_validate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "validate",
        help="check a configuration and its inputs without computing",
        description="Read every input a configuration names (MRIO, sub-national table or "
        "shares of [nest], boundaries, point sources, concordance) and check them, without "
        "computing the study (a [nest] is nested: the boundaries and sources are checked "
        "against its regions). Prints what would be mapped; exits with status 2 on the first "
        "problem.",
    )
    parser.add_argument("config", type=Path, metavar="CONFIG", help="TOML configuration file")
    parser.set_defaults(handler=_run_validate)


def _run_validate(args: argparse.Namespace) -> int:
    from gridfoot.config import load_run_config
    from gridfoot.workflows import validate

    for line in validate(load_run_config(args.config)):
        print(line)
    print("ok")
    return 0


def _add_demo(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "demo",
        help="the whole study on the bundled sample data",
        description="Run sample_data/gridfoot.toml: a fictional country of 12 provinces nested "
        "in 6 world regions, 30,000 firms, mapped on a 10 km grid (about 20 s).",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=Path("demo_output"),
        metavar="DIR",
        help="output folder (default: ./demo_output)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    _add_scheduler(parser, "default: threads")
    parser.set_defaults(handler=_run_demo)


def _run_demo(args: argparse.Namespace) -> int:
    from gridfoot.config import load_run_config
    from gridfoot.datasets import sample_data_dir

    scheduler = _scheduler_option(args)
    path = sample_data_dir() / "gridfoot.toml"
    return _run_grid(load_run_config(path), args.out, not args.no_progress, path, scheduler)


def _add_hotspots(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "hotspots",
        help="concentration, hotspot mask, hubs and Gi* of a raster or cube",
        description=textwrap.dedent(
            """\
            Where is it concentrated? For every layer of a GeoTIFF, NetCDF or Zarr grid: the
            share held by the top of the land, the land needed for a share, the Gini index,
            the hotspot (the fewest cells holding --share), its hubs (connected groups of
            hotspot cells, ranked, with the regions they overlap) and Getis-Ord Gi* hot and
            cold spots.

            Writes DIR/summary.json, DIR/report.html, DIR/concentration.csv (one row per
            layer), DIR/hubs.csv, DIR/zonal.csv (with --regions) and GeoTIFFs with one band
            per layer: DIR/geotiff/hotspot_mask.tif, hubs.tif (hub ranks) and gistar_classes.tif
            (codes 1..7 with a colour table: cold spots at 99/95/90%, not significant,
            hot spots at 90/95/99%; the flag_meanings tag names them).

            Land shares use each cell's land (land_fraction x cell_area) when the input
            carries them (gridfoot's NetCDF/Zarr do); a GeoTIFF's nodata cells are outside
            the study area, and --land gives the land fraction from boundary polygons."""
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "input", type=Path, metavar="RASTER_OR_CUBE", help="GeoTIFF, NetCDF file or Zarr store"
    )
    parser.add_argument(
        "--variable", metavar="NAME", help="variable of a NetCDF/Zarr holding several grids"
    )
    parser.add_argument(
        "--layer",
        action="append",
        default=[],
        metavar="DIM=LABEL[,LABEL]",
        help="keep these labels of a dim, e.g. destination=USA,JPN (repeatable; default: all)",
    )
    parser.add_argument(
        "--sum",
        action="append",
        default=[],
        metavar="DIM",
        help="sum over a dim first, e.g. sector (repeatable; 'all' sums every extra dim)",
    )
    # Numbers and choices are kept as typed and checked in _run_hotspots by the helpers the
    # [hotspots] config and the API use: one rule, one-line refusals, nothing computed first.
    parser.add_argument(
        "--share",
        default="0.75",
        metavar="SHARE",
        help="share of the total the hotspot holds, in (0, 1] (default: 0.75)",
    )
    parser.add_argument(
        "--top-area",
        default="0.01",
        metavar="SHARE",
        help="share of land whose top cells are reported, in [0, 1] (default: 0.01)",
    )
    parser.add_argument(
        "--regions", type=Path, metavar="POLYGONS", help="polygons naming hubs; zonal totals"
    )
    parser.add_argument(
        "--name-field", metavar="NAME", help="column of --regions with names (needs --regions)"
    )
    parser.add_argument(
        "--land",
        type=Path,
        metavar="POLYGONS",
        help="boundary polygons giving each cell's land fraction (replaces the input's)",
    )
    parser.add_argument(
        "--connectivity",
        default="8",
        metavar="{4,8}",
        help="hub cells touching at corners belong together (8, default) or not (4)",
    )
    parser.add_argument(
        "--neighbours",
        default="queen",
        metavar="{queen,rook,distance}",
        help="Gi* neighbourhood (default: queen)",
    )
    parser.add_argument(
        "--distance",
        default="1",
        metavar="CELLS",
        help="Gi* neighbourhood reach in cells, at least 1 (default: 1)",
    )
    parser.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="output folder (created if needed)"
    )
    _add_scheduler(parser, "default: threads")
    parser.set_defaults(handler=_run_hotspots)


def _typed(text: str, kind: type) -> object:
    """``text`` as a number when it reads as one; else as typed, for the check to refuse."""
    try:
        return kind(text)
    except ValueError:
        return text


def _hotspot_options(args: argparse.Namespace) -> dict:
    """Every option of ``gridfoot hotspots`` checked, and their combinations, before any
    input is read or anything computed; the checked values."""
    from gridfoot.workflows.hotspots import CLI_NAMES, check_report_options

    options = check_report_options(
        share=_typed(args.share, float),
        top_area=_typed(args.top_area, float),
        connectivity=_typed(args.connectivity, int),
        neighbours=args.neighbours,
        distance=_typed(args.distance, float),
        regions=args.regions,
        name_field=args.name_field,
        names=CLI_NAMES,
    )
    if args.variable is not None and args.input.suffix.lower() in (".tif", ".tiff"):
        raise ConfigError(
            f"--variable {args.variable!r}: {args.input.name} is a GeoTIFF, which has bands, "
            "not variables; select bands with --layer"
        )
    return options


def _run_hotspots(args: argparse.Namespace) -> int:
    from gridfoot.workflows.hotspots import open_layer, run_hotspots, select_layers

    options = _hotspot_options(args)
    scheduler = _scheduler_option(args)
    args.share, args.top_area = options["share"], options["top_area"]
    layer = select_layers(open_layer(args.input, args.variable), args.layer, args.sum)
    if args.land:
        from gridfoot.io.vector import read_polygons
        from gridfoot.spatial import Grid

        land = Grid.from_dataarray(layer).with_land(read_polygons(args.land)).land_fraction
        layer = layer.assign_coords(land_fraction=land.reset_coords(drop=True))
    summary = run_hotspots(
        layer,
        args.out,
        regions=args.regions,
        name_field=args.name_field,
        source=str(args.input),
        inputs=[p for p in (args.input, args.land) if p is not None],
        scheduler=scheduler,
        **options,
    )
    layers = summary["results"]["layers"]
    for row in layers[:10]:
        labels = [str(v) for k, v in row.items() if k in layer.dims]
        where = f" in {row['largest_hub_regions']}" if row.get("largest_hub_regions") else ""
        print(
            f"  {' / '.join(labels) or args.input.name}: top {100 * args.top_area:g}% of land "
            f"holds {_percent(row['share_in_top_area'])}; {100 * args.share:g}% needs "
            f"{_percent(row['area_for_share'])} of land; Gini {_number(row['gini'])}; "
            f"{row['hubs']} hub(s){', the largest' + where if where else ''}"
        )
    if len(layers) > 10:
        print(f"  ... and {len(layers) - 10} more layers (concentration.csv)")
    print(f"wrote {len(summary['files'])} files to {args.out} (see {args.out / 'report.html'})")
    return 0


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2%}"


def _number(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _add_urban(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "urban",
        help="urban carbon footprints from city input-output tables",
        description=textwrap.dedent(
            """\
            Compute the urban carbon footprints of the cities in CONFIG (a TOML file: city
            input-output tables nested in the MRIO of its [mrio] section, or regions of that
            MRIO): direct emissions, emissions embodied in exports and imports (split domestic /
            foreign), the four footprint boundaries, the four indicators and the sector views.

            Writes DIR/summary.json, report.html, comparison.csv, accounts.csv, sectors.csv,
            composition.csv, one NetCDF per city in DIR/cities/ and figures in DIR/figures/.
            Every key of the configuration is documented in gridfoot/config/urban.py ([mrio],
            the section of gridfoot run, in gridfoot/config/mrio.py; an old [host] section is
            read as [mrio], with a warning); sample_data/cities/cities.toml is an example."""
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("config", type=Path, metavar="CONFIG", help="TOML configuration file")
    parser.add_argument(
        "--out", required=True, type=Path, metavar="DIR", help="output folder (created if needed)"
    )
    parser.set_defaults(handler=_run_urban)


def _run_urban(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    from gridfoot.workflows.urban import run_urban

    run = run_urban(args.config, args.out)
    for city in run.cities:
        b = city.boundaries
        print(
            f"  {city.name}: direct {city.direct:,.0f}, production-based "
            f"{b['production_based']:,.0f}, consumption-based {b['consumption_based']:,.0f} "
            f"{city.unit}"
        )
    print(f"wrote {len(run.files)} files to {args.out} (see {args.out / 'report.html'})")
    return 0


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line like every other error (exit status 2)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"gridfoot: error: {self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation tools)."""
    from gridfoot._version import __version__

    parser = _Parser(
        prog="gridfoot",
        description="Who drives the CO2 emitted where: consumption-based footprints from "
        "multi-regional input-output tables, mapped on an equal-area grid.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"gridfoot {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an unexpected error (also: GRIDFOOT_DEBUG=1)",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for add in COMMANDS:
        add(commands)
    return parser


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    _add_demo,
    _add_run,
    _add_validate,
    _add_footprint,
    _add_hotspots,
    _add_urban,
]


def _let_running_tasks_finish() -> None:
    """Wait for the tasks dask's threads were running when Ctrl-C came (they are not stopped).

    Left running, they are cut off by the interpreter's shutdown halfway through their
    writes (a chunk of the cube in the run's cache), and zarr's event loop, closed under
    them, fills the terminal with tracebacks.
    """
    threaded = sys.modules.get("dask.threaded")
    if threaded is None:
        return
    with threaded.pools_lock:  # dask makes new pools if asked again (main() in a notebook)
        pools = [threaded.default_pool, *(p for d in threaded.pools.values() for p in d.values())]
        threaded.default_pool = None
        threaded.pools.clear()
    for pool in pools:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``gridfoot`` command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.formatwarning = _one_line_warning
    try:
        return args.handler(args)
    except GridfootError as error:
        print(f"gridfoot: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except OSError as error:  # a path the user named cannot be read or written
        where = f"{error.filename}: " if error.filename else ""
        print(f"gridfoot: error: {where}{error.strerror or error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gridfoot: interrupted", file=sys.stderr)
        _let_running_tasks_finish()
        return 130
    except Exception as error:  # a bug, not the user's mistake: still one line, unless asked
        if args.debug or os.environ.get("GRIDFOOT_DEBUG"):
            raise
        print(
            f"gridfoot: error: unexpected {type(error).__name__}: {_one_line(error)} "
            "(a bug in gridfoot: please report it with the output of --debug)",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
