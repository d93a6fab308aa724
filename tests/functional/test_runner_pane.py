"""Pilot tests of the runner pane against a real LocalBackend and the real Runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Input, SelectionList, Static

from tests.functional.conftest import wait_until
from tui.backend.core.events import ExampleFinished, ExperimentStarted, RunFinished
from tui.backend.core.models import ExperimentResult, Score
from tui.backend.runs.runner import RunOptions
from tui.backend.workspace.local import LocalBackend
from tui.modals.result_cell_modal import ResultCellModal
from tui.modals.start_experiment import StartExperimentModal
from tui.widgets.runner_pane import RunnerPane

DATASET = "Skills: Final Response"
SLOW_TARGET = '''
import time

def slow(inputs):
    time.sleep(0.05)
    return {"answer": "x"}
'''
FLAKY_TARGET = '''
def flaky(inputs):
    raise RuntimeError("target is down")
'''


class HarnessApp(App[None]):
    """A minimal app hosting the runner pane, like the main screen's `#runner-pane` container."""

    def __init__(self, backend, evaluator_dir: Path | None = None, export_dir: Path | None = None,
                 show_timing: bool = False) -> None:
        super().__init__()
        from tui.backend.core.config import Settings

        self.backend = backend
        self.settings = Settings.from_env(backend="local")  # $EVALTUI_HOME: where the start form remembers
        self.pane_args = dict(evaluator_dir=evaluator_dir, export_dir=export_dir, show_timing=show_timing,
                              rule_seed=1)

    def compose(self) -> ComposeResult:
        yield RunnerPane(**self.pane_args)

    def on_mount(self) -> None:
        self.query_one(RunnerPane).grid.focus()


@pytest.fixture
def backend(evaltui_home: Path):
    b = LocalBackend(evaltui_home / "workspace.sqlite3")
    yield b
    b.close()


async def open_start_form(pilot, app) -> StartExperimentModal:
    """ctrl+r, then wait until the form has listed its evaluators."""
    await pilot.press("ctrl+r")
    await wait_until(pilot, lambda: isinstance(app.screen, StartExperimentModal)
                     and app.screen.query_one(SelectionList).option_count > 0)
    return app.screen


def ended(pane: RunnerPane) -> bool:
    return pane.stats.status in ("done", "cancelled", "failed") and not pane.running


async def test_start_from_modal_runs_to_100_percent_and_opens_a_cell(backend, evaltui_home):
    app = HarnessApp(backend, evaluator_dir=evaltui_home / "evaluators")
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(RunnerPane)
        modal = await open_start_form(pilot, app)
        selection = modal.query_one(SelectionList)
        selection.select("evaluators:exact_match_evaluator")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: ended(pane))
        assert pane.stats.status == "done"
        assert pane.stats.done == pane.stats.total == 24
        bar = pane.query_one("#runner-progress")
        assert bar.percentage == 1.0
        assert "exact_match" in str(pane.query_one("#runner-means", Static).render())
        assert pane.grid.row_count == 24
        stored = backend.list_results(pane.stats.experiment_id)
        assert len(stored) == 24
        # open a cell: move to the first evaluator column and select it
        pane.grid.focus()
        pane.grid.move_cursor(row=0, column=2)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ResultCellModal))
        assert app.screen.key == "exact_match · exact_match_evaluator"  # the cell's score: key and evaluator
        assert app.screen.query_one("#cell-inputs", Static).render()
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ResultCellModal))


