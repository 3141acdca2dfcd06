"""The processes of one local run, and stopping them all at once.

Each task runs in a process group of its own (a new session), as a pod holds its container's
processes: when the task's program ends, whatever it left behind in its group ends too, and
when the run stops (Ctrl-C, SIGTERM, ``timeout``) every group is signalled at once instead of
the runner waiting for the running programs to finish.  Nothing of a run outlives it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

# A program gets this long to end after SIGTERM before it gets SIGKILL, as a pod's grace period.
GRACE_SECONDS = 2.0


class Stopped(Exception):
    """Raised to a task that would start after the run was told to stop."""


class ProcessGroups:
    """The process groups a run has started and not yet reaped."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._groups: set[int] = set()
        self.stopped_by: str | None = None  # the signal's name once the run was told to stop
        self._stopping = False
        self._stop_event = threading.Event()

    @property
    def stopping(self) -> bool:
        return self._stopping

    def popen(self, argv: list[str], **options: Any) -> subprocess.Popen[bytes]:
        """Start ``argv`` in a new session; refused (``Stopped``) once the run is stopping."""
        with self._lock:  # so stop() never misses a group started while it signals the others
            if self._stopping:
                raise Stopped("the run was stopped before this task started")
            process: subprocess.Popen[bytes] = subprocess.Popen(argv, start_new_session=True, **options)
            self._groups.add(process.pid)
            return process

    def reap(self, process: subprocess.Popen[bytes]) -> None:
        """The program ended: end what it left in its group, as a pod's end ends its processes."""
        _kill(process.pid, signal.SIGKILL)
        with self._lock:
            self._groups.discard(process.pid)

    def stop(self, reason: str) -> None:
        """Signal every group now (TERM, then KILL after the grace period); start no more."""
        with self._lock:
            self._stopping, self.stopped_by = True, self.stopped_by or reason
            groups = list(self._groups)
        self._stop_event.set()
        for group in groups:
            _kill(group, signal.SIGTERM)
        threading.Thread(target=self._kill_later, args=(groups,), daemon=True).start()

    def _kill_later(self, groups: list[int]) -> None:
        time.sleep(GRACE_SECONDS)
        for group in groups:
            _kill(group, signal.SIGKILL)

    def resume(self) -> None:
        """Let tasks start again (the exit handler runs after a stop, as Argo's does)."""
        with self._lock:
            self._stopping = False
            self._stop_event.clear()

    def pause(self, seconds: float) -> bool:
        """Sleep (a retry's backoff) unless the run stops first; True if it stopped."""
        return self._stop_event.wait(seconds) if seconds > 0 else self._stopping

    def kill_all(self) -> None:
        with self._lock:
            groups = list(self._groups)
        for group in groups:
            _kill(group, signal.SIGKILL)


def _kill(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass  # already gone (a group id is never reused while its leader is unreaped)


@contextmanager
def stop_on_signals(groups: ProcessGroups) -> Iterator[None]:
    """While the run goes on, SIGINT and SIGTERM stop its tasks instead of killing creg.

    Only the main thread can set handlers; elsewhere (a library caller's thread) the run
    relies on its caller.  The previous handlers come back afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        groups.stop(signal.Signals(signum).name)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
        groups.kill_all()  # whatever an error left running
