"""A soak of about a minute, as benchmarks/soak.py runs for half an hour: the files stay bounded.

The app is launched as a Space launches it (``python app.py``), with a retention of 4 s and a
sweep period of 2 s so that a minute holds many retention periods, and called by a few callers
across the endpoints, uploads included. The app's files must go after the retention; Gradio's
(uploads) are kept at least ``UPLOAD_MIN_SECONDS``, longer than a queue's wait, and only counted.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from soak import MIX, Soak  # noqa: E402  (the benchmark's own launcher, callers and disk count)

pytestmark = pytest.mark.slow  # minutes of load on a launched app

KEEP, SWEEP, SECONDS, CALLERS = 4, 2, 40, 3


def files_in(folder: Path) -> list[Path]:
    """The files under ``folder`` now; os.walk skips a folder the app sweeps away mid-count (rglob raised)."""
    return [Path(parent, name) for parent, _, names in os.walk(folder) for name in names]


# A file lives until the first sweep after it has been untouched for KEEP seconds; sweeps come
# with requests, and the disk count takes a moment: allow a few seconds more.
LIFETIME = KEEP + SWEEP + 3
IN_FLIGHT = CALLERS * max(files for *_, files in MIX["digitgen"])  # written, but not yet answered


def test_files_on_disk_stay_bounded_and_old_ones_go():
    soak = Soak("digitgen", KEEP, SWEEP)
    soak.start()
    ours = soak.root / "gradio" / "digitgen"  # the app's files; Gradio's (uploads) outlive a short retention
    try:
        stop_at = time.monotonic() + SECONDS
        callers = [threading.Thread(target=soak.caller, args=(i, stop_at)) for i in range(CALLERS)]
        for thread in callers:
            thread.start()
        peaks = []
        while time.monotonic() < stop_at:
            time.sleep(2)
            on_disk, made = len(files_in(ours)), soak.files_made_since(LIFETIME)
            peaks.append((on_disk, made))
            assert on_disk <= made + IN_FLIGHT, f"{on_disk} files on disk; the last {LIFETIME} s made {made}"
        cutoff = time.time() - LIFETIME  # the traffic, and with it the sweeps, stops now
        for thread in callers:
            thread.join(timeout=60)
        old = [path for path in files_in(ours) if path.stat().st_mtime < cutoff]
        uploads = len(files_in(soak.root)) - len(files_in(ours))  # Gradio's, kept UPLOAD_MIN_SECONDS
    finally:
        soak.stop()
    assert not soak.errors, soak.errors[:3]
    assert soak.calls > 30 and not old, f"{len(old)} files outlived the retention, e.g. {old[:2]}"
    assert all(made for _, made in peaks[-3:])  # the traffic lasted to the end: the bound held under load
    capture_files = next(files for _, endpoint, _, files in MIX["digitgen"] if endpoint == "/capture_style")
    captures = sum(1 for _, files in soak.made if files == capture_files)
    assert uploads <= 2 * captures  # each capture's upload, and the empty file gr.File leaves beside it
