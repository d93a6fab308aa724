THRESHOLD = 3


class Grader:
    pass


def three_args(a, b, c):
    return {}


def renamed(r, e):
    return {}


def extra_required(run, example, threshold):
    return {}


def no_args():
    return {}


def exact_match(run, example):
    return {"exact": 1}


def options(run, example, strict=True, *, scale=1.0):
    return {"opts": strict and scale == 1.0}


def kw_only_m1(*, outputs, reference_outputs=None, inputs=None):
    return {"key": "kw", "score": outputs == reference_outputs}
