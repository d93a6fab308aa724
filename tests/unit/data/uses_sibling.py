from sibling_helpers import clean


def clean_match(inputs, outputs, reference_outputs=None):
    return {"key": "clean_match", "score": clean(outputs.get("answer")) == clean((reference_outputs or {}).get("answer"))}
