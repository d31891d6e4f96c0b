"""`mlgate promote` on real repos: git tags GTO reads, an in-toto record, the ledger branch,
a bare origin and a local DVC remote."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlgate.config.dvcfiles import parse_dvc_lock
from mlgate.plumbing.dvccache import bytes_md5
from mlgate.plumbing.git import blob_id
from mlgate.registry.ledger import LEDGER_REF, PREDICATE_TYPE, STATEMENT_TYPE, canonical, digest
from tests.support.project import Project, git, make_project
from tests.support.registry import (
    GTO,
    all_refs,
    assert_gto_agrees,
    assert_registry_whole,
    assert_same_registry,
    clone,
    copy_project,
    ledger_records,
    mlgate,
    new_candidate,
    registered,
    registry_refs,
    served_by_gto,
    sha256_file,
    tag_record,
    write_approvals,
)

Cli = Callable[..., Any]


@pytest.fixture(scope="module")
def pushed_tiny(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """tiny, reproduced, committed, on origin, its outputs in the DVC remote (made once)."""
    project = make_project(tmp_path_factory.mktemp("pushed"), "tiny")
    project.dvc("push", "-q")
    return project


@pytest.fixture
def repo(pushed_tiny: Project, tmp_path: Path) -> Project:
    return copy_project(pushed_tiny, tmp_path)


def promote(cli: Cli, project: Project, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("promote", "tiny", *args, "--format", "json", cwd=project.path)
    assert result.code in (0, 1), result.out + result.err
    data: dict[str, Any] = json.loads(result.out)
    return result.code, data


def gates(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["gate"]: row for row in data["decision"]["results"]}


def test_staging_then_production(repo: Project, cli: Cli, tmp_path: Path) -> None:
    head = repo.git("rev-parse", "HEAD")
    approvals = write_approvals(tmp_path / "approvals.json", ["carol"])

    code, early = promote(cli, repo, "--env", "production", "--approvals", str(approvals))
    assert code == 1
    assert gates(early)["requires staging"]["passed"] is False
    assert gates(early)["requires staging"]["why"] == f"commit {head} was never in staging"

    staged = cli("promote", "tiny", "--env", "staging", "--push", cwd=repo.path)
    assert staged.code == 0, staged.out + staged.err
    assert staged.out.startswith("tiny v1.0.0 -> staging: promoted\n")
    assert "tags:   tiny@v1.0.0, tiny#staging#1" in staged.out
    assert "pushed: tags and ledger, in one atomic push" in staged.out

    code, unapproved = promote(cli, repo, "--env", "production")
    assert code == 1
    assert gates(unapproved)["approval"]["why"] == "0 distinct approvers; 1 needed"
    assert gates(unapproved)["requires staging"]["passed"] is True

    own = write_approvals(tmp_path / "own.json", ["alice"], authors=("alice",))
    code, self_approved = promote(cli, repo, "--env", "production", "--approvals", str(own))
    assert code == 1
    assert gates(self_approved)["approval"]["why"] == (
        "0 distinct approvers (alice, the candidate's author, does not count); 1 needed")
    assert len(ledger_records(repo.path)) == 1  # refusals without --push are not recorded

    code, prod = promote(cli, repo, "--env", "production", "--approvals", str(approvals),
                         "--push", "--reason", "quarterly release")
    assert code == 0, prod
    assert (prod["version"], prod["tags"], prod["pushed"]) == (
        "1.0.0", ["tiny#production#2"], True)  # the version is registered once
    assert all(row["passed"] for row in prod["decision"]["results"])
    assert [row["gate"] for row in prod["decision"]["results"]] == [
        "metrics recomputed", "validation", "requires staging", "reproducible",
        "threshold roc_auc", "no_regression log_loss", "approval", "in DVC remote"]
    predicate = prod["record"]["predicate"]
    assert (predicate["approvals"], predicate["reason"], predicate["previous"]) == (
        ["carol"], "quarterly release", None)  # the first record in production

    # origin holds exactly what the clone holds, and GTO reads it as mlgate wrote it
    assert_same_registry(repo.path, repo.origin)
    for where in (repo.path, repo.origin):
        entries = assert_registry_whole(where)
        assert [e.record["predicate"]["environment"] for e in entries] == [
            "staging", "production"]
    assert_gto_agrees(repo.path)  # both ways: models, latest versions, environments
    assert served_by_gto(repo.path) == {
        "tiny": ("v1.0.0", {"staging": "v1.0.0", "production": "v1.0.0"})}
    history = json.loads(subprocess.run([*GTO, "history", "tiny", "--json"], cwd=repo.path,
                                        capture_output=True, text=True, check=True).stdout)
    events = sorted((e["event"], e["ref"], e["version"], e.get("stage"), e["commit"])
                    for e in history)
    assert events == [
        ("assignment", "tiny#production#2", "v1.0.0", "production", head),
        ("assignment", "tiny#staging#1", "v1.0.0", "staging", head),
        ("registration", "tiny@v1.0.0", "v1.0.0", None, head),
    ]
    # each GTO event's message is the tag's: a summary line, then the record
    messages = {e["ref"]: e["message"] for e in history}
    assert messages["tiny#production#2"].startswith("promote tiny v1.0.0 to production\n\n")
    assert json.loads(messages["tiny#production#2"].split("\n\n", 1)[1]) == prod["record"]


def test_version_rule(repo: Project, cli: Cli, tmp_path: Path) -> None:
    """First 1.0.0, then the minor of the highest goes up; --version may name any higher
    version; a commit keeps its version in every environment."""
    seen = []
    for version in (None, None, "v2.0.0", None):
        new_candidate(repo, f"candidate {len(seen)}")
        code, data = promote(cli, repo, "--env", "staging",
                             *(["--version", version] if version else []))
        assert code == 0, data
        seen.append(data["version"])
    assert seen == ["1.0.0", "1.1.0", "2.0.0", "2.1.0"]
    assert registered(repo.path, "tiny") == {
        v: tag_record(repo.path, f"tiny@v{v}")["predicate"]["commit"] for v in seen}

    approvals = write_approvals(tmp_path / "approvals.json", ["carol"])
    code, prod = promote(cli, repo, "--env", "production", "--approvals", str(approvals))
    assert code == 0, prod
    assert (prod["version"], prod["tags"]) == ("2.1.0", ["tiny#production#5"])

    new_candidate(repo, "one more")
    before = registry_refs(repo.path)
    # bad input is checked in a process of its own: when an error is raised after
    # `dvc status` started, the child is not reaped and its pipes are not closed, which
    # pytest (filterwarnings = error) would report as a ResourceWarning of this test
    for bad, message in [
        ("banana", "not a semantic version: 'banana'\n  hint: write it as vMAJOR.MINOR.PATCH, "
                   "e.g. v1.4.0"),
        ("v1.5.0", "v1.5.0 is not higher than the latest version v2.1.0\n  hint: versions only "
                   "go up; omit --version to bump the minor"),
        ("v2.0.0", "v2.0.0 is already registered for another commit\n  hint: choose a new "
                   "version, or omit --version"),
    ]:
        result = mlgate("promote", "tiny", "--env", "staging", "--version", bad, cwd=repo.path)
        assert (result.code, result.err.strip()) == (2, message)
    repo.git("reset", "-q", "--hard", "HEAD~1")  # back to the commit that is v2.1.0
    result = mlgate("promote", "tiny", "--env", "staging", "--version", "v3.0.0", "--dry-run",
                    cwd=repo.path)
    assert (result.code, result.err.strip()) == (
        2, f"commit {repo.git('rev-parse', 'HEAD')[:12]} is already registered as v2.1.0\n"
           "  hint: omit --version, or use --version v2.1.0")
    assert registry_refs(repo.path) == before


def test_refused_until_the_artifact_is_in_the_dvc_remote(repo: Project, cli: Cli) -> None:
    shutil.rmtree(repo.dvc_remote)
    repo.dvc_remote.mkdir()
    before = all_refs(repo.path)

    result = cli("promote", "tiny", "--env", "staging", cwd=repo.path)
    assert result.code == 1
    assert result.out.startswith("tiny v1.0.0 -> staging: REFUSED\n")
    row = next(line for line in result.out.splitlines() if line.startswith("in DVC remote"))
    assert row.split()[3:6] == ["missing", "artifact", "and"]
    assert row.endswith("FAIL     not in the remote: eval/predictions.csv (new), "
                        "model/model.bin (new); run `dvc push`")
    assert "nothing was tagged (a refusal is recorded in the ledger with --push)" in result.out
    assert all_refs(repo.path) == before  # without --push a refusal writes nothing

    code, refused = promote(cli, repo, "--env", "staging", "--push")
    assert (code, refused["action"], refused["tags"], refused["pushed"]) == (
        1, "refused", [], True)
    for where in (repo.path, repo.origin):
        records = ledger_records(where)
        assert [r["predicate"]["action"] for r in records] == ["refused"]
        assert not [r for r in registry_refs(where) if r.startswith("refs/tags/")]
    assert gates(records[0]["predicate"])["in DVC remote"]["passed"] is False

    repo.dvc("push", "-q")
    code, passed = promote(cli, repo, "--env", "staging", "--push")
    assert code == 0, passed
    assert passed["tags"] == ["tiny@v1.0.0", "tiny#staging#1"]
    assert passed["record"]["predicate"]["previous"] == digest(records[0])
    assert passed["record"]["predicate"]["seq"] == 2
    assert_same_registry(repo.path, repo.origin)
    assert_registry_whole(repo.origin)


@pytest.mark.parametrize("remote_has_it", [True, False])
def test_dry_run_writes_nothing(repo: Project, cli: Cli, remote_has_it: bool) -> None:
    if not remote_has_it:
        shutil.rmtree(repo.dvc_remote)
        repo.dvc_remote.mkdir()
    state = (all_refs(repo.path), all_refs(repo.origin),
             repo.git("count-objects", "-v"), repo.git("status", "--porcelain"))
    result = cli("promote", "tiny", "--env", "staging", "--push", "--dry-run", cwd=repo.path)
    assert result.code == (0 if remote_has_it else 1), result.err
    verdict = "would be promoted" if remote_has_it else "REFUSED"
    assert result.out.startswith(f"tiny v1.0.0 -> staging: {verdict}\n")
    assert result.out.endswith("dry run: nothing was written\n")
    assert (all_refs(repo.path), all_refs(repo.origin),
            repo.git("count-objects", "-v"), repo.git("status", "--porcelain")) == state


def test_record_contents(repo: Project, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    ci = {"GITHUB_REPOSITORY": "acme/credit", "GITHUB_RUN_ID": "812", "GITHUB_RUN_ATTEMPT": "2",
          "GITHUB_ACTOR": "release-bot", "GITHUB_EVENT_NAME": "workflow_dispatch",
          "GITHUB_WORKFLOW_REF": "acme/credit/.github/workflows/promote.yml@refs/heads/main"}
    for name, value in ci.items():
        monkeypatch.setenv(name, value)
    code, first = promote(cli, repo, "--env", "staging", "--push", "--reason", "first")
    assert code == 0, first
    head = repo.git("rev-parse", "HEAD")
    record = first["record"]

    # the record is the same in both tags, in the ledger, locally and on origin
    assert tag_record(repo.path, "tiny@v1.0.0") == record
    assert tag_record(repo.origin, "tiny#staging#1") == record
    assert ledger_records(repo.origin) == [record]
    assert first["record_digest"] == digest(record)
    assert digest(record) == "sha256:" + hashlib.sha256(canonical(record)).hexdigest()

    # an in-toto Statement v1 whose subject is the artifact
    assert record["_type"] == STATEMENT_TYPE == "https://in-toto.io/Statement/v1"
    assert record["predicateType"] == PREDICATE_TYPE
    lock = parse_dvc_lock((repo.path / "dvc.lock").read_bytes())
    artifact = lock.out("model/model.bin")
    assert artifact is not None
    assert record["subject"] == [{"name": "model/model.bin", "digest": {
        "sha256": sha256_file(repo.path / "model" / "model.bin"), "md5": artifact.md5}}]

    p = record["predicate"]
    data_dep = lock.dep("data/input.csv")
    assert data_dep is not None
    metrics = json.loads((repo.path / "eval" / "metrics.json").read_text())
    policy_blob = blob_id((repo.path / "pipelines" / "tiny.yaml").read_bytes())
    expected = {
        "model": "tiny", "version": "1.0.0", "environment": "staging", "action": "promote",
        "seq": 1, "commit": head, "previous": None, "reason": "first",
        "tags": ["tiny@v1.0.0", "tiny#staging#1"], "approvals": [],
        "dvc_lock": {"path": "dvc.lock", "md5": bytes_md5((repo.path / "dvc.lock").read_bytes())},
        "params": {"params.yaml": {"train": {"seed": 3, "quality": 0.8, "rows": 400}}},
        "data": [{"path": "data/input.csv", "md5": data_dep.md5}],
        "metrics": metrics,
        "policy": {"path": "pipelines/tiny.yaml", "ref": "refs/remotes/origin/main", "commit": head,
                   "blob": policy_blob},
        "ci": {"repository": "acme/credit", "run_id": "812", "run_attempt": "2",
               "actor": "release-bot", "event": "workflow_dispatch",
               "workflow_ref": "acme/credit/.github/workflows/promote.yml@refs/heads/main"},
    }
    assert {k: p[k] for k in expected} == expected
    assert p["time"].endswith("Z")
    assert p["decision"]["passed"] is True
    assert [r["gate"] for r in p["decision"]["results"]] == [
        "metrics recomputed", "validation", "reproducible", "threshold roc_auc",
        "in DVC remote"]
    assert policy_blob == repo.git("rev-parse", "HEAD:pipelines/tiny.yaml")

    # the next record in staging names this one: a hash chain, and a linear ledger
    new_candidate(repo, "second")
    code, second = promote(cli, repo, "--env", "staging", "--push")
    assert code == 0, second
    assert second["record"]["predicate"]["previous"] == digest(record)
    assert second["record"]["predicate"]["seq"] == 2
    entries = assert_registry_whole(repo.origin)
    assert entries[1].parent == entries[0].commit
    assert entries[1].path == "records/00000002-tiny-staging-promote.json"
    assert repo.git("rev-parse", LEDGER_REF) == entries[1].commit
    assert repo.git("status", "--porcelain") == ""  # the ledger was never checked out


BAD_APPROVALS = [
    pytest.param('[{"state": "approved",\n', ":2:1: invalid JSON: Expecting property name "
                 "enclosed in double quotes\n  hint: expected the "
                 "JSON that GitHub's approvals API returns", id="not-json"),
    pytest.param("[" * 5000 + "]" * 5000, ":1:65: nested more than 64 levels deep\n  hint: "
                 "expected the JSON that GitHub's approvals API returns", id="nested-lists"),
    pytest.param('{"a":' * 5000 + "1" + "}" * 5000, ":1:321: nested more than 64 levels "
                 "deep\n  hint: expected the JSON that GitHub's approvals API returns",
                 id="nested-objects"),
    pytest.param(b'[{"state": "approved", "user": {"login": "caf\xe9"}}]', ":1:46: not valid "
                 "UTF-8: byte 0xe9 cannot be decoded\n  hint: save the file as UTF-8",
                 id="not-utf-8"),
    pytest.param('{"approvals": 3}', ":1:15: $.approvals: expected a list, got 3\n  hint: "
                 '[{"state": "approved", "user": {"login": "..."}, "environments": '
                 '[{"name": "production"}]}]', id="not-a-list"),
    pytest.param(None, ": no such file\n  hint: the promote workflow writes it with `gh api`",
                 id="missing"),
    pytest.param('[{"state": "approved", "user": "carol"}]', ":1:32: $[0].user: expected a "
                 "mapping, got 'carol' (a string)\n  hint: \"user\": {\"login\": "
                 "\"...\"}", id="user-not-an-object"),
]


@pytest.mark.parametrize(("content", "message"), BAD_APPROVALS)
def test_bad_approvals_file(repo: Project, cli: Cli, tmp_path: Path,
                            content: str | bytes | None, message: str) -> None:
    path = tmp_path / "approvals.json"
    if content is not None:
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
    before = all_refs(repo.path)
    result = mlgate("promote", "tiny", "--env", "production", "--approvals", str(path),
                    cwd=repo.path)
    assert result.code == 2, result.err
    assert result.err.strip().startswith(f"{path}{message}"), result.err
    assert all_refs(repo.path) == before


def test_promoting_the_same_commit_again_is_a_no_op(repo: Project, cli: Cli) -> None:
    first = cli("promote", "tiny", "--env", "staging", "--push", cwd=repo.path)
    assert first.code == 0, first.out + first.err
    refs = (registry_refs(repo.path), registry_refs(repo.origin))
    for extra in (["--push"], [], ["--dry-run"]):
        again = cli("promote", "tiny", "--env", "staging", *extra, cwd=repo.path)
        assert again.code == 0, again.err
        assert again.out.startswith("tiny v1.0.0 is already in staging (tiny#staging#1, since ")
        assert again.out.endswith("): nothing to do\n")
    code, data = promote(cli, repo, "--env", "staging", "--push")
    assert (code, data["already"], data["tags"], data["version"]) == (
        0, "tiny#staging#1", [], "1.0.0")
    assert (registry_refs(repo.path), registry_refs(repo.origin)) == refs
    assert len(assert_registry_whole(repo.origin)) == 1


def test_a_registry_that_gto_started_on_the_remote(repo: Project, cli: Cli, tmp_path: Path) -> None:
    """The remote has GTO's tags and no ledger yet: they are fetched first, and the
    promotion takes the next version and counter instead of colliding with them."""
    other = tmp_path / "other"
    git("clone", "-q", str(repo.origin), str(other), cwd=tmp_path)
    (other / "NOTES.md").write_text("registered by GTO\n")
    git("add", "-A", cwd=other)
    git("commit", "-q", "-m", "gto's candidate", cwd=other)
    for argv in (["register", "tiny", "--version", "v1.0.0"],
                 ["assign", "tiny", "--version", "v1.0.0", "--stage", "staging"]):
        subprocess.run([*GTO, *argv], cwd=other, check=True, capture_output=True)
    git("push", "-q", "origin", "--tags", cwd=other)

    code, data = promote(cli, repo, "--env", "staging", "--push")
    assert code == 0, data
    assert (data["version"], data["tags"]) == ("1.1.0", ["tiny@v1.1.0", "tiny#staging#2"])
    assert registry_refs(repo.origin).keys() == {
        "refs/tags/tiny@v1.0.0", "refs/tags/tiny#staging#1", "refs/tags/tiny@v1.1.0",
        "refs/tags/tiny#staging#2", LEDGER_REF}
    assert_registry_whole(repo.origin)


def test_an_unpushed_promotion_that_conflicts_with_the_remote_is_refused(
        repo: Project, cli: Cli, tmp_path: Path) -> None:
    """A local-only promotion, then another clone pushes its own v1.0.0: the local
    ledger has diverged from the remote's, and nothing is overwritten on either side."""
    local_only = cli("promote", "tiny", "--env", "staging", cwd=repo.path)
    assert local_only.code == 0, local_only.out + local_only.err
    other = clone(repo, tmp_path, "other")
    new_candidate(other, "the other clone's candidate")
    pushed = mlgate("promote", "tiny", "--env", "staging", "--push", cwd=other.path)
    assert pushed.code == 0, pushed.out + pushed.err
    before = (registry_refs(repo.path), registry_refs(repo.origin))

    result = cli("promote", "tiny", "--env", "staging", "--push", cwd=repo.path)
    assert result.code == 2
    assert result.err.startswith("the local ledger and the remote's have diverged\n"
                                 "  hint: records on the local mlgate/ledger were never pushed")
    assert (registry_refs(repo.path), registry_refs(repo.origin)) == before
    assert_registry_whole(repo.path)
    assert_registry_whole(repo.origin)
