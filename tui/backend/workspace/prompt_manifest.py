"""Prompt manifests as LangSmith's prompt hub stores them: LangChain's serialization (`dumpd`) of
`StructuredPrompt(messages, schema_) | ChatOpenAI(...)` (what `pull_prompt_commit(...,
include_model=True)` returns for an LLM-as-judge prompt), built here without importing LangChain.
A test compares the result with LangChain's own `dumpd`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_MESSAGE_CLASSES = {"system": "SystemMessagePromptTemplate", "human": "HumanMessagePromptTemplate",
                    "user": "HumanMessagePromptTemplate", "ai": "AIMessagePromptTemplate",
                    "assistant": "AIMessagePromptTemplate"}


def _constructor(path: Sequence[str], kwargs: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    node: dict[str, Any] = {"lc": 1, "type": "constructor", "id": list(path), "kwargs": kwargs}
    if name:
        node["name"] = name
    return node


def _message(role: str, template: str, variables: Sequence[str], template_format: str) -> dict[str, Any]:
    prompt = _constructor(["langchain", "prompts", "prompt", "PromptTemplate"],
                          {"input_variables": list(variables), "template": template,
                           "template_format": template_format}, "PromptTemplate")
    return _constructor(["langchain", "prompts", "chat", _MESSAGE_CLASSES[role]], {"prompt": prompt})


def judge_prompt_manifest(messages: Sequence[tuple[str, str, Sequence[str]]], schema: dict[str, Any],
                          model: str, temperature: float = 0.0, template_format: str = "f-string") -> dict[str, Any]:
    """`messages` as (role, template, its variables); `schema` a JSON schema with a title."""
    variables = sorted({v for _, _, names in messages for v in names})
    prompt = _constructor(["langchain_core", "prompts", "structured", "StructuredPrompt"], {
        "input_variables": variables,
        "messages": [_message(role, text, names, template_format) for role, text, names in messages],
        "schema_": schema,
        "structured_output_kwargs": {"method": "json_schema", "strict": True},
    }, "StructuredPrompt")
    llm = _constructor(["langchain", "chat_models", "openai", "ChatOpenAI"], {
        "model_name": model, "temperature": temperature,
        "openai_api_key": {"lc": 1, "type": "secret", "id": ["OPENAI_API_KEY"]}, "stream_usage": True,
    }, "ChatOpenAI")
    return _constructor(["langchain", "schema", "runnable", "RunnableSequence"],
                        {"first": prompt, "middle": [], "last": llm})
