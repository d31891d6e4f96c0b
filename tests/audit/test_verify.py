"""`mlgate audit verify` on a real registry, intact and then tampered with, one way per test.

Each tamper is done as someone with write access would do it (git tag -f, git update-ref,
a ledger rebuilt with mlgate's own plumbing), and each must be found, by kind and place,
with nothing else reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlgate.registry import ledger
from mlgate.registry.ledger import LEDGER_REF, read_entries
from tests.support.audit import append, forged, ledger_head, records, retag, tag_message
from tests.support.project import Project, git

GTO = [sys.executable, "-m", "gto.cli"]


def verify(cli: Any, repo: Project) -> tuple[int, list[tuple[str, str]], dict[str, Any]]:
    result = cli("audit", "verify", "--format", "json", cwd=repo.path)
    assert result.code in (0, 1), result.err
    data = json.loads(result.out)
    return result.code, [(f["kind"], f["where"]) for f in data["findings"]], data


def commit_on_ledger(repo: Project, files: dict[str, bytes], *, parent_of: str | None = None,
                     message: str = "edit") -> str:
    """A ledger commit whose tree is the head's with ``files`` replaced; on top of the head,
    or replacing ``parent_of``'s place (its parent becomes the new commit's parent)."""
    base = parent_of or ledger_head(repo)
    fd, index = tempfile.mkstemp()
    os.close(fd)
    os.unlink(index)
    env = {**os.environ, "GIT_INDEX_FILE": index}

    def run(*args: str, data: bytes | None = None) -> str:
        return subprocess.run(["git", *args], cwd=repo.path, env=env, input=data,
                              capture_output=True, check=True).stdout.decode().strip()

    run("read-tree", base)
    for path, content in files.items():
        blob = run("hash-object", "-w", "--stdin", data=content)
        run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}")
    tree = run("write-tree")
    Path(index).unlink(missing_ok=True)
    parent = repo.git("rev-parse", f"{base}^") if parent_of else base
    commit = run("commit-tree", tree, "-p", parent, "-m", message)
    repo.git("update-ref", LEDGER_REF, commit)
    return commit


def rewrite_ledger(repo: Project, edit: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Rebuild the whole ledger with mlgate's plumbing, each record passed through ``edit``:
    sequence, index and file names stay consistent; only the chain and tags can tell."""
    parent = None
    for entry in read_entries(cwd=repo.path):
        parent = ledger.build_commit(edit(entry.record), parent, cwd=repo.path)
    assert parent is not None
    repo.git("update-ref", LEDGER_REF, parent)


def drop_reflog(repo: Project) -> None:
    """As in a fresh clone of a tampered remote: no local memory of the old ledger."""
    logs = repo.path / ".git" / "logs" / "refs"
    (logs / "heads" / "mlgate" / "ledger").unlink()
    (logs / "remotes" / "origin" / "mlgate" / "ledger").unlink(missing_ok=True)


def commit_of(repo: Project, tag: str) -> str:
    return repo.git("rev-parse", f"{tag}^{{commit}}")


