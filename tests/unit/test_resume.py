"""Resume and retry after a cancel (#11): a retry ran nothing ("0/0 · done") and the examples that
never ran stayed unrun. Now `resume` runs them into the same experiment, the draw of the dataset's
rules is the one the first pass would have made, and a retry with nothing failed says what is left.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli
from tui.backend.core import events as ev
from tui.backend.core.models import RuleSpec
from tui.backend.runs.runner import Runner, RunOptions
from tui.backend.workspace.local import LocalBackend

FINAL = "Skills: Final Response"
HALF_RULE = '''
def perform_eval(run, example):
    return {"half": 1}
'''


@pytest.fixture
def backend(evaltui_home: Path):
    b = LocalBackend(evaltui_home / "workspace.sqlite3")
    yield b
    b.close()


async def slow_agent(inputs):
    await asyncio.sleep(0.02)
    from tui.backend.demo_agent import run_agent

    return run_agent(inputs)


def _cancelled_run(backend, after: int, **options):
    runner = Runner(backend)
    events: list = []

    def sink(event):
        events.append(event)
        if isinstance(event, ev.ExampleFinished) and sum(isinstance(e, ev.ExampleFinished) for e in events) == after:
            runner.cancel()

    experiment = asyncio.run(runner.run(RunOptions(dataset=FINAL, target=slow_agent, max_concurrency=2,
                                                   **options), sink))
    return experiment, events


def _collect(coro_fn):
    events: list = []
    experiment = asyncio.run(coro_fn(events.append))
    return experiment, events


def test_resume_runs_only_the_never_run_examples_into_the_same_experiment(backend):
    experiment, events = _cancelled_run(backend, 5, evaluators=["evaluators:exact_match"], limit=20)
    assert experiment.status == "cancelled"
    kept = {r.example_id: r for r in backend.list_results(experiment.id)}
    assert 5 <= len(kept) < 20
    assert events[-1].counts["never_run"] == 20 - len(kept)

    # nothing failed: a retry runs nothing and says how many never ran
    again, retry_events = _collect(lambda sink: Runner(backend).retry_failed(experiment.id, sink))
    assert isinstance(retry_events[-1], ev.RunFinished)
    assert retry_events[-1].counts["finished_now"] == 0
    assert retry_events[-1].counts["never_run"] == 20 - len(kept)

    resumed, resume_events = _collect(lambda sink: Runner(backend).resume(experiment.id, sink))
    assert resumed.id == experiment.id and resumed.status == "done"
    assert resume_events[0].total == 20 - len(kept)  # only what never ran, within the run's limit of 20
    ran = {e.result.example_id for e in resume_events if isinstance(e, ev.ExampleFinished)}
    assert not ran & set(kept)
    rows = {r.example_id: r for r in backend.list_results(experiment.id)}
    assert len(rows) == 20 and all(r.scores for r in rows.values())
    assert all(rows[i] == r for i, r in kept.items())  # the first pass's rows are untouched
    assert resume_events[-1].counts["never_run"] == 0 and resume_events[-1].counts["examples"] == 20

    _, nothing = _collect(lambda sink: Runner(backend).resume(experiment.id, sink))
    assert nothing[-1].counts["finished_now"] == 0 and nothing[-1].counts["never_run"] == 0


def test_a_resumed_run_draws_the_rules_as_one_uninterrupted_pass_would(backend):
    ds = backend.get_dataset(FINAL)
    backend.create_rule(RuleSpec(name="Half", code=HALF_RULE, sampling_rate=0.5, dataset_id=ds.id))

    def drawn(experiment_id: str) -> set[str]:
        return {r.example_id for r in backend.list_results(experiment_id)
                if any(s.evaluator == "rule:Half" for s in r.scores)}

    whole, _ = _collect(lambda sink: Runner(backend).run(
        RunOptions(dataset=FINAL, target=slow_agent, evaluators=["evaluators:exact_match"], rule_seed=11), sink))
    cut, _ = _cancelled_run(backend, 6, evaluators=["evaluators:exact_match"], rule_seed=11)
    asyncio.run(Runner(backend).resume(cut.id))
    assert len(backend.list_results(cut.id)) == 24
    assert 0 < len(drawn(whole.id)) < 24
    assert drawn(cut.id) == drawn(whole.id)


def test_a_run_without_a_seed_stores_the_one_it_drew_with(backend):
    experiment, _ = _collect(lambda sink: Runner(backend).run(
        RunOptions(dataset=FINAL, target="demo", evaluators=["evaluators:exact_match"], limit=2), sink))
    meta = backend.get_experiment(experiment.id).metadata
    assert isinstance(meta["rule_seed"], int) and meta["limit"] == 2


def test_cli_retry_and_resume_of_an_unknown_experiment_say_so(evaltui_home, monkeypatch):
    monkeypatch.setenv("EVALTUI_BACKEND", "local")
    for command in ("retry", "resume"):
        result = run_cli(command, "no-such-experiment")
        assert result.code != 0 and "no-such-experiment" in result.err and "Traceback" not in result.err
