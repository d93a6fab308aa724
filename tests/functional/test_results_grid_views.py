"""Pilot tests of the results grid's views: errors only / failing only / all, sort by a score,
jump to the next error, and the cell modal showing a long error in full (#11)."""

from __future__ import annotations

import pytest
from textual.widgets import Footer, Static

from tests.functional.conftest import local_backend, settle
from tests.functional.test_runner_pane import HarnessApp, wait_until
from tui.backend.core.events import ExampleFinished, ExperimentStarted, RunFinished
from tui.backend.core.models import ExperimentResult, Score
from tui.modals.result_cell_modal import ResultCellModal
from tui.widgets.results_grid import TARGET_COLUMN
from tui.widgets.runner_grid_view import GridViewLine
from tui.widgets.runner_pane import GRID_INTERVAL_S, RunnerPane

NEXT_ERROR = "right_square_bracket"  # the ] key
LONG_ERROR = "\n".join(
    [f"line {n}: Traceback detail " + "x" * 150 for n in range(1, 60)] + ["THE LAST LINE OF THE ERROR"])

#: example id -> (target error, exact_match, helpfulness); a str score is an evaluator error
ROWS = {
    "ex-a": (None, True, 1.0),
    "ex-b": (None, False, 0.5),
    "ex-c": ("target is down", None, None),
    "ex-d": (None, "judge timed out", 0.0),
    "ex-e": (None, True, 0.25),
    "ex-f": (None, True, 0.0005),
}


@pytest.fixture
def backend(evaltui_home):
    b = local_backend(evaltui_home)
    yield b
    b.close()


def _result(example_id: str, target_error=None, exact=None, helpful=None) -> ExperimentResult:
    scores = []
    for key, value in (("exact_match", exact), ("helpfulness", helpful)):
        if isinstance(value, str):
            scores.append(Score(key, None, error=value))
        elif value is not None:
            scores.append(Score(key, value))
    return ExperimentResult("exp-v", example_id, {"question": f"question {example_id}"},
                            None if target_error else {"answer": "x"}, {"answer": "x"},
                            error=target_error, scores=tuple(scores))


def _feed(pane: RunnerPane, rows: dict = ROWS, finish: bool = True) -> None:
    pane.sink(ExperimentStarted("exp-v", "views", len(rows)))
    for example_id, (error, exact, helpful) in rows.items():
        pane.sink(ExampleFinished(_result(example_id, error, exact, helpful)))
    if finish:  # the end of a run sends every row to the grid at once
        pane.sink(RunFinished("exp-v", "done", {}, {"examples": len(rows)}))
    pane.flush()


def shown(pane: RunnerPane) -> list[str]:
    grid = pane.grid
    return [grid.result_at(row).example_id for row in range(grid.row_count)]


def view_line(pane: RunnerPane) -> str:
    line = pane.query_one(GridViewLine)
    return str(line.render()) if line.display else ""


def column_of(pane: RunnerPane, ident: str) -> int:
    return pane.grid.get_column_index(ident)


async def test_v_cycles_errors_only_failing_only_and_all_rows(backend):
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(RunnerPane)
        _feed(pane)
        await pilot.pause()
        assert view_line(pane) == ""
        pane.grid.move_cursor(row=3)  # ex-d: shown in both filtered views, so the cursor stays on it
        await pilot.press("v")
        assert shown(pane) == ["ex-c", "ex-d"]
        assert view_line(pane) == "showing 2 of 6: errors only"
        assert pane.grid.result_at(pane.grid.cursor_row).example_id == "ex-d"
        await pilot.press("v")
        assert shown(pane) == ["ex-b", "ex-d", "ex-f"]  # False, 0.0 and 0.0005 are fails; 0.25 is partial
        assert view_line(pane) == "showing 3 of 6: failing only"
        assert pane.grid.result_at(pane.grid.cursor_row).example_id == "ex-d"
        await pilot.press("v")
        assert shown(pane) == list(ROWS)
        assert view_line(pane) == ""


async def test_a_view_nothing_matches_says_so(backend):
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(RunnerPane)
        _feed(pane, {"ex-a": (None, True, 1.0), "ex-b": (None, True, 0.5)})
        await pilot.pause()
        await pilot.press("v")
        assert pane.grid.row_count == 0
        assert view_line(pane) == "showing 0 of 2: errors only — no row has an error"
        assert pane.query_one(GridViewLine).has_class("-empty")
        await pilot.press("v")
        assert view_line(pane) == "showing 0 of 2: failing only — no row has a failing score"


