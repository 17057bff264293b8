"""One run per project at a time: an OS file lock on .mapforge/run.lock.

flock is released by the kernel when the holder exits, however it exits (SIGKILL included),
so a crashed run never leaves a stale lock behind. The holder writes its pid into the file
for the message a second run prints.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mapforge.errors import PipelineError

LOCK_FILE = "run.lock"
_POLL_SECONDS = 0.1


@contextmanager
def run_lock(state_dir: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the project's run lock for the block; wait up to `wait` seconds, then refuse."""
    path = state_dir / LOCK_FILE
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, wait)
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _acquire(fd: int, path: Path, wait: float) -> None:
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                raise _busy(path, wait) from None
            time.sleep(min(_POLL_SECONDS, max(deadline - time.monotonic(), 0)))


def _busy(path: Path, wait: float) -> PipelineError:
    holder = path.read_text().strip() or "unknown"
    waited = f" after waiting {wait:g}s" if wait else ""
    return PipelineError(
        f"another `mapforge run` (pid {holder}) is running on this project{waited}",
        hint="wait for it to finish, or pass --wait SECONDS to queue behind it",
    )
