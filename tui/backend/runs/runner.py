"""One experiment runner for the CLI and the app, built on `langsmith.aevaluate`.

The SDK does the scheduling (`aevaluate(..., blocking=False)` streams one row per example,
`max_concurrency` bounds the work in flight); this module adds what evaltui needs around it:

* targets and evaluators from specs (`file.py:fn`, `module:fn`, `demo`), every evaluator wrapped
  by `evaluators.normalize` so exceptions, timeouts and bad shapes become results;
* local rules bound to the dataset run as extra evaluators, sampled per example with a seedable RNG;
* on the local backend nothing touches the network (`upload_results=False` and an offline client)
  and every row is written to the workspace as it arrives, so a cancel or crash keeps what finished;
  on LangSmith the SDK uploads runs and feedback to an experiment whose URL is reported;
* progress events (`events.py`) for the CLI and the app; cancel, retry of failed examples,
  and re-scoring of stored runs without re-running the target.

All evaluators of one example are applied by a single SDK `RunEvaluator` that awaits them inline
(sync ones called directly, async ones gathered): the SDK would otherwise run each sync evaluator
in a thread pool, which costs more than the evaluators themselves.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import importlib
import io
import logging
import random
import sys
import threading
import time
import uuid
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from evaluators import judge_cache
from tui.backend.core import errors
from tui.backend.core.events import (
    ExampleFinished,
    ExampleStarted,
    ExperimentStarted,
    ProgressSink,
    RunCancelled,
    RunFailed,
    RunFinished,
    ScoreRecorded,
    TargetFailed,
    UploadVerifying,
    null_sink,
)
from tui.backend.core.models import Example, Experiment, ExperimentResult, Rule, Score, numeric_score
from tui.backend.runs.gc_hold import holding_full_gc
from tui.backend.runs.targets import LoadedTarget, TargetLoadError, load_target  # noqa: F401 - re-exported
from tui.backend.runs.upload_check import SendFailures

EvaluatorSpec = Any  # a callable, an evaluators.NormalizedEvaluator, or "file.py:fn" / "module:fn"

#: Rows are written to the workspace in small groups: one transaction per row is the slow part.
FLUSH_ROWS = 32
FLUSH_SECONDS = 0.25

_OFFLINE_API_URL = "http://127.0.0.1:9"  # discard port: a stray request fails at once, offline


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


# ---------------------------------------------------------------------------------- summaries


def summarize(results: Iterable[ExperimentResult]) -> tuple[dict[str, float | None], dict[str, Any]]:
    """Per evaluator key: mean score (bools count 1/0), plus counts of rows, scores and errors.

    Returns `(summary, counts)` with `summary[key] = mean or None` and
    `counts = {"examples", "target_errors", "evaluator_errors", "keys": {key: {"n", "errors"}}}`.
    """
    totals: dict[str, list[float]] = {}
    keys: dict[str, dict[str, int]] = {}
    examples = target_errors = evaluator_errors = 0
    for result in results:
        examples += 1
        if result.error:
            target_errors += 1
        for score in result.scores:
            entry = keys.setdefault(score.key, {"n": 0, "errors": 0})
            bucket = totals.setdefault(score.key, [0.0, 0.0])
            if score.error:
                entry["errors"] += 1
                evaluator_errors += 1
                continue
            value = numeric_score(score.score)
            if value is not None:
                entry["n"] += 1
                bucket[0] += value
                bucket[1] += 1
    summary = {k: (s / n if n else None) for k, (s, n) in sorted(totals.items())}
    counts = {
        "examples": examples,
        "target_errors": target_errors,
        "evaluator_errors": evaluator_errors,
        "keys": dict(sorted(keys.items())),
    }
    return summary, counts


# ---------------------------------------------------------------------------------- loading


def load_evaluators(specs: Sequence[EvaluatorSpec], timeout: float | None = None) -> list:
    """Turn callables, NormalizedEvaluators and `file.py:fn` / `module:fn` specs into normalized evaluators."""
    _fresh_openai_clients()
    from evaluators import NormalizedEvaluator, normalize

    loaded = []
    for spec in specs:
        if isinstance(spec, NormalizedEvaluator):
            loaded.append(normalize(spec.fn, name=spec.name, timeout=timeout or spec.timeout))
        elif isinstance(spec, str):
            fn, name = _load_evaluator_spec(spec)
            loaded.append(_normalize_or_fail(fn, name, timeout, spec))
        elif callable(spec):
            loaded.append(_normalize_or_fail(spec, None, timeout, getattr(spec, "__name__", repr(spec))))
        else:
            raise errors.InvalidInput(f"Evaluator {spec!r} is not a function or a `file.py:function` spec.")
    return loaded


def _normalize_or_fail(fn: Callable, name: str | None, timeout: float | None, label: str):
    from evaluators import normalize

    try:
        return normalize(fn, name=name, timeout=timeout)
    except (TypeError, ValueError) as exc:
        raise errors.EvaluatorLoadError(f"Evaluator {label!r} cannot be used: {exc}") from None


def _load_evaluator_spec(spec: str) -> tuple[Callable, str]:
    text = spec.strip()
    where, _, func = text.rpartition(":")
    if not where or not func.isidentifier():
        raise errors.EvaluatorLoadError(
            f"Evaluator {text!r} must look like `path/to/file.py:function` or `package.module:function`."
        )
    if where.endswith(".py") or "/" in where or "\\" in where:
        from tui.backend.source.loader import load_evaluator

        loaded = load_evaluator(Path(where).expanduser(), func)
        return loaded.fn, loaded.name
    try:
        module = importlib.import_module(where)
    except Exception as exc:  # noqa: BLE001 - shown to the user as a load error
        raise errors.EvaluatorLoadError(
            f"Evaluator module {where!r} could not be imported: {type(exc).__name__}: {exc}"
        ) from None
    fn = getattr(module, func, None)
    if fn is None or not callable(fn):
        raise errors.EvaluatorLoadError(f"Evaluator function {func!r} was not found in module {where!r}.")
    return fn, func


def _spec_label(spec: EvaluatorSpec) -> str:
    if isinstance(spec, str):
        return spec.strip()
    fn = getattr(spec, "fn", spec)
    module, name = getattr(fn, "__module__", None), getattr(fn, "__name__", None)
    return f"{module}:{name}" if module and name else repr(spec)


def load_rule_evaluator(rule: Rule, timeout: float | None = None):
    """Build an evaluator from a local rule: its stored code (which defines `perform_eval(run, example)`),
    or for an LLM-judge rule its prompt, schema and model (`judge_rule.rule_judge`).

    Local rules are the user's own code, uploaded from their own files into their own workspace,
    so executing it here is what they asked for (LangSmith runs the same code in its sandbox).
    Broken code does not stop a run: it becomes an evaluator whose every result is that error.
    """
    from evaluators import normalize

    namespace: dict[str, Any] = {"__name__": f"evaltui_rule_{rule.id}"}
    try:
        if rule.kind == "llm":
            from evaluators.llm_judge import rule_judge

            return normalize(rule_judge(rule.llm or {}), name=rule.name, timeout=timeout)
        exec(compile(rule.code or "", f"<rule {rule.name}>", "exec"), namespace)  # noqa: S102
        fn = namespace.get("perform_eval")
        if not callable(fn):
            raise LookupError("its code does not define perform_eval(run, example)")
        return normalize(fn, name=rule.name, timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        message = f"Rule {rule.name!r} could not be loaded: {type(exc).__name__}: {exc}"

        def broken_rule(run, example):
            raise RuntimeError(message)

        return normalize(broken_rule, name=rule.name)


def _rules_for_dataset(backend, dataset_id: str) -> list[Rule]:
    """Enabled rules that score the dataset's experiments. On LangSmith the server applies every
    evaluator kind; locally Python code and LLM-judge rules run (through ChatOpenAI with the rule's
    prompt, schema and model), JavaScript ones are LangSmith's to run, actions-only ones score nothing."""
    runnable = backend.capabilities.scoring_rule_kinds
    return [r for r in backend.list_rules() if r.is_enabled and r.dataset_id == dataset_id and r.kind in runnable]


