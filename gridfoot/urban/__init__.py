"""Urban carbon footprints from city input-output tables.

A city is either a single-region input-output table in the competitive-imports layout of
Chinese city tables (:func:`read_city_table`), nested in a host MRIO that prices its imports,
or a region (or group of regions) of an MRIO. :func:`city_footprint` and
:func:`city_footprint_from_mrio` compute its direct emissions, emissions embodied in exports
(EEE) and imports (EEI), each split domestic / foreign, the four footprint boundaries and the
sector views; :func:`indicators` and :func:`compare_cities` the four indicators and a table of
several cities; :mod:`gridfoot.plot.urban` draws the study's figures and
:func:`gridfoot.workflows.urban.run_urban` (``gridfoot urban CONFIG --out DIR``) runs it from
a file.

References
----------
Hu, Y., Lin, J., Cui, S. & Khanna, N. Z. (2016). Measuring urban carbon footprint from carbon
flows in the global supply chain. *Environmental Science & Technology* 50.
Lin, J., Hu, Y., Cui, S., Kang, J. & Ramaswami, A. (2015). Tracking urban carbon footprints
from production and consumption perspectives. *Environmental Research Letters* 10, 054001.
"""

from typing import TYPE_CHECKING

from gridfoot._lazy import attach

if TYPE_CHECKING:
    from gridfoot.urban.footprints import (
        BOUNDARIES,
        PATHWAYS,
        CityFootprint,
        city_footprint,
        city_footprint_from_mrio,
    )
    from gridfoot.urban.indicators import (
        IndicatorOptions,
        compare_cities,
        indicators,
        tidy_accounts,
    )
    from gridfoot.urban.tables import (
        CityTable,
        cut_city_table,
        import_origin_shares,
        read_city_table,
    )

__getattr__, __dir__ = attach(__name__, __file__)

__all__ = [
    "BOUNDARIES",
    "PATHWAYS",
    "CityFootprint",
    "CityTable",
    "IndicatorOptions",
    "city_footprint",
    "city_footprint_from_mrio",
    "compare_cities",
    "cut_city_table",
    "import_origin_shares",
    "indicators",
    "read_city_table",
    "tidy_accounts",
]
