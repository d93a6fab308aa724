"""Where an uploaded rule came from (`file:function`), and which local function goes with which rule.

LangSmith's run rules have no metadata field: neither the create/update bodies
(`RunRulesCreateSchema`, `RunRulesUpdateSchema`) nor the read shapes (v1 `Evaluator`, v2 `Rule` in
`langsmith.types`) carry one; only the platform's workspace evaluators do, and evaltui does not
write those. The one part of a code rule that LangSmith stores verbatim and nothing reads is the
code's own comments, so the origin is the first line of the uploaded code:

    # evaltui origin: ~/proj/evaluators/my_evaluators.py:trajectory_evaluator

The local workspace keeps a rule's code as LangSmith does, so the same line works on both. An LLM
judge rule has no such place (its prompt, schema and mapping all reach the model), so it is
paired by name only.

Pairing (`pair_rules`), in passes so that a stronger claim is never taken by a weaker one:
1. the recorded file (the same path) and function;
2. the same file name and function (the folder moved, or a teammate's checkout elsewhere);
3. the rule named like the function, among the rules not claimed above. A rule whose origin file
   or function no longer exists is just a rule: only its name can pair it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from tui.backend.core.models import Rule

ORIGIN_MARKER = "# evaltui origin: "

FunctionRef = tuple[Path, str]  # (file, function name)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class RuleOrigin:
    file: str  # as recorded: an absolute POSIX path, `~/…` under the home folder
    function: str

    @property
    def label(self) -> str:
        return f"{self.file}:{self.function}"

    @property
    def path(self) -> Path | None:
        """The recorded file on this machine (None when the recorded text is not a usable path)."""
        return _resolved(self.file)


def _resolved(path: str | Path) -> Path | None:
    try:
        return Path(path).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def origin_for(path: str | Path, function: str) -> RuleOrigin:
    """The origin an upload of `function` from `path` records (home shortened to `~`, so the line
    names no user and matches on another account with the same layout)."""
    resolved = Path(path).expanduser().resolve()
    try:
        shown = "~/" + resolved.relative_to(Path.home()).as_posix()
    except (ValueError, RuntimeError):
        shown = resolved.as_posix()
    return RuleOrigin(shown, function)


def origin_of_code(code: str | None) -> RuleOrigin | None:
    """The origin recorded in a code rule's first line, or None."""
    first = (code or "").split("\n", 1)[0].rstrip("\r")
    if not first.startswith(ORIGIN_MARKER):
        return None
    file, sep, function = first[len(ORIGIN_MARKER):].strip().rpartition(":")
    if not sep or not file or not function.isidentifier():
        return None
    return RuleOrigin(file, function)


def origin_of(rule: Rule) -> RuleOrigin | None:
    return origin_of_code(rule.code) if rule.is_python else None


def without_origin(code: str | None) -> str:
    """The code without its origin line: what the evaluator is, wherever it was uploaded from."""
    code = code or ""
    if origin_of_code(code) is None:
        return code
    return code.split("\n", 1)[1] if "\n" in code else ""


def with_origin(code: str, origin: RuleOrigin) -> str:
    """`code` as uploaded: the origin line first (replacing one already there)."""
    if any(c in origin.label for c in "\r\n"):
        return without_origin(code)  # a file name with a line break cannot be a comment line
    return f"{ORIGIN_MARKER}{origin.label}\n{without_origin(code)}"


def _pick(candidates: list[Rule], function: str) -> Rule:
    """Several rules with one claim (e.g. uploaded twice under two names): the one named like
    the function, else the latest changed."""
    named = [r for r in candidates if r.name == function]
    if named:
        return named[0]
    return max(candidates, key=lambda r: (r.updated_at or r.created_at or _EPOCH).timestamp())


def pair_rules(functions: Iterable[FunctionRef], rules: Sequence[Rule]) -> dict[FunctionRef, Rule]:
    """Each local function's rule: by recorded origin first, then by name (see module docstring)."""
    refs = list(dict.fromkeys((Path(p), n) for p, n in functions))
    origins = {r.id: origin_of(r) for r in rules}
    here = {ref: _resolved(ref[0]) for ref in refs}
    recorded = {rid: o.path for rid, o in origins.items() if o is not None}
    paired: dict[FunctionRef, Rule] = {}
    claimed: set[str] = set()

    def claim(match) -> None:
        for ref in refs:
            if ref in paired:
                continue
            candidates = [r for r in rules if r.id not in claimed and match(ref, r, origins[r.id])]
            if candidates:
                rule = _pick(candidates, ref[1])
                paired[ref] = rule
                claimed.add(rule.id)

    claim(lambda ref, r, o: o is not None and o.function == ref[1] and recorded[r.id] is not None
          and recorded[r.id] == here[ref])
    claim(lambda ref, r, o: o is not None and o.function == ref[1] and Path(o.file).name == ref[0].name)
    claim(lambda ref, r, o: r.name == ref[1])
    return paired


def rule_for(path: Path, function: str, functions: Iterable[FunctionRef], rules: Sequence[Rule]) -> Rule | None:
    """The rule paired with one function of the listing `functions`."""
    return pair_rules([*functions, (path, function)], rules).get((Path(path), function))


def uploaded_from(path: str | Path, function: str, rules: Sequence[Rule]) -> list[Rule]:
    """The rules that record `function` of `path` (or of a file of that name) as their origin."""
    here = _resolved(path)
    found = []
    for rule in rules:
        origin = origin_of(rule)
        if origin is not None and origin.function == function and (
                origin.path == here or Path(origin.file).name == Path(path).name):
            found.append(rule)
    return found


def function_for(rule: Rule, functions: Iterable[FunctionRef], rules: Sequence[Rule]) -> FunctionRef | None:
    """The local function paired with `rule`, or None."""
    return next((ref for ref, r in pair_rules(functions, rules).items() if r.id == rule.id), None)
