"""`history`'s memo (.git/mlgate/history-memo): read back when nothing its rows were made
from has changed, extended by new ledger commits, and made anew from git otherwise; in
every case `history` says what `history --no-cache` says. A registry built by
tests/support/audit.py (four records), and one made by GTO alone."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from mlgate.audit import history_memo
from mlgate.audit.timeline import EPOCH
from tests.support.audit import append, built, copy, forged, ledger_head, mlgate
from tests.support.project import Project

MEMO = Path(".git/mlgate/history-memo")
VARIANTS = ([], ["--format", "json"], ["--events", "promotion"], ["--events", "monitoring"],
            ["tiny", "--env", "production"], ["tiny", "--format", "json"])


@pytest.fixture
def repo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Project:
    return copy(built(tmp_path_factory), tmp_path / "copy")


def history(repo: Project, *args: str) -> str:
    return mlgate("history", *args, cwd=repo.path).stdout


def same_as_git(repo: Project) -> None:
    """Every variant of `history` says what `--no-cache` (rows made from git, the memo
    neither read nor written) says."""
    memo = (repo.path / MEMO).read_bytes() if (repo.path / MEMO).exists() else None
    made = [history(repo, *args, "--no-cache") for args in VARIANTS]
    assert ((repo.path / MEMO).read_bytes() if (repo.path / MEMO).exists() else None) == memo
    for args, from_git in zip(VARIANTS, made, strict=True):
        assert history(repo, *args) == from_git, args


def header(repo: Project) -> dict[str, Any]:
    key: dict[str, Any] = json.loads((repo.path / MEMO).read_bytes().split(b"\n", 1)[0])
    return key


def edit_memo(repo: Project, old: str, new: str) -> None:
    """Change text in the memo's cells, as anyone who can write .git could."""
    path = repo.path / MEMO
    data = path.read_bytes()
    assert data.count(old.encode()) >= 1
    path.write_bytes(data.replace(old.encode(), new.encode()))


def test_the_memo_is_read_back_and_says_what_git_says(repo: Project) -> None:
    assert not (repo.path / MEMO).exists()
    made = history(repo)
    assert header(repo)["head"] == ledger_head(repo)  # written by the first whole reading
    assert history(repo) == made
    same_as_git(repo)
    # read back, not made again: text changed in it shows (the memo is not evidence; git
    # is, and `--no-cache` reads git alone)
    edit_memo(repo, "better auc", "EDITED")
    assert "EDITED" in history(repo) and "EDITED" not in history(repo, "--no-cache")


def test_new_ledger_commits_extend_the_memo(repo: Project) -> None:
    history(repo)
    edit_memo(repo, "better auc", "EDITED")  # marks the rows kept: still there if extended
    append(repo, forged(repo, "production", reason="a new record"))
    shown = history(repo)
    assert "a new record" in shown and "EDITED" in shown
    assert header(repo)["head"] == ledger_head(repo)
    assert shown.splitlines()[2].rstrip().endswith("a new record  ledger")


@pytest.mark.parametrize("first", [[], ["--format", "json"], ["--events", "monitoring"]])
def test_an_extended_memo_says_what_git_says(repo: Project, first: list[str]) -> None:
    """Extended by one commit, then by two more (read back, extended, written: the rows
    read back and those added must both be kept), whichever `history` extends it."""
    history(repo)
    append(repo, forged(repo, "production", reason="one"))
    history(repo, *first)
    same_as_git(repo)
    append(repo, forged(repo, "production", reason="two"))
    append(repo, forged(repo, "staging", reason="three"))
    history(repo, *first)
    assert header(repo)["head"] == ledger_head(repo)
    same_as_git(repo)
    rows = json.loads(history(repo, "--format", "json"))["history"]
    assert [r["reason"] for r in rows[:3]] == ["three", "two", "one"]


def test_a_rewritten_ledger_is_read_again(repo: Project) -> None:
    """A ledger whose head no longer continues the memo's (reset to an older commit, as
    someone rewriting it would) has every row made from git again."""
    history(repo)
    edit_memo(repo, "better auc", "EDITED")
    repo.git("update-ref", "refs/heads/mlgate/ledger", "mlgate/ledger~1")
    shown = history(repo)
    # the rollback's record is in its tag's message only now
    assert "EDITED" not in shown and "latency     tag, not on the ledger" in shown
    assert header(repo)["head"] == ledger_head(repo)
    same_as_git(repo)


