"""Evaluator source files: finding functions by AST, loading only the slice a function needs (`loader`) and bundling it into one self-contained `perform_eval` for upload (`bundle`)."""
