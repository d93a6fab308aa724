"""Does the Runner keep LLM judges busy? Wall time of a judge run vs the ideal.

N examples scored by `evaluators.accuracy_evaluator` through the real `ChatOpenAI` to the fake
OpenAI server (tests/fakes/openai_server.py, in a child process so its own CPU work does not
compete for this process's GIL) answering after a fixed latency, with
max_concurrency C. Ideal wall time = N / C * latency (200 / 16 * 0.1 s = 1.25 s).
Prints wall, ideal and their ratio (goal: <= 1.2). `--small` for a CI smoke run.
Usage: python benchmarks/judge_concurrency.py [--examples N] [--concurrency C] [--latency S] [--small]
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


async def answer(inputs: dict) -> dict:
    return {"expected_response": f"The answer is {inputs['query']}."}


def _serve(latency: float, conn) -> None:
    """Child process: the fake OpenAI server, so its CPU work does not share our GIL."""
    from tests.fakes.openai_server import FakeOpenAIServer

    server = FakeOpenAIServer().start()
    server.delay = latency
    conn.send(server.base_url)
    while True:
        command = conn.recv()
        if command == "count":
            conn.send(len(server.chat_requests()))
        elif isinstance(command, tuple) and command[0] == "delay":
            server.delay = command[1]
            conn.send(True)
        elif command == "reset":
            server.requests.clear()
            conn.send(True)
        else:
            server.stop()
            conn.send(True)
            return


class ServerProcess:
    """The fake OpenAI server (tests/fakes/openai_server.py) started in a child process."""

    def __init__(self, latency: float):
        import multiprocessing as mp

        self._conn, child = mp.Pipe()
        self._proc = mp.get_context("spawn").Process(target=_serve, args=(latency, child), daemon=True)
        self._proc.start()
        self.base_url: str = self._conn.recv()

    def _ask(self, command: str):
        self._conn.send(command)
        return self._conn.recv()

    def request_count(self) -> int:
        return self._ask("count")

    def set_delay(self, seconds: float) -> None:
        self._ask(("delay", seconds))

    def reset_count(self) -> None:
        self._ask("reset")

    def stop(self) -> None:
        try:
            self._ask("stop")
        finally:
            self._proc.join(timeout=5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--latency", type=float, default=0.1, help="fake server reply delay, seconds")
    parser.add_argument("--small", action="store_true", help="tiny sizes for a CI smoke run")
    args = parser.parse_args(argv)
    if args.small:
        args.examples, args.concurrency, args.latency = 8, 4, 0.02

    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("langsmith").setLevel(logging.CRITICAL)

    server = ServerProcess(args.latency)
    os.environ["OPENAI_BASE_URL"] = server.base_url
    os.environ["OPENAI_API_KEY"] = "sk-fake-benchmark-key-0000"
    os.environ.setdefault("LANGSMITH_TRACING", "false")
    try:
        from evaluators import accuracy_evaluator, clear_judge_cache
        from tui.backend.local import LocalBackend
        from tui.backend.runner import Runner, RunOptions

        with tempfile.TemporaryDirectory() as tmp:
            backend = LocalBackend(Path(tmp) / "bench.sqlite3", seed=False)
            rows = [({"query": f"question {i}"}, {"expected_response": f"answer {i}"}) for i in range(args.examples)]
            backend.add_dataset("judge-bench", rows)

            async def run_once(limit: int | None) -> float:
                options = RunOptions("judge-bench", answer, [accuracy_evaluator], limit=limit,
                                     max_concurrency=args.concurrency, run_rules=False)
                start = time.perf_counter()
                experiment = await Runner(backend).run(options)
                elapsed = time.perf_counter() - start
                results = backend.list_results(experiment.id)
                errors = [s.error for r in results for s in r.scores if s.error]
                assert not errors, errors[:3]
                return elapsed

            async def bench() -> tuple[float, float]:
                clear_judge_cache()
                await run_once(min(args.concurrency, args.examples))  # warm up: imports, judge, connections
                server.reset_count()
                wall = await run_once(None)
                # The same run with an instant server: the client-side CPU cost of the judge calls
                # (LangChain + openai), a floor no scheduling can beat.
                server.set_delay(0.0)
                floor = await run_once(None)
                return wall, floor

            wall, floor = asyncio.run(bench())
            backend.close()
        requests = server.request_count() // 2
    finally:
        server.stop()
    ideal = args.examples / args.concurrency * args.latency
    print(f"examples: {args.examples}, judge latency {args.latency * 1000:.0f} ms, max_concurrency={args.concurrency}")
    print(f"chat completions served: {requests}")
    print(f"same run with a 0 ms server (client CPU floor): {floor:.3f} s "
          f"({floor / args.examples * 1000:.1f} ms per judge call)")
    print(f"wall: {wall:.3f} s   ideal: {ideal:.3f} s   ratio: {wall / ideal:.3f}  (goal <= 1.2)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
