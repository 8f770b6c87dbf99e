"""The grid study's configuration (``gridfoot run``); the study is :mod:`gridfoot.workflows`."""

from gridfoot.pipeline.config import RunConfig, load_run_config, write_run_config

__all__ = ["RunConfig", "load_run_config", "write_run_config"]
