"""One writer per workspace: an exclusive lock file held for the whole of a writing command.

Commands that write the workspace (``ingest``, ``extract``, ``demos add``, ``merges undo``) run inside
``with workspace_lock(ws, wait=...):``. The lock is ``fcntl.flock`` on an open file in the workspace
folder, so the operating system releases it when the holder exits in any way, SIGKILL included: a
crashed writer never leaves a stale lock behind. The file also records who holds the lock (PID,
command line, start time) so that a second writer can say whom it is waiting for.

Readers (search, inspect, ask, export) take no lock: SQLite's WAL mode lets them read while one
process writes.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shlex
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Protocol

from factloom.ingest.errors import WorkspaceLockedError

log = logging.getLogger(__name__)

LOCK_NAME = "writer.lock"
POLL_SECONDS = 0.1
"""How often a waiting writer tries the lock again (flock itself cannot time out)."""


class _HasRoot(Protocol):
    root: Path


@dataclass(frozen=True)
class LockHolder:
    """Who holds (or last held) a workspace lock, as recorded in the lock file."""

    pid: int
    command: str
    since: str

    def describe(self) -> str:
        """Return ``PID 123 (`factloom extract ...`) since 12:00:01 UTC``."""
        return f"PID {self.pid} (`{self.command}`) since {self.since}"


_held: dict[Path, tuple[IO[str], int]] = {}
"""Locks this process holds: path -> (open file, nesting depth). flock is per open file, so a
nested ``workspace_lock`` of the same workspace in the same process must reuse the first file."""
_held_guard = threading.Lock()


def lock_path(workspace: str | Path | _HasRoot) -> Path:
    """Return the lock file of a workspace (given as a folder or an opened ``Workspace``)."""
    root = Path(workspace) if isinstance(workspace, str | os.PathLike) else workspace.root
    return Path(root) / LOCK_NAME


def read_holder(path: Path) -> LockHolder | None:
    """Return the holder recorded in the lock file at ``path``, or None when it records none."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return LockHolder(pid=int(data["pid"]), command=str(data["command"]), since=str(data["since"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@contextmanager
def workspace_lock(
    workspace: str | Path | _HasRoot, *, wait: float = 0.0, command: str | None = None
) -> Iterator[Path]:
    """Hold the workspace's writer lock for the duration of the block.

    Args:
        workspace: the workspace folder (it must exist) or an opened ``Workspace``.
        wait: seconds to wait for another writer to finish; 0 fails at once.
        command: what this process is doing, shown to other writers (default: its command line).

    Yields:
        The lock file's path.

    Raises:
        WorkspaceLockedError: another process still holds the lock after ``wait`` seconds; the
            message names its PID and command.
    """
    path = lock_path(workspace).resolve()
    if not _reenter(path):
        handle = _acquire(path, wait, command or _command_line())
        with _held_guard:
            _held[path] = (handle, 1)
    try:
        yield path
    finally:
        _release(path)


def _reenter(path: Path) -> bool:
    """Count one more holder if this process already holds ``path``; return whether it does."""
    with _held_guard:
        if path not in _held:
            return False
        handle, depth = _held[path]
        _held[path] = (handle, depth + 1)
        return True


def _command_line() -> str:
    program = Path(sys.argv[0]).name
    return shlex.join(["factloom" if program == "__main__.py" else program, *sys.argv[1:]])


def _acquire(path: Path, wait: float, command: str) -> IO[str]:
    """Open and lock ``path``, waiting up to ``wait`` seconds, then record this process in it."""
    handle = path.open("a+", encoding="utf-8")
    deadline = time.monotonic() + max(wait, 0.0)
    announced = False
    while True:  # flock has no timeout: poll the non-blocking form until the deadline
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            holder = read_holder(path)
            if time.monotonic() >= deadline:
                handle.close()
                raise WorkspaceLockedError(_locked_message(path, holder, wait)) from None
            if not announced:
                log.warning("%s: waiting up to %.0fs for %s", path.parent, wait, _who(holder))
                announced = True
            time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0.0)))
    since = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    handle.seek(0)
    handle.truncate()
    handle.write(json.dumps({"pid": os.getpid(), "command": command, "since": since}))
    handle.flush()
    log.debug("%s: writer lock taken by PID %d", path.parent, os.getpid())
    return handle


def _release(path: Path) -> None:
    with _held_guard:
        handle, depth = _held[path]
        if depth > 1:
            _held[path] = (handle, depth - 1)
            return
        del _held[path]
    # Closing the file releases the flock; the record stays and is overwritten by the next writer.
    handle.close()


def _who(holder: LockHolder | None) -> str:
    return holder.describe() if holder else "another process"


def _locked_message(path: Path, holder: LockHolder | None, wait: float) -> str:
    waited = f" after waiting {wait:g}s" if wait > 0 else ""
    return (
        f"{path.parent}: workspace is being written by {_who(holder)}{waited}; "
        "let it finish, or pass --wait SECONDS to wait for it"
    )
