"""The kinds of error a caller tells apart (mlgate.errors): NotFound, InvalidFile and
CommandFailed, raised where git, DVC and the config readers fail, and each fallback that
catches one kind only. Every repository here is real, and a broken one is broken for
real: a `.git/HEAD` of garbage, a corrupt object, a directory that is no repository, a
file that is a symbolic link to itself."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mlgate.audit.model_inventory import inventory
from mlgate.audit.reproduction import Target, model_stages
from mlgate.audit.timeline import declared_keys
from mlgate.config.changed import base_commit
from mlgate.config.declarations import check_files, load_model
from mlgate.config.dvcfiles import load_dvc_yaml, parse_dvc_lock
from mlgate.config.metricsfile import parse_metrics
from mlgate.config.yamlio import load_bytes, load_file
from mlgate.errors import CommandFailed, InvalidFile, MlgateError, NotFound
from mlgate.plumbing import git, subproc
from mlgate.plumbing.dvc import DvcStatus, missing_in_remote
from mlgate.pullrequest.collect import _at_base, metrics_at
from mlgate.registry.state import Registry
from tests.support.project import RESOURCES, dvc, sh
from tests.support.project import git as run_git

LOCK = b"stages:\n  train:\n    cmd: python src/train.py\n  other:\n    cmd: echo other\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """The tiny pipeline's files, committed to a plain git repository (no DVC run)."""
    root = tmp_path / "repo"
    shutil.copytree(RESOURCES / "tiny", root)
    run_git("init", "-q", cwd=root)
    run_git("add", "-A", cwd=root)
    run_git("commit", "-q", "-m", "initial", cwd=root)
    return root


def commit(root: Path, relpath: str, text: str) -> str:
    (root / relpath).parent.mkdir(parents=True, exist_ok=True)
    (root / relpath).write_text(text)
    run_git("add", "-A", cwd=root)
    run_git("commit", "-q", "-m", f"write {relpath}", cwd=root)
    return run_git("rev-parse", "HEAD", cwd=root)


def corrupt(root: Path, rev: str, relpath: str) -> None:
    """Overwrite the loose object of ``rev:relpath`` with bytes git cannot inflate."""
    oid = run_git("rev-parse", f"{rev}:{relpath}", cwd=root)
    loose = root / ".git" / "objects" / oid[:2] / oid[2:]
    loose.chmod(0o644)
    loose.write_bytes(b"not a zlib stream")


def loop(path: Path) -> None:
    """Make ``path`` a symbolic link to itself: there, and unreadable."""
    path.unlink(missing_ok=True)
    os.symlink(path.name, path)


# --- CommandFailed: the command, its exit code, its output, a summary -----------------


def test_a_failed_command_carries_argv_code_output_and_summary(tmp_path: Path) -> None:
    script = "import sys; sys.stderr.write('first\\n  last words  \\n\\n'); sys.exit(3)"
    with pytest.raises(CommandFailed) as caught:
        subproc.run([sys.executable, "-c", script], cwd=tmp_path, hint="h")
    error = caught.value
    assert (error.argv, error.exit_code, error.output, error.summary) == (
        (sys.executable, "-c", script), 3, "first\n  last words", "last words")
    assert error.message == (f"`{sys.executable} -c {script}` failed (exit 3):\n"
                             "    first\n      last words")


def test_summary_is_the_last_line_git_said(repo: Path) -> None:
    said = sh("git", "show", "HEAD:no-such-file", cwd=repo, check=False).stderr
    with pytest.raises(CommandFailed) as caught:
        git.git(["show", "HEAD:no-such-file"], cwd=repo)
    assert caught.value.exit_code == 128
    assert caught.value.summary == said.strip().splitlines()[-1]


@pytest.mark.parametrize(("output", "summary"), [
    ("ERROR: failed to reproduce 'train'\n\nHaving any troubles? Hit us up at "
     "https://dvc.org/support, we are always happy to help!", "ERROR: failed to reproduce 'train'"),
    ("one\ntwo\n   \n", "two"),
    ("", "`tool` failed (exit 1)"),  # said nothing: the message's first line
])
def test_summary_table(output: str, summary: str) -> None:
    assert CommandFailed("`tool` failed (exit 1)\nmore", output=output).summary == summary


def test_a_missing_program_is_a_command_that_failed(tmp_path: Path) -> None:
    with pytest.raises(CommandFailed) as caught:
        subproc.run(["no-such-program-here"], cwd=tmp_path, hint="install it")
    assert (caught.value.argv, caught.value.exit_code) == (("no-such-program-here",), None)
    assert caught.value.summary == "cannot run 'no-such-program-here': not found"


