"""The runner pane: start, watch, cancel, retry and re-score experiments.

How events reach the screen (the part that keeps the UI responsive at thousands of results/s):
the runner runs in a thread worker with its own event loop and calls `sink(event)` for every
event; the sink only appends to a deque (thread-safe, no Textual message per event). A timer on
the UI thread drains the deque every `flush_interval` seconds, folds the batch into `RunStats`
and updates the widgets once per batch: progress bar, throughput / ETA, running means, grid rows.
Each progress line replaces the previous one.

The keys and what they do are in `runner_keys` and `runner_controls`, the drawing of the progress
in `runner_progress`. Integration: mount `RunnerPane(evaluator_dir=…)` in the main screen's
`#runner-pane` container; it reaches the workspace through `backend_access.current_backend`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import ProgressBar
from textual.worker import Worker

from tui.backend.core.events import (
    ExampleFinished,
    ExperimentStarted,
    RunCancelled,
    RunEvent,
    RunFailed,
    RunFinished,
    UploadVerifying,
)
from tui.backend.core.models import ExperimentResult
from tui.backend.runs.gc_hold import hold_full_gc
from tui.backend.runs.summary import RunStats
from tui.widgets.results_grid import ResultsGrid
from tui.widgets.runner_controls import Preloaded, RunnerControls
from tui.widgets.runner_grid_view import GridViewKeys, GridViewLine
from tui.widgets.runner_keys import pane_bindings
from tui.widgets.runner_progress import IDLE_TEXT, LiveText, ProgressDisplay, settle_stats

__all__ = ["Preloaded", "RunnerPane"]

FILL_ROWS = 8  # rows added per flush while the grid's view is not full (see _to_grid)
GRID_INTERVAL_S = 0.1  # while running, new rows reach the grid at most this often (see flush)


class RunnerPane(RunnerControls, ProgressDisplay, GridViewKeys, Vertical):
    """Live experiment view with its own keys."""

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

    BINDINGS = pane_bindings()

    @dataclass
    class RunEnded(Message):
        """A run settled (done, cancelled or failed); the app may refresh its lists."""

        experiment_id: str | None
        status: str

    def __init__(self, *, evaluator_dir: Path | None = None, export_dir: Path | None = None,
                 flush_interval: float = 0.1, show_timing: bool = True,
                 clock: Callable[[], float] = time.monotonic, rule_seed: int | None = None,
                 id: str | None = "runner", classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
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
        yield LiveText(IDLE_TEXT, id="runner-title", markup=False)
        with Horizontal(id="runner-progress-row"):
            yield ProgressBar(total=None, show_eta=False, id="runner-progress")
            yield LiveText("", id="runner-stats", markup=False)
        yield LiveText("", id="runner-means")
        yield GridViewLine(id="runner-view")
        yield ResultsGrid(id="runner-grid")
        yield LiveText("", id="runner-status", markup=False)

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
                    stats.clear_rows()
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

        Rows appended below a full view cost no redraw (`bulk_rows.append_rows`). While the view
        is not yet full every new row is drawn, each cell rendered for the first time (≈0.5 ms a
        cell): the view is filled FILL_ROWS rows a flush, so no frame renders a whole screen of
        new cells while a key waits. Progress, counts and means still update on every flush.
        """
        self._grid_backlog.extend(rows)
        if not self._grid_backlog:
            return
        grid = self.grid
        if not force and grid.row_count and now - self._grid_flushed_at < GRID_INTERVAL_S:
            return
        backlog = self._grid_backlog
        if not force and grid.row_count < grid.size.height:
            backlog, self._grid_backlog = backlog[:FILL_ROWS], backlog[FILL_ROWS:]
        else:
            self._grid_backlog = []
        self._grid_flushed_at = now
        grid.upsert(backlog)

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
        settle_stats(self.stats, event, now)
        if self._timer is not None:
            self._timer.pause()
        self.post_message(self.RunEnded(self.stats.experiment_id, self.stats.status))

    # -- cells ------------------------------------------------------------------------------

    def on_results_grid_cell_chosen(self, event: ResultsGrid.CellChosen) -> None:
        result = self.stats.results.get(event.example_id)
        if result is None:
            return
        from tui.modals.result_cell_modal import ResultCellModal

        self.app.push_screen(ResultCellModal(result, event.key))
