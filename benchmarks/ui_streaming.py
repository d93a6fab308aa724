"""How the runner pane copes with a fast stream: key-to-screen latency and memory.

A headless app (`App.run_test`) hosts the real `RunnerPane`; a feeder thread plays the runner's
part, calling the pane's sink with ExampleStarted / ScoreRecorded / ExampleFinished events at
`--rate` results per second for `--examples` examples (3 evaluator keys each). Meanwhile the
benchmark presses keys in the grid and times each press until the grid's cursor has moved (the
key went through the app's message queue while the stream was being drawn; the frame showing it
follows within Textual's 1/60 s refresh). Prints p50 / p95 latency, peak RSS and how far the grid got.

    python benchmarks/ui_streaming.py            # 10,000 examples at 2,000 results/s
    python benchmarks/ui_streaming.py --small    # CI smoke run (no timing assertions)
"""

from __future__ import annotations

import argparse
import asyncio
import math
import resource
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from textual.app import App, ComposeResult  # noqa: E402

from tui.backend.core.events import (  # noqa: E402
    ExampleFinished,
    ExampleStarted,
    ExperimentStarted,
    RunFinished,
    ScoreRecorded,
)
from tui.backend.core.models import ExperimentResult, Score  # noqa: E402
from tui.widgets.runner_pane import RunnerPane  # noqa: E402

KEYS = ("exact_match", "helpfulness", "trajectory")


class BenchApp(App[None]):
    def compose(self) -> ComposeResult:
        yield RunnerPane()

    def on_mount(self) -> None:
        self.query_one(RunnerPane).grid.focus()


def _result(i: int) -> ExperimentResult:
    scores = (
        Score(KEYS[0], i % 3 != 0),
        Score(KEYS[1], (i % 10) / 10),
        Score(KEYS[2], None, error="timeout") if i % 97 == 0 else Score(KEYS[2], 1.0),
    )
    return ExperimentResult("bench", f"ex-{i:06d}", {"question": f"question {i}"}, {"answer": str(i)},
                            {"answer": str(i)}, error="boom" if i % 211 == 0 else None, scores=scores)


def feed(sink, examples: int, rate: float, stop: threading.Event) -> None:
    """Emit events like the runner does, paced to `rate` results per second."""
    sink(ExperimentStarted("bench", "ui-streaming", examples))
    start = time.perf_counter()
    for i in range(examples):
        if stop.is_set():
            return
        result = _result(i)
        sink(ExampleStarted(result.example_id))
        for score in result.scores:
            sink(ScoreRecorded(result.example_id, score))
        sink(ExampleFinished(result))
        due = start + (i + 1) / rate
        delay = due - time.perf_counter()
        if delay > 0.001:
            time.sleep(delay)
    sink(RunFinished("bench", "done", {}, {"examples": examples, "target_errors": 0, "evaluator_errors": 0}))


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as fh:
            pages = int(fh.read().split()[1])
        return pages * resource.getpagesize() / 2**20
    except OSError:
        return float("nan")


async def bench(examples: int, rate: float, presses: int) -> dict:
    app = BenchApp()
    latencies: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(RunnerPane)
        pane._timer.resume()  # the pane resumes its flush timer when it launches a run itself
        stop = threading.Event()
        feeder = threading.Thread(target=feed, args=(pane.sink, examples, rate, stop), daemon=True)
        rss_before = _rss_mb()
        t0 = time.perf_counter()
        feeder.start()
        grid = pane.grid
        keys = ("down", "up")  # always movable once a few rows are shown
        while grid.row_count < 2 and feeder.is_alive():
            await asyncio.sleep(0.01)
        i = 0
        while feeder.is_alive() and (presses <= 0 or i < presses):
            before = grid.cursor_coordinate
            start = time.perf_counter()
            app.simulate_key(keys[i % len(keys)])
            # handled = the grid's cursor moved; the next compositor frame follows within 1/60 s
            while grid.cursor_coordinate == before and time.perf_counter() - start < 5:
                await asyncio.sleep(0.001)
            latencies.append(time.perf_counter() - start)
            i += 1
            await asyncio.sleep(0.05)
        feeder.join()
        stream_seconds = time.perf_counter() - t0
        while pane.stats.status == "running":
            await pilot.pause(0.05)
        drained = time.perf_counter() - t0
        rows = pane.grid.row_count
        rss_after = _rss_mb()
        stop.set()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    latencies.sort()
    return {
        "examples": examples, "rate": rate, "rows": rows, "presses": len(latencies),
        "p50_ms": 1000 * statistics.median(latencies) if latencies else float("nan"),
        # nearest rank: with few presses p95 is the slowest, never below the median
        "p95_ms": 1000 * latencies[max(0, math.ceil(0.95 * len(latencies)) - 1)] if latencies else float("nan"),
        "max_ms": 1000 * latencies[-1] if latencies else float("nan"),
        "stream_s": stream_seconds, "drained_s": drained,
        "rss_before_mb": rss_before, "rss_after_mb": rss_after, "peak_rss_mb": peak,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=2_000.0, help="results per second")
    parser.add_argument("--presses", type=int, default=0, help="0: keep pressing while the stream runs")
    parser.add_argument("--small", action="store_true", help="CI smoke size: 500 examples")
    args = parser.parse_args(argv)
    if args.small:
        args.examples, args.presses = 500, 10
    r = asyncio.run(bench(args.examples, args.rate, args.presses))
    print(f"ui_streaming: {r['examples']:,} examples at {r['rate']:,.0f} results/s, grid rows {r['rows']:,}")
    print(f"  key-to-screen latency over {r['presses']} presses: p50 {r['p50_ms']:.1f} ms, "
          f"p95 {r['p95_ms']:.1f} ms, max {r['max_ms']:.1f} ms")
    print(f"  stream {r['stream_s']:.2f} s, all rows on screen after {r['drained_s']:.2f} s")
    print(f"  RSS {r['rss_before_mb']:.0f} MB -> {r['rss_after_mb']:.0f} MB (peak {r['peak_rss_mb']:.0f} MB)")
    return 0 if r["rows"] == r["examples"] else 1


if __name__ == "__main__":
    sys.exit(main())