async def test_a_view_follows_new_rows_and_retries(backend):
    """Errors only while rows stream: new errors show, a retried example that now passes leaves."""
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(RunnerPane)
        _feed(pane, {k: ROWS[k] for k in ("ex-a", "ex-b", "ex-c")}, finish=False)
        await pilot.pause()
        await pilot.press("v")
        assert shown(pane) == ["ex-c"]
        pane.sink(ExampleFinished(_result("ex-d", None, "judge timed out", 0.0)))
        pane.sink(ExampleFinished(_result("ex-e", None, True, 0.25)))
        pane.sink(RunFinished("exp-v", "done", {}, {"examples": 5}))
        pane.flush()
        await pilot.pause()
        assert shown(pane) == ["ex-c", "ex-d"]
        assert view_line(pane) == "showing 2 of 5: errors only"
        pane.sink(ExampleFinished(_result("ex-c", None, True, 1.0)))  # the retry fixed it
        pane.flush()
        await pilot.pause()
        assert shown(pane) == ["ex-d"]
        assert view_line(pane) == "showing 1 of 5: errors only"


async def test_s_sorts_by_the_score_under_the_cursor_reverses_then_restores(backend):
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(RunnerPane)
        _feed(pane)
        await pilot.pause()
        pane.grid.move_cursor(row=2, column=column_of(pane, "helpfulness"))
        await pilot.press("s")
        # lowest first (0.0005 above 0.0, though both show as 0.00), the missing score (ex-c) last
        assert shown(pane) == ["ex-d", "ex-f", "ex-e", "ex-b", "ex-a", "ex-c"]
        assert view_line(pane) == "showing 6 of 6: all rows · sorted by helpfulness, lowest first"
        assert pane.grid.cursor_row == 0
        await pilot.press("s")
        assert shown(pane) == ["ex-a", "ex-b", "ex-e", "ex-f", "ex-d", "ex-c"]
        assert view_line(pane).endswith("sorted by helpfulness, highest first")
        await pilot.press("s")
        assert shown(pane) == list(ROWS)
        assert view_line(pane) == ""
        # bools count 1/0; the error (ex-d) before the missing score (ex-c); ties in run order
        pane.grid.move_cursor(column=column_of(pane, "exact_match"))
        await pilot.press("s")
        assert shown(pane) == ["ex-b", "ex-a", "ex-e", "ex-f", "ex-d", "ex-c"]
        # a filter and a sort together
        await pilot.press("v", "v")
        assert shown(pane) == ["ex-b", "ex-f", "ex-d"]
        assert view_line(pane) == "showing 3 of 6: failing only · sorted by exact_match, lowest first"


async def test_s_outside_a_score_column_explains(backend):
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(RunnerPane)
        await pilot.press("s")
        assert any("No scores to sort by yet" in n.message for n in app._notifications)
        _feed(pane)
        await pilot.pause()
        pane.grid.move_cursor(column=0)
        await pilot.press("s")
        assert any("Put the cursor on a score column" in n.message for n in app._notifications)
        assert shown(pane) == list(ROWS)


async def test_the_sort_stays_applied_while_rows_stream_in(backend):
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(RunnerPane)
        now = [100.0]
        pane.clock = lambda: now[0]
        _feed(pane, {k: ROWS[k] for k in ("ex-a", "ex-b")}, finish=False)
        await pilot.pause()
        pane.grid.move_cursor(column=column_of(pane, "helpfulness"))
        await pilot.press("s")
        assert shown(pane) == ["ex-b", "ex-a"]
        for example_id in ("ex-c", "ex-d", "ex-e"):
            pane.sink(ExampleFinished(_result(example_id, *ROWS[example_id])))
        now[0] += GRID_INTERVAL_S * 1.01  # the next grid batch is due
        pane.flush()
        await pilot.pause()
        assert shown(pane) == ["ex-d", "ex-e", "ex-b", "ex-a", "ex-c"]
        pane.sink(ExampleFinished(_result("ex-f", *ROWS["ex-f"])))
        pane.sink(ExampleFinished(_result("ex-a", None, True, 0.1)))  # re-scored lower: moves up
        pane.sink(RunFinished("exp-v", "done", {}, {"examples": 6}))
        pane.flush()
        await pilot.pause()
        assert shown(pane) == ["ex-d", "ex-f", "ex-a", "ex-e", "ex-b", "ex-c"]


