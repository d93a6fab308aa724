"""The dataset commands: `datasets` and `dataset create | import | export | delete | split | tag | versions`.

Progress goes to stderr (a live bar on a terminal, a line every few seconds otherwise); what was
done goes to stdout. Import and export are `tui.backend.datasets.transfer`, shared with the app.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
import time
from typing import TextIO

from tui.backend.core.errors import InvalidInput
from tui.backend.core.models import DatasetVersion
from tui.backend.datasets.dataset_file import file_format, import_hint, parse_keys
from tui.cli.context import DECLINED_EXIT, CliContext
from tui.cli.output import format_table
from tui.cli.progress import is_tty


def _stamp(version: DatasetVersion) -> str:
    return version.as_of.isoformat()


# -- progress -------------------------------------------------------------------------------------


class TransferProgress:
    """`transfer.Progress` on stderr: a bar redrawn in place on a tty, a plain line every few
    seconds (and at the end) otherwise."""

    def __init__(self, stream: TextIO, *, live: bool | None = None, interval: float | None = None):
        self.stream = stream
        self.live = is_tty(stream) if live is None else live
        self.interval = interval if interval is not None else (0.1 if self.live else 2.0)
        self._last = 0.0
        self._phase = ""
        self._open_line = False

    def __call__(self, progress) -> None:
        now = time.monotonic()
        finished = progress.total is not None and progress.done >= progress.total
        if progress.phase == self._phase and not finished and now - self._last < self.interval:
            return
        changed = progress.phase != self._phase
        self._phase, self._last = progress.phase, now
        total = f"/{progress.total:,}" if progress.total is not None else ""
        pct = f" {progress.done * 100 // progress.total:3d}%" if progress.total else ""
        text = f"{progress.phase} {progress.done:,}{total}{pct}"
        if self.live:
            width = 24
            filled = width * progress.done // progress.total if progress.total else 0
            self.stream.write(f"\r[{'#' * filled}{'-' * (width - filled)}] {text}\x1b[K")
            self._open_line = True
        elif changed or finished or progress.done:
            self.stream.write(text + "\n")
        self.stream.flush()

    def close(self) -> None:
        if self._open_line:
            self.stream.write("\n")
            self.stream.flush()
            self._open_line = False


# -- list, create ---------------------------------------------------------------------------------


def cmd_datasets(args: argparse.Namespace, ctx: CliContext) -> int:
    backend = ctx.backend
    datasets = list(backend.list_datasets())
    experiments: dict[str, int] = {}
    for exp in backend.list_experiments():
        experiments[exp.dataset_id] = experiments.get(exp.dataset_id, 0) + 1
    if args.json:
        ctx.out(json.dumps([
            {"id": d.id, "name": d.name, "description": d.description, "examples": d.example_count,
             "experiments": experiments.get(d.id, 0),
             "modified_at": d.modified_at.isoformat() if d.modified_at else None}
            for d in datasets
        ], indent=2))
        return 0
    if not datasets:
        ctx.out("No datasets in this workspace: `evaltui dataset create NAME` makes one.")
        return 0
    rows = [(d.name, str(d.example_count), str(experiments.get(d.id, 0)),
             d.modified_at.strftime("%Y-%m-%d %H:%M") if d.modified_at else "-", d.description or "")
            for d in datasets]
    ctx.out(format_table(["NAME", "EXAMPLES", "EXPERIMENTS", "MODIFIED", "DESCRIPTION"], rows))
    return 0


def cmd_dataset_create(args: argparse.Namespace, ctx: CliContext) -> int:
    dataset = ctx.backend.create_dataset(args.name, args.description or "")
    ctx.out(f"Created dataset {dataset.name!r} ({dataset.id}).")
    return 0


# -- import / export ------------------------------------------------------------------------------


def cmd_dataset_import(args: argparse.Namespace, ctx: CliContext) -> int:
    from pathlib import Path

    from tui.backend.datasets.transfer import import_examples

    progress = TransferProgress(ctx.stderr)
    cancel = threading.Event()
    try:
        with _sigint_sets(cancel):
            report = import_examples(
                ctx.backend, Path(args.file), args.dataset, create=args.create, fmt=args.format,
                input_keys=parse_keys(args.input_keys), output_keys=parse_keys(args.output_keys),
                metadata_keys=parse_keys(args.metadata_keys), split=args.split,
                on_progress=progress, cancel=cancel,
            )
    finally:
        progress.close()
    made = " (new dataset)" if report.created_dataset else ""
    version = f" · version {_stamp(report.version)}" if report.version else ""
    ctx.out(f"Imported {report.added} examples into {report.dataset.name!r}{made}: "
            f"{report.dataset.example_count} examples now{version}.")
    return 0


class _sigint_sets:
    """While inside, Ctrl+C sets `cancel` (the import stops between batches and undoes itself)
    instead of raising wherever the main thread happens to be; a second Ctrl+C raises at once."""

    def __init__(self, cancel: threading.Event):
        self.cancel = cancel
        self._previous = None

    def _handler(self, signum, frame) -> None:
        if self.cancel.is_set():
            raise KeyboardInterrupt
        self.cancel.set()

    def __enter__(self):
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def cmd_dataset_export(args: argparse.Namespace, ctx: CliContext) -> int:
    from pathlib import Path

    from tui.backend.datasets.transfer import export_examples

    if args.as_of and args.tag:
        raise InvalidInput("Give --as-of or --tag, not both.")
    output = Path(args.output) if args.output else None
    fmt = args.format or (file_format(output) if output else "jsonl")
    progress = TransferProgress(ctx.stderr)
    try:
        report = export_examples(ctx.backend, args.name, output, fmt=fmt, as_of=args.as_of, tag=args.tag,
                                 stream=None if output else ctx.stdout, on_progress=progress)
    finally:
        progress.close()
    where = str(report.path) if report.path else "stdout"
    ctx.err(f"Exported {report.count} examples of {report.dataset.name!r} (version {_stamp(report.version)}) "
            f"to {where} as {fmt}.")
    if report.keys is not None and report.keys.given:
        ctx.err(f"Import it back with: evaltui dataset import {report.path or 'FILE'} --dataset NAME "
                f"{import_hint(report.keys)}")
    return 0


# -- delete, split, tag, versions -----------------------------------------------------------------


def cmd_dataset_delete(args: argparse.Namespace, ctx: CliContext) -> int:
    ctx.assume_yes = args.yes
    backend = ctx.backend
    dataset = backend.get_dataset(args.name)
    experiments = backend.list_experiments(dataset.id)
    rules = [r for r in backend.list_rules() if r.dataset_id == dataset.id]
    ctx.out(f"This deletes dataset {dataset.name!r} ({dataset.id}):")
    ctx.out(f"  {dataset.example_count} example{'s' if dataset.example_count != 1 else ''} and every version of it")
    ctx.out(f"  {len(experiments)} experiment{'s' if len(experiments) != 1 else ''} run on it"
            + (": " + ", ".join(e.name for e in experiments[:5]) + (" …" if len(experiments) > 5 else "")
               if experiments else ""))
    if rules:
        ctx.out(f"  {len(rules)} rule{'s' if len(rules) != 1 else ''} bound to it will be left unbound: "
                + ", ".join(r.name for r in rules))
    if not ctx.confirm(f"Delete dataset {dataset.name!r}?"):
        ctx.out("Nothing deleted.")
        return DECLINED_EXIT
    backend.delete_dataset(dataset.id)
    ctx.out(f"Deleted dataset {dataset.name!r}.")
    return 0


def cmd_dataset_split(args: argparse.Namespace, ctx: CliContext) -> int:
    backend = ctx.backend
    dataset = backend.get_dataset(args.name)
    ids = [i for value in args.ids for i in parse_keys(value)]
    if not ids:
        raise InvalidInput("Give the examples with --ids ID[,ID...].")
    known = {ex.id for ex in backend.list_examples(dataset.id)}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InvalidInput(f"Dataset {dataset.name!r} has no example {unknown[0]!r}; nothing was changed.")
    split, remove = (args.remove, True) if args.remove else (args.add, False)
    backend.update_dataset_splits(dataset.id, split, ids, remove=remove)
    verb = "Removed" if remove else "Added"
    ctx.out(f"{verb} {len(ids)} example{'s' if len(ids) != 1 else ''} {'from' if remove else 'to'} "
            f"split {split!r} of {dataset.name!r}.")
    return 0


def cmd_dataset_tag(args: argparse.Namespace, ctx: CliContext) -> int:
    backend = ctx.backend
    dataset = backend.get_dataset(args.name)
    version = backend.resolve_dataset_version(dataset.id, as_of=args.as_of)
    backend.tag_dataset_version(dataset.id, version.as_of, args.tag)
    ctx.out(f"Tagged version {_stamp(version)} of {dataset.name!r} as {args.tag!r}.")
    return 0


def cmd_dataset_versions(args: argparse.Namespace, ctx: CliContext) -> int:
    backend = ctx.backend
    dataset = backend.get_dataset(args.name)
    versions = backend.list_dataset_versions(dataset.id)
    if args.json:
        ctx.out(json.dumps([{"as_of": _stamp(v), "tags": list(v.tags)} for v in versions], indent=2))
        return 0
    ctx.out(format_table(["AS OF", "TAGS"], [(_stamp(v), ", ".join(v.tags)) for v in versions]))
    return 0


# -- the parser -----------------------------------------------------------------------------------


def add_dataset_commands(sub, common: list[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("datasets", parents=common, help="list datasets with their example and experiment counts")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=cmd_datasets)

    p = sub.add_parser("dataset", parents=common, help="create, import, export, delete, split, tag a dataset")
    verbs = p.add_subparsers(dest="dataset_command", metavar="ACTION", required=True)

    v = verbs.add_parser("create", parents=common, help="create an empty dataset")
    v.add_argument("name", metavar="NAME")
    v.add_argument("--description", default="", help="a line saying what the dataset is for")
    v.set_defaults(handler=cmd_dataset_create)

    v = verbs.add_parser(
        "import", parents=common, help="add the examples of a JSONL or CSV file (all or nothing)",
        description="Add the examples of FILE to a dataset. JSONL lines are {\"inputs\": {...}, \"outputs\": "
        "{...}, \"metadata\": {...}, \"split\": ...}; with --input-keys, a JSONL line is one flat object. A CSV "
        "file takes --input-keys (and --output-keys, --metadata-keys) naming its columns. Every line is "
        "checked before anything is written; a failure midway undoes the import.",
    )
    v.add_argument("file", metavar="FILE")
    v.add_argument("--dataset", required=True, help="dataset name (or id)")
    v.add_argument("--create", action="store_true", help="create the dataset if it does not exist")
    v.add_argument("--format", choices=("jsonl", "csv"), help="default: from the file name")
    v.add_argument("--input-keys", metavar="A,B", help="columns / keys that make the inputs")
    v.add_argument("--output-keys", metavar="C", help="columns / keys that make the reference outputs")
    v.add_argument("--metadata-keys", metavar="D", help="columns / keys that make the metadata")
    v.add_argument("--split", metavar="S", help="put every imported example in this split too")
    v.set_defaults(handler=cmd_dataset_import)

    v = verbs.add_parser("export", parents=common, help="write a dataset (a version of it) as JSONL or CSV")
    v.add_argument("name", metavar="NAME")
    v.add_argument("--format", choices=("jsonl", "csv"), help="default: from --output's name, else jsonl")
    v.add_argument("--output", "-o", metavar="FILE", help="write here (atomically) instead of stdout")
    v.add_argument("--as-of", metavar="V", help="the version in force at this ISO time (or a tag)")
    v.add_argument("--tag", metavar="T", help="the version with this tag")
    v.set_defaults(handler=cmd_dataset_export)

    v = verbs.add_parser("delete", parents=common, help="delete a dataset, its examples and its experiments")
    v.add_argument("name", metavar="NAME")
    v.add_argument("--yes", action="store_true", help="skip the confirmation prompt")
    v.set_defaults(handler=cmd_dataset_delete)

    v = verbs.add_parser("split", parents=common, help="add examples to a split (or remove them)")
    v.add_argument("name", metavar="NAME")
    which = v.add_mutually_exclusive_group(required=True)
    which.add_argument("--add", metavar="S", help="the split to add the examples to")
    which.add_argument("--remove", metavar="S", help="the split to remove the examples from")
    v.add_argument("--ids", nargs="+", required=True, metavar="ID", help="example ids (spaces or commas)")
    v.set_defaults(handler=cmd_dataset_split)

    v = verbs.add_parser("tag", parents=common, help="name a version of a dataset (default: the latest)")
    v.add_argument("name", metavar="NAME")
    v.add_argument("tag", metavar="TAG")
    v.add_argument("--as-of", metavar="V", help="the version in force at this ISO time (default: latest)")
    v.set_defaults(handler=cmd_dataset_tag)

    v = verbs.add_parser("versions", parents=common, help="list a dataset's versions and their tags")
    v.add_argument("name", metavar="NAME")
    v.add_argument("--json", action="store_true", help="print JSON instead of a table")
    v.set_defaults(handler=cmd_dataset_versions)

