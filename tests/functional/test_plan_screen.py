"""The plan view (#19): `P` plans the evaltui.toml above the evaluators folder against the workspace,
lists the changes with the highlighted one's settings, diff and score impact, `a` applies after a
confirm naming every change, and a manifest error is shown with its line, nothing applied."""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual.widgets import DataTable, Static

from tests.cli_helpers import run_cli
from tests.functional.conftest import local_backend, settle, wait_until
from tui.screens.main_screen import MainScreen
from tui.screens.plan_screen import ApplyPlanModal, PlanScreen

SIZE = (120, 36)
DATASET = "Skills: Final Response"
CODE_V1 = '''
def answered(run, example):
    return {"answered": int(bool(run["outputs"])), "comment": "any output"}
'''
CODE_V2 = '''
def answered(run, example):
    return {"answered": 0, "comment": "strict now"}
'''


def _write_project(home: Path, code: str, rate: float = 0.5) -> Path:
    """A manifest in EVALTUI_HOME, the folder above the evaluators folder the app opens."""
    (home / "rules").mkdir(exist_ok=True)
    (home / "rules" / "answered.py").write_text(code)
    manifest = home / "evaltui.toml"
    manifest.write_text(f'[[rule]]\nname = "Answered"\nsource = "rules/answered.py:answered"\n'
                        f'dataset = "{DATASET}"\nsampling_rate = {rate}\n')
    return manifest


def _detail(screen: PlanScreen) -> str:
    return str(screen.query_one("#plan-detail", Static).render())


def _heading(screen: PlanScreen) -> str:
    return str(screen.query_one("#plan-heading", Static).render())


async def _open_plan(pilot, app) -> PlanScreen:
    await settle(pilot)
    await pilot.press("P")
    await wait_until(pilot, lambda: isinstance(app.screen, PlanScreen), "the plan screen")
    screen = app.screen
    await wait_until(pilot, lambda: screen.plan is not None or "toml" in _heading(screen), "the plan")
    await settle(pilot)
    return screen


async def test_plan_lists_a_create_applies_it_after_a_confirm_then_shows_no_changes(local_app, evaltui_home):
    manifest = _write_project(evaltui_home, CODE_V1)
    async with local_app.run_test(size=SIZE) as pilot:
        screen = await _open_plan(pilot, local_app)
        assert _heading(screen).splitlines()[:2] == [str(manifest), "Plan: 1 to create, 0 to update, 0 to delete."]
        table = screen.query_one("#plan-changes", DataTable)
        assert [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)] == [
            ["+", "Answered", f"dataset: {DATASET}"]]
        assert _detail(screen).startswith(f"+ create 'Answered' (dataset: {DATASET})\nfrom rules/answered.py:answered")

        await pilot.press("a")
        await settle(pilot)
        modal = local_app.screen
        assert isinstance(modal, ApplyPlanModal)
        assert modal.lines == [f"+ create 'Answered' (dataset: {DATASET})"]
        await pilot.press("escape")  # cancel: nothing is sent
        await settle(pilot)
        assert local_app.screen is screen
        backend = local_backend(evaltui_home)
        assert [r.name for r in backend.list_rules() if r.name == "Answered"] == []

        await pilot.press("a")
        await settle(pilot)
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: screen.plan is not None and not screen.plan.pending, "the plan after apply")
        await settle(pilot)
        assert _heading(screen).splitlines()[1] == "No changes: the workspace's rules match evaltui.toml."
        assert _detail(screen) == "Nothing to apply."
        assert any("Applied 1 change." in str(n.message) for n in local_app._notifications)
        (rule,) = [r for r in backend.list_rules() if r.name == "Answered"]
        assert rule.sampling_rate == 0.5 and "strict now" not in (rule.code or "")
        backend.close()

        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(local_app.screen, MainScreen)


async def test_a_changed_file_is_an_update_with_its_diff_kept_settings_and_score_impact(local_app, evaltui_home):
    """Applied and run once from the CLI; the file then changes: the plan shows the update, its diff,
    the settings kept, and the new code's scores on the stored outputs of that run."""
    manifest = _write_project(evaltui_home, CODE_V1)
    applied = await asyncio.to_thread(run_cli, "apply", "--manifest", str(manifest), "--yes", "--no-impact")
    assert applied.code == 0, applied.text
    ran = await asyncio.to_thread(run_cli, "run", "--dataset", DATASET, "--target", "demo", "--no-rules",
                                  "--evaluators", f"{evaltui_home / 'rules' / 'answered.py'}:answered")
    assert ran.code == 0, ran.text
    _write_project(evaltui_home, CODE_V2)
    async with local_app.run_test(size=SIZE) as pilot:
        screen = await _open_plan(pilot, local_app)
        assert _heading(screen).splitlines()[1] == "Plan: 0 to create, 1 to update, 0 to delete."
        detail = _detail(screen)
        assert detail.startswith(f"~ update 'Answered' (dataset: {DATASET})")
        assert "kept: sampling rate 50%" in detail and "kept: state enabled" in detail
        assert '-    return {"answered": int(bool(run["outputs"])), "comment": "any output"}' in detail
        assert '+    return {"answered": 0, "comment": "strict now"}' in detail
        assert "(24 stored rows re-scored)" in detail, detail
        impact = next(line for line in detail.splitlines() if line.strip().startswith("answered "))
        assert "answered -1.00" in impact and "0 better, 24 worse" in impact, impact


