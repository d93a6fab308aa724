"""Turn one evaluator function into the self-contained code of a LangSmith code rule.

LangSmith runs a function named `perform_eval(run, example)` synchronously, in a sandbox with the
standard library plus numpy, pandas, jsonschema, scipy and scikit-learn, and no network access
(docs.langchain.com/langsmith/code-evaluator). The bundle is:

- the module-level statements the function needs (`tui.backend.source.loader.compute_slice`), copied as
  written (comments inside them kept) and in file order;
- a sync Method-2 function renamed to `perform_eval` (plus `name = perform_eval` if something
  refers to it by its old name, e.g. recursion);
- otherwise (Method 1 and/or async) the function under its own name and a `perform_eval` adapter
  that maps `run`/`example` to its parameters, runs coroutines with `asyncio.run`, and reshapes a
  Method-1 result `{"key", "score", "comment"}` into the `{<key>: score, "comment": ...}` shape
  code rules return.

The text depends only on the file's content and the function name, so bundles diff cleanly.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tui.backend.core.errors import EvaluatorLoadError
from tui.backend.source.loader import (
    ModuleSlice,
    ParsedFile,
    _bound_names,
    _first_line,
    _imported_modules,
    _is_llm_module,
    compute_slice,
    find_function,
    parse_evaluator_file,
    require_signature,
    resolve_local_module,
    slice_for_names,
)

ENTRY_POINT = "perform_eval"
SANDBOX_PACKAGES = ("numpy", "pandas", "jsonschema", "scipy", "sklearn")
# Standard-library modules that only make sense with network or process access.
_NETWORK_STDLIB = frozenset(
    {"socket", "ssl", "http", "urllib", "ftplib", "smtplib", "imaplib", "poplib", "xmlrpc",
     "subprocess", "multiprocessing", "webbrowser", "telnetlib"}
)
_HELPER_PREFIX = "_evaltui_"


@dataclass(frozen=True)
class Bundle:
    code: str
    warnings: list[str] = field(default_factory=list)
    function_source: str = ""


def bundle_for_upload(path: str | Path, function: str) -> Bundle:
    """Build the code uploaded for `function` in `path` (see module docstring). Never executes it."""
    parsed = parse_evaluator_file(path)
    node = find_function(parsed, function)
    signature = require_signature(parsed, node)
    slc = compute_slice(parsed, node)
    is_async = isinstance(node, ast.AsyncFunctionDef)
    rename = signature == "method2" and not is_async
    _check_name_clashes(parsed, slc, rename)

    unresolved = [(name, parsed.path.name) for name in slc.unresolved]
    pieces: list[_Piece] = []
    for stmt in slc.statements:
        found: list[tuple[str, str]] = []
        inlined = _inline_local_import(parsed, stmt, {parsed.path.resolve()}, found)
        if inlined is not None and not _clashes(parsed, slc, stmt, inlined, pieces):
            pieces += inlined
            unresolved += found
            continue
        text = _statement_source(parsed, stmt, rename_target=rename and stmt is node)
        if rename and stmt is node and node.name != ENTRY_POINT and slc.target_referenced:
            text += f"\n\n{node.name} = {ENTRY_POINT}\n"  # recursion or helpers use the old name
        pieces.append(_Piece(stmt, text, parsed))
    pieces = _dedupe(pieces)

    code = _join([p.node for p in pieces], [p.text for p in pieces])
    if not rename:
        code += "\n\n" + _adapter(node, signature, is_async)
    return Bundle(
        code=code.rstrip("\n") + "\n",
        warnings=_warnings(parsed, node.name, pieces, unresolved, is_async),
        function_source=parsed.statement_text(node),
    )


@dataclass(frozen=True)
class _Piece:
    """One statement of the bundle and the file it was copied from."""

    node: ast.stmt
    text: str
    origin: ParsedFile


# ---------------------------------------------------------------------------- local imports


def _inline_local_import(
    parsed: ParsedFile, stmt: ast.stmt, visiting: set[Path], unresolved: list[tuple[str, str]]
) -> list[_Piece] | None:
    """Replace `from ._helpers import a, b as c` (or a sibling file) by the code of a and b.

    None when the statement is not such an import or cannot be inlined safely; the import is then
    kept and `_warnings` reports it.
    """
    if not isinstance(stmt, ast.ImportFrom) or any(a.name == "*" for a in stmt.names):
        return None
    module = stmt.module or ""
    if stmt.level == 0 and (module.split(".")[0] in sys.stdlib_module_names or not module):
        return None
    file = resolve_local_module(parsed.path, module, stmt.level)
    if file is None or (stmt.level == 0 and file.parent != parsed.path.resolve().parent):
        return None
    if file.resolve() in visiting:
        return None  # an import cycle: leave it to the warning
    try:
        source = parse_evaluator_file(file)
    except EvaluatorLoadError:
        return None
    names = {a.name for a in stmt.names}
    defined_there = set().union(*(s.defines for s in source.stmts)) if source.stmts else set()
    if not names <= defined_there:
        return None  # e.g. `from . import submodule`
    statements, missing = slice_for_names(source, names)
    unresolved += [(name, file.name) for name in missing]
    pieces: list[_Piece] = []
    for inner in statements:
        if isinstance(inner, ast.ImportFrom) and inner.module == "__future__":
            continue
        nested = _inline_local_import(source, inner, visiting | {file.resolve()}, unresolved)
        if nested is not None:
            pieces += nested
        else:
            pieces.append(_Piece(inner, _statement_source(source, inner, rename_target=False), source))
    for alias in stmt.names:
        if alias.asname and alias.asname != alias.name:
            line = f"{alias.asname} = {alias.name}\n"
            pieces.append(_Piece(ast.parse(line).body[0], line, parsed))
    return pieces


def _clashes(
    parsed: ParsedFile, slc: ModuleSlice, stmt: ast.stmt, inlined: list[_Piece], so_far: list[_Piece]
) -> bool:
    """Would the inlined helpers define a name the user's file (or other inlined code) defines differently?"""
    theirs: dict[str, str] = {}
    for piece in inlined:
        if not isinstance(piece.node, (ast.Import, ast.ImportFrom)) and piece.origin is not parsed:
            theirs.update(dict.fromkeys(_bound_names(piece.node), piece.text))
    ours = set().union(*(s.defines for s in parsed.stmts if s.node in slc.statements and s.node is not stmt))
    if ours & set(theirs):
        return True
    earlier = {
        name: piece.text
        for piece in so_far
        if not isinstance(piece.node, (ast.Import, ast.ImportFrom)) and piece.origin is not parsed
        for name in _bound_names(piece.node)
    }
    return any(name in earlier and earlier[name] != text for name, text in theirs.items())


