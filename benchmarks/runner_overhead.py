"""How much does evaltui's Runner cost over plain `langsmith.aevaluate`?

N examples x 3 trivial evaluators, a fast async target, the same max concurrency:

* evaltui: `Runner.run` on a local workspace in a temp dir (normalized evaluators, progress
  events, every row written to SQLite);
* plain: `aevaluate(target, data=[Example...], evaluators=[3 functions], upload_results=False)`
  with an offline client, consuming the streamed rows.

Prints both times and the ratio (goal: <= 1.05). `--small` for a CI smoke run (no timing claims).
Usage: python benchmarks/runner_overhead.py [--examples N] [--repeat R] [--small]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


async def fast_target(inputs: dict) -> dict:
    return {"answer": inputs["question"].upper()}


def exact(outputs: dict, reference_outputs: dict) -> dict:
    return {"key": "exact", "score": outputs.get("answer") == reference_outputs.get("answer")}


def length(outputs: dict) -> dict:
    return {"key": "length", "score": len(outputs.get("answer") or "")}


def nonempty(run, example) -> dict:
    return {"nonempty": bool(run["outputs"] if isinstance(run, dict) else run.outputs)}


def nonempty_sdk(run, example) -> dict:
    return {"key": "nonempty", "score": bool(run.outputs)}


def make_rows(n: int) -> list[tuple[dict, dict]]:
    return [({"question": f"q{i}"}, {"answer": f"Q{i}" if i % 3 else "wrong"}) for i in range(n)]


async def time_evaltui(home: Path, n: int, concurrency: int) -> float:
    from tui.backend.runs.runner import Runner, RunOptions
    from tui.backend.workspace.local import LocalBackend

    backend = LocalBackend(home / f"bench-{uuid.uuid4().hex[:6]}.sqlite3", seed=False)
    try:
        backend.add_dataset("bench", make_rows(n))
        events = 0

        def sink(event) -> None:
            nonlocal events
            events += 1

        options = RunOptions("bench", fast_target, [exact, length, nonempty], max_concurrency=concurrency,
                             run_rules=False)
        start = time.perf_counter()
        experiment = await Runner(backend).run(options, sink)
        elapsed = time.perf_counter() - start
        stored = len(backend.list_results(experiment.id))
        assert stored == n, f"stored {stored} of {n}"
        return elapsed
    finally:
        backend.close()


async def time_plain(n: int, concurrency: int) -> float:
    import contextlib
    import io

    from langsmith import Client, aevaluate, schemas

    client = Client(api_url="http://127.0.0.1:9", api_key="offline", auto_batch_tracing=False)
    dataset_id = uuid.uuid4()
    now = dt.datetime.now(dt.timezone.utc)
    data = [schemas.Example(id=uuid.uuid4(), dataset_id=dataset_id, inputs=i, outputs=o, created_at=now)
            for i, o in make_rows(n)]
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        results = await aevaluate(fast_target, data=data, evaluators=[exact, length, nonempty_sdk],
                                  upload_results=False, client=client, max_concurrency=concurrency,
                                  blocking=False)
    rows = 0
    async for _row in results:
        rows += 1
    elapsed = time.perf_counter() - start
    assert rows == n
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3, help="best of R runs each (interleaved)")
    parser.add_argument("--small", action="store_true", help="tiny sizes for a CI smoke run")
    args = parser.parse_args(argv)
    if args.small:
        args.examples, args.repeat = 20, 1

    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("langsmith").setLevel(logging.CRITICAL)

    async def bench() -> tuple[list[float], list[float]]:
        ours, plain = [], []
        with tempfile.TemporaryDirectory() as tmp:
            await time_plain(10, args.concurrency)  # warm imports for both sides
            await time_evaltui(Path(tmp), 10, args.concurrency)
            for _ in range(args.repeat):
                plain.append(await time_plain(args.examples, args.concurrency))
                ours.append(await time_evaltui(Path(tmp), args.examples, args.concurrency))
        return ours, plain

    ours, plain = asyncio.run(bench())
    best_ours, best_plain = min(ours), min(plain)
    print(f"examples: {args.examples} x 3 evaluators, max_concurrency={args.concurrency}, best of {args.repeat}")
    print(f"evaltui Runner (local, recorded): {best_ours:.3f} s  "
          f"({best_ours / args.examples * 1000:.2f} ms/example; median {statistics.median(ours):.3f} s)")
    print(f"plain aevaluate(upload_results=False): {best_plain:.3f} s  "
          f"({best_plain / args.examples * 1000:.2f} ms/example; median {statistics.median(plain):.3f} s)")
    ratio = best_ours / best_plain if best_plain else float("nan")
    print(f"ratio evaltui / plain: {ratio:.3f}  (goal <= 1.05)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
