"""The files the app hands to Gradio: content-named PNGs written once, downloads, and the sweep."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from digitgen.app.files import UPLOAD_MIN_SECONDS, HandedOutFiles, seconds_from_env


@pytest.fixture
def files(tmp_path) -> HandedOutFiles:
    return HandedOutFiles(keep_seconds=3600, sweep_seconds=600, cache=tmp_path)


def test_gallery_files_are_written_once(files):
    """Galleries get content-named PNGs that are never rewritten, so a file being served stays whole
    while another event draws the same digits (Gradio rewrites the files it makes from arrays)."""
    image = np.arange(28 * 28, dtype=np.uint8).reshape(28, 28)
    open_files = len(os.listdir("/proc/self/fd"))
    first = Path(files.png(image))
    inode = first.stat().st_ino
    again = Path(files.png(image.copy()))
    assert again == first and again.stat().st_ino == inode  # the same file, not a rewritten one
    assert np.array_equal(np.asarray(Image.open(first)), image)
    assert Path(files.png(255 - image)) != first
    assert len(os.listdir("/proc/self/fd")) == open_files  # no descriptor left open per image
    assert not list(first.parent.glob("*.part"))


def test_old_files_are_swept_and_files_in_use_are_kept(files):
    """Files untouched for keep_seconds go, with their emptied folders; a file handed out again is
    touched and stays."""
    long_ago = time.time() - files.keep_seconds - 60
    stale = Path(files.png(np.full((28, 28), 7, dtype=np.uint8)))
    reused = Path(files.png(np.full((28, 28), 8, dtype=np.uint8)))
    download = Path(files.save(b"zip bytes", "digit7_seed42.zip"))
    for path in (stale, reused, download):
        os.utime(path, (long_ago, long_ago))
    assert Path(files.png(np.full((28, 28), 8, dtype=np.uint8))) == reused  # handed out again
    fresh = Path(files.save(b"png bytes", "digit7_seed42.png"))
    with files.lock:
        assert files.sweep() == 2
    assert not stale.exists() and not download.exists() and not download.parent.exists()
    assert reused.exists() and fresh.read_bytes() == b"png bytes"
    assert Path(files.png(np.full((28, 28), 7, dtype=np.uint8))).exists()  # swept, then drawn again


def test_the_sweep_covers_gradios_own_files_and_prunes_its_records(files):
    """Uploads land in Gradio's cache beside our folder: old ones go too, and every file gone is
    dropped from the sets in which Gradio records the files it served (they grew without end)."""
    long_ago = time.time() - max(files.keep_seconds, UPLOAD_MIN_SECONDS) - 60
    upload = files.cache / "3f2a" / "sketch.png"
    upload.parent.mkdir()
    upload.write_bytes(b"an old upload")
    arriving = files.cache / "9c1b"  # Gradio has made the folder and is about to write the upload
    arriving.mkdir()
    ours = files.png(np.full((28, 28), 5, dtype=np.uint8))
    kept = files.png(np.full((28, 28), 6, dtype=np.uint8))
    for path in (upload, Path(ours)):
        os.utime(path, (long_ago, long_ago))
    record = {str(upload), ours, kept}
    files.records.append(record)
    with files.lock:
        assert files.sweep() == 2
    assert not upload.exists() and not Path(ours).exists() and Path(kept).exists()
    assert record == {kept}
    assert arriving.is_dir()  # a fresh empty folder of Gradio's stays
    assert upload.parent.is_dir()  # emptied just now: it goes once as old as a file would be
    for folder in (upload.parent, arriving):
        os.utime(folder, (long_ago, long_ago))
    with files.lock:
        files.sweep()
    assert not upload.parent.exists() and not arriving.exists() and files.folder.is_dir()


def test_an_upload_waiting_in_the_queue_outlives_a_short_retention(tmp_path):
    """A retention shorter than a queue's wait must not delete an upload before its event opens it."""
    files = HandedOutFiles(keep_seconds=60, sweep_seconds=15, cache=tmp_path)
    a_while_ago = time.time() - 120
    upload, ours = tmp_path / "5e7b" / "drawing.png", Path(files.png(np.full((28, 28), 3, dtype=np.uint8)))
    upload.parent.mkdir()
    upload.write_bytes(b"a drawing, queued")
    for path in (upload, ours):
        os.utime(path, (a_while_ago, a_while_ago))
    with files.lock:
        files.sweep()
    assert upload.exists() and not ours.exists()  # ours go after the retention, uploads after UPLOAD_MIN_SECONDS


def test_a_request_after_the_sweep_period_sweeps(files):
    old = Path(files.png(np.zeros((28, 28), dtype=np.uint8)))
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    files.png(np.ones((28, 28), dtype=np.uint8))
    assert old.exists()  # the sweep period has not passed
    files.last_sweep -= files.sweep_seconds + 1
    files.png(np.ones((28, 28), dtype=np.uint8))
    assert not old.exists()


def test_retention_and_sweep_period_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("DIGITGEN_KEEP_SECONDS", "60")
    monkeypatch.setenv("DIGITGEN_SWEEP_SECONDS", "5")
    files = HandedOutFiles.from_environment()
    assert (files.keep_seconds, files.sweep_seconds) == (60, 5)
    monkeypatch.delenv("DIGITGEN_KEEP_SECONDS")
    assert HandedOutFiles.from_environment().keep_seconds == 3600  # the default
    for bad in ("soon", "-5", "0", "1.5"):
        monkeypatch.setenv("DIGITGEN_SWEEP_SECONDS", bad)
        with pytest.raises(ValueError, match="DIGITGEN_SWEEP_SECONDS must be a whole number of seconds"):
            seconds_from_env("DIGITGEN_SWEEP_SECONDS", 600)
