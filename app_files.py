"""The files the app hands to Gradio: written once, named by their content, swept once unused.

Gradio serves every image and download from a file. A Space runs for weeks, so each file made
here is deleted once unused for ``keep_seconds`` (``DIGITGEN_KEEP_SECONDS``, default an hour),
looked for at most every ``sweep_seconds`` (``DIGITGEN_SWEEP_SECONDS``, default 10 minutes) by
whichever request comes then. Gradio's cached copies of them go by its ``delete_cache``, which
app.py sets from the same two numbers.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from digitgen.images import png_bytes


def seconds_from_env(name: str, default: int) -> int:
    """A whole number of seconds from the environment variable ``name``, else ``default``."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of seconds (1 or more), got {value!r}")
    return int(value)


class HandedOutFiles:
    """A folder of files handed to Gradio, with a lock so a sweep never deletes one being handed out."""

    def __init__(self, keep_seconds: int = 3600, sweep_seconds: int = 600, folder: Path | None = None):
        self.keep_seconds, self.sweep_seconds = keep_seconds, sweep_seconds
        self.folder = folder or Path(tempfile.mkdtemp(prefix="digitgen-files-"))
        self.lock = threading.Lock()
        self.last_sweep = time.monotonic()

    @classmethod
    def from_environment(cls) -> HandedOutFiles:
        return cls(seconds_from_env("DIGITGEN_KEEP_SECONDS", 3600), seconds_from_env("DIGITGEN_SWEEP_SECONDS", 600))

    def sweep(self) -> int:
        """Delete the files untouched for ``keep_seconds``, and emptied folders; returns how many files.

        Call with ``lock`` held: then no event is between making a folder and writing into it, and a
        file handed out again has been touched already, so only unused ones go.
        """
        cutoff = time.time() - self.keep_seconds
        removed = 0
        for path in sorted(self.folder.rglob("*"), reverse=True):  # files before the folders holding them
            try:
                if path.is_dir():
                    if not any(path.iterdir()):
                        path.rmdir()
                elif path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                pass
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
        serve a half-written PNG, a broken image. Files it copies into its cache atomically.
        """
        data = png_bytes(image)
        path = self.folder / f"{hashlib.sha256(data).hexdigest()[:32]}.png"
        with self.handing_out():
            if path.exists():
                os.utime(path)  # in use again: keep it through the next sweeps
            else:
                fd, staging = tempfile.mkstemp(dir=self.folder, suffix=".part")
                with os.fdopen(
                    fd, "wb"
                ) as f:  # closes mkstemp's descriptor: one leaked per image exhausts the server's
                    f.write(data)
                os.replace(staging, path)
        return str(path)

    def save(self, data: bytes, name: str) -> str:
        """``data`` as a download named ``name``, in a folder of its own (names repeat across events)."""
        with self.handing_out():
            path = Path(tempfile.mkdtemp(dir=self.folder)) / name
            path.write_bytes(data)
        return str(path)
