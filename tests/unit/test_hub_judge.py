"""Workspace LLM evaluators whose prompt is in the prompt hub: manifests read as data, run through
ChatOpenAI on the fake OpenAI server, from the local workspace and from (fake) LangSmith (issue 13)."""

from __future__ import annotations

import asyncio
import warnings

import pytest

from tui.backend.core.errors import InvalidInput, NotFound
from tui.backend.rules.hub_judge import structured_from_manifest, workspace_llm_judge
from tui.backend.workspace.local import LocalBackend
from tui.backend.workspace.prompt_manifest import judge_prompt_manifest

SCHEMA = {"title": "accuracy", "description": "Grade accuracy", "type": "object",
          "properties": {"accuracy": {"type": "boolean", "description": "accurate?"},
                         "reasoning": {"type": "string"}},
          "required": ["accuracy", "reasoning"], "additionalProperties": False}
MESSAGES = [("system", "You grade answers.", []),
            ("human", "<expected>{expected}</expected> <agent_output>{response}</agent_output>", ["expected", "response"])]
MAPPING = {"expected": "reference.expected_response", "response": "outputs.response"}


def _langchain_manifest(model_cls=None):
    from langchain_core.load import dumpd
    from langchain_core.prompts.structured import StructuredPrompt
    from langchain_openai import ChatOpenAI

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        prompt = StructuredPrompt([(r, t) for r, t, _ in MESSAGES], schema_=SCHEMA,
                                  structured_output_kwargs={"method": "json_schema", "strict": True})
        model = (model_cls or ChatOpenAI)(model="gpt-4o-mini", temperature=0, api_key="not-a-key")
        return dumpd(prompt), dumpd(model), dumpd(prompt | model)


def test_the_manifest_builder_writes_what_langchain_serializes():
    prompt, model, _ = _langchain_manifest()
    ours = judge_prompt_manifest(MESSAGES, SCHEMA, "gpt-4o-mini")
    assert ours["kwargs"]["first"] == prompt
    assert ours["kwargs"]["last"] == model


def test_langchains_own_manifest_and_ours_give_the_same_judge():
    *_, chain = _langchain_manifest()  # StructuredPrompt | ChatOpenAI: the model bound in "middle"
    from_langchain = structured_from_manifest(chain, MAPPING)
    assert from_langchain == structured_from_manifest(judge_prompt_manifest(MESSAGES, SCHEMA, "gpt-4o-mini"), MAPPING)
    assert from_langchain["prompt"][1] == ["human", MESSAGES[1][1]]
    assert from_langchain["schema"]["parameters"]["required"] == ["accuracy", "reasoning"]
    assert from_langchain["model"] == {"kwargs": {"model_name": "gpt-4o-mini", "temperature": 0.0}}


def test_what_cannot_be_run_is_said():
    manifest = judge_prompt_manifest(MESSAGES, SCHEMA, "gpt-4o-mini")
    no_schema = judge_prompt_manifest(MESSAGES, {"type": "object"}, "gpt-4o-mini")
    with pytest.raises(InvalidInput, match="no output schema"):
        structured_from_manifest(no_schema, MAPPING)
    no_model = {**manifest, "kwargs": {**manifest["kwargs"], "last": {"lc": 1, "type": "constructor",
                                                                      "id": ["x", "StrOutputParser"], "kwargs": {}}}}
    with pytest.raises(InvalidInput, match="names no model"):
        structured_from_manifest(no_model, MAPPING)
    other = {**manifest, "kwargs": {**manifest["kwargs"], "last": {
        "lc": 1, "type": "constructor", "id": ["langchain", "chat_models", "anthropic", "ChatAnthropic"], "kwargs": {}}}}
    with pytest.raises(InvalidInput, match="uses ChatAnthropic"):
        structured_from_manifest(other, MAPPING)
    placeholder = judge_prompt_manifest(MESSAGES, SCHEMA, "gpt-4o-mini")
    placeholder["kwargs"]["first"]["kwargs"]["messages"].append(
        {"lc": 1, "type": "constructor", "id": ["langchain", "prompts", "chat", "MessagesPlaceholder"],
         "kwargs": {"variable_name": "history"}})
    with pytest.raises(InvalidInput, match="MessagesPlaceholder"):
        structured_from_manifest(placeholder, MAPPING)


