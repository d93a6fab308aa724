"""LLM-as-judge evaluators (async, Method 2) with structured output.

They need OPENAI_API_KEY (and honour OPENAI_BASE_URL) only when they run: the judge model is
created on first use, so listing or importing this file works without a key. The model name
comes from EVALTUI_JUDGE_MODEL (default gpt-4o-mini).

Try it:
    evaltui test evaluators/llm_judges.py --function accuracy_evaluator --dataset "Skills: Final Response"
"""

import os
from typing import Annotated, TypedDict

from langchain_openai import ChatOpenAI


class AccuracyGrade(TypedDict):
    """Structured evaluation output."""
    reasoning: Annotated[str, ..., "Explain your reasoning"]
    is_accurate: Annotated[bool, ..., "True if response is accurate"]
    confidence: Annotated[float, ..., "Confidence 0.0-1.0"]


_judge = None


def get_judge():
    """Configure model with structured output (once, on first use)."""
    global _judge
    if _judge is None:
        if not os.environ.get("OPENAI_API_KEY"):
            raise RuntimeError(
                "OPENAI_API_KEY is not set: LLM-as-judge evaluators need it (set it in the environment or a .env file)."
            )
        model = os.environ.get("EVALTUI_JUDGE_MODEL") or "gpt-4o-mini"
        _judge = ChatOpenAI(model=model, temperature=0).with_structured_output(
            AccuracyGrade, method="json_schema", strict=True
        )
    return _judge


async def accuracy_evaluator(run, example):
    """Evaluate factual accuracy for LangSmith upload."""
    expected = example["outputs"].get('expected_response', '')
    agent_output = run["outputs"].get('expected_response', '')
    prompt = f"""Expected: {expected}
Agent Output: {agent_output}
Evaluate accuracy:"""
    grade = await get_judge().ainvoke([{"role": "user", "content": prompt}])
    return {
        "accuracy": 1 if grade["is_accurate"] else 0,
        "comment": f"{grade['reasoning']} (confidence: {grade['confidence']})"
    }
