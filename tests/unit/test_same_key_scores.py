"""Two evaluators writing one key are two scores (#11): kept apart live, in storage (local and
LangSmith), in summaries, in the export and in a comparison; a re-score replaces only its own.

Before, the local workspace upserted scores by key: a rule returning `{"trajectory_match": 0}` and a
ticked function with the same key printed N=8 live and stored N=4 with only one of them.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from pathlib import Path

import pytest

from tui.backend.core import events as ev
from tui.backend.core.models import ExperimentResult, RuleSpec, Score
from tui.backend.core.score_columns import columns_of
from tui.backend.runs.compare import compare_results
from tui.backend.runs.export import results_to_csv, results_to_json
from tui.backend.runs.runner import Runner, RunOptions
from tui.backend.runs.summary import summarize
from tui.backend.workspace.local import LocalBackend

FINAL = "Skills: Final Response"

ZERO_RULE = '''
def perform_eval(run, example):
    return {"trajectory_match": 0, "comment": "the rule says no"}
'''

FUNCTIONS = '''
def trajectory_evaluator(run, example):
    return {"trajectory_match": 1, "comment": "the function says yes"}


def other_way(inputs, outputs, reference_outputs):
    return {"key": "trajectory_match", "score": 0.5}
'''

RULE_LABEL = "trajectory_match · rule:Zero"
FUNCTION_LABEL = "trajectory_match · trajectory_evaluator"


@pytest.fixture
def backend(evaltui_home: Path):
    b = LocalBackend(evaltui_home / "workspace.sqlite3")
    yield b
    b.close()


@pytest.fixture
def functions(tmp_path: Path) -> Path:
    path = tmp_path / "same_key.py"
    path.write_text(FUNCTIONS)
    return path


def _run(coro):
    events: list = []
    experiment = asyncio.run(coro(events.append))
    return experiment, events


def test_a_rule_and_a_function_with_one_key_are_both_stored_and_shown_apart(backend, functions):
    ds = backend.get_dataset(FINAL)
    backend.create_rule(RuleSpec(name="Zero", code=ZERO_RULE, dataset_id=ds.id))
    runner = Runner(backend)
    experiment, events = _run(lambda sink: runner.run(
        RunOptions(dataset=FINAL, target="demo", evaluators=[f"{functions}:trajectory_evaluator"]), sink))

    live = [e.result for e in events if isinstance(e, ev.ExampleFinished)]
    assert len(live) == 24 and all(len(r.scores) == 2 for r in live)
    stored = backend.list_results(experiment.id)
    assert len(stored) == 24
    for row in stored:
        by_evaluator = {s.evaluator: s for s in row.scores}
        assert set(by_evaluator) == {"rule:Zero", "trajectory_evaluator"}
        assert by_evaluator["rule:Zero"].score == 0 and by_evaluator["rule:Zero"].comment == "the rule says no"
        assert by_evaluator["trajectory_evaluator"].score == 1

    summary, counts = summarize(stored)
    assert summary == {RULE_LABEL: 0.0, FUNCTION_LABEL: 1.0}
    assert counts["keys"] == {RULE_LABEL: {"n": 24, "errors": 0}, FUNCTION_LABEL: {"n": 24, "errors": 0}}
    assert events[-1].summary == summary  # what the run said live is what was kept

    header = next(csv.reader(io.StringIO(results_to_csv(stored))))
    assert header[6:] == [RULE_LABEL, f"{RULE_LABEL}.comment", f"{RULE_LABEL}.error",
                          FUNCTION_LABEL, f"{FUNCTION_LABEL}.comment", f"{FUNCTION_LABEL}.error"] or \
        header[6:] == [FUNCTION_LABEL, f"{FUNCTION_LABEL}.comment", f"{FUNCTION_LABEL}.error",
                       RULE_LABEL, f"{RULE_LABEL}.comment", f"{RULE_LABEL}.error"]
    doc = json.loads(results_to_json(experiment, stored))
    assert {(s["key"], s["evaluator"]) for s in doc["results"][0]["scores"]} == {
        ("trajectory_match", "rule:Zero"), ("trajectory_match", "trajectory_evaluator")}


def test_rescore_replaces_only_the_score_of_the_evaluator_that_gave_it(backend, functions):
    runner = Runner(backend)
    first = [f"{functions}:trajectory_evaluator", f"{functions}:other_way"]
    experiment, _ = _run(lambda sink: runner.run(
        RunOptions(dataset=FINAL, target="demo", limit=4, evaluators=first), sink))
    assert all(len(r.scores) == 2 for r in backend.list_results(experiment.id))

    functions.write_text(FUNCTIONS.replace('"score": 0.5', '"score": 0.25'))
    _run(lambda sink: runner.rescore(experiment.id, [f"{functions}:other_way"], sink))
    rows = backend.list_results(experiment.id)
    assert all({s.evaluator: s.score for s in r.scores} == {"trajectory_evaluator": 1, "other_way": 0.25}
               for r in rows)


def test_same_key_scores_travel_to_langsmith_and_are_read_back_apart(langsmith_env, functions):
    from tui.backend.workspace.langsmith import LangSmithBackend

    fake = langsmith_env
    fake.ingest_delay = 0.2
    fake.seed_dataset("qa", [({"q": f"q{i}"}, {"a": f"a{i}"}) for i in range(3)])

    async def target(inputs: dict) -> dict:
        return {"a": inputs["q"].replace("q", "a")}

    backend = LangSmithBackend(fake.api_key, fake.url, backoff=0.01)
    try:
        runner = Runner(backend)
        experiment, events = _run(lambda sink: runner.run(RunOptions(
            dataset="qa", target=target,
            evaluators=[f"{functions}:trajectory_evaluator", f"{functions}:other_way"]), sink))
        final = events[-1]
        assert final.counts["upload_status"] == "verified", final.counts
        feedback = [f for f in fake.feedback.values() if f.get("key") == "trajectory_match"]
        assert sorted((f.get("feedback_source") or {}).get("metadata", {}).get("evaltui_evaluator")
                      for f in feedback) == ["other_way"] * 3 + ["trajectory_evaluator"] * 3
        rows = backend.list_results(experiment.id)
        assert len(rows) == 3
        assert all({s.evaluator: s.score for s in r.scores} == {"trajectory_evaluator": 1, "other_way": 0.5}
                   for r in rows)
        assert summarize(rows)[0] == {"trajectory_match · other_way": 0.5, FUNCTION_LABEL: 1.0}
    finally:
        backend.close()


def test_a_missing_score_of_one_of_two_same_key_evaluators_is_found(langsmith_env):
    """The upload check counts scores by key *and* evaluator: one of two same-key feedbacks lost
    is missing, not hidden by the other."""
    from tui.backend.workspace.langsmith import LangSmithBackend

    fake = langsmith_env
    backend = LangSmithBackend(fake.api_key, fake.url, backoff=0.01)
    try:
        ds = backend.get_dataset(fake.seed_dataset("qa", [({"q": "q"}, {"a": "a"})])["id"])
        exp = backend.create_experiment("same-key", ds.id)
        example_id = fake.examples_of(ds.id)[0]["id"]
        backend.record_results([ExperimentResult(exp.id, example_id, {"q": "q"}, {"a": "a"}, {"a": "a"},
                                                 scores=(Score("k", 1, evaluator="one"),))])
        expected = {example_id: {Score("k", 1, evaluator="one").ident, Score("k", 0, evaluator="two").ident}}
        assert backend.missing_uploads(exp.id, expected) == {"runs": [], "scores": [f"{example_id}:k · two"]}
        del expected[example_id]
        expected[example_id] = {"k · one"}
        assert backend.missing_uploads(exp.id, expected) == {"runs": [], "scores": []}
    finally:
        backend.close()


def test_labels_name_the_evaluator_only_when_a_key_is_shared():
    def row(*scores: Score) -> ExperimentResult:
        return ExperimentResult("e", "x", {}, {}, {}, scores=scores)

    rows = [row(Score("accuracy", 1, evaluator="judge"), Score("k", 1, evaluator="a"), Score("k", 0))]
    assert columns_of(rows).labels() == {"accuracy · judge": "accuracy", "k · a": "k · a", "k": "k"}
    assert columns_of([row(Score("k", 1, evaluator="a"))]).labels() == {"k · a": "k"}

    a = [row(Score("k", 1, evaluator="one"), Score("k", 0, evaluator="two"))]
    b = [row(Score("k", 1, evaluator="one"), Score("k", 1, evaluator="two"))]
    comparison = compare_results(a, b)
    assert [(m.key, m.mean_a, m.mean_b) for m in comparison.metrics] == [("k · one", 1.0, 1.0),
                                                                         ("k · two", 0.0, 1.0)]
    assert [(c.key, c.a, c.b) for c in comparison.changed] == [("k · two", "0.00", "1.00")]


def test_a_workspace_of_schema_3_keeps_its_scores_when_opened(backend, evaltui_home: Path):
    """The v4 migration rebuilds the scores table under the new key; the old rows stay, with no
    evaluator recorded."""
    exp = backend.create_experiment("old", backend.get_dataset(FINAL).id)
    example = next(iter(backend.list_examples(exp.dataset_id)))
    backend.record_results([ExperimentResult(exp.id, example.id, {}, {}, {}, scores=(Score("k", True),))])
    backend.close()
    path = evaltui_home / "workspace.sqlite3"
    with sqlite3.connect(path) as raw:  # back to the v3 table: its primary key had no evaluator
        raw.executescript("""
            CREATE TABLE old_scores AS SELECT experiment_id, example_id, key, score, is_bool, comment, error,
                position FROM scores;
            DROP TABLE scores;
            ALTER TABLE old_scores RENAME TO scores;
            PRAGMA user_version = 3;
        """)
    reopened = LocalBackend(path)
    try:
        [row] = reopened.list_results(exp.id)
        assert row.scores == (Score("k", True),)
        reopened.record_results([ExperimentResult(exp.id, example.id, {}, {}, {},
                                                  scores=(Score("k", True), Score("k", False, evaluator="new")))])
        assert {s.ident: s.score for s in reopened.list_results(exp.id)[0].scores} == {"k": True, "k · new": False}
    finally:
        reopened.close()