def test_dvc_status_failure_carries_what_dvc_said(repo: Path) -> None:
    dvc("init", "-q", cwd=repo)
    (repo / "dvc.yaml").unlink()
    with pytest.raises(CommandFailed) as caught:
        DvcStatus(repo, ["nosuchstage"]).result()
    assert caught.value.exit_code == 1
    assert caught.value.argv[-3:] == ("status", "--json", "nosuchstage")
    assert caught.value.summary.startswith(
        "ERROR: 'nosuchstage' does not exist as an output or a stage name in 'dvc.yaml'")


def test_dvc_api_failure_is_a_command_that_failed(repo: Path) -> None:
    dvc("init", "-q", cwd=repo)  # and no remote
    with pytest.raises(CommandFailed) as caught:
        missing_in_remote(repo, {"d41d8cd98f00b204e9800998ecf8427e"})
    assert caught.value.argv == ()
    assert caught.value.summary.startswith("config file error: no remote specified")


# --- git: absent is NotFound, git failing is CommandFailed ------------------------------


@pytest.mark.parametrize("rev", ["no-such-branch", "HEAD~5", "-x", "HEAD^{tree}"])
def test_resolve_a_name_of_no_commit_is_not_found(repo: Path, rev: str) -> None:
    with pytest.raises(NotFound):
        git.resolve(rev, cwd=repo)


def test_resolve_in_a_broken_repository_is_a_git_failure(repo: Path) -> None:
    (repo / ".git" / "HEAD").write_text("garbage\n")
    with pytest.raises(CommandFailed) as caught:
        git.resolve("main", cwd=repo)
    assert caught.value.exit_code == 128


def test_a_corrupt_object_is_not_a_missing_one(repo: Path) -> None:
    assert git.RevReader("HEAD", cwd=repo)("no-such-file") is None
    corrupt(repo, "HEAD", "dvc.yaml")
    with pytest.raises(CommandFailed):
        git.RevReader("HEAD", cwd=repo)("dvc.yaml")


# --- parse errors are InvalidFile with file:line; what is not there is NotFound ---------


@pytest.mark.parametrize(("parse", "where"), [
    (lambda: load_bytes(b"a: 1\na: 2\n", "x.yaml"), ("x.yaml", 2)),
    (lambda: load_bytes(b"a: [1,\n", "x.yaml"), ("x.yaml", 2)),
    (lambda: load_bytes(b"a: \xff\n", "x.yaml"), ("x.yaml", 1)),
    (lambda: parse_metrics(b'{"auc": 0.9,\n}', "eval/metrics.json"), ("eval/metrics.json", 2)),
    (lambda: parse_metrics(b"[1, 2]", "eval/metrics.json"), ("eval/metrics.json", 1)),
    (lambda: load_dvc_yaml(b"- train\n"), ("dvc.yaml", 1)),
    (lambda: parse_dvc_lock(b"stages:\n  train: [\n"), ("dvc.lock", 3)),
])
def test_a_file_that_does_not_parse_is_invalid(parse: Callable[[], Any],
                                               where: tuple[str, int]) -> None:
    with pytest.raises(InvalidFile) as caught:
        parse()
    assert (caught.value.path, caught.value.line) == where


def test_a_declaration_that_fails_its_schema_is_invalid(repo: Path) -> None:
    text = (repo / "pipelines/tiny.yaml").read_text()
    (repo / "pipelines/tiny.yaml").write_text(text.replace("risk_tier: low", "risk_tier: big"))
    with pytest.raises(InvalidFile) as caught:
        load_model(repo, "tiny")
    assert (caught.value.path, caught.value.line) == ("pipelines/tiny.yaml", 6)


def test_what_is_not_there_is_not_found(repo: Path) -> None:
    with pytest.raises(NotFound, match="no model named 'other'"):
        load_model(repo, "other")
    with pytest.raises(NotFound, match="no such file"):
        load_file(str(repo / "pipelines/other.yaml"))


# --- the fallbacks: absent or invalid falls back, git failing raises -------------------


def test_base_commit_of_an_unknown_revision_is_none(repo: Path) -> None:
    assert base_commit("0" * 40, cwd=repo) is None
    assert base_commit("1234567890" * 4, cwd=repo) is None  # force-pushed away
    assert base_commit("HEAD", cwd=repo) == run_git("rev-parse", "HEAD", cwd=repo)


def test_base_commit_in_a_broken_repository_raises(repo: Path, tmp_path: Path) -> None:
    nowhere = tmp_path / "not-a-repository"
    nowhere.mkdir()
    with pytest.raises(CommandFailed):
        base_commit("1234567890" * 4, cwd=nowhere)
    (repo / ".git" / "HEAD").write_text("garbage\n")
    with pytest.raises(CommandFailed):
        base_commit("1234567890" * 4, cwd=repo)


