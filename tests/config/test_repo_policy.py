"""pipelines/_policy.yaml: read at a ref (never from the change), schema-checked with
file:line, and never taken for a model."""

from __future__ import annotations

import pytest

from mlgate.config import repo_policy
from mlgate.config.root import declaration_paths
from mlgate.errors import InvalidFile
from tests.support.project import Project

POLICY = """\
floors:
  high:
    every_environment:
      gates:
        - kind: reproducible
    environments:
      production:
        approval: {min_approvers: 2}
records:
  signed: true
  allowed_signers: .github/allowed_signers
"""


def test_read_at_a_ref_not_from_the_working_tree(tiny: Project) -> None:
    assert repo_policy.read_at(tiny.path, "refs/heads/main") is None
    tiny.write(repo_policy.POLICY_FILE, POLICY)
    tiny.commit_all("repository policy")
    tiny.write(repo_policy.POLICY_FILE, "records: {signed: false}\n")  # not committed

    found = repo_policy.read_at(tiny.path, "main")

    assert found is not None
    assert found.ref == "refs/heads/main"
    assert found.source == "refs/heads/main:pipelines/_policy.yaml"
    assert found.records == repo_policy.Records(True, ".github/allowed_signers")
    high = found.floor("high")
    assert high is not None
    assert [f.approval.min_approvers for f in high.binding("production") if f.approval] == [2]
    assert [g.kind for f in high.binding("staging") for g in f.gates] == ["reproducible"]
    assert found.floor("low") is None
    workspace = repo_policy.read_workspace(tiny.path)
    assert workspace is not None and workspace.records == repo_policy.Records(False, None)
    assert all(p.name != "_policy.yaml" for p in declaration_paths(tiny.path))


def test_a_wrong_policy_file_is_refused_with_its_line() -> None:
    raw = b"records:\n  signed: yes\n"
    with pytest.raises(InvalidFile) as caught:
        repo_policy.parse(raw, "pipelines/_policy.yaml")
    assert caught.value.render() == (
        "pipelines/_policy.yaml:2:11: records.signed: expected true or false, got 'yes' "
        "(a string)\n  hint: Tags that carry records must be signed by an allowed signer; "
        "`audit verify` reports those that are not.")


def test_an_empty_policy_file_binds_nothing() -> None:
    found = repo_policy.parse(b"# nothing yet\n", "pipelines/_policy.yaml")
    assert found.floors == {} and found.records == repo_policy.Records()
