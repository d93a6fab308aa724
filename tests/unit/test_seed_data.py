"""Demo data shapes and the demo agent's (deliberately imperfect) accuracy."""

from __future__ import annotations

import asyncio
import importlib.util
import json
from pathlib import Path

import pytest

from tui.backend import demo_agent, workspace
from tui.backend.demo_agent import arun_agent, run_agent
from tui.backend.workspace.seed_data import (
    DEMO_PROJECT,
    FINAL_RESPONSE,
    SINGLE_STEP,
    TRAJECTORY,
    demo_datasets,
)

SAMPLES = Path(workspace.__file__).with_name("samples")


def _dataset(name):
    return next(d for d in demo_datasets() if d.name == name)


def _final_ok(run_out, ref):
    return run_out["expected_response"].strip().lower() == ref["expected_response"].strip().lower()


def _trajectory_ok(run_out, ref):
    return run_out["expected_trajectory"] == ref["expected_trajectory"]


def _single_step_ok(run_out, ref):
    expected = ref["expected_output"]
    if "classification" in run_out["node_name"]:
        return run_out["output"]["classification"].lower() == expected["classification"].lower()
    return run_out["output"] == expected


CHECKS = {FINAL_RESPONSE: _final_ok, TRAJECTORY: _trajectory_ok, SINGLE_STEP: _single_step_ok}


def test_three_datasets_with_twenty_examples_each():
    names = [d.name for d in demo_datasets()]
    assert names == [FINAL_RESPONSE, TRAJECTORY, SINGLE_STEP]
    for dataset in demo_datasets():
        assert len(dataset.examples) >= 20, dataset.name
        assert dataset.description
        canonical = [json.dumps(e.inputs, sort_keys=True) for e in dataset.examples]
        assert len(set(canonical)) == len(canonical), f"duplicate inputs in {dataset.name}"
    assert DEMO_PROJECT == "evaltui-demo"


def test_final_response_shape():
    for ex in _dataset(FINAL_RESPONSE).examples:
        assert set(ex.inputs) == {"query"} and ex.inputs["query"].strip()
        assert set(ex.outputs) == {"expected_response"} and ex.outputs["expected_response"].strip()


def test_trajectory_shape():
    for ex in _dataset(TRAJECTORY).examples:
        assert set(ex.inputs) == {"query"}
        tools = ex.outputs["expected_trajectory"]
        assert set(ex.outputs) == {"expected_trajectory"}
        assert tools and all(isinstance(t, str) and t.isidentifier() for t in tools)


def test_single_step_shape_has_classification_and_other_nodes():
    examples = _dataset(SINGLE_STEP).examples
    classifiers = [e for e in examples if "classification" in e.inputs["node_name"]
                   or e.inputs["node_name"].startswith("classify")]
    others = [e for e in examples if "classification" not in e.outputs["expected_output"]]
    for ex in examples:
        assert "node_name" in ex.inputs and ({"state", "input"} & set(ex.inputs))
        assert set(ex.outputs) == {"expected_output"} and isinstance(ex.outputs["expected_output"], dict)
    assert len(classifiers) >= 8 and len(others) >= 6
    # the seed's single_step_evaluator branches on "classification" in the node name
    assert any("classification" in e.inputs["node_name"] for e in examples)


def test_final_and_trajectory_queries_do_not_overlap():
    finals = {e.inputs["query"] for e in _dataset(FINAL_RESPONSE).examples}
    trajectories = {e.inputs["query"] for e in _dataset(TRAJECTORY).examples}
    assert not finals & trajectories


@pytest.mark.parametrize("name", [FINAL_RESPONSE, TRAJECTORY, SINGLE_STEP])
def test_demo_agent_accuracy_is_interesting(name):
    examples = _dataset(name).examples
    correct = sum(CHECKS[name](run_agent(e.inputs), e.outputs) for e in examples)
    accuracy = correct / len(examples)
    assert 0.60 <= accuracy <= 0.85, f"{name}: {accuracy:.0%}"


