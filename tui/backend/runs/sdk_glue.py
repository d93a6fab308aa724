"""Adapters between evaltui and the langsmith SDK's evaluation API.

Quiet logging, the offline client of a local run and its inline thread hops, ids as UUIDs,
evaltui examples and stored rows as SDK objects, evaluator results in and out of the SDK's shape,
and the one `RunEvaluator` through which every evaluator of an example is applied.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import uuid
import warnings
from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from typing import Any, Protocol

from tui.backend.core.models import EVALUATOR_INFO_KEY, Example, Experiment, ExperimentResult, Score

_OFFLINE_API_URL = "http://127.0.0.1:9"  # discard port: a stray request fails at once, offline

_quiet_installed = False


def quiet_sdk() -> None:
    """The SDK logs each target failure with a traceback and warns about beta flags; we report both."""
    global _quiet_installed
    if _quiet_installed:
        return
    _quiet_installed = True

    class _DropTargetErrors(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return not str(record.msg).startswith(("Error running target function", "Error running evaluator"))

    logging.getLogger("langsmith.evaluation._arunner").addFilter(_DropTargetErrors())
    warnings.filterwarnings("ignore", message=".*upload_runs.*", category=Warning)
    warnings.filterwarnings("ignore", message=".*aevaluate_existing.*", category=Warning)


#: Set inside an offline run: the SDK's per-example thread hops may run inline (see below).
INLINE_SDK_HOPS: contextvars.ContextVar[bool] = contextvars.ContextVar("evaltui_inline_sdk_hops", default=False)
_hops_override_installed = False


async def _aio_to_thread_inline_offline(default, ctx, func, /, *args, **kwargs):
    """`langsmith.set_runtime_overrides` hook: in an offline run, call the SDK's bookkeeping inline.

    The SDK moves each traced call's run setup and teardown to a worker thread (twice per example,
    plus LangChain's own hop). Offline those are short CPU-only steps, and the thread round trip
    costs more than the step itself; worse, under load the worker waits for the GIL (up to the
    5 ms switch interval) while the event loop is busy, which delays every example. Uploading
    runs (LangSmith backend) and everything outside our runs keeps the default thread hop.
    """
    if INLINE_SDK_HOPS.get():
        try:
            return ctx.run(func, *args, **kwargs)
        except RuntimeError as exc:  # ctx already entered in this thread: use the default path
            if "cannot enter context" not in str(exc):
                raise
    return await default(ctx, func, *args, **kwargs)


def install_inline_hops() -> None:
    """Install the hook once per process, unless something else already overrides the SDK."""
    global _hops_override_installed
    if _hops_override_installed:
        return
    _hops_override_installed = True
    try:
        import langsmith
        from langsmith._runtime_overrides import get_runtime_overrides
    except ImportError:  # an SDK without runtime overrides: keep its defaults
        return
    if get_runtime_overrides().aio_to_thread is None:
        langsmith.set_runtime_overrides(aio_to_thread=_aio_to_thread_inline_offline)


def offline_client():
    from langsmith import Client

    return Client(api_url=_OFFLINE_API_URL, api_key="offline", auto_batch_tracing=False)


async def flush_client(client: Any) -> None:
    flush = getattr(client, "flush", None)
    if flush is None:
        return
    try:
        await asyncio.to_thread(flush)
    except Exception:  # noqa: BLE001 - a failed flush is retried by the client's own batcher
        pass


def safe_url(results: Any) -> str | None:
    try:
        return results.url if results is not None else None
    except Exception:  # noqa: BLE001 - offline experiments have no URL
        return None


def as_uuid(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return uuid.uuid5(uuid.NAMESPACE_URL, f"evaltui:{value}")


def error_text(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- evaltui objects as SDK objects ------------------------------------------------------------


def to_sdk_example(ex: Example):
    from langsmith import schemas

    return schemas.Example(
        id=as_uuid(ex.id),
        dataset_id=as_uuid(ex.dataset_id),
        inputs=ex.inputs or {},
        outputs=ex.outputs or {},
        metadata=ex.metadata or {},
        created_at=ex.created_at or datetime.now(timezone.utc),
    )


def stored_experiment(experiment: Experiment):
    """An experiment's stored rows are scored offline as this SDK experiment (re-scoring)."""
    from langsmith import schemas

    return schemas.TracerSession(
        id=as_uuid(experiment.id), name=experiment.name, tenant_id=uuid.UUID(int=0),
        reference_dataset_id=as_uuid(experiment.dataset_id),
    )


def stored_runs(rows: Sequence[ExperimentResult], sdk_examples: Sequence[Any], session: Any) -> Iterator[Any]:
    """The stored target outputs as SDK runs, one per row (a generator: a list would be read as a comparison)."""
    from langsmith import schemas

    now = datetime.now(timezone.utc)
    return (
        schemas.Run(
            id=uuid.uuid4(), name="target", run_type="chain", start_time=now, end_time=now,
            inputs=r.inputs, outputs=r.outputs or {}, trace_id=uuid.uuid4(),
            reference_example_id=ex.id, session_id=session.id,
        )
        for r, ex in zip(rows, sdk_examples)
    )


# -- evaluator results ------------------------------------------------------------------------


def sdk_result(result: dict, source: str = "") -> dict:
    """An `evaluators.normalize` result as an SDK evaluation result; an error keeps its message,
    `source` (the evaluator that gave it) travels as `evaluator_info`."""
    out = {"key": result["key"], "score": result.get("score"), "comment": result.get("comment")}
    if result.get("error"):
        out["extra"] = {"error": True, "error_message": result["error"]}
    if source:
        out["evaluator_info"] = {EVALUATOR_INFO_KEY: source}
    return out


def score_from_sdk(res: Any) -> Score:
    extra = getattr(res, "extra", None) or {}
    error = None
    if extra.get("error"):
        error = extra.get("error_message") or getattr(res, "comment", None) or "evaluator error"
    source = (getattr(res, "evaluator_info", None) or {}).get(EVALUATOR_INFO_KEY) or ""
    return Score(key=res.key, score=res.score, comment=res.comment, error=error, evaluator=source)


class ExampleScorer(Protocol):
    async def score(self, run: Any, example: Any) -> dict: ...


def make_sdk_evaluator(scorer: ExampleScorer):
    """One SDK `RunEvaluator` that applies every evaluator of an example through `scorer`."""
    from langsmith.evaluation.evaluator import RunEvaluator

    class EvaltuiScorer(RunEvaluator):
        def evaluate_run(self, run, example=None, evaluator_run_id=None):
            return asyncio.run(scorer.score(run, example))

        async def aevaluate_run(self, run, example=None, evaluator_run_id=None):
            return await scorer.score(run, example)

    return EvaltuiScorer()
