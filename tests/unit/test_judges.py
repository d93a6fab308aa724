"""LLM-as-judge evaluators through the real ChatOpenAI against the fake OpenAI server."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

import pytest

from evaluators import (
    accuracy_evaluator,
    completeness_evaluator,
    helpfulness_evaluator,
    normalize,
)
from evaluators.judges import AccuracyGrade, JudgeUnavailable, get_judge

EXAMPLE = {"inputs": {"query": "What is the capital of France?"}, "outputs": {"expected_response": "Paris"}}
GOOD = {"inputs": EXAMPLE["inputs"], "outputs": {"expected_response": "The capital of France is Paris."}}
BAD = {"inputs": EXAMPLE["inputs"], "outputs": {"expected_response": "It is Lyon."}}


def test_importing_needs_no_key_and_no_langchain_openai():
    code = ("import os, sys; os.environ.pop('OPENAI_API_KEY', None); import evaluators; "
            "assert 'langchain_openai' not in sys.modules and 'textual' not in sys.modules, sys.modules.keys(); "
            "assert 'openai' not in sys.modules and 'langsmith' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


async def test_request_sent_to_the_fake(openai_env, monkeypatch):
    monkeypatch.setenv("EVALTUI_JUDGE_MODEL", "gpt-judge-test")
    result = await accuracy_evaluator(GOOD, EXAMPLE)
    assert result == {"accuracy": 1, "comment": "The answer matches the expected answer. (confidence: 0.9)"}
    [request] = openai_env.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-fake-test-key-0000"
    body = request.body
    assert body["model"] == "gpt-judge-test" and body["temperature"] == 0
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    assert fmt["json_schema"]["name"] == "AccuracyGrade"
    assert set(fmt["json_schema"]["schema"]["properties"]) == {"reasoning", "is_accurate", "confidence"}
    prompt = body["messages"][-1]["content"]
    assert "The capital of France is Paris." in prompt and "Paris" in prompt and "capital of France?" in prompt


async def test_good_and_bad_answers_are_graded_differently(openai_env):
    assert (await accuracy_evaluator(GOOD, EXAMPLE))["accuracy"] == 1
    assert (await accuracy_evaluator(BAD, EXAMPLE))["accuracy"] == 0
    good, bad = await completeness_evaluator(GOOD, EXAMPLE), await completeness_evaluator(BAD, EXAMPLE)
    assert (good["completeness"], bad["completeness"]) == (1, 0) and "Missing:" in bad["comment"]
    good, bad = await helpfulness_evaluator(GOOD, EXAMPLE), await helpfulness_evaluator(BAD, EXAMPLE)
    assert (good["helpfulness"], bad["helpfulness"]) == (1.0, 0.0) and "rating: 5/5" in good["comment"]
    names = [r.body["response_format"]["json_schema"]["name"] for r in openai_env.requests]
    assert names == ["AccuracyGrade"] * 2 + ["CompletenessGrade"] * 2 + ["HelpfulnessGrade"] * 2


async def test_responder_controls_the_verdict(openai_env):
    openai_env.responder = lambda request: {"reasoning": "custom", "is_accurate": False, "confidence": 0.3}
    assert await normalize(accuracy_evaluator)(GOOD, EXAMPLE) == [
        {"key": "accuracy", "score": 0, "comment": "custom (confidence: 0.3)"}]


@pytest.mark.parametrize(
    ("mode", "shown"),
    [
        ("broken_json", "is_accurate"),
        ("refusal", "I'm sorry"),
        ("rate_limit", "429"),
        ("server_error", "500"),
    ],
)
async def test_faults_become_error_results(openai_env, mode, shown):
    openai_env.mode = mode
    start = time.perf_counter()
    [result] = await normalize(accuracy_evaluator)(GOOD, EXAMPLE)
    assert time.perf_counter() - start < 2
    assert result["score"] is None and result["key"] == "accuracy_evaluator"
    assert "'accuracy_evaluator' raised" in result["error"] and shown in result["error"]
    assert "sk-fake-test-key" not in result["error"]


async def test_rate_limit_is_retried_then_succeeds(openai_env):
    openai_env.fail_next("rate_limit", times=2)
    assert (await accuracy_evaluator(GOOD, EXAMPLE))["accuracy"] == 1
    assert len(openai_env.requests) == 3


async def test_max_retries_is_configurable(openai_env, monkeypatch):
    monkeypatch.setenv("EVALTUI_JUDGE_MAX_RETRIES", "0")
    openai_env.mode = "rate_limit"
    [result] = await normalize(accuracy_evaluator)(GOOD, EXAMPLE)
    assert result["score"] is None and len(openai_env.requests) == 1


async def test_judge_calls_run_concurrently(openai_env):
    await accuracy_evaluator(GOOD, EXAMPLE)  # warm up: model creation and first connection
    openai_env.delay = 0.1
    judge = normalize(accuracy_evaluator)
    start = time.perf_counter()
    results = await asyncio.gather(*(judge(GOOD, EXAMPLE) for _ in range(8)))
    elapsed = time.perf_counter() - start
    assert [r[0]["score"] for r in results] == [1] * 8
    # Sequential would take >= 0.8 s; in parallel it is about one delay plus overhead.
    assert elapsed < 0.4, f"8 parallel calls with a 0.1 s delay took {elapsed:.2f} s"


async def test_missing_key_is_an_error_result(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    [result] = await normalize(accuracy_evaluator)(GOOD, EXAMPLE)
    assert result["score"] is None and "OPENAI_API_KEY is not set" in result["error"]
    with pytest.raises(JudgeUnavailable):
        get_judge(AccuracyGrade)


async def test_bad_retry_setting_is_reported(openai_env, monkeypatch):
    monkeypatch.setenv("EVALTUI_JUDGE_MAX_RETRIES", "lots")
    [result] = await normalize(accuracy_evaluator)(GOOD, EXAMPLE)
    assert "EVALTUI_JUDGE_MAX_RETRIES must be a number" in result["error"]


def test_judge_works_across_event_loops(openai_env):
    judge = normalize(accuracy_evaluator)
    for _ in range(3):  # each asyncio.run has its own loop; the HTTP client must not be shared
        assert asyncio.run(judge(GOOD, EXAMPLE))[0]["score"] == 1
    assert judge.score_sync(BAD, EXAMPLE)[0]["score"] == 0


def test_model_is_cached_per_settings(openai_env, monkeypatch):
    async def both():
        first, again = get_judge(AccuracyGrade), get_judge(AccuracyGrade)
        monkeypatch.setenv("EVALTUI_JUDGE_MODEL", "other-model")
        return first, again, get_judge(AccuracyGrade)

    first, again, other = asyncio.run(both())
    assert first is again and other is not first


def test_http_clients_are_closed_when_their_loop_shuts_down(openai_env):
    """Each loop's judge clients (aiohttp sessions) are closed by asyncio.run's shutdown, not leaked."""
    code = """if True:
        import asyncio, gc
        from evaluators import accuracy_evaluator, clear_judge_cache
        from evaluators import judges
        GOOD = {"outputs": {"expected_response": "Paris"}}
        EXAMPLE = {"inputs": {"query": "capital?"}, "outputs": {"expected_response": "Paris"}}
        async def twice():
            first = await accuracy_evaluator(GOOD, EXAMPLE)
            clear_judge_cache()  # a new judge and client; the old client still closes at shutdown
            second = await accuracy_evaluator(GOOD, EXAMPLE)
            clients = list(judges._loops[asyncio.get_running_loop()].clients)
            return first, second, clients
        for _ in range(2):
            first, second, clients = asyncio.run(twice())
            assert first["accuracy"] == second["accuracy"] == 1
            assert len(clients) == 2 and all(c.is_closed for c in clients), clients
            print(type(clients[0]).__name__)
        gc.collect()
    """
    done = subprocess.run([sys.executable, "-X", "dev", "-W", "error::ResourceWarning", "-c", code],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Unclosed" not in done.stderr and "Error" not in done.stderr, done.stderr
    assert done.stdout.split() == ["_InstalledAioHttpClient"] * 2
