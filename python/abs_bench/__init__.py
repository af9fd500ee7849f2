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
from ._api import Dataset, Run, curves, dataset, results, run, sweep, write_dataset
from ._plugins import Job, Learner, Round, ServerStep, Update

__all__ = [
    "AbsBenchError",
    "CellsFailed",
    "ConfigError",
    "DataError",
    "Dataset",
    "Job",
    "Learner",
    "Round",
    "ServerStep",
    "Update",
    "curves",
    "dataset",
    "results",
    "Run",
    "RunError",
    "UsageError",
    "__version__",
    "run",
    "sweep",
    "write_dataset",
]
