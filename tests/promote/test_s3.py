"""Promotion against an S3 DVC remote: moto's S3 server on 127.0.0.1, started here.

A production tag must never point at data that cannot be pulled: promote refuses while
the artifact is only local, passes after `dvc push` (for the working tree and for a
commit named with --rev), and a fresh clone checked out at
the assignment tag pulls the very bytes the record names.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.support.project import Project, git, make_project
from tests.support.registry import assert_registry_whole, sha256_file, tag_record

Cli = Callable[..., Any]
BUCKET = "models"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def s3_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local S3 server with one empty bucket; dummy credentials, no metadata probes."""
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1",
                        "AWS_EC2_METADATA_DISABLED": "true"}.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE",
                 "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(name, raising=False)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=BUCKET)
        yield endpoint
    finally:
        server.stop()


@pytest.mark.slow
def test_promote_with_an_s3_remote(s3_endpoint: str, cli: Cli, tmp_path: Path) -> None:
    project: Project = make_project(tmp_path, "tiny")
    project.dvc("remote", "add", "-d", "s3", f"s3://{BUCKET}/tiny")
    project.dvc("remote", "modify", "s3", "endpointurl", s3_endpoint)
    project.commit_all("DVC remote on S3")
    project.git("push", "-q", "origin", "main")

    refused = cli("promote", "tiny", "--env", "staging", "--format", "json", cwd=project.path)
    assert refused.code == 1, refused.out + refused.err
    row = next(r for r in json.loads(refused.out)["decision"]["results"]
               if r["gate"] == "in DVC remote")
    assert (row["observed"], row["why"]) == (
        "missing", "not in the remote: eval/predictions.csv (new), model/model.bin (new); "
                   "run `dvc push`")

    # the same question about a commit, asked through DVC's API (--rev)
    at_rev = cli("promote", "tiny", "--env", "staging", "--rev", "HEAD", "--dry-run",
                 "--format", "json", cwd=project.path)
    assert at_rev.code == 1, at_rev.out + at_rev.err
    row = next(r for r in json.loads(at_rev.out)["decision"]["results"]
               if r["gate"] == "in DVC remote")
    assert (row["observed"], row["why"].split(" (md5 ")[0]) == (
        "missing", "not in the remote: model/model.bin")

    project.dvc("push", "-q")
    at_rev = cli("promote", "tiny", "--env", "staging", "--rev", "HEAD", "--dry-run",
                 cwd=project.path)
    assert at_rev.code == 0, at_rev.out + at_rev.err
    passed = cli("promote", "tiny", "--env", "staging", "--push", cwd=project.path)
    assert passed.code == 0, passed.out + passed.err
    assert "tags:   tiny@v1.0.0, tiny#staging#1" in passed.out
    record = tag_record(project.origin, "tiny#staging#1")
    assert_registry_whole(project.origin)
    assert not any(project.dvc_remote.iterdir())  # the S3 remote, not the local one, has it

    fresh = tmp_path / "fresh"
    git("clone", "-q", str(project.origin), str(fresh), cwd=tmp_path)
    git("checkout", "-q", "tiny#staging#1", cwd=fresh)
    Project(fresh, project.origin, project.dvc_remote).dvc("pull", "-q")
    pulled = fresh / record["subject"][0]["name"]
    assert sha256_file(pulled) == record["subject"][0]["digest"]["sha256"]
    assert sha256_file(pulled) == sha256_file(project.path / "model" / "model.bin")
