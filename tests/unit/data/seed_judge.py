"""The seed's LLM-as-judge accuracy evaluator (a copy for the loader/bundle tests)."""
from typing import TypedDict, Annotated
from langchain_openai import ChatOpenAI


class AccuracyGrade(TypedDict):
    """Structured evaluation output."""
    reasoning: Annotated[str, ..., "Explain your reasoning"]
    is_accurate: Annotated[bool, ..., "True if response is accurate"]
    confidence: Annotated[float, ..., "Confidence 0.0-1.0"]


# Configure model with structured output
judge = ChatOpenAI(model="gpt-4o-mini", temperature=0).with_structured_output(
    AccuracyGrade, method="json_schema", strict=True
)


async def accuracy_evaluator(run, example):
    """Evaluate factual accuracy for LangSmith upload."""
    expected = example["outputs"].get('expected_response', '')
    agent_output = run["outputs"].get('expected_response', '')

    prompt = f"""Expected: {expected}
Agent Output: {agent_output}
Evaluate accuracy:"""

    grade = await judge.ainvoke([{"role": "user", "content": prompt}])

    return {
        "accuracy": 1 if grade["is_accurate"] else 0,
        "comment": f"{grade['reasoning']} (confidence: {grade['confidence']})"
    }


def length_ratio(run, example):
    """A deterministic helper-free evaluator living next to the judge."""
    got = len(run["outputs"].get("expected_response", ""))
    want = len(example["outputs"].get("expected_response", "")) or 1
    return {"length_ratio": round(got / want, 3)}
