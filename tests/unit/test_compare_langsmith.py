"""`evaltui compare` and the CI gates against the fake LangSmith server: experiments read back with
paging (runs query cursors, feedback pages), the same figures as the local workspace on the same rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tui.backend.core.models import ExperimentResult, Score
from tui.backend.workspace.langsmith import LangSmithBackend
from tui.backend.workspace.local import LocalBackend

N = 130  # more than one page (100) of runs and of feedback


def _scores(name: str, i: int) -> tuple[Score, ...]:
    if name == "baseline":
        return (Score("exact_match", i % 5 != 0, comment=f"base {i}"), Score("quality", (i % 5) / 4))
    return (Score("exact_match", i % 3 != 0, comment=f"cand {i}"),
            Score("quality", ((i + 2) % 5) / 4, error="judge timed out" if i == 4 else None))


def _record(backend, dataset_id: str, examples, name: str, skip: int | None = None) -> str:
    experiment = backend.create_experiment(name, dataset_id, {"target": "demo"})
    backend.record_results([
        ExperimentResult(experiment.id, ex_id, inputs, {"answer": f"{name} {i}"}, outputs, scores=_scores(name, i))
        for i, (ex_id, inputs, outputs) in enumerate(examples) if i != skip
    ])
    backend.finish_experiment(experiment.id, "done")
    return experiment.id


@pytest.fixture
def ls_pair(langsmith_env, evaltui_home, monkeypatch):
    monkeypatch.setenv("EVALTUI_DEBUG", "0")
    fake = langsmith_env
    dataset = fake.seed_dataset("QA", [({"q": i}, {"a": i}) for i in range(N)])
    backend = LangSmithBackend(fake.api_key, fake.url)
    try:
        examples = [(ex.id, ex.inputs, ex.outputs) for ex in backend.list_examples(dataset["id"])]
        _record(backend, dataset["id"], examples, "baseline")
        _record(backend, dataset["id"], examples, "candidate", skip=7)
    finally:
        backend.close()
    return fake, examples


def _local_twin(home: Path, examples) -> None:
    """The same rows in a local workspace (its own dataset, the same example ids)."""
    local = LocalBackend(home / "twin" / "workspace.sqlite3")
    try:
        dataset = local.create_dataset("QA twin")
        experiment_ids = []
        for name, skip in (("baseline", None), ("candidate", 7)):
            exp = local.create_experiment(name, dataset.id, {"target": "demo"})
            local.record_results([
                ExperimentResult(exp.id, ex_id, inputs, {"answer": f"{name} {i}"}, outputs, scores=_scores(name, i))
                for i, (ex_id, inputs, outputs) in enumerate(examples) if i != skip
            ])
            local.finish_experiment(exp.id, "done")
            experiment_ids.append(exp.id)
    finally:
        local.close()


def test_compare_on_langsmith_pages_and_matches_local(ls_pair, evaltui_home, monkeypatch):
    fake, examples = ls_pair
    fake.requests.clear()
    r = run_cli("compare", "baseline", "candidate", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    queries = [q for q in fake.requests if q.path.endswith("/runs/query")]
    assert len(queries) >= 4  # two experiments, two pages each
    assert fake.api_key not in r.text
    keys = {k["key"]: k for k in doc["keys"]}
    assert set(keys) == {"exact_match", "quality"}
    em = keys["exact_match"]
    assert em["n"] == N - 1 and em["missing_in_b"] == [examples[7][0]] and em["test"] == "mcnemar"
    # by hand: i % 5 == 0 fails in the baseline, i % 3 == 0 in the candidate (example 7 left out)
    ids = [ex[0] for i, ex in enumerate(examples) if i != 7]
    idx = [i for i in range(N) if i != 7]
    better = sorted(ids[j] for j, i in enumerate(idx) if i % 5 == 0 and i % 3 != 0)
    worse = sorted(ids[j] for j, i in enumerate(idx) if i % 5 != 0 and i % 3 == 0)
    assert sorted(em["improved"]) == better and sorted(em["regressed"]) == worse
    assert keys["quality"]["n"] == N - 2 and keys["quality"]["test"] == "wilcoxon"  # the error is not paired

    # The same rows on the local workspace give exactly the same figures.
    _local_twin(evaltui_home, examples)
    monkeypatch.delenv("LANGSMITH_API_KEY")
    monkeypatch.setenv("EVALTUI_HOME", str(evaltui_home / "twin"))
    local = run_cli("--backend", "local", "compare", "baseline", "candidate", "--json")
    assert local.code == 0, local.err
    local_keys = {k["key"]: k for k in json.loads(local.out)["keys"]}
    for key in ("exact_match", "quality"):
        mine, theirs = keys[key], local_keys[key]
        for field in ("n", "diff", "ci_low", "ci_high", "p_value", "test", "unchanged"):
            assert mine[field] == theirs[field], (key, field)
        for field in ("improved", "regressed", "missing_in_a", "missing_in_b"):
            assert sorted(mine[field]) == sorted(theirs[field]), (key, field)


def test_compare_gates_and_markdown_on_langsmith(ls_pair, tmp_path):
    fake, _ = ls_pair
    markdown = tmp_path / "pr.md"
    r = run_cli("compare", "baseline", "candidate", "--fail-on-regression", "exact_match=0.01",
                "--markdown", str(markdown))
    assert r.code == 4, r.text
    assert "FAIL --fail-on-regression exact_match=0.01" in r.out
    text = markdown.read_text()
    assert f"({fake.url}" in text or "/o/" in text  # the experiments link to LangSmith
    assert "| exact_match |" in text and "### Regressions" in text
