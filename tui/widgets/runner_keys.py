"""The runner's keys, declared once: the runner pane binds them, the main screen binds the same
ids so they work from any pane (showing the runner tab first).

One id per command (`runner.start`, ...): a keymap entry for it moves the key in both places.
The results grid's keys (`GRID_KEYS`: letters) work only in the pane, where the grid has focus;
the command palette reaches them through the main screen's `runner(...)` action.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding


@dataclass(frozen=True)
class RunnerKey:
    key: str
    action: str  # an action of the runner pane
    description: str
    id: str
    tooltip: str
    in_main_footer: bool = False  # the pane's own footer shows every key
    pane_key: str | None = None  # the keys inside the pane, when more than `key`


RUNNER_KEYS = (
    RunnerKey("ctrl+r", "start_experiment", "Run", "runner.start",
              "Start an experiment: dataset, target, evaluators", in_main_footer=True),
    RunnerKey("ctrl+o", "open_experiments", "Experiments", "runner.experiments",
              "List experiments per dataset; compare and export them", in_main_footer=True),
    RunnerKey("ctrl+f", "retry_failed", "Retry failed", "runner.retry",
              "Re-run the examples that failed or have evaluator errors"),
    RunnerKey("ctrl+g", "resume", "Resume", "runner.resume",
              "Run the examples that never ran (after a cancel or a crash) into the same experiment"),
    RunnerKey("ctrl+e", "rescore", "Re-score", "runner.rescore",
              "Apply more evaluators to the shown experiment without re-running the target"),
    RunnerKey("ctrl+k", "compare", "Compare", "runner.compare", "Compare the shown experiment with another one"),
    RunnerKey("ctrl+x", "export", "Export", "runner.export", "Export the shown experiment as CSV and JSON"),
    # Inside the pane escape cancels too; elsewhere escape closes or restores what is open.
    RunnerKey("ctrl+c", "cancel_run", "Cancel run", "runner.cancel",
              "Stop the running experiment; finished results are kept", pane_key="escape,ctrl+c"),
)


GRID_KEYS = (
    RunnerKey("v", "cycle_view", "View", "runner.view",
              "Show only rows with errors, only rows with a failing score, or all rows"),
    RunnerKey("s", "sort_by_column", "Sort", "runner.sort",
              "Sort the rows by the score under the cursor; again: highest first; a third time: run order"),
    RunnerKey("right_square_bracket", "next_error", "Next error", "runner.next_error",
              "Move to the next row with a target or evaluator error, onto the error"),
    RunnerKey("a", "add_to_dataset", "Add to dataset", "runner.add_to_dataset",
              "Keep the highlighted row, or every failing row, as examples of a dataset (the run's outputs "
              "as reference outputs)"),
)


def pane_bindings() -> list[Binding]:
    """The runner pane's BINDINGS; the grid's own keys first, so a narrow footer keeps them (the
    runner's keys also work from the main screen, whose footer shows them)."""
    return [Binding(k.pane_key or k.key, k.action, k.description, id=k.id, tooltip=k.tooltip)
            for k in (*GRID_KEYS, *RUNNER_KEYS)]


def palette_bindings() -> list[Binding]:
    """The grid's keys as the main screen's `runner(...)` actions, for the command palette only."""
    return [Binding(k.key, f"runner('{k.action}')", k.description, id=k.id, tooltip=k.tooltip)
            for k in GRID_KEYS]


def screen_bindings() -> list[Binding]:
    """The main screen's BINDINGS for the runner: `runner('<action>')` shows the tab and acts there."""
    return [Binding(k.key, f"runner('{k.action}')", k.description, show=k.in_main_footer, id=k.id,
                    tooltip=k.tooltip) for k in RUNNER_KEYS]
