"""With `tag.gpgSign` and an SSH signing key (made here with ssh-keygen), the tags that
promote writes with `git mktag` are signed as `git tag -s` would sign them."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import Project, make_project, sh
from tests.support.registry import GTO, assert_registry_whole, copy_project, tag_record

Cli = Callable[..., Any]
TAGS = ("tiny@v1.0.0", "tiny#staging#1")


@pytest.fixture(scope="module")
def pushed_tiny(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = make_project(tmp_path_factory.mktemp("pushed"), "tiny")
    project.dvc("push", "-q")
    return project


def ssh_key(folder: Path, comment: str) -> tuple[Path, str]:
    key = folder / comment
    sh("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(key), cwd=folder)
    return key, (folder / f"{comment}.pub").read_text().strip()


def test_promoted_tags_are_signed(pushed_tiny: Project, cli: Cli, tmp_path: Path) -> None:
    repo = copy_project(pushed_tiny, tmp_path)
    key, public = ssh_key(tmp_path, "release-key")
    allowed = tmp_path / "allowed_signers"
    allowed.write_text(f'author@example.com namespaces="git" {public}\n')
    for name, value in {"gpg.format": "ssh", "user.signingKey": str(key),
                        "tag.gpgSign": "true",
                        "gpg.ssh.allowedSignersFile": str(allowed)}.items():
        repo.git("config", name, value)

    result = cli("promote", "tiny", "--env", "staging", "--push", cwd=repo.path)
    assert result.code == 0, result.out + result.err
    fingerprint = sh("ssh-keygen", "-l", "-f", f"{key}.pub", cwd=tmp_path).stdout.split()[1]
    for tag in TAGS:
        assert "-----BEGIN SSH SIGNATURE-----" in repo.git("cat-file", "tag", tag)
        verified = sh("git", "tag", "-v", tag, cwd=repo.path)
        assert (f'Good "git" signature for author@example.com with ED25519 key {fingerprint}'
                in verified.stderr)
    # the signature follows the record: mlgate, GTO and the ledger still read it
    assert_registry_whole(repo.path)
    assert tag_record(repo.origin, "tiny#staging#1")["predicate"]["tags"] == list(TAGS)
    shown = json.loads(subprocess.run([*GTO, "show", "--json"], cwd=repo.path, check=True,
                                      capture_output=True, text=True).stdout)
    assert shown["tiny"]["stage"] == {"staging": "v1.0.0"}

    # verification means something: a key the allowed signers do not list is refused
    _, stranger = ssh_key(tmp_path, "stranger-key")
    allowed.write_text(f'author@example.com namespaces="git" {stranger}\n')
    for tag in TAGS:
        assert sh("git", "tag", "-v", tag, cwd=repo.path, check=False).returncode != 0
