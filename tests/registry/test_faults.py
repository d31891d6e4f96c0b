"""A real `mlgate promote --push` killed at every step of its registry write.

After each kill the registry, locally and on origin, must be whole (no tag without its
record, no record without its tags, one linear ledger) and a rerun must complete the
promotion, once: never two records for one promotion.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mlgate.errors import MlgateError
from mlgate.plumbing import failpoints
from tests.support.project import Project
from tests.support.registry import (
    MLGATE,
    PROMOTE,
    Run,
    assert_registry_whole,
    mlgate,
    registered,
    registry_refs,
    serving_commit,
)


def killed_at(step: str, project: Project) -> Run:
    result = mlgate(*PROMOTE, cwd=project.path, env={failpoints.ENV_VAR: step})
    assert result.code == failpoints.EXIT_KILLED, result.out + result.err
    assert result.out == ""  # died before it could report anything
    return result


def assert_completed_once(project: Project, rerun: Run) -> None:
    """The candidate is v1.1.0 in staging, locally and on origin, with one record."""
    head = project.git("rev-parse", "HEAD")
    assert rerun.code == 0, rerun.out + rerun.err
    assert registry_refs(project.path) == registry_refs(project.origin)
    for where in (project.path, project.origin):
        entries = assert_registry_whole(where)
        assert [(e.record["predicate"]["version"], e.record["predicate"]["commit"])
                for e in entries][1:] == [("1.1.0", head)]
        assert serving_commit(where, "tiny", "staging") == head
        assert registered(where, "tiny")["1.1.0"] == head


STEPS_BEFORE_REFS = ["after-version-tag", "after-assign-tag", "after-ledger-commit"]
STEPS_AFTER_REFS = ["after-ref-transaction", "before-push"]


@pytest.mark.parametrize("step", STEPS_BEFORE_REFS)
def test_killed_while_building_objects_leaves_nothing(repo: Project, step: str) -> None:
    before = (registry_refs(repo.path), registry_refs(repo.origin))
    killed_at(step, repo)
    assert (registry_refs(repo.path), registry_refs(repo.origin)) == before
    rerun = mlgate(*PROMOTE, cwd=repo.path)
    assert rerun.out.startswith("tiny v1.1.0 -> staging: promoted\n"), rerun.out + rerun.err
    assert_completed_once(repo, rerun)


@pytest.mark.parametrize("step", STEPS_AFTER_REFS)
def test_killed_before_the_push_is_pushed_by_the_rerun(repo: Project, step: str) -> None:
    origin_before = registry_refs(repo.origin)
    killed_at(step, repo)
    assert registry_refs(repo.origin) == origin_before
    local = assert_registry_whole(repo.path)  # complete here, just not pushed
    assert local[-1].record["predicate"]["version"] == "1.1.0"
    rerun = mlgate(*PROMOTE, cwd=repo.path)
    assert rerun.out.startswith("tiny v1.1.0 is already in staging (tiny#staging#2, since ")
    assert_completed_once(repo, rerun)


def test_killed_after_the_push_reruns_as_a_no_op(repo: Project) -> None:
    killed_at("after-push", repo)
    assert registry_refs(repo.path) == registry_refs(repo.origin)
    rerun = mlgate(*PROMOTE, cwd=repo.path)
    assert rerun.out.startswith("tiny v1.1.0 is already in staging (tiny#staging#2, since ")
    assert_completed_once(repo, rerun)


def test_killed_again_while_pushing_what_an_earlier_run_left(repo: Project) -> None:
    """The rerun's first act, pushing the unpushed record, is itself killed twice."""
    killed_at("after-ref-transaction", repo)
    origin_before = registry_refs(repo.origin)
    killed_at("before-push", repo)  # the push of the pending record, this time
    assert registry_refs(repo.origin) == origin_before
    killed_at("after-push", repo)
    assert registry_refs(repo.origin) == registry_refs(repo.path)
    assert_completed_once(repo, mlgate(*PROMOTE, cwd=repo.path))


# A hook of the bare origin kills mlgate and its `git push` in the middle of the
# remote's ref transaction: at "prepared" it then refuses the transaction (the remote
# keeps nothing); at "committed" the remote has everything, the client never hears so.
HOOK = """\
#!{python}
import os, signal, sys, time
from pathlib import Path

state, here = sys.argv[1], Path({folder!r})
refs = sys.stdin.read()
if state in ("committed", "aborted"):
    (here / "settled").write_text(state)
if state != {state!r} or "mlgate/ledger" not in refs:
    sys.exit(0)
pidfile = here / "mlgate.pid"
for _ in range(1000):
    if pidfile.exists():
        break
    time.sleep(0.01)
pid = int(pidfile.read_text())
children = []
for entry in os.listdir("/proc"):
    try:
        fields = Path("/proc", entry, "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        continue
    if entry.isdigit() and int(fields[1]) == pid:
        children.append(int(entry))
for victim in (pid, *children):
    os.kill(victim, signal.SIGKILL)
sys.exit({code})
"""


@pytest.mark.parametrize(("state", "remote_keeps_it"), [("prepared", False),
                                                        ("committed", True)])
def test_killed_during_the_push(repo: Project, tmp_path: Path, state: str,
                                remote_keeps_it: bool) -> None:
    hook = repo.origin / "hooks" / "reference-transaction"
    hook.write_text(HOOK.format(python=sys.executable, folder=str(tmp_path), state=state,
                                code=0 if remote_keeps_it else 1))
    hook.chmod(0o755)
    origin_before = registry_refs(repo.origin)
    proc = subprocess.Popen([*MLGATE, *PROMOTE], cwd=repo.path, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    (tmp_path / "mlgate.pid").write_text(str(proc.pid))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, out + err
    settled = tmp_path / "settled"
    deadline = time.monotonic() + 30  # the remote finishes its transaction on its own
    while not settled.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert settled.read_text() == ("committed" if remote_keeps_it else "aborted")
    hook.unlink()

    assert_registry_whole(repo.path)
    assert_registry_whole(repo.origin)
    if remote_keeps_it:
        assert registry_refs(repo.origin) == registry_refs(repo.path)
    else:
        assert registry_refs(repo.origin) == origin_before
    rerun = mlgate(*PROMOTE, cwd=repo.path)
    assert rerun.out.startswith("tiny v1.1.0 is already in staging (tiny#staging#2, since ")
    assert_completed_once(repo, rerun)


def test_failpoint_names_a_known_step(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(failpoints.ENV_VAR, "after-tag")
    with pytest.raises(MlgateError) as caught:
        failpoints.hit("after-push")
    assert caught.value.render() == (
        "MLGATE_FAILPOINT='after-tag' names no step\n  hint: steps: " + ", ".join(
            failpoints.STEPS))
    monkeypatch.setenv(failpoints.ENV_VAR, "after-push")
    failpoints.hit("before-push")  # armed for another step: nothing happens
    meeting = tmp_path / "meet"
    monkeypatch.setenv(failpoints.ENV_VAR, f"before-push@{meeting}:1")
    failpoints.hit("before-push")  # the only one expected: it goes on at once
    assert [p.name for p in meeting.iterdir()] == [str(os.getpid())]
    monkeypatch.setenv(failpoints.ENV_VAR, "before-push@nowhere")
    with pytest.raises(MlgateError, match="expected STEP@DIR:N"):
        failpoints.hit("before-push")
