"""Listing 1,000 rules: `evaltui list` vs the SDK's generated client paging the same rules.

A fake LangSmith (tests/fakes/langsmith_server.py, in this process on 127.0.0.1) holds R rules
(default 1,000) bound round-robin to a few datasets; `GET /api/v2/runs/rules` serves them in
cursor pages of 100. Two whole commands, each a fresh Python process started the same way
(same interpreter, env and cwd; start-up included):

* A, evaltui: `python -m tui list` (the LangSmith backend, v2 listing with cursor pages, the
  sorted table printed);
* B, bare SDK: `python -c` with the generated client,
  `langsmith.Langsmith(base_url=URL, api_key=KEY).evaluators.list_v2(page_size=100)`, counting
  the rules it pages through.

Both must see all R rules (A: the table's lines; B: the count it prints); the number of HTTP
requests each made is taken from the fake's request log, and the time the fake spent answering
them is measured too (it runs in this process, so it is part of both wall times alike).
Samples alternate A, B, A, B, … (noise hits both alike); prints best-of and median for each and
the ratio A/B of the bests (goal: <= 1.1) and of the medians.

Bytecode is cached in a temporary folder (PYTHONPYCACHEPREFIX) and one untimed run of each
command warms it first, as in startup.py. LANGSMITH_TRACING=false in the children's env.
`--small` for a CI smoke run: 100 rules, 1 sample (no timing claims).
Usage: python benchmarks/rules_listing.py [--rules R] [--repeat N] [--small]
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _timed_fake import TimedFake, describe_requests

from tests.fakes.langsmith_server import FakeLangSmith

RULE_PREFIX = "bench-rule-"

SDK_LISTING = """\
import langsmith
c = langsmith.Langsmith(base_url={url!r}, api_key={key!r})
n = sum(1 for _ in c.evaluators.list_v2(page_size=100))
print(n)
"""


def seed(fake: FakeLangSmith, rules: int, datasets: int) -> None:
    bound = [fake.seed_dataset(f"Bench dataset {i}")["id"] for i in range(datasets)]
    for i in range(rules):
        fake.seed_rule(f"{RULE_PREFIX}{i:04d}", dataset_id=bound[i % len(bound)])


def count_table_rows(stdout: str) -> int:
    """Rows of `evaltui list`'s table (the header and the dashes line are not rows)."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines or not lines[0].startswith("NAME"):
        raise RuntimeError(f"evaltui list printed no table: {stdout[:300]!r}")
    rows = lines[2:]
    assert all(r.startswith(RULE_PREFIX) for r in rows), "unexpected table line"
    return len(rows)


def count_sdk(stdout: str) -> int:
    return int(stdout.strip().splitlines()[-1])


class Sample:
    def __init__(self, wall: float, requests: collections.Counter, server_s: float):
        self.wall, self.requests, self.server_s = wall, requests, server_s


def measure(fake: TimedFake, argv: list[str], env: dict[str, str], cwd: Path, count, expected: int) -> Sample:
    with fake._lock:
        seen, handled = len(fake.requests), len(fake.timeline)
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    got = count(proc.stdout)
    if got != expected:
        raise RuntimeError(f"{argv[:3]} saw {got} rules, expected {expected}")
    with fake._lock:
        reqs = collections.Counter(f"{r.method} {r.path} -> {r.status}" for r in fake.requests[seen:])
        server_s = sum(end - start for start, end, _ in fake.timeline[handled:])
    return Sample(wall, reqs, server_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--datasets", type=int, default=4, help="datasets the rules are bound to")
    parser.add_argument("--repeat", type=int, default=7, help="samples of each command (alternating)")
    parser.add_argument("--small", action="store_true", help="CI smoke: 100 rules, 1 sample")
    args = parser.parse_args(argv)
    if args.small:
        args.rules, args.repeat = 100, 1

    fake = TimedFake().start()
    try:
        seed(fake, args.rules, args.datasets)
        with tempfile.TemporaryDirectory() as tmp:
            cwd = Path(tmp)
            env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "OPENAI_"))}
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env.update(
                LANGSMITH_API_KEY=fake.api_key, LANGSMITH_ENDPOINT=fake.url, LANGSMITH_TRACING="false",
                EVALTUI_HOME=str(cwd / "home"), PYTHONPATH=str(ROOT),
                PYTHONPYCACHEPREFIX=str(cwd / "pycache"),
            )
            py = sys.executable
            a_argv = [py, "-m", "tui", "list"]
            b_argv = [py, "-c", SDK_LISTING.format(url=fake.url, key=fake.api_key)]
            # Untimed: compile the bytecode of both into the cache, check both work.
            measure(fake, a_argv, env, cwd, count_table_rows, args.rules)
            measure(fake, b_argv, env, cwd, count_sdk, args.rules)
            ours: list[Sample] = []
            sdk: list[Sample] = []
            for _ in range(args.repeat):
                ours.append(measure(fake, a_argv, env, cwd, count_table_rows, args.rules))
                sdk.append(measure(fake, b_argv, env, cwd, count_sdk, args.rules))
    finally:
        fake.stop()

    def line(label: str, samples: list[Sample]) -> tuple[float, float]:
        walls = [s.wall for s in samples]
        best, med = min(walls), statistics.median(walls)
        server = statistics.median(s.server_s for s in samples)
        print(f"{label}: best {best * 1000:7.0f} ms, median {med * 1000:7.0f} ms  "
              f"(fake answering: {server * 1000:.0f} ms median)")
        print(f"    requests: {describe_requests(samples[-1].requests)}")
        return best, med

    print(f"rules: {args.rules} bound to {args.datasets} datasets, v2 pages of 100; "
          f"{args.repeat} alternating sample(s) each, start-up included"
          + ("  [--small: smoke run, no timing claims]" if args.small else ""))
    best_a, med_a = line("A  evaltui list (python -m tui list)        ", ours)
    best_b, med_b = line("B  generated client list_v2 (python -c ...) ", sdk)
    print(f"both saw {args.rules} rules")
    print(f"ratio A/B: best {best_a / best_b:.3f}, median {med_a / med_b:.3f}  (goal <= 1.1)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
