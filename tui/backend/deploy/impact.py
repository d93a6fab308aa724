"""Score impact of a planned change: the new evaluator re-scores the stored outputs of the latest
experiment on the rule's dataset — the target is not run again, the judge cache is on — and each key
is compared, paired per example, with the scores that experiment holds for that key (`paired_stats`):
the mean change with its 95 % CI and the pass/fail flips. The new evaluator is the manifest's
function for a code rule, and for an LLM-judge rule the rule as it will be stored (its feedback keys
are the schema's fields, as LangSmith writes them). Where the experiment holds no scores for a key
of an LLM rule, the uploaded rule re-scores the same outputs for the baseline."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from tui.backend.core.errors import EvaltuiError, describe_error
from tui.backend.core.models import Experiment, ExperimentResult, numeric_score
from tui.backend.deploy.manifest import ManifestRule
from tui.backend.deploy.plan import Change

_CONCURRENCY = 8  # judge calls in flight while re-scoring


@dataclass
class Impact:
    experiment: str = ""
    rows: int = 0
    keys: list[Any] = field(default_factory=list)  # paired_stats.PairedKey
    errors: int = 0
    note: str = ""  # why there is no figure
    new_keys: list[tuple[str, float | None, int]] = field(default_factory=list)  # (key, mean, n): no baseline
    rescored_baseline: list[str] = field(default_factory=list)  # keys whose baseline is the uploaded judge re-run

    def lines(self) -> list[str]:
        if self.note:
            return [f"score impact: {self.note}"]
        out = [f"score impact on {self.experiment} ({self.rows} stored rows re-scored"
               + (f", {self.errors} evaluator errors" if self.errors else "") + "):"]
        for key in self.keys:
            flips = f"; {len(key.improved)} fail→pass, {len(key.regressed)} pass→fail" if key.test == "mcnemar" else ""
            out.append(f"  {key.line()}{flips}")
        if self.rescored_baseline:
            out.append(f"  (baseline for {', '.join(self.rescored_baseline)}: the uploaded LLM rule re-scoring the "
                       f"same outputs; {self.experiment} holds no such scores)")
        for key, mean, n in self.new_keys:
            shown = f"mean {mean:.2f} over {n} rows" if mean is not None else "no numeric score"
            out.append(f"  {key} (a key {self.experiment} does not hold, nothing to pair with): {shown}")
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "experiment": self.experiment, "rows": self.rows, "errors": self.errors, "note": self.note,
            "keys": [{"key": k.key, "n": k.n, "mean_before": k.mean_a, "mean_after": k.mean_b, "diff": k.diff,
                      "ci": [k.ci_low, k.ci_high], "p_value": k.p_value, "test": k.test,
                      "improved": len(k.improved), "regressed": len(k.regressed), "line": k.line()}
                     for k in self.keys],
            "new_keys": [{"key": key, "mean": mean, "n": n} for key, mean, n in self.new_keys],
            "rescored_baseline": self.rescored_baseline,
        }


def _latest(experiments: list[Experiment]) -> Experiment | None:
    finished = [e for e in experiments if e.created_at is not None]
    return max(finished, key=lambda e: e.created_at) if finished else (experiments[-1] if experiments else None)


def _baseline(results: list[ExperimentResult], rule_name: str) -> dict[str, dict[str, float | None]]:
    """{key: {example: score}} as stored; where two evaluators wrote a key, the rule's own wins."""
    out: dict[str, dict[str, float | None]] = {}
    own = f"rule:{rule_name}"
    for row in results:
        for score in row.scores:
            keyed = out.setdefault(score.key, {})
            if row.example_id not in keyed or score.evaluator == own:
                keyed[row.example_id] = numeric_score(score.score) if not score.error else None
    return out


def score_impact(backend, change: Change, entry: ManifestRule, *, seed: int = 0) -> Impact:
    if change.action == "delete" or change.spec is None:
        return Impact(note="not computed for a delete")
    if not change.spec.dataset_id:
        return Impact(note="not computed: the rule scores a project, not a dataset")
    try:
        experiments = backend.list_experiments(change.spec.dataset_id)
    except EvaltuiError as exc:
        return Impact(note=f"not computed: the dataset's experiments could not be read ({describe_error(exc)})")
    latest = _latest(experiments)
    if latest is None:
        return Impact(note="not computed: no experiment on this dataset yet")
    results = [r for r in backend.list_results(latest.id) if r.outputs is not None and not r.error]
    if not results:
        return Impact(note=f"not computed: {latest.name} has no stored outputs")
    return _rescore(latest, results, change, entry, seed)


