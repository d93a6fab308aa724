"""Run rules as LangSmith stores them: read a v1 or v2 payload into a `Rule`, write the bodies.

`PATCH /runs/rules/{id}` replaces the rule's columns in full: whatever the body leaves out is
cleared. So a replace starts from the rule's own settings (`Rule.settings`, in request shape) and
changes only what the user asked for. Both backends keep `settings` in this one shape.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from tui.backend.core.errors import InvalidInput
from tui.backend.core.models import Rule, RuleKind, RuleSpec
from tui.backend.rules.sample_rate import validate_sample_rate

#: The columns a PATCH replaces (the rest of the rule is server-owned).
REPLACE_COLUMNS: tuple[str, ...] = (
    "display_name",
    "session_id",
    "dataset_id",
    "is_enabled",
    "filter",
    "trace_filter",
    "tree_filter",
    "sampling_rate",
    "add_to_annotation_queue_id",
    "add_to_dataset_id",
    "evaluators",
    "code_evaluators",
    "alerts",
    "webhooks",
    "add_to_dataset_prefer_correction",
    "extend_only",
    "include_extended_stats",
)

_BOOL_COLUMNS = ("is_enabled", "add_to_dataset_prefer_correction", "extend_only", "include_extended_stats")
_FILTER_COLUMNS = (("filter", "filter"), ("trace_filter", "trace filter"), ("tree_filter", "tree filter"))
FILTER_COLUMNS = tuple(column for column, _ in _FILTER_COLUMNS)

NameLookup = Callable[[str, str], "str | None"]  # (kind "dataset"|"project", id) -> name


def _lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _code_evaluator(raw: dict) -> dict:
    """A code evaluator in request shape: the create schema takes only code and language."""
    return {"code": raw.get("code") or "", "language": _lower(raw.get("language")) or "python"}


def _alert(raw: dict) -> dict:
    out = {"routing_key": raw.get("routing_key", "")}
    for key in ("summary", "severity", "type"):
        if raw.get(key) is not None:
            out[key] = _lower(raw[key])
    return out


def _structured(raw: dict) -> dict:
    inner = dict(raw.get("structured") or {})
    return {"structured": {k: v for k, v in inner.items() if v is not None}}


def settings_from_payload(raw: dict) -> dict[str, Any]:
    """The replaceable columns of a rule as read (v1 or v2 shape), in request shape."""
    session_id = raw.get("session_id") or raw.get("project_id")
    settings: dict[str, Any] = {column: raw.get(column) for column in REPLACE_COLUMNS}
    settings["session_id"] = str(session_id) if session_id else None
    settings["code_evaluators"] = [_code_evaluator(c) for c in raw.get("code_evaluators") or []] or None
    settings["evaluators"] = [_structured(e) for e in raw.get("evaluators") or []] or None
    settings["alerts"] = [_alert(a) for a in raw.get("alerts") or []] or None
    settings["webhooks"] = [
        {k: v for k, v in w.items() if k in ("url", "headers") and v is not None}
        for w in raw.get("webhooks") or []
    ] or None
    for column in _BOOL_COLUMNS:
        default = column == "is_enabled"
        settings[column] = bool(raw.get(column, default)) if raw.get(column) is not None else default
    return settings


def kind_of(settings: dict[str, Any]) -> tuple[RuleKind, str | None, dict | None]:
    """(kind, code, structured LLM evaluator) of a rule's settings."""
    code_evaluators = settings.get("code_evaluators") or []
    if code_evaluators:
        first = code_evaluators[0]
        kind: RuleKind = "javascript" if first.get("language") == "javascript" else "python"
        return kind, first.get("code"), None
    evaluators = settings.get("evaluators") or []
    if evaluators:
        return "llm", None, dict(evaluators[0].get("structured") or {})
    return "actions", None, None


def _host(url: str) -> str:
    parts = urlsplit(url)
    return (parts.netloc + parts.path) if parts.netloc else url  # never the query: it may hold a token


def side_actions(settings: dict[str, Any], raw: dict | None = None) -> tuple[str, ...]:
    """What the rule does besides scoring, for people (webhook headers are never shown)."""
    raw = raw or {}
    actions = [f"webhook {_host(w.get('url', ''))}" for w in settings.get("webhooks") or []]
    if settings.get("add_to_annotation_queue_id"):
        name = raw.get("add_to_annotation_queue_name") or settings["add_to_annotation_queue_id"]
        actions.append(f"add to annotation queue {name!r}")
    if settings.get("add_to_dataset_id"):
        name = raw.get("add_to_dataset_name") or settings["add_to_dataset_id"]
        actions.append(f"add to dataset {name!r}")
    actions += [f"{(a.get('type') or 'pagerduty').lower()} alert" for a in settings.get("alerts") or []]
    return tuple(actions)


