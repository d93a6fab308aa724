"""The main screen: panes, actions and the thread workers that talk to the backend.

Data flows one way: a key -> an action here -> a thread worker calling the backend / ops ->
a past-tense message -> a handler that updates widgets. Workers never touch widgets.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import (
    Footer,
    Header,
    Input,
    TabbedContent,
    TabPane,
    TextArea,
)

from tui.backend.core.errors import describe_error
from tui.backend.core.models import Dataset, Example, Rule, WorkspaceEvaluator
from tui.modals.confirm_delete_modal import ConfirmDeleteModal
from tui.modals.error_modal import ErrorModal
from tui.modals.example_modal import ExampleModal
from tui.modals.replace_modal import ReplaceModal
from tui.modals.test_modal import TestModal
from tui.modals.upload_modal import UploadModal, UploadRequest
from tui.widgets.datasets_pane import DatasetsPane
from tui.widgets.evaluators_pane import EvaluatorsPane, LocalFunction
from tui.widgets.examples_pane import PAGE_SIZE, ExamplesPane
from tui.widgets.filter_bar import FilterBar
from tui.widgets.runner_pane import RunnerPane
from tui.widgets.source_viewer import SourceViewer
from tui.widgets.status_bar import StatusBar

# Letter keys stand for global actions; a focused text widget gets to keep its letters.
LETTER_ACTIONS = frozenset({"upload", "replace", "delete", "test", "refresh", "toggle_maximize"})

ERROR_REPEAT_S = 10.0  # the same error message within this many seconds is shown once

PANES = {
    "evaluators": "#evaluators-pane",
    "datasets": "#datasets-pane",
    "source": "#source-pane",
    "examples": "#examples-pane",
    "runner": "#runner-pane",
}


# -- messages posted by workers (past tense) -------------------------------------------
class BackendOpened(Message):
    def __init__(self, description: str) -> None:
        super().__init__()
        self.description = description


class BackendFailed(Message):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class ConnectionChecked(Message):
    def __init__(self, error: str | None) -> None:
        super().__init__()
        self.error = error


class RulesLoaded(Message):
    def __init__(self, rules: list[Rule]) -> None:
        super().__init__()
        self.rules = rules


class WorkspaceEvaluatorsLoaded(Message):
    def __init__(self, evaluators: list[WorkspaceEvaluator] | None) -> None:
        super().__init__()
        self.evaluators = evaluators  # None: the listing failed (reported apart)


class LocalScanned(Message):
    def __init__(self, functions: list[LocalFunction], directory: Path, problems: list[str]) -> None:
        super().__init__()
        self.functions, self.directory, self.problems = functions, directory, problems


class DatasetsLoaded(Message):
    def __init__(self, datasets: list[Dataset]) -> None:
        super().__init__()
        self.datasets = datasets


class ExamplesPageLoaded(Message):
    def __init__(self, dataset_id: str, offset: int, examples: list[Example], total: int) -> None:
        super().__init__()
        self.dataset_id, self.offset, self.examples, self.total = dataset_id, offset, examples, total


class SourceLoaded(Message):
    def __init__(self, function: LocalFunction, text: str) -> None:
        super().__init__()
        self.function, self.text = function, text


class UploadPlanned(Message):
    def __init__(self, plan: Any, replace_only: bool) -> None:
        super().__init__()
        self.plan, self.replace_only = plan, replace_only


class RuleChanged(Message):
    """An upload, replace or delete finished; `message` says what happened."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class OperationFailed(Message):
    def __init__(self, title: str, message: str, modal: bool = False) -> None:
        super().__init__()
        self.title, self.message, self.modal = title, message, modal


