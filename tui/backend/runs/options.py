"""What a run is asked to do (`RunOptions`) and the checks and loading before it starts:
target, evaluators (`rule:NAME` specs included), dataset, examples and the dataset's rules."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tui.backend.core import errors
from tui.backend.core.models import Dataset, Example, Rule
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


def prepare_run(backend, options: RunOptions) -> tuple[Dataset, LoadedTarget, list, list[Example], list[Rule]]:
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
    examples = _select_examples(backend, dataset.id, options.example_ids, options.limit)
    if not examples:
        raise RunError(f"Dataset {dataset.name!r} has no examples to run.")
    rules = rules_for_dataset(backend, dataset.id) if options.run_rules else []
    if not evaluators and not rules:
        raise errors.InvalidInput(
            f"No evaluators to run: pass at least one, or bind a rule to dataset {dataset.name!r}."
        )
    return dataset, target, evaluators, examples, rules


def _select_examples(backend, dataset_id: str, example_ids, limit) -> list[Example]:
    if example_ids is not None:
        wanted = {str(i) for i in example_ids}
        examples = [ex for ex in backend.list_examples(dataset_id) if ex.id in wanted]
        missing = wanted - {ex.id for ex in examples}
        if missing:
            raise errors.NotFound("Example", sorted(missing)[0])
        return examples[:limit] if limit else examples
    return list(backend.list_examples(dataset_id, limit=limit))

