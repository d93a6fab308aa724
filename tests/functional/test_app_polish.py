"""App-wide polish (#11): every pane maximizes, keys typed right after a pane key land there,
help scrolls at once, one Maximize in the palette, ctrl+c when idle, empty lists say so,
light syntax colours, nothing cut at 80x24."""

from __future__ import annotations

import io

import pytest
from textual import events
from textual.keys import _character_to_key
from textual.widgets import DataTable

from tests.functional.conftest import settle
from tui.screens.main_screen import MainScreen

SMALL = (80, 24)
LARGE = (140, 42)


async def type_at_once(pilot, *keys: str) -> None:
    """Keys as a terminal delivers them when typed fast: all queued before the first is handled
    (`pilot.press` waits for the app to go idle after each key, which hides lost keys)."""
    for key in keys:
        char = key if len(key) == 1 else {"enter": "\r", "slash": "/", "question_mark": "?"}.get(key)
        name = _character_to_key(key) if len(key) == 1 else key
        pilot.app.post_message(events.Key(name, char))
    await settle(pilot)


@pytest.mark.parametrize("key,pane", [("1", "#evaluators-pane"), ("2", "#datasets-pane"),
                                       ("3", "#source-pane"), ("4", "#lower-tabs"), ("5", "#lower-tabs")])
async def test_m_maximizes_every_pane_and_restores(local_app, key, pane):
    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        screen = local_app.screen
        await pilot.press(key, "m")
        await settle(pilot)
        assert screen.maximized is screen.query_one(pane)
        await pilot.press("m")
        await settle(pilot)
        assert screen.maximized is None


async def test_arrows_right_after_a_pane_key_move_that_pane(local_app):
    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await type_at_once(pilot, "2", "down", "down")
        table = local_app.screen.query_one("#datasets-table", DataTable)
        assert local_app.screen.focused is table
        assert table.cursor_row == 2


async def test_enter_right_after_4_opens_the_example(local_app):
    from tui.modals.example_modal import ExampleModal

    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await type_at_once(pilot, "4", "down", "enter")
        assert isinstance(local_app.screen, ExampleModal)
        assert local_app.screen.index == 1


async def test_filter_typed_right_after_slash(local_app):
    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await type_at_once(pilot, "2", "slash", *"traj")
        screen = local_app.screen
        assert isinstance(screen, MainScreen)
        assert screen.query_one("#filter-bar").value == "traj"
        assert [d.name for d in screen.datasets.datasets if "traj" in d.name.lower()]
        assert screen.query_one("#datasets-table", DataTable).row_count == 1


async def test_digits_and_slash_typed_into_the_filter_stay_there(local_app):
    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await type_at_once(pilot, "slash", "2", "slash", "5")
        screen = local_app.screen
        assert screen.query_one("#filter-bar").value == "2/5"
        assert screen.focused is screen.query_one("#filter-bar")


async def test_help_scrolls_at_once_and_lists_each_key_once(local_app):
    from tui.screens.help_screen import HelpScreen

    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await type_at_once(pilot, "question_mark", "down", "down", "down")
        help_screen = local_app.screen
        assert isinstance(help_screen, HelpScreen)
        body = help_screen.query_one("#help-body")
        assert body.scroll_y == 3
        assert help_screen.focused is body
        rows = [line.split("\t") for line in help_screen.plain_text.splitlines()]
        listed = [(key.strip(), text.split(" — ")[0]) for keys, text in rows for key in keys.split(",")]
        assert len(listed) == len(set(listed)), sorted(x for x in listed if listed.count(x) > 1)
        assert ("^r", "Run") in listed and ("esc", "Cancel run") in listed
        await pilot.press("question_mark")  # closes it again
        await settle(pilot)
        assert isinstance(local_app.screen, MainScreen)


async def test_question_mark_typed_into_the_filter_stays_there(local_app):
    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await type_at_once(pilot, "slash", "question_mark")
        assert isinstance(local_app.screen, MainScreen)
        assert local_app.screen.query_one("#filter-bar").value == "?"
        await type_at_once(pilot, "f1")  # f1 opens help from a field too
        from tui.screens.help_screen import HelpScreen

        assert isinstance(local_app.screen, HelpScreen)


