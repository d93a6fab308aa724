"""LLM-as-judge evaluators in the form LangSmith stores them, runnable here exactly as there.

A LangSmith LLM rule holds `{"prompt": [[role, template], ...], "schema": {...}, "model": {...},
"variable_mapping": {variable: "inputs.<k>" | "outputs.<k>" | "reference_outputs.<k>"},
"template_format": "f-string" | "mustache"}`. `rule_judge(structured)` runs such a rule through
`ChatOpenAI(...).with_structured_output(schema, method="json_schema", strict=True)`: one score per
boolean or number field of the grade, its text fields as the comment.

`LLMJudge(...)` declares a new judge in that form; `evaltui upload` sends `judge.structured()`
as it is, and the judge runs locally through the same `rule_judge`::

    accuracy = LLMJudge(
        prompt=[("system", "You grade answers."), ("user", "Expected: {expected}\\nAnswer: {answer}")],
        variables={"expected": "reference_outputs.expected_response", "answer": "outputs.expected_response"},
        schema=AccuracyGrade, model="gpt-4o-mini",
    )
"""

import json
import re
import string
from collections.abc import Mapping, Sequence
from typing import Any, Optional

ROOTS = ("inputs", "outputs", "reference_outputs")
#: Other spellings of the roots in variable mappings (LangSmith's UI writes `input`, `output`, `reference`).
ROOT_ALIASES = {"input": "inputs", "output": "outputs", "reference": "reference_outputs",
                "reference_output": "reference_outputs", "referenceOutputs": "reference_outputs"}


def _root(path: str) -> str:
    root = path.partition(".")[0]
    return ROOT_ALIASES.get(root, root)


def output_fields(mapping: Mapping[str, str]) -> set[str]:
    """The run-output fields a variable mapping reads (`outputs.k`, or LangSmith's `output.k`)."""
    return {p.partition(".")[2] for p in mapping.values()
            if isinstance(p, str) and _root(p) == "outputs" and p.partition(".")[2]}


def _resolve(path: str, run: Mapping, example: Mapping) -> str:
    """The text a variable maps to: `outputs.k` / `inputs.k` (the run's), `reference_outputs.k`."""
    _, _, rest = path.partition(".")
    root = _root(path)
    source = {
        "outputs": run.get("outputs"),
        "inputs": run.get("inputs") or example.get("inputs"),
        "reference_outputs": example.get("outputs"),
    }.get(root)
    value: Any = source or {}
    for key in [k for k in rest.split(".") if k]:
        value = value.get(key, "") if isinstance(value, Mapping) else ""
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _template(prompt: Sequence, template_format: str):
    from langchain_core.prompts import ChatPromptTemplate

    return ChatPromptTemplate.from_messages([tuple(m) for m in prompt], template_format=template_format)


def template_variables(prompt: Sequence, template_format: str = "f-string") -> set[str]:
    """The variables of the prompt's templates (stdlib parsing: no LangChain import needed)."""
    found: set[str] = set()
    for _role, text in prompt:
        if template_format == "mustache":
            found.update(re.findall(r"{{\s*([\w.]+)\s*}}", text))
        else:
            found.update(name for _, name, _, _ in string.Formatter().parse(text) if name)
    return found


def check_variables(prompt: Sequence, mapping: Mapping[str, str], template_format: str = "f-string") -> None:
    """Every prompt variable maps to a field, and every mapping names one; ValueError otherwise."""
    used = template_variables(prompt, template_format)
    unmapped = sorted(used - set(mapping))
    if unmapped:
        raise ValueError(f"The prompt uses {', '.join('{' + v + '}' for v in unmapped)}, which the variable "
                         "mapping does not say where to read from.")
    bad = sorted(f"{k}: {v!r}" for k, v in mapping.items() if _root(v) not in ROOTS)
    if bad:
        raise ValueError(f"Variables must map to inputs.<k>, outputs.<k> or reference_outputs.<k>, not {'; '.join(bad)}.")


