"""Pilot tests of the compare screen: the paired lines, the regressed examples side by side, Enter."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from tests.functional.test_runner_pane import HarnessApp, wait_until
from tui.backend.core.models import ExperimentResult, Score
from tui.backend.workspace.local import LocalBackend
from tui.modals.paired_result_modal import PairedResultModal
from tui.screens.compare_screen import CompareScreen

DATASET = "Skills: Final Response"


@pytest.fixture
def backend(evaltui_home: Path):
    b = LocalBackend(evaltui_home / "workspace.sqlite3")
    yield b
    b.close()


def _experiment(backend, name: str, values: list[int]) -> str:
    dataset = backend.get_dataset(DATASET)
    examples = list(backend.list_examples(dataset.id, limit=len(values)))
    experiment = backend.create_experiment(name, dataset.id, {"target": "demo"})
    backend.record_results([
        ExperimentResult(experiment.id, ex.id, ex.inputs, {"answer": f"{name} #{i}"}, ex.outputs,
                         scores=(Score("exact_match", v, comment=f"{name} comment {i}"),))
        for i, (ex, v) in enumerate(zip(examples, values))
    ])
    backend.finish_experiment(experiment.id, "done")
    return experiment.id


async def test_compare_screen_lines_regressions_and_enter(backend):
    a = _experiment(backend, "baseline", [1] * 12)
    b = _experiment(backend, "candidate", [0, 0, 0] + [1] * 9)
    app = HarnessApp(backend)
    async with app.run_test(size=(140, 40)) as pilot:
        app.push_screen(CompareScreen(b, a))  # the older one is the baseline, whatever the order marked
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.comparison)
        screen = app.screen
        heading = str(screen.query_one("#compare-heading", Static).render())
        assert "A (baseline): baseline (done)" in heading and "B (candidate): candidate (done)" in heading
        assert "exact_match -0.25 [" in heading and ", 0 better, 3 worse, p=0.25" in heading
        metrics = screen.query_one("#compare-metrics", DataTable)
        assert metrics.row_count == 1
        assert [str(c) for c in metrics.get_row_at(0)][:4] == ["exact_match", "12", "1.00", "0.75"]
        table = screen.query_one("#compare-regressed", DataTable)
        assert table.row_count == 3
        row = [str(c) for c in table.get_row_at(0)]
        assert row[:3] == ["exact_match", "1.00", "0.00"] and "baseline" in row[4] and "candidat" in row[5]
        assert row[6].startswith("candidate comment")
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PairedResultModal))
        modal = app.screen
        example_id = screen._regressed[1][1]
        assert modal.example_id == example_id
        index = next(i for i, ex in enumerate(screen.comparison.rows_a) if ex == example_id)
        assert f"baseline #{index}" in str(modal.query_one("#paired-outputs-a", Static).render())
        assert f"candidate #{index}" in str(modal.query_one("#paired-outputs-b", Static).render())
        assert f"candidate comment {index}" in str(modal.query_one("#paired-comment-b", Static).render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))


async def test_compare_screen_without_regressions(backend):
    a = _experiment(backend, "baseline", [0, 1])
    b = _experiment(backend, "candidate", [1, 1])
    app = HarnessApp(backend)
    async with app.run_test(size=(120, 30)) as pilot:
        app.push_screen(CompareScreen(a, b))
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.comparison)
        table = app.screen.query_one("#compare-regressed", DataTable)
        assert "no example regressed" in str(table.get_row_at(0)[3])
        await pilot.press("enter")  # nothing to open
        await pilot.pause()
        assert isinstance(app.screen, CompareScreen)
