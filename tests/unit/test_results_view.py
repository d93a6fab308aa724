"""The results grid's view logic: grades, which rows a view keeps, the sort key and the view line."""

from __future__ import annotations

from tui.backend.core.models import ExperimentResult, Score
from tui.widgets.results_view import (
    SortOrder,
    describe,
    error_idents,
    grade,
    has_error,
    has_failure,
    next_sort,
    next_view,
    shows,
    sort_key,
)


def _row(*scores: Score, error: str | None = None) -> ExperimentResult:
    return ExperimentResult("exp", "ex", {}, None, {}, error=error, scores=scores)


def test_grades_follow_the_cell_colours():
    assert [grade(Score("k", v)) for v in (True, False, 1, 0.999, 0.5, 0.001, 0, None, "text")] == [
        "pass", "fail", "pass", "pass", "partial", "fail", "fail", "none", "none"]
    assert grade(Score("k", None, error="boom")) == "error"


def test_views_keep_errors_or_fails():
    target_error = _row(error="down")
    evaluator_error = _row(Score("a", 1), Score("b", None, error="timeout"))
    failing = _row(Score("a", 0.0005), Score("b", 1))
    partial = _row(Score("a", 0.5))
    assert [has_error(r) for r in (target_error, evaluator_error, failing, partial)] == [True, True, False, False]
    assert [has_failure(r) for r in (target_error, evaluator_error, failing, partial)] == [False, False, True, False]
    assert shows("all", partial) and not shows("errors", partial) and not shows("failing", partial)
    assert [next_view(v) for v in ("all", "errors", "failing")] == ["errors", "failing", "all"]


def test_sort_cycles_and_puts_errors_and_missing_last_both_ways():
    order = next_sort(None, "a")
    assert order == SortOrder("a")
    assert next_sort(order, "a") == SortOrder("a", descending=True)
    assert next_sort(SortOrder("a", descending=True), "a") is None
    assert next_sort(SortOrder("a", descending=True), "b") == SortOrder("b")
    rows = {"true": _row(Score("a", True)), "half": _row(Score("a", 0.5)), "zero": _row(Score("a", 0)),
            "error": _row(Score("a", None, error="x")), "missing": _row(Score("b", 1)),
            "text": _row(Score("a", "n/a"))}
    positions = {name: i for i, name in enumerate(rows)}
    for descending, expected in ((False, ["zero", "half", "true", "error", "missing", "text"]),
                                 (True, ["true", "half", "zero", "error", "missing", "text"])):
        order = SortOrder("a", descending)
        assert sorted(rows, key=lambda n: sort_key(rows[n], order, positions[n])) == expected


def test_sort_tells_two_evaluators_of_one_key_apart():
    row = _row(Score("k", 1, evaluator="mine"), Score("k", 0, evaluator="rule:Other"))
    assert sort_key(row, SortOrder("k · rule:Other"), 0)[1] == 0
    assert sort_key(row, SortOrder("k · mine"), 0)[1] == 1
    assert error_idents(_row(Score("k", None, error="x", evaluator="mine"), Score("j", None, error="y")),
                        ["j", "k · mine"]) == ["j", "k · mine"]


def test_the_view_line():
    assert describe("all", None, None, 24, 24) == ""
    assert describe("errors", None, None, 3, 24) == "showing 3 of 24: errors only"
    assert describe("all", SortOrder("a", True), "a", 24, 24) == "showing 24 of 24: all rows · sorted by a, highest first"
    assert describe("failing", None, None, 0, 24) == "showing 0 of 24: failing only — no row has a failing score"
    assert describe("errors", None, None, 0, 0) == "showing 0 of 0: errors only"