def rule_judge(structured: Mapping[str, Any]):
    """An async `(run, example)` evaluator doing what LangSmith does with this LLM rule. Needs
    OPENAI_API_KEY (and honours OPENAI_BASE_URL)."""
    from .judges import get_judge

    prompt = structured.get("prompt") or []
    if structured.get("hub_ref") or not prompt:
        raise ValueError("This LLM rule keeps its prompt in the LangSmith hub; evaltui runs only inline prompts.")
    template_format = structured.get("template_format") or "f-string"
    template = _template(prompt, template_format)
    schema = structured.get("schema") or {}
    parameters = schema.get("parameters", schema)
    kwargs = (structured.get("model") or {}).get("kwargs") or {}
    model = kwargs.get("model_name") or kwargs.get("model")
    temperature = float(kwargs.get("temperature") or 0.0)
    mapping = dict(structured.get("variable_mapping") or {})
    properties = parameters.get("properties") or {}
    check_variables(prompt, mapping, template_format)

    async def llm_rule(run, example):
        values = {var: _resolve(path, run or {}, example or {}) for var, path in mapping.items()}
        judge = get_judge(parameters, model=model, temperature=temperature)
        grade = await judge.ainvoke(template.format_messages(**values))
        if not isinstance(grade, dict):
            raise ValueError(f"The judge's reply is not an object: {str(grade)[:200]}")
        comment = " ".join(str(grade[k]) for k, v in properties.items() if v.get("type") == "string" and k in grade)
        return {"results": [
            {"key": k, "score": grade.get(k), "comment": comment or None}
            for k, v in properties.items() if v.get("type") in ("boolean", "number", "integer")
        ]}

    return llm_rule


class LLMJudge:
    """A judge declared as LangSmith holds it (see the module docstring)."""

    def __init__(self, *, prompt: Sequence[Sequence[str]], variables: Mapping[str, str], schema: Any,
                 model: str = "gpt-4o-mini", temperature: float = 0.0, template_format: str = "f-string",
                 name: Optional[str] = None) -> None:
        if not isinstance(model, str) or not model.strip():
            raise ValueError("LLMJudge needs the name of an OpenAI-compatible chat model, e.g. model='gpt-4o-mini'.")
        self.prompt = [[str(role), str(text)] for role, text in prompt]
        self.variables = dict(variables)
        self.schema = schema
        self.model = model
        self.temperature = float(temperature)
        self.template_format = template_format
        self.__name__ = name or getattr(schema, "__name__", "llm_judge")
        check_variables(self.prompt, self.variables, template_format)
        self._run = None

    def structured(self) -> dict[str, Any]:
        """The rule's `evaluators[0]["structured"]`: what LangSmith will run."""
        from langchain_core.load import dumpd
        from langchain_core.utils.function_calling import convert_to_json_schema
        from langchain_openai import ChatOpenAI

        try:
            schema = self.schema if isinstance(self.schema, dict) else convert_to_json_schema(self.schema)
        except Exception as exc:  # noqa: BLE001 - a clear message for a bad schema
            raise ValueError(f"LLMJudge's schema must be a TypedDict or a JSON schema: {exc}") from None
        if schema.get("type") != "object" or not schema.get("properties"):
            raise ValueError("LLMJudge's schema must describe an object with fields (a TypedDict).")
        model = dumpd(ChatOpenAI(model=self.model, temperature=self.temperature, api_key="not-uploaded"))
        return {
            "prompt": self.prompt,
            "schema": {"name": schema.get("title", self.__name__), "description": schema.get("description", ""),
                       "parameters": schema, "strict": True},
            "model": model,
            "variable_mapping": self.variables,
            "template_format": self.template_format,
        }

    async def __call__(self, run, example):
        if self._run is None:
            self._run = rule_judge(self.structured())
        return await self._run(run, example)
