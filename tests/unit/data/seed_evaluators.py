"""The seed's deterministic evaluators, in both signatures (a copy for the loader/bundle tests)."""


def exact_match_evaluator(run, example):
    """Check if output exactly matches expected."""
    output = run["outputs"].get("expected_response", "").strip().lower()
    expected = example["outputs"].get("expected_response", "").strip().lower()
    match = output == expected
    return {
        "exact_match": 1 if match else 0,
        "comment": f"Match: {match}"
    }


def exact_match(inputs: dict, outputs: dict, reference_outputs: dict = None) -> dict:
    """Method 1: exact match after strip + lowercase."""
    output = outputs.get("expected_response", "").strip().lower()
    expected = (reference_outputs or {}).get("expected_response", "").strip().lower()
    match = output == expected
    return {"key": "exact_match", "score": 1 if match else 0, "comment": f"Match: {match}"}


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


def trajectory_match(inputs, outputs, reference_outputs=None):
    """Method 1 trajectory match."""
    trajectory = outputs.get("expected_trajectory", [])
    expected = (reference_outputs or {}).get("expected_trajectory", [])
    exact = trajectory == expected
    all_tools = set(expected).issubset(set(trajectory))
    extra_steps = len(trajectory) - len(expected)
    return {
        "key": "trajectory_match",
        "score": 1 if exact else 0,
        "comment": f"Exact: {exact}, All tools: {all_tools}, Extra: {extra_steps}",
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


def single_step_match(inputs, outputs, reference_outputs=None):
    """Method 1 single step: classification nodes compare case-insensitively."""
    output = outputs.get("output", {})
    expected = (reference_outputs or {}).get("expected_output", {})
    node_name = outputs.get("node_name", "")
    if "classification" in node_name:
        classification = output.get("classification", "")
        expected_class = expected.get("classification", "")
        match = classification.lower() == expected_class.lower()
        return {"key": "classification_correct", "score": 1 if match else 0,
                "comment": f"Output: {classification}, Expected: {expected_class}"}
    match = output == expected
    return {"key": "output_match", "score": 1 if match else 0, "comment": f"Match: {match}"}
