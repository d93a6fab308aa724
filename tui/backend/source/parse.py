"""Read and parse an evaluator file once, and find one function in it, without running it.

`parse_evaluator_file` gives a `ParsedFile`: the text, its AST and (computed on first use) what
each top-level statement binds, reads and changes. Every other step - listing
(`tui.backend.source.discovery`), slicing (`slice`), loading (`loader`), bundling (`bundle`) -
works on it. Unreadable files, bad encodings and syntax errors become an `EvaluatorLoadError`
that says where and why.
"""

from __future__ import annotations

import ast
import difflib
import tokenize
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

from evaluators.signature import ACCEPTED_SIGNATURES, Signature, classify, params_of_ast, refusal_hint
from tui.backend.core.errors import EvaluatorLoadError
from tui.backend.source.ast_names import bound_names, first_line, is_import, mutated_roots, scope_tables, used_names

FunctionNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class Statement:
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
    _stmts: list[Statement] | None = field(default=None, repr=False)

    @property
    def stmts(self) -> list[Statement]:
        if self._stmts is None:
            self._stmts = _analyse(self)
        return self._stmts

    def statement_text(self, node: ast.stmt) -> str:
        """The statement's lines as written (decorators included)."""
        start = first_line(node)
        return "".join(self.lines[start - 1 : node.end_lineno])


def _analyse(parsed: ParsedFile) -> list[Statement]:
    tables = scope_tables(parsed.text, str(parsed.path))
    import_bound: set[str] = set()
    result = []
    for node in parsed.tree.body:
        defines = bound_names(node)
        if is_import(node):
            import_bound |= defines
        result.append(Statement(node, defines, used_names(node, tables), mutated_roots(node), is_import(node)))
    # Calling a method of an imported module (`os.makedirs(...)`, `random.seed(1)`) is a side
    # effect, not the set-up of a value the function reads: never pull such statements in.
    for s in result:
        s.mutates -= import_bound - set().union(*(t.defines for t in result if not t.is_import))
    return result


# ---------------------------------------------------------------------------- reading & parsing


#: Parsed files by (path, mtime, size): a plan bundles many functions of one file, and the
#: analysis of a file's statements (`ParsedFile.stmts`) is its costliest part. Never mutated after.
_PARSED: dict[tuple[str, int, int], ParsedFile] = {}
_PARSED_MAX = 64


def parse_evaluator_file(path: str | Path) -> ParsedFile:
    """Read and parse `path` (the same file unchanged since: the same ParsedFile); raise
    `EvaluatorLoadError` with a precise reason if it can't be."""
    path = Path(path)
    try:
        st = path.stat()
        key = (str(path), st.st_mtime_ns, st.st_size)
    except OSError:
        key = None
    if key is not None and key in _PARSED:
        return _PARSED[key]
    parsed = _parse_evaluator_file(path)
    if key is not None:
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[key] = parsed
    return parsed


def _parse_evaluator_file(path: Path) -> ParsedFile:
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


# ---------------------------------------------------------------------------- one function


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


def signature_of_node(node: FunctionNode) -> Signature | None:
    """Method 1, Method 2 or neither, by the one rule (`evaluators.signature`), from the AST."""
    return classify(params_of_ast(node.args))


def describe_signature(node: FunctionNode) -> str:
    """The parameter list as written, e.g. `(run, example, *, strict=True)`."""
    return f"({ast.unparse(node.args)})"


def require_signature(parsed: ParsedFile, node: FunctionNode) -> Signature:
    """The function's signature, or an `EvaluatorLoadError` naming what it is and what is accepted."""
    params = params_of_ast(node.args)
    signature = classify(params)
    if signature is None:
        raise EvaluatorLoadError(
            f"{node.name}{describe_signature(node)} in {parsed.path} (line {node.lineno}) is not an "
            f"evaluator signature: use {ACCEPTED_SIGNATURES}.{refusal_hint(params)}"
        )
    return signature
