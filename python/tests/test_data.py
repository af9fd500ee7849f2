"""Your own data: a folder of any image size, channel count and class count, written from numpy,
trained on by the built-in models and by a Python learner, identified by its content."""

import json

import numpy as np
import pytest

import abs_bench as ab


def make(rng, n, classes=5, shape=(3, 20, 24)):
    """Images whose class sets a bright block in its own place, over noise."""
    labels = rng.integers(0, classes, n)
    images = rng.integers(0, 90, (n, *shape), dtype=np.uint8)
    for i, y in enumerate(labels):
        images[i, :, 2 * y : 2 * y + 4, 3:9] = 230
    return images, labels


@pytest.fixture()
def folder(tmp_path):
    rng = np.random.default_rng(7)
    (x, y), (tx, ty) = make(rng, 1500), make(rng, 400)
    return ab.write_dataset(tmp_path / "blocks", x, y, tx, ty)


RUN = {"dataset": "folder", "policy": "abs", "workers": 4, "local_steps": 4, "batch_size": 16, "lr": 0.05,
       "max_rounds": 40, "eval_every": 20}


def test_a_folder_of_colour_images_and_five_classes_is_read_as_written(folder):
    manifest = json.loads((folder / "dataset.json").read_text())
    assert manifest["classes"] == 5
    data = ab.dataset({**RUN, "model": "logreg", "data_dir": str(folder)})
    assert data.train_images.shape == (1500, 3, 20, 24) and data.test_images.shape == (400, 3, 20, 24)
    assert data.classes == 5 and data.train_labels.max() < 5


@pytest.mark.parametrize("model", ["logreg", "lenet"])
def test_the_built_in_models_learn_on_it(folder, model):
    r = ab.run({**RUN, "model": model, "data_dir": str(folder)})
    assert r.evals["test_accuracy"][-1] > 0.6, r.evals
    assert r.manifest["data"].startswith("folder")


def test_its_content_not_its_path_enters_the_cell_id(folder, tmp_path):
    config = {**RUN, "model": "logreg", "max_rounds": 2}
    first = ab.run({**config, "data_dir": str(folder)})
    moved = tmp_path / "elsewhere"
    folder.rename(moved)
    assert ab.run({**config, "data_dir": str(moved)}).cell_id == first.cell_id
    images = moved / "train-images.idx"
    raw = bytearray(images.read_bytes())
    raw[-1] ^= 0xFF
    images.write_bytes(bytes(raw))
    changed = ab.run({**config, "data_dir": str(moved)})
    assert changed.cell_id != first.cell_id
    assert changed.manifest["config"]["data_digest"] != first.manifest["config"]["data_digest"]


def test_a_python_learner_trains_on_it(folder):
    from test_learner import NumpyLogreg

    data = ab.dataset({**RUN, "model": "external", "data_dir": str(folder)})
    r = ab.run({**RUN, "model": "external", "data_dir": str(folder)}, learner=NumpyLogreg(data))
    assert r.evals["test_accuracy"][-1] > 0.6


def test_bad_folders_are_clear_errors(folder, tmp_path):
    with pytest.raises(ab.DataError, match="dataset.json"):
        ab.run({**RUN, "model": "logreg", "data_dir": str(tmp_path / "nowhere")})
    manifest = json.loads((folder / "dataset.json").read_text())
    (folder / "dataset.json").write_text(json.dumps({**manifest, "classes": 3}))
    with pytest.raises(ab.DataError, match="out of range 0..3"):
        ab.run({**RUN, "model": "logreg", "data_dir": str(folder)})
    (folder / "dataset.json").write_text(json.dumps({**manifest, "clients": "c.idx"}))
    with pytest.raises(ab.DataError, match="unknown field"):
        ab.run({**RUN, "model": "logreg", "data_dir": str(folder)})
    with pytest.raises(ValueError, match="uint8"):
        ab.write_dataset(tmp_path / "bad", np.zeros((4, 8, 8)), np.zeros(4), np.zeros((2, 8, 8)), np.zeros(2))


class Recording:
    """A learner that trains nothing and records which samples each holder's jobs got."""

    name = "recording"
    version = "1"

    def __init__(self):
        self.seen = {}

    def dim(self):
        return 4

    def init(self, seed):
        return np.zeros(4, dtype=np.float32)

    def train(self, params, job):
        self.seen.setdefault((job.client, job.holder), set()).update(job.samples.tolist())
        return np.zeros(4, dtype=np.float32), 1.0

    def evaluate(self, params, split, samples):
        return 1.0, 0.5