def test_demo_agent_output_shapes():
    final = run_agent(_dataset(FINAL_RESPONSE).examples[0].inputs)
    assert set(final) == {"expected_response"}
    trajectory = run_agent(_dataset(TRAJECTORY).examples[0].inputs)
    assert set(trajectory) == {"expected_trajectory"}
    step_inputs = _dataset(SINGLE_STEP).examples[0].inputs
    step = run_agent(step_inputs)
    assert step["node_name"] == step_inputs["node_name"] and isinstance(step["output"], dict)


def test_every_mistake_refers_to_a_seed_example():
    finals = {e.inputs["query"] for e in _dataset(FINAL_RESPONSE).examples}
    trajectories = {e.inputs["query"] for e in _dataset(TRAJECTORY).examples}
    steps = {demo_agent.step_text(e.inputs) for e in _dataset(SINGLE_STEP).examples}
    assert set(demo_agent.FINAL_MISTAKES) | set(demo_agent.FINAL_CASE_VARIANTS) <= finals
    assert set(demo_agent.TRAJECTORY_MISTAKES) <= trajectories
    assert set(demo_agent.SINGLE_STEP_MISTAKES) | set(demo_agent.SINGLE_STEP_CASE_VARIANTS) <= steps


def test_case_variants_pass_case_insensitive_checks_but_differ_exactly():
    for ex in _dataset(FINAL_RESPONSE).examples:
        if ex.inputs["query"] in demo_agent.FINAL_CASE_VARIANTS:
            out = run_agent(ex.inputs)
            assert out["expected_response"] != ex.outputs["expected_response"]
            assert _final_ok(out, ex.outputs)


def test_demo_agent_is_deterministic_and_does_not_mutate_seed():
    ex = _dataset(SINGLE_STEP).examples[0]
    first = run_agent(ex.inputs)
    first["output"]["classification"] = "tampered"
    assert run_agent(ex.inputs) != first
    assert run_agent(ex.inputs) == run_agent(ex.inputs)


def test_unknown_inputs_get_a_fallback():
    out = run_agent({"query": "What's the meaning of life?"})
    assert out["expected_response"] and out["expected_trajectory"]
    step = run_agent({"node_name": "intent_classification", "state": {"messages": []}})
    assert step == {"node_name": "intent_classification", "output": {}}
    with pytest.raises(TypeError):
        run_agent("not a dict")


def test_async_variant_matches_sync():
    inputs = _dataset(TRAJECTORY).examples[1].inputs
    assert asyncio.run(arun_agent(inputs)) == run_agent(inputs)


def _load_sample(name):
    spec = importlib.util.spec_from_file_location(f"_sample_{name}", SAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_files_are_standalone_and_score_the_demo_agent():
    for path in SAMPLES.glob("*.py"):
        text = path.read_text()
        for forbidden in ("import tui", "from tui", "import evaluators", "from evaluators"):
            assert forbidden not in text, f"{path.name} imports our packages"
    skills = _load_sample("skills_evaluators")
    for name, fn in [(FINAL_RESPONSE, skills.exact_match_evaluator), (TRAJECTORY, skills.trajectory_evaluator),
                     (SINGLE_STEP, skills.single_step_evaluator)]:
        scores = []
        for ex in _dataset(name).examples:
            result = fn({"outputs": run_agent(ex.inputs)}, {"outputs": ex.outputs})
            scores.append(next(v for k, v in result.items() if k != "comment"))
        assert 0.6 <= sum(scores) / len(scores) <= 0.85, name
    ex = _dataset(TRAJECTORY).examples[2]
    result = skills.all_tools_used(ex.inputs, run_agent(ex.inputs), ex.outputs)
    assert result["key"] == "all_tools_used" and result["score"] is True


def test_llm_judges_sample_imports_without_openai_key(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    judges = _load_sample("llm_judges")
    assert asyncio.iscoroutinefunction(judges.accuracy_evaluator)
    assert judges._judge is None  # nothing built at import time
    assert set(judges.AccuracyGrade.__annotations__) == {"reasoning", "is_accurate", "confidence"}