def test_a_dvc_file_at_the_base_that_does_not_parse_counts_as_absent(repo: Path) -> None:
    from mlgate.config.declarations import read_dvc_yaml

    base = commit(repo, "dvc.yaml", "stages: [\n")
    assert _at_base(read_dvc_yaml, git.RevReader(base, cwd=repo)) is None


def test_a_dvc_file_at_the_base_that_git_cannot_read_raises(repo: Path) -> None:
    from mlgate.config.declarations import read_dvc_yaml

    base = run_git("rev-parse", "HEAD", cwd=repo)
    corrupt(repo, base, "dvc.yaml")
    with pytest.raises(CommandFailed):
        _at_base(read_dvc_yaml, git.RevReader(base, cwd=repo))


def test_metrics_at_a_commit(repo: Path) -> None:
    model = load_model(repo, "tiny")
    broken = commit(repo, "eval/metrics.json", '{"roc_auc": \n')
    assert metrics_at(model, git.RevReader(broken, cwd=repo)) == ({}, ["eval/metrics.json"])
    good = commit(repo, "eval/metrics.json", '{"roc_auc": 0.8}\n')
    assert metrics_at(model, git.RevReader(good, cwd=repo)) == ({"roc_auc": 0.8}, [])
    corrupt(repo, good, "eval/metrics.json")
    with pytest.raises(CommandFailed):
        metrics_at(model, git.RevReader(good, cwd=repo))


def test_reproduce_falls_back_on_every_stage_only_when_the_declaration_is_absent(
        repo: Path) -> None:
    head = run_git("rev-parse", "HEAD", cwd=repo)
    lock = parse_dvc_lock(LOCK)
    assert model_stages(repo, Target("tiny@v1", "tiny", "v1", head, None), lock) == (
        ("train", "evaluate"), "model/model.bin")
    assert model_stages(repo, Target("gone@v1", "gone", "v1", head, None), lock) == (
        ("train", "other"), None)
    corrupt(repo, head, "pipelines/tiny.yaml")
    with pytest.raises(CommandFailed):
        model_stages(repo, Target("tiny@v1", "tiny", "v1", head, None), lock)


def test_inventory_flags_an_invalid_declaration_but_not_an_unreadable_file(
        repo: Path) -> None:
    text = (repo / "pipelines/tiny.yaml").read_text()
    (repo / "pipelines/tiny.yaml").write_text(text.replace("risk_tier: low", "risk_tier: big"))
    [entry] = inventory(repo, Registry(), today=date(2026, 6, 1))
    assert entry["flags"][0].startswith("invalid declaration: pipelines/tiny.yaml:6:")
    (repo / "pipelines/tiny.yaml").write_text(text)
    loop(repo / "dvc.yaml")
    with pytest.raises(MlgateError, match="cannot read") as caught:
        inventory(repo, Registry(), today=date(2026, 6, 1))
    assert not isinstance(caught.value, InvalidFile | NotFound)


def test_declared_keys_skip_an_invalid_declaration_but_not_an_unreadable_file(
        repo: Path) -> None:
    assert declared_keys(repo)[1] == {"tiny": ("staging", "production")}
    text = (repo / "pipelines/tiny.yaml").read_text()
    (repo / "pipelines/tiny.yaml").write_text(text.replace("risk_tier: low", "risk_tier: big"))
    assert declared_keys(repo) == ({}, {})
    (repo / "pipelines/tiny.yaml").write_text(text)
    loop(repo / "dvc.yaml")
    with pytest.raises(MlgateError, match="cannot read"):
        declared_keys(repo)


def test_validate_collects_missing_and_invalid_files(repo: Path) -> None:
    (repo / "pipelines/bad.yaml").write_text("name: bad\nname: bad\n")
    paths = [repo / "pipelines/gone.yaml", repo / "pipelines/bad.yaml"]
    decls, problems = check_files(paths, repo, lambda p: p.relative_to(repo).as_posix())
    assert decls == []
    assert [(p.path, p.line, p.message) for p in problems] == [
        ("pipelines/gone.yaml", None, "no such file"),
        ("pipelines/bad.yaml", 2, "duplicate key 'name' (first defined on line 1)")]


@pytest.mark.parametrize("unreadable", ["dvc.yaml", "pipelines/tiny.yaml"])
def test_validate_stops_at_a_file_it_cannot_read(repo: Path, unreadable: str) -> None:
    loop(repo / unreadable)
    with pytest.raises(MlgateError, match="cannot read") as caught:
        check_files([repo / "pipelines/tiny.yaml"], repo,
                    lambda p: p.relative_to(repo).as_posix())
    assert not isinstance(caught.value, InvalidFile | NotFound)