# ---------------------------------------------------------------------------------- SDK glue


_quiet_installed = False


def _quiet_sdk() -> None:
    """The SDK logs each target failure with a traceback and warns about beta flags; we report both."""
    global _quiet_installed
    if _quiet_installed:
        return
    _quiet_installed = True

    class _DropTargetErrors(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return not str(record.msg).startswith(("Error running target function", "Error running evaluator"))

    logging.getLogger("langsmith.evaluation._arunner").addFilter(_DropTargetErrors())
    warnings.filterwarnings("ignore", message=".*upload_runs.*", category=Warning)
    warnings.filterwarnings("ignore", message=".*aevaluate_existing.*", category=Warning)


#: Set inside a local (offline) run: the SDK's per-example thread hops may run inline (see below).
_INLINE_SDK_HOPS: contextvars.ContextVar[bool] = contextvars.ContextVar("evaltui_inline_sdk_hops", default=False)
_hops_override_installed = False


async def _aio_to_thread_inline_offline(default, ctx, func, /, *args, **kwargs):
    """`langsmith.set_runtime_overrides` hook: in an offline run, call the SDK's bookkeeping inline.

    The SDK moves each traced call's run setup and teardown to a worker thread (twice per example,
    plus LangChain's own hop). Offline those are short CPU-only steps, and the thread round trip
    costs more than the step itself; worse, under load the worker waits for the GIL (up to the
    5 ms switch interval) while the event loop is busy, which delays every example. Uploading
    runs (LangSmith backend) and everything outside our runs keeps the default thread hop.
    """
    if _INLINE_SDK_HOPS.get():
        try:
            return ctx.run(func, *args, **kwargs)
        except RuntimeError as exc:  # ctx already entered in this thread: use the default path
            if "cannot enter context" not in str(exc):
                raise
    return await default(ctx, func, *args, **kwargs)


def _install_inline_hops() -> None:
    """Install the hook once per process, unless something else already overrides the SDK."""
    global _hops_override_installed
    if _hops_override_installed:
        return
    _hops_override_installed = True
    try:
        import langsmith
        from langsmith._runtime_overrides import get_runtime_overrides
    except ImportError:  # an SDK without runtime overrides: keep its defaults
        return
    if get_runtime_overrides().aio_to_thread is None:
        langsmith.set_runtime_overrides(aio_to_thread=_aio_to_thread_inline_offline)


def _offline_client():
    from langsmith import Client

    return Client(api_url=_OFFLINE_API_URL, api_key="offline", auto_batch_tracing=False)


def _as_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"evaltui:{value}")