def test_an_intact_registry_verifies(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    code, found, data = verify(cli, repo)
    assert (code, found, data["verdict"]) == (0, [], "intact")
    assert (data["records"], data["tags"]) == (4, 6)
    table = cli("audit", "verify", cwd=repo.path)
    assert table.code == 0
    assert table.out.startswith("audit verify: intact: 4 records on refs/heads/mlgate/ledger (")
    assert table.out.rstrip().endswith("6 registry tags; every check passed")


def test_a_retirement_and_another_rollback_still_verify(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """A retirement unassigns every commit that still counts as assigned: tags on other
    commits than its record's are legitimate."""
    for argv in (["rollback", "tiny", "--env", "staging", "--reason", "back"],
                 ["retire", "tiny", "--env", "staging", "--reason", "gone"],
                 ["retire", "tiny", "--env", "production", "--reason", "gone"]):
        assert cli(*argv, cwd=repo.path).code == 0
    assert verify(cli, repo)[:2] == (0, [])


def test_moved_tag(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    v1 = commit_of(repo, "tiny@v1.0.0")
    retag(repo, "tiny#production#3", v1, tag_message(repo, "tiny#production#3"))
    code, found, data = verify(cli, repo)
    assert (code, found, data["verdict"]) == (1, [("moved_tag", "tiny#production#3")], "altered")
    message = data["findings"][0]["message"]
    assert message.startswith(f"points at {v1[:12]}; its record #3 (promote tiny v1.1.0 to "
                              "production) has ")


def test_moved_tag_with_a_new_message(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    retag(repo, "tiny#production#3", commit_of(repo, "tiny@v1.0.0"), "moved\n")
    assert verify(cli, repo)[1] == [("moved_tag", "tiny#production#3"),
                                    ("disagree", "tiny#production#3")]


def test_deleted_newest_tag(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    repo.git("tag", "-d", "tiny#staging#4")
    code, found, data = verify(cli, repo)
    assert (code, found) == (1, [("deleted_tag", "tiny#staging#4")])
    assert data["findings"][0]["message"] == (
        "is gone, yet #4 (rollback tiny v1.0.0 in staging) names it")


def test_deleted_version_tag(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    repo.git("tag", "-d", "tiny@v1.0.0")
    assert verify(cli, repo)[1] == [("deleted_tag", "tiny@v1.0.0")]


def test_ledger_reset_is_seen_in_the_reflog_and_by_the_tags(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    newest = ledger_head(repo)
    repo.git("update-ref", LEDGER_REF, f"{newest}~1")
    _code, found, data = verify(cli, repo)
    assert found == [("ledger_rewritten", LEDGER_REF), ("disagree", "tiny#staging#4")]
    assert data["findings"][0]["message"] == (
        f"once pointed at {newest[:12]} (rollback tiny v1.0.0 in staging), which is not in its "
        "history now")
    assert data["findings"][1]["message"] == "carries a record that is not on the ledger"
    assert data["notes"] == [f"refs/remotes/origin/mlgate/ledger has records that {LEDGER_REF} "
                             "lacks: fetch them, then verify again"]


def test_ledger_reset_on_the_remote_is_seen_in_a_fresh_clone(repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    repo.git("push", "-q", "-f", "origin", f"{ledger_head(repo)}~1:{LEDGER_REF}")
    clone = tmp_path / "clone"
    git("clone", "-q", str(repo.origin), str(clone), cwd=tmp_path)
    git("fetch", "-q", "origin", f"{LEDGER_REF}:{LEDGER_REF}", cwd=clone)
    assert verify(cli, Project(clone, repo.origin, repo.dvc_remote))[1] == [
        ("disagree", "tiny#staging#4")]


def test_record_edited_in_a_rewritten_ledger(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """Record #2 (v1.1.0 to staging) gets a better roc_auc; the ledger is rebuilt around
    it, consistently numbered and indexed."""
    def edit(record: dict[str, Any]) -> dict[str, Any]:
        if record["predicate"]["seq"] == 2:
            record["predicate"]["metrics"]["roc_auc"] = 0.999
        return record

    rewrite_ledger(repo, edit)
    drop_reflog(repo)
    found = verify(cli, repo)[1]
    assert found == [("broken_chain", "#4 (rollback tiny v1.0.0 in staging)"),
                     ("disagree", "tiny#staging#2"), ("disagree", "tiny@v1.1.0"),
                     ("record_mismatch", "#2 (promote tiny v1.1.0 to staging)"),
                     ("remote", "refs/remotes/origin/mlgate/ledger")]


def test_a_ledger_commit_whose_summary_is_not_its_record(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """`history` reads the summary each ledger commit carries: one that says something else
    than the record (written so, then pushed) is caught."""
    head = ledger_head(repo)
    message = repo.git("log", "-1", "--format=%B", head)
    forged_message = message.replace('"reason":"latency"', '"reason":"routine"')
    assert forged_message != message
    parent = repo.git("rev-parse", f"{head}^")
    commit = repo.git("commit-tree", f"{head}^{{tree}}", "-p", parent, "-m", forged_message)
    repo.git("update-ref", LEDGER_REF, commit)
    repo.git("push", "-q", "-f", "origin", LEDGER_REF)
    repo.git("fetch", "-q", "origin")
    drop_reflog(repo)
    code, found, data = verify(cli, repo)
    assert (code, found) == (1, [("index", f"ledger commit {commit[:12]}")])
    assert data["findings"][0]["message"] == (
        "carries a summary that is not its record's (#4 (rollback tiny v1.0.0 in staging)): "
        "`mlgate history` would show what the record does not say")


def test_record_edited_in_place_by_a_later_commit(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    path = "records/00000002-tiny-staging-promote.json"
    original = repo.git("show", f"{LEDGER_REF}:{path}")
    record = json.loads(original)
    record["predicate"]["approvals"] = ["someone"]
    commit = commit_on_ledger(repo, {path: json.dumps(record).encode()})
    _code, found, data = verify(cli, repo)
    added_by = read_entries(cwd=repo.path)[1].commit
    assert found == [("ledger_edited", f"ledger commit {commit[:12]}"),
                     ("ledger_edited", path),
                     ("broken_chain", "#4 (rollback tiny v1.0.0 in staging)"),
                     ("index", f"ledger commit {added_by[:12]}"),  # its summary: the old record
                     ("disagree", "tiny#staging#2"), ("disagree", "tiny@v1.1.0")]
    assert [f["message"] for f in data["findings"][:2]] == [
        "adds no record: every ledger commit adds one, named on its `mlgate-record:` line",
        f"is not what {added_by[:12]} wrote: its digest then was "
        f"{ledger.digest(json.loads(original))}, now {ledger.digest(record)}"]


def test_broken_hash_chain(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    record = forged(repo, "staging", previous="sha256:" + "0" * 64)
    append(repo, record)
    code, found, data = verify(cli, repo)
    assert (code, found) == (1, [("broken_chain", "#5 (refused tiny v1.0.0 for staging)")])
    assert data["findings"][0]["message"] == (
        f"names previous sha256:{'0' * 64}, but the record before it in tiny/staging, "
        f"#4 (rollback tiny v1.0.0 in staging), has digest {ledger.digest(records(repo)[3])}")


def test_a_gap_in_the_sequence(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    append(repo, forged(repo, "staging", seq=7))
    _code, found, data = verify(cli, repo)
    assert found == [("sequence", "#7 (refused tiny v1.0.0 for staging)")]
    assert data["findings"][0]["message"] == "follows #4: records #5 to #6 are missing"


def test_records_out_of_time_order(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    append(repo, forged(repo, "production", time="2020-01-01T00:00:00Z"))
    _code, found, data = verify(cli, repo)
    assert found == [("time_order", "#5 (refused tiny v1.1.0 for production)")]
    assert data["findings"][0]["message"].startswith(
        "is dated 2020-01-01T00:00:00Z, before #4 (rollback tiny v1.0.0 in staging) (")


def promote_record(repo: Project, tweak: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """A made-up promotion of v1.1.0 to staging, tagged and recorded consistently."""
    record = forged(repo, "production", action="promote", environment="staging",
                    tags=["tiny#staging#5"])
    head = ledger.chain_head("tiny", "staging", cwd=repo.path)
    record["predicate"]["previous"] = head.previous
    tweak(record)
    append(repo, record, [("tiny#staging#5", record["predicate"]["commit"])])
    return record


def test_a_consistent_made_up_promotion_verifies(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """The control for the next test: the forgery helper itself raises nothing."""
    promote_record(repo, lambda record: None)
    assert verify(cli, repo)[:2] == (0, [])


def test_subject_digest_not_in_dvc_lock(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    def swap_artifact(record: dict[str, Any]) -> None:
        record["subject"][0]["digest"] = {"md5": "0" * 32, "sha256": "1" * 64}

    record = promote_record(repo, swap_artifact)
    _code, found, data = verify(cli, repo)
    assert found == [("subject_digest", "#5 (promote tiny v1.1.0 to staging)")]
    commit = record["predicate"]["commit"][:12]
    md5 = json.loads(repo.git("show", f"{LEDGER_REF}~2:records/00000003-tiny-production-"
                                      "promote.json"))["subject"][0]["digest"]["md5"]
    assert data["findings"][0]["message"] == (
        f"model/model.bin: dvc.lock at {commit} has md5 {md5}, the record's subject says "
        f"{'0' * 32}")


def test_a_record_naming_another_output_of_its_commit_as_the_model(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """The predictions file is an output of the same dvc.lock, with its md5 and the cache's
    sha256: every digest agrees with the commit, only the declaration says it is not the
    model that was promoted."""
    import hashlib

    from mlgate.audit.evidence import lock_facts
    from mlgate.plumbing.dvccache import cached_file

    commit = commit_of(repo, "tiny@v1.1.0")
    facts = lock_facts(repo.git("show", f"{commit}:dvc.lock").encode())
    assert facts is not None
    md5 = str(facts.outs["eval/predictions.csv"])
    sha256 = hashlib.sha256(cached_file(repo.path, md5).read_bytes()).hexdigest()

    def other_output(record: dict[str, Any]) -> None:
        record["subject"][0] = {"name": "eval/predictions.csv",
                                "digest": {"md5": md5, "sha256": sha256}}

    promote_record(repo, other_output)
    _code, found, data = verify(cli, repo)
    assert found == [("record_mismatch", "#5 (promote tiny v1.1.0 to staging)")]
    assert data["findings"][0]["message"] == (
        "subject: names 'eval/predictions.csv', but tiny's declaration at the policy's "
        "commit has the artifact 'model/model.bin'")


def test_a_record_naming_a_dvc_lock_that_is_not_its_pipelines(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """`./dvc.lock` reads as the same file, so every digest agrees; the declaration's
    pipeline says which dvc.lock a promotion reads, and the record must name that one."""
    def elsewhere(record: dict[str, Any]) -> None:
        record["predicate"]["dvc_lock"]["path"] = "./dvc.lock"

    promote_record(repo, elsewhere)
    _code, found, data = verify(cli, repo)
    assert found == [("record_mismatch", "#5 (promote tiny v1.1.0 to staging)")]
    assert data["findings"][0]["message"] == (
        "dvc_lock: names './dvc.lock', but tiny's pipeline at the policy's commit is "
        "'dvc.yaml', whose dvc.lock is 'dvc.lock'")


def test_sha256_not_the_cached_artifact(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    def swap_sha(record: dict[str, Any]) -> None:
        record["subject"][0]["digest"]["sha256"] = "1" * 64

    promote_record(repo, swap_sha)
    _code, found, data = verify(cli, repo)
    assert found == [("subject_digest", "#5 (promote tiny v1.1.0 to staging)")]
    assert data["findings"][0]["message"].startswith("model/model.bin: the DVC cache's copy has "
                                                     "sha256 ")


def test_a_sha256_vouched_for_by_other_bytes_in_the_cache_is_found(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """Someone who can push tags and write to the DVC remote records a promotion whose
    sha256 is of other bytes, and puts those bytes under the real md5 (DVC checks nothing
    it fetches): the cache's copy then agreed with the record, which verified."""
    import hashlib

    from mlgate.audit.evidence import lock_facts
    from mlgate.plumbing.dvccache import cached_file

    facts = lock_facts(repo.git("show", f"{commit_of(repo, 'tiny@v1.1.0')}:dvc.lock").encode())
    assert facts is not None
    md5 = str(facts.outs["model/model.bin"])
    other = b'{"quality": 0.3, "rows": 400, "seed": 3, "trained_on": 400}\n'
    cached = cached_file(repo.path, md5)
    cached.chmod(0o644)
    cached.write_bytes(other)
    sha256 = hashlib.sha256(other).hexdigest()

    def vouched(record: dict[str, Any]) -> None:
        record["subject"][0]["digest"]["sha256"] = sha256

    promote_record(repo, vouched)
    _code, found, data = verify(cli, repo)
    assert ("subject_digest", "#5 (promote tiny v1.1.0 to staging)") in found  # was: none
    assert all(f["message"].startswith(f"model/model.bin: the DVC cache's copy under md5 "
                                        f"{md5} is not those bytes, so the record's sha256 ")
               for f in data["findings"])


def test_dvc_lock_digest_not_the_commits(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    def swap_lock(record: dict[str, Any]) -> None:
        record["predicate"]["dvc_lock"]["md5"] = "f" * 32

    promote_record(repo, swap_lock)
    found = verify(cli, repo)[2]["findings"]
    assert [(f["kind"], f["message"].split(" has md5 ")[0]) for f in found] == [
        ("subject_digest", f"dvc.lock at {commit_of(repo, 'tiny@v1.1.0')[:12]}")]


def test_tag_and_ledger_disagree(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """The tag's copy of the record is edited; it still points at the right commit."""
    message = tag_message(repo, "tiny#production#3")
    edited = message.replace('"roc_auc":0.98', '"roc_auc":0.999')
    assert edited != message
    retag(repo, "tiny#production#3", commit_of(repo, "tiny#production#3"), edited)
    _code, found, data = verify(cli, repo)
    assert found == [("disagree", "tiny#production#3")]
    assert data["findings"][0]["message"] == (
        "carries a record that differs from #3 (promote tiny v1.1.0 to production), the "
        "ledger's record naming it")


def test_a_record_copied_onto_another_tag(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    retag(repo, "tiny#production#9", commit_of(repo, "tiny@v1.1.0"),
          tag_message(repo, "tiny#production#3"))
    _code, found, data = verify(cli, repo)
    assert found == [("disagree", "tiny#production#9")]
    assert data["findings"][0]["message"] == (
        "carries #3 (promote tiny v1.1.0 to production), which does not name this tag")


def test_index_disagrees_with_records(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    head = ledger_head(repo)
    message = repo.git("log", "-1", "--format=%B", head)  # names its record, as mlgate's does
    commit_on_ledger(repo, {"index/head.json": b'{"seq": 2}\n'}, parent_of=head, message=message)
    drop_reflog(repo)
    _code, found, data = verify(cli, repo)
    assert found == [("index", "index/head.json"), ("remote", "refs/remotes/origin/mlgate/ledger")]
    assert data["findings"][0]["message"] == (
        "says the last record is #2; the ledger's last is #4")


def test_remote_ledger_diverged(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    other = ledger.build_commit(forged(repo, "staging"), f"{ledger_head(repo)}~1",
                                cwd=repo.path)
    repo.git("update-ref", "refs/remotes/origin/mlgate/ledger", other)
    _code, found, _data = verify(cli, repo)
    # the remote-tracking ref's reflog shows it was set back: the remote was rewritten
    assert found == [("ledger_rewritten", "refs/remotes/origin/mlgate/ledger"),
                     ("remote", "refs/remotes/origin/mlgate/ledger")]


def test_tags_made_by_gto_alone_are_unverified(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    repo.write("NOTES.md", "a commit that mlgate never promoted\n")
    repo.commit_all("notes")
    for argv in (["register", "tiny", "--version", "v2.0.0"],
                 ["assign", "tiny", "--version", "v2.0.0", "--stage", "production"]):
        subprocess.run([*GTO, *argv], cwd=repo.path, check=True, capture_output=True)
    new = sorted(set(repo.git("tag", "--list").splitlines()) - {
        "tiny@v1.0.0", "tiny@v1.1.0", "tiny#staging#1", "tiny#staging#2", "tiny#production#3",
        "tiny#staging#4"})
    assert new == ["tiny#production#5", "tiny@v2.0.0"]
    code, found, data = verify(cli, repo)
    assert (code, found, data["verdict"]) == (
        1, [("unverified", "tiny#production#5"), ("unverified", "tiny@v2.0.0")], "unverified")
    table = cli("audit", "verify", cwd=repo.path).out
    assert table.startswith("audit verify: UNVERIFIED: ")
    assert "made by GTO alone or by hand" in table


def test_several_tampers_are_all_reported(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    repo.git("tag", "-d", "tiny#staging#4")
    retag(repo, "tiny#staging#1", commit_of(repo, "tiny@v1.1.0"),
          tag_message(repo, "tiny#staging#1"))
    append(repo, forged(repo, "production", time="2020-01-01T00:00:00Z"))
    assert [kind for kind, _ in verify(cli, repo)[1]] == ["time_order", "moved_tag",
                                                          "deleted_tag"]


def test_no_ledger_reads_tags_only(tmp_path: Path, cli) -> None:  # type: ignore[no-untyped-def]
    git("init", "-q", cwd=tmp_path)
    (tmp_path / "f").write_text("x")
    git("add", "f", cwd=tmp_path)
    git("commit", "-q", "-m", "x", cwd=tmp_path)
    subprocess.run([*GTO, "register", "churn", "--version", "v0.1.0"], cwd=tmp_path, check=True,
                   capture_output=True)
    result = cli("audit", "verify", cwd=tmp_path)
    assert result.code == 1
    assert result.out.splitlines()[0] == (
        "audit verify: UNVERIFIED: no ledger and no mlgate records (a registry made by GTO "
        "alone), 1 registry tags; 1 finding")


def test_unknown_ledger_ref(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("audit", "verify", "--ledger", "nope", cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == ("unknown ledger ref 'nope'\n  hint: the ledger is the branch "
                          "mlgate/ledger; fetch it with `git fetch origin mlgate/ledger:"
                          "mlgate/ledger`\n")


def test_without_the_ledger_nothing_is_verified(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    repo.git("update-ref", "-d", LEDGER_REF)
    repo.git("update-ref", "-d", "refs/remotes/origin/mlgate/ledger")
    code, found, data = verify(cli, repo)
    assert (code, found, data["verdict"]) == (1, [("unverified", LEDGER_REF)], "unverified")


def test_a_change_undone_after_a_lost_push_race_is_not_a_finding(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """promote --push that loses the race puts the local refs back (publish.undo, whose
    reflog entry says so): the reflog then holds a commit past the ledger's history."""
    from mlgate.registry import publish

    record = forged(repo, "staging", action="promote", tags=["tiny#staging#5"])
    plan = publish.build([(record, [("tiny#staging#5", record["predicate"]["commit"])])],
                         cwd=repo.path)
    publish.apply(plan, cwd=repo.path)
    publish.undo(plan, cwd=repo.path)
    code, found, data = verify(cli, repo)
    assert (code, found, data["notes"]) == (0, [], [])


def test_a_newest_record_removed_by_hand_with_its_tags_is_caught(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    from mlgate.registry import publish

    record = forged(repo, "staging", action="promote", tags=["tiny#staging#5"])
    plan = publish.build([(record, [("tiny#staging#5", record["predicate"]["commit"])])],
                         cwd=repo.path)
    publish.apply(plan, cwd=repo.path)
    repo.git("tag", "-d", "tiny#staging#5")
    repo.git("update-ref", LEDGER_REF, plan.ledger_old or "", plan.ledger_new)
    code, found, _ = verify(cli, repo)
    assert code == 1
    assert ("ledger_rewritten", LEDGER_REF) in [(f[0], f[1]) for f in found]


def test_a_forged_promotion_with_metrics_the_commit_never_had(repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Chain, sequence, index and tags all consistent: only the commit can tell."""
    def better(record: dict[str, Any]) -> None:
        record["predicate"]["metrics"]["roc_auc"] = 0.999
        record["predicate"]["approvals"] = ["someone-who-never-approved"]

    promote_record(repo, better)
    commit = commit_of(repo, "tiny@v1.1.0")[:12]
    message = (f"metrics: roc_auc: eval/metrics.json at {commit} has "
               f"{json.loads(repo.git('show', f'{commit}:eval/metrics.json'))['roc_auc']}, "
               "the record says 0.999")
    _code, found, data = verify(cli, repo)
    assert found == [("record_mismatch", "#5 (promote tiny v1.1.0 to staging)")]
    assert data["findings"][0]["message"] == message
    repo.git("push", "-q", "origin", LEDGER_REF, "tiny#staging#5")
    clone = tmp_path / "clone"
    git("clone", "-q", str(repo.origin), str(clone), cwd=tmp_path)
    git("fetch", "-q", "origin", f"{LEDGER_REF}:{LEDGER_REF}", cwd=clone)
    result = cli("audit", "verify", "--format", "json", cwd=clone)
    assert [(f["kind"], f["message"]) for f in json.loads(result.out)["findings"]] == [
        ("record_mismatch", message)]


@pytest.mark.parametrize(("part", "forge", "said"), [
    ("params", lambda p: p["params"]["params.yaml"]["train"].update(quality=0.99),
     "params: params.yaml.train.quality: dvc.lock at {commit} has 0.85, the record says 0.99"),
    ("data", lambda p: p["data"][0].update(md5="0" * 32),
     "data: {path}: dvc.lock at {commit} has md5 {md5}, the record says " + "0" * 32),
    ("policy", lambda p: p["policy"].update(blob="1" * 40),
     "policy: pipelines/tiny.yaml at {policy} is blob {blob}, the record says " + "1" * 40),
])
def test_forged_params_data_and_policy(repo: Project, cli, part: str,  # type: ignore[no-untyped-def]
                                       forge: Callable[[dict[str, Any]], None], said: str) -> None:
    record = promote_record(repo, lambda r: forge(r["predicate"]))
    pred = records(repo)[2]["predicate"]  # the same commit's genuine record
    _code, found, data = verify(cli, repo)
    assert found == [("record_mismatch", "#5 (promote tiny v1.1.0 to staging)")]
    assert data["findings"][0]["message"] == said.format(
        commit=record["predicate"]["commit"][:12], path=pred["data"][0]["path"],
        md5=pred["data"][0]["md5"], policy=pred["policy"]["commit"][:12],
        blob=pred["policy"]["blob"])


def test_a_rewound_remote_is_seen_by_a_repository_that_had_the_old_ledger(repo: Project, cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Another clone had the whole ledger; the origin's ledger is then force-pushed back
    and its newest tag deleted; the clone fetches as usual."""
    other = tmp_path / "other"
    git("clone", "-q", str(repo.origin), str(other), cwd=tmp_path)
    git("fetch", "-q", "origin", f"{LEDGER_REF}:{LEDGER_REF}", cwd=other)
    newest = ledger_head(repo)
    repo.git("push", "-q", "-f", "origin", f"{newest}~1:{LEDGER_REF}", ":refs/tags/tiny#staging#4")
    git("fetch", "-q", "origin", cwd=other)
    code, found, data = verify(cli, Project(other, repo.origin, repo.dvc_remote))
    tracking = "refs/remotes/origin/mlgate/ledger"
    assert (code, found) == (1, [("ledger_rewritten", tracking), ("remote", tracking)])
    assert data["findings"][0]["message"] == (
        f"once pointed at {newest[:12]} (rollback tiny v1.0.0 in staging), which is not in its "
        "history now: the remote's ledger was set back or rewritten (fetch: forced-update)")
    assert data["findings"][1]["message"] == (
        f"is at {repo.git('rev-parse', newest + '~1')[:12]}, 1 "
        f"record(s) behind {LEDGER_REF} ({newest[:12]}), and it once held records it lacks "
        "now: the remote's ledger was set back")


def test_records_not_pushed_yet_are_a_note_not_a_finding(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    promote_record(repo, lambda record: None)
    code, found, data = verify(cli, repo)
    assert (code, found) == (0, [])
    assert data["notes"] == [
        f"refs/remotes/origin/mlgate/ledger lacks 1 record(s) of {LEDGER_REF}: push them with "
        "their tags (any mlgate command that changes the registry, run with --push, pushes "
        "what is pending first)"]


def test_a_tag_replaced_with_the_same_record_is_seen_in_its_reflog(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """promote made the tag with a reflog; a hand-made copy (same commit, same record,
    another tagger) leaves the old tag object there."""
    name = "tiny#staging#4"
    old = repo.git("rev-parse", f"refs/tags/{name}")
    retag(repo, name, commit_of(repo, name), tag_message(repo, name))
    new = repo.git("rev-parse", f"refs/tags/{name}")
    assert new != old
    code, found, data = verify(cli, repo)
    assert (code, found) == (1, [("moved_tag", name)])
    assert data["findings"][0]["message"] == (
        f"was replaced in this repository: its reflog shows it made as {old[:12]}, it is "
        f"now {new[:12]}")
    repo.git("update-ref", f"refs/tags/{name}", old)  # put back: what it was made as
    assert verify(cli, repo)[:2] == (0, [])


@pytest.mark.parametrize("forged_auc", [None, 0.999])
def test_metrics_kept_by_dvc_are_checked_in_its_cache(repo: Project, cli, forged_auc: float | None) -> None:  # type: ignore[no-untyped-def]
    """A commit whose metrics file git does not hold: its record is checked against the
    DVC cache's copy (the md5 dvc.lock gives it); with no copy here, it is only a note."""
    from mlgate.audit.evidence import lock_facts
    from mlgate.plumbing.dvccache import cached_file

    base = commit_of(repo, "tiny@v1.1.0")
    raw = subprocess.run(["git", "show", f"{base}:eval/metrics.json"], cwd=repo.path,
                         capture_output=True, check=True).stdout
    facts = lock_facts(subprocess.run(["git", "show", f"{base}:dvc.lock"], cwd=repo.path,
                                      capture_output=True, check=True).stdout)
    assert facts is not None
    cached = cached_file(repo.path, str(facts.outs["eval/metrics.json"]))
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_bytes(raw)
    fd, index = tempfile.mkstemp()
    os.close(fd)
    os.unlink(index)
    env = {**os.environ, "GIT_INDEX_FILE": index}
    for args in (["read-tree", base], ["update-index", "--force-remove", "eval/metrics.json"]):
        subprocess.run(["git", *args], cwd=repo.path, env=env, check=True)
    tree = subprocess.run(["git", "write-tree"], cwd=repo.path, env=env, capture_output=True,
                          text=True, check=True).stdout.strip()
    Path(index).unlink()
    commit = repo.git("commit-tree", tree, "-p", base, "-m", "metrics kept by DVC only")

    def at_commit(record: dict[str, Any]) -> None:
        record["predicate"]["commit"] = commit
        if forged_auc is not None:
            record["predicate"]["metrics"]["roc_auc"] = forged_auc

    promote_record(repo, at_commit)
    code, found, data = verify(cli, repo)
    if forged_auc is None:
        assert (code, found, data["notes"][:-1]) == (0, [], [])  # the last: not pushed
    else:
        assert found == [("record_mismatch", "#5 (promote tiny v1.1.0 to staging)")]
        assert data["findings"][0]["message"] == (
            f"metrics: roc_auc: eval/metrics.json at {commit[:12]} has "
            f"{json.loads(raw)['roc_auc']}, the record says 0.999")
    cached.unlink()
    code, found, data = verify(cli, repo)
    assert (code, found, data["notes"][:-1]) == (0, [], [
        "the metrics of 1 record(s) were not checked: their metrics files are not in git and "
        "not in the local DVC cache (`dvc fetch` them, then verify again)"])
