"""A soak of about a minute, as benchmarks/soak.py runs for half an hour: the files stay bounded.

The app is launched as a Space launches it (``python app.py``), with a retention of 4 s and a
sweep period of 2 s so that a minute holds many retention periods, and called by a few callers
across the endpoints, uploads included.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from soak import MIX, Soak  # noqa: E402  (the benchmark's own launcher, callers and disk count)

KEEP, SWEEP, SECONDS, CALLERS = 4, 2, 40, 3
# A file lives until the first sweep after it has been untouched for KEEP seconds; sweeps come
# with requests, and the disk count takes a moment: allow a few seconds more.
LIFETIME = KEEP + SWEEP + 3
IN_FLIGHT = CALLERS * max(files for *_, files in MIX["digitgen"])  # written, but not yet answered


def test_files_on_disk_stay_bounded_and_old_ones_go():
    soak = Soak("digitgen", KEEP, SWEEP)
    soak.start()
    try:
        stop_at = time.monotonic() + SECONDS
        callers = [threading.Thread(target=soak.caller, args=(i, stop_at)) for i in range(CALLERS)]
        for thread in callers:
            thread.start()
        peaks = []
        while time.monotonic() < stop_at:
            time.sleep(2)
            disk = soak.disk()
            on_disk, made = disk["tmp_files"] + disk["gradio_files"], soak.files_made_since(LIFETIME)
            peaks.append((on_disk, made))
            assert on_disk <= made + IN_FLIGHT, f"{on_disk} files on disk; the last {LIFETIME} s made {made}"
        cutoff = time.time() - LIFETIME  # the traffic, and with it the sweeps, stops now
        for thread in callers:
            thread.join(timeout=60)
        old = [path for path in soak.root.rglob("*") if path.is_file() and path.stat().st_mtime < cutoff]
    finally:
        soak.stop()
    assert not soak.errors, soak.errors[:3]
    assert soak.calls > 30 and not old, f"{len(old)} files outlived the retention, e.g. {old[:2]}"
    assert all(made for _, made in peaks[-3:])  # the traffic lasted to the end: the bound held under load