async def test_start_form_has_a_timeout_and_remembers_the_last_run(backend, evaltui_home, tmp_path):
    """The form's timeout reaches the run (a sleeping evaluator times out, the clock goes on), and the
    next ctrl+r opens the form as it was; ctrl+r in the form starts it again."""
    evals = tmp_path / "evals"
    evals.mkdir()
    (evals / "sleepy.py").write_text("import time\n\ndef sleepy(run, example):\n    time.sleep(5)\n"
                                     "    return {'sleepy': 1}\n")
    app = HarnessApp(backend, evaluator_dir=evals)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(RunnerPane)
        modal = await open_start_form(pilot, app)
        modal.query_one(SelectionList).deselect_all()
        modal.query_one(SelectionList).select(f"{evals / 'sleepy.py'}:sleepy")
        modal.query_one("#start-timeout", Input).value = "abc"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is modal and "number of seconds" in str(modal.query_one("#start-error", Static).render())
        modal.query_one("#start-timeout", Input).value = "0.2"
        modal.query_one("#start-prefix", Input).value = "sleepy"
        modal.query_one("#start-concurrency", Input).value = "24"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: ended(pane), timeout=20)
        results = backend.list_results(pane.stats.experiment_id)
        assert len(results) == 24
        assert all("timed out after 0.2s" in (s.error or "") for r in results for s in r.scores)
        first = pane.stats.experiment_id

        await pilot.press("ctrl+r")  # the form again, as it was
        await wait_until(pilot, lambda: isinstance(app.screen, StartExperimentModal)
                         and app.screen.query_one(SelectionList).option_count > 0)
        modal = app.screen
        assert modal.query_one("#start-timeout", Input).value == "0.2"
        assert modal.query_one("#start-prefix", Input).value == "sleepy"
        assert modal.query_one("#start-concurrency", Input).value == "24"
        assert list(modal.query_one(SelectionList).selected) == [f"{evals / 'sleepy.py'}:sleepy"]
        await pilot.press("ctrl+r")  # twice: the same experiment runs again
        await wait_until(pilot, lambda: ended(pane) and pane.stats.experiment_id != first, timeout=20)
        assert backend.get_experiment(pane.stats.experiment_id).name.startswith("sleepy-")


async def test_modal_validates_concurrency(backend, evaltui_home):
    app = HarnessApp(backend, evaluator_dir=evaltui_home / "evaluators")
    async with app.run_test(size=(120, 40)) as pilot:
        modal = await open_start_form(pilot, app)
        modal.query_one(SelectionList).select("evaluators:exact_match_evaluator")
        modal.query_one("#start-concurrency").value = "0"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, StartExperimentModal)
        assert "at least 1" in str(modal.query_one("#start-error", Static).render())
        await pilot.press("escape")
        assert not isinstance(app.screen, StartExperimentModal)
        assert backend.list_experiments() == []


async def test_cancel_mid_run_keeps_finished_results(backend, tmp_path):
    (tmp_path / "slow.py").write_text(SLOW_TARGET)
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(RunnerPane)
        pane.start(RunOptions(dataset=DATASET, target=f"{tmp_path / 'slow.py'}:slow",
                              evaluators=["evaluators:exact_match_evaluator"], max_concurrency=1))
        await wait_until(pilot, lambda: pane.stats.done >= 3)
        await pilot.press("escape")
        await wait_until(pilot, lambda: ended(pane))
        assert pane.stats.status == "cancelled"
        message = str(pane.query_one("#runner-status", Static).render())
        assert message.startswith("cancelled — ")
        kept = int(message.split("— ")[1].split()[0])
        assert 3 <= kept < 24
        assert message.endswith(f" kept · {24 - kept} never ran: ctrl+g resumes")
        experiment = backend.get_experiment(pane.stats.experiment_id)
        assert experiment.status == "cancelled"
        assert len(backend.list_results(experiment.id)) == kept

        # ctrl+f has nothing to retry and says what is left; ctrl+g runs the rest into the experiment
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: ended(pane) and "nothing left" in str(
            pane.query_one("#runner-status", Static).render()))
        assert f"{24 - kept} never ran" in str(pane.query_one("#runner-status", Static).render())
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: pane.stats.status == "running" or ended(pane))
        await wait_until(pilot, lambda: ended(pane) and pane.stats.status == "done")
        assert pane.stats.experiment_id == experiment.id
        assert len(backend.list_results(experiment.id)) == 24 and pane.grid.row_count == 24
        assert backend.get_experiment(experiment.id).status == "done"