async def _palette_prompts(pilot, query: str) -> list[str]:
    from textual.command import CommandList, CommandPalette

    await pilot.press("ctrl+p")
    await settle(pilot)
    assert isinstance(pilot.app.screen, CommandPalette)
    await pilot.press(*query)
    await pilot.pause(0.5)
    await settle(pilot)
    options = pilot.app.screen.query_one(CommandList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def test_palette_has_one_maximize_that_works_on_every_pane(local_app):
    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("2")
        prompts = await _palette_prompts(pilot, "maximize")
        assert sum("Maximize" in p for p in prompts) == 1, prompts
        await pilot.press("enter")
        await settle(pilot)
        assert local_app.screen.maximized is local_app.screen.query_one("#datasets-pane")


async def test_palette_screenshot_is_saved_in_evaltui_home_and_says_where(local_app, evaltui_home):
    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        prompts = await _palette_prompts(pilot, "screenshot")
        assert sum("Screenshot" in p for p in prompts) == 1, prompts
        await pilot.press("enter")
        await pilot.pause(0.3)
        await settle(pilot)
        saved = list((evaltui_home / "screenshots").glob("*.svg"))
        assert len(saved) == 1 and "<svg" in saved[0].read_text()
        assert any(str(saved[0]) in n.message for n in local_app._notifications)


async def test_ctrl_c_when_idle_says_it_cancels_runs_and_how_to_quit(local_app):
    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert local_app.is_running
        messages = [n.message for n in local_app._notifications]
        assert any("No experiment is running" in m and "Press q to quit" in m for m in messages), messages


def test_a_missing_dir_is_one_clear_line_and_no_app(evaltui_home, tmp_path):
    from tui.__main__ import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["--dir", str(tmp_path / "missing" / "folder")], stdout=out, stderr=err)
    assert code == 2
    assert err.getvalue().startswith(f"Error: The evaluator folder {tmp_path / 'missing' / 'folder'} does not exist")
    assert "Traceback" not in err.getvalue() + out.getvalue()


async def test_a_missing_folder_says_so_in_local_files(evaltui_home, tmp_path):
    from tui.app import EvalTuiApp
    from tui.backend.core.config import Settings

    app = EvalTuiApp(Settings.from_env(backend="local"), evaluator_dir=tmp_path / "gone")
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        assert str(tmp_path / "gone") in app.screen.query_one("#local-table").empty_text
        assert "The folder does not exist" in _screen_text(app)


def _screen_text(app) -> str:
    return "\n".join(_screen_lines(app))


def _screen_lines(app) -> list[str]:
    """What is drawn, one string per terminal line (as `export_screenshot` composes it)."""
    from rich.console import Console

    width, height = app.size
    console = Console(width=width, height=height, file=io.StringIO(), record=True, force_terminal=True,
                      color_system=None, legacy_windows=False, safe_box=False)
    console.print(app.screen._compositor.render_update(full=True, screen_stack=app._background_screens))
    return console.export_text().splitlines()


async def test_empty_lists_say_so(evaltui_home, tmp_path):
    from tui.app import EvalTuiApp
    from tui.backend.core.config import Settings
    from tui.backend.workspace.local import LocalBackend

    (tmp_path / "mine").mkdir()
    backend = LocalBackend(evaltui_home / "empty.sqlite3", seed=False)
    app = EvalTuiApp(Settings.from_env(backend="local"), evaluator_dir=tmp_path / "mine", backend=backend)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        text = _screen_text(app)
        for line in ("No rules yet", "No evaluator functions here", "No datasets in this workspace"):
            assert line in text, line
        await pilot.press("2", "slash", *"zz")
        await settle(pilot)
        assert "No dataset matches “zz”" in _screen_text(app)
        await pilot.press("escape")
        backend.add_dataset("Nothing yet", iter(()))
        await pilot.press("r")
        await settle(pilot)
        assert "This dataset has no examples" in _screen_text(app)
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert "No experiments yet: start one with ctrl+r" in _screen_text(app)
    backend.close()


async def test_source_follows_a_light_theme_live(local_app):
    from textual.widgets import TextArea

    from tui.widgets.source_viewer import DARK_THEME, LIGHT_THEME

    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        area = local_app.screen.query_one("#source-text", TextArea)
        assert area.theme == DARK_THEME
        local_app.theme = "textual-light"
        await settle(pilot)
        assert area.theme == LIGHT_THEME
        keyword = area._theme.syntax_styles["keyword"]
        assert keyword.color is not None and keyword.color.triplet.hex == "#d73a49"  # GitHub light red
        local_app.theme = "textual-dark"
        await settle(pilot)
        assert area.theme == DARK_THEME


