"""An uploaded experiment: `evaltui run` vs plain `langsmith.aevaluate`, against a fake LangSmith.

N examples (default 1,000) x 2 trivial evaluators, a trivial async target, the same max
concurrency, the same fake LangSmith (tests/fakes/langsmith_server.py, in this process on
127.0.0.1, no ingestion delay; a fresh one seeded with the dataset for every sample, because its
reads scan the whole store and a store grown by earlier samples would slow the later ones).
Both sides run as whole commands in fresh Python processes
started the same way (same interpreter, env and cwd; start-up included for both):

* A, evaltui: `python -m tui run --dataset D --target target.py:target
  --evaluators evals.py:exact,evals.py:length --max-concurrency C --json` (LangSmith backend:
  reads the dataset, its examples and its bound rules, runs aevaluate with uploads, flushes the
  SDK's batcher, then reads the results back from the server to check every run and score
  arrived (upload verification), then marks the experiment finished);
* B, plain: `python -c` loading the same two files, `langsmith.Client(api_url=fake.url,
  api_key=...)`, `await aevaluate(target, data=D, evaluators=[exact, length], client=client,
  max_concurrency=C)`, consuming the rows, then `client.flush()`. The SDK traces each function
  evaluator as a run of its own and uploads it (3N runs in all), where evaltui applies both
  evaluators in one untraced step (N runs); so also
* C, plain with `disable_evaluator_tracing=True`: the same N runs and 2N feedback as evaltui.

After every sample the fake must hold, for that experiment, N root runs with outputs and 2N
feedback on them. Samples alternate A, B, C, A, B, C, …; prints best-of and median for each and
the ratio A/B (goal: <= 1.05), and A/C.

Where the time goes is read from the fake's request log (each request is timestamped on the same
clock as the process start): start-up = until the first request; the upload verification = from
the first to the last read (runs query, feedback, examples) after the last upload write, and how
much of that the fake itself spent answering (its handler only: parsing request bodies and
encoding answers are not counted). The ratio without that verification is printed too, so the
ratio can be explained.
Bytecode is cached in a temporary folder (PYTHONPYCACHEPREFIX) and one small untimed run of each
warms it, as in startup.py. LANGSMITH_TRACING=false in the children's env.
`--small` for a CI smoke run: 30 examples, 1 sample (no timing claims).
Usage: python benchmarks/upload_run.py [--examples N] [--repeat R] [--concurrency C] [--small]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from _timed_fake import TimedFake, describe_requests

from tests.fakes.langsmith_server import FakeLangSmith

DATASET = "Upload bench"

TARGET_FILE = '''\
async def target(inputs: dict) -> dict:
    return {"answer": inputs["question"].upper()}
'''

EVALUATORS_FILE = '''\
def exact(outputs: dict, reference_outputs: dict) -> dict:
    return {"key": "exact", "score": outputs.get("answer") == reference_outputs.get("answer")}


def length(outputs: dict) -> dict:
    return {"key": "length", "score": len(outputs.get("answer") or "")}
'''

PLAIN = '''\
import asyncio, importlib.util, json

import langsmith
from langsmith import aevaluate


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


target = load({target!r}, "bench_target").target
evals = load({evals!r}, "bench_evals")
client = langsmith.Client(api_url={url!r}, api_key={key!r})


async def main():
    results = await aevaluate(target, data={dataset!r}, evaluators=[evals.exact, evals.length],
                              client=client, max_concurrency={concurrency}, experiment_prefix="plain"{extra})
    rows = 0
    async for _row in results:
        rows += 1
    return results, rows


results, rows = asyncio.run(main())
client.flush()
print("RESULT " + json.dumps({{"id": str(results.experiment_id), "rows": rows}}))
'''

UPLOAD_WRITES = ("POST /runs", "PATCH /runs/", "POST /feedback")  # path prefixes, with /api/v1 too
VERIFY_READS = ("POST /runs/query", "GET /feedback", "GET /examples")


@dataclass
class Sample:
    wall: float
    startup: float  # process start -> first request
    verify: float  # first -> last verification read after the last upload write (0 if none)
    verify_requests: int
    verify_server: float  # of which the fake spent answering those reads
    server: float  # time the fake spent answering all of the command's requests
    tail: float  # end of the last request -> process exit
    requests: collections.Counter
    stored_runs: int  # every run the command uploaded (the experiment's and any others)


def check_stored(fake: FakeLangSmith, experiment_id: str, n: int) -> None:
    with fake._lock:
        roots = {r["id"] for r in fake.runs.values()
                 if str(r.get("session_id")) == experiment_id and not r.get("parent_run_id")
                 and r.get("reference_example_id") and r.get("outputs") is not None}
        feedback = [f for f in fake.feedback.values() if str(f.get("run_id")) in roots]
    if len(roots) != n or len(feedback) != 2 * n:
        raise RuntimeError(f"experiment {experiment_id}: {len(roots)} runs (want {n}), "
                           f"{len(feedback)} feedback (want {2 * n}) on the fake")


def measure(fake: TimedFake, argv: list[str], env: dict[str, str], cwd: Path, n: int, parse) -> Sample:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    end = time.perf_counter()
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    experiment_id = parse(proc.stdout, n)
    check_stored(fake, experiment_id, n)
    with fake._lock:
        timeline = sorted(fake.timeline)
        stored_runs = len(fake.runs)
    last_write = max((i for i, (_, _, k) in enumerate(timeline) if k.startswith(UPLOAD_WRITES)
                      and not k.startswith("POST /runs/query")), default=-1)
    reads = [(s, e) for s, e, k in timeline[last_write + 1:] if k.startswith(VERIFY_READS)]
    return Sample(
        wall=end - start,
        startup=timeline[0][0] - start if timeline else 0.0,
        verify=reads[-1][1] - reads[0][0] if reads else 0.0,
        verify_requests=len(reads),
        verify_server=sum(e - s for s, e in reads),
        server=sum(e - s for s, e, _ in timeline),
        tail=end - max(e for _, e, _ in timeline) if timeline else 0.0,
        requests=collections.Counter(k for _, _, k in timeline),
        stored_runs=stored_runs,
    )


def parse_evaltui(stdout: str, n: int) -> str:
    doc = json.loads(stdout)
    if doc.get("status") != "done" or doc.get("finished") != n or doc.get("upload") != "verified":
        raise RuntimeError(f"evaltui run: status {doc.get('status')}, finished {doc.get('finished')}, "
                           f"upload {doc.get('upload')}")
    return doc["experiment"]["id"]


def parse_plain(stdout: str, n: int) -> str:
    line = next(li for li in reversed(stdout.splitlines()) if li.startswith("RESULT "))
    doc = json.loads(line.removeprefix("RESULT "))
    if doc["rows"] != n:
        raise RuntimeError(f"plain aevaluate streamed {doc['rows']} rows of {n}")
    return doc["id"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=4, help="max concurrency of both (evaltui's default)")
    parser.add_argument("--repeat", type=int, default=3, help="samples of each command (alternating)")
    parser.add_argument("--small", action="store_true", help="CI smoke: 30 examples, 1 sample")
    args = parser.parse_args(argv)
    if args.small:
        args.examples, args.repeat = 30, 1
    n = args.examples

    with tempfile.TemporaryDirectory() as tmp:
        cwd = Path(tmp)
        target, evals = cwd / "bench_target.py", cwd / "bench_evals.py"
        target.write_text(TARGET_FILE)
        evals.write_text(EVALUATORS_FILE)
        base_env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "OPENAI_"))}
        base_env.pop("PYTHONDONTWRITEBYTECODE", None)
        base_env.update(LANGSMITH_TRACING="false", EVALTUI_HOME=str(cwd / "home"), PYTHONPATH=str(ROOT),
                        PYTHONPYCACHEPREFIX=str(cwd / "pycache"))
        py = sys.executable

        def sample(side: str, examples: int) -> Sample:
            """One command against a fresh fake: the fake's reads scan its whole store, so a store
            grown by earlier samples would slow later ones (evaltui's verification above all)."""
            fake = TimedFake().start()
            try:
                fake.seed_dataset(DATASET, [({"question": f"q{i}"}, {"answer": f"Q{i}" if i % 3 else "wrong"})
                                            for i in range(examples)])
                env = {**base_env, "LANGSMITH_API_KEY": fake.api_key, "LANGSMITH_ENDPOINT": fake.url}
                if side == "evaltui":
                    argv = [py, "-m", "tui", "run", "--dataset", DATASET, "--target", f"{target}:target",
                            "--evaluators", f"{evals}:exact,{evals}:length",
                            "--max-concurrency", str(args.concurrency), "--json"]
                    return measure(fake, argv, env, cwd, examples, parse_evaltui)
                extra = ", disable_evaluator_tracing=True" if side == "plain-untraced" else ""
                code = PLAIN.format(target=str(target), evals=str(evals), url=fake.url, key=fake.api_key,
                                    dataset=DATASET, concurrency=args.concurrency, extra=extra)
                return measure(fake, [py, "-c", code], env, cwd, examples, parse_plain)
            finally:
                fake.stop()

        # Untimed: compile the bytecode of both into the cache, check both work.
        sample("evaltui", 5)
        sample("plain", 5)
        ours: list[Sample] = []
        plain: list[Sample] = []
        untraced: list[Sample] = []
        for _ in range(args.repeat):
            ours.append(sample("evaltui", n))
            plain.append(sample("plain", n))
            untraced.append(sample("plain-untraced", n))

    def med(values) -> float:
        return statistics.median(list(values))

    def report(label: str, samples: list[Sample]) -> tuple[float, float]:
        walls = [s.wall for s in samples]
        best, median = min(walls), med(walls)
        print(f"{label}: best {best:7.3f} s, median {median:7.3f} s  ({best / n * 1000:.2f} ms/example)")
        print(f"    medians: start-up to first request {med(s.startup for s in samples) * 1000:.0f} ms, "
              f"upload verification {med(s.verify for s in samples) * 1000:.0f} ms "
              f"({samples[-1].verify_requests} reads; fake answering them "
              f"{med(s.verify_server for s in samples) * 1000:.0f} ms), "
              f"last answer to exit {med(s.tail for s in samples) * 1000:.0f} ms")
        print(f"    fake answering all requests: {med(s.server for s in samples) * 1000:.0f} ms median; "
              f"runs uploaded: {samples[-1].stored_runs}")
        print(f"    requests: {describe_requests(samples[-1].requests)}")
        return best, median

    print(f"examples: {n} x 2 evaluators, max_concurrency={args.concurrency}, "
          f"{args.repeat} alternating sample(s) each, subprocesses, start-up included"
          + ("  [--small: smoke run, no timing claims]" if args.small else ""))
    best_a, med_a = report("A  evaltui run --json                 ", ours)
    best_b, med_b = report("B  plain aevaluate + flush            ", plain)
    best_c, med_c = report("C  plain, disable_evaluator_tracing=True", untraced)
    print(f"each: {n} runs and {2 * n} feedback stored on the fake for each experiment")
    print(f"ratio A/B: best {best_a / best_b:.3f}, median {med_a / med_b:.3f}  (goal <= 1.05)")
    best_a_nv = min(s.wall - s.verify for s in ours)
    med_a_nv = med(s.wall - s.verify for s in ours)
    print(f"ratio A/B without evaltui's upload verification: best {best_a_nv / best_b:.3f}, "
          f"median {med_a_nv / med_b:.3f}")
    print(f"ratio A/C (the same runs uploaded): best {best_a / best_c:.3f}, median {med_a / med_c:.3f}; "
          f"without the verification: best {best_a_nv / best_c:.3f}, median {med_a_nv / med_c:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
