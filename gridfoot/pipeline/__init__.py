"""The whole run from a configuration: ``gridfoot run`` and ``gridfoot demo`` in Python."""

from typing import TYPE_CHECKING

from gridfoot._lazy import attach

if TYPE_CHECKING:
    from gridfoot.pipeline.config import RunConfig, load_run_config, write_run_config
    from gridfoot.workflows.grid import Inputs, RunResult, Scope, load_inputs, run, scope, validate

__getattr__, __dir__ = attach(__name__, __file__)

__all__ = [
    "Inputs",
    "RunConfig",
    "RunResult",
    "Scope",
    "load_inputs",
    "load_run_config",
    "run",
    "scope",
    "validate",
    "write_run_config",
]
