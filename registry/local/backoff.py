"""Argo's ``retryStrategy.backoff``: how long to wait before each retry, and when to give up.

The n-th retry waits ``duration * factor**(n-1)`` (at most ``cap``), and no retry starts once
``maxDuration`` has passed since the first attempt.  Durations are Argo's strings: a bare
number of seconds (``"1"``), or with a unit (``"30s"``, ``"2m"``, ``"6h"``, ``"1d"``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)?")
_UNITS = {None: 1.0, "ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class BackoffError(ValueError):
    """A backoff field that is not a duration."""


def duration_seconds(value: object) -> float:
    """``"2m"`` -> 120.0; a bare number is seconds."""
    text = str(value).strip()
    total, position = 0.0, 0
    while position < len(text):  # Go durations may chain: "1m30s"
        match = _DURATION.match(text, position)
        if match is None or match.end() == position:
            raise BackoffError(f"retryStrategy.backoff: {value!r} is not a duration (e.g. '10', '30s', '2m')")
        total += float(match.group(1)) * _UNITS[match.group(2)]
        position = match.end()
    return total


@dataclass(frozen=True)
class Backoff:
    duration: float = 0.0
    factor: float = 1.0
    cap: float | None = None
    max_duration: float | None = None

    @classmethod
    def of(cls, strategy: Mapping[str, object]) -> Backoff:
        body = strategy.get("backoff")
        if not isinstance(body, Mapping):
            return cls()
        return cls(duration=duration_seconds(body.get("duration", 0)), factor=float(str(body.get("factor", 1))),
                   cap=duration_seconds(body["cap"]) if "cap" in body else None,
                   max_duration=duration_seconds(body["maxDuration"]) if "maxDuration" in body else None)

    def delay(self, retry: int, elapsed: float) -> float | None:
        """Seconds to wait before retry number ``retry`` (from 1), or None: give up."""
        wait = self.duration * self.factor ** (retry - 1)
        if self.cap is not None:
            wait = min(wait, self.cap)
        if self.max_duration is not None and elapsed + wait > self.max_duration:
            return None
        return wait
