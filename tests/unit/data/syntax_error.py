def ok(run, example):
    return {"x": 1}


def broken(run, example)
    return {"x": 2}
