"""One streaming pass of the SDK over examples: which evaluators score each example, the wrapped
target, rows turned into `ExperimentResult`s and progress events, and (when the workspace does not
receive traced runs) rows written to it in small batches as they arrive."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from tui.backend.core.events import ExampleFinished, ExampleStarted, ProgressSink, ScoreRecorded, TargetFailed
from tui.backend.core.models import Example, ExperimentResult
from tui.backend.runs.sdk_glue import as_uuid, error_text, score_from_sdk, sdk_result
from tui.backend.runs.targets import LoadedTarget

#: Rows are written to the workspace in small groups: one transaction per row is the slow part.
FLUSH_ROWS = 32
FLUSH_SECONDS = 0.25


def sdk_key(example_id: str) -> str:
    """The id the SDK knows an example by (`ActiveRun.by_uuid` keys)."""
    return str(as_uuid(example_id))


class ActiveRun:
    """State of one streaming pass: ids, per-example evaluators, buffered rows, cancel bookkeeping.

    `traced`: the results travel to the workspace as traced runs (the SDK uploads them); otherwise
    the target runs untraced and each row is stored with `backend.record_results`.
    """

    def __init__(self, backend, experiment_id: str, examples: Sequence[Example], evaluators: Sequence,
                 sink: ProgressSink, *, traced: bool, cancelled: Callable[[], bool],
                 extras: dict[str, tuple] | None = None,
                 base_results: dict[str, ExperimentResult] | None = None):
        self.backend = backend
        self.experiment_id = experiment_id
        self.sink = sink
        self.traced = traced
        self.record = not traced
        self.cancelled = cancelled
        self.evaluators = tuple(evaluators)
        #: sdk_key -> evaluators of the rules drawn for that example (`rules_local.sample_rules`)
        self.extras = extras or {}
        self.by_uuid: dict[str, Example] = {sdk_key(ex.id): ex for ex in examples}
        self.target_errors: dict[str, str] = {}
        self.base_results = base_results or {}
        self.finished: dict[str, ExperimentResult] = {}
        self.buffer: list[ExperimentResult] = []
        self.last_flush = time.monotonic()
        self.tasks: set[asyncio.Task] = set()
        self.cache_calls: dict[str, int] | None = None  # judge-cache hits / misses of this pass

    def local_id(self, ex_key: str) -> str:
        ex = self.by_uuid.get(ex_key)
        return ex.id if ex else ex_key

    def evaluators_for(self, ex_key: str) -> tuple:
        extra = self.extras.get(ex_key)
        return self.evaluators + extra if extra else self.evaluators

    def enter(self) -> None:
        """Called at the start of SDK work for an example: stop early after a cancel, track the task."""
        if self.cancelled():
            raise asyncio.CancelledError()
        task = asyncio.current_task()
        if task is not None and task not in self.tasks:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def wrap_target(self, target: LoadedTarget) -> Callable:
        from langsmith import run_helpers as rh

        fn, sink, errs = target.fn, self.sink, self.target_errors
        trace = self.traced

        async def evaltui_target(inputs: dict) -> dict:
            self.enter()
            tree = rh.get_current_run_tree()
            ex_key = str(tree.reference_example_id) if tree is not None else None
            if ex_key is not None:
                sink(ExampleStarted(self.local_id(ex_key)))
            try:
                if trace:
                    return await fn(inputs)
                # Offline: the SDK's "local" tracing would make LangChain code inside the target
                # post its runs to the (unreachable) offline client.
                with rh.tracing_context(enabled=False):
                    return await fn(inputs)
            except Exception as exc:
                if ex_key is not None:
                    errs[ex_key] = error_text(exc)
                raise

        evaltui_target.__name__ = evaltui_target.__qualname__ = target.name
        return evaltui_target

    async def score(self, run: Any, example: Any) -> dict:
        """Apply all evaluators of one example (through `sdk_glue.make_sdk_evaluator`).

        Sync evaluators are called inline, async ones (and those with a timeout) gathered: the SDK
        would otherwise run each sync evaluator in a thread pool, which costs more than the evaluator.
        """
        self.enter()
        ex_key = str(example.id)
        if ex_key in self.target_errors or getattr(run, "error", None):
            return {"results": []}  # nothing to score: the target failed
        chosen = self.evaluators_for(ex_key)
        inputs = example.inputs or {}
        run_d = {"id": str(run.id), "inputs": inputs, "outputs": run.outputs or {}}
        ex_d = {"id": self.local_id(ex_key), "inputs": inputs, "outputs": example.outputs or {},
                "metadata": example.metadata or {}}
        results: list[dict] = []
        pending, pending_sources = [], []
        for ne in chosen:
            if ne.is_async or ne.timeout is not None:
                pending.append(ne(run_d, ex_d))
                pending_sources.append(ne.source)
            else:  # inline: no suspension, no thread
                results.extend(sdk_result(r, ne.source) for r in await ne(run_d, ex_d))
        if pending:
            for source, group in zip(pending_sources, await asyncio.gather(*pending)):
                results.extend(sdk_result(r, source) for r in group)
        return {"results": results}

    def handle_row(self, row: dict) -> ExperimentResult:
        run, example = row["run"], row["example"]
        ex_key = str(example.id)
        local = self.by_uuid.get(ex_key)
        example_id = local.id if local else ex_key
        error = self.target_errors.get(ex_key)
        if error is None and getattr(run, "error", None):
            error = str(run.error).strip().splitlines()[0]
        scores = tuple(score_from_sdk(r) for r in row["evaluation_results"]["results"])
        base = self.base_results.get(example_id)
        if base is not None:  # re-scoring: keep the stored run, merge scores (a new score of one
            new_scores = {s.ident for s in scores}  # key and evaluator replaces the stored one)
            merged = tuple(s for s in base.scores if s.ident not in new_scores) + scores
            result = replace(base, scores=merged)
        else:
            latency = None
            start, end = getattr(run, "start_time", None), getattr(run, "end_time", None)
            if start and end:
                latency = (end - start).total_seconds() * 1000.0
            result = ExperimentResult(
                experiment_id=self.experiment_id,
                example_id=example_id,
                inputs=dict(example.inputs or {}),
                outputs=None if error else dict(run.outputs or {}),
                reference_outputs=dict(example.outputs or {}),
                error=error,
                scores=scores,
                latency_ms=latency,
            )
        self.finished[example_id] = result
        sink = self.sink
        if error:
            sink(TargetFailed(example_id, error))
        for score in scores:
            sink(ScoreRecorded(example_id, score))
        sink(ExampleFinished(result))
        if self.record:
            self.buffer.append(result)
            now = time.monotonic()
            if len(self.buffer) >= FLUSH_ROWS or now - self.last_flush >= FLUSH_SECONDS:
                self.flush()
        return result

    def flush(self) -> None:
        if self.buffer:
            batch, self.buffer = self.buffer, []
            self.backend.record_results(batch)
        self.last_flush = time.monotonic()

    def cancel_tasks(self) -> None:
        for task in list(self.tasks):
            if task is not asyncio.current_task():
                task.cancel()