async def _score_rows(evaluator, rows: list[ExperimentResult]) -> list[list[dict]]:
    """Every stored row scored in one event loop, a few at a time: an async judge's HTTP client
    lives in one loop (a loop per row would strand its connections), and its calls overlap."""
    gate = asyncio.Semaphore(_CONCURRENCY)

    async def one(row: ExperimentResult) -> list[dict]:
        async with gate:
            return await evaluator({"inputs": row.inputs, "outputs": row.outputs or {}},
                                   {"inputs": row.inputs, "outputs": row.reference_outputs})

    return await asyncio.gather(*(one(row) for row in rows))


def _new_evaluator(change: Change, entry: ManifestRule):
    """What scores the stored outputs: for an LLM-judge rule the rule as it will be stored (its
    prompt, schema and model, writing the schema's feedback keys, as LangSmith will), else the
    manifest's function (the code the rule will run)."""
    from tui.backend.runs.specs import load_evaluators

    structured = (change.spec.llm or {}).get("structured") if change.spec is not None else None
    if structured:
        return _judge_of(structured, entry.name)
    (evaluator,) = load_evaluators([f"{entry.path}:{entry.function}"])
    return evaluator


def _uploaded_judge(change: Change):
    """The LLM-judge rule as it is now, to re-score a baseline the experiment does not hold; None
    for code rules (a plan does not run the server's code)."""
    rule = change.rule
    if rule is None or rule.kind != "llm" or not rule.llm:
        return None
    try:
        return _judge_of(rule.llm, rule.name)
    except EvaltuiError:
        return None


def _judge_of(structured: dict, name: str):
    from evaluators import normalize
    from evaluators.llm_judge import rule_judge

    try:
        return normalize(rule_judge(structured), name=name)
    except ValueError as exc:
        raise EvaltuiError(f"the LLM rule cannot run here: {exc}") from None


def _rescore(experiment: Experiment, results: list[ExperimentResult], change: Change, entry: ManifestRule,
             seed: int) -> Impact:
    from tui.backend.runs.judge_cache_scope import reset_judge_cache, use_judge_cache
    from tui.backend.runs.paired_stats import compare_paired

    try:
        evaluator = _new_evaluator(change, entry)
    except EvaltuiError as exc:
        return Impact(note=f"not computed: {describe_error(exc)}")
    token, _ = use_judge_cache(True)
    try:
        new, errors = _scores_of(asyncio.run(_score_rows(evaluator, results)), results)
        before = _baseline(results, entry.name)
        missing = [k for k in new if k not in before]
        old_judge = _uploaded_judge(change) if missing else None
        rescored: list[str] = []
        if old_judge is not None:  # a prompt, not code: safe to run on any workspace
            old, _ = _scores_of(asyncio.run(_score_rows(old_judge, results)), results)
            rescored = sorted(k for k in missing if k in old)
            before.update({k: old[k] for k in rescored})
    finally:
        reset_judge_cache(token)
    if not new:
        return Impact(experiment.name, len(results), [], errors,
                      note="not computed: the evaluator returned no score on the stored outputs")
    keys = [k for k in new if k in before]
    paired = compare_paired({k: before[k] for k in keys}, {k: new[k] for k in keys}, seed=seed) if keys else []
    unpaired = []
    for key in sorted(k for k in new if k not in before):
        values = [v for v in new[key].values() if v is not None]
        unpaired.append((key, sum(values) / len(values) if values else None, len(values)))
    return Impact(experiment.name, len(results), paired, errors, new_keys=unpaired, rescored_baseline=rescored)


def _scores_of(scored: list[list[dict]], rows: list[ExperimentResult]) -> tuple[dict[str, dict[str, float | None]], int]:
    """{key: {example: score}} of one evaluator's results per row, and how many were errors."""
    out: dict[str, dict[str, float | None]] = {}
    errors = 0
    for row, row_results in zip(rows, scored):
        for result in row_results:
            errors += bool(result.get("error"))
            out.setdefault(result["key"], {})[row.example_id] = (
                None if result.get("error") else numeric_score(result.get("score")))
    return out, errors
