"""The *slice* of a function: the module-level statements it needs, and nothing else.

Imports, constants, classes and helpers the function reads, transitively, in file order, plus
`from __future__` imports and the statements that change a needed object in place
(`REGISTRY.add(x)`). Loading (`tui.backend.source.loader`) executes only the slice, so
`print("boom")`, file writes or `raise SystemExit` elsewhere in the file never run; bundling
(`tui.backend.source.bundle`) copies it into the uploaded code.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

from tui.backend.source.ast_names import STAR
from tui.backend.source.parse import FunctionNode, ParsedFile, Statement

_BUILTIN_NAMES = frozenset(dir(builtins))
_MODULE_DUNDERS = frozenset(
    {"__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__", "__builtins__"}
)


@dataclass(frozen=True)
class ModuleSlice:
    """The statements a function needs, in file order (the target function included)."""

    target: FunctionNode
    statements: tuple[ast.stmt, ...]
    unresolved: tuple[str, ...]  # names used but defined nowhere in the file (nor builtins)
    target_referenced: bool  # something in the slice refers to the function by name


def compute_slice(parsed: ParsedFile, target: FunctionNode) -> ModuleSlice:
    """The module-level statements `target` needs, transitively, in file order."""
    stmts = parsed.stmts
    target_index = next(i for i, s in enumerate(stmts) if s.node is target)
    included = {target_index} | {i for i, s in enumerate(stmts) if is_future_import(s.node)}
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


def is_future_import(node: ast.stmt) -> bool:
    return isinstance(node, ast.ImportFrom) and node.module == "__future__"


def _closure(stmts: list[Statement], included: set[int], needed: set[str]) -> tuple[set[int], set[str]]:
    """Grow `included` with every statement that binds or mutates a needed name, to a fixpoint."""
    included, needed = set(included), set(needed)
    defined_anywhere = set().union(*(s.defines for s in stmts)) if stmts else set()
    changed = True
    while changed:
        changed = False
        unresolved = needed - defined_anywhere - _BUILTIN_NAMES - _MODULE_DUNDERS
        for i, s in enumerate(stmts):
            if i not in included and (s.defines & needed or s.mutates & needed or (STAR in s.defines and unresolved)):
                included.add(i)
                needed |= s.uses
                changed = True
    unresolved = needed - defined_anywhere - _BUILTIN_NAMES - _MODULE_DUNDERS
    if any(STAR in stmts[i].defines for i in included):
        unresolved = set()  # a star import may define them; we can't know without importing
    return included, unresolved
