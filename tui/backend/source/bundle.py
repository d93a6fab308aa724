"""Turn one evaluator function into the self-contained code of a LangSmith code rule.

LangSmith runs a function named `perform_eval(run, example)` synchronously, in a sandbox with the
standard library plus numpy, pandas, jsonschema, scipy and scikit-learn, and no network access
(docs.langchain.com/langsmith/code-evaluator). The bundle is:

- the module-level statements the function needs (`tui.backend.source.slice.compute_slice`),
  copied as written (comments inside them kept) and in file order, with helpers imported from
  local files (`from ._helpers import x`, a sibling module) inlined;
- the function as `perform_eval`, or under its own name with a `perform_eval` adapter
  (`tui.backend.source.entry_point`).

The text depends only on the file's content and the function name, so bundles diff cleanly.
"""

from __future__ import annotations

import ast
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tui.backend.core.errors import EvaluatorLoadError
from tui.backend.source.ast_names import bound_names, first_line, imported_modules, is_import, is_llm_module, walk
from tui.backend.source.entry_point import ENTRY_POINT, HELPER_PREFIX, adapter, renames_to_entry_point
from tui.backend.source.local_modules import resolve_local_module
from tui.backend.source.parse import ParsedFile, find_function, parse_evaluator_file, require_signature
from tui.backend.source.slice import ModuleSlice, compute_slice, is_future_import, slice_for_names

SANDBOX_PACKAGES = ("numpy", "pandas", "jsonschema", "scipy", "sklearn")
# Standard-library modules that only make sense with network or process access.
_NETWORK_STDLIB = frozenset(
    {"socket", "ssl", "http", "urllib", "ftplib", "smtplib", "imaplib", "poplib", "xmlrpc",
     "subprocess", "multiprocessing", "webbrowser", "telnetlib"}
)


@dataclass(frozen=True)
class Bundle:
    code: str
    warnings: list[str] = field(default_factory=list)


def bundle_for_upload(path: str | Path, function: str) -> Bundle:
    """Build the code uploaded for `function` in `path` (see module docstring). Never executes it."""
    parsed = parse_evaluator_file(path)
    node = find_function(parsed, function)
    signature = require_signature(parsed, node)
    slc = compute_slice(parsed, node)
    is_async = isinstance(node, ast.AsyncFunctionDef)
    rename = renames_to_entry_point(node, signature)
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
        code += "\n\n" + adapter(node, signature, is_async)
    return Bundle(
        code=code.rstrip("\n") + "\n",
        warnings=_warnings(parsed, node.name, pieces, unresolved, is_async),
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
        if is_future_import(inner):
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
        if not is_import(piece.node) and piece.origin is not parsed:
            theirs.update(dict.fromkeys(bound_names(piece.node), piece.text))
    ours = set().union(*(s.defines for s in parsed.stmts if s.node in slc.statements and s.node is not stmt))
    if ours & set(theirs):
        return True
    earlier = {
        name: piece.text
        for piece in so_far
        if not is_import(piece.node) and piece.origin is not parsed
        for name in bound_names(piece.node)
    }
    return any(name in earlier and earlier[name] != text for name, text in theirs.items())


def _dedupe(pieces: list[_Piece]) -> list[_Piece]:
    """The same statement inlined twice (two imports of one helper module) is kept once."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for piece in pieces:
        key = (str(piece.origin.path), piece.text) if not is_import(piece.node) else ("", piece.text)
        if key not in seen:
            seen.add(key)
            kept.append(piece)
    return kept


# ---------------------------------------------------------------------------- source assembly


def _statement_source(parsed: ParsedFile, stmt: ast.stmt, *, rename_target: bool) -> str:
    start, end = first_line(stmt), stmt.end_lineno or stmt.lineno
    shares_line = stmt.col_offset != 0 or any(
        other is not stmt and (first_line(other) == end or (other.end_lineno or other.lineno) == start)
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
            same_kind = is_import(stmt) == is_import(prev)
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
            "(it is Method 1, async, or its parameters are not `run, example`), and the adapter must be "
            f"called {ENTRY_POINT}: give the "
            "function another name."
        )
    clashing = sorted(n for n in defined if n.startswith(HELPER_PREFIX))
    if clashing and not rename:
        raise EvaluatorLoadError(
            f"{parsed.path} defines {', '.join(clashing)}: names starting with {HELPER_PREFIX!r} are "
            "reserved for the code evaltui adds to the upload; rename them."
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
            (n for n in walk(piece.node) if isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in optional),
            key=lambda n: (n.lineno, n.col_offset),
        )
        for node in imports:
            where = f"line {node.lineno}" if piece.origin is parsed else f"{piece.origin.path.name} line {node.lineno}"
            for module, level in imported_modules(node):
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
    for node in walk(stmt):
        if isinstance(node, ast.Try) and any(_catches_import_error(h) for h in node.handlers):
            for inner in node.body:
                found += [n for n in walk(inner) if isinstance(n, (ast.Import, ast.ImportFrom))]
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
    if is_llm_module(module):
        message += (
            " It is an LLM client and code evaluators have no network access: create an "
            "LLM-as-judge evaluator in LangSmith for this one, or run it locally."
        )
    return message
