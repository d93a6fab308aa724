"""A fake LangSmith API on 127.0.0.1 for tests: in-memory stores, request recording, fault injection.

It implements what `langsmith.Client` 0.15 and the run-rules API need: `/info`, datasets, examples,
sessions (tracing projects and experiments), run ingestion (`POST /runs`, `PATCH /runs/{id}`,
`/runs/batch`, `/runs/multipart`), `/runs/query`, feedback and `/runs/rules`.

    server = FakeLangSmith().start()
    client = langsmith.Client(api_url=server.url, api_key=server.api_key)
    server.inject("GET", r"^/datasets", status=429, times=2)
    server.requests_to("POST", "/runs/rules")[-1].json
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from tests.fakes.loopback import LoopbackServer

DEFAULT_API_KEY = "lsv2_pt_fakefakefake0000000000000000_abcd1234"
TENANT_ID = "00000000-0000-4000-8000-00000000fa4e"

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
    "instance_flags": {"zstd_compression_enabled": False},
}


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


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


class HttpError(Exception):
    def __init__(self, status: int, detail: Any):
        super().__init__(detail)
        self.status, self.detail = status, detail


def _page(items: list[dict], query: dict[str, Any], default_limit: int = 100) -> list[dict]:
    offset = int(query.get("offset", 0) or 0)
    limit = int(query.get("limit", default_limit) or default_limit)
    return items[offset : offset + limit]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


class FakeLangSmith(LoopbackServer):
    """In-memory LangSmith. All stores are plain dicts keyed by id (str), safe to read from tests."""

    def __init__(
        self,
        api_key: str = DEFAULT_API_KEY,
        info: dict[str, Any] | None = None,
        default_project: bool = True,
    ):
        self.api_key = api_key
        self.info: dict[str, Any] = json.loads(json.dumps(info or DEFAULT_INFO))
        self.datasets: dict[str, dict] = {}
        self.examples: dict[str, dict] = {}
        self.sessions: dict[str, dict] = {}
        self.runs: dict[str, dict] = {}
        self.feedback: dict[str, dict] = {}
        self.rules: dict[str, dict] = {}
        self.requests: list[RecordedRequest] = []
        self._faults: list[Fault] = []
        self._lock = threading.RLock()
        self._routes: list[tuple[str, re.Pattern[str], Callable[..., Any]]] = [
            (m, re.compile(p + r"/?$"), h)
            for m, p, h in [
                ("GET", r"^/info", self._get_info),
                ("GET", r"^/datasets", self._list_datasets),
                ("POST", r"^/datasets", self._create_dataset),
                ("GET", r"^/datasets/(?P<id>[^/]+)", self._read_dataset),
                ("GET", r"^/datasets/(?P<id>[^/]+)/version", self._read_dataset_version),
                ("GET", r"^/examples", self._list_examples),
                ("GET", r"^/examples/(?P<id>[^/]+)", self._read_example),
                ("GET", r"^/sessions", self._list_sessions),
                ("POST", r"^/sessions", self._create_session),
                ("GET", r"^/sessions/(?P<id>[^/]+)", self._read_session),
                ("PATCH", r"^/sessions/(?P<id>[^/]+)", self._update_session),
                ("DELETE", r"^/sessions/(?P<id>[^/]+)", self._delete_session),
                ("GET", r"^/runs/rules", self._list_rules),
                ("POST", r"^/runs/rules", self._create_rule),
                ("PATCH", r"^/runs/rules/(?P<id>[^/]+)", self._update_rule),
                ("DELETE", r"^/runs/rules/(?P<id>[^/]+)", self._delete_rule),
                ("POST", r"^/runs/batch", self._runs_batch),
                ("POST", r"^/runs/multipart", self._runs_multipart),
                ("POST", r"^/runs/query", self._query_runs),
                ("POST", r"^/runs", self._create_run),
                ("GET", r"^/runs/(?P<id>[^/]+)", self._read_run),
                ("PATCH", r"^/runs/(?P<id>[^/]+)", self._update_run),
                ("POST", r"^/feedback", self._create_feedback),
                ("GET", r"^/feedback", self._list_feedback),
            ]
        ]
        if default_project:
            # Like a real workspace. The SDK also needs one session to learn the tenant id: without
            # it, list_examples asks GET /sessions?limit=1 again for every example.
            self.seed_project("default")

    # -- lifecycle ----------------------------------------------------------------------
    # stop(), port and url come from LoopbackServer.
    def start(self) -> "FakeLangSmith":
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

    def seed_dataset(
        self, name: str, examples: list[tuple[dict, dict]] = (), description: str = ""
    ) -> dict:
        with self._lock:
            ds = self._new_dataset({"name": name, "description": description})
            for inputs, outputs in examples:
                self._new_example(ds["id"], inputs, outputs)
            return ds

    def seed_project(self, name: str, reference_dataset_id: str | None = None) -> dict:
        with self._lock:
            return self._new_session({"name": name, "reference_dataset_id": reference_dataset_id})

    def seed_rule(
        self,
        display_name: str,
        code: str = "def perform_eval(run, example):\n    return {'score': 1}\n",
        *,
        dataset_id: str | None = None,
        session_id: str | None = None,
        sampling_rate: float = 1.0,
        is_enabled: bool = True,
    ) -> dict:
        with self._lock:
            return self._store_rule(
                {
                    "display_name": display_name,
                    "sampling_rate": sampling_rate,
                    "is_enabled": is_enabled,
                    "dataset_id": dataset_id,
                    "session_id": session_id,
                    "code_evaluators": [{"code": code, "language": "python"}],
                }
            )

    def examples_of(self, dataset_id: str) -> list[dict]:
        return [e for e in self.examples.values() if e["dataset_id"] == dataset_id]

    def runs_in(self, session_id: str) -> list[dict]:
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
        if req.path != "/info" and req.headers.get("x-api-key") != self.api_key:
            return 401, {"detail": "Invalid token"}, delay, False
        for method, pattern, handler in self._routes:
            m = pattern.match(req.path)
            if m and method == req.method:
                try:
                    with self._lock:
                        status, body = handler(req, **m.groupdict())
                except HttpError as e:
                    status, body = e.status, {"detail": e.detail}
                return status, body, delay, False
        return 404, {"detail": f"Not Found: {req.method} {req.path}"}, delay, False

    # -- stores -----------------------------------------------------------------------------
    def _new_dataset(self, body: dict) -> dict:
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
            "metadata": body.get("extra", {}).get("metadata") if body.get("extra") else None,
        }
        self.datasets[ds["id"]] = ds
        return ds

    def _dataset_view(self, ds: dict) -> dict:
        out = dict(ds)
        out["example_count"] = len(self.examples_of(ds["id"]))
        out["session_count"] = sum(
            1 for s in self.sessions.values() if s.get("reference_dataset_id") == ds["id"]
        )
        return out

    def _new_example(self, dataset_id: str, inputs: dict, outputs: dict | None, metadata=None) -> dict:
        now = _now()
        ex = {
            "id": str(uuid.uuid4()),
            "dataset_id": dataset_id,
            "inputs": inputs,
            "outputs": outputs,
            "metadata": metadata or {},
            "created_at": now,
            "modified_at": now,
            "source_run_id": None,
        }
        self.examples[ex["id"]] = ex
        return ex

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
        }
        self.sessions[s["id"]] = s
        return s

    def _session_view(self, s: dict) -> dict:
        out = dict(s)
        out["run_count"] = sum(1 for r in self.runs.values() if r.get("session_id") == s["id"])
        return out

    def _store_rule(self, body: dict, rule_id: str | None = None) -> dict:
        for key in ("display_name", "sampling_rate"):
            if key not in body:
                raise HttpError(422, [{"loc": ["body", key], "msg": "field required"}])
        ds_id, s_id = body.get("dataset_id"), body.get("session_id")
        ds = self.datasets.get(ds_id) if ds_id else None
        sess = self.sessions.get(s_id) if s_id else None
        if ds_id and ds is None:
            raise HttpError(404, f"Dataset {ds_id} not found")
        if s_id and sess is None:
            raise HttpError(404, f"Session {s_id} not found")
        now = _now()
        old = self.rules.get(rule_id) if rule_id else None
        rule = {
            "id": rule_id or str(uuid.uuid4()),
            "tenant_id": TENANT_ID,
            "display_name": body["display_name"],
            "sampling_rate": body["sampling_rate"],
            "is_enabled": body.get("is_enabled", True),
            "filter": body.get("filter"),
            "dataset_id": ds_id,
            "dataset_name": ds["name"] if ds else None,
            "session_id": s_id,
            "session_name": sess["name"] if sess else None,
            "evaluators": body.get("evaluators") or [],
            "code_evaluators": body.get("code_evaluators") or [],
            "created_at": old["created_at"] if old else now,
            "updated_at": now,
        }
        self.rules[rule["id"]] = rule
        return rule

    def _upsert_run(self, run: dict, patch: bool = False) -> None:
        run_id = str(run.get("id") or uuid.uuid4())
        current = self.runs.get(run_id, {})
        merged = {**current, **{k: v for k, v in run.items() if v is not None or not patch}}
        merged["id"] = run_id
        if not merged.get("session_id") and merged.get("session_name"):
            sess = next((s for s in self.sessions.values() if s["name"] == merged["session_name"]), None)
            if sess is None:
                sess = self._new_session({"name": merged["session_name"]})
            merged["session_id"] = sess["id"]
        merged.setdefault("status", "success" if merged.get("end_time") else "pending")
        if merged.get("end_time"):
            merged["status"] = "error" if merged.get("error") else "success"
        self.runs[run_id] = merged

    # -- route handlers: each returns (status, body) -----------------------------------------
    def _get_info(self, req):
        return 200, self.info

    def _list_datasets(self, req):
        q = req.query
        items = [self._dataset_view(d) for d in self.datasets.values()]
        if ids := _as_list(q.get("id")):
            items = [d for d in items if d["id"] in ids]
        if "name" in q:
            items = [d for d in items if d["name"] == q["name"]]
        if "name_contains" in q:
            items = [d for d in items if q["name_contains"].lower() in d["name"].lower()]
        return 200, _page(items, q)

    def _create_dataset(self, req):
        return 200, self._dataset_view(self._new_dataset(req.json or {}))

    def _read_dataset(self, req, id):
        ds = self.datasets.get(id)
        if ds is None:
            raise HttpError(404, f"Dataset {id} not found")
        return 200, self._dataset_view(ds)

    def _read_dataset_version(self, req, id):
        ds = self.datasets.get(id)
        if ds is None:
            raise HttpError(404, f"Dataset {id} not found")
        return 200, {"as_of": ds["modified_at"], "tags": ["latest"]}

    def _list_examples(self, req):
        q = req.query
        items = list(self.examples.values())
        if ds_ids := _as_list(q.get("dataset")):
            items = [e for e in items if e["dataset_id"] in ds_ids]
        if ids := _as_list(q.get("id")):
            items = [e for e in items if e["id"] in ids]
        return 200, _page(items, q)

    def _read_example(self, req, id):
        ex = self.examples.get(id)
        if ex is None:
            raise HttpError(404, f"Example {id} not found")
        return 200, ex

    def _list_sessions(self, req):
        q = req.query
        items = [self._session_view(s) for s in self.sessions.values()]
        if ids := _as_list(q.get("id")):
            items = [s for s in items if s["id"] in ids]
        if "name" in q:
            items = [s for s in items if s["name"] == q["name"]]
        if "name_contains" in q:
            items = [s for s in items if q["name_contains"].lower() in s["name"].lower()]
        if "reference_dataset" in q:
            refs = _as_list(q["reference_dataset"])
            items = [s for s in items if s.get("reference_dataset_id") in refs]
        if q.get("reference_free") == "true":
            items = [s for s in items if not s.get("reference_dataset_id")]
        return 200, _page(items, q)

    def _create_session(self, req):
        body = req.json or {}
        existing = next((s for s in self.sessions.values() if s["name"] == body.get("name")), None)
        if existing is not None:
            if req.query.get("upsert") == "true":
                return 200, self._session_view(existing)
            raise HttpError(409, f"Session {body.get('name')} already exists")
        return 200, self._session_view(self._new_session(body))

    def _read_session(self, req, id):
        s = self.sessions.get(id)
        if s is None:
            raise HttpError(404, f"Session {id} not found")
        return 200, self._session_view(s)

    def _update_session(self, req, id):
        s = self.sessions.get(id)
        if s is None:
            raise HttpError(404, f"Session {id} not found")
        for key, value in (req.json or {}).items():
            if key in ("name", "description", "end_time", "extra") and value is not None:
                s[key] = value
        return 200, self._session_view(s)

    def _delete_session(self, req, id):
        if self.sessions.pop(id, None) is None:
            raise HttpError(404, f"Session {id} not found")
        return 200, {}

    def _list_rules(self, req):
        q = req.query
        items = list(self.rules.values())
        if "dataset_id" in q:
            items = [r for r in items if r["dataset_id"] == q["dataset_id"]]
        if "session_id" in q:
            items = [r for r in items if r["session_id"] == q["session_id"]]
        if "name_contains" in q:
            items = [r for r in items if q["name_contains"].lower() in r["display_name"].lower()]
        return 200, items

    def _create_rule(self, req):
        return 200, self._store_rule(req.json or {})

    def _update_rule(self, req, id):
        if id not in self.rules:
            raise HttpError(404, f"Rule {id} not found")
        body = req.json or {}
        missing = [k for k in ("display_name", "sampling_rate", "is_enabled") if k not in body]
        if missing:
            raise HttpError(422, [{"loc": ["body", k], "msg": "field required"} for k in missing])
        return 200, self._store_rule(body, rule_id=id)

    def _delete_rule(self, req, id):
        if self.rules.pop(id, None) is None:
            raise HttpError(404, f"Rule {id} not found")
        return 200, {}

    def _create_run(self, req):
        self._upsert_run(req.json or {})
        return 202, {}

    def _update_run(self, req, id):
        self._upsert_run({**(req.json or {}), "id": id}, patch=True)
        return 202, {}

    def _runs_batch(self, req):
        body = req.json or {}
        for run in body.get("post") or []:
            self._upsert_run(run)
        for run in body.get("patch") or []:
            self._upsert_run(run, patch=True)
        return 202, {}

    def _runs_multipart(self, req):
        posts: dict[str, dict] = {}
        patches: dict[str, dict] = {}
        for name, value in (req.json or {}).items():
            kind, _, rest = name.partition(".")
            run_id, _, field_name = rest.partition(".")
            if kind == "feedback":
                self._store_feedback(value)
                continue
            if kind not in ("post", "patch"):
                continue  # attachments are accepted and ignored
            target = (posts if kind == "post" else patches).setdefault(run_id, {"id": run_id})
            if field_name:
                target[field_name] = value
            else:
                target.update(value)
        for run in posts.values():
            self._upsert_run(run)
        for run in patches.values():
            self._upsert_run(run, patch=True)
        return 202, {}

    def _query_runs(self, req):
        body = req.json or {}
        items = list(self.runs.values())
        if sessions := _as_list(body.get("session")):
            items = [r for r in items if r.get("session_id") in sessions]
        if body.get("is_root"):
            items = [r for r in items if not r.get("parent_run_id")]
        if ids := _as_list(body.get("id")):
            items = [r for r in items if r["id"] in ids]
        if refs := _as_list(body.get("reference_example")):
            items = [r for r in items if r.get("reference_example_id") in refs]
        if traces := _as_list(body.get("trace")):
            items = [r for r in items if r.get("trace_id") in traces]
        limit = body.get("limit") or 100
        offset = int(body.get("cursor") or 0)
        page = [_public_run(r) for r in items[offset : offset + limit]]
        nxt = str(offset + limit) if offset + limit < len(items) else None
        return 200, {"runs": page, "cursors": {"next": nxt}}

    def _read_run(self, req, id):
        run = self.runs.get(id)
        if run is None:
            raise HttpError(404, f"Run {id} not found")
        return 200, _public_run(run)

    def _store_feedback(self, body: dict) -> dict:
        fb = dict(body)
        fb["id"] = str(fb.get("id") or uuid.uuid4())
        fb.setdefault("created_at", _now())
        fb.setdefault("modified_at", fb["created_at"])
        if not fb.get("session_id") and fb.get("run_id") in self.runs:
            fb["session_id"] = self.runs[fb["run_id"]].get("session_id")
        self.feedback[fb["id"]] = fb
        return fb

    def _create_feedback(self, req):
        return 200, self._store_feedback(req.json or {})

    def _list_feedback(self, req):
        q = req.query
        items = list(self.feedback.values())
        if runs := _as_list(q.get("run")):
            items = [f for f in items if str(f.get("run_id")) in runs]
        if sessions := _as_list(q.get("session")):
            items = [f for f in items if str(f.get("session_id")) in sessions]
        if keys := _as_list(q.get("key")):
            items = [f for f in items if f.get("key") in keys]
        return 200, _page(items, q)


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
        data = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
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


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Multipart parts by form name; JSON parts decoded. Later parts with the same name win."""
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


def _public_run(run: dict) -> dict:
    """A stored run as the API returns it: the SDK's Run model rejects ingestion-only keys."""
    return {k: v for k, v in run.items() if k != "attachments"}
