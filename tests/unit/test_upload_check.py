"""Upload verification waits for asynchronous ingestion and tells 'pending' from 'lost' (issue 10, item 3)."""

from __future__ import annotations

import logging

from tui.backend.runs.upload_check import SendFailures, UploadCheck, upload_sentence, wait_for_uploads


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _visible_after(clock: Clock, seconds: float, expected: list[str]):
    def find_missing():
        return {"runs": [] if clock.now >= seconds else list(expected), "scores": []}
    return find_missing


def test_results_that_arrive_late_are_verified_after_polling_with_backoff():
    clock = Clock()
    waits = []
    check = wait_for_uploads(_visible_after(clock, 3.0, ["a", "b"]), 2, limit_s=60, send_failed=lambda: False,
                             on_wait=lambda *a: waits.append(a), clock=clock, sleep=clock.sleep)
    assert check.status == "verified" and check.missing_runs == []
    assert clock.sleeps[:4] == [0.25, 0.5, 1.0, 2.0]  # backoff, not one read
    assert waits[0] == (0, 2, 0.0, 60)


def test_not_visible_by_the_deadline_without_a_failed_send_is_pending_not_lost():
    clock = Clock()
    check = wait_for_uploads(_visible_after(clock, 1e9, ["a"]), 1, limit_s=10, send_failed=lambda: False,
                             clock=clock, sleep=clock.sleep)
    assert check.status == "pending" and check.missing_runs == ["a"]
    assert 10 <= clock.now <= 10.01  # bounded wait
    assert check.as_counts()["upload_pending_runs"] == ["a"]
    assert "upload_missing_runs" not in check.as_counts()
    assert "still being ingested" in upload_sentence(check.as_counts())


def test_a_failed_send_and_results_that_never_come_is_missing_and_ends_early():
    clock = Clock()
    check = wait_for_uploads(_visible_after(clock, 1e9, ["a"]), 1, limit_s=60, send_failed=lambda: True,
                             clock=clock, sleep=clock.sleep)
    assert check.status == "missing" and check.as_counts()["upload_missing_runs"] == ["a"]
    assert clock.now < 5  # three unchanged looks, not the whole minute
    assert "lost" in upload_sentence(check.as_counts())


def test_send_failures_counts_the_sdks_ingest_warnings_only_while_installed():
    log = logging.getLogger("langsmith.client")
    with SendFailures() as failures:
        log.warning("Failed to multipart ingest runs: boom")
        log.warning("something else")
    log.warning("Failed to batch ingest runs: after")
    assert failures.count == 1


def test_unverified_sentence_carries_the_reason():
    counts = UploadCheck("unverified", reason="Could not check the uploaded results: HTTP 500").as_counts()
    assert upload_sentence(counts) == "Could not check the uploaded results: HTTP 500"
    assert upload_sentence(UploadCheck("verified").as_counts()) == ""
