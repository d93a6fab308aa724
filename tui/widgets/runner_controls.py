"""The runner pane's controls: start, cancel, retry, resume, re-score, open, compare and export experiments.

A mixin of `RunnerPane`: the actions behind its keys (`runner_keys`) and the thread worker that
runs the runner, whose events go to the pane's `sink`.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from textual.worker import Worker

from tui.backend.core.errors import EvaltuiError
from tui.backend.core.events import RunCancelled, RunEvent, RunFailed
from tui.backend.core.models import ExperimentResult
from tui.widgets.backend_access import NOT_OPEN_YET, current_backend


@dataclass(frozen=True, slots=True)
class Preloaded:
    """Pane-internal event: rows already stored for the experiment (retry / re-score / open)."""

    experiment_id: str
    name: str
    results: tuple[ExperimentResult, ...]


PREPARE_START_FORM_AFTER_S = 0.5  # after the pane is up, so start-up does not wait for it


def _prepare_start_form() -> None:
    """Import the start form and read what it offers that never changes, in a daemon thread: the
    first ctrl+r then only builds the form (a plain thread: a worker would hold up tests' settle)."""
    def prepare() -> None:
        import tui.modals.start_experiment  # noqa: F401
        from tui.backend.runs.choices import prepare as prepare_choices

        prepare_choices()

    threading.Thread(target=prepare, name="evaltui-prepare-start-form", daemon=True).start()


class RunnerControls:
    """What the runner's keys do; `launch` runs a job in a thread worker with its own event loop."""

    def _on_mount(self) -> None:
        # RunnerPane's own on_mount runs as well: Textual calls the handler of each class.
        self.set_timer(PREPARE_START_FORM_AFTER_S, _prepare_start_form)

    def _backend(self) -> Any:
        backend = current_backend(self)
        if backend is None:
            self.notify(NOT_OPEN_YET, severity="warning")
        return backend

    def launch(self, job: Callable[[Any, Callable[[RunEvent], None]], Awaitable[Any]], *,
               keep_rows: bool = False, preload: str | None = None) -> Worker | None:
        """Run `job(runner, sink)` in a thread worker with its own event loop.

        A thread (not an async worker on the UI loop) so the SDK's per-example work and the sync
        evaluators never compete with key handling; `Runner.cancel()` is thread-safe.
        """
        if self.running:
            self.notify("An experiment is already running; cancel it first (escape).", severity="warning")
            return None
        backend = self._backend()
        if backend is None:
            return None
        from tui.backend.runs.runner import Runner

        self._runner = Runner(backend)
        self._keep_rows = keep_rows
        self.stats.status = "running"
        self.stats.message = "starting…"
        self._show_status("starting…")
        if self._timer is not None:
            self._timer.resume()
        self._worker = self.run_worker(
            lambda: self._run_job(self._runner, backend, job, preload),
            thread=True, exclusive=True, group="evaltui-runner", exit_on_error=False,
            name="experiment",
        )
        return self._worker

    def _run_job(self, runner: Any, backend: Any, job: Callable, preload: str | None) -> None:
        try:
            if preload is not None:
                experiment = backend.get_experiment(preload)
                self.sink(Preloaded(experiment.id, experiment.name, tuple(backend.list_results(experiment.id))))
            asyncio.run(job(runner, self.sink))
        except EvaltuiError:
            pass  # the runner already emitted RunFailed with the sentence
        except asyncio.CancelledError:
            self.sink(RunCancelled(self.stats.experiment_id or "", len(self.stats.results), self.stats.total))
        except Exception as exc:  # noqa: BLE001 - shown as a sentence, never a traceback
            self.sink(RunFailed(f"The run stopped: {type(exc).__name__}: {exc}", self.stats.experiment_id))

    def start(self, options: Any) -> Worker | None:
        """Start `runner.run(options)`; `options` is a `RunOptions`."""
        return self.launch(lambda runner, sink: runner.run(options, sink))

    def retry(self, experiment_id: str) -> Worker | None:
        return self.launch(lambda runner, sink: runner.retry_failed(experiment_id, sink, rule_seed=self.rule_seed),
                           keep_rows=True, preload=experiment_id)

    def resume(self, experiment_id: str) -> Worker | None:
        return self.launch(lambda runner, sink: runner.resume(experiment_id, sink, rule_seed=self.rule_seed),
                           keep_rows=True, preload=experiment_id)

    def rescore(self, experiment_id: str, evaluators: tuple[str, ...] | list[str]) -> Worker | None:
        return self.launch(lambda runner, sink: runner.rescore(experiment_id, list(evaluators), sink),
                           keep_rows=True, preload=experiment_id)

    def show_experiment(self, experiment_id: str) -> None:
        """Show a stored experiment's rows (from the experiments list)."""
        backend = self._backend()
        if backend is None or self.running:
            return
        self.stats.status = "idle"
        self.run_worker(lambda: self._load_stored(backend, experiment_id), thread=True,
                        group="evaltui-runner-load", exit_on_error=False)

    def _load_stored(self, backend: Any, experiment_id: str) -> None:
        try:
            experiment = backend.get_experiment(experiment_id)
            results = tuple(backend.list_results(experiment.id))
        except EvaltuiError as exc:
            self.app.call_from_thread(self.notify, str(exc), severity="error")
            return
        self.sink(Preloaded(experiment.id, experiment.name, results))

        def shown() -> None:
            self.flush()
            self.stats.total = self.stats.done = len(results)
            self.stats.status = experiment.status
            self.stats.message = f"{experiment.status} — {len(results)} stored results"
            self._render_progress(self.clock())

        self.app.call_from_thread(shown)

    def cancel(self) -> None:
        if self._runner is not None and self.running:
            self.stats.status = "cancelling"
            self._show_status("cancelling… finished results are kept")
            self._runner.cancel()

    # -- actions ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_run":
            return self.running  # idle: let escape / ctrl+c reach the screen and the app
        return True

    def action_start_experiment(self) -> None:
        if self.running:
            self.notify("An experiment is already running; cancel it first (escape).", severity="warning")
            return
        from tui.modals.start_experiment import StartExperimentModal, StartRequest
        from tui.start_memory import recall

        # The last experiment started on this dataset (or the last one at all), else a fresh form.
        home = self.app.settings.home
        if self.preferred_dataset:
            preset = (recall(home, StartRequest, self.preferred_dataset)
                      or StartRequest(dataset=self.preferred_dataset))
        else:
            preset = recall(home, StartRequest)
        self.app.push_screen(StartExperimentModal(self.evaluator_dir, preset=preset), self._start_requested)

    def _start_requested(self, request: Any) -> None:
        if request is None:
            return
        from tui.start_memory import remember

        remember(self.app.settings.home, request)
        from tui.backend.runs.runner import RunOptions

        self.start(RunOptions(dataset=request.dataset, target=request.target, evaluators=list(request.evaluators),
                              prefix=request.prefix, max_concurrency=request.max_concurrency,
                              rule_seed=self.rule_seed, judge_cache=request.judge_cache,
                              timeout=request.timeout))

    def action_cancel_run(self) -> None:
        self.cancel()

    def _current(self, verb: str) -> str | None:
        if self.running:
            self.notify(f"Wait for the run to finish (or cancel it) before you {verb}.", severity="warning")
            return None
        if not self.stats.experiment_id:
            self.notify(f"No experiment is shown; run one (ctrl+r) or open one (ctrl+o) to {verb}.",
                        severity="warning")
            return None
        return self.stats.experiment_id

    def action_retry_failed(self) -> None:
        experiment_id = self._current("retry failed examples")
        if experiment_id is not None:
            self.retry(experiment_id)

    def action_resume(self) -> None:
        experiment_id = self._current("resume the examples that never ran")
        if experiment_id is not None:
            self.resume(experiment_id)

    def action_rescore(self) -> None:
        experiment_id = self._current("re-score")
        if experiment_id is None:
            return
        from tui.modals.start_experiment import StartExperimentModal

        def chosen(request: Any) -> None:
            if request is not None:
                self.rescore(experiment_id, request.evaluators)

        self.app.push_screen(StartExperimentModal(self.evaluator_dir, mode="rescore",
                                                  title=f"Re-score {self.stats.name}"), chosen)

    def action_open_experiments(self, compare_with: str | None = None) -> None:
        from tui.screens.experiments_screen import ExperimentsScreen

        def opened(experiment_id: str | None) -> None:
            if experiment_id:
                self.show_experiment(experiment_id)

        self.app.push_screen(ExperimentsScreen(export_dir=self.export_dir,
                                               marked=(compare_with,) if compare_with else ()), opened)

    def action_compare(self) -> None:
        self.action_open_experiments(compare_with=self.stats.experiment_id)
        self.notify("Mark a second experiment with space, then press c to compare.")

    def action_add_to_dataset(self) -> None:
        """`a` in the grid: the highlighted row or every failing row into a dataset (asks which)."""
        from tui.widgets.runner_add_rows import add_rows_to_dataset

        add_rows_to_dataset(self)

    def action_export(self) -> None:
        experiment_id = self._current("export")
        if experiment_id is None:
            return
        from tui.screens.experiments_screen import export_in_worker

        export_in_worker(self, [experiment_id], self.export_dir)
