"""What an evaluator returned, turned into ``[{"key", "score", "comment"}, ...]``: never raises.

Accepted return values (see :func:`normalize_result`):

* ``{"key": k, "score": s, "comment": c}`` — one result (Method 1);
* ``{"<metric>": s, "comment": c}`` — one result per numeric/bool metric entry (Method 2);
* ``{"score": s, ...}`` without a key — keyed by the evaluator's name (as the LangSmith SDK does);
* ``{"results": [...]}`` — several results, each in one of the shapes above;
* a bare bool / int / float — keyed by the evaluator's name;
* a ``langsmith`` ``EvaluationResult`` object (anything with ``.key`` and ``.score``).

Everything else — ``None``, a string, a list, a dict without a score, a NaN/inf or non-numeric
score — is an error result ``{"key": <name>, "score": None, "comment": msg, "error": msg}``.
Bool scores stay bool; comments longer than :data:`MAX_COMMENT_CHARS` are truncated.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

MAX_COMMENT_CHARS = 10_000
"""Comments (and error messages) longer than this are cut, so one evaluator can't flood a table."""

_REPR_CHARS = 200
_NON_METRIC_KEYS = frozenset({"comment", "key", "reasoning", "explanation", "value", "correction",
                              "evaluator_info", "feedback_config", "source_run_id", "target_run_id",
                              "extra", "error"})


# --------------------------------------------------------------------------- helpers


def _short_repr(value: Any, limit: int = _REPR_CHARS) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a broken __repr__ must not break error reporting
        text = f"<unrepresentable {type(value).__name__}: {type(exc).__name__}>"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def _truncate(text: str, limit: int = MAX_COMMENT_CHARS) -> str:
    if len(text) <= limit:
        return text
    marker = f"… [truncated, {len(text) - limit:,} more characters]"
    return text[:limit] + marker


def _comment_of(value: Any) -> str | None:
    if value is None:
        return None
    return _truncate(value if isinstance(value, str) else str(value))


def error_result(name: str, message: str) -> dict:
    """An error result for evaluator `name`: score ``None``, the message in both comment and error."""
    message = _truncate(message)
    return {"key": name, "score": None, "comment": message, "error": message}


def _score_problem(score: Any) -> str | None:
    """Why `score` is not usable, or None when it is (bool, int or finite float)."""
    if isinstance(score, bool):
        return None
    if isinstance(score, (int, float)):
        if isinstance(score, float) and not math.isfinite(score):
            return f"a score of {score!r}, which is not a finite number"
        return None
    if score is None:
        return "no score (score is None)"
    return f"a score of {_short_repr(score)} ({type(score).__name__}), which is not a number or bool"


def _is_score(value: Any) -> bool:
    return isinstance(value, (bool, int, float))


def _coerce_number(score: Any) -> bool | int | float:
    # numpy scalars and friends: keep bool as bool, everything else as a plain Python number.
    if isinstance(score, bool) or type(score) in (int, float):
        return score
    if isinstance(score, int):
        return int(score)
    return float(score)


_SHAPE_HINT = "expected {'key': ..., 'score': <number|bool>, 'comment': ...} or {'<metric>': <number|bool>, 'comment': ...}"


def _bad_return(name: str, value: Any, why: str | None = None) -> dict:
    what = f"{why} in {_short_repr(value)}" if why else _short_repr(value)
    return error_result(
        name,
        f"Evaluator {name!r} returned {what}, which is not a usable score ({_SHAPE_HINT}).",
    )


# --------------------------------------------------------------------------- results


def _one_keyed(item: Mapping, name: str, whole: Any) -> dict:
    key = item.get("key")
    if not isinstance(key, str) or not key.strip():
        return _bad_return(name, whole, f"a key of {_short_repr(key)}")
    if "score" not in item:
        return _bad_return(name, whole, "no 'score'")
    score = item["score"]
    problem = _score_problem(score)
    if problem:
        return _bad_return(name, whole, problem)
    return {"key": key, "score": _coerce_number(score), "comment": _comment_of(item.get("comment"))}


def _from_dict(value: Mapping, name: str) -> list[dict]:
    if "key" in value:
        return [_one_keyed(value, name, value)]
    if "score" in value:  # no key: the SDK keys it by the evaluator's name; so do we
        return [_one_keyed({**value, "key": name}, name, value)]
    comment = _comment_of(value.get("comment"))
    metrics = [(k, v) for k, v in value.items() if isinstance(k, str) and k not in _NON_METRIC_KEYS]
    scored = [(k, v) for k, v in metrics if _is_score(v)]
    if not scored:
        if len(metrics) == 1:  # one metric with a bad value: say exactly what is wrong with it
            return [_bad_return(name, value, _score_problem(metrics[0][1]))]
        return [_bad_return(name, value, "no numeric or bool score")]
    results = []
    for key, score in scored:
        problem = _score_problem(score)
        results.append(_bad_return(name, value, problem) if problem
                       else {"key": key, "score": _coerce_number(score), "comment": comment})
    return results


def _looks_like_evaluation_result(value: Any) -> bool:
    return hasattr(value, "key") and hasattr(value, "score") and not isinstance(value, Mapping)


def normalize_result(value: Any, name: str) -> list[dict]:
    """Convert whatever an evaluator returned into ``[{"key", "score", "comment"}, ...]``.

    Unusable values become one error result (see module docs). Never raises.
    """
    try:
        if isinstance(value, bool) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
            problem = _score_problem(value)
            return [_bad_return(name, value, problem)] if problem else [
                {"key": name, "score": _coerce_number(value), "comment": None}]
        if _looks_like_evaluation_result(value):
            return [_one_keyed({"key": value.key, "score": value.score,
                                "comment": getattr(value, "comment", None)}, name, value)]
        if isinstance(value, Mapping):
            if "results" in value:
                items = value["results"]
                if not isinstance(items, (list, tuple)) or not items:
                    return [_bad_return(name, value, "an empty or non-list 'results'")]
                out: list[dict] = []
                for item in items:
                    if _looks_like_evaluation_result(item):
                        out.extend(normalize_result(item, name))
                    elif isinstance(item, Mapping) and "results" not in item:
                        out.extend(_from_dict(item, name))
                    else:
                        out.append(_bad_return(name, value, f"the item {_short_repr(item, 80)}"))
                return out
            if not value:
                return [_bad_return(name, value, "an empty dict")]
            return _from_dict(value, name)
        return [_bad_return(name, value)]
    except Exception as exc:  # pathological objects (raising __eq__, properties, ...)
        return [error_result(name, f"Evaluator {name!r} returned a value that could not be read "
                                   f"({type(exc).__name__}: {exc}).")]
