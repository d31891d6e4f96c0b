"""`mlgate monitor --engine spark` runs the same monitoring policy as the local engine,
through the CLI in real repos: a multiclass (wine) and a regression (diabetes) model's
performance gap, a per-slice gap and an overdue batch give the same verdicts, findings and
statistics on both engines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.csv as pcsv
import pyarrow.parquet as pq
import pytest

from tests.commands.test_monitor_expectations import F, batch, declare, record_slices
from tests.monitor.spark.compare import assert_close
from tests.support.project import Project, make_project
from tests.support.tasks import declare as declare_task
from tests.support.tasks import production_batch

pytestmark = pytest.mark.spark


def both(cli: Any, project: Project, model: str, *args: str) -> tuple[int, dict[str, Any]]:
    """The Spark run's exit code and report, checked equal to the local run's (floats to
    1e-9: sums merge in another order; the files read differ by name only)."""
    local = cli("monitor", model, *args, "--format", "json", cwd=project.path)
    spark = cli("monitor", model, *args, "--format", "json", "--engine", "spark",
                cwd=project.path)
    assert local.code in (0, 1), local.out + local.err
    assert (spark.code, spark.err) == (local.code, local.err)
    ours, theirs = json.loads(spark.out), json.loads(local.out)
    ours["current"].pop("files")
    theirs["current"].pop("files")
    assert_close(ours, theirs, relative=1e-9, floats=None)
    return spark.code, ours


@pytest.mark.slow
@pytest.mark.parametrize(("name", "metric"), [("wine", "accuracy"), ("diabetes", "rmse")])
def test_task_models_gap_equals_the_local_engine(tmp_path: Path, cli: Any, name: str,
                                                 metric: str) -> None:
    project = make_project(tmp_path, name)
    assert cli("init", cwd=project.path).code == 0
    declare_task(project, name)
    assert cli("promote", name, "--env", "staging", "--push", cwd=project.path).code == 0
    scored, labels = production_batch(project, name, tmp_path)
    for path in (scored, labels):  # Spark reads Parquet
        pq.write_table(pcsv.read_csv(path), path.with_suffix(".parquet"))
    _, report = both(cli, project, name, "--current", str(scored.with_suffix(".parquet")),
                        "--labels", str(labels.with_suffix(".parquet")), "--env", "staging")
    perf = report["performance"]
    assert (perf["metric"], perf["level"]) == (metric, "ok")
    assert perf["labelled_rows"] > 20 and perf["production"] is not None
    # the label column in the batch instead of a file: the same figures again
    rows = pq.read_table(scored.with_suffix(".parquet")).join(
        pq.read_table(labels.with_suffix(".parquet")), "id")
    inline = tmp_path / "inline" / "batch.parquet"
    inline.parent.mkdir()
    pq.write_table(rows, inline)
    assert both(cli, project, name, "--current", str(inline), "--env",
                "staging")[1]["performance"]["production"] == pytest.approx(perf["production"],
                                                                           rel=1e-12)


@pytest.fixture(scope="module")
def monitored(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("monitored"), "monitored")


@pytest.fixture
def own(monitored: Project, tmp_path: Path) -> Project:
    return monitored.working_copy(tmp_path / "work")


def test_a_per_slice_gap_alerts_on_both_engines(own: Project, tmp_path: Path,
                                                cli: Any) -> None:
    record_slices(own)
    code, report = both(cli, own, "scored", "--current",
                        str(batch(own, tmp_path / "b" / "b.parquet")))
    assert (code, report["causes"]) == (1, ["performance"])
    levels = {s["value"]: s["level"] for s in report["slices"]}
    assert levels == {"blue": "ok", "green": "ok", "grey": "ok", "red": "alert"}
    assert [f["why"].split(":")[0] for f in report["findings"]] == ["roc_auc in color = red"]


def test_an_overdue_batch_is_late_on_both_engines(own: Project, tmp_path: Path,
                                                  cli: Any) -> None:
    declare(own, "  time_column: ts\n  max_age: 2d\n  on_alert: {late: [open_issue]}\n")
    now = datetime.now(UTC)
    fresh = batch(own, tmp_path / "fresh" / "b.parquet", times=now - timedelta(hours=1))
    assert both(cli, own, "scored", "--current", str(fresh))[0] == 0
    newest = now - timedelta(days=3)
    old = batch(own, tmp_path / "old" / "b.parquet", times=newest)
    code, report = both(cli, own, "scored", "--current", str(old))
    assert (code, report["causes"], report["actions"]) == (1, ["late"], ["open_issue"])
    [late] = report["findings"]
    assert late["why"].startswith(f"the newest row is from {newest.isoformat()}, 3d 0h old")


def test_labels_due_without_a_declared_gap_on_both_engines(own: Project, tmp_path: Path,
                                                           cli: Any) -> None:
    """No monitoring.performance: whether labels arrived is still counted, in Spark too."""
    declare(own, "  time_column: ts\n  labels: {expected: required, max_delay: 30d}\n"
                 "  on_alert: {missing: [open_issue]}\n")
    text = (own.path / F).read_text()
    own.write(F, text.replace("  performance:\n    metric: roc_auc\n    max_gap: 0.02\n", ""))
    old = datetime.now(UTC) - timedelta(days=40)
    labelled = batch(own, tmp_path / "labelled" / "b.parquet", times=old)
    assert both(cli, own, "scored", "--current", str(labelled))[0] == 0
    unlabelled = batch(own, tmp_path / "unlabelled" / "b.parquet", "--drop", "y", times=old)
    code, report = both(cli, own, "scored", "--current", str(unlabelled))
    assert (code, report["causes"]) == (1, ["missing"])
