"""The whole app on the LangSmith backend: an experiment with an LLM judge, end to end over real HTTP.

The real `EvalTuiApp` talks to the fake LangSmith server through the real `langsmith.Client`, and
the library's accuracy judge goes through the real `ChatOpenAI` to the fake OpenAI server.
"""

from __future__ import annotations

from textual.widgets import Select, SelectionList

from tests.functional.conftest import settle, wait_until
from tui.app import EvalTuiApp
from tui.backend.core.config import Settings
from tui.backend.workspace.seed_data import FINAL_RESPONSE, FINAL_RESPONSE_EXAMPLES
from tui.modals.start_experiment import StartExperimentModal
from tui.widgets.runner_pane import RunnerPane

SIZE = (120, 36)
EXAMPLES = FINAL_RESPONSE_EXAMPLES[:6]
JUDGE = "evaluators:accuracy_evaluator"
EXACT = "evaluators:exact_match_evaluator"
SCORE_LABELS = {"1.00", "0.00", "✓", "✗"}  # a judged cell: not missing, not an error marker


async def test_judged_experiment_on_langsmith_uploads_runs_and_feedback(
    langsmith_env, openai_env, evaltui_home, tmp_path
):
    from evaluators import clear_judge_cache

    fake = langsmith_env
    fake.ingest_delay = 0.3  # like LangSmith: uploads are readable a little later
    dataset = fake.seed_dataset(FINAL_RESPONSE, [(ex.inputs, ex.outputs) for ex in EXAMPLES])
    evaluator_dir = tmp_path / "evaluators"
    evaluator_dir.mkdir()  # empty: only the library's evaluators are offered
    clear_judge_cache()
    app = EvalTuiApp(Settings.from_env(backend="langsmith"), evaluator_dir=evaluator_dir)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+r")
            await wait_until(pilot, lambda: isinstance(app.screen, StartExperimentModal)
                             and app.screen.query_one(SelectionList).option_count > 0, what="the start form")
            modal = app.screen
            assert modal.query_one("#start-dataset", Select).value == dataset["id"]
            assert modal.query_one("#start-target").value == "demo"
            selection = modal.query_one("#start-evaluators", SelectionList)
            selection.deselect_all()
            selection.select(JUDGE)
            selection.select(EXACT)
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: not isinstance(app.screen, StartExperimentModal), what="the form closing")

            pane = app.screen.query_one(RunnerPane)
            await wait_until(pilot, lambda: pane.stats.status in ("done", "cancelled", "failed")
                             and not pane.running, what="the run's end")
            assert pane.stats.status == "done", pane.query_one("#runner-status").render()
            assert pane.stats.done == pane.stats.total == len(EXAMPLES)
            assert pane.query_one("#runner-progress").percentage == 1.0
            experiment_id = pane.stats.experiment_id
            assert experiment_id

            grid = pane.grid
            assert grid.row_count == len(EXAMPLES)
            # a column per score, keyed by its key and evaluator, labelled by its key alone here
            assert {c.label.plain for c in grid.columns.values()} >= {"accuracy", "exact_match"}
            judge_column = next(ident for ident in grid.score_keys if ident.startswith("accuracy"))
            judged = [str(grid.get_cell(row, judge_column)) for row in grid.rows]
            assert all(label in SCORE_LABELS for label in judged), judged
    finally:
        clear_judge_cache()

    # One chat completion per example, each a strict json_schema request from the judge.
    requests = openai_env.chat_requests()
    assert len(requests) == len(EXAMPLES)
    assert all(r["response_format"]["type"] == "json_schema" and r["response_format"]["json_schema"]["strict"]
               for r in requests)

    # The experiment's runs and both evaluators' feedback for every example reached LangSmith.
    example_ids = {e["id"] for e in fake.examples_of(dataset["id"])}
    roots = [r for r in fake.runs_in(experiment_id) if not r.get("parent_run_id")]
    assert {str(r.get("reference_example_id")) for r in roots} == example_ids
    assert all(r.get("end_time") and not r.get("error") for r in roots)
    root_ids = {str(r["id"]) for r in roots}
    for key in ("accuracy", "exact_match"):
        scored = {str(f.get("run_id")) for f in fake.feedback.values() if f.get("key") == key}
        assert root_ids <= scored, f"{key}: feedback missing for {len(root_ids - scored)} runs"
    accuracy = [f["score"] for f in fake.feedback.values() if f.get("key") == "accuracy"]
    assert all(score in (0, 1) for score in accuracy), accuracy


SLOW = "import time\n\ndef slow(inputs):\n    time.sleep(0.2)\n    return {'response': 'x'}\n"


async def test_quit_during_a_run_asks_then_cancels_keeping_results(evaltui_home, tmp_path):
    """`q` while an experiment runs asks: keep it running, or cancel it (finished rows kept) and quit."""
    from tests.functional.conftest import local_backend
    from tui.backend.runs.runner import RunOptions
    from tui.modals.quit_modal import QuitDuringRunModal

    (tmp_path / "slow.py").write_text(SLOW)
    app = EvalTuiApp(Settings.from_env(backend="local"))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = app.screen.query_one(RunnerPane)
        pane.start(RunOptions(dataset=FINAL_RESPONSE, target=f"{tmp_path / 'slow.py'}:slow",
                              evaluators=[EXACT], max_concurrency=1))
        await wait_until(pilot, lambda: pane.stats.done >= 2, what="two finished examples")
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, QuitDuringRunModal)
        await pilot.press("escape")  # keep running
        await pilot.pause()
        assert not isinstance(app.screen, QuitDuringRunModal) and pane.running and app.is_running
        await pilot.press("q")
        await pilot.pause()
        await pilot.press("c")  # cancel and quit
        await wait_until(pilot, lambda: not app.is_running, what="the app quitting")
    experiment_id = pane.stats.experiment_id
    backend = local_backend(evaltui_home)
    try:
        experiment = backend.get_experiment(experiment_id)
        assert experiment.status == "cancelled"
        assert 2 <= len(backend.list_results(experiment_id)) < 24
    finally:
        backend.close()
