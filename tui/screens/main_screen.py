"""The main screen: panes, keys, selection and the workspace's lifecycle.

Data flows one way: a key -> an action -> a thread worker calling the backend / ops -> a past-tense
message (`main_messages`) -> a handler that updates widgets. Workers never touch widgets. The
loading workers live in `main_loading`, the rule actions (upload, replace, delete, test) in
`main_rule_actions`; failures of both reach the user through `worker_failures.reports_failure`.
"""

from __future__ import annotations

import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Header,
    Input,
    TabbedContent,
    TabPane,
    TextArea,
)

from tui.backend.core.errors import describe_error
from tui.backend.core.models import Rule, WorkspaceEvaluator
from tui.backend.source.functions import LocalFunction
from tui.modals.error_modal import ErrorModal
from tui.modals.example_modal import ExampleModal
from tui.screens.main_datasets import DatasetActions
from tui.screens.main_editor import EditorActions
from tui.screens.main_loading import WorkspaceLoading
from tui.screens.main_messages import BackendFailed, BackendOpened, ConnectionChecked, OperationFailed
from tui.screens.main_rule_actions import RuleActions
from tui.screens.main_watch import EvaluatorFilesWatch
from tui.widgets.backend_access import current_backend
from tui.widgets.datasets_pane import DatasetsPane
from tui.widgets.evaluators_pane import EvaluatorsPane
from tui.widgets.examples_pane import ExamplesPane
from tui.widgets.filter_bar import FilterBar
from tui.widgets.fitted_footer import FittedFooter
from tui.widgets.runner_keys import screen_bindings
from tui.widgets.runner_pane import RunnerPane
from tui.widgets.source_viewer import SourceViewer
from tui.widgets.status_bar import StatusBar

# Letter keys stand for global actions; a text widget being typed in gets to keep its letters.
LETTER_ACTIONS = frozenset({"upload", "replace", "delete", "test", "edit", "refresh", "toggle_maximize"})

# Keys that move the focus are priority bindings; a text widget being typed in keeps them.
FOCUS_ACTIONS = frozenset({"focus_pane", "filter"})

ERROR_REPEAT_S = 10.0  # the same error message within this many seconds is shown once

PANES = {
    "evaluators": "#evaluators-pane",
    "datasets": "#datasets-pane",
    "source": "#source-pane",
    "examples": "#examples-pane",
    "runner": "#runner-pane",
}
# Keys 1-5: (label, tooltip) of each pane, in the order of PANES.
PANE_KEYS = {
    "evaluators": ("Evaluators", "Focus the evaluators pane"),
    "datasets": ("Datasets", "Focus the datasets pane"),
    "source": ("Source", "Focus the source viewer"),
    "examples": ("Examples", "Focus the examples table"),
    "runner": ("Runner", "Show the runner pane"),
}


