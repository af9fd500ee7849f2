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
