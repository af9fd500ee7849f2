"""The package's functions: thin wrappers that turn Python values into the harness's inputs and
its Arrow tables into polars DataFrames."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Union

import polars as pl

from . import _native

Config = Union[Mapping[str, Any], str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Run:
    """What one run produced: its rounds, evaluations and job log as DataFrames (the columns of
    ``rounds.parquet``, ``evals.parquet`` and ``jobs.parquet``), its manifest (config, cell id,
    stop reason, versions), and the warnings its config drew (keys set but ignored)."""

    rounds: pl.DataFrame
    evals: pl.DataFrame
    jobs: pl.DataFrame
    manifest: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def cell_id(self) -> str:
        """The id a sweep files this run under (the hash of its identifying config)."""
        return self.manifest["config_hash"]


def _config_source(config: Config) -> dict[str, Any]:
    """The keyword arguments that name a config to the native module: a path, YAML text, or a
    mapping (sent as JSON, which YAML reads)."""
    if isinstance(config, Mapping):
        # one key per line (values as JSON, which YAML reads), so that a mistake names its key
        text = "".join(f"{_key(k)}: {json.dumps(v)}\n" for k, v in config.items())
        return {"text": text, "origin": "the config dict"}
    if isinstance(config, os.PathLike):
        return {"path": os.fspath(config)}
    if isinstance(config, str):
        # one line ending in .yaml/.yml that names a file is a path; anything else is YAML text
        if "\n" not in config and config.endswith((".yaml", ".yml")):
            return {"path": config}
        return {"text": config, "origin": "the config text"}
    raise TypeError(f"config: expected a mapping, YAML text or a path, not {type(config).__name__}")


def _key(key: object) -> str:
    """A mapping's key as YAML: plain where it is a plain name (as in a config file), else quoted."""
    text = str(key)
    return text if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.]*", text) else json.dumps(text)


def _sets(overrides: Mapping[str, Any] | None) -> list[str]:
    """``--set key=value`` overrides, values as YAML (JSON is YAML)."""
    return [f"{k}={json.dumps(v)}" for k, v in (overrides or {}).items()]


def run(
    config: Config,
    *,
    overrides: Mapping[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
) -> Run:
    """Simulates one run config to its stopping rule.

    ``config`` is a mapping of config keys (docs/config.md), YAML text, or a path to a YAML file;
    ``overrides`` are laid over it as ``--set`` would. With ``out``, the run's folder is also
    written as ``abs-bench run --out`` writes it. A config mistake raises :class:`ConfigError`
    naming the origin, the key and what was expected.

    >>> r = run({"model": "analytic", "policy": "abs", "workers": 4, "max_rounds": 50})
    >>> r.evals.columns[:2]
    ['round', 'time']
    """
    native = _native.run(
        **_config_source(config),
        sets=_sets(overrides),
        out=None if out is None else os.fspath(out),
        data_dir=None if data_dir is None else os.fspath(data_dir),
    )
    return Run(
        rounds=pl.DataFrame(native["rounds"]),
        evals=pl.DataFrame(native["evals"]),
        jobs=pl.DataFrame(native["jobs"]),
        manifest=json.loads(native["manifest"]),
        warnings=list(native["warnings"]),
    )


def sweep(
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    jobs: int | None = None,
    force: bool = False,
    jobs_log: bool = False,
) -> Path:
    """Runs the sweep file ``path`` into the results folder ``out`` as ``abs-bench sweep`` does:
    stage by stage where it is tuned, finished cells kept and skipped, so an interrupted sweep
    resumes. Returns ``out``. Failed cells raise :class:`CellsFailed` after the others finished."""
    _native.sweep(os.fspath(path), os.fspath(out), jobs=jobs, force=force, jobs_log=jobs_log)
    return Path(out)
