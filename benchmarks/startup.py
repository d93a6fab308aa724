"""Start-up speed (issue 6): evaltui's first frame vs a bare Textual app, and CLI wall times.

* App: a fresh Python process runs the app headless and exits as soon as it is ready (first
  frame painted, via `auto_pilot`); the same for a bare `App` with one `Static`. Wall time of
  the whole process, best of N; prints both and the ratio (goal <= 1.3).
* CLI: `evaltui --help` and `evaltui list` (local workspace) vs `python -c pass`.

Everything runs on a fresh temporary EVALTUI_HOME. Bytecode is cached in a temporary folder
(PYTHONPYCACHEPREFIX): with PYTHONDONTWRITEBYTECODE set, as on some dev machines, every start
would otherwise compile evaltui's sources again (~100 ms), which no installed copy does; textual's
own bytecode was written when pip installed it. The bare app and evaltui are timed alternately,
so a busy machine slows both alike. `--small` = fewer repeats (CI smoke).
No assertions: this prints figures.
Usage: python benchmarks/startup.py [--repeat N] [--small]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EXIT_WHEN_READY = """
async def auto_pilot(pilot):
    await pilot.pause()
    pilot.app.exit()
"""

BARE_APP = EXIT_WHEN_READY + """
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello")

Bare().run(headless=True, auto_pilot=auto_pilot)
"""

EVALTUI_APP = EXIT_WHEN_READY + """
from tui.backend.config import Settings
from tui.app import EvalTuiApp

settings = Settings.from_env(backend="local")
EvalTuiApp(settings, evaluator_dir=settings.home / "evaluators").run(headless=True, auto_pilot=auto_pilot)
"""


def wall(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return elapsed


def best(argv: list[str], env: dict[str, str], cwd: Path, repeat: int) -> float:
    return min(wall(argv, env, cwd) for _ in range(repeat))


def best_alternating(a: list[str], b: list[str], env: dict[str, str], cwd: Path,
                     repeat: int) -> tuple[float, float]:
    """Best of `repeat` for each of two commands, run a, b, a, b, …"""
    times_a, times_b = [], []
    for _ in range(repeat):
        times_a.append(wall(a, env, cwd))
        times_b.append(wall(b, env, cwd))
    return min(times_a), min(times_b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--small", action="store_true", help="CI smoke: 1 repeat")
    args = parser.parse_args()
    repeat = 1 if args.small else args.repeat

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LANGSMITH_", "LANGCHAIN_", "OPENAI_"))}
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.update(EVALTUI_HOME=str(home), PYTHONPATH=str(ROOT), LANGSMITH_TRACING="false",
                   PYTHONPYCACHEPREFIX=str(Path(tmp) / "pycache"))
        py = sys.executable
        # Seed the workspace and the bytecode once, so the timings below are of a normal start.
        wall([py, "-m", "tui", "list"], env, Path(tmp))

        baseline = best([py, "-c", "pass"], env, Path(tmp), repeat)
        try:
            wall([py, "-c", EVALTUI_APP], env, Path(tmp))
            bare, app = best_alternating([py, "-c", BARE_APP], [py, "-c", EVALTUI_APP], env, Path(tmp), repeat)
        except RuntimeError as exc:
            bare, app = best([py, "-c", BARE_APP], env, Path(tmp), repeat), None
            print(f"evaltui app could not be measured: {exc}")
        helps = best([py, "-m", "tui", "--help"], env, Path(tmp), repeat)
        lists = best([py, "-m", "tui", "list"], env, Path(tmp), repeat)

    print(f"python -c pass            {baseline * 1000:8.0f} ms")
    print(f"bare Textual app (Static) {bare * 1000:8.0f} ms  (process start to first frame, then exit)")
    if app is not None:
        print(f"evaltui app               {app * 1000:8.0f} ms  ratio {app / bare:.2f} (goal <= 1.3)")
    print(f"evaltui --help            {helps * 1000:8.0f} ms  ({helps / baseline:.1f} x python -c pass)")
    print(f"evaltui list              {lists * 1000:8.0f} ms  ({lists / baseline:.1f} x python -c pass)")


if __name__ == "__main__":
    main()