async def test_a_manifest_error_is_shown_with_its_line_and_nothing_applies(local_app, evaltui_home):
    (evaltui_home / "evaltui.toml").write_text('[[rule]]\nname = "A"\nsource = "rules/none.py:f"\n'
                                                f'dataset = "{DATASET}"\n')
    async with local_app.run_test(size=SIZE) as pilot:
        screen = await _open_plan(pilot, local_app)
        assert screen.plan is None
        heading = _heading(screen)
        assert "evaltui.toml:3" in heading and "no file 'rules/none.py'" in heading, heading
        await pilot.press("a")
        await settle(pilot)
        assert local_app.screen is screen  # no confirm for nothing
        assert [str(n.message) for n in local_app._notifications][-1] == "Nothing to apply."


async def test_no_manifest_says_how_to_make_one(local_app, evaltui_home):
    async with local_app.run_test(size=SIZE) as pilot:
        screen = await _open_plan(pilot, local_app)
        assert "No evaltui.toml in" in _heading(screen) and "`evaltui init` writes one." in _heading(screen)


async def test_prune_toggled_with_x_lists_the_delete_naming_what_goes_and_applies_it(local_app, evaltui_home):
    _write_project(evaltui_home, CODE_V1)
    backend = local_backend(evaltui_home)
    dataset = backend.get_dataset(DATASET)
    from tui.backend.core.models import RuleSpec

    backend.create_rule(RuleSpec(name="Old check", dataset_id=dataset.id, sampling_rate=0.25,
                                 code="def perform_eval(run, example):\n    return {'old': 1}\n"))
    async with local_app.run_test(size=SIZE) as pilot:
        screen = await _open_plan(pilot, local_app)
        assert "not in the manifest (kept; x (prune) deletes the code and LLM ones): Old check" in _heading(screen)
        assert screen.plan.summary() == "Plan: 1 to create, 0 to update, 0 to delete."
        await pilot.press("x")
        await wait_until(pilot, lambda: screen.plan is not None and len(screen.plan.changes) == 2, "the pruned plan")
        await settle(pilot)
        assert "(prune on)" in _heading(screen).splitlines()[0]
        assert screen.plan.summary() == "Plan: 1 to create, 0 to update, 1 to delete."
        await pilot.press("a")
        await settle(pilot)
        modal = local_app.screen
        assert isinstance(modal, ApplyPlanModal) and "danger-dialog" in modal.DIALOG_CLASSES
        assert modal.lines[1] == (f"- delete 'Old check' (dataset: {DATASET}): 'Old check' (python code, "
                                  f"dataset: {DATASET}, sampling 25%, enabled)")
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: screen.plan is not None and not screen.plan.pending, "the apply")
    assert sorted(r.name for r in backend.list_rules()) == ["Answered"]
    backend.close()


async def test_the_plan_shows_at_once_and_the_score_impact_fills_in_when_computed(local_app, evaltui_home):
    manifest = _write_project(evaltui_home, CODE_V1)
    applied = await asyncio.to_thread(run_cli, "apply", "--manifest", str(manifest), "--yes", "--no-impact")
    assert applied.code == 0, applied.text
    ran = await asyncio.to_thread(run_cli, "run", "--dataset", DATASET, "--target", "demo", "--no-rules",
                                  "--evaluators", f"{evaltui_home / 'rules' / 'answered.py'}:answered")
    assert ran.code == 0, ran.text
    _write_project(evaltui_home, "import time\n" + CODE_V2.replace("    return", "    time.sleep(0.1)\n    return"))
    async with local_app.run_test(size=SIZE) as pilot:
        # not settle(): it would wait for the impact worker too
        await wait_until(pilot, lambda: local_app.main_screen_built and local_app.main_screen in local_app.screen_stack,
                         "the main screen")
        await pilot.press("P")
        await wait_until(pilot, lambda: isinstance(local_app.screen, PlanScreen), "the plan screen")
        screen = local_app.screen
        await wait_until(pilot, lambda: screen.plan is not None or "toml" in _heading(screen), "the plan")
        assert screen.plan is not None, _heading(screen)
        assert screen.impact_pending and "score impact: computing…" in _detail(screen)
        await wait_until(pilot, lambda: not screen.impact_pending, "the impact", timeout=30)
        await pilot.pause()
        assert "(24 stored rows re-scored)" in _detail(screen) and "computing" not in _detail(screen)


async def test_p_while_the_workspace_is_still_opening_waits_for_it_then_plans(local_app, evaltui_home, monkeypatch):
    import threading

    import tui.backend.workspace.factory as factory

    _write_project(evaltui_home, CODE_V1)
    release, real_open = threading.Event(), factory.open_backend

    def slow_open(settings):
        assert release.wait(20), "the test never let the workspace open"
        return real_open(settings)

    monkeypatch.setattr(factory, "open_backend", slow_open)
    async with local_app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: local_app.main_screen_built and local_app.main_screen in local_app.screen_stack,
                         "the main screen")
        await pilot.press("P")
        await wait_until(pilot, lambda: isinstance(local_app.screen, PlanScreen), "the plan screen")
        screen = local_app.screen
        await wait_until(pilot, lambda: _heading(screen) == "waiting for the workspace to open…", "the wait shown")
        release.set()
        await wait_until(pilot, lambda: screen.plan is not None, "the plan")
        assert _heading(screen).splitlines()[1] == "Plan: 1 to create, 0 to update, 0 to delete."
