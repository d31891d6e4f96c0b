"""`mlgate monitor --record [--push]`: each monitoring run a record on the ledger.

The scenario `tests/resources/monitored` is promoted to staging and production (pushed),
then production batches made by its generator are monitored and recorded, on real git
(a bare origin) and DVC. Attacks: a record edited in place, a forged one claiming a
version that did not serve, one chained on another kind's chain, and a kill at every
step of the write.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mlgate.plumbing import failpoints
from mlgate.registry import ledger
from tests.support.project import Project, git, make_project, sh
from tests.support.registry import (
    MLGATE,
    assert_registry_whole,
    clone,
    copy_project,
    ledger_records,
    mlgate,
    registry_refs,
    sha256_file,
)

MONITOR = ("monitor", "scored", "--env", "production")


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Project:
    """scored v1.0.0 in staging and production, pushed (ledger #1 and #2)."""
    project = make_project(tmp_path_factory.mktemp("deployed"), "monitored")
    project.dvc("push", "-q")
    for env in ("staging", "production"):
        done = mlgate("promote", "scored", "--env", env, "--push", cwd=project.path)
        assert done.code == 0, done.out + done.err
    return project


@pytest.fixture
def repo(deployed: Project, tmp_path: Path) -> Project:
    return copy_project(deployed, tmp_path)


def batch(project: Project, out: Path, *args: str, rows: int = 3000) -> Path:
    sh(sys.executable, "src/make_data.py", "--rows", str(rows), *args, "--out", str(out),
       cwd=project.path)
    return out


def monitoring(cwd: Path) -> list[dict[str, Any]]:
    return [r for r in ledger_records(cwd) if r["predicateType"] == ledger.MONITORING_TYPE]


def verify(project: Project) -> dict[str, Any]:
    result = mlgate("audit", "verify", "--format", "json", cwd=project.path)
    return dict(json.loads(result.out))


def test_runs_are_recorded_chained_and_pushed(repo: Project, tmp_path: Path) -> None:
    tags_before = {k for k in registry_refs(repo.path) if k.startswith("refs/tags/")}
    calm = batch(repo, tmp_path / "calm.parquet", "--seed", "2")
    moved = batch(repo, tmp_path / "moved.parquet", "--seed", "3", "--shift", "0.5")
    first = mlgate(*MONITOR, "--current", str(calm), "--record", "--push", cwd=repo.path)
    assert first.code == 0, first.out + first.err
    assert first.out.splitlines()[-1].startswith("recorded on the ledger as #3 (")
    assert first.out.splitlines()[-1].endswith(") and pushed to origin")
    second = mlgate(*MONITOR, "--current", str(moved), "--record", "--push", "--format", "json",
                    cwd=repo.path)
    assert second.code == 1, second.err  # an alert: recorded all the same
    assert json.loads(second.out)["record"]["seq"] == 4

    records = ledger_records(repo.origin)
    production = records[1]
    assert production["predicate"]["action"] == "promote"
    ok, alert = monitoring(repo.origin)
    assert [r["predicate"]["seq"] for r in (ok, alert)] == [3, 4]
    for record, path in ((ok, calm), (alert, moved)):
        pred = record["predicate"]
        assert record["_type"] == ledger.STATEMENT_TYPE
        assert record["subject"] == [{"name": str(path), "digest": {"sha256": sha256_file(path)}}]
        assert (pred["model"], pred["environment"], pred["action"]) == ("scored", "production",
                                                                        "monitor")
        assert (pred["version"], pred["commit"]) == ("1.0.0", production["predicate"]["commit"])
        assert pred["deployment"] == ledger.digest(production)
        assert pred["batches"] == [{"path": str(path), "sha256": sha256_file(path), "rows": 3000}]
        assert pred["rows"] == 3000
        assert pred["labels"] == {"labelled": 3000, "unlabelled": 0, "coverage": 1.0}
        assert pred["window"]["from"] == pred["window"]["to"]
        assert pred["performance"]["metric"] == "roc_auc"
        assert pred["performance"]["recorded"] == production["predicate"]["metrics"]["roc_auc"]
        assert pred["performance"]["gap"] == pytest.approx(
            pred["performance"]["recorded"] - pred["performance"]["production"])
        assert [f["column"] for f in pred["features"]] == ["x", "z", "color"]
        assert pred["score"]["column"] == "score"
    assert (ok["predicate"]["verdict"], ok["predicate"]["actions"]) == ("ok", [])
    assert (alert["predicate"]["verdict"], alert["predicate"]["actions"]) == (
        "alert", ["open_issue", "rollback"])
    x = alert["predicate"]["features"][0]
    assert x["level"] == "alert" and x["statistics"]["wasserstein"]["level"] == "alert"
    assert alert["predicate"]["drift"]["alerting"] == 1
    # each kind its own chain: the first monitoring record starts one
    assert ok["predicate"]["previous"] is None
    assert alert["predicate"]["previous"] == ledger.digest(ok)
    # no tag: GTO's registry is unchanged, local and origin agree
    assert {k for k in registry_refs(repo.origin) if k.startswith("refs/tags/")} == tags_before
    assert registry_refs(repo.path) == registry_refs(repo.origin)
    for where in (repo.path, repo.origin):
        assert_registry_whole(where)
    assert verify(repo)["verdict"] == "intact"


def test_history_and_audit_show_the_runs(repo: Project, tmp_path: Path) -> None:
    for seed, shift in (("2", "0"), ("3", "0.5")):
        path = batch(repo, tmp_path / f"b{seed}.parquet", "--seed", seed, "--shift", shift)
        mlgate(*MONITOR, "--current", str(path), "--record", cwd=repo.path)
    shown = mlgate("history", "--events", "monitoring", "--format", "json", cwd=repo.path)
    rows = json.loads(shown.out)["history"]
    assert [(r["action"], r["verdict"], r["seq"]) for r in rows] == [
        ("monitor", "ALERT", 4), ("monitor", "ok", 3)]
    assert rows[0]["reason"] == "route: drift -> open_issue, rollback"
    assert set(rows[0]["metrics"]) == {"roc_auc", "gap"}
    promotions = json.loads(mlgate("history", "--events", "promotion", "--format", "json",
                                   cwd=repo.path).out)["history"]
    assert [r["action"] for r in promotions] == ["promote", "promote"]
    everything = json.loads(mlgate("history", "--format", "json", cwd=repo.path).out)["history"]
    assert [r["seq"] for r in everything] == [4, 3, 2, 1]
    table = mlgate("history", "scored", "--env", "production", cwd=repo.path).out
    assert "route: drift -> open_issue, rollback" in table

    at = mlgate("audit", "at", "2100-01-01", "--env", "production", "--format", "json",
                cwd=repo.path)
    served = json.loads(at.out)["served"][0]
    assert served["monitoring"]["verdict"] == "alert"
    assert served["monitoring"]["seq"] == 4
    assert served["deployed"] is None
    text = mlgate("audit", "at", "2100-01-01", "--env", "production", cwd=repo.path).out
    assert re.search(r"\nlast monitoring +alert at ", text)
    assert re.search(r"\ndeployed +no deploy record: assigned, not known to be deployed", text)
    staging = json.loads(mlgate("audit", "at", "2100-01-01", "--env", "staging", "--format",
                                "json", cwd=repo.path).out)["served"][0]
    assert staging["monitoring"] is None  # production's runs are not staging's


def test_a_local_record_is_pushed_by_the_next_push(repo: Project, tmp_path: Path) -> None:
    path = batch(repo, tmp_path / "b.parquet", "--seed", "2")
    origin_before = registry_refs(repo.origin)
    local = mlgate(*MONITOR, "--current", str(path), "--record", cwd=repo.path)
    assert local.out.splitlines()[-1].endswith(" (not pushed)")
    assert registry_refs(repo.origin) == origin_before
    assert len(monitoring(repo.path)) == 1
    pushed = mlgate(*MONITOR, "--current", str(path), "--record", "--push", cwd=repo.path)
    assert pushed.code == 0, pushed.err
    assert [r["predicate"]["seq"] for r in monitoring(repo.origin)] == [3, 4]
    assert_registry_whole(repo.origin)


def test_push_without_record_is_refused(repo: Project, tmp_path: Path) -> None:
    path = batch(repo, tmp_path / "b.parquet", "--seed", "2")
    before = registry_refs(repo.path)
    result = mlgate(*MONITOR, "--current", str(path), "--push", cwd=repo.path)
    assert result.code == 2
    assert result.err == ("--push needs --record: only a monitoring record is pushed\n"
                          "  hint: add --record, or drop --push\n")
    assert registry_refs(repo.path) == before


@pytest.mark.parametrize("step", ["after-ledger-commit", "after-ref-transaction",
                                  "before-push", "after-push"])
def test_killed_at_each_step_no_half_record(repo: Project, tmp_path: Path, step: str) -> None:
    """A kill anywhere leaves a whole ledger (with the record or without it), and the
    next recorded run pushes whatever was left behind, once."""
    path = batch(repo, tmp_path / "b.parquet", "--seed", "2")
    before = (registry_refs(repo.path), registry_refs(repo.origin))
    killed = mlgate(*MONITOR, "--current", str(path), "--record", "--push", cwd=repo.path,
                    env={failpoints.ENV_VAR: step})
    assert killed.code == failpoints.EXIT_KILLED, killed.out + killed.err
    for where in (repo.path, repo.origin):
        assert_registry_whole(where)
    if step == "after-ledger-commit":
        assert (registry_refs(repo.path), registry_refs(repo.origin)) == before
    elif step == "after-push":
        assert len(monitoring(repo.origin)) == 1
    else:
        assert registry_refs(repo.origin) == before[1]
        assert len(monitoring(repo.path)) == 1
    rerun = mlgate(*MONITOR, "--current", str(path), "--record", "--push", cwd=repo.path)
    assert rerun.code == 0, rerun.out + rerun.err
    kept = 0 if step == "after-ledger-commit" else 1
    assert [r["predicate"]["seq"] for r in monitoring(repo.origin)] == [3, 4][:kept + 1]
    assert registry_refs(repo.path) == registry_refs(repo.origin)
    assert_registry_whole(repo.origin)
    assert verify(repo)["verdict"] == "intact"


@pytest.mark.slow
def test_two_runners_record_at_once_both_land(deployed: Project, tmp_path: Path) -> None:
    """Two monitor jobs (say, two environments' schedules) push at the same moment: one
    loses the race, takes the winner's ledger and lands after it."""
    a, b = clone(deployed, tmp_path, "a"), clone(deployed, tmp_path, "b")
    meeting = tmp_path / "meeting"
    env = {**os.environ, failpoints.ENV_VAR: f"before-push@{meeting}:2"}
    procs = []
    for project, where in ((a, "production"), (b, "staging")):
        path = batch(project, tmp_path / f"{where}.parquet", "--seed", "2")
        procs.append(subprocess.Popen(
            [*MLGATE, "monitor", "scored", "--env", where, "--current", str(path), "--record",
             "--push"], cwd=project.path, env=env, text=True, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE))
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, out + err
    records = monitoring(deployed.origin)
    assert sorted(r["predicate"]["environment"] for r in records) == ["production", "staging"]
    assert [r["predicate"]["seq"] for r in records] == [3, 4]
    assert_registry_whole(deployed.origin)


# --- attacks: whoever can push the ledger can write to it; audit verify must tell ---

def _replace_on_ledger(project: Project, path: str, text: str) -> None:
    """A new ledger commit that rewrites ``path`` in place (plumbing, as an attacker would)."""
    head = git("rev-parse", ledger.LEDGER_REF, cwd=project.path)
    index = project.path / ".git" / "attack-index"
    env = {**os.environ, "GIT_INDEX_FILE": str(index)}
    run = lambda *a, data=None: subprocess.run(  # noqa: E731
        ["git", *a], cwd=project.path, env=env, check=True, capture_output=True,
        input=data, text=True).stdout.strip()
    run("read-tree", head)
    blob = run("hash-object", "-w", "--stdin", data=text)
    run("update-index", "--cacheinfo", f"100644,{blob},{path}")
    tree = run("write-tree")
    commit = run("commit-tree", tree, "-p", head, "-m", "fix a typo")
    git("update-ref", ledger.LEDGER_REF, commit, cwd=project.path)


def test_an_edited_monitoring_record_is_caught(repo: Project, tmp_path: Path) -> None:
    path = batch(repo, tmp_path / "b.parquet", "--seed", "3", "--shift", "0.5")
    assert mlgate(*MONITOR, "--current", str(path), "--record", cwd=repo.path).code == 1
    record = monitoring(repo.path)[0]
    record["predicate"]["verdict"] = "ok"  # the alert never happened
    record["predicate"]["actions"] = []
    _replace_on_ledger(repo, "records/00000003-scored-production-monitor.json",
                       json.dumps(record, indent=2, sort_keys=True) + "\n")
    found = verify(repo)
    assert found["verdict"] == "altered"
    messages = {(f["kind"], f["where"]) for f in found["findings"]}
    assert ("ledger_edited", "ledger commit "
            + git("rev-parse", "--short=12", ledger.LEDGER_REF, cwd=repo.path)) in messages


def _forge(project: Project, change: dict[str, Any], of: str = "monitoring") -> None:
    """Append a record made with mlgate's own writer (index and sequence right), from the
    last monitoring record with ``change`` made to its predicate."""
    model_record = monitoring(project.path)[-1]
    head = ledger.chain_head("scored", "production", cwd=project.path, of=of)
    pred = {**model_record["predicate"], "seq": head.seq + 1, "previous": head.previous,
            **change}
    forged = {**model_record, "predicate": pred}
    parent = git("rev-parse", ledger.LEDGER_REF, cwd=project.path)
    commit = ledger.build_commit(forged, parent, cwd=project.path)
    git("update-ref", ledger.LEDGER_REF, commit, parent, cwd=project.path)


def test_a_forged_record_claiming_another_version_is_caught(repo: Project,
                                                            tmp_path: Path) -> None:
    path = batch(repo, tmp_path / "b.parquet", "--seed", "2")
    assert mlgate(*MONITOR, "--current", str(path), "--record", cwd=repo.path).code == 0
    assert verify(repo)["verdict"] == "intact"
    _forge(repo, {"version": "0.9.0"})  # "production ran fine on 0.9.0 too"
    found = verify(repo)
    assert [(f["kind"], f["where"]) for f in found["findings"]] == [
        ("observed", "#4 (monitor scored v0.9.0 in production: ok)")]
    assert found["findings"][0]["message"].startswith(
        "names version '0.9.0' (sha256:")


def test_a_record_chained_on_the_promotions_is_caught(repo: Project, tmp_path: Path) -> None:
    path = batch(repo, tmp_path / "b.parquet", "--seed", "2")
    assert mlgate(*MONITOR, "--current", str(path), "--record", cwd=repo.path).code == 0
    promotion = ledger_records(repo.path)[1]
    _forge(repo, {"previous": ledger.digest(promotion)})
    kinds = {f["kind"] for f in verify(repo)["findings"]}
    assert kinds == {"broken_chain"}


def test_a_monitoring_record_with_a_promotion_action_is_caught(repo: Project,
                                                               tmp_path: Path) -> None:
    path = batch(repo, tmp_path / "b.parquet", "--seed", "2")
    assert mlgate(*MONITOR, "--current", str(path), "--record", cwd=repo.path).code == 0
    _forge(repo, {"action": "promote"})
    found = verify(repo)["findings"]
    assert ("ledger_edited", "is a monitoring record whose action is 'promote'") in {
        (f["kind"], f["message"]) for f in found}


def test_export_charts_runs_and_lists_alerts_with_what_followed(repo: Project,
                                                                tmp_path: Path) -> None:
    for seed, shift in (("2", "0"), ("3", "0.5")):
        path = batch(repo, tmp_path / f"b{seed}.parquet", "--seed", seed, "--shift", shift)
        mlgate(*MONITOR, "--current", str(path), "--record", cwd=repo.path)
    retired = mlgate("retire", "scored", "--env", "production", "--reason", "drift alert",
                     cwd=repo.path)
    assert retired.code == 0, retired.out + retired.err
    out = tmp_path / "export"
    done = mlgate("audit", "export", "--out", str(out), cwd=repo.path)
    assert done.code == 0, done.out + done.err
    data = json.loads((out / "audit.json").read_text())
    runs = data["production"]["scored"]["production"]
    assert [(r["seq"], r["verdict"], r["version"]) for r in runs] == [
        (3, "ok", "1.0.0"), (4, "alert", "1.0.0")]
    assert all(isinstance(r["production"], float) and isinstance(r["max_psi"], float)
               for r in runs)
    (alert,) = data["alerts"]
    assert (alert["seq"], alert["causes"], alert["actions"]) == (
        4, ["drift"], ["open_issue", "rollback"])
    assert alert["followed_by"]["action"] == "retire"
    assert alert["followed_by"]["reason"] == "drift alert"
    assert [d["action"] for d in data["deployments"]] == ["retire", "promote", "promote"]
    page = (out / "audit.html").read_text()
    assert "<h3>scored in production: 2 monitoring runs</h3>" in page
    assert "scored in production: roc_auc in production</figcaption><svg" in page
    assert page.count('stroke="#cf222e" stroke-width="2"') == 2  # the alert, in both charts
    assert "retire v1.0.0 at " in page
    rows = (out / "alerts.csv").read_text().splitlines()
    assert rows[1].startswith(f"{alert['time']},4,scored,production,1.0.0,drift,"
                              "open_issue; rollback,retire v1.0.0 at ")
    assert len((out / "monitoring.csv").read_text().splitlines()) == 3


def test_a_record_whose_type_is_not_a_string_is_reported_not_a_crash(
        repo: Project, tmp_path: Path) -> None:
    path = batch(repo, tmp_path / "b.parquet", "--seed", "2")
    assert mlgate(*MONITOR, "--current", str(path), "--record", cwd=repo.path).code == 0
    record = monitoring(repo.path)[0]
    record["predicateType"] = [ledger.MONITORING_TYPE]  # unhashable: no dict lookup may take it
    _replace_on_ledger(repo, "records/00000003-scored-production-monitor.json",
                       json.dumps(record) + "\n")
    result = mlgate("audit", "verify", "--format", "json", cwd=repo.path)
    assert result.code == 1, result.err
    found = json.loads(result.out)["findings"]
    assert ("ledger_edited", "records/00000003-scored-production-monitor.json",
            "is not a deployment, monitoring or deploy record (no predicate of mlgate's with "
            "a sequence number)") in {(f["kind"], f["where"], f["message"]) for f in found}
    shown = mlgate("history", cwd=repo.path)
    assert shown.code == 0, shown.err
