"""Pilot tests of the experiments list, compare and export, on a real LocalBackend."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from textual.widgets import DataTable

from tests.functional.test_runner_pane import HarnessApp, wait_until
from tui.backend.core.models import ExperimentResult, Score
from tui.backend.runs.compare import compare_results
from tui.backend.workspace.local import LocalBackend
from tui.screens.compare_screen import CompareScreen
from tui.screens.experiments_screen import ExperimentsScreen
from tui.widgets.runner_pane import RunnerPane

DATASET = "Skills: Final Response"


@pytest.fixture
def backend(evaltui_home: Path):
    b = LocalBackend(evaltui_home / "workspace.sqlite3")
    yield b
    b.close()


def _make_experiment(backend, name: str, scores: list) -> str:
    dataset = backend.get_dataset(DATASET)
    examples = list(backend.list_examples(dataset.id, limit=len(scores)))
    experiment = backend.create_experiment(name, dataset.id, {"target": "demo"})
    backend.record_results([
        ExperimentResult(experiment.id, ex.id, ex.inputs, {"answer": "x"}, ex.outputs,
                         scores=(Score("exact_match", value),))
        for ex, value in zip(examples, scores)
    ])
    backend.finish_experiment(experiment.id, "done")
    return experiment.id


@pytest.fixture
def two_experiments(backend):
    a = _make_experiment(backend, "baseline", [True, True, False, False])
    b = _make_experiment(backend, "candidate", [True, False, True, True])
    return a, b


def test_compare_results_means_deltas_and_changes(backend, two_experiments):
    a, b = two_experiments
    comparison = compare_results(backend.list_results(a), backend.list_results(b))
    (metric,) = comparison.metrics
    assert (metric.key, metric.mean_a, metric.mean_b) == ("exact_match", 0.5, 0.75)
    assert metric.delta == pytest.approx(0.25)
    assert [(c.a, c.b) for c in comparison.changed] == [("1.00", "0.00"), ("0.00", "1.00"), ("0.00", "1.00")]


async def test_list_mark_compare_and_open(backend, two_experiments, evaltui_home):
    a, b = two_experiments
    app = HarnessApp(backend, export_dir=evaltui_home / "exports")
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.query_one(RunnerPane)
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentsScreen) and app.screen.rows)
        screen = app.screen
        assert {r.experiment.name for r in screen.rows} == {"baseline", "candidate"}
        await pilot.press("c")  # nothing marked: explained, not silent
        assert any("Mark exactly two" in n.message for n in app._notifications)
        await pilot.press("space", "down", "space", "c")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.comparison)
        compare = app.screen
        assert compare.query_one("#compare-metrics", DataTable).row_count == 1
        assert compare.query_one("#compare-regressed", DataTable).row_count == 1  # True -> False once
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, ExperimentsScreen))
        await wait_until(pilot, lambda: pane.grid.row_count == 4)
        assert pane.stats.experiment_id in (a, b)


async def test_export_writes_private_csv_and_json(backend, two_experiments, evaltui_home):
    a, _ = two_experiments
    export_dir = evaltui_home / "exports"
    app = HarnessApp(backend, export_dir=export_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        pane = app.query_one(RunnerPane)
        pane.show_experiment(a)
        await wait_until(pilot, lambda: pane.grid.row_count == 4)
        await pilot.press("ctrl+x")
        await wait_until(pilot, lambda: (export_dir / "baseline.json").exists()
                         and any("Exported" in n.message for n in app._notifications))
        note = next(n.message for n in app._notifications if "Exported" in n.message)
        assert str(export_dir / "baseline.csv") in note
        for path in (export_dir / "baseline.csv", export_dir / "baseline.json"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600
        doc = json.loads((export_dir / "baseline.json").read_text())
        assert doc["summary"]["exact_match"] == 0.5 and len(doc["results"]) == 4
        csv_lines = (export_dir / "baseline.csv").read_text().splitlines()
        assert csv_lines[0].startswith("example_id,") and len(csv_lines) == 5


async def test_export_from_list_marks(backend, two_experiments, evaltui_home):
    export_dir = evaltui_home / "exports"
    app = HarnessApp(backend, export_dir=export_dir)
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentsScreen) and app.screen.rows)
        await pilot.press("space", "down", "space", "e")
        await wait_until(pilot, lambda: len(list(export_dir.glob("*"))) == 4)
        assert sorted(p.name for p in export_dir.iterdir()) == [
            "baseline.csv", "baseline.json", "candidate.csv", "candidate.json"]


def test_snapshot_experiments_screen(snap_compare, backend, two_experiments):
    async def run_before(pilot):
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExperimentsScreen) and pilot.app.screen.rows)
        await pilot.press("space")
        await pilot.pause()

    assert snap_compare(HarnessApp(backend), terminal_size=(100, 24), run_before=run_before)


def test_snapshot_compare_screen(snap_compare, backend, two_experiments):
    async def run_before(pilot):
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExperimentsScreen) and pilot.app.screen.rows)
        await pilot.press("space", "down", "space", "c")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, CompareScreen) and pilot.app.screen.comparison)
        await pilot.pause()

    assert snap_compare(HarnessApp(backend), terminal_size=(100, 30), run_before=run_before)


def test_snapshot_rescore_modal(snap_compare, backend, two_experiments, evaltui_home):
    a, _ = two_experiments

    async def run_before(pilot):
        pane = pilot.app.query_one(RunnerPane)
        pane.show_experiment(a)
        await wait_until(pilot, lambda: pane.grid.row_count == 4)
        await pilot.press("ctrl+e")
        from textual.widgets import SelectionList

        await wait_until(pilot, lambda: pilot.app.screen.query(SelectionList)
                         and pilot.app.screen.query_one(SelectionList).option_count > 0)
        await pilot.pause()

    app = HarnessApp(backend, evaluator_dir=evaltui_home / "evaluators")
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
