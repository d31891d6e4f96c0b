"""JSON in the registry comes from whoever can push a tag or the ledger branch: a record in a
tag message or a ledger index nested thousands deep is read as no record, or refused with
file:line, never a crash (exit 3)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mlgate.registry.ledger import LEDGER_REF, PREDICATE_TYPE
from tests.support.project import Project
from tests.support.registry import all_refs, mlgate

DEEP = "[" * 5000 + "]" * 5000


def test_a_tag_whose_record_is_nested_too_deep_is_a_tag_without_a_record(
        repo: Project, tmp_path: Path) -> None:
    message = tmp_path / "message"
    message.write_text(f'forged\n\n{{"predicateType": "{PREDICATE_TYPE}", "x": {DEEP}}}\n')
    repo.git("tag", "-a", "tiny#production#1", "-F", str(message))
    before = all_refs(repo.path)
    for verb in (["show"], ["history"]):
        result = mlgate(*verb, cwd=repo.path)
        assert (result.code, result.err) == (0, "")
    verified = mlgate("audit", "verify", cwd=repo.path)
    assert (verified.code, verified.err) == (1, "")
    assert ("unverified  tiny#production#1  a tag with no deployment record: made by GTO "
            "alone or by hand, so there is nothing to verify it against") in verified.out
    assert all_refs(repo.path) == before


def _replace_in_ledger(repo: Project, path: str, content: Path, scratch: Path) -> None:
    """A ledger commit, made with plumbing as a forger would, that rewrites ``path``."""
    blob = repo.git("hash-object", "-w", str(content))
    env = {**os.environ, "GIT_INDEX_FILE": str(scratch / "index")}
    for argv in (["read-tree", LEDGER_REF],
                 ["update-index", "--cacheinfo", f"100644,{blob},{path}"]):
        subprocess.run(["git", *argv], cwd=repo.path, env=env, check=True)
    tree = subprocess.run(["git", "write-tree"], cwd=repo.path, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()
    forged = repo.git("commit-tree", tree, "-p", LEDGER_REF, "-m", "forged index")
    repo.git("update-ref", LEDGER_REF, forged)


def test_a_ledger_index_nested_too_deep_is_refused(repo: Project, tmp_path: Path) -> None:
    """The index files are read to chain the next record on; a forged one stops promote."""
    index = "index/tiny/staging.json"
    (tmp_path / "deep.json").write_text(DEEP)
    _replace_in_ledger(repo, index, tmp_path / "deep.json", tmp_path)
    before = all_refs(repo.path)
    result = mlgate("promote", "tiny", "--env", "staging", cwd=repo.path)
    assert (result.code, result.err) == (
        2, f"{LEDGER_REF}:{index}:1:65: nested more than 64 levels deep\n"
           "  hint: the ledger was not written by mlgate; `mlgate audit verify` says where\n")
    assert all_refs(repo.path) == before
