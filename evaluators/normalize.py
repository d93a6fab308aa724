"""Turn any evaluator function into one well-behaved callable that returns a list of results.

An evaluator may be written in either of the seed's shapes:

* Method 1 — ``fn(inputs, outputs, reference_outputs)`` returning ``{"key", "score", "comment"}``;
* Method 2 — ``fn(run, example)`` returning ``{"<metric>": score, "comment": ...}``;

sync or async. :func:`normalize` wraps it so that every call returns ``list[dict]`` of
``{"key", "score", "comment"}`` and *never raises*: exceptions, timeouts and unusable return
values become error results ``{"key": <name>, "score": None, "comment": msg, "error": msg}``
whose message names the evaluator and shows what went wrong.

Accepted return values (see :func:`normalize_result`):

* ``{"key": k, "score": s, "comment": c}`` — one result (Method 1);
* ``{"<metric>": s, "comment": c}`` — one result per numeric/bool metric entry (Method 2);
* ``{"score": s, ...}`` without a key — keyed by the evaluator's name (as the LangSmith SDK does);
* ``{"results": [...]}`` — several results, each in one of the shapes above;
* a bare bool / int / float — keyed by the evaluator's name;
* a ``langsmith`` ``EvaluationResult`` object (anything with ``.key`` and ``.score``).

Everything else — ``None``, a string, a list, a dict without a score, a NaN/inf or non-numeric
score — is an error result. Bool scores stay bool; comments longer than
:data:`MAX_COMMENT_CHARS` are truncated.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import math
import threading
from collections.abc import Callable, Mapping
from typing import Any, Literal

from ._scope import evaluating

Signature = Literal["method1", "method2"]

MAX_COMMENT_CHARS = 10_000
"""Comments (and error messages) longer than this are cut, so one evaluator can't flood a table."""

_REPR_CHARS = 200
_METHOD1_PARAMS = ("inputs", "outputs", "reference_outputs")
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


# --------------------------------------------------------------------------- signatures


def signature_of(fn: Callable) -> Signature:
    """Classify `fn` as ``"method1"`` (inputs/outputs/reference_outputs) or ``"method2"`` (run, example).

    Raises ``TypeError`` with a clear message for anything else.
    """
    if not callable(fn):
        raise TypeError(f"{_short_repr(fn)} is not callable, so it cannot be an evaluator.")
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"Cannot read the signature of {_fn_name(fn)!r}: {exc}.") from exc
    params = [p for p in sig.parameters.values() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)]
    names = [p.name for p in params]
    required = [p for p in params if p.default is inspect.Parameter.empty]
    if names and set(names) <= set(_METHOD1_PARAMS):
        return "method1"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if len(required) <= 2 <= len(positional) and all(p in positional for p in required):
        return "method2"
    raise TypeError(
        f"Evaluator {_fn_name(fn)!r} has the signature {_fn_name(fn)}{sig}; expected Method 1 "
        "(inputs, outputs, reference_outputs) or Method 2 (run, example)."
    )


def _fn_name(fn: Any) -> str:
    name = getattr(fn, "__name__", None)
    if name is None and isinstance(fn, functools.partial):
        name = getattr(fn.func, "__name__", None)
    return name or type(fn).__name__


def _is_async_callable(fn: Any) -> bool:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))  # noqa: B004 - async __call__


# --------------------------------------------------------------------------- the wrapper


def _as_dict(value: Any) -> dict:
    return dict(value) if isinstance(value, Mapping) else {}


def _section(d: Mapping, field: str) -> Any:
    value = d.get(field)
    return {} if value is None else value


