"""Going back to a stored experiment: which examples a retry or a resume runs, with what.

* *retry failed*: the examples whose target failed or that have an evaluator error;
* *resume*: the examples the run was asked to cover that never ran (cancelled, crashed, killed).

Both run the experiment's own target, evaluators and timeout (as stored in its metadata) unless
told otherwise, into the same experiment; the rows already stored are kept. The dataset's rules are
drawn as the first pass drew them: the draw is replayed over the whole planned list with the run's
stored seed, so an example keeps the rules it would have had.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tui.backend.core.models import Example, Experiment, ExperimentResult
from tui.backend.runs.options import DatasetSelection
from tui.backend.runs.specs import EvaluatorSpec, load_evaluators
from tui.backend.runs.targets import LoadedTarget, load_target

RerunKind = Literal["retry", "resume"]


def new_rule_seed() -> int:
    """A seed for a run that was given none: stored with the run so a resume replays its draw."""
    return random.SystemRandom().randrange(2**31)


def planned_selection(options_limit: int | None, example_ids: Sequence[str] | None) -> dict[str, Any]:
    """What a run's metadata keeps of its example selection (`planned_examples` reads it back)."""
    selection: dict[str, Any] = {"limit": options_limit}
    if example_ids is not None:
        selection["example_ids"] = [str(i) for i in example_ids]
    return selection


def planned_examples(backend, experiment: Experiment) -> list[Example]:
    """The examples the experiment's first pass was asked to run, in dataset order."""
    meta = experiment.metadata or {}
    ids = meta.get("example_ids")
    limit = meta.get("limit")
    selection = DatasetSelection.from_metadata(meta)  # the dataset version and splits it ran on
    if ids is None:
        return list(selection.read(backend, experiment.dataset_id, limit))
    wanted = {str(i) for i in ids}
    examples = [ex for ex in selection.read(backend, experiment.dataset_id) if ex.id in wanted]
    return examples[:limit] if limit else examples


def never_run(planned: Sequence[Example], stored: Iterable[ExperimentResult]) -> list[Example]:
    done = {r.example_id for r in stored}
    return [ex for ex in planned if ex.id not in done]


def failed(planned: Sequence[Example], stored: Sequence[ExperimentResult]) -> list[Example]:
    ids = {r.example_id for r in stored if r.error or any(s.error for s in r.scores)}
    return [ex for ex in planned if ex.id in ids]


@dataclass
class RerunPlan:
    experiment: Experiment
    target: LoadedTarget
    evaluators: list
    planned: list[Example]  # the whole first-pass selection (the rule draw is replayed over it)
    examples: list[Example]  # what this pass runs
    stored: list[ExperimentResult]
    timeout: float | None
    max_concurrency: int
    rule_seed: int | None


def plan_rerun(backend, experiment_id: str, kind: RerunKind, *, target: Any = None,
               evaluators: Sequence[EvaluatorSpec] | None = None, max_concurrency: int | None = None,
               timeout: float | None = None, rule_seed: int | None = None) -> RerunPlan:
    """Load what a retry or a resume of `experiment_id` runs; raises an `EvaltuiError` naming what is wrong."""
    experiment = backend.get_experiment(experiment_id)
    meta = experiment.metadata or {}
    loaded_target = load_target(target if target is not None else meta.get("target") or "")
    timeout = timeout if timeout is not None else meta.get("timeout")
    loaded = load_evaluators(evaluators if evaluators is not None else meta.get("evaluators") or [], timeout)
    stored = backend.list_results(experiment.id)
    planned = planned_examples(backend, experiment)
    if kind == "retry":  # every failed row, also one outside the plan (the dataset changed since)
        examples = failed(list(DatasetSelection.from_metadata(meta).read(backend, experiment.dataset_id)), stored)
    else:
        examples = never_run(planned, stored)
    seed = rule_seed if rule_seed is not None else meta.get("rule_seed")
    return RerunPlan(experiment, loaded_target, loaded, planned, examples, stored, timeout,
                     max_concurrency or int(meta.get("max_concurrency") or 4), seed)
