"""Signed records: the repository policy at the default branch requires them, promote signs
its tags with an SSH key made here (`gpg.format ssh`), and `audit verify` checks each tag
that carries a record with `git verify-tag` against the allowed signers of the default
branch: a tag signed by another key, or not signed, is a finding."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import Project, make_project, sh
from tests.support.registry import copy_project

Cli = Callable[..., Any]
SIGNERS = ".github/allowed_signers"
POLICY = f"records:\n  signed: true\n  allowed_signers: {SIGNERS}\n"
TAGS = ["tiny#staging#1", "tiny@v1.0.0"]


def ssh_key(folder: Path, comment: str) -> tuple[Path, str]:
    key = folder / comment
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key), cwd=folder)
    return key, (folder / f"{comment}.pub").read_text().strip()


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Project, Path]:
    """tiny with the policy and its signer on main (pushed), v1.0.0 promoted to staging
    through the CLI with tags signed by the allowed key."""
    base = tmp_path_factory.mktemp("signed")
    project = make_project(base, "tiny")
    project.dvc("push", "-q")
    key, public = ssh_key(base, "release-key")
    project.write(SIGNERS, f'ci@example.com namespaces="git" {public}\n')
    project.write("pipelines/_policy.yaml", POLICY)
    project.commit_all("require signed records")
    project.git("push", "-q", "origin", "main")
    for name, value in {"gpg.format": "ssh", "user.signingKey": str(key),
                        "tag.gpgSign": "true"}.items():
        project.git("config", name, value)
    proc = subprocess.run([sys.executable, "-m", "mlgate", "promote", "tiny", "--env", "staging",
                           "--push"], cwd=project.path, capture_output=True, text=True,
                          check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return project, base


def verify(cli: Cli, repo: Project) -> tuple[int, list[tuple[str, str, str]], list[str]]:
    result = cli("audit", "verify", "--format", "json", cwd=repo.path)
    assert result.code in (0, 1), result.err
    data = json.loads(result.out)
    return (result.code, [(f["kind"], f["where"], f["message"]) for f in data["findings"]],
            data["notes"])


def retag(repo: Project, name: str, *, sign: bool) -> None:
    """The tag made again by hand with the same message (its record), signed or not; made
    anew (deleted first, so no reflog remembers the old one), as a fetch brings it."""
    text = repo.git("cat-file", "tag", name)
    message = text.partition("\n\n")[2].split("-----BEGIN SSH SIGNATURE-----")[0]
    commit = repo.git("rev-parse", f"{name}^{{commit}}")
    repo.git("tag", "-d", name)
    subprocess.run(["git", "-c", f"tag.gpgSign={str(sign).lower()}", "tag",
                    "-s" if sign else "-a", "--cleanup=verbatim", "-F", "-", name, commit],
                   cwd=repo.path, input=message, text=True, check=True, capture_output=True)


def test_tags_signed_by_an_allowed_key_verify(signed: tuple[Project, Path], cli: Cli,
                                              tmp_path: Path) -> None:
    repo = copy_project(signed[0], tmp_path)
    for tag in TAGS:
        assert "-----BEGIN SSH SIGNATURE-----" in repo.git("cat-file", "tag", tag)
    code, found, notes = verify(cli, repo)
    assert (code, found) == (0, [])
    assert notes == ["signatures checked against refs/remotes/origin/main (2 signed tag(s))"]


def test_a_tag_signed_by_another_key_is_a_finding(signed: tuple[Project, Path], cli: Cli,
                                                  tmp_path: Path) -> None:
    """Even when the working tree's allowed-signers file lists that key: only the default
    branch's counts."""
    repo = copy_project(signed[0], tmp_path)
    key, public = ssh_key(tmp_path, "stranger-key")
    repo.git("config", "user.signingKey", str(key))
    retag(repo, "tiny#staging#1", sign=True)
    repo.write(SIGNERS, f'ci@example.com namespaces="git" {public}\n')
    repo.commit_all("trust me")  # on the local main, not the remote's default branch
    code, found, _ = verify(cli, repo)
    assert (code, found) == (1, [("bad_signature", "tiny#staging#1",
                                  f"is not signed by the allowed signers of {SIGNERS} at "
                                  "refs/remotes/origin/main: `git verify-tag tiny#staging#1` "
                                  "tells why")])


def test_an_unsigned_tag_is_a_finding(signed: tuple[Project, Path], cli: Cli,
                                      tmp_path: Path) -> None:
    repo = copy_project(signed[0], tmp_path)
    retag(repo, "tiny@v1.0.0", sign=False)
    code, found, _ = verify(cli, repo)
    assert (code, found) == (1, [("unsigned", "tiny@v1.0.0",
                                  "is not signed, and refs/remotes/origin/main:pipelines/"
                                  "_policy.yaml requires signed records")])


def test_a_missing_allowed_signers_file_is_bad_input(signed: tuple[Project, Path], cli: Cli,
                                                     tmp_path: Path) -> None:
    repo = copy_project(signed[0], tmp_path)
    repo.git("rm", "-q", SIGNERS)
    repo.commit_all("no signers")
    repo.git("push", "-q", "origin", "main")
    result = cli("audit", "verify", cwd=repo.path)
    assert result.code == 2
    assert f"records.allowed_signers: {SIGNERS} does not exist at refs/remotes/origin/main" \
        in result.err
