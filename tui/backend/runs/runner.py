"""One experiment runner for the CLI and the app, built on `langsmith.aevaluate`.

The SDK does the scheduling (`aevaluate(..., blocking=False)` streams one row per example,
`max_concurrency` bounds the work in flight); the runner adds what evaltui needs around it:

* targets (`targets`) and evaluators from specs (`specs`), every evaluator wrapped by
  `evaluators.normalize` so exceptions, timeouts and bad shapes become results;
* the dataset's rules, when the workspace does not apply them itself, run as extra evaluators
  sampled per example with a seedable RNG (`rules_local`);
* when the workspace does not receive traced runs nothing touches the network
  (`upload_results=False` and an offline client) and every row is written to the workspace as it
  arrives (`active_run`), so a cancel or crash keeps what finished; otherwise the SDK uploads runs
  and feedback to an experiment whose URL is reported, and what arrived is checked (`settle`);
* progress events (`core.events`) for the CLI and the app; cancel, retry of failed examples,
  resume of never-run ones (`rerun`), and re-scoring of stored runs without re-running the target.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from tui.backend.core import errors
from tui.backend.core.events import ExperimentStarted, ProgressSink, RunFailed, null_sink
from tui.backend.core.models import Example, Experiment, ExperimentResult, Rule
from tui.backend.core.run_owner import owner_metadata
from tui.backend.runs import sdk_glue
from tui.backend.runs.active_run import ActiveRun, sdk_key
from tui.backend.runs.gc_hold import holding_full_gc
from tui.backend.runs.judge_cache_scope import judge_cache_delta, reset_judge_cache, use_judge_cache
from tui.backend.runs.options import DatasetSelection, RunError, RunOptions, prepare_run
from tui.backend.runs.rerun import RerunKind, new_rule_seed, plan_rerun, planned_selection
from tui.backend.runs.rules_local import load_rule_evaluator, rules_for_dataset, sample_rules
from tui.backend.runs.settle import check_uploads, finish_without_rows, settle
from tui.backend.runs.specs import EvaluatorSpec, load_evaluators, spec_label
from tui.backend.runs.summary import summarize
from tui.backend.runs.targets import LoadedTarget
from tui.backend.runs.upload_check import SendFailures

__all__ = ["RunError", "RunOptions", "Runner", "load_rule_evaluator", "summarize"]


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

    # -- what the workspace does itself ------------------------------------------------------

    @property
    def runs_rules(self) -> bool:
        """evaltui runs the dataset's rules as extra evaluators (the workspace does not apply them)."""
        return not self.backend.capabilities.applies_rules

    @property
    def rules_run_by(self) -> str:
        return "local" if self.runs_rules else "server"

    @property
    def traces_runs(self) -> bool:
        """Results travel as traced runs: the SDK creates the experiment, uploads runs and feedback,
        and they are verified afterwards. Otherwise the run is offline and every row is recorded."""
        return self.backend.capabilities.traces_runs

    def _sdk_client(self):
        if self.traces_runs:
            # Uploads through the SDK's batcher: a failed upload must not stop the run (see
            # LangSmithBackend.tracing_client); what went missing is checked after the run.
            return self.backend.tracing_client()
        if self._client is None:
            self._client = sdk_glue.offline_client()
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
            prepared = prepare_run(self.backend, options)
        except errors.EvaltuiError as exc:
            sink(RunFailed(str(exc)))
            raise
        dataset, target, evaluators, examples, rules = (
            prepared.dataset, prepared.target, prepared.evaluators, prepared.examples, prepared.rules)
        rule_evaluators = [(r, load_rule_evaluator(r, options.timeout)) for r in rules] if self.runs_rules else []
        rule_seed = options.rule_seed if options.rule_seed is not None else new_rule_seed()
        metadata = {
            **options.metadata,
            "evaltui": True,
            "target": target.spec,
            "evaluators": [spec_label(s) for s in options.evaluators],
            "max_concurrency": options.max_concurrency,
            "timeout": options.timeout,
            "rules": [r.name for r in rules],
            "rules_run_by": self.rules_run_by,
            "rule_seed": rule_seed,  # a retry or a resume replays the rule draw
            **planned_selection(options.limit, options.example_ids),  # what a resume completes
            **DatasetSelection(prepared.version.as_of, tuple(options.splits)).as_metadata(),
            **owner_metadata(),  # a run whose process dies is found and marked interrupted
        }
        experiment = None  # traced: the SDK creates the experiment
        if not self.traces_runs:
            name = f"{options.prefix}-{uuid.uuid4().hex[:8]}"
            experiment = self.backend.create_experiment(name, dataset.id, metadata)
        return await self._execute(
            experiment, examples, target, evaluators, sample_rules(examples, rule_evaluators, rule_seed, sdk_key),
            options.max_concurrency, sink, rules=rules, prefix=options.prefix, metadata=metadata,
            dataset_id=dataset.id,
        )

    # -- retry / rescore --------------------------------------------------------------------

    @holding_full_gc
    async def retry_failed(self, experiment_id: str, sink: ProgressSink = null_sink, **overrides: Any) -> Experiment:
        """Re-run target and evaluators on the examples whose target failed or that have evaluator errors.

        Target and evaluators default to those stored with the experiment (`overrides`: target,
        evaluators, max_concurrency, timeout, rule_seed). Results replace the failed rows of the
        same experiment; the other rows stay.
        """
        return await self._rerun(experiment_id, "retry", sink, overrides)

    @holding_full_gc
    async def resume(self, experiment_id: str, sink: ProgressSink = null_sink, **overrides: Any) -> Experiment:
        """Run the examples of the experiment's selection that never ran (a cancel, a crash), into
        the same experiment; the stored rows stay. Same `overrides` as `retry_failed`."""
        return await self._rerun(experiment_id, "resume", sink, overrides)

    async def _rerun(self, experiment_id: str, kind: RerunKind, sink: ProgressSink,
                     overrides: dict[str, Any]) -> Experiment:
        self._cancel_requested = False
        try:
            plan = plan_rerun(self.backend, experiment_id, kind, **overrides)
        except errors.EvaltuiError as exc:
            sink(RunFailed(str(exc), experiment_id))
            raise
        experiment = plan.experiment
        if not plan.examples:
            return finish_without_rows(experiment, plan.stored, sink, plan.planned)
        rules = rules_for_dataset(self.backend, experiment.dataset_id) if self.runs_rules else []
        rule_evaluators = [(r, load_rule_evaluator(r, plan.timeout)) for r in rules]
        drawn = sample_rules(plan.planned, rule_evaluators, plan.rule_seed, sdk_key)  # as the first pass drew
        return await self._execute(experiment, plan.examples, plan.target, plan.evaluators, drawn,
                                   plan.max_concurrency, sink, rules=rules, prior=plan.stored,
                                   dataset_id=experiment.dataset_id, planned=plan.planned)

    @holding_full_gc
    async def rescore(self, experiment_id: str, evaluators: Sequence[EvaluatorSpec],
                      sink: ProgressSink = null_sink, *, max_concurrency: int = 4,
                      timeout: float | None = None) -> Experiment:
        """Apply `evaluators` to an experiment's stored runs without re-running the target.

        New scores are merged into each row (a key that already exists is replaced).
        With traced runs this is `aevaluate_existing`, which uploads the new feedback.
        """
        self._cancel_requested = False
        try:
            experiment = self.backend.get_experiment(experiment_id)
            loaded = load_evaluators(evaluators, timeout)
            if not loaded:
                raise errors.InvalidInput("Re-scoring needs at least one evaluator.")
            stored = [] if self.traces_runs else self.backend.list_results(experiment.id)
        except errors.EvaltuiError as exc:
            sink(RunFailed(str(exc), experiment_id))
            raise
        if self.traces_runs:
            return await self._rescore_traced(experiment, loaded, max_concurrency, sink)
        return await self._rescore_stored(experiment, stored, loaded, max_concurrency, sink)

    # -- the SDK passes ---------------------------------------------------------------------

    def _active_run(self, experiment_id: str, examples: Sequence[Example], evaluators: Sequence,
                    sink: ProgressSink, **kwargs: Any) -> ActiveRun:
        return ActiveRun(self.backend, experiment_id, examples, evaluators, sink, traced=self.traces_runs,
                         cancelled=lambda: self._cancel_requested, **kwargs)

    async def _execute(self, experiment: Experiment | None, examples: list[Example], target: LoadedTarget,
                       evaluators: list, drawn: dict[str, tuple], max_concurrency: int, sink: ProgressSink, *,
                       rules: list[Rule], prefix: str | None = None, metadata: dict | None = None,
                       dataset_id: str | None = None, prior: list[ExperimentResult] | None = None,
                       planned: list[Example] | None = None) -> Experiment:
        """One SDK pass over `examples`; `drawn`: the rules' evaluators drawn per example
        (`rules_local.sample_rules`)."""
        from langsmith import aevaluate

        sdk_glue.quiet_sdk()
        active = self._active_run(experiment.id if experiment else "", examples, evaluators, sink, extras=drawn)
        kwargs: dict[str, Any] = {
            "data": [sdk_glue.to_sdk_example(ex) for ex in examples],
            "evaluators": [sdk_glue.make_sdk_evaluator(active)],
            "max_concurrency": max_concurrency,
            "client": self._sdk_client(),
            "blocking": False,
        }
        if not self.traces_runs:
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
            sink, rules=rules, prior=prior, dataset_id=dataset_id, planned=planned or examples,
        )

    async def _rescore_stored(self, experiment: Experiment, stored: list[ExperimentResult], evaluators: list,
                              max_concurrency: int, sink: ProgressSink) -> Experiment:
        """Offline: the stored runs are scored as an existing SDK experiment, nothing uploaded."""
        from langsmith import aevaluate

        sdk_glue.quiet_sdk()
        client = self._sdk_client()
        rows = [r for r in stored if not r.error]
        if not rows:
            return finish_without_rows(experiment, stored, sink)
        examples = [Example(r.example_id, experiment.dataset_id, r.inputs, r.reference_outputs) for r in rows]
        active = self._active_run(experiment.id, examples, evaluators, sink,
                                  base_results={r.example_id: r for r in rows})
        session = sdk_glue.stored_experiment(experiment)
        sdk_examples = [sdk_glue.to_sdk_example(ex) for ex in examples]
        sdk_runs = sdk_glue.stored_runs(rows, sdk_examples, session)

        def start():
            return aevaluate(sdk_runs, data=sdk_examples, evaluators=[sdk_glue.make_sdk_evaluator(active)],
                             experiment=session, upload_results=False, client=client,
                             disable_evaluator_tracing=True,
                             max_concurrency=max_concurrency, blocking=False)

        return await self._stream(start, active, experiment, len(rows), sink, rules=[], prior=stored,
                                  finish_status=experiment.status)

    async def _rescore_traced(self, experiment: Experiment, evaluators: list, max_concurrency: int,
                              sink: ProgressSink) -> Experiment:
        from langsmith import aevaluate_existing

        sdk_glue.quiet_sdk()
        client = self._sdk_client()
        active = self._active_run(experiment.id, [], evaluators, sink)
        return await self._stream(
            lambda: aevaluate_existing(experiment.id, evaluators=[sdk_glue.make_sdk_evaluator(active)],
                                       client=client, max_concurrency=max_concurrency, blocking=False),
            active, experiment, experiment.example_count, sink, rules=[], finish_status=experiment.status,
        )

    async def _stream(self, start: Callable, active: ActiveRun, experiment: Experiment | None, total: int,
                      sink: ProgressSink, *, rules: list[Rule], prior: list[ExperimentResult] | None = None,
                      dataset_id: str | None = None, finish_status: str | None = None,
                      planned: Sequence[Example] = ()) -> Experiment:
        """Start the SDK pass, consume its rows, and settle the experiment whatever happens."""
        traced = self.traces_runs
        with self._lock:
            self._loop = asyncio.get_running_loop()
            self._task = asyncio.current_task()
        inline_token = None
        if not traced:
            sdk_glue.install_inline_hops()
            inline_token = sdk_glue.INLINE_SDK_HOPS.set(True)  # the SDK's tasks inherit it; reset below
        results = None
        status = "failed"
        failure: str | None = None
        external_cancel = False
        cache_token, cache_before = use_judge_cache(self.judge_cache)
        send_failures = SendFailures()
        if traced:
            send_failures.__enter__()  # left below, after the upload check
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
                raise RunError(f"The experiment could not start: {sdk_glue.error_text(exc)}") from exc
            if experiment is None:  # traced: the SDK created the experiment
                experiment = Experiment(
                    id=str(results.experiment_id), name=results.experiment_name,
                    dataset_id=dataset_id or "", status="running", example_count=total,
                    url=sdk_glue.safe_url(results), metadata={"rules": [r.name for r in rules]},
                )
            active.experiment_id = experiment.id
            sink(ExperimentStarted(
                experiment.id, experiment.name, total, experiment.url or sdk_glue.safe_url(results),
                experiment.dataset_id or dataset_id, tuple(r.name for r in rules), self.rules_run_by,
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
            failure = f"The run stopped: {sdk_glue.error_text(exc)}"
        finally:
            if inline_token is not None:
                sdk_glue.INLINE_SDK_HOPS.reset(inline_token)
            active.cache_calls = judge_cache_delta(cache_before)
            reset_judge_cache(cache_token)
            with self._lock:
                self._loop = self._task = None
            if results is not None and status != "done":
                # The SDK schedules every example as its own task up front; stop them all.
                active.cancel_tasks()
                sdk_task = getattr(results, "_task", None)  # the SDK's background consumer
                if sdk_task is not None and not sdk_task.done():
                    sdk_task.cancel()
        upload_check: dict[str, Any] = {}
        if traced:
            try:
                # Runs are uploaded by the client's background batcher: send them before we check.
                await sdk_glue.flush_client(self._sdk_client())
                if experiment is not None and active.finished:
                    upload_check = await asyncio.to_thread(
                        check_uploads, self.backend, experiment.id, active, send_failures, sink
                    )
            finally:
                send_failures.__exit__(None, None, None)
        settled = settle(self.backend, experiment, active, status, failure, total, sink, prior, finish_status,
                         upload_check, planned)
        if external_cancel:
            raise asyncio.CancelledError()
        if failure is not None and experiment is None:
            raise RunError(failure)
        return settled
