"""`CliProgress`: the `run` command's progress on stderr, a live line on a terminal, plain
periodic lines otherwise, plus the first error of each kind for the summary.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TextIO

from tui.backend.runs.summary import ScoreTally

if TYPE_CHECKING:
    from tui.backend.core.events import RunEvent


class CliProgress:
    """A `ProgressSink` for the terminal: a live line on a tty, plain periodic lines otherwise."""

    def __init__(self, stream: TextIO, *, live: bool | None = None, interval: float | None = None):
        self.stream = stream
        self.live = is_tty(stream) if live is None else live
        self.interval = interval if interval is not None else (0.1 if self.live else 2.0)
        self.total = 0
        #: counts and the first error per evaluator key ("target" for the target), for the summary
        self.tally = ScoreTally()
        self.name = ""
        self.started = time.monotonic()
        self._last = 0.0
        self._last_pct = -1
        self.final: RunEvent | None = None
        self.started_event = None

    @property
    def done(self) -> int:
        return self.tally.examples

    @property
    def target_errors(self) -> int:
        return self.tally.target_errors

    @property
    def evaluator_errors(self) -> int:
        return self.tally.evaluator_errors

    @property
    def first_errors(self) -> dict[str, str]:
        return self.tally.first_errors

    def __call__(self, event: RunEvent) -> None:
        from tui.backend.core import events as ev

        kind = type(event)
        if kind is ev.ExampleFinished:  # a failed target's row carries its error (TargetFailed came first)
            self.tally.add(event.result)
            self._tick()
        elif kind is ev.ExperimentStarted:
            self.started_event = event
            self.total, self.name, self.started = event.total, event.name, time.monotonic()
            where = f" at {event.url}" if event.url else ""
            self._line(f"Running experiment {event.name} on {event.total} examples{where}")
            if event.rules:
                who = "the LangSmith server applies" if event.rules_run_by == "server" else "also running"
                self._line(f"Rules bound to the dataset ({who}): {', '.join(event.rules)}")
        elif kind is ev.UploadVerifying:
            self._line(
                f"Waiting for LangSmith to ingest the results: {event.visible}/{event.expected} visible "
                f"({event.waited_s:.0f} s of up to {event.limit_s:.0f} s)"
            )
        elif kind in (ev.RunFinished, ev.RunCancelled, ev.RunFailed):
            self.final = event
            if self.live:
                self._render(force=True)
                self.stream.write("\n")
                self.stream.flush()

    def _status(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        rate = self.done / elapsed
        pct = (self.done / self.total * 100) if self.total else 100.0
        eta = (self.total - self.done) / rate if rate > 0 and self.total else 0.0
        errors = ""
        if self.target_errors or self.evaluator_errors:
            errors = f"  errors: {self.target_errors} target, {self.evaluator_errors} evaluator"
        return (f"{self.done}/{self.total} ({pct:3.0f}%)  {rate:6.1f} ex/s  ETA {eta:5.1f}s{errors}")

    def _tick(self) -> None:
        now = time.monotonic()
        if self.live:
            if now - self._last >= self.interval or self.done == self.total:
                self._render()
                self._last = now
            return
        pct = int(self.done * 10 / self.total) * 10 if self.total else 100
        if pct != self._last_pct and (pct == 100 or now - self._last >= self.interval):
            self._last_pct, self._last = pct, now
            self._line(self._status())

    def _render(self, force: bool = False) -> None:
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(f"\r[{bar}] {self._status()}\x1b[K")
        self.stream.flush()

    def _line(self, text: str) -> None:
        print(text, file=self.stream, flush=True)


def is_tty(stream: TextIO) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
