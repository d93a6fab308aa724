"""The first frame is the startup screen; the main screen replaces it, and keys typed meanwhile are kept."""

from __future__ import annotations

import asyncio

import pytest

from tests.functional.conftest import main_screen_shown, settle
from tui.screens.startup_screen import StartupScreen

SIZE = (100, 30)


async def test_startup_screen_shows_the_layout_then_the_main_screen(local_app, held_main_screen):
    async with local_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = local_app.screen
        assert isinstance(screen, StartupScreen) and not local_app.main_screen_built
        titles = [str(screen.query_one(f"#{pane}").border_title)
                  for pane in ("evaluators-pane", "datasets-pane", "source-pane", "examples-pane")]
        assert titles == ["Evaluators", "Datasets", "Source", "Examples"]
        held_main_screen.set()
        await settle(pilot)
        assert local_app.screen is local_app.main_screen
        assert screen not in local_app.screen_stack
        assert local_app.main_screen.datasets.datasets  # the workspace opened as usual


async def test_keys_typed_on_the_startup_screen_reach_the_main_screen(local_app, held_main_screen):
    from tui.screens.help_screen import HelpScreen

    async with local_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(local_app.screen, StartupScreen)
        await pilot.press("question_mark")  # help, asked for before the main screen exists
        assert isinstance(local_app.screen, StartupScreen) and not local_app.main_screen_built
        held_main_screen.set()
        await settle(pilot)
        assert isinstance(local_app.screen, HelpScreen)
        assert local_app.screen_stack[-2] is local_app.main_screen  # help opened over the main screen
        await pilot.press("escape")
        assert local_app.screen is local_app.main_screen


async def test_quit_on_the_startup_screen_exits_cleanly(local_app, held_main_screen):
    async with local_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("q")  # kept until the main screen is there, then it quits as usual
        held_main_screen.set()
        for _ in range(100):
            if not local_app.is_running:
                break
            await pilot.pause(0.05)
    assert not local_app.is_running and local_app.return_code in (0, None)


async def test_command_palette_over_the_startup_screen_is_not_replaced(local_app, held_main_screen):
    from textual.command import CommandPalette

    async with local_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")  # a priority key: the palette opens at once, over the startup screen
        await pilot.pause()
        assert isinstance(local_app.screen, CommandPalette)
        held_main_screen.set()
        await asyncio.sleep(0.3)
        await pilot.pause()
        assert isinstance(local_app.screen, CommandPalette)  # the palette was not swapped away
        await pilot.press("escape")
        await main_screen_shown(pilot)
        await settle(pilot)
        assert local_app.screen is local_app.main_screen


@pytest.mark.parametrize("delay", [0, 0.005, 0.05])
def test_quitting_while_the_main_screen_mounts_exits_cleanly(local_app, capfd, delay):
    """ctrl+q right after the startup screen: the quit waits for the main screen's mount, no traceback."""
    app = local_app

    async def auto_pilot(pilot):
        while not (app.main_screen_built and app.screen is app.main_screen):
            await asyncio.sleep(0.001)
        await asyncio.sleep(delay)  # the main screen is still mounting
        await app.action_quit()  # what ctrl+q runs (pilot.press would wait until the mount is over)

    app.run(headless=True, size=SIZE, auto_pilot=auto_pilot)
    err = capfd.readouterr().err
    assert app.return_code == 0, err
    assert "Traceback" not in err and "Error" not in err, err
