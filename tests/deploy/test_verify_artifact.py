"""`mlgate verify-artifact TAG`: what the deploy workflow runs, on real registries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.support.project import Project


def verify(cli: Any, project: Project, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("verify-artifact", *args, "--format", "json", cwd=project.path)
    return result.code, json.loads(result.out)


def test_verifies_pulls_and_deploys(cli: Any, promoted: Project, tmp_path: Path) -> None:
    artifact = promoted.path / "model" / "model.bin"
    expected = artifact.read_bytes()
    artifact.unlink()
    code, report = verify(cli, promoted, "tiny#staging#1", "--pull", "--deploy")
    assert code == 0
    assert report["verified"] and report["problems"] == []
    assert (report["model"], report["env"], report["version"]) == ("tiny", "staging", "v1.0.0")
    assert report["actual"] == report["expected"]
    assert report["deploy"] == "deployed: deploy.command succeeded"
    assert (tmp_path / "deployed" / "tiny-staging-v1.0.0.bin").read_bytes() == expected


def test_an_altered_artifact_is_not_deployed(cli: Any, promoted: Project,
                                             tmp_path: Path) -> None:
    (promoted.path / "model" / "model.bin").write_text("not the promoted model\n")
    code, report = verify(cli, promoted, "tiny#staging#1", "--deploy")
    assert code == 1
    assert len(report["problems"]) == 1
    assert report["problems"][0].startswith("model/model.bin: sha256 ")
    assert report["deploy"] == "not deployed"
    assert list((tmp_path / "deployed").iterdir()) == []


def test_a_tag_pushed_by_hand_is_not_deployed(cli: Any, promoted: Project) -> None:
    """A tag whose record is not on the ledger (made up, or copied and edited)."""
    message = promoted.git("tag", "-l", "--format=%(contents)", "tiny#staging#1")
    summary, _, body = message.partition("\n\n")
    record = json.loads(body)
    record["predicate"]["tags"] = ["tiny#staging#7"]
    promoted.git("tag", "-a", "tiny#staging#7", "-m", summary + "\n\n" + json.dumps(record),
                 "tiny#staging#1^{}")
    code, report = verify(cli, promoted, "tiny#staging#7")
    assert code == 1
    assert report["problems"] == ["the record is not on the ledger refs/heads/mlgate/ledger"]

    promoted.git("tag", "tiny#staging#8", "tiny#staging#1^{}")  # as `gto assign` might
    code, report = verify(cli, promoted, "tiny#staging#8")
    assert code == 1
    assert report["problems"] == ["the tag's message carries no deployment record: it was "
                                  "not made by `mlgate promote` or `rollback`"]


def test_a_superseded_tag_is_verified_but_not_deployed(cli: Any, promoted: Project,
                                                       tmp_path: Path) -> None:
    result = cli("retire", "tiny", "--env", "staging", "--reason", "test", cwd=promoted.path)
    assert result.code == 0, result.err
    code, report = verify(cli, promoted, "tiny#staging#1", "--deploy")
    assert (code, report["verified"]) == (0, True)
    assert report["deploy"] == "not deployed: superseded by a retirement"
    assert list((tmp_path / "deployed").iterdir()) == []

    code, report = verify(cli, promoted, "tiny#staging!#2", "--deploy")
    assert (code, report["action"], report["notes"]) == (0, "unassign",
                                                         ["nothing to deploy: the tag's action is unassign"])


def test_not_a_registry_tag(cli: Any, promoted: Project) -> None:
    result = cli("verify-artifact", "v1.0", cwd=promoted.path)
    assert result.code == 2
    assert result.err == ("'v1.0' is not a registry tag\n"
                          "  hint: expected MODEL#ENV#N, as `mlgate promote` writes it\n")
    result = cli("verify-artifact", "tiny#production#3", cwd=promoted.path)
    assert result.code == 2
    assert result.err.startswith("no tag 'tiny#production#3' in this repository\n")


def test_an_ambiguous_ledger_ref_is_refused(cli: Any, promoted: Project, tmp_path: Path
                                            ) -> None:
    # a tag named like the ledger branch would stand in for it: git prefers tags to branches
    promoted.git("tag", "mlgate/ledger", "HEAD")
    result = cli("verify-artifact", "tiny#staging#1", "--deploy", "--ledger", "mlgate/ledger",
                 cwd=promoted.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == ("ambiguous ref 'mlgate/ledger': it names refs/tags/mlgate/ledger "
                          "and refs/heads/mlgate/ledger\n  hint: pass the fully qualified ref "
                          "you mean, e.g. refs/heads/mlgate/ledger; git would silently pick "
                          "one of them\n")
    assert list((tmp_path / "deployed").iterdir()) == []
    code, data = verify(cli, promoted, "tiny#staging#1", "--ledger", "refs/heads/mlgate/ledger")
    assert code == 0, data
