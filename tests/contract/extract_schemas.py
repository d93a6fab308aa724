"""Regenerate `tests/contract/schemas/*.json` from a LangSmith OpenAPI spec (run by hand, never by tests).

    python -m tests.contract.extract_schemas path/to/langsmith-openapi.json

Each listed component schema is written with every `$ref` resolved inline, so the files stand alone
(tests and the fake read only these files; CI has no copy of the spec). The published spec lags
behind the SDK's generated models (`langsmith/types/*.py`, which the contract suite treats as the
newer word): the few request fields the SDK already reads back but the snapshot does not list yet
are added here, each marked with a `$comment`, so a strict fake does not reject them.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "schemas"

COMPONENTS = [
    # request bodies the fake validates
    "RunRulesCreateSchema",
    "RunRulesUpdateSchema",
    # response bodies the contract suite validates raw JSON against
    "RunRulesSchema",
    "Dataset",
    "DatasetVersion",
    "Example",
    "TracerSession",
    "TracerSessionWithoutVirtualFields",
    "FeedbackSchema",
    "FeedbackCreateSchema",
    "RunSchema",
    "ListRunsResponse",
    "HTTPValidationError",
    "InfoGetResponse",
    "evaluators.ListEvaluatorsResponse",
    "evaluators.Evaluator",
    "evaluators.ErrorResponse",
    # datasets and examples (#17): request bodies the fake validates, answers the suite checks
    "DatasetCreate",
    "ExampleUpdate",
    "PutDatasetVersionsSchema",
    "Body_update_dataset_splits_api_v1_datasets__dataset_id__splits_put",
    "examples.ExamplesCreatedResponse",
    "examples.ExamplesUpdatedResponse",
    "examples.ErrorResponse",
]

# Schemas the spec writes inline in an operation (no component): (name, path, method, where) with
# `where` "request" (the JSON request body) or a response status.
INLINE = [
    ("ExampleBulkCreateList", "/api/v1/examples/bulk", "post", "request"),
    ("ExampleList", "/api/v1/examples", "get", "200"),
    ("ExamplesCount", "/api/v1/examples/count", "get", "200"),
    ("DatasetVersionList", "/api/v1/datasets/{dataset_id}/versions", "get", "200"),
    ("DatasetSplitNames", "/api/v1/datasets/{dataset_id}/splits", "get", "200"),
    ("DatasetSplitsUpdated", "/api/v1/datasets/{dataset_id}/splits", "put", "200"),
]

_SDK = "added from the SDK's newer generated model {model} (not in the spec snapshot yet)"

# Fields the SDK's generated read models (newer than the snapshot) already carry inside objects
# that the rule create/update bodies share with the read model.
SDK_NEWER_PROPERTIES: dict[str, dict[str, Any]] = {
    "CodeEvaluatorTopLevel": {
        "require_attachments": {"type": "boolean"},
        "advanced_features_enabled": {"type": "boolean"},
        "code_evaluator_input": {
            "anyOf": [
                {"type": "string", "enum": ["thread", "all_messages", "human_ai_pairs",
                                            "first_human_last_ai", "trajectory"]},
                {"type": "null"},
            ]
        },
        "$model": "langsmith/types/code_evaluator_top_level.py CodeEvaluatorTopLevel",
    },
    "EvaluatorStructuredOutput": {
        "playground_settings_id": {"anyOf": [{"type": "string"}, {"type": "null"}]},
        "$model": "langsmith/types/evaluator_top_level.py Structured",
    },
}


def _resolve(node: Any, components: dict[str, Any], stack: tuple[str, ...] = ()) -> Any:
    if isinstance(node, list):
        return [_resolve(item, components, stack) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in stack:
            raise ValueError(f"recursive schema: {' -> '.join(stack + (name,))}")
        target = copy.deepcopy(components[name])
        extra = SDK_NEWER_PROPERTIES.get(name)
        if extra:
            model = extra["$model"]
            for key, schema in extra.items():
                if key != "$model" and key not in target.get("properties", {}):
                    target.setdefault("properties", {})[key] = {**schema, "$comment": _SDK.format(model=model)}
        resolved = _resolve(target, components, stack + (name,))
        siblings = {k: _resolve(v, components, stack) for k, v in node.items() if k != "$ref"}
        return {**resolved, **siblings}
    return {k: _resolve(v, components, stack) for k, v in node.items()}


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    spec = json.loads(Path(argv[0]).read_text())
    components = spec["components"]["schemas"]
    OUT.mkdir(exist_ok=True)
    for name in COMPONENTS:
        schema = _resolve({"$ref": f"#/components/schemas/{name}"}, components)
        schema = {"$comment": f"components.schemas.{name} of LangSmith's OpenAPI spec, $refs resolved "
                              "(tests/contract/extract_schemas.py)", **schema}
        (OUT / f"{name}.json").write_text(json.dumps(schema, indent=1, sort_keys=False) + "\n")
    for name, path, method, where in INLINE:
        op = spec["paths"][path][method]
        body = op["requestBody"] if where == "request" else op["responses"][where]
        schema = _resolve(body["content"]["application/json"]["schema"], components)
        schema = {"$comment": f"{method.upper()} {path}: the {'request body' if where == 'request' else where + ' answer'} "
                              "of LangSmith's OpenAPI spec, $refs resolved (tests/contract/extract_schemas.py)",
                  **schema}
        (OUT / f"{name}.json").write_text(json.dumps(schema, indent=1, sort_keys=False) + "\n")
    print(f"wrote {len(COMPONENTS) + len(INLINE)} schemas to {OUT}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
