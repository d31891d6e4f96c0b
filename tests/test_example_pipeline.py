"""The example pipeline on real ACS data reproduces byte for byte from a fresh clone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.project import REPO_ROOT, dvc, git

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO_ROOT / ".git").exists():
        pytest.fail("the example tests need this repository's git history (a clone)")
    dest = tmp_path_factory.mktemp("example") / "mlgate"
    git("clone", "-q", str(REPO_ROOT), str(dest), cwd=REPO_ROOT)
    return dest


def test_repro_force_reproduces_every_md5_in_dvc_lock(clone: Path) -> None:
    committed = (clone / "dvc.lock").read_bytes()
    dvc("repro", "--force", "-q", cwd=clone)
    assert (clone / "dvc.lock").read_bytes() == committed
    assert git("status", "--porcelain", cwd=clone) == ""  # metrics.json identical too
    assert json.loads(dvc("status", "--json", cwd=clone)) == {}


def test_validate_and_run_on_the_example(clone: Path, cli) -> None:  # type: ignore[no-untyped-def]
    result = cli("validate", cwd=clone)
    assert (result.code, result.out) == (
        0, "pipelines/employment.yaml: ok (employment; staging -> production)\n")
    result = cli("run", "employment", "--format", "json", cwd=clone)
    assert result.code == 0, result.err
    metrics = json.loads(result.out)["employment"]
    committed = json.loads((clone / "evaluation/metrics.json").read_text())
    assert metrics["roc_auc"] == committed["roc_auc"]
    assert metrics["roc_auc"] > 0.85
