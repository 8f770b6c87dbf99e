"""The whole run from a configuration: ``gridfoot run`` and ``gridfoot demo`` in Python."""

from gridfoot.config import RunConfig, load_run_config, write_run_config
from gridfoot.workflows.grid import Inputs, RunResult, Scope, load_inputs, run, scope, validate

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
