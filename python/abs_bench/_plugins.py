"""Your own learner and server step: the protocols the harness calls, and the adapters that
carry their arguments across the border as bytes (numpy reads them without a copy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True)
class Job:
    """One job of local training, as the run's engine hands it out."""

    holder: int
    """The worker, or in a population the client, whose samples the job trains on."""
    client: bool
    """Whether ``holder`` is a client of a population (else a worker)."""
    job: int
    """The job's index (per worker in start order; in a population, its row in the job log)."""
    steps: int
    """U, local SGD steps."""
    batch_size: int
    lr: float
    samples: np.ndarray
    """The holder's training samples (uint32 indices into the training set; validation held out)."""
    seed: int
    """A seed for the job's draws, from the run's mini-batch stream of (holder, job)."""


@runtime_checkable
class Learner(Protocol):
    """A model trained in Python in place of the built-in ones (``model: external``).

    ``name`` and ``version`` enter the cell id (code cannot be hashed reliably): change the
    version whenever a change can change a result. Parameters are flat float32 vectors; the
    arrays the harness passes are read-only views.
    """

    name: str
    version: str

    def dim(self) -> int:
        """Number of parameters."""

    def init(self, seed: int) -> np.ndarray:
        """The initial parameters (float32, ``dim()`` of them), drawn from ``seed``."""

    def train(self, params: np.ndarray, job: Job) -> tuple[np.ndarray, float]:
        """Trains ``job`` from ``params``: returns the delta (trained minus ``params``) and the
        mean mini-batch loss over the job's steps."""

    def evaluate(self, params: np.ndarray, split: str, samples: np.ndarray) -> tuple[float, float]:
        """Mean loss and accuracy of ``params`` on ``samples`` of the test set (``split`` is
        ``"test"``) or of the training set (``"validation"``: the held-out samples)."""


@dataclass(frozen=True)
class Update:
    """One update a round aggregates."""

    delta: np.ndarray
    """What the job's local steps changed (float32, read-only)."""
    staleness: int
    """Global updates made since the job's base model."""
    worker: int
    """The worker (in a population, the slot) that ran the job."""
    client: Optional[int]
    """In a population, the client that ran it."""
    base_version: int
    """The version of the global model the job started from."""
    loss: float
    """The job's mean mini-batch loss."""
    samples: Optional[int] = None
    """The training samples its worker or client holds (FedAvg's n_i)."""
    base: Optional[np.ndarray] = None
    """The model at ``base_version``, where the step asks for bases (``needs_bases = True``)."""


@dataclass(frozen=True)
class Round:
    """What a server step knows of its round besides the updates."""

    round: int
    """t, the version of the model the step receives."""
    k: int
    """K^t. The round holds fewer updates only where absences closed it early."""
    workers: int
    """N, the workers or a population's slots."""
    server_lr: float
    time: float
    """The round's virtual time."""


@runtime_checkable
class ServerStep(Protocol):
    """How a round's updates become the next model, in place of the policy's aggregation (the
    policy still decides K, the staleness bound and dispatch). It may keep state between rounds.
    ``name`` and ``version`` enter the cell id; ``needs_bases`` (default False) asks for each
    update's base model."""

    name: str
    version: str

    def step(self, model: np.ndarray, updates: list[Update], round: Round) -> np.ndarray:
        """The next model (float32, same size) from the current one (a writable copy)."""


def _identity(obj: Any, what: str) -> str:
    """``name version`` of a learner or step, refused when either is missing or empty."""
    name, version = getattr(obj, "name", None), getattr(obj, "version", None)
    if not isinstance(name, str) or not name or version is None or str(version) == "":
        raise TypeError(
            f"{what}: {type(obj).__name__} must declare `name` and `version` (they enter the cell id, "
            "so that cached results never mix two implementations)"
        )
    return f"{name} {version}"


def _f32(values: Any, size: int, what: str) -> bytes:
    array = np.ascontiguousarray(values, dtype=np.float32)
    if array.shape != (size,):
        raise ValueError(f"{what}: expected a flat array of {size} values, got shape {array.shape}")
    return array.tobytes()


class _LearnerAdapter:
    """What the harness calls: bytes in, bytes out, around the user's learner."""

    def __init__(self, learner: Any):
        for method in ("dim", "init", "train", "evaluate"):
            if not callable(getattr(learner, method, None)):
                raise TypeError(f"learner: {type(learner).__name__} has no method `{method}` (see abs_bench.Learner)")
        self.identity = _identity(learner, "learner")
        self.learner = learner
        self.size = 0

    def dim(self) -> int:
        self.size = int(self.learner.dim())
        return self.size

    def init(self, seed: int) -> bytes:
        return _f32(self.learner.init(seed), self.size, "init")

    def train(self, params, holder, client, job, steps, batch_size, lr, samples, seed):
        facts = Job(holder, client, job, steps, batch_size, lr, np.frombuffer(samples, dtype=np.uint32), seed)
        delta, loss = self.learner.train(np.frombuffer(params, dtype=np.float32), facts)
        return _f32(delta, self.size, "train's delta"), float(loss)

    def evaluate(self, params, split, samples):
        loss, accuracy = self.learner.evaluate(np.frombuffer(params, dtype=np.float32), split, np.frombuffer(samples, dtype=np.uint32))
        return float(loss), float(accuracy)


class _StepAdapter:
    """What the harness calls: bytes in, bytes out, around the user's server step."""

    def __init__(self, step: Any):
        if not callable(getattr(step, "step", None)):
            raise TypeError(f"server_step: {type(step).__name__} has no method `step` (see abs_bench.ServerStep)")
        self.identity = _identity(step, "server_step")
        self.needs_bases = bool(getattr(step, "needs_bases", False))
        self.inner = step

    def step(self, model, deltas, facts, bases, round_facts):
        w = np.frombuffer(model, dtype=np.float32).copy()
        size = w.size
        d = np.frombuffer(deltas, dtype=np.float32).reshape(len(facts), size)
        b = None if bases is None else np.frombuffer(bases, dtype=np.float32).reshape(len(facts), size)
        updates = [
            Update(d[i], s, worker, client, version, loss, samples, None if b is None else b[i])
            for i, (s, worker, client, version, loss, samples) in enumerate(facts)
        ]
        return _f32(self.inner.step(w, updates, Round(*round_facts)), size, "the step's new model")
