"""The batch's oldest and newest time in Spark, read as the local engine reads each kind
of time column (real Parquet files, a real local Spark)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mlgate.errors import MlgateError
from mlgate.monitor.expectations import time_range as local_range

pytestmark = pytest.mark.spark

NEWEST = datetime(2026, 11, 30, 23, 59, 58, 123456, tzinfo=UTC)
STAMPS = [NEWEST - timedelta(hours=7 * i) for i in range(40)]


@pytest.mark.parametrize("column", [
    pa.array(STAMPS, pa.timestamp("us", "UTC")),
    pa.array(STAMPS, pa.timestamp("us", "Europe/Paris")),
    pa.array([s.replace(tzinfo=None) for s in STAMPS], pa.timestamp("us")),  # naive: UTC
    pa.array([s.date() for s in STAMPS], pa.date32()),
    pa.array([s.isoformat() for s in STAMPS[:20]] + [None] * 20),  # ISO 8601 with offsets
    pa.array([s.replace(tzinfo=None).isoformat() for s in STAMPS]),  # naive text: UTC
], ids=["utc", "zoned", "naive", "date", "text", "naive-text"])
def test_the_time_range_equals_the_local_engine(spark: Any, tmp_path: Path,
                                                column: pa.Array) -> None:
    from mlgate.monitor.spark.session import read_data
    from mlgate.monitor.spark.times import time_range

    paths = []
    for i in range(2):  # rows split over files, one with the newest row
        paths.append(tmp_path / f"p{i}.parquet")
        pq.write_table(pa.table({"ts": column[i * 20:(i + 1) * 20]}), paths[-1])
    found = time_range(read_data(spark, [str(p) for p in paths], None, None), "ts")
    expected = local_range(paths, "ts")
    assert found is not None and expected is not None
    assert found == expected  # the same instants
    if column.type != pa.date32():
        assert found[1] == NEWEST


def test_a_time_column_of_numbers_is_exit_2(spark: Any, tmp_path: Path) -> None:
    from mlgate.monitor.spark.session import read_data
    from mlgate.monitor.spark.times import time_range

    pq.write_table(pa.table({"ts": [1.5, 2.5]}), tmp_path / "b.parquet")
    with pytest.raises(MlgateError, match="the time column 'ts' holds double, not times"):
        time_range(read_data(spark, [str(tmp_path / "b.parquet")], None, None), "ts")
