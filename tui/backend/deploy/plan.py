"""What bringing the workspace's rules to the manifest would change: creates, updates (code diff and
each setting changed or kept), deletes (only with `prune`), and rules changed on the server since
the last apply (drift, from the state file). Rules are listed once, whatever their number.

`prune` deletes the Python-code and LLM-judge rules the manifest does not name (the manifest, as
`init` writes it, describes the whole workspace); JavaScript and actions-only rules, which a
manifest cannot describe, are never touched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tui.backend.core.errors import Ambiguous, InvalidInput, NotFound, describe_error
from tui.backend.core.models import Rule, RuleSpec
from tui.backend.deploy.manifest import Manifest, ManifestError, ManifestRule
from tui.backend.deploy.state import DeployState
from tui.backend.rules.rule_payload import FILTER_COLUMNS

ChangeAction = Literal["create", "update", "delete"]
MANAGED_KINDS = ("python", "llm")


@dataclass(frozen=True)
class Change:
    action: ChangeAction
    name: str
    target_label: str = ""
    spec: RuleSpec | None = None  # create / update: the rule as it will be
    rule: Rule | None = None  # update / delete: the rule as read
    source: str = ""  # the manifest's file:function
    diff: str = ""  # update: old vs new code (or LLM prompt, schema, model)
    settings: tuple[str, ...] = ()  # update: "changed: …" / "kept: …"

    def headline(self) -> str:
        sign = {"create": "+", "update": "~", "delete": "-"}[self.action]
        where = f" ({self.target_label})" if self.target_label else ""
        return f"{sign} {self.action} {self.name!r}{where}"

    def detail_lines(self) -> list[str]:
        """Under the headline: where it comes from, each setting, the diff, what a delete takes."""
        lines = [f"from {self.source}"] if self.source else []
        lines += list(self.settings)
        if self.diff:
            lines += self.diff.rstrip("\n").split("\n")
        if self.action == "delete" and self.rule is not None:
            from tui.backend.rules.ops import delete_question

            lines.append(delete_question(self.rule).removeprefix("Delete evaluator ").rstrip("?"))
        return lines


@dataclass(frozen=True)
class Drift:
    name: str
    detail: str


@dataclass
class Plan:
    manifest: Manifest
    changes: list[Change]
    drift: list[Drift] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)  # rules the manifest does not name (kept)
    impact: dict[str, Any] = field(default_factory=dict)  # rule name -> impact.Impact

    @property
    def pending(self) -> bool:
        return bool(self.changes)

    def summary(self) -> str:
        counts = {a: sum(c.action == a for c in self.changes) for a in ("create", "update", "delete")}
        if not self.changes:
            return f"No changes: the workspace's rules match {self.manifest.path.name}."
        return (f"Plan: {counts['create']} to create, {counts['update']} to update, "
                f"{counts['delete']} to delete.")


def _desired(entry: ManifestRule, dataset_id: str | None, project_id: str | None) -> tuple[RuleSpec, str]:
    """The rule the manifest entry asks for, built as `upload` builds it; and its kind."""
    from tui.backend.rules.judge_rule import judge_rule_for
    from tui.backend.source.bundle import bundle_for_upload
    from tui.backend.source.parse import parse_evaluator_file
    from tui.backend.source.rule_origin import origin_for, with_origin

    judge = judge_rule_for(parse_evaluator_file(entry.path), entry.function)
    code = "" if judge else with_origin(bundle_for_upload(entry.path, entry.function).code,
                                        origin_for(entry.path, entry.function))
    spec = RuleSpec(name=entry.name, code=code, sampling_rate=entry.sampling_rate, dataset_id=dataset_id,
                    project_id=project_id, is_enabled=entry.enabled, llm=judge.structured() if judge else None,
                    filters=entry.filters)
    return spec, "llm" if judge else "python"


class _Targets:
    """Dataset and project names resolved once each."""

    def __init__(self, backend, manifest: Manifest):
        self.backend, self.manifest = backend, manifest
        self._cache: dict[tuple[str, str], str] = {}

    def ids(self, entry: ManifestRule) -> tuple[str | None, str | None]:
        kind, name = ("dataset", entry.dataset) if entry.dataset else ("project", entry.project)
        assert name is not None
        if (kind, name) not in self._cache:
            try:
                found = self.backend.get_dataset(name) if kind == "dataset" else self.backend.get_project(name)
            except NotFound as exc:
                raise ManifestError(f"{self.manifest.path}:{entry.target_line}: rule {entry.name!r}: "
                                    f"{describe_error(exc)}") from None
            self._cache[(kind, name)] = found.id
        found_id = self._cache[(kind, name)]
        return (found_id, None) if kind == "dataset" else (None, found_id)


def _filters(rule: Rule) -> dict[str, str]:
    return {c: rule.settings.get(c) for c in FILTER_COLUMNS if rule.settings.get(c)}


def _update(old: Rule, spec: RuleSpec, entry: ManifestRule, kind: str) -> Change | None:
    from tui.backend.rules.ops import _llm_text, code_diff, replace_settings
    from tui.backend.source.rule_origin import without_origin

    name = entry.name
    if kind == "llm":
        before, after = _llm_text(old.llm), _llm_text((spec.llm or {}).get("structured"))
    else:
        before, after = without_origin(old.code), without_origin(spec.code)
    diff = code_diff(before, after, name) if before != after else ""
    settings = list(replace_settings(old, spec, entry.target_label))
    filters_changed = False
    if spec.filters is not None:  # the manifest says them all: each filter kept, changed or removed
        kept_filters = {f"kept: {label} {value}" for label, value in old.filters}
        settings = [line for line in settings if line not in kept_filters]
        have, want = _filters(old), {k: v for k, v in spec.filters.items() if v}
        filters_changed = have != want
        for column in sorted(have.keys() | want.keys()):
            label, was, will = column.replace("_", " "), have.get(column), want.get(column)
            settings.append(f"changed: {label} {was or 'none'} -> {will or 'none'}" if was != will
                            else f"kept: {label} {was}")
    same_target = (old.dataset_id or None, old.project_id or None) == (spec.dataset_id, spec.project_id)
    changed = bool(diff) or not same_target or old.is_enabled != spec.is_enabled or \
        abs(old.sampling_rate - spec.sampling_rate) > 1e-9 or filters_changed
    if not changed:
        return None
    return Change("update", name, entry.target_label, spec, old, entry.source, diff, tuple(settings))


def make_plan(backend, manifest: Manifest, *, prune: bool = False, state: DeployState | None = None) -> Plan:
    from tui.backend.rules.ops import ambiguous_error, not_replaceable_error

    state = state or DeployState.load(manifest)
    rules = backend.list_rules()
    by_name: dict[str, list[Rule]] = {}
    for rule in rules:
        by_name.setdefault(rule.name, []).append(rule)
    targets = _Targets(backend, manifest)
    plan = Plan(manifest, [])
    for entry in manifest.rules:
        dataset_id, project_id = targets.ids(entry)
        spec, kind = _desired(entry, dataset_id, project_id)
        existing = by_name.get(entry.name, [])
        if len(existing) > 1:
            raise ambiguous_error(entry.name, existing)
        recorded = state.rules.get(entry.name)
        if not existing:
            if recorded:
                plan.drift.append(Drift(entry.name, "deleted on the server since the last apply"))
            plan.changes.append(Change("create", entry.name, entry.target_label, spec, source=entry.source))
            continue
        old = existing[0]
        if old.kind != kind:
            raise not_replaceable_error(old, kind)
        if recorded and recorded.get("id") != old.id:
            plan.drift.append(Drift(entry.name, f"replaced on the server since the last apply (now id {old.id})"))
        elif recorded and recorded.get("evaluator_version") not in (None, old.evaluator_version):
            plan.drift.append(Drift(entry.name, "edited on the server since the last apply (version "
                                    f"{recorded['evaluator_version']} → {old.evaluator_version})"))
        change = _update(old, spec, entry, kind)
        if change is None:
            plan.unchanged.append(entry.name)
        else:
            plan.changes.append(change)
    named = manifest.by_name()
    for rule in rules:
        if rule.name in named:
            continue
        if prune and rule.kind in MANAGED_KINDS:
            plan.changes.append(Change("delete", rule.name, rule.target_label, rule=rule))
        else:
            plan.unmanaged.append(f"{rule.name} ({rule.kind_summary})")
    return plan


# -- a saved plan ----------------------------------------------------------------------------------


def plan_document(plan: Plan) -> dict[str, Any]:
    """The plan as JSON (`plan --json`, `plan --out FILE`); `apply FILE` executes exactly it."""
    from dataclasses import asdict

    def change(c: Change) -> dict[str, Any]:
        return {
            "action": c.action, "name": c.name, "target": c.target_label, "source": c.source,
            "spec": asdict(c.spec) if c.spec else None,
            "rule_id": c.rule.id if c.rule else None,
            "evaluator_version": c.rule.evaluator_version if c.rule else None,
            "diff": c.diff, "settings": list(c.settings),
        }

    return {
        "manifest": str(plan.manifest.path),
        "changes": [change(c) for c in plan.changes],
        "drift": [{"name": d.name, "detail": d.detail} for d in plan.drift],
        "unchanged": plan.unchanged,
        "unmanaged": plan.unmanaged,
        "impact": {name: imp.as_json() for name, imp in plan.impact.items()},
    }


def load_saved_plan(backend, path: Path, manifest: Manifest) -> Plan:
    """A plan saved by `plan --out`, checked against the workspace now: an update or delete whose
    rule changed since (another `evaluator_version`) or a create whose name is now taken is refused."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
        items = doc["changes"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"{path}: not a plan saved by `evaltui plan --out` ({exc}).") from None
    rules = {r.id: r for r in backend.list_rules()}
    names = {r.name for r in rules.values()}
    changes = []
    for item in items:
        spec = RuleSpec(**item["spec"]) if item.get("spec") else None
        rule = rules.get(item.get("rule_id") or "")
        if item["action"] == "create" and item["name"] in names:
            raise Ambiguous(f"Rule {item['name']!r} exists now, not when the plan was made; plan again.")
        if item["action"] != "create":
            if rule is None:
                raise InvalidInput(f"Rule {item['name']!r} ({item.get('rule_id')}) is gone since the plan was "
                                   "made; plan again.")
            if item.get("evaluator_version") not in (None, rule.evaluator_version):
                raise InvalidInput(f"Rule {item['name']!r} was changed since the plan was made (version "
                                   f"{item['evaluator_version']} → {rule.evaluator_version}); plan again.")
        changes.append(Change(item["action"], item["name"], item.get("target", ""), spec, rule,
                              item.get("source", ""), item.get("diff", ""), tuple(item.get("settings") or ())))
    return Plan(manifest, changes)
