"""#11: without OPENAI_API_KEY the sample judge and the library's say why, in the same words, and
the start form knows which choices need the key."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

import evaluators
from evaluators.judges import JudgeUnavailable, get_judge
from tui.backend import workspace
from tui.backend.runs.choices import EvaluatorChoice, judge_key_note

SAMPLE_JUDGES = Path(workspace.__file__).with_name("samples") / "llm_judges.py"
EXAMPLE = {"outputs": {"expected_response": "Paris"}}


def _sample():
    spec = importlib.util.spec_from_file_location("sample_llm_judges", SAMPLE_JUDGES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_sample_judge_without_key_is_as_clear_as_the_library(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(JudgeUnavailable) as library:
        get_judge(evaluators.judges.AccuracyGrade)
    with pytest.raises(RuntimeError) as sample:
        asyncio.run(_sample().accuracy_evaluator(EXAMPLE, EXAMPLE))
    assert str(sample.value) == str(library.value)
    assert str(sample.value).startswith("OPENAI_API_KEY is not set")


def test_picker_label_names_the_missing_key_for_judges_only():
    judge = EvaluatorChoice("evaluators:accuracy_evaluator", "library: accuracy_evaluator  [LLM judge]",
                            is_judge=True)
    exact = EvaluatorChoice("evaluators:exact_match_evaluator", "library: exact_match_evaluator  [exact match]")
    assert judge.picker_label(True) == "library: accuracy_evaluator  [LLM judge] — needs OPENAI_API_KEY"
    assert judge.picker_label(False) == judge.label
    assert exact.picker_label(True) == exact.label


def test_key_note_only_when_judges_are_offered_without_the_key(monkeypatch):
    judge = EvaluatorChoice("a:b", "b", is_judge=True)
    exact = EvaluatorChoice("a:c", "c")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert "OPENAI_API_KEY" in judge_key_note([exact, judge])
    assert judge_key_note([exact]) == ""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-x")
    assert judge_key_note([exact, judge]) == ""
