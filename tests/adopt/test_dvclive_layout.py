"""A project laid out as DVCLive and DVC 3's templates lay it out: metrics declared at the
top of dvc.yaml (`metrics: [eval/metrics.json]`), written inside `eval/`, a cached
directory output of the evaluate stage, so that git never holds them. `init`, `validate`,
`check` and `promote` read the numbers from the DVC cache, at the working tree and at an
older `--rev`; a metrics file the cache lacks is exit 2 naming the command that brings it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.support.project import Project, make_project

DVC_YAML = """\
stages:
  train:
    cmd: python src/train.py
    deps:
      - src/train.py
      - data/input.csv
    params:
      - train
    outs:
      - model/model.bin
  evaluate:
    cmd: python src/evaluate.py
    deps:
      - src/evaluate.py
      - model/model.bin
      - data/input.csv
    outs:
      - eval
metrics:
  - eval/metrics.json
"""


@pytest.fixture
def live(tmp_path: Path) -> Project:
    project = make_project(tmp_path, "tiny", repro=False)
    project.write("dvc.yaml", DVC_YAML)
    project.dvc("repro", "-q")
    project.commit_all("the DVCLive layout")
    assert "eval" in (project.path / ".gitignore").read_text()  # not in git
    project.push_main()
    project.dvc("push", "-q")
    return project


def observed(cli: Any, project: Project, *args: str) -> float:
    result = cli("check", "tiny", "--env", "staging", "--format", "json", *args,
                 cwd=project.path)
    assert result.code in (0, 1), result.out + result.err
    row = next(r for r in json.loads(result.out)["results"] if r["gate"] == "threshold roc_auc")
    value: float = row["observed"]
    return value


def test_init_finds_the_top_level_metrics(live: Project, cli: Any) -> None:
    (live.path / "pipelines/tiny.yaml").unlink()
    result = cli("init", "--model", "tiny", cwd=live.path)
    assert result.code == 0, result.err
    written = (live.path / "pipelines/tiny.yaml").read_text()
    assert '  files: ["eval/metrics.json"]' in written  # old: "declares no metrics file"
    assert '"roc_auc": higher' in written  # read from eval/, which git does not hold


def test_validate_check_and_promote_read_the_cached_metrics(live: Project, cli: Any) -> None:
    validated = cli("validate", cwd=live.path)
    assert validated.code == 0, validated.out + validated.err
    first = json.loads((live.path / "eval/metrics.json").read_text())["roc_auc"]
    assert observed(cli, live) == first

    params = (live.path / "params.yaml").read_text().replace("quality: 0.8", "quality: 0.9")
    live.write("params.yaml", params)
    live.dvc("repro", "-q")
    live.commit_all("a better model")
    live.push_main()
    live.dvc("push", "-q")
    second = json.loads((live.path / "eval/metrics.json").read_text())["roc_auc"]
    assert second != first
    assert observed(cli, live) == second
    assert observed(cli, live, "--rev", "HEAD~1") == first  # from the cache, at that commit
    older = cli("check", "tiny", "--env", "staging", "--rev", "HEAD~1", cwd=live.path)
    assert older.code == 0, older.out  # reproducible and recomputed: the cache is dvc.lock's

    promoted = cli("promote", "tiny", "--env", "staging", "--push", "--format", "json",
                   cwd=live.path)
    assert promoted.code == 0, promoted.out + promoted.err
    assert json.loads(promoted.out)["record"]["predicate"]["metrics"]["roc_auc"] == second
    # the record is checked against the file inside the cached directory, not a mismatch
    verified = cli("audit", "verify", cwd=live.path)
    assert verified.code == 0, verified.out + verified.err


def test_metrics_missing_from_the_cache_name_the_command(live: Project, cli: Any) -> None:
    params = (live.path / "params.yaml").read_text().replace("quality: 0.8", "quality: 0.9")
    live.write("params.yaml", params)
    live.dvc("repro", "-q")
    live.commit_all("a better model")
    shutil.rmtree(live.path / ".dvc" / "cache")  # as on a fresh clone, before `dvc pull`
    result = cli("check", "tiny", "--env", "staging", "--rev", "HEAD~1", cwd=live.path)
    assert (result.code, result.out) == (2, "")
    assert "eval/metrics.json (in the output eval) at HEAD~1 is not in the local DVC cache" \
        in result.err
    assert "`dvc fetch --all-commits`" in result.err and "`dvc pull`" in result.err
    assert "Traceback" not in result.err


def test_toml_metrics_read_and_flattened_as_dvc_reads_them() -> None:
    from mlgate.config.metricsfile import flatten, lookup, parse_metrics
    from mlgate.errors import InvalidFile

    raw = b'roc_auc = 0.91\n\n[slices.group.a]\nroc_auc = 0.88\n'
    data = parse_metrics(raw, "eval/metrics.toml")
    assert flatten(data) == {"roc_auc": 0.91, "slices.group.a.roc_auc": 0.88}
    assert lookup(data, "slices.group.a.roc_auc") == 0.88
    with pytest.raises(InvalidFile) as bad:
        parse_metrics(b"roc_auc = 0.91\nlog_loss = \n", "eval/metrics.toml")
    assert bad.value.path == "eval/metrics.toml" and bad.value.line == 2
