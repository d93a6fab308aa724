"""`LangSmithBackend`: the Backend protocol on a real `langsmith.Client`.

Datasets, examples and projects go through the SDK's paginated generators (consumed lazily).
The SDK has no run-rule methods, so rules use `client.request_with_retries` on `/runs/rules`.
Every SDK / HTTP failure is translated into a `tui.backend.core.errors` exception whose message is a
sentence for the user and never contains the API key.

`langsmith` is imported lazily (inside functions): it costs about a second to import.
"""

from __future__ import annotations

import difflib
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from tui.backend.core import errors
from tui.backend.core.models import (
    Dataset,
    Example,
    Experiment,
    ExperimentResult,
    Project,
    Rule,
    RuleSpec,
    Score,
    WorkspaceEvaluator,
)
from tui.backend.rules.rule_payload import create_body, replace_body, rule_from_payload
from tui.backend.runs.upload_check import OnWait, UploadCheck, wait_for_uploads
from tui.backend.workspace.base import Capabilities
from tui.backend.workspace.workspace_evaluators import evaluator_from_payload

if TYPE_CHECKING:  # pragma: no cover
    import langsmith

T = TypeVar("T")

_RETRY_STATUSES = (408, 425, 429, 500, 502, 503, 504)


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _http_status(exc: BaseException) -> int | None:
    """The HTTP status behind an SDK exception (the SDK raises its own errors from requests.HTTPError)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        response = getattr(current, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return status
        current = current.__cause__ or current.__context__
    match = re.search(r"\b([1-5]\d\d) (?:Client|Server) Error", str(exc))
    return int(match.group(1)) if match else None


def _timed_out(exc: BaseException) -> bool:
    """True when a read timeout hides inside a connection error (urllib3 wraps it on retry)."""
    from urllib3.exceptions import NewConnectionError
    from urllib3.exceptions import TimeoutError as Urllib3Timeout

    current: BaseException | None = exc
    for _ in range(10):
        if current is None:
            return False
        # urllib3 makes a refused connection a subclass of its timeout error: not a timeout here.
        if isinstance(current, NewConnectionError) or isinstance(
            getattr(current, "reason", None), NewConnectionError
        ):
            return False
        if isinstance(current, Urllib3Timeout):
            return True
        reason = getattr(current, "reason", None)
        if isinstance(reason, Urllib3Timeout):
            return True
        nested = current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        current = nested or current.__cause__ or current.__context__
    return False


def _response_of(exc: BaseException) -> Any:
    """The requests.Response behind an SDK exception, if any."""
    current: BaseException | None = exc
    seen: set[int] = set()
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        response = getattr(current, "response", None)
        if response is not None:
            return response
        current = current.__cause__ or current.__context__
    return None


def _response_detail(exc: BaseException) -> str:
    response = _response_of(exc)
    if response is None:
        return ""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else ""


def _request_path(exc: BaseException) -> str:
    response = _response_of(exc)
    request = getattr(response, "request", None)
    return str(getattr(request, "path_url", "") or "").split("?", 1)[0]


class LangSmithBackend:
    """LangSmith workspace behind the Backend protocol. Synchronous; call it from worker threads.

    `retries` and `backoff` tune the urllib3 retry of 429/5xx answers and refused connections;
    read timeouts are not retried (a POST that timed out may have been applied).
    """

    kind = "langsmith"
    capabilities = Capabilities(applies_rules=True, traces_runs=True,
                                scoring_rule_kinds=("python", "javascript", "llm"))

    def __init__(
        self,
        api_key: str,
        endpoint: str,
        workspace_id: str | None = None,
        *,
        timeout_s: float = 10.0,
        retries: int = 2,
        backoff: float = 0.1,
        upload_wait_s: float = 60.0,
    ):
        self.api_key = api_key
        self.endpoint = endpoint.rstrip("/")
        self.workspace_id = workspace_id or None
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff = backoff
        self.upload_wait_s = upload_wait_s  # how long to wait for ingestion before saying "pending"
        self._client: langsmith.Client | None = None
        self._tracing_client: langsmith.Client | None = None
        self._experiment_names: dict[str, str] = {}
        self._rules_v1_only = False  # set when the server has no /api/v2/runs/rules

    # -- the SDK client and error translation -----------------------------------------------
    @property
    def client(self) -> langsmith.Client:
        if self._client is None:
            from langsmith import Client

            self._client = Client(
                api_url=self.endpoint,
                api_key=self.api_key,
                workspace_id=self.workspace_id,
                retry_config=self._retry_config(),
                timeout_ms=int(self.timeout_s * 1000),
                auto_batch_tracing=False,
            )
        return self._client

    def _retry_config(self) -> Any:
        from urllib3.util.retry import Retry

        return Retry(
            total=self.retries,
            connect=self.retries,
            read=False,  # re-raise read timeouts as such (not retried, see class doc)
            status=self.retries,
            status_forcelist=_RETRY_STATUSES,
            backoff_factor=self.backoff,
            allowed_methods=None,  # also retry POST/PATCH: 429/5xx/refused mean "not applied"
            raise_on_redirect=False,
            raise_on_status=False,
            respect_retry_after_header=True,
        )

    def tracing_client(self) -> langsmith.Client:
        """A second client for experiment uploads, with the SDK's background batcher on.

        With the batcher off, a run upload that fails after its retries raises inside the SDK's
        traceable wrapper and `aevaluate` then stops the whole experiment. Batched, a failed upload
        is only logged; the runner finds what is missing afterwards (`missing_uploads`).
        """
        if self._tracing_client is None:
            from langsmith import Client

            self._tracing_client = Client(
                api_url=self.endpoint,
                api_key=self.api_key,
                workspace_id=self.workspace_id,
                retry_config=self._retry_config(),
                timeout_ms=int(self.timeout_s * 1000),
                auto_batch_tracing=True,
            )
        return self._tracing_client

    def missing_uploads(
        self, experiment_id: str, expected: dict[str, set[str]]
    ) -> dict[str, list[str]]:
        """Compare what the server has for an experiment with what the run produced.

        `expected` maps example id -> evaluator keys scored for it. Returns
        `{"runs": [example ids without a run], "scores": ["<example id>:<key>", ...]}`.
        """
        stored = self._root_runs(experiment_id)  # no reference outputs needed here
        feedback = self._feedback_of([r["id"] for r in stored])
        # A run whose closing PATCH was lost has neither outputs nor an error: its result is not there.
        runs = {
            str(r.get("reference_example_id") or ""): {fb.get("key", "") for fb in feedback.get(str(r["id"]), [])}
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

    def _translate(self, exc: BaseException) -> errors.EvaltuiError:
        """Map an SDK / requests exception to a user-facing error. Never uses the SDK's text
        verbatim for auth or connection errors (it contains a masked key and internals)."""
        import requests
        from langsmith import utils as ls_utils

        if isinstance(exc, errors.EvaltuiError):
            return exc
        if isinstance(exc, (requests.Timeout, ls_utils.LangSmithRequestTimeout)) or _timed_out(exc):
            return errors.ConnectionFailed(
                f"LangSmith at {self.endpoint} did not answer within {self.timeout_s:g} s; "
                "try again later or check LANGSMITH_ENDPOINT."
            )
        status = _http_status(exc)
        if isinstance(exc, ls_utils.LangSmithAuthError) or status in (401, 403):
            code = status or 401
            return errors.AuthError(
                f"LangSmith rejected the API key (HTTP {code}): check LANGSMITH_API_KEY"
                + (" and LANGSMITH_WORKSPACE_ID" if code == 403 or self.workspace_id else "")
                + "."
            )
        if isinstance(exc, ls_utils.LangSmithRateLimitError) or status == 429:
            return errors.RateLimited(
                f"LangSmith is rate limiting requests (HTTP 429) even after {self.retries} retries; "
                "wait a minute and try again."
            )
        if (status is not None and status >= 500) or isinstance(exc, ls_utils.LangSmithAPIError):
            return errors.ServerError(
                f"LangSmith had a server error (HTTP {status or 500}) after {self.retries} retries; "
                "try again later."
            )
        if isinstance(exc, (ls_utils.LangSmithConnectionError, requests.ConnectionError)):
            return errors.ConnectionFailed(
                f"Could not connect to LangSmith at {self.endpoint}; check LANGSMITH_ENDPOINT "
                "and your network."
            )
        if isinstance(exc, ls_utils.LangSmithNotFoundError) or status == 404:
            return errors.NotFound("LangSmith resource", _request_path(exc) or "(unknown)")
        detail = self._scrub(_response_detail(exc))
        if status is not None:
            return errors.InvalidInput(
                f"LangSmith refused the request (HTTP {status})" + (f": {detail}" if detail else ".")
            )
        return errors.EvaltuiError(f"LangSmith request failed: {self._scrub(str(exc))}")

    def _scrub(self, text: str) -> str:
        return text.replace(self.api_key, "***") if self.api_key else text

    def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - every failure becomes a user-facing error
            raise self._translate(exc) from None

    def _iterate(self, make: Callable[[], Iterable[T]]) -> Iterator[T]:
        """Consume an SDK generator lazily, translating errors raised while paging."""
        try:
            yield from make()
        except GeneratorExit:
            raise
        except Exception as exc:  # noqa: BLE001
            raise self._translate(exc) from None

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._call(self.client.request_with_retries, method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None

    # -- identity ---------------------------------------------------------------------------
    def describe(self) -> str:
        where = f"LangSmith {self.endpoint}"
        return f"{where} (workspace {self.workspace_id})" if self.workspace_id else where

    def check(self) -> None:
        self._request("GET", "/sessions", params={"limit": 1})

    # -- datasets and examples --------------------------------------------------------------
    @staticmethod
    def _dataset(ds: Any) -> Dataset:
        return Dataset(
            id=str(ds.id),
            name=ds.name,
            description=ds.description or "",
            example_count=ds.example_count or 0,
            modified_at=ds.modified_at,
        )

    def list_datasets(self) -> Iterator[Dataset]:
        for ds in self._iterate(lambda: self.client.list_datasets()):
            yield self._dataset(ds)

    def get_dataset(self, name_or_id: str) -> Dataset:
        if _is_uuid(name_or_id):
            try:
                return self._dataset(self._call(self.client.read_dataset, dataset_id=name_or_id))
            except errors.NotFound:
                pass
        found = next(self._iterate(lambda: self.client.list_datasets(dataset_name=name_or_id)), None)
        if found is not None:
            return self._dataset(found)
        names = [d.name for d in self.list_datasets()]
        raise errors.NotFound("Dataset", name_or_id, difflib.get_close_matches(name_or_id, names, n=3))

    def list_examples(
        self, dataset_id: str, offset: int = 0, limit: int | None = None
    ) -> Iterator[Example]:
        def make() -> Iterable[Any]:
            return self.client.list_examples(dataset_id=dataset_id, offset=offset, limit=limit)

        for ex in self._iterate(make):
            yield Example(
                id=str(ex.id),
                dataset_id=str(ex.dataset_id),
                inputs=dict(ex.inputs or {}),
                outputs=dict(ex.outputs or {}),
                metadata=dict(ex.metadata or {}),
                created_at=ex.created_at,
            )

    def count_examples(self, dataset_id: str) -> int:
        return self._call(self.client.read_dataset, dataset_id=dataset_id).example_count or 0

    # -- projects -----------------------------------------------------------------------------
    def list_projects(self) -> Iterator[Project]:
        for p in self._iterate(lambda: self.client.list_projects()):
            yield Project(id=str(p.id), name=p.name)

    def get_project(self, name_or_id: str) -> Project:
        if _is_uuid(name_or_id):
            try:
                p = self._call(self.client.read_project, project_id=name_or_id)
                return Project(id=str(p.id), name=p.name)
            except errors.NotFound:
                pass
        found = next(self._iterate(lambda: self.client.list_projects(name=name_or_id)), None)
        if found is not None:
            return Project(id=str(found.id), name=found.name)
        names = [p.name for p in self.list_projects()]
        raise errors.NotFound("Project", name_or_id, difflib.get_close_matches(name_or_id, names, n=3))

    # -- rules --------------------------------------------------------------------------------
    # Listing uses GET /api/v2/runs/rules (cursor pages, filtered on the server); v1 is deprecated
    # (removal 2027-04-01) and used only where v2 answers 404 (an older self-hosted server).
    _RULES_PAGE = 100

    def _name_lookup(self) -> Callable[[str, str], str | None]:
        """Dataset / project names a rule payload lacks, looked up once per listing."""
        cache: dict[tuple[str, str], str | None] = {}

        def lookup(kind: str, obj_id: str) -> str | None:
            if (kind, obj_id) not in cache:
                try:
                    if kind == "dataset":
                        cache[kind, obj_id] = self._call(self.client.read_dataset, dataset_id=obj_id).name
                    else:
                        cache[kind, obj_id] = self._call(self.client.read_project, project_id=obj_id).name
                except errors.NotFound:
                    cache[kind, obj_id] = None
            return cache[kind, obj_id]

        return lookup

    def _raw_rules(self, **filters: Any) -> Iterator[dict]:
        """Rule payloads matching `filters` (v2 names: name_contains, dataset_id, project_id, id)."""
        if not self._rules_v1_only:
            params: dict[str, Any] = {k: v for k, v in filters.items() if v is not None}
            params["page_size"] = self._RULES_PAGE
            first = True
            while True:
                try:
                    page = self._request("GET", "/api/v2/runs/rules", params=params) or {}
                except errors.NotFound:
                    if not first:
                        raise
                    self._rules_v1_only = True
                    break
                first = False
                yield from page.get("items") or []
                cursor = page.get("next_cursor")
                if not cursor:
                    return
                params["cursor"] = cursor
        v1 = {("session_id" if k == "project_id" else k): v for k, v in filters.items() if v is not None}
        yield from self._request("GET", "/runs/rules", params=v1 or None) or []

    def list_rules(self, name: str | None = None) -> list[Rule]:
        lookup = self._name_lookup()
        rules = [rule_from_payload(raw, lookup, _parse_time) for raw in self._raw_rules(name_contains=name)]
        return [r for r in rules if r.name == name] if name else rules

    def get_rule(self, rule_id: str) -> Rule:
        if not _is_uuid(rule_id):  # the server answers 422 for a malformed id
            raise errors.NotFound("Rule", rule_id)
        for raw in self._raw_rules(id=[rule_id]):
            if str(raw.get("id")) == rule_id:
                return rule_from_payload(raw, self._name_lookup(), _parse_time)
        raise errors.NotFound("Rule", rule_id)

    def create_rule(self, spec: RuleSpec) -> Rule:
        raw = self._request("POST", "/runs/rules", json=create_body(spec))
        return rule_from_payload(raw, self._name_lookup(), _parse_time)

    def update_rule(self, rule_id: str, spec: RuleSpec, base: Rule | None = None) -> Rule:
        """Full-replace PATCH built from the rule's own settings (`base`, read now if not given):
        only the code and what `spec` changes differ; filters, side actions and the rest are kept."""
        current = base if base is not None else self.get_rule(rule_id)
        body = replace_body(current, spec)
        try:
            raw = self._request("PATCH", f"/runs/rules/{rule_id}", json=body)
        except errors.NotFound:
            raise errors.NotFound("Rule", rule_id) from None
        except errors.InvalidInput as exc:
            if "HTTP 409" in str(exc):
                raise errors.InvalidInput(
                    f"Rule {current.name!r} was changed by someone else since evaltui read it "
                    "(HTTP 409); nothing was replaced. Run the command again to see the new version."
                ) from None
            raise
        return rule_from_payload(raw, self._name_lookup(), _parse_time)

    def delete_rule(self, rule_id: str) -> None:
        if not _is_uuid(rule_id):
            raise errors.NotFound("Rule", rule_id)
        try:
            self._request("DELETE", f"/runs/rules/{rule_id}")
        except errors.NotFound:
            raise errors.NotFound("Rule", rule_id) from None

    # -- workspace evaluators ------------------------------------------------------------------
    def list_workspace_evaluators(self) -> list[WorkspaceEvaluator]:
        """GET /api/v1/platform/evaluators, every offset page (the server caps `limit` at 100)."""
        found: list[WorkspaceEvaluator] = []
        offset = 0
        while True:
            page = self._request(
                "GET", "/api/v1/platform/evaluators", params={"limit": 100, "offset": offset}
            ) or {}
            items = page.get("evaluators") or []
            found += [evaluator_from_payload(raw, _parse_time) for raw in items]
            offset += len(items)
            if not items or offset >= int(page.get("total") or 0):
                return found

    # -- experiments ----------------------------------------------------------------------------
    # The runner uploads LangSmith experiments through aevaluate itself; create_experiment /
    # record_results / finish_experiment exist for callers that produced results elsewhere.
    def _experiment(self, p: Any) -> Experiment:
        metadata = dict((p.extra or {}).get("metadata") or {})
        status = metadata.get("evaltui_status") or ("done" if p.end_time else "running")
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
                    trace_id=run_id,
                    session_id=result.experiment_id,
                    start_time=now,
                    stop_after_attempt=2,
                )

    def finish_experiment(self, experiment_id: str, status: str) -> None:
        """Set the experiment's end time and record the status in its metadata (merged, so
        what the SDK wrote there is kept)."""
        project = self._call(self.client.read_project, project_id=experiment_id)
        metadata = dict((getattr(project, "extra", None) or {}).get("metadata") or {})
        metadata["evaltui_status"] = status
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
        if _is_uuid(name_or_id):
            try:
                p = self._call(self.client.read_project, project_id=name_or_id, include_stats=True)
                if p.reference_dataset_id:
                    return self._experiment(p)
            except errors.NotFound:
                pass
        found = next(self._iterate(lambda: self.client.list_projects(name=name_or_id, include_stats=True)), None)
        if found is not None and found.reference_dataset_id:
            return self._experiment(found)
        names = [e.name for e in self.list_experiments()]
        raise errors.NotFound("Experiment", name_or_id, difflib.get_close_matches(name_or_id, names, n=3))

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
        if example_ids:
            for ex in self._iterate(lambda: self.client.list_examples(example_ids=example_ids)):
                references[str(ex.id)] = dict(ex.outputs or {})
        results = []
        for run in runs:
            start, end = _parse_time(run.get("start_time")), _parse_time(run.get("end_time"))
            example_id = str(run.get("reference_example_id") or "")
            scores = tuple(
                Score(
                    key=fb.get("key", ""),
                    score=fb.get("score"),
                    comment=fb.get("comment"),
                    error=_feedback_error(fb),
                )
                for fb in feedback.get(str(run["id"]), [])
            )
            results.append(
                ExperimentResult(
                    experiment_id=experiment_id,
                    example_id=example_id,
                    inputs=dict(run.get("inputs") or {}),
                    outputs=run.get("outputs"),
                    reference_outputs=references.get(example_id, {}),
                    error=_first_line(run.get("error")),
                    scores=scores,
                    latency_ms=(end - start).total_seconds() * 1000 if start and end else None,
                )
            )
        return results

    def close(self) -> None:
        if self._tracing_client is not None:
            try:
                self._tracing_client.flush()
                self._tracing_client.session.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
            self._tracing_client = None
        if self._client is not None:
            try:
                self._client.session.close()
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
            self._client = None


def _feedback_error(fb: dict) -> str | None:
    """The error of a feedback as read back: `extra.error` / `extra.error_message` (the read
    schema has no top-level `error`; older evaltui wrote the message as the comment)."""
    extra = fb.get("extra") or {}
    if not (extra.get("error") or fb.get("error")):
        return None
    return extra.get("error_message") or fb.get("comment") or "evaluator error"


def _first_line(error: str | None) -> str | None:
    """The SDK stores `repr(exc)` plus a traceback; the first line is what a user needs."""
    if not error:
        return error
    return error.strip().splitlines()[0]
