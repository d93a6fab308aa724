"""The datasets' yes/no questions: delete a dataset, delete an example, open an edited example again.

Each names exactly what it changes; Cancel has the focus (`ConfirmModal`).
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from tui.backend.core.models import Dataset, Example, Experiment
from tui.modals.confirm_modal import ConfirmModal, DeleteConfirmModal, confirm_bindings
from tui.widgets.formatting import one_line


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def delete_dataset_question(dataset: Dataset, examples: int, experiments: list[Experiment]) -> str:
    question = f"Delete dataset {dataset.name!r}? Its {_plural(examples, 'example')}"
    if not experiments:
        return f"{question} and its versions go with it; no experiment has run on it."
    shown = ", ".join(e.name for e in experiments[:5])
    names = f" ({shown}{', …' if len(experiments) > 5 else ''})"
    return f"{question}, its versions and the {_plural(len(experiments), 'experiment')} run on it{names} are deleted with it."


class DeleteDatasetModal(DeleteConfirmModal):
    TITLE_TEXT = "Delete dataset"
    BINDINGS = confirm_bindings("delete_dataset", "Delete")

    def __init__(self, dataset: Dataset, examples: int, experiments: list[Experiment]) -> None:
        super().__init__()
        self.dataset = dataset
        self.question = delete_dataset_question(dataset, examples, experiments)

    def compose_body(self) -> ComposeResult:
        yield Static(f"{self.question}\n\nThis cannot be undone.", id="delete-message", markup=False)


class DeleteExampleModal(DeleteConfirmModal):
    TITLE_TEXT = "Delete example"
    BINDINGS = confirm_bindings("delete_example", "Delete")

    def __init__(self, dataset: Dataset, example: Example, index: int) -> None:
        super().__init__()
        self.example = example
        self.question = (f"Delete example #{index + 1} of {dataset.name!r} (inputs {one_line(example.inputs, 60)})? "
                         "Versions before this one keep it.")

    def compose_body(self) -> ComposeResult:
        yield Static(self.question, id="delete-message", markup=False)


class ReopenExampleModal(ConfirmModal):
    """The edited text does not read as an example: open it again (True) or drop the edit."""

    TITLE_TEXT = "The example was not saved"
    CONFIRM_LABEL = "Edit again"
    CONFIRM_VARIANT = "primary"
    BINDINGS = confirm_bindings("example_reopen", "Edit again", confirm_id="reopen")

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem

    def compose_body(self) -> ComposeResult:
        yield Static(f"✖ {self.problem}\n\nNothing was written. Edit again to fix it (your text is kept), "
                     "or cancel to drop the edit.", id="delete-message", markup=False)
