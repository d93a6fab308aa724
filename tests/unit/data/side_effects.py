"""A file whose module-level code must not run when one of its functions is loaded."""
import os
import sys

print("boom")
with open(os.environ.get("EVALTUI_SIDE_EFFECT_FILE", os.devnull), "w") as fh:
    fh.write("module code ran")
os.environ["EVALTUI_SIDE_EFFECT_ENV"] = "set"
sys.stdout.write("more boom\n")

PREFIX = "ok"


def evaluate(run, example):
    """Only needs PREFIX."""
    return {"prefixed": run["outputs"].get("text", "").startswith(PREFIX)}


if __name__ == "__main__":
    print("main block")

raise SystemExit(3)
