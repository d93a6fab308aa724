"""LLM judge runs: evaltui vs plain `aevaluate`, wall vs ideal, and a cached re-run.

Every judge call is `evaluators.accuracy_evaluator` (the seed's judge: `ChatOpenAI(...)
.with_structured_output(AccuracyGrade, method="json_schema", strict=True)`) through the real
langchain_openai / openai client to the fake OpenAI server (tests/fakes/openai_server.py) run in
a child process (its threads' CPU work does not compete for this process's GIL) that answers
after a fixed latency. The target is a trivial async function; one judge call per example.
Everything runs in a temp EVALTUI_HOME (workspace and judge cache), offline.

1. evaltui vs plain aevaluate, the same judge, dataset, max concurrency and latency
   (default 200 examples, 100 ms, concurrency 16: client CPU per call matters):
   `Runner.run` on a local workspace with `judge_cache=False` (every call reaches the server) vs
   `aevaluate(target, data=[Example...], evaluators=[the judge], upload_results=False,
   disable_evaluator_tracing=True, client=<offline Client>)` with no LangChain cache installed.
   (`disable_evaluator_tracing` as evaltui's runner passes it: without it LangChain's tracer
   POSTs every judge call's run to the offline client and retries: 8 examples took 170 s.)
   Samples alternate; ratios of the best and of the medians (goal: <= 1.0).
2. Wall vs ideal at 1 s latency, 400 judge calls, concurrency 32, `judge_cache=False`:
   ideal = ceil(400 / 32) x 1 s = 13 s (goal: <= 1.1). Plain aevaluate's ratio alongside.
3. A cached re-run vs the first run: the same experiment twice with `judge_cache=True` in the
   same EVALTUI_HOME (sizes of 2.), the server's chat requests counted per run, the run's
   judge_cache hits/misses printed (goal: re-run / first <= 0.1 and 0 HTTP calls on the re-run).

Every timed run checks that no score errored and that the server saw exactly one chat request
per uncached judge call. `--small` is a CI smoke run (20 calls, 50 ms, concurrency 8, one sample
each): it proves the script runs and makes no timing claims.
Usage: python benchmarks/judge_concurrency.py [--repeat R] [--samples S] [--small]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import io
import math
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


async def answer(inputs: dict) -> dict:
    return {"expected_response": f"The answer is {inputs['query']}."}


def make_rows(n: int) -> list[tuple[dict, dict]]:
    # The fake judges "accurate" iff <expected> appears in <agent_output>: every other one fails.
    return [({"query": f"question {i}"}, {"expected_response": f"question {i}" if i % 2 else f"answer {i}"})
            for i in range(n)]


# --------------------------------------------------------------------------- the fake server


def _peak_in_flight(received: list[float], latency: float) -> int:
    """Most requests received within one latency window: how many the server held at once."""
    received.sort()
    peak, lo = 0, 0
    for hi, at in enumerate(received):
        while received[lo] <= at - latency:
            lo += 1
        peak = max(peak, hi - lo + 1)
    return peak


def _serve(latency: float, conn) -> None:
    """Child process: the fake OpenAI server, so its CPU work does not share our GIL."""
    from tests.fakes.openai_server import FakeOpenAIServer

    server = FakeOpenAIServer().start()
    server.delay = latency
    conn.send(server.base_url)
    while True:
        command = conn.recv()
        if command == "stats":
            chats = [r for r in server.requests if r.path.endswith("/chat/completions")]
            conn.send((len(chats), _peak_in_flight([r.received_at for r in chats], server.delay)
                       if server.delay else 0))
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

    def _ask(self, command):
        self._conn.send(command)
        return self._conn.recv()

    def stats(self) -> tuple[int, int]:
        """(chat requests since the last reset, peak requests in flight)."""
        return self._ask("stats")

    def set_delay(self, seconds: float) -> None:
        self._ask(("delay", seconds))

    def reset(self) -> None:
        self._ask("reset")

    def stop(self) -> None:
        try:
            self._ask("stop")
        finally:
            self._proc.join(timeout=5)


# --------------------------------------------------------------------------- one run each way


@dataclass
class Sample:
    wall: float
    cpu: float  # this process's CPU time during the run (all threads; the server is another process)
    http: int  # chat requests the server received during the run
    peak: int  # most requests the server held at once
    cache: dict | None = None  # the run's counts["judge_cache"] (evaltui only)


class Bench:
    def __init__(self, home: Path, server: ServerProcess):
        from tui.backend.workspace.local import LocalBackend

        self.server = server
        self.backend = LocalBackend(home / "workspace.sqlite3", seed=False)
        self.datasets: dict[int, list[tuple[dict, dict]]] = {}

    def dataset(self, n: int) -> str:
        name = f"judge-bench-{n}"
        if n not in self.datasets:
            self.datasets[n] = make_rows(n)
            self.backend.add_dataset(name, self.datasets[n])
        return name

    def _served(self) -> tuple[int, int]:
        http, peak = self.server.stats()
        self.server.reset()
        return http, peak

    async def evaltui(self, n: int, concurrency: int, *, cache: bool = False) -> Sample:
        from evaluators import accuracy_evaluator
        from tui.backend.core.events import RunFinished
        from tui.backend.runs.runner import Runner, RunOptions

        finished: list[RunFinished] = []
        options = RunOptions(self.dataset(n), answer, [accuracy_evaluator], max_concurrency=concurrency,
                             run_rules=False, judge_cache=cache)
        self.server.reset()
        start, cpu = time.perf_counter(), time.process_time()
        experiment = await Runner(self.backend).run(
            options, lambda e: finished.append(e) if isinstance(e, RunFinished) else None)
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        http, peak = self._served()
        results = self.backend.list_results(experiment.id)
        errors = [r.error for r in results if r.error] + [s.error for r in results for s in r.scores if s.error]
        assert len(results) == n and not errors, (len(results), errors[:3])
        assert finished, "no RunFinished event"
        return Sample(wall, cpu, http, peak, finished[-1].counts.get("judge_cache"))

    async def plain(self, n: int, concurrency: int) -> Sample:
        from langchain_core.globals import get_llm_cache, set_llm_cache
        from langsmith import Client, aevaluate, schemas

        from evaluators import accuracy_evaluator

        async def accuracy(run, example) -> dict:  # the SDK passes Run / Example objects
            grade = await accuracy_evaluator({"inputs": run.inputs, "outputs": run.outputs},
                                             {"inputs": example.inputs, "outputs": example.outputs})
            return {"key": "accuracy", "score": grade["accuracy"], "comment": grade["comment"]}

        self.dataset(n)
        client = Client(auto_batch_tracing=False, api_key="fake", api_url="http://127.0.0.1:9")
        dataset_id = uuid.uuid4()
        now = dt.datetime.now(dt.timezone.utc)
        data = [schemas.Example(id=uuid.uuid4(), dataset_id=dataset_id, inputs=i, outputs=o, created_at=now)
                for i, o in self.datasets[n]]
        installed = get_llm_cache()
        set_llm_cache(None)  # plain LangChain: no LLM cache (evaltui's run installs its judge cache)
        self.server.reset()
        try:
            start, cpu = time.perf_counter(), time.process_time()
            with contextlib.redirect_stdout(io.StringIO()):
                # disable_evaluator_tracing, as evaltui's runner passes: with upload_results=False the
                # SDK traces evaluators "local", which LangChain's tracer reads as on, so every judge
                # call would POST its run to the offline client and retry (8 examples took 170 s).
                results = await aevaluate(answer, data=data, evaluators=[accuracy], upload_results=False,
                                          client=client, max_concurrency=concurrency, blocking=False,
                                          disable_evaluator_tracing=True)
            rows = []
            async for row in results:
                rows.append(row)
            wall, cpu = time.perf_counter() - start, time.process_time() - cpu
        finally:
            set_llm_cache(installed)
        http, peak = self._served()
        errors = [r.comment for row in rows for r in row["evaluation_results"]["results"]
                  if (r.extra or {}).get("error")] + [row["run"].error for row in rows if row["run"].error]
        assert len(rows) == n and not errors, (len(rows), errors[:3])
        return Sample(wall, cpu, http, peak)

    def close(self) -> None:
        self.backend.close()


# --------------------------------------------------------------------------- figures


def _check_http(samples: list[Sample], n: int, what: str) -> None:
    wrong = [s.http for s in samples if s.http != n]
    assert not wrong, f"{what}: the server saw {wrong} chat requests, expected {n} per run"


def _walls(samples: list[Sample]) -> str:
    return ", ".join(f"{s.wall:.3f}" for s in samples)


def _cpu_ms(samples: list[Sample], n: int) -> float:
    """Median client CPU per example, ms."""
    return statistics.median(s.cpu for s in samples) / n * 1000


async def _alternating(bench: Bench, n: int, concurrency: int, samples: int,
                       plain_first: bool) -> tuple[list[Sample], list[Sample]]:
    """`samples` runs of each side, alternating which goes first (noise hits both alike)."""
    ours: list[Sample] = []
    plain: list[Sample] = []
    for i in range(samples):
        if (i % 2 == 0) == plain_first:
            plain.append(await bench.plain(n, concurrency))
            ours.append(await bench.evaltui(n, concurrency))
        else:
            ours.append(await bench.evaltui(n, concurrency))
            plain.append(await bench.plain(n, concurrency))
    return ours, plain


async def figure_overhead(bench: Bench, n: int, concurrency: int, latency: float, repeat: int) -> list[str]:
    bench.server.set_delay(latency)
    warm = min(n, concurrency)
    await bench.plain(warm, concurrency)  # imports, the judge, pooled connections for both sides
    await bench.evaltui(warm, concurrency)
    ours, plain = await _alternating(bench, n, concurrency, repeat, plain_first=True)
    _check_http(ours + plain, n, "overhead")
    # The same runs against an instant server: the client CPU of the judge calls (LangChain +
    # openai + the runner or the SDK), a floor no scheduling can beat.
    bench.server.set_delay(0.0)
    floors: list[Sample] = []
    plain_floors: list[Sample] = []
    for _ in range(min(repeat, 2)):
        floors.append(await bench.evaltui(n, concurrency))
        plain_floors.append(await bench.plain(n, concurrency))
    floor, plain_floor = min(f.wall for f in floors), min(f.wall for f in plain_floors)
    best_ours, best_plain = min(s.wall for s in ours), min(s.wall for s in plain)
    med_ours, med_plain = statistics.median(s.wall for s in ours), statistics.median(s.wall for s in plain)
    ideal = math.ceil(n / concurrency) * latency
    return [
        f"1. evaltui vs plain aevaluate: {n} judge calls, latency {latency * 1000:.0f} ms, "
        f"max_concurrency={concurrency}, best of {repeat} (alternating)",
        f"   evaltui Runner (judge_cache=False): {best_ours:.3f} s  (median {med_ours:.3f}; "
        f"samples {_walls(ours)}; client CPU {_cpu_ms(ours, n):.2f} ms/call)",
        f"   plain aevaluate(upload_results=False): {best_plain:.3f} s  (median {med_plain:.3f}; "
        f"samples {_walls(plain)}; client CPU {_cpu_ms(plain, n):.2f} ms/call)",
        f"   ideal ceil(n/c) x latency: {ideal:.3f} s; chat requests per run: {ours[0].http}; "
        f"server peak in flight: {max(s.peak for s in ours)} / {max(s.peak for s in plain)}",
        f"   0 ms server (client CPU floor): evaltui {floor:.3f} s ({floor / n * 1000:.2f} ms/call), "
        f"plain {plain_floor:.3f} s ({plain_floor / n * 1000:.2f} ms/call)",
        f"   ratio evaltui / plain: {best_ours / best_plain:.3f} best, {med_ours / med_plain:.3f} median  "
        f"(goal <= 1.0)",
    ]


async def figure_ideal(bench: Bench, n: int, concurrency: int, latency: float, samples: int) -> list[str]:
    bench.server.set_delay(latency)
    await bench.evaltui(min(n, concurrency), concurrency)  # warm: connections up to `concurrency`
    ours, plain = await _alternating(bench, n, concurrency, samples, plain_first=False)
    _check_http(ours + plain, n, "ideal")
    ideal = math.ceil(n / concurrency) * latency
    best, best_plain = min(s.wall for s in ours), min(s.wall for s in plain)
    return [
        f"2. wall vs ideal: {n} judge calls, latency {latency * 1000:.0f} ms, max_concurrency={concurrency}, "
        f"best of {samples}",
        f"   ideal ceil({n}/{concurrency}) x {latency:g} s = {ideal:.3f} s",
        f"   evaltui (judge_cache=False): {best:.3f} s (samples {_walls(ours)}; client CPU "
        f"{_cpu_ms(ours, n):.2f} ms/call; server peak in flight {max(s.peak for s in ours)})",
        f"   plain aevaluate, same judge:  {best_plain:.3f} s (samples {_walls(plain)}; "
        f"ratio {best_plain / ideal:.3f})",
        f"   ratio evaltui wall / ideal: {best / ideal:.3f}  (goal <= 1.1)",
    ]


async def figure_cache(bench: Bench, n: int, concurrency: int, latency: float) -> list[str]:
    bench.server.set_delay(latency)
    first = await bench.evaltui(n, concurrency, cache=True)
    again = await bench.evaltui(n, concurrency, cache=True)
    _check_http([first], n, "cache, first run")

    def cache_text(sample: Sample) -> str:
        counts = sample.cache or {}
        return f"hits {counts.get('hits', 0)}, misses {counts.get('misses', 0)}"

    return [
        f"3. cached re-run: the same experiment twice, judge_cache=True, {n} examples, "
        f"latency {latency * 1000:.0f} ms, max_concurrency={concurrency}",
        f"   first run: {first.wall:.3f} s, {first.http} chat requests, judge cache {cache_text(first)}",
        f"   re-run:    {again.wall:.3f} s ({again.wall / n * 1000:.2f} ms/example; client CPU "
        f"{again.cpu / n * 1000:.2f} ms/example), {again.http} chat requests, judge cache {cache_text(again)}",
        f"   ratio re-run / first: {again.wall / first.wall:.3f}  (goal <= 0.1, and 0 chat requests on the re-run: "
        f"{'yes' if again.http == 0 else 'NO'})",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="1.: judge calls per run")
    parser.add_argument("--concurrency", type=int, default=16, help="1.: max_concurrency")
    parser.add_argument("--latency", type=float, default=0.1, help="1.: fake server reply delay, seconds")
    parser.add_argument("--repeat", type=int, default=5, help="1.: samples per side (alternating)")
    parser.add_argument("--calls", type=int, default=400, help="2./3.: judge calls per run")
    parser.add_argument("--slow-concurrency", type=int, default=32, help="2./3.: max_concurrency")
    parser.add_argument("--slow-latency", type=float, default=1.0, help="2./3.: fake server reply delay, s")
    parser.add_argument("--samples", type=int, default=2, help="2.: samples per side (alternating)")
    parser.add_argument("--small", action="store_true", help="tiny sizes for a CI smoke run (no timing claims)")
    args = parser.parse_args(argv)
    if args.small:
        args.examples = args.calls = 20
        args.latency = args.slow_latency = 0.05
        args.concurrency = args.slow_concurrency = 8
        args.repeat = args.samples = 1

    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("langsmith").setLevel(logging.CRITICAL)

    server = ServerProcess(args.latency)
    lines: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="evaltui-judge-bench-") as tmp:
            home = Path(tmp)
            os.environ.update({
                "EVALTUI_HOME": str(home),  # the judge cache goes here, not in the user's home
                "OPENAI_BASE_URL": server.base_url,
                "OPENAI_API_KEY": "sk-fake-benchmark-key-0000",
                "EVALTUI_JUDGE_MAX_RETRIES": "0",  # the fake never fails: a retry would be a bug to see
                "EVALTUI_JUDGE_TIMEOUT": "30",
                "LANGSMITH_TRACING": "false",
            })
            os.environ.pop("LANGCHAIN_TRACING_V2", None)

            async def bench_all() -> None:
                from evaluators import clear_judge_cache

                clear_judge_cache()
                bench = Bench(home, server)
                try:
                    lines.extend(await figure_overhead(bench, args.examples, args.concurrency, args.latency,
                                                       args.repeat))
                    lines.extend(await figure_ideal(bench, args.calls, args.slow_concurrency, args.slow_latency,
                                                    args.samples))
                    lines.extend(await figure_cache(bench, args.calls, args.slow_concurrency, args.slow_latency))
                finally:
                    bench.close()

            asyncio.run(bench_all())
    finally:
        server.stop()
    if args.small:
        lines.append("(--small: a smoke run; these timings make no claims)")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