def _error_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Scorer:
    """Applies all evaluators of one example; wrapped in an SDK `RunEvaluator` by `_make_sdk_evaluator`."""

    def __init__(self, run: _ActiveRun):
        self.active = run

    async def score(self, run: Any, example: Any) -> dict:
        active = self.active
        active.enter()
        ex_key = str(example.id)
        if ex_key in active.target_errors or getattr(run, "error", None):
            return {"results": []}  # nothing to score: the target failed
        chosen = active.evaluators_for(ex_key)
        inputs = example.inputs or {}
        run_d = {"id": str(run.id), "inputs": inputs, "outputs": run.outputs or {}}
        ex_d = {"id": active.local_id(ex_key), "inputs": inputs, "outputs": example.outputs or {},
                "metadata": example.metadata or {}}
        results: list[dict] = []
        pending = []
        for ne in chosen:
            if ne.is_async or ne.timeout is not None:
                pending.append(ne(run_d, ex_d))
            else:
                results.extend(await ne(run_d, ex_d))  # inline: no suspension, no thread
        if pending:
            for group in await asyncio.gather(*pending):
                results.extend(group)
        return {"results": [_sdk_result(r) for r in results]}


def _sdk_result(result: dict) -> dict:
    out = {"key": result["key"], "score": result.get("score"), "comment": result.get("comment")}
    if result.get("error"):
        out["extra"] = {"error": True, "error_message": result["error"]}
    return out


def _make_sdk_evaluator(scorer: _Scorer):
    from langsmith.evaluation.evaluator import RunEvaluator

    class EvaltuiScorer(RunEvaluator):
        def evaluate_run(self, run, example=None, evaluator_run_id=None):
            return asyncio.run(scorer.score(run, example))

        async def aevaluate_run(self, run, example=None, evaluator_run_id=None):
            return await scorer.score(run, example)

    return EvaltuiScorer()


def _score_from_sdk(res: Any) -> Score:
    extra = getattr(res, "extra", None) or {}
    error = None
    if extra.get("error"):
        error = extra.get("error_message") or getattr(res, "comment", None) or "evaluator error"
    return Score(key=res.key, score=res.score, comment=res.comment, error=error)


# ---------------------------------------------------------------------------------- a live run


