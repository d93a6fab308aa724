"""LLM-as-judge evaluators (async, Method 2) with structured output, as in the seed.

Each judge asks ``ChatOpenAI(...).with_structured_output(<Grade TypedDict>, method="json_schema",
strict=True)`` for a grade. Models are created lazily on first use — importing this module needs
neither ``OPENAI_API_KEY`` nor ``langchain_openai`` — and cached per (schema, model, base URL,
retries, timeout). Settings, read at call time:

* ``EVALTUI_JUDGE_MODEL`` — model name (default ``gpt-4o-mini``);
* ``OPENAI_BASE_URL`` — an OpenAI-compatible endpoint (e.g. a local fake in tests);
* ``EVALTUI_JUDGE_MAX_RETRIES`` — retries on 429/5xx (default 2);
* ``EVALTUI_JUDGE_TIMEOUT`` — seconds per request (default 60).

A judge that cannot grade (no key, HTTP error, broken JSON, a refusal) raises; wrap judges with
:func:`evaluators.normalize` to turn that into an error result.
"""

# No `from __future__ import annotations`: the Grade TypedDicts are introspected at runtime.
import asyncio
import json
import os
import threading
from typing import Annotated, Any, TypedDict

from ._fields import as_text, first_present, section
from .env import EnvNumberError, number_from_env
from .exact_match import RESPONSE_FIELDS
from .llm_judge import LLMJudge

DEFAULT_JUDGE_MODEL = "gpt-4o-mini"
QUESTION_FIELDS = ("query", "question", "input", "prompt")


class JudgeUnavailable(RuntimeError):
    """The judge model cannot be created (e.g. no ``OPENAI_API_KEY``)."""


class AccuracyGrade(TypedDict):
    """Structured evaluation output."""

    reasoning: Annotated[str, ..., "Explain your reasoning"]
    is_accurate: Annotated[bool, ..., "True if response is accurate"]
    confidence: Annotated[float, ..., "Confidence 0.0-1.0"]


class CompletenessGrade(TypedDict):
    """Whether the response covers everything the expected answer covers."""

    reasoning: Annotated[str, ..., "Explain your reasoning"]
    is_complete: Annotated[bool, ..., "True if every point of the expected answer is covered"]
    missing_points: Annotated[list[str], ..., "Points of the expected answer the response leaves out"]
    confidence: Annotated[float, ..., "Confidence 0.0-1.0"]


class HelpfulnessGrade(TypedDict):
    """How useful the response is to the user who asked."""

    reasoning: Annotated[str, ..., "Explain your reasoning"]
    is_helpful: Annotated[bool, ..., "True if the response helps the user with their request"]
    rating: Annotated[int, ..., "Helpfulness from 1 (useless) to 5 (excellent)"]


# --------------------------------------------------------------------------- model cache

# Judges are cached per event loop: an async HTTP client must not outlive (or cross) the loop it
# was first used on ("Event loop is closed"), and langchain_openai shares one default client
# process-wide, so each loop gets its own client here, closed when the loop shuts down.
_loops: dict[Any, "_LoopJudges"] = {}  # event loop -> its judges; closed loops are pruned
_loopless_judges: dict[tuple, Any] = {}
_judges_lock = threading.Lock()


class _LoopJudges:
    """One event loop's judges and the HTTP clients they use, closed when that loop shuts down.

    The clients are closed from an async generator the loop tracks: ``asyncio.run`` (and so
    ``App.run``, pytest-asyncio) calls ``loop.shutdown_asyncgens()`` before closing the loop,
    which runs the generator's ``finally`` on that loop — no caller has to remember to close them.
    """

    def __init__(self) -> None:
        self.judges: dict[tuple, Any] = {}
        self.clients: list[Any] = []
        self._closer = self._close_at_shutdown()
        try:  # run to the first `yield`: registers the generator with the running loop
            self._closer.asend(None).send(None)
        except StopIteration:
            pass

    async def _close_at_shutdown(self):
        try:
            yield
        finally:
            for client in self.clients:
                try:
                    await client.aclose()
                except Exception:  # closing must not hide how the loop ended
                    pass


