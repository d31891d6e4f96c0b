"""`make demo`'s script plays the whole lifecycle on the real data, from a fresh clone.

The clone holds only what is committed, so the demo cannot lean on files that exist
only in a developer's checkout.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.project import REPO_ROOT, git

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def played(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], Path]:
    if not (REPO_ROOT / ".git").exists():
        pytest.fail("the demo test needs this repository's git history (a clone)")
    base = tmp_path_factory.mktemp("demo")
    clone = base / "mlgate"
    git("clone", "-q", str(REPO_ROOT), str(clone), cwd=REPO_ROOT)
    sandbox = base / "sandbox"
    proc = subprocess.run([sys.executable, "scripts/demo.py", "--dir", str(sandbox)],
                          cwd=clone, capture_output=True, text=True, check=False)
    return proc, sandbox


def test_the_demo_runs_to_the_end(played: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, _ = played
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    for n in range(1, 6):
        assert f"[{n}/5] " in proc.stdout
    assert "Done in " in proc.stdout


def test_the_story_is_in_the_registry(played: tuple[subprocess.CompletedProcess[str], Path], cli) -> None:  # type: ignore[no-untyped-def]
    proc, sandbox = played
    assert proc.returncode == 0, proc.stderr[-3000:]
    project = sandbox / "project"
    shown = json.loads(cli("show", "--format", "json", cwd=project).out)["models"]["employment"]
    assert shown["latest"] == "v1.1.0"
    assert shown["environments"]["staging"]["version"] == "v1.1.0"
    production = shown["environments"]["production"]
    assert (production["version"], production["action"]) == ("v1.0.0", "rollback")
    # the remote has what the local repo has: every change was pushed
    local = git("for-each-ref", "--format=%(refname) %(objectname)", "refs/tags",
                "refs/heads/mlgate", cwd=project)
    remote = git("for-each-ref", "--format=%(refname) %(objectname)", "refs/tags",
                 "refs/heads/mlgate", cwd=sandbox / "origin.git")
    assert local == remote


def test_the_reports_tell_the_story(played: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    proc, sandbox = played
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = sandbox / "reports"
    ok = json.loads((reports / "monitor-2016" / "monitor.json").read_text())
    assert ok["verdict"] == "ok"
    alert = json.loads((reports / "monitor-schema-change" / "monitor.json").read_text())
    assert alert["verdict"] == "alert"
    issues = {(s["kind"], s["column"]) for s in alert["schema"]}
    assert ("missing_column", "AGEP") in issues
    assert "rolled back" in (reports / "rollback.txt").read_text()
    assert (alert["causes"], alert["route"]["schema"]) == (["schema", "drift"],
                                                          ["open_issue", "rollback"])
    lapsed = (reports / "promote-lapsed.txt").read_text()
    assert "REFUSED" in lapsed and "lapsed 2025-11-01" in lapsed


def test_the_pull_request_report_and_the_audit(played: tuple[subprocess.CompletedProcess[str], Path], cli) -> None:  # type: ignore[no-untyped-def]
    proc, sandbox = played
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = sandbox / "reports"
    pr = (reports / "pr-report.md").read_text()
    assert pr.splitlines()[0] == "### :white_check_mark: `employment` would pass `production`"
    assert "with v1.0.0, now in `production`" in pr
    assert "data.train_years" in pr  # the params diff
    # main's scorer on main's holdout judged both models on the same rows, and so did
    # the promotion (README: the example's holdout)
    assert "#### Independent evaluation" in pr
    assert "- `roc_auc` on the same 14,027 holdout rows: candidate " in pr
    promoted = (reports / "promote-2-production.txt").read_text()
    assert "roc_auc on the same 14,027 holdout rows: candidate " in promoted
    assert "independent evaluation: `roc_auc` on the same 14,027 holdout rows" in proc.stdout
    # the rollback is recorded with its reason, on the ledger an auditor clones
    auditor = sandbox / "auditor"
    rows = json.loads(cli("history", "employment", "--env", "production", "--events",
                          "promotion", "--format", "json", cwd=auditor).out)["history"]
    assert [(r["action"], r["version"]) for r in rows] == [
        ("rollback", "1.0.0"), ("promote", "1.1.0"), ("promote", "1.0.0")]
    assert rows[0]["reason"].startswith("2018 feed: SCHL re-coded and AGEP renamed upstream")
    reproduced = (reports / "reproduce.txt").read_text()
    # the pipeline's digests and every number of the independent evaluation, re-scored
    assert reproduced.rstrip().endswith("identical: 138 digests reproduced exactly")
    diff = (reports / "audit-diff.txt").read_text()
    assert "params.yaml:data.train_years  [2015]  [2015, 2016]" in diff
    inventory = (reports / "inventory.txt").read_text().splitlines()
    assert inventory[2].split()[:1] == ["employment"] and "v1.1.0" in inventory[2]


def test_monitoring_is_on_the_ledger(played: tuple[subprocess.CompletedProcess[str], Path], cli) -> None:  # type: ignore[no-untyped-def]
    """Each monitoring run of production is a record an auditor's clone holds, naming the
    version that served: three years of v1.0.0, then the schema change on v1.1.0, whose
    alert the rollback followed."""
    proc, sandbox = played
    assert proc.returncode == 0, proc.stderr[-3000:]
    auditor = sandbox / "auditor"
    rows = json.loads(cli("history", "employment", "--env", "production", "--events",
                          "monitoring", "--format", "json", cwd=auditor).out)["history"]
    assert [(r["version"], r["verdict"]) for r in rows] == [
        ("1.1.0", "ALERT"), ("1.0.0", "ok"), ("1.0.0", "ok"), ("1.0.0", "ok")]
    assert rows[0]["reason"] == "route: drift -> retrain; schema -> open_issue, rollback"
    assert "monitor" in (sandbox / "reports" / "monitoring-history.txt").read_text()
    export = json.loads((sandbox / "reports" / "audit" / "audit.json").read_text())
    (alert,) = export["alerts"]
    assert alert["followed_by"]["action"] == "rollback"
    assert export["verification"]["verdict"] == "intact"


def test_the_readme_says_what_monitoring_found(played: tuple[subprocess.CompletedProcess[str], Path]) -> None:
    """README's table of the real 2016-2018 batches is what the demo's monitoring finds."""
    proc, sandbox = played
    assert proc.returncode == 0, proc.stderr[-3000:]
    readme = (REPO_ROOT / "README.md").read_text().splitlines()
    rows = [line.strip("|").split("|") for line in readme
            if line.startswith(("| 2016 |", "| 2017 |", "| 2018 |"))]
    assert len(rows) == 3
    for year, count, verdict, auc, drift in ([c.strip() for c in row] for row in rows):
        assert (f"{year}: {count} rows, verdict {verdict}: production roc_auc {auc} vs "
                f"0.9067 recorded; largest drift {drift}") in proc.stdout
    [recoded] = [line for line in readme if line.startswith("| 2018, `SCHL` re-coded")]
    alert = json.loads((sandbox / "reports" / "monitor-schema-change" / "monitor.json")
                       .read_text())
    assert f"| {alert['current']['rows']:,} | {alert['verdict']} | " \
           f"{alert['performance']['production']:.4f} |" in recoded
    assert f"score PSI {alert['score']['statistics']['psi']['value']:.3f}" in recoded
