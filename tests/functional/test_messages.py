"""Dataclass messages: `Message.__post_init__` still sets up each one, handler names stay as they
were, and `can_replace` lets only a newer message of the same kind supersede a queued one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.message import Message
from textual.widget import Widget

from tui.modals.test_modal import TestModal
from tui.modals.upload_modal import UploadModal
from tui.screens import main_messages
from tui.widgets.datasets_pane import DatasetsPane
from tui.widgets.evaluators_pane import EvaluatorsPane
from tui.widgets.examples_pane import ExamplesPane
from tui.widgets.filter_bar import FilterBar
from tui.widgets.results_grid import ResultsGrid
from tui.widgets.runner_pane import RunnerPane

SAMPLES: list[tuple[Message, str]] = [
    (main_messages.BackendOpened("local"), "on_backend_opened"),
    (main_messages.BackendFailed("boom"), "on_backend_failed"),
    (main_messages.ConnectionChecked(None), "on_connection_checked"),
    (main_messages.RulesLoaded([]), "on_rules_loaded"),
    (main_messages.WorkspaceEvaluatorsLoaded(None), "on_workspace_evaluators_loaded"),
    (main_messages.LocalScanned([], Path("."), []), "on_local_scanned"),
    (main_messages.DatasetsLoaded([]), "on_datasets_loaded"),
    (main_messages.ExamplesPageLoaded("ds", 0, [], 0), "on_examples_page_loaded"),
    (main_messages.SourceLoaded(None, ""), "on_source_loaded"),  # type: ignore[arg-type]
    (main_messages.UploadPlanned(None, False), "on_upload_planned"),
    (main_messages.RuleChanged("done"), "on_rule_changed"),
    (main_messages.OperationFailed("Upload failed", "no"), "on_operation_failed"),
    (EvaluatorsPane.RuleHighlighted(None), "on_evaluators_pane_rule_highlighted"),  # type: ignore[arg-type]
    (EvaluatorsPane.LocalHighlighted(None), "on_evaluators_pane_local_highlighted"),  # type: ignore[arg-type]
    (EvaluatorsPane.WorkspaceHighlighted(None), "on_evaluators_pane_workspace_highlighted"),  # type: ignore[arg-type]
    (DatasetsPane.DatasetChosen(None), "on_datasets_pane_dataset_chosen"),  # type: ignore[arg-type]
    (ExamplesPane.PageWanted("ds", 200), "on_examples_pane_page_wanted"),
    (ExamplesPane.ExampleOpened(None, 0), "on_examples_pane_example_opened"),  # type: ignore[arg-type]
    (FilterBar.FilterChanged("x"), "on_filter_bar_filter_changed"),
    (ResultsGrid.CellChosen("ex", None), "on_results_grid_cell_chosen"),
    (RunnerPane.RunEnded("exp", "done"), "on_runner_pane_run_ended"),
    (TestModal.TestFinished("ds"), "on_test_modal_test_finished"),
    (UploadModal.PreviewBuilt("fn", "", []), "on_upload_modal_preview_built"),
    (UploadModal.ProjectsLoaded([]), "on_upload_modal_projects_loaded"),
]


@pytest.mark.parametrize(("message", "handler"), SAMPLES, ids=[h for _, h in SAMPLES])
def test_a_dataclass_message_is_a_complete_message(message: Message, handler: str):
    assert dataclasses.is_dataclass(message)
    assert message.handler_name == handler
    # What Message.__init__ sets up: without it dispatch and bubbling fail on missing attributes.
    assert message.time > 0 and message._prevent == set()
    assert not message.is_forwarded and not message._stop_propagation and not message._no_default_action


def test_only_a_newer_message_of_the_same_kind_supersedes():
    typed, final = FilterBar.FilterChanged("ma"), FilterBar.FilterChanged("match", final=True)
    assert typed.can_replace(FilterBar.FilterChanged("mat"))
    assert not final.can_replace(FilterBar.FilterChanged(""))  # enter / escape is always handled
    assert not typed.can_replace(ExamplesPane.PageWanted("ds", 0))
    assert not ExamplesPane.PageWanted("ds", 0).can_replace(ExamplesPane.PageWanted("ds", 200))  # each page
    assert not main_messages.OperationFailed("a", "b").can_replace(main_messages.OperationFailed("c", "d"))


class _Poster(Widget):
    pass


class _Recorder(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, bool]] = []

    def compose(self) -> ComposeResult:
        yield _Poster()

    def on_filter_bar_filter_changed(self, event: FilterBar.FilterChanged) -> None:
        self.seen.append((event.text, event.final))


async def test_dataclass_messages_bubble_to_their_handlers_and_combine():
    app = _Recorder()
    async with app.run_test() as pilot:
        poster = app.query_one(_Poster)
        for text in ("m", "ma", "mat"):
            poster.post_message(FilterBar.FilterChanged(text))
        poster.post_message(FilterBar.FilterChanged("mat", final=True))
        await pilot.pause()
        assert app.seen[-1] == ("mat", True)
        assert ("mat", True) in app.seen and len(app.seen) <= 4
        assert all(text in ("m", "ma", "mat") for text, _ in app.seen)
