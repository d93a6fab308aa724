"""Experiments of a LangSmith workspace: projects with a reference dataset, their root runs and
the feedback on them, and the check that a traced upload arrived (`missing_uploads`,
`verify_uploads`).

The runner uploads LangSmith experiments through aevaluate itself; `create_experiment` /
`record_results` / `finish_experiment` exist for callers that produced results elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from tui.backend.core import errors
from tui.backend.core.models import EVALUATOR_INFO_KEY, SELECTION_KEY, Experiment, ExperimentResult, Score
from tui.backend.core.run_owner import INTERRUPTED, owner_gone
from tui.backend.runs.upload_check import OnWait, UploadCheck, wait_for_uploads
from tui.backend.workspace.langsmith.client import LangSmithSession
from tui.backend.workspace.langsmith.values import parse_time


def _feedback_error(fb: dict) -> str | None:
    """The error of a feedback as read back: `extra.error` / `extra.error_message` (the read
    schema has no top-level `error`; older evaltui wrote the message as the comment)."""
    extra = fb.get("extra") or {}
    if not (extra.get("error") or fb.get("error")):
        return None
    return extra.get("error_message") or fb.get("comment") or "evaluator error"


def _feedback_evaluator(fb: dict) -> str:
    """The evaltui evaluator that wrote a feedback ("" when another tool or a server rule did)."""
    metadata = (fb.get("feedback_source") or {}).get("metadata") or {}
    value = metadata.get(EVALUATOR_INFO_KEY) if isinstance(metadata, dict) else None
    return value if isinstance(value, str) else ""


def _first_line(error: str | None) -> str | None:
    """The SDK stores `repr(exc)` plus a traceback; the first line is what a user needs."""
    if not error:
        return error
    return error.strip().splitlines()[0]


def _result(experiment_id: str, run: dict, feedback: list[dict], references: dict[str, dict]) -> ExperimentResult:
    """One root run read back as a result row, with its feedback and its example's reference outputs."""
    start, end = parse_time(run.get("start_time")), parse_time(run.get("end_time"))
    example_id = str(run.get("reference_example_id") or "")
    return ExperimentResult(
        experiment_id=experiment_id,
        example_id=example_id,
        inputs=dict(run.get("inputs") or {}),
        outputs=run.get("outputs"),
        reference_outputs=references.get(example_id, {}),
        error=_first_line(run.get("error")),
        scores=tuple(
            Score(key=fb.get("key", ""), score=fb.get("score"), comment=fb.get("comment"), error=_feedback_error(fb),
                  evaluator=_feedback_evaluator(fb))
            for fb in feedback
        ),
        latency_ms=(end - start).total_seconds() * 1000 if start and end else None,
    )


