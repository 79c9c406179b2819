"""Progress of a long verb (`ingest`, `rebuild`): pages done, pages/s and time left.

On a terminal a tqdm bar on stderr; otherwise (a log file, cron, a pipe) a plain line every
`DOCSITES_PROGRESS_SECONDS` seconds (default 10) and one at the end, so a log shows how far a run
got without a bar's carriage returns.
"""
from __future__ import annotations

import os
import sys
import time

from tqdm import tqdm

DEFAULT_SECONDS = 10.0


def _interval() -> float:
    try:
        return max(0.0, float(os.environ.get("DOCSITES_PROGRESS_SECONDS", DEFAULT_SECONDS)))
    except ValueError:
        return DEFAULT_SECONDS


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    if seconds >= 60:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds}s"


class Progress:
    """`update(n)` as pages are done; `close()` at the end (or use it as a context manager)."""

    def __init__(self, total: int | None, label: str, stream=None):
        self.stream = stream or sys.stderr
        self.total, self.label, self.done = total, label, 0
        self.started = self.last = time.monotonic()
        self.every = _interval()
        isatty = getattr(self.stream, "isatty", None)
        self.bar = tqdm(total=total, desc=label, unit="pages", file=self.stream, dynamic_ncols=True) \
            if isatty and isatty() else None

    def update(self, n: int = 1) -> None:
        self.done += n
        if self.bar is not None:
            self.bar.update(n)
            return
        now = time.monotonic()
        if now - self.last >= self.every:
            self.last = now
            self._line(now)

    def _line(self, now: float) -> None:
        elapsed = max(now - self.started, 1e-9)
        rate = self.done / elapsed
        if self.total:
            left = max(self.total - self.done, 0)
            eta = _duration(left / rate) if rate else "?"
            text = f"{self.label}: {self.done}/{self.total} pages ({100 * self.done / self.total:.0f}%), " \
                   f"{rate:.1f} pages/s, ETA {eta}"
        else:
            text = f"{self.label}: {self.done} pages, {rate:.1f} pages/s"
        print(text, file=self.stream, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        else:
            self._line(time.monotonic())

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
