"""End to end on a real standalone cluster: a master and two workers started on localhost
from the PySpark distribution, `mlgate profile --engine spark --spark-master spark://...`
run as a user runs it (a fresh process), the cluster stopped afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import mlgate
from mlgate.monitor.codec import read_profile
from mlgate.monitor.reader import profile_files
from tests.monitor.spark.compare import assert_same_profile
from tests.monitor.spark.data import table, write
from tests.support.sparkcluster import standalone_cluster

pytestmark = [pytest.mark.spark, pytest.mark.slow]


def test_profile_on_a_two_worker_standalone_cluster(tmp_path: Path) -> None:
    files = write(tmp_path / "data", [table(40_000, 11, 0.3, True), table(20_000, 12)])
    source = str(Path(mlgate.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([source, os.environ.get("PYTHONPATH", "")])}
    with standalone_cluster(tmp_path / "cluster") as url:
        done = subprocess.run(
            [sys.executable, "-m", "mlgate", "profile", "--engine", "spark",
             "--spark-master", url, "--spark-conf", "spark.driver.host=127.0.0.1",
             "--spark-conf", "spark.executor.memory=512m",
             "--spark-conf", "spark.sql.files.maxPartitionBytes=65536",
             str(tmp_path / "data" / "*.parquet"), "--categorical", "code",
             "--score-column", "score", "--out", str(tmp_path / "p.json")],
            env=env, capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr[-3000:]
        # both workers ran executors for it
        assert len(list((tmp_path / "cluster").glob("w*/app-*/*/stderr"))) == 2
    assert_same_profile(read_profile(tmp_path / "p.json"),
                        profile_files(files, categorical=["code"], score_column="score"))