class LangSmithExperiments(LangSmithSession):
    """The experiments part of `LangSmithBackend`."""

    def _experiment(self, p: Any) -> Experiment:
        metadata = dict((p.extra or {}).get("metadata") or {})
        status = metadata.get("evaltui_status") or ("done" if p.end_time else "running")
        if status == "running" and owner_gone(metadata):
            status = self._interrupted(str(p.id), metadata)
        try:
            url = p.url
        except Exception:  # noqa: BLE001 - the URL is a nicety
            url = None
        self._experiment_names[str(p.id)] = p.name
        return Experiment(
            id=str(p.id),
            name=p.name,
            dataset_id=str(p.reference_dataset_id),
            status=status,
            created_at=p.start_time,
            example_count=getattr(p, "run_count", None) or 0,
            url=url,
            metadata=metadata,
        )

    def create_experiment(self, name: str, dataset_id: str, metadata: dict | None = None) -> Experiment:
        """Create the experiment session (a project with a reference dataset)."""
        p = self._call(
            self.client.create_project, name, reference_dataset_id=dataset_id, metadata=metadata
        )
        return self._experiment(p)

    def record_results(self, results: Iterable[ExperimentResult]) -> None:
        """Upload each row as a root run in the experiment plus one feedback per score."""
        for result in results:
            project_name = self._experiment_names.get(result.experiment_id)
            if project_name is None:
                project_name = self._call(self.client.read_project, project_id=result.experiment_id).name
                self._experiment_names[result.experiment_id] = project_name
            run_id = uuid.uuid4()
            now = datetime.now(timezone.utc)
            self._call(
                self.client.create_run,
                "Target",
                result.inputs,
                "chain",
                id=run_id,
                project_name=project_name,
                outputs=result.outputs or {},
                error=result.error,
                reference_example_id=result.example_id,
                start_time=now,
                end_time=now,
            )
            for score in result.scores:
                self._call(
                    self.client.create_feedback,
                    run_id,
                    score.key,
                    score=score.score,
                    comment=score.error or score.comment,
                    # As aevaluate writes them: the read schema has no `error`, only `extra`.
                    error=True if score.error else None,
                    extra={"error": True, "error_message": score.error} if score.error else None,
                    source_info={EVALUATOR_INFO_KEY: score.evaluator} if score.evaluator else None,
                    trace_id=run_id,
                    session_id=result.experiment_id,
                    start_time=now,
                    stop_after_attempt=2,
                )

    def _interrupted(self, experiment_id: str, metadata: dict) -> str:
        """Close an experiment whose process died (it would show as running forever); best effort:
        the listing says interrupted even when the close cannot be written."""
        metadata["evaltui_status"] = INTERRUPTED
        try:
            self._call(self.client.update_project, experiment_id, end_time=datetime.now(timezone.utc),
                       metadata=metadata)
        except errors.EvaltuiError:
            pass
        return INTERRUPTED

    def finish_experiment(self, experiment_id: str, status: str) -> None:
        """Set the experiment's end time and record the status in its metadata (merged, so
        what the SDK wrote there is kept)."""
        project = self._call(self.client.read_project, project_id=experiment_id)
        metadata = dict((getattr(project, "extra", None) or {}).get("metadata") or {})
        metadata["evaltui_status"] = status
        selection = metadata.get(SELECTION_KEY)
        if isinstance(selection, dict) and selection.get("as_of"):
            # The SDK wrote its own guess (the examples' newest modified_at); the run read this version.
            metadata["dataset_version"] = selection["as_of"]
        self._call(
            self.client.update_project,
            experiment_id,
            end_time=datetime.now(timezone.utc),
            metadata=metadata,
        )

    def list_experiments(self, dataset_id: str | None = None) -> list[Experiment]:
        def make() -> Iterable[Any]:
            # Stats (run_count) are null unless asked for.
            if dataset_id:
                return self.client.list_projects(reference_dataset_id=dataset_id, include_stats=True)
            return self.client.list_projects(reference_free=False, include_stats=True)

        return [self._experiment(p) for p in self._iterate(make) if p.reference_dataset_id]

    def get_experiment(self, name_or_id: str) -> Experiment:
        return self._experiment(self._find(
            "Experiment",
            name_or_id,
            lambda: self.client.read_project(project_id=name_or_id, include_stats=True),
            lambda: self.client.list_projects(name=name_or_id, include_stats=True),
            lambda: (e.name for e in self.list_experiments()),
            usable=lambda p: p.reference_dataset_id,  # a project without one is no experiment
        ))

    def _root_runs(self, experiment_id: str) -> list[dict]:
        runs: list[dict] = []
        body: dict[str, Any] = {"session": [experiment_id], "is_root": True, "limit": 100}
        while True:
            page = self._request("POST", "/runs/query", json=body) or {}
            runs.extend(page.get("runs") or [])
            cursor = (page.get("cursors") or {}).get("next")
            if not cursor or not page.get("runs"):
                return runs
            body["cursor"] = cursor

    def _feedback_of(self, run_ids: list[str]) -> dict[str, list[dict]]:
        feedback: dict[str, list[dict]] = {}
        for start in range(0, len(run_ids), 100):
            chunk = run_ids[start : start + 100]
            offset = 0
            while True:
                items = self._request(
                    "GET", "/feedback", params={"run": chunk, "limit": 100, "offset": offset}
                ) or []
                for fb in items:
                    feedback.setdefault(str(fb.get("run_id")), []).append(fb)
                if len(items) < 100:
                    break
                offset += len(items)
        return feedback

    def list_results(self, experiment_id: str) -> list[ExperimentResult]:
        """Root runs of the experiment with their feedback and their examples' reference outputs."""
        runs = self._root_runs(experiment_id)
        feedback = self._feedback_of([r["id"] for r in runs])
        example_ids = sorted({str(r["reference_example_id"]) for r in runs if r.get("reference_example_id")})
        references: dict[str, dict] = {}
        for start in range(0, len(example_ids), 100):  # ids go in the URL: 100 at a time (else HTTP 414)
            chunk = example_ids[start : start + 100]
            for ex in self._iterate(lambda chunk=chunk: self.client.list_examples(example_ids=chunk)):
                references[str(ex.id)] = dict(ex.outputs or {})
        return [
            _result(experiment_id, run, feedback.get(str(run["id"]), []), references)
            for run in runs
        ]

    # -- checking a traced upload ---------------------------------------------------------------
    def missing_uploads(
        self, experiment_id: str, expected: dict[str, set[str]]
    ) -> dict[str, list[str]]:
        """Compare what the server has for an experiment with what the run produced.

        `expected` maps example id -> the scores given to it (`Score.ident`: key and evaluator). Returns
        `{"runs": [example ids without a run], "scores": ["<example id>:<key>", ...]}`.
        """
        stored = self._root_runs(experiment_id)  # no reference outputs needed here
        feedback = self._feedback_of([r["id"] for r in stored])
        # A run whose closing PATCH was lost has neither outputs nor an error: its result is not there.
        runs = {
            str(r.get("reference_example_id") or ""): {
                Score(fb.get("key", ""), None, evaluator=_feedback_evaluator(fb)).ident
                for fb in feedback.get(str(r["id"]), [])
            }
            for r in stored if r.get("outputs") is not None or r.get("error") is not None
        }
        missing_runs = sorted(ex for ex in expected if ex not in runs)
        missing_scores = sorted(
            f"{ex}:{key}" for ex, keys in expected.items() if ex in runs for key in keys - runs[ex]
        )
        return {"runs": missing_runs, "scores": missing_scores}

    def verify_uploads(
        self,
        experiment_id: str,
        expected: dict[str, set[str]],
        *,
        send_failed: Callable[[], bool] = lambda: False,
        on_wait: OnWait | None = None,
    ) -> UploadCheck:
        """Wait up to `upload_wait_s` for the server to show every expected run and score."""
        try:
            return wait_for_uploads(
                lambda: self.missing_uploads(experiment_id, expected),
                len(expected),
                limit_s=self.upload_wait_s,
                send_failed=send_failed,
                on_wait=on_wait,
            )
        except errors.EvaltuiError as exc:
            return UploadCheck("unverified", reason=f"Could not check the uploaded results: {exc}")