async def test_next_error_key_jumps_to_the_next_error_cell_and_wraps(backend):
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(RunnerPane)
        _feed(pane)
        await pilot.pause()
        grid = pane.grid
        await pilot.press(NEXT_ERROR)
        assert (grid.cursor_row, grid.cursor_column) == (2, column_of(pane, TARGET_COLUMN))  # ex-c
        await pilot.press(NEXT_ERROR)
        assert (grid.cursor_row, grid.cursor_column) == (3, column_of(pane, "exact_match"))  # ex-d
        await pilot.press(NEXT_ERROR)
        assert grid.cursor_row == 2  # wrapped round to ex-c
        # in a sorted view "next" follows the rows as shown: ex-d, ex-f, ex-e, ex-b, ex-a, ex-c
        grid.move_cursor(row=0, column=column_of(pane, "helpfulness"))
        await pilot.press("s")
        await pilot.press(NEXT_ERROR)
        assert grid.result_at(grid.cursor_row).example_id == "ex-c"
        await pilot.press(NEXT_ERROR)
        assert grid.result_at(grid.cursor_row).example_id == "ex-d"
        # in a filtered view, among the rows shown: ex-b, ex-d, ex-f
        grid.move_cursor(column=column_of(pane, "helpfulness"))
        await pilot.press("s", "s", "v", "v")  # highest first, run order; errors only, failing only
        assert view_line(pane) == "showing 3 of 6: failing only"
        grid.move_cursor(row=0)
        await pilot.press(NEXT_ERROR)
        assert (grid.cursor_row, grid.cursor_column) == (1, column_of(pane, "exact_match"))


async def test_next_error_key_without_errors_says_no_errors(backend):
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(RunnerPane)
        _feed(pane, {"ex-a": (None, True, 1.0), "ex-b": (None, False, 0.5)})
        await pilot.pause()
        pane.grid.move_cursor(row=1, column=2)
        await pilot.press(NEXT_ERROR)
        assert [n.message for n in app._notifications] == ["No errors."]
        assert (pane.grid.cursor_row, pane.grid.cursor_column) == (1, 2)


async def test_next_error_key_says_when_the_view_hides_the_errors(backend):
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(RunnerPane)
        _feed(pane, {"ex-a": (None, True, 1.0), "ex-b": (None, False, 0.5), "ex-c": ("down", None, None)})
        await pilot.pause()
        await pilot.press("v", "v", NEXT_ERROR)
        assert shown(pane) == ["ex-b"]
        assert [n.message for n in app._notifications] == ["No errors among the shown rows (the view hides them)."]


async def test_the_cell_modal_shows_a_long_multiline_error_in_full(backend):
    app = HarnessApp(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(RunnerPane)
        _feed(pane, {"ex-a": (None, True, 1.0), "ex-long": (None, LONG_ERROR, 0.5)})
        await pilot.pause()
        await pilot.press(NEXT_ERROR, "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ResultCellModal))
        modal = app.screen
        assert modal.key == "exact_match"
        error = modal.query_one(".cell-error", Static)
        assert str(error.render()) == f"error: {LONG_ERROR}"
        await pilot.pause()
        body = modal.query_one("#cell-body")
        assert error.size.width <= body.size.width
        assert error.size.height >= 2 * LONG_ERROR.count("\n")  # each 175-character line wraps, none is cut
        assert body.max_scroll_y >= error.size.height - body.size.height  # and the body scrolls over all of it


def test_snapshot_errors_only_view(snap_compare, backend):
    async def run_before(pilot):
        pane = pilot.app.query_one(RunnerPane)
        _feed(pane)
        await pilot.pause()
        pane.grid.move_cursor(column=3)
        await pilot.press("v", "s")
        await pilot.pause()

    assert snap_compare(HarnessApp(backend), terminal_size=(100, 24), run_before=run_before)


async def test_grid_keys_show_in_the_footer_only_in_the_grid_and_run_from_the_palette(local_app):
    async with local_app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        main = local_app.main_screen
        pane = main.runner_pane
        _feed(pane)

        def footer_keys() -> str:
            return " ".join(str(k.description) for k in main.query_one(Footer).query("FooterKey"))

        assert "Next error" not in footer_keys()
        await pilot.press("v")  # not a key outside the grid
        assert pane.grid.view == "all"
        await pilot.press("5")
        await settle(pilot)
        pane.grid.focus()
        await pilot.pause()
        for description in ("View", "Sort", "Next error"):
            assert description in footer_keys()
        await pilot.press("1")  # leave the grid; the palette brings the runner back
        await pilot.press("ctrl+p")
        await pilot.press(*"Next error")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await settle(pilot)
        assert main.query_one("#lower-tabs").active == "runner-tab"
        assert local_app.focused is pane.grid
        assert pane.grid.result_at(pane.grid.cursor_row).example_id == "ex-c"
        await pilot.press("question_mark")
        help_text = local_app.screen.plain_text
        for line in ("v\tView — Show only rows with errors", "s\tSort — Sort the rows by the score",
                     "]\tNext error — Move to the next row"):
            assert line in help_text
