"""Evaluators as code: `init`, `plan`, `apply` (a folder and `evaltui.toml` ⇄ the workspace's rules).

`plan` exits 0 when nothing would change, 2 when changes are pending (terraform's
-detailed-exitcode), 1 on any error; `apply` exits 0 when everything was applied, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from tui.backend.core.errors import EvaltuiError, InvalidInput, describe_error
from tui.cli.context import DECLINED_EXIT, CliContext

PLAN_PENDING_EXIT = 2


def _manifest(args):
    from tui.backend.deploy.manifest import find_manifest, load_manifest

    return load_manifest(find_manifest(args.manifest))


def _plan(args, ctx: CliContext):
    from tui.backend.deploy.plan import make_plan

    manifest = _manifest(args)
    plan = make_plan(ctx.backend, manifest, prune=args.prune)
    if getattr(args, "impact", True):
        from tui.backend.deploy.impact import score_impact
        from tui.cli.progress import is_tty

        entries = manifest.by_name()
        scored = [c for c in plan.changes if c.action != "delete" and c.name in entries]
        for n, change in enumerate(scored, 1):
            if is_tty(ctx.stderr):  # re-scoring with an LLM judge can take a while: say what is running
                ctx.stderr.write(f"\rscore impact {n}/{len(scored)}: re-scoring for {change.name!r}…\x1b[K")
                ctx.stderr.flush()
            plan.impact[change.name] = score_impact(ctx.backend, change, entries[change.name])
        if scored and is_tty(ctx.stderr):
            ctx.stderr.write("\r\x1b[K")
            ctx.stderr.flush()
    return plan


def print_plan(ctx: CliContext, plan) -> None:
    for drift in plan.drift:
        ctx.out(f"! drift {drift.name!r}: {drift.detail}")
    for change in plan.changes:
        ctx.out(change.headline())
        for line in change.detail_lines():
            ctx.out(f"    {line}")
        impact = plan.impact.get(change.name)
        if impact is not None:
            for line in impact.lines():
                ctx.out(f"    {line}")
    if plan.unmanaged:
        ctx.out(f"not in the manifest (kept; --prune deletes the code and LLM ones): {', '.join(plan.unmanaged)}")
    ctx.out(plan.summary())


def cmd_plan(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.deploy.plan import plan_document

    try:
        plan = _plan(args, ctx)
    except EvaltuiError as exc:  # not 2: that means "changes pending" here
        ctx.err(f"Error: {describe_error(exc)}")
        return 1
    if args.out:
        Path(args.out).write_text(json.dumps(plan_document(plan), indent=2), encoding="utf-8")
    if args.json:
        ctx.out(json.dumps(plan_document(plan), indent=2))
    else:
        print_plan(ctx, plan)
        if args.out:
            ctx.out(f"Saved the plan to {args.out}; `evaltui apply {args.out}` applies exactly it.")
    return PLAN_PENDING_EXIT if plan.pending else 0


def cmd_apply(args: argparse.Namespace, ctx: CliContext) -> int:
    from tui.backend.deploy.apply import apply_plan
    from tui.backend.deploy.plan import load_saved_plan

    ctx.assume_yes = args.yes
    try:
        if args.plan_file:
            plan = load_saved_plan(ctx.backend, Path(args.plan_file), _manifest(args))
        else:
            plan = _plan(args, ctx)
    except EvaltuiError as exc:
        ctx.err(f"Error: {describe_error(exc)}")
        return 1
    print_plan(ctx, plan)
    if not plan.pending:
        return 0
    if not ctx.confirm(f"Apply these {len(plan.changes)} change{'s' if len(plan.changes) != 1 else ''}?"):
        ctx.out("Nothing applied.")
        return DECLINED_EXIT
    report = apply_plan(ctx.backend, plan, on_change=lambda c: ctx.out(f"applied: {c.headline()[2:]}"))
    if not report.ok:
        assert report.failed is not None
        ctx.err(f"FAILED: {report.failed.headline()[2:]}: {report.error}")
        for change in report.not_applied:
            ctx.err(f"not applied: {change.headline()[2:]}")
        ctx.err(f"{len(report.applied)} of {len(plan.changes)} changes applied; run `evaltui plan` to see the rest.")
        return 1
    ctx.out(f"Applied {len(report.applied)} change{'s' if len(report.applied) != 1 else ''}.")
    return 0


# -- init -----------------------------------------------------------------------------------------


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "rule"


def cmd_init(args: argparse.Namespace, ctx: CliContext) -> int:
    """Write `evaltui.toml` from the workspace's rules: a rule uploaded from a file that is still
    there points at it; any other Python code rule has its code written to `rules/<name>.py`."""
    from tui.backend.deploy.manifest import MANIFEST_NAME, render_rule
    from tui.backend.rules.rule_payload import FILTER_COLUMNS
    from tui.backend.source.rule_origin import origin_of, without_origin

    target = Path(args.manifest or MANIFEST_NAME).expanduser().resolve()
    if target.is_dir():
        target = target / MANIFEST_NAME
    if target.exists() and not args.force:
        raise InvalidInput(f"{target} exists; pass --force to write it again.")
    folder = target.parent
    tables, skipped = [], []
    for rule in sorted(ctx.backend.list_rules(), key=lambda r: r.name):
        if rule.kind not in ("python", "llm") or not (rule.dataset_name or rule.project_name):
            skipped.append(f"{rule.name} ({rule.kind_summary}{', unbound' if rule.kind in ('python', 'llm') else ''})")
            continue
        origin = origin_of(rule)
        path = origin.path if origin else None
        if path is not None and path.is_file():
            try:
                source = f"{path.resolve().relative_to(folder)}:{origin.function}"
            except ValueError:
                source = f"{path.resolve()}:{origin.function}"
        elif rule.kind == "python":
            code_file = folder / "rules" / f"{_slug(rule.name)}.py"
            code_file.parent.mkdir(parents=True, exist_ok=True)
            code_file.write_text(without_origin(rule.code), encoding="utf-8")
            source = f"rules/{code_file.name}:perform_eval"
        else:
            skipped.append(f"{rule.name} (LLM judge with no source file)")
            continue
        tables.append(render_rule({
            "name": rule.name, "source": source, "dataset": rule.dataset_name, "project": rule.project_name
            if not rule.dataset_name else None, "sampling_rate": rule.sampling_rate, "enabled": rule.is_enabled,
            "filters": {c: rule.settings[c] for c in FILTER_COLUMNS if rule.settings.get(c)} or None,
        }))
    head = "# evaltui.toml: the workspace's rules as code (`evaltui plan`, `evaltui apply`).\n"
    if not tables:
        head += EXAMPLE_RULE
    if skipped:
        head += "# Not managed here (a manifest cannot describe them): " + "; ".join(skipped) + "\n"
    target.write_text(head + "\n" + "\n".join(tables), encoding="utf-8")
    ctx.out(f"Wrote {target} with {len(tables)} rule{'s' if len(tables) != 1 else ''}"
            + (f"; not managed: {', '.join(skipped)}" if skipped else "") + ".")
    return 0


EXAMPLE_RULE = """# The workspace has no rule to write yet; a rule looks like this (uncomment and edit):
# [[rule]]
# name = "Exact match"                          # the rule's name in the workspace
# source = "evaluators/checks.py:exact_match"   # file:function (code or LLM judge), from this file's folder
# dataset = "Skills: Final Response"            # or: project = "my-project"
# sampling_rate = 1.0                           # 0 to 1
# enabled = true
# [rule.filters]                                # optional
# filter = 'eq(is_root, true)'
"""


def add_deploy_commands(sub, common: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("init", parents=common, help="write evaltui.toml from the workspace's current rules")
    p.add_argument("--manifest", metavar="PATH", help="where to write it (default ./evaltui.toml)")
    p.add_argument("--force", action="store_true", help="write over an existing manifest")
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("plan", parents=common, help="what apply would change (exit 0 none, 2 pending, 1 error)")
    p.add_argument("--manifest", metavar="PATH", help="evaltui.toml (default: here or a folder above)")
    p.add_argument("--prune", action="store_true", help="also delete code and LLM rules the manifest does not name")
    p.add_argument("--json", action="store_true", help="print the plan as JSON")
    p.add_argument("--out", metavar="FILE", help="save the plan; `evaltui apply FILE` applies exactly it")
    p.add_argument("--no-impact", dest="impact", action="store_false",
                   help="skip re-scoring the latest experiment with the changed evaluators")
    p.set_defaults(handler=cmd_plan)

    p = sub.add_parser("apply", parents=common, help="bring the workspace's rules to the manifest (asks first)")
    p.add_argument("plan_file", metavar="PLAN", nargs="?", help="a plan saved by `evaltui plan --out`")
    p.add_argument("--manifest", metavar="PATH", help="evaltui.toml (default: here or a folder above)")
    p.add_argument("--prune", action="store_true", help="also delete code and LLM rules the manifest does not name")
    p.add_argument("--no-impact", dest="impact", action="store_false", help="skip the score impact")
    p.add_argument("--yes", action="store_true", help="apply without asking")
    p.set_defaults(handler=cmd_apply)
