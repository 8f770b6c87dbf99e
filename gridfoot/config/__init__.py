"""Every configuration of gridfoot: the TOML schemas and the binder that reads them.

- :mod:`gridfoot.config.binder`: TOML files into frozen dataclasses, every key checked and
  named in errors (:func:`load_config`, :func:`from_mapping`), and back (:func:`to_plain`,
  :func:`to_toml`).
- :mod:`gridfoot.config.mrio`: the ``[mrio]`` section (:class:`MrioConfig`), one for every
  study, and :meth:`MrioConfig.read_options`, the arguments of :func:`gridfoot.read_mrio`.
- :mod:`gridfoot.config.nest`: the ``[nest]`` section (:class:`NestConfig`): a region of the
  MRIO replaced by a sub-national table or a regionalised estimate, and
  :func:`check_nest_options`, shared with ``gridfoot footprint``.
- :mod:`gridfoot.config.run`: ``gridfoot run`` (:class:`RunConfig` and its sections), with
  the file format documented key by key.
- :mod:`gridfoot.config.urban`: ``gridfoot urban`` (:class:`UrbanConfig`,
  :class:`CityConfig`), with its file format.

Option values are checked by :mod:`gridfoot.checks`, shared with the command line and the
Python API.
"""

from typing import TYPE_CHECKING

from gridfoot._lazy import attach

if TYPE_CHECKING:
    from gridfoot.config.binder import from_mapping, load_config, to_plain, to_toml
    from gridfoot.config.mrio import MrioConfig
    from gridfoot.config.nest import NestConfig, check_nest_options
    from gridfoot.config.run import (
        BoundariesConfig,
        DaskConfig,
        DownscaleConfig,
        GridConfig,
        HotspotsConfig,
        OutputConfig,
        ProxyRule,
        RunConfig,
        SourcesConfig,
        UncertaintyConfig,
        load_run_config,
        write_run_config,
    )
    from gridfoot.config.urban import CityConfig, UrbanConfig

__getattr__, __dir__ = attach(__name__, __file__)

__all__ = [
    "BoundariesConfig",
    "CityConfig",
    "DaskConfig",
    "DownscaleConfig",
    "GridConfig",
    "HotspotsConfig",
    "MrioConfig",
    "NestConfig",
    "OutputConfig",
    "ProxyRule",
    "RunConfig",
    "SourcesConfig",
    "UncertaintyConfig",
    "UrbanConfig",
    "check_nest_options",
    "from_mapping",
    "load_config",
    "load_run_config",
    "to_plain",
    "to_toml",
    "write_run_config",
]
