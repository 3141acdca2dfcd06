"""The processes of one local run, and stopping them all at once.

Each task runs in a process group of its own (a new session), as a pod holds its container's
processes: when the task's program ends, whatever it left behind in its group ends too, and
when the run stops (Ctrl-C, SIGTERM, ``timeout``, ``creg runs stop``) every group gets SIGTERM
at once, then SIGKILL after a grace period, instead of the runner waiting for the running
programs to finish.  Nothing of a run outlives it.

``stop`` runs in a signal handler, which may interrupt the main thread anywhere (even inside
``popen`` when the entrypoint is a container): so it takes no lock and starts no thread, only
steps that are atomic under the GIL, ordered so that a group added while ``stop`` runs is
signalled by one of the two.  The SIGKILL comes from a watchdog thread started with the run.
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
_TICK = 0.05


class Stopped(Exception):
    """Raised to a task that would start after the run was told to stop."""


class ProcessGroups:
    """The process groups a run has started and not yet reaped."""

    def __init__(self) -> None:
        self._groups: set[int] = set()
        self.stopped_by: str | None = None  # the signal's name once the run was told to stop
        self.stopping = False
        self._stopped_at: float | None = None

    def popen(self, argv: list[str], **options: Any) -> subprocess.Popen[bytes]:
        """Start ``argv`` in a new session; refused (``Stopped``) once the run is stopping."""
        if self.stopping:
            raise Stopped("the run was stopped before this task started")
        process: subprocess.Popen[bytes] = subprocess.Popen(argv, start_new_session=True, **options)
        self._groups.add(process.pid)
        if self.stopping:  # a stop ran while it started
            _kill(process.pid, signal.SIGTERM)
        return process

    def reap(self, process: subprocess.Popen[bytes]) -> None:
        """The program ended: end what it left in its group, as a pod's end ends its processes."""
        _kill(process.pid, signal.SIGKILL)
        self._groups.discard(process.pid)

    def stop(self, reason: str) -> None:
        """Signal every group now (SIGTERM; the watchdog sends SIGKILL later); start no more."""
        self.stopped_by = self.stopped_by or reason
        self._stopped_at = time.monotonic()
        self.stopping = True
        for group in list(self._groups):  # one C-level copy: atomic under the GIL
            _kill(group, signal.SIGTERM)

    def resume(self) -> None:
        """Let tasks start again (the exit handler runs after a stop, as Argo's does)."""
        self.stopping, self._stopped_at = False, None

    def pause(self, seconds: float) -> bool:
        """Sleep (a retry's backoff) unless the run stops first; True if it stopped."""
        end = time.monotonic() + seconds
        while not self.stopping and time.monotonic() < end:
            time.sleep(min(_TICK, max(0.0, end - time.monotonic())))
        return self.stopping

    def overdue(self) -> bool:
        """Whether a stop's grace period has passed."""
        return self._stopped_at is not None and time.monotonic() - self._stopped_at >= GRACE_SECONDS

    def kill_all(self) -> None:
        for group in list(self._groups):
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
    relies on its caller calling ``stop``.  The previous handlers come back afterwards.  A first
    Ctrl-C stops the run as ``creg runs stop`` does; a second one interrupts creg at once.
    """
    done = threading.Event()
    threading.Thread(target=_watchdog, args=(groups, done), daemon=True).start()
    previous: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        def handler(signum: int, frame: FrameType | None) -> None:
            groups.stop(signal.Signals(signum).name)
            if signum == signal.SIGINT:  # a second Ctrl-C aborts at once (its tasks still end: kill_all)
                signal.signal(signal.SIGINT, signal.default_int_handler)
                os.write(2, b"creg run: stopping: running tasks end, the exit handler runs (Ctrl-C again to abort)\n")

        previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
        done.set()
        groups.kill_all()  # whatever an error left running


def _watchdog(groups: ProcessGroups, done: threading.Event) -> None:
    """SIGKILL for the groups still there once a stop's grace period has passed."""
    while not done.wait(_TICK * 4):
        if groups.overdue():
            groups.kill_all()