class _ActiveRun:
    """State of one streaming pass: ids, sampled rules, buffered rows, cancel bookkeeping."""

    def __init__(self, runner: Runner, backend, experiment_id: str, examples: list[Example],
                 evaluators: list, rule_evaluators: list[tuple[Rule, Any]], rule_seed: int | None,
                 sink: ProgressSink, record: bool, base_results: dict[str, ExperimentResult] | None = None):
        self.runner = runner
        self.backend = backend
        self.experiment_id = experiment_id
        self.sink = sink
        self.record = record
        self.evaluators = tuple(evaluators)
        self.by_uuid: dict[str, Example] = {str(_as_uuid(ex.id)): ex for ex in examples}
        self.target_errors: dict[str, str] = {}
        self.base_results = base_results or {}
        self.finished: dict[str, ExperimentResult] = {}
        self.buffer: list[ExperimentResult] = []
        self.last_flush = time.monotonic()
        self.tasks: set[asyncio.Task] = set()
        self.extras: dict[str, tuple] = {}
        self.cache_calls: dict[str, int] | None = None  # judge-cache hits / misses of this pass
        if rule_evaluators:
            rng = random.Random(rule_seed)
            for ex in examples:  # decided up front, in dataset order: reproducible whatever the scheduling
                chosen = tuple(
                    ne for rule, ne in rule_evaluators
                    if rule.sampling_rate >= 1 or (rule.sampling_rate > 0 and rng.random() < rule.sampling_rate)
                )
                if chosen:
                    self.extras[str(_as_uuid(ex.id))] = chosen

    def local_id(self, ex_key: str) -> str:
        ex = self.by_uuid.get(ex_key)
        return ex.id if ex else ex_key

    def evaluators_for(self, ex_key: str) -> tuple:
        extra = self.extras.get(ex_key)
        return self.evaluators + extra if extra else self.evaluators

    def enter(self) -> None:
        """Called at the start of SDK work for an example: stop early after a cancel, track the task."""
        if self.runner._cancel_requested:
            raise asyncio.CancelledError()
        task = asyncio.current_task()
        if task is not None and task not in self.tasks:
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def wrap_target(self, target: LoadedTarget) -> Callable:
        from langsmith import run_helpers as rh

        fn, sink, errs = target.fn, self.sink, self.target_errors
        trace = not self.runner.is_local

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
                    errs[ex_key] = _error_text(exc)
                raise

        evaltui_target.__name__ = evaltui_target.__qualname__ = target.name
        return evaltui_target

    def handle_row(self, row: dict) -> ExperimentResult:
        run, example = row["run"], row["example"]
        ex_key = str(example.id)
        local = self.by_uuid.get(ex_key)
        example_id = local.id if local else ex_key
        error = self.target_errors.get(ex_key)
        if error is None and getattr(run, "error", None):
            error = str(run.error).strip().splitlines()[0]
        scores = tuple(_score_from_sdk(r) for r in row["evaluation_results"]["results"])
        base = self.base_results.get(example_id)
        if base is not None:  # re-scoring: keep the stored run, merge scores (new keys win)
            new_keys = {s.key for s in scores}
            merged = tuple(s for s in base.scores if s.key not in new_keys) + scores
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


# ---------------------------------------------------------------------------------- the runner


