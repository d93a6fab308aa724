from ._helpers import norm


def same(a: object, b: object) -> bool:
    return norm(a) == norm(b)
