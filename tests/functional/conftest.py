"""Helpers for Pilot tests: a real LocalBackend on a tmp EVALTUI_HOME, and a way to let workers finish."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from tui.app import EvalTuiApp
from tui.backend.core.config import Settings


async def main_screen_shown(pilot: Pilot, timeout: float = 10.0) -> None:
    """Wait until the app has replaced its startup screen by the main screen."""
    for _ in range(int(timeout / 0.02)):
        app = pilot.app
        if app.main_screen_built and app.main_screen in app.screen_stack:
            return
        await pilot.pause(0.02)
    raise AssertionError(f"the main screen was not shown within {timeout} s")


async def settle(pilot: Pilot, rounds: int = 3) -> None:
    """Let the main screen appear, then thread workers, their messages and the debounce timers run to the end."""
    if hasattr(pilot.app, "main_screen_built"):
        await main_screen_shown(pilot)
    for _ in range(rounds):
        try:
            await pilot.app.workers.wait_for_complete()
        except WorkerCancelled:
            pass  # an exclusive worker replaced by a newer one
        await pilot.pause(0.1)
        await drain_messages(pilot)

async def wait_until(pilot: Pilot, predicate, what: str = "condition", timeout: float = 30.0) -> float:
    """Pause until `predicate()` holds (checked every 50 ms); returns the seconds it took, fails
    after `timeout` naming `what`."""
    import asyncio

    loop = asyncio.get_running_loop()
    start = loop.time()
    while not predicate():
        if loop.time() - start > timeout:
            raise AssertionError(f"{what} not reached in {timeout:.0f} s")
        await pilot.pause(0.05)
    return loop.time() - start



async def drain_messages(pilot: Pilot, hops: int = 6) -> None:
    """Let chains of messages run out: a focus is a callback that posts Focus, which posts a
    highlight, which posts a selection... Each wait lets every widget process what was queued
    when it began, so one wait per hop; a fixed sleep is not enough on a loaded CI machine."""
    for _ in range(hops):
        await pilot._wait_for_screen()


def local_backend(home: Path):
    from tui.backend.workspace.local import LocalBackend

    return LocalBackend(home / "workspace.sqlite3")


@pytest.fixture
def held_main_screen(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Hold the main screen's import until the test sets the event, so the startup screen stays up."""
    import tui.app

    release = threading.Event()

    def import_when_released(name: str, package: str | None = None):
        assert release.wait(10), "the test never released the main screen"
        return importlib.import_module(name, package)

    monkeypatch.setattr(tui.app, "import_module", import_when_released)
    yield release
    release.set()


@pytest.fixture
def local_app(evaltui_home: Path) -> EvalTuiApp:
    """The app on the embedded workspace, opened by the app itself (as `evaltui` does)."""
    return EvalTuiApp(Settings.from_env(backend="local"))


def select_local(app: EvalTuiApp, name: str) -> None:
    """Put the local-functions cursor on `name` and focus that table."""
    from textual.widgets import DataTable

    table = app.screen.query_one("#local-table", DataTable)
    keys = [row.value for row in table.rows]
    index = next(i for i, k in enumerate(keys) if k.endswith(f"::{name}"))
    table.focus()
    table.move_cursor(row=index)


def select_rule(app: EvalTuiApp, name: str) -> None:
    from textual.widgets import DataTable

    table = app.screen.query_one("#rules-table", DataTable)
    index = next(i for i, k in enumerate(table.rows) if table.get_row(k)[0].plain == name)
    table.focus()
    table.move_cursor(row=index)
