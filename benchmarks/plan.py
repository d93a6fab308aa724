"""`evaltui plan` for R rules (default 200) vs `evaltui list` of the same rules, as whole commands.

A folder holds an evaltui.toml of R rules (their functions spread over 10 files) and the rules
were applied once, so the plan finds nothing to change but must list every rule, resolve the
datasets and bundle every function to compare its code. Each command is a fresh process started
the same way (start-up included); samples alternate plan, list, plan, list … on the local workspace
and on the fake LangSmith (tests/fakes/langsmith_server.py, in this process on 127.0.0.1).
Prints best and median of each and the ratio plan/list (goal <= 2.0).
`--small` for a CI smoke run: 20 rules, 1 sample (no timing claims).
Usage: python benchmarks/plan.py [--rules R] [--repeat N] [--small]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FILES = 10
FUNCTION = '''

def check_{i}(run, example):
    expected = example["outputs"].get("answer", "")
    return {{"check_{i}": int(run["outputs"].get("answer") == expected), "comment": "rule {i}"}}
'''


def write_folder(folder: Path, rules: int) -> None:
    (folder / "evals").mkdir(parents=True)
    for f in range(FILES):
        text = "import json\n" + "".join(FUNCTION.format(i=i) for i in range(f, rules, FILES))
        (folder / "evals" / f"checks_{f}.py").write_text(text)
    tables = [f'[[rule]]\nname = "bench-{i:04d}"\nsource = "evals/checks_{i % FILES}.py:check_{i}"\n'
              f'dataset = "Bench {i % 4}"\nsampling_rate = 0.5\n' for i in range(rules)]
    (folder / "evaltui.toml").write_text("\n".join(tables))


def run(argv: list[str], env: dict[str, str], cwd: Path, ok: tuple[int, ...] = (0,)) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    if proc.returncode not in ok:
        raise RuntimeError(f"{argv[2:]} failed ({proc.returncode}): {proc.stderr[-1500:]}{proc.stdout[-800:]}")
    return wall


def measure(label: str, env: dict[str, str], folder: Path, repeat: int) -> float:
    py = sys.executable
    plan = [py, "-m", "tui", "plan", "--no-impact"]
    listing = [py, "-m", "tui", "list"]
    run(plan, env, folder), run(listing, env, folder)  # warm the bytecode cache
    plans, lists = [], []
    for _ in range(repeat):
        plans.append(run(plan, env, folder))
        lists.append(run(listing, env, folder))
    ratio = min(plans) / min(lists)
    print(f"{label}: plan best {min(plans) * 1000:6.0f} ms, median {statistics.median(plans) * 1000:6.0f} ms; "
          f"list best {min(lists) * 1000:6.0f} ms, median {statistics.median(lists) * 1000:6.0f} ms; "
          f"ratio best {ratio:.2f}, median {statistics.median(plans) / statistics.median(lists):.2f}  (goal <= 2.0)")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--small", action="store_true", help="CI smoke: 20 rules, 1 sample")
    args = parser.parse_args(argv)
    if args.small:
        args.rules, args.repeat = 20, 1

    from tests.fakes.langsmith_server import FakeLangSmith

    print(f"rules: {args.rules} in {FILES} files, bound to 4 datasets; {args.repeat} alternating sample(s)"
          + ("  [--small: smoke run, no timing claims]" if args.small else ""))
    base = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "OPENAI_"))}
    base.pop("PYTHONDONTWRITEBYTECODE", None)
    fake = FakeLangSmith().start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for kind in ("local", "langsmith"):
                folder = Path(tmp) / kind
                write_folder(folder, args.rules)
                env = {**base, "EVALTUI_HOME": str(Path(tmp) / f"home-{kind}"), "PYTHONPATH": str(ROOT),
                       "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache"), "LANGSMITH_TRACING": "false"}
                if kind == "langsmith":
                    env.update(LANGSMITH_API_KEY=fake.api_key, LANGSMITH_ENDPOINT=fake.url)
                    for i in range(4):
                        fake.seed_dataset(f"Bench {i}")
                else:
                    script = ("from tui.backend.core.config import Settings\n"
                              "from tui.backend.workspace.factory import open_backend\n"
                              "b = open_backend(Settings.from_env(backend='local'))\n"
                              "[b.create_dataset(f'Bench {i}') for i in range(4)]\n")
                    subprocess.run([sys.executable, "-c", script], env=env, cwd=folder, check=True)
                run([sys.executable, "-m", "tui", "apply", "--yes", "--no-impact"], env, folder)
                run([sys.executable, "-m", "tui", "plan", "--no-impact"], env, folder)  # exit 0: nothing to change
                measure(f"{kind:9s}", env, folder, args.repeat)
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
