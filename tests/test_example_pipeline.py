"""The example pipeline on real ACS data reproduces byte for byte from a fresh clone, and its
out-of-time holdout comes from the committed validation remote, with no row any training
configuration can read."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from tests.support.project import REPO_ROOT, dvc, git

pytestmark = pytest.mark.slow

HOLDOUT = "data/holdout/acs_employment_ma_2018.parquet"
HOLDOUT_DVC = HOLDOUT + ".dvc"


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (REPO_ROOT / ".git").exists():
        pytest.fail("the example tests need this repository's git history (a clone)")
    dest = tmp_path_factory.mktemp("example") / "mlgate"
    git("clone", "-q", str(REPO_ROOT), str(dest), cwd=REPO_ROOT)
    # the validators' holdout, as README tells a newcomer to bring it: no network
    dvc("pull", "-q", "-r", "validation", HOLDOUT_DVC, cwd=dest)
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


def test_the_holdout_is_out_of_reach_of_training(clone: Path) -> None:
    holdout = pq.read_table(clone / HOLDOUT)
    assert holdout.num_rows == 14_027
    held = set(holdout.column("id").to_pylist())
    assert len(held) == holdout.num_rows
    sources = sorted((clone / "data/source").glob("*.parquet"))
    assert [p.name for p in sources] == [f"acs_employment_ma_{y}.parquet"
                                         for y in (2015, 2016, 2017, 2018)]
    for path in sources:  # all that `prepare` (any train_years) and the retrain command read
        assert held.isdisjoint(pq.read_table(path, columns=["id"]).column("id").to_pylist())
    assert pq.read_table(clone / "data/source/acs_employment_ma_2018.parquet").num_rows \
        + holdout.num_rows == 70_131  # 2018, as data/source/README.md tells


def test_evaluate_scores_the_candidate_on_the_holdout(clone: Path, cli) -> None:  # type: ignore[no-untyped-def]
    dvc("repro", "-q", cwd=clone)  # the model, when the repro test did not run first
    result = cli("evaluate", "employment", "--format", "json", cwd=clone)
    assert result.code == 0, result.err
    found = json.loads(result.out)
    record = found["evaluation"]
    assert (record["rows"], record["holdout"]["path"]) == (14_027, HOLDOUT)
    assert 0.85 < record["candidate"]["metrics"]["roc_auc"] < 1
    assert found["paired"] == []  # nothing serves production in a fresh clone
