"""`evaltui compare A B` and the CI gates / reports of `compare` and `run`, on the local workspace."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tui.backend.core.models import ExperimentResult, Score
from tui.backend.runs.paired_stats import compare_paired
from tui.backend.workspace.local import LocalBackend

FINAL = "Skills: Final Response"


@pytest.fixture
def home(evaltui_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("EVALTUI_BACKEND", "local")
    return evaltui_home


@pytest.fixture
def backend(home: Path):
    b = LocalBackend(home / "workspace.sqlite3")
    yield b
    b.close()


def make_experiment(backend, name: str, scores: dict[int, dict[str, object]], *, errors=()) -> list[str]:
    """An experiment on FINAL: `scores[i]` the scores of example i (key -> value); `errors`: (i, key)
    pairs whose evaluator raised. Returns the dataset's example ids, in order."""
    dataset = backend.get_dataset(FINAL)
    examples = list(backend.list_examples(dataset.id))
    experiment = backend.create_experiment(name, dataset.id, {"target": "demo"})
    rows = []
    for i, values in scores.items():
        ex = examples[i]
        rows.append(ExperimentResult(
            experiment.id, ex.id, ex.inputs, {"answer": f"{name} answer {i}"}, ex.outputs,
            scores=tuple(Score(key, None, error="boom") if (i, key) in errors
                         else Score(key, value, comment=f"{name} says {i}") for key, value in values.items()),
        ))
    backend.record_results(rows)
    backend.finish_experiment(experiment.id, "done")
    return [ex.id for ex in examples]


@pytest.fixture
def pair(backend):
    """Baseline and candidate on 20 examples: exact_match goes 1 -> 0 on 0..7 (8 worse), 0 -> 1 on 8
    (1 better), stays 1 on 9..19; `quality` rises by 0.1 everywhere; example 19 only in the baseline."""
    base = {i: {"exact_match": 1 if i != 8 else 0, "quality": 0.5} for i in range(20)}
    cand = {i: {"exact_match": 0 if i < 8 else 1, "quality": 0.6} for i in range(19)}
    ids = make_experiment(backend, "baseline", base)
    make_experiment(backend, "candidate", cand)
    return ids


def test_compare_prints_paired_lines_and_regressions(pair):
    r = run_cli("compare", "baseline", "candidate")
    assert r.code == 0, r.err
    lines = r.out.splitlines()
    assert lines[:2] == ["A (baseline):  baseline", "B (candidate): candidate"]
    em = next(line for line in lines if line.startswith("exact_match "))
    # 8 regressed, 1 improved of 19 paired: mean diff -7/19; exact McNemar p = 2 * P(X <= 1 | n=9).
    assert em.startswith("exact_match -0.37 [")
    assert em.endswith(", 1 better, 8 worse, p=0.04, 1 only in A")
    quality = next(line for line in lines if line.startswith("quality "))
    assert quality.startswith("quality +0.10 [+0.10, +0.10], 19 better, 0 worse, p<0.001")
    assert "Regressed on exact_match (8):" in r.out
    table = r.out.split("Regressed on exact_match (8):\n", 1)[1].splitlines()
    assert table[0].split() == ["EXAMPLE", "INPUTS", "A", "OUTPUT", "B", "OUTPUT", "A", "B", "A", "COMMENT", "B", "COMMENT"]
    assert sum("baseline answer" in row and "candidate answer" in row and "1.00  0.00" in row
               for row in table[2:10]) == 8
    assert f"exact_match: 1 example scored only in A: {pair[19]}" in r.out


def test_compare_json_matches_the_statistics_module(pair, backend):
    r = run_cli("compare", "baseline", "candidate", "--json", "--key", "exact_match")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    (key,) = doc["keys"]
    a = {"exact_match": {pair[i]: (1.0 if i != 8 else 0.0) for i in range(20)}}
    b = {"exact_match": {pair[i]: (0.0 if i < 8 else 1.0) for i in range(19)}}
    (expected,) = compare_paired(a, b)
    assert key["diff"] == pytest.approx(expected.diff) and key["n"] == 19
    assert (key["ci_low"], key["ci_high"], key["p_value"]) == (expected.ci_low, expected.ci_high, expected.p_value)
    assert key["p_value"] == pytest.approx(2 * 10 / 512)
    assert sorted(key["regressed"]) == sorted(pair[:8]) and key["improved"] == [pair[8]]
    assert key["missing_in_b"] == [pair[19]] and key["missing_in_a"] == [] and key["unchanged"] == 10
    assert key["test"] == "mcnemar"
    reg = doc["regressions"][0]
    assert reg["a"]["score"] == 1 and reg["b"]["score"] == 0
    assert reg["b"]["comment"].startswith("candidate says") and reg["a"]["outputs"]["answer"].startswith("baseline")
    assert doc["gates"] == [] and doc["exit_code"] == 0
    # Seeded: the same figures on every call.
    again = json.loads(run_cli("compare", "baseline", "candidate", "--json", "--key", "exact_match").out)
    assert again["keys"] == doc["keys"]


