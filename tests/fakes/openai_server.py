"""A fake OpenAI-compatible server on 127.0.0.1 for judge tests.

Answers ``POST /v1/chat/completions``. For ``response_format={"type": "json_schema", ...}`` the
reply content is a JSON object valid for the schema; values come from ``server.responder`` if set
(``callable(request_json) -> dict | str``; a str is sent as the raw content, so it can be broken
JSON), else from the default policy:

* the verdict is True iff the text inside ``<expected>…</expected>`` appears (case-insensitive)
  in ``<agent_output>…</agent_output>`` of the last user message (True when the tags are absent),
  or ``server.verdict`` when that is set to a bool;
* booleans get the verdict; integers 5/1 and numbers 0.9/0.1 for a True/False verdict;
  strings a short reasoning; arrays are empty for True and one string for False; enums their
  first value; objects are filled recursively.

Faults: ``server.mode`` (persistent) or ``server.fail_next(mode, times=1)`` (queued, used first)
with modes ``"ok"``, ``"broken_json"``, ``"rate_limit"`` (HTTP 429 with ``retry-after-ms``),
``"server_error"`` (HTTP 500), ``"refusal"`` (``message.refusal`` set, content null);
``server.delay`` (seconds) slows every reply. Every request is recorded in ``server.requests``.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fakes.loopback import LoopbackServer

MODES = ("ok", "broken_json", "rate_limit", "server_error", "refusal")

_TAG = {name: re.compile(rf"<{name}>\s*(.*?)\s*</{name}>", re.S) for name in ("expected", "agent_output")}


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any
    received_at: float = field(default_factory=time.monotonic)


def last_user_text(request: dict) -> str:
    for message in reversed(request.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts
                return "".join(p.get("text", "") for p in content if isinstance(p, dict))
            return content or ""
    return ""


def default_verdict(request: dict) -> bool:
    """True iff the expected text appears in the agent output (both read from the prompt's tags)."""
    text = last_user_text(request)
    expected, output = _TAG["expected"].search(text), _TAG["agent_output"].search(text)
    if not expected or not output:
        return True
    return expected.group(1).strip().lower() in output.group(1).strip().lower()


def value_for_schema(schema: dict, verdict: bool, defs: dict | None = None) -> Any:
    """A value valid for a (strict, OpenAI-style) JSON schema, shaped by `verdict`."""
    defs = defs if defs is not None else (schema.get("$defs") or schema.get("definitions") or {})
    if "$ref" in schema:
        return value_for_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], verdict, defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    for combinator in ("anyOf", "oneOf", "allOf"):
        if combinator in schema:
            options = [s for s in schema[combinator] if s.get("type") != "null"] or schema[combinator]
            return value_for_schema(options[0], verdict, defs)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        return {name: value_for_schema(sub, verdict, defs) for name, sub in (schema.get("properties") or {}).items()}
    if kind == "array":
        return [] if verdict else [value_for_schema(schema.get("items") or {"type": "string"}, verdict, defs)]
    if kind == "boolean":
        return verdict
    if kind == "integer":
        return int(schema.get("maximum", 5)) if verdict else int(schema.get("minimum", 1))
    if kind == "number":
        return 0.9 if verdict else 0.1
    if kind == "null":
        return None
    return "The answer matches the expected answer." if verdict else "The answer does not match the expected answer."


def schema_reply(request: dict, verdict: bool) -> dict | None:
    fmt = request.get("response_format") or {}
    if fmt.get("type") != "json_schema":
        return None
    return value_for_schema((fmt.get("json_schema") or {}).get("schema") or {}, verdict)


