"""`mlgate profile/monitor --engine spark` through the CLI, in a real repo: the same
verdicts and statistics as the local engine, labels joined in Spark, and Spark's errors
as exit 2 with the cause in one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlgate.monitor.codec import read_profile
from tests.commands.test_monitor import make_batch
from tests.monitor.spark.compare import assert_close, assert_same_profile
from tests.support.project import Project, make_project

pytestmark = pytest.mark.spark


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return make_project(tmp_path_factory.mktemp("monitored"), "monitored")


def _close(a: Any, b: Any) -> None:
    """Equal; floats to 1e-9 (moments merge in another order, statistics follow)."""
    assert_close(a, b, relative=1e-9, floats=None)


def _both(cli: Any, project: Project, *args: str) -> tuple[dict[str, Any], dict[str, Any]]:
    local = cli("monitor", "scored", *args, "--format", "json", cwd=project.path)
    spark = cli("monitor", "scored", *args, "--format", "json", "--engine", "spark",
                cwd=project.path)
    assert (spark.code, spark.err) == (local.code, local.err)
    ours, theirs = json.loads(spark.out), json.loads(local.out)
    ours["current"].pop("files")
    theirs["current"].pop("files")
    return ours, theirs


def test_monitor_verdicts_and_statistics_equal_the_local_engine(
        spark: Any, project: Project, tmp_path: Path, cli: Any) -> None:
    same = make_batch(project, tmp_path / "same" / "b.parquet", "--rows", "20000", "--seed", "2")
    ours, theirs = _both(cli, project, "--current", str(same))
    _close(ours, theirs)
    assert ours["verdict"] == "ok" and ours["performance"]["labelled_rows"] == 20000
    # planted: x moved, labels half random (the gap), colours recoded; labels in a file
    batches = tmp_path / "shifted"
    make_batch(project, batches / "a.parquet", "--rows", "15000", "--seed", "3", "--shift",
               "0.7", "--flip", "0.5", "--recode-prefix", "new-", "--drop", "y",
               "--labels-out", str(tmp_path / "labels.parquet"))
    make_batch(project, batches / "b.parquet", "--rows", "5000", "--seed", "4", "--shift", "0.7",
               "--drop", "y")
    ours, theirs = _both(cli, project, "--current", str(batches / "*.parquet"),
                         "--labels", str(tmp_path / "labels.parquet"))
    _close(ours, theirs)
    assert ours["verdict"] == "alert"
    assert ours["performance"]["level"] == "alert"
    assert (ours["performance"]["labelled_rows"], ours["performance"]["unlabelled_rows"]) == \
        (15000, 5000)


def test_profile_command_on_spark_writes_the_local_profile(
        spark: Any, project: Project, tmp_path: Path, cli: Any) -> None:
    batch = make_batch(project, tmp_path / "b" / "b.parquet", "--rows", "30000", "--seed", "5")
    common = ("--score-column", "score", "--exclude", "id,y")
    local = cli("profile", str(batch), "--out", str(tmp_path / "l.json"), *common, cwd=tmp_path)
    on_spark = cli("profile", "--engine", "spark", str(tmp_path / "b" / "*.parquet"),
                   "--out", "s.json", *common, cwd=tmp_path)
    assert (local.code, on_spark.code) == (0, 0), on_spark.err
    assert_same_profile(read_profile(tmp_path / "s.json"), read_profile(tmp_path / "l.json"))
    where = cli("profile", "--engine", "spark", str(batch), "--where", "color = 'red'",
                "--out", "w.json", "--format", "json", cwd=tmp_path)
    assert where.code == 0, where.err
    red = read_profile(tmp_path / "w.json").columns["color"]
    assert dict(red.counts) == {"red": red.count} and red.count > 5000  # type: ignore[union-attr]


@pytest.mark.parametrize(("args", "message"), [
    (["missing/*.parquet"], "cannot read"),
    (["{batch}", "--columns", "nope"], "--columns names 'nope', which is not a column"),
    (["{batch}", "--where", "nope > 1"], "nope"),
    (["--table", "no_such_table"], "no_such_table"),
    (["{batch}", "--spark-conf", "novalue"], "--spark-conf 'novalue' is not KEY=VALUE"),
])
def test_spark_errors_are_exit_2_in_one_line(spark: Any, project: Project, tmp_path: Path,
                                             cli: Any, args: list[str], message: str) -> None:
    batch = make_batch(project, tmp_path / "b.parquet", "--rows", "100", "--seed", "6")
    result = cli("profile", "--engine", "spark", *[a.format(batch=batch) for a in args],
                 "--out", "p.json", cwd=tmp_path)
    assert result.code == 2, result.err
    first = result.err.splitlines()[0]
    assert message in first and "Traceback" not in result.err and "at org.apache" not in \
        result.err, result.err
    assert not (tmp_path / "p.json").exists()


def test_spark_options_need_the_spark_engine(project: Project, tmp_path: Path, cli: Any) -> None:
    result = cli("monitor", "scored", "--table", "t", cwd=project.path)
    assert result.code == 2 and "--table needs --engine spark" in result.err


def test_no_java_is_exit_2_saying_how_to_get_it(tmp_path: Path) -> None:
    """A fresh process (no session yet) whose JAVA_HOME points nowhere and whose PATH has
    no java."""
    env = {**os.environ, "JAVA_HOME": str(tmp_path / "no-java"), "PATH": os.path.dirname(
        sys.executable)}
    done = subprocess.run([sys.executable, "-m", "mlgate", "profile", "--engine", "spark",
                           "x.parquet", "--out", "p.json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[0].endswith("cannot start Spark: no Java (JAVA_HOME unset "
                                                 "or wrong, no `java` on PATH)")
    assert "Java 17 or later" in done.stderr
