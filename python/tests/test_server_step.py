"""Your own server step: FedBuff's rule written in numpy gives the built-in FedBuff's records,
state is kept between rounds, and an exception inside the step reaches the caller."""

import numpy as np
import pytest

import abs_bench as ab

FEDBUFF = {
    "model": "analytic",
    "policy": "fedbuff",
    "k": 3,
    "workers": 8,
    "server_lr": 0.8,
    "max_rounds": 80,
    "eval_every": 10,
    "analytic": {"dim": 12, "train_samples": 3000, "test_samples": 600},
}


class NumpyFedBuff:
    """FedBuff's aggregation: each delta weighted by (1 + s)^(-1/2) / K^t, summed in arrival
    order in float32, then plain SGD on the server with server_lr."""

    name = "numpy-fedbuff"
    version = "1"

    def __init__(self):
        self.rounds = 0

    def step(self, model, updates, round):
        self.rounds += 1
        total = np.zeros_like(model)
        for u in updates:
            coef = np.float32((1.0 / np.sqrt(1.0 + u.staleness)) / round.k)
            total += coef * u.delta
        return model + np.float32(round.server_lr) * total


@pytest.mark.parametrize("seed", [0, 1])
def test_fedbuffs_step_in_python_gives_the_built_in_records(seed):
    built_in = ab.run({**FEDBUFF, "seed": seed})
    step = NumpyFedBuff()
    ours = ab.run({**FEDBUFF, "seed": seed}, server_step=step)
    assert step.rounds == 80
    # the schedule is the policy's, whatever the step does
    for column in ["round", "time", "k", "arrivals", "comm"]:
        assert ours.rounds[column].equals(built_in.rounds[column]), column
    np.testing.assert_allclose(ours.evals["test_loss"], built_in.evals["test_loss"], rtol=1e-5)
    np.testing.assert_allclose(ours.evals["test_accuracy"], built_in.evals["test_accuracy"], atol=2e-3)
    assert ours.cell_id != built_in.cell_id
    assert ours.manifest["config"]["extensions"] == {"server_step": "numpy-fedbuff 1"}


def test_updates_carry_their_facts_and_bases_when_asked():
    seen = []

    class Watching(NumpyFedBuff):
        needs_bases = True

        def step(self, model, updates, round):
            seen.append((round.round, round.k, [(u.staleness, u.base_version, u.base is not None) for u in updates]))
            assert all(u.staleness == round.round - u.base_version for u in updates)
            assert all(u.base.shape == model.shape and not u.base.flags.writeable for u in updates)
            return super().step(model, updates, round)

    ab.run({**FEDBUFF, "max_rounds": 10}, server_step=Watching())
    assert [r for r, _, _ in seen] == list(range(10))
    assert all(len(u) == k == 3 for _, k, u in seen)


def test_an_exception_in_the_step_stops_the_run_and_is_raised_with_its_traceback(tmp_path):
    class Failing(NumpyFedBuff):
        def step(self, model, updates, round):
            if round.round == 3:
                raise KeyError("round three")
            return super().step(model, updates, round)

    step = Failing()
    with pytest.raises(KeyError, match="round three") as caught:
        ab.run(FEDBUFF, server_step=step, out=tmp_path / "run")
    assert step.rounds == 3
    assert any(entry.name == "step" for entry in caught.traceback)
    assert any("raised by the server step in round 3" in n for n in getattr(caught.value, "__notes__", []))
    assert not (tmp_path / "run").exists(), "nothing half-written"


def test_a_step_returning_the_wrong_size_is_a_clear_error():
    class Wrong(NumpyFedBuff):
        def step(self, model, updates, round):
            return model[:-1]

    with pytest.raises(ValueError, match="the step's new model"):
        ab.run({**FEDBUFF, "max_rounds": 3}, server_step=Wrong())
