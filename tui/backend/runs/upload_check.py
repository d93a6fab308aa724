"""Did an experiment's results reach LangSmith? Ingestion is asynchronous, so ask more than once.

LangSmith accepts runs and feedback (HTTP 202) and makes them readable later; the SDK's own
integration tests poll for up to 30-120 s. So "not visible yet" is not "lost": we poll with
backoff within a bounded wait, and call a result lost only when the SDK reported a failed send
(its background batcher logs "Failed to ... ingest ...") and the result never showed up.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

UploadStatus = Literal["verified", "pending", "missing", "unverified"]

#: Sentences per status, for the CLI and the runner pane.
STATUS_TEXT = {
    "verified": "all results are on LangSmith",
    "pending": "still being ingested by LangSmith (accepted, not readable yet)",
    "missing": "some results were lost on the way to LangSmith",
    "unverified": "the upload could not be checked",
}


@dataclass(frozen=True)
class UploadCheck:
    status: UploadStatus
    missing_runs: list[str] = field(default_factory=list)  # example ids
    missing_scores: list[str] = field(default_factory=list)  # "<example id>:<key>"
    waited_s: float = 0.0
    reason: str | None = None  # why the check itself failed (status "unverified")

    def as_counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = {"upload_status": self.status, "upload_waited_s": round(self.waited_s, 1)}
        key = "upload_missing" if self.status == "missing" else "upload_pending"
        counts[f"{key}_runs"] = list(self.missing_runs)
        counts[f"{key}_scores"] = list(self.missing_scores)
        if self.reason:
            counts["upload_unverified"] = self.reason
        return counts


class SendFailures(logging.Handler):
    """Counts the SDK's "Failed to ... ingest" warnings while installed (a context manager)."""

    _LOGGERS = ("langsmith.client", "langsmith._internal._background_thread")

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0
        self._lock_count = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        message = str(record.msg)
        if message.startswith("Failed to") and "ingest" in message:
            with self._lock_count:
                self.count += 1

    def __enter__(self) -> SendFailures:
        for name in self._LOGGERS:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        for name in self._LOGGERS:
            logging.getLogger(name).removeHandler(self)


Missing = dict[str, list[str]]  # {"runs": [...], "scores": [...]}
OnWait = Callable[[int, int, float, float], None]  # (visible, expected, waited_s, limit_s)


def wait_for_uploads(
    find_missing: Callable[[], Missing],
    expected: int,
    *,
    limit_s: float,
    send_failed: Callable[[], bool],
    on_wait: OnWait | None = None,
    first_delay_s: float = 0.25,
    max_delay_s: float = 5.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> UploadCheck:
    """Poll `find_missing` until nothing is missing or `limit_s` has passed.

    Once the SDK has reported a failed send, three polls in a row that find the same results
    missing end the wait early: those results are not coming.
    """
    start = clock()
    delay = first_delay_s
    previous: tuple[int, int] | None = None
    unchanged = 0
    while True:
        missing = find_missing()
        runs, scores = missing["runs"], missing["scores"]
        waited = clock() - start
        if not runs and not scores:
            return UploadCheck("verified", waited_s=waited)
        shape = (len(runs), len(scores))
        unchanged = unchanged + 1 if shape == previous else 0
        previous = shape
        failed = send_failed()
        if waited >= limit_s or (failed and unchanged >= 2):
            return UploadCheck("missing" if failed else "pending", runs, scores, waited)
        if on_wait is not None:
            on_wait(expected - len(runs), expected, waited, limit_s)
        sleep(min(delay, max(0.0, limit_s - waited)))
        delay = min(delay * 2, max_delay_s)


def upload_sentence(counts: dict[str, Any]) -> str:
    """One line about the upload for a finished run's counts ('' when verified or not uploaded)."""
    status = counts.get("upload_status")
    if status in (None, "verified"):
        return ""
    if status == "unverified":
        return str(counts.get("upload_unverified") or STATUS_TEXT[status])
    key = "upload_missing" if status == "missing" else "upload_pending"
    runs, scores = counts.get(f"{key}_runs") or [], counts.get(f"{key}_scores") or []
    what = ", ".join(p for p in (_n(len(runs), "run"), _n(len(scores), "score")) if p)
    return f"{what} {STATUS_TEXT[status]}"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}" if count else ""
