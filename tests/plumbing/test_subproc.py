"""Commands started now and read later (subproc.Started): whole output, pieces as they are
written, failures as MlgateError; and the garbage-collector pause history runs under."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from mlgate.errors import MlgateError
from mlgate.plumbing import gcpause, git
from mlgate.plumbing.subproc import Started

# writes 3 bursts of 300 kB, a pause between them: a reader sees several pieces
BURSTS = ("import sys, time\n"
          "for i in range(3):\n"
          "    sys.stdout.write(str(i) * 300_000); sys.stdout.flush(); time.sleep(0.2)\n")


def test_result_is_the_whole_output(tmp_path: Path) -> None:
    started = Started([sys.executable, "-c", BURSTS], cwd=tmp_path, hint="h")
    code, out = started.result()
    assert code == 0
    assert out == b"0" * 300_000 + b"1" * 300_000 + b"2" * 300_000


def test_chunks_come_as_written(tmp_path: Path) -> None:
    started = Started([sys.executable, "-c", BURSTS], cwd=tmp_path, hint="h")
    pieces = list(started.chunks(size=1 << 22))
    assert b"".join(pieces) == b"0" * 300_000 + b"1" * 300_000 + b"2" * 300_000
    assert len(pieces) >= 3  # read while the command was still writing, not once at its end


def test_failure_is_an_error_with_what_git_said(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    started = git.start(["log", "no-such-branch"], cwd=tmp_path)
    with pytest.raises(MlgateError) as caught:
        list(started.chunks())
    assert "`git log no-such-branch` failed (exit 128)" in caught.value.message
    assert "no-such-branch" in caught.value.message.split("\n", 1)[1]  # git's own words
    code, _ = git.start(["log", "no-such-branch"], cwd=tmp_path).result(check=False)
    assert code == 128


def test_a_missing_program(tmp_path: Path) -> None:
    with pytest.raises(MlgateError, match="cannot run 'no-such-program-here': not found"):
        Started(["no-such-program-here"], cwd=tmp_path, hint="install it")


def test_gc_paused_inside_and_restored() -> None:
    assert gc.isenabled()
    with gcpause.paused():
        assert not gc.isenabled()
        made = [[i] for i in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)  # frozen: no later collection walks them
    gc.unfreeze()
    gc.disable()
    try:
        with gcpause.paused():
            pass
        assert not gc.isenabled()  # left as it was found
    finally:
        gc.enable()


def test_cancel_stops_a_command_still_running(tmp_path: Path) -> None:
    started = Started([sys.executable, "-c", "import time; time.sleep(60)"], cwd=tmp_path,
                      hint="h")
    started.cancel()
    assert started._proc.returncode is not None  # killed and reaped, not left to run
    started.cancel()  # a second time: nothing to do
