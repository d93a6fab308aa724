"""SVG snapshots of each screen and modal at 100x30, made deterministic by a fixed EVALTUI_HOME.

Update with `pytest tests/functional/test_snapshots.py --snapshot-update` and review the SVGs.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.functional.conftest import local_backend, select_local, select_rule, settle
from tui.app import EvalTuiApp
from tui.backend.core.config import Settings
from tui.backend.core.models import RuleSpec

SIZE = (100, 30)
FIXED_HOME = Path("/tmp/evaltui-snapshot-home/home")  # the same path string on every run
FAKE_SECRET = "lsv2_pt_snap-shotsecret0000000000_k3y9"


@pytest.fixture
def snap_app(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    """A local-backend app on a fresh workspace at a fixed path, with a known secret in env."""
    shutil.rmtree(FIXED_HOME.parent, ignore_errors=True)
    FIXED_HOME.mkdir(parents=True)
    monkeypatch.setenv("EVALTUI_HOME", str(FIXED_HOME))
    monkeypatch.setenv("LANGSMITH_API_KEY", FAKE_SECRET)  # must never be drawn
    monkeypatch.chdir(tmp_path)
    backend = local_backend(FIXED_HOME)
    ds = backend.get_dataset("Skills: Final Response")
    backend.create_rule(RuleSpec(
        name="exact_match_evaluator", dataset_id=ds.id, sampling_rate=0.5,
        code="def perform_eval(run, example):\n    return {'score': 0}\n",
    ))
    backend.close()
    yield EvalTuiApp(Settings.from_env(backend="local"))
    shutil.rmtree(FIXED_HOME.parent, ignore_errors=True)


async def _steady(pilot) -> None:
    """Stop cursors blinking (a blink phase would make the SVG differ) and let everything land."""
    from textual.widgets import Input, TextArea

    await settle(pilot)
    for screen in pilot.app.screen_stack:
        for widget in screen.query("Input, TextArea"):
            assert isinstance(widget, (Input, TextArea))
            widget.cursor_blink = False
    await pilot.hover(pilot.app.screen, offset=(40, 0))  # the header: no tooltip there
    await settle(pilot, rounds=2)
    await _stable(pilot)


async def _stable(pilot) -> None:
    """Wait until two frames in a row are the same. Late work (a table recomputes its column widths
    on idle after rows arrive) must land before a picture is taken, and before a modal covers the
    main screen, which is not redrawn underneath it."""
    previous = pilot.app.export_screenshot()
    for _ in range(30):
        await pilot.pause(0.1)
        current = pilot.app.export_screenshot()
        if current == previous:
            return
        previous = current


def _compare(snap_compare, app, steps=None) -> None:
    async def run_before(pilot) -> None:
        await settle(pilot)
        await _stable(pilot)
        if steps:
            await steps(pilot)
        await _steady(pilot)
        svg = app.export_screenshot()
        assert FAKE_SECRET not in svg and "snapshotsecret" not in svg

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_main_screen(snap_compare, snap_app):
    _compare(snap_compare, snap_app)


def test_startup_screen(snap_compare, snap_app, held_main_screen):
    """The first frame, before the main screen is built (held back by `held_main_screen`)."""
    async def run_before(pilot) -> None:
        await _stable(pilot)
        assert type(pilot.app.screen).__name__ == "StartupScreen"

    assert snap_compare(snap_app, terminal_size=SIZE, run_before=run_before)


def test_upload_modal(snap_compare, snap_app):
    async def steps(pilot):
        select_local(snap_app, "trajectory_evaluator")
        await pilot.press("u")

    _compare(snap_compare, snap_app, steps)


def test_replace_modal(snap_compare, snap_app):
    async def steps(pilot):
        select_local(snap_app, "exact_match_evaluator")
        await pilot.press("U")

    _compare(snap_compare, snap_app, steps)


def test_delete_modal(snap_compare, snap_app):
    async def steps(pilot):
        select_rule(snap_app, "exact_match_evaluator")
        await pilot.press("d")

    _compare(snap_compare, snap_app, steps)


def test_test_modal(snap_compare, snap_app):
    async def steps(pilot):
        select_local(snap_app, "exact_match_evaluator")
        await pilot.press("t")

    _compare(snap_compare, snap_app, steps)


def test_help_screen(snap_compare, snap_app):
    async def steps(pilot):
        await pilot.press("question_mark")

    _compare(snap_compare, snap_app, steps)


def test_example_modal(snap_compare, snap_app):
    async def steps(pilot):
        await pilot.press("4", "enter")

    _compare(snap_compare, snap_app, steps)


def test_filter_bar(snap_compare, snap_app):
    async def steps(pilot):
        snap_app.screen.query_one("#filter-bar").cursor_blink = False
        await pilot.press("slash", *"match")

    _compare(snap_compare, snap_app, steps)


def test_error_modal(snap_compare, snap_app):
    async def steps(pilot):
        from tui.modals.error_modal import ErrorModal

        # The modal hides the main screen: it must be fully drawn first or its columns differ.
        main = snap_app.main_screen
        for _ in range(50):
            if main.evaluators.local_functions and main.datasets.datasets:
                break
            await pilot.pause(0.05)
        await settle(pilot)
        snap_app.push_screen(ErrorModal("Upload failed", "The LangSmith server answered 500 twice."))

    _compare(snap_compare, snap_app, steps)


def test_small_terminal_80x24(snap_compare, snap_app):
    async def run_before(pilot) -> None:
        await _steady(pilot)

    assert snap_compare(snap_app, terminal_size=(80, 24), run_before=run_before)


def _on_datasets_pane(key: str):
    async def steps(pilot):
        await pilot.press("2", key)

    return steps


def test_new_dataset_modal(snap_compare, snap_app):
    _compare(snap_compare, snap_app, _on_datasets_pane("n"))


def test_import_dataset_modal(snap_compare, snap_app):
    _compare(snap_compare, snap_app, _on_datasets_pane("i"))


def test_export_dataset_modal(snap_compare, snap_app):
    _compare(snap_compare, snap_app, _on_datasets_pane("x"))


def test_delete_dataset_modal(snap_compare, snap_app):
    _compare(snap_compare, snap_app, _on_datasets_pane("d"))


def test_plan_screen(snap_compare, snap_app):
    """A manifest asking for one new rule and a change of the existing one's rate."""
    rules = FIXED_HOME / "rules"
    rules.mkdir()
    (rules / "checks.py").write_text("def perform_eval(run, example):\n    return {'score': 0}\n\n\n"
                                     "def answered(run, example):\n    return {'answered': 1}\n")
    (FIXED_HOME / "evaltui.toml").write_text(
        '[[rule]]\nname = "exact_match_evaluator"\nsource = "rules/checks.py:perform_eval"\n'
        'dataset = "Skills: Final Response"\nsampling_rate = 0.25\n\n'
        '[[rule]]\nname = "Answered"\nsource = "rules/checks.py:answered"\ndataset = "Skills: Trajectory"\n')

    async def steps(pilot):
        from tui.screens.plan_screen import PlanScreen

        await pilot.press("P")
        for _ in range(100):
            if isinstance(pilot.app.screen, PlanScreen) and pilot.app.screen.plan is not None:
                break
            await pilot.pause(0.05)

    _compare(snap_compare, snap_app, steps)
