"""Load the target of an experiment: the function whose outputs the evaluators score.

A target spec is `path/to/file.py:function`, `package.module:function`, or `demo` (the demo
agent that answers the seeded demo datasets). Sync and async functions are both accepted; the
loaded target is always an async callable `(inputs: dict) -> dict`, as `aevaluate` requires.
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import inspect
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui.backend.core.errors import EvaltuiError

DEMO_TARGET = "demo"

AsyncTarget = Callable[[dict], Awaitable[dict]]


class TargetLoadError(EvaltuiError):
    """The target could not be loaded: bad spec, missing file/module/function, import error."""

    exit_code = 2


@dataclass(frozen=True)
class LoadedTarget:
    spec: str  # what to store so the experiment can be retried later
    name: str
    fn: AsyncTarget
    is_async: bool


def load_target(target: str | Callable[..., Any]) -> LoadedTarget:
    """Resolve a target spec (or an already-imported callable) into an async `(inputs) -> dict`."""
    if callable(target):
        name = getattr(target, "__name__", type(target).__name__)
        module = getattr(target, "__module__", None)
        spec = f"{module}:{name}" if module and module != "__main__" else name
        return _wrap(target, spec=spec, name=name)
    if not isinstance(target, str) or not target.strip():
        raise TargetLoadError("The target is empty: give `file.py:function`, `module:function` or `demo`.")
    text = target.strip()
    if text == DEMO_TARGET:
        from tui.backend import demo_agent

        fn = getattr(demo_agent, "arun_agent", None) or demo_agent.run_agent
        return _wrap(fn, spec=DEMO_TARGET, name="demo_agent")
    if ":" not in text:
        raise TargetLoadError(
            f"Target {text!r} must look like `path/to/file.py:function` or `package.module:function`."
        )
    where, _, func_name = text.rpartition(":")
    if not where or not func_name.isidentifier():
        raise TargetLoadError(
            f"Target {text!r} must look like `path/to/file.py:function` or `package.module:function`."
        )
    if where.endswith(".py") or "/" in where or "\\" in where:
        module = _import_file(Path(where).expanduser(), text)
    else:
        module = _import_module(where, text)
    fn = getattr(module, func_name, None)
    if fn is None:
        available = sorted(
            n for n, v in vars(module).items() if inspect.isfunction(v) and not n.startswith("_")
        )
        hint = f" Functions there: {', '.join(available)}." if available else ""
        raise TargetLoadError(f"Target function {func_name!r} was not found in {where}.{hint}")
    if not callable(fn):
        raise TargetLoadError(f"Target {text!r} is not a function (it is a {type(fn).__name__}).")
    return _wrap(fn, spec=text, name=func_name)


def _import_file(path: Path, spec_text: str):
    if not path.exists():
        raise TargetLoadError(f"Target file {str(path)!r} does not exist (from target {spec_text!r}).")
    if not path.is_file():
        raise TargetLoadError(f"Target path {str(path)!r} is not a file.")
    module_name = f"evaltui_target_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise TargetLoadError(f"Target file {str(path)!r} cannot be imported as Python.")
    module = importlib.util.module_from_spec(spec)
    # Let the target import its sibling modules, as it would when run as a script.
    folder = str(path.resolve().parent)
    added = folder not in sys.path
    if added:
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise TargetLoadError(
            f"Target file {str(path)!r} has a syntax error at line {exc.lineno}: {exc.msg}."
        ) from None
    except Exception as exc:  # noqa: BLE001 - any import-time failure is the user's to see
        raise TargetLoadError(
            f"Importing target file {str(path)!r} failed: {type(exc).__name__}: {exc}"
        ) from None
    finally:
        if added:
            try:
                sys.path.remove(folder)
            except ValueError:
                pass
    return module


def _import_module(name: str, spec_text: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise TargetLoadError(
            f"Target module {name!r} could not be imported ({exc.msg}); from target {spec_text!r}."
        ) from None
    except Exception as exc:  # noqa: BLE001
        raise TargetLoadError(
            f"Importing target module {name!r} failed: {type(exc).__name__}: {exc}"
        ) from None


def _wrap(fn: Callable[..., Any], *, spec: str, name: str) -> LoadedTarget:
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - an object with an async __call__
    )
    if is_async:

        async def call(inputs: dict) -> dict:
            return _as_output(await fn(inputs))

    else:

        async def call(inputs: dict) -> dict:
            # Sync user code may block (network, sleep): keep it off the event loop.
            return _as_output(await asyncio.to_thread(fn, inputs))

    # Only the name: a `__wrapped__` would make the SDK inspect the user's signature, not ours.
    call.__name__ = call.__qualname__ = name
    return LoadedTarget(spec=spec, name=name, fn=call, is_async=is_async)


def _as_output(value: Any) -> dict:
    """Targets may return anything; evaluators and storage want a dict of outputs."""
    if isinstance(value, dict):
        return value
    return {"output": value}
