"""The runner pane's progress display: title line, progress bar, counts / throughput / ETA, running
means and the status sentence, all drawn from `RunStats` once per flush."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import ProgressBar, Static

from tui.backend.core.events import RunCancelled, RunEvent, RunFailed, RunFinished
from tui.backend.runs.summary import RunStats
from tui.backend.runs.upload_check import upload_sentence

IDLE_TEXT = "No experiment yet — ctrl+r starts one; ctrl+o lists past experiments."


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


def settle_stats(stats: RunStats, event: RunEvent, now: float) -> None:
    """Fold the run's last event (finished, cancelled or failed) into `stats`: status and sentence."""
    stats.finished_at = now
    if isinstance(event, RunCancelled):
        stats.status = "cancelled"
        never_run = (event.counts or {}).get("never_run")
        stats.message = f"cancelled — {event.kept} kept" + (f" · {_never_ran(never_run)}" if never_run else "")
    elif isinstance(event, RunFailed):
        stats.status = "failed"
        stats.message = f"failed: {event.message}"
        stats.experiment_id = event.experiment_id or stats.experiment_id
    else:
        assert isinstance(event, RunFinished)
        stats.status = "done"
        stats.message = _finished_sentence(event, stats)


def _never_ran(count: int) -> str:
    return f"{count} never ran: ctrl+g resumes"


def _finished_sentence(event: RunFinished, stats: RunStats) -> str:
    counts = event.counts or {}
    errors = counts.get("target_errors", 0), counts.get("evaluator_errors", 0)
    parts = [f"done — {counts.get('examples', stats.done)} examples"]
    if errors[0]:
        parts.append(_plural(errors[0], "target error"))
    if errors[1]:
        parts.append(_plural(errors[1], "evaluator error"))
    if errors[0] or errors[1]:
        parts.append("ctrl+f retries them")
    if counts.get("finished_now") == 0 and not (errors[0] or errors[1]):
        parts.append("nothing left to run")
    if counts.get("never_run"):
        parts.append(_never_ran(counts["never_run"]))
    upload = upload_sentence(counts)
    if upload:
        parts.append(upload)
    cache = counts.get("judge_cache")
    if cache:
        parts.append(f"judge cache {cache['hits']} hits / {cache['misses']} misses")
    return " · ".join(parts)


def _counts_text(stats: RunStats, now: float, show_timing: bool) -> str:
    parts = [f"{stats.done}/{stats.total}"]
    if stats.target_errors:
        parts.append(_plural(stats.target_errors, "target error"))
    if show_timing:
        rate = stats.rate(now)
        eta = stats.eta(now)
        parts.append(f"{rate:,.0f}/s" if rate is not None else "—/s")
        if eta is not None:
            parts.append(f"ETA {_clock_text(eta)}")
        elif stats.started_at is not None:
            parts.append(f"took {_clock_text((stats.finished_at or now) - stats.started_at)}")
    return " · ".join(parts)


class LiveText(Static):
    """A line of the progress display, updated on every flush (10 a second) while a run streams.

    `show` redraws only when the text changed, and lays the screen out again only when the new
    text takes another number of lines: a layout pass per flush kept the UI thread from the keys.
    """

    def __init__(self, text: str = "", **kwargs) -> None:
        super().__init__(text, **kwargs)
        self._shown: str | Text | None = None
        self._height: tuple[int, int] | None = None  # (width, lines) of the shown text, when measured

    def _measure(self, text: str | Text) -> tuple[int, int] | None:
        width = self.content_region.width
        if width <= 0:
            return None
        return width, len((Text(text) if isinstance(text, str) else text).wrap(self.app.console, width))

    def show(self, text: str | Text) -> None:
        if self._shown is not None and self._shown == text:
            return
        height = self._measure(text)
        same_height = self._shown is not None and height is not None and height == self._height
        self._shown, self._height = text, height
        self.update(text, layout=not same_height)


class ProgressDisplay:
    """Mixin of `RunnerPane` (its `stats`, `show_timing` and the `#runner-*` widgets)."""

    def _render_progress(self, now: float) -> None:
        stats = self.stats
        title = stats.name or "experiment"
        state = {"running": "running", "cancelling": "cancelling…"}.get(stats.status, stats.status)
        extra = f" · {stats.url}" if stats.url else ""
        if stats.rules:
            who = "rules" if stats.rules_run_by == "local" else "server rules"
            extra += f" · {who}: {', '.join(stats.rules)}"
        self.query_one("#runner-title", LiveText).show(f"{title} · {state}{extra}")
        self.query_one("#runner-progress-row").display = True
        bar = self.query_one("#runner-progress", ProgressBar)
        bar.update(total=max(stats.total, 1), progress=min(stats.done, max(stats.total, 1)))
        self.query_one("#runner-stats", LiveText).show(_counts_text(stats, now, self.show_timing))
        self.query_one("#runner-means", LiveText).show(means_text(stats))
        status = self.query_one("#runner-status", LiveText)
        status.show(stats.message)
        status.set_classes(f"-{stats.status}")

    def _show_status(self, text: str) -> None:
        self.query_one("#runner-status", LiveText).show(text)