def filters_of(settings: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((label, settings[col]) for col, label in _FILTER_COLUMNS if settings.get(col))


def rule_from_payload(raw: dict, lookup: NameLookup | None = None, parse_time=None) -> Rule:
    """A `Rule` from a run-rule payload (the v1 `Evaluator` or the v2 `Rule` read shape)."""
    settings = settings_from_payload(raw)
    kind, code, llm = kind_of(settings)
    dataset_id, session_id = settings.get("dataset_id"), settings.get("session_id")
    dataset_name = raw.get("dataset_name")
    project_name = raw.get("session_name") or raw.get("project_name")
    if lookup is not None:
        if dataset_id and not dataset_name:
            dataset_name = lookup("dataset", str(dataset_id))
        if session_id and not project_name:
            project_name = lookup("project", str(session_id))
    parse = parse_time or (lambda value: value)
    version = raw.get("evaluator_version")
    return Rule(
        id=str(raw["id"]),
        name=raw.get("display_name") or "",
        code=code,
        sampling_rate=float(raw.get("sampling_rate", 1.0)),
        is_enabled=bool(settings["is_enabled"]),
        dataset_id=str(dataset_id) if dataset_id else None,
        dataset_name=dataset_name,
        project_id=str(session_id) if session_id else None,
        project_name=project_name,
        created_at=parse(raw.get("created_at")),
        updated_at=parse(raw.get("updated_at")),
        kind=kind,
        llm=llm,
        side_actions=side_actions(settings, raw),
        filters=filters_of(settings),
        evaluator_version=int(version) if version is not None else None,
        settings=settings,
    )


def check_spec(spec: RuleSpec, require_target: bool = True) -> None:
    if spec.dataset_id and spec.project_id or (require_target and not (spec.dataset_id or spec.project_id)):
        raise InvalidInput("A rule needs exactly one of a dataset or a project.")
    validate_sample_rate(spec.sampling_rate, "Sampling rate")


def create_body(spec: RuleSpec, require_target: bool = True) -> dict[str, Any]:
    """The exact JSON LangSmith gets for a new Python code rule (the local workspace also takes
    unbound rules: `require_target=False`). A run rule has no metadata field: the code's first
    line records where it came from (`source.rule_origin`), so nothing else is added here."""
    check_spec(spec, require_target)
    body: dict[str, Any] = {
        "display_name": spec.name,
        "sampling_rate": spec.sampling_rate,
        "is_enabled": spec.is_enabled,
    }
    if spec.llm is not None:
        body["evaluators"] = [spec.llm]
    else:
        body["code_evaluators"] = [{"code": spec.code, "language": "python"}]
    if spec.dataset_id:
        body["dataset_id"] = spec.dataset_id
    elif spec.project_id:
        body["session_id"] = spec.project_id
    body.update({column: value for column, value in (spec.filters or {}).items() if value})
    return body


def replace_body(rule: Rule, spec: RuleSpec, require_target: bool = True) -> dict[str, Any]:
    """The full-replace body: the rule's own settings with only the code, name, sampling rate,
    target and enabled state taken from `spec` (which the plan filled from the rule where the
    user asked for no change), plus `evaluator_version` so a concurrent edit is refused."""
    check_spec(spec, require_target)
    wanted = "llm" if spec.llm is not None else "python"
    if rule.kind != wanted:
        what = "LLM-judge" if wanted == "llm" else "Python code"
        raise InvalidInput(
            f"Rule {rule.name!r} is a {rule.kind_label} rule; evaltui replaces it only with a {rule.kind_label} "
            f"evaluator, not a {what} one."
        )
    body = {column: rule.settings.get(column) for column in REPLACE_COLUMNS}
    body.update(
        display_name=spec.name,
        sampling_rate=spec.sampling_rate,
        is_enabled=spec.is_enabled,
        dataset_id=spec.dataset_id,
        session_id=spec.project_id,
    )
    if spec.llm is not None:
        body["evaluators"] = [spec.llm, *(rule.settings.get("evaluators") or [])[1:]]
    else:
        code_evaluators = [dict(c) for c in rule.settings.get("code_evaluators") or []]
        code_evaluators[0]["code"] = spec.code
        body["code_evaluators"] = code_evaluators
    if spec.filters is not None:
        for column, _ in _FILTER_COLUMNS:
            body[column] = spec.filters.get(column) or None
    for column in _BOOL_COLUMNS:
        body[column] = bool(body[column]) if body[column] is not None else column == "is_enabled"
    if rule.evaluator_version is not None:
        body["evaluator_version"] = rule.evaluator_version
    return body
