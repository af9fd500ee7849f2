"""abs_bench.sweep, results and curves: a sweep file into a folder, resumed, and read back as
frames equal to what the CLI exports."""

import os
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

import abs_bench as ab

SWEEP = """\
base: {model: analytic, max_rounds: 40, eval_every: 10, target_accuracy: 0.8,
       analytic: {dim: 6, train_samples: 1500, test_samples: 300, separation: 1.5}}
policies: {abs: abs, kasync: {policy: k_async, k: 2}}
grid: {workers: [4, 6], seed: [0, 1]}
"""


@pytest.fixture()
def swept(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SWEEP)
    out = ab.sweep(path, tmp_path / "out", jobs=1)
    return path, out


def manifests(out: Path) -> dict[str, float]:
    return {p.parent.name: p.stat().st_mtime_ns for p in (out / "cells").glob("*/manifest.json")}


def test_a_sweep_runs_every_cell_and_a_rerun_resumes_without_recomputing(swept):
    path, out = swept
    done = manifests(out)
    assert len(done) == 8
    # an interrupted sweep: one cell lost, the rerun computes only that one
    lost = sorted(done)[0]
    shutil.rmtree(out / "cells" / lost)
    ab.sweep(path, out, jobs=1)
    again = manifests(out)
    assert set(again) == set(done)
    assert [c for c in done if again[c] != done[c]] == [lost]


def test_results_and_curves_hold_every_cell_with_its_label(swept):
    path, out = swept
    cells = ab.results(out, sweep=path)
    assert cells.height == 8 and set(cells["label"]) == {"abs", "kasync"}
    assert {"cell", "condition", "seed", "workers", "final_accuracy", "time_to_target", "held"} <= set(cells.columns)
    curves = ab.curves(out, sweep=path)
    # 40 rounds evaluated every 10: rounds 0, 10, 20, 30, 40 per cell
    assert curves.height == 8 * 5
    per_cell = curves.group_by("cell").agg(pl.col("round").sort()).sort("cell")
    assert all(r.to_list() == [0, 10, 20, 30, 40] for r in per_cell["round"])
    assert set(curves["label"]) == {"abs", "kasync"} and curves["test_accuracy"].is_between(0, 1).all()


def test_curves_equal_the_clis_export(swept, tmp_path):
    path, out = swept
    # the binary make builds (CARGO_TARGET_DIR as the Makefile sets it), else one on the PATH
    target = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/abs-bench/target"))
    cli = target / "release" / "abs-bench"
    if not cli.is_file():
        cli = shutil.which("abs-bench")
    assert cli, f"the abs-bench binary is neither in {target}/release (make build) nor on the PATH"
    exported = tmp_path / "curves.parquet"
    subprocess.run([str(cli), "results", str(out), "--sweep", str(path), "--curves", str(exported)], check=True, capture_output=True)
    assert pl.read_parquet(exported).equals(ab.curves(out, sweep=path))


def test_a_sweep_file_mistake_names_the_file_and_the_key(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(SWEEP.replace("grid: {workers: [4, 6]", "grid: {workerz: [4, 6]"))
    with pytest.raises(ab.ConfigError) as caught:
        ab.sweep(path, tmp_path / "out")
    assert str(path) in str(caught.value) and "workerz" in str(caught.value)
    assert not (tmp_path / "out" / "cells").exists() or not any((tmp_path / "out" / "cells").iterdir())


def test_reading_a_folder_that_is_not_one_is_a_usage_error(tmp_path):
    with pytest.raises(ab.UsageError, match="not a results folder"):
        ab.curves(tmp_path)


def test_a_sweep_with_a_python_learner_files_resumes_and_reads_back_under_its_name(tmp_path):
    from test_learner import DATA, NumpyLogreg

    path = tmp_path / "external.yaml"
    path.write_text(
        "base: {model: external, dataset: synthetic, synthetic: {shape: mnist, train_samples: 2000, test_samples: 1000,"
        " signal_percent: 40}, workers: 4, local_steps: 4, batch_size: 16, lr: 0.05, max_rounds: 20, eval_every: 10}\n"
        "policies: {abs: abs, async: async}\ngrid: {seed: [0, 1]}\n"
    )
    data = ab.dataset({"model": "external", **DATA})
    learner = NumpyLogreg(data)
    out = tmp_path / "out"
    ab.sweep(path, out, learner=learner)
    assert learner.jobs > 0 and len(manifests(out)) == 4
    cells = ab.results(out, sweep=path, learner=learner)
    assert cells.height == 4 and set(cells["label"]) == {"abs", "async"}
    assert set(cells["extensions.learner"]) == {"numpy-logreg 1"}
    # a rerun finds every cell finished: the learner trains nothing
    before = learner.jobs
    ab.sweep(path, out, learner=learner)
    assert learner.jobs == before
    # another version is another set of cells
    other = NumpyLogreg(data)
    other.version = "2"
    ab.sweep(path, out, learner=other)
    assert len(manifests(out)) == 8 and other.jobs > 0
    # a cell equals the same config run alone with the same learner
    one = ab.run({**DATA, "model": "external", "workers": 4, "local_steps": 4, "batch_size": 16, "lr": 0.05,
                  "max_rounds": 20, "eval_every": 10, "policy": "abs", "seed": 1}, learner=NumpyLogreg(data))
    curves = ab.curves(out, sweep=path, learner=learner)
    mine = curves.filter(pl.col("cell") == one.cell_id)
    assert mine["test_accuracy"].to_list() == one.evals["test_accuracy"].to_list()


def test_an_exception_in_a_sweeps_learner_stops_the_sweep_and_a_rerun_resumes(tmp_path):
    from test_learner import DATA, NumpyLogreg

    path = tmp_path / "external.yaml"
    path.write_text(
        "base: {model: external, dataset: synthetic, synthetic: {shape: mnist, train_samples: 2000, test_samples: 1000,"
        " signal_percent: 40}, workers: 4, max_rounds: 10}\npolicies: {abs: abs}\ngrid: {seed: [0, 1, 2]}\n"
    )
    data = ab.dataset({"model": "external", **DATA})

    class FailsOnce(NumpyLogreg):
        armed = True

        def train(self, params, job):
            if self.armed and self.jobs == 30:
                raise RuntimeError("interrupted")
            return super().train(params, job)

    learner = FailsOnce(data)
    with pytest.raises(RuntimeError, match="interrupted"):
        ab.sweep(path, tmp_path / "out", learner=learner)
    finished = len(manifests(tmp_path / "out"))
    assert finished < 3
    learner.armed = False
    ab.sweep(path, tmp_path / "out", learner=learner)
    assert len(manifests(tmp_path / "out")) == 3
