"""Plain data shared by the CLI, the app and every backend. No Textual here."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal


@dataclass(frozen=True)
class Dataset:
    id: str
    name: str
    description: str = ""
    example_count: int = 0
    modified_at: datetime | None = None


@dataclass(frozen=True)
class Example:
    id: str
    dataset_id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]  # reference outputs
    metadata: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    modified_at: datetime | None = None

    @property
    def splits(self) -> tuple[str, ...]:
        """The splits the example is in: LangSmith keeps them in `metadata["dataset_split"]`."""
        return splits_of(self.metadata)


#: Where a run's metadata keeps exactly the dataset version and splits it read (the SDK rewrites
#: LangSmith's own `dataset_version` key at the end of a traced run from the examples' modified_at).
SELECTION_KEY = "evaltui_selection"

#: Where an example's split membership lives, on LangSmith and locally: a list in its metadata.
SPLIT_KEY = "dataset_split"


def splits_of(metadata: dict[str, Any] | None) -> tuple[str, ...]:
    value = (metadata or {}).get(SPLIT_KEY)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


@dataclass(frozen=True)
class NewExample:
    """An example to be written: what an import line, the app's editor or "add to dataset" gives.
    `splits` are written into `metadata["dataset_split"]` by the backend (LangSmith's shape)."""

    inputs: dict[str, Any]
    outputs: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    splits: tuple[str, ...] = ()


@dataclass(frozen=True)
class DatasetVersion:
    """One version of a dataset: every write (examples added, edited, deleted, split changes)
    makes one, named by its `as_of` time; tags ("latest", "prod", ...) point at versions."""

    as_of: datetime
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Project:
    id: str
    name: str


@dataclass(frozen=True)
class RuleSpec:
    """What the user asks for when uploading: exactly one of dataset_id / project_id.

    On replace, the plan fills every field the user did not ask to change from the rule as it is,
    and the backend carries the rule's other settings (filters, side actions...) over unchanged.
    """

    name: str
    code: str
    sampling_rate: float = 1.0
    dataset_id: str | None = None
    project_id: str | None = None
    is_enabled: bool = True
    llm: dict[str, Any] | None = None  # an LLM-as-judge rule's `evaluators[0]` (then `code` is "")
    #: `filter` / `trace_filter` / `tree_filter` exactly as given (a column left out is cleared);
    #: None keeps the rule's own filters
    filters: dict[str, str] | None = None


#: What a run rule does. `python`/`javascript`: a custom-code evaluator; `llm`: an LLM-as-judge
#: evaluator (`evaluators[].structured`); `actions`: only side actions (webhooks, queues, datasets).
RuleKind = Literal["python", "javascript", "llm", "actions"]

KIND_LABELS: dict[str, str] = {
    "python": "python code",
    "javascript": "javascript code",
    "llm": "LLM judge",
    "actions": "actions only",
}


def action_kind(action: str) -> str:
    """What kind of side action `rule_payload.side_actions` described: webhook, annotation queue,
    add to dataset, or the alert's own name."""
    for prefix, kind in (("webhook", "webhook"), ("add to annotation queue", "annotation queue"),
                         ("add to dataset", "add to dataset")):
        if action.startswith(prefix):
            return kind
    return action


@dataclass(frozen=True)
class Rule:
    """An uploaded evaluator (a LangSmith run rule, or its local twin).

    `settings` holds the rule's replaceable columns in request shape (what a full-replace PATCH
    must send back); `side_actions` and `filters` describe them for people.
    """

    id: str
    name: str
    code: str | None
    sampling_rate: float = 1.0
    is_enabled: bool = True
    dataset_id: str | None = None
    dataset_name: str | None = None
    project_id: str | None = None
    project_name: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    kind: RuleKind = "python"
    llm: dict[str, Any] | None = None  # the structured (LLM-as-judge) evaluator
    side_actions: tuple[str, ...] = ()
    filters: tuple[tuple[str, str], ...] = ()
    evaluator_version: int | None = None
    settings: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def target_label(self) -> str:
        if self.dataset_id or self.dataset_name:
            return f"dataset: {self.dataset_name or self.dataset_id}"
        if self.project_id or self.project_name:
            return f"project: {self.project_name or self.project_id}"
        return "unbound"

    @property
    def kind_label(self) -> str:
        label = KIND_LABELS[self.kind]
        return f"{label} + actions" if self.side_actions and self.kind != "actions" else label

    @property
    def kind_summary(self) -> str:
        """The kind with its side actions named, for listings: `actions only: webhook, annotation
        queue`, `python code + add to dataset`."""
        kinds = ", ".join(dict.fromkeys(action_kind(a) for a in self.side_actions))
        if not kinds:
            return KIND_LABELS[self.kind]
        return f"actions only: {kinds}" if self.kind == "actions" else f"{KIND_LABELS[self.kind]} + {kinds}"

    @property
    def is_python(self) -> bool:
        """Only Python code rules can be run locally, synced with a file or replaced by an upload."""
        return self.kind == "python"


@dataclass(frozen=True)
class WorkspaceEvaluator:
    """A workspace evaluator (LangSmith's /api/v1/platform/evaluators, or its local twin): code or
    an LLM prompt, the feedback keys it writes and the datasets / projects its run rules bind to."""

    id: str
    name: str
    type: str  # "code" | "llm" | "decision_model"
    feedback_keys: tuple[str, ...] = ()
    code: str | None = None
    language: str | None = None  # code evaluators: "python" | "javascript"
    dependencies: str | None = None
    build_status: str | None = None  # ENQUEUED | BUILDING | READY | FAILED
    build_error: str | None = None
    prompt_repo: str | None = None  # LLM evaluators: the prompt's repo handle and commit
    prompt_commit: str | None = None
    variable_mapping: dict[str, Any] | None = None
    bindings: tuple[str, ...] = ()  # "dataset: NAME" / "project: NAME" of the rules using it
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def kind_label(self) -> str:
        return f"{self.language or 'python'} code" if self.type == "code" else self.type

    @property
    def runs_here(self) -> bool:
        """evaltui can run it (test it, score a run with it): Python code, or an LLM prompt."""
        return self.type == "llm" or (self.type == "code" and (self.language or "python") == "python")

    @property
    def status_label(self) -> str:
        if self.type != "code":
            return "-"
        status = (self.build_status or "unknown").lower()
        return f"{status}: {self.build_error}" if self.build_error else status


@dataclass(frozen=True)
class Score:
    key: str
    score: float | bool | None
    comment: str | None = None
    error: str | None = None  # set when the evaluator raised / timed out / returned a bad shape
    #: who gave it: a function's name, `rule:NAME` for a rule run here; "" when not recorded
    #: (rows from before evaltui kept it, feedback written by other tools)
    evaluator: str = ""

    @property
    def ident(self) -> str:
        """What tells this score apart from the other scores of a row: its key and its evaluator.
        Two evaluators writing one key are two scores, kept and shown apart."""
        return f"{self.key}{EVALUATOR_SEP}{self.evaluator}" if self.evaluator else self.key


#: Between a score's key and its evaluator in `Score.ident` and in column labels.
EVALUATOR_SEP = " · "
#: Where a LangSmith feedback says which evaltui evaluator wrote it (`feedback_source.metadata`,
#: from the SDK's `evaluator_info`), so two evaluators writing one key are read back apart.
EVALUATOR_INFO_KEY = "evaltui_evaluator"


def numeric_score(value: Any) -> float | None:
    """A score as a number for means: bools count 1/0; None, text and NaN count as no score."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)) and not math.isnan(value):
        return float(value)
    return None


ExperimentStatus = Literal["running", "done", "cancelled", "failed"]


@dataclass(frozen=True)
class Experiment:
    id: str
    name: str
    dataset_id: str
    status: ExperimentStatus = "running"
    created_at: datetime | None = None
    example_count: int = 0
    url: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExperimentResult:
    """One example's row in an experiment: the target's output and its scores."""

    experiment_id: str
    example_id: str
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    reference_outputs: dict[str, Any]
    error: str | None = None  # target error
    scores: tuple[Score, ...] = ()
    latency_ms: float | None = None
