"""The evaluators folder, watched: a new, edited or deleted `.py` file is in the list (and, when it
holds the selected function, in the Source pane) within about a second, its sync state recomputed.

A mixin of `MainScreen`. `watchfiles` (Rust `notify`: inotify / FSEvents / ReadDirectoryChangesW)
waits for changes in a daemon thread of its own, not a Textual worker (it never finishes, and
workers are jobs the app waits for); a change rescans the folder by AST in a thread worker
(`rescan_local_files`), with the rules already listed (no workspace round trip).
"""

from __future__ import annotations

import threading
from pathlib import Path

WATCH_DEBOUNCE_MS = 150  # an editor's save is often several writes: one rescan for them


class EvaluatorFilesWatch:
    _watch_stop: threading.Event | None = None

    def start_watching(self) -> None:
        directory = Path(self.app.evaluator_dir)
        if self._watch_stop is not None or not directory.is_dir():
            return
        self._watch_stop = threading.Event()
        threading.Thread(target=self._watch, args=(directory, self._watch_stop), name="evaltui-watch-files",
                         daemon=True).start()

    def stop_watching(self) -> None:
        if self._watch_stop is not None:
            self._watch_stop.set()
            self._watch_stop = None

    def _watch(self, directory: Path, stop: threading.Event) -> None:
        from watchfiles import watch

        try:
            for changes in watch(directory, debounce=WATCH_DEBOUNCE_MS, step=50, stop_event=stop,
                                 rust_timeout=500, recursive=False, raise_interrupt=False,
                                 ignore_permission_denied=True):
                if stop.is_set():
                    return
                if any(path.endswith(".py") for _, path in changes):
                    self.app.call_from_thread(self._files_changed)
        except RuntimeError:
            return  # the app has stopped: nobody to tell
        except Exception as exc:  # noqa: BLE001 - watching is a convenience: say so, keep the app
            if not stop.is_set():
                message = (f"Evaluator files are no longer watched ({type(exc).__name__}: {exc}); "
                           "r refreshes the list.")
                try:
                    self.app.call_from_thread(self.notify, message, title="Evaluator files", severity="warning")
                except RuntimeError:
                    pass

    def _files_changed(self) -> None:
        self.rescan_local_files(self.evaluators.rules)
