"""What lies behind an SDK / requests exception: the HTTP status, the response's `detail`, the
request path, and whether a read timeout hides in a connection error. The SDK wraps
requests' and urllib3's errors in its own, so each helper walks the exception's cause chain."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc`, then the exceptions it was raised from or during, each once."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def http_status(exc: BaseException) -> int | None:
    """The HTTP status behind an SDK exception (the SDK raises its own errors from requests.HTTPError)."""
    for current in _chain(exc):
        status = getattr(getattr(current, "response", None), "status_code", None)
        if isinstance(status, int):
            return status
    match = re.search(r"\b([1-5]\d\d) (?:Client|Server) Error", str(exc))
    return int(match.group(1)) if match else None


def timed_out(exc: BaseException) -> bool:
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
    responses = (getattr(current, "response", None) for current in _chain(exc))
    return next((response for response in responses if response is not None), None)


def response_detail(exc: BaseException) -> str:
    response = _response_of(exc)
    if response is None:
        return ""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail) if detail else ""


def request_path(exc: BaseException) -> str:
    response = _response_of(exc)
    request = getattr(response, "request", None)
    return str(getattr(request, "path_url", "") or "").split("?", 1)[0]
