"""Drift monitoring: mergeable reference profiles, streaming readers, drift statistics.

Pure numpy/pyarrow; nothing here prints. Typical use::

    reference = read_profile("data/reference-profile.json")
    current = profile_files("batches/2024-06-*.parquet", score_column="score")
    report = compare(reference, current)
    report.verdict(VerdictRule.at_least(2))  # "ok" | "warn" | "alert"
"""

from mlgate.monitor.codec import dumps, from_dict, loads, read_profile, to_dict, write_profile
from mlgate.monitor.distance import Level, Thresholds, jensen_shannon, psi, worst
from mlgate.monitor.drift import (
    DriftConfig,
    DriftReport,
    FeatureDrift,
    SchemaIssue,
    Statistic,
    VerdictRule,
    categorical_drift,
    column_drift,
    compare,
    logical_type,
    numeric_drift,
    schema_checks,
    verdict,
)
from mlgate.monitor.reader import expand_paths, iter_batches, profile_files
from mlgate.monitor.sketch import Sketch
from mlgate.monitor.summaries import (
    CategoricalSummary,
    ColumnSummary,
    NumericSummary,
    Profile,
    merge,
    merge_all,
    profile_table,
)

__all__ = [
    "CategoricalSummary",
    "ColumnSummary",
    "DriftConfig",
    "DriftReport",
    "FeatureDrift",
    "Level",
    "NumericSummary",
    "Profile",
    "SchemaIssue",
    "Sketch",
    "Statistic",
    "Thresholds",
    "VerdictRule",
    "categorical_drift",
    "column_drift",
    "compare",
    "dumps",
    "expand_paths",
    "from_dict",
    "iter_batches",
    "jensen_shannon",
    "loads",
    "logical_type",
    "merge",
    "merge_all",
    "numeric_drift",
    "profile_files",
    "profile_table",
    "psi",
    "read_profile",
    "schema_checks",
    "to_dict",
    "verdict",
    "worst",
    "write_profile",
]
