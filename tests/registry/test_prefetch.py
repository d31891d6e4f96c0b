"""The registry read that read-only commands start before importing their modules: it is
used only for the same refs, only once, and never after the refs may have moved."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlgate import registry
from mlgate.errors import MlgateError
from tests.conftest import git


def _repo(path: Path, *tags: str) -> Path:
    path.mkdir()
    git("init", "-q", "-b", "main", cwd=path)
    (path / "sub" / "deeper").mkdir(parents=True)
    (path / "sub" / "deeper" / "file.txt").write_text("x\n")
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "one", cwd=path)
    for tag in tags:
        git("tag", "-a", tag, "-m", f"made by hand: {tag}", cwd=path)
    return path


def _names(read: registry.Registry) -> set[str]:
    return set(read.names)


@pytest.fixture(autouse=True)
def nothing_pending() -> Iterator[None]:
    registry.forget_prefetch()
    yield
    registry.forget_prefetch()


def test_a_prefetched_read_is_the_same_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                            ) -> None:
    repo = _repo(tmp_path / "repo", "m@v1.0.0", "m#staging#1", "unrelated")
    direct = registry.read_registry(cwd=repo)
    monkeypatch.chdir(repo / "sub" / "deeper")  # a command run from a subdirectory
    registry.prefetch()
    assert registry._pending is not None
    prefetched = registry.read_registry(cwd=repo)  # commands read from the root
    assert registry._pending is None  # taken
    assert _names(prefetched) == _names(direct) == {"m@v1.0.0", "m#staging#1", "unrelated"}
    before = [(e.name, e.commit, e.tag_object, e.stamp, e.message)
              for e in direct.model("m").events]
    after = [(e.name, e.commit, e.tag_object, e.stamp, e.message)
             for e in prefetched.model("m").events]
    assert before == after


def test_taken_once_so_a_later_read_sees_later_tags(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path / "repo", "m@v1.0.0")
    monkeypatch.chdir(repo)
    registry.prefetch()
    assert _names(registry.read_registry(cwd=repo)) == {"m@v1.0.0"}
    git("tag", "-a", "m#production#1", "-m", "later", cwd=repo)
    assert _names(registry.read_registry(cwd=repo)) == {"m@v1.0.0", "m#production#1"}


def test_an_untaken_read_is_never_served_after_the_refs_moved(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = _repo(tmp_path / "repo", "m@v1.0.0")
    monkeypatch.chdir(repo)
    registry.prefetch()
    registry._pending.proc.wait()  # type: ignore[union-attr]  # it has read the old refs
    git("tag", "-a", "m@v2.0.0", "-m", "later", cwd=repo)
    registry.prefetch()  # a second command: the first one's read is dropped
    assert _names(registry.read_registry(cwd=repo)) == {"m@v1.0.0", "m@v2.0.0"}
    registry.prefetch()
    registry._pending.proc.wait()  # type: ignore[union-attr]
    git("tag", "-a", "m@v3.0.0", "-m", "later still", cwd=repo)
    registry.forget_prefetch()  # what the CLI does when a command ends without reading
    assert "m@v3.0.0" in _names(registry.read_registry(cwd=repo))


def test_another_repository_or_pattern_is_read_afresh(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    here = _repo(tmp_path / "here", "a@v1.0.0")
    there = _repo(tmp_path / "there", "b@v1.0.0")
    monkeypatch.chdir(here)
    registry.prefetch()
    assert _names(registry.read_registry(cwd=there)) == {"b@v1.0.0"}
    registry.prefetch()
    state = registry.read_model("a", cwd=here)  # another pattern
    assert [e.name for e in state.events] == ["a@v1.0.0"]
    nested = _repo(here / "sub" / "nested", "c@v1.0.0")  # a repository below the root
    monkeypatch.chdir(nested)
    registry.prefetch()
    assert _names(registry.read_registry(cwd=nested)) == {"c@v1.0.0"}


def test_outside_a_repository_the_real_read_reports_it(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    monkeypatch.chdir(plain)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    registry.prefetch()
    with pytest.raises(MlgateError, match="for-each-ref"):
        registry.read_registry(cwd=plain)


def test_the_cli_drops_a_read_its_command_did_not_take(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    repo = _repo(tmp_path / "repo", "m@v1.0.0")
    result = cli("audit", "at", "not-a-time", "--env", "staging", cwd=repo)
    assert result.code == 2
    assert registry._pending is None
