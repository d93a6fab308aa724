"""Evaluator source files, read without running them.

- `parse`: read and parse a file once (`ParsedFile`), find one function, check its signature
  (the one rule lives in `evaluators.signature`);
- `ast_names`: what a module-level statement binds, reads and changes (AST facts);
- `slice`: the statements a function needs;
- `functions` (data) and `discovery`: the functions of a file or folder, and their sync state
  against the uploaded rules;
- `loader`: execute a function's slice and hand back the callable;
- `bundle` (+ `entry_point`, `local_modules`): the self-contained `perform_eval` code uploaded as
  a LangSmith code rule.
"""
