"""Two evaltui processes on one local workspace at once (issue 6): no corruption, no lost rule."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

from tui.backend.workspace.local import LocalBackend

FINAL = "Skills: Final Response"

WORKER = textwrap.dedent('''\
    import io, sys
    from tui.__main__ import main

    tag, evaluator = sys.argv[1], sys.argv[2]
    codes = []
    for i in range(6):
        name = f"{tag}-{i}"
        out, err = io.StringIO(), io.StringIO()
        codes.append(main(["upload", evaluator, "--name", name, "--function", "good",
                           "--dataset", "Skills: Final Response", "--yes"],
                          stdin=io.StringIO(""), stdout=out, stderr=err))
        if i % 2:  # replace the one before, then delete it again: a churn of writes
            codes.append(main(["upload", evaluator, "--name", f"{tag}-{i-1}", "--function", "other",
                               "--replace", "--yes"], stdin=io.StringIO(""), stdout=out, stderr=err))
        if err.getvalue():
            print(err.getvalue(), file=sys.stderr)
    out, err = io.StringIO(), io.StringIO()
    codes.append(main(["run", "--dataset", "Skills: Final Response", "--target", "demo", "--limit", "5",
                       "--evaluators", "evaluators:exact_match"], stdin=io.StringIO(""), stdout=out, stderr=err))
    print(" ".join(map(str, codes)))
''')

EVALUATOR = '''\
def good(inputs, outputs, reference_outputs):
    return {"key": "good", "score": 1}


def other(inputs, outputs, reference_outputs):
    return {"key": "good", "score": 0}
'''


def test_two_processes_write_one_workspace(evaltui_home: Path, tmp_path: Path):
    with LocalBackend(evaltui_home / "workspace.sqlite3") as backend:  # seeded once, up front
        before = {r.id for r in backend.list_rules()}
    (tmp_path / "worker.py").write_text(WORKER)
    (tmp_path / "evals.py").write_text(EVALUATOR)
    env = {**os.environ, "EVALTUI_HOME": str(evaltui_home), "EVALTUI_LOCK_TIMEOUT": "20",
           "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    procs = [
        subprocess.Popen([sys.executable, str(tmp_path / "worker.py"), tag, str(tmp_path / "evals.py")],
                         cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for tag in ("A", "B")
    ]
    results = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, results):
        assert proc.returncode == 0, err
        assert set(out.split()) == {"0"}, (out, err)
        assert "Traceback" not in err
    db = evaltui_home / "workspace.sqlite3"
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()
    with LocalBackend(db) as backend:
        rules = backend.list_rules()
        names = sorted(r.name for r in rules if r.id not in before)
        assert names == sorted(f"{t}-{i}" for t in "AB" for i in range(6)), names
        assert {r.id for r in rules} >= before  # nothing that existed was lost
        from tui.backend.source.bundle import bundle_for_upload
        from tui.backend.source.rule_origin import origin_of, without_origin

        code = {r.name: without_origin(r.code) for r in rules}
        # each rule also records the function it came from (its code's first line)
        assert all(origin_of(r).function == ("other" if int(r.name[2:]) % 2 == 0 else "good")
                   for r in rules if r.id not in before)
        good, other = (bundle_for_upload(tmp_path / "evals.py", fn).code for fn in ("good", "other"))
        for tag in "AB":
            for i in range(6):  # even ones were replaced by the next step, odd ones were not
                assert code[f"{tag}-{i}"] == (other if i % 2 == 0 else good), f"{tag}-{i}"
        experiments = backend.list_experiments()
        assert len(experiments) == 2 and all(e.status == "done" for e in experiments)
        for exp in experiments:
            assert len(backend.list_results(exp.id)) == 5
