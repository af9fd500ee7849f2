"""Your own learner: a numpy logistic regression behind the Learner protocol learns as the
built-in `logreg` does, reruns bit for bit, and its exceptions reach the caller."""

import numpy as np
import pytest

import abs_bench as ab

DATA = {
    "dataset": "synthetic",
    "synthetic": {"shape": "mnist", "train_samples": 2000, "test_samples": 1000, "signal_percent": 40},
}
RUN = {
    **DATA,
    "policy": "abs",
    "workers": 4,
    "local_steps": 4,
    "batch_size": 16,
    "lr": 0.05,
    "max_rounds": 60,
    "eval_every": 30,
}


class NumpyLogreg:
    """Multinomial logistic regression on the normalised pixels, as the built-in `logreg`: SGD on
    the mean cross-entropy of mini-batches drawn with replacement from the job's samples."""

    name = "numpy-logreg"
    version = "1"

    def __init__(self, data: ab.Dataset):
        self.x_train = data.train_images.reshape(len(data.train_labels), -1)
        self.y_train = data.train_labels.astype(np.int64)
        self.x_test = data.test_images.reshape(len(data.test_labels), -1)
        self.y_test = data.test_labels.astype(np.int64)
        self.features, self.classes = self.x_train.shape[1], data.classes
        self.jobs = 0

    def dim(self):
        return self.features * self.classes + self.classes

    def _split(self, w):
        weights = w[: self.features * self.classes].reshape(self.features, self.classes)
        return weights, w[self.features * self.classes :]

    def init(self, seed):
        rng = np.random.default_rng(seed)
        bound = 1.0 / np.sqrt(self.features)
        w = rng.uniform(-bound, bound, self.dim()).astype(np.float32)
        w[self.features * self.classes :] = 0.0
        return w

    def _loss_and_grads(self, w, x, y):
        weights, bias = self._split(w)
        logits = x @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        loss = -np.log(p[np.arange(len(y)), y] + 1e-12).mean()
        p[np.arange(len(y)), y] -= 1.0
        p /= len(y)
        return loss, np.concatenate([(x.T @ p).ravel(), p.sum(axis=0)])

    def train(self, params, job):
        self.jobs += 1
        rng = np.random.default_rng(job.seed)
        w = params.copy()
        losses = []
        for _ in range(job.steps):
            picks = job.samples[rng.integers(0, len(job.samples), job.batch_size)]
            loss, grad = self._loss_and_grads(w, self.x_train[picks], self.y_train[picks])
            w -= np.float32(job.lr) * grad.astype(np.float32)
            losses.append(loss)
        return w - params, float(np.mean(losses))

    def evaluate(self, params, split, samples):
        x, y = (self.x_test, self.y_test) if split == "test" else (self.x_train, self.y_train)
        weights, bias = self._split(params)
        logits = x[samples] @ weights + bias
        logits -= logits.max(axis=1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        labels = y[samples]
        return float(-logp[np.arange(len(labels)), labels].mean()), float((logits.argmax(axis=1) == labels).mean())


@pytest.fixture(scope="module")
def data():
    return ab.dataset({"model": "logreg", **DATA})


def test_the_data_set_is_the_one_the_built_in_models_see(data):
    assert data.train_images.shape == (2000, 1, 28, 28) and data.test_images.shape == (1000, 1, 28, 28)
    assert data.classes == 10 and set(np.unique(data.train_labels)) <= set(range(10))
    assert np.isfinite(data.train_images).all()


def test_a_numpy_logreg_learns_as_the_built_in_logreg_does(data):
    seeds = [0, 1, 2, 3]
    final = lambda r: r.evals["test_accuracy"][-1]
    ours = [final(ab.run({**RUN, "model": "external", "seed": s}, learner=NumpyLogreg(data))) for s in seeds]
    built_in = [final(ab.run({**RUN, "model": "logreg", "seed": s})) for s in seeds]
    spread = max(np.std(ours, ddof=1), np.std(built_in, ddof=1), 0.01)
    assert min(ours) > 0.3, f"the numpy learner learned: {ours}"
    assert abs(np.mean(ours) - np.mean(built_in)) <= 3 * spread, f"numpy {ours} vs built-in {built_in}"


def test_a_deterministic_learner_reruns_bit_for_bit_and_the_schedule_is_the_runs(data):
    config = {**RUN, "model": "external", "seed": 5, "max_rounds": 20}
    a, b = (ab.run(config, learner=NumpyLogreg(data)) for _ in range(2))
    assert a.evals.equals(b.evals) and a.rounds.equals(b.rounds) and a.jobs.equals(b.jobs)
    # the learner does not touch the clock: job times and arrivals are the built-in run's
    built_in = ab.run({**config, "model": "logreg"})
    assert a.rounds["time"].equals(built_in.rounds["time"]) and a.rounds["arrivals"].equals(built_in.rounds["arrivals"])


def test_the_learners_name_and_version_enter_the_cell_id(data):
    config = {**RUN, "model": "external", "max_rounds": 2}
    first = ab.run(config, learner=NumpyLogreg(data))
    other = NumpyLogreg(data)
    other.version = "2"
    assert ab.run(config, learner=other).cell_id != first.cell_id
    assert first.manifest["config"]["extensions"] == {"learner": "numpy-logreg 1"}


def test_an_exception_in_the_learner_stops_the_run_and_is_raised_with_its_traceback(data, tmp_path):
    class Failing(NumpyLogreg):
        def train(self, params, job):
            if self.jobs == 6:
                raise ZeroDivisionError("job six")
            return super().train(params, job)

    learner = Failing(data)
    with pytest.raises(ZeroDivisionError, match="job six") as caught:
        ab.run({**RUN, "model": "external"}, learner=learner, out=tmp_path / "run")
    assert learner.jobs == 6, "stopped at the failing job"
    assert any("train" in entry.name for entry in caught.traceback)
    assert any("abs-bench: raised by the learner in round" in n for n in getattr(caught.value, "__notes__", []))
    assert not (tmp_path / "run").exists(), "nothing half-written"


def test_a_learner_without_name_and_version_or_methods_is_refused(data):
    class Nameless(NumpyLogreg):
        name = ""

    with pytest.raises(TypeError, match="name"):
        ab.run({**RUN, "model": "external"}, learner=Nameless(data))
    with pytest.raises(TypeError, match="evaluate"):
        ab.run({**RUN, "model": "external"}, learner=type("L", (), {"name": "x", "version": 1, "dim": len, "init": len, "train": len})())


def test_model_and_learner_must_agree(data):
    with pytest.raises(ab.UsageError, match="model: external"):
        ab.run({**RUN, "model": "logreg"}, learner=NumpyLogreg(data))
    with pytest.raises(ab.UsageError, match="learner="):
        ab.run({**RUN, "model": "external"})


def test_a_wrong_delta_size_is_a_clear_error(data):
    class Short(NumpyLogreg):
        def train(self, params, job):
            delta, loss = super().train(params, job)
            return delta[:-1], loss

    with pytest.raises(ValueError, match="train's delta"):
        ab.run({**RUN, "model": "external", "max_rounds": 3}, learner=Short(data))
