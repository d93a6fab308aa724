"""The experiment runner end to end: a seeded local workspace, the demo agent, real aevaluate.

LLM judges go through the real ChatOpenAI to the fake OpenAI server; remote runs through the real
langsmith.Client to the fake LangSmith server.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tui.backend.core import events as ev
from tui.backend.core.errors import EvaltuiError, NotFound
from tui.backend.core.models import RuleSpec
from tui.backend.runs.runner import Runner, RunOptions
from tui.backend.runs.summary import summarize
from tui.backend.runs.targets import TargetLoadError
from tui.backend.workspace.local import LocalBackend

FINAL = "Skills: Final Response"
TRAJECTORY = "Skills: Trajectory"


@pytest.fixture
def backend(evaltui_home: Path):
    b = LocalBackend(evaltui_home / "workspace.sqlite3")
    yield b
    b.close()


def run(runner: Runner, sink=None, **options) -> tuple:
    events: list = []

    def collect(event):
        events.append(event)
        if sink:
            sink(event)

    experiment = asyncio.run(runner.run(RunOptions(**options), collect))
    return experiment, events


def of(events, kind):
    return [e for e in events if isinstance(e, kind)]


def recomputed_means(results) -> dict[str, float]:
    values: dict[str, list[float]] = {}
    for r in results:
        for s in r.scores:
            if s.error is None and s.score is not None:
                values.setdefault(s.key, []).append(float(s.score))
    return {k: sum(v) / len(v) for k, v in values.items()}


# -- a plain run ---------------------------------------------------------------------------


def test_demo_run_streams_events_in_order_and_stores_every_result(backend):
    experiment, events = run(Runner(backend), dataset=FINAL, target="demo",
                             evaluators=["evaluators:exact_match"], max_concurrency=4)
    assert experiment.status == "done"
    assert isinstance(events[0], ev.ExperimentStarted) and events[0].total == 24
    assert events[0].experiment_id == experiment.id and events[0].url is None
    assert isinstance(events[-1], ev.RunFinished) and events[-1].status == "done"

    position: dict[tuple, int] = {}
    for i, e in enumerate(events):
        if isinstance(e, ev.ExampleStarted):
            position[("start", e.example_id)] = i
        elif isinstance(e, ev.ScoreRecorded):
            position[("score", e.example_id)] = i
        elif isinstance(e, ev.ExampleFinished):
            position[("done", e.result.example_id)] = i
    example_ids = {ex.id for ex in backend.list_examples(backend.get_dataset(FINAL).id)}
    for ex_id in example_ids:
        assert position[("start", ex_id)] < position[("score", ex_id)] < position[("done", ex_id)]

    stored = backend.list_results(experiment.id)
    assert {r.example_id for r in stored} == example_ids
    assert backend.get_experiment(experiment.id).status == "done"
    assert all(r.outputs and r.error is None and r.latency_ms is not None for r in stored)
    means = recomputed_means(stored)
    assert events[-1].summary == pytest.approx(means)
    # The demo agent gets a fixed part of this dataset wrong.
    assert 0.5 < means["exact_match"] < 1.0
    assert events[-1].counts["keys"]["exact_match"] == {"n": 24, "errors": 0}


def test_limit_example_ids_and_metadata(backend):
    ds = backend.get_dataset(TRAJECTORY)
    ids = [ex.id for ex in backend.list_examples(ds.id)][3:6]
    experiment, events = run(Runner(backend), dataset=ds.id, target="demo",
                             evaluators=["evaluators:trajectory_match"], example_ids=ids, prefix="mine")
    assert experiment.name.startswith("mine-")
    assert sorted(r.example_id for r in backend.list_results(experiment.id)) == sorted(ids)
    meta = backend.get_experiment(experiment.id).metadata
    assert meta["target"] == "demo" and meta["evaluators"] == ["evaluators:trajectory_match"]

    experiment, _ = run(Runner(backend), dataset=FINAL, target="demo",
                        evaluators=["evaluators:exact_match"], limit=5)
    assert len(backend.list_results(experiment.id)) == 5


# -- failures become results ----------------------------------------------------------------

FLAKY_TARGET = '''
import pathlib

CALLS = pathlib.Path(__file__).with_name("calls.log")
MARKER = pathlib.Path(__file__).with_name("fail.marker")


def flaky(inputs):
    with CALLS.open("a") as f:
        f.write(inputs["query"] + "\\n")
    if MARKER.exists() and "bag" in inputs["query"].lower():
        raise ValueError("no bags today")
    from tui.backend.demo_agent import run_agent
    return run_agent(inputs)
'''


@pytest.fixture
def flaky(tmp_path: Path) -> Path:
    path = tmp_path / "agent.py"
    path.write_text(FLAKY_TARGET, encoding="utf-8")
    (tmp_path / "fail.marker").write_text("x")
    return path


def calls(flaky: Path) -> list[str]:
    log = flaky.with_name("calls.log")
    return log.read_text().splitlines() if log.exists() else []


def test_target_that_raises_records_the_error_and_the_run_goes_on(backend, flaky):
    experiment, events = run(Runner(backend), dataset=FINAL, target=f"{flaky}:flaky",
                             evaluators=["evaluators:exact_match"])
    assert experiment.status == "done"
    failed = of(events, ev.TargetFailed)
    assert failed and all(e.error == "ValueError: no bags today" for e in failed)
    stored = {r.example_id: r for r in backend.list_results(experiment.id)}
    assert len(stored) == 24
    for e in failed:
        row = stored[e.example_id]
        assert row.error == "ValueError: no bags today" and row.outputs is None and row.scores == ()
    ok = [r for r in stored.values() if not r.error]
    assert len(ok) == 24 - len(failed) and all(r.scores for r in ok)
    assert events[-1].counts["target_errors"] == len(failed)


def test_evaluator_errors_timeouts_and_bad_shapes_are_results(backend):
    def raises(inputs, outputs, reference_outputs):
        raise RuntimeError("evaluator broke")

    async def slow(run, example):
        await asyncio.sleep(5)
        return {"slow": 1}

    def wrong_shape(run, example):
        return "yes"

    def fine(outputs, reference_outputs):
        return {"key": "fine", "score": True}

    started = time.monotonic()
    experiment, events = run(Runner(backend), dataset=FINAL, target="demo", limit=4, timeout=0.2,
                             evaluators=[raises, slow, wrong_shape, fine])
    assert time.monotonic() - started < 4
    assert experiment.status == "done"
    stored = backend.list_results(experiment.id)
    assert len(stored) == 4
    for row in stored:
        scores = {s.key: s for s in row.scores}
        assert "RuntimeError: evaluator broke" in scores["raises"].error
        assert "timed out after 0.2s" in scores["slow"].error
        assert "wrong_shape" in scores["wrong_shape"].error and "'yes'" in scores["wrong_shape"].error
        assert scores["fine"].score is True and scores["fine"].error is None
    final = events[-1]
    assert final.summary["fine"] == 1.0 and final.summary["raises"] is None
    assert final.counts["keys"]["slow"] == {"n": 0, "errors": 4}


# -- a run that cannot start ----------------------------------------------------------------


@pytest.mark.parametrize(
    "options, error, text",
    [
        ({"dataset": "nope", "target": "demo"}, NotFound, "'nope' not found"),
        ({"dataset": FINAL, "target": "missing_file.py:agent"}, TargetLoadError, "does not exist"),
        ({"dataset": FINAL, "target": "no_such_pkg.mod:agent"}, TargetLoadError, "could not be imported"),
        ({"dataset": FINAL, "target": "tui.backend.demo_agent:nothing"}, TargetLoadError, "run_agent"),
        ({"dataset": FINAL, "target": "demo", "evaluators": ["evaluators:nothing_here"]}, EvaltuiError,
         "nothing_here"),
    ],
)
def test_broken_target_dataset_or_evaluator_fails_before_anything_runs(backend, options, error, text):
    options.setdefault("evaluators", ["evaluators:exact_match"])
    events: list = []
    with pytest.raises(error) as info:
        asyncio.run(Runner(backend).run(RunOptions(**options), events.append))
    assert text in str(info.value)
    assert len(events) == 1 and isinstance(events[0], ev.RunFailed) and text in events[0].message
    assert backend.list_experiments() == []


def test_target_file_with_import_error(backend, tmp_path):
    path = tmp_path / "broken.py"
    path.write_text("import definitely_not_installed_xyz\n\ndef agent(inputs):\n    return {}\n")
    with pytest.raises(TargetLoadError, match="ModuleNotFoundError"):
        asyncio.run(Runner(backend).run(RunOptions(FINAL, f"{path}:agent", ["evaluators:exact_match"])))


# -- cancel, retry, rescore -------------------------------------------------------------------


def test_cancel_mid_run_keeps_finished_results_and_marks_cancelled(backend):
    started: list[str] = []

    async def slow_agent(inputs):
        started.append(inputs["query"])
        await asyncio.sleep(0.05)
        from tui.backend.demo_agent import run_agent

        return run_agent(inputs)

    runner = Runner(backend)
    finished = []

    def sink(event):
        if isinstance(event, ev.ExampleFinished):
            finished.append(event)
            if len(finished) == 5:
                runner.cancel()

    experiment, events = run(runner, sink, dataset=FINAL, target=slow_agent,
                             evaluators=["evaluators:exact_match"], max_concurrency=2)
    assert experiment.status == "cancelled"
    assert backend.get_experiment(experiment.id).status == "cancelled"
    final = events[-1]
    assert isinstance(final, ev.RunCancelled)
    stored = backend.list_results(experiment.id)
    assert final.kept == len(stored) >= 5 and len(stored) < 24
    assert {r.example_id for r in stored} >= {e.result.example_id for e in finished}
    assert len(started) < 24  # the rest never ran


def test_cancel_from_another_thread(backend):
    import threading

    async def slow_agent(inputs):
        await asyncio.sleep(0.05)
        return {"expected_response": "?"}

    runner = Runner(backend)
    threading.Timer(0.3, runner.cancel).start()
    experiment, events = run(runner, dataset=FINAL, target=slow_agent,
                             evaluators=["evaluators:exact_match"], max_concurrency=1)
    assert experiment.status == "cancelled"
    assert 0 < events[-1].kept < 24


def test_retry_failed_reruns_only_failed_examples(backend, flaky):
    experiment, events = run(Runner(backend), dataset=FINAL, target=f"{flaky}:flaky",
                             evaluators=["evaluators:exact_match"])
    failed_ids = {e.example_id for e in of(events, ev.TargetFailed)}
    assert failed_ids
    flaky.with_name("fail.marker").unlink()
    flaky.with_name("calls.log").unlink()

    retry_events: list = []
    again = asyncio.run(Runner(backend).retry_failed(experiment.id, retry_events.append))
    assert len(calls(flaky)) == len(failed_ids)
    assert again.id == experiment.id and again.status == "done"
    assert retry_events[0].total == len(failed_ids)
    assert {e.result.example_id for e in of(retry_events, ev.ExampleFinished)} == failed_ids
    stored = backend.list_results(experiment.id)
    assert len(stored) == 24 and all(r.error is None and r.scores for r in stored)
    assert retry_events[-1].counts["examples"] == 24 and retry_events[-1].counts["target_errors"] == 0
    assert retry_events[-1].summary == pytest.approx(recomputed_means(stored))


def test_retry_failed_reruns_evaluator_errors(backend):
    experiment, _ = run(Runner(backend), dataset=FINAL, target="demo", limit=3,
                        evaluators=["evaluators:exact_match", "tests.unit.test_runner:sometimes_broken"])
    assert all(any(s.error for s in r.scores) for r in backend.list_results(experiment.id))
    SOMETIMES["broken"] = False
    try:
        asyncio.run(Runner(backend).retry_failed(experiment.id))
    finally:
        SOMETIMES["broken"] = True
    stored = backend.list_results(experiment.id)
    assert all(not s.error for r in stored for s in r.scores)
    assert {s.key for s in stored[0].scores} == {"exact_match", "sometimes_broken"}


SOMETIMES = {"broken": True}


def sometimes_broken(outputs, reference_outputs):
    if SOMETIMES["broken"]:
        raise RuntimeError("flaky evaluator")
    return {"key": "sometimes_broken", "score": 1}


def test_rescore_applies_new_evaluators_without_rerunning_the_target(backend, flaky):
    flaky.with_name("fail.marker").unlink()
    experiment, _ = run(Runner(backend), dataset=FINAL, target=f"{flaky}:flaky",
                        evaluators=["evaluators:exact_match"], limit=6)
    assert len(calls(flaky)) == 6

    def length(outputs):
        return {"key": "length", "score": len(outputs.get("expected_response", ""))}

    events: list = []
    again = asyncio.run(Runner(backend).rescore(experiment.id, [length], events.append))
    assert len(calls(flaky)) == 6  # the target did not run again
    assert again.status == "done" and backend.get_experiment(experiment.id).status == "done"
    assert len(of(events, ev.ScoreRecorded)) == 6
    stored = backend.list_results(experiment.id)
    for row in stored:
        keys = {s.key: s for s in row.scores}
        assert set(keys) == {"exact_match", "length"}
        assert keys["length"].score == len(row.outputs["expected_response"])
    assert events[-1].summary == pytest.approx(recomputed_means(stored))


# -- local rules --------------------------------------------------------------------------------

RULE_CODE = '''
def perform_eval(run, example):
    return {"rule_hit": 1, "comment": "from the rule"}
'''


def test_local_rules_bound_to_the_dataset_run_with_seeded_sampling(backend):
    ds = backend.get_dataset(FINAL)
    backend.create_rule(RuleSpec(name="Half", code=RULE_CODE.replace("rule_hit", "half"), sampling_rate=0.5,
                                 dataset_id=ds.id))
    backend.create_rule(RuleSpec(name="All", code=RULE_CODE, sampling_rate=1.0, dataset_id=ds.id))
    backend.create_rule(RuleSpec(name="Off", code=RULE_CODE.replace("rule_hit", "off"), dataset_id=ds.id,
                                 is_enabled=False))
    other = backend.get_dataset(TRAJECTORY)
    backend.create_rule(RuleSpec(name="Elsewhere", code=RULE_CODE.replace("rule_hit", "elsewhere"),
                                 dataset_id=other.id))
    backend.create_rule(RuleSpec(name="Broken", code="def nope(:\n", dataset_id=ds.id))

    def sampled(seed: int) -> set[str]:
        experiment, events = run(Runner(backend), dataset=FINAL, target="demo",
                                 evaluators=["evaluators:exact_match"], rule_seed=seed)
        assert set(events[0].rules) == {"Half", "All", "Broken"} and events[0].rules_run_by == "local"
        stored = backend.list_results(experiment.id)
        keys = [{s.key: s for s in r.scores} for r in stored]
        assert all(k["rule_hit"].score == 1 and k["rule_hit"].comment == "from the rule" for k in keys)
        assert not any("off" in k or "elsewhere" in k for k in keys)
        assert all("could not be loaded" in k["Broken"].error for k in keys)
        return {r.example_id for r, k in zip(stored, keys) if "half" in k}

    first = sampled(7)
    assert 0 < len(first) < 24
    assert sampled(7) == first


# -- LLM judge through the real ChatOpenAI ---------------------------------------------------------


def test_llm_judge_runs_through_chat_openai_to_the_fake_server(backend, openai_env):
    from evaluators import accuracy_evaluator, clear_judge_cache

    clear_judge_cache()
    experiment, events = run(Runner(backend), dataset=FINAL, target="demo", limit=6,
                             evaluators=[accuracy_evaluator], max_concurrency=3)
    stored = backend.list_results(experiment.id)
    assert len(stored) == 6
    scores = [s for r in stored for s in r.scores]
    assert all(s.key == "accuracy" and s.error is None and s.score in (0, 1) for s in scores), scores
    assert len(openai_env.chat_requests()) == 6
    clear_judge_cache()


# -- LangSmith through the real Client -------------------------------------------------------------


def test_remote_run_uploads_runs_and_feedback_to_an_experiment(langsmith_env):
    from tui.backend.workspace.langsmith import LangSmithBackend

    fake = langsmith_env
    fake.ingest_delay = 0.3  # like LangSmith: uploads are readable a little later
    ds = fake.seed_dataset("qa", [({"q": f"q{i}"}, {"a": f"a{i}"}) for i in range(3)])
    fake.seed_rule("Server rule", dataset_id=ds["id"])

    async def target(inputs: dict) -> dict:
        if inputs["q"] == "q2" and not FIXED.get("q2"):
            raise ValueError("cannot answer q2")
        return {"a": inputs["q"].replace("q", "a")}

    def exact(outputs: dict, reference_outputs: dict) -> dict:
        return {"key": "exact", "score": outputs == reference_outputs}

    backend = LangSmithBackend(fake.api_key, fake.url, backoff=0.01)
    try:
        experiment, events = run(Runner(backend), dataset="qa", target=target, evaluators=[exact])
        started = events[0]
        assert started.rules == ("Server rule",) and started.rules_run_by == "server"
        assert experiment.status == "done" and experiment.name.startswith("evaltui")
        assert experiment.url and experiment.id in experiment.url and started.url == experiment.url
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            runs = fake.runs_in(experiment.id)
            feedback = [f for f in fake.feedback.values() if f.get("key") == "exact"]
            if len([r for r in runs if r.get("end_time")]) >= 3 and len(feedback) >= 2:
                break
            time.sleep(0.05)
        roots = [r for r in fake.runs_in(experiment.id) if not r.get("parent_run_id")]
        assert {str(r.get("reference_example_id")) for r in roots} == {e["id"] for e in fake.examples_of(ds["id"])}
        assert any("cannot answer q2" in str(r.get("error")) for r in roots)
        assert sorted(f["score"] for f in feedback) == [True, True] or sorted(f["score"] for f in feedback) == [1, 1]
        assert of(events, ev.TargetFailed)[0].error == "ValueError: cannot answer q2"
        assert events[-1].summary == {"exact": 1.0}

        # Retry re-runs only q2, into the same LangSmith experiment.
        FIXED["q2"] = True
        retry_events: list = []
        again = asyncio.run(Runner(backend).retry_failed(experiment.id, retry_events.append, target=target,
                                                         evaluators=[exact]))
        assert again.id == experiment.id and retry_events[0].total == 1
        assert [e.result.inputs for e in of(retry_events, ev.ExampleFinished)] == [{"q": "q2"}]
        assert retry_events[-1].summary == {"exact": 1.0} and retry_events[-1].counts["target_errors"] == 0
    finally:
        FIXED.clear()
        backend.close()


FIXED: dict[str, bool] = {}


def test_summarize_counts_bools_as_ones_and_skips_errors():
    from tui.backend.core.models import ExperimentResult, Score

    rows = [
        ExperimentResult("e", "1", {}, {}, {}, scores=(Score("a", True), Score("b", 0.5))),
        ExperimentResult("e", "2", {}, {}, {}, scores=(Score("a", False), Score("b", None, error="x"))),
        ExperimentResult("e", "3", {}, None, {}, error="boom"),
    ]
    summary, counts = summarize(rows)
    assert summary == {"a": 0.5, "b": 0.5}
    assert counts["keys"] == {"a": {"n": 2, "errors": 0}, "b": {"n": 1, "errors": 1}}
    assert counts["target_errors"] == 1 and counts["evaluator_errors"] == 1 and counts["examples"] == 3


def test_full_garbage_collections_are_held_while_a_run_streams_and_restored_after(backend):
    import gc

    seen: list[int] = []

    def spy(run, example):
        seen.append(gc.get_threshold()[2])
        return {"key": "spy", "score": 1}

    before = gc.get_threshold()
    asyncio.run(Runner(backend).run(RunOptions("Skills: Final Response", "demo", [spy], limit=3,
                                                     run_rules=False)))
    assert seen and all(threshold >= 1_000_000 for threshold in seen)  # held while scoring
    assert gc.get_threshold() == before  # and restored when the run ended