def _dedupe(pieces: list[_Piece]) -> list[_Piece]:
    """The same statement inlined twice (two imports of one helper module) is kept once."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for piece in pieces:
        key = (str(piece.origin.path), piece.text) if not isinstance(piece.node, (ast.Import, ast.ImportFrom)) else ("", piece.text)
        if key not in seen:
            seen.add(key)
            kept.append(piece)
    return kept


# ---------------------------------------------------------------------------- source assembly


def _statement_source(parsed: ParsedFile, stmt: ast.stmt, *, rename_target: bool) -> str:
    start, end = _first_line(stmt), stmt.end_lineno or stmt.lineno
    shares_line = stmt.col_offset != 0 or any(
        other is not stmt and (_first_line(other) == end or (other.end_lineno or other.lineno) == start)
        for other in parsed.tree.body
    )
    if shares_line:  # `import os; import re`: copy just this statement
        text = ast.unparse(stmt)
        if rename_target:
            text = re.sub(rf"\bdef\s+{re.escape(stmt.name)}\b", f"def {ENTRY_POINT}", text, count=1)  # type: ignore[attr-defined]
        return text.rstrip() + "\n"
    lines = parsed.lines[start - 1 : end]
    if rename_target:
        def_index = stmt.lineno - start
        lines = list(lines)
        lines[def_index] = re.sub(
            rf"\bdef\s+{re.escape(stmt.name)}\b", f"def {ENTRY_POINT}", lines[def_index], count=1  # type: ignore[attr-defined]
        )
    comments = _leading_comments(parsed, start)
    text = "".join(comments + lines)
    return text.rstrip() + "\n"


def _leading_comments(parsed: ParsedFile, start: int) -> list[str]:
    """Comment lines directly above a statement (no blank line between): they describe it."""
    collected: list[str] = []
    i = start - 2
    while i >= 0:
        stripped = parsed.lines[i].strip()
        if not stripped.startswith("#") or stripped.startswith("#!") or re.match(r"#.*coding[:=]", stripped):
            break
        collected.insert(0, parsed.lines[i] if parsed.lines[i].endswith("\n") else parsed.lines[i] + "\n")
        i -= 1
    return collected


def _join(statements: tuple[ast.stmt, ...], parts: list[str]) -> str:
    """Consecutive simple statements stay together; definitions get two blank lines, like PEP 8."""
    out = ""
    for i, (stmt, part) in enumerate(zip(statements, parts)):
        if i:
            prev = statements[i - 1]
            compound = _is_definition(stmt) or _is_definition(prev)
            same_kind = isinstance(stmt, (ast.Import, ast.ImportFrom)) == isinstance(prev, (ast.Import, ast.ImportFrom))
            out += "\n\n" if compound else ("" if same_kind else "\n")
        out += part
    return out


def _is_definition(stmt: ast.stmt) -> bool:
    return isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or len(
        getattr(stmt, "body", []) or []
    ) > 0


def _check_name_clashes(parsed: ParsedFile, slc: ModuleSlice, rename: bool) -> None:
    target = slc.target.name
    defined = set()
    for stmt in parsed.stmts:
        if stmt.node in slc.statements and stmt.node is not slc.target:
            defined |= stmt.defines
    if ENTRY_POINT in defined:
        raise EvaluatorLoadError(
            f"{parsed.path} defines another {ENTRY_POINT!r} that {target!r} uses; LangSmith calls the "
            f"uploaded {ENTRY_POINT}, so rename that other one."
        )
    if target == ENTRY_POINT and not rename:
        raise EvaluatorLoadError(
            f"{ENTRY_POINT!r} in {parsed.path} needs an adapter to run as a LangSmith code rule "
            f"(it is Method 1 or async), and the adapter must be called {ENTRY_POINT}: give the "
            "function another name."
        )
    clashing = sorted(n for n in defined if n.startswith(_HELPER_PREFIX))
    if clashing and not rename:
        raise EvaluatorLoadError(
            f"{parsed.path} defines {', '.join(clashing)}: names starting with {_HELPER_PREFIX!r} are "
            "reserved for the code evaltui adds to the upload; rename them."
        )


# ---------------------------------------------------------------------------- adapter

_RESULT_HELPER = '''def _evaltui_method2_result(result, default_key):
    """Reshape a Method-1 result ({"key", "score", "comment"}) into {<key>: score, "comment": ...}."""
    if isinstance(result, dict) and isinstance(result.get("results"), list):
        merged, comments = {}, []
        for item in result["results"]:
            one = _evaltui_method2_result(item, default_key)
            comment = one.pop("comment", None) if isinstance(one, dict) else None
            if isinstance(one, dict):
                merged.update(one)
            if comment is not None:
                comments.append(f"{next(iter(one), default_key)}: {comment}")
        if comments:
            merged["comment"] = "; ".join(comments)
        return merged
    if isinstance(result, dict) and ("key" in result or "score" in result or "value" in result):
        key = str(result.get("key") or default_key)
        shaped = {key: result["score"] if "score" in result else result.get("value")}
        if result.get("comment") is not None:
            shaped["comment"] = result["comment"]
        return shaped
    if result is None or isinstance(result, (bool, int, float)):
        return {default_key: result}
    return result
'''

_RUN_SYNC_HELPER = '''def _evaltui_run_sync(awaitable):
    """Run a coroutine from synchronous code (LangSmith calls perform_eval synchronously)."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(awaitable)
    # Already inside an event loop: asyncio.run() would fail here, so use a worker thread.
    import concurrent.futures

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, awaitable).result()
'''


def _adapter(node: ast.FunctionDef | ast.AsyncFunctionDef, signature: str, is_async: bool) -> str:
    name = node.name
    if signature == "method2":
        call = f"{name}(run, example)"
        body = f"    return _evaltui_run_sync({call})\n"
        doc = f"LangSmith code-rule entry point: runs the async evaluator `{name}`."
        return _RUN_SYNC_HELPER + "\n\n" + f'def {ENTRY_POINT}(run, example):\n    """{doc}"""\n' + body

    declared = {a.arg for a in (*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs)}
    sources = {
        "inputs": 'run.get("inputs") or {}',
        "outputs": 'run.get("outputs") or {}',
        "reference_outputs": 'example.get("outputs") or {}',
    }
    kwargs = "".join(f"        {p}={src},\n" for p, src in sources.items() if p in declared)
    call = f"{name}(\n{kwargs}    )"
    if is_async:
        call = f"_evaltui_run_sync({call})"
    helpers = _RESULT_HELPER + ("\n\n" + _RUN_SYNC_HELPER if is_async else "")
    return (
        helpers
        + "\n\n"
        + f"def {ENTRY_POINT}(run, example):\n"
        + f'    """LangSmith code-rule entry point: calls the Method-1 evaluator `{name}`."""\n'
        + "    run = run or {}\n"
        + "    example = example or {}\n"
        + f"    result = {call}\n"
        + f"    return _evaltui_method2_result(result, {name!r})\n"
    )


# ---------------------------------------------------------------------------- warnings


def _warnings(
    parsed: ParsedFile, name: str, pieces: list[_Piece], unresolved: list[tuple[str, str]], is_async: bool
) -> list[str]:
    warnings: list[str] = []
    if is_async:
        warnings.append(
            f"{name} is async: LangSmith code rules call {ENTRY_POINT} synchronously, so the bundle "
            "runs it with asyncio.run()."
        )
    seen: set[str] = set()
    for piece in pieces:
        optional = {id(n) for n in _optional_imports(piece.node)}
        imports = sorted(
            (n for n in ast.walk(piece.node) if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in optional),
            key=lambda n: (n.lineno, n.col_offset),
        )
        for node in imports:
            where = f"line {node.lineno}" if piece.origin is parsed else f"{piece.origin.path.name} line {node.lineno}"
            for module, level in _imported_modules(node):
                message = _import_warning(name, module, level, where)
                key = module if level == 0 else f"{'.' * level}{module}"
                if message and key not in seen:
                    seen.add(key)
                    warnings.append(message)
    for missing, file_name in unresolved:
        warnings.append(
            f"{name} uses {missing!r}, which is not defined in {file_name}; it will raise NameError in LangSmith."
        )
    return warnings


def _optional_imports(stmt: ast.stmt) -> list[ast.Import | ast.ImportFrom]:
    """Imports inside a `try` whose handler catches ImportError (or broader)."""
    found = []
    for node in ast.walk(stmt):
        if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
            for inner in node.body:
                found += [n for n in ast.walk(inner) if isinstance(n, (ast.Import, ast.ImportFrom))]
    return found


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    names = {t.id for t in types if isinstance(t, ast.Name)}
    return bool(names & {"ImportError", "ModuleNotFoundError", "Exception", "BaseException"})


def _import_warning(function: str, module: str, level: int, where: str) -> str | None:
    if level:
        return (
            f"{function} uses a relative import ({where}) that evaltui could not inline (the module "
            "was not found, or its names clash with this file's): copy what it needs into the file."
        )
    top = module.split(".")[0]
    if top == "__future__" or top in SANDBOX_PACKAGES:
        return None
    if top in sys.stdlib_module_names:
        if top in _NETWORK_STDLIB:
            return (
                f"{function} imports {module} ({where}), but LangSmith code evaluators have no "
                "network or process access."
            )
        return None
    message = (
        f"{function} imports {module} ({where}), which LangSmith code evaluators cannot use: they "
        "have only the standard library, numpy, pandas, jsonschema, scipy and scikit-learn."
    )
    if _is_llm_module(module):
        message += (
            " It is an LLM client and code evaluators have no network access: create an "
            "LLM-as-judge evaluator in LangSmith for this one, or run it locally."
        )
    return message
