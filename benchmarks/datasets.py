"""Importing and exporting N examples (default 100,000): evaltui vs the SDK on the same rows.

One JSONL file of N rows (inputs, outputs, metadata, split) is written once. Each variant runs in
a fresh Python process (so its peak RSS, `ru_maxrss`, is its own), timed from inside the child
(start-up and imports excluded, the same for all); the fake LangSmith
(tests/fakes/langsmith_server.py) runs in this process on 127.0.0.1 and is the same server for
every LangSmith variant:

import
* A-local  `import_examples` of the file into a fresh local workspace (checked, then batched);
* A-ls     `import_examples` of the file into the fake LangSmith (the LangSmith backend);
* B-sdk    the SDK alone: the file read into a list, `Client.create_examples(examples=rows)`.
export (of the dataset B-sdk made, and of A-local's)
* C-local  `export_examples` of the local dataset to a JSONL file;
* C-ls     `export_examples` from the fake LangSmith to a JSONL file;
* D-sdk    the SDK alone: `Client.list_examples(dataset_id=...)` paged, one JSON line per example.

Prints seconds and peak RSS (VmHWM) per variant and the ratios A/B and C/D (goal <= 1.0 each), plus
A-local's peak RSS at N and at N/10 (flat: the file is streamed, never loaded whole).
`--small` for a CI smoke run: 2,000 rows (no timing claims).
Usage: python benchmarks/datasets.py [--rows N] [--small]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHILD = r"""
import json, sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
mode, url, key, path, home, out = {args!r}

def done(count, extra=None):
    # VmHWM: this process's own peak (ru_maxrss carries the parent's over fork and exec)
    hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print(json.dumps({{"count": count, "seconds": time.perf_counter() - t0,
                      "maxrss_mb": int(hwm.split()[1]) / 1024, **(extra or {{}})}}))

if mode.startswith(("A", "C")):
    from tui.backend.core.config import Settings
    from tui.backend.datasets.transfer import export_examples, import_examples
    from tui.backend.workspace.factory import open_backend
    import os
    os.environ["EVALTUI_HOME"] = home
    if mode.endswith("ls"):
        os.environ["LANGSMITH_API_KEY"], os.environ["LANGSMITH_ENDPOINT"] = key, url
    backend = open_backend(Settings.from_env(backend="langsmith" if mode.endswith("ls") else "local"))
    list(backend.list_datasets())  # the client made and connected, as the SDK's below
    t0 = time.perf_counter()
    if mode.startswith("A"):
        report = import_examples(backend, Path(path), "bench-" + mode, create=True)
        done(report.added)
    else:
        report = export_examples(backend, "bench-A-local" if mode == "C-local" else "bench-B-sdk", Path(out))
        done(report.count)
else:
    import langsmith
    client = langsmith.Client(api_url=url, api_key=key, auto_batch_tracing=False)
    client.list_datasets(limit=1)
    t0 = time.perf_counter()
    if mode == "B-sdk":
        rows = [json.loads(line) for line in open(path, encoding="utf-8")]
        ds = client.create_dataset("bench-B-sdk")
        client.create_examples(dataset_id=ds.id, examples=[
            {{"inputs": r["inputs"], "outputs": r["outputs"], "metadata": r["metadata"], "split": r["split"]}}
            for r in rows])
        done(len(rows))
    else:
        ds = client.read_dataset(dataset_name="bench-B-sdk")
        n = 0
        with open(out, "w", encoding="utf-8") as f:
            for ex in client.list_examples(dataset_id=ds.id):
                f.write(json.dumps({{"inputs": ex.inputs, "outputs": ex.outputs, "metadata": ex.metadata}}) + "\n")
                n += 1
        done(n)
"""


def write_rows(path: Path, rows: int) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for i in range(rows):
            f.write(json.dumps({
                "inputs": {"query": f"How many bags may I bring on flight {i}?", "user": f"u{i % 97}"},
                "outputs": {"expected_response": f"Two bags, up to 23 kg each ({i})."},
                "metadata": {"source": "bench", "row": i},
                "split": ["train"] if i % 5 else ["test"],
            }) + "\n")


def run_child(mode: str, fake, path: Path, home: Path, out: Path) -> dict:
    script = CHILD.format(root=str(ROOT), args=(mode, fake.url, fake.api_key, str(path), str(home), str(out)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "OPENAI_"))}
    env["LANGSMITH_TRACING"] = "false"
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", action="store_true", help="CI smoke: 2,000 rows")
    args = parser.parse_args(argv)
    if args.small:
        args.rows = 2_000

    from tests.fakes.langsmith_server import FakeLangSmith

    fake = FakeLangSmith().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            path = tmp_path / "rows.jsonl"
            write_rows(path, args.rows)
            tenth = tmp_path / "tenth.jsonl"
            write_rows(tenth, max(args.rows // 10, 1))
            home = tmp_path / "home"
            results = {}
            for mode in ("A-local", "A-ls", "B-sdk", "C-local", "C-ls", "D-sdk"):
                results[mode] = run_child(mode, fake, path, home, tmp_path / f"{mode}.jsonl")
                assert results[mode]["count"] == args.rows, (mode, results[mode])
            flat = run_child("A-local", fake, tenth, tmp_path / "home10", tmp_path / "x")
    finally:
        fake.stop()

    print(f"rows: {args.rows:,}" + ("  [--small: smoke run, no timing claims]" if args.small else ""))
    for mode, r in results.items():
        print(f"{mode:8s} {r['seconds']:8.2f} s   peak RSS {r['maxrss_mb']:7.1f} MB   ({r['count']:,} examples)")
    b, d = results["B-sdk"]["seconds"], results["D-sdk"]["seconds"]
    print(f"import ratio A-local/B-sdk {results['A-local']['seconds'] / b:.3f}, "
          f"A-ls/B-sdk {results['A-ls']['seconds'] / b:.3f}  (goal <= 1.0)")
    print(f"export ratio C-local/D-sdk {results['C-local']['seconds'] / d:.3f}, "
          f"C-ls/D-sdk {results['C-ls']['seconds'] / d:.3f}  (goal <= 1.0)")
    print(f"peak RSS of A-local at {args.rows:,} rows / at {max(args.rows // 10, 1):,} rows: "
          f"{results['A-local']['maxrss_mb'] / flat['maxrss_mb']:.2f}  (flat: about 1); "
          f"B-sdk / A-ls: {results['B-sdk']['maxrss_mb'] / results['A-ls']['maxrss_mb']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
