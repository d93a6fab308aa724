"""What one module-level statement binds, reads and changes, read off its AST.

The slice (`tui.backend.source.slice`) is built from these facts, the bundle
(`tui.backend.source.bundle`) uses them to spot clashing names and imports, and the listing
(`tui.backend.source.discovery`) to tell an LLM judge. Nothing here executes user code.
"""

from __future__ import annotations

import ast
import symtable


def walk(node: ast.AST) -> list[ast.AST]:
    """`ast.walk(node)` as a list, kept on the node: parsed files are cached (`parse`), and a plan
    of many rules asks the same function's nodes several questions (imports, judge calls, names)."""
    nodes = node.__dict__.get("_evaltui_walk")
    if nodes is None:
        nodes = node.__dict__["_evaltui_walk"] = list(ast.walk(node))
    return nodes


STAR = "*"
"""The name a `from x import *` binds: everything, for all we can tell without importing."""

# Top-level packages (or dotted prefixes) of LLM clients: a function using one is an LLM judge.
LLM_CLIENT_MODULES = frozenset(
    {
        "openai", "anthropic", "litellm", "mistralai", "cohere", "groq", "ollama", "together",
        "google.generativeai", "google.genai", "openevals", "langchain.chat_models",
        "langchain_core.language_models", "langchain_openai", "langchain_anthropic",
        "langchain_google_genai", "langchain_google_vertexai", "langchain_aws",
        "langchain_mistralai", "langchain_groq", "langchain_ollama", "langchain_fireworks",
        "langchain_together", "langchain_cohere", "langchain_deepseek", "langchain_xai",
    }
)
# Method calls that, in an evaluator, nearly always mean "ask a model".
LLM_CALL_ATTRS = frozenset({"ainvoke", "invoke", "with_structured_output", "abatch"})

ScopeTables = dict[tuple[str, int], symtable.SymbolTable]


def first_line(node: ast.stmt) -> int:
    """The statement's first line, decorators included."""
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])


def is_import(node: ast.AST) -> bool:
    return isinstance(node, (ast.Import, ast.ImportFrom))


def imported_modules(node: ast.Import | ast.ImportFrom) -> list[tuple[str, int]]:
    """(dotted module, level) pairs an import statement loads; level > 0 means relative."""
    if isinstance(node, ast.Import):
        return [(alias.name, 0) for alias in node.names]
    return [(node.module or "", node.level)]


def is_llm_module(module: str) -> bool:
    """Is `module` (or a package it lives in) an LLM client?"""
    parts = module.split(".")
    return any(".".join(parts[:i]) in LLM_CLIENT_MODULES for i in range(1, len(parts) + 1))


def bound_names(node: ast.stmt) -> set[str]:
    """Names a top-level statement binds in the module namespace."""
    names: set[str] = set()

    def visit(n: ast.AST) -> None:
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(n.name)
            return  # its body is another scope
        if isinstance(n, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(n, (ast.Import, ast.ImportFrom)):
            for alias in n.names:
                names.add(STAR if alias.name == "*" else alias.asname or alias.name.split(".")[0])
            return
        if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
            names.add(n.id)
        elif isinstance(n, ast.ExceptHandler) and n.name:
            names.add(n.name)
        elif isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
            names.add(n.name)
        elif isinstance(n, ast.MatchMapping) and n.rest:
            names.add(n.rest)
        for child in ast.iter_child_nodes(n):
            visit(child)

    visit(node)
    return names


def scope_tables(text: str, filename: str) -> ScopeTables:
    """The symbol tables of the module's top-level functions and classes, by (name, line)."""
    top = symtable.symtable(text, filename, "exec")
    return {(t.get_name(), t.get_lineno()): t for t in top.get_children()}


def used_names(node: ast.stmt, tables: ScopeTables) -> set[str]:
    """Module-level names a statement reads, now (module level) or later (function bodies)."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        kind = "class" if isinstance(node, ast.ClassDef) else "function"
        table = tables.get((node.name, node.lineno))
        if table is not None and table.get_type() == kind:
            names = _globals_read(table)
            for expr in _evaluated_at_definition(node):
                names |= _loads(expr)
            # Annotations: evaluated at definition time, or later by get_type_hints()
            # (TypedDict/dataclass under `from __future__ import annotations`): keep their names.
            for sub in walk(node):
                for annotation in _annotations(sub):
                    names |= _loads(annotation)
            return names
    names = _loads(node)
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        names.add(node.target.id)
    return names


def mutated_roots(node: ast.stmt) -> set[str]:
    """Names whose object the statement changes without rebinding (`X.add(1)`, `X[k] = v`)."""
    targets: list[ast.AST] = []
    if isinstance(node, ast.Assign):
        targets = list(node.targets)
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    elif isinstance(node, ast.Delete):
        targets = list(node.targets)
    elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        targets = [node.value.func]
    roots = set()
    for t in targets:
        if isinstance(t, (ast.Attribute, ast.Subscript)):
            root = _root_name(t)
            if root:
                roots.add(root)
    return roots


def _globals_read(table: symtable.SymbolTable) -> set[str]:
    names = {s.get_name() for s in table.get_symbols() if s.is_global() and s.is_referenced()}
    for child in table.get_children():
        names |= _globals_read(child)
    return names


def _evaluated_at_definition(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> list[ast.AST]:
    exprs: list[ast.AST] = list(node.decorator_list)
    if isinstance(node, ast.ClassDef):
        exprs += node.bases + [k.value for k in node.keywords]
    else:
        exprs += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
    return exprs


def _annotations(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.arg) and node.annotation is not None:
        return [node.annotation]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns is not None:
        return [node.returns]
    if isinstance(node, ast.AnnAssign):
        return [node.annotation]
    return []


def _loads(node: ast.AST) -> set[str]:
    return {n.id for n in walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