def judge_model_name() -> str:
    return os.environ.get("EVALTUI_JUDGE_MODEL") or DEFAULT_JUDGE_MODEL


def _env_number(name: str, default: float, cast: type, unit: str = "") -> Any:
    try:
        return number_from_env(name, default, cast, unit=unit)
    except EnvNumberError as exc:
        raise JudgeUnavailable(str(exc)) from None


def get_judge(schema: Any, *, model: str | None = None, temperature: float = 0.0) -> Any:
    """The structured-output judge runnable for `schema` (a TypedDict, or a JSON schema dict as an
    LLM rule holds it), created on first use and cached. `model` defaults to EVALTUI_JUDGE_MODEL."""
    if not os.environ.get("OPENAI_API_KEY"):
        raise JudgeUnavailable(
            "OPENAI_API_KEY is not set: LLM-as-judge evaluators need it (set it in the environment or a .env file)."
        )
    model = model or judge_model_name()
    base_url = os.environ.get("OPENAI_BASE_URL") or None
    max_retries = int(_env_number("EVALTUI_JUDGE_MAX_RETRIES", 2, int))
    timeout = float(_env_number("EVALTUI_JUDGE_TIMEOUT", 60.0, float, "seconds"))
    schema_key = json.dumps(schema, sort_keys=True) if isinstance(schema, dict) else schema
    key = (schema_key, model, temperature, base_url, max_retries, timeout)
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        loop = None
    with _judges_lock:
        if loop is None:
            judge = _loopless_judges.get(key)
            if judge is None:
                judge = _loopless_judges[key] = _build_judge(schema, model, base_url, max_retries, timeout,
                                                             temperature=temperature)
            return judge
        state = _loops.get(loop)
        if state is None:
            for closed in [old for old in _loops if old.is_closed()]:
                del _loops[closed]
            state = _loops[loop] = _LoopJudges()
        judge = state.judges.get(key)
        if judge is None:
            client = _async_http_client(timeout)
            state.clients.append(client)
            judge = state.judges[key] = _build_judge(schema, model, base_url, max_retries, timeout, client,
                                                     temperature=temperature)
    return judge


def _build_judge(schema: Any, model: str, base_url: str | None, max_retries: int, timeout: float,
                 http_async_client: Any = None, *, temperature: float = 0.0) -> Any:
    from langchain_openai import ChatOpenAI

    extra: dict[str, Any] = {}
    if http_async_client is not None:
        extra["http_async_client"] = http_async_client
    from .judge_cache import grade_cached

    llm = ChatOpenAI(model=model, temperature=temperature, base_url=base_url, max_retries=max_retries,
                     timeout=timeout, **extra)
    judge = llm.with_structured_output(schema, method="json_schema", strict=True)
    return grade_cached(judge, llm, schema)


def _async_http_client(timeout: float) -> Any:
    """The judges' async HTTP client for one event loop: pooled keep-alive connections.

    openai's aiohttp transport costs less client CPU per call than its httpx default (measured by
    benchmarks/judge_concurrency.py), which matters when many judges run at once; without
    aiohttp installed, the httpx client.
    """
    import openai

    try:
        return openai.DefaultAioHttpClient(timeout=timeout)
    except RuntimeError:  # openai without its aiohttp extra
        return openai.DefaultAsyncHttpxClient(timeout=timeout)


def clear_judge_cache() -> None:
    """Forget cached judge models (e.g. after the key or endpoint changed).

    Their HTTP clients stay registered with their loop and are still closed when it shuts down.
    """
    with _judges_lock:
        for state in _loops.values():
            state.judges.clear()
        _loopless_judges.clear()


# --------------------------------------------------------------------------- prompts


def _tag(name: str, text: str) -> str:
    return f"<{name}>\n{text}\n</{name}>"


def _texts(run: dict, example: dict) -> tuple[str, str, str]:
    question = as_text(first_present(section(example, "inputs"), QUESTION_FIELDS)
                       or first_present(section(run, "inputs"), QUESTION_FIELDS, ""))
    expected = as_text(first_present(section(example, "outputs"), RESPONSE_FIELDS, ""))
    agent_output = as_text(first_present(section(run, "outputs"), RESPONSE_FIELDS, ""))
    return question, expected, agent_output


