"""evaluators.normalize: signatures, return shapes, errors, timeouts, speed and the LangSmith adapter."""

from __future__ import annotations

import asyncio
import math
import time
import uuid

import pytest

from evaluators import (
    MAX_COMMENT_CHARS,
    exact_match,
    exact_match_evaluator,
    normalize,
    normalize_result,
    signature_of,
)

RUN = {"inputs": {"query": "q"}, "outputs": {"expected_response": "Paris"}}
EXAMPLE = {"inputs": {"query": "q"}, "outputs": {"expected_response": " paris "}}


# --------------------------------------------------------------------------- signatures


def m1(inputs, outputs, reference_outputs=None):
    return {"key": "m1", "score": 1, "comment": "ok"}


def m2(run, example):
    return {"m2": 0.5, "comment": "half"}


async def am1(inputs, outputs, reference_outputs):
    return {"key": "am1", "score": True}


async def am2(run, example):
    return {"am2": 1}


@pytest.mark.parametrize(
    ("fn", "expected"),
    [
        (m1, "method1"),
        (m2, "method2"),
        (am1, "method1"),
        (am2, "method2"),
        (lambda outputs, reference_outputs: 1, "method1"),
        (lambda r, e: 1, "method2"),
        (lambda run, example, extra=None: 1, "method2"),
    ],
)
def test_signature_of(fn, expected):
    assert signature_of(fn) == expected


@pytest.mark.parametrize("fn", [lambda: 1, lambda x: 1, lambda a, b, c: 1, 42])
def test_signature_of_rejects_other_shapes(fn):
    with pytest.raises(TypeError, match="Method 1|not callable"):
        signature_of(fn)


def test_normalized_attributes():
    ne = normalize(am2, name="judge")
    assert (ne.name, ne.signature, ne.is_async, ne.fn) == ("judge", "method2", True, am2)
    assert normalize(m1).name == "m1" and not normalize(m1).is_async


# --------------------------------------------------------------------------- calling


async def test_method1_gets_inputs_outputs_and_reference():
    seen = {}

    def spy(inputs, outputs, reference_outputs):
        seen.update(inputs=inputs, outputs=outputs, reference_outputs=reference_outputs)
        return {"key": "spy", "score": 1}

    await normalize(spy)(RUN, EXAMPLE)
    assert seen == {"inputs": EXAMPLE["inputs"], "outputs": RUN["outputs"], "reference_outputs": EXAMPLE["outputs"]}


async def test_method2_seed_shape_becomes_metric_key():
    assert await normalize(exact_match_evaluator)(RUN, EXAMPLE) == [
        {"key": "exact_match", "score": 1, "comment": "Match: True"}]


async def test_missing_sections_are_empty_dicts_not_none():
    assert await normalize(exact_match_evaluator)({"outputs": None}, {}) == [
        {"key": "exact_match", "score": 1, "comment": "Match: True"}]
    assert (await normalize(exact_match)({}, {"outputs": None}))[0]["key"] == "exact_match"


def test_score_sync_for_sync_and_async():
    assert normalize(m2).score_sync(RUN, EXAMPLE) == [{"key": "m2", "score": 0.5, "comment": "half"}]
    assert normalize(am1).score_sync(RUN, EXAMPLE) == [{"key": "am1", "score": True, "comment": None}]


async def test_score_sync_inside_a_running_loop():
    assert normalize(am2).score_sync(RUN, EXAMPLE) == [{"key": "am2", "score": 1, "comment": None}]


# --------------------------------------------------------------------------- result shapes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"key": "k", "score": 0.25, "comment": "c"}, [{"key": "k", "score": 0.25, "comment": "c"}]),
        ({"key": "k", "score": True}, [{"key": "k", "score": True, "comment": None}]),
        ({"exact_match": False, "comment": "no"}, [{"key": "exact_match", "score": False, "comment": "no"}]),
        ({"score": 3}, [{"key": "ev", "score": 3, "comment": None}]),
        (1, [{"key": "ev", "score": 1, "comment": None}]),
        (False, [{"key": "ev", "score": False, "comment": None}]),
        ({"a": 1, "b": 0, "comment": "two"}, [{"key": "a", "score": 1, "comment": "two"},
                                               {"key": "b", "score": 0, "comment": "two"}]),
        ({"results": [{"key": "x", "score": 1}, {"y": 0.5, "comment": "m2"}]},
         [{"key": "x", "score": 1, "comment": None}, {"key": "y", "score": 0.5, "comment": "m2"}]),
    ],
)
def test_normalize_result_accepts(value, expected):
    assert normalize_result(value, "ev") == expected


