"""Which dataset suits an evaluator under test: the one whose reference outputs hold the keys the
evaluator reads (`tester.keys_read_by` and friends), and a warning when the chosen one lacks them.

Nothing here runs an evaluator: files are read by AST, rules and workspace evaluators as text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui.backend.rules.tester import keys_read_by, rule_reads, workspace_reads

MAX_DATASETS_PROBED = 20  # one example each; more would slow the test form on LangSmith


def reads_of(backend: Any, *, path: Path | None = None, function: str = "", rule: str | None = None,
             workspace: str | None = None) -> set[str]:
    """The keys the evaluator under test may read (empty when it cannot be told)."""
    if rule:
        from tui.backend.rules.ops import find_rule

        return rule_reads(find_rule(backend, rule))
    if workspace:
        from tui.backend.runs.rules_local import find_workspace_evaluator

        return workspace_reads(find_workspace_evaluator(backend, workspace))
    from tui.backend.source.discovery import list_functions

    info = next((f for f in list_functions(path) if f.name == function), None) if path else None
    return keys_read_by(info.source) if info else set()


def reference_keys_of(backend: Any, names: list[str]) -> dict[str, set[str]]:
    """Dataset name -> the reference-output keys of its first example (datasets with none are left out)."""
    by_name = {d.name: d for d in backend.list_datasets()}
    keys: dict[str, set[str]] = {}
    for name in names[:MAX_DATASETS_PROBED]:
        dataset = by_name.get(name)
        first = next(iter(backend.list_examples(dataset.id, limit=1)), None) if dataset else None
        if first is not None:
            keys[name] = set(first.outputs or {})
    return keys


def keys_used(reads: set[str], reference: set[str]) -> set[str]:
    """The reference keys the evaluator reads, directly or as `<name>` for `expected_<name>`
    (the tester fills `outputs["output"]` from `expected_output`, see `as_run_outputs`)."""
    return {k for k in reference if k in reads or (k.startswith("expected_") and k[len("expected_"):] in reads)}


def pick_dataset(reads: set[str], reference_keys: dict[str, set[str]], current: str | None) -> str | None:
    """`current` when its references hold a key the evaluator reads (or no dataset's do), else the
    first dataset whose references do."""
    if current is not None and keys_used(reads, reference_keys.get(current, set())):
        return current
    fitting = [name for name, keys in reference_keys.items() if keys_used(reads, keys)]
    return fitting[0] if fitting else current


def fit_warning(name: str, reads: set[str], reference_keys: dict[str, set[str]], chosen: str) -> str:
    """A sentence when `chosen`'s references lack every key the evaluator reads but another
    dataset's hold some ("" otherwise: it fits, or its keys cannot be told from its text)."""
    chosen_keys = reference_keys.get(chosen)
    if chosen_keys is None or keys_used(reads, chosen_keys):
        return ""
    fitting = {other: keys_used(reads, keys) for other, keys in reference_keys.items() if keys_used(reads, keys)}
    if not fitting:
        return ""
    wanted = sorted(set().union(*fitting.values()))
    other = next(iter(fitting))
    has = ", ".join(sorted(chosen_keys)) or "no keys"
    return (f"{name} reads {', '.join(wanted)}, which the reference outputs of {chosen!r} lack (they have "
            f"{has}): its scores here mean little. {other!r} has them.")
