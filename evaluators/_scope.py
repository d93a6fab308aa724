"""Whether code is running inside an evaluator (set by `normalize` around each call).

The judge cache answers only there: a target's own LLM calls are never cached, even though
LangChain's cache is process-wide.
"""

from contextvars import ContextVar

evaluating: ContextVar[bool] = ContextVar("evaltui_evaluating", default=False)
