from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.audit import built, copy
from tests.support.project import Project


@pytest.fixture
def repo(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> Project:
    """A private copy of the session's audited registry (see tests/support/audit.py)."""
    return copy(built(tmp_path_factory), tmp_path / "copy")
