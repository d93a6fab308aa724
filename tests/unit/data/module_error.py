import json


def _load_config():
    return json.loads("{not json")


CONFIG = _load_config()
UNRELATED = 1 / 1


def needs_config(run, example):
    return {"ok": bool(CONFIG)}


def standalone(run, example):
    return {"ok": True}
