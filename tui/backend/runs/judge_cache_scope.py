"""A run's use of $EVALTUI_HOME's judge cache: turned on or off for the run, hits and misses counted."""

from __future__ import annotations

from typing import Any

from evaluators import judge_cache


def use_judge_cache(on: bool) -> tuple[Any, dict[str, int]]:
    """Install the judge cache and turn it on or off for this run's context.

    Returns the context token (for `judge_cache.caching.reset`) and the cache's counts before the run.
    """
    from tui.backend.core.config import evaltui_home

    cache = judge_cache.install(evaltui_home() / "judge-cache.sqlite3")
    return judge_cache.caching.set(on), cache.stats()


def reset_judge_cache(token: Any) -> None:
    judge_cache.caching.reset(token)


def judge_cache_delta(before: dict[str, int]) -> dict[str, int] | None:
    """Hits and misses during the run (None when no judge looked the cache up)."""
    from langchain_core.globals import get_llm_cache

    cache = get_llm_cache()
    if not isinstance(cache, judge_cache.JudgeCache):
        return None
    now = cache.stats()
    delta = {k: now[k] - before.get(k, 0) for k in now}
    return delta if any(delta.values()) else None