class MainScreen(Screen):
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
        Binding("slash", "filter", "Filter", id="main.filter", tooltip="Filter the focused list"),
        Binding("r", "refresh", "Refresh", id="main.refresh",
                tooltip="Reload rules, local files and datasets"),
        Binding("m", "toggle_maximize", "Maximize", id="main.maximize",
                tooltip="Give the focused pane the whole screen (again, or escape, to restore)"),
        Binding("1", "focus_pane('evaluators')", "Evaluators", show=False, id="main.focus_evaluators",
                tooltip="Focus the evaluators pane"),
        Binding("2", "focus_pane('datasets')", "Datasets", show=False, id="main.focus_datasets",
                tooltip="Focus the datasets pane"),
        Binding("3", "focus_pane('source')", "Source", show=False, id="main.focus_source",
                tooltip="Focus the source viewer"),
        Binding("4", "focus_pane('examples')", "Examples", show=False, id="main.focus_examples",
                tooltip="Focus the examples table"),
        Binding("5", "focus_pane('runner')", "Runner", show=False, id="main.focus_runner",
                tooltip="Show the runner pane"),
        # Runner keys work from any pane: they show the runner tab and act there.
        Binding("ctrl+r", "runner('start_experiment')", "Run", id="main.run",
                tooltip="Start an experiment: dataset, target, evaluators"),
        Binding("ctrl+o", "runner('open_experiments')", "Experiments", id="main.experiments",
                tooltip="List experiments per dataset; compare and export them"),
        Binding("ctrl+f", "runner('retry_failed')", "Retry failed", show=False, id="main.retry",
                tooltip="Re-run the examples that failed or have evaluator errors"),
        Binding("ctrl+e", "runner('rescore')", "Re-score", show=False, id="main.rescore",
                tooltip="Apply more evaluators to the shown experiment without re-running the target"),
        Binding("ctrl+k", "runner('compare')", "Compare", show=False, id="main.compare",
                tooltip="Compare the shown experiment with another one"),
        Binding("ctrl+x", "runner('export')", "Export", show=False, id="main.export",
                tooltip="Export the shown experiment as CSV and JSON"),
        Binding("ctrl+c", "runner('cancel_run')", "Cancel run", show=False, id="main.cancel_run",
                tooltip="Stop the running experiment; finished results are kept"),
    ]

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
                            yield RunnerPane(
                                lambda: self.app.backend,
                                evaluator_dir=getattr(self.app, "evaluator_dir", None),
                                export_dir=self.app.settings.home / "exports"
                                if hasattr(self.app, "settings") else None,
                            )
        yield StatusBar(self.kind, self.masked_key, id="status-bar")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one(EvaluatorsPane).show_loading(True)
        self.query_one(EvaluatorsPane).show_workspace_loading(True)
        self.query_one(DatasetsPane).show_loading(True)
        # The app opens the workspace in a thread while this screen is built (see EvalTuiApp).
        self.call_after_refresh(self.app.when_backend_settled, self._backend_settled)

    # -- small accessors -------------------------------------------------------------
    @property
    def backend(self):
        return self.app.backend

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

    def _require_backend(self) -> bool:
        if self.backend is None:
            self.notify("The workspace is not open yet (see the status bar).", severity="warning")
            return False
        return True

    # -- backend lifecycle -----------------------------------------------------------
    def _backend_settled(self, description: str | None, error: str | None) -> None:
        self.post_message(BackendOpened(description) if error is None else BackendFailed(error))

    def on_backend_opened(self, event: BackendOpened) -> None:
        self.status.set_location(event.description)
        self.check_connection()
        self.action_refresh()

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

    def _notify_error(self, title: str, message: str) -> None:
        """Show an error once: when the server is down, every loader fails with the same sentence."""
        now = time.monotonic()
        self._recent_errors = {m: t for m, t in self._recent_errors.items() if now - t < ERROR_REPEAT_S}
        if message in self._recent_errors:
            return
        self._recent_errors[message] = now
        self.notify(message, title=title, severity="error", timeout=10)

    # -- loading ---------------------------------------------------------------------
    def action_refresh(self) -> None:
        if not self._require_backend():
            return
        self._recent_errors.clear()  # a refresh the user asked for reports its errors afresh
        self.evaluators.show_loading(True)
        self.evaluators.show_workspace_loading(True)
        self.datasets.show_loading(True)
        self.load_evaluators()
        self.load_datasets()

    @work(thread=True, exclusive=True, group="evaluators", exit_on_error=False)
    def load_evaluators(self) -> None:
        try:
            rules = self.backend.list_rules()
        except Exception as err:  # noqa: BLE001
            rules = None
            self.post_message(OperationFailed("Could not load rules", describe_error(err)))
        self.post_message(RulesLoaded(rules or []))
        directory: Path = self.app.evaluator_dir
        functions, problems = scan_local_functions(directory, rules or [])
        self.post_message(LocalScanned(functions, directory, problems))
        # Last: on LangSmith it is one more round trip, and the local files matter first.
        try:
            evaluators = self.backend.list_workspace_evaluators()
        except Exception as err:  # noqa: BLE001
            evaluators = None
            self.post_message(OperationFailed("Could not load workspace evaluators", describe_error(err)))
        self.post_message(WorkspaceEvaluatorsLoaded(evaluators))

    @work(thread=True, exclusive=True, group="datasets", exit_on_error=False)
    def load_datasets(self) -> None:
        try:
            datasets = list(self.backend.list_datasets())
        except Exception as err:  # noqa: BLE001
            datasets = []
            self.post_message(OperationFailed("Could not load datasets", describe_error(err)))
        self.post_message(DatasetsLoaded(datasets))

    @work(thread=True, group="examples", exit_on_error=False)
    def load_examples(self, dataset_id: str, offset: int) -> None:
        try:
            total = self.backend.count_examples(dataset_id)
            page = list(self.backend.list_examples(dataset_id, offset=offset, limit=PAGE_SIZE))
        except Exception as err:  # noqa: BLE001
            self.post_message(OperationFailed("Could not load examples", describe_error(err)))
            self.post_message(ExamplesPageLoaded(dataset_id, -1, [], 0))
            return
        self.post_message(ExamplesPageLoaded(dataset_id, offset, page, total))

    @work(thread=True, exclusive=True, group="source", exit_on_error=False)
    def load_source(self, function: LocalFunction) -> None:
        try:
            text = function.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            self.post_message(OperationFailed("Could not read the file", f"Could not read {function.path}: {err}."))
            return
        self.post_message(SourceLoaded(function, text))

    def on_rules_loaded(self, event: RulesLoaded) -> None:
        self.evaluators.show_loading(False)
        self.evaluators.show_rules(event.rules)
        self._follow_cursor()

    def on_workspace_evaluators_loaded(self, event: WorkspaceEvaluatorsLoaded) -> None:
        self.evaluators.show_workspace_loading(False)
        if event.evaluators is not None:
            self.evaluators.show_workspace(event.evaluators)

    def on_local_scanned(self, event: LocalScanned) -> None:
        self.evaluators.show_local(event.functions, event.directory)
        for problem in event.problems:
            self.notify(problem, title="Evaluator file", severity="warning", timeout=8)
        if self.selected is None and event.functions:
            self._select_local(event.functions[0])
        else:
            self._follow_cursor()

    def on_datasets_loaded(self, event: DatasetsLoaded) -> None:
        self.datasets.show_loading(False)
        self.datasets.forget_announced()
        self.datasets.show(event.datasets)

    def on_examples_page_loaded(self, event: ExamplesPageLoaded) -> None:
        if event.offset < 0:
            self.examples.page_failed()
            return
        self.examples.add_page(event.dataset_id, event.offset, event.examples, event.total)

    def on_source_loaded(self, event: SourceLoaded) -> None:
        if self.selected == event.function:
            f = event.function
            rule = self.evaluators.rule_named(f.name)
            note = None
            if rule is not None and not rule.is_python:
                note = f"the rule of that name is {rule.kind_label}: not comparable"
            self.source.show_file(f.path, event.text, f.name, f.lineno, note)

    # -- selection -------------------------------------------------------------------
    def on_evaluators_pane_rule_highlighted(self, event: EvaluatorsPane.RuleHighlighted) -> None:
        self.selected = event.rule
        self.source.show_rule(event.rule)

    def on_evaluators_pane_workspace_highlighted(self, event: EvaluatorsPane.WorkspaceHighlighted) -> None:
        self.selected = event.evaluator
        self.source.show_workspace_evaluator(event.evaluator)

    def on_evaluators_pane_local_highlighted(self, event: EvaluatorsPane.LocalHighlighted) -> None:
        self._select_local(event.function)

    def _select_local(self, function: LocalFunction) -> None:
        self.selected = function
        self.load_source(function)

    def on_datasets_pane_dataset_chosen(self, event: DatasetsPane.DatasetChosen) -> None:
        self.examples.start(event.dataset)
        self.load_examples(event.dataset.id, 0)

    def on_examples_pane_page_wanted(self, event: ExamplesPane.PageWanted) -> None:
        self.load_examples(event.dataset_id, event.offset)

    def on_examples_pane_example_opened(self, event: ExamplesPane.ExampleOpened) -> None:
        self.app.push_screen(ExampleModal(event.example, event.index))

    # -- focus and filter ------------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in LETTER_ACTIONS and isinstance(self.focused, (Input, TextArea)):
            return False
        if action == "runner":
            return self.runner_pane.check_action(str(parameters[0]), ())
        return True

    @property
    def runner_pane(self) -> RunnerPane:
        return self.query_one(RunnerPane)

    async def action_runner(self, action: str) -> None:
        """Show the runner tab and run one of the runner pane's actions there."""
        self.query_one(TabbedContent).active = "runner-tab"
        current = self.datasets.current
        self.runner_pane.preferred_dataset = current.id if current else None
        await self.runner_pane.run_action(action)

    def on_runner_pane_run_ended(self, event: RunnerPane.RunEnded) -> None:
        if event.status in ("done", "cancelled"):
            self.notify(f"Experiment {event.status}.", timeout=3)

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

    def action_focus_pane(self, pane: str) -> None:
        if pane in ("examples", "runner"):
            self.query_one(TabbedContent).active = f"{pane}-tab"
        target: Widget = self.query_one(PANES[pane])
        focusable = [w for w in target.query("*") if w.focusable and w.display]
        if focusable:
            focusable[0].focus()
        elif target.focusable:
            target.focus()
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

    # -- the selected evaluator, seen from each action -------------------------------
    def _selected_function(self, verb: str) -> LocalFunction | None:
        sel = self.selected
        if isinstance(sel, LocalFunction):
            return sel
        if isinstance(sel, Rule):
            fn = self.evaluators.local_named(sel.name)
            if fn is not None:
                return fn
            self.notify(f"No local function is named {sel.name!r}; select a local function to {verb}.",
                        severity="warning")
            return None
        if isinstance(sel, WorkspaceEvaluator):
            self.notify(f"{sel.name!r} is a workspace evaluator (read-only here); select a local "
                        f"function to {verb}.", severity="warning")
            return None
        self.notify(f"Select a local function to {verb} (evaluators pane, key 1).", severity="warning")
        return None

    def _selected_rule(self) -> Rule | None:
        sel = self.selected
        if isinstance(sel, Rule):
            return sel
        if isinstance(sel, LocalFunction):
            rule = self.evaluators.rule_named(sel.name)
            if rule is not None:
                return rule
            self.notify(f"No uploaded rule is named {sel.name!r}.", severity="warning")
            return None
        if isinstance(sel, WorkspaceEvaluator):
            self.notify(f"{sel.name!r} is a workspace evaluator: evaltui does not change those; "
                        "select an uploaded rule.", severity="warning")
            return None
        self.notify("Select an uploaded rule first (evaluators pane, key 1).", severity="warning")
        return None

    # -- upload / replace ------------------------------------------------------------
    def action_upload(self) -> None:
        if not self._require_backend():
            return
        fn = self._selected_function("upload")
        if fn is None:
            return
        siblings = [f.name for f in self.evaluators.local_functions if f.path == fn.path]
        rule = self.evaluators.rule_named(fn.name)
        target: tuple[str, str] | None = None
        rate = 1.0
        if rule is not None:
            rate = rule.sampling_rate
            if rule.dataset_name:
                target = ("dataset", rule.dataset_name)
            elif rule.project_name:
                target = ("project", rule.project_name)
        elif self.datasets.current is not None:
            target = ("dataset", self.datasets.current.name)
        modal = UploadModal(
            fn.path, siblings, fn.name, [d.name for d in self.datasets.datasets], target, rate
        )
        self.app.push_screen(modal, self._upload_requested)

    def _upload_requested(self, request: UploadRequest | None) -> None:
        if request is None:
            self.notify("Upload cancelled; nothing was sent.")
            return
        self.plan_upload(request, None, replace_only=False)

    def action_replace(self) -> None:
        if not self._require_backend():
            return
        fn = self._selected_function("replace with")
        if fn is None:
            return
        rule = self.evaluators.rule_named(fn.name)
        if rule is None:
            self.notify(f"No uploaded rule is named {fn.name!r}; press u to upload it.", severity="warning")
            return
        # No rate: the rule keeps its own sampling rate, state and other settings.
        request = UploadRequest(fn.path, fn.name, rule.name, None, None, None)  # type: ignore[arg-type]
        self.plan_upload(request, rule.id, replace_only=True)

    @work(thread=True, exclusive=True, group="upload", exit_on_error=False)
    def plan_upload(self, request: UploadRequest, rule_id: str | None, replace_only: bool) -> None:
        from tui.backend.rules.ops import plan_upload

        try:
            plan = plan_upload(
                self.backend, request.path, request.function, request.name,
                dataset=request.dataset, project=request.project,
                sample_rate=request.sample_rate, rule_id=rule_id,
            )
        except Exception as err:  # noqa: BLE001
            self.post_message(OperationFailed("Upload failed", describe_error(err), modal=True))
            return
        self.post_message(UploadPlanned(plan, replace_only))

    def on_upload_planned(self, event: UploadPlanned) -> None:
        plan = event.plan
        if plan.is_ambiguous:
            from tui.backend.rules.ops import ambiguous_error

            self.app.push_screen(ErrorModal("Several rules share this name",
                                            str(ambiguous_error(plan.spec.name, plan.existing))))
            return
        from tui.modals.upload_check_modal import UploadCheckModal, upload_check_lines

        check = upload_check_lines(plan)
        if not plan.existing:
            if not check:
                self.apply_upload(plan, replace=False)
                return

            def checked(yes: bool | None) -> None:
                if yes:
                    self.apply_upload(plan, replace=False)
                else:
                    self.notify(f"Upload cancelled; {plan.spec.name!r} was not uploaded.")

            self.app.push_screen(UploadCheckModal(plan.spec.name, check), checked)
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.apply_upload(plan, replace=True)
            else:
                self.notify(f"Replace cancelled; {plan.spec.name!r} was not changed.")

        warnings = list(plan.warnings) + (plan.sandbox.lines() if plan.sandbox is not None and plan.sandbox.failed else [])
        self.app.push_screen(
            ReplaceModal(plan.spec.name, plan.target_label, plan.diff, warnings, plan.settings),
            answered,
        )

    @work(thread=True, exclusive=True, group="upload", exit_on_error=False)
    def apply_upload(self, plan: Any, replace: bool) -> None:
        from tui.backend.rules.ops import apply_upload

        try:
            outcome = apply_upload(self.backend, plan, replace=replace)
        except Exception as err:  # noqa: BLE001
            self.post_message(OperationFailed("Upload failed", describe_error(err), modal=True))
            return
        self.post_message(RuleChanged(outcome.message))

    # -- delete ----------------------------------------------------------------------
    def action_delete(self) -> None:
        if not self._require_backend():
            return
        rule = self._selected_rule()
        if rule is None:
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.delete_rule(rule)
            else:
                self.notify(f"Delete cancelled; {rule.name!r} was kept.")

        self.app.push_screen(ConfirmDeleteModal(rule), answered)

    @work(thread=True, exclusive=True, group="delete", exit_on_error=False)
    def delete_rule(self, rule: Rule) -> None:
        from tui.backend.rules.ops import delete_rule

        try:
            message = delete_rule(self.backend, rule)
        except Exception as err:  # noqa: BLE001
            self.post_message(OperationFailed("Delete failed", describe_error(err), modal=True))
            return
        self.post_message(RuleChanged(message))

    def on_rule_changed(self, event: RuleChanged) -> None:
        self.notify(event.message, title="Done")
        # The selection stays the row under the cursor; it is read again once the lists reload.
        self._reselect = True
        self.evaluators.show_loading(True)
        self.load_evaluators()

    def _follow_cursor(self) -> None:
        """After a change: select what is under the cursor of the table the user works in."""
        if not self._reselect:
            return
        current = self.evaluators.selection_under_cursor()
        if current is None:
            return
        if isinstance(current, LocalFunction):
            if current != self.selected:
                self._select_local(current)
        elif isinstance(current, Rule):
            self.selected = current
            self.source.show_rule(current)
        else:
            self.selected = current
            self.source.show_workspace_evaluator(current)

    # -- test ------------------------------------------------------------------------
    def action_test(self) -> None:
        if not self._require_backend():
            return
        sel = self.selected
        current = self.datasets.current
        names = [d.name for d in self.datasets.datasets]
        if isinstance(sel, Rule):
            if sel.kind not in ("python", "llm"):
                self.notify(f"{sel.name!r} is a {sel.kind_label} rule: evaltui cannot run it locally "
                            "(Python code and LLM-judge rules can be tested).", severity="warning")
                return
            # The rule under the cursor itself, not a local function that happens to share its name.
            dataset = sel.dataset_name if sel.dataset_name in names else (current.name if current else None)
            self.app.push_screen(TestModal(None, sel.name, names, dataset, rule=sel.name))
            return
        if isinstance(sel, WorkspaceEvaluator):
            self.notify(f"{sel.name!r} is a workspace evaluator: evaltui cannot run it locally yet.",
                        severity="warning")
            return
        fn = self._selected_function("test")
        if fn is None:
            return
        self.app.push_screen(TestModal(fn.path, fn.name, names, current.name if current else None))

    # -- errors ----------------------------------------------------------------------
    def on_operation_failed(self, event: OperationFailed) -> None:
        self.evaluators.show_loading(False)
        if event.modal:
            self.app.push_screen(ErrorModal(event.title, event.message))
        else:
            self._notify_error(event.title, event.message)


