"""LLM-as-judge functions upload as LLM-as-judge rules and LLM rules run locally (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evaluators.llm_judge import rule_judge
from tests.cli_helpers import run_cli
from tui.backend.core.errors import InvalidInput
from tui.backend.rules.judge_rule import read_judge

SAMPLES = Path(__file__).resolve().parents[2] / "tui" / "backend" / "workspace" / "samples"

SEED_JUDGE = '''\
from typing import Annotated, TypedDict

from langchain_openai import ChatOpenAI


class AccuracyGrade(TypedDict):
    """Structured evaluation output."""
    reasoning: Annotated[str, ..., "Explain your reasoning"]
    is_accurate: Annotated[bool, ..., "True if response is accurate"]
    confidence: Annotated[float, ..., "Confidence 0.0-1.0"]


judge = ChatOpenAI(model="gpt-4o-mini", temperature=0, api_key="sk-must-never-leave").with_structured_output(
    AccuracyGrade, method="json_schema", strict=True
)


async def accuracy_evaluator(run, example):
    """Evaluate factual accuracy for LangSmith upload."""
    expected = example["outputs"].get('expected_response', '')
    agent_output = run["outputs"].get('expected_response', '')
    prompt = f"""Expected: {expected}
Agent Output: {agent_output}
Evaluate accuracy:"""
    grade = await judge.ainvoke([{"role": "user", "content": prompt}])
    return {
        "accuracy": 1 if grade["is_accurate"] else 0,
        "comment": f"{grade['reasoning']} (confidence: {grade['confidence']})"
    }


def helper_prompt(run):
    return "x"


async def opaque(run, example):
    grade = await judge.ainvoke([{"role": "user", "content": helper_prompt(run)}])
    return {"accuracy": int(grade["is_accurate"])}


async def computed(run, example):
    text = str(run["outputs"]).upper()
    grade = await judge.ainvoke([{"role": "user", "content": f"Grade {text}"}])
    return {"accuracy": int(grade["is_accurate"])}
'''

EXPECTED_STRUCTURED = {
    "prompt": [["user", "Expected: {expected}\nAgent Output: {agent_output}\nEvaluate accuracy:"]],
    "schema": {
        "name": "AccuracyGrade",
        "description": "Structured evaluation output.",
        "parameters": {
            "title": "AccuracyGrade",
            "description": "Structured evaluation output.",
            "type": "object",
            "properties": {
                "reasoning": {"description": "Explain your reasoning", "type": "string"},
                "is_accurate": {"description": "True if response is accurate", "type": "boolean"},
                "confidence": {"description": "Confidence 0.0-1.0", "type": "number"},
            },
            "required": ["reasoning", "is_accurate", "confidence"],
        },
        "strict": True,
    },
    "model": {
        "lc": 1, "type": "constructor", "id": ["langchain", "chat_models", "openai", "ChatOpenAI"],
        "kwargs": {"model_name": "gpt-4o-mini", "temperature": 0.0,
                   "openai_api_key": {"lc": 1, "type": "secret", "id": ["OPENAI_API_KEY"]},
                   "stream_usage": True},
        "name": "ChatOpenAI",
    },
    "variable_mapping": {"expected": "reference_outputs.expected_response",
                         "agent_output": "outputs.expected_response"},
    "template_format": "f-string",
}


@pytest.fixture
def judge_file(tmp_path: Path) -> Path:
    path = tmp_path / "judges.py"
    path.write_text(SEED_JUDGE, encoding="utf-8")
    return path


def test_the_seed_judge_reads_as_an_llm_rule(judge_file):
    judge = read_judge(judge_file, "accuracy_evaluator")
    assert judge.structured() == {"structured": EXPECTED_STRUCTURED}
    assert "sk-must-never-leave" not in json.dumps(judge.structured())
    assert judge.feedback_keys == ["is_accurate", "confidence"]
    assert any("own return" in w and "accuracy" in w for w in judge.warnings)


@pytest.mark.parametrize("function, says", [
    ("opaque", "helper_prompt(run)"),
    ("computed", "computed by Python"),
])
def test_what_an_llm_rule_cannot_carry_is_refused_with_what_to_change(judge_file, function, says):
    with pytest.raises(InvalidInput, match=r"cannot run") as info:
        read_judge(judge_file, function)
    assert says in str(info.value)


def test_the_sample_judge_with_a_model_from_the_environment_says_so(monkeypatch):
    monkeypatch.setenv("EVALTUI_JUDGE_MODEL", "gpt-4.1-mini")
    judge = read_judge(SAMPLES / "llm_judges.py", "accuracy_evaluator")
    assert judge.model["kwargs"]["model_name"] == "gpt-4.1-mini"
    assert any("EVALTUI_JUDGE_MODEL" in w for w in judge.warnings)


def test_upload_sends_the_exact_llm_rule_body_and_replace_diffs_it(langsmith_env, evaltui_home, judge_file):
    fake = langsmith_env
    ds = fake.seed_dataset("Skills: Final Response", [({"query": "q"}, {"expected_response": "a"})])
    r = run_cli("upload", str(judge_file), "--name", "Accuracy", "--function", "accuracy_evaluator",
                "--dataset", "Skills: Final Response", "--yes")
    assert r.code == 0, r.err
    (post,) = [q for q in fake.requests if q.method == "POST" and q.path == "/runs/rules"]
    assert post.json == {"display_name": "Accuracy", "sampling_rate": 1.0, "is_enabled": True,
                         "evaluators": [{"structured": EXPECTED_STRUCTURED}], "dataset_id": ds["id"]}
    assert "variables: {expected} <- reference_outputs.expected_response" in r.out
    assert "sk-must-never-leave" not in r.text
    listing = run_cli("list")
    assert listing.out.splitlines()[2].rstrip().endswith("LLM judge")
    judge_file.write_text(SEED_JUDGE.replace("Evaluate accuracy:", "Grade the accuracy:"), encoding="utf-8")
    r = run_cli("upload", str(judge_file), "--name", "Accuracy", "--function", "accuracy_evaluator",
                "--replace", "--yes")
    assert r.code == 0, r.err
    assert '-      "user",' not in r.out and "Grade the accuracy:" in r.out and "Evaluate accuracy:" in r.out
    (rule,) = fake.rules.values()
    assert rule["evaluators"][0]["structured"]["prompt"][0][1].endswith("Grade the accuracy:")
    assert rule["code_evaluators"] in (None, [])
    # A Python function onto the LLM rule's name is refused: it would turn the rule into code.
    code_file = judge_file.with_name("code.py")
    code_file.write_text("def exact(run, example):\n    return {'exact': 1}\n", encoding="utf-8")
    r = run_cli("upload", str(code_file), "--name", "Accuracy", "--function", "exact", "--replace", "--yes")
    assert r.code == 2 and "not a Python code rule" in r.err


def test_upload_asks_before_dropping_the_functions_own_scoring(langsmith_env, evaltui_home, judge_file):
    langsmith_env.seed_dataset("D", [({"query": "q"}, {"expected_response": "a"})])
    r = run_cli("upload", str(judge_file), "--name", "Accuracy", "--function", "accuracy_evaluator",
                "--dataset", "D")  # no stdin: No
    assert r.code == 1 and "as an LLM-as-judge rule with the differences above? [y/N]" in r.out
    assert not langsmith_env.rules


async def test_an_llm_rule_runs_locally_through_chatopenai_like_the_original(openai_env, judge_file):
    """The rule and the function it came from get the same grade from the same fake replies."""
    openai_env.verdict = True
    judge = read_judge(judge_file, "accuracy_evaluator").structured()["structured"]
    run = {"inputs": {"query": "q"}, "outputs": {"expected_response": "Paris"}}
    example = {"inputs": {"query": "q"}, "outputs": {"expected_response": "Paris"}}
    raw = await rule_judge(judge)(run, example)
    by_key = {r["key"]: r["score"] for r in raw["results"]}
    assert by_key["is_accurate"] is True and isinstance(by_key["confidence"], float)
    (request,) = openai_env.chat_requests()[-1:]
    assert request["messages"][-1]["content"] == "Expected: Paris\nAgent Output: Paris\nEvaluate accuracy:"
    assert request["response_format"]["type"] == "json_schema" and request["model"] == "gpt-4o-mini"
    # The function it came from, on the same fake reply, grades the same way.
    namespace: dict = {}
    exec(compile(judge_file.read_text(), str(judge_file), "exec", dont_inherit=True), namespace)
    original = await namespace["accuracy_evaluator"](run, example)
    assert original["accuracy"] == int(by_key["is_accurate"])


def test_local_llm_rules_score_new_experiments_of_their_dataset(openai_env, evaltui_home, judge_file):
    r = run_cli("upload", str(judge_file), "--name", "Accuracy", "--function", "accuracy_evaluator",
                "--dataset", "Skills: Final Response", "--yes")
    assert r.code == 0, r.err
    r = run_cli("run", "--dataset", "Skills: Final Response", "--target", "demo", "--limit", "3",
                "--evaluators", "evaluators:exact_match", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["rules"] == ["Accuracy"]
    assert doc["summary"]["is_accurate"]["n"] == 3 and doc["summary"]["is_accurate"]["errors"] == 0


DECLARED = '''\
from typing import Annotated, TypedDict

from evaluators import LLMJudge


class Grade(TypedDict):
    """A grade."""
    reasoning: Annotated[str, ..., "Why"]
    is_accurate: Annotated[bool, ..., "True if accurate"]


accuracy = LLMJudge(
    prompt=[("system", "You grade answers."), ("user", "Expected: {expected}\\nAnswer: {answer}")],
    variables={"expected": "reference_outputs.expected_response", "answer": "outputs.expected_response"},
    schema=Grade,
    model="gpt-4o-mini",
)
'''


def test_a_declared_judge_uploads_as_it_is_and_runs_locally_the_same_way(langsmith_env, evaltui_home, tmp_path):
    path = tmp_path / "declared.py"
    path.write_text(DECLARED, encoding="utf-8")
    ds = langsmith_env.seed_dataset("D", [({"query": "q"}, {"expected_response": "a"})])
    r = run_cli("upload", str(path), "--name", "Declared", "--function", "accuracy", "--dataset", "D")
    assert r.code == 0, r.err  # nothing to confirm: nothing is lost in translation
    (post,) = [q for q in langsmith_env.requests if q.method == "POST" and q.path == "/runs/rules"]
    structured = post.json["evaluators"][0]["structured"]
    assert structured["prompt"] == [["system", "You grade answers."], ["user", "Expected: {expected}\nAnswer: {answer}"]]
    assert structured["variable_mapping"]["answer"] == "outputs.expected_response"
    assert structured["schema"]["parameters"]["properties"]["is_accurate"]["type"] == "boolean"
    assert post.json["dataset_id"] == ds["id"]


@pytest.mark.parametrize("kwargs, says", [
    ({"prompt": [("user", "Grade {answer} vs {expected}")], "variables": {"answer": "outputs.a"}},
     "{expected}, which the variable mapping does not say"),
    ({"prompt": [("user", "{a}")], "variables": {"a": "run.a"}}, "must map to inputs.<k>"),
    ({"prompt": [("user", "{a}")], "variables": {"a": "outputs.a"}, "model": ""}, "OpenAI-compatible chat model"),
])
def test_bad_declared_judges_say_what_is_wrong(kwargs, says):
    from evaluators import LLMJudge

    with pytest.raises(ValueError, match=None) as info:
        LLMJudge(schema={"type": "object", "properties": {"ok": {"type": "boolean"}}}, **kwargs)
    assert says in str(info.value)


def test_a_schema_that_is_not_a_typeddict_is_refused():
    from evaluators import LLMJudge

    judge = LLMJudge(prompt=[("user", "{a}")], variables={"a": "outputs.a"}, schema=int)
    with pytest.raises(ValueError, match="TypedDict"):
        judge.structured()


async def test_a_judge_reply_that_is_not_json_is_an_error_result_not_a_crash(openai_env):
    from evaluators import accuracy_judge, normalize

    openai_env.mode = "broken_json"
    results = await normalize(accuracy_judge, name="accuracy_judge")(
        {"inputs": {"query": "q"}, "outputs": {"expected_response": "a"}}, {"outputs": {"expected_response": "a"}})
    assert results[0]["score"] is None and "accuracy_judge" in results[0]["comment"]


def test_a_langsmith_llm_rule_runs_on_any_dataset_before_it_is_enabled(langsmith_env, openai_env, evaltui_home,
                                                                        judge_file, monkeypatch):
    monkeypatch.setenv("EVALTUI_UPLOAD_WAIT", "5")
    fake = langsmith_env
    other = fake.seed_dataset("Other", [({"query": f"q{i}"}, {"expected_response": f"a{i}"}) for i in range(3)])
    fake.seed_dataset("Bound", [({"query": "q"}, {"expected_response": "a"})])
    fake.seed_rule("Remote judge", evaluators=[{"structured": EXPECTED_STRUCTURED}], dataset_id=other["id"],
                   is_enabled=False)
    r = run_cli("run", "--dataset", "Other", "--target", "demo", "--evaluators", "rule:Remote judge", "--json")
    assert r.code == 0, r.err
    doc = json.loads(r.out)
    assert doc["summary"]["is_accurate"]["n"] == 3 and doc["summary"]["is_accurate"]["errors"] == 0
    assert len(openai_env.chat_requests()) == 3
    hook = fake.seed_rule("Hook", None, dataset_id=other["id"], webhooks=[{"url": "https://h.example.com"}])
    r = run_cli("run", "--dataset", "Other", "--target", "demo", "--evaluators", "rule:Hook")
    assert r.code == 2 and "actions only" in r.err and hook


def test_evaltui_test_runs_an_llm_rule_on_good_and_bad_pairs(openai_env, evaltui_home, judge_file):
    r = run_cli("upload", str(judge_file), "--name", "Accuracy", "--function", "accuracy_evaluator",
                "--dataset", "Skills: Final Response", "--yes")
    assert r.code == 0, r.err
    r = run_cli("test", "--rule", "Accuracy", "--dataset", "Skills: Final Response", "--limit", "3")
    assert "Testing 'Accuracy' on 'Skills: Final Response'" in r.out, r.err
    assert len(openai_env.chat_requests()) == 6  # a good and a bad pair for each of 3 examples
    assert run_cli("test", "--dataset", "Skills: Final Response").code == 2
