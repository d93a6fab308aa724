"""The fake OpenAI server itself, over plain HTTP (urllib), without any client library."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest

from tests.fakes.openai_server import value_for_schema

SCHEMA = {
    "type": "object",
    "properties": {
        "reasoning": {"type": "string"},
        "ok": {"type": "boolean"},
        "confidence": {"type": "number"},
        "rating": {"type": "integer"},
        "missing": {"type": "array", "items": {"type": "string"}},
        "level": {"enum": ["low", "high"]},
        "nested": {"type": "object", "properties": {"flag": {"type": "boolean"}}},
    },
    "required": ["reasoning", "ok", "confidence", "rating", "missing", "level", "nested"],
    "additionalProperties": False,
}


def body(expected="Paris", output="Paris is lovely", schema=SCHEMA):
    return {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": f"Grade.\n<expected>\n{expected}\n</expected>\n"
                                                 f"<agent_output>\n{output}\n</agent_output>"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "G", "schema": schema, "strict": True}},
    }


def post(server, payload, path="/v1/chat/completions"):
    request = urllib.request.Request(server.url + path, data=json.dumps(payload).encode(),
                                     headers={"Content-Type": "application/json", "Authorization": "Bearer sk-x"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), json.loads(err.read())


def content(reply):
    return reply["choices"][0]["message"]["content"]


def test_reply_shape_and_schema_values(fake_openai):
    status, _, reply = post(fake_openai, body())
    assert status == 200
    assert reply["object"] == "chat.completion" and reply["model"] == "gpt-4o-mini"
    assert reply["choices"][0]["message"]["role"] == "assistant"
    assert reply["choices"][0]["message"]["refusal"] is None and reply["choices"][0]["finish_reason"] == "stop"
    assert set(reply["usage"]) >= {"prompt_tokens", "completion_tokens", "total_tokens"}
    graded = json.loads(content(reply))
    assert graded["ok"] is True and isinstance(graded["reasoning"], str) and graded["missing"] == []
    assert isinstance(graded["confidence"], float) and isinstance(graded["rating"], int)
    assert graded["level"] == "low" and graded["nested"] == {"flag": True}


def test_default_policy_fails_when_expected_is_absent(fake_openai):
    graded = json.loads(content(post(fake_openai, body(expected="Paris", output="Lyon"))[2]))
    assert graded["ok"] is False and len(graded["missing"]) == 1


def test_verdict_and_responder_override(fake_openai):
    fake_openai.verdict = False
    assert json.loads(content(post(fake_openai, body())[2]))["ok"] is False
    fake_openai.responder = lambda request: {"custom": request["model"]}
    assert json.loads(content(post(fake_openai, body())[2])) == {"custom": "gpt-4o-mini"}
    fake_openai.responder = lambda request: "not json"
    assert content(post(fake_openai, body())[2]) == "not json"


def test_requests_are_recorded(fake_openai):
    post(fake_openai, body())
    [recorded] = fake_openai.requests
    assert recorded.method == "POST" and recorded.path == "/v1/chat/completions"
    assert recorded.headers["authorization"] == "Bearer sk-x"
    assert fake_openai.chat_requests() == [body()]


def test_fault_modes(fake_openai):
    fake_openai.fail_next("rate_limit")
    fake_openai.fail_next("server_error")
    fake_openai.fail_next("refusal")
    fake_openai.fail_next("broken_json")
    status, headers, reply = post(fake_openai, body())
    assert status == 429 and "retry-after-ms" in {k.lower() for k in headers} and "error" in reply
    assert post(fake_openai, body())[0] == 500
    refusal = post(fake_openai, body())[2]["choices"][0]["message"]
    assert refusal["content"] is None and refusal["refusal"]
    with pytest.raises(ValueError):
        json.loads(content(post(fake_openai, body())[2]))
    assert post(fake_openai, body())[0] == 200  # queue drained: back to normal
    fake_openai.mode = "server_error"
    assert post(fake_openai, body())[0] == 500 and post(fake_openai, body())[0] == 500


def test_delay_and_unknown_path(fake_openai):
    fake_openai.delay = 0.1
    start = time.perf_counter()
    post(fake_openai, body())
    assert time.perf_counter() - start >= 0.1
    assert post(fake_openai, {}, path="/v1/embeddings")[0] == 404


def test_plain_chat_without_schema(fake_openai):
    assert content(post(fake_openai, {"model": "m", "messages": [{"role": "user", "content": "hi"}]})[2]) == "Yes."


def test_value_for_schema_handles_refs_and_nullable():
    schema = {"$defs": {"Inner": {"type": "object", "properties": {"n": {"type": ["number", "null"]}}}},
              "type": "object", "properties": {"inner": {"$ref": "#/$defs/Inner"},
                                               "maybe": {"anyOf": [{"type": "null"}, {"type": "string"}]}}}
    assert value_for_schema(schema, True) == {"inner": {"n": 0.9}, "maybe": "The answer matches the expected answer."}


def test_openai_env_sets_variables(openai_env):
    import os

    assert os.environ["OPENAI_BASE_URL"] == openai_env.base_url
    assert os.environ["OPENAI_API_KEY"] == "sk-fake-test-key-0000"
