"""The main screen's loading: thread workers that read the workspace and the local files, and the
handlers that put what they read into the panes.

A mixin of `MainScreen` (it uses the screen's pane accessors and `backend`); workers never touch
widgets, they post the past-tense messages of `main_messages`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from tui.backend.core.errors import InvalidInput
from tui.backend.source.functions import BrokenFile, LocalFunction
from tui.screens.main_messages import (
    DatasetsLoaded,
    ExamplesPageLoaded,
    LocalScanned,
    RulesLoaded,
    SourceLoaded,
    WorkspaceEvaluatorsLoaded,
)
from tui.screens.worker_failures import reports_failure
from tui.widgets.examples_pane import PAGE_SIZE

if TYPE_CHECKING:
    from tui.backend.core.models import Rule, WorkspaceEvaluator


class WorkspaceLoading:
    """Rules, local functions, workspace evaluators, datasets, example pages and source files."""

    _file_problems: frozenset[str] = frozenset()  # the last scan's problems, each notified once
    _select_when_scanned: str | None = None  # path::function to select once a scan lists it

    def action_refresh(self) -> None:
        if not self._require_backend():
            return
        self._recent_errors.clear()  # a refresh the user asked for reports its errors afresh
        self.evaluators.show_loading(True)
        self.evaluators.show_workspace_loading(True)
        self.datasets.show_loading(True)
        self.load_evaluators()
        self.load_datasets()

    # -- workers ---------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="evaluators", exit_on_error=False)
    def load_evaluators(self) -> None:
        rules = self._list_rules()
        self.post_message(RulesLoaded(rules or []))
        self._scan_local_files(rules or [])
        # Last: on LangSmith it is one more round trip, and the local files matter first.
        self.post_message(WorkspaceEvaluatorsLoaded(self._list_workspace_evaluators()))

    @work(thread=True, exclusive=True, group="rescan-local-files", exit_on_error=False)
    def rescan_local_files(self, rules: list[Rule]) -> None:
        """Only the local files, with the rules already listed (after a file changed or was created)."""
        self._scan_local_files(rules)

    def _scan_local_files(self, rules: list[Rule]) -> None:
        from tui.backend.source.discovery import scan_local_functions

        directory: Path = self.app.evaluator_dir
        functions, problems = scan_local_functions(directory, rules)
        self.post_message(LocalScanned(functions, directory, problems))

    @reports_failure("Could not load rules")
    def _list_rules(self) -> list[Rule] | None:
        return self.backend.list_rules()

    @reports_failure("Could not load workspace evaluators")
    def _list_workspace_evaluators(self) -> list[WorkspaceEvaluator] | None:
        return self.backend.list_workspace_evaluators()

    @work(thread=True, exclusive=True, group="datasets", exit_on_error=False)
    def load_datasets(self) -> None:
        self.post_message(DatasetsLoaded(self._list_datasets() or []))

    @reports_failure("Could not load datasets")
    def _list_datasets(self) -> list | None:
        return list(self.backend.list_datasets())

    @work(thread=True, group="examples", exit_on_error=False)
    def load_examples(self, dataset_id: str, offset: int) -> None:
        page = self._examples_page(dataset_id, offset)
        self.post_message(page if page is not None else ExamplesPageLoaded(dataset_id, -1, [], 0))

    @reports_failure("Could not load examples")
    def _examples_page(self, dataset_id: str, offset: int) -> ExamplesPageLoaded | None:
        total = self.backend.count_examples(dataset_id)
        page = list(self.backend.list_examples(dataset_id, offset=offset, limit=PAGE_SIZE))
        return ExamplesPageLoaded(dataset_id, offset, page, total)

    @work(thread=True, exclusive=True, group="source", exit_on_error=False)
    def load_source(self, function: LocalFunction) -> None:
        text = self._read_source(function)
        if text is not None:
            self.post_message(SourceLoaded(function, text))

    @reports_failure("Could not read the file")
    def _read_source(self, function: LocalFunction) -> str | None:
        # A file that is not UTF-8 is still shown (bad bytes as U+FFFD) next to its error.
        errors = "replace" if isinstance(function, BrokenFile) else "strict"
        try:
            return function.path.read_text(encoding="utf-8", errors=errors)
        except (OSError, UnicodeDecodeError) as err:
            raise InvalidInput(f"Could not read {function.path}: {err}.") from None

    # -- handlers --------------------------------------------------------------------
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
            if problem not in self._file_problems:  # a rescan after every save repeats only what is new
                self.notify(problem, title="Evaluator file", severity="warning", timeout=8)
        self._file_problems = frozenset(event.problems)
        wanted = self._select_when_scanned
        created = next((f for f in event.functions if f.key == wanted), None) if wanted else None
        if created is not None:  # a file `n` just created: select it in the list and show it
            self._select_when_scanned = None
            self.evaluators.select_local(created.key)
            self._select_local(created)
            return
        selected = self.selected
        if selected is None and event.functions:
            self._select_local(event.functions[0])
            return
        if isinstance(selected, LocalFunction):
            same = next((f for f in event.functions if f.key == selected.key), None)
            if same is None:  # its file broke, or was mended: its first row now, when the cursor is not here
                same = next((f for f in event.functions if f.path == selected.path), None)
                if same is not None and self.evaluators.selection_under_cursor() is None:
                    self._select_local(same)
                    return
            elif same != selected:  # its file changed: show it as it is now
                self._select_local(same)
                return
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
            if isinstance(f, BrokenFile):
                self.source.show_file(f.path, event.text, None, f.lineno, f.problem)
                return
            rule = self.evaluators.rule_named(f.name)
            note = None
            if rule is not None and not rule.is_python:
                note = f"the rule of that name is {rule.kind_label}: not comparable"
            self.source.show_file(f.path, event.text, f.name, f.lineno, note)

    def _select_local(self, function: LocalFunction) -> None:
        self.selected = function
        self.load_source(function)
