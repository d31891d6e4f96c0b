"""Progress on long operations: on stderr, and only when stderr is a terminal.

The terminal is a real pseudo-terminal (python's `pty`), so that mlgate decides as it
would for a person at a shell: stdout stays a pipe, read by the test; stderr is the
terminal. Piped, nothing but the usual output appears, byte for byte."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import struct
import subprocess
import sys
import termios
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from mlgate.plumbing import progress
from tests.support.project import Project

MLGATE = [sys.executable, "-m", "mlgate"]
EXPORT = ("audit", "export", "--format", "json")


def terminal() -> tuple[int, int]:
    """A pseudo-terminal 24 rows by 100 columns, as a shell's window has a size."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    return leader, follower


def on_a_terminal(argv: list[str], cwd: Path) -> tuple[int, str, str]:
    """Run ``argv`` with stderr on a pseudo-terminal and stdout on a pipe: (exit code,
    stdout, what the terminal showed)."""
    leader, follower = terminal()
    env = {k: v for k, v in os.environ.items() if k != "MLGATE_PROGRESS"}
    env["TERM"] = "xterm"
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=follower,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    shown = b""
    while True:  # drain the terminal until the child closes it
        ready, _, _ = select.select([leader], [], [], 120)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child is gone
            break
        if not chunk:
            break
        shown += chunk
    out, _ = proc.communicate(timeout=300)
    os.close(leader)
    return proc.returncode, out.decode(), shown.decode("utf-8", "replace")


def test_export_shows_progress_on_a_terminal_only(tiny: Project, tmp_path: Path) -> None:
    piped = subprocess.run([*MLGATE, *EXPORT, "--out", str(tmp_path / "piped")],
                           cwd=tiny.path, capture_output=True, text=True, check=False)
    assert piped.returncode == 0, piped.stdout + piped.stderr
    assert piped.stderr == ""  # nothing extra when stderr is not a terminal

    code, out, shown = on_a_terminal([*MLGATE, *EXPORT, "--out", str(tmp_path / "tty")],
                                     tiny.path)
    assert code == 0, out + shown
    assert "audit export" in shown and "steps" in shown  # the bar, on the terminal
    assert "0/8" in shown  # eight steps, counted (the last: production and alerts)
    # stdout is the same JSON either way: only the folder written differs
    assert json.loads(out) == json.loads(piped.stdout.replace("piped", "tty"))


def test_export_turned_off_on_a_terminal(tiny: Project, tmp_path: Path) -> None:
    os.environ["MLGATE_PROGRESS"] = "0"
    try:
        leader, follower = terminal()
        proc = subprocess.run([*MLGATE, *EXPORT, "--out", str(tmp_path / "r")], cwd=tiny.path,
                              stdout=subprocess.PIPE, stderr=follower, check=False)
        os.close(follower)
        ready, _, _ = select.select([leader], [], [], 0.5)
        try:
            shown = os.read(leader, 65536) if ready else b""
        except OSError:  # EIO: nothing was written, and the child is gone
            shown = b""
        os.close(leader)
    finally:
        del os.environ["MLGATE_PROGRESS"]
    assert proc.returncode == 0
    assert shown == b""


class Recording:
    """A sink that keeps what it was told."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any, Any]] = []

    def open(self, what: str, total: float | None, unit: str) -> Recording:
        self.events.append(("open", what, unit))
        return self

    def advance(self, amount: float = 1, note: str | None = None) -> None:
        self.events.append(("advance", amount, note))

    def close(self) -> None:
        self.events.append(("close", None, None))


def test_monitoring_a_large_batch_tells_the_rows_read(tmp_path: Path) -> None:
    from mlgate.monitor.batch import scan_batches
    from mlgate.monitor.summaries import profile_table

    rows = 25_000
    table = pa.table({"x": [float(i % 97) for i in range(rows)],
                      "score": [(i % 10) / 10 for i in range(rows)]})
    path = tmp_path / "batch.parquet"
    pq.write_table(table, path, row_group_size=5_000)
    reference = profile_table(table.to_batches()[0], categorical=[], columns=["x", "score"],
                              score_column="score")
    sink = Recording()
    with progress.shown(sink):
        scan = scan_batches([path], reference=reference, batch_rows=5_000)
    assert scan.profile.rows == rows
    assert sink.events[0] == ("open", "profiling the batch", "rows")
    advanced = [e for e in sink.events if e[0] == "advance"]
    assert sum(e[1] for e in advanced) == rows and len(advanced) > 1  # chunk by chunk
    assert {e[2] for e in advanced} == {"batch.parquet"}
    assert sink.events[-1][0] == "close"

    quiet = Recording()  # without a sink installed, nothing is told to anyone
    scan_batches([path], reference=reference, batch_rows=5_000)
    assert quiet.events == []
