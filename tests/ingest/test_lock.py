"""One writer per workspace: the lock between two real processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from factloom.ingest.errors import WorkspaceLockedError
from factloom.ingest.lock import lock_path, read_holder, workspace_lock

HOLDER = textwrap.dedent(
    """
    import sys, time
    from factloom.ingest.lock import workspace_lock
    with workspace_lock(sys.argv[1], command="factloom extract -w ws"):
        print("held", flush=True)
        time.sleep(float(sys.argv[2]))
    """
)


def _start_holder(root: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(root), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    proc = _start_holder(tmp_path, 60)
    yield proc
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def test_second_writer_fails_at_once_naming_the_holder(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    started = time.monotonic()
    with pytest.raises(WorkspaceLockedError) as err, workspace_lock(tmp_path):
        pytest.fail("the lock was taken twice")
    assert time.monotonic() - started < 1.0
    message = str(err.value)
    assert f"PID {holder.pid}" in message
    assert "factloom extract -w ws" in message
    assert "--wait" in message


def test_second_writer_gives_up_after_its_wait(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    started = time.monotonic()
    with (
        pytest.raises(WorkspaceLockedError, match=r"after waiting 0\.5s"),
        workspace_lock(tmp_path, wait=0.5),
    ):
        pytest.fail("the lock was taken twice")
    assert 0.45 <= time.monotonic() - started < 3.0


def test_waiting_writer_proceeds_when_the_holder_finishes(tmp_path: Path) -> None:
    proc = _start_holder(tmp_path, 1.0)
    started = time.monotonic()
    with workspace_lock(tmp_path, wait=30, command="second"):
        assert time.monotonic() - started >= 0.8, "got the lock while the first writer still held it"
        assert read_holder(lock_path(tmp_path)).pid == os.getpid()
    proc.wait()


def test_sigkilled_holder_leaves_no_stale_lock(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert read_holder(lock_path(tmp_path)).pid == holder.pid, "the record of the dead holder is gone"
    with workspace_lock(tmp_path, wait=0):
        assert read_holder(lock_path(tmp_path)).pid == os.getpid()


def test_lock_is_released_after_the_block_and_reentrant(tmp_path: Path) -> None:
    with workspace_lock(tmp_path), workspace_lock(tmp_path):
        pass
    proc = subprocess.run(
        [sys.executable, "-c", HOLDER, str(tmp_path), "0"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
