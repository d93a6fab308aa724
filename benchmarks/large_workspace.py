"""Large data (issue 6): a local workspace with a 10,000-example dataset and 1,000 rules.

Prints the time to list the rules, to get the first page of examples (goal <= 0.5 s to first
rows) and to count them; then, when the app is importable, the time from start until the app
shows the first rows of that dataset (Pilot, headless).
`--small` (CI smoke): 1,000 examples and 100 rules. No assertions: this prints figures.
Usage: python benchmarks/large_workspace.py [--examples N] [--rules N] [--small]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DATASET = "Big Dataset"
PAGE = 100


def build(home: Path, examples: int, rules: int):
    from tui.backend.core.models import RuleSpec
    from tui.backend.workspace.local import LocalBackend

    backend = LocalBackend(home / "workspace.sqlite3")
    ds = backend.add_dataset(DATASET, description="benchmark data")
    rows = [({"query": f"question {i} " + "x" * 80}, {"expected_response": f"answer {i}"})
            for i in range(examples)]
    backend.add_examples(ds.id, rows)
    code = "def perform_eval(run, example):\n    return {'score': 1}\n"
    for i in range(rules):
        backend.create_rule(RuleSpec(name=f"rule {i:04d}", code=code, sampling_rate=0.5, dataset_id=ds.id))
    return backend, ds


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def backend_figures(home: Path, dataset_id: str) -> None:
    from tui.backend.workspace.local import LocalBackend

    t_open, backend = timed(lambda: LocalBackend(home / "workspace.sqlite3"))  # a fresh process would do this
    t_rules, rules = timed(backend.list_rules)
    t_first, page = timed(lambda: list(backend.list_examples(dataset_id, offset=0, limit=PAGE)))
    t_count, total = timed(lambda: backend.count_examples(dataset_id))
    t_deep, _ = timed(lambda: list(backend.list_examples(dataset_id, offset=max(total - PAGE, 0), limit=PAGE)))
    t_all, everything = timed(lambda: sum(1 for _ in backend.list_examples(dataset_id)))
    backend.close()
    print(f"open workspace                 {t_open * 1000:8.1f} ms")
    print(f"list {len(rules):>5} rules               {t_rules * 1000:8.1f} ms")
    print(f"first page ({len(page)} of {total} examples) {t_first * 1000:8.1f} ms  "
          f"(open + first page {(t_open + t_first) * 1000:.1f} ms; goal <= 500 ms)")
    print(f"count examples                 {t_count * 1000:8.1f} ms")
    print(f"last page                      {t_deep * 1000:8.1f} ms")
    print(f"iterate all {everything:>6} examples    {t_all * 1000:8.1f} ms")


async def app_first_rows(home: Path, dataset) -> tuple[float, float] | None:
    """(time to ready, time from asking for the dataset's examples to rows in the table).

    Ready = the main screen is up and the workspace is open (asking earlier fails by design).
    Asking = what choosing the dataset in the datasets pane does: `examples.start` + `load_examples`.
    The app is still loading the 1,000 rules and the dataset list meanwhile, as after a real start.
    """
    try:
        from textual.widgets import DataTable

        from tui.app import EvalTuiApp
        from tui.backend.core.config import Settings
    except ImportError as exc:  # the app is not there yet
        print(f"app not measured: {exc}")
        return None
    settings = Settings.from_env(backend="local")
    start = time.perf_counter()
    app = EvalTuiApp(settings, evaluator_dir=home / "evaluators")
    async with app.run_test(size=(160, 50)) as pilot:
        def ready() -> bool:  # the main screen replaced the startup screen, and is composed
            return (app.backend is not None and getattr(app, "main_screen_built", False)
                    and app.screen is app.main_screen and bool(app.screen.query("#examples-table")))

        while not ready() and time.perf_counter() - start < 30:
            await pilot.pause(0.005)
        ready = time.perf_counter() - start
        screen = app.screen
        loader = getattr(screen, "load_examples", None)
        if loader is None:
            print("app not measured: the main screen has no load_examples")
            return None
        table = screen.query_one("#examples-table", DataTable)
        asked = time.perf_counter()
        screen.examples.start(dataset)
        loader(dataset.id, 0)
        while table.row_count == 0:
            if time.perf_counter() - asked > 30:
                print("app: no rows after 30 s")
                return None
            await pilot.pause(0.005)
        return ready, time.perf_counter() - asked


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--rules", type=int, default=1_000)
    parser.add_argument("--small", action="store_true", help="CI smoke: 1,000 examples, 100 rules")
    args = parser.parse_args()
    examples, rules = (1_000, 100) if args.small else (args.examples, args.rules)

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        os.environ["EVALTUI_HOME"] = str(home)
        for var in ("LANGSMITH_API_KEY", "LANGCHAIN_API_KEY", "EVALTUI_BACKEND"):
            os.environ.pop(var, None)
        t_build, (backend, ds) = timed(lambda: build(home, examples, rules))
        backend.close()
        print(f"built workspace: {examples} examples, {rules} rules in {t_build:.1f} s")
        backend_figures(home, ds.id)
        try:
            figures = asyncio.run(app_first_rows(home, ds))
        except Exception as exc:  # noqa: BLE001 - the app is still being written; report, don't crash
            print(f"app not measured: {type(exc).__name__}: {exc}")
            figures = None
        if figures:
            ready, rows = figures
            print(f"app ready (run_test)           {ready * 1000:8.1f} ms")
            print(f"app: ask for examples -> rows  {rows * 1000:8.1f} ms  (goal <= 500 ms)")


if __name__ == "__main__":
    main()
