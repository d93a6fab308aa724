"""What a run is asked to do (`RunOptions`) and the checks and loading before it starts:
target, evaluators (`rule:NAME` specs included), dataset, examples and the dataset's rules."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tui.backend.core import errors
from tui.backend.core.models import SELECTION_KEY, Dataset, DatasetVersion, Example, Rule
from tui.backend.runs.rules_local import rule_spec_evaluator, rules_for_dataset
from tui.backend.runs.specs import EvaluatorSpec, is_rule_spec, load_evaluators
from tui.backend.runs.targets import LoadedTarget, load_target


class RunError(errors.EvaltuiError):
    """The run could not start or broke down; the message says why."""


@dataclass(frozen=True)
class RunOptions:
    dataset: str
    target: Any  # "file.py:fn" | "module:fn" | "demo" | a callable
    evaluators: Sequence[EvaluatorSpec] = ()
    prefix: str = "evaltui"
    max_concurrency: int = 4
    limit: int | None = None
    example_ids: Sequence[str] | None = None
    timeout: float | None = None  # per evaluator call, seconds
    rule_seed: int | None = None
    run_rules: bool = True
    metadata: dict[str, Any] = field(default_factory=dict)
    judge_cache: bool = True  # look judge calls up in $EVALTUI_HOME's judge cache first
    #: which version of the dataset: an ISO time, "latest" or a tag (`as_of`), or a tag (`tag`)
    as_of: str | None = None
    tag: str | None = None
    splits: Sequence[str] = ()  # only the examples in one of these splits


@dataclass(frozen=True)
class PreparedRun:
    dataset: Dataset
    target: LoadedTarget
    evaluators: list
    examples: list[Example]
    rules: list[Rule]
    version: DatasetVersion  # the dataset version the examples were read at


def prepare_run(backend, options: RunOptions) -> PreparedRun:
    """Load and check everything a run needs before it starts; raises what is wrong (an `EvaltuiError`)."""
    target = load_target(options.target)  # TargetLoadError names what is wrong
    if options.max_concurrency is not None and options.max_concurrency < 1:
        raise errors.InvalidInput("max concurrency must be at least 1.")
    if options.limit is not None and options.limit < 1:
        raise errors.InvalidInput("limit must be at least 1.")
    if options.timeout is not None and options.timeout <= 0:
        raise errors.InvalidInput("timeout must be a positive number of seconds.")
    specs = [rule_spec_evaluator(backend, s, options.timeout) if is_rule_spec(s) else s
             for s in options.evaluators]
    evaluators = load_evaluators(specs, options.timeout)
    dataset = backend.get_dataset(options.dataset)
    version = backend.resolve_dataset_version(dataset.id, as_of=options.as_of, tag=options.tag)
    selection = DatasetSelection(version.as_of, tuple(options.splits))
    examples = select_examples(backend, dataset.id, selection, options.example_ids, options.limit)
    if not examples:
        where = f" in split {', '.join(options.splits)}" if options.splits else ""
        raise RunError(f"Dataset {dataset.name!r} has no examples to run{where}.")
    rules = rules_for_dataset(backend, dataset.id) if options.run_rules else []
    if not evaluators and not rules:
        raise errors.InvalidInput(
            f"No evaluators to run: pass at least one, or bind a rule to dataset {dataset.name!r}."
        )
    return PreparedRun(dataset, target, evaluators, examples, rules, version)


@dataclass(frozen=True)
class DatasetSelection:
    """Which examples of a dataset a run reads: those of one version, in some splits."""

    as_of: datetime | None = None
    splits: tuple[str, ...] = ()

    def read(self, backend, dataset_id: str, limit: int | None = None) -> Iterator[Example]:
        return backend.list_examples(dataset_id, limit=limit, as_of=self.as_of, splits=self.splits or None)

    def as_metadata(self) -> dict[str, Any]:
        """What a run's metadata keeps of it: `evaltui_selection` exactly (a retry or a resume reads
        the same examples), and LangSmith's own `dataset_version` / `dataset_splits` keys."""
        stamp = self.as_of.isoformat() if self.as_of else None
        return {SELECTION_KEY: {"as_of": stamp, "splits": list(self.splits)},
                "dataset_version": stamp, "dataset_splits": list(self.splits)}

    @classmethod
    def from_metadata(cls, meta: dict[str, Any]) -> DatasetSelection:
        """The selection a run stored; for an experiment another tool made, the SDK's keys."""
        exact = meta.get(SELECTION_KEY)
        if isinstance(exact, dict):
            stamp, splits = exact.get("as_of"), exact.get("splits")
        else:
            stamp, splits = meta.get("dataset_version"), None
        try:
            as_of = datetime.fromisoformat(stamp) if isinstance(stamp, str) else None
        except ValueError:
            as_of = None
        return cls(as_of, tuple(s for s in splits or () if isinstance(s, str)))


def select_examples(backend, dataset_id: str, selection: DatasetSelection, example_ids, limit) -> list[Example]:
    if example_ids is not None:
        wanted = {str(i) for i in example_ids}
        examples = [ex for ex in selection.read(backend, dataset_id) if ex.id in wanted]
        missing = wanted - {ex.id for ex in examples}
        if missing:
            raise errors.NotFound("Example", sorted(missing)[0])
        return examples[:limit] if limit else examples
    return list(selection.read(backend, dataset_id, limit))