async def test_retry_failed_and_rescore(backend, tmp_path):
    (tmp_path / "flaky.py").write_text(FLAKY_TARGET)
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(RunnerPane)
        pane.start(RunOptions(dataset=DATASET, target=f"{tmp_path / 'flaky.py'}:flaky",
                              evaluators=["evaluators:exact_match_evaluator"], limit=5))
        await wait_until(pilot, lambda: ended(pane))
        experiment_id = pane.stats.experiment_id
        assert pane.stats.target_errors == 5
        assert all(r.error for r in backend.list_results(experiment_id))
        # fix the target in place, then retry only the failed examples
        (tmp_path / "flaky.py").write_text("def flaky(inputs):\n    return {'answer': 'ok'}\n")
        await pilot.press("ctrl+f")
        await wait_until(pilot, lambda: pane.stats.status == "running" or ended(pane))
        await wait_until(pilot, lambda: ended(pane))
        assert pane.stats.status == "done"
        stored = backend.list_results(experiment_id)
        assert len(stored) == 5 and not any(r.error for r in stored)
        assert pane.grid.row_count == 5
        # re-score with a second evaluator: new column, same rows, target not re-run
        pane.rescore(experiment_id, ["evaluators:trajectory_evaluator"])
        await wait_until(pilot, lambda: pane.stats.status == "running" or ended(pane))
        await wait_until(pilot, lambda: ended(pane))
        stored = backend.list_results(experiment_id)
        keys = {s.key for r in stored for s in r.scores}
        assert "exact_match" in keys and len(keys) >= 2
        assert len(pane.grid.score_keys) >= 2


async def test_idle_keys_explain_themselves(backend):
    app = HarnessApp(backend)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+f")
        await pilot.pause()
        assert any("No experiment is shown" in n.message for n in app._notifications)


# -- snapshots: events fed straight into the pane, timing hidden, so the pictures are stable ----


def _result(i: int, score) -> ExperimentResult:
    if score == "target":
        scores: tuple = ()
    elif score == "err":
        scores = (Score("exact_match", None, error="boom"),)
    else:
        scores = (Score("exact_match", score),)
    return ExperimentResult("exp-1", f"ex-{i:02d}", {"question": f"question number {i}"},
                            {"answer": f"a{i}"}, {"answer": f"a{i}"},
                            error="target failed" if score == "target" else None,
                            scores=scores + ((Score("helpfulness", 0.5),) if scores else ()))


def _feed(pane: RunnerPane, n: int, finish: bool) -> None:
    pane.sink(ExperimentStarted("exp-1", "demo-experiment", 8, rules=("tone_rule",)))
    values = [True, False, 1.0, "err", 0.0, True, "target", True]
    for i in range(n):
        pane.sink(ExampleFinished(_result(i, values[i])))
    if finish:
        pane.sink(RunFinished("exp-1", "done", {}, {"examples": 8, "target_errors": 1, "evaluator_errors": 1}))
    pane.flush()


def test_snapshot_idle(snap_compare, backend):
    assert snap_compare(HarnessApp(backend), terminal_size=(100, 24))


def test_snapshot_running(snap_compare, backend):
    async def run_before(pilot):
        _feed(pilot.app.query_one(RunnerPane), 4, finish=False)
        await pilot.pause()

    assert snap_compare(HarnessApp(backend), terminal_size=(100, 24), run_before=run_before)


def test_snapshot_finished(snap_compare, backend):
    async def run_before(pilot):
        _feed(pilot.app.query_one(RunnerPane), 8, finish=True)
        await pilot.pause()

    assert snap_compare(HarnessApp(backend), terminal_size=(100, 24), run_before=run_before)