class FakeOpenAIServer(LoopbackServer):
    """Start with ``start()`` (or use as a context manager); ``base_url`` ends with ``/v1``.

    ``stop()``, ``port`` and ``url`` come from `LoopbackServer`.
    """

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.responder: Callable[[dict], dict | str] | None = None
        self.verdict: bool | None = None
        self.mode: str = "ok"
        self.delay: float = 0.0
        self.retry_after_ms: int = 10
        self._queued: deque[str] = deque()
        self._lock = threading.Lock()

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> FakeOpenAIServer:
        server = self

        class Handler(_Handler):
            fake = server

        self._start_server(Handler, server_class=_Server, poll_interval=0.02, thread_name="fake-openai")
        return self

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.url + "/v1"

    # -- control ----------------------------------------------------------------------

    def fail_next(self, mode: str, times: int = 1) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; one of {MODES}")
        with self._lock:
            self._queued.extend([mode] * times)

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self._queued.clear()
        self.responder, self.verdict, self.mode, self.delay = None, None, "ok", 0.0

    def chat_requests(self) -> list[dict]:
        """Bodies of the recorded chat-completion requests."""
        return [r.body for r in self.requests if r.path.endswith("/chat/completions")]

    def _next_mode(self) -> str:
        with self._lock:
            return self._queued.popleft() if self._queued else self.mode

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    # -- replies ------------------------------------------------------------------------

    def content_for(self, request: dict) -> str:
        if self.responder is not None:
            answer = self.responder(request)
            return answer if isinstance(answer, str) else json.dumps(answer)
        verdict = self.verdict if self.verdict is not None else default_verdict(request)
        structured = schema_reply(request, verdict)
        if structured is not None:
            return json.dumps(structured)
        return "Yes." if verdict else "No."

    def completion(self, request: dict, content: str | None, refusal: str | None = None) -> dict:
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model", "gpt-4o-mini"),
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content, "refusal": refusal},
                "logprobs": None,
                "finish_reason": "stop",
            }],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
        }


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) drops the SYNs of a burst of concurrent clients (a judge run
    # opens max_concurrency connections at once); each dropped SYN costs a 1 s retransmit.
    request_queue_size = 128
    daemon_threads = True


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: avoid the 40 ms delayed ACK

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status: int, message: str, kind: str, headers: dict[str, str] | None = None) -> None:
        self._send(status, {"error": {"message": message, "type": kind, "param": None, "code": None}}, headers)

    def do_GET(self) -> None:
        self.fake._record(RecordedRequest("GET", self.path, _headers(self), None))
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "gpt-4o-mini", "object": "model"}]})
        else:
            self._error(404, f"Unknown path {self.path}", "invalid_request_error")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = raw.decode("utf-8", "replace")
        fake = self.fake
        fake._record(RecordedRequest("POST", self.path, _headers(self), body))
        if not self.path.split("?")[0].rstrip("/").endswith("/chat/completions"):
            self._error(404, f"Unknown path {self.path}", "invalid_request_error")
            return
        if not isinstance(body, dict):
            self._error(400, "Request body is not JSON.", "invalid_request_error")
            return
        if fake.delay:
            time.sleep(fake.delay)
        mode = fake._next_mode()
        if mode == "rate_limit":
            self._error(429, "Rate limit reached for requests (fake).", "requests",
                        {"retry-after-ms": str(fake.retry_after_ms), "retry-after": "1"})
        elif mode == "server_error":
            self._error(500, "The server had an error while processing your request (fake).", "server_error",
                        {"retry-after-ms": str(fake.retry_after_ms)})
        elif mode == "refusal":
            self._send(200, fake.completion(body, None, refusal="I'm sorry, I can't help with that."))
        elif mode == "broken_json":
            self._send(200, fake.completion(body, '{"reasoning": "cut off mid-sentence", "is_accur'))
        else:
            try:
                content = fake.content_for(body)
            except Exception as exc:  # a broken responder is a test bug: surface it as a 500
                self._error(500, f"responder failed: {type(exc).__name__}: {exc}", "server_error")
                return
            self._send(200, fake.completion(body, content))


def _headers(handler: BaseHTTPRequestHandler) -> dict[str, str]:
    """Request headers with lower-case names (clients differ in how they spell them)."""
    return {name.lower(): value for name, value in handler.headers.items()}
