"""The runner pane: start, watch, cancel, retry and re-score experiments.

How events reach the screen (the part that keeps the UI responsive at thousands of results/s):
the runner runs in a thread worker with its own event loop and calls `sink(event)` for every
event; the sink only appends to a deque (thread-safe, no Textual message per event). A timer on
the UI thread drains the deque every `flush_interval` seconds, folds the batch into `RunStats`
and updates the widgets once per batch: progress bar, throughput / ETA, running means, grid rows.
Each progress line replaces the previous one.

Integration: mount `RunnerPane(backend_getter, evaluator_dir=…)` in the main screen's
`#runner-pane` container; add `pane.actions` to the command palette.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import ProgressBar, Static
from textual.worker import Worker

from tui.backend.core.errors import EvaltuiError
from tui.backend.core.events import (
    ExampleFinished,
    ExperimentStarted,
    RunCancelled,
    RunEvent,
    RunFailed,
    RunFinished,
    UploadVerifying,
)
from tui.backend.core.models import ExperimentResult, numeric_score
from tui.backend.runs.gc_hold import hold_full_gc
from tui.backend.runs.upload_check import upload_sentence
from tui.widgets.results_grid import ResultsGrid

GRID_INTERVAL_S = 0.5  # while running, new rows reach the grid at most this often (see flush)



IDLE_TEXT = "No experiment yet — ctrl+r starts one; ctrl+o lists past experiments."


@dataclass(frozen=True, slots=True)
class Preloaded:
    """Pane-internal event: rows already stored for the experiment (retry / re-score / open)."""

    experiment_id: str
    name: str
    results: tuple[ExperimentResult, ...]


@dataclass
class RunStats:
    """What the pane shows, folded from events; no Textual here so it stays cheap and testable."""

    experiment_id: str | None = None
    name: str = ""
    total: int = 0
    done: int = 0
    target_errors: int = 0
    url: str | None = None
    rules: tuple[str, ...] = ()
    rules_run_by: str = "local"
    started_at: float | None = None
    finished_at: float | None = None
    status: str = "idle"  # idle | running | cancelling | done | cancelled | failed
    message: str = ""
    results: dict[str, ExperimentResult] = field(default_factory=dict)
    sums: dict[str, list[float]] = field(default_factory=dict)  # key -> [sum, n, errors]

    def begin(self, event: ExperimentStarted, now: float, keep_rows: bool) -> None:
        if not keep_rows:
            self.results.clear()
            self.sums.clear()
        self.experiment_id, self.name, self.total = event.experiment_id, event.name, event.total
        self.url, self.rules, self.rules_run_by = event.url, event.rules, event.rules_run_by
        self.done = self.target_errors = 0
        self.started_at, self.finished_at = now, None
        self.status, self.message = "running", ""

    def _fold(self, result: ExperimentResult, sign: int) -> None:
        for score in result.scores:
            entry = self.sums.setdefault(score.key, [0.0, 0.0, 0.0])
            if score.error:
                entry[2] += sign
                continue
            value = numeric_score(score.score)
            if value is not None:
                entry[0] += sign * value
                entry[1] += sign

    def store(self, result: ExperimentResult) -> None:
        """Add (or replace) one example's row in the running means."""
        old = self.results.get(result.example_id)
        if old is not None:
            self._fold(old, -1)
        self.results[result.example_id] = result
        self._fold(result, +1)

    def means(self) -> dict[str, tuple[float | None, int, int]]:
        return {k: ((s / n) if n else None, int(n), int(e)) for k, (s, n, e) in sorted(self.sums.items())}

    def rate(self, now: float) -> float | None:
        if self.started_at is None or self.done == 0:
            return None
        elapsed = (self.finished_at or now) - self.started_at
        return self.done / elapsed if elapsed > 0 else None

    def eta(self, now: float) -> float | None:
        rate = self.rate(now)
        if rate is None or self.status != "running":
            return None
        return max(self.total - self.done, 0) / rate


