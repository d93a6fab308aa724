"""`evaltui run / experiments / export` in-process on a seeded local workspace."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import threading
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli

FINAL = "Skills: Final Response"


@pytest.fixture
def home(evaltui_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EVALTUI_BACKEND", "local")
    return evaltui_home


def test_run_prints_summary_table_and_stores_the_experiment(home):
    r = run_cli("run", "--dataset", FINAL, "--target", "demo", "--evaluators", "evaluators:exact_match",
                "--max-concurrency", "3")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].split() == ["EVALUATOR", "MEAN", "N", "ERRORS"]
    row = next(line for line in lines if line.startswith("exact_match")).split()
    assert row[2:] == ["24", "0"] and 0.5 < float(row[1]) < 1.0
    assert "done, 24/24 examples, 0 target errors" in r.out
    # not a tty: plain progress lines on stderr, ending at 100 %
    assert "Running experiment evaltui-" in r.err and "24/24 (100%)" in r.err and "\r" not in r.err


def test_run_json_is_one_document_with_means(home):
    r = run_cli("run", "--dataset", FINAL, "--target", "demo", "--limit", "5", "--json", "--prefix", "ci",
                "--evaluators", "evaluators:exact_match,evaluators:exact_match_evaluator")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["status"] == "done" and doc["total"] == 5 and doc["finished"] == 5
    assert doc["experiment"]["name"].startswith("ci-")
    # Both evaluators write the key exact_match: two scores per example, kept and summed apart
    # (they used to be pooled under one key, n=10, and stored as one: #11).
    both = {"exact_match · exact_match", "exact_match · exact_match_evaluator"}
    assert set(doc["summary"]) == both
    assert all(doc["summary"][k]["n"] == 5 and doc["summary"][k]["errors"] == 0 for k in both)
    assert doc["rules"] == [] and doc["rules_run_by"] == "local"


def test_run_with_a_file_evaluator_and_evaluator_errors(home, tmp_path):
    path = tmp_path / "evals.py"
    path.write_text(
        "def always(inputs, outputs, reference_outputs):\n"
        "    return {'key': 'always', 'score': 1}\n\n"
        "def broken(run, example):\n"
        "    raise ValueError('nope')\n"
    )
    argv = ("run", "--dataset", FINAL, "--target", "demo", "--limit", "4", "--json",
            "--evaluators", f"{path}:always", "--evaluators", f"{path}:broken")
    r = run_cli(*argv)
    assert r.code == 3, r.err  # a run whose evaluators raised is no success
    assert "Exit code 3: 0 target and 4 evaluator errors" in r.err
    doc = json.loads(r.out)
    assert doc["summary"]["always"] == {"mean": 1.0, "n": 4, "errors": 0}
    assert doc["summary"]["broken"] == {"mean": None, "n": 0, "errors": 4}
    assert doc["evaluator_errors"] == 4
    assert run_cli(*argv, "--allow-errors").code == 0


def test_a_run_whose_target_fails_exits_3(home, tmp_path):
    path = tmp_path / "agent.py"
    path.write_text("def agent(inputs):\n    raise RuntimeError('down')\n")
    r = run_cli("run", "--dataset", FINAL, "--target", f"{path}:agent", "--limit", "2",
                "--evaluators", "evaluators:exact_match")
    assert r.code == 3 and "Exit code 3: 2 target and" in r.err, r.err


@pytest.mark.parametrize(
    "argv, code, text",
    [
        (["--dataset", "Nope", "--target", "demo"], 1, "Dataset 'Nope' not found"),
        (["--dataset", FINAL, "--target", "missing.py:agent"], 2, "does not exist"),
        (["--dataset", FINAL, "--target", "not a spec"], 2, "must look like"),
    ],
)
def test_run_that_cannot_start_exits_non_zero(home, argv, code, text):
    r = run_cli("run", *argv, "--evaluators", "evaluators:exact_match")
    assert r.code == code
    assert text in r.err
    r = run_cli("run", *argv, "--evaluators", "evaluators:exact_match", "--json")
    assert r.code == code
    doc = json.loads(r.out)
    assert doc["status"] == "failed" and text in doc["error"]
    assert json.loads(run_cli("experiments", "--json").out) == []


def test_run_without_evaluators_or_with_a_bad_evaluator(home):
    r = run_cli("run", "--dataset", FINAL, "--target", "demo")
    assert r.code == 2 and "No evaluators to run" in r.err
    r = run_cli("run", "--dataset", FINAL, "--target", "demo", "--evaluators", "evaluators:nope")
    assert r.code == 2 and "'nope'" in r.err
    r = run_cli("run", "--dataset", FINAL, "--target", "demo", "--evaluators", "x:y", "--max-concurrency", "0")
    assert r.code == 2  # argparse


def test_experiments_lists_runs_with_summary_scores(home):
    assert run_cli("experiments").out.startswith("No experiments yet.")
    run_cli("run", "--dataset", FINAL, "--target", "demo", "--evaluators", "evaluators:exact_match",
            "--prefix", "first")
    run_cli("run", "--dataset", "Skills: Trajectory", "--target", "demo", "--limit", "3",
            "--evaluators", "evaluators:trajectory_match", "--prefix", "second")
    r = run_cli("experiments")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[0].split()[:4] == ["NAME", "STATUS", "EXAMPLES", "SCORES"]
    first = next(line for line in lines if line.startswith("first-"))
    assert " done " in first and " 24 " in first and "exact_match=0." in first
    only = run_cli("experiments", "--dataset", "Skills: Trajectory", "--json")
    docs = json.loads(only.out)
    assert len(docs) == 1 and docs[0]["name"].startswith("second-") and docs[0]["examples"] == 3
    assert set(docs[0]["summary"]) == {"trajectory_match"}


def test_export_csv_and_json(home, tmp_path):
    r = run_cli("run", "--dataset", FINAL, "--target", "demo", "--limit", "4", "--json",
                "--evaluators", "evaluators:exact_match")
    name = json.loads(r.out)["experiment"]["name"]

    r = run_cli("export", name)
    assert r.code == 0, r.err
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert len(rows) == 4
    assert list(rows[0])[:6] == ["example_id", "inputs", "outputs", "reference_outputs", "error", "latency_ms"]
    assert {"exact_match", "exact_match.comment", "exact_match.error"} <= set(rows[0])
    assert "query" in json.loads(rows[0]["inputs"])

    out = tmp_path / "exp.json"
    r = run_cli("export", name, "--output", str(out))
    assert r.code == 0 and "Exported 4 results" in r.err
    doc = json.loads(out.read_text())
    assert doc["experiment"]["name"] == name and len(doc["results"]) == 4
    assert doc["results"][0]["scores"][0]["key"] == "exact_match"
    assert doc["summary"]["exact_match"] == pytest.approx(
        sum(float(r["scores"][0]["score"]) for r in doc["results"]) / 4
    )

    csv_out = tmp_path / "exp.data"
    assert run_cli("export", name, "--format", "csv", "-o", str(csv_out)).code == 0
    assert csv_out.read_text().startswith("example_id,")
    assert run_cli("export", "no-such-experiment").code == 1


SLOW_TARGET = '''
import time

def slow(inputs):
    time.sleep(0.05)
    return {"expected_response": "?"}
'''


@pytest.mark.skipif(threading.current_thread() is not threading.main_thread(), reason="needs the main thread")
def test_ctrl_c_cancels_and_keeps_finished_results(home, tmp_path):
    path = tmp_path / "slow.py"
    path.write_text(SLOW_TARGET)
    timer = threading.Timer(0.8, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        r = run_cli("run", "--dataset", FINAL, "--target", f"{path}:slow", "--max-concurrency", "1",
                    "--evaluators", "evaluators:exact_match")
    finally:
        timer.cancel()
    assert r.code == 130, r.err
    assert "Cancelled: kept" in r.err
    kept = int(r.err.split("Cancelled: kept ")[1].split()[0])
    assert 0 < kept < 24
    docs = json.loads(run_cli("experiments", "--json").out)
    assert docs[0]["status"] == "cancelled" and docs[0]["examples"] == kept
