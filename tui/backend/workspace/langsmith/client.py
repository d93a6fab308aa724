"""The SDK clients of a LangSmith workspace and the one place their failures become evaltui errors.

`LangSmithSession` holds the connection settings, builds the `langsmith.Client`s lazily (the SDK
costs about a second to import), retries 429/5xx answers and refused connections through urllib3,
and translates every SDK / HTTP failure into a `tui.backend.core.errors` exception whose message
is a sentence for the user and never contains the API key.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from tui.backend.core import errors
from tui.backend.workspace.langsmith.http_errors import http_status, request_path, response_detail, timed_out
from tui.backend.workspace.langsmith.values import is_uuid

if TYPE_CHECKING:  # pragma: no cover
    import langsmith

T = TypeVar("T")

_RETRY_STATUSES = (408, 425, 429, 500, 502, 503, 504)


class LangSmithSession:
    """Connection settings, SDK clients and error translation. Synchronous; call from worker threads.

    `retries` and `backoff` tune the urllib3 retry of 429/5xx answers and refused connections;
    read timeouts are not retried (a POST that timed out may have been applied).
    """

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
        self._experiment_names: dict[str, str] = {}  # experiment id -> project name, for record_results
        self._rules_v1_only = False  # set when the server has no /api/v2/runs/rules

    # -- the SDK clients ---------------------------------------------------------------------
    @property
    def client(self) -> langsmith.Client:
        if self._client is None:
            self._client = self._new_client(auto_batch_tracing=False)
        return self._client

    def tracing_client(self) -> langsmith.Client:
        """A second client for experiment uploads, with the SDK's background batcher on.

        With the batcher off, a run upload that fails after its retries raises inside the SDK's
        traceable wrapper and `aevaluate` then stops the whole experiment. Batched, a failed upload
        is only logged; the runner finds what is missing afterwards (`missing_uploads`).
        """
        if self._tracing_client is None:
            self._tracing_client = self._new_client(auto_batch_tracing=True)
        return self._tracing_client

    def _new_client(self, *, auto_batch_tracing: bool) -> langsmith.Client:
        from langsmith import Client

        return Client(
            api_url=self.endpoint,
            api_key=self.api_key,
            workspace_id=self.workspace_id,
            retry_config=self._retry_config(),
            timeout_ms=int(self.timeout_s * 1000),
            auto_batch_tracing=auto_batch_tracing,
        )

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

    # -- calls and error translation ---------------------------------------------------------
    def _translate(self, exc: BaseException) -> errors.EvaltuiError:
        """Map an SDK / requests exception to a user-facing error. Never uses the SDK's text
        verbatim for auth or connection errors (it contains a masked key and internals)."""
        import requests
        from langsmith import utils as ls_utils

        if isinstance(exc, errors.EvaltuiError):
            return exc
        if isinstance(exc, (requests.Timeout, ls_utils.LangSmithRequestTimeout)) or timed_out(exc):
            return errors.ConnectionFailed(
                f"LangSmith at {self.endpoint} did not answer within {self.timeout_s:g} s; "
                "try again later or check LANGSMITH_ENDPOINT."
            )
        status = http_status(exc)
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
            return errors.NotFound("LangSmith resource", request_path(exc) or "(unknown)")
        detail = self._scrub(response_detail(exc))
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

    def _find(
        self,
        kind: str,
        name_or_id: str,
        read_by_id: Callable[[], T],
        list_by_name: Callable[[], Iterable[T]],
        all_names: Callable[[], Iterable[str]],
        usable: Callable[[T], Any] = lambda found: True,
    ) -> T:
        """The object whose id is `name_or_id` (when that is a UUID), else the first one so named;
        NotFound with close names otherwise. `usable` rejects what is not of `kind`."""
        if is_uuid(name_or_id):
            try:
                found = self._call(read_by_id)
                if usable(found):
                    return found
            except errors.NotFound:
                pass
        first = next(self._iterate(list_by_name), None)
        if first is not None and usable(first):
            return first
        raise errors.NotFound(kind, name_or_id, difflib.get_close_matches(name_or_id, list(all_names()), n=3))

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._call(self.client.request_with_retries, method, path, **kwargs)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            return None