class Runner:
    """Runs experiments against one backend. One run at a time per Runner."""

    def __init__(self, backend):
        self.backend = backend
        self._cancel_requested = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._lock = threading.Lock()
        self._client = None
        self.judge_cache = True  # RunOptions.judge_cache sets it for a run; retry / re-score reuse it

    @property
    def is_local(self) -> bool:
        """evaltui itself runs the rules and stores the results (the workspace neither applies
        rules nor receives traced runs)."""
        return not self.backend.capabilities.traces_runs

    def _sdk_client(self):
        if self.backend.capabilities.traces_runs:
            # Uploads through the SDK's batcher: a failed upload must not stop the run (see
            # LangSmithBackend.tracing_client); what went missing is checked after the run.
            return self.backend.tracing_client()
        if self._client is None:
            self._client = _offline_client()
        return self._client

    # -- cancel ------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Stop the current run; finished rows stay stored. Safe from any thread."""
        with self._lock:
            self._cancel_requested = True
            loop, task = self._loop, self._task
        if loop is None or task is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            task.cancel()
        else:
            loop.call_soon_threadsafe(task.cancel)

    # -- run -------------------------------------------------------------------------------

    @holding_full_gc  # no 100-180 ms full-collection stalls while a run loads and streams
    async def run(self, options: RunOptions, sink: ProgressSink = null_sink) -> Experiment:
        """Run `options.target` over the dataset and score it; returns the finished Experiment.

        A broken target, dataset or evaluator emits `RunFailed` and raises before anything runs.
        """
        self._cancel_requested = False
        self.judge_cache = options.judge_cache
        try:
            prepared = self._prepare(options)
        except errors.EvaltuiError as exc:
            sink(RunFailed(str(exc)))
            raise
        dataset, target, evaluators, examples, rules = prepared
        rule_evaluators = [(r, load_rule_evaluator(r, options.timeout)) for r in rules] if self.is_local else []
        metadata = {
            **options.metadata,
            "evaltui": True,
            "target": target.spec,
            "evaluators": [_spec_label(s) for s in options.evaluators],
            "max_concurrency": options.max_concurrency,
            "timeout": options.timeout,
            "rules": [r.name for r in rules],
            "rules_run_by": "local" if self.is_local else "server",
        }
        if self.is_local:
            name = f"{options.prefix}-{uuid.uuid4().hex[:8]}"
            experiment = self.backend.create_experiment(name, dataset.id, metadata)
            return await self._execute(
                experiment, examples, target, evaluators, rule_evaluators, options.rule_seed,
                options.max_concurrency, sink, rules=rules,
            )
        return await self._execute(
            None, examples, target, evaluators, [], None, options.max_concurrency, sink,
            rules=rules, prefix=options.prefix, metadata=metadata, dataset_id=dataset.id,
        )

    def _prepare(self, options: RunOptions):
        target = load_target(options.target)  # TargetLoadError names what is wrong
        if options.max_concurrency is not None and options.max_concurrency < 1:
            raise errors.InvalidInput("max concurrency must be at least 1.")
        if options.limit is not None and options.limit < 1:
            raise errors.InvalidInput("limit must be at least 1.")
        if options.timeout is not None and options.timeout <= 0:
            raise errors.InvalidInput("timeout must be a positive number of seconds.")
        specs = [self._rule_evaluator(s, options.timeout) if _is_rule_spec(s) else s for s in options.evaluators]
        evaluators = load_evaluators(specs, options.timeout)
        dataset = self.backend.get_dataset(options.dataset)
        examples = self._select_examples(dataset.id, options.example_ids, options.limit)
        if not examples:
            raise RunError(f"Dataset {dataset.name!r} has no examples to run.")
        rules = _rules_for_dataset(self.backend, dataset.id) if options.run_rules else []
        if not evaluators and not rules:
            raise errors.InvalidInput(
                f"No evaluators to run: pass at least one, or bind a rule to dataset {dataset.name!r}."
            )
        return dataset, target, evaluators, examples, rules

    def _rule_evaluator(self, spec: str, timeout: float | None):
        """`rule:NAME`: a workspace rule (Python code or LLM judge) run here, on any dataset, so a
        LangSmith rule can be checked before it is enabled."""
        from tui.backend.rules.ops import find_rule

        name = spec.strip()[len("rule:"):]
        rule = find_rule(self.backend, name)
        if rule.kind not in ("python", "llm"):
            raise errors.InvalidInput(f"Rule {name!r} is a {rule.kind_label} rule; evaltui can run Python code "
                                      "and LLM-judge rules only.")
        return load_rule_evaluator(rule, timeout)

    def _select_examples(self, dataset_id: str, example_ids, limit) -> list[Example]:
        if example_ids is not None:
            wanted = {str(i) for i in example_ids}
            examples = [ex for ex in self.backend.list_examples(dataset_id) if ex.id in wanted]
            missing = wanted - {ex.id for ex in examples}
            if missing:
                raise errors.NotFound("Example", sorted(missing)[0])
            return examples[:limit] if limit else examples
        return list(self.backend.list_examples(dataset_id, limit=limit))

    # -- retry / rescore --------------------------------------------------------------------

    @holding_full_gc
    async def retry_failed(self, experiment_id: str, sink: ProgressSink = null_sink, *,
                           target: Any = None, evaluators: Sequence[EvaluatorSpec] | None = None,
                           max_concurrency: int | None = None, timeout: float | None = None,
                           rule_seed: int | None = None) -> Experiment:
        """Re-run target and evaluators on the examples whose target failed or that have evaluator errors.

        Target and evaluators default to those stored with the experiment. Results replace the
        failed rows of the same experiment.
        """
        self._cancel_requested = False
        try:
            experiment = self.backend.get_experiment(experiment_id)
            meta = experiment.metadata or {}
            loaded_target = load_target(target if target is not None else meta.get("target") or "")
            specs = evaluators if evaluators is not None else meta.get("evaluators") or []
            timeout = timeout if timeout is not None else meta.get("timeout")
            loaded = load_evaluators(specs, timeout)
            stored = self.backend.list_results(experiment.id)
            failed_ids = {r.example_id for r in stored if r.error or any(s.error for s in r.scores)}
            examples = [ex for ex in self.backend.list_examples(experiment.dataset_id) if ex.id in failed_ids]
        except errors.EvaltuiError as exc:
            sink(RunFailed(str(exc), experiment_id))
            raise
        rules = _rules_for_dataset(self.backend, experiment.dataset_id) if self.is_local else []
        rule_evaluators = [(r, load_rule_evaluator(r, timeout)) for r in rules]
        concurrency = max_concurrency or int(meta.get("max_concurrency") or 4)
        if not examples:
            summary, counts = summarize(stored)
            sink(ExperimentStarted(experiment.id, experiment.name, 0, experiment.url, experiment.dataset_id))
            sink(RunFinished(experiment.id, experiment.status, summary, counts))
            return experiment
        if self.is_local:
            return await self._execute(experiment, examples, loaded_target, loaded, rule_evaluators,
                                       rule_seed, concurrency, sink, rules=rules, prior=stored)
        return await self._execute(experiment, examples, loaded_target, loaded, [], None, concurrency,
                                   sink, rules=rules, prior=stored, dataset_id=experiment.dataset_id)

    @holding_full_gc
    async def rescore(self, experiment_id: str, evaluators: Sequence[EvaluatorSpec],
                      sink: ProgressSink = null_sink, *, max_concurrency: int = 4,
                      timeout: float | None = None) -> Experiment:
        """Apply `evaluators` to an experiment's stored runs without re-running the target.

        New scores are merged into each row (a key that already exists is replaced).
        On LangSmith this is `aevaluate_existing`, which uploads the new feedback.
        """
        self._cancel_requested = False
        try:
            experiment = self.backend.get_experiment(experiment_id)
            loaded = load_evaluators(evaluators, timeout)
            if not loaded:
                raise errors.InvalidInput("Re-scoring needs at least one evaluator.")
            stored = self.backend.list_results(experiment.id) if self.is_local else []
        except errors.EvaltuiError as exc:
            sink(RunFailed(str(exc), experiment_id))
            raise
        return await self._rescore(experiment, stored, loaded, max_concurrency, sink)

    # -- the streaming core -----------------------------------------------------------------

    async def _execute(self, experiment: Experiment | None, examples: list[Example], target: LoadedTarget,
                       evaluators: list, rule_evaluators: list, rule_seed: int | None,
                       max_concurrency: int, sink: ProgressSink, *, rules: list[Rule],
                       prefix: str | None = None, metadata: dict | None = None,
                       dataset_id: str | None = None,
                       prior: list[ExperimentResult] | None = None) -> Experiment:
        from langsmith import aevaluate

        _quiet_sdk()
        local = self.is_local
        client = self._sdk_client()
        ls_examples = [self._to_sdk_example(ex) for ex in examples]
        active = _ActiveRun(self, self.backend, experiment.id if experiment else "", examples, evaluators,
                            rule_evaluators, rule_seed, sink, record=local)
        sdk_evaluator = _make_sdk_evaluator(_Scorer(active))
        kwargs: dict[str, Any] = {
            "data": ls_examples,
            "evaluators": [sdk_evaluator],
            "max_concurrency": max_concurrency,
            "client": client,
            "blocking": False,
        }
        if local:
            kwargs["upload_results"] = False
            kwargs["disable_evaluator_tracing"] = True
            kwargs["experiment_prefix"] = experiment.name
        elif experiment is not None:
            kwargs["experiment"] = experiment.id
        else:
            kwargs["experiment_prefix"] = prefix
            kwargs["metadata"] = metadata
        return await self._stream(
            lambda: aevaluate(active.wrap_target(target), **kwargs), active, experiment, len(examples),
            sink, rules=rules, prior=prior, dataset_id=dataset_id,
        )

    async def _rescore(self, experiment: Experiment, stored: list[ExperimentResult], evaluators: list,
                       max_concurrency: int, sink: ProgressSink) -> Experiment:
        _quiet_sdk()
        client = self._sdk_client()
        if self.is_local:
            from langsmith import aevaluate, schemas

            rows = [r for r in stored if not r.error]
            examples = [Example(r.example_id, experiment.dataset_id, r.inputs, r.reference_outputs) for r in rows]
            active = _ActiveRun(self, self.backend, experiment.id, examples, evaluators, [], None, sink,
                                record=True, base_results={r.example_id: r for r in rows})
            session = schemas.TracerSession(
                id=_as_uuid(experiment.id), name=experiment.name, tenant_id=uuid.UUID(int=0),
                reference_dataset_id=_as_uuid(experiment.dataset_id),
            )
            now = datetime.now(timezone.utc)
            ls_examples = [self._to_sdk_example(ex) for ex in examples]
            sdk_runs = (
                schemas.Run(
                    id=uuid.uuid4(), name="target", run_type="chain", start_time=now, end_time=now,
                    inputs=r.inputs, outputs=r.outputs or {}, trace_id=uuid.uuid4(),
                    reference_example_id=ex.id, session_id=session.id,
                )
                for r, ex in zip(rows, ls_examples)
            )
            if not rows:
                return self._finish_without_rows(experiment, stored, sink)

            def start():
                # A generator of stored runs (not a list, which aevaluate reads as a comparison):
                # the SDK scores them as an existing experiment, offline.
                return aevaluate(sdk_runs, data=ls_examples, evaluators=[_make_sdk_evaluator(_Scorer(active))],
                                 experiment=session, upload_results=False, client=client,
                                 disable_evaluator_tracing=True,
                                 max_concurrency=max_concurrency, blocking=False)

            return await self._stream(start, active, experiment, len(rows), sink, rules=[], prior=stored,
                                      finish_status=experiment.status)
        from langsmith import aevaluate_existing

        active = _ActiveRun(self, self.backend, experiment.id, [], evaluators, [], None, sink, record=False)
        return await self._stream(
            lambda: aevaluate_existing(experiment.id, evaluators=[_make_sdk_evaluator(_Scorer(active))],
                                       client=client, max_concurrency=max_concurrency, blocking=False),
            active, experiment, experiment.example_count, sink, rules=[], finish_status=experiment.status,
        )

    def _finish_without_rows(self, experiment: Experiment, stored, sink: ProgressSink) -> Experiment:
        summary, counts = summarize(stored)
        sink(ExperimentStarted(experiment.id, experiment.name, 0, experiment.url, experiment.dataset_id))
        sink(RunFinished(experiment.id, experiment.status, summary, counts))
        return experiment

    async def _stream(self, start: Callable, active: _ActiveRun, experiment: Experiment | None, total: int,
                      sink: ProgressSink, *, rules: list[Rule], prior: list[ExperimentResult] | None = None,
                      dataset_id: str | None = None, finish_status: str | None = None) -> Experiment:
        """Start the SDK pass, consume its rows, and settle the experiment whatever happens."""
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
        inline_token = None
        if self.is_local:
            _install_inline_hops()
            inline_token = _INLINE_SDK_HOPS.set(True)  # the SDK's tasks inherit it; reset below
        results = None
        status = "failed"
        failure: str | None = None
        external_cancel = False
        cache_token, cache_before = _use_judge_cache(self.judge_cache)
        send_failures = SendFailures()
        if not self.is_local:
            send_failures.__enter__()  # left in _finish_stream, after the upload check
        try:
            try:
                # The SDK prints "Starting evaluation of experiment ..." to stdout; keep stdout clean
                # (the CLI's --json output goes there).
                with contextlib.redirect_stdout(io.StringIO()):
                    results = await start()
            except asyncio.CancelledError:
                raise
            except errors.EvaltuiError:
                raise
            except Exception as exc:  # noqa: BLE001
                raise RunError(f"The experiment could not start: {_error_text(exc)}") from exc
            if experiment is None:  # LangSmith: the SDK created the experiment
                experiment = Experiment(
                    id=str(results.experiment_id), name=results.experiment_name,
                    dataset_id=dataset_id or "", status="running", example_count=total,
                    url=_safe_url(results), metadata={"rules": [r.name for r in rules]},
                )
            active.experiment_id = experiment.id
            sink(ExperimentStarted(
                experiment.id, experiment.name, total, experiment.url or _safe_url(results),
                experiment.dataset_id or dataset_id, tuple(r.name for r in rules),
                "local" if self.is_local else "server",
            ))
            async for row in results:
                active.handle_row(row)
            status = "done"
        except asyncio.CancelledError:
            status = "cancelled"
            external_cancel = not self._cancel_requested
        except errors.EvaltuiError as exc:
            failure = str(exc)
        except Exception as exc:  # noqa: BLE001 - a crash mid-run still keeps what finished
            failure = f"The run stopped: {_error_text(exc)}"
        finally:
            if inline_token is not None:
                _INLINE_SDK_HOPS.reset(inline_token)
            active.cache_calls = _judge_cache_delta(cache_before)
            judge_cache.caching.reset(cache_token)
            with self._lock:
                self._loop = self._task = None
            if results is not None and status != "done":
                # The SDK schedules every example as its own task up front; stop them all.
                active.cancel_tasks()
                sdk_task = getattr(results, "_task", None)  # the SDK's background consumer
                if sdk_task is not None and not sdk_task.done():
                    sdk_task.cancel()
        upload_check: dict[str, Any] = {}
        if not self.is_local:
            try:
                # Runs are uploaded by the client's background batcher: send them before we check.
                await _flush_client(self._sdk_client())
                if experiment is not None and active.finished:
                    upload_check = await asyncio.to_thread(
                        _check_uploads, self.backend, experiment.id, active, send_failures, sink
                    )
            finally:
                send_failures.__exit__(None, None, None)
        settled = self._settle(experiment, active, status, failure, total, sink, prior, finish_status,
                               upload_check)
        if external_cancel:
            raise asyncio.CancelledError()
        if failure is not None and experiment is None:
            raise RunError(failure)
        return settled

    def _settle(self, experiment: Experiment | None, active: _ActiveRun, status: str, failure: str | None,
                total: int, sink: ProgressSink, prior: list[ExperimentResult] | None,
                keep_status: str | None = None, upload_check: dict[str, Any] | None = None) -> Experiment:
        """Write what finished, mark the experiment, and emit the final event."""
        flush_error = None
        if active.record:
            try:
                active.flush()
            except errors.EvaltuiError as exc:
                flush_error = str(exc)
        if experiment is None:
            sink(RunFailed(failure or "The experiment could not start.", None))
            return Experiment(id="", name="", dataset_id="", status="failed")
        merged = {r.example_id: r for r in (prior or [])}
        merged.update(active.finished)
        summary, counts = summarize(merged.values())
        counts["finished_now"] = len(active.finished)
        if active.cache_calls:
            counts["judge_cache"] = active.cache_calls
        counts.update(upload_check or {})
        if failure is not None or flush_error is not None:
            status = "failed"
        # Re-scoring leaves the experiment's own status alone unless it breaks.
        stored_status = keep_status if keep_status and status != "failed" else status
        try:
            self.backend.finish_experiment(experiment.id, stored_status)
        except errors.EvaltuiError as exc:
            # The rows are kept; but the server would show the experiment running forever: say so.
            counts["close_error"] = f"The experiment could not be marked {stored_status}: {exc}"
        final = replace(experiment, status=stored_status, example_count=max(experiment.example_count, len(merged)))
        if status == "cancelled":
            sink(RunCancelled(experiment.id, len(active.finished), total, summary, counts))
        elif status == "failed":
            sink(RunFailed(failure or flush_error or "The run failed.", experiment.id))
        else:
            sink(RunFinished(experiment.id, stored_status, summary, counts))
        return final

    @staticmethod
    def _to_sdk_example(ex: Example):
        from langsmith import schemas

        return schemas.Example(
            id=_as_uuid(ex.id),
            dataset_id=_as_uuid(ex.dataset_id),
            inputs=ex.inputs or {},
            outputs=ex.outputs or {},
            metadata=ex.metadata or {},
            created_at=ex.created_at or datetime.now(timezone.utc),
        )


