"""The end of a run: check that uploaded results arrived, store what finished, mark the
experiment, and emit the one final event (`RunFinished`, `RunCancelled` or `RunFailed`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from tui.backend.core import errors
from tui.backend.core.events import (
    ExperimentStarted,
    ProgressSink,
    RunCancelled,
    RunFailed,
    RunFinished,
    UploadVerifying,
)
from tui.backend.core.models import Example, Experiment, ExperimentResult
from tui.backend.runs.active_run import ActiveRun
from tui.backend.runs.rerun import never_run
from tui.backend.runs.summary import summarize
from tui.backend.runs.upload_check import SendFailures


def check_uploads(backend, experiment_id: str, active: ActiveRun, send_failures: SendFailures,
                  sink: ProgressSink) -> dict[str, Any]:
    """Wait (bounded) until the server shows every finished row, and say what never arrived.

    Returns counts entries (`UploadCheck.as_counts`): `upload_status` verified / pending /
    missing / unverified, with the example ids (`upload_missing_runs`, `upload_pending_runs`)
    and `"<example id>:<key>"` scores still absent (`<key> · <evaluator>` when an evaluator is known).
    """
    verify = getattr(backend, "verify_uploads", None)
    if verify is None:
        return {}
    expected = {ex_id: {s.ident for s in r.scores} for ex_id, r in active.finished.items()}

    def on_wait(visible: int, total: int, waited: float, limit: float) -> None:
        sink(UploadVerifying(visible, total, waited, limit))

    return verify(experiment_id, expected, send_failed=lambda: send_failures.count > 0,
                  on_wait=on_wait).as_counts()


def settle(backend, experiment: Experiment | None, active: ActiveRun, status: str, failure: str | None,
           total: int, sink: ProgressSink, prior: list[ExperimentResult] | None,
           keep_status: str | None = None, upload_check: dict[str, Any] | None = None,
           planned: Sequence[Example] = ()) -> Experiment:
    """Write what finished, mark the experiment, and emit the final event. `planned`: the examples
    the experiment is meant to cover; those still without a row are counted as `never_run`."""
    flush_error = None
    if active.record:
        try:
            active.flush()
        except errors.EvaltuiError as exc:
            flush_error = str(exc)
    if experiment is None:
        sink(RunFailed(failure or "The experiment could not start.", None))
        return Experiment(id="", name="", dataset_id="", status="failed")
    merged = {r.example_id: r for r in (prior or [])}
    merged.update(active.finished)
    summary, counts = summarize(merged.values())
    counts["finished_now"] = len(active.finished)
    if planned:
        counts["never_run"] = len(never_run(planned, merged.values()))
    if active.cache_calls:
        counts["judge_cache"] = active.cache_calls
    counts.update(upload_check or {})
    if failure is not None or flush_error is not None:
        status = "failed"
    # Re-scoring leaves the experiment's own status alone unless it breaks.
    stored_status = keep_status if keep_status and status != "failed" else status
    try:
        backend.finish_experiment(experiment.id, stored_status)
    except errors.EvaltuiError as exc:
        # The rows are kept; but the server would show the experiment running forever: say so.
        counts["close_error"] = f"The experiment could not be marked {stored_status}: {exc}"
    final = replace(experiment, status=stored_status, example_count=max(experiment.example_count, len(merged)))
    if status == "cancelled":
        sink(RunCancelled(experiment.id, len(active.finished), total, summary, counts))
    elif status == "failed":
        sink(RunFailed(failure or flush_error or "The run failed.", experiment.id))
    else:
        sink(RunFinished(experiment.id, stored_status, summary, counts))
    return final


def finish_without_rows(experiment: Experiment, stored: list[ExperimentResult], sink: ProgressSink,
                        planned: Sequence[Example] = ()) -> Experiment:
    """Nothing to run (no failed example to retry, none left to resume, no stored run to re-score):
    report what is stored, and how many of `planned` never ran (`never_run`: a resume runs them)."""
    summary, counts = summarize(stored)
    counts["finished_now"] = 0
    counts["never_run"] = len(never_run(planned, stored))
    sink(ExperimentStarted(experiment.id, experiment.name, 0, experiment.url, experiment.dataset_id))
    sink(RunFinished(experiment.id, experiment.status, summary, counts))
    return experiment
