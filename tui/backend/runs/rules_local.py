"""Workspace rules run by evaltui itself: on a workspace that does not apply its rules (the local
one), and for `rule:NAME` evaluator specs on any workspace.

A rule (or a workspace evaluator) becomes an evaluator from its stored code (`perform_eval(run, example)`) or, for an
LLM-judge rule, from its prompt, schema and model; each example draws which rules score it from
the rules' sampling rates with one seedable RNG.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

from tui.backend.core import errors
from tui.backend.core.models import Example, Rule, WorkspaceEvaluator
from tui.backend.runs.specs import RULE_PREFIX, WORKSPACE_PREFIX


def load_rule_evaluator(rule: Rule, timeout: float | None = None):
    """Build an evaluator from a local rule: its stored code (which defines `perform_eval(run, example)`),
    or for an LLM-judge rule its prompt, schema and model (`judge_rule.rule_judge`).

    Local rules are the user's own code, uploaded from their own files into their own workspace,
    so executing it here is what they asked for (LangSmith runs the same code in its sandbox).
    Broken code does not stop a run: it becomes an evaluator whose every result is that error.
    """
    if rule.kind == "llm":
        from evaluators.llm_judge import rule_judge

        evaluator = _built(lambda: rule_judge(rule.llm or {}), f"Rule {rule.name!r}", rule.name, timeout)
    else:
        evaluator = code_evaluator(rule.code or "", f"Rule {rule.name!r}", rule.name, timeout)
    evaluator.source = f"{RULE_PREFIX}{rule.name}"  # a rule named like a local function stays apart
    return evaluator


def code_evaluator(code: str, what: str, name: str, timeout: float | None = None):
    """The `perform_eval(run, example)` that `code` defines, normalized; see `_built`."""
    def build():
        namespace: dict[str, Any] = {"__name__": f"evaltui_stored_{abs(hash(what))}"}
        exec(compile(code, f"<{what}>", "exec"), namespace)  # noqa: S102
        fn = namespace.get("perform_eval")
        if not callable(fn):
            raise LookupError("its code does not define perform_eval(run, example)")
        return fn

    return _built(build, what, name, timeout)


def _built(build: Callable[[], Callable], what: str, name: str, timeout: float | None):
    """Broken stored code does not stop a run: it becomes an evaluator whose every result is that error."""
    from evaluators import normalize

    try:
        return normalize(build(), name=name, timeout=timeout)
    except Exception as exc:  # noqa: BLE001
        message = f"{what} could not be loaded: {type(exc).__name__}: {exc}"

        def broken_rule(run, example):
            raise RuntimeError(message)

        return normalize(broken_rule, name=name)


def rules_for_dataset(backend, dataset_id: str) -> list[Rule]:
    """Enabled rules that score the dataset's experiments. On LangSmith the server applies every
    evaluator kind; locally Python code and LLM-judge rules run (through ChatOpenAI with the rule's
    prompt, schema and model), JavaScript ones are LangSmith's to run, actions-only ones score nothing."""
    runnable = backend.capabilities.scoring_rule_kinds
    return [r for r in backend.list_rules() if r.is_enabled and r.dataset_id == dataset_id and r.kind in runnable]


def rule_spec_evaluator(backend, spec: str, timeout: float | None):
    """`rule:NAME`: a workspace rule (Python code or LLM judge) run here, on any dataset, so a
    LangSmith rule can be checked before it is enabled; `workspace:NAME` likewise a workspace
    evaluator (Python code, or an LLM prompt from the prompt hub)."""
    from tui.backend.rules.ops import find_rule

    if spec.strip().startswith(WORKSPACE_PREFIX):
        return workspace_evaluator(backend, find_workspace_evaluator(backend, spec.strip()[len(WORKSPACE_PREFIX):]),
                                   timeout)
    name = spec.strip()[len(RULE_PREFIX):]
    rule = find_rule(backend, name)
    if rule.kind not in ("python", "llm"):
        raise errors.InvalidInput(f"Rule {name!r} is a {rule.kind_label} rule; evaltui can run Python code "
                                  "and LLM-judge rules only.")
    return load_rule_evaluator(rule, timeout)


def find_workspace_evaluator(backend, name: str) -> WorkspaceEvaluator:
    found = backend.list_workspace_evaluators()
    match = next((e for e in found if e.name == name), None)
    if match is None:
        raise errors.NotFound("Workspace evaluator", name, errors.suggest(name, [e.name for e in found]))
    return match


def workspace_evaluator(backend, ev: WorkspaceEvaluator, timeout: float | None = None):
    """A workspace evaluator as an evaluator run here: its Python code, or its hub prompt's judge."""
    from evaluators import normalize

    what = f"Workspace evaluator {ev.name!r}"
    if ev.type == "llm":
        from tui.backend.rules.hub_judge import workspace_llm_judge

        evaluator = normalize(workspace_llm_judge(backend, ev), name=ev.name, timeout=timeout)
    elif not ev.runs_here:
        raise errors.InvalidInput(f"{what} is {ev.kind_label}; evaltui can run Python code and LLM-prompt "
                                  "evaluators only.")
    elif not ev.code:
        raise errors.InvalidInput(f"{what} has no code to run.")
    else:
        evaluator = code_evaluator(ev.code, what, ev.name, timeout)
    evaluator.source = f"{WORKSPACE_PREFIX}{ev.name}"
    return evaluator


def sample_rules(examples: Sequence[Example], rule_evaluators: Sequence[tuple[Rule, Any]], seed: int | None,
                 key: Callable[[str], str]) -> dict[str, tuple]:
    """`{key(example id): evaluators of the rules drawn for it}`, examples without a rule left out.

    Decided up front, in dataset order, so a seed reproduces the draw whatever the scheduling.
    """
    drawn: dict[str, tuple] = {}
    if not rule_evaluators:
        return drawn
    rng = random.Random(seed)
    for ex in examples:
        chosen = tuple(
            ne for rule, ne in rule_evaluators
            if rule.sampling_rate >= 1 or (rule.sampling_rate > 0 and rng.random() < rule.sampling_rate)
        )
        if chosen:
            drawn[key(ex.id)] = chosen
    return drawn
