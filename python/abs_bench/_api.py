"""The package's functions: thin wrappers that turn Python values into the harness's inputs and
its Arrow tables into polars DataFrames."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Union

import numpy as np
import polars as pl

from . import _native
from ._plugins import Learner, ServerStep, _identity, _LearnerAdapter, _StepAdapter

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


def _plugged(learner: Any, server_step: Any) -> dict[str, Any]:
    """The native keyword arguments that lend a learner and a server step to a run or a sweep:
    each wrapped in its adapter, with its identity (and a step's wish for bases)."""
    plugged: dict[str, Any] = {}
    if learner is not None:
        adapter = _LearnerAdapter(learner)
        plugged["learner"] = (adapter, adapter.identity)
    if server_step is not None:
        step = _StepAdapter(server_step)
        plugged["server_step"] = (step, step.identity, step.needs_bases)
    return plugged


def _sets(overrides: Mapping[str, Any] | None) -> list[str]:
    """``--set key=value`` overrides, values as YAML (JSON is YAML)."""
    return [f"{k}={json.dumps(v)}" for k, v in (overrides or {}).items()]


def run(
    config: Config,
    *,
    overrides: Mapping[str, Any] | None = None,
    out: str | os.PathLike[str] | None = None,
    data_dir: str | os.PathLike[str] | None = None,
    learner: Learner | None = None,
    server_step: ServerStep | None = None,
) -> Run:
    """Simulates one run config to its stopping rule.

    ``config`` is a mapping of config keys (docs/config.md), YAML text, or a path to a YAML file;
    ``overrides`` are laid over it as ``--set`` would. With ``out``, the run's folder is also
    written as ``abs-bench run --out`` writes it. A config mistake raises :class:`ConfigError`
    naming the origin, the key and what was expected.

    ``learner`` (an :class:`abs_bench.Learner`) trains in place of a built-in model: the config
    says ``model: external`` and names the data set whose samples the
    job's indices point into (:func:`dataset` gives its arrays). ``server_step`` (an
    :class:`abs_bench.ServerStep`) replaces the policy's aggregation. Each one's name and version
    enter the cell id; an exception raised inside either stops the run and is raised here, with
    its own type and traceback.

    >>> r = run({"model": "analytic", "policy": "abs", "workers": 4, "max_rounds": 50})
    >>> r.evals.columns[:2]
    ['round', 'time']
    """
    sets = _sets(overrides)
    plugged = _plugged(learner, server_step)
    native = _native.run(
        **_config_source(config),
        sets=sets,
        **plugged,
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
    learner: Learner | None = None,
    server_step: ServerStep | None = None,
) -> Path:
    """Runs the sweep file ``path`` into the results folder ``out`` as ``abs-bench sweep`` does:
    stage by stage where it is tuned, finished cells kept and skipped, so an interrupted sweep
    resumes. Returns ``out``. Failed cells raise :class:`CellsFailed` after the others finished.

    With ``learner`` (the sweep's cells say ``model: external``) or ``server_step``, every cell
    runs with it, one cell at a time, and its name and version enter every cell's id. An exception
    it raises stops the sweep (the cells after it are not run) and is raised here; the finished
    cells are kept and a rerun resumes."""
    plugged = _plugged(learner, server_step)
    _native.sweep(os.fspath(path), os.fspath(out), jobs=jobs, force=force, jobs_log=jobs_log, **plugged)
    return Path(out)


@dataclass(frozen=True)
class Dataset:
    """A run's data set as the built-in models see it: images normalised as they are (float32,
    samples x channels x height x width) and labels (uint8), the arrays a learner's sample
    indices point into."""

    name: str
    classes: int
    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    digest: str


def dataset(config: Config, *, data_dir: str | os.PathLike[str] | None = None) -> Dataset:
    """The data set a config trains on (its ``dataset``, ``synthetic`` and ``data_dir`` keys),
    for a Python learner to index with its jobs' samples."""
    source = _config_source(config)
    if "path" in source:
        path = source["path"]
        source = {"text": Path(path).read_text(), "origin": path}
    d = _native.dataset(source["text"], source["origin"], None if data_dir is None else os.fspath(data_dir))
    shape = (d["channels"], d["height"], d["width"])

    def images(key: str) -> np.ndarray:
        flat = np.frombuffer(d[key], dtype=np.float32)
        return flat.reshape((-1, *shape))

    return Dataset(
        name=d["name"],
        classes=d["classes"],
        train_images=images("train_images"),
        train_labels=np.frombuffer(d["train_labels"], dtype=np.uint8),
        test_images=images("test_images"),
        test_labels=np.frombuffer(d["test_labels"], dtype=np.uint8),
        digest=d["digest"],
    )


def _stamps(learner: Any, server_step: Any) -> list[tuple[str, str]]:
    """The (role, "name version") pairs a sweep with these plug-ins put in its cells' ids."""
    stamps = []
    if learner is not None:
        stamps.append(("learner", _identity(learner, "learner")))
    if server_step is not None:
        stamps.append(("server_step", _identity(server_step, "server_step")))
    return stamps


def results(
    folder: str | os.PathLike[str],
    *,
    sweep: str | os.PathLike[str] | None = None,
    target: float | None = None,
    learner: Learner | None = None,
    server_step: ServerStep | None = None,
) -> pl.DataFrame:
    """One tidy row per finished cell of a results folder (``abs-bench results --parquet``): its
    id, label, condition, every config key as a column (nested keys dotted) and its metrics
    (final accuracy, time, comm and uploads to the target, whether it held, ...). With ``sweep``,
    only that sweep's reported cells, labelled as in the file; ``target`` replaces each cell's
    own target accuracy. A sweep run with a ``learner`` or ``server_step`` is read with the same
    ones (their names and versions are in its cells' ids)."""
    return pl.DataFrame(
        _native.results(
            os.fspath(folder), None if sweep is None else os.fspath(sweep), target, _stamps(learner, server_step)
        )
    )


def curves(
    folder: str | os.PathLike[str],
    *,
    sweep: str | os.PathLike[str] | None = None,
    learner: Learner | None = None,
    server_step: ServerStep | None = None,
) -> pl.DataFrame:
    """Every evaluation of every finished cell of a results folder (``abs-bench results
    --curves``): the cell's id, label, condition and config columns, then round, time, uploads,
    downloads, comm, test_loss and test_accuracy. The committed figures' curves are
    ``reports/curves.parquet`` in the same columns, with a ``figure`` column first."""
    stamps = _stamps(learner, server_step)
    return pl.DataFrame(_native.curves(os.fspath(folder), None if sweep is None else os.fspath(sweep), stamps))


def _idx(array: np.ndarray) -> bytes:
    """``array`` (unsigned bytes) in the IDX format: magic, dimensions, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return header + np.ascontiguousarray(array, dtype=np.uint8).tobytes()


def write_dataset(
    folder: str | os.PathLike[str],
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    test_labels: np.ndarray,
    *,
    classes: int | None = None,
    clients: np.ndarray | None = None,
) -> Path:
    """Writes a data set of your own as ``dataset: folder`` reads it: ``dataset.json`` and IDX
    files in ``folder``. Images are uint8, shaped samples x height x width (one channel) or
    samples x channels x height x width, of any size; labels are integers in 0..classes (default:
    the largest label + 1). ``clients`` gives each training sample's client (integers 0..M, each
    holding a sample), for ``partition: natural``. Run on it with ``{"dataset": "folder",
    "data_dir": folder}``; its content digest enters the cell id, never its path."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    labels = [np.asarray(train_labels), np.asarray(test_labels)]
    images = [np.asarray(train_images), np.asarray(test_images)]
    for name, x in (("train_images", images[0]), ("test_images", images[1])):
        if x.ndim not in (3, 4) or x.dtype != np.uint8:
            raise ValueError(f"{name}: expected uint8 samples x [channels x] height x width, got {x.dtype} of shape {x.shape}")
    if images[0].shape[1:] != images[1].shape[1:]:
        raise ValueError(f"train images are {images[0].shape[1:]} but test images {images[1].shape[1:]}")
    for name, y, x in (("train_labels", labels[0], images[0]), ("test_labels", labels[1], images[1])):
        if y.ndim != 1 or len(y) != len(x) or (len(y) and (y.min() < 0 or y.max() > 255)):
            raise ValueError(f"{name}: expected one integer label in 0..255 per image ({len(x)}), got shape {y.shape}")
    classes = int(max(labels[0].max(initial=0), labels[1].max(initial=0)) + 1) if classes is None else int(classes)
    files = {}
    for split, x, y in (("train", images[0], labels[0]), ("test", images[1], labels[1])):
        (out / f"{split}-images.idx").write_bytes(_idx(x))
        (out / f"{split}-labels.idx").write_bytes(_idx(y.astype(np.uint8)))
        files[split] = {"images": f"{split}-images.idx", "labels": f"{split}-labels.idx"}
    if clients is not None:
        owners = np.asarray(clients)
        if owners.shape != (len(images[0]),) or (len(owners) and owners.min() < 0):
            raise ValueError(f"clients: expected one id >= 0 per training image ({len(images[0])}), got shape {owners.shape}")
        ids = np.ascontiguousarray(owners, dtype=">i4")
        (out / "train-clients.idx").write_bytes(bytes([0, 0, 0x0C, 1]) + len(ids).to_bytes(4, "big") + ids.tobytes())
        files["train"]["clients"] = "train-clients.idx"
    (out / "dataset.json").write_text(json.dumps({"classes": classes, **files}, indent=1) + "\n")
    return out
