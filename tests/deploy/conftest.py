"""The deploy tests' project: tiny, declaring a deploy command, promoted to staging."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.project import Project

DEPLOY = """deploy:
  command: cp "$MLGATE_ARTIFACT" "$DEPLOY_TO/$MLGATE_MODEL-$MLGATE_ENV-$MLGATE_VERSION.bin"
"""


@pytest.fixture
def promoted(tiny: Project, cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Project:
    """tiny, declaring a deploy command (it copies the artifact into $DEPLOY_TO), promoted
    to staging (tag tiny#staging#1) and pushed with its DVC objects."""
    tiny.write("pipelines/tiny.yaml", (tiny.path / "pipelines/tiny.yaml").read_text() + DEPLOY)
    tiny.commit_all("deploy command")
    tiny.push_main()
    tiny.dvc("push", "-q")
    result = cli("promote", "tiny", "--env", "staging", "--push", cwd=tiny.path)
    assert result.code == 0, result.out + result.err
    (tmp_path / "deployed").mkdir()
    monkeypatch.setenv("DEPLOY_TO", str(tmp_path / "deployed"))
    return tiny
