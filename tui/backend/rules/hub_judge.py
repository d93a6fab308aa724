"""Workspace LLM evaluators whose prompt lives in LangSmith's prompt hub, run here.

A workspace LLM evaluator names a prompt (`prompt_repo_handle` + `commit_hash_or_tag`) and maps its
variables to run / example fields. The prompt's manifest (LangChain's serialization of a
`StructuredPrompt | ChatOpenAI`, or of a ChatPromptTemplate whose model binds a `json_schema`
response format) is read *as data*, never deserialized into objects: evaltui takes the messages,
the output schema and the model's name and temperature from it, and runs them through the same
`rule_judge` as an inline LLM rule (its own OPENAI_BASE_URL: a base URL or headers in a manifest are
not used). What it cannot carry over is a clear `InvalidInput`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tui.backend.core.errors import InvalidInput
from tui.backend.core.models import WorkspaceEvaluator

_ROLES = {"SystemMessagePromptTemplate": "system", "HumanMessagePromptTemplate": "human",
          "AIMessagePromptTemplate": "ai"}
_PROMPTS = ("StructuredPrompt", "ChatPromptTemplate")


def _nodes(value: Any) -> Iterator[dict]:
    """Every serialized LangChain object in the manifest, depth first."""
    if isinstance(value, dict):
        if value.get("lc") == 1 and isinstance(value.get("id"), list):
            yield value
        for child in value.values():
            yield from _nodes(child)
    elif isinstance(value, list):
        for child in value:
            yield from _nodes(child)


def _name(node: dict) -> str:
    return str(node["id"][-1])


def _messages(prompt: dict, where: str) -> tuple[list[list[str]], str]:
    out: list[list[str]] = []
    formats = set()
    for message in (prompt.get("kwargs") or {}).get("messages") or []:
        kind = _name(message) if isinstance(message, dict) and "id" in message else "?"
        role = _ROLES.get(kind)
        template = (((message.get("kwargs") or {}).get("prompt") or {}).get("kwargs") or {}) if role else {}
        if not role or not isinstance(template.get("template"), str):
            raise InvalidInput(f"{where}: its prompt has a {kind} message; evaltui runs prompts made of "
                               "system, human and AI message templates only.")
        out.append([role, template["template"]])
        formats.add(template.get("template_format") or "f-string")
    if not out:
        raise InvalidInput(f"{where}: its prompt has no messages.")
    if len(formats) > 1:
        raise InvalidInput(f"{where}: its messages mix template formats ({', '.join(sorted(formats))}).")
    return out, formats.pop()


def _schema(nodes: list[dict], prompt: dict) -> dict | None:
    schema = (prompt.get("kwargs") or {}).get("schema_")
    if isinstance(schema, dict):
        return schema
    for node in nodes:  # a model bound to a json_schema response format
        fmt = ((node.get("kwargs") or {}).get("kwargs") or {}).get("response_format") or {}
        if isinstance(fmt, dict) and isinstance(fmt.get("json_schema"), dict):
            inner = fmt["json_schema"]
            return {"title": inner.get("name", "grade"), "description": inner.get("description", ""),
                    **(inner.get("schema") or {})}
    return None


def structured_from_manifest(manifest: Mapping[str, Any], variable_mapping: Mapping[str, str],
                             where: str = "This evaluator") -> dict[str, Any]:
    """The inline LLM-rule form (`evaluators.llm_judge.rule_judge`'s input) of a hub prompt."""
    nodes = list(_nodes(manifest))
    prompt = next((n for n in nodes if _name(n) in _PROMPTS), None)
    if prompt is None:
        raise InvalidInput(f"{where}: its prompt is not a chat prompt template (found "
                           f"{', '.join(sorted({_name(n) for n in nodes})) or 'nothing'}).")
    messages, template_format = _messages(prompt, where)
    schema = _schema(nodes, prompt)
    if not schema or schema.get("type") != "object" or not schema.get("properties"):
        raise InvalidInput(f"{where}: its prompt has no output schema (an object with fields): "
                           "add one in LangSmith's prompt editor.")
    model = next((n for n in nodes if "chat_models" in n["id"]), None)
    if model is None:
        raise InvalidInput(f"{where}: its prompt names no model: save it with a model in LangSmith.")
    if _name(model) != "ChatOpenAI":
        raise InvalidInput(f"{where}: its prompt uses {_name(model)}; evaltui runs judges through ChatOpenAI "
                           "(any OpenAI-compatible server via OPENAI_BASE_URL).")
    kwargs = model.get("kwargs") or {}
    return {
        "prompt": messages,
        "schema": {"name": schema.get("title", "grade"), "description": schema.get("description", ""),
                   "parameters": schema, "strict": True},
        "model": {"kwargs": {"model_name": kwargs.get("model_name") or kwargs.get("model"),
                             "temperature": kwargs.get("temperature", 0.0)}},
        "variable_mapping": dict(variable_mapping),
        "template_format": template_format,
    }


def prompt_identifier(evaluator: WorkspaceEvaluator) -> str:
    if not evaluator.prompt_repo:
        raise InvalidInput(f"Workspace evaluator {evaluator.name!r} names no prompt.")
    return f"{evaluator.prompt_repo}:{evaluator.prompt_commit or 'latest'}"


def workspace_llm_judge(backend: Any, evaluator: WorkspaceEvaluator):
    """An async `(run, example)` evaluator doing what LangSmith does with this LLM evaluator."""
    from evaluators.llm_judge import rule_judge

    where = f"Workspace evaluator {evaluator.name!r}"
    manifest = backend.get_prompt_manifest(prompt_identifier(evaluator))
    structured = structured_from_manifest(manifest, evaluator.variable_mapping or {}, where)
    try:
        return rule_judge(structured)
    except ValueError as exc:
        raise InvalidInput(f"{where}: {exc}") from None
