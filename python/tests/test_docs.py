"""The examples of docs/extending.md and docs/python.md run as written."""

import re
from pathlib import Path

import abs_bench as ab

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_the_knob_table_of_extending_md_runs():
    text = (DOCS / "extending.md").read_text()
    block = re.search(r"```yaml\n(.*?)```", text, re.S).group(1)
    r = ab.run("model: analytic\nmax_rounds: 20\n" + block)
    assert r.manifest["policy"] == "custom" and r.rounds.height == 20
    assert r.manifest["config"]["server_optimizer"] == "adam"


def test_the_first_example_of_python_md_runs():
    text = (DOCS / "python.md").read_text()
    line = next(l for l in text.splitlines() if l.startswith("r = ab.run({"))
    scope = {"ab": ab}
    exec(line, scope)
    assert scope["r"].rounds.height == 200 and set(scope["r"].evals.columns) >= {"round", "test_accuracy"}
