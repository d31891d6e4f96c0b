"""One judging path: `check`, `report` and `promote` give the same gate rows for one
candidate, since all three judge through :func:`mlgate.gates.judge.judge`.

The candidate here meets every kind of gate that reads the repository, its predictions
and the registry: reproducible, threshold, a bootstrap confidence bound, slices,
no_regression against what production serves, and `requires` with the staging history.
Only what a promotion alone has (its approvers, the DVC remote's answer) may differ.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlgate.gates.judge import AT_PROMOTION

POLICY = """\
name: tiny
description: A fast stand-in model for tests.
owner: {name: Test Team, email: test@example.com}
risk_tier: low
intended_use: Tests only.
review: {last_validated: "2026-01-01", interval_days: 3650}
artifact: model/model.bin
metrics:
  files: [eval/metrics.json]
  directions: {roc_auc: higher, log_loss: lower}
predictions:
  path: eval/predictions.csv
promotion:
  environments:
    - name: staging
      gates:
        - kind: reproducible
    - name: production
      requires: {environment: staging}
      approval: {min_approvers: 1}
      gates:
        - kind: reproducible
        - {kind: threshold, metric: roc_auc, min: 0.6}
        - {kind: confidence, metric: roc_auc, min: 0.55, level: 0.9, resamples: 200, seed: 3,
           min_samples: 20}
        - {kind: slices, column: group, metric: roc_auc, min: 0.5, max_gap: 0.5, min_size: 5}
        - {kind: no_regression, metric: roc_auc, tolerance: 0.2}
        - {kind: no_regression, metric: log_loss, tolerance: 0.5, relative: true}
"""

ROW = ("gate", "kind", "index", "observed", "expected", "passed", "why", "details")


def rows(results: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The rows every judge gives, in order: a promotion's own evidence aside, and the
    time in staging (read at each command's own moment) left out of `requires`."""
    return [tuple(r[k] for k in ROW if r["kind"] != "requires" or k not in ("observed", "why"))
            for r in results if r["kind"] not in ("approval", "remote")]


def test_check_report_and_promote_judge_alike(tiny: Any, cli: Any, tmp_path: Path) -> None:
    tiny.write("pipelines/tiny.yaml", POLICY)
    tiny.commit_all("a policy with every gate kind that reads the candidate")
    tiny.push_main()
    tiny.dvc("push", "-q")
    approvals = tmp_path / "approvals.json"
    approvals.write_text(json.dumps({"author": "dana", "approvals": [
        {"state": "approved", "user": {"login": "carol"},
         "environments": [{"name": "production"}]}]}))
    for env in ("staging", "production"):  # an incumbent in production
        done = cli("promote", "tiny", "--env", env, "--approvals", str(approvals), cwd=tiny.path)
        assert done.code == 0, done.out + done.err
    params = tiny.path / "params.yaml"
    params.write_text(params.read_text().replace("seed: 3", "seed: 4"))
    tiny.dvc("repro", "-q")
    tiny.commit_all("a new candidate")
    tiny.push_main()
    tiny.dvc("push", "-q")
    done = cli("promote", "tiny", "--env", "staging", cwd=tiny.path)
    assert done.code == 0, done.out + done.err

    check = cli("check", "tiny", "--env", "production", "--format", "json", cwd=tiny.path)
    report = cli("report", "tiny", "--base", "main", "--env", "production", "--format", "json",
                 cwd=tiny.path)
    promote = cli("promote", "tiny", "--env", "production", "--dry-run", "--format", "json",
                  "--approvals", str(approvals), cwd=tiny.path)
    checked = json.loads(check.out)["results"]
    [reported_env] = json.loads(report.out)["environments"]
    reported = reported_env["gates"]
    promoted = json.loads(promote.out)["decision"]["results"]

    assert rows(checked) == rows(reported) == rows(promoted)
    kinds = [r["kind"] for r in checked]
    assert kinds == ["recomputed", "validation", "requires", "reproducible", "threshold",
                     "confidence", "slices",
                     "no_regression", "no_regression", "approval"]
    assert all(r["passed"] for r in promoted), promoted
    assert [r["kind"] for r in promoted if r["kind"] in AT_PROMOTION] == \
        ["requires", "approval", "remote"]
    regression = [r for r in checked if r["kind"] == "no_regression"]
    assert [r["details"]["incumbent_version"] for r in regression] == ["1.0.0", "1.0.0"], regression
