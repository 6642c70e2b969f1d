"""Every command that writes a workspace refuses to run beside another writer, with a clear message."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from factloom.graphs.cli import main
from factloom.ingest.workspace import Workspace

HOLDER = textwrap.dedent(
    """
    import sys, time
    from factloom.ingest.lock import workspace_lock
    with workspace_lock(sys.argv[1], command="factloom extract doc.pdf -w ws"):
        print("held", flush=True)
        time.sleep(120)
    """
)


@pytest.fixture
def locked(tmp_path: Path) -> Iterator[tuple[Path, int]]:
    """A workspace whose writer lock a real second process holds; yields (workspace, its PID)."""
    root = tmp_path / "ws"
    Workspace(root).close()
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(root)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    yield root, proc.pid
    proc.kill()
    proc.wait()


@pytest.mark.parametrize(
    "args",
    [
        ["ingest", "{doc}", "-w", "{ws}"],
        ["extract", "{doc}", "-w", "{ws}"],
        ["demos", "add", "{doc}", "-w", "{ws}"],
        ["merges", "undo", "m_1", "-w", "{ws}"],
        ["resolve", "-w", "{ws}"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_second_writer_exits_naming_the_first(
    locked: tuple[Path, int], tmp_path: Path, args: list[str]
) -> None:
    root, pid = locked
    doc = tmp_path / "doc.txt"
    doc.write_text("Ann works for Acme.")
    argv = [a.format(doc=doc, ws=root) for a in args]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 1, result.output
    assert f"being written by PID {pid} (`factloom extract doc.pdf -w ws`)" in result.output
    assert "--wait" in result.output
    assert "Traceback" not in result.output


def test_readers_need_no_lock(locked: tuple[Path, int]) -> None:
    root, _ = locked
    result = CliRunner().invoke(main, ["inspect", "docs", "-w", str(root)])
    assert result.exit_code == 0, result.output