def test_compare_gates_exit_4(pair):
    r = run_cli("compare", "baseline", "candidate", "--fail-on-regression", "exact_match")
    assert r.code == 4, r.text
    assert "FAIL --fail-on-regression exact_match=0: exact_match: regressed, -0.368" in r.out
    assert "Exit code 4: 1 of 1 gates failed." in r.err
    # A drop allowed beyond the CI's upper bound passes; quality improved; the mean is above 0.55.
    r = run_cli("compare", "baseline", "candidate", "--fail-on-regression", "exact_match=0.9",
                "--fail-on-regression", "quality", "--fail-under", "quality=0.55")
    assert r.code == 0, r.text
    assert r.out.count("PASS ") == 3
    r = run_cli("compare", "baseline", "candidate", "--fail-under", "exact_match=0.8")
    assert r.code == 4 and "exact_match: mean 0.579 is below 0.8." in r.out
    # A gate on a key that is not there fails (a typo must not pass CI).
    r = run_cli("compare", "baseline", "candidate", "--fail-on-regression", "exact_mach")
    assert r.code == 4 and "exact_mach: no such score key" in r.out


@pytest.mark.parametrize("argv, message", [
    (["--key", "nope"], "No score key 'nope' in these experiments; their keys: exact_match, quality."),
    (["--key", "exact_mach"], "did you mean 'exact_match'"),
    (["--fail-under", "quality"], "--fail-under takes KEY=THRESHOLD"),
    (["--fail-under", "quality=high"], "--fail-under needs a number"),
    (["--fail-on-regression", "quality=-1"], "the drop allowed, at least 0"),
])
def test_compare_bad_input_is_one_sentence(pair, argv, message):
    r = run_cli("compare", "baseline", "candidate", *argv)
    assert r.code == 2, r.text
    assert message in r.err and "Traceback" not in r.text


def test_compare_unknown_experiment(pair):
    r = run_cli("compare", "baseline", "candidat")
    assert r.code == 1 and "Experiment 'candidat' not found." in r.err and "candidate" in r.err


def test_compare_reports_junit_and_markdown(pair, backend, tmp_path):
    make_experiment(backend, "broken", {0: {"exact_match": 1}, 1: {"exact_match": 0}, 2: {"exact_match": 1}},
                    errors={(2, "exact_match")})
    junit, markdown = tmp_path / "out" / "r.xml", tmp_path / "r.md"
    r = run_cli("compare", "baseline", "candidate", "--junit", str(junit), "--markdown", str(markdown),
                "--fail-on-regression", "exact_match")
    assert r.code == 4
    assert f"Wrote {junit}." in r.err and f"Wrote {markdown}." in r.err
    suite = ET.parse(junit).getroot().find("testsuite")
    cases = suite.findall("testcase")
    assert len(cases) == 19 * 2 and suite.get("tests") == "38"  # candidate's examples x keys
    failed = [c for c in cases if c.find("failure") is not None]
    assert suite.get("failures") == str(len(failed)) == "8"  # the regressions (quality rose everywhere)
    first = next(c for c in failed if c.get("name") == pair[0])
    assert first.get("classname") == "exact_match"
    message = first.find("failure").get("message")
    assert message == "regressed: 1.00 in baseline → 0.00: candidate says 0"
    text = markdown.read_text()
    assert "| exact_match | 0.947 | 0.579 | -0.368 | [" in text
    assert "<details><summary>exact_match: 8 regressed</summary>" in text
    assert f"| `{pair[0]}` |" in text and "candidate says 0 |" in text
    assert "- ❌ `--fail-on-regression exact_match=0`" in text
    # Errors and zero scores in a plain run report: errors are <error>, a 0 is a failure with its comment.
    r = run_cli("compare", "baseline", "broken", "--junit", str(junit))
    assert r.code == 0, r.text
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase") if c.get("classname") == "exact_match"}
    assert cases[pair[2]].find("error").get("message") == "boom"
    assert cases[pair[1]].find("failure").get("message") == "regressed: 1.00 in baseline → 0.00: broken says 1"
    assert cases[pair[0]].find("failure") is None


