"""Comparing two experiments example by example: `evaltui compare A B` on N examples x 3 score keys.

* local     the whole `evaltui compare A B` command in-process on the local workspace (both
            experiments read from SQLite, paired statistics with 10,000 bootstrap resamples per
            key, the lines and the regressed examples printed), goal <= 1 s at N = 10,000; also with
            `--json`, split into reading the rows and the statistics, and the statistics of a
            continuous key (every difference distinct: examples drawn, not counts);
* ls        the same command on the fake LangSmith (tests/fakes/langsmith_server.py, in this process
            on 127.0.0.1): runs query pages and feedback pages;
* sdk       the SDK alone reading the same rows from the same fake: `Client.list_runs(project_id=…,
            is_root=True)` and `Client.list_feedback(run_ids=…)` for both experiments, no statistics.

The fake answers a runs page in time that grows with all the runs it holds (it looks up each run's
children), so the LangSmith variants run on `--ls-rows` examples (default 2,000), and the local
command is timed at that size too: every ratio compares figures measured in this run at one size.
`--small`: a CI smoke run (1,000 / 300 examples, no timing claims).
Usage: python benchmarks/compare.py [--rows N] [--ls-rows M] [--small]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEYS = ("exact_match", "correct", "quality")


def _scores(side: int, i: int):
    from tui.backend.core.models import Score

    h = (i * 2654435761 + side * 97) % 1000  # deterministic "noise"
    return (
        Score("exact_match", h % 4 != 0, comment=f"side {side} example {i}"),
        Score("correct", int(h % 5 != 0), evaluator="correctness"),
        Score("quality", round((h % 11) / 10, 1)),
    )


def build_local(home: Path, rows: int) -> None:
    from tui.backend.core.models import ExperimentResult
    from tui.backend.workspace.local import LocalBackend

    backend = LocalBackend(home / "workspace.sqlite3")
    try:
        dataset = backend.create_dataset(f"bench-{rows}")
        backend.add_examples(dataset.id, [({"q": f"question {i}"}, {"a": f"answer {i}"}) for i in range(rows)])
        examples = list(backend.list_examples(dataset.id))
        for side, name in enumerate(("baseline", "candidate")):
            exp = backend.create_experiment(f"{name}-{rows}", dataset.id, {"target": "bench"})
            backend.record_results([
                ExperimentResult(exp.id, ex.id, ex.inputs, {"answer": f"{name} {i}"}, ex.outputs,
                                 scores=_scores(side, i))
                for i, ex in enumerate(examples)
            ])
            backend.finish_experiment(exp.id, "done")
    finally:
        backend.close()


def run_compare(env: dict[str, str], a: str, b: str, *extra: str) -> float:
    """The whole `evaltui compare A B [extra]` command in-process (output to memory); seconds."""
    from tui.__main__ import main

    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        out, err = io.StringIO(), io.StringIO()
        t0 = time.perf_counter()
        code = main(["compare", a, b, *extra], stdin=io.StringIO(""), stdout=out, stderr=err)
        seconds = time.perf_counter() - t0
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    if code != 0:
        raise SystemExit(f"compare failed ({code}): {err.getvalue()}")
    return seconds


def run_process(env: dict[str, str], a: str, b: str) -> float:
    """`python -m tui compare A B` as a CI job runs it: a fresh process, imports included; seconds."""
    import subprocess

    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tui", "compare", a, b], env={**os.environ, **env}, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    return time.perf_counter() - t0


def local_figures(rows: int, repeats: int) -> dict[str, float]:
    from tui.backend.runs.compare import paired_comparison
    from tui.backend.runs.paired_stats import compare_paired
    from tui.backend.workspace.local import LocalBackend

    home = Path(tempfile.mkdtemp(prefix="evaltui-bench-compare-"))
    build_local(home, rows)
    env = {"EVALTUI_HOME": str(home), "EVALTUI_BACKEND": "local"}
    a, b = f"baseline-{rows}", f"candidate-{rows}"
    run_compare(env, a, b)  # warm: imports (numpy, scipy) and the page cache, as a second command would be
    command = min(run_compare(env, a, b) for _ in range(repeats))
    as_json = min(run_compare(env, a, b, "--json") for _ in range(repeats))
    process = min(run_process(env, a, b) for _ in range(repeats))
    backend = LocalBackend(home / "workspace.sqlite3")
    try:
        ea, eb = backend.get_experiment(a), backend.get_experiment(b)
        t0 = time.perf_counter()
        rows_a, rows_b = backend.list_results(ea.id), backend.list_results(eb.id)
        read = time.perf_counter() - t0
        t0 = time.perf_counter()
        paired_comparison(rows_a, rows_b)
        stats = time.perf_counter() - t0
    finally:
        backend.close()
    import numpy as np

    rng = np.random.default_rng(1)
    cont_a = {"score": {str(i): float(v) for i, v in enumerate(rng.random(rows))}}
    cont_b = {"score": {str(i): float(v) for i, v in enumerate(rng.random(rows))}}
    t0 = time.perf_counter()
    compare_paired(cont_a, cont_b)
    continuous = time.perf_counter() - t0
    return {"command": command, "json": as_json, "process": process, "read": read, "stats": stats, "continuous": continuous}


def langsmith_figures(rows: int, repeats: int) -> dict[str, float]:
    from datetime import datetime, timezone

    import langsmith

    from tests.fakes.langsmith_server import FakeLangSmith
    from tui.backend.core.models import EVALUATOR_INFO_KEY
    from tui.backend.workspace.langsmith import LangSmithBackend

    fake = FakeLangSmith().start()
    try:
        dataset = fake.seed_dataset(f"bench-{rows}", [({"q": f"question {i}"}, {"a": f"answer {i}"})
                                                       for i in range(rows)])
        backend = LangSmithBackend(fake.api_key, fake.url)
        examples = [ex.id for ex in backend.list_examples(dataset["id"])]
        experiment_ids = []
        now = datetime.now(timezone.utc).isoformat()
        for side, name in enumerate(("baseline", "candidate")):
            exp = backend.create_experiment(f"{name}-{rows}", dataset["id"], {"target": "bench"})
            backend.finish_experiment(exp.id, "done")
            experiment_ids.append(exp.id)
            with fake._lock:  # seeded straight into the fake's store: the reads are what is timed
                for i, example_id in enumerate(examples):
                    run_id = str(uuid.uuid4())
                    fake._upsert_run({"id": run_id, "name": "Target", "run_type": "chain", "session_id": exp.id,
                                      "reference_example_id": example_id, "inputs": {"q": f"question {i}"},
                                      "outputs": {"answer": f"{name} {i}"}, "start_time": now, "end_time": now,
                                      "trace_id": run_id})
                    for score in _scores(side, i):
                        fake._store_feedback({
                            "run_id": run_id, "key": score.key, "score": score.score, "comment": score.comment,
                            "session_id": exp.id, "feedback_source": {
                                "type": "api", "metadata": {EVALUATOR_INFO_KEY: score.evaluator}
                                if score.evaluator else {}}})
        backend.close()
        env = {"EVALTUI_HOME": tempfile.mkdtemp(prefix="evaltui-bench-compare-ls-"), "EVALTUI_BACKEND": "langsmith",
               "LANGSMITH_API_KEY": fake.api_key, "LANGSMITH_ENDPOINT": fake.url}
        a, b = f"baseline-{rows}", f"candidate-{rows}"
        command = min(run_compare(env, a, b) for _ in range(repeats))

        def sdk_read() -> float:
            client = langsmith.Client(api_url=fake.url, api_key=fake.api_key, auto_batch_tracing=False)
            t0 = time.perf_counter()
            count = 0
            for experiment_id in experiment_ids:
                with warnings.catch_warnings():  # list_runs is deprecated in 0.15, still what most code calls
                    warnings.simplefilter("ignore")
                    runs = list(client.list_runs(project_id=experiment_id, is_root=True))
                ids = [r.id for r in runs]
                for start in range(0, len(ids), 100):
                    count += sum(1 for _ in client.list_feedback(run_ids=ids[start:start + 100]))
            seconds = time.perf_counter() - t0
            assert count == 2 * rows * len(KEYS), count
            return seconds

        sdk = min(sdk_read() for _ in range(repeats))
    finally:
        fake.stop()
    return {"command": command, "sdk": sdk}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--ls-rows", type=int, default=2_000)
    parser.add_argument("--small", action="store_true")
    args = parser.parse_args()
    rows, ls_rows, repeats = (1_000, 300, 1) if args.small else (args.rows, args.ls_rows, 3)

    local = local_figures(rows, repeats)
    print(f"local, {rows:,} examples x {len(KEYS)} keys: `evaltui compare A B` {local['command']:.3f} s "
          f"(best of {repeats}; goal <= 1 s at 10,000), of which reading both experiments' rows {local['read']:.3f} s "
          f"and the statistics {local['stats']:.3f} s; with --json (every regressed example in full) "
          f"{local['json']:.3f} s; as a fresh process (imports included) {local['process']:.3f} s; "
          f"the statistics of one continuous key (all differences distinct): "
          f"{local['continuous']:.3f} s")
    small_local = local_figures(ls_rows, repeats) if ls_rows != rows else local
    ls = langsmith_figures(ls_rows, repeats)
    print(f"{ls_rows:,} examples x {len(KEYS)} keys: local command {small_local['command']:.3f} s, "
          f"fake LangSmith command {ls['command']:.3f} s, the SDK only reading the same rows {ls['sdk']:.3f} s")
    print(f"ratios: local command / SDK read {small_local['command'] / ls['sdk']:.3f}x, "
          f"LangSmith command / SDK read {ls['command'] / ls['sdk']:.3f}x")


if __name__ == "__main__":
    main()
