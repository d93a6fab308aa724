from ._helpers import norm as normalize, section
from ._more import same


def answer_match(run, example):
    """Method 2 built on package helpers."""
    got = section(run, "outputs").get("answer")
    want = section(example, "outputs").get("answer")
    return {"answer_match": same(got, want), "comment": f"{normalize(got)!r} vs {normalize(want)!r}"}


def clashing(run, example):
    """Defines `norm` itself while importing helpers that need another `norm`: not inlinable."""
    return {"x": norm(run) and same(run, example)}


def norm(value):
    return value
