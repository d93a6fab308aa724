"""Find and load evaluator functions in user files without running unrelated module code.

A file is read and parsed once (`parse_evaluator_file`); `list_functions` works on the AST alone.
To load or bundle one function we compute its *slice*: the module-level statements it needs
(imports, constants, classes, helpers, transitively, in file order, plus `from __future__`
imports). `load_evaluator` executes only that slice in a fresh module, so `print("boom")`,
file writes or `raise SystemExit` elsewhere in the file never run. `tui.backend.source.bundle` turns the
same slice into the code uploaded as a LangSmith code rule.

Accepted signatures (decided to match what LangSmith code rules and the SDK do, but strictly):
- Method 1: parameters named `inputs`, `outputs`, `reference_outputs` (any subset with at least one
  of them; extra parameters need defaults). They are passed *by name*, like the SDK does.
- Method 2: the first two parameters are positional and named exactly `run, example` (extra
  parameters need defaults). Two positional parameters with other names, e.g. `(r, e)`, are
  refused: the SDK would guess, and a Method-1 function with misspelled names would then silently
  receive run/example objects, so we ask the user to rename them instead.
"""

from __future__ import annotations

import ast
import builtins
import difflib
import hashlib
import re
import symtable
import sys
import tokenize
import traceback
import types
from collections.abc import Callable
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path
from typing import Any, Literal

from tui.backend.core.errors import EvaluatorLoadError

Signature = Literal["method1", "method2"]
FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef

METHOD1_PARAMS = ("inputs", "outputs", "reference_outputs")
METHOD2_PARAMS = ("run", "example")
ACCEPTED_SIGNATURES = (
    "Method 1 `(inputs, outputs, reference_outputs=None)` or Method 2 `(run, example)`"
)

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
_LLM_CALL_ATTRS = frozenset({"ainvoke", "invoke", "with_structured_output", "abatch"})
_MODULE_DUNDERS = frozenset(
    {"__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__", "__builtins__"}
)
_STAR = "*"


@dataclass(frozen=True)
class FunctionInfo:
    """One top-level function of an evaluator file, found without executing it."""

    name: str
    lineno: int  # first line, decorators included
    end_lineno: int
    signature: Signature | None
    is_async: bool
    is_judge: bool
    source: str

    @property
    def kind(self) -> str:
        return function_kind(self.signature, self.is_async, self.is_judge)


def function_kind(signature: str | None, is_async: bool, is_judge: bool) -> str:
    """`Method 1`, `Method 2 async`, `async judge`... as the app shows an evaluator's shape."""
    if is_judge:
        return "async judge" if is_async else "judge"
    label = {"method1": "Method 1", "method2": "Method 2"}.get(signature or "", "?")
    return f"{label} async" if is_async else label


@dataclass(frozen=True)
class LoadedEvaluator:
    path: Path
    name: str
    fn: Callable[..., Any]
    signature: Signature
    is_async: bool
    source: str


@dataclass
class _Stmt:
    """What one top-level statement binds, reads and mutates."""

    node: ast.stmt
    defines: set[str]
    uses: set[str]
    mutates: set[str]  # names whose object it changes without rebinding (`X.add(1)`, `X[k] = v`)
    is_import: bool


@dataclass
class ParsedFile:
    """An evaluator file read as text and parsed; the unit every loader/bundle function works on."""

    path: Path
    text: str
    tree: ast.Module
    lines: list[str] = field(repr=False)
    _stmts: list[_Stmt] | None = field(default=None, repr=False)

    @property
    def stmts(self) -> list[_Stmt]:
        if self._stmts is None:
            self._stmts = _analyse(self)
        return self._stmts

    def statement_text(self, node: ast.stmt) -> str:
        """The statement's lines as written (decorators included)."""
        start = _first_line(node)
        return "".join(self.lines[start - 1 : node.end_lineno])


@dataclass(frozen=True)
class ModuleSlice:
    """The statements a function needs, in file order (the target function included)."""

    target: FunctionNode
    statements: tuple[ast.stmt, ...]
    unresolved: tuple[str, ...]  # names used but defined nowhere in the file (nor builtins)
    target_referenced: bool  # something in the slice refers to the function by name


# ---------------------------------------------------------------------------- reading & parsing


