"""A fake LangSmith API on 127.0.0.1 for tests: in-memory stores, request recording, fault injection.

It speaks the real API: its answers follow the contract in the SDK's generated client
(`langsmith.Langsmith`, models in `langsmith/types/`) and in LangSmith's OpenAPI spec (the pieces it
needs are extracted into `tests/contract/schemas/`); `tests/contract/test_fake_contract.py` proves
it with `_strict_response_validation=True`. When the fake and the contract disagree, the contract
wins.

    server = FakeLangSmith().start()
    client = langsmith.Client(api_url=server.url, api_key=server.api_key)
    server.inject("GET", r"^/datasets", status=429, times=2)
    server.requests_to("POST", "/runs/rules")[-1].json

Routes. `langsmith.Client` calls paths without prefix (`/runs/rules`); the generated client calls
`/api/v1/...`: every route below also answers under `/api/v1`.
  GET /info · GET|POST /datasets · GET|DELETE /datasets/{id} · GET /datasets/{id}/version
  GET /datasets/{id}/versions · PUT /datasets/{id}/tags · GET|PUT /datasets/{id}/splits
  GET /datasets/{id}/jsonl · GET /datasets/{id}/csv
  GET|DELETE /examples · GET /examples/count · POST /examples/bulk · GET|PATCH /examples/{id}
  POST|PATCH /v1/platform/datasets/{id}/examples (multipart) · PATCH .../examples/metadata (also /api/v1/...)
  GET|POST /sessions · GET|PATCH|DELETE /sessions/{id}
  GET|POST /runs/rules (v1) · PATCH|DELETE /runs/rules/{id} · GET /api/v2/runs/rules (v2)
  POST /runs · PATCH /runs/{id} · POST /runs/batch · POST /runs/multipart · POST /runs/query
  GET /runs/{id} · POST|GET /feedback
  GET|POST /api/v1/platform/evaluators · GET /api/v1/platform/evaluators/{id} (also /v1/platform/...)
  GET /api/v1/commits/{owner}/{repo}/{commit} (prompt-hub manifests: `seed_prompt`)

Behaviours (each has a test in tests/unit/test_fake_langsmith.py or tests/contract/):
 1. Rules are stored with every field of the v1 read model (`types/evaluator.py` Evaluator, the
    spec's RunRulesSchema): evaluator_version starts at 1 and grows by one on each PATCH; names
    (dataset_name, session_name, add_to_*_name) are filled in from the ids.
 2. `POST /runs/rules` and `PATCH /runs/rules/{id}` validate their JSON body against the spec's
    RunRulesCreateSchema / RunRulesUpdateSchema (jsonschema); a body that does not validate gets
    422 `{"detail": [{"loc", "msg", "type"}]}` like FastAPI. Strictness choice: with
    `strict_bodies=True` (the default) an unknown field is a 422 too, at any depth. The real
    server ignores unknown fields, but for us one means the product sends something wrong.
    `fake.strict_bodies = False` gives the real server's leniency.
 3. PATCH replaces the 17 columns in `RULE_REPLACED_ON_PATCH`: what the body omits is reset (null,
    [] or the schema default: is_enabled true, booleans false). Other schema fields change only
    when given. created_at is kept, updated_at is now, evaluator_version + 1. Optimistic
    concurrency (the fake's model): a body carrying `evaluator_version` different from the
    stored one gets 409 `{"detail": ...}`.
 4. `GET /runs/rules` (v1): a list in the v1 shape; filters dataset_id, session_id, evaluator_id,
    name_contains (case-insensitive), id (repeatable), type=session|dataset. With
    `fake.v1_rules_enabled = False` it answers 410 Gone.
 5. `GET /api/v2/runs/rules`: `{"items": [Rule], "next_cursor"}` in the v2 `types/rule.py` shape
    (languages PYTHON/JAVASCRIPT, `require_attachments` on code evaluators, alerts and group_by
    upper case, project_id/project_name for the tracing project), sorted by updated_at desc then
    id desc; filters dataset_id, project_id, evaluator_id, name_contains, id, type=PROJECT|DATASET;
    page_size 1..100 (default 20, as the spec's other v2 lists); `cursor` is opaque (base64 JSON),
    an invalid one is 422. With `fake.v2_rules_enabled = False` it is 404 (an older server).
 6. `seed_rule(...)` seeds every kind of rule (python/javascript code, LLM judge, webhook-only,
    annotation queue, add-to-dataset, filters, alerts, ...) through the same validation;
    `seed_annotation_queue(name)` names a queue.
 7. List `limit` must be 1..100 and `offset` >= 0 (datasets, examples, sessions, feedback, the
    runs query body): else 422. Path ids must be UUIDs (datasets, examples, sessions, runs,
    runs/rules): else 422; a well-formed unknown id is 404. Query ids with format uuid too.
    The platform evaluators service (Go) answers its spec's way instead: 400 `{"error": ...}`.
 8. Asynchronous ingestion: with `ingest_delay` > 0 (constructor argument and attribute) runs
    (POST /runs, PATCH /runs/{id}, /runs/batch, /runs/multipart) and feedback (POST /feedback,
    multipart feedback parts) are accepted at once (runs: 202) but reach the stores, and so reads
    (runs query, GET /runs/{id}, GET /feedback, session stats), only `ingest_delay` seconds later.
    `flush_ingestion()` applies everything pending now; `wait_ingested()` waits until it is due.
 9. Feedback is stored as received (SDK's FeedbackCreate: `error`, `extra`, ...) but read back in
    the read schema (spec FeedbackSchema / `langsmith.schemas.Feedback`): no top-level `error`;
    `extra` kept as sent.
10. Sessions: run_count, latency_p50/p99, feedback_stats and the other stats are null unless the
    request says `include_stats=true` (GET /sessions, GET /sessions/{id}); then run_count counts
    the visible root runs.
11. Workspace evaluators (`/api/v1/platform/evaluators`): offset pages `{"evaluators", "total"}`
    (limit 1..100, default 100; filters type, name_contains, feedback_key, resource_id), one
    `OnlineEvaluator` by id, `POST` validated against `online_evaluator_create_params`; `run_rules`
    derived live from the stored rules whose `evaluator_id` is the evaluator's.
12. Every answer carries exactly the fields of its response schema (FastAPI's response_model
    filtering), whatever the store holds: the spec's schema (Dataset, Example, TracerSession,
    RunSchema, FeedbackSchema) or, for rules, the SDK's newer generated models. Examples have the
    spec's required `name`; runs the required dotted_order, status, app_path, session_id.
13. Datasets are versioned like LangSmith's (tests/unit/test_langsmith_datasets.py): every
    write (examples created, edited, soft-deleted, split changes) makes one version per dataset it
    touches, named by a strictly increasing time. `as_of` (a time, "latest" or a tag) reads the
    dataset as it was: examples created by then, not deleted by then, with their content then.
    Splits live in `metadata.dataset_split` (a list); a new example without `split` is in "base".
    `GET /info` advertises `dataset_examples_multipart_enabled`, so the SDK creates and updates
    examples through the multipart platform endpoint; with the flag off it uses `/examples/bulk`
    and `PATCH /examples/{id}`. `fake.bulk_metadata_enabled = False` answers the platform's
    `PATCH .../examples/metadata` 404 like an older server (the SDK then falls back to
    `PUT /datasets/{id}/splits`). Reads are cached per (dataset, version count, as_of, splits) and
    writes touch only what they change, so 100,000 examples in batches stay fast.

All stores are plain dicts keyed by id (str), safe to read from tests (`fake.rules[id]` is the
stored rule in the v1 shape). The server is threaded; everything runs under one RLock.
"""

from __future__ import annotations

import base64
import bisect
import copy
import csv
import email.parser
import email.policy
import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback import LoopbackServer

DEFAULT_API_KEY = "lsv2_pt_fake-fakefake0000000000000000_abcd1234"
TENANT_ID = "00000000-0000-4000-8000-00000000fa4e"
SCHEMA_DIR = Path(__file__).resolve().parent.parent / "contract" / "schemas"
DEFAULT_CODE = "def perform_eval(run, example):\n    return {'score': 1}\n"

# What the fake advertises on GET /info. Multipart ingestion stays on (the SDK default) because the
# fake parses it; zstd compression stays off (the SDK only compresses when the server says so).
DEFAULT_INFO: dict[str, Any] = {
    "version": "0.10.0",
    "batch_ingest_config": {
        "use_multipart_endpoint": True,
        "scale_up_qsize_trigger": 1000,
        "scale_up_nthreads_limit": 16,
        "scale_down_nempty_trigger": 4,
        "size_limit": 100,
        "size_limit_bytes": 20_971_520,
    },
    "instance_flags": {"zstd_compression_enabled": False, "dataset_examples_multipart_enabled": True},
}

# The v1 read model of a rule: every field of `langsmith/types/evaluator.py` Evaluator ("Run rules
# schema"); the contract suite checks this list against the model.
RULE_V1_FIELDS: tuple[str, ...] = (
    "id", "created_at", "display_name", "evaluator_version", "sampling_rate", "tenant_id",
    "updated_at", "webhooks", "add_to_annotation_queue_id", "add_to_annotation_queue_name",
    "add_to_dataset_id", "add_to_dataset_name", "add_to_dataset_prefer_correction", "alerts",
    "alignment_annotation_queue_id", "backfill_completed_at", "backfill_error", "backfill_from",
    "backfill_id", "backfill_progress", "backfill_status", "code_evaluators",
    "corrections_dataset_id", "dataset_id", "dataset_name", "effective_spend_limit",
    "evaluator_id", "evaluator_name", "evaluator_type", "evaluators",
    "extend_annotation_queue_trace_retention", "extend_dataset_trace_retention",
    "extend_evaluator_trace_retention", "extend_only", "extend_webhook_trace_retention", "filter",
    "group_by", "include_extended_stats", "is_enabled", "is_managed_evaluator",
    "is_tracing_disabled", "num_few_shot_examples", "session_id", "session_name", "spend_limit",
    "spend_usd", "thread_filter", "trace_count", "trace_filter", "transient", "tree_filter",
    "use_corrections_dataset",
)
# The v2 read model: `langsmith/types/rule.py` Rule (project_* instead of session_*).
RULE_V2_FIELDS: tuple[str, ...] = tuple(
    {"session_id": "project_id", "session_name": "project_name"}.get(f, f) for f in RULE_V1_FIELDS
)

# PATCH /runs/rules/{id} replaces these 17 columns; an omitted one gets this value.
RULE_REPLACED_ON_PATCH: dict[str, Any] = {
    "display_name": None,  # required by the schema
    "session_id": None,
    "dataset_id": None,
    "is_enabled": True,
    "filter": None,
    "trace_filter": None,
    "tree_filter": None,
    "sampling_rate": None,  # required by the schema
    "add_to_annotation_queue_id": None,
    "add_to_dataset_id": None,
    "evaluators": [],
    "code_evaluators": [],
    "alerts": [],
    "webhooks": [],
    "add_to_dataset_prefer_correction": False,
    "extend_only": False,
    "include_extended_stats": False,
}
# Other create/update schema fields a body may set (kept as they are when a PATCH omits them).
RULE_OTHER_BODY_FIELDS = (
    "backfill_from", "use_corrections_dataset", "num_few_shot_examples", "transient",
    "evaluator_id", "group_by", "spend_limit",
)
_RULE_LIST_COLUMNS = ("evaluators", "code_evaluators", "alerts", "webhooks")
_RULE_DEFAULTS: dict[str, Any] = {
    **{f: None for f in RULE_V1_FIELDS},
    **RULE_REPLACED_ON_PATCH,
    "is_managed_evaluator": False,
    "is_tracing_disabled": False,
    "transient": False,
    "use_corrections_dataset": False,
}

