"""Load one evaluator function from a user's file, executing only the module code it needs.

`load_evaluator` parses the file (`tui.backend.source.parse`), checks the function's signature
(the one rule, `evaluators.signature`), computes its slice (`tui.backend.source.slice`) and runs
just that in a fresh module, so `print("boom")`, file writes or `raise SystemExit` elsewhere in
the file never run. An error in the code that does run names the line it failed at.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import re
import sys
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluators.signature import Signature
from tui.backend.core.errors import EvaluatorLoadError
from tui.backend.source.local_modules import package_context
from tui.backend.source.parse import ParsedFile, find_function, parse_evaluator_file, require_signature
from tui.backend.source.slice import ModuleSlice, compute_slice


@dataclass(frozen=True)
class LoadedEvaluator:
    path: Path
    name: str
    fn: Callable[..., Any]
    signature: Signature
    is_async: bool
    source: str


def load_evaluator(path: str | Path, function: str) -> LoadedEvaluator:
    """Load `function` from `path`, executing only the module code it needs."""
    parsed = parse_evaluator_file(path)
    node = find_function(parsed, function)
    signature = require_signature(parsed, node)
    slc = compute_slice(parsed, node)
    module = _exec_slice(parsed, slc)
    fn = module.__dict__.get(function)
    if not callable(fn):
        raise EvaluatorLoadError(
            f"{function!r} in {parsed.path} is not callable after loading (got {type(fn).__name__})."
        )
    return LoadedEvaluator(
        path=parsed.path,
        name=function,
        fn=fn,
        signature=signature,
        is_async=isinstance(node, ast.AsyncFunctionDef) or inspect.iscoroutinefunction(fn),
        source=parsed.statement_text(node),
    )


def module_name_for(path: Path, function: str) -> str:
    """A stable, unique module name per (file, function): reloading replaces the previous module."""
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:10]
    stem = re.sub(r"\W", "_", path.stem)
    return f"_evaltui_evaluator_{stem}_{function}_{digest}"


def _exec_slice(parsed: ParsedFile, slc: ModuleSlice) -> types.ModuleType:
    # dont_inherit: this file's own `from __future__ import annotations` must not leak into user code.
    module_ast = ast.Module(body=list(slc.statements), type_ignores=[])
    code = compile(module_ast, str(parsed.path), "exec", dont_inherit=True)
    name = module_name_for(parsed.path, slc.target.name)
    module = types.ModuleType(name)
    module.__file__ = str(parsed.path)
    package, package_root = package_context(parsed.path)
    module.__package__ = package  # so `from ._helpers import x` works for files inside a package
    # Registered before running, like importlib does: dataclasses, TypedDict, pickle and
    # inspect look the module up by name.
    sys.modules[name] = module
    # Sibling imports (`from my_helpers import x`) work as with `python file.py`.
    added = [str(p) for p in dict.fromkeys([parsed.path.resolve().parent, package_root]) if str(p) not in sys.path]
    sys.path[:0] = added
    try:
        exec(code, module.__dict__)
    except KeyboardInterrupt:
        sys.modules.pop(name, None)
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit from user code too
        sys.modules.pop(name, None)
        raise EvaluatorLoadError(_exec_error_message(parsed, slc, exc)) from exc
    finally:
        for folder in added:
            try:
                sys.path.remove(folder)
            except ValueError:
                pass
    return module


def _exec_error_message(parsed: ParsedFile, slc: ModuleSlice, exc: BaseException) -> str:
    line = None
    for frame, lineno in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename == str(parsed.path):
            line = lineno  # the innermost line of the user's file
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    where = ""
    if line is not None:
        code = parsed.lines[line - 1].strip() if line <= len(parsed.lines) else ""
        where = f" at line {line}" + (f" (`{code}`)" if code else "")
    end = "" if text.endswith((".", "!", "?")) else "."
    return (
        f"{parsed.path}:{line or '?'}: the module-level code that {slc.target.name!r} needs failed"
        f"{where} with {text}{end}"
    )