class MainScreen(WorkspaceLoading, RuleActions, DatasetActions, EditorActions, EvaluatorFilesWatch, Screen):
    """Evaluators, datasets, source, examples and the runner's place, with a status bar."""

    AUTO_FOCUS = "#local-table"

    BINDINGS = [
        Binding("u", "upload", "Upload", id="main.upload",
                tooltip="Upload the selected local function as a rule"),
        Binding("U", "replace", "Replace", id="main.replace",
                tooltip="Replace the uploaded rule with the local code (shows a diff)"),
        Binding("d", "delete", "Delete", id="main.delete", tooltip="Delete the selected uploaded rule"),
        Binding("t", "test", "Test", id="main.test",
                tooltip="Score known-good and known-bad pairs with the selected function"),
        Binding("e", "edit", "Edit", id="main.edit",
                tooltip="Open the selected function in $VISUAL / $EDITOR at its line; read it again on return"),
        Binding("n", "new_evaluator", "New", id="main.new",
                tooltip="Create a new evaluator file from a template (Method 1, Method 2, LLM judge)"),
        # Priority (handled as the key arrives, see check_action): keys typed right after a key that
        # moves the focus go to the newly focused widget, not the one focused before.
        Binding("slash", "filter", "Filter", id="main.filter", tooltip="Filter the focused list", priority=True),
        Binding("r", "refresh", "Refresh", id="main.refresh",
                tooltip="Reload rules, local files and datasets"),
        Binding("m", "toggle_maximize", "Maximize", id="main.maximize",
                tooltip="Give the focused pane the whole screen (again, or escape, to restore)"),
        Binding("P", "plan", "Plan", id="main.plan", show=False,
                tooltip="The evaltui.toml's pending rule changes against the workspace (evaltui plan), to apply"),
        *(Binding(str(number), f"focus_pane('{pane}')", label, show=False, id=f"main.focus_{pane}",
                  tooltip=tooltip, priority=True)
          for number, (pane, (label, tooltip)) in enumerate(PANE_KEYS.items(), start=1)),
        # Runner keys work from any pane: they show the runner tab and act there.
        *screen_bindings(),
    ]

    def action_plan(self) -> None:
        from tui.screens.plan_screen import PlanScreen

        self.app.push_screen(PlanScreen(self.app.evaluator_dir))

    def __init__(self, kind: str, masked_key: str) -> None:
        super().__init__(id="main")
        self.kind, self.masked_key = kind, masked_key
        self.selected: Rule | LocalFunction | WorkspaceEvaluator | None = None
        self._reselect = False  # after a change: select again what is under the cursor
        self._filter_target = "evaluators"
        self._recent_errors: dict[str, float] = {}  # message -> when it was last shown

    # -- layout ----------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(icon="◆")
        yield FilterBar(id="filter-bar")
        with Horizontal(id="workspace"):
            with Vertical(id="left-column"):
                yield EvaluatorsPane(id="evaluators-pane", classes="pane")
                yield DatasetsPane(id="datasets-pane", classes="pane")
            with Vertical(id="right-column"):
                yield SourceViewer(id="source-pane", classes="pane")
                with TabbedContent(id="lower-tabs", initial="examples-tab"):
                    with TabPane("Examples", id="examples-tab"):
                        yield ExamplesPane(id="examples-pane", classes="pane")
                    with TabPane("Runner", id="runner-tab"):
                        with Container(id="runner-pane", classes="pane"):
                            yield RunnerPane(evaluator_dir=self.app.evaluator_dir,
                                             export_dir=self.app.settings.home / "exports")
        yield StatusBar(self.kind, self.masked_key, id="status-bar")
        yield FittedFooter(compact=True)

    def on_mount(self) -> None:
        self.query_one(EvaluatorsPane).show_loading(True)
        self.query_one(EvaluatorsPane).show_workspace_loading(True)
        self.query_one(DatasetsPane).show_loading(True)
        # The app opens the workspace in a thread while this screen is built (see EvalTuiApp).
        self.call_after_refresh(self.app.when_backend_settled, self._backend_settled)

    # -- small accessors -------------------------------------------------------------
    @property
    def backend(self):
        return current_backend(self)

    @property
    def evaluators(self) -> EvaluatorsPane:
        return self.query_one(EvaluatorsPane)

    @property
    def datasets(self) -> DatasetsPane:
        return self.query_one(DatasetsPane)

    @property
    def examples(self) -> ExamplesPane:
        return self.query_one(ExamplesPane)

    @property
    def source(self) -> SourceViewer:
        return self.query_one(SourceViewer)

    @property
    def status(self) -> StatusBar:
        return self.query_one(StatusBar)

    @property
    def runner_pane(self) -> RunnerPane:
        return self.query_one(RunnerPane)

    def _require_backend(self) -> bool:
        if self.backend is None:
            self.notify("The workspace is not open yet (see the status bar).", severity="warning")
            return False
        return True

    # -- backend lifecycle -----------------------------------------------------------
    def on_unmount(self) -> None:
        self.stop_watching()

    def _backend_settled(self, description: str | None, error: str | None) -> None:
        self.post_message(BackendOpened(description) if error is None else BackendFailed(error))

    def on_backend_opened(self, event: BackendOpened) -> None:
        self.status.set_location(event.description)
        self.check_connection()
        self.action_refresh()
        self.start_watching()

    def on_backend_failed(self, event: BackendFailed) -> None:
        self.status.set_location("no workspace")
        self.status.set_state("error")
        self.evaluators.show_loading(False)
        self.evaluators.show_workspace_loading(False)
        self.datasets.show_loading(False)
        self.app.push_screen(ErrorModal("Could not open the workspace", event.message))

    @work(thread=True, exclusive=True, group="check", exit_on_error=False)
    def check_connection(self) -> None:
        try:
            self.backend.check()
            self.post_message(ConnectionChecked(None))
        except Exception as err:  # noqa: BLE001
            self.post_message(ConnectionChecked(describe_error(err)))

    def on_connection_checked(self, event: ConnectionChecked) -> None:
        self.status.set_state("error" if event.error else "connected")
        if event.error:
            self._notify_error("Connection", event.error)

    # -- errors ----------------------------------------------------------------------
    def on_operation_failed(self, event: OperationFailed) -> None:
        self.evaluators.show_loading(False)
        if event.modal:
            self.app.push_screen(ErrorModal(event.title, event.message))
        else:
            self._notify_error(event.title, event.message)

    def _notify_error(self, title: str, message: str) -> None:
        """Show an error once: when the server is down, every loader fails with the same sentence."""
        now = time.monotonic()
        self._recent_errors = {m: t for m, t in self._recent_errors.items() if now - t < ERROR_REPEAT_S}
        if message in self._recent_errors:
            return
        self._recent_errors[message] = now
        self.notify(message, title=title, severity="error", timeout=10)

    # -- selection -------------------------------------------------------------------
    def on_evaluators_pane_rule_highlighted(self, event: EvaluatorsPane.RuleHighlighted) -> None:
        self.selected = event.rule
        self.source.show_rule(event.rule)

    def on_evaluators_pane_workspace_highlighted(self, event: EvaluatorsPane.WorkspaceHighlighted) -> None:
        self.selected = event.evaluator
        self.source.show_workspace_evaluator(event.evaluator)

    def on_evaluators_pane_local_highlighted(self, event: EvaluatorsPane.LocalHighlighted) -> None:
        self._select_local(event.function)

    def on_datasets_pane_dataset_chosen(self, event: DatasetsPane.DatasetChosen) -> None:
        self.examples.start(event.dataset)
        self.load_examples(event.dataset.id, 0)

    def on_examples_pane_page_wanted(self, event: ExamplesPane.PageWanted) -> None:
        self.load_examples(event.dataset_id, event.offset)

    def on_examples_pane_example_opened(self, event: ExamplesPane.ExampleOpened) -> None:
        self.app.push_screen(ExampleModal(event.example, event.index))

    # -- focus and filter ------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in LETTER_ACTIONS | FOCUS_ACTIONS and self._typing():
            return False  # the text widget gets its letters, "/" and digits (the source is read-only)
        if action == "runner":
            return self.runner_pane.check_action(str(parameters[0]), ())
        return True

    def _typing(self) -> bool:
        focused = self.focused
        return isinstance(focused, Input) or (isinstance(focused, TextArea) and not focused.read_only)

    def action_focus_pane(self, pane: str) -> None:
        if pane in ("examples", "runner"):
            self.query_one(TabbedContent).active = f"{pane}-tab"
        target: Widget = self.query_one(PANES[pane])
        focusable = [w for w in target.query("*") if w.focusable and w.display]
        # Focused now, not after the queued keys: `2 down down` moves the datasets cursor.
        if focusable:
            self.set_focus(focusable[0])
        elif target.focusable:
            self.set_focus(target)
        else:  # a loading table cannot take the focus: say so rather than ignore the key
            self.notify(f"The {pane} pane is still loading; try again in a moment.", timeout=3)
        if pane in ("evaluators", "datasets", "examples"):
            self._filter_target = pane

    def on_descendant_focus(self, event) -> None:
        for name in ("evaluators", "datasets", "examples"):
            pane = self.query_one(PANES[name])
            if event.widget is pane or pane in event.widget.ancestors:
                self._filter_target = name
                return

    def action_filter(self) -> None:
        self.query_one(FilterBar).open(self._filter_target)

    def on_filter_bar_filter_changed(self, event: FilterBar.FilterChanged) -> None:
        pane = {"evaluators": self.evaluators, "datasets": self.datasets, "examples": self.examples}[
            self._filter_target
        ]
        pane.set_filter(event.text)
        if event.final:
            self.action_focus_pane(self._filter_target)

    def action_toggle_maximize(self) -> None:
        if self.maximized is not None:
            self.minimize()
            return
        focused = self.focused
        for name, selector in PANES.items():
            pane = self.query_one(selector)
            if focused is not None and (focused is pane or pane in focused.ancestors):
                target = self.query_one("#lower-tabs") if name in ("examples", "runner") else pane
                self.maximize(target, container=False)
                return
        self.notify("Focus a pane first (keys 1-5).", severity="warning")

    # -- the runner ------------------------------------------------------------------
    async def action_runner(self, action: str) -> None:
        """Show the runner tab and run one of the runner pane's actions there."""
        self.query_one(TabbedContent).active = "runner-tab"
        current = self.datasets.current
        self.runner_pane.preferred_dataset = current.id if current else None
        await self.runner_pane.run_action(action)

    def on_runner_pane_run_ended(self, event: RunnerPane.RunEnded) -> None:
        if event.status in ("done", "cancelled"):
            self.notify(f"Experiment {event.status}.", timeout=3)