def _prompt(task: str, run: dict, example: dict) -> list[dict]:
    question, expected, agent_output = _texts(run, example)
    parts = [task]
    if question:
        parts.append(_tag("question", question))
    parts += [_tag("expected", expected), _tag("agent_output", agent_output)]
    return [{"role": "user", "content": "\n\n".join(parts)}]


_ACCURACY_TASK = ("You grade an AI agent's answer for factual accuracy against the expected answer. "
                  "Judge the facts, not the wording.")
_COMPLETENESS_TASK = ("You grade whether an AI agent's answer is complete: it must cover every point of the "
                      "expected answer. List the points it leaves out.")
_HELPFULNESS_TASK = ("You grade how helpful an AI agent's answer is to the user who asked the question, "
                     "using the expected answer as a guide.")


def _field(grade: Any, name: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(grade, dict) or name not in grade or not isinstance(grade[name], kind):
        raise ValueError(f"The judge's reply has no valid {name!r} field: {str(grade)[:200]}")
    return grade[name]


_NUMBER = (int, float)


def _confidence(grade: dict) -> str:
    value = grade.get("confidence")
    return f" (confidence: {value})" if isinstance(value, _NUMBER) and not isinstance(value, bool) else ""


# --------------------------------------------------------------------------- judges


async def accuracy_evaluator(run: dict, example: dict) -> dict:
    """Factual accuracy (the seed's judge): ``{"accuracy": 1|0, "comment": "<reasoning> (confidence: c)"}``."""
    grade = await get_judge(AccuracyGrade).ainvoke(_prompt(_ACCURACY_TASK, run, example))
    is_accurate = _field(grade, "is_accurate", bool)
    reasoning = as_text(grade.get("reasoning"))
    return {"accuracy": 1 if is_accurate else 0, "comment": f"{reasoning}{_confidence(grade)}"}


async def completeness_evaluator(run: dict, example: dict) -> dict:
    """Completeness: ``{"completeness": 1|0, "comment": "<reasoning> Missing: …"}``."""
    grade = await get_judge(CompletenessGrade).ainvoke(_prompt(_COMPLETENESS_TASK, run, example))
    is_complete = _field(grade, "is_complete", bool)
    missing = [as_text(p) for p in grade.get("missing_points") or [] if as_text(p).strip()]
    comment = as_text(grade.get("reasoning")) + _confidence(grade)
    if missing:
        comment += " Missing: " + "; ".join(missing)
    return {"completeness": 1 if is_complete else 0, "comment": comment}


async def helpfulness_evaluator(run: dict, example: dict) -> dict:
    """Helpfulness: ``{"helpfulness": 0.0–1.0 (rating 1–5 scaled), "comment": "<reasoning> (rating: r/5)"}``."""
    grade = await get_judge(HelpfulnessGrade).ainvoke(_prompt(_HELPFULNESS_TASK, run, example))
    rating = _field(grade, "rating", _NUMBER)
    if isinstance(rating, bool):
        raise ValueError(f"The judge's reply has no valid 'rating' field: {str(grade)[:200]}")
    clamped = min(5, max(1, rating))
    return {"helpfulness": round((clamped - 1) / 4, 4),
            "comment": f"{as_text(grade.get('reasoning'))} (rating: {rating}/5)"}



# --------------------------------------------------------------------------- declared judges

#: The accuracy judge in the form LangSmith stores LLM rules (`LLMJudge`): it uploads as an
#: LLM-as-judge rule as it is, and runs here exactly as LangSmith will run it.
accuracy_judge = LLMJudge(
    prompt=[
        ("system", _ACCURACY_TASK),
        ("user", "<question>\n{question}\n</question>\n\n<expected>\n{expected}\n</expected>\n\n"
                 "<agent_output>\n{agent_output}\n</agent_output>"),
    ],
    variables={
        "question": "inputs.query",
        "expected": "reference_outputs.expected_response",
        "agent_output": "outputs.expected_response",
    },
    schema=AccuracyGrade,
    name="accuracy_judge",
)
