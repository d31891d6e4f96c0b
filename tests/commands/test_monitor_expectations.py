"""`mlgate monitor`: expectations of the data as policy (volume, age, labels, slices,
the validation date) and alerts routed by cause, in a real DVC repo."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.support.project import Project, make_project, sh

F = "pipelines/scored.yaml"
ROUTED = ("  on_alert:\n    schema: [open_issue, rollback]\n    drift: [retrain]\n"
          "    performance: [open_issue]\n")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("monitored"), "monitored")


@pytest.fixture
def own(project: Project, tmp_path: Path) -> Project:
    return project.working_copy(tmp_path / "work")


def declare(project: Project, monitoring: str, *, review: str | None = None,
            production: str = "") -> None:
    """Replace on_alert (and what follows) of the monitoring section with ``monitoring``."""
    text = (project.path / F).read_text()
    text = text[:text.index("  on_alert:")] + monitoring
    if review is not None:
        text = text[:text.index("review:")] + review + text[text.index("artifact:"):]
    if production:
        text = text.replace("    - name: production\n", "    - name: production\n" + production)
    project.write(F, text)


def batch(project: Project, out: Path, *args: str, times: datetime | None = None) -> Path:
    sh(sys.executable, "src/make_data.py", "--rows", "5000", "--seed", "2", *args, "--out",
       str(out), cwd=project.path)
    if times is not None:  # every row a minute apart, the newest at `times`
        table = pq.read_table(out)
        stamps = [times - timedelta(minutes=table.num_rows - 1 - i)
                  for i in range(table.num_rows)]
        pq.write_table(table.append_column("ts", pa.array(stamps, pa.timestamp("us", "UTC"))),
                       out)
    return out


def monitor(cli: Any, project: Project, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("monitor", "scored", *args, "--format", "json", cwd=project.path)
    assert result.code in (0, 1), result.out + result.err
    return result.code, json.loads(result.out)


def test_a_schema_break_and_drift_take_their_own_routes(own: Project, tmp_path: Path,
                                                        cli: Any) -> None:
    declare(own, ROUTED)
    broken = batch(own, tmp_path / "b.csv", "--rename", "x=x_value", "--recode-prefix", "c_")
    code, report = monitor(cli, own, "--current", str(broken))
    assert (code, report["causes"]) == (1, ["schema", "drift"])
    assert report["route"] == {"schema": ["open_issue", "rollback"], "drift": ["retrain"]}
    assert report["actions"] == ["open_issue", "retrain", "rollback"]
    assert {"cause": "schema", "level": "alert", "why": "missing column x"} in \
        report["findings"]
    assert report["on_alert"]["empty"] == []  # a cause not named: no action
    summary = cli("monitor", "scored", "--current", str(broken), "--format", "markdown",
                  cwd=own.path).out
    assert "- `schema` (missing column x) → `open_issue`, `rollback`" in summary
    assert "- `drift` (feature drift: color) → `retrain`" in summary

    shifted = batch(own, tmp_path / "s.parquet", "--shift", "0.5")
    code, report = monitor(cli, own, "--current", str(shifted))
    assert (code, report["causes"], report["actions"]) == (1, ["drift"], ["retrain"])

    worse = batch(own, tmp_path / "w.parquet", "--flip", "0.35")  # inputs stable, labels noisy
    code, report = monitor(cli, own, "--current", str(worse))
    assert (code, report["causes"], report["actions"]) == (1, ["performance"], ["open_issue"])
    text = cli("monitor", "scored", "--current", str(worse), cwd=own.path).out.splitlines()
    assert text[-3:] == ["route: performance -> open_issue", "verdict: alert",
                         "action on alert: open_issue"]


def test_volume_and_empty_batches(own: Project, tmp_path: Path, cli: Any) -> None:
    declare(own, "  volume: {min_rows: 6000, max_rows: 10000}\n  on_alert:\n"
                 "    data: [open_issue]\n    empty: [none]\n")
    code, report = monitor(cli, own, "--current", str(batch(own, tmp_path / "a.parquet")))
    assert (code, report["causes"], report["route"]) == (1, ["volume"],
                                                         {"volume": ["open_issue"]})
    assert report["findings"] == [{"cause": "volume", "level": "alert", "why": (
        "5000 rows, fewer than the 6000 expected (monitoring.volume.min_rows)")}]
    code, report = monitor(cli, own, "--current",
                           str(batch(own, tmp_path / "b.parquet", "--rows", "10001")))
    assert report["findings"][0]["why"] == (
        "10001 rows, more than the 10000 expected (monitoring.volume.max_rows)")
    code, report = monitor(cli, own, "--current",
                           str(batch(own, tmp_path / "c.parquet", "--rows", "0")))
    assert (code, report["causes"], report["route"], report["actions"]) == (
        1, ["empty"], {"empty": []}, [])  # routed to no action: the run still alerts


def test_a_late_batch_by_its_time_column(own: Project, tmp_path: Path, cli: Any) -> None:
    declare(own, "  time_column: ts\n  max_age: 2d\n  on_alert: {late: [open_issue]}\n")
    now = datetime.now(UTC)
    fresh = batch(own, tmp_path / "fresh.parquet", times=now - timedelta(hours=1))
    code, report = monitor(cli, own, "--current", str(fresh))
    assert (code, report["causes"]) == (0, [])
    assert "ts" not in [f["column"] for f in report["features"]]  # never a feature
    newest = now - timedelta(days=3)
    old = batch(own, tmp_path / "old.parquet", times=newest)
    code, report = monitor(cli, own, "--current", str(old))
    assert (code, report["causes"], report["actions"]) == (1, ["late"], ["open_issue"])
    [late] = report["findings"]
    assert late["why"].startswith(f"the newest row is from {newest.isoformat()}, 3d 0h old")
    assert late["why"].endswith("more than 2d (monitoring.max_age)")


def test_required_labels_alert_once_they_are_due(own: Project, tmp_path: Path,
                                                 cli: Any) -> None:
    declare(own, "  time_column: ts\n  labels: {expected: required, max_delay: 30d}\n"
                 "  on_alert: {missing: [open_issue]}\n")
    now = datetime.now(UTC)
    recent = batch(own, tmp_path / "recent.parquet", "--drop", "y", times=now)
    code, report = monitor(cli, own, "--current", str(recent))
    assert (code, report["causes"]) == (0, [])
    assert any(n.startswith("no labels yet; due 30d after the oldest row") for n in
               report["notes"])
    stale = batch(own, tmp_path / "stale.parquet", "--drop", "y",
                  times=now - timedelta(days=40))
    code, report = monitor(cli, own, "--current", str(stale))
    assert (code, report["causes"], report["actions"]) == (1, ["missing"], ["open_issue"])
    labelled = batch(own, tmp_path / "labelled.parquet", times=now - timedelta(days=40))
    assert monitor(cli, own, "--current", str(labelled))[0] == 0


def record_slices(own: Project) -> None:
    """The model's metrics record a roc_auc per color (red's far above what it can reach in
    production); the policy judges per-slice gaps (max 0.1, at least 50 rows) and routes an
    alert to an issue."""
    metrics = json.loads((own.path / "eval/metrics.json").read_text())
    overall = metrics["roc_auc"]
    metrics["slices"] = {"color": {c: {"roc_auc": overall} for c in ("blue", "green", "grey")}}
    metrics["slices"]["color"]["red"] = {"roc_auc": 0.999}  # far above what red can reach
    own.write("eval/metrics.json", json.dumps(metrics))
    own.commit_all("slices recorded")
    declare(own, "  performance:\n    metric: roc_auc\n    max_gap: 0.5\n"
                 "    slices: {max_gap: 0.1, min_rows: 50}\n  on_alert: [open_issue]\n",
            production="      gates:\n        - {kind: slices, column: color, metric: roc_auc,"
                       " min: 0.5}\n")
    text = (own.path / F).read_text()
    own.write(F, text.replace("  performance:\n    metric: roc_auc\n    max_gap: 0.02\n", ""))


def test_per_slice_performance_against_the_recorded_slices(own: Project, tmp_path: Path,
                                                           cli: Any) -> None:
    record_slices(own)
    code, report = monitor(cli, own, "--current", str(batch(own, tmp_path / "b.parquet")))
    assert (code, report["causes"]) == (1, ["performance"]), report
    levels = {s["value"]: s["level"] for s in report["slices"]}
    assert levels["red"] == "alert" and set(levels) == {"blue", "green", "grey", "red"}
    assert [f["why"].split(":")[0] for f in report["findings"]] == [
        "roc_auc in color = red"]


def test_validation_warns_ahead_and_alerts_once_lapsed_while_serving(
        own: Project, tmp_path: Path, cli: Any) -> None:
    own.dvc("push", "-q")
    assert cli("promote", "scored", "--env", "production", cwd=own.path).code == 0
    today = datetime.now(UTC).date()
    soon = f'review:\n  last_validated: "{today - timedelta(days=300)}"\n' \
           f'  valid_until: "{today + timedelta(days=10)}"\n'
    declare(own, "  on_alert: {validation: [open_issue]}\n", review=soon)
    data = str(batch(own, tmp_path / "b.parquet"))
    code, report = monitor(cli, own, "--current", data)
    assert (code, report["findings"]) == (0, [{"cause": "validation", "level": "warn", "why": (
        f"the model's validation ends {today + timedelta(days=10)}, in 10 days")}])
    lapsed = f'review:\n  last_validated: "{today - timedelta(days=400)}"\n' \
             f'  valid_until: "{today - timedelta(days=1)}"\n'
    declare(own, "  on_alert: {validation: [open_issue]}\n", review=lapsed)
    code, report = monitor(cli, own, "--current", data)
    assert (code, report["causes"], report["actions"]) == (1, ["validation"], ["open_issue"])
    assert report["findings"][0]["why"] == (
        f"the model's validation lapsed after {today - timedelta(days=1)} and it still serves")
    code, report = monitor(cli, own, "--env", "staging", "--current", data)  # not serving
    assert (code, report["findings"][0]["level"]) == (0, "warn")