_UUID_MSG = "Input should be a valid UUID"
SPLIT_KEY = "dataset_split"  # where an example's splits live, in its metadata


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def _try_dt(value: Any) -> datetime | None:
    """An ISO time (with "Z", "+00:00", a space for "T", or naive: UTC), else None."""
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _split_list(value: Any) -> list[str] | None:
    """A split value (a name or a list of names) as a list without repeats; None stays None."""
    if value is None:
        return None
    names = [value] if isinstance(value, str) else [str(v) for v in value]
    return list(dict.fromkeys(names))


def _parse_dt(value: Any) -> datetime:
    if isinstance(value, datetime):
        dt = value
    else:
        try:
            dt = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return datetime.min.replace(tzinfo=timezone.utc)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


@cache
def load_schema(name: str) -> dict:
    """One of the extracted spec schemas in tests/contract/schemas (`$ref`s resolved)."""
    return json.loads((SCHEMA_DIR / f"{name}.json").read_text())


def schema_fields(name: str) -> tuple[str, ...]:
    return tuple(load_schema(name)["properties"])


def forbid_unknown_fields(schema: Any) -> Any:
    """A copy of `schema` where every object with listed properties rejects other keys."""
    if isinstance(schema, list):
        return [forbid_unknown_fields(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: forbid_unknown_fields(v) for k, v in schema.items()}
    if "properties" in schema and "additionalProperties" not in schema:
        out["additionalProperties"] = False
    return out


@cache
def body_validator(name: str, strict: bool):
    import jsonschema

    schema = load_schema(name)
    if strict:
        schema = forbid_unknown_fields(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


@dataclass
class RecordedRequest:
    """One request as the server saw it. `headers` keys are lower-case; nothing is redacted."""

    method: str
    path: str
    query: dict[str, Any]  # one value -> str, repeated -> list[str]
    headers: dict[str, str]
    body: bytes
    json: Any  # parsed JSON body, the parsed multipart parts ({name: json}) or None
    status: int | None = None  # what the server answered (None if the connection was dropped)


@dataclass
class Fault:
    method: str
    path_regex: re.Pattern[str]
    status: int | None
    times: int
    nth: int | None
    delay: float
    body: Any
    drop_connection: bool
    seen: int = 0
    fired: int = 0

    def fires_for(self, method: str, path: str) -> bool:
        """Count a matching call and say whether this fault applies to it."""
        if self.method not in ("*", method) or not self.path_regex.search(path):
            return False
        self.seen += 1
        if self.nth is not None:
            hit = self.seen == self.nth
        else:
            hit = self.fired < self.times
        if hit:
            self.fired += 1
        return hit


@dataclass(frozen=True)
class RawBody:
    """An answer that is not JSON (a file download)."""

    content_type: str
    data: bytes


class HttpError(Exception):
    """An error answer: `{"detail": detail}` (FastAPI) unless a whole `body` is given (Go services)."""

    def __init__(self, status: int, detail: Any = None, *, body: Any = None):
        super().__init__(detail if body is None else body)
        self.status, self.detail = status, detail
        self.body = body if body is not None else {"detail": detail}


def _invalid(loc: list, msg: str, type_: str, value: Any = None) -> HttpError:
    item = {"loc": loc, "msg": msg, "type": type_}
    if value is not None:
        item["input"] = value
    return HttpError(422, [item])


def _go_error(status: int, message: str) -> HttpError:
    return HttpError(status, body={"error": message})


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


def _path_uuid(value: str, name: str) -> str:
    if not _is_uuid(value):
        raise _invalid(["path", name], f"{_UUID_MSG}, invalid character: found {value!r}", "uuid_parsing", value)
    return str(uuid.UUID(value))


def _uuid_list(q: dict, name: str, where: str = "query") -> list[str]:
    values = _as_list(q.get(name))
    for i, v in enumerate(values):
        if not _is_uuid(v):
            raise _invalid([where, name, i] if isinstance(q.get(name), list) else [where, name],
                           _UUID_MSG, "uuid_parsing", v)
    return [str(uuid.UUID(str(v))) for v in values]


def _one_uuid(q: dict, name: str) -> str | None:
    value = q.get(name)
    if isinstance(value, list):
        value = value[-1]
    if value is None or value == "":
        return None
    if not _is_uuid(value):
        raise _invalid(["query", name], _UUID_MSG, "uuid_parsing", value)
    return str(uuid.UUID(str(value)))


def _int_param(q: dict, name: str, default: int, lo: int | None = None, hi: int | None = None,
               where: str = "query") -> int:
    raw = q.get(name)
    if isinstance(raw, list):
        raw = raw[-1]
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        raise _invalid([where, name], "Input should be a valid integer", "int_type", raw)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise _invalid([where, name], "Input should be a valid integer, unable to parse string as an integer",
                       "int_parsing", raw) from None
    if lo is not None and value < lo:
        raise _invalid([where, name], f"Input should be greater than or equal to {lo}", "greater_than_equal", raw)
    if hi is not None and value > hi:
        raise _invalid([where, name], f"Input should be less than or equal to {hi}", "less_than_equal", raw)
    return value


def _bool_param(q: dict, name: str, default: bool | None) -> bool | None:
    raw = q.get(name)
    if isinstance(raw, list):
        raw = raw[-1]
    if raw is None or raw == "":
        return default
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes", "on", "t", "y"):
        return True
    if text in ("false", "0", "no", "off", "f", "n"):
        return False
    raise _invalid(["query", name], "Input should be a valid boolean, unable to interpret input", "bool_parsing", raw)


def _enum_param(q: dict, name: str, allowed: tuple[str, ...]) -> str | None:
    raw = q.get(name)
    if isinstance(raw, list):
        raw = raw[-1]
    if raw is None or raw == "":
        return None
    if raw not in allowed:
        raise _invalid(["query", name], "Input should be " + " or ".join(repr(a) for a in allowed), "enum", raw)
    return raw


def _jsonschema_detail(errors: list) -> list[dict]:
    """jsonschema errors as FastAPI/pydantic validation details."""
    def leaf(err: Any) -> Any:  # inside anyOf [X, null]: the reason X failed, as deep as it goes
        while err.context:
            tries = [c for c in err.context if not (c.validator == "type" and c.validator_value == "null")]
            err = max(tries or err.context, key=lambda c: len(c.absolute_path))
        return err

    detail: list[dict] = []
    for err in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
        err = leaf(err)
        loc = ["body", *err.absolute_path]
        if err.validator == "required":
            for key in err.validator_value:
                if isinstance(err.instance, dict) and key not in err.instance:
                    detail.append({"loc": [*loc, key], "msg": "Field required", "type": "missing"})
        elif err.validator == "additionalProperties" and isinstance(err.instance, dict):
            known = set(err.schema.get("properties", {}))
            for key in err.instance:
                if key not in known:
                    detail.append({"loc": [*loc, key], "msg": "Extra inputs are not permitted",
                                   "type": "extra_forbidden", "input": err.instance[key]})
        else:
            kind = {"type": f"{err.validator_value}_type" if isinstance(err.validator_value, str) else "type_error",
                    "format": f"{err.validator_value}_parsing", "enum": "enum", "const": "literal_error",
                    "minimum": "greater_than_equal", "maximum": "less_than_equal"}.get(err.validator, err.validator)
            detail.append({"loc": loc, "msg": err.message, "type": kind})
    return detail


def _encode_cursor(payload: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(payload, dict) or not {"updated_at", "id"} <= payload.keys():
            raise ValueError(cursor)
        return payload
    except (ValueError, UnicodeDecodeError):
        raise _invalid(["query", "cursor"], "Invalid cursor", "value_error", cursor) from None


def _percentile(values: list[float], p: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _drop_none(d: dict) -> dict:
    """Go services leave empty fields out (`omitempty`)."""
    return {k: v for k, v in d.items() if v is not None}


class FakeLangSmith(LoopbackServer):
    """In-memory LangSmith. All stores are plain dicts keyed by id (str), safe to read from tests."""

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        info: dict[str, Any] | None = None,
        default_project: bool = True,
        *,
        ingest_delay: float = 0.0,
        strict_bodies: bool = True,
    ):
        self.api_key = api_key
        self.info: dict[str, Any] = json.loads(json.dumps(info or DEFAULT_INFO))
        self.ingest_delay = ingest_delay
        self.strict_bodies = strict_bodies
        self.v1_rules_enabled = True
        self.v2_rules_enabled = True
        self.datasets: dict[str, dict] = {}
        self.examples: dict[str, dict] = {}  # id -> the example as it is now (soft-deleted ones too)
        self.bulk_metadata_enabled = True
        self._clock = datetime.min.replace(tzinfo=timezone.utc)  # the last version time handed out
        self._versions: dict[str, list[datetime]] = {}  # dataset id -> its version times, ascending
        self._tags: dict[str, dict[str, datetime]] = {}  # dataset id -> tag -> version time
        self._dataset_examples: dict[str, list[str]] = {}  # dataset id -> example ids, creation order
        self._history: dict[str, list[tuple[datetime, dict | None]]] = {}  # example id -> (time, content|None)
        self._live: dict[str, int] = {}  # dataset id -> examples not deleted
        self._visible_cache: dict[tuple, list[dict]] = {}
        self.sessions: dict[str, dict] = {}
        self.runs: dict[str, dict] = {}
        self.feedback: dict[str, dict] = {}
        self.rules: dict[str, dict] = {}
        self.annotation_queues: dict[str, dict] = {}
        self.workspace_evaluators: dict[str, dict] = {}
        self.prompts: dict[tuple[str, str], list[dict]] = {}  # (owner, repo) -> commits, newest last
        self.requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._pending: list[tuple[float, Callable[[], None]]] = []  # (due, apply), in arrival order
        self._lock = threading.RLock()
        v1 = r"^(?:/api/v1)?"
        platform = r"^(?:/api)?/v1/platform/evaluators"
        datasets_platform = r"^(?:/api)?/v1/platform/datasets/(?P<id>[^/]+)"
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
            (m, re.compile(p + r"/?$"), h)
            for m, p, h in [
                ("GET", v1 + r"/info", self._get_info),
                ("GET", v1 + r"/datasets", self._list_datasets),
                ("POST", v1 + r"/datasets", self._create_dataset),
                ("GET", v1 + r"/datasets/(?P<id>[^/]+)", self._read_dataset),
                ("DELETE", v1 + r"/datasets/(?P<id>[^/]+)", self._delete_dataset),
                ("GET", v1 + r"/datasets/(?P<id>[^/]+)/version", self._read_dataset_version),
                ("GET", v1 + r"/datasets/(?P<id>[^/]+)/versions", self._list_dataset_versions),
                ("PUT", v1 + r"/datasets/(?P<id>[^/]+)/tags", self._tag_dataset_version),
                ("GET", v1 + r"/datasets/(?P<id>[^/]+)/splits", self._list_dataset_splits),
                ("PUT", v1 + r"/datasets/(?P<id>[^/]+)/splits", self._update_dataset_splits),
                ("GET", v1 + r"/datasets/(?P<id>[^/]+)/jsonl", self._export_jsonl),
                ("GET", v1 + r"/datasets/(?P<id>[^/]+)/csv", self._export_csv),
                ("GET", v1 + r"/examples", self._list_examples),
                ("DELETE", v1 + r"/examples", self._delete_examples),
                ("GET", v1 + r"/examples/count", self._count_examples),
                ("POST", v1 + r"/examples/bulk", self._create_examples_bulk),
                ("GET", v1 + r"/examples/(?P<id>[^/]+)", self._read_example),
                ("PATCH", v1 + r"/examples/(?P<id>[^/]+)", self._update_example),
                ("POST", datasets_platform + r"/examples", self._upload_examples_multipart),
                ("PATCH", datasets_platform + r"/examples", self._update_examples_multipart),
                ("PATCH", datasets_platform + r"/examples/metadata", self._update_examples_metadata),
                ("GET", v1 + r"/sessions", self._list_sessions),
                ("POST", v1 + r"/sessions", self._create_session),
                ("GET", v1 + r"/sessions/(?P<id>[^/]+)", self._read_session),
                ("PATCH", v1 + r"/sessions/(?P<id>[^/]+)", self._update_session),
                ("DELETE", v1 + r"/sessions/(?P<id>[^/]+)", self._delete_session),
                ("GET", v1 + r"/runs/rules", self._list_rules),
                ("GET", r"^/api/v2/runs/rules", self._list_rules_v2),
                ("POST", v1 + r"/runs/rules", self._create_rule),
                ("PATCH", v1 + r"/runs/rules/(?P<id>[^/]+)", self._update_rule),
                ("DELETE", v1 + r"/runs/rules/(?P<id>[^/]+)", self._delete_rule),
                ("POST", v1 + r"/runs/batch", self._runs_batch),
                ("POST", v1 + r"/runs/multipart", self._runs_multipart),
                ("POST", v1 + r"/runs/query", self._query_runs),
                ("POST", v1 + r"/runs", self._create_run),
                ("GET", v1 + r"/runs/(?P<id>[^/]+)", self._read_run),
                ("PATCH", v1 + r"/runs/(?P<id>[^/]+)", self._update_run),
                ("POST", v1 + r"/feedback", self._create_feedback),
                ("GET", v1 + r"/feedback", self._list_feedback),
                ("GET", platform, self._list_workspace_evaluators),
                ("POST", platform, self._create_workspace_evaluator),
                ("GET", platform + r"/(?P<id>[^/]+)", self._read_workspace_evaluator),
                ("GET", v1 + r"/commits/(?P<owner>[^/]+)/(?P<repo>[^/]+)/(?P<commit>[^/]+)", self._read_commit),
            ]
        ]
        if default_project:
            # Like a real workspace. The SDK also needs one session to learn the tenant id: without
            # it, list_examples asks GET /sessions?limit=1 again for every example.
            self.seed_project("default")

    # -- lifecycle ----------------------------------------------------------------------
    # stop(), port and url come from LoopbackServer.
    def start(self) -> FakeLangSmith:
        self._start_server(type("Handler", (_Handler,), {"fake": self}), poll_interval=0.05)
        return self

    # -- test helpers ---------------------------------------------------------------------
    def requests_to(self, method: str, path_prefix: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    def inject(
        self,
        method: str,
        path_regex: str,
        status: int | None = 500,
        times: int = 1,
        nth: int | None = None,
        delay: float = 0.0,
        body: Any = None,
        drop_connection: bool = False,
    ) -> Fault:
        """Fail matching calls: the `nth` one (1-based) if given, else the next `times` ones.

        `delay` sleeps before answering; with `status=None` the call is only slowed down and then
        served normally. `method="*"` matches any method. `drop_connection` closes the socket unanswered.
        `path_regex` is searched in the raw path: `^/runs/rules` does not match the generated client's
        `/api/v1/runs/rules` nor the v2 listing `/api/v2/runs/rules` (use `^(/api/v[12])?/runs/rules`).
        """
        fault = Fault(
            method.upper(), re.compile(path_regex), status, times, nth, delay, body, drop_connection
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending_ingestion(self) -> int:
        """How many accepted run / feedback writes are not visible yet."""
        with self._lock:
            return len(self._pending)

    def flush_ingestion(self) -> None:
        """Make every accepted run / feedback write visible now."""
        with self._lock:
            pending, self._pending = self._pending, []
            for _, apply in pending:
                apply()

    def wait_ingested(self, timeout: float | None = None) -> bool:
        """Wait (really) until every accepted write is due and visible. False on timeout."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                self._settle()
                if not self._pending:
                    return True
                due = self._pending[-1][0]
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                return False
            time.sleep(max(0.0, min(due - now, 0.05 if deadline is None else deadline - now)) or 0.005)

    def seed_dataset(
        self, name: str, examples: list[tuple[dict, dict]] = (), description: str = ""
    ) -> dict:
        """A dataset with `examples` (inputs, outputs) created in one version (none if empty)."""
        with self._lock:
            ds = self._new_dataset({"name": name, "description": description})
            if examples:
                self._create_examples(ds["id"], [{"inputs": i, "outputs": o} for i, o in examples])
            return ds

    def seed_project(self, name: str, reference_dataset_id: str | None = None) -> dict:
        with self._lock:
            return self._new_session({"name": name, "reference_dataset_id": reference_dataset_id})

    def seed_annotation_queue(self, name: str | None = None, queue_id: str | None = None) -> dict:
        """An annotation queue a rule can add runs to (`add_to_annotation_queue_id`)."""
        with self._lock:
            qid = str(queue_id or uuid.uuid4())
            queue = {"id": qid, "name": name or f"Annotation queue {qid[:8]}", "created_at": _now()}
            self.annotation_queues[qid] = queue
            return queue

    def seed_rule(
        self,
        display_name: str,
        code: Any = ...,  # str, None (no code evaluator) or ... (see below)
        *,
        dataset_id: str | None = None,
        session_id: str | None = None,
        sampling_rate: float = 1.0,
        is_enabled: bool = True,
        language: str = "python",
        code_evaluators: list[dict] | None = None,
        evaluators: list[dict] | None = None,
        webhooks: list[dict] | None = None,
        alerts: list[dict] | None = None,
        filter: str | None = None,
        trace_filter: str | None = None,
        tree_filter: str | None = None,
        add_to_annotation_queue_id: str | None = None,
        add_to_dataset_id: str | None = None,
        add_to_dataset_prefer_correction: bool = False,
        include_extended_stats: bool = False,
        extend_only: bool = False,
        evaluator_id: str | None = None,
        group_by: str | None = None,
        use_corrections_dataset: bool = False,
        num_few_shot_examples: int | None = None,
        transient: bool = False,
        backfill_from: str | None = None,
        spend_limit: dict | None = None,
    ) -> dict:
        """Store a rule as `POST /runs/rules` would (same validation) and return the stored dict.

        `code` defaults to a python `perform_eval` unless `evaluators` (an LLM judge) are given;
        `code=None` seeds a rule without code evaluator (webhook-only, add-to-dataset, annotation
        queue). `language="javascript"` for a JS code evaluator; `code_evaluators` overrides both.
        """
        if code is ...:
            code = None if evaluators else DEFAULT_CODE
        if code_evaluators is None:
            code_evaluators = [{"code": code, "language": language}] if code is not None else []
        body: dict[str, Any] = {
            "display_name": display_name,
            "sampling_rate": sampling_rate,
            "is_enabled": is_enabled,
            "dataset_id": dataset_id,
            "session_id": session_id,
            "code_evaluators": code_evaluators,
            "evaluators": evaluators or [],
            "webhooks": webhooks or [],
            "alerts": alerts or [],
            "filter": filter,
            "trace_filter": trace_filter,
            "tree_filter": tree_filter,
            "add_to_annotation_queue_id": add_to_annotation_queue_id,
            "add_to_dataset_id": add_to_dataset_id,
            "add_to_dataset_prefer_correction": add_to_dataset_prefer_correction,
            "include_extended_stats": include_extended_stats,
            "extend_only": extend_only,
            "evaluator_id": evaluator_id,
            "group_by": group_by,
            "use_corrections_dataset": use_corrections_dataset,
            "num_few_shot_examples": num_few_shot_examples,
            "transient": transient,
            "backfill_from": backfill_from,
            "spend_limit": spend_limit,
        }
        with self._lock:
            try:
                self._check_body("RunRulesCreateSchema", body)
                return self._store_rule(body)
            except HttpError as e:
                raise ValueError(f"seed_rule({display_name!r}): the API would answer HTTP {e.status}: "
                                 f"{e.detail}") from None

    def seed_workspace_evaluator(
        self,
        name: str,
        *,
        type: str = "code",
        code: str = DEFAULT_CODE,
        language: str = "python",
        dependencies: str | None = None,
        build_status: str = "READY",
        build_error: str | None = None,
        feedback_keys: list[str] | None = None,
        prompt_repo_handle: str | None = None,
        commit: str | None = None,
        variable_mapping: dict | None = None,
        metadata: dict | None = None,
        evaluator_id: str | None = None,
    ) -> dict:
        """A workspace evaluator (`GET /api/v1/platform/evaluators`): type "code" or "llm"."""
        with self._lock:
            return self._new_workspace_evaluator(
                name, type=type, code=code, language=language, dependencies=dependencies,
                build_status=build_status, build_error=build_error, feedback_keys=feedback_keys,
                prompt_repo_handle=prompt_repo_handle, commit=commit, variable_mapping=variable_mapping,
                metadata=metadata, evaluator_id=evaluator_id,
            )

    def seed_prompt(self, handle: str, manifest: dict, commit_hash: str | None = None) -> str:
        """A prompt-hub commit of `handle` ("owner/repo", or "repo" for the workspace's own "-"),
        read by `GET /commits/{owner}/{repo}/{commit}` (CommitManifestResponse); it becomes latest."""
        owner, _, repo = handle.rpartition("/")
        commit_hash = commit_hash or uuid.uuid4().hex[:8]
        with self._lock:
            self.prompts.setdefault((owner or "-", repo), []).append(
                {"commit_hash": commit_hash, "manifest": manifest, "examples": []})
        return commit_hash

    def _read_commit(self, req, owner, repo, commit):
        commits = self.prompts.get((owner, repo)) or []
        found = commits[-1:] if commit == "latest" else [c for c in commits if c["commit_hash"] == commit]
        if not found:
            raise HttpError(404, f"Commit {owner}/{repo}/{commit} not found")
        return 200, dict(found[0])

    def examples_of(self, dataset_id: str) -> list[dict]:
        """The dataset's examples now (not the soft-deleted ones), in creation order."""
        with self._lock:
            return list(self._visible(dataset_id, None, None)) if dataset_id in self.datasets else []

    def versions_of(self, dataset_id: str) -> list[str]:
        """The dataset's version times (ISO), oldest first."""
        with self._lock:
            return [t.isoformat() for t in self._versions.get(dataset_id, [])]

    def runs_in(self, session_id: str) -> list[dict]:
        with self._lock:
            self._settle()
            return [r for r in self.runs.values() if r.get("session_id") == session_id]

    # -- request handling (called by _Handler) -----------------------------------------------
    def handle(self, req: RecordedRequest) -> tuple[int, Any, float, bool]:
        """Return (status, json body, delay, drop_connection)."""
        with self._lock:
            self.requests.append(req)
            fault = next((f for f in self._faults if f.fires_for(req.method, req.path)), None)
        delay, drop = 0.0, False
        if fault is not None:
            delay, drop = fault.delay, fault.drop_connection
            if fault.status is not None or drop:
                status = fault.status or 500
                body = fault.body if fault.body is not None else {"detail": f"Injected fault (HTTP {status})."}
                return status, body, delay, drop
        if req.path not in ("/info", "/api/v1/info") and req.headers.get("x-api-key") != self.api_key:
            return 401, {"detail": "Invalid token"}, delay, False
        for method, pattern, handler in self._routes:
            m = pattern.match(req.path)
            if m and method == req.method:
                try:
                    with self._lock:
                        self._settle()
                        status, body = handler(req, **m.groupdict())
                except HttpError as e:
                    status, body = e.status, e.body
                return status, body, delay, False
        return 404, {"detail": "Not Found"}, delay, False

    # -- ingestion ----------------------------------------------------------------------------
    def _ingest(self, apply: Callable[[], None]) -> None:
        """Apply a run / feedback write now, or `ingest_delay` seconds from now."""
        if self.ingest_delay <= 0 and not self._pending:
            apply()
        else:
            self._pending.append((time.monotonic() + max(self.ingest_delay, 0.0), apply))
            self._settle()

    def _settle(self) -> None:
        """Apply the pending writes that are due, in arrival order."""
        now = time.monotonic()
        while self._pending and self._pending[0][0] <= now:
            _, apply = self._pending.pop(0)
            apply()

    # -- stores -----------------------------------------------------------------------------
    def _check_body(self, schema: str, body: Any) -> dict:
        """Validate a JSON body like FastAPI would (see the module doc for the strictness)."""
        if not isinstance(body, dict):
            raise _invalid(["body"], "Input should be a valid dictionary or object to extract fields from",
                           "model_attributes_type", body)
        errors = list(body_validator(schema, self.strict_bodies).iter_errors(body))
        if errors:
            raise HttpError(422, _jsonschema_detail(errors))
        return body

    def _new_dataset(self, body: dict) -> dict:
        if not isinstance(body.get("name"), str):
            raise _invalid(["body", "name"], "Field required", "missing")
        if any(d["name"] == body["name"] for d in self.datasets.values()):
            raise HttpError(409, f"Dataset {body['name']} already exists")
        now = _now()
        ds = {
            "id": str(body.get("id") or uuid.uuid4()),
            "name": body["name"],
            "description": body.get("description") or "",
            "data_type": body.get("data_type") or "kv",
            "created_at": now,
            "modified_at": now,
            "example_count": 0,
            "session_count": 0,
            "tenant_id": TENANT_ID,
            "inputs_schema_definition": body.get("inputs_schema_definition"),
            "outputs_schema_definition": body.get("outputs_schema_definition"),
            "externally_managed": bool(body.get("externally_managed") or False),
            "transformations": body.get("transformations"),
            "metadata": body.get("extra", {}).get("metadata") if body.get("extra") else None,
        }
        if ds["id"] in self.datasets:
            raise HttpError(409, f"Dataset {ds['id']} already exists")
        self.datasets[ds["id"]] = ds
        self._versions[ds["id"]], self._tags[ds["id"]] = [], {}
        self._dataset_examples[ds["id"]], self._live[ds["id"]] = [], 0
        return ds

    def _dataset_view(self, ds: dict) -> dict:
        out = {k: ds.get(k) for k in schema_fields("Dataset")}
        out["example_count"] = self._live.get(ds["id"], 0)
        experiments = [s for s in self.sessions.values() if s.get("reference_dataset_id") == ds["id"]]
        out["session_count"] = len(experiments)
        out["last_session_start_time"] = max((s["start_time"] for s in experiments), default=None,
                                             key=lambda t: _parse_dt(t))
        return out

    def _new_example(self, dataset_id: str, inputs: dict, outputs: dict | None, metadata=None) -> dict:
        """One example in a version of its own (tests seed with it)."""
        return self._create_examples(dataset_id, [{"inputs": inputs, "outputs": outputs, "metadata": metadata}])[0]

    def _example_view(self, ex: dict) -> dict:
        return {k: ex.get(k) for k in schema_fields("Example")}

    # -- datasets and examples: the version history (behaviour 13) ----------------------------
    def _new_version(self, dataset_id: str) -> datetime:
        """A new version of the dataset, at a time later than every version handed out before."""
        now = datetime.now(timezone.utc)
        if now <= self._clock:
            now = self._clock + timedelta(microseconds=1)
        self._clock = now
        self._versions[dataset_id].append(now)
        self.datasets[dataset_id]["modified_at"] = now.isoformat()
        return now

    def _dataset(self, id: str, *, go: bool = False) -> dict:
        ds = self.datasets.get(_path_uuid(id, "dataset_id"))
        if ds is None:
            raise _go_error(404, "dataset not found") if go else HttpError(404, f"Dataset {id} not found")
        return ds

    def _create_examples(self, dataset_id: str, items: list[dict]) -> list[dict]:
        """Create `items` (id?, inputs, outputs, metadata, split, source_run_id) in one version,
        all or none: 409 when an id is taken (also within the batch)."""
        ds = self.datasets[dataset_id]
        ids = [str(uuid.UUID(str(item["id"]))) if item.get("id") else str(uuid.uuid4()) for item in items]
        seen: set[str] = set()
        for ex_id in ids:
            if ex_id in self.examples or ex_id in seen:
                raise HttpError(409, f"Example {ex_id} already exists")
            seen.add(ex_id)
        at = self._new_version(dataset_id)
        stamp = at.isoformat()
        made = []
        for ex_id, item in zip(ids, items):
            metadata = dict(item.get("metadata") or {})
            split = _split_list(item.get("split"))
            metadata[SPLIT_KEY] = split if split is not None else _split_list(metadata.get(SPLIT_KEY)) or ["base"]
            ex = {
                "id": ex_id,
                "name": f"#{ex_id[:4]} @ {ds['name']}",
                "dataset_id": dataset_id,
                "inputs": item.get("inputs") or {},
                "outputs": item.get("outputs"),
                "metadata": metadata,
                "created_at": stamp,
                "modified_at": stamp,
                "source_run_id": item.get("source_run_id"),
                "attachment_urls": None,
                "_deleted_at": None,
            }
            self.examples[ex_id] = ex
            self._history[ex_id] = [(at, ex)]
            self._dataset_examples[dataset_id].append(ex_id)
            made.append(ex)
        self._live[dataset_id] += len(made)
        return made

    def _revise(self, ex: dict, at: datetime, changes: dict | None) -> dict:
        """A new revision of `ex` at `at` (None: soft-deleted). Revisions are new dicts: the history
        keeps the old ones as they were."""
        if changes is None:
            new = {**ex, "_deleted_at": at.isoformat()}
            self._live[ex["dataset_id"]] -= 1
        else:
            new = {**ex, **changes, "modified_at": at.isoformat()}
        self.examples[ex["id"]] = new
        self._history[ex["id"]].append((at, None if changes is None else new))
        return new

    def _live_example(self, example_id: str, dataset_id: str | None = None) -> dict | None:
        ex = self.examples.get(example_id)
        if ex is None or ex["_deleted_at"] is not None or (dataset_id and ex["dataset_id"] != dataset_id):
            return None
        return ex

    def _as_of(self, dataset_id: str, raw: Any, *, times_only: bool = False) -> datetime | None:
        """The time an `as_of` query value names (None: the latest version). A time, "latest" or a
        tag; an unknown tag is 404, a value that is no time is 422 when `times_only`."""
        if isinstance(raw, list):
            raw = raw[-1]
        if raw is None or raw == "" or (raw == "latest" and not times_only):
            return None
        at = _try_dt(raw)
        if at is None:
            if times_only:
                raise _invalid(["query", "as_of"], "Input should be a valid datetime", "datetime_parsing", raw)
            at = self._tags[dataset_id].get(str(raw))
            if at is None:
                raise HttpError(404, f"Dataset version with tag {raw} not found")
        versions = self._versions[dataset_id]
        return None if versions and at >= versions[-1] else at

    def _visible(self, dataset_id: str, at: datetime | None, splits: list[str] | None) -> list[dict]:
        """The dataset's examples as of `at` (None: now), in creation order, kept to `splits`.
        Cached until the dataset's next version."""
        key = (dataset_id, len(self._versions[dataset_id]), at, tuple(splits or ()))
        found = self._visible_cache.get(key)
        if found is not None:
            return found
        ids = self._dataset_examples[dataset_id]
        out: list[dict] = []
        if at is None:
            out = [ex for ex in map(self.examples.__getitem__, ids) if ex["_deleted_at"] is None]
        elif not self._versions[dataset_id] or at >= self._versions[dataset_id][0]:
            for ex_id in ids:
                history = self._history[ex_id]
                if history[0][0] > at:
                    break  # examples are listed in creation order, and so in version order
                content = history[bisect.bisect_right(history, at, key=lambda h: h[0]) - 1][1]
                if content is not None:
                    out.append(content)
        if splits:
            wanted = set(splits)
            out = [ex for ex in out if wanted.intersection(_split_list(ex["metadata"].get(SPLIT_KEY)) or ())]
        if len(self._visible_cache) >= 32:
            self._visible_cache.clear()
        self._visible_cache[key] = out
        return out

    def _version_view(self, dataset_id: str, at: datetime) -> dict:
        versions = self._versions[dataset_id]
        tags = sorted(t for t, when in self._tags[dataset_id].items() if when == at)
        if not versions or at == versions[-1]:
            tags.insert(0, "latest")
        return {"as_of": at.isoformat(), "tags": tags}

    def _set_splits(self, ex: dict, at: datetime, split: str, remove: bool) -> dict:
        current = _split_list(ex["metadata"].get(SPLIT_KEY)) or []
        if remove:
            new = [s for s in current if s != split]
        else:
            new = current if split in current else [*current, split]
        return self._revise(ex, at, {"metadata": {**ex["metadata"], SPLIT_KEY: new}})

    def _new_session(self, body: dict) -> dict:
        now = _now()
        s = {
            "id": str(body.get("id") or uuid.uuid4()),
            "name": body.get("name") or f"project-{uuid.uuid4().hex[:8]}",
            "description": body.get("description"),
            "start_time": body.get("start_time") or now,
            "end_time": body.get("end_time"),
            "extra": body.get("extra") or {},
            "tenant_id": TENANT_ID,
            "reference_dataset_id": body.get("reference_dataset_id"),
            "default_dataset_id": body.get("default_dataset_id"),
            "trace_tier": body.get("trace_tier"),
        }
        self.sessions[s["id"]] = s
        return s

    def _session_view(self, s: dict, *, stats: bool = False, virtual: bool = True) -> dict:
        """TracerSession (GET) or TracerSessionWithoutVirtualFields (POST/PATCH answers)."""
        name = "TracerSession" if virtual else "TracerSessionWithoutVirtualFields"
        out = {k: s.get(k) for k in schema_fields(name)}
        if virtual and stats:
            out.update(self._session_stats(s))
        return out

    def _session_stats(self, s: dict) -> dict:
        roots = [r for r in self.runs.values() if r.get("session_id") == s["id"] and not r.get("parent_run_id")]
        latencies = [
            (_parse_dt(r["end_time"]) - _parse_dt(r["start_time"])).total_seconds()
            for r in roots if r.get("end_time") and r.get("start_time")
        ]
        starts = [r["start_time"] for r in roots if r.get("start_time")]
        root_ids = {r["id"] for r in roots}
        run_feedback = [f for f in self.feedback.values() if str(f.get("run_id")) in root_ids]
        session_feedback = [f for f in self.feedback.values()
                            if str(f.get("session_id")) == s["id"] and not f.get("run_id")]
        last = max(starts, key=_parse_dt) if starts else None
        return {
            "run_count": len(roots),
            "latency_p50": _percentile(latencies, 0.5),
            "latency_p99": _percentile(latencies, 0.99),
            "first_token_p50": None,
            "first_token_p99": None,
            "total_tokens": sum(int(r.get("total_tokens") or 0) for r in roots),
            "prompt_tokens": sum(int(r.get("prompt_tokens") or 0) for r in roots),
            "completion_tokens": sum(int(r.get("completion_tokens") or 0) for r in roots),
            "total_cost": None,
            "prompt_cost": None,
            "completion_cost": None,
            "last_run_start_time": last,
            "last_run_start_time_live": last,
            "feedback_stats": _feedback_stats(run_feedback),
            "session_feedback_stats": _feedback_stats(session_feedback),
            "run_facets": [],
            "error_rate": (sum(1 for r in roots if r.get("error")) / len(roots)) if roots else None,
            "streaming_rate": None,
        }

    # rules ------------------------------------------------------------------------------------
    def _normalize_rule_value(self, key: str, value: Any) -> Any:
        value = copy.deepcopy(value)
        if key in _RULE_LIST_COLUMNS:
            value = value or []
        if key == "code_evaluators":
            value = [{**ce, "language": ce.get("language") or "python"} for ce in value]
        elif key == "alerts":
            value = [{**a, "type": a.get("type") or "pagerduty", "severity": a.get("severity") or "warning",
                      "summary": a.get("summary")} for a in value]
        elif key == "webhooks":
            value = [{"url": w["url"], "headers": w.get("headers")} for w in value]
        elif key == "spend_limit" and value is not None:
            value = {"limit_usd": str(value["limit_usd"]), "window": value["window"]}
        elif key == "sampling_rate":
            value = float(value)
        return value

    def _fill_rule_names(self, rule: dict) -> None:
        ds_id, s_id, add_ds, queue = (rule.get("dataset_id"), rule.get("session_id"),
                                      rule.get("add_to_dataset_id"), rule.get("add_to_annotation_queue_id"))
        for _key, obj_id, store, kind in (("dataset_id", ds_id, self.datasets, "Dataset"),
                                         ("session_id", s_id, self.sessions, "Session"),
                                         ("add_to_dataset_id", add_ds, self.datasets, "Dataset")):
            if obj_id and obj_id not in store:
                raise HttpError(404, f"{kind} {obj_id} not found")
        rule["dataset_name"] = self.datasets[ds_id]["name"] if ds_id else None
        rule["session_name"] = self.sessions[s_id]["name"] if s_id else None
        rule["add_to_dataset_name"] = self.datasets[add_ds]["name"] if add_ds else None
        if queue and queue not in self.annotation_queues:
            self.seed_annotation_queue(queue_id=queue)
        rule["add_to_annotation_queue_name"] = self.annotation_queues[queue]["name"] if queue else None

    def _apply_rule_extras(self, rule: dict, body: dict) -> None:
        for key in RULE_OTHER_BODY_FIELDS:
            if key in body:
                rule[key] = self._normalize_rule_value(key, body[key])
        if body.get("backfill_from"):
            rule.update(backfill_id=str(uuid.uuid4()), backfill_status="pending", backfill_progress=0.0)
        if body.get("create_alignment_queue") and not rule.get("alignment_annotation_queue_id"):
            rule["alignment_annotation_queue_id"] = self.seed_annotation_queue(
                f"{rule['display_name']} alignment")["id"]

    def _store_rule(self, body: dict) -> dict:
        """A new rule from a validated create body (evaluator_version 1)."""
        now = _now()
        rule = copy.deepcopy(_RULE_DEFAULTS)
        for key in RULE_REPLACED_ON_PATCH:
            if key in body and body[key] is not None:
                rule[key] = self._normalize_rule_value(key, body[key])
        rule.update(id=str(uuid.uuid4()), tenant_id=TENANT_ID, created_at=now, updated_at=now, evaluator_version=1)
        self._apply_rule_extras(rule, body)
        self._fill_rule_names(rule)
        self.rules[rule["id"]] = rule
        return rule

    def _patch_rule(self, rule_id: str, body: dict) -> dict:
        """Full replace of the 17 PATCH columns (behaviour 3)."""
        old = self.rules[rule_id]
        sent_version = body.get("evaluator_version")
        if sent_version is not None and sent_version != old["evaluator_version"]:
            raise HttpError(409, f"Rule {rule_id} is at evaluator_version {old['evaluator_version']}, not "
                                 f"{sent_version}: it changed since it was read.")
        new = copy.deepcopy(old)
        for key, default in RULE_REPLACED_ON_PATCH.items():
            value = body.get(key)
            new[key] = self._normalize_rule_value(key, value) if value is not None else copy.deepcopy(default)
        self._apply_rule_extras(new, body)
        self._fill_rule_names(new)
        new.update(updated_at=_now(), evaluator_version=old["evaluator_version"] + 1)
        self.rules[rule_id] = new  # a new dict: one a test kept from before stays the old state
        return new

    def _rule_v1(self, rule: dict) -> dict:
        out = {k: copy.deepcopy(rule.get(k)) for k in RULE_V1_FIELDS}
        ev = self.workspace_evaluators.get(str(rule.get("evaluator_id")))
        if ev is not None:
            out["evaluator_name"], out["evaluator_type"] = ev["name"], ev["type"]
        return out

    def _rule_v2(self, rule: dict) -> dict:
        v1 = self._rule_v1(rule)
        v1["project_id"], v1["project_name"] = v1.pop("session_id"), v1.pop("session_name")
        out = {k: v1.get(k) for k in RULE_V2_FIELDS}
        out["code_evaluators"] = [
            {**ce, "language": (ce.get("language") or "python").upper(),
             "require_attachments": bool(ce.get("require_attachments", False)),
             **({"code_evaluator_input": ce["code_evaluator_input"].upper()}
                if ce.get("code_evaluator_input") else {})}
            for ce in out["code_evaluators"] or []
        ]
        out["alerts"] = [{**a, "type": (a.get("type") or "pagerduty").upper(),
                          "severity": (a.get("severity") or "warning").upper()} for a in out["alerts"] or []]
        if out.get("group_by"):
            out["group_by"] = out["group_by"].upper()
        for key in ("spend_limit", "effective_spend_limit"):
            if out.get(key):
                out[key] = {**out[key], "window": out[key]["window"].upper()}
        return out

    # workspace evaluators -------------------------------------------------------------------
    def _new_workspace_evaluator(self, name: str, *, type: str, code: str | None = DEFAULT_CODE,
                                 language: str = "python", dependencies: str | None = None,
                                 build_status: str = "READY", build_error: str | None = None,
                                 feedback_keys: list[str] | None = None, prompt_repo_handle: str | None = None,
                                 commit: str | None = None, variable_mapping: dict | None = None,
                                 metadata: dict | None = None, evaluator_id: str | None = None,
                                 extra_child: dict | None = None) -> dict:
        if type not in ("code", "llm"):
            raise ValueError(f"type must be 'code' or 'llm', not {type!r}")
        ev_id = str(evaluator_id or uuid.uuid4())
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        ev: dict[str, Any] = {
            "id": ev_id,
            "name": name,
            "type": type,
            "tenant_id": TENANT_ID,
            "created_at": now,
            "updated_at": now,
            "feedback_keys": list(feedback_keys) if feedback_keys is not None else [name],
            "metadata": metadata,
            "is_managed": False,
        }
        if type == "code":
            ev["code_evaluator"] = _drop_none({
                "evaluator_id": ev_id, "code": code, "language": language, "dependencies": dependencies,
                "evaluator_build_status": build_status, "evaluator_build_error": build_error,
                "require_attachments": False, "advanced_features_enabled": False, **(extra_child or {}),
            })
        else:
            ev["llm_evaluator"] = _drop_none({
                "evaluator_id": ev_id, "prompt_id": str(uuid.uuid4()),
                "prompt_repo_handle": prompt_repo_handle or re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-"),
                "commit_hash_or_tag": commit or "latest", "variable_mapping": variable_mapping,
                **(extra_child or {}),
            })
        self.workspace_evaluators[ev_id] = ev
        return ev

    def _workspace_evaluator_view(self, ev: dict) -> dict:
        out = copy.deepcopy(ev)
        rules = [r for r in self.rules.values() if str(r.get("evaluator_id")) == ev["id"]]
        out["run_rules"] = [
            _drop_none({k: r.get(k) for k in ("id", "dataset_id", "dataset_name", "session_id", "session_name",
                                               "group_by", "use_corrections_dataset", "num_few_shot_examples",
                                               "corrections_dataset_id")})
            for r in rules
        ]
        if "llm_evaluator" in out and rules:
            out["llm_evaluator"]["use_corrections_dataset"] = bool(rules[0].get("use_corrections_dataset"))
        return _drop_none(out)

    # runs and feedback ----------------------------------------------------------------------
    def _upsert_run(self, run: dict, patch: bool = False) -> None:
        run_id = str(run.get("id") or uuid.uuid4())
        current = self.runs.get(run_id, {})
        merged = {**current, **{k: v for k, v in run.items() if v is not None or not patch}}
        merged["id"] = run_id
        if not merged.get("session_id") and not merged.get("session_name"):
            merged["session_name"] = "default"  # the real server files a run without project there
        if not merged.get("session_id") and merged.get("session_name"):
            sess = next((s for s in self.sessions.values() if s["name"] == merged["session_name"]), None)
            if sess is None:
                sess = self._new_session({"name": merged["session_name"]})
            merged["session_id"] = sess["id"]
        merged.setdefault("status", "success" if merged.get("end_time") else "pending")
        if merged.get("end_time"):
            merged["status"] = "error" if merged.get("error") else "success"
        self.runs[run_id] = merged

    def _run_view(self, run: dict) -> dict:
        out = {k: run.get(k) for k in schema_fields("RunSchema")}
        run_id = run["id"]
        start = run.get("start_time") or _now()
        trace_id = str(run.get("trace_id") or run_id)
        session = self.sessions.get(str(run.get("session_id")), {})
        parents: list[str] = []
        parent = run.get("parent_run_id")
        while parent and str(parent) not in parents:
            parents.append(str(parent))
            parent = self.runs.get(str(parent), {}).get("parent_run_id")
        children = [r["id"] for r in self.runs.values() if str(r.get("parent_run_id")) == run_id]
        compact = _parse_dt(start).strftime("%Y%m%dT%H%M%S%fZ")
        out.update(
            name=run.get("name") or "Unnamed",
            run_type=run.get("run_type") or "chain",
            start_time=start,
            inputs=run.get("inputs") or {},
            trace_id=trace_id,
            dotted_order=run.get("dotted_order") or f"{compact}{run_id}",
            status=run.get("status") or "pending",
            session_id=str(run.get("session_id")),
            app_path=f"/o/{TENANT_ID}/projects/p/{run.get('session_id')}/r/{run_id}?trace_id={trace_id}",
            execution_order=int(run.get("execution_order") or 1),
            parent_run_ids=parents,
            child_run_ids=children,
            direct_child_run_ids=children,
            feedback_stats=_feedback_stats([f for f in self.feedback.values() if str(f.get("run_id")) == run_id]),
            total_tokens=int(run.get("total_tokens") or 0),
            prompt_tokens=int(run.get("prompt_tokens") or 0),
            completion_tokens=int(run.get("completion_tokens") or 0),
            reference_dataset_id=session.get("reference_dataset_id"),
            trace_upgrade=False,
        )
        return out

    def _store_feedback(self, body: dict) -> dict:
        fb = dict(body)
        fb["id"] = str(fb.get("id") or uuid.uuid4())
        fb.setdefault("created_at", _now())
        fb.setdefault("modified_at", fb["created_at"])
        if not fb.get("session_id") and fb.get("run_id") and str(fb["run_id"]) in self.runs:
            fb["session_id"] = self.runs[str(fb["run_id"])].get("session_id")
        self.feedback[fb["id"]] = fb
        return fb

    def _feedback_view(self, fb: dict) -> dict:
        """FeedbackSchema: what was sent minus the write-only keys (`error`, `feedback_config`, ...)."""
        out = {k: copy.deepcopy(fb.get(k)) for k in schema_fields("FeedbackSchema")}
        if not out.get("session_id") and fb.get("run_id") and str(fb["run_id"]) in self.runs:
            out["session_id"] = self.runs[str(fb["run_id"])].get("session_id")
        run = self.runs.get(str(fb.get("run_id")))
        out["is_root"] = bool(run is not None and not run.get("parent_run_id"))
        source = fb.get("feedback_source")
        if isinstance(source, dict):
            out["feedback_source"] = {k: source.get(k) for k in ("type", "metadata", "user_id", "ls_user_id",
                                                                  "user_name")}
        return out

    # -- route handlers: each returns (status, body) -----------------------------------------
    def _get_info(self, req):
        return 200, self.info

    @staticmethod
    def _page(items: list, q: dict) -> list:
        offset = _int_param(q, "offset", 0, lo=0)
        limit = _int_param(q, "limit", 100, lo=1, hi=100)
        return items[offset: offset + limit]

    def _list_datasets(self, req):
        q = req.query
        ids = _uuid_list(q, "id")
        items = list(self.datasets.values())
        if ids:
            items = [d for d in items if d["id"] in ids]
        if "name" in q:
            items = [d for d in items if d["name"] == q["name"]]
        if "name_contains" in q:
            items = [d for d in items if q["name_contains"].lower() in d["name"].lower()]
        if data_types := _as_list(q.get("data_type")):
            items = [d for d in items if d.get("data_type") in data_types]
        return 200, [self._dataset_view(d) for d in self._page(items, q)]

    def _create_dataset(self, req):
        return 200, self._dataset_view(self._new_dataset(req.json or {}))

    def _read_dataset(self, req, id):
        ds = self.datasets.get(_path_uuid(id, "dataset_id"))
        if ds is None:
            raise HttpError(404, f"Dataset {id} not found")
        return 200, self._dataset_view(ds)

    def _delete_dataset(self, req, id):
        """The dataset, its examples and versions, and its experiments with their runs."""
        ds = self._dataset(id)
        ds_id = ds["id"]
        for ex_id in self._dataset_examples.pop(ds_id):
            self.examples.pop(ex_id, None)
            self._history.pop(ex_id, None)
        for store in (self._versions, self._tags, self._live):
            store.pop(ds_id, None)
        self._visible_cache = {k: v for k, v in self._visible_cache.items() if k[0] != ds_id}
        experiments = {s_id for s_id, s in self.sessions.items() if s.get("reference_dataset_id") == ds_id}
        for s_id in experiments:
            self.sessions.pop(s_id)
        for run_id in [r_id for r_id, r in self.runs.items() if r.get("session_id") in experiments]:
            self.runs.pop(run_id)
        del self.datasets[ds_id]
        return 200, {}

    def _read_dataset_version(self, req, id):
        ds = self._dataset(id)
        versions = self._versions[ds["id"]]
        tag = req.query.get("tag")
        if tag:
            if tag == "latest":
                at = versions[-1] if versions else _parse_dt(ds["created_at"])
            elif (at := self._tags[ds["id"]].get(tag)) is None:
                raise HttpError(404, f"Dataset version with tag {tag} not found")
            return 200, self._version_view(ds["id"], at)
        at = self._as_of(ds["id"], req.query.get("as_of"), times_only=True)
        if at is None:
            return 200, self._version_view(ds["id"], versions[-1] if versions else _parse_dt(ds["created_at"]))
        n = bisect.bisect_right(versions, at)
        if n == 0:
            raise HttpError(404, f"Dataset {id} has no version as of {at.isoformat()}")
        return 200, self._version_view(ds["id"], versions[n - 1])

    def _list_examples(self, req):
        q = req.query
        ds_id = _one_uuid(q, "dataset")
        ids = _uuid_list(q, "id")
        splits = _as_list(q.get("splits"))
        if ds_id is not None:  # an unknown dataset has no examples
            items = self._visible(ds_id, self._as_of(ds_id, q.get("as_of")), splits) if ds_id in self.datasets else []
        else:  # across datasets: the examples as they are now
            items = [e for e in self.examples.values() if e["_deleted_at"] is None]
            if splits:
                items = [e for e in items if set(splits) & set(_split_list(e["metadata"].get(SPLIT_KEY)) or ())]
        if ids:
            wanted = set(ids)
            items = [e for e in items if e["id"] in wanted]
        return 200, [self._example_view(e) for e in self._page(items, q)]

    def _count_examples(self, req):
        q = req.query
        ds_id = _one_uuid(q, "dataset")
        if ds_id is None:
            items = [e for e in self.examples.values() if e["_deleted_at"] is None]
        elif ds_id not in self.datasets:
            items = []
        else:
            items = self._visible(ds_id, self._as_of(ds_id, q.get("as_of")), _as_list(q.get("splits")))
        if ids := set(_uuid_list(q, "id")):
            items = [e for e in items if e["id"] in ids]
        return 200, len(items)

    def _read_example(self, req, id):
        ex = self.examples.get(_path_uuid(id, "example_id"))
        at = self._as_of(ex["dataset_id"], req.query.get("as_of")) if ex is not None else None
        if at is not None:  # the example as it was then
            history = self._history[ex["id"]]
            n = bisect.bisect_right(history, at, key=lambda h: h[0])
            ex = history[n - 1][1] if n else None
        elif ex is not None and ex["_deleted_at"] is not None:
            ex = None
        if ex is None:
            raise HttpError(404, f"Example {id} not found")
        return 200, self._example_view(ex)

    def _create_examples_bulk(self, req):
        body = req.json
        if not isinstance(body, list):
            raise _invalid(["body"], "Input should be a valid list", "list_type", body)
        errors = list(body_validator("ExampleBulkCreateList", self.strict_bodies).iter_errors(body))
        if errors:
            raise HttpError(422, _jsonschema_detail(errors))
        by_dataset: dict[str, list[dict]] = {}
        for item in body:
            ds_id = str(uuid.UUID(item["dataset_id"]))
            if ds_id not in self.datasets:
                raise HttpError(404, f"Dataset {ds_id} not found")
            by_dataset.setdefault(ds_id, []).append({**item, "split": item.get("split", "base")})
        ids = [str(uuid.UUID(i["id"])) for i in body if i.get("id")]
        if len(set(ids)) < len(ids) or any(i in self.examples for i in ids):
            raise HttpError(409, "Example with this id already exists")
        made: dict[int, dict] = {}
        for ds_id, items in by_dataset.items():
            for item, ex in zip(items, self._create_examples(ds_id, items)):
                made[id(item)] = ex
        return 200, [self._example_view(ex) for items in by_dataset.values() for ex in
                     (made[id(item)] for item in items)]

    def _update_example(self, req, id):
        ex_id = _path_uuid(id, "example_id")
        body = req.json
        if isinstance(body, dict) and "id" in body:  # the classic client repeats the path's id; the
            body = {k: v for k, v in body.items() if k != "id"}  # server ignores it (not in ExampleUpdate)
        body = self._check_body("ExampleUpdate", body)
        ex = self._live_example(ex_id)
        if ex is None:
            raise HttpError(404, f"Example {id} not found")
        if body.get("dataset_id") and str(uuid.UUID(body["dataset_id"])) != ex["dataset_id"]:
            raise HttpError(400, "An example cannot move to another dataset")
        changes = _example_changes(ex, body.get("inputs"), body.get("outputs"), body.get("metadata"),
                                   body.get("split"))
        return 200, self._example_view(self._revise(ex, self._new_version(ex["dataset_id"]), changes))

    def _multipart_examples(self, req, *, creating: bool) -> dict[str, dict]:
        """The examples of a multipart body, by id: {"info", "inputs", "outputs"} (Go-style errors)."""
        parts = req.json if isinstance(req.json, dict) else None
        if not parts:
            raise _go_error(422, "request body must be multipart/form-data with at least one example")
        examples: dict[str, dict] = {}
        for name, value in parts.items():
            ex_id, _, field = name.partition(".")
            if not _is_uuid(ex_id):
                raise _go_error(422, f"invalid example id in part name {name!r}")
            entry = examples.setdefault(str(uuid.UUID(ex_id)), {})
            if field in ("", "inputs", "outputs", "attachments_operations"):
                if not isinstance(value, dict):
                    raise _go_error(422, f"part {name!r} must be a JSON object")
                entry[field or "info"] = value
            elif not field.startswith(("attachment.", "attachments.")):
                raise _go_error(422, f"unknown part {name!r}")
        for ex_id, entry in examples.items():
            if "info" not in entry:
                raise _go_error(422, f"missing part {ex_id!r}")
            if creating and "inputs" not in entry:
                raise _go_error(422, f"missing part '{ex_id}.inputs'")
        return examples

    def _upload_examples_multipart(self, req, id):
        ds = self._dataset(id, go=True)
        examples = self._multipart_examples(req, creating=True)
        taken = next((i for i in examples if i in self.examples), None)
        if taken is not None:
            raise _go_error(409, f"example {taken} already exists")
        made = self._create_examples(ds["id"], [
            {"id": ex_id, "inputs": e["inputs"], "outputs": e.get("outputs"),
             "metadata": e["info"].get("metadata"), "split": e["info"].get("split", "base"),
             "source_run_id": e["info"].get("source_run_id")}
            for ex_id, e in examples.items()])
        return 201, {"as_of": self.datasets[ds["id"]]["modified_at"], "count": len(made),
                     "example_ids": [ex["id"] for ex in made]}

    def _update_examples_multipart(self, req, id):
        ds = self._dataset(id, go=True)
        examples = self._multipart_examples(req, creating=False)
        missing = next((i for i in examples if self._live_example(i, ds["id"]) is None), None)
        if missing is not None:
            raise _go_error(404, f"example {missing} not found in dataset")
        at = self._new_version(ds["id"])
        for ex_id, e in examples.items():
            ex = self.examples[ex_id]
            self._revise(ex, at, _example_changes(ex, e.get("inputs"), e.get("outputs"),
                                                  e["info"].get("metadata"), e["info"].get("split")))
        return 201, {"as_of": at.isoformat(), "count": len(examples), "example_ids": list(examples)}

    def _update_examples_metadata(self, req, id):
        if not self.bulk_metadata_enabled:
            raise HttpError(404, "Not Found")
        ds = self._dataset(id, go=True)
        body = req.json
        problems = _check_metadata_body(body)
        if problems:
            raise _go_error(400, "; ".join(problems))
        ops = [{**op, "operation": op["operation"].upper()} for op in body["operations"]]
        statuses, targets = [], []
        for ex_id in body["example_ids"]:
            ex = self._live_example(str(uuid.UUID(ex_id)), ds["id"]) if _is_uuid(ex_id) else None
            statuses.append(self._metadata_status(ex_id, ex is not None))
            if ex is not None:
                targets.append(ex)
        if targets:
            at = self._new_version(ds["id"])
            for ex in {e["id"]: e for e in targets}.values():
                self._revise(ex, at, {"metadata": _apply_metadata_ops(ex["metadata"], ops)})
        return 207, {"statuses": statuses}

    @staticmethod
    def _metadata_status(ex_id: str, found: bool) -> dict:
        if found:
            return {"id": ex_id, "status": "UPDATED"}
        return {"id": ex_id, "status": "NOT_FOUND", "description": "The example is not in the dataset or was deleted."}

    def _delete_examples(self, req):
        """Soft delete (the examples stay in the versions before): one version per dataset."""
        ids = _uuid_list(req.query, "example_ids")
        if not ids:
            raise _invalid(["query", "example_ids"], "Field required", "missing")
        by_dataset: dict[str, list[dict]] = {}
        for ex_id in dict.fromkeys(ids):
            ex = self._live_example(ex_id)
            if ex is None:
                raise HttpError(404, f"Example {ex_id} not found")
            by_dataset.setdefault(ex["dataset_id"], []).append(ex)
        for ds_id, items in by_dataset.items():
            at = self._new_version(ds_id)
            for ex in items:
                self._revise(ex, at, None)
        return 200, {}

    def _list_dataset_versions(self, req, id):
        ds = self._dataset(id)
        q = req.query
        versions = self._versions[ds["id"]]
        if example := _one_uuid(q, "example"):
            times = {t for t, _ in self._history.get(example, [])}
            versions = [t for t in versions if t in times]
        items = [self._version_view(ds["id"], t) for t in reversed(versions)]
        if search := q.get("search"):
            items = [v for v in items if any(str(search).lower() in t.lower() for t in v["tags"])]
        return 200, self._page(items, q)

    def _tag_dataset_version(self, req, id):
        ds = self._dataset(id)
        body = self._check_body("PutDatasetVersionsSchema", req.json)
        at = _try_dt(body["as_of"])
        versions = self._versions[ds["id"]]
        n = bisect.bisect_left(versions, at) if at is not None else len(versions)
        if n == len(versions) or versions[n] != at:
            raise HttpError(404, f"Dataset {id} has no version at {body['as_of']}")
        if body["tag"] == "latest":
            raise HttpError(400, "The tag 'latest' always names the newest version")
        self._tags[ds["id"]][body["tag"]] = at
        return 200, self._version_view(ds["id"], at)

    def _list_dataset_splits(self, req, id):
        ds = self._dataset(id)
        items = self._visible(ds["id"], self._as_of(ds["id"], req.query.get("as_of")), None)
        return 200, sorted({s for ex in items for s in _split_list(ex["metadata"].get(SPLIT_KEY)) or ()})

    def _update_dataset_splits(self, req, id):
        ds = self._dataset(id)
        body = self._check_body("Body_update_dataset_splits_api_v1_datasets__dataset_id__splits_put", req.json)
        examples = []
        for ex_id in dict.fromkeys(str(uuid.UUID(i)) for i in body["examples"]):
            ex = self._live_example(ex_id, ds["id"])
            if ex is None:
                raise HttpError(404, f"Example {ex_id} not found in dataset {id}")
            examples.append(ex)
        if examples:
            at = self._new_version(ds["id"])
            for ex in examples:
                self._set_splits(ex, at, body["split_name"], bool(body.get("remove")))
        return 200, [ex["id"] for ex in examples]

    def _export_rows(self, req, id) -> list[dict]:
        ds = self._dataset(id)
        return self._visible(ds["id"], self._as_of(ds["id"], req.query.get("as_of"), times_only=True), None)

    def _export_jsonl(self, req, id):
        """One example a line, in the Example read shape (the spec leaves the file's shape open)."""
        lines = [json.dumps(self._example_view(ex)) for ex in self._export_rows(req, id)]
        return 200, RawBody("application/jsonl", "".join(line + "\n" for line in lines).encode())

    def _export_csv(self, req, id):
        """id, inputs, outputs, metadata, created_at, modified_at; the dicts as JSON text."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["id", "inputs", "outputs", "metadata", "created_at", "modified_at"])
        for ex in self._export_rows(req, id):
            writer.writerow([ex["id"], json.dumps(ex["inputs"]), json.dumps(ex["outputs"]),
                             json.dumps(ex["metadata"]), ex["created_at"], ex["modified_at"]])
        return 200, RawBody("text/csv", out.getvalue().encode())

    def _list_sessions(self, req):
        q = req.query
        ids = _uuid_list(q, "id")
        refs = _uuid_list(q, "reference_dataset")
        stats = _bool_param(q, "include_stats", False)
        reference_free = _bool_param(q, "reference_free", None)
        items = list(self.sessions.values())
        if ids:
            items = [s for s in items if s["id"] in ids]
        if "name" in q:
            items = [s for s in items if s["name"] == q["name"]]
        if "name_contains" in q:
            items = [s for s in items if q["name_contains"].lower() in s["name"].lower()]
        if refs:
            items = [s for s in items if s.get("reference_dataset_id") in refs]
        if reference_free is True:
            items = [s for s in items if not s.get("reference_dataset_id")]
        elif reference_free is False:
            items = [s for s in items if s.get("reference_dataset_id")]
        return 200, [self._session_view(s, stats=bool(stats)) for s in self._page(items, q)]

    def _create_session(self, req):
        body = req.json or {}
        existing = next((s for s in self.sessions.values() if s["name"] == body.get("name")), None)
        if existing is not None:
            if _bool_param(req.query, "upsert", False):
                return 200, self._session_view(existing, virtual=False)
            raise HttpError(409, f"Session {body.get('name')} already exists")
        return 200, self._session_view(self._new_session(body), virtual=False)

    def _session(self, id: str) -> dict:
        s = self.sessions.get(_path_uuid(id, "session_id"))
        if s is None:
            raise HttpError(404, f"Session {id} not found")
        return s

    def _read_session(self, req, id):
        s = self._session(id)
        return 200, self._session_view(s, stats=bool(_bool_param(req.query, "include_stats", False)))

    def _update_session(self, req, id):
        s = self._session(id)
        for key, value in (req.json or {}).items():
            if key in ("name", "description", "end_time", "extra", "default_dataset_id", "trace_tier") \
                    and value is not None:
                s[key] = value
        return 200, self._session_view(s, virtual=False)

    def _delete_session(self, req, id):
        self._session(id)
        self.sessions.pop(_path_uuid(id, "session_id"))
        return 200, {}

    def _filtered_rules(self, q: dict, *, v2: bool) -> list[dict]:
        ids = _uuid_list(q, "id")
        dataset_id = _one_uuid(q, "dataset_id")
        session_id = _one_uuid(q, "project_id" if v2 else "session_id")
        evaluator_id = _one_uuid(q, "evaluator_id")
        tags = _uuid_list(q, "tag_value_id")
        _bool_param(q, "include_backfill_progress", False)
        kind = _enum_param(q, "type", ("PROJECT", "DATASET") if v2 else ("session", "dataset"))
        items = list(self.rules.values())
        if ids:
            items = [r for r in items if r["id"] in ids]
        if dataset_id:
            items = [r for r in items if r.get("dataset_id") == dataset_id]
        if session_id:
            items = [r for r in items if r.get("session_id") == session_id]
        if evaluator_id:
            items = [r for r in items if str(r.get("evaluator_id")) == evaluator_id]
        if tags:
            items = []  # the fake's datasets and projects carry no tags
        if q.get("name_contains"):
            needle = str(_as_list(q["name_contains"])[-1]).lower()
            items = [r for r in items if needle in r["display_name"].lower()]
        if kind in ("session", "PROJECT"):
            items = [r for r in items if r.get("session_id")]
        elif kind in ("dataset", "DATASET"):
            items = [r for r in items if r.get("dataset_id")]
        return items

    def _list_rules(self, req):
        if not self.v1_rules_enabled:
            raise HttpError(410, "GET /api/v1/runs/rules was removed; use GET /api/v2/runs/rules")
        return 200, [self._rule_v1(r) for r in self._filtered_rules(req.query, v2=False)]

    def _list_rules_v2(self, req):
        if not self.v2_rules_enabled:
            raise HttpError(404, "Not Found")
        q = req.query
        page_size = _int_param(q, "page_size", 20, lo=1, hi=100)
        cursor = q.get("cursor")
        items = sorted(self._filtered_rules(q, v2=True), key=lambda r: (_parse_dt(r["updated_at"]), r["id"]),
                       reverse=True)
        if cursor:
            after = _decode_cursor(str(_as_list(cursor)[-1]))
            mark = (_parse_dt(after["updated_at"]), str(after["id"]))
            items = [r for r in items if (_parse_dt(r["updated_at"]), r["id"]) < mark]
        page = items[:page_size]
        next_cursor = None
        if len(items) > page_size:
            last = page[-1]
            next_cursor = _encode_cursor({"updated_at": last["updated_at"], "id": last["id"]})
        return 200, {"items": [self._rule_v2(r) for r in page], "next_cursor": next_cursor}

    def _create_rule(self, req):
        body = self._check_body("RunRulesCreateSchema", req.json)
        return 200, self._rule_v1(self._store_rule(body))

    def _update_rule(self, req, id):
        rule_id = _path_uuid(id, "rule_id")
        body = self._check_body("RunRulesUpdateSchema", req.json)
        if rule_id not in self.rules:
            raise HttpError(404, f"Rule {id} not found")
        return 200, self._rule_v1(self._patch_rule(rule_id, body))

    def _delete_rule(self, req, id):
        if self.rules.pop(_path_uuid(id, "rule_id"), None) is None:
            raise HttpError(404, f"Rule {id} not found")
        return 200, {}

    def _create_run(self, req):
        run = dict(req.json or {})
        self._ingest(lambda: self._upsert_run(run))
        return 202, {}

    def _update_run(self, req, id):
        if not _is_uuid(id):
            if req.path.startswith("/api/"):
                raise _invalid(["path", "run_id"], _UUID_MSG, "uuid_parsing", id)
            raise HttpError(422, body={"error": f"Invalid run id {id!r}: not a UUID"})
        run = {**(req.json or {}), "id": str(uuid.UUID(id))}
        self._ingest(lambda: self._upsert_run(run, patch=True))
        return 202, {}

    def _runs_batch(self, req):
        body = copy.deepcopy(req.json or {})

        def apply() -> None:
            for run in body.get("post") or []:
                self._upsert_run(run)
            for run in body.get("patch") or []:
                self._upsert_run(run, patch=True)

        self._ingest(apply)
        return 202, {}

    def _runs_multipart(self, req):
        posts: dict[str, dict] = {}
        patches: dict[str, dict] = {}
        feedback: list[dict] = []
        for name, value in (req.json or {}).items():
            kind, _, rest = name.partition(".")
            run_id, _, field_name = rest.partition(".")
            if kind == "feedback":
                feedback.append(value)
                continue
            if kind not in ("post", "patch"):
                continue  # attachments are accepted and ignored
            target = (posts if kind == "post" else patches).setdefault(run_id, {"id": run_id})
            if field_name:
                target[field_name] = value
            else:
                target.update(value)

        def apply() -> None:
            for run in posts.values():
                self._upsert_run(run)
            for run in patches.values():
                self._upsert_run(run, patch=True)
            for fb in feedback:
                self._store_feedback(fb)

        self._ingest(apply)
        return 202, {}

    def _query_runs(self, req):
        body = req.json if isinstance(req.json, dict) else {}
        limit = _int_param(body, "limit", 100, lo=1, hi=100, where="body")
        sessions = _uuid_list(body, "session", "body")
        ids = _uuid_list(body, "id", "body")
        refs = _uuid_list(body, "reference_example", "body")
        traces = _uuid_list(body, "trace", "body")
        parent = _uuid_list(body, "parent_run", "body")
        try:
            offset = int(body.get("cursor") or 0)
        except (TypeError, ValueError):
            raise _invalid(["body", "cursor"], "Invalid cursor", "value_error", body.get("cursor")) from None
        items = list(self.runs.values())
        if sessions:
            items = [r for r in items if r.get("session_id") in sessions]
        if body.get("is_root"):
            items = [r for r in items if not r.get("parent_run_id")]
        if ids:
            items = [r for r in items if r["id"] in ids]
        if refs:
            items = [r for r in items if str(r.get("reference_example_id")) in refs]
        if traces:
            items = [r for r in items if str(r.get("trace_id")) in traces]
        if parent:
            items = [r for r in items if str(r.get("parent_run_id")) in parent]
        if run_types := _as_list(body.get("run_type")):
            items = [r for r in items if r.get("run_type") in run_types]
        if body.get("error") is not None:
            items = [r for r in items if bool(r.get("error")) == bool(body["error"])]
        page = [self._run_view(r) for r in items[offset: offset + limit]]
        nxt = str(offset + limit) if offset + limit < len(items) else None
        return 200, {"runs": page, "cursors": {"next": nxt}}

    def _read_run(self, req, id):
        run = self.runs.get(_path_uuid(id, "run_id"))
        if run is None:
            raise HttpError(404, f"Run {id} not found")
        return 200, self._run_view(run)

    def _create_feedback(self, req):
        body = dict(req.json or {})
        if not isinstance(body.get("key"), str):
            raise _invalid(["body", "key"], "Field required", "missing")
        body["id"] = str(body.get("id") or uuid.uuid4())
        body.setdefault("created_at", _now())
        self._ingest(lambda: self._store_feedback(body))
        return 200, self._feedback_view(body)

    def _list_feedback(self, req):
        q = req.query
        runs = _uuid_list(q, "run")
        sessions = _uuid_list(q, "session")
        has_score = _bool_param(q, "has_score", None)
        has_comment = _bool_param(q, "has_comment", None)
        items = list(self.feedback.values())
        if runs:
            items = [f for f in items if str(f.get("run_id")) in runs]
        if sessions:
            items = [f for f in items if str(self._feedback_view(f).get("session_id")) in sessions]
        if keys := _as_list(q.get("key")):
            items = [f for f in items if f.get("key") in keys]
        if sources := _as_list(q.get("source")):
            items = [f for f in items if (f.get("feedback_source") or {}).get("type") in sources]
        if has_score is not None:
            items = [f for f in items if (f.get("score") is not None) == has_score]
        if has_comment is not None:
            items = [f for f in items if bool(f.get("comment")) == has_comment]
        return 200, [self._feedback_view(f) for f in self._page(items, q)]

    # platform evaluators (a Go service: 400 {"error": ...} for bad input) ----------------------
    @staticmethod
    def _go_int(q: dict, name: str, default: int, lo: int, hi: int | None) -> int:
        try:
            return _int_param(q, name, default, lo=lo, hi=hi)
        except HttpError as e:
            bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
            raise _go_error(400, f"invalid {name}: must be an integer {bound}") from e

    def _list_workspace_evaluators(self, req):
        q = req.query
        limit = self._go_int(q, "limit", 100, 1, 100)
        offset = self._go_int(q, "offset", 0, 0, None)
        items = list(self.workspace_evaluators.values())
        if kind := q.get("type"):
            if kind not in ("llm", "code", "decision_model"):
                raise _go_error(400, f"invalid type {kind!r}")
            items = [e for e in items if e["type"] == kind]
        if needle := q.get("name_contains"):
            items = [e for e in items if needle.lower() in e["name"].lower()
                     or needle.lower() in (e.get("created_by") or "").lower()]
        if key := q.get("feedback_key"):
            items = [e for e in items if key in (e.get("feedback_keys") or [])]
        if resources := _as_list(q.get("resource_id")):
            bound = {str(r.get("evaluator_id")) for r in self.rules.values()
                     if r.get("dataset_id") in resources or r.get("session_id") in resources}
            items = [e for e in items if e["id"] in bound]
        sort_by = q.get("sort_by") or "created_at"
        if sort_by not in ("name", "created_at", "updated_at"):
            raise _go_error(400, f"invalid sort_by {sort_by!r}")
        try:
            desc = _bool_param(q, "sort_by_desc", sort_by != "name")
        except HttpError as e:
            raise _go_error(400, "invalid sort_by_desc") from e
        order = {e["id"]: i for i, e in enumerate(self.workspace_evaluators.values())}
        items.sort(key=lambda e: (e[sort_by], order[e["id"]]), reverse=bool(desc))
        page = items[offset: offset + limit]
        return 200, {"evaluators": [self._workspace_evaluator_view(e) for e in page], "total": len(items)}

    def _read_workspace_evaluator(self, req, id):
        if not _is_uuid(id):
            raise _go_error(400, f"invalid evaluator_id {id!r}: not a UUID")
        ev = self.workspace_evaluators.get(str(uuid.UUID(id)))
        if ev is None:
            raise _go_error(404, "evaluator not found")
        return 200, self._workspace_evaluator_view(ev)

    def _create_workspace_evaluator(self, req):
        body = req.json
        if not isinstance(body, dict):
            raise _go_error(400, "invalid request body")
        problems = _check_typed_dict("OnlineEvaluatorCreateParams", body, strict=self.strict_bodies)
        kind = body.get("type")
        if not body.get("name"):
            problems.append("name is required")
        if kind not in ("code", "llm"):
            problems.append("type must be 'code' or 'llm'")
        child = body.get("code_evaluator" if kind == "code" else "llm_evaluator")
        if kind in ("code", "llm") and not isinstance(child, dict):
            problems.append(f"{kind}_evaluator is required for type {kind!r}")
        if kind == "code" and isinstance(child, dict) and not child.get("code"):
            problems.append("code_evaluator.code is required")
        if problems:
            raise _go_error(400, "; ".join(problems))
        if kind == "code":
            rest = {k: v for k, v in child.items() if k not in ("code", "language", "dependencies")}
            ev = self._new_workspace_evaluator(
                body["name"], type="code", code=child["code"], language=child.get("language") or "python",
                dependencies=child.get("dependencies"), metadata=body.get("metadata"), extra_child=rest,
            )
        else:
            rest = {k: v for k, v in child.items()
                    if k not in ("prompt_repo_handle", "commit_hash_or_tag", "variable_mapping")}
            ev = self._new_workspace_evaluator(
                body["name"], type="llm", prompt_repo_handle=child.get("prompt_repo_handle"),
                commit=child.get("commit_hash_or_tag"), variable_mapping=child.get("variable_mapping"),
                metadata=body.get("metadata"), extra_child=rest,
            )
        return 201, {"evaluator": self._workspace_evaluator_view(ev)}


def _example_changes(ex: dict, inputs: Any, outputs: Any, metadata: Any, split: Any) -> dict:
    """What an example update changes: given inputs / outputs / metadata replace the old ones; the
    splits stay unless `split` is given (a metadata given without `dataset_split` keeps them)."""
    changes: dict[str, Any] = {}
    if inputs is not None:
        changes["inputs"] = inputs
    if outputs is not None:
        changes["outputs"] = outputs
    new_meta = dict(metadata) if metadata is not None else dict(ex["metadata"])
    splits = _split_list(split)
    if splits is None:
        splits = _split_list(new_meta.get(SPLIT_KEY)) or _split_list(ex["metadata"].get(SPLIT_KEY)) or ["base"]
    new_meta[SPLIT_KEY] = splits
    changes["metadata"] = new_meta
    return changes


def _check_metadata_body(body: Any) -> list[str]:
    """Problems of a `PATCH .../examples/metadata` body against the SDK's generated
    `ExampleUpdateMetadataParams` (operation names in either case: the SDK sends lower case)."""
    import pydantic
    from langsmith.types.datasets.example_update_metadata_params import ExampleUpdateMetadataParams

    if not isinstance(body, dict):
        return ["the body must be a JSON object"]
    ops = body.get("operations")
    if isinstance(ops, list):
        body = {**body, "operations": [{**op, "operation": str(op.get("operation", "")).upper()}
                                       if isinstance(op, dict) else op for op in ops]}
    try:
        pydantic.TypeAdapter(ExampleUpdateMetadataParams).validate_python(body)
    except pydantic.ValidationError as e:
        return [f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()]
    problems = [f"unknown field {k}" for k in body if k not in ("example_ids", "operations")]
    if len(body["example_ids"]) > 10_000:
        problems.append("example_ids: at most 10000")
    for i, op in enumerate(body["operations"]):
        if op["operation"] != "SET" and not isinstance(op.get("values"), list):
            problems.append(f"operations.{i}.values: required for {op['operation']}")
    return problems


def _apply_metadata_ops(metadata: dict, ops: list[dict]) -> dict:
    """The metadata after `ops` (SET / ARRAY_ADD / ARRAY_REMOVE, in order). An array operation on a
    missing or non-list value starts from [], or for dataset_split from ["base"]."""
    out = dict(metadata)
    for op in ops:
        key = op["key"]
        if op["operation"] == "SET":
            out[key] = op.get("value")
            continue
        current = out.get(key)
        if not isinstance(current, list):
            current = ["base"] if key == SPLIT_KEY else []
        values = [str(v) for v in op["values"]]
        if op["operation"] == "ARRAY_ADD":
            out[key] = current + [v for v in dict.fromkeys(values) if v not in current]
        else:
            out[key] = [v for v in current if v not in values]
    return out


def _check_typed_dict(name: str, body: dict, *, strict: bool) -> list[str]:
    """Problems of `body` against the SDK's request TypedDict `langsmith.types.<name>`."""
    import typing

    import pydantic
    import typing_extensions
    from langsmith import types as ls_types

    td = getattr(ls_types, name)
    problems: list[str] = []
    try:
        pydantic.TypeAdapter(td).validate_python(body)
    except pydantic.ValidationError as e:
        problems += [f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors()]
    if strict:
        def unknown(td_cls: Any, value: Any, prefix: str) -> None:
            if not isinstance(value, dict):
                return
            hints = typing_extensions.get_type_hints(td_cls)
            for key, item in value.items():
                if key not in hints:
                    problems.append(f"{prefix}{key}: unknown field")
                    continue
                inner = hints[key]
                for candidate in (inner, *typing.get_args(inner)):
                    if typing_extensions.is_typeddict(candidate):
                        unknown(candidate, item, f"{prefix}{key}.")
        unknown(td, body, "")
    return problems


def _feedback_stats(items: list[dict]) -> dict:
    """Feedback aggregated per key like LangSmith's `feedback_stats`: n, avg, stdev, errors, values."""
    stats: dict[str, dict] = {}
    for key in sorted({f.get("key") for f in items}):
        group = [f for f in items if f.get("key") == key]
        scores = [float(f["score"]) for f in group if isinstance(f.get("score"), (int, float))]
        avg = sum(scores) / len(scores) if scores else None
        stdev = (sum((s - avg) ** 2 for s in scores) / len(scores)) ** 0.5 if scores else None
        values: dict[str, int] = {}
        for f in group:
            if f.get("value") is not None and not isinstance(f["value"], (dict, list)):
                values[str(f["value"])] = values.get(str(f["value"]), 0) + 1
        errors = sum(1 for f in group if f.get("error") or (f.get("extra") or {}).get("error"))
        stats[key] = {"n": len(group), "avg": avg, "stdev": stdev, "errors": errors, "values": values}
    return stats


class _Handler(BaseHTTPRequestHandler):
    fake: FakeLangSmith
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: with Nagle on, each answer waits ~40 ms for the
    # client's delayed ACK.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def _serve(self) -> None:
        split = urlsplit(self.path)
        raw_query = parse_qs(split.query, keep_blank_values=True)
        query = {k: v[0] if len(v) == 1 else v for k, v in raw_query.items()}
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        req = RecordedRequest(
            method=self.command,
            path=split.path,
            query=query,
            headers=headers,
            body=body,
            json=_parse_body(headers.get("content-type", ""), body),
        )
        status, payload, delay, drop = self.fake.handle(req)
        if delay:
            time.sleep(delay)
        if drop:
            self.close_connection = True
            self.connection.shutdown(2)
            return
        req.status = status
        raw = isinstance(payload, RawBody)
        data = payload.data if raw else json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", payload.content_type if raw else "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout test)
            self.close_connection = True

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve


def _parse_body(content_type: str, body: bytes) -> Any:
    if not body:
        return None
    if content_type.startswith("multipart/form-data"):
        return _parse_multipart(content_type, body)
    try:
        return json.loads(body)
    except ValueError:
        return None


_BOUNDARY_RE = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_PART_NAME_RE = re.compile(rb'content-disposition:[^\r\n]*?;\s*name="([^"]*)"', re.IGNORECASE)


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Multipart parts by form name; JSON parts decoded. Later parts with the same name win.

    Split on the boundary directly (the email parser costs ~0.7 s for a batch of 1,000 examples);
    a body this does not understand (a transfer encoding, no boundary) goes to the email parser."""
    match = _BOUNDARY_RE.search(content_type)
    if match is not None and b"content-transfer-encoding" not in body[:4096].lower():
        parts: dict[str, Any] = {}
        chunks = body.split(b"--" + match.group(1).encode())
        for chunk in chunks[1:]:
            if chunk.startswith(b"--"):
                return parts
            head, sep, payload = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
            name = _PART_NAME_RE.search(head)
            if not sep or name is None:
                break
            payload = payload.removesuffix(b"\r\n")
            try:
                parts[name.group(1).decode()] = json.loads(payload)
            except ValueError:
                parts[name.group(1).decode()] = payload
    return _parse_multipart_email(content_type, body)


def _parse_multipart_email(content_type: str, body: bytes) -> dict[str, Any]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    parts: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        try:
            parts[name] = json.loads(payload)
        except ValueError:
            parts[name] = payload
    return parts
