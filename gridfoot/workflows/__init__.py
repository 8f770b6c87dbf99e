"""The studies, each a frozen result and one writer: the grid study (``gridfoot run``), the
hotspots of a raster or cube (``gridfoot hotspots``) and the urban study (``gridfoot urban``).

=====================  =========================  ==================
study                  computes (nothing written)  computes and writes
=====================  =========================  ==================
grid                   :func:`compute_grid`         :func:`run_grid`
hotspots               :func:`compute_hotspots`     :func:`run_hotspots`
urban                  :func:`compute_urban`        :func:`run_urban`
=====================  =========================  ==================

Every ``run_*`` writes through :func:`gridfoot.workflows.writer.write_study`: the same
``summary.json`` schema, the same ``report.html`` template and the same file names for the
same products, into a folder that is absent, empty or gridfoot's own, all at once.
"""

from typing import TYPE_CHECKING

from gridfoot._lazy import attach

if TYPE_CHECKING:
    from gridfoot.workflows.grid import (
        GridStudy,
        Inputs,
        Scope,
        compute_grid,
        load_inputs,
        run_grid,
        scope,
        validate,
    )
    from gridfoot.workflows.hotspots import (
        HotspotOptions,
        HotspotsResult,
        compute_hotspots,
        open_layer,
        run_hotspots,
        select_layers,
    )
    from gridfoot.workflows.uncertainty import UncertaintyResult, compute_uncertainty
    from gridfoot.workflows.urban import UrbanStudy, compute_urban, run_urban

__getattr__, __dir__ = attach(__name__, __file__)

__all__ = [
    "GridStudy",
    "HotspotOptions",
    "HotspotsResult",
    "Inputs",
    "Scope",
    "UncertaintyResult",
    "UrbanStudy",
    "compute_grid",
    "compute_hotspots",
    "compute_uncertainty",
    "compute_urban",
    "load_inputs",
    "open_layer",
    "run_grid",
    "run_hotspots",
    "run_urban",
    "scope",
    "select_layers",
    "validate",
]
