"""The cost per job of calling a Python learner: a no-op learner (returns a zero delta) against
the built-in `logreg`'s whole run, on the same config, so that the difference is the border's
cost. Prints medians of --repeats runs; run with `make bench-python`."""

import argparse
import statistics
import time

import numpy as np

import abs_bench as ab


class NoOp:
    """Trains nothing: a zero delta, a constant loss; evaluates to chance."""

    name = "noop"
    version = "1"

    def __init__(self, dim):
        self.size = dim

    def dim(self):
        return self.size

    def init(self, seed):
        return np.zeros(self.size, dtype=np.float32)

    def train(self, params, job):
        return np.zeros(self.size, dtype=np.float32), 1.0

    def evaluate(self, params, split, samples):
        return 1.0, 0.1


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--dims", default="7850,61706", help="parameter counts (logreg and lenet on 28x28)")
    a = p.parse_args()
    config = {
        "model": "external",
        "dataset": "synthetic",
        "synthetic": {"shape": "mnist", "train_samples": 2000, "test_samples": 200},
        "policy": "abs",
        "workers": 8,
        "max_rounds": 300,
        "eval_every": 1000,
    }
    for dim in (int(d) for d in a.dims.split(",")):
        times, jobs = [], 0
        for _ in range(a.repeats):
            started = time.perf_counter()
            r = ab.run(config, learner=NoOp(dim))
            times.append(time.perf_counter() - started)
            jobs = r.rounds["arrivals"].sum()
        median = statistics.median(times)
        print(f"no-op Python learner, {dim} parameters: {jobs} jobs, median {median:.3f} s of {a.repeats} runs, {1e6 * median / jobs:.1f} us per job (border, copies and engine)")


if __name__ == "__main__":
    main()
