"""abs_bench.run: one config from a dict, YAML text or a file, its frames, and its mistakes."""

import json

import polars as pl
import pytest

import abs_bench as ab

ANALYTIC = {"model": "analytic", "policy": "abs", "workers": 4, "max_rounds": 40, "seed": 3}


def test_a_dict_runs_to_its_stopping_rule_with_its_frames():
    r = ab.run(ANALYTIC)
    assert isinstance(r.rounds, pl.DataFrame) and r.rounds.height == 40
    assert r.rounds["round"].to_list() == list(range(40))
    # evaluated at round 0 and every eval_every (10) rounds after
    assert r.evals["round"].to_list() == [0, 10, 20, 30, 40]
    assert r.evals["test_accuracy"].is_between(0, 1).all()
    # the job log holds every job started, at least one per delivered update
    assert r.jobs.height >= r.rounds["round"].len()
    assert r.manifest["rounds"] == 40 and r.manifest["stop_reason"] == "max_rounds"
    assert len(r.cell_id) == 16


def test_the_same_config_and_seed_give_bit_identical_frames_from_any_form(tmp_path):
    text = "".join(f"{k}: {json.dumps(v)}\n" for k, v in ANALYTIC.items())
    path = tmp_path / "abs.yaml"
    path.write_text(text)
    runs = [ab.run(ANALYTIC), ab.run(text), ab.run(path), ab.run(str(path))]
    for r in runs[1:]:
        assert r.rounds.equals(runs[0].rounds) and r.evals.equals(runs[0].evals) and r.jobs.equals(runs[0].jobs)
        assert r.cell_id == runs[0].cell_id
    assert not ab.run({**ANALYTIC, "seed": 4}).evals.equals(runs[0].evals)


def test_overrides_are_laid_over_the_config_as_set_is():
    r = ab.run(ANALYTIC, overrides={"max_rounds": 20, "compute_time": {"model": "constant", "value": 1}})
    assert r.rounds.height == 20
    assert r.manifest["config"]["compute_time"] == {"model": "constant", "value": 1.0}


def test_out_writes_the_folder_the_cli_writes(tmp_path):
    r = ab.run(ANALYTIC, out=tmp_path / "run")
    for name in ["rounds.parquet", "evals.parquet", "jobs.parquet", "manifest.json"]:
        assert (tmp_path / "run" / name).is_file()
    assert pl.read_parquet(tmp_path / "run" / "evals.parquet").equals(r.evals)
    assert json.loads((tmp_path / "run" / "manifest.json").read_text())["config_hash"] == r.cell_id


def test_a_key_set_but_ignored_is_a_warning():
    r = ab.run({**ANALYTIC, "zeta": 3.0, "policy": "k_async", "k": 2})
    assert any("zeta" in w for w in r.warnings)


@pytest.mark.parametrize(
    ("config", "key", "expected"),
    [
        ({**ANALYTIC, "workers": 0}, "workers", "expected an integer"),
        ({**ANALYTIC, "workerz": 3}, "workerz", "unknown field"),
        ({**ANALYTIC, "compute_time": {"model": "gama"}}, "compute_time", "gamma_cvb"),
    ],
)
def test_a_config_mistake_names_its_origin_key_and_what_was_expected(config, key, expected):
    with pytest.raises(ab.ConfigError) as caught:
        ab.run(config)
    assert caught.value.key == key
    assert caught.value.origin == "the config dict"
    assert expected in str(caught.value) and key in str(caught.value)


def test_a_mistake_in_a_file_names_the_file_and_the_line(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("model: analytic\npolicy: abs\nmax_rounds: -5\n")
    with pytest.raises(ab.ConfigError) as caught:
        ab.run(path)
    e = caught.value
    assert (e.origin, e.key, e.line) == (str(path), "max_rounds", 3)
    assert isinstance(e, ab.AbsBenchError)


def test_a_config_that_is_neither_a_mapping_text_nor_a_path_is_a_type_error():
    with pytest.raises(TypeError):
        ab.run(42)


def test_frames_cross_as_arrow_streams_any_consumer_reads():
    native = ab._native.run(text="model: analytic\nmax_rounds: 5\n", sets=[])
    frame = native["evals"]
    assert len(frame) == 2 and "2 rows" in repr(frame)  # round 0 and the last round
    # the PyCapsule interface, read twice (each call exports a new stream)
    assert pl.DataFrame(frame).equals(pl.DataFrame(frame))