def test_a_record_file_removed_from_the_ledger_is_read_again(repo: Project) -> None:
    """A commit that removes a record's file: the record is no longer in the trail (as
    `audit verify` reports), so the memo's row of it must not be shown either."""
    history(repo)
    edit_memo(repo, "better auc", "EDITED")
    work = repo.path.parent / "ledger-work"
    repo.git("worktree", "add", "-q", str(work), "mlgate/ledger")
    first = sorted(p.name for p in (work / "records").iterdir())[0]
    repo.git("-C", str(work), "rm", "-q", f"records/{first}")
    repo.git("-C", str(work), "commit", "-q", "-m", "remove a record")
    repo.git("worktree", "remove", str(work))
    shown = history(repo)
    # seq 1's record is in its tags' messages only now
    assert "EDITED" not in shown and "first       tag, not on the ledger" in shown
    same_as_git(repo)


def test_a_tag_no_record_names_is_shown(repo: Project) -> None:
    history(repo)
    repo.git("tag", "-a", "tiny#production#9", "HEAD", "-m", "made by hand")
    shown = history(repo, "tiny", "--env", "production")
    assert "tag only" in shown.splitlines()[2]
    same_as_git(repo)


def test_other_key_metrics_make_the_rows_again(repo: Project) -> None:
    history(repo)
    policy = repo.path / "pipelines/tiny.yaml"
    policy.write_text(policy.read_text().replace(
        "    log_loss: lower\n", "    log_loss: lower\n  key: [log_loss]\n", 1))
    rows = json.loads(history(repo, "--format", "json"))["history"]
    assert all(set(r["metrics"]) == {"log_loss"} for r in rows), rows
    same_as_git(repo)


@pytest.mark.parametrize("damage", [
    lambda data: data[: len(data) // 2],  # cut short
    lambda data: b"not a memo\n" + data,
    lambda data: data.replace(b'"format":1', b'"format":0', 1),  # another format's
    lambda data: data.replace(b'"made_by":"', b'"made_by":"0', 1),  # other code's
    lambda data: data.rsplit(b"\n", 1)[0] + b"\n[]",  # no row's values
])
def test_a_damaged_or_foreign_memo_is_passed_over(repo: Project, damage: Any) -> None:
    made = history(repo)
    path = repo.path / MEMO
    path.write_bytes(damage(path.read_bytes()))
    assert history(repo) == made
    assert history(repo) == made  # the memo, written again
    same_as_git(repo)


def test_a_registry_made_by_gto_alone(tiny: Project) -> None:
    """No ledger: the memo is named by the tags (names and object ids); a new tag, or a
    tag moved to another commit, makes the rows again."""
    first = tiny.git("rev-parse", "HEAD")
    tiny.write("NOTES.md", "x\n")
    second = tiny.commit_all("notes")
    for name, commit in (("tiny@v1.0.0", first), ("tiny#staging#1", first),
                         ("tiny@v1.1.0", second), ("tiny#staging#2", second)):
        tiny.git("tag", "-a", name, commit, "-m", f"GTO: {name}")
    made = history(tiny)
    assert header(tiny)["kind"] == "tags"
    assert history(tiny) == made
    edit_memo(tiny, "tag only", "EDITED")
    assert "EDITED" in history(tiny)  # read back
    tiny.git("tag", "-a", "tiny#production#3", second, "-m", "GTO: production")
    shown = history(tiny)
    assert "EDITED" not in shown and "production" in shown
    tiny.git("tag", "-f", "-a", "tiny#production#3", first, "-m", "GTO: moved")
    assert history(tiny) == history(tiny, "--no-cache")
    assert "v1.0.0" in history(tiny).splitlines()[2]
    same_as_git(tiny)


def test_values_json_would_change_leave_no_memo(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    memo = history_memo.Memo({"format": history_memo.FORMAT})
    row = dict.fromkeys(history_memo.ROW_KEYS, "")
    row.update(tags=[], metrics={"roc_auc": math.nan})
    memo.extend([((EPOCH, 0), row)], [["cell"]])
    history_memo.keep(tmp_path, memo)
    assert not (tmp_path / MEMO).exists()
    for fine, value in ((False, [{"deep": [math.inf]}]), (True, [{"deep": [0.5]}]),
                        (True, 0.5)):
        row["metrics"] = {"roc_auc": value}
        memo.values[0] = [row[k] for k in history_memo.ROW_KEYS]
        history_memo.keep(tmp_path, memo)
        assert (history_memo.recall(tmp_path) is not None) is fine, value
