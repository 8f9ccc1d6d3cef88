"""The files the app hands to Gradio: written once, named by their content, swept once unused.

Gradio serves every image and download from a file. They are written inside Gradio's cache
folder, where Gradio serves a file as it is instead of copying it (one file per image, not two).
A Space runs for weeks, so the sweep deletes every file in that folder untouched for
``keep_seconds`` (``DIGITGEN_KEEP_SECONDS``, default an hour), ours and Gradio's own (uploads),
and forgets them in Gradio's records, looking at most every ``sweep_seconds``
(``DIGITGEN_SWEEP_SECONDS``, default 10 minutes) when a request comes. It replaces Gradio's
``delete_cache``, whose task (Gradio 6.31) iterates those records while requests add to them and
dies at the first clash under load ("Set changed size during iteration"), never to run again.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from gradio.utils import get_upload_folder

from digitgen.images import png_bytes

# An upload waits in the queue before its event opens it: with 10 callers a capture waited up to
# 40 s here. Gradio's files are kept at least this long, whatever the retention.
UPLOAD_MIN_SECONDS = 600


def seconds_from_env(name: str, default: int) -> int:
    """A whole number of seconds from the environment variable ``name``, else ``default``."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of seconds (1 or more), got {value!r}")
    return int(value)


class HandedOutFiles:
    """Gradio's cache folder, with our files in ``folder`` and a lock so a sweep never deletes one
    being handed out.

    ``records`` are the sets in which Gradio notes each file it has served (``Blocks.temp_file_sets``,
    attached by page.build): a sweep drops the files it deleted from them, or they would grow forever.
    """

    def __init__(self, keep_seconds: int = 3600, sweep_seconds: int = 600, cache: Path | None = None):
        self.keep_seconds, self.sweep_seconds = keep_seconds, sweep_seconds
        self.cache = Path(cache or get_upload_folder()).resolve()
        self.folder = self.cache / "digitgen"
        self.folder.mkdir(parents=True, exist_ok=True)
        self.records: list[set[str]] = []
        self.lock = threading.Lock()
        self.last_sweep = time.monotonic()

    @classmethod
    def from_environment(cls) -> HandedOutFiles:
        return cls(seconds_from_env("DIGITGEN_KEEP_SECONDS", 3600), seconds_from_env("DIGITGEN_SWEEP_SECONDS", 600))

    def sweep(self) -> int:
        """Delete the files in the cache untouched for ``keep_seconds`` and the folders they leave
        empty, and forget them in ``records``; returns how many files.

        Call with ``lock`` held: then no event is between making one of our folders and writing into
        it, and a file of ours handed out again has been touched already, so only unused ones go.
        Gradio writes an upload into a folder it has just made, without our lock: its empty folders
        go only when as old as the files. Gradio's files (uploads) stay at least UPLOAD_MIN_SECONDS.
        """
        now = time.time()
        ours, gradios = now - self.keep_seconds, now - max(self.keep_seconds, UPLOAD_MIN_SECONDS)
        removed = 0
        for path in sorted(self.cache.rglob("*"), reverse=True):  # files before the folders holding them
            try:
                status = path.stat()
                old = status.st_mtime < (ours if path.is_relative_to(self.folder) else gradios)
                if stat.S_ISREG(status.st_mode):
                    if old:
                        path.unlink()
                        removed += 1
                elif path != self.folder and (old or path.parent == self.folder) and not any(path.iterdir()):
                    path.rmdir()
            except FileNotFoundError:
                pass
        for record in self.records:
            record.difference_update([name for name in record.copy() if not os.path.exists(name)])
        return removed

    @contextlib.contextmanager
    def handing_out(self) -> Iterator[None]:
        """Hold ``lock`` while a file is written or touched, sweeping first when ``sweep_seconds`` have passed."""
        with self.lock:
            if time.monotonic() - self.last_sweep > self.sweep_seconds:
                self.last_sweep = time.monotonic()
                self.sweep()
            yield

    def png(self, image: np.ndarray) -> str:
        """``image`` as a PNG file named by its content, written once and atomically.

        Galleries get files, not arrays: Gradio caches an array by rewriting a content-named file on
        every call, so two events drawing the same digits at once (a seed change, then Generate) could
        serve a half-written PNG, a broken image. Ours are written under another name, then renamed.
        """
        data = png_bytes(image)
        path = self.folder / f"{hashlib.sha256(data).hexdigest()[:32]}.png"
        with self.handing_out():
            if path.exists():
                os.utime(path)  # in use again: keep it through the next sweeps
            else:
                fd, staging = tempfile.mkstemp(dir=self.folder, suffix=".part")
                # fdopen closes mkstemp's descriptor: one leaked per image would exhaust the server's
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                os.replace(staging, path)
        return str(path)

    def save(self, data: bytes, name: str) -> str:
        """``data`` as a download named ``name``, in a folder of its own (names repeat across events)."""
        with self.handing_out():
            path = Path(tempfile.mkdtemp(dir=self.folder)) / name
            path.write_bytes(data)
        return str(path)
