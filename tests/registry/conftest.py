"""Fixtures the registry's fault tests share: a promotion with a past, and a candidate."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.project import Project, make_project
from tests.support.registry import PROMOTE, copy_project, mlgate, new_candidate


@pytest.fixture(scope="module")
def staged_tiny(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """tiny with v1.0.0 in staging, pushed: origin has a ledger, a chain with a past."""
    project = make_project(tmp_path_factory.mktemp("staged"), "tiny")
    project.dvc("push", "-q")
    first = mlgate(*PROMOTE, cwd=project.path)
    assert first.code == 0, first.out + first.err
    return project


@pytest.fixture
def repo(staged_tiny: Project, tmp_path: Path) -> Project:
    """A private copy of ``staged_tiny`` with a new candidate for v1.1.0 committed."""
    project = copy_project(staged_tiny, tmp_path)
    new_candidate(project, "a candidate for v1.1.0")
    return project
