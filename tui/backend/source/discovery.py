"""Find the evaluator functions of a file or a folder by AST (nothing executed), and say whether
each matches the rule uploaded under its name."""

from __future__ import annotations

import ast
from pathlib import Path

from tui.backend.core.errors import EvaluatorLoadError
from tui.backend.core.models import Rule
from tui.backend.source.ast_names import LLM_CALL_ATTRS, first_line, imported_modules, is_import, is_llm_module
from tui.backend.source.bundle import bundle_for_upload
from tui.backend.source.functions import BrokenFile, FunctionInfo, LocalFunction, SyncState
from tui.backend.source.parse import parse_evaluator_file, signature_of_node
from tui.backend.source.rule_origin import pair_rules, without_origin
from tui.backend.source.slice import ModuleSlice, compute_slice


def list_functions(path: str | Path) -> list[FunctionInfo]:
    """Every top-level `def`/`async def` in the file, in order, by AST only (nothing is executed).

    Callers that want evaluators only can filter on `signature is not None`.
    """
    parsed = parse_evaluator_file(path)
    infos = []
    for node in parsed.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            infos.append(
                FunctionInfo(
                    name=node.name,
                    lineno=first_line(node),
                    end_lineno=node.end_lineno or node.lineno,
                    signature=signature_of_node(node),
                    is_async=isinstance(node, ast.AsyncFunctionDef),
                    is_judge=uses_llm(compute_slice(parsed, node)),
                    source=parsed.statement_text(node),
                )
            )
    return infos


def uses_llm(slc: ModuleSlice) -> bool:
    """Does the function (or what it needs) import an LLM client or call `.invoke`-like methods?"""
    for stmt in slc.statements:
        for node in ast.walk(stmt):
            if is_import(node):
                if any(is_llm_module(m) for m, _ in imported_modules(node)):  # type: ignore[arg-type]
                    return True
            elif isinstance(node, ast.Attribute) and node.attr in LLM_CALL_ATTRS:
                return True
    return False


def find_evaluators(directory: Path) -> tuple[list[tuple[Path, FunctionInfo]], list[str]]:
    """The evaluator functions of `directory/*.py` (by AST, nothing executed) and a message for
    each file that could not be read. Files and functions named `_…` are helpers, not evaluators."""
    found, broken = read_folder(directory)
    return found, [f.detail for f in broken]


def read_folder(directory: Path) -> tuple[list[tuple[Path, FunctionInfo]], list[BrokenFile]]:
    """`find_evaluators` with each file that cannot be read or parsed as a `BrokenFile`."""
    found: list[tuple[Path, FunctionInfo]] = []
    broken: list[BrokenFile] = []
    if not directory.is_dir():
        return found, broken
    for path in sorted(p for p in directory.glob("*.py") if not p.name.startswith("_")):
        try:
            infos = list_functions(path)
        except EvaluatorLoadError as err:
            broken.append(broken_file(path, err))
            continue
        found.extend((path, info) for info in infos
                     if info.signature is not None and not info.name.startswith("_"))
    return found, broken


def broken_file(path: Path, err: EvaluatorLoadError) -> BrokenFile:
    """The row of a file that did not parse: its error's line and a short message for the list."""
    cause = err.__cause__
    if isinstance(cause, SyntaxError) and cause.lineno:
        return BrokenFile.of(path, cause.msg, str(err), cause.lineno)
    if isinstance(cause, UnicodeDecodeError):
        line = cause.object.count(b"\n", 0, cause.start) + 1
        return BrokenFile.of(path, f"not {cause.encoding.upper()} text", str(err), line, is_syntax_error=False)
    short = str(err).removeprefix(f"{path}: ").removeprefix(f"{path} ").rstrip(".")
    return BrokenFile.of(path, short, str(err), is_syntax_error=isinstance(cause, (SyntaxError, ValueError)))


def scan_local_functions(directory: Path, rules: list[Rule]) -> tuple[list[LocalFunction], list[str]]:
    """Evaluator functions in `directory/*.py` (by AST) and whether each matches its uploaded rule;
    a file that cannot be parsed is one `BrokenFile` row, in its place, and one of the messages.

    Runs in a worker thread: it reads files and bundles code, but never executes the files.
    """
    found, broken = read_folder(directory)
    paired = pair_rules(((path, info.name) for path, info in found), rules)
    functions: list[LocalFunction] = [
        LocalFunction(**vars(info), path=path, sync=sync_state(path, info.name, paired.get((path, info.name))))
        for path, info in found
    ]
    functions.extend(broken)
    functions.sort(key=lambda f: str(f.path))  # stable: a file's functions keep their order
    return functions, [f.detail for f in broken]


def sync_state(path: Path, function: str, rule: Rule | None) -> SyncState:
    """Does the function's rule (by recorded origin, else by name: `rule_origin.pair_rules`) hold
    exactly the code an upload of it would send? The origin line itself is not compared."""
    if rule is None:
        return "not uploaded"
    if not rule.is_python:
        return "unknown"  # a JavaScript, LLM or actions-only rule: nothing to compare the file with
    try:
        code = bundle_for_upload(path, function).code
    except Exception:  # noqa: BLE001 - a file that cannot be bundled is shown as unknown
        return "unknown"
    return "in sync" if code.strip() == without_origin(rule.code).strip() else "changed"
