"""The same flows against the fake LangSmith server, through the real langsmith.Client."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.functional.conftest import select_local, select_rule, settle
from tui.app import EvalTuiApp
from tui.backend.core.config import Settings
from tui.modals.confirm_delete_modal import ConfirmDeleteModal
from tui.modals.replace_modal import ReplaceModal
from tui.modals.upload_modal import UploadModal
from tui.screens.main_screen import MainScreen

SIZE = (120, 36)
SAMPLES = Path(__file__).resolve().parents[2] / "tui" / "backend" / "workspace" / "samples"
OLD_CODE = "def perform_eval(run, example):\n    return {'score': 0}\n"


@pytest.fixture
def remote(langsmith_env, evaltui_home, tmp_path):
    """(fake server, app factory) with one dataset and the sample evaluator files."""
    ds = langsmith_env.seed_dataset(
        "QA", [({"query": f"q{i}"}, {"expected_response": f"a{i}"}) for i in range(12)]
    )
    directory = tmp_path / "evaluators"
    directory.mkdir()
    for f in SAMPLES.glob("*.py"):
        shutil.copy(f, directory / f.name)

    def make() -> EvalTuiApp:
        return EvalTuiApp(Settings.from_env(backend="langsmith"), evaluator_dir=directory)

    return langsmith_env, ds, make


async def test_remote_upload_confirm_sends_rule(remote):
    fake, ds, make = remote
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert "LangSmith" in str(app.screen.status.render())
        select_local(app, "exact_match_evaluator")
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UploadModal)
        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, MainScreen)
    body = fake.requests_to("POST", "/runs/rules")[-1].json
    assert body["display_name"] == "exact_match_evaluator" and body["dataset_id"] == ds["id"]
    assert "def perform_eval" in body["code_evaluators"][0]["code"]
    assert [r["display_name"] for r in fake.rules.values()] == ["exact_match_evaluator"]


async def test_remote_upload_decline_sends_nothing(remote):
    fake, _, make = remote
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(app, "exact_match_evaluator")
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
    assert fake.requests_to("POST", "/runs/rules") == [] and fake.rules == {}


async def test_remote_replace_decline_then_confirm(remote):
    fake, ds, make = remote
    rule = fake.seed_rule("exact_match_evaluator", OLD_CODE, dataset_id=ds["id"])
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_local(app, "exact_match_evaluator")
        await pilot.press("U")
        await settle(pilot)
        assert isinstance(app.screen, ReplaceModal)
        await pilot.press("escape")
        await settle(pilot)
        assert fake.requests_to("PATCH", "/runs/rules") == []
        await pilot.press("U")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
    patch = fake.requests_to("PATCH", f"/runs/rules/{rule['id']}")[-1].json
    assert "def perform_eval" in patch["code_evaluators"][0]["code"]
    assert "'score': 0" not in fake.rules[rule["id"]]["code_evaluators"][0]["code"]


async def test_remote_delete_decline_then_confirm(remote):
    fake, ds, make = remote
    rule = fake.seed_rule("old_rule", OLD_CODE, dataset_id=ds["id"])
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        select_rule(app, "old_rule")
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDeleteModal)
        await pilot.press("n")
        await settle(pilot)
        assert rule["id"] in fake.rules
        select_rule(app, "old_rule")
        await pilot.press("d")
        await pilot.pause()
        await pilot.click("#confirm")
        await settle(pilot)
    assert rule["id"] not in fake.rules


async def test_remote_server_errors_are_messages_and_app_keeps_working(remote):
    fake, ds, make = remote
    fake.inject("*", r"^(/api/v[12])?/runs/rules", status=500, times=50)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, MainScreen)
        assert app.screen.datasets.datasets  # the rest still loaded
        messages = [n.message for n in app._notifications]
        assert any("rules" in m.lower() or "server" in m.lower() for m in messages)
        assert not any("Traceback" in m for m in messages)
        fake.clear_faults()
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.status.state == "connected"


async def test_bad_key_shows_not_connected_without_the_key(remote, monkeypatch):
    fake, _, make = remote
    secret = "lsv2_pt_wrong-wrongwrong0000000000_zz99"
    monkeypatch.setenv("LANGSMITH_API_KEY", secret)
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.screen.status.state == "error"
        svg = app.export_screenshot()
        assert secret not in svg and "wrongwrong" not in svg
        assert "lsv2_…zz99" in str(app.screen.status.render())
        assert all(secret not in n.message for n in app._notifications)


async def test_a_sandbox_check_that_cannot_run_asks_before_uploading(remote):
    """Examples unreadable: the check modal says 'not checked: why'; its default (Cancel) brings the
    form back as typed, and 'Upload anyway' uploads."""
    from textual.widgets import Input

    from tui.modals.upload_check_modal import UploadCheckModal

    fake, ds, make = remote
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        fake.inject("GET", r"^(/api/v1)?/examples", status=404, times=2,
                    body={"detail": "resource '/examples' not found"})
        select_local(app, "exact_match_evaluator")
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UploadModal)
        app.screen.query_one("#upload-name", Input).value = "Exact (typed)"
        app.screen.query_one("#upload-rate", Input).value = "0.4"
        for answer in ("enter", "#confirm"):
            await pilot.click("#confirm")
            await settle(pilot)
            assert isinstance(app.screen, UploadCheckModal)
            text = "\n".join(app.screen.lines)
            assert "Sandbox check: not checked: the examples of 'QA' could not be read" in text
            if answer == "enter":  # Cancel has the focus
                await pilot.press("enter")
                await settle(pilot)
                assert fake.requests_to("POST", "/runs/rules") == []
                form = app.screen
                assert isinstance(form, UploadModal)
                assert form.query_one("#upload-name", Input).value == "Exact (typed)"
                assert form.query_one("#upload-rate", Input).value == "0.4"
                assert form.function == "exact_match_evaluator"
            else:
                await pilot.click(answer)
                await settle(pilot)
        assert isinstance(app.screen, MainScreen)
    (rule,) = fake.rules.values()
    assert rule["display_name"] == "Exact (typed)" and rule["sampling_rate"] == 0.4
    assert rule["dataset_id"] == ds["id"]


async def test_remote_import_from_the_datasets_pane_then_a_failed_one_leaves_nothing(remote, tmp_path):
    """`i` on LangSmith: the examples go through the real client with their splits in
    metadata.dataset_split; a server that fails every example write leaves no half dataset."""
    import json

    from textual.widgets import Input, Static

    from tests.functional.conftest import wait_until
    from tui.modals.import_dataset_modal import ImportDatasetModal
    from tui.widgets.path_input import PathInput

    fake, _, make = remote
    source = tmp_path / "cases.jsonl"
    rows = [{"inputs": {"q": "2+2?"}, "outputs": {"a": "4"}, "metadata": {"level": "easy"}, "split": ["train"]},
            {"inputs": {"q": "héllo?"}, "outputs": {"a": "wörld"}}]
    source.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        for name, fail in (("cases", False), ("broken", True)):
            await pilot.press("2", "i")
            await settle(pilot)
            modal = app.screen
            assert isinstance(modal, ImportDatasetModal)
            modal.query_one("#import-path", PathInput).value = str(source)
            modal.query_one("#import-dataset", Input).value = name
            modal.query_one("#import-create").value = True
            if fail:
                fake.inject("POST", r"examples", status=500, times=100)
            await pilot.press("ctrl+s")
            if fail:
                await wait_until(pilot, lambda form=modal: "failed" in str(
                    form.query_one("#import-error", Static).render()), "the failure reported")
                error = str(modal.query_one("#import-error", Static).render())
                assert "the dataset 'broken' it created was deleted" in error, error
                assert fake.api_key not in error
                await pilot.press("escape")
            else:
                await wait_until(pilot, lambda: isinstance(app.screen, MainScreen), "the import form closing")
            await settle(pilot)
            assert isinstance(app.screen, MainScreen)
    fake.clear_faults()
    names = {d["name"]: d for d in fake.datasets.values()}
    assert "broken" not in names
    stored = sorted(fake.examples_of(names["cases"]["id"]), key=lambda e: e["inputs"]["q"])
    assert [(e["inputs"], e["outputs"]) for e in stored] == [(r["inputs"], r["outputs"]) for r in rows]
    assert stored[0]["metadata"] == {"level": "easy", "dataset_split": ["train"]}


async def test_remote_plan_view_applies_the_manifest_through_the_real_client(remote, tmp_path):
    """`P` on LangSmith: the manifest above the evaluators folder is planned against the fake's rules
    and applied after the confirm; planning again finds nothing to change."""
    from tests.functional.conftest import wait_until
    from tui.screens.plan_screen import ApplyPlanModal, PlanScreen

    fake, ds, make = remote
    (tmp_path / "evaltui.toml").write_text(
        '[[rule]]\nname = "Exact (as code)"\nsource = "evaluators/skills_evaluators.py:exact_match_evaluator"\n'
        'dataset = "QA"\nsampling_rate = 0.5\n')
    app = make()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("P")
        await wait_until(pilot, lambda: isinstance(app.screen, PlanScreen) and app.screen.plan is not None, "the plan")
        screen = app.screen
        assert screen.plan.summary() == "Plan: 1 to create, 0 to update, 0 to delete."
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ApplyPlanModal)
        await pilot.click("#confirm")
        await wait_until(pilot, lambda: screen.plan is not None and not screen.plan.pending, "the apply")
    (rule,) = fake.rules.values()
    assert rule["display_name"] == "Exact (as code)" and rule["dataset_id"] == ds["id"]
    assert rule["sampling_rate"] == 0.5 and "def perform_eval" in rule["code_evaluators"][0]["code"]
    assert (tmp_path / ".evaltui" / "state.json").is_file()
