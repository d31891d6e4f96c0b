"""`mlgate history`: every record, newest first, from a real registry (built by
tests/support/audit.py)."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.audit import built, copy, mlgate
from tests.support.project import Project

GTO = [sys.executable, "-m", "gto.cli"]


@pytest.fixture
def repo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Project:
    return copy(built(tmp_path_factory), tmp_path / "copy")


def history(cli: Any, repo: Project, *args: str) -> list[dict[str, Any]]:
    result = cli("history", *args, "--format", "json", cwd=repo.path)
    assert result.code == 0, result.err
    rows: list[dict[str, Any]] = json.loads(result.out)["history"]
    return rows


def test_every_record_newest_first(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    rows = history(cli, repo)
    assert [(r["seq"], r["action"], r["environment"], r["version"], r["verdict"], r["reason"])
            for r in rows] == [
        (4, "rollback", "staging", "1.0.0", "pass", "latency"),  # the DVC remote holds it
        (3, "promote", "production", "1.1.0", "pass", "better auc"),
        (2, "promote", "staging", "1.1.0", "pass", None),
        (1, "promote", "staging", "1.0.0", "pass", "first"),
    ]
    assert rows[1]["approvals"] == ["risk-officer"]
    assert rows[1]["who"] == "Test Author <author@example.com>"
    assert set(rows[1]["metrics"]) == {"roc_auc", "log_loss"}  # the metrics the gates name
    assert rows[1]["tags"] == ["tiny#production#3"]
    assert rows[3]["tags"] == ["tiny@v1.0.0", "tiny#staging#1"]
    assert all(r["evidence"] == "record" for r in rows)
    times = [r["time"] for r in rows]
    assert times == sorted(times, reverse=True)


def test_the_collector_is_left_as_it_was(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """history pauses the cyclic collector and freezes what it built (gcpause); the CLI's
    funnel unfreezes, so that a caller that goes on, like this test, is left as it was."""
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert history(cli, repo)
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_table(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("history", "tiny", "--env", "production", cwd=repo.path)
    assert result.code == 0
    header, _rule, row = result.out.splitlines()
    assert header.split() == ["time", "(UTC)", "model", "environment", "action", "version",
                              "verdict", "who", "metrics", "reason", "evidence"]
    assert " tiny   production   promote  v1.1.0   pass     Test Author <author@example.com>" \
           "  roc_auc=" in row
    assert row.rstrip().endswith("better auc  ledger")


def test_refusals_are_in_the_history(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    policy = repo.path / "pipelines/tiny.yaml"
    policy.write_text(policy.read_text().replace("min: 0.7", "min: 0.99", 1))
    repo.commit_all("stricter staging")
    repo.git("push", "-q", "origin", "main")
    mlgate("promote", "tiny", "--env", "staging", "--push", cwd=repo.path, expect=1)
    newest = history(cli, repo, "tiny", "--env", "staging")[0]
    assert (newest["action"], newest["verdict"], newest["tags"]) == ("refused", "FAIL", [])


def test_tags_without_records_are_listed_as_tag_only(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    repo.write("NOTES.md", "x\n")
    repo.commit_all("notes")
    for argv in (["register", "tiny", "--version", "v2.0.0"],
                 ["assign", "tiny", "--version", "v2.0.0", "--stage", "production"]):
        subprocess.run([*GTO, *argv], cwd=repo.path, check=True, capture_output=True)
    rows = history(cli, repo, "tiny", "--env", "production")
    assert [(r["action"], r["version"], r["evidence"]) for r in rows] == [
        ("assign", "2.0.0", "tag only"), ("promote", "1.1.0", "record")]


def test_a_registry_made_by_gto_alone(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """No ledger at all, tags as `git tag -a` makes them in GTO's formats (as DVC Studio
    users have): each assignment shows the highest version registered on its commit,
    a deregistered version no longer counts, and the rows are read in one listing."""
    first = tiny.git("rev-parse", "HEAD")
    tiny.write("NOTES.md", "x\n")
    second = tiny.commit_all("notes")
    for name, commit in (("tiny@v1.0.0", first), ("tiny#staging#1", first),
                         ("tiny@v1.1.0", second), ("tiny@v1.2.0", second),
                         ("tiny#staging#2", second), ("tiny@v1.2.0!#3", second),
                         ("tiny#production#4", second)):
        tiny.git("-c", "user.email=gto@example.com", "tag", "-a", name, commit,
                 "-m", f"GTO: {name}")
    rows = history(cli, tiny)  # made in one second: in no particular order
    assert sorted((r["tags"][0], r["action"], r["environment"] or "", r["version"],
                   r["evidence"]) for r in rows) == [
        ("tiny#production#4", "assign", "production", "1.1.0", "tag only"),
        ("tiny#staging#1", "assign", "staging", "1.0.0", "tag only"),
        ("tiny#staging#2", "assign", "staging", "1.1.0", "tag only"),
        ("tiny@v1.0.0", "register", "", "1.0.0", "tag only"),
        ("tiny@v1.1.0", "register", "", "1.1.0", "tag only"),
        ("tiny@v1.2.0", "register", "", "1.2.0", "tag only"),
        ("tiny@v1.2.0!#3", "deregister", "", "1.2.0", "tag only")]


def test_a_registry_with_nothing_yet(tiny: Project, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("history", cwd=tiny.path)
    assert (result.code, result.out) == (
        0, "no history for any model: nothing was promoted, rolled back or retired\n")


@pytest.mark.parametrize(("args", "message"), [
    (["tinny"], "no model named 'tinny' in pipelines/ or in the registry\n"
                "  hint: did you mean 'tiny'? known: tiny\n"),
    (["tiny", "--env", "prod"], "unknown environment 'prod' for model 'tiny'\n"
                                "  hint: did you mean 'production'? known: production, "
                                "staging\n"),
])
def test_bad_input(tiny: Project, cli, args: list[str], message: str) -> None:  # type: ignore[no-untyped-def]
    result = cli("history", *args, cwd=tiny.path)
    assert (result.code, result.out, result.err) == (2, "", message)


def _rebuild_ledger(repo: Project, message: Any) -> None:
    """The same ledger commits (trees, authors, order), with ``message(old) -> new``."""
    parent = None
    for oid in repo.git("rev-list", "--reverse", "mlgate/ledger").split():
        old = repo.git("log", "-1", "--format=%B", oid)
        args = ["commit-tree", f"{oid}^{{tree}}", "-m", message(old)]
        if parent:
            args[2:2] = ["-p", parent]
        parent = repo.git(*args)
    assert parent is not None
    repo.git("update-ref", "refs/heads/mlgate/ledger", parent)


def test_a_ledger_written_before_summaries_gives_the_same_history(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    """Ledger commits carry each record's projection for `history`; commits written without
    one have their records read instead."""
    before = history(cli, repo)
    _rebuild_ledger(repo, lambda old: "\n".join(
        line for line in old.splitlines() if not line.startswith("mlgate-summary: ")))
    assert "mlgate-summary" not in repo.git("log", "--format=%B", "mlgate/ledger")
    after = history(cli, repo)
    ledger_commits = {r["seq"]: r.pop("ledger_commit") for r in after}
    assert ledger_commits.keys() == {1, 2, 3, 4}
    for row in before:
        row.pop("ledger_commit")
    assert after == before


def test_a_nested_key_metric_is_read_from_the_records(repo: Project, cli) -> None:  # type: ignore[no-untyped-def]
    policy = repo.path / "pipelines/tiny.yaml"
    text = policy.read_text().replace(
        "    log_loss: lower\n",
        "    log_loss: lower\n  key: [roc_auc, slices.group.a.roc_auc]\n", 1)
    policy.write_text(text)
    rows = history(cli, repo, "tiny")
    assert all(set(r["metrics"]) == {"roc_auc", "slices.group.a.roc_auc"} for r in rows), rows