def test_report_path_unwritable_is_one_sentence(pair, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = run_cli("compare", "baseline", "candidate", "--markdown", str(blocker / "r.md"))
    assert r.code == 2 and "Cannot write the report" in r.err and "Traceback" not in r.text


# -- run --------------------------------------------------------------------------------------


def test_run_fail_under(home, tmp_path):
    args = ("run", "--dataset", FINAL, "--target", "demo", "--evaluators", "evaluators:exact_match")
    r = run_cli(*args, "--fail-under", "exact_match=0.9", "--markdown", str(tmp_path / "m.md"),
                "--junit", str(tmp_path / "j.xml"))
    assert r.code == 4, r.text
    assert "FAIL --fail-under exact_match=0.9: exact_match: mean 0.750 is below 0.9." in r.err
    suite = ET.parse(tmp_path / "j.xml").getroot().find("testsuite")
    assert suite.get("tests") == "24" and suite.get("failures") == "6"  # the demo gets 6 of 24 wrong
    assert "| exact_match | 0.750 | 24 | 0 |" in (tmp_path / "m.md").read_text()
    r = run_cli(*args, "--fail-under", "exact_match=0.7", "--json")
    assert r.code == 0, r.text
    assert json.loads(r.out)["status"] == "done"  # stdout stays one JSON document
    assert "PASS --fail-under exact_match=0.7" in r.err


def test_run_fail_on_regression_against_a_baseline(backend, tmp_path):
    make_experiment(backend, "perfect", {i: {"exact_match": 1} for i in range(24)})
    args = ("run", "--dataset", FINAL, "--target", "demo", "--evaluators", "evaluators:exact_match")
    r = run_cli(*args, "--baseline", "perfect", "--fail-on-regression", "exact_match=0.05")
    assert r.code == 4, r.text
    assert "Compared with perfect (baseline):" in r.out
    assert "exact_match -0.25 [" in r.out and ", 0 better, 6 worse, p=0.03" in r.out
    assert "FAIL --fail-on-regression exact_match=0.05" in r.err
    r = run_cli(*args, "--baseline", "perfect", "--fail-on-regression", "exact_match=0.6")
    assert r.code == 0, r.text


def test_run_gate_options_checked_before_running(home):
    args = ("run", "--dataset", FINAL, "--target", "demo", "--evaluators", "evaluators:exact_match")
    r = run_cli(*args, "--fail-on-regression", "exact_match")
    assert r.code == 2 and "add --baseline EXPERIMENT" in r.err
    r = run_cli(*args, "--baseline", "nope", "--fail-on-regression", "exact_match")
    assert r.code == 1 and "Experiment 'nope' not found." in r.err
    assert "Running experiment" not in r.err
    assert run_cli("experiments").out.startswith("No experiments yet.")


def test_columns_pair_by_their_labels_per_side():
    from tui.backend.runs.compare import paired_comparison

    def row(ex, *scores):
        return ExperimentResult("x", ex, {"q": ex}, {}, {}, scores=scores)

    # A's exact_match came from one evaluator, B's from another: the same column (the change judged).
    a = [row("1", Score("exact_match", 1, evaluator="old")), row("2", Score("exact_match", 1, evaluator="old"))]
    b = [row("1", Score("exact_match", 0, evaluator="new")), row("2", Score("exact_match", 1, evaluator="new"))]
    (k,) = paired_comparison(a, b).keys
    assert (k.key, k.n, k.regressed) == ("exact_match", 2, ("1",))
    # Two evaluators writing one key are two columns, each paired with the same column of the other side.
    a2 = [row("1", Score("t", 1, evaluator="e1"), Score("t", 0, evaluator="e2"))]
    b2 = [row("1", Score("t", 1, evaluator="e1"), Score("t", 1, evaluator="e2"))]
    paired = paired_comparison(a2, b2)
    assert [(k.key, k.n, k.improved) for k in paired.keys] == [("t · e1", 1, ()), ("t · e2", 1, ("1",))]
    assert paired.score("b", "1", "t · e2").score == 1