def _clock_text(seconds: float) -> str:
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _plural(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def means_text(stats: RunStats) -> Text:
    text = Text()
    for key, (mean, n, errors) in stats.means().items():
        if text:
            text.append("   ")
        text.append(f"{key} ", style="bold")
        text.append("—" if mean is None else f"{mean:.2f}")
        text.append(f" (n={n}" + (f", {errors} err)" if errors else ")"), style="dim")
    return text or Text("no scores yet", style="dim")


class RunnerPane(Vertical):
    """Live experiment view with its own keys. `backend_getter()` returns the open backend or None."""

    DEFAULT_CSS = """
    RunnerPane {
        height: 1fr;
    }
    RunnerPane #runner-title {
        height: 1;
        padding: 0 1;
        text-style: bold;
    }
    RunnerPane #runner-progress-row {
        height: 1;
        padding: 0 1;
    }
    RunnerPane #runner-progress {
        width: auto;
    }
    RunnerPane #runner-stats {
        width: 1fr;
        padding-left: 2;
    }
    RunnerPane #runner-means {
        height: auto;
        max-height: 3;
        padding: 0 1;
    }
    RunnerPane #runner-status {
        height: 1;
        padding: 0 1;
        color: $text-muted;
    }
    RunnerPane #runner-status.-cancelled {
        color: $warning;
    }
    RunnerPane #runner-status.-failed {
        color: $error;
    }
    RunnerPane #runner-status.-done {
        color: $success;
    }
    """

    BINDINGS = [
        Binding("ctrl+r", "start_experiment", "Run experiment", id="runner.start",
                tooltip="Start an experiment: dataset, target, evaluators"),
        Binding("escape,ctrl+c", "cancel_run", "Cancel run", id="runner.cancel",
                tooltip="Stop the running experiment; finished results are kept"),
        Binding("ctrl+f", "retry_failed", "Retry failed", id="runner.retry",
                tooltip="Re-run the examples that failed or have evaluator errors"),
        Binding("ctrl+e", "rescore", "Re-score", id="runner.rescore",
                tooltip="Apply more evaluators to the experiment without re-running the target"),
        Binding("ctrl+o", "open_experiments", "Experiments", id="runner.experiments",
                tooltip="List experiments per dataset; compare and export them"),
        Binding("ctrl+k", "compare", "Compare", id="runner.compare",
                tooltip="Compare the shown experiment with another one"),
        Binding("ctrl+x", "export", "Export", id="runner.export",
                tooltip="Export the shown experiment as CSV and JSON"),
    ]

    class RunEnded(Message):
        """A run settled (done, cancelled or failed); the app may refresh its lists."""

        def __init__(self, experiment_id: str | None, status: str) -> None:
            super().__init__()
            self.experiment_id = experiment_id
            self.status = status

    def __init__(self, backend_getter: Callable[[], Any], *, evaluator_dir: Path | None = None,
                 export_dir: Path | None = None, flush_interval: float = 0.1, show_timing: bool = True,
                 clock: Callable[[], float] = time.monotonic, rule_seed: int | None = None,
                 id: str | None = "runner", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.backend_getter = backend_getter
        self.evaluator_dir = evaluator_dir
        self.export_dir = export_dir
        self.flush_interval = flush_interval
        self.show_timing = show_timing  # snapshot tests turn off throughput / ETA (they vary)
        self.clock = clock
        self.rule_seed = rule_seed
        #: the dataset the start form opens on (the app sets it to the one selected in its datasets pane)
        self.preferred_dataset: str | None = None
        self.stats = RunStats()
        self._queue: deque[RunEvent | Preloaded] = deque()
        self._runner: Any = None
        self._worker: Worker | None = None
        self._timer: Timer | None = None
        self._keep_rows = False
        self._holding_gc = False
        self._grid_backlog: list[ExperimentResult] = []
        self._grid_flushed_at = float("-inf")

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(IDLE_TEXT, id="runner-title", markup=False)
        with Horizontal(id="runner-progress-row"):
            yield ProgressBar(total=None, show_eta=False, id="runner-progress")
            yield Static("", id="runner-stats", markup=False)
        yield Static("", id="runner-means")
        yield ResultsGrid(id="runner-grid")
        yield Static("", id="runner-status", markup=False)

    def on_mount(self) -> None:
        self.border_title = "Runner"
        self.query_one("#runner-progress-row").display = False  # an idle bar would animate
        self._timer = self.set_interval(self.flush_interval, self.flush, pause=True)

    @property
    def grid(self) -> ResultsGrid:
        return self.query_one(ResultsGrid)

    @property
    def running(self) -> bool:
        return self.stats.status in ("running", "cancelling") or (
            self._worker is not None and not self._worker.is_finished)

    # -- palette integration ----------------------------------------------------------------

    @property
    def actions(self) -> list[tuple[str, Callable[[], Any], str]]:
        """`(name, callback, help)` for each key of the pane, ready for a command palette provider."""
        entries = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            key = binding.key.split(",")[0]
            entries.append((binding.description, _bind_action(self, binding.action),
                            f"{binding.tooltip or binding.description} ({key})"))
        return entries

    # -- the event path ---------------------------------------------------------------------

    def sink(self, event: RunEvent | Preloaded) -> None:
        """The runner's ProgressSink; callable from any thread. Only appends: the timer does the rest."""
        self._queue.append(event)

    def flush(self) -> None:
        """Drain the buffer and update the widgets once for the whole batch."""
        queue = self._queue
        if not queue:
            if self._grid_backlog:
                self._to_grid([], self.clock(), force=self.stats.status != "running")
            return
        rows: list[ExperimentResult] = []
        ended: RunEvent | None = None
        stats = self.stats
        now = self.clock()
        while queue:
            event = queue.popleft()
            if isinstance(event, ExampleFinished):
                result = event.result
                stats.done += 1
                if result.error:
                    stats.target_errors += 1
                stats.store(result)
                rows.append(result)
            elif isinstance(event, ExperimentStarted):
                keep = self._keep_rows and event.experiment_id == stats.experiment_id
                if not keep:
                    self._reset_grid()
                    rows.clear()
                stats.begin(event, now, keep_rows=keep)
                self._hold_gc(True)
            elif isinstance(event, Preloaded):
                if event.experiment_id != stats.experiment_id:
                    self._reset_grid()
                    stats.results.clear()
                    stats.sums.clear()
                stats.experiment_id, stats.name = event.experiment_id, event.name
                for result in event.results:
                    stats.store(result)
                rows.extend(event.results)
            elif isinstance(event, UploadVerifying):
                stats.message = (
                    f"waiting for LangSmith to ingest the results: {event.visible}/{event.expected} "
                    f"visible ({event.waited_s:.0f} s of up to {event.limit_s:.0f} s)"
                )
            elif isinstance(event, (RunFinished, RunCancelled, RunFailed)):
                ended = event
        self._to_grid(rows, now, force=ended is not None or stats.status != "running")
        if ended is not None:
            self._end(ended, now)
        self._render_progress(now)

    def _reset_grid(self) -> None:
        self._grid_backlog.clear()
        self.grid.reset()

    def _to_grid(self, rows: list[ExperimentResult], now: float, force: bool) -> None:
        """Add rows to the grid, in batches at most every GRID_INTERVAL_S while a run streams.

        Adding rows invalidates the grid's render caches, so the next frame redraws every visible
        cell (~50-80 ms at 120x40): once per 0.1 s flush that kept the UI thread busy most of the
        time and keys waited. Progress, counts and means still update on every flush.
        """
        self._grid_backlog.extend(rows)
        if not self._grid_backlog:
            return
        if not force and self.grid.row_count and now - self._grid_flushed_at < GRID_INTERVAL_S:
            return
        backlog, self._grid_backlog = self._grid_backlog, []
        self._grid_flushed_at = now
        self.grid.upsert(backlog)

    def _hold_gc(self, hold: bool) -> None:
        if hold != self._holding_gc:
            self._holding_gc = hold
            if hold:
                hold_full_gc.hold()
            else:
                hold_full_gc.release()

    def on_unmount(self) -> None:
        self._hold_gc(False)

    def _end(self, event: RunEvent, now: float) -> None:
        self._hold_gc(False)
        stats = self.stats
        stats.finished_at = now
        if isinstance(event, RunCancelled):
            stats.status = "cancelled"
            stats.message = f"cancelled — {event.kept} kept"
        elif isinstance(event, RunFailed):
            stats.status = "failed"
            stats.message = f"failed: {event.message}"
            stats.experiment_id = event.experiment_id or stats.experiment_id
        else:
            assert isinstance(event, RunFinished)
            stats.status = "done"
            counts = event.counts or {}
            errors = counts.get("target_errors", 0), counts.get("evaluator_errors", 0)
            parts = [f"done — {counts.get('examples', stats.done)} examples"]
            if errors[0]:
                parts.append(_plural(errors[0], "target error"))
            if errors[1]:
                parts.append(_plural(errors[1], "evaluator error"))
            if errors[0] or errors[1]:
                parts.append("ctrl+f retries them")
            upload = upload_sentence(counts)
            if upload:
                parts.append(upload)
            cache = counts.get("judge_cache")
            if cache:
                parts.append(f"judge cache {cache['hits']} hits / {cache['misses']} misses")
            stats.message = " · ".join(parts)
        if self._timer is not None:
            self._timer.pause()
        self.post_message(self.RunEnded(stats.experiment_id, stats.status))

    def _render_progress(self, now: float) -> None:
        stats = self.stats
        title = stats.name or "experiment"
        state = {"running": "running", "cancelling": "cancelling…"}.get(stats.status, stats.status)
        extra = f" · {stats.url}" if stats.url else ""
        if stats.rules:
            who = "rules" if stats.rules_run_by == "local" else "server rules"
            extra += f" · {who}: {', '.join(stats.rules)}"
        self.query_one("#runner-title", Static).update(f"{title} · {state}{extra}")
        self.query_one("#runner-progress-row").display = True
        bar = self.query_one("#runner-progress", ProgressBar)
        bar.update(total=max(stats.total, 1), progress=min(stats.done, max(stats.total, 1)))
        parts = [f"{stats.done}/{stats.total}"]
        if stats.target_errors:
            parts.append(_plural(stats.target_errors, "target error"))
        if self.show_timing:
            rate = stats.rate(now)
            eta = stats.eta(now)
            parts.append(f"{rate:,.0f}/s" if rate is not None else "—/s")
            if eta is not None:
                parts.append(f"ETA {_clock_text(eta)}")
            elif stats.started_at is not None:
                parts.append(f"took {_clock_text((stats.finished_at or now) - stats.started_at)}")
        self.query_one("#runner-stats", Static).update(" · ".join(parts))
        self.query_one("#runner-means", Static).update(means_text(stats))
        status = self.query_one("#runner-status", Static)
        status.update(stats.message)
        status.set_classes(f"-{stats.status}")

    # -- starting work ----------------------------------------------------------------------

    def _backend(self) -> Any:
        backend = self.backend_getter()
        if backend is None:
            self.notify("The workspace is not open yet; try again in a moment.", severity="warning")
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
        self.query_one("#runner-status", Static).update("starting…")
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
            self.query_one("#runner-status", Static).update("cancelling… finished results are kept")
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

        preset = StartRequest(dataset=self.preferred_dataset) if self.preferred_dataset else None
        self.app.push_screen(StartExperimentModal(self.backend_getter, self.evaluator_dir, preset=preset),
                             self._start_requested)

    def _start_requested(self, request: Any) -> None:
        if request is None:
            return
        from tui.backend.runs.runner import RunOptions

        self.start(RunOptions(dataset=request.dataset, target=request.target, evaluators=list(request.evaluators),
                              prefix=request.prefix, max_concurrency=request.max_concurrency,
                              rule_seed=self.rule_seed, judge_cache=request.judge_cache))

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

    def action_rescore(self) -> None:
        experiment_id = self._current("re-score")
        if experiment_id is None:
            return
        from tui.modals.start_experiment import StartExperimentModal

        def chosen(request: Any) -> None:
            if request is not None:
                self.rescore(experiment_id, request.evaluators)

        self.app.push_screen(StartExperimentModal(self.backend_getter, self.evaluator_dir, mode="rescore",
                                                  title=f"Re-score {self.stats.name}"), chosen)

    def action_open_experiments(self, compare_with: str | None = None) -> None:
        from tui.screens.experiments_screen import ExperimentsScreen

        def opened(experiment_id: str | None) -> None:
            if experiment_id:
                self.show_experiment(experiment_id)

        self.app.push_screen(ExperimentsScreen(self.backend_getter, export_dir=self.export_dir,
                                               marked=(compare_with,) if compare_with else ()), opened)

    def action_compare(self) -> None:
        self.action_open_experiments(compare_with=self.stats.experiment_id)
        self.notify("Mark a second experiment with space, then press c to compare.")

    def action_export(self) -> None:
        experiment_id = self._current("export")
        if experiment_id is None:
            return
        from tui.screens.experiments_screen import export_in_worker

        export_in_worker(self, self.backend_getter, [experiment_id], self.export_dir)

    # -- cells ------------------------------------------------------------------------------

    def on_results_grid_cell_chosen(self, event: ResultsGrid.CellChosen) -> None:
        result = self.stats.results.get(event.example_id)
        if result is None:
            return
        from tui.modals.result_cell_modal import ResultCellModal

        self.app.push_screen(ResultCellModal(result, event.key))


def _bind_action(pane: RunnerPane, action: str) -> Callable[[], Any]:
    def run() -> Any:
        return pane.run_action(action)

    return run
