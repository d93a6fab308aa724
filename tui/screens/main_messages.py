"""Messages the main screen's thread workers post to it (past tense: something has happened).

Dataclass messages, as in toolong: `Message.__post_init__` does what `Message.__init__` would,
so the generated `__init__` leaves a complete message. `can_replace` lets a newer message of the
same kind supersede one still queued when only the latest matters.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

if TYPE_CHECKING:
    from tui.backend.core.models import Dataset, Example, Rule, WorkspaceEvaluator
    from tui.backend.source.functions import LocalFunction


@dataclass
class BackendOpened(Message):
    description: str


@dataclass
class BackendFailed(Message):
    message: str


@dataclass
class ConnectionChecked(Message):
    error: str | None

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, ConnectionChecked)


@dataclass
class RulesLoaded(Message):
    rules: list[Rule]


@dataclass
class WorkspaceEvaluatorsLoaded(Message):
    evaluators: list[WorkspaceEvaluator] | None  # None: the listing failed (reported apart)


@dataclass
class LocalScanned(Message):
    functions: list[LocalFunction]
    directory: Path
    problems: list[str]


@dataclass
class DatasetsLoaded(Message):
    datasets: list[Dataset]


@dataclass
class ExamplesPageLoaded(Message):
    dataset_id: str
    offset: int  # -1: the page could not be loaded (reported apart)
    examples: list[Example]
    total: int


@dataclass
class SourceLoaded(Message):
    function: LocalFunction
    text: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SourceLoaded)  # only the file of the latest selection is shown


@dataclass
class UploadPlanned(Message):
    plan: Any
    replace_only: bool
    sandbox_failure_accepted: bool = False  # asked in the upload form already


@dataclass
class RuleChanged(Message):
    """An upload, replace or delete finished; `message` says what happened."""

    message: str


@dataclass
class OperationFailed(Message):
    title: str
    message: str
    modal: bool = False


@dataclass
class DatasetsChanged(Message):
    """A dataset or its examples were written (created, imported, added to, deleted): reload the
    datasets list, then highlight `name` (None: where the cursor is)."""

    name: str | None = None
