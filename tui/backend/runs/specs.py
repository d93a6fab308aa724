"""Evaluator specs -> normalized evaluators: callables, `evaluators.NormalizedEvaluator`s,
`path/to/file.py:function` and `package.module:function`. (`rule:NAME` specs name a workspace
rule and `workspace:NAME` a workspace evaluator; `rules_local` turns them into evaluators.)"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from tui.backend.core import errors

EvaluatorSpec = Any  # a callable, an evaluators.NormalizedEvaluator, or "file.py:fn" / "module:fn"

RULE_PREFIX = "rule:"
WORKSPACE_PREFIX = "workspace:"


def load_evaluators(specs: Sequence[EvaluatorSpec], timeout: float | None = None) -> list:
    """Turn callables, NormalizedEvaluators and `file.py:fn` / `module:fn` specs into normalized evaluators."""
    _fresh_openai_clients()
    from evaluators import NormalizedEvaluator, normalize

    loaded = []
    for spec in specs:
        if isinstance(spec, NormalizedEvaluator):
            loaded.append(normalize(spec.fn, name=spec.name, timeout=timeout or spec.timeout))
            loaded[-1].source = spec.source
        elif isinstance(spec, str):
            fn, name = _load_evaluator_spec(spec)
            loaded.append(_normalize_or_fail(fn, name, timeout, spec))
        elif callable(spec):
            loaded.append(_normalize_or_fail(spec, None, timeout, getattr(spec, "__name__", repr(spec))))
        else:
            raise errors.InvalidInput(f"Evaluator {spec!r} is not a function or a `file.py:function` spec.")
    return loaded


def is_rule_spec(spec: EvaluatorSpec) -> bool:
    """A spec naming something stored in the workspace: `rule:NAME` or `workspace:NAME`."""
    return isinstance(spec, str) and spec.strip().startswith((RULE_PREFIX, WORKSPACE_PREFIX))


def spec_label(spec: EvaluatorSpec) -> str:
    """How an evaluator is named in the experiment's metadata (and found again by a retry)."""
    if isinstance(spec, str):
        return spec.strip()
    fn = getattr(spec, "fn", spec)
    module, name = getattr(fn, "__module__", None), getattr(fn, "__name__", None)
    return f"{module}:{name}" if module and name else repr(spec)


def _normalize_or_fail(fn: Callable, name: str | None, timeout: float | None, label: str):
    from evaluators import normalize

    try:
        return normalize(fn, name=name, timeout=timeout)
    except (TypeError, ValueError) as exc:
        raise errors.EvaluatorLoadError(f"Evaluator {label!r} cannot be used: {exc}") from None


def _load_evaluator_spec(spec: str) -> tuple[Callable, str]:
    text = spec.strip()
    where, _, func = text.rpartition(":")
    if not where or not func.isidentifier():
        raise errors.EvaluatorLoadError(
            f"Evaluator {text!r} must look like `path/to/file.py:function` or `package.module:function`."
        )
    if where.endswith(".py") or "/" in where or "\\" in where:
        from tui.backend.source.loader import load_evaluator

        loaded = load_evaluator(Path(where).expanduser(), func)
        return loaded.fn, loaded.name
    try:
        module = importlib.import_module(where)
    except Exception as exc:  # noqa: BLE001 - shown to the user as a load error
        raise errors.EvaluatorLoadError(
            f"Evaluator module {where!r} could not be imported: {type(exc).__name__}: {exc}"
        ) from None
    fn = getattr(module, func, None)
    if fn is None or not callable(fn):
        raise errors.EvaluatorLoadError(f"Evaluator function {func!r} was not found in module {where!r}.")
    return fn, func


def _fresh_openai_clients() -> None:
    """langchain_openai shares one async HTTP client per (base URL, timeout) process-wide, so a
    judge a user's file builds at import time would reuse connections of the previous run's
    closed event loop ("Event loop is closed"). Each load of evaluators gets new clients."""
    client_utils = sys.modules.get("langchain_openai.chat_models._client_utils")  # not imported: nothing cached
    cached = getattr(client_utils, "_cached_async_httpx_client", None)
    if cached is not None and hasattr(cached, "cache_clear"):
        cached.cache_clear()