def test_bool_is_kept_as_bool():
    [result] = normalize_result({"key": "k", "score": True}, "ev")
    assert result["score"] is True


def test_evaluation_result_object_is_accepted():
    from langsmith.evaluation import EvaluationResult

    assert normalize_result(EvaluationResult(key="k", score=0.5, comment="c"), "ev") == [
        {"key": "k", "score": 0.5, "comment": "c"}]
    assert normalize_result({"results": [EvaluationResult(key="k", score=1)]}, "ev")[0]["score"] == 1


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (None, "None"),
        ("great", "'great'"),
        ([1, 2], "[1, 2]"),
        ({"comment": "no score"}, "no numeric or bool score"),
        ({"key": "k", "comment": "x"}, "no 'score'"),
        ({"key": "k", "score": math.nan}, "nan"),
        ({"acc": math.inf}, "inf"),
        ({"key": "k", "score": "high"}, "'high'"),
        ({"acc": "high", "comment": "x"}, "not a number or bool"),
        ({"key": "k", "score": None}, "score is None"),
        ({}, "empty dict"),
        ({"results": []}, "empty or non-list"),
        ({"key": "", "score": 1}, "a key of ''"),
    ],
)
async def test_bad_returns_become_error_results(value, shown):
    ne = normalize(lambda run, example: value, name="bad_eval")
    [result] = await ne(RUN, EXAMPLE)
    assert result["key"] == "bad_eval" and result["score"] is None
    assert result["error"] == result["comment"]
    assert "'bad_eval'" in result["error"] and shown in result["error"]


def test_huge_return_value_is_shown_truncated():
    [result] = normalize_result("x" * 50_000, "ev")
    assert len(result["error"]) < 500


def test_huge_comment_is_truncated():
    [result] = normalize_result({"key": "k", "score": 1, "comment": "y" * 50_000}, "ev")
    assert len(result["comment"]) < MAX_COMMENT_CHARS + 100 and "truncated" in result["comment"]


async def test_exception_becomes_error_result_with_type_and_message():
    def broken(run, example):
        raise KeyError("expected_response")

    [result] = await normalize(broken)(RUN, EXAMPLE)
    assert result["score"] is None
    assert result["error"] == "Evaluator 'broken' raised KeyError: 'expected_response'"
    assert normalize(broken).score_sync(RUN, EXAMPLE) == [result]


async def test_async_exception_becomes_error_result():
    async def broken(run, example):
        raise RuntimeError("judge down")

    [result] = await normalize(broken)(RUN, EXAMPLE)
    assert "RuntimeError: judge down" in result["error"]


async def test_printing_evaluator_still_scores(capsys):
    def chatty(run, example):
        print("debugging output " * 100)
        return {"chatty": 1}

    assert await normalize(chatty)(RUN, EXAMPLE) == [{"key": "chatty", "score": 1, "comment": None}]


# --------------------------------------------------------------------------- timeouts


async def test_sync_timeout():
    def hangs(run, example):
        time.sleep(5)

    start = time.perf_counter()
    [result] = await normalize(hangs, timeout=0.1)(RUN, EXAMPLE)
    assert time.perf_counter() - start < 1
    assert result["error"] == "Evaluator 'hangs' timed out after 0.1s." and result["score"] is None


def test_sync_timeout_from_sync_code():
    def hangs(run, example):
        time.sleep(5)

    start = time.perf_counter()
    [result] = normalize(hangs, timeout=0.1).score_sync(RUN, EXAMPLE)
    assert time.perf_counter() - start < 1 and "timed out after 0.1s" in result["error"]


