"""`n` / new evaluator templates: each file lists, loads and scores as its shape says (issue 11)."""

from __future__ import annotations

import os
import stat

import pytest

from tui.backend.core.errors import InvalidInput
from tui.backend.source.discovery import find_evaluators
from tui.backend.source.loader import load_evaluator
from tui.backend.source.templates import TEMPLATES, write_new_evaluator

RUN = {"inputs": {"query": "q"}, "outputs": {"response": "It is Paris."}}
EXAMPLE = {"inputs": {"query": "q"}, "outputs": {"expected_response": "Paris"}}


@pytest.mark.parametrize("template, kind", [("method1", "Method 1"), ("method2", "Method 2"),
                                            ("judge", "async judge")])
def test_each_template_is_the_evaluator_it_says(tmp_path, template, kind):
    path = write_new_evaluator(tmp_path, f"my_{template}", template)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    (found,), problems = find_evaluators(tmp_path)
    assert problems == [] and found[1].name == f"my_{template}" and found[1].kind == kind
    if template != "judge":  # the judge needs OPENAI_API_KEY to score; its shape is checked above
        from evaluators import normalize

        fn = load_evaluator(path, f"my_{template}").fn
        (result,) = normalize(fn).score_sync(RUN, EXAMPLE)
        assert result["key"] == f"my_{template}" and result["score"] == 1


def test_the_judge_template_uploads_as_an_llm_rule(tmp_path):
    from tui.backend.rules.judge_rule import judge_rule_for
    from tui.backend.source.parse import parse_evaluator_file

    path = write_new_evaluator(tmp_path, "accurate", "judge")
    rule = judge_rule_for(parse_evaluator_file(path), "accurate")
    assert rule is not None  # an LLM-as-judge rule, not a code rule
    structured = rule.structured()["structured"]
    assert structured["variable_mapping"] == {"expected": "reference_outputs.expected_response",
                                              "answer": "outputs.response"}


def test_bad_names_and_existing_files_are_refused_and_nothing_is_written(tmp_path):
    with pytest.raises(InvalidInput, match="not a Python function name"):
        write_new_evaluator(tmp_path, "my evaluator", "method1")
    with pytest.raises(InvalidInput, match="not a Python function name"):
        write_new_evaluator(tmp_path, "class", "method1")
    path = write_new_evaluator(tmp_path, "mine", "method2")
    before = path.read_text()
    with pytest.raises(InvalidInput, match="already exists"):
        write_new_evaluator(tmp_path, "mine", "method1")
    assert path.read_text() == before and sorted(p.name for p in tmp_path.iterdir()) == ["mine.py"]
    assert set(TEMPLATES) == {"method1", "method2", "judge"}
