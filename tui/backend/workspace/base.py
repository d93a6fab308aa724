"""The Backend protocol: everything the CLI and the app need from a workspace.

Two implementations: `local.LocalBackend` (embedded SQLite, the default) and
`langsmith.LangSmithBackend` (a real `langsmith.Client`). Both raise only
`tui.backend.core.errors.EvaltuiError` subclasses, whose messages are user-facing.
Methods are synchronous; the app calls them from thread workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from tui.backend.core.models import (
    Dataset,
    DatasetVersion,
    Example,
    Experiment,
    ExperimentResult,
    NewExample,
    Project,
    Rule,
    RuleSpec,
    WorkspaceEvaluator,
)

BackendKind = Literal["local", "langsmith"]


@dataclass(frozen=True)
class Capabilities:
    """What a workspace does itself, so callers ask it instead of checking which backend it is."""

    #: The workspace scores new experiments of a dataset with its rules (LangSmith's server does;
    #: on the local workspace evaltui's runner runs them).
    applies_rules: bool
    #: An experiment's results travel as traced runs: `tracing_client()` sends them and
    #: `verify_uploads(...)` checks afterwards what arrived. Otherwise `record_results` stores them.
    traces_runs: bool
    #: The rule kinds that score a dataset's new experiments.
    scoring_rule_kinds: tuple[str, ...]
    #: Examples per `create_examples` call when importing: a round trip to LangSmith costs far more
    #: than a local transaction, so it takes bigger batches (memory still holds one batch only).
    example_batch: int = 1000


@runtime_checkable
class Backend(Protocol):
    kind: BackendKind
    capabilities: Capabilities

    # -- identity, for the status bar -------------------------------------------------
    def describe(self) -> str:
        """One line: local file path, or endpoint + workspace. Never the key."""

    def check(self) -> None:
        """Cheap round trip that raises AuthError/ConnectionFailed/... if unusable."""

    # -- datasets and examples (lazy) -------------------------------------------------
    def list_datasets(self) -> Iterator[Dataset]: ...

    def get_dataset(self, name_or_id: str) -> Dataset:
        """Raises NotFound (with close-name suggestions) when missing."""

    def list_examples(
        self,
        dataset_id: str,
        offset: int = 0,
        limit: int | None = None,
        *,
        as_of: datetime | None = None,
        splits: Sequence[str] | None = None,
    ) -> Iterator[Example]:
        """Examples in a stable order. `as_of` reads the dataset as it was at that version
        (examples deleted since are there, examples added or edited since are not / as they were);
        `splits` keeps the examples in any of those splits."""

    def count_examples(
        self, dataset_id: str, *, as_of: datetime | None = None, splits: Sequence[str] | None = None
    ) -> int: ...

    # -- writing datasets: every write makes a new version ------------------------------
    def create_dataset(self, name: str, description: str = "") -> Dataset:
        """InvalidInput on an empty name or a name another dataset has."""

    def delete_dataset(self, dataset_id: str) -> None:
        """The dataset, its examples and its versions; experiments on it are deleted with it
        (LangSmith deletes the dataset's experiments too)."""

    def create_examples(self, dataset_id: str, examples: Sequence[NewExample]) -> list[str]:
        """One batch, all or nothing; returns the new ids in order. Callers batch (≤ 1000)."""

    def update_example(self, example_id: str, example: NewExample) -> Example:
        """Replace the example's inputs, outputs, metadata and splits."""

    def delete_examples(self, dataset_id: str, example_ids: Sequence[str]) -> None:
        """Soft delete: the examples stay readable in the versions before this one."""

    def list_dataset_versions(self, dataset_id: str) -> list[DatasetVersion]:
        """Newest first; the newest carries the tag "latest"."""

    def resolve_dataset_version(
        self, dataset_id: str, *, as_of: str | datetime | None = None, tag: str | None = None
    ) -> DatasetVersion:
        """The version an `--as-of` (ISO time, "latest" or a tag) or `--tag` names; NotFound
        otherwise, naming the versions and tags there are. Neither given: the latest."""

    def tag_dataset_version(self, dataset_id: str, as_of: datetime, tag: str) -> None:
        """Point `tag` at the version `as_of` (moving it if it pointed elsewhere)."""

    def update_dataset_splits(
        self, dataset_id: str, split: str, example_ids: Sequence[str], *, remove: bool = False
    ) -> None:
        """Add the examples to (or remove them from) `split`, kept in `metadata["dataset_split"]`."""

    # -- projects (tracing projects a rule can be bound to) --------------------------
    def list_projects(self) -> Iterator[Project]: ...

    def get_project(self, name_or_id: str) -> Project: ...

    # -- rules (uploaded evaluators) ---------------------------------------------------
    def list_rules(self, name: str | None = None) -> list[Rule]:
        """All rules, or those whose name equals `name` exactly."""

    def get_rule(self, rule_id: str) -> Rule: ...

    def create_rule(self, spec: RuleSpec) -> Rule: ...

    def update_rule(self, rule_id: str, spec: RuleSpec, base: Rule | None = None) -> Rule:
        """Replace the rule in place with `spec`'s code, name, sampling rate, target and enabled
        state, keeping every other setting of `base` (the rule as read; read now if None).
        Only Python code rules can be replaced (InvalidInput otherwise)."""

    def delete_rule(self, rule_id: str) -> None: ...

    # -- workspace evaluators (read-only here) ----------------------------------------------
    def list_workspace_evaluators(self) -> list[WorkspaceEvaluator]:
        """Code and LLM evaluators of the workspace, with the rules that bind them."""

    def get_prompt_manifest(self, identifier: str) -> dict:
        """The manifest of a prompt-hub prompt, `handle:commit` (commit defaults to latest), as
        LangChain serialized it; NotFound when missing."""

    # -- experiments -------------------------------------------------------------------
    def create_experiment(
        self, name: str, dataset_id: str, metadata: dict | None = None
    ) -> Experiment: ...

    def record_results(self, results: Iterable[ExperimentResult]) -> None:
        """Persist finished rows as they arrive (upsert by experiment_id+example_id)."""

    def finish_experiment(self, experiment_id: str, status: str) -> None: ...

    def list_experiments(self, dataset_id: str | None = None) -> list[Experiment]: ...

    def get_experiment(self, name_or_id: str) -> Experiment: ...

    def list_results(self, experiment_id: str) -> list[ExperimentResult]: ...

    def close(self) -> None: ...