async def test_async_timeout():
    async def hangs(run, example):
        await asyncio.sleep(5)

    start = time.perf_counter()
    [result] = await normalize(hangs, timeout=0.1)(RUN, EXAMPLE)
    assert time.perf_counter() - start < 1 and "timed out after 0.1s" in result["error"]


async def test_timeout_not_hit_returns_scores():
    assert await normalize(m2, timeout=2)(RUN, EXAMPLE) == [{"key": "m2", "score": 0.5, "comment": "half"}]
    assert await normalize(am2, timeout=2)(RUN, EXAMPLE) == [{"key": "am2", "score": 1, "comment": None}]


async def test_sync_evaluator_without_timeout_runs_inline():
    import threading

    threads = []
    await normalize(lambda run, example: threads.append(threading.get_ident()) or 1)(RUN, EXAMPLE)
    assert threads == [threading.get_ident()]


async def test_thousand_examples_are_fast():
    ne = normalize(exact_match_evaluator)
    start = time.perf_counter()
    for _ in range(1000):
        await ne(RUN, EXAMPLE)
    assert time.perf_counter() - start < 0.5


# --------------------------------------------------------------------------- LangSmith aevaluate


def _offline_client():
    from langsmith import Client

    return Client(api_url="http://127.0.0.1:1", api_key="x", auto_batch_tracing=False)


def _examples():
    from langsmith.schemas import Example

    dataset_id = uuid.uuid4()
    return [Example(id=uuid.uuid4(), dataset_id=dataset_id, inputs={"query": f"q{i}"},
                    outputs={"expected_response": f"Answer {i}"}) for i in range(3)]


async def _target(inputs):
    return {"expected_response": "answer 0" if inputs["query"] == "q0" else "wrong"}


def _sdk(ne):
    """A normalized evaluator handed to `aevaluate` as evaltui's runner does (`sdk_glue.sdk_result`)."""
    from tui.backend.runs.sdk_glue import sdk_result

    async def evaluator(run, example):  # the SDK binds by these parameter names
        results = await ne({"inputs": run.inputs, "outputs": run.outputs or {}},
                           {"inputs": example.inputs, "outputs": example.outputs or {}})
        return {"results": [sdk_result(r) for r in results]}

    evaluator.__name__ = ne.name
    return evaluator


async def _rows(evaluators):
    from langsmith.evaluation import aevaluate

    results = await aevaluate(_target, data=_examples(), evaluators=evaluators, upload_results=False,
                              client=_offline_client())
    rows = [row async for row in results]
    rows.sort(key=lambda r: r["example"].inputs["query"])
    return [[(r.key, r.score, r.comment, r.extra) for r in row["evaluation_results"]["results"]] for row in rows]


@pytest.fixture
def no_tracing(monkeypatch):
    monkeypatch.setenv("LANGSMITH_TRACING", "false")


pytestmark = pytest.mark.filterwarnings("ignore:'upload_runs' parameter is in beta")


async def test_raw_seed_method2_is_rejected_by_the_sdk(no_tracing):
    rows = await _rows([exact_match_evaluator])
    for row in rows:
        assert all(score is None for _, score, _, _ in row)
        assert all(key != "exact_match" for key, *_ in row)


async def test_normalized_seed_method2_scores_in_aevaluate(no_tracing):
    rows = await _rows([_sdk(normalize(exact_match_evaluator))])
    assert rows == [
        [("exact_match", 1, "Match: True", None)],
        [("exact_match", 0, "Match: False", None)],
        [("exact_match", 0, "Match: False", None)],
    ]


async def test_raising_evaluator_gives_an_error_row_in_aevaluate(no_tracing):
    def boom(run, example):
        raise ValueError("kaboom")

    rows = await _rows([_sdk(normalize(boom)), _sdk(normalize(exact_match, timeout=5))])
    message = "Evaluator 'boom' raised ValueError: kaboom"
    for row in rows:
        assert row[0] == ("boom", None, message, {"error": True, "error_message": message})
        assert row[1][0] == "exact_match" and row[1][1] in (0, 1)