@pytest.fixture()
def writers(tmp_path):
    """12 writers of uneven sizes, as FEMNIST's."""
    rng = np.random.default_rng(3)
    (x, y), (tx, ty) = make(rng, 600), make(rng, 100)
    owners = np.repeat(np.arange(12), [10, 20, 30, 40, 50, 60, 70, 80, 60, 70, 60, 50])
    return ab.write_dataset(tmp_path / "writers", x, y, tx, ty, clients=owners), owners


def test_a_natural_partition_gives_each_client_its_own_samples(writers):
    folder, owners = writers
    learner = Recording()
    config = {**RUN, "model": "external", "data_dir": str(folder), "partition": "natural", "clients": 12,
              "concurrency": 3, "max_rounds": 60}
    r = ab.run(config, learner=learner)
    assert r.manifest["config"]["partition"] == "natural"
    assert len(learner.seen) > 3
    for (client, holder), samples in learner.seen.items():
        assert client and samples == set(np.flatnonzero(owners == holder).tolist()), holder


def test_with_workers_each_holds_whole_clients(writers):
    folder, owners = writers
    learner = Recording()
    ab.run({**RUN, "model": "external", "data_dir": str(folder), "partition": "natural", "workers": 4,
            "max_rounds": 30}, learner=learner)
    for (client, worker), samples in learner.seen.items():
        mine = np.isin(owners, [c for c in range(12) if c % 4 == worker])
        assert not client and samples == set(np.flatnonzero(mine).tolist())


def test_a_natural_partition_is_refused_where_it_cannot_be_dealt(writers, folder):
    writer_folder, _ = writers
    with pytest.raises(ab.RunError, match="population has 20"):
        ab.run({**RUN, "model": "logreg", "data_dir": str(writer_folder), "partition": "natural", "clients": 20,
                "concurrency": 3})
    with pytest.raises(ab.RunError, match="name their clients"):
        ab.run({**RUN, "model": "logreg", "data_dir": str(folder), "partition": "natural"})
    with pytest.raises(ab.RunError, match="13 workers"):
        ab.run({**RUN, "model": "logreg", "data_dir": str(writer_folder), "partition": "natural", "workers": 13})


def test_client_ids_are_part_of_the_datas_content(writers, tmp_path):
    folder, owners = writers
    rng = np.random.default_rng(3)
    (x, y), (tx, ty) = make(rng, 600), make(rng, 100)
    other = ab.write_dataset(tmp_path / "shuffled", x, y, tx, ty, clients=owners[::-1].copy())
    config = {**RUN, "model": "logreg", "partition": "natural", "workers": 3, "max_rounds": 2}
    a = ab.run({**config, "data_dir": str(folder)})
    b = ab.run({**config, "data_dir": str(other)})
    assert a.cell_id != b.cell_id


class NumpyFedAvg:
    """FedAvg's weighting written out: each delta weighted by n_i / sum n_j (S = 1, the paper's
    normalisation), summed in arrival order in float32, then server_lr."""

    name = "numpy-fedavg"
    version = "1"

    def __init__(self, owners):
        self.counts = np.bincount(owners)
        self.checked = 0

    def step(self, model, updates, round):
        total = np.zeros_like(model)
        n = np.array([u.samples for u in updates], dtype=np.float64)
        for u in updates:
            assert u.samples == self.counts[u.client]
            self.checked += 1
        for u, share in zip(updates, n / n.mean()):
            total += np.float32((1.0 * share) / len(updates)) * u.delta
        return model + np.float32(round.server_lr) * total


def test_weighting_by_sample_counts_is_fedavgs_and_updates_carry_the_counts(writers):
    folder, owners = writers
    config = {**RUN, "model": "logreg", "data_dir": str(folder), "partition": "natural", "clients": 12,
              "concurrency": 4, "policy": "k_async", "k": 3, "max_rounds": 30, "eval_every": 10,
              "weight_by_samples": True}
    built_in = ab.run(config)
    step = NumpyFedAvg(owners)
    ours = ab.run(config, server_step=step)
    assert step.checked >= 90
    assert ours.rounds["time"].equals(built_in.rounds["time"])
    np.testing.assert_allclose(ours.evals["test_loss"], built_in.evals["test_loss"], rtol=1e-4)
    unweighted = ab.run({**config, "weight_by_samples": False})
    assert unweighted.cell_id != built_in.cell_id
    assert not np.allclose(unweighted.evals["test_loss"], built_in.evals["test_loss"], rtol=1e-6)
