"""The seed's deterministic evaluators, in both signatures, including messy inputs."""

from __future__ import annotations

import pytest

from evaluators import (
    exact_match,
    exact_match_evaluator,
    normalize,
    single_step_evaluator,
    single_step_match,
    trajectory_evaluator,
    trajectory_match,
    trajectory_metrics,
)


def pair(run_outputs, example_outputs):
    return {"inputs": {}, "outputs": run_outputs}, {"inputs": {}, "outputs": example_outputs}


# --------------------------------------------------------------------------- exact match


@pytest.mark.parametrize(
    ("output", "expected", "score"),
    [
        ("  Paris ", "paris", 1),
        ("PARIS", "Paris", 1),
        ("Paris, France", "Paris", 0),
        ("", "Paris", 0),
    ],
)
def test_exact_match_both_signatures(output, expected, score):
    run, example = pair({"expected_response": output}, {"expected_response": expected})
    assert exact_match_evaluator(run, example) == {"exact_match": score, "comment": f"Match: {bool(score)}"}
    assert exact_match({}, run["outputs"], example["outputs"]) == {
        "key": "exact_match", "score": score, "comment": f"Match: {bool(score)}"}


@pytest.mark.parametrize("outputs", [None, {}, {"expected_response": None}, {"expected_response": 42}, "text"])
def test_exact_match_never_crashes_on_messy_outputs(outputs):
    assert exact_match_evaluator({"outputs": outputs}, {"outputs": {"expected_response": "x"}})["exact_match"] == 0
    assert exact_match(None, outputs, None)["key"] == "exact_match"
    assert exact_match_evaluator({}, {})["exact_match"] == 1  # seed semantics: "" == ""


def test_exact_match_reads_common_fallback_fields():
    assert exact_match({}, {"output": "Yes"}, {"expected_response": "yes"})["score"] == 1


# --------------------------------------------------------------------------- trajectory


@pytest.mark.parametrize(
    ("actual", "expected", "score", "comment"),
    [
        (["search", "answer"], ["search", "answer"], 1, "Exact: True, All tools: True, Extra: 0"),
        (["answer", "search"], ["search", "answer"], 0, "Exact: False, All tools: True, Extra: 0"),
        (["search", "search", "answer"], ["search", "answer"], 0, "Exact: False, All tools: True, Extra: 1"),
        (["search"], ["search", "answer"], 0, "Exact: False, All tools: False, Extra: -1, Missing: answer"),
    ],
)
def test_trajectory_reports_all_three(actual, expected, score, comment):
    run, example = pair({"expected_trajectory": actual}, {"expected_trajectory": expected})
    assert trajectory_evaluator(run, example) == {"trajectory_match": score, "comment": comment}
    assert trajectory_match({}, run["outputs"], example["outputs"]) == {
        "key": "trajectory_match", "score": score, "comment": comment}


def test_trajectory_metrics_returns_three_scores():
    out = trajectory_metrics({}, {"expected_trajectory": ["a", "c", "b", "x"]}, {"expected_trajectory": ["a", "b"]})
    scores = {r["key"]: r["score"] for r in out["results"]}
    assert scores == {"trajectory_match": 0, "trajectory_all_tools": 1, "trajectory_extra_steps": 2}
    normalized = normalize(trajectory_metrics).score_sync(
        {"outputs": {"expected_trajectory": ["a"]}}, {"outputs": {"expected_trajectory": ["a", "b"]}})
    assert [(r["key"], r["score"]) for r in normalized] == [
        ("trajectory_match", 0), ("trajectory_all_tools", 0), ("trajectory_extra_steps", -1)]


def test_trajectory_accepts_tool_call_dicts_and_missing_values():
    calls = [{"name": "search", "args": {}}, {"function": {"name": "answer"}}]
    run, example = pair({"expected_trajectory": calls}, {"expected_trajectory": ["search", "answer"]})
    assert trajectory_evaluator(run, example)["trajectory_match"] == 1
    assert trajectory_evaluator({"outputs": None}, {"outputs": {"expected_trajectory": ["a"]}})["trajectory_match"] == 0
    assert trajectory_evaluator({"outputs": {"expected_trajectory": None}}, {})["trajectory_match"] == 1
    assert trajectory_match(None, {"expected_trajectory": "search"}, {"expected_trajectory": ["search"]})["score"] == 1


# --------------------------------------------------------------------------- single step


def test_single_step_classification_is_case_insensitive():
    run, example = pair({"node_name": "classification_node", "output": {"classification": "Billing"}},
                        {"expected_output": {"classification": "billing"}})
    assert single_step_evaluator(run, example) == {
        "classification_correct": 1, "comment": "Output: Billing, Expected: billing"}
    assert single_step_match({}, run["outputs"], example["outputs"])["key"] == "classification_correct"


def test_single_step_classification_mismatch():
    run, example = pair({"node_name": "classification", "output": {"classification": "refund"}},
                        {"expected_output": {"classification": "billing"}})
    assert single_step_evaluator(run, example)["classification_correct"] == 0


def test_single_step_other_nodes_compare_whole_output():
    run, example = pair({"node_name": "retrieve", "output": {"docs": ["a", "b"]}},
                        {"expected_output": {"docs": ["a", "b"]}})
    assert single_step_evaluator(run, example) == {"output_match": 1, "comment": "Match: True"}
    run["outputs"]["output"] = {"docs": ["a"]}
    assert single_step_match({}, run["outputs"], example["outputs"]) == {
        "key": "output_match", "score": 0, "comment": "Match: False"}


@pytest.mark.parametrize("outputs", [None, {}, {"node_name": None}, {"node_name": "classification", "output": None},
                                     {"node_name": "classification", "output": "text"}])
def test_single_step_never_crashes(outputs):
    result = single_step_evaluator({"outputs": outputs}, {"outputs": None})
    assert set(result) in ({"output_match", "comment"}, {"classification_correct", "comment"})


# --------------------------------------------------------------------------- both shapes agree through normalize


@pytest.mark.parametrize(
    ("method1", "method2", "run_out", "ex_out"),
    [
        (exact_match, exact_match_evaluator, {"expected_response": "A"}, {"expected_response": "a"}),
        (trajectory_match, trajectory_evaluator, {"expected_trajectory": ["x"]}, {"expected_trajectory": ["y"]}),
        (single_step_match, single_step_evaluator, {"node_name": "classification", "output": {"classification": "A"}},
         {"expected_output": {"classification": "b"}}),
    ],
)
def test_method1_and_method2_agree(method1, method2, run_out, ex_out):
    run, example = pair(run_out, ex_out)
    assert normalize(method1).score_sync(run, example) == normalize(method2).score_sync(run, example)