def scan_local_functions(directory: Path, rules: list[Rule]) -> tuple[list[LocalFunction], list[str]]:
    """Evaluator functions in `directory/*.py` (by AST) and whether each matches its uploaded rule.

    Runs in a worker thread: it reads files and bundles code, but never executes the files.
    """
    from tui.backend.source.loader import find_evaluators

    found, problems = find_evaluators(directory)
    by_name = {r.name: r for r in rules}
    functions = [
        LocalFunction(
            path=path, name=info.name, lineno=info.lineno, end_lineno=info.end_lineno,
            signature=info.signature, is_async=info.is_async, is_judge=info.is_judge,
            sync=_sync_state(path, info.name, by_name.get(info.name)),
        )
        for path, info in found
    ]
    return functions, problems


def _sync_state(path: Path, function: str, rule: Rule | None) -> str:
    if rule is None:
        return "not uploaded"
    if not rule.is_python:
        return "unknown"  # a JavaScript, LLM or actions-only rule: nothing to compare the file with
    try:
        from tui.backend.source.bundle import bundle_for_upload

        code = bundle_for_upload(path, function).code
    except Exception:  # noqa: BLE001 - a file that cannot be bundled is shown as unknown
        return "unknown"
    return "in sync" if code.strip() == (rule.code or "").strip() else "changed"
