"""The runner's keys, declared once: the runner pane binds them, the main screen binds the same
ids so they work from any pane (showing the runner tab first).

One id per command (`runner.start`, ...): a keymap entry for it moves the key in both places.
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
    RunnerKey("ctrl+e", "rescore", "Re-score", "runner.rescore",
              "Apply more evaluators to the shown experiment without re-running the target"),
    RunnerKey("ctrl+k", "compare", "Compare", "runner.compare", "Compare the shown experiment with another one"),
    RunnerKey("ctrl+x", "export", "Export", "runner.export", "Export the shown experiment as CSV and JSON"),
    # Inside the pane escape cancels too; elsewhere escape closes or restores what is open.
    RunnerKey("ctrl+c", "cancel_run", "Cancel run", "runner.cancel",
              "Stop the running experiment; finished results are kept", pane_key="escape,ctrl+c"),
)


def pane_bindings() -> list[Binding]:
    """The runner pane's BINDINGS."""
    return [Binding(k.pane_key or k.key, k.action, k.description, id=k.id, tooltip=k.tooltip)
            for k in RUNNER_KEYS]


def screen_bindings() -> list[Binding]:
    """The main screen's BINDINGS for the runner: `runner('<action>')` shows the tab and acts there."""
    return [Binding(k.key, f"runner('{k.action}')", k.description, show=k.in_main_footer, id=k.id,
                    tooltip=k.tooltip) for k in RUNNER_KEYS]
