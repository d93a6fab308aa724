"""Progress events the runner emits while an experiment runs.

The CLI and the app both consume them through a `ProgressSink` (any callable taking one event).
Events are small frozen dataclasses with slots: the runner may emit thousands per second, so
building one must stay cheap and a sink must never block for long.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Union

from tui.backend.core.models import ExperimentResult, Score


@dataclass(frozen=True, slots=True)
class ExperimentStarted:
    experiment_id: str
    name: str
    total: int
    url: str | None = None
    dataset_id: str | None = None
    #: names of rules scored with the experiment: run locally, or applied by the LangSmith server
    rules: tuple[str, ...] = ()
    rules_run_by: str = "local"  # "local" | "server"


@dataclass(frozen=True, slots=True)
class ExampleStarted:
    example_id: str


@dataclass(frozen=True, slots=True)
class ExampleFinished:
    result: ExperimentResult


@dataclass(frozen=True, slots=True)
class ScoreRecorded:
    example_id: str
    score: Score


@dataclass(frozen=True, slots=True)
class TargetFailed:
    example_id: str
    error: str


@dataclass(frozen=True, slots=True)
class UploadVerifying:
    """After a LangSmith run: waiting for the server to show the uploaded results (ingestion is
    asynchronous). Emitted before each new look."""

    visible: int  # finished rows the server shows so far
    expected: int
    waited_s: float
    limit_s: float


@dataclass(frozen=True, slots=True)
class RunFinished:
    experiment_id: str
    status: str
    summary: dict[str, float | None] = field(default_factory=dict)  # evaluator key -> mean score
    counts: dict[str, Any] = field(default_factory=dict)  # examples, target_errors, per-key n/errors


@dataclass(frozen=True, slots=True)
class RunCancelled:
    experiment_id: str
    kept: int  # finished examples stored before the cancel
    total: int
    summary: dict[str, float | None] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class RunFailed:
    message: str
    experiment_id: str | None = None


RunEvent = Union[
    ExperimentStarted,
    ExampleStarted,
    ExampleFinished,
    ScoreRecorded,
    TargetFailed,
    UploadVerifying,
    RunFinished,
    RunCancelled,
    RunFailed,
]

#: Anything that takes one event: the CLI progress printer, the app's message poster, a list.append.
ProgressSink = Callable[[RunEvent], None]


def null_sink(event: RunEvent) -> None:
    """A sink that ignores everything."""
