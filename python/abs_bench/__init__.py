"""abs-bench from Python: runs, sweeps and results of the harness as polars DataFrames.

The simulation is the same Rust engine the ``abs-bench`` command runs (docs/python.md): a config
and its seed give bit-identical results from either.
"""

from ._native import (
    AbsBenchError,
    CellsFailed,
    ConfigError,
    DataError,
    RunError,
    UsageError,
    __version__,
)
from ._api import Run, run, sweep

__all__ = [
    "AbsBenchError",
    "CellsFailed",
    "ConfigError",
    "DataError",
    "Run",
    "RunError",
    "UsageError",
    "__version__",
    "run",
    "sweep",
]
