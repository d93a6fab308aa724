"""Start-up speed (issue 6): evaltui's first frame vs a bare Textual app, and CLI wall times.

* App, first frame: a fresh Python process runs the app headless; when its first screen has been
  painted (`call_after_refresh` from the auto-pilot) it writes the wall-clock time to a file and
  exits. First frame = that time minus the moment the parent started the process. The same for
  a bare `App` with one `Static`; best of N; prints both and the ratio (goal <= 1.3).
* App, settled: the whole process until the app is usable (evaltui: main screen up, workspace
  opened, datasets listed; bare: idle), then exits.
* CLI: `evaltui --help` and `evaltui list` (local workspace) vs `python -c pass`.
* Start form: in a settled app, the first ctrl+r until the form is painted, and until it is
  painted with its choices (datasets, evaluators) listed; goal under 0.3 s. Best of N processes.

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
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

EXIT_WHEN_READY = """
import asyncio, os, sys, time

async def auto_pilot(pilot):
    painted = asyncio.Event()
    pilot.app.call_after_refresh(painted.set)
    await painted.wait()
    marker = os.environ.get("FIRST_FRAME_FILE")
    if marker:
        with open(marker, "w") as f:
            f.write(repr(time.time()))
    else:
        await settled(pilot)
    pilot.app.exit()


async def settled(pilot):
    await pilot.pause()  # the app is idle
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
async def settled(pilot):  # the main screen is up and its lists are loaded
    app = pilot.app
    def listed():
        if not (app.main_screen_built and app.screen is app.main_screen):
            return False
        panes = app.main_screen.query("DatasetsPane")
        return bool(panes) and bool(panes.first().datasets)

    while not listed():
        await asyncio.sleep(0.005)
    await pilot.pause()

from tui.backend.core.config import Settings
from tui.app import EvalTuiApp

settings = Settings.from_env(backend="local")
EvalTuiApp(settings, evaluator_dir=settings.home / "evaluators").run(headless=True, auto_pilot=auto_pilot)
"""


START_FORM = EVALTUI_APP.replace("    pilot.app.exit()\n", "    await time_start_form(pilot)\n    pilot.app.exit()\n", 1) \
    .replace("async def settled(pilot):", """async def time_start_form(pilot):
    app = pilot.app
    await pilot.pause(0.5)  # what the app does right after its lists arrive is over
    marks = {}
    def mark(name):
        marks.setdefault(name, time.perf_counter())
    start = time.perf_counter()
    app.simulate_key("ctrl+r")
    while type(app.screen).__name__ != "StartExperimentModal" or not app.screen.query("#start-evaluators"):
        await asyncio.sleep(0.001)
    app.screen.call_after_refresh(mark, "shown")
    while not app.screen.query_one("#start-evaluators").option_count:
        await asyncio.sleep(0.001)
    app.screen.call_after_refresh(mark, "filled")
    while len(marks) < 2:
        await asyncio.sleep(0.001)
    with open(os.environ["START_FORM_FILE"], "w") as f:
        f.write(f"{marks['shown'] - start!r} {marks['filled'] - start!r}")


async def settled(pilot):""", 1)


def start_form(py: str, env: dict[str, str], cwd: Path, repeat: int) -> tuple[float, float]:
    """Best of `repeat` processes: seconds from the first ctrl+r to the form painted, and to the
    form painted with its choices listed."""
    marker = cwd / "start-form.txt"
    shown, filled = [], []
    for _ in range(repeat):
        marker.unlink(missing_ok=True)
        wall([py, "-c", START_FORM], {**env, "START_FORM_FILE": str(marker)}, cwd)
        a, b = (float(x) for x in marker.read_text().split())
        shown.append(a)
        filled.append(b)
    return min(shown), min(filled)


def wall(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return elapsed


def best(argv: list[str], env: dict[str, str], cwd: Path, repeat: int) -> float:
    return min(wall(argv, env, cwd) for _ in range(repeat))


def first_frame(argv: list[str], env: dict[str, str], cwd: Path) -> float:
    """Seconds from starting the process to its first painted frame (reported by the child)."""
    marker = cwd / "first-frame.txt"
    marker.unlink(missing_ok=True)
    start = time.time()
    proc = subprocess.run(argv, env={**env, "FIRST_FRAME_FILE": str(marker)}, cwd=cwd,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0 or not marker.exists():
        raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}): {proc.stderr[-500:]}")
    return float(marker.read_text()) - start


def best_alternating(measure: Callable[[list[str], dict[str, str], Path], float], a: list[str], b: list[str],
                     env: dict[str, str], cwd: Path, repeat: int) -> tuple[float, float]:
    """Best of `repeat` `measure`s for each of two commands, run a, b, a, b, … (noise hits both alike)."""
    times_a, times_b = [], []
    for _ in range(repeat):
        times_a.append(measure(a, env, cwd))
        times_b.append(measure(b, env, cwd))
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
            bare_frame, app_frame = best_alternating(
                first_frame, [py, "-c", BARE_APP], [py, "-c", EVALTUI_APP], env, Path(tmp), repeat)
            bare, app = best_alternating(wall, [py, "-c", BARE_APP], [py, "-c", EVALTUI_APP], env, Path(tmp), repeat)
        except RuntimeError as exc:
            bare, app = best([py, "-c", BARE_APP], env, Path(tmp), repeat), None
            bare_frame = app_frame = None
            print(f"evaltui app could not be measured: {exc}")
        try:
            form_shown, form_filled = start_form(py, env, Path(tmp), repeat)
        except (RuntimeError, OSError, ValueError) as exc:
            form_shown = form_filled = None
            print(f"the start form could not be measured: {exc}")
        helps = best([py, "-m", "tui", "--help"], env, Path(tmp), repeat)
        lists = best([py, "-m", "tui", "list"], env, Path(tmp), repeat)

    print(f"python -c pass            {baseline * 1000:8.0f} ms")
    if app_frame is not None and bare_frame is not None:
        print(f"first frame: bare Textual app (Static) {bare_frame * 1000:6.0f} ms")
        print(f"first frame: evaltui app               {app_frame * 1000:6.0f} ms  "
              f"ratio {app_frame / bare_frame:.2f} (goal <= 1.3)")
    print(f"settled and exited: bare app           {bare * 1000:6.0f} ms")
    if app is not None:
        print(f"settled and exited: evaltui app        {app * 1000:6.0f} ms  ratio {app / bare:.2f} "
              "(workspace opened, lists loaded)")
    if form_shown is not None and form_filled is not None:
        print(f"start form, first ctrl+r: painted {form_shown * 1000:5.0f} ms, choices listed "
              f"{form_filled * 1000:5.0f} ms (goal < 300 ms)")
    print(f"evaltui --help            {helps * 1000:8.0f} ms  ({helps / baseline:.1f} x python -c pass)")
    print(f"evaltui list              {lists * 1000:8.0f} ms  ({lists / baseline:.1f} x python -c pass)")


if __name__ == "__main__":
    main()
