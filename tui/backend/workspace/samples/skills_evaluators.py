"""Deterministic evaluators for the three Skills datasets.

Method 2 functions `(run, example)` can be uploaded as LangSmith code rules as they are;
the Method 1 function `(inputs, outputs, reference_outputs)` is for local runs (evaltui adapts
it when uploading).

Try them:
    evaltui test evaluators/skills_evaluators.py --function exact_match_evaluator --dataset "Skills: Final Response"
    evaltui upload evaluators/skills_evaluators.py --name "Trajectory Match" \
        --function trajectory_evaluator --dataset "Skills: Trajectory"
"""


def exact_match_evaluator(run, example):
    """Check if output exactly matches expected."""
    output = run["outputs"].get("expected_response", "").strip().lower()
    expected = example["outputs"].get("expected_response", "").strip().lower()
    match = output == expected
    return {
        "exact_match": 1 if match else 0,
        "comment": f"Match: {match}"
    }


def trajectory_evaluator(run, example):
    """Evaluate tool call sequence."""
    trajectory = run["outputs"].get("expected_trajectory", [])
    expected = example["outputs"].get("expected_trajectory", [])
    # Exact sequence match
    exact = trajectory == expected
    # All required tools used (order-agnostic)
    all_tools = set(expected).issubset(set(trajectory))
    # Efficiency: count extra steps
    extra_steps = len(trajectory) - len(expected)
    return {
        "trajectory_match": 1 if exact else 0,
        "comment": f"Exact: {exact}, All tools: {all_tools}, Extra: {extra_steps}"
    }


def single_step_evaluator(run, example):
    """Evaluate single node output."""
    output = run["outputs"].get("output", {})
    expected = example["outputs"].get("expected_output", {})
    node_name = run["outputs"].get("node_name", "")
    # For classification nodes
    if "classification" in node_name:
        classification = output.get("classification", "")
        expected_class = expected.get("classification", "")
        match = classification.lower() == expected_class.lower()
        return {
            "classification_correct": 1 if match else 0,
            "comment": f"Output: {classification}, Expected: {expected_class}"
        }
    # For other nodes
    match = output == expected
    return {
        "output_match": 1 if match else 0,
        "comment": f"Match: {match}"
    }


def all_tools_used(inputs: dict, outputs: dict, reference_outputs: dict = None) -> dict:
    """Method 1: did the agent call every required tool, in any order?"""
    trajectory = outputs.get("expected_trajectory", [])
    expected = reference_outputs.get("expected_trajectory", []) if reference_outputs else []
    missing = [tool for tool in expected if tool not in trajectory]
    return {
        "key": "all_tools_used",
        "score": not missing,
        "comment": f"Missing: {', '.join(missing)}" if missing else "Every required tool was called.",
    }
