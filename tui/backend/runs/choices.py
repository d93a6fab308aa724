"""What an experiment can be started with: datasets, the rules bound to them, the evaluators to tick
(local functions by AST, then the library's), and which evaluators suit a dataset.

Read by the start-experiment form in a thread worker (datasets and rules may come over the
network); nothing here executes an evaluator file.
"""

from __future__ import annotations

import functools
import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.backend.core.errors import EvaltuiError
from tui.backend.core.models import Dataset, Rule
from tui.backend.rules.tester import keys_read_by

#: Library evaluators offered in the picker (`evaluators.<name>`, Method 2 forms; judges are async).
LIBRARY_EVALUATORS: tuple[tuple[str, str], ...] = (
    ("exact_match_evaluator", "exact match"),
    ("trajectory_evaluator", "trajectory"),
    ("single_step_evaluator", "single step"),
    ("accuracy_evaluator", "LLM judge"),
    ("completeness_evaluator", "LLM judge"),
    ("helpfulness_evaluator", "LLM judge"),
)
MAX_DATASETS_PROBED = 20  # one example each, to suggest evaluators; more would slow the form on LangSmith
JUDGE_KEY = "OPENAI_API_KEY"
NEEDS_KEY = f" — needs {JUDGE_KEY}"


def judge_key_missing() -> bool:
    """No OpenAI key for the judges. `.env` files were loaded into the environment at start-up
    (`config.load_env_files`), so the environment is the whole answer."""
    return not os.environ.get(JUDGE_KEY)


@dataclass(frozen=True)
class EvaluatorChoice:
    spec: str  # what the runner loads: "path/file.py:fn" or "evaluators:fn"
    label: str
    #: string literals in the function's source: which output keys it reads
    reads: frozenset[str] = frozenset()
    is_judge: bool = False
    is_library: bool = False

    def picker_label(self, key_missing: bool) -> str:
        """The picker's row: the label, and what a judge lacks when there is no OpenAI key."""
        return self.label + (NEEDS_KEY if self.is_judge and key_missing else "")


@dataclass
class RunChoices:
    datasets: list[Dataset] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)
    evaluators: list[EvaluatorChoice] = field(default_factory=list)
    #: dataset id -> reference-output keys of its first example (to suggest evaluators)
    reference_keys: dict[str, set[str]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def suggested_evaluators(choices: list[EvaluatorChoice], reference_keys: set[str]) -> set[str]:
    """The evaluators that read this dataset's reference keys: local ones first, the library's only
    when no local function fits (they would score the same keys twice). Judges need OPENAI_API_KEY."""
    def fits(c: EvaluatorChoice) -> bool:
        if c.is_judge and judge_key_missing():
            return False
        return bool(c.reads & reference_keys)

    local = {c.spec for c in choices if not c.is_library and fits(c)}
    return local or {c.spec for c in choices if c.is_library and fits(c)}


def judge_key_note(choices: list[EvaluatorChoice]) -> str:
    """The line under the picker when judges are offered but cannot run ("" when all is well)."""
    if not judge_key_missing() or not any(c.is_judge for c in choices):
        return ""
    return f"LLM judges need {JUDGE_KEY} (not set): put it in the environment or a .env file, else they only give errors."


def evaluator_choices(evaluator_dir: Path | None) -> tuple[list[EvaluatorChoice], list[str]]:
    """Local evaluator functions (by AST, nothing executed) followed by the library's evaluators."""
    from tui.backend.source.discovery import find_evaluators

    found, problems = find_evaluators(evaluator_dir) if evaluator_dir is not None else ([], [])
    choices = [
        EvaluatorChoice(f"{path}:{fn.name}", f"{path.name}:{fn.name}  [{fn.kind}]",
                        frozenset(keys_read_by(fn.source)), fn.is_judge)
        for path, fn in found
    ]
    return choices + list(library_choices()), problems


@functools.lru_cache(maxsize=1)
def library_choices() -> tuple[EvaluatorChoice, ...]:
    """The library's evaluators (their sources read once per process: ~25 ms of tokenizing)."""
    import evaluators as library

    choices = []
    for name, kind in LIBRARY_EVALUATORS:
        try:
            source = inspect.getsource(getattr(library, name))
        except (AttributeError, OSError, TypeError):
            source = ""
        choices.append(EvaluatorChoice(f"evaluators:{name}", f"library: {name}  [{kind}]",
                                       frozenset(keys_read_by(source)), kind == "LLM judge",
                                       is_library=True))
    return tuple(choices)


def prepare() -> None:
    """Do ahead, in a background thread, what the first start form would otherwise wait for:
    import the form's code and read the library's evaluators."""
    import tui.backend.source.discovery  # noqa: F401

    library_choices()


def load_run_choices(backend: Any, evaluator_dir: Path | None, *, with_datasets: bool) -> RunChoices:
    """Everything the form offers; a workspace error becomes one of `problems`, never an exception.

    `with_datasets` (a new run, not a re-score) also lists the datasets, probes the first example
    of each for its reference keys and lists the enabled rules bound to a dataset.
    """
    choices = RunChoices()
    try:
        if backend is not None and with_datasets:
            choices.datasets = list(backend.list_datasets())
            for dataset in choices.datasets[:MAX_DATASETS_PROBED]:
                first = next(iter(backend.list_examples(dataset.id, limit=1)), None)
                if first is not None:
                    choices.reference_keys[dataset.id] = set(first.outputs or {})
            choices.rules = [r for r in backend.list_rules() if r.is_enabled and r.dataset_id]
        choices.evaluators, choices.problems = evaluator_choices(evaluator_dir)
    except EvaltuiError as exc:
        choices.problems.append(str(exc))
    return choices