@pytest.mark.parametrize("size", [SMALL, LARGE])
async def test_footer_shows_whole_keys_only(local_app, size):
    from textual.widgets._footer import FooterKey

    async with local_app.run_test(size=size) as pilot:
        await settle(pilot)
        footer_line = _screen_lines(local_app)[-1]
        shown = [k for k in local_app.screen.query(FooterKey) if k.display]
        for key in shown:
            assert f"{key.key_display} {key.description}" in footer_line
        assert footer_line.rstrip().endswith("^p palette")
        assert "? Help" in footer_line and "q Quit" in footer_line
        words = footer_line.replace("▏", " ").split()
        labels = {w for k in local_app.screen.query(FooterKey) for w in (k.key_display, *k.description.split())}
        assert set(words) <= labels, set(words) - labels  # no stray letters of a hidden key


async def test_bound_to_keeps_what_tells_rules_apart(local_app, evaltui_home):
    from tests.functional.conftest import local_backend
    from tui.backend.core.models import RuleSpec

    backend = local_backend(evaltui_home)
    for name, dataset in (("single", "Skills: Single Step"), ("trajectory", "Skills: Trajectory")):
        ds = backend.get_dataset(dataset)
        backend.create_rule(RuleSpec(name=name, code="def perform_eval(run, example):\n    return {}\n",
                                     dataset_id=ds.id))
    backend.close()
    async with local_app.run_test(size=LARGE) as pilot:
        await settle(pilot)
        table = local_app.screen.query_one("#rules-table", DataTable)
        assert "Bound to" in [c.label.plain for c in table.columns.values()]
        rows = {line.split()[1]: line for line in _screen_lines(local_app) if "│ single" in line
                or "│ trajectory" in line}
        assert "Single Step" in rows["single"] and "Trajectory" in rows["trajectory"]
        assert "Skills: …" not in "".join(rows.values())


async def test_datasets_columns_fit_at_80_columns(local_app):
    async with local_app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        table = local_app.screen.query_one("#datasets-table", DataTable)
        labels = [c.label.plain for c in table.columns.values()]
        assert labels[0] == "Name" and "Modified" not in labels  # dropped whole, not cut
        used = sum(c.get_render_width(table) for c in table.columns.values())
        assert used <= table.size.width
        text = _screen_text(local_app)
        assert "…Single Step" in text and "…Trajectory" in text


def test_a_clones_root_uses_the_sample_folder_not_the_library(tmp_path, monkeypatch):
    """Started in an evaltui checkout, `./evaluators` is the library (number_from_env, section…)."""
    import shutil
    from pathlib import Path

    from tui.backend.core.config import default_evaluator_dir

    root = Path(__file__).resolve().parents[2]
    clone = tmp_path / "clone"
    shutil.copytree(root / "evaluators", clone / "evaluators", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "pyproject.toml", clone / "pyproject.toml")
    home = tmp_path / "home"
    monkeypatch.chdir(clone)
    assert default_evaluator_dir(home) == home / "evaluators"
    # A project of the user's own with an `evaluators/` folder (package or not) keeps it.
    project = tmp_path / "project"
    (project / "evaluators").mkdir(parents=True)
    (project / "evaluators" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text('[project]\nname = "my-evals"\n')
    monkeypatch.chdir(project)
    assert default_evaluator_dir(home) == project / "evaluators"


async def test_the_footer_under_a_dialog_is_recomposed_when_the_dialog_closes(local_app):
    """The footer of a screen under a dialog does not compose its keys while the dialog is up
    (that delayed the start form's first paint); once the dialog closes it shows the keys of
    what has the focus again."""
    from textual.widgets._footer import FooterKey

    from tui.modals.start_experiment import StartExperimentModal

    def shown() -> list[str]:
        return [k.description for k in local_app.main_screen.query(FooterKey) if k.display]

    async with local_app.run_test(size=(140, 42)) as pilot:
        await settle(pilot)
        await pilot.press("5")
        await settle(pilot)
        runner_keys = shown()
        assert "Resume" in runner_keys
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert isinstance(local_app.screen, StartExperimentModal)
        await pilot.press("escape")
        await settle(pilot)
        assert shown() == runner_keys
        await pilot.press("1")
        await settle(pilot)
        assert "Upload" in shown() and "Resume" not in shown()
