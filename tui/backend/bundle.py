"""Turn one evaluator function into the self-contained code of a LangSmith code rule.

LangSmith runs a function named `perform_eval(run, example)` synchronously, in a sandbox with the
standard library plus numpy, pandas, jsonschema, scipy and scikit-learn, and no network access
(docs.langchain.com/langsmith/code-evaluator). The bundle is:

- the module-level statements the function needs (`tui.backend.loader.compute_slice`), copied as
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

from tui.backend.errors import EvaluatorLoadError
from tui.backend.loader import (
    ModuleSlice,
    ParsedFile,
    _first_line,
    _imported_modules,
    _is_llm_module,
    compute_slice,
    find_function,
    parse_evaluator_file,
    require_signature,
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

    parts = [_statement_source(parsed, stmt, rename_target=rename and stmt is node) for stmt in slc.statements]
    if rename and node.name != ENTRY_POINT and slc.target_referenced:
        # Recursion or helpers still call the function by its own name.
        index = slc.statements.index(node)
        parts[index] += f"\n\n{node.name} = {ENTRY_POINT}\n"
    blocks = _join(slc.statements, parts)
    if not rename:
        blocks += "\n\n" + _adapter(node, signature, is_async)
    return Bundle(
        code=blocks.rstrip("\n") + "\n",
        warnings=_warnings(parsed, slc, is_async),
        function_source=parsed.statement_text(node),
    )


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


def _warnings(parsed: ParsedFile, slc: ModuleSlice, is_async: bool) -> list[str]:
    name = slc.target.name
    warnings: list[str] = []
    if is_async:
        warnings.append(
            f"{name} is async: LangSmith code rules call {ENTRY_POINT} synchronously, so the bundle "
            "runs it with asyncio.run()."
        )
    seen: set[str] = set()
    optional = {id(n) for stmt in slc.statements for n in _optional_imports(stmt)}
    imports = sorted(
        (node for stmt in slc.statements for node in ast.walk(stmt) if isinstance(node, (ast.Import, ast.ImportFrom))),
        key=lambda n: (n.lineno, n.col_offset),
    )
    for node in imports:
        if id(node) in optional:
            continue  # `try: import x / except ImportError:` works without it
        for module, level in _imported_modules(node):
            message = _import_warning(name, module, level, node.lineno)
            key = module if level == 0 else f"{'.' * level}{module}"
            if message and key not in seen:
                seen.add(key)
                warnings.append(message)
    for missing in slc.unresolved:
        warnings.append(
            f"{name} uses {missing!r}, which is not defined in {parsed.path.name}; it will raise "
            "NameError in LangSmith."
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


def _import_warning(function: str, module: str, level: int, line: int) -> str | None:
    if level:
        return (
            f"{function} uses a relative import (line {line}), which cannot work in a LangSmith code "
            "rule: copy what it needs into the file."
        )
    top = module.split(".")[0]
    if top == "__future__" or top in SANDBOX_PACKAGES:
        return None
    if top in sys.stdlib_module_names:
        if top in _NETWORK_STDLIB:
            return (
                f"{function} imports {module} (line {line}), but LangSmith code evaluators have no "
                "network or process access."
            )
        return None
    message = (
        f"{function} imports {module} (line {line}), which LangSmith code evaluators cannot use: they "
        "have only the standard library, numpy, pandas, jsonschema, scipy and scikit-learn."
    )
    if _is_llm_module(module):
        message += (
            " It is an LLM client and code evaluators have no network access: create an "
            "LLM-as-judge evaluator in LangSmith for this one, or run it locally."
        )
    return message
