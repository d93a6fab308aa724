"""Turn any evaluator function into one well-behaved callable that returns a list of results.

An evaluator may be written in either of the seed's shapes (the rule: :mod:`evaluators.signature`):

* Method 1 — ``fn(inputs, outputs, reference_outputs)`` returning ``{"key", "score", "comment"}``;
* Method 2 — ``fn(run, example)`` returning ``{"<metric>": score, "comment": ...}``;

sync or async. :func:`normalize` wraps it so that every call returns ``list[dict]`` of
``{"key", "score", "comment"}`` and *never raises*: exceptions, timeouts and unusable return
values become error results ``{"key": <name>, "score": None, "comment": msg, "error": msg}``
whose message names the evaluator and shows what went wrong. Which return values are usable is
:mod:`evaluators.results`' concern.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from collections.abc import Callable, Mapping
from typing import Any

from ._scope import evaluating
from .results import error_result, normalize_result
from .signature import Signature, callable_name, signature_of


def _is_async_callable(fn: Any) -> bool:
    while isinstance(fn, functools.partial):
        fn = fn.func
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(getattr(fn, "__call__", None))  # noqa: B004 - async __call__


# --------------------------------------------------------------------------- the wrapper


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
        self.name: str = name or callable_name(fn)
        #: who its scores say gave them (kept with each score, so two evaluators writing one key
        #: stay apart); the caller may set a fuller one, e.g. `rule:NAME`
        self.source: str = self.name
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
        if self.is_async:
            return await self._scored(self._await_call(run, example), self.timeout)
        return await self._scored(self._call_in_thread(run, example), None)  # each step has its timeout

    async def _await_call(self, run: Mapping, example: Mapping) -> Any:
        value = self._call(run, example)
        return await value if inspect.isawaitable(value) else value

    async def _call_in_thread(self, run: Mapping, example: Mapping) -> Any:
        value = await _run_in_daemon_thread(lambda: self._call(run, example), self.timeout)
        if inspect.isawaitable(value):
            value = await asyncio.wait_for(_await(value), self.timeout)
        return value

    async def _scored(self, awaitable: Any, timeout: float | None) -> list[dict]:
        """Await the evaluator's value: a timeout or an exception becomes an error result."""
        try:
            value = await (awaitable if timeout is None else asyncio.wait_for(awaitable, timeout))
        except (asyncio.TimeoutError, TimeoutError):
            return self._timed_out()
        except Exception as exc:
            return self._raised(exc)
        return normalize_result(value, self.name)

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
            return _run_coroutine_blocking(lambda: self._scored(_await(value), self.timeout))
        return normalize_result(value, self.name)


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
