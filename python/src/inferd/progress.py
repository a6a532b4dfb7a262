"""A one-line progress bar on stderr, drawn only when stderr is a terminal
(so logs and pipes stay clean)."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """done/total with rate and ETA, redrawn at most ten times a second."""

    def __init__(
        self, label: str, enabled: bool = True, stream: TextIO | None = None, rate: bool = True
    ) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.label = label
        self.rate = rate  # False for steps, where a rate and an ETA mean nothing
        self.start = time.monotonic()
        self.last_draw = 0.0
        self.drawn = False

    def update(self, done: float, total: float | None, note: str = "") -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self.last_draw < 0.1 and not (total and done >= total):
            return
        self.last_draw = now
        elapsed = max(now - self.start, 1e-9)
        rate = done / elapsed
        if total:
            width = 30
            filled = int(width * min(done / total, 1.0))
            eta = (total - done) / rate if rate > 0 else 0.0
            speed = f"{rate:,.0f}/s eta {eta:.0f}s " if self.rate else ""
            line = (
                f"{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                f"{done:,.0f}/{total:,.0f} {speed}{note}"
            )
        else:
            line = f"{self.label} {done:,.0f} {rate:,.0f}/s {note}"
        self.stream.write("\r" + line[:160].ljust(80))
        self.stream.flush()
        self.drawn = True

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.stream.flush()
