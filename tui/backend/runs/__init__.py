"""Experiments: running a target and evaluators over a dataset, and what is read from the results.

* `runner` — `Runner` (run, cancel, retry failed examples, re-score stored runs); `options` —
  `RunOptions` and the checks before a run starts;
* `specs` — evaluator specs (`file.py:fn`, `module:fn`) to evaluators; `targets` — target specs;
  `rules_local` — workspace rules run by evaltui (`rule:NAME`, and a dataset's rules when the
  workspace does not apply them);
* `active_run` — one SDK pass: per-example evaluators, rows to results and events;
  `sdk_glue` — the langsmith SDK adapters; `settle` — the end of a run; `upload_check` — did the
  uploaded results arrive; `judge_cache_scope`, `gc_hold` — per-run settings of the process;
* `summary` — the one summary of results (`summarize`, `ScoreTally`, `RunStats`); `compare` — two
  experiments compared; `export` — results as CSV / JSON; `choices` — what a run can be started with.
"""