def _check_uploads(backend, experiment_id: str, active: _ActiveRun, send_failures: SendFailures,
                   sink: ProgressSink) -> dict[str, Any]:
    """Wait (bounded) until the server shows every finished row, and say what never arrived.

    Returns counts entries (`UploadCheck.as_counts`): `upload_status` verified / pending /
    missing / unverified, with the example ids (`upload_missing_runs`, `upload_pending_runs`)
    and `"<example id>:<key>"` scores still absent.
    """
    verify = getattr(backend, "verify_uploads", None)
    if verify is None:
        return {}
    expected = {ex_id: {s.key for s in r.scores} for ex_id, r in active.finished.items()}

    def on_wait(visible: int, total: int, waited: float, limit: float) -> None:
        sink(UploadVerifying(visible, total, waited, limit))

    return verify(experiment_id, expected, send_failed=lambda: send_failures.count > 0,
                  on_wait=on_wait).as_counts()


def _is_rule_spec(spec: EvaluatorSpec) -> bool:
    return isinstance(spec, str) and spec.strip().startswith("rule:")


def _fresh_openai_clients() -> None:
    """langchain_openai shares one async HTTP client per (base URL, timeout) process-wide, so a
    judge a user's file builds at import time would reuse connections of the previous run's
    closed event loop ("Event loop is closed"). Each load of evaluators gets new clients."""
    client_utils = sys.modules.get("langchain_openai.chat_models._client_utils")  # not imported: nothing cached
    cached = getattr(client_utils, "_cached_async_httpx_client", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()


def _use_judge_cache(on: bool) -> tuple[Any, dict[str, int]]:
    """Install $EVALTUI_HOME's judge cache and turn it on or off for this run's context."""
    from tui.backend.core.config import evaltui_home

    cache = judge_cache.install(evaltui_home() / "judge-cache.sqlite3")
    return judge_cache.caching.set(on), cache.stats()


def _judge_cache_delta(before: dict[str, int]) -> dict[str, int] | None:
    """Hits and misses during the run (None when no judge looked the cache up)."""
    from langchain_core.globals import get_llm_cache

    cache = get_llm_cache()
    if not isinstance(cache, judge_cache.JudgeCache):
        return None
    now = cache.stats()
    delta = {k: now[k] - before.get(k, 0) for k in now}
    return delta if any(delta.values()) else None


async def _flush_client(client: Any) -> None:
    flush = getattr(client, "flush", None)
    if flush is None:
        return
    try:
        await asyncio.to_thread(flush)
    except Exception:  # noqa: BLE001 - a failed flush is retried by the client's own batcher
        pass


def _safe_url(results: Any) -> str | None:
    try:
        return results.url if results is not None else None
    except Exception:  # noqa: BLE001 - offline experiments have no URL
        return None


def run_sync(runner: Runner, options: RunOptions, sink: ProgressSink = null_sink) -> Experiment:
    """Convenience for sync callers (tests, scripts): run in a fresh event loop."""
    return asyncio.run(runner.run(options, sink))