def _grade(judge, expected: str, response: str) -> dict:
    return asyncio.run(judge({"outputs": {"response": response}}, {"outputs": {"expected_response": expected}}))


def test_the_demo_workspace_evaluator_runs_from_the_local_prompt(openai_env, tmp_path):
    backend = LocalBackend(tmp_path / "w.sqlite3")
    try:
        (ev,) = [e for e in backend.list_workspace_evaluators() if e.type == "llm"]
        judge = workspace_llm_judge(backend, ev)
        good, bad = _grade(judge, "Paris", "It is Paris."), _grade(judge, "Paris", "It is Rome.")
        assert good["results"][0]["key"] == "accuracy" and good["results"][0]["score"] is True
        assert bad["results"][0]["score"] is False
        (request, _) = openai_env.chat_requests()
        assert "<expected>\nParis\n</expected>" in request["messages"][-1]["content"]
        assert request["model"] == "gpt-4o-mini"
        assert request["response_format"]["json_schema"]["name"] == "accuracy"
        with pytest.raises(NotFound, match="Prompt 'nobody/none:latest' not found"):
            backend.get_prompt_manifest("nobody/none:latest")
        newer = judge_prompt_manifest(MESSAGES, SCHEMA, "gpt-4.1-mini")
        commit = backend.add_prompt("evaltui-demo/accuracy-judge", newer)
        assert backend.get_prompt_manifest("evaltui-demo/accuracy-judge") == newer  # latest
        assert backend.get_prompt_manifest(f"evaltui-demo/accuracy-judge:{commit}") == newer
    finally:
        backend.close()


def test_a_langsmith_workspace_evaluator_pulls_its_prompt(langsmith_env, openai_env):
    from tui.backend.workspace.langsmith import LangSmithBackend

    langsmith_env.seed_prompt("-/grader", judge_prompt_manifest(MESSAGES, SCHEMA, "gpt-4o-mini"), "abcd1234")
    langsmith_env.seed_workspace_evaluator("Grader", type="llm", prompt_repo_handle="grader", commit="abcd1234",
                                           variable_mapping=MAPPING, feedback_keys=["accuracy"])
    backend = LangSmithBackend(api_key=langsmith_env.api_key, endpoint=langsmith_env.url)
    try:
        (ev,) = [e for e in backend.list_workspace_evaluators() if e.name == "Grader"]
        judge = workspace_llm_judge(backend, ev)
        assert _grade(judge, "Paris", "Paris!")["results"][0]["score"] is True
        assert langsmith_env.requests_to("GET", "/commits/-/grader/abcd1234")
        with pytest.raises(NotFound, match="Prompt 'gone:latest' not found"):
            backend.get_prompt_manifest("gone:latest")
    finally:
        backend.close()


def test_workspace_evaluators_are_tested_and_run_as_specs(openai_env, evaltui_home):
    from tests.cli_helpers import run_cli

    tested = run_cli("test", "--workspace", "Accuracy judge (workspace)", "--dataset", "Skills: Final Response",
                     "--limit", "3")
    assert tested.code == 0, tested.err
    assert "Testing 'Accuracy judge (workspace)'" in tested.out
    assert "OK: known-good pairs score higher than known-bad pairs (1.00 vs 0.00)" in tested.out
    assert len(openai_env.chat_requests()) == 6  # 3 good + 3 bad pairs, each graded by the hub prompt
    code = run_cli("test", "--workspace", "Exact match (workspace)", "--dataset", "Skills: Final Response",
                   "--limit", "3")
    assert code.code == 0 and "OK: known-good" in code.out, code.err
    missing = run_cli("test", "--workspace", "Accuracy judge", "--dataset", "Skills: Final Response")
    assert missing.code == 1 and "Did you mean: 'Accuracy judge (workspace)'" in missing.err
    run = run_cli("run", "--dataset", "Skills: Final Response", "--target", "demo", "--limit", "4", "--json",
                  "--evaluators", "workspace:Accuracy judge (workspace),workspace:Exact match (workspace)")
    assert run.code == 0, run.err
    import json

    doc = json.loads(run.out)
    assert set(doc["summary"]) >= {"accuracy", "exact_match"} and doc["evaluator_errors"] == 0