class NormalizedEvaluator:
    """A wrapped evaluator; call ``await ne(run, example)`` or ``ne.score_sync(run, example)``.

    `run` and `example` are dicts with ``"inputs"`` and ``"outputs"`` (missing or ``None``
    sections are passed to the evaluator as ``{}``). Results are always a non-empty list.
    """

    def __init__(self, fn: Callable, *, name: str | None = None, timeout: float | None = None):
        self.fn = fn
        self.signature: Signature = signature_of(fn)
        self.is_async: bool = _is_async_callable(fn)
        self.name: str = name or _fn_name(fn)
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive, got {timeout!r}")
        self.timeout = timeout
        if self.signature == "method1":
            self._wanted = tuple(inspect.signature(fn).parameters)

    def __repr__(self) -> str:
        return f"<NormalizedEvaluator {self.name} {self.signature}{' async' if self.is_async else ''}>"

    # -- building the call ------------------------------------------------------

    def _call(self, run: Mapping, example: Mapping) -> Any:
        run = run if isinstance(run, Mapping) else {}
        example = example if isinstance(example, Mapping) else {}
        if self.signature == "method2":
            run_d = {**run, "inputs": _section(run, "inputs"), "outputs": _section(run, "outputs")}
            ex_d = {**example, "inputs": _section(example, "inputs"), "outputs": _section(example, "outputs")}
            return _invoke(self.fn, run_d, ex_d)
        inputs = example.get("inputs")
        if inputs is None:
            inputs = run.get("inputs")
        available = {
            "inputs": {} if inputs is None else inputs,
            "outputs": _section(run, "outputs"),
            "reference_outputs": _section(example, "outputs"),
        }
        return _invoke(self.fn, **{k: available[k] for k in self._wanted if k in available})

    def _raised(self, exc: BaseException) -> list[dict]:
        return [error_result(self.name, f"Evaluator {self.name!r} raised {type(exc).__name__}: {exc}")]

    def _timed_out(self) -> list[dict]:
        return [error_result(self.name, f"Evaluator {self.name!r} timed out after {self.timeout:g}s.")]

    # -- async path ---------------------------------------------------------------

    async def __call__(self, run: Mapping, example: Mapping) -> list[dict]:
        if not self.is_async and self.timeout is None:
            # Fast path: plain sync evaluator called inline, no thread hop.
            try:
                value = self._call(run, example)
                if inspect.isawaitable(value):
                    value = await value
            except Exception as exc:
                return self._raised(exc)
            return normalize_result(value, self.name)
        try:
            if self.is_async:
                coro = self._await_call(run, example)
                value = await (coro if self.timeout is None else asyncio.wait_for(coro, self.timeout))
            else:
                value = await _run_in_daemon_thread(lambda: self._call(run, example), self.timeout)
                if inspect.isawaitable(value):
                    value = await asyncio.wait_for(_await(value), self.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            return self._timed_out()
        except Exception as exc:
            return self._raised(exc)
        return normalize_result(value, self.name)

    async def _await_call(self, run: Mapping, example: Mapping) -> Any:
        value = self._call(run, example)
        return await value if inspect.isawaitable(value) else value

    # -- sync path ----------------------------------------------------------------

    def score_sync(self, run: Mapping, example: Mapping) -> list[dict]:
        """Same as ``await self(run, example)``, from synchronous code (also inside a running loop)."""
        if self.is_async:
            return _run_coroutine_blocking(lambda: self(run, example))
        if self.timeout is None:
            try:
                value = self._call(run, example)
                if inspect.isawaitable(value):
                    value = _run_coroutine_blocking(lambda: _await(value))
            except Exception as exc:
                return self._raised(exc)
            return normalize_result(value, self.name)
        box: dict[str, Any] = {}
        done = threading.Event()

        def work() -> None:
            try:
                box["value"] = self._call(run, example)
            except BaseException as exc:  # noqa: BLE001 - reported, not swallowed
                box["error"] = exc
            finally:
                done.set()

        threading.Thread(target=work, name=f"evaluator-{self.name}", daemon=True).start()
        if not done.wait(self.timeout):
            return self._timed_out()
        if "error" in box:
            exc = box["error"]
            if not isinstance(exc, Exception):
                raise exc
            return self._raised(exc)
        value = box["value"]
        if inspect.isawaitable(value):
            return _run_coroutine_blocking(lambda: self._finish_awaitable(value))
        return normalize_result(value, self.name)

    async def _finish_awaitable(self, value: Any) -> list[dict]:
        try:
            value = await asyncio.wait_for(_await(value), self.timeout)
        except (asyncio.TimeoutError, TimeoutError):
            return self._timed_out()
        except Exception as exc:
            return self._raised(exc)
        return normalize_result(value, self.name)

    # -- LangSmith SDK adapter --------------------------------------------------------

    def as_langsmith_evaluator(self) -> Callable:
        """An async ``(run, example)`` evaluator for ``langsmith.aevaluate(evaluators=[...])``.

        It converts the SDK's ``Run``/``Example`` objects to dicts, calls this evaluator and returns
        ``{"results": [...]}`` so the SDK never sees a raw Method-2 dict, and errors become results
        (``score=None``, the message as comment, ``extra={"error": True}``) rather than vanishing.
        """
        ne = self

        async def evaluator(run, example):  # the SDK binds by these parameter names
            results = await ne(_run_to_dict(run), _example_to_dict(example))
            return {"results": [_to_sdk_result(r) for r in results]}

        evaluator.__name__ = self.name
        evaluator.__qualname__ = self.name
        return evaluator


def _to_sdk_result(result: dict) -> dict:
    out = {"key": result["key"], "score": result["score"], "comment": result.get("comment")}
    if result.get("error"):
        out["extra"] = {"error": True}
    return out


def _run_to_dict(run: Any) -> dict:
    if isinstance(run, Mapping):
        return dict(run)
    return {
        "id": str(getattr(run, "id", "") or ""),
        "name": getattr(run, "name", None),
        "inputs": getattr(run, "inputs", None) or {},
        "outputs": getattr(run, "outputs", None) or {},
        "error": getattr(run, "error", None),
    }


def _example_to_dict(example: Any) -> dict:
    if example is None:
        return {"inputs": {}, "outputs": {}}
    if isinstance(example, Mapping):
        return dict(example)
    return {
        "id": str(getattr(example, "id", "") or ""),
        "inputs": getattr(example, "inputs", None) or {},
        "outputs": getattr(example, "outputs", None) or {},
        "metadata": getattr(example, "metadata", None) or {},
    }


# --------------------------------------------------------------------------- threads & loops


async def _await(awaitable: Any) -> Any:
    return await awaitable


def _invoke(fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Call the user's evaluator inside the evaluator scope (and await it there if async)."""
    token = evaluating.set(True)
    try:
        value = fn(*args, **kwargs)
    finally:
        evaluating.reset(token)
    return _in_scope(value) if inspect.isawaitable(value) else value


async def _in_scope(awaitable: Any) -> Any:
    token = evaluating.set(True)
    try:
        return await awaitable
    finally:
        evaluating.reset(token)


async def _run_in_daemon_thread(fn: Callable[[], Any], timeout: float | None) -> Any:
    """Run `fn` in its own daemon thread and await it with a timeout.

    Not the loop's default executor: a hung evaluator would keep that pool (and
    ``asyncio.run``'s shutdown) waiting forever, while a daemon thread is simply abandoned.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future = loop.create_future()

    def settle(ok: bool, payload: Any) -> None:
        if future.done():
            return
        if ok:
            future.set_result(payload)
        else:
            future.set_exception(payload)

    def work() -> None:
        try:
            value = fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
            ok, payload = False, exc
        else:
            ok, payload = True, value
        try:
            loop.call_soon_threadsafe(settle, ok, payload)
        except RuntimeError:  # loop closed after a timeout: nobody is waiting any more
            pass

    threading.Thread(target=work, name="evaluator", daemon=True).start()
    return await asyncio.wait_for(future, timeout)


def _run_coroutine_blocking(make_coro: Callable[[], Any]) -> Any:
    """Run a coroutine to completion from sync code, even when called inside a running loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make_coro())
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = asyncio.run(make_coro())
        except BaseException as exc:  # noqa: BLE001
            box["error"] = exc

    thread = threading.Thread(target=work, name="evaluator-loop", daemon=True)
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]


def normalize(fn: Callable, *, name: str | None = None, timeout: float | None = None) -> NormalizedEvaluator:
    """Wrap `fn` (Method 1 or 2, sync or async) as a :class:`NormalizedEvaluator`.

    `name` defaults to the function's ``__name__``; it keys error results. With `timeout`
    (seconds) a slow evaluator gives a "timed out" error result; without one, sync
    evaluators run inline on the caller's thread (fast), async ones on the caller's loop.
    An already-normalized evaluator is re-wrapped from its original function.
    """
    if isinstance(fn, NormalizedEvaluator):
        fn = fn.fn
    return NormalizedEvaluator(fn, name=name, timeout=timeout)
