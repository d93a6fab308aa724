"""Judge calls are cached on disk through LangChain's cache interface (issue 13)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import run_cli

JUDGE = '''\
from typing import Annotated, TypedDict

from langchain_openai import ChatOpenAI


class Grade(TypedDict):
    """A grade."""
    reasoning: Annotated[str, ..., "Why"]
    is_accurate: Annotated[bool, ..., "True if accurate"]


judge = ChatOpenAI(model="MODEL", temperature=0).with_structured_output(Grade, method="json_schema", strict=True)


async def judged(run, example):
    expected = example["outputs"].get("expected_response", "")
    answer = run["outputs"].get("response", "")
    grade = await judge.ainvoke([{"role": "user", "content": f"PROMPT {expected} / {answer}"}])
    return {"accurate": int(grade["is_accurate"])}
'''


def _file(tmp_path: Path, model="gpt-4o-mini", prompt="Grade:", field="Why", name="cached_judge") -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(JUDGE.replace("MODEL", model).replace("PROMPT", prompt).replace('"Why"', f'"{field}"'),
                    encoding="utf-8")
    return path


def _run(path: Path, *extra: str):
    r = run_cli("run", "--dataset", "Skills: Final Response", "--target", "demo", "--limit", "4",
                "--evaluators", f"{path}:judged", "--json", *extra)
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_a_rerun_makes_no_judge_call_and_changes_miss(openai_env, evaltui_home, tmp_path):
    path = _file(tmp_path)
    first = _run(path)
    calls = len(openai_env.chat_requests())
    assert calls == 4 and first["judge_cache"] == {"hits": 0, "misses": 4}
    second = _run(path)
    assert len(openai_env.chat_requests()) == calls  # zero HTTP calls
    assert second["judge_cache"] == {"hits": 4, "misses": 0}
    assert second["summary"]["accurate"] == first["summary"]["accurate"]
    for changed in (_file(tmp_path, prompt="Grade strictly:", name="prompt_changed"),
                    _file(tmp_path, model="gpt-4.1-mini", name="model_changed"),
                    _file(tmp_path, field="Explain why", name="schema_changed")):
        doc = _run(changed)
        assert doc["judge_cache"]["misses"] == 4, changed.read_text()[:80]
    before = len(openai_env.chat_requests())
    _run(path, "--no-cache")
    assert len(openai_env.chat_requests()) == before + 4


def test_errors_are_never_cached(openai_env, evaltui_home, tmp_path):
    path = _file(tmp_path)
    openai_env.mode = "broken_json"
    failed = _run(path, "--allow-errors")
    assert failed["evaluator_errors"] == 4
    openai_env.mode = "ok"
    doc = _run(path)
    assert doc["judge_cache"]["hits"] == 0 and doc["evaluator_errors"] == 0, doc["first_errors"]


def test_cache_info_and_clear(openai_env, evaltui_home, tmp_path):
    _run(_file(tmp_path))
    info = run_cli("cache", "info")
    assert info.code == 0 and "4 calls" in info.out
    assert run_cli("cache", "clear").code == 1  # asks; no stdin = No
    cleared = run_cli("cache", "clear", "--yes")
    assert cleared.code == 0 and "Cleared 4" in cleared.out
    assert "0 calls" in run_cli("cache", "info").out


# -- judges evaltui builds (get_judge: the library's judges, LLMJudge, LLM rules): parsed grades --

def _library(*extra: str):
    r = run_cli("run", "--dataset", "Skills: Final Response", "--target", "demo", "--limit", "4",
                "--evaluators", "evaluators:accuracy_evaluator,evaluators:accuracy_judge", "--json", *extra)
    assert r.code == 0, r.err
    return json.loads(r.out)


def test_library_judges_rerun_from_stored_grades(openai_env, evaltui_home, monkeypatch):
    first = _library()
    calls = len(openai_env.chat_requests())
    assert calls == 8 and first["judge_cache"] == {"hits": 0, "misses": 8}  # one tier counts each call
    second = _library()
    assert len(openai_env.chat_requests()) == calls
    assert second["judge_cache"] == {"hits": 8, "misses": 0}
    assert second["summary"] == first["summary"]
    info = run_cli("cache", "info")
    assert info.code == 0 and "8 calls" in info.out  # grades only: LangChain's tier stored nothing
    monkeypatch.setenv("EVALTUI_JUDGE_MODEL", "gpt-4.1-mini")  # the model is part of the key
    assert _library()["judge_cache"] == {"hits": 4, "misses": 4}  # accuracy_judge names its own model
    assert len(openai_env.chat_requests()) == calls + 4


def test_library_judge_errors_are_never_stored(openai_env, evaltui_home):
    openai_env.mode = "broken_json"
    assert _library("--allow-errors")["evaluator_errors"] == 12  # accuracy_judge scores two fields: 4 + 4 x 2
    openai_env.mode = "ok"
    doc = _library()
    assert doc["judge_cache"] == {"hits": 0, "misses": 8} and doc["evaluator_errors"] == 0