def parse_evaluator_file(path: str | Path) -> ParsedFile:
    """Read and parse `path`; raise `EvaluatorLoadError` with a precise reason if it can't be."""
    path = Path(path)
    if not path.exists():
        raise EvaluatorLoadError(f"Evaluator file {str(path)!r} does not exist.")
    if path.is_dir():
        raise EvaluatorLoadError(
            f"{str(path)!r} is a directory; give the path of a Python file that defines the evaluator."
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise EvaluatorLoadError(f"Cannot read {str(path)!r}: {exc.strerror or exc}.") from exc
    text = _decode(path, raw)
    try:
        tree = ast.parse(text, filename=str(path))
        # compile() also reports errors ast.parse lets through ('return' outside function, ...).
        compile(tree, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise EvaluatorLoadError(_syntax_error_message(path, exc)) from exc
    except ValueError as exc:  # e.g. "source code string cannot contain null bytes"
        raise EvaluatorLoadError(f"{path}: cannot be parsed as Python: {exc}.") from exc
    return ParsedFile(path=path, text=text, tree=tree, lines=text.splitlines(keepends=True))


def _decode(path: Path, raw: bytes) -> str:
    try:
        encoding, _ = tokenize.detect_encoding(BytesIO(raw).readline)
    except SyntaxError as exc:  # unknown or malformed coding cookie
        raise EvaluatorLoadError(f"{path}: {exc.msg}.") from exc
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise EvaluatorLoadError(
            f"{path} is not valid {encoding.upper().replace('-SIG', '')} text (byte 0x{raw[exc.start]:02x} "
            f"on line {line}); save the file as UTF-8."
        ) from exc


def _syntax_error_message(path: Path, exc: SyntaxError) -> str:
    if not exc.lineno:  # e.g. null bytes (a ValueError before Python 3.11.4)
        return f"{path}: cannot be parsed as Python: {exc.msg}."
    where = f"{path}:{exc.lineno}"
    if exc.offset:
        where += f":{exc.offset}"
    detail = f"{where}: syntax error: {exc.msg}."
    if exc.text and exc.text.strip():
        detail += f" The line reads: {exc.text.strip()}"
    return detail


# ---------------------------------------------------------------------------- signatures


def signature_of_node(node: FunctionNode) -> Signature | None:
    """Classify a function's parameters as Method 1, Method 2 or neither (see module docstring)."""
    a = node.args
    positional = [*a.posonlyargs, *a.args]
    pos_defaults = [False] * (len(positional) - len(a.defaults)) + [True] * len(a.defaults)
    params = [(p.arg, d, i < len(a.posonlyargs)) for i, (p, d) in enumerate(zip(positional, pos_defaults))]
    params += [(p.arg, d is not None, False) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    names = [name for name, _, _ in params]

    if [n for n, _, _ in params[:2]] == list(METHOD2_PARAMS) and len(positional) >= 2:
        if all(has_default for _, has_default, _ in params[2:]):
            return "method2"
        return None
    named = [(n, d, posonly) for n, d, posonly in params if n in METHOD1_PARAMS]
    others_ok = all(d for n, d, _ in params if n not in METHOD1_PARAMS)
    if named and others_ok and not any(posonly for _, _, posonly in named) and len(set(names)) == len(names):
        return "method1"
    return None


def describe_signature(node: FunctionNode) -> str:
    """The parameter list as written, e.g. `(run, example, *, strict=True)`."""
    return f"({ast.unparse(node.args)})"


# ---------------------------------------------------------------------------- listing


def find_evaluators(directory: Path) -> tuple[list[tuple[Path, FunctionInfo]], list[str]]:
    """The evaluator functions of `directory/*.py` (by AST, nothing executed) and a message for
    each file that could not be read. Files and functions named `_…` are helpers, not evaluators."""
    found: list[tuple[Path, FunctionInfo]] = []
    problems: list[str] = []
    if not directory.is_dir():
        return found, problems
    for path in sorted(p for p in directory.glob("*.py") if not p.name.startswith("_")):
        try:
            infos = list_functions(path)
        except EvaluatorLoadError as err:
            problems.append(str(err))
            continue
        found.extend((path, info) for info in infos
                     if info.signature is not None and not info.name.startswith("_"))
    return found, problems


def list_functions(path: str | Path) -> list[FunctionInfo]:
    """Every top-level `def`/`async def` in the file, in order, by AST only (nothing is executed).

    Callers that want evaluators only can filter on `signature is not None`.
    """
    parsed = parse_evaluator_file(path)
    infos = []
    for node in parsed.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            slc = compute_slice(parsed, node)
            infos.append(
                FunctionInfo(
                    name=node.name,
                    lineno=_first_line(node),
                    end_lineno=node.end_lineno or node.lineno,
                    signature=signature_of_node(node),
                    is_async=isinstance(node, ast.AsyncFunctionDef),
                    is_judge=_uses_llm(slc),
                    source=parsed.statement_text(node),
                )
            )
    return infos


def _uses_llm(slc: ModuleSlice) -> bool:
    for stmt in slc.statements:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                if any(_is_llm_module(m) for m, _ in _imported_modules(node)):
                    return True
            elif isinstance(node, ast.Attribute) and node.attr in _LLM_CALL_ATTRS:
                return True
    return False


def _is_llm_module(module: str) -> bool:
    parts = module.split(".")
    return any(".".join(parts[:i]) in LLM_CLIENT_MODULES for i in range(1, len(parts) + 1))


def _imported_modules(node: ast.Import | ast.ImportFrom) -> list[tuple[str, int]]:
    """(dotted module, level) pairs an import statement loads; level > 0 means relative."""
    if isinstance(node, ast.Import):
        return [(alias.name, 0) for alias in node.names]
    return [(node.module or "", node.level)]


# ---------------------------------------------------------------------------- finding one function


def find_function(parsed: ParsedFile, name: str) -> FunctionNode:
    """The top-level function `name` (the last definition wins, as in Python), or a clear error."""
    found: FunctionNode | None = None
    for node in parsed.tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            found = node
    if found is not None:
        return found
    functions = [n.name for n in parsed.tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    listing = (
        "Functions in the file: " + ", ".join(dict.fromkeys(functions)) + "."
        if functions
        else "The file defines no top-level functions."
    )
    other = _non_function_binding(parsed, name)
    if other is not None:
        kind, line = other
        raise EvaluatorLoadError(
            f"{name!r} in {parsed.path} is {kind} (line {line}), not a function. {listing}"
        )
    close = difflib.get_close_matches(name, functions, n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise EvaluatorLoadError(f"Function {name!r} not found in {parsed.path}.{hint} {listing}")


def _non_function_binding(parsed: ParsedFile, name: str) -> tuple[str, int] | None:
    for stmt in parsed.stmts:
        if name in stmt.defines:
            node = stmt.node
            if isinstance(node, ast.ClassDef):
                return "a class", node.lineno
            if stmt.is_import:
                return "an imported name", node.lineno
            return "a variable", node.lineno
    return None


def require_signature(parsed: ParsedFile, node: FunctionNode) -> Signature:
    signature = signature_of_node(node)
    if signature is None:
        hint = ""
        a = node.args
        positional = [p.arg for p in (*a.posonlyargs, *a.args)]
        if len(positional) - len(a.defaults) == 2 and positional[:2] != list(METHOD2_PARAMS):
            hint = (
                " LangSmith passes the two arguments by the names `run` and `example`;"
                f" rename {positional[0]!r} and {positional[1]!r} to run and example."
            )
        raise EvaluatorLoadError(
            f"{node.name}{describe_signature(node)} in {parsed.path} (line {node.lineno}) is not an "
            f"evaluator signature: use {ACCEPTED_SIGNATURES}.{hint}"
        )
    return signature


# ---------------------------------------------------------------------------- slicing


def compute_slice(parsed: ParsedFile, target: FunctionNode) -> ModuleSlice:
    """The module-level statements `target` needs, transitively, in file order."""
    stmts = parsed.stmts
    target_index = next(i for i, s in enumerate(stmts) if s.node is target)
    included = {target_index} | {i for i, s in enumerate(stmts) if _is_future_import(s.node)}
    included, unresolved = _closure(stmts, included, set(stmts[target_index].uses))
    return ModuleSlice(
        target=target,
        statements=tuple(stmts[i].node for i in sorted(included)),
        unresolved=tuple(sorted(unresolved)),
        target_referenced=any(target.name in stmts[i].uses for i in included),
    )


def slice_for_names(parsed: ParsedFile, names: set[str]) -> tuple[tuple[ast.stmt, ...], tuple[str, ...]]:
    """The statements that define `names` and everything they need (no `from __future__`)."""
    stmts = parsed.stmts
    included = {i for i, s in enumerate(stmts) if s.defines & names}
    needed = set(names).union(*(stmts[i].uses for i in included))
    included, unresolved = _closure(stmts, included, needed)
    return tuple(stmts[i].node for i in sorted(included)), tuple(sorted(unresolved))


def _closure(stmts: list[_Stmt], included: set[int], needed: set[str]) -> tuple[set[int], set[str]]:
    """Grow `included` with every statement that binds or mutates a needed name, to a fixpoint."""
    included, needed = set(included), set(needed)
    defined_anywhere = set().union(*(s.defines for s in stmts)) if stmts else set()
    changed = True
    while changed:
        changed = False
        unresolved = needed - defined_anywhere - _BUILTIN_NAMES - _MODULE_DUNDERS
        for i, s in enumerate(stmts):
            if i not in included and (s.defines & needed or s.mutates & needed or (_STAR in s.defines and unresolved)):
                included.add(i)
                needed |= s.uses
                changed = True
    unresolved = needed - defined_anywhere - _BUILTIN_NAMES - _MODULE_DUNDERS
    if any(_STAR in stmts[i].defines for i in included):
        unresolved = set()  # a star import may define them; we can't know without importing
    return included, unresolved


_BUILTIN_NAMES = frozenset(dir(builtins))


def _is_future_import(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _first_line(node: ast.stmt) -> int:
    decorators = getattr(node, "decorator_list", None) or []
    return min([node.lineno, *(d.lineno for d in decorators)])


def _analyse(parsed: ParsedFile) -> list[_Stmt]:
    tables = _scope_tables(parsed)
    import_bound: set[str] = set()
    result = []
    for node in parsed.tree.body:
        defines = _bound_names(node)
        is_import = isinstance(node, (ast.Import, ast.ImportFrom))
        if is_import:
            import_bound |= defines
        result.append(_Stmt(node, defines, _used_names(node, tables), _mutated_roots(node), is_import))
    # Calling a method of an imported module (`os.makedirs(...)`, `random.seed(1)`) is a side
    # effect, not the set-up of a value the function reads: never pull such statements in.
    for s in result:
        s.mutates -= import_bound - set().union(*(t.defines for t in result if not t.is_import))
    return result


def _scope_tables(parsed: ParsedFile) -> dict[tuple[str, int], symtable.SymbolTable]:
    top = symtable.symtable(parsed.text, str(parsed.path), "exec")
    return {(t.get_name(), t.get_lineno()): t for t in top.get_children()}


def _bound_names(node: ast.stmt) -> set[str]:
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
                names.add(_STAR if alias.name == "*" else alias.asname or alias.name.split(".")[0])
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


def _used_names(node: ast.stmt, tables: dict[tuple[str, int], symtable.SymbolTable]) -> set[str]:
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
            for sub in ast.walk(node):
                for annotation in _annotations(sub):
                    names |= _loads(annotation)
            return names
    names = _loads(node)
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        names.add(node.target.id)
    return names


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
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _mutated_roots(node: ast.stmt) -> set[str]:
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


def _root_name(node: ast.AST) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


# ---------------------------------------------------------------------------- loading


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
    import inspect

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


def package_context(path: Path) -> tuple[str | None, Path]:
    """(dotted package containing `path` or None, the folder to put on sys.path to import it)."""
    parts: list[str] = []
    folder = path.resolve().parent
    while (folder / "__init__.py").exists() and folder.name.isidentifier():
        parts.insert(0, folder.name)
        folder = folder.parent
    return (".".join(parts) or None), folder


def resolve_local_module(path: Path, module: str, level: int) -> Path | None:
    """The file a relative (`level` > 0) or sibling import refers to, if it is a local file."""
    base = path.resolve().parent
    for _ in range(max(level - 1, 0)):
        base = base.parent
    candidate = base.joinpath(*module.split(".")) if module else base
    for file in (candidate.with_suffix(".py"), candidate / "__init__.py"):
        if module and file.is_file():
            return file
    if not module and (candidate / "__init__.py").is_file():
        return candidate / "__init__.py"
    return None


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
