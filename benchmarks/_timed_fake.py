"""Shared by the LangSmith benchmarks (not a benchmark itself): the fake LangSmith, also noting
when each request arrived and was answered, and a one-line summary of the requests made."""

from __future__ import annotations

import collections
import re
import time

from tests.fakes.langsmith_server import FakeLangSmith

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def request_key(method: str, path: str) -> str:
    """`PATCH /sessions/{id}`: one key per route, whatever the ids and the /api/v1 prefix."""
    return f"{method} {_UUID.sub('{id}', path.removeprefix('/api/v1'))}"


class TimedFake(FakeLangSmith):
    """The fake, also noting when each request arrived and was answered (`timeline`)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timeline: list[tuple[float, float, str]] = []  # (start, end, "METHOD /path")

    def handle(self, req):
        start = time.perf_counter()
        try:
            return super().handle(req)
        finally:
            with self._lock:
                self.timeline.append((start, time.perf_counter(), request_key(req.method, req.path)))


def describe_requests(counter: collections.Counter) -> str:
    """`12 (10 GET /api/v2/runs/rules, 2 GET /info)`, most frequent first."""
    parts = ", ".join(f"{n} {what}" for what, n in sorted(counter.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{sum(counter.values())} ({parts})"