def test_snapshot_cell_modal(snap_compare, backend):
    async def run_before(pilot):
        pane = pilot.app.query_one(RunnerPane)
        _feed(pane, 8, finish=True)
        await pilot.pause()
        pane.grid.move_cursor(row=3, column=2)
        await pilot.press("enter")
        await pilot.pause()

    assert snap_compare(HarnessApp(backend), terminal_size=(100, 30), run_before=run_before)


def test_snapshot_add_to_dataset_modal(snap_compare, backend):
    async def run_before(pilot):
        pane = pilot.app.query_one(RunnerPane)
        _feed(pane, 8, finish=True)
        await pilot.pause()
        pane.grid.focus()
        pane.grid.move_cursor(row=1, column=0)
        await pilot.press("a")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "AddToDatasetModal")
        for area in pilot.app.screen.query("Input, TextArea"):
            area.cursor_blink = False
        await pilot.pause()

    assert snap_compare(HarnessApp(backend), terminal_size=(100, 36), run_before=run_before)


def test_snapshot_start_modal(snap_compare, backend, evaltui_home):
    async def run_before(pilot):
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, StartExperimentModal)
                         and pilot.app.screen.query_one(SelectionList).option_count > 0)
        await pilot.pause()

    app = HarnessApp(backend, evaluator_dir=evaltui_home / "evaluators")
    assert snap_compare(app, terminal_size=(100, 40), run_before=run_before)


def _same_key_result(i: int) -> ExperimentResult:
    return ExperimentResult("exp-2", f"ex-{i:02d}", {"question": f"q{i}"}, {"a": 1}, {"a": 1}, scores=(
        Score("trajectory_match", 1, evaluator="trajectory_evaluator"),
        Score("trajectory_match", 0, evaluator="rule:Zero"),
    ))


async def test_two_evaluators_with_one_key_get_a_column_each(backend):
    """#11: the grid and the means keep a rule and a function writing one key apart, and the
    first column is relabelled once the second evaluator of its key shows up."""
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(RunnerPane)
        pane.sink(ExperimentStarted("exp-2", "same-key", 4))
        first = ExperimentResult("exp-2", "ex-first", {"question": "q"}, {"a": 1}, {"a": 1},
                                 scores=(Score("trajectory_match", 1, evaluator="trajectory_evaluator"),))
        pane.sink(ExampleFinished(first))
        pane.flush()
        await pilot.pause()
        labels = [c.label.plain for c in pane.grid.columns.values()]
        assert labels == ["example", "target", "trajectory_match"]
        for i in range(3):
            pane.sink(ExampleFinished(_same_key_result(i)))
        pane.sink(RunFinished("exp-2", "done", {}, {"examples": 4, "target_errors": 0, "evaluator_errors": 0}))
        pane.flush()  # the end of a run sends every row to the grid at once
        await pilot.pause()
        labels = [c.label.plain for c in pane.grid.columns.values()]
        assert labels == ["example", "target", "trajecto… · trajectory_evaluator",
                          "trajectory_match · rule:Zero"]
        means = str(pane.query_one("#runner-means", Static).render())
        assert "trajectory_match · rule:Zero" in means and "trajectory_match · trajectory_evaluator" in means
        pane.grid.focus()
        pane.grid.move_cursor(row=1, column=3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ResultCellModal))
        assert app.screen.key == "trajectory_match · rule:Zero"


def test_snapshot_same_key_columns(snap_compare, backend):
    async def run_before(pilot):
        pane = pilot.app.query_one(RunnerPane)
        pane.sink(ExperimentStarted("exp-2", "same-key", 3))
        for i in range(3):
            pane.sink(ExampleFinished(_same_key_result(i)))
        pane.sink(RunFinished("exp-2", "done", {}, {"examples": 3, "target_errors": 0, "evaluator_errors": 0}))
        pane.flush()
        await pilot.pause()

    assert snap_compare(HarnessApp(backend), terminal_size=(100, 24), run_before=run_before)
