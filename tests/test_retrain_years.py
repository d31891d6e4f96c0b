"""The example's retrain command (stages/retrain_years.py): adds the years the upstream
export holds to data.train_years, keeping the rest of params.yaml as it was."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.project import REPO_ROOT

SCRIPT = REPO_ROOT / "stages" / "retrain_years.py"


def run(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--params", "params.yaml",
                           "--source", "source"], cwd=tmp_path, capture_output=True, text=True,
                          check=False)


def test_adds_the_new_years_and_keeps_comments(tmp_path: Path) -> None:
    (tmp_path / "source").mkdir()
    for year in (2015, 2016, 2017):
        (tmp_path / "source" / f"acs_employment_ma_{year}.parquet").write_bytes(b"")
    text = (REPO_ROOT / "params.yaml").read_text()
    (tmp_path / "params.yaml").write_text(text)
    first = run(tmp_path)
    assert (first.returncode, first.stdout) == (
        0, "retrain: training on 2015, 2016, 2017 (added 2016, 2017)\n")
    assert (tmp_path / "params.yaml").read_text() == text.replace(
        "train_years: [2015]", "train_years: [2015, 2016, 2017]", 1)
    again = run(tmp_path)
    assert (again.returncode, again.stdout) == (0, "retrain: no new year in source\n")
