"""One real local Spark (``local[2]``) per test process, shared by every Spark test in it:
starting a JVM costs seconds, a test milliseconds."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        session = (SparkSession.builder.master("local[2]").appName("mlgate-tests")
                   .config("spark.ui.enabled", "false")
                   .config("spark.ui.showConsoleProgress", "false")
                   .config("spark.log.level", "ERROR")
                   .config("spark.sql.shuffle.partitions", "4")
                   # small splits: several partitions per file, so merging is exercised
                   .config("spark.sql.files.maxPartitionBytes", str(64 << 10))
                   .config("spark.sql.files.openCostInBytes", str(16 << 10))
                   .getOrCreate())
    yield session
    session.stop()
